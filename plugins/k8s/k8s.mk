providers_LTLIBRARIES += plugins/k8s.la
plugins_k8s_la_SOURCES = plugins/k8s/k8s.c plugins/common/jwtshape.h \
	plugins/common/textbuf.h
plugins_k8s_la_LDFLAGS = $(PLUGIN_LDFLAGS)
