# The wif CLI: help, version, usage errors, check-config, providers.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e

run_wif --help
check "--help exits 0" test $RC -eq 0
check "--help lists the commands" contains "$T_DIR/out" "check-config"
run_wif --version
check "--version names the ABI" contains "$T_DIR/out" "provider ABI 1."
run_wif no-such-command
check "unknown command exits 2" test $RC -eq 2
check "unknown command is named" contains "$T_DIR/err" "no-such-command"
run_wif
check "no command exits 2" test $RC -eq 2

# --- providers -------------------------------------------------------------
cat >"$T_DIR/wif.conf" <<CONF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; };
CONF
run_wif -c "$T_DIR/wif.conf" providers -v
check "providers exits 0 with the built plugins" test $RC -eq 0
check "providers lists file" grep -qE '^file +1\.2' "$T_DIR/out"
check "providers lists exec" grep -qE '^exec +1\.2' "$T_DIR/out"
for p in k8s github gcp okta; do
	check "providers lists $p" grep -qE "^$p +1\.2" "$T_DIR/out"
done
check "providers -v shows options" contains "$T_DIR/out" "command"

cat >"$T_DIR/mock.conf" <<CONF
wif = { provider_dir = "$WIF_MOCK_DIR"; };
CONF
run_wif -c "$T_DIR/mock.conf" providers
check "providers exits 1 when a plugin fails to load" test $RC -eq 1
check "old minor shown as 1.0" grep -qE '^mock_oldminor +1\.0' "$T_DIR/out"
check "bad major's load error shown" grep -qE '^mock_badmajor .*load error: .*major 2' "$T_DIR/out"
check "missing symbol's load error shown" grep -qE '^mock_nosym .*does not export wif_provider_entry' "$T_DIR/out"

# --- check-config ----------------------------------------------------------
JWT=$(make_jwt https://issuer.example demo:app https://api.anthropic.com 600)
printf '%s\n' "$JWT" >"$T_DIR/token"
cat >"$T_DIR/good.conf" <<CONF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; };
profiles = (
  { name = "default";
    source = ( { provider = "file"; path = "$T_DIR/token"; } );
    exchange = { type = "anthropic"; federation_rule_id = "fdrl_test1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_test1"; };
  } );
CONF
run_wif check-config "$T_DIR/good.conf"
check "check-config accepts a valid file" test $RC -eq 0
check "check-config names the profiles" contains "$T_DIR/out" "default"

sed 's/fdrl_test1/rule_test1/' "$T_DIR/good.conf" >"$T_DIR/badid.conf"
run_wif check-config "$T_DIR/badid.conf"
check "check-config rejects a malformed rule id" test $RC -eq 3
check "the error names file and line" grep -qF "$T_DIR/badid.conf:5" "$T_DIR/err"
check "the error names the key" contains "$T_DIR/err" "federation_rule_id"

sed 's/provider = "file"/provider = "nosuch"/' "$T_DIR/good.conf" >"$T_DIR/badprov.conf"
run_wif check-config "$T_DIR/badprov.conf"
check "check-config rejects an unknown provider" test $RC -eq 3
check "the error names the provider" contains "$T_DIR/err" "nosuch"

sed 's/path = /pth = /' "$T_DIR/good.conf" >"$T_DIR/badkey.conf"
run_wif check-config "$T_DIR/badkey.conf"
check "check-config rejects an unknown provider key" test $RC -eq 3
check "the error names the unknown key" contains "$T_DIR/err" "pth"

run_wif check-config "$T_DIR/does-not-exist.conf"
check "check-config on a missing file fails" test $RC -eq 3
check "the missing file is named" contains "$T_DIR/err" "does-not-exist.conf"

chmod 666 "$T_DIR/good.conf"
run_wif check-config "$T_DIR/good.conf"
check "check-config refuses a world-writable config" test $RC -eq 3
chmod 644 "$T_DIR/good.conf"

finish
