# Unit tests of the core modules written with the core (jwt, loader, core).
UNIT_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
UNIT_LIBS = libwifcore.la $(CUNIT_LIBS)
EXTRA_DIST += tests/unit/cutest.h

check_PROGRAMS += tests/unit/test_jwt
TESTS += tests/unit/test_jwt
tests_unit_test_jwt_SOURCES = tests/unit/test_jwt.c
tests_unit_test_jwt_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_jwt_LDADD = $(UNIT_LIBS)

check_PROGRAMS += tests/unit/test_loader
TESTS += tests/unit/test_loader
tests_unit_test_loader_SOURCES = tests/unit/test_loader.c
tests_unit_test_loader_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_loader_LDADD = $(UNIT_LIBS)
tests_unit_test_loader_DEPENDENCIES = libwifcore.la $(check_LTLIBRARIES) $(providers_LTLIBRARIES)

check_PROGRAMS += tests/unit/test_creds
TESTS += tests/unit/test_creds
tests_unit_test_creds_SOURCES = tests/unit/test_creds.c
tests_unit_test_creds_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_creds_LDADD = $(UNIT_LIBS)

# JWT decoder fuzz target, replaying tests/fuzz/corpus/jwt (see fuzz_jwt.c).
check_PROGRAMS += tests/fuzz/fuzz_jwt
TESTS += tests/fuzz/fuzz_jwt
tests_fuzz_fuzz_jwt_SOURCES = tests/fuzz/fuzz_jwt.c
tests_fuzz_fuzz_jwt_CFLAGS = $(UNIT_CFLAGS)
tests_fuzz_fuzz_jwt_LDADD = libwifcore.la
EXTRA_DIST += tests/fuzz/corpus/jwt

check_PROGRAMS += tests/unit/test_err
TESTS += tests/unit/test_err
tests_unit_test_err_SOURCES = tests/unit/test_err.c
tests_unit_test_err_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_err_LDADD = $(UNIT_LIBS)
