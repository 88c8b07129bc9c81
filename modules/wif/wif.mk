# wif: the fast front end (libc + libwifclient) that serves `wif token`
# from wifd and executes wif-cli, the full tool, for everything else.
bin_PROGRAMS += modules/wif/wif
modules_wif_wif_SOURCES = modules/wif/front.c
modules_wif_wif_LDADD = libwifclient.la

pkglibexec_PROGRAMS = modules/wif/wif-cli
modules_wif_wif_cli_SOURCES = modules/wif/main.c modules/wif/cli.h modules/wif/util.c \
	modules/wif/cmd_config.c modules/wif/cmd_identity.c \
	modules/wif/cmd_token.c modules/wif/cmd_exec_refresh.c modules/wif/cmd_status.c
modules_wif_wif_cli_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
modules_wif_wif_cli_LDADD = libwifcore.la $(JSONC_LIBS)
