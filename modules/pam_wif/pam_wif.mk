# pam_wif.so: the PAM session module (built when the PAM headers are there).
# It links only the client half of libwif (libc) and exports only pam_sm_*.
if HAVE_PAM
pam_LTLIBRARIES = modules/pam_wif/pam_wif.la
modules_pam_wif_pam_wif_la_SOURCES = modules/pam_wif/pam_wif.c
modules_pam_wif_pam_wif_la_CFLAGS = $(AM_CFLAGS)
modules_pam_wif_pam_wif_la_LIBADD = libwifclient.la -lpam
modules_pam_wif_pam_wif_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-export-symbols-regex '^pam_sm_' $(WIF_LDFLAGS)
endif
