dist_man_MANS += man/wif.1 man/wif.conf.5 man/wif-provider.3 man/wif-providers.7 \
	man/wifd.8 man/wifd-mint.8 man/wif_open.3 man/pam_wif.8
