bin_PROGRAMS += modules/wif/wif
modules_wif_wif_SOURCES = modules/wif/main.c modules/wif/cli.h modules/wif/util.c \
	modules/wif/cmd_config.c modules/wif/cmd_identity.c \
	modules/wif/cmd_token.c modules/wif/cmd_status.c
modules_wif_wif_LDADD = libwifcore.la
