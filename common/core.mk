# The core: config, loader, host services, http, jwt, crypto, ... (libwifcore)
#
# libwifbase is the part without libcurl and OpenSSL: configuration,
# cache, audit, sinks, metrics, peers.  wifd links only it (and libconfig,
# json-c); the minting - plugins, HTTP, TLS, JWS - runs in its helper
# wifd-mint, which links libwifcore.
noinst_LTLIBRARIES += libwifbase.la
libwifbase_la_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
libwifbase_la_LIBADD = libwifclient.la $(JSONC_LIBS) $(LIBCONFIG_LIBS)
libwifbase_la_SOURCES = \
	common/err.c common/err.h \
	common/log.c common/log.h \
	common/secmem.c common/secmem.h \
	common/util.c common/util.h \
	common/json.c common/json.h \
	common/proc.c common/proc.h \
	common/fileio.c common/fileio.h \
	common/conf.c common/conf.h \
	common/token.c common/token.h \
	common/cache.c common/cache.h \
	common/peer.c common/peer.h \
	common/audit.c common/audit.h \
	common/sink.c common/sink.h \
	common/metrics.c common/metrics.h

noinst_LTLIBRARIES += libwifcore.la
libwifcore_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS) $(JSONC_CFLAGS) $(LIBCONFIG_CFLAGS)
libwifcore_la_LIBADD = libwifbase.la $(CURL_LIBS) $(OPENSSL_LIBS) $(JSONC_LIBS) $(LIBCONFIG_LIBS)
libwifcore_la_SOURCES = \
	common/crypto.c common/crypto.h \
	common/http.c common/http.h \
	common/jwt.c common/jwt.h \
	common/loader.c common/loader.h \
	common/host.c common/host.h \
	common/core.c common/core.h \
	common/exchange.c common/exchange.h \
	common/filecache.c common/filecache.h \
	common/creds.c common/creds.h \
	common/mint.c common/mint.h \
	common/local.c common/local.h
