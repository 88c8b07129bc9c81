providers_LTLIBRARIES += plugins/okta.la
plugins_okta_la_SOURCES = plugins/okta/okta.c plugins/common/jwtshape.h \
	plugins/common/textbuf.h
plugins_okta_la_LDFLAGS = $(PLUGIN_LDFLAGS)
