wifconf_DATA =
EXTRA_DIST += etc/wif.conf.example etc/systemd/wifd.service.in \
	etc/systemd/wifd.socket.in etc/tmpfiles.d-wif.conf.in \
	etc/pam.d/wif-session.example

# systemd units and tmpfiles.d, with the configured paths filled in.
systemdunitdir = $(prefix)/lib/systemd/system
systemdunit_DATA = etc/systemd/wifd.service etc/systemd/wifd.socket
tmpfilesdir = $(prefix)/lib/tmpfiles.d
tmpfiles_DATA = etc/tmpfiles/wif.conf
CLEANFILES += $(systemdunit_DATA) $(tmpfiles_DATA)

edit_units = sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@wifrundir[@]|$(wifrundir)|g'
etc/systemd/wifd.service: $(srcdir)/etc/systemd/wifd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/systemd && $(edit_units) $(srcdir)/etc/systemd/wifd.service.in >$@
etc/systemd/wifd.socket: $(srcdir)/etc/systemd/wifd.socket.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/systemd && $(edit_units) $(srcdir)/etc/systemd/wifd.socket.in >$@
etc/tmpfiles/wif.conf: $(srcdir)/etc/tmpfiles.d-wif.conf.in Makefile
	$(AM_V_GEN)$(MKDIR_P) etc/tmpfiles && $(edit_units) $(srcdir)/etc/tmpfiles.d-wif.conf.in >$@
