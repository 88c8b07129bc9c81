dist_man_MANS += man/wif.1 man/wif.conf.5 man/wif-provider.3
