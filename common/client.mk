# The client half of libwif: libc only (wire protocol, socket client,
# wif_strerror).  libwifclient is linked into the core, the CLI and wifd;
# libwif.so is the same code installed for applications (include/wif/wif.h),
# exporting only the consumer API.
noinst_LTLIBRARIES += libwifclient.la
libwifclient_la_CFLAGS = $(AM_CFLAGS)
libwifclient_la_SOURCES = common/rc.c common/wire.c common/wire.h \
	common/client.c common/client.h include/wif/wif.h

lib_LTLIBRARIES += libwif.la
libwif_la_CFLAGS = $(AM_CFLAGS)
libwif_la_SOURCES = common/rc.c common/wire.c common/wire.h \
	common/client.c common/client.h include/wif/wif.h
libwif_la_LDFLAGS = -version-info 0:0:0 -no-undefined \
	-export-symbols-regex '^wif_(open|close|set_timeout|get_token|credential_token|credential_expires_at|credential_profile|credential_free|error|strerror)$$' \
	$(WIF_LDFLAGS)
wifinclude_HEADERS += include/wif/wif.h

check_PROGRAMS += tests/unit/test_wire
TESTS += tests/unit/test_wire
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c tests/unit/cutest.h
tests_unit_test_wire_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_wire_LDADD = libwifclient.la $(CUNIT_LIBS)
