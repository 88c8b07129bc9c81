sbin_PROGRAMS += modules/wifd/wifd
modules_wifd_wifd_SOURCES = modules/wifd/wifd.c modules/wifd/wifd.h \
	modules/wifd/handle.c modules/wifd/refresh.c modules/wifd/metrics_http.c
modules_wifd_wifd_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
modules_wifd_wifd_LDADD = libwifcore.la $(JSONC_LIBS) -lpthread
