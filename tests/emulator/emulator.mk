# tests/emulator/emulator.mk - the Anthropic token-endpoint emulator, the demo
# OIDC issuer, their own tests, and the official-SDK proof (tests/node pins it).
TESTS += tests/integration/emulator_selftest.sh tests/integration/sdk_emulator.sh
EXTRA_DIST += \
	tests/integration/emulator_selftest.sh \
	tests/integration/sdk_emulator.sh \
	tests/emulator/README.md \
	tests/emulator/anthropic_emulator.py \
	tests/emulator/emu_verify.py \
	tests/emulator/emu_faults.py \
	tests/emulator/demo_issuer.py \
	tests/emulator/golden_compare.py \
	tests/emulator/run_stack.sh \
	tests/emulator/sdk_wif_flow.mjs \
	tests/emulator/emu_testlib.py \
	tests/emulator/test_emulator.py \
	tests/emulator/test_emulator_faults.py \
	tests/emulator/golden/sdk_exchange_request.json \
	tests/node/package.json \
	tests/node/package-lock.json
clean-local: clean-local-emulator
# The SDK is installed into the build tree's tests/node (a copy of the pinned
# package*.json); in an in-tree build that is the source folder itself.
clean-local-emulator:
	rm -rf tests/node/node_modules tests/node/npm.log tests/node/sdk_wif_flow.mjs \
		tests/emulator/sdk_exchange_request.observed.json
	if test "$(abs_srcdir)" != "$(abs_builddir)"; then rm -rf tests/node; fi
.PHONY: clean-local-emulator
