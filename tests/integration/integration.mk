# Integration tests of the real wif binary with the real plugins.
EXTRA_DIST += tests/integration/lib.sh
TESTS += tests/integration/cli_basics.sh tests/integration/cli_identity.sh tests/integration/token_flow.sh \
	tests/integration/wifd.sh
EXTRA_DIST += tests/integration/cli_basics.sh tests/integration/cli_identity.sh tests/integration/token_flow.sh \
	tests/integration/wifd.sh tests/integration/wire_client.py
# (make check builds all, check_PROGRAMS and check_LTLIBRARIES before any test)
clean-local: clean-local-tests
clean-local-tests:
	rm -rf tests/tmp
.PHONY: clean-local-tests

# An application of the consumer API, linked with libwif.so alone.
check_PROGRAMS += tests/integration/libwif_get
tests_integration_libwif_get_SOURCES = tests/integration/libwif_get.c
tests_integration_libwif_get_LDADD = libwif.la
