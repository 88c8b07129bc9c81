providers_LTLIBRARIES += plugins/file.la
plugins_file_la_SOURCES = plugins/file/file.c plugins/common/jwtshape.h
plugins_file_la_LDFLAGS = $(PLUGIN_LDFLAGS)
