providers_LTLIBRARIES += plugins/spiffe.la
plugins_spiffe_la_SOURCES = plugins/spiffe/spiffe.c plugins/spiffe/pb.h \
	plugins/common/jwtshape.h
plugins_spiffe_la_LDFLAGS = $(PLUGIN_LDFLAGS)
