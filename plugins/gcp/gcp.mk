providers_LTLIBRARIES += plugins/gcp.la
plugins_gcp_la_SOURCES = plugins/gcp/gcp.c plugins/common/jwtshape.h \
	plugins/common/textbuf.h
plugins_gcp_la_LDFLAGS = $(PLUGIN_LDFLAGS)
