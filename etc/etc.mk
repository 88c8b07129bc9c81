wifconf_DATA =
EXTRA_DIST += etc/wif.conf.example
