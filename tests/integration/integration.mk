# Integration tests of the real wif binary with the real plugins.
EXTRA_DIST += tests/integration/lib.sh
TESTS += tests/integration/cli_basics.sh tests/integration/cli_identity.sh
EXTRA_DIST += tests/integration/cli_basics.sh tests/integration/cli_identity.sh
# Integration tests need everything built first.
$(TESTS:=.log): $(bin_PROGRAMS) $(providers_LTLIBRARIES) $(check_LTLIBRARIES)
clean-local: clean-local-tests
clean-local-tests:
	rm -rf tests/tmp
.PHONY: clean-local-tests
