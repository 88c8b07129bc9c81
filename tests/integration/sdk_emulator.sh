#!/bin/sh
# sdk_emulator.sh - the official @anthropic-ai/sdk (pinned in tests/node) against
# the Anthropic emulator: if the SDK's WIF flow is happy, the emulator is realistic;
# and what the SDK sends is the golden exchange request the C core must match.
# Exit 77 only when node is absent; an npm failure is a failure.
set -u
: "${WIF_TOP_SRCDIR:?run through make check}"
: "${WIF_TOP_BUILDDIR:?run through make check}"

command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed"; exit 77; }
py=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
emu_src=$WIF_TOP_SRCDIR/tests/emulator
golden=$emu_src/golden/sdk_exchange_request.json
passes=0 fails=0
pass() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "not ok - $*"; }
finish() { echo "$passes passed, $fails failed"; [ "$fails" -eq 0 ] && exit 0; exit 1; }

# --- the pinned SDK, installed into the build tree (never the source tree)
nd=$WIF_TOP_BUILDDIR/tests/node
mkdir -p "$nd"
if ! cmp -s "$WIF_TOP_SRCDIR/tests/node/package-lock.json" "$nd/package-lock.json" ||
	! cmp -s "$WIF_TOP_SRCDIR/tests/node/package-lock.json" "$nd/node_modules/.package-lock.json.installed"; then
	if [ "$(cd "$WIF_TOP_SRCDIR/tests/node" && pwd -P)" != "$(cd "$nd" && pwd -P)" ]; then # (in-tree: in place)
		cp "$WIF_TOP_SRCDIR/tests/node/package.json" "$WIF_TOP_SRCDIR/tests/node/package-lock.json" "$nd/"
		chmod u+w "$nd/package.json" "$nd/package-lock.json"
	fi
	rm -rf "$nd/node_modules"
	if ! (cd "$nd" && npm ci --no-audit --no-fund >npm.log 2>&1); then
		cat "$nd/npm.log"
		echo "not ok - npm ci in $nd failed"
		echo "0 passed, 1 failed"
		exit 1
	fi
	# (marks a complete install: a half-finished one is redone next time)
	cp "$nd/package-lock.json" "$nd/node_modules/.package-lock.json.installed"
fi
cp "$emu_src/sdk_wif_flow.mjs" "$nd/sdk_wif_flow.mjs"
chmod u+w "$nd/sdk_wif_flow.mjs"

mkdir -p "$WIF_TOP_BUILDDIR/tests/tmp"
T=$(mktemp -d "$WIF_TOP_BUILDDIR/tests/tmp/sdk_emulator.XXXXXX")
chmod 755 "$T"
stack=$T/stack
# shellcheck disable=SC2317
cleanup() { "$emu_src/run_stack.sh" stop "$stack" >/dev/null 2>&1; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 1' INT TERM
if ! "$emu_src/run_stack.sh" start "$stack" >/dev/null; then
	echo "not ok - run_stack.sh start"; echo "0 passed, 1 failed"; exit 1
fi
# shellcheck disable=SC1091
. "$stack/env"
mkdir -p "$T/home"

# q SOURCE EXPR: evaluate a Python expression over d = the JSON of SOURCE (URL or file)
q() {
	"$py" - "$1" "$2" <<'PY'
import json, sys, urllib.request
src, expr = sys.argv[1], sys.argv[2]
if src.startswith("http://"):
    with urllib.request.urlopen(src, timeout=10) as r:
        d = json.load(r)
else:
    with open(src) as f:
        d = json.load(f)
v = eval(expr, {"d": d})
print(v if isinstance(v, str) else json.dumps(v))
PY
}
expect() { # expect NAME SOURCE EXPR WANT
	got=$(q "$2" "$3" 2>&1)
	if [ "$got" = "$4" ]; then pass "$1"; else fail "$1: $3 = $got, want $4"; fi
}
post() { "$py" -c 'import sys, urllib.request as u; u.urlopen(u.Request(sys.argv[1], data=sys.argv[2].encode(), method="POST"), timeout=10).read()' "$EMU_URL$1" "$2"; }
mint() { "$py" "$emu_src/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" --sub demo:app --aud https://api.anthropic.com --out "$T/idtok"; }
# sdk SCENARIO [VAR=VALUE...]: the SDK with a clean environment (no API key, no real profile)
sdk() {
	scen=$1; shift
	(cd "$nd" && env -i PATH="$PATH" HOME="$T/home" "$@" node sdk_wif_flow.mjs "$scen") >"$T/out" 2>"$T/err"
}
fed_env="ANTHROPIC_BASE_URL=$ANTHROPIC_BASE_URL ANTHROPIC_FEDERATION_RULE_ID=$ANTHROPIC_FEDERATION_RULE_ID
ANTHROPIC_ORGANIZATION_ID=$ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID=$ANTHROPIC_SERVICE_ACCOUNT_ID
ANTHROPIC_WORKSPACE_ID=$ANTHROPIC_WORKSPACE_ID ANTHROPIC_IDENTITY_TOKEN_FILE=$T/idtok EMU_URL=$EMU_URL"

# --- 1. env-only federation: one exchange, one message, the golden request
mint
# shellcheck disable=SC2086
if sdk basic $fed_env && grep -q '"ok":true' "$T/out"; then pass "SDK messages.create through federation env vars"
else fail "SDK basic flow: $(cat "$T/out" "$T/err")"; fi
expect "reply text" "$T/out" 'd["result"]["text"]' "hello from the emulator"
expect "exactly 1 exchange attempted" "$EMU_URL/_emu/stats" 'd["exchanges"]["attempted"]' 1
expect "exactly 1 exchange succeeded" "$EMU_URL/_emu/stats" 'd["exchanges"]["succeeded"]' 1
expect "exactly 1 message" "$EMU_URL/_emu/stats" '[d["messages"]["attempted"], d["messages"]["succeeded"]]' "[1, 1]"
curl_req() { "$py" -c 'import sys, urllib.request as u; sys.stdout.write(u.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
curl_req "$EMU_URL/_emu/requests" >"$T/exch.json"
curl_req "$EMU_URL/_emu/requests?endpoint=messages" >"$T/msgs.json"
expect "exchange path" "$T/exch.json" 'd[0]["method"] + " " + d[0]["path"]' "POST /v1/oauth/token"
expect "exchange content-type" "$T/exch.json" '[v for n, v in d[0]["headers"] if n == "content-type"]' '["application/json"]'
expect "exchange anthropic-beta" "$T/exch.json" '[v for n, v in d[0]["headers"] if n == "anthropic-beta"]' \
	'["oauth-2025-04-20,oidc-federation-2026-04-01"]'
expect "exchange user-agent is the client's" "$T/exch.json" '[v for n, v in d[0]["headers"] if n == "user-agent"]' \
	'["Anthropic/JS 1.12.0"]'
expect "exchange body key order" "$T/exch.json" '",".join(d[0]["body_keys"])' \
	"grant_type,assertion,federation_rule_id,organization_id,service_account_id,workspace_id"
expect "exchange sends no scope" "$T/exch.json" '"scope" in d[0]["body"]' "false"
expect "exchange sends no auth or version header" "$T/exch.json" \
	'[n for n, v in d[0]["headers"] if n in ("authorization", "x-api-key", "anthropic-version")]' "[]"
expect "exchange assertion recorded redacted" "$T/exch.json" 'd[0]["body"]["assertion"].startswith("<redacted:sha256:")' "true"
expect "messages call carries the oat01 bearer" "$T/msgs.json" \
	'[v.split("<")[0] for n, v in d[0]["headers"] if n == "authorization"]' '["Bearer sk-ant-oat01-"]'
expect "messages call carries the oauth beta" "$T/msgs.json" \
	'"oauth-2025-04-20" in [b.strip() for n, v in d[0]["headers"] if n == "anthropic-beta" for b in v.split(",")]' "true"
expect "messages call: the oauth beta alone (no federation beta), anthropic-version 2026-10-21" "$T/msgs.json" \
	'[v for n, v in d[0]["headers"] if n in ("anthropic-beta", "anthropic-version")]' '["2026-10-21", "oauth-2025-04-20"]'
expect "messages call sends no x-api-key" "$T/msgs.json" '[n for n, v in d[0]["headers"] if n == "x-api-key"]' "[]"
# The freshly observed request, for the C side, in the build tree; it must match the committed golden.
mkdir -p "$WIF_TOP_BUILDDIR/tests/emulator"
"$py" "$emu_src/golden_compare.py" normalise "$T/exch.json" >"$WIF_TOP_BUILDDIR/tests/emulator/sdk_exchange_request.observed.json"
if "$py" "$emu_src/golden_compare.py" compare "$golden" "$T/exch.json" --user-agent >"$T/cmp" 2>&1; then
	pass "SDK request matches golden/sdk_exchange_request.json"
else fail "golden: $(cat "$T/cmp")"; fi
if grep -q "$(cat "$T/idtok")" "$stack/exchanges.jsonl" "$stack/emu.log" "$T/exch.json"; then
	fail "an assertion reached the emulator's record or log"
else pass "record and log hold no assertion"; fi

# --- 2. an API 401 makes the SDK re-exchange once (a fresh JWT is needed: §2.3)
post /_emu/reset '{}'
mint
mint_argv=$("$py" -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$py" "$emu_src/demo_issuer.py" mint \
	"$ISSUER_DIR" --iss "$ISSUER_URL" --sub demo:app --aud https://api.anthropic.com --out "$T/idtok")
# shellcheck disable=SC2086
if sdk revoke-retry $fed_env "SDK_FLOW_MINT=$mint_argv" && grep -q '"ok":true' "$T/out"; then
	pass "SDK recovers from an API 401 by re-exchanging"
else fail "revoke-retry: $(cat "$T/out" "$T/err")"; fi
expect "401 retry: 2 exchanges, 3 message attempts (1 denied)" "$EMU_URL/_emu/stats" \
	'[d["exchanges"]["succeeded"], d["messages"]["attempted"], d["messages_denied_by_reason"]]' '[2, 3, {"unknown_token": 1}]'

# The 401 re-exchange is part of the SDK's retry loop: with maxRetries 0 there is none.
post /_emu/reset '{}'
mint
# shellcheck disable=SC2086
if sdk revoke-no-retries $fed_env "SDK_FLOW_MINT=$mint_argv"; then fail "maxRetries 0 recovered from a 401"
else expect "maxRetries 0: the API 401 surfaces" "$T/out" 'd["status"]' 401; fi
expect "maxRetries 0: 1 exchange, 2 message attempts (1 denied)" "$EMU_URL/_emu/stats" \
	'[d["exchanges"]["attempted"], d["messages"]["attempted"], d["messages_denied_by_reason"]]' '[1, 2, {"unknown_token": 1}]'

# Env-only federation needs a config root (ANTHROPIC_CONFIG_DIR, XDG_CONFIG_HOME or HOME),
# though nothing is read there: without one the SDK resolves no credentials at all.
post /_emu/reset '{}'
mint
# shellcheck disable=SC2086
if (cd "$nd" && env -i PATH="$PATH" $fed_env node sdk_wif_flow.mjs basic) >"$T/out" 2>"$T/err"; then
	fail "federation worked without any config root"
else expect "no HOME: the SDK finds no credentials" "$T/out" '"Could not resolve authentication method" in d["error"]' "true"; fi
expect "no HOME: no exchange attempted" "$EMU_URL/_emu/stats" 'd["exchanges"]["attempted"]' 0

# --- 3. the same JWT twice: the emulator refuses the replay, the SDK surfaces a 401
post /_emu/reset '{}'
mint
# shellcheck disable=SC2086
if sdk revoke-retry $fed_env 'SDK_FLOW_MINT=["/bin/true"]'; then fail "replayed JWT was accepted"
else expect "SDK reports the replay as a 401" "$T/out" '[d["status"], "Token exchange failed with status 401" in d["error"]]' '[401, true]'; fi
expect "replay denied as jti_reused" "$EMU_URL/_emu/stats" 'd["denied_by_reason"]' '{"jti_reused": 1}'

# --- 4. exchange faults: the SDK never retries the exchange itself (basic keeps the
# default maxRetries 2; the exchange runs in buildRequest, outside the retry loop)
post /_emu/reset '{}'
post /_emu/fault '{"mode": "status", "status": 503}'
mint
# shellcheck disable=SC2086
if sdk basic $fed_env; then fail "503 from the token endpoint was not an error"
else expect "SDK reports the 503 with the request-id" "$T/out" \
	'"Token exchange failed with status 503 (request-id req_" in d["error"]' "true"; fi
expect "exchange not retried by the SDK" "$EMU_URL/_emu/stats" '[d["exchanges"]["attempted"], d["faults_served"]]' '[1, {"status": 1}]'
post /_emu/reset '{}'
post /_emu/fault '{"mode": "redirect"}'
# shellcheck disable=SC2086
if sdk basic $fed_env; then fail "a 307 from the token endpoint was followed"
else expect "SDK does not follow a redirect" "$EMU_URL/_emu/stats" 'd["redirects_followed"]' 0; fi
post /_emu/reset '{}'
post /_emu/fault '{"mode": "missing_fields", "omit": "expires_in"}'
# shellcheck disable=SC2086
if sdk basic $fed_env; then fail "a token response without expires_in was accepted"
else expect "SDK rejects a response without expires_in" "$T/out" '"missing required fields" in d["error"]' "true"; fi
# The fault did not consume the jti: the same JWT still works.
# shellcheck disable=SC2086
if sdk basic $fed_env && grep -q '"ok":true' "$T/out"; then pass "a faulted exchange leaves the JWT usable"
else fail "JWT unusable after faults: $(cat "$T/out")"; fi
# The May-2026 error contract (400 invalid_grant) surfaces through the SDK's redactor.
post /_emu/settings '{"error_style": "rfc6749"}'
# shellcheck disable=SC2086
if sdk basic $fed_env; then fail "a replay was accepted in rfc6749 mode"
else expect "SDK shows 400 invalid_grant" "$T/out" '[d["status"], "invalid_grant" in d["error"]]' '[400, true]'; fi

# --- 5. profile mode: disk cache in <config_dir>/credentials/<profile>.json
post /_emu/reset '{}'
mint
cfg=$T/config
mkdir -p "$cfg/configs"
cat >"$cfg/configs/default.json" <<EOF
{"authentication": {"type": "oidc_federation", "federation_rule_id": "$ANTHROPIC_FEDERATION_RULE_ID",
  "service_account_id": "$ANTHROPIC_SERVICE_ACCOUNT_ID", "identity_token": {"source": "file", "path": "$T/idtok"}},
 "organization_id": "$ANTHROPIC_ORGANIZATION_ID", "workspace_id": "$ANTHROPIC_WORKSPACE_ID", "base_url": "$EMU_URL"}
EOF
ok=1
for run in first second; do
	if ! { sdk basic ANTHROPIC_CONFIG_DIR="$cfg" ANTHROPIC_PROFILE=default && grep -q '"ok":true' "$T/out"; }; then
		ok=0
		echo "# $run run failed"
	fi
done
if [ $ok = 1 ]; then pass "profile mode: two processes succeed"; else fail "profile mode: $(cat "$T/out" "$T/err")"; fi
expect "profile mode: the second process used the disk cache" "$EMU_URL/_emu/stats" \
	'[d["exchanges"]["attempted"], d["messages"]["succeeded"]]' '[1, 2]'
expect "credentials file and dir modes" "$cfg/configs/default.json" \
	'[oct(__import__("os").stat(p).st_mode & 0o777) for p in ("'"$cfg"'/credentials", "'"$cfg"'/credentials/default.json")]' \
	'["0o700", "0o600"]'
expect "credentials file format" "$cfg/credentials/default.json" \
	'[sorted(d), d["version"], d["type"], d["access_token"][:13], 500 < d["expires_at"] - __import__("time").time() <= 600]' \
	'[["access_token", "expires_at", "type", "version"], "1.0", "oauth_token", "sk-ant-oat01-", true]'
if sdk cached-token ANTHROPIC_CONFIG_DIR="$cfg" ANTHROPIC_PROFILE=default; then
	expect "cached token resolves with no network" "$T/out" '[d["fetches"], d["token_prefix"]]' '[0, "sk-ant-oat01-"]'
else fail "cached-token: $(cat "$T/out" "$T/err")"; fi
finish
