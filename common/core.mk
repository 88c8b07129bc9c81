# The core: config, loader, host services, http, jwt, crypto, ... (libwifcore)
noinst_LTLIBRARIES += libwifcore.la
libwifcore_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
libwifcore_la_LIBADD = libwifclient.la $(CURL_LIBS) $(OPENSSL_LIBS) $(JSONC_LIBS) $(LIBCONFIG_LIBS)
libwifcore_la_SOURCES = \
	common/err.c common/err.h \
	common/log.c common/log.h \
	common/secmem.c common/secmem.h \
	common/crypto.c common/crypto.h \
	common/json.c common/json.h \
	common/http.c common/http.h \
	common/proc.c common/proc.h \
	common/fileio.c common/fileio.h \
	common/jwt.c common/jwt.h \
	common/conf.c common/conf.h \
	common/loader.c common/loader.h \
	common/host.c common/host.h \
	common/core.c common/core.h \
	common/token.c common/token.h \
	common/exchange.c common/exchange.h \
	common/cache.c common/cache.h \
	common/filecache.c common/filecache.h \
	common/creds.c common/creds.h \
	common/mint.c common/mint.h \
	common/local.c common/local.h \
	common/peer.c common/peer.h \
	common/audit.c common/audit.h \
	common/sink.c common/sink.h \
	common/metrics.c common/metrics.h
