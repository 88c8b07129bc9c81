# Integration tests of the real wif binary with the real plugins.
EXTRA_DIST += tests/integration/lib.sh
TESTS += tests/integration/cli_basics.sh tests/integration/cli_identity.sh tests/integration/token_flow.sh \
	tests/integration/wifd.sh
TESTS += tests/integration/exec_refresh.sh tests/integration/headroom.sh tests/integration/mint_helper.sh
EXTRA_DIST += tests/integration/exec_refresh.sh tests/integration/headroom.sh tests/integration/mint_helper.sh
EXTRA_DIST += tests/integration/cli_basics.sh tests/integration/cli_identity.sh tests/integration/token_flow.sh \
	tests/integration/wifd.sh tests/integration/wire_client.py
# The k8s, github, gcp and okta providers against the official clients and
# real servers (tests/peers: npm packages pinned by lock files, python3-kubernetes).
TESTS += tests/integration/idp_plugins.sh tests/integration/idp_plugins_ii.sh \
	tests/integration/sigv4_botocore.sh tests/integration/okta_peer_selftest.sh
EXTRA_DIST += tests/integration/idp_plugins_ii.sh tests/emulator/spiffe_agent.py \
	tests/integration/sigv4_botocore.sh tests/integration/sigv4_botocore.py
EXTRA_DIST += tests/integration/idp_plugins.sh tests/integration/same_request.py \
	tests/emulator/idp_emulator.py tests/peers/k8s_client.py \
	tests/peers/cloud/package.json tests/peers/cloud/package-lock.json \
	tests/peers/cloud/gcp_client.mjs tests/peers/cloud/github_client.mjs \
	tests/peers/cloud/azure_client.mjs tests/peers/cloud/aws_client.mjs \
	tests/peers/okta/package.json tests/peers/okta/package-lock.json \
	tests/peers/okta/okta_server.mjs tests/peers/okta/verify_token.mjs \
	tests/peers/okta/mock_server.mjs tests/peers/okta/make_client_assertion.mjs \
	tests/peers/okta/README.md tests/integration/okta_peer_selftest.sh
# (make check builds all, check_PROGRAMS and check_LTLIBRARIES before any test)
clean-local: clean-local-tests
clean-local-tests:
	rm -rf tests/tmp
.PHONY: clean-local-tests

# An application of the consumer API, linked with libwif.so alone.
check_PROGRAMS += tests/integration/libwif_get
tests_integration_libwif_get_SOURCES = tests/integration/libwif_get.c
tests_integration_libwif_get_LDADD = libwif.la
# The peers are installed into the build tree's tests/peers (copies of the
# pinned package*.json and scripts); in an in-tree build that is the source
# folder itself, of which only what npm made goes.
clean-local: clean-local-peers
clean-local-peers:
	rm -rf tests/peers/cloud/node_modules tests/peers/cloud/npm.log tests/peers/cloud/.npm-lock \
		tests/peers/okta/node_modules tests/peers/okta/npm.log tests/peers/okta/.npm-lock
	if test "$(abs_srcdir)" != "$(abs_builddir)"; then rm -rf tests/peers; fi
.PHONY: clean-local-peers
