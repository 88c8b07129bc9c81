#!/bin/sh
# emulator_selftest.sh - the Anthropic emulator and the demo issuer tested with
# raw HTTP (tests/emulator/test_emulator.py), then run_stack.sh start/stop in
# each JWKS mode, as the demo and the C integration tests use it.
set -u
: "${WIF_TOP_SRCDIR:?run through make check}"
: "${WIF_TOP_BUILDDIR:?run through make check}"

py=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
emu_src=$WIF_TOP_SRCDIR/tests/emulator
passes=0 fails=0
pass() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "not ok - $*"; }

"$py" -c 'import jwt, cryptography' 2>/dev/null || {
	echo "not ok - /usr/bin/python3 lacks python3-jwt / python3-cryptography (apt-get install python3-jwt python3-cryptography)"
	echo "0 passed, 1 failed"
	exit 1
}
mkdir -p "$WIF_TOP_BUILDDIR/tests/tmp"
T=$(mktemp -d "$WIF_TOP_BUILDDIR/tests/tmp/emulator_selftest.XXXXXX")
chmod 755 "$T"
stacks=""
cleanup() {
	for s in $stacks; do "$emu_src/run_stack.sh" stop "$s" >/dev/null 2>&1; done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- 1. unit-level: every validation and fault over raw HTTP
EMU_TEST_DIR=$T/unit "$py" "$emu_src/test_emulator.py" >"$T/unit.out" 2>&1
rc=$?
cat "$T/unit.out"
last=$(tail -n 1 "$T/unit.out")
case $last in
*" passed, "*" failed")
	p=${last%% passed*}; f=${last#*, }; f=${f%% failed}
	passes=$((passes + p)); fails=$((fails + f))
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || fail "test_emulator.py exited $rc" ;;
*) fail "test_emulator.py did not finish (exit $rc)" ;;
esac

# --- 2. run_stack.sh: start, env, a real exchange with the documented mint line, stop
exchange() { # exchange EMU_URL JWT -> prints the HTTP status
	"$py" - "$1" "$2" <<'PY'
import json, sys, urllib.request, urllib.error
url, jwt = sys.argv[1], sys.argv[2]
body = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": jwt,
        "federation_rule_id": "fdrl_demo1", "organization_id": "00000000-0000-4000-8000-000000000001",
        "service_account_id": "svac_demo1", "workspace_id": "wrkspc_demo1"}
req = urllib.request.Request(url + "/v1/oauth/token", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(req, timeout=10) as r:
        print(r.status, json.load(r)["expires_in"])
except urllib.error.HTTPError as e:
    print(e.code)
PY
}
# running PID: alive and not a zombie (a zombie's cmdline is empty; init reaps it later)
running() { [ -n "$( (tr -d '\0' <"/proc/$1/cmdline") 2>/dev/null)" ]; }
for mode in inline url discovery; do
	st=$T/stack-$mode
	stacks="$stacks $st"
	if WIF_EMU_JWKS=$mode "$emu_src/run_stack.sh" start "$st" >"$T/start.out" 2>&1; then
		pass "run_stack start ($mode)"
	else
		fail "run_stack start ($mode): $(cat "$T/start.out")"
		continue
	fi
	# shellcheck disable=SC1090,SC1091
	if (
		. "$st/env"
		for v in EMU_URL ISSUER_URL ISSUER_DIR EMU_PID ISSUER_PID ANTHROPIC_BASE_URL ANTHROPIC_FEDERATION_RULE_ID \
			ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID ANTHROPIC_WORKSPACE_ID; do
			eval "val=\${$v:-}"
			[ -n "$val" ] || { echo "missing $v"; exit 1; }
		done
		[ "$ANTHROPIC_BASE_URL" = "$EMU_URL" ] && [ "$ANTHROPIC_WORKSPACE_ID" = wrkspc_demo1 ] || exit 1
		jwt=$(/usr/bin/python3 "$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" \
			--sub demo:app --aud https://api.anthropic.com) || exit 1
		got=$(exchange "$EMU_URL" "$jwt")
		# expires_in is capped by what the 600 s assertion has left, which
		# shrinks by the time minting and exchanging take on a loaded machine
		case $got in "200 "*) n=${got#200 } ;; *) n=0 ;; esac
		[ "$n" -ge 540 ] && [ "$n" -le 600 ] || { echo "first exchange: $got"; exit 1; }
		# the same JWT again: single use
		[ "$(exchange "$EMU_URL" "$jwt")" = "401" ] || exit 1
		jwt2=$(/usr/bin/python3 "$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" \
			--sub prod:app --aud https://api.anthropic.com)
		[ "$(exchange "$EMU_URL" "$jwt2")" = "401" ] || exit 1
	) >"$T/env.out" 2>&1; then
		pass "env file + documented mint line + exchange ($mode)"
	else fail "stack use ($mode): $(cat "$T/env.out")"; fi
	# shellcheck disable=SC2016
	if grep -qF 'demo_issuer.py mint $ISSUER_DIR --iss $ISSUER_URL --sub demo:app --aud https://api.anthropic.com' "$st/env"; then
		pass "env documents the mint command ($mode)"
	else fail "env lacks the mint command ($mode)"; fi
	emu_pid=$(sed -n "s/^export EMU_PID='\([0-9]*\)'$/\1/p" "$st/env")
	iss_pid=$(sed -n "s/^export ISSUER_PID='\([0-9]*\)'$/\1/p" "$st/env")
	if "$emu_src/run_stack.sh" stop "$st" && ! running "$emu_pid" && ! running "$iss_pid"; then
		pass "run_stack stop kills both ($mode)"
	else
		fail "run_stack stop ($mode)"
	fi
done
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
