# tests/unit/plugins.mk - the file/exec providers and the core modules
# behind them: checked file I/O (fileio.c), helper programs (proc.c), and
# the built plugins dlopen()ed from $(WIF_PLUGIN_BUILD_DIR).
check_PROGRAMS += tests/unit/test_fileio
TESTS += tests/unit/test_fileio
tests_unit_test_fileio_SOURCES = tests/unit/test_fileio.c tests/unit/cutest.h
tests_unit_test_fileio_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_fileio_LDADD = libwifcore.la $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_proc
TESTS += tests/unit/test_proc
tests_unit_test_proc_SOURCES = tests/unit/test_proc.c tests/unit/cutest.h
tests_unit_test_proc_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_proc_LDADD = libwifcore.la $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_plugins
TESTS += tests/unit/test_plugins
tests_unit_test_plugins_SOURCES = tests/unit/test_plugins.c tests/unit/cutest.h
tests_unit_test_plugins_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_unit_test_plugins_LDADD = libwifcore.la $(CUNIT_LIBS)
tests_unit_test_plugins_DEPENDENCIES = libwifcore.la plugins/file.la plugins/exec.la plugins/env.la

# github, gcp, okta, k8s: the core's real host with scripted HTTP (fakehost.h)
check_PROGRAMS += tests/unit/test_idp_plugins
TESTS += tests/unit/test_idp_plugins
tests_unit_test_idp_plugins_SOURCES = tests/unit/test_idp_plugins.c \
	tests/unit/cutest.h tests/unit/fakehost.h
tests_unit_test_idp_plugins_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS) $(CURL_CFLAGS)
tests_unit_test_idp_plugins_LDADD = libwifcore.la $(CUNIT_LIBS)
tests_unit_test_idp_plugins_DEPENDENCIES = libwifcore.la plugins/github.la \
	plugins/gcp.la plugins/okta.la plugins/k8s.la plugins/spiffe.la plugins/azure.la plugins/aws.la

# the plugins' answer parsing, replaying tests/fuzz/corpus/idp (see fuzz_idp_response.c)
check_PROGRAMS += tests/fuzz/fuzz_idp_response
TESTS += tests/fuzz/fuzz_idp_response
tests_fuzz_fuzz_idp_response_SOURCES = tests/fuzz/fuzz_idp_response.c tests/unit/fakehost.h
tests_fuzz_fuzz_idp_response_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS) $(CURL_CFLAGS) -I$(top_srcdir)/tests/unit
tests_fuzz_fuzz_idp_response_LDADD = libwifcore.la
tests_fuzz_fuzz_idp_response_DEPENDENCIES = libwifcore.la plugins/github.la \
	plugins/gcp.la plugins/okta.la plugins/k8s.la plugins/spiffe.la plugins/azure.la plugins/aws.la plugins/azure.la
EXTRA_DIST += tests/fuzz/corpus/idp

# the spiffe provider's protobuf and gRPC framing, compiled into the target
check_PROGRAMS += tests/fuzz/fuzz_spiffe_pb
TESTS += tests/fuzz/fuzz_spiffe_pb
tests_fuzz_fuzz_spiffe_pb_SOURCES = tests/fuzz/fuzz_spiffe_pb.c plugins/spiffe/pb.h

# SigV4 (plugins/aws/sigv4.h) driven by tests/integration/sigv4_botocore.py
check_PROGRAMS += tests/unit/sigv4_cases
tests_unit_sigv4_cases_SOURCES = tests/unit/sigv4_cases.c plugins/aws/sigv4.h
tests_unit_sigv4_cases_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS) $(CURL_CFLAGS)
tests_unit_sigv4_cases_LDADD = libwifcore.la $(JSONC_LIBS)

# the aws provider's XML reader, compiled into the target
check_PROGRAMS += tests/fuzz/fuzz_aws_xml
TESTS += tests/fuzz/fuzz_aws_xml
tests_fuzz_fuzz_aws_xml_SOURCES = tests/fuzz/fuzz_aws_xml.c plugins/aws/xml.h
EXTRA_DIST += tests/fuzz/corpus/xml
