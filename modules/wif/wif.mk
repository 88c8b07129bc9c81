bin_PROGRAMS += modules/wif/wif
modules_wif_wif_SOURCES = modules/wif/main.c
modules_wif_wif_LDADD = libwifcore.la
