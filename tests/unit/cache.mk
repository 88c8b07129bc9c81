# cache tests: the in-process token cache and the per-user file cache
check_PROGRAMS += tests/unit/test_cache
TESTS += tests/unit/test_cache
tests_unit_test_cache_SOURCES = tests/unit/test_cache.c tests/unit/cutest.h
tests_unit_test_cache_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
tests_unit_test_cache_LDADD = libwifcore.la $(CUNIT_LIBS)

check_PROGRAMS += tests/unit/test_filecache
TESTS += tests/unit/test_filecache
tests_unit_test_filecache_SOURCES = tests/unit/test_filecache.c tests/unit/cutest.h
tests_unit_test_filecache_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JSONC_CFLAGS)
tests_unit_test_filecache_LDADD = libwifcore.la $(CUNIT_LIBS)
