# `wif token` as Claude Code's apiKeyHelper: Claude Code keeps the helper's
# answer for 5 minutes, so without --min-valid wif hands out a token with at
# least WIF_HEADROOM (300 s) left whenever the server issues tokens that
# long - a cached token with less is renewed first - and never spends an
# exchange per call when it issues shorter ones.  The emulator issues 310-s
# tokens (run_stack.sh's WIF_EMU_TOKEN_LIFETIME), so a token falls under
# 300 s after ~11 s; then 200-s tokens.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e

STACK="$T_DIR/stack"
start_stack() { WIF_EMU_TOKEN_LIFETIME=$1 "$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" start "$STACK" >/dev/null; . "$STACK/env"; }
stop_stack() { "$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" stop "$STACK" >/dev/null 2>&1 || true; }
trap 'stop_stack; t_cleanup' EXIT
start_stack 310
PY=/usr/bin/python3
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN WIF_CONFIG ANTHROPIC_FEDERATION_RULE_ID \
    ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID ANTHROPIC_WORKSPACE_ID \
    ANTHROPIC_IDENTITY_TOKEN
mkdir -p "$T_DIR/run"; chmod 700 "$T_DIR/run"
export XDG_RUNTIME_DIR="$T_DIR/run"
write_conf() {
	cat >"$T_DIR/wif.conf" <<CONF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR";
        http = { timeout_ms = 2000; connect_timeout_ms = 1000; retries = 2;
                 backoff_ms = 20; budget_ms = 5000; }; };
profiles = (
  { name = "default";
    source = ( { provider = "exec";
                 command = [ "$PY", "$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py", "mint",
                             "$ISSUER_DIR", "--iss", "$ISSUER_URL", "--sub", "demo:app",
                             "--aud", "https://api.anthropic.com" ]; } );
    exchange = { type = "anthropic"; base_url = "$ANTHROPIC_BASE_URL";
                 federation_rule_id = "fdrl_demo1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_demo1"; workspace_id = "wrkspc_demo1"; };
  } );
CONF
}
write_conf
W() { run_wif -c "$T_DIR/wif.conf" "$@"; }
field() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$T_DIR/out" "$1"; }

W token --format json
check "a token (310 s)" test "$(field expires_in)" -gt 300
A=$(field access_token); A_EXP=$(field expires_at)
ex=$(emu_stat exchanges.succeeded)
# wait until A has less than 300 s left
while [ "$(date +%s)" -le $((A_EXP - 300)) ]; do sleep 0.5; done
W token --min-valid 0 --format json
check "--min-valid 0: the cached token, now under 300 s, with no exchange" \
    test "$(field access_token)" = "$A" -a "$(field expires_in)" -lt 300 -a "$(emu_stat exchanges.succeeded)" -eq "$ex"
W token --format json
check "without --min-valid (apiKeyHelper): a new token with at least 300 s left" \
    test "$(field access_token)" != "$A" -a "$(field expires_in)" -ge 300
check "  for one exchange" test "$(emu_stat exchanges.succeeded)" -eq $((ex + 1))
B=$(field access_token)
W token
check "  the raw answer (what Claude Code reads) is that token, from the cache" \
    test "$(out)" = "$B" -a "$(emu_stat exchanges.succeeded)" -eq $((ex + 1))

# tokens issued for less than the headroom: served, not re-minted per call
stop_stack
rm -rf "$T_DIR/run/wif"
start_stack 200
write_conf
W token --format json
C=$(field access_token)
ex=$(emu_stat exchanges.succeeded)
W token --format json
W token --format json
check "200-s tokens: the headroom cannot be met, so no exchange per call" \
    test "$(field access_token)" = "$C" -a "$(emu_stat exchanges.succeeded)" -eq "$ex"
W token --min-valid 250
check "an explicit --min-valid beyond the issued lifetime: exit 1, no token" test "$RC" -eq 1 -a ! -s "$T_DIR/out"
check "  says the server issues shorter tokens" grep -q "the server issues tokens for less than that; ask for less" "$T_DIR/err"
check "  and spent no exchange" test "$(emu_stat exchanges.succeeded)" -eq "$ex"
finish
