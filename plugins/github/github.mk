providers_LTLIBRARIES += plugins/github.la
plugins_github_la_SOURCES = plugins/github/github.c plugins/common/jwtshape.h \
	plugins/common/textbuf.h
plugins_github_la_LDFLAGS = $(PLUGIN_LDFLAGS)
