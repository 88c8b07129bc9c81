sbin_PROGRAMS += modules/wifd/wifd
modules_wifd_wifd_SOURCES = modules/wifd/wifd.c modules/wifd/wifd.h \
	modules/wifd/handle.c modules/wifd/refresh.c modules/wifd/metrics_http.c \
	modules/wifd/session.c modules/wifd/minter.c modules/wifd/minter.h \
	modules/wifd/mintwire.c modules/wifd/mintwire.h
modules_wifd_wifd_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
# libc, libconfig and json-c only: no libcurl, OpenSSL or plugins in wifd
modules_wifd_wifd_LDADD = libwifbase.la $(JSONC_LIBS) -lpthread

# The mint helper: the plugins, HTTP and TLS run here (wifd-mint(8)).
pkglibexec_PROGRAMS += modules/wifd/wifd-mint
modules_wifd_wifd_mint_SOURCES = modules/wifd/wifd_mint.c \
	modules/wifd/mintwire.c modules/wifd/mintwire.h
modules_wifd_wifd_mint_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
modules_wifd_wifd_mint_LDADD = libwifcore.la -lpthread

check_PROGRAMS += tests/unit/test_wifd_parts
TESTS += tests/unit/test_wifd_parts
tests_unit_test_wifd_parts_SOURCES = tests/unit/test_wifd_parts.c tests/unit/cutest.h \
	modules/wifd/mintwire.c modules/wifd/mintwire.h
tests_unit_test_wifd_parts_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS) \
	-I$(top_srcdir)/modules/wifd
tests_unit_test_wifd_parts_LDADD = libwifbase.la $(JSONC_LIBS) $(CUNIT_LIBS) -lpthread
