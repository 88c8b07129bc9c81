# The PAM module's test driver: a login without authentication, run under
# pam_wrapper by tests/integration/pam_wif.sh.
if HAVE_PAM
check_PROGRAMS += tests/pam/pam_session_run
tests_pam_pam_session_run_SOURCES = tests/pam/pam_session_run.c
tests_pam_pam_session_run_LDADD = -lpam
endif
if HAVE_PAM
TESTS += tests/integration/pam_wif.sh
endif
EXTRA_DIST += tests/integration/pam_wif.sh
clean-local: clean-local-pam
clean-local-pam:
	rm -rf tests/pam/node
.PHONY: clean-local-pam
