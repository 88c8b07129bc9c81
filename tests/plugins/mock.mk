# Mock provider plugins: one source, one variant per loader rule (see mock.c).
MOCK_LDFLAGS = -module -avoid-version -shared -no-undefined -rpath /nowhere $(WIF_LDFLAGS)
MOCK_ENTRY = -export-symbols-regex '^wif_provider_entry$$'
check_LTLIBRARIES += tests/plugins/mock.la
tests_plugins_mock_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_la_LDFLAGS = $(MOCK_LDFLAGS) $(MOCK_ENTRY)
check_LTLIBRARIES += tests/plugins/mock_oldminor.la
tests_plugins_mock_oldminor_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_oldminor_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOCK_NAME='"mock_oldminor"' -DMOCK_OLDMINOR
tests_plugins_mock_oldminor_la_LDFLAGS = $(MOCK_LDFLAGS) $(MOCK_ENTRY)
check_LTLIBRARIES += tests/plugins/mock_newminor.la
tests_plugins_mock_newminor_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_newminor_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOCK_NAME='"mock_newminor"' -DMOCK_NEWMINOR
tests_plugins_mock_newminor_la_LDFLAGS = $(MOCK_LDFLAGS) $(MOCK_ENTRY)
check_LTLIBRARIES += tests/plugins/mock_badmajor.la
tests_plugins_mock_badmajor_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_badmajor_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOCK_NAME='"mock_badmajor"' -DMOCK_BADMAJOR
tests_plugins_mock_badmajor_la_LDFLAGS = $(MOCK_LDFLAGS) $(MOCK_ENTRY)
check_LTLIBRARIES += tests/plugins/mock_short.la
tests_plugins_mock_short_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_short_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOCK_NAME='"mock_short"' -DMOCK_SHORT
tests_plugins_mock_short_la_LDFLAGS = $(MOCK_LDFLAGS) $(MOCK_ENTRY)
check_LTLIBRARIES += tests/plugins/mock_nosym.la
tests_plugins_mock_nosym_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_nosym_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOCK_NAME='"mock_nosym"' -DMOCK_NOSYM
tests_plugins_mock_nosym_la_LDFLAGS = $(MOCK_LDFLAGS) -export-symbols-regex '^wif_provider_entry_typo$$'
check_LTLIBRARIES += tests/plugins/mock_wrongname.la
tests_plugins_mock_wrongname_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_wrongname_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOCK_NAME='"mock_wrongname"' -DMOCK_WRONGNAME
tests_plugins_mock_wrongname_la_LDFLAGS = $(MOCK_LDFLAGS) $(MOCK_ENTRY)
check_LTLIBRARIES += tests/plugins/mock_nofetch.la
tests_plugins_mock_nofetch_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_nofetch_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOCK_NAME='"mock_nofetch"' -DMOCK_NOFETCH
tests_plugins_mock_nofetch_la_LDFLAGS = $(MOCK_LDFLAGS) $(MOCK_ENTRY)
check_LTLIBRARIES += tests/plugins/mock_refuse.la
tests_plugins_mock_refuse_la_SOURCES = tests/plugins/mock.c
tests_plugins_mock_refuse_la_CPPFLAGS = $(AM_CPPFLAGS) -DMOCK_NAME='"mock_refuse"' -DMOCK_REFUSE
tests_plugins_mock_refuse_la_LDFLAGS = $(MOCK_LDFLAGS) $(MOCK_ENTRY)
