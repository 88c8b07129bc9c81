providers_LTLIBRARIES += plugins/env.la
plugins_env_la_SOURCES = plugins/env/env.c
plugins_env_la_LDFLAGS = $(PLUGIN_LDFLAGS)
