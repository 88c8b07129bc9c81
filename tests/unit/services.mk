# tests/unit/services.mk - the core's host-service engines: secure memory,
# crypto (digests, base64, JWS), bounded JSON, HTTP under policy.
SERVICES_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)

check_PROGRAMS += tests/unit/test_secmem
TESTS += tests/unit/test_secmem
tests_unit_test_secmem_SOURCES = tests/unit/test_secmem.c tests/unit/cutest.h
tests_unit_test_secmem_CFLAGS = $(SERVICES_CFLAGS)
tests_unit_test_secmem_LDADD = libwifcore.la $(CUNIT_LIBS) -lpthread

# The JWS test also verifies with an independent JOSE library:
# /usr/bin/python3 with python3-jwt (apt).
check_PROGRAMS += tests/unit/test_crypto
TESTS += tests/unit/test_crypto
tests_unit_test_crypto_SOURCES = tests/unit/test_crypto.c tests/unit/cutest.h
tests_unit_test_crypto_CFLAGS = $(SERVICES_CFLAGS) $(OPENSSL_CFLAGS)
tests_unit_test_crypto_LDADD = libwifcore.la $(OPENSSL_LIBS) $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_json
TESTS += tests/unit/test_json
tests_unit_test_json_SOURCES = tests/unit/test_json.c tests/unit/cutest.h
tests_unit_test_json_CFLAGS = $(SERVICES_CFLAGS)
tests_unit_test_json_LDADD = libwifcore.la $(JSONC_LIBS) $(CUNIT_LIBS)
