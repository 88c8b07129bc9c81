providers_LTLIBRARIES += plugins/azure.la
plugins_azure_la_SOURCES = plugins/azure/azure.c plugins/common/jwtshape.h \
	plugins/common/textbuf.h
plugins_azure_la_LDFLAGS = $(PLUGIN_LDFLAGS)
