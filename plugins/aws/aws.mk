providers_LTLIBRARIES += plugins/aws.la
plugins_aws_la_SOURCES = plugins/aws/aws.c plugins/aws/sigv4.h plugins/aws/xml.h \
	plugins/common/jwtshape.h plugins/common/textbuf.h
plugins_aws_la_LDFLAGS = $(PLUGIN_LDFLAGS)
