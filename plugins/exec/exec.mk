providers_LTLIBRARIES += plugins/exec.la
plugins_exec_la_SOURCES = plugins/exec/exec.c plugins/common/jwtshape.h
plugins_exec_la_LDFLAGS = $(PLUGIN_LDFLAGS)
