providers_LTLIBRARIES += plugins/exec.la
plugins_exec_la_SOURCES = plugins/exec/exec.c
plugins_exec_la_LDFLAGS = $(PLUGIN_LDFLAGS)
