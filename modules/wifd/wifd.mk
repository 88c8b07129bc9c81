sbin_PROGRAMS += modules/wifd/wifd
modules_wifd_wifd_SOURCES = modules/wifd/wifd.c modules/wifd/wifd.h \
	modules/wifd/handle.c modules/wifd/refresh.c modules/wifd/metrics_http.c \
	modules/wifd/session.c
modules_wifd_wifd_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
modules_wifd_wifd_LDADD = libwifcore.la $(JSONC_LIBS) -lpthread

check_PROGRAMS += tests/unit/test_wifd_parts
TESTS += tests/unit/test_wifd_parts
tests_unit_test_wifd_parts_SOURCES = tests/unit/test_wifd_parts.c tests/unit/cutest.h
tests_unit_test_wifd_parts_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
tests_unit_test_wifd_parts_LDADD = libwifcore.la $(JSONC_LIBS) $(CUNIT_LIBS) -lpthread
