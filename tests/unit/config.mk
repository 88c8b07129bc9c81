# tests/unit/config.mk - wif.conf + conf.d loading and validation (conf.c).
# The test also loads the shipped examples, so they are part of the tarball.
check_PROGRAMS += tests/unit/test_config
TESTS += tests/unit/test_config
tests_unit_test_config_SOURCES = tests/unit/test_config.c tests/unit/cutest.h
tests_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JSONC_CFLAGS) \
	$(LIBCONFIG_CFLAGS) -DWIF_TEST_SRCDIR='"$(abs_top_srcdir)"'
tests_unit_test_config_LDADD = libwifcore.la $(CUNIT_LIBS)
EXTRA_DIST += etc/conf.d/50-example.conf.example
