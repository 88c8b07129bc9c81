# exchange tests: one token exchange against an in-test scripted HTTP server,
# and a replay of the response-parser fuzz corpus.
check_PROGRAMS += tests/unit/test_exchange
TESTS += tests/unit/test_exchange
tests_unit_test_exchange_SOURCES = tests/unit/test_exchange.c tests/unit/cutest.h
tests_unit_test_exchange_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_unit_test_exchange_LDADD = libwifcore.la $(CUNIT_LIBS)

# Without -DWIF_LIBFUZZER the target has a main() that replays every file
# of tests/fuzz/corpus/exchange (found through WIF_TOP_SRCDIR).
check_PROGRAMS += tests/fuzz/fuzz_exchange_response
TESTS += tests/fuzz/fuzz_exchange_response
tests_fuzz_fuzz_exchange_response_SOURCES = tests/fuzz/fuzz_exchange_response.c
tests_fuzz_fuzz_exchange_response_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_fuzz_fuzz_exchange_response_LDADD = libwifcore.la
EXTRA_DIST += tests/fuzz/corpus/exchange
