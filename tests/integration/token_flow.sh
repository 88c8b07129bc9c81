# `wif token` / status / exec / env end to end: the exec provider mints a
# fresh JWT from the demo issuer for every exchange, the Anthropic emulator
# (tests/emulator, verified with the official SDK) validates it; every fault
# of the token endpoint ends in a clear error or a still-valid cached token.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e

STACK="$T_DIR/stack"
"$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" start "$STACK" >/dev/null
trap '"$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" stop "$STACK" >/dev/null 2>&1; t_cleanup' EXIT
. "$STACK/env"
PY=/usr/bin/python3
# The stack exports the SDK's variables; this test passes them explicitly
# where it wants them, so that none leaks into a check by accident.
BASE="$ANTHROPIC_BASE_URL"
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN WIF_CONFIG ANTHROPIC_BASE_URL \
    ANTHROPIC_FEDERATION_RULE_ID ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID \
    ANTHROPIC_WORKSPACE_ID
mkdir -p "$T_DIR/run"; chmod 700 "$T_DIR/run"
export XDG_RUNTIME_DIR="$T_DIR/run"


# conf FILE [extra wif-group settings] [extra profile settings] [source]
MINT_SRC="{ provider = \"exec\";
                 command = [ \"$PY\", \"$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py\", \"mint\",
                             \"$ISSUER_DIR\", \"--iss\", \"$ISSUER_URL\", \"--sub\", \"demo:app\",
                             \"--aud\", \"https://api.anthropic.com\" ]; }"
conf() {
	cat >"$1" <<CONF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR";
        http = { timeout_ms = 2000; connect_timeout_ms = 1000; retries = 3;
                 backoff_ms = 20; budget_ms = 10000; }; $2 };
profiles = (
  { name = "default";
    source = ( ${4:-$MINT_SRC} );
    exchange = { type = "anthropic"; base_url = "$BASE";
                 federation_rule_id = "fdrl_demo1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_demo1"; workspace_id = "wrkspc_demo1"; };
    $3
  } );
CONF
}
conf "$T_DIR/wif.conf" "" ""
W() { run_wif -c "$T_DIR/wif.conf" "$@"; }

# --- the happy path ---------------------------------------------------------
W -vv token
check "token: exit 0" test $RC -eq 0
TOK=$(out)
check "token: raw sk-ant-oat01 token and nothing else" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
check "token: one line of output" test "$(wc -l <"$T_DIR/out")" -eq 1
check "token: the emulator accepted exactly one exchange" test "$(emu_stat exchanges.succeeded)" -eq 1
check "token: never logged" not_contains "$T_DIR/err" "$TOK"
check "token: no JWT in the log" not_contains "$T_DIR/err" "eyJ"
check "token: the log has a fingerprint instead" contains "$T_DIR/err" "sha256:"

W token
check "second token comes from the cache" test "$(out)" = "$TOK"
check "second token made no exchange" test "$(emu_stat exchanges.succeeded)" -eq 1
check "cache dir is 0700" test "$(stat -c %a "$T_DIR/run/wif")" = 700
check "cache files are 0600" test -z "$(find "$T_DIR/run/wif" -type f ! -perm 600)"

W token --format json
check "json format parses with the same token and a sane expiry" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["access_token"]==sys.argv[2] and d["token_type"]=="Bearer" and 0<d["expires_in"]<=600' "$T_DIR/out" "$TOK"
W token --format header
check "header format" test "$(out)" = "Authorization: Bearer $TOK"
W token --format env
check "env format" test "$(out)" = "ANTHROPIC_AUTH_TOKEN='$TOK'"
before=$(emu_stat exchanges.succeeded)
W token --min-valid 700
# (the server issues 600 s tokens: a new one could not meet 700 either, so
# no assertion is spent on trying)
check "--min-valid beyond what the server issues: no exchange for it" test "$(emu_stat exchanges.succeeded)" -eq "$before"
check "--min-valid the server cannot meet: exit 1" test $RC -eq 1
check "--min-valid the server cannot meet: no token printed" test ! -s "$T_DIR/out"
check "--min-valid the server cannot meet: says why and what to do" \
    grep -qE 'profile default: the token is valid for [0-9]+ s, less than --min-valid 700: the server issues tokens for less than that; ask for less' "$T_DIR/err"
W token --min-valid 500
check "--min-valid the token meets: served from the cache" test "$(emu_stat exchanges.succeeded)" -eq "$before"
check "--min-valid met: prints the token" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
TOK=$(out)
W token --format yaml
check "unknown format is a usage error" test $RC -eq 2
W token --min-valid abc
check "bad --min-valid is a usage error" test $RC -eq 2

# --- the request is the one the official SDK sends -----------------------------
emu GET /_emu/requests >"$T_DIR/requests.json"
check "request matches the SDK's (path, headers, body key order, no scope)" $PY - \
    "$T_DIR/requests.json" "$WIF_TOP_SRCDIR/tests/emulator/golden/sdk_exchange_request.json" <<'PYX'
import json, sys
ours = json.load(open(sys.argv[1]))[-1]
sdk = json.load(open(sys.argv[2]))
h = {k: v for k, v in ours["headers"]}
sh = {k: v for k, v in sdk["headers"]}
assert ours["method"] == sdk["method"] == "POST", ours["method"]
assert ours["path"] == sdk["path"] == "/v1/oauth/token", ours["path"]
assert ours["body_keys"] == sdk["body_keys"], (ours["body_keys"], sdk["body_keys"])
for k in ("content-type", "anthropic-beta"):
    assert h[k] == sh[k], (k, h.get(k), sh[k])
assert h["user-agent"].startswith("wif/") and "provider=exec" in h["user-agent"], h["user-agent"]
assert "authorization" not in h and "x-api-key" not in h and "anthropic-version" not in h
assert "scope" not in ours["body_keys"]
for k in sdk["body_keys"]:
    if k != "assertion":
        assert ours["body"][k] == sdk["body"][k], k
PYX

# --- status ------------------------------------------------------------------
W status
check "status: exit 0" test $RC -eq 0
check "status: the wif.conf source is active" grep -qE '\(active\) \* wif.conf' "$T_DIR/out"
check "status: the token is fresh" contains "$T_DIR/out" "fresh"
check "status: last refresh OK with a request-id" grep -qE 'last refresh:.*OK.*request-id req_' "$T_DIR/out"
check "status: identity claims shown" grep -qE 'sub demo:app' "$T_DIR/out"
check "status: only a prefix of the token" not_contains "$T_DIR/out" "$TOK"
W status --json
check "status --json parses, token prefix only" $PY -c '
import json,sys; d=json.load(open(sys.argv[1])); t=d["token"]
assert d["profile"]=="default" and t["state"]=="fresh" and len(t["prefix"])==16
assert sys.argv[2] not in open(sys.argv[1]).read()
assert d["last_refresh"]["ok"] and d["last_refresh"]["request_id"].startswith("req_")' "$T_DIR/out" "$TOK"

ANTHROPIC_API_KEY=sk-ant-api03-shadowshadowshadow W status
check "status: warns loudly about ANTHROPIC_API_KEY" contains "$T_DIR/out" "ANTHROPIC_API_KEY is set"
check "status: never prints the API key" not_contains "$T_DIR/out" "shadowshadowshadow"

ANTHROPIC_FEDERATION_RULE_ID=fdrl_x W status
check "status: a partial federation environment is named with what is missing" \
    grep -qE 'partially configured.*ANTHROPIC_ORGANIZATION_ID' "$T_DIR/out"

# --- the longest profile name the config allows still caches ---------------
LONG=$(printf 'p%.0s' $(seq 128))
sed "s/name = \"default\"/name = \"$LONG\"/" "$T_DIR/wif.conf" >"$T_DIR/long.conf"
before=$(emu_stat exchanges.succeeded)
run_wif -c "$T_DIR/long.conf" token -p "$LONG"
check "128-character profile name: a token" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
check "128-character profile name: no cache warning" not_contains "$T_DIR/err" "cannot write"
run_wif -c "$T_DIR/long.conf" token -p "$LONG"
check "128-character profile name: second call served from the cache" \
    test "$(emu_stat exchanges.succeeded)" -eq $((before + 1))

# --- exec and env --------------------------------------------------------------
ANTHROPIC_API_KEY=sk-ant-api03-xxxx ANTHROPIC_IDENTITY_TOKEN=literal-jwt-marker W exec -- /usr/bin/env
check "exec: runs the command" test $RC -eq 0
check "exec: child gets ANTHROPIC_AUTH_TOKEN" grep -qxF "ANTHROPIC_AUTH_TOKEN=$TOK" "$T_DIR/out"
check "exec: child does not get ANTHROPIC_API_KEY" not_contains "$T_DIR/out" "ANTHROPIC_API_KEY"
check "exec: says it removed ANTHROPIC_API_KEY" contains "$T_DIR/err" "removes it"
check "exec: child does not get a literal identity JWT" not_contains "$T_DIR/out" "literal-jwt-marker"
W exec -- /bin/sh -c 'exit 7'
check "exec: exit status is the child's" test $RC -eq 7
W exec -- /nonexistent/program
check "exec: missing program exits 127" test $RC -eq 127
W env
check "env: export + unset" grep -qxF "export ANTHROPIC_AUTH_TOKEN='$TOK';" "$T_DIR/out"
check "env: unsets the API key" grep -qxF "unset ANTHROPIC_API_KEY;" "$T_DIR/out"

# --- many processes at once: one exchange ------------------------------------
reset
rm -rf "$T_DIR/run/wif"
pids=""
for i in $(seq 1 12); do
	"$WIF_BIN" -c "$T_DIR/wif.conf" token >"$T_DIR/herd.$i" 2>&1 & pids="$pids $!"
done
herd_ok=1
for p in $pids; do wait "$p" || herd_ok=0; done
check "herd: all 12 processes got a token" test $herd_ok -eq 1
check "herd: exactly one exchange" test "$(emu_stat exchanges.succeeded)" -eq 1
check "herd: everyone got the same token" test "$(cat "$T_DIR"/herd.* | sort -u | wc -l)" -eq 1

# --- faults --------------------------------------------------------------------
# f_expect NAME FAULT_JSON RC_WANT TEXT [ATTEMPTS]: a fresh mint under a fault.
f_expect() {
	reset
	fault "$2"
	W token --force
	check "$1: exit $3" test $RC -eq "$3"
	[ -z "$4" ] || check "$1: says \"$4\"" contains "$T_DIR/err" "$4"
	[ -z "${5:-}" ] || check "$1: $5 attempt(s) reached the endpoint" test "$(emu_stat exchanges.attempted)" -eq "$5"
	check "$1: no token or JWT in the error" not_contains "$T_DIR/err" "eyJ"
	fault_pending=$(emu GET /_emu/stats | $PY -c 'import json,sys; print(len(json.load(sys.stdin)["faults_pending"]))')
	[ "$fault_pending" -eq 0 ] || emu POST /_emu/reset '{}' >/dev/null
}
f_expect "503 then success (retried)" '{"mode":"status","status":503,"count":2}' 0 "" 3
f_expect "529 then success" '{"mode":"status","status":529,"count":1}' 0 "" 2
f_expect "429 with retry-after then success" '{"mode":"429","retry_after":1,"count":1}' 0 "" 2
f_expect "408 then success" '{"mode":"status","status":408,"count":1}' 0 "" 2
f_expect "connection closed then success" '{"mode":"refuse","count":1}' 0 "" 2
f_expect "hang then success (timeout, retried)" '{"mode":"hang","count":1}' 0 "" 2
f_expect "5xx without end: gives up" '{"mode":"status","status":500,"count":-1}' 1 "HTTP 500" 4
f_expect "400: fails at once with the message" '{"mode":"status","status":400,"count":-1}' 1 "request-id req_" 1
f_expect "401 once: one retry with a fresh assertion" '{"mode":"status","status":401,"count":1}' 0 "" 2
f_expect "401 always: stops after one retry, with the hint" '{"mode":"status","status":401,"count":-1}' 1 "federation rule" 2
f_expect "redirect is refused" '{"mode":"redirect","count":-1}' 1 "redirect" 1
f_expect "not JSON" '{"mode":"notjson","count":1}' 1 "JSON" 1
f_expect "missing fields" '{"mode":"missing_fields","count":1}' 1 "" 1
f_expect "bad token_type" '{"mode":"bad_token_type","count":1}' 1 "token_type" 1
f_expect "oversized body" '{"mode":"oversized","count":1}' 1 "bytes" 1
f_expect "truncated body" '{"mode":"truncated","count":-1}' 1 "" ""

# --- a valid cached token is served through an outage; never a dying one ---
reset
rm -rf "$T_DIR/run/wif"
conf "$T_DIR/adv.conf" "" "refresh = { advisory = 600; mandatory = 30; };"
run_wif -c "$T_DIR/adv.conf" token
ADV=$(out)
check "advisory: minted" test $RC -eq 0
run_wif -c "$T_DIR/adv.conf" status --json
check "status: the profile's own advisory window (600 s), not the default" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["token"]["state"].startswith("advisory window"), d["token"]["state"]' "$T_DIR/out"
# While one process refreshes (holds the key's lock), others in the advisory
# window do not queue behind it: they serve the cached token at once.
lock=$(echo "$T_DIR"/run/wif/default-*.lock)
$PY -c 'import fcntl,sys,time
f=open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX); time.sleep(120)' "$lock" & holder=$!
i=0; while flock -n "$lock" true && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
att=$(emu_stat exchanges.attempted)
run_wif -c "$T_DIR/adv.conf" token
check "advisory, another process refreshing: the cached token at once" test "$(out)" = "$ADV"
check "advisory, another process refreshing: no exchange attempted" test "$(emu_stat exchanges.attempted)" -eq "$att"
kill $holder 2>/dev/null; wait $holder 2>/dev/null || true
fault '{"mode":"status","status":503,"count":-1}'
run_wif -c "$T_DIR/adv.conf" token
cp "$T_DIR/err" "$T_DIR/adv.err"
check "advisory outage: the cached token is still served" test "$(out)" = "$ADV"
check "advisory outage: exit 0" test $RC -eq 0
check "advisory outage: says the refresh failed" contains "$T_DIR/err" "serving the cached token"
att=$(emu_stat exchanges.attempted)
run_wif -c "$T_DIR/adv.conf" token
check "advisory outage, just failed: the next caller backs off (same token)" test "$(out)" = "$ADV"
check "advisory outage, just failed: no new exchange attempt" test "$(emu_stat exchanges.attempted)" -eq "$att"
run_wif -c "$T_DIR/adv.conf" status
check "advisory outage: status shows the last error" grep -qE 'last error:.*503' "$T_DIR/out"
reset
conf "$T_DIR/mand.conf" "" "refresh = { advisory = 601; mandatory = 600; };"
run_wif -c "$T_DIR/mand.conf" token
check "mandatory: minted" test $RC -eq 0
fault '{"mode":"status","status":503,"count":-1}'
run_wif -c "$T_DIR/mand.conf" token
check "mandatory outage: no token inside the mandatory window" test $RC -eq 1
check "mandatory outage: nothing on stdout" test ! -s "$T_DIR/out"
reset

# --- single-use assertions: a file that did not rotate is not re-sent --------
$PY "$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" \
    --sub demo:app --aud https://api.anthropic.com --out "$T_DIR/jwt"
conf "$T_DIR/file.conf" "" "" "{ provider = \"file\"; path = \"$T_DIR/jwt\"; }"
run_wif -c "$T_DIR/file.conf" token
check "file source: first exchange works" test $RC -eq 0
run_wif -c "$T_DIR/file.conf" token --force
check "file source, same JWT: refused before sending" test $RC -eq 1
check "file source, same JWT: says it was already exchanged" contains "$T_DIR/err" "already exchanged"
check "file source, same JWT: the server saw one exchange, no 401" test "$(emu_stat exchanges.attempted)" -eq 1
check "file source, same JWT: no denial provoked" test "$(emu_stat exchanges.denied)" -eq 0

# --- zero-config: only the SDK's environment variables ------------------------
$PY "$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" \
    --sub demo:app --aud https://api.anthropic.com --out "$T_DIR/zjwt"
chmod 644 "$T_DIR/zjwt"
zc() { # run wif with only the SDK env, as an unprivileged user when we are root
	mkdir -p "$T_DIR/zrun"; chmod 700 "$T_DIR/zrun"
	as=""
	if [ "$(id -u)" -eq 0 ]; then
		chown 65534:65534 "$T_DIR/zrun"
		as="setpriv --reuid=65534 --regid=65534 --clear-groups"
	fi
	set +e
	$as env -i PATH=/usr/bin:/bin HOME="$T_DIR/zrun" XDG_RUNTIME_DIR="$T_DIR/zrun" \
	    WIF_PROVIDER_DIR="$WIF_PLUGIN_BUILD_DIR" ANTHROPIC_BASE_URL="$BASE" \
	    ANTHROPIC_FEDERATION_RULE_ID=fdrl_demo1 \
	    ANTHROPIC_ORGANIZATION_ID=00000000-0000-4000-8000-000000000001 \
	    ANTHROPIC_SERVICE_ACCOUNT_ID=svac_demo1 ANTHROPIC_WORKSPACE_ID=wrkspc_demo1 \
	    ANTHROPIC_IDENTITY_TOKEN_FILE="$T_DIR/zjwt" ASAN_OPTIONS="$ASAN_OPTIONS" \
	    WIF_CLI="$WIF_CLI" \
	    "$WIF_BIN" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	RC=$?
	set -e
}
chmod 755 "$T_DIR"
reset
zc token
check "zero-config: a token from the SDK environment alone" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
check "zero-config: one exchange" test "$(emu_stat exchanges.succeeded)" -eq 1
zc status
check "zero-config: status names the environment federation as active" \
    grep -qE '\(active\) \* federation environment' "$T_DIR/out"

finish
