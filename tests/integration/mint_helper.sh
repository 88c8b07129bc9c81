# wifd's mint helper (wifd-mint(8)): wifd itself maps no libcurl, OpenSSL
# or provider plugin; minting runs in a helper it starts on demand and ends
# when idle.  Proven here on the real processes: their /proc maps, their
# pids, a helper killed in the middle of a mint, a configuration edited on
# disk without a reload, a reload the helper refuses, a helper file with
# unsafe permissions, wifd killed under a running helper.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e

WIFD_PID=""
stop_wifd() {
	[ -n "$WIFD_PID" ] || return 0
	kill -TERM "$WIFD_PID" 2>/dev/null || true
	wait "$WIFD_PID" 2>/dev/null || true
	WIFD_PID=""
}
STACK="$T_DIR/stack"
"$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" start "$STACK" >/dev/null
on_exit() {
	stop_wifd
	if [ "$T_FAILS" -ne 0 ] && [ -f "$T_DIR/wifd.log" ]; then
		echo "--- last lines of wifd's log"; tail -40 "$T_DIR/wifd.log"
	fi
	"$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" stop "$STACK" >/dev/null 2>&1
	t_cleanup
}
trap on_exit EXIT
. "$STACK/env"
PY=/usr/bin/python3
BASE="$ANTHROPIC_BASE_URL"
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN WIF_CONFIG ANTHROPIC_BASE_URL \
    ANTHROPIC_FEDERATION_RULE_ID ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID \
    ANTHROPIC_WORKSPACE_ID ANTHROPIC_PROFILE ANTHROPIC_CONFIG_DIR WIF_MINT_HELPER
WIFD="$WIF_TOP_BUILDDIR/modules/wifd/wifd"
HELPER="$WIF_TOP_BUILDDIR/modules/wifd/wifd-mint"
SOCK="$T_DIR/wifd.sock"
export WIF_SOCKET="$SOCK"
mkdir -p "$T_DIR/run"; chmod 700 "$T_DIR/run"
export XDG_RUNTIME_DIR="$T_DIR/run"
WIRE="$PY $WIF_TOP_SRCDIR/tests/integration/wire_client.py $SOCK"
TOKRE='sk-ant-oat01-[A-Za-z0-9_-]+'

# The identity source: the demo issuer, after an optional pause (a file
# holding seconds) so that a mint can be caught in flight.
echo 0 >"$T_DIR/pause"
cat >"$T_DIR/mint.sh" <<EOF
#!/bin/sh
sleep "\$(cat "$T_DIR/pause")"
exec $PY "$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" \
    --iss "$ISSUER_URL" --sub "\$1" --aud https://api.anthropic.com
EOF
chmod 755 "$T_DIR/mint.sh"
write_conf() { # write_conf SUB BASE_URL
	cat >"$T_DIR/wif.conf" <<CONF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; socket = "$SOCK";
        http = { timeout_ms = 2000; connect_timeout_ms = 1000; retries = 1;
                 backoff_ms = 20; budget_ms = 4000; }; };
profiles = (
  { name = "default";
    source = ( { provider = "exec"; command = [ "$T_DIR/mint.sh", "$1" ]; } );
    exchange = { type = "anthropic"; base_url = "$2";
                 federation_rule_id = "fdrl_demo1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_demo1"; workspace_id = "wrkspc_demo1"; }; } );
CONF
	chmod 600 "$T_DIR/wif.conf"
}
write_conf demo:app "$BASE"
start_wifd() { # start_wifd [wifd args...]
	"$WIFD" -c "$T_DIR/wif.conf" -v -v "$@" >>"$T_DIR/wifd.log" 2>&1 &
	WIFD_PID=$!
	for _ in $(seq 200); do $WIRE request op=ping >/dev/null 2>&1 && return 0; sleep 0.05; done
	return 1
}
helper_pid() { pgrep -P "$WIFD_PID" -x wifd-mint || true; }
maps_have() { grep -qE "$2" "/proc/$1/maps"; }
status_json() { "$WIF_BIN" status --json >"$T_DIR/status.json" 2>"$T_DIR/status.err"; }
jq_() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T_DIR/status.json" "$1"; }

# --- 1. what wifd maps, what the helper maps ----------------------------------
check "wifd starts (its helper checked the configuration)" start_wifd --mint-linger 2
H1=$(helper_pid)
check "  a helper runs right after start (it checked the sources)" test -n "$H1"
check "wifd maps no libcurl" not_contains "/proc/$WIFD_PID/maps" "libcurl"
check "wifd maps no libcrypto or libssl" sh -c "! grep -qE 'libcrypto|libssl' /proc/$WIFD_PID/maps"
check "wifd maps no provider plugin" sh -c "! grep -q '$WIF_PLUGIN_BUILD_DIR' /proc/$WIFD_PID/maps"
check "the helper maps libcurl and the exec plugin" sh -c "grep -q libcurl /proc/$H1/maps && grep -q '$WIF_PLUGIN_BUILD_DIR/exec.so' /proc/$H1/maps"
run_wif token
check "wif token through wifd: a token minted by the helper" grep -qxE "$TOKRE" "$T_DIR/out"
T1=$(out)
status_json
check "wif status --json names the running helper" test "$(jq_ 'd["daemon"]["mint_helper"]["pid"]')" -gt 0
"$WIF_BIN" status >"$T_DIR/status.txt" 2>&1 || true
check "wif status says so in words" grep -q "mint helper: wifd-mint pid" "$T_DIR/status.txt"
check "the audit line carries the token's sha256 prefix (hashed by the helper)" \
    grep -qE 'token_sha256=[0-9a-f]{12}' "$T_DIR/wifd.log"

# --- 2. the helper ends when idle; the next mint starts a new one -------------
gone() { [ -z "$(helper_pid)" ]; }
check "an idle helper ends after --mint-linger" eventually gone
status_json
check "  wif status: not running, 1 started so far" test "$(jq_ 'd["daemon"]["mint_helper"]["pid"]')" -eq 0 -a "$(jq_ 'd["daemon"]["mint_helper"]["started"]')" -eq 1
check "  its end was orderly (exit status 0 logged at debug level)" grep -q "idle mint helper (pid $H1) exited with status 0" "$T_DIR/wifd.log"
run_wif token
check "  a cached token needs no helper" test "$(out)" = "$T1" -a -z "$(helper_pid)"
$WIRE request op=flush profile=default >/dev/null
run_wif token
check "after a flush the next request starts a new helper and gets a new token" \
    test "$RC" -eq 0 -a "$(out)" != "$T1"
status_json
check "  2 helpers started so far" test "$(jq_ 'd["daemon"]["mint_helper"]["started"]')" -eq 2

# --- 3. the helper killed in the middle of a mint -----------------------------
echo 3 >"$T_DIR/pause"
$WIRE request op=flush profile=default >/dev/null
"$WIF_BIN" token >"$T_DIR/k.out" 2>"$T_DIR/k.err" &
waiter=$!
has_helper() { [ -n "$(helper_pid)" ]; }
eventually has_helper
sleep 0.5
kill -9 "$(helper_pid)"
rc=0; wait $waiter || rc=$?
check "the consumer waiting on a killed helper gets an error, not a hang" test "$rc" -ne 0 -a ! -s "$T_DIR/k.out"
check "  naming the helper and the signal" grep -q "mint helper (pid [0-9]*) was killed by signal 9" "$T_DIR/k.err"
check "  wifd logs it" grep -q "was killed by signal 9" "$T_DIR/wifd.log"
echo 0 >"$T_DIR/pause"
run_wif token
check "  the next request starts a new helper and succeeds" grep -qxE "$TOKRE" "$T_DIR/out"
check "  wifd kept serving (same pid)" kill -0 "$WIFD_PID"

# --- 4. the configuration on disk changes without a reload --------------------
T2=$(out)
write_conf demo:edited "http://127.0.0.1:9/nothing-listens-here"
$WIRE request op=flush profile=default >/dev/null
check "(the helper of the loaded configuration has ended)" eventually gone
run_wif token
check "an edit on disk without SIGHUP changes nothing: a new helper mints with what wifd loaded" \
    test "$RC" -eq 0 -a "$(out)" != "$T2"
status_json
check "  (sub demo:app, not the edited demo:edited; base_url not the edited dead port)" \
    test "$(jq_ 'd["daemon"]["profiles"][0]["sub"]')" = "demo:app"
write_conf demo:reloaded "$BASE"
kill -HUP "$WIFD_PID"
reloaded() { grep -q "reloaded $T_DIR/wif.conf" "$T_DIR/wifd.log"; }
check "SIGHUP reloads" eventually reloaded
$WIRE request op=flush profile=default >/dev/null
run_wif token
status_json
check "  and the new helper mints with the new configuration (sub demo:reloaded)" \
    test "$RC" -eq 0 -a "$(jq_ 'd["daemon"]["profiles"][0]["sub"]')" = "demo:reloaded"

# --- 5. a reload the helper refuses ---------------------------------------------
cp "$T_DIR/wif.conf" "$T_DIR/wif.conf.good"
sed -i 's|provider = "exec"; command|provider = "exec"; no_such_exec_option = 1; command|' "$T_DIR/wif.conf"
kill -HUP "$WIFD_PID"
refused() { grep -q "reload of $T_DIR/wif.conf failed; keeping the running configuration" "$T_DIR/wifd.log"; }
check "a reload with a setting only the plugin knows is wrong is refused" eventually refused
check "  the helper's verdict names the setting" grep -q "no_such_exec_option" "$T_DIR/wifd.log"
$WIRE request op=flush profile=default >/dev/null
run_wif token
check "  and wifd keeps minting with the running configuration" grep -qxE "$TOKRE" "$T_DIR/out"
cp "$T_DIR/wif.conf.good" "$T_DIR/wif.conf"

# --- 5b. SIGTERM: helpers end in order (none started by a thread that has
# ended is killed with it: no PR_SET_PDEATHSIG) ------------------------------------
$WIRE request op=flush profile=default >/dev/null
run_wif token
H=$(helper_pid)
stop_wifd
check "SIGTERM: no helper was killed (signal 15) at any point" not_contains "$T_DIR/wifd.log" "killed by signal 15"
check "  and the running helper ($H) ended with wifd" sh -c "[ -n '$H' ] && ! kill -0 '$H' 2>/dev/null"
check "wifd restarts" start_wifd --mint-linger 2

# --- 6. wifd killed: its helper goes too ------------------------------------------
echo 3 >"$T_DIR/pause"
$WIRE request op=flush profile=default >/dev/null
"$WIF_BIN" token >/dev/null 2>&1 &
eventually has_helper
H=$(helper_pid)
kill -9 "$WIFD_PID"; wait "$WIFD_PID" 2>/dev/null || true; WIFD_PID=""
helper_gone() { ! kill -0 "$H" 2>/dev/null; }
check "kill -9 of wifd: its helper does not outlive it" eventually helper_gone
wait 2>/dev/null || true
echo 0 >"$T_DIR/pause"

# --- 7. the helper binary itself ----------------------------------------------------
rc=0; "$HELPER" >"$T_DIR/h.out" 2>"$T_DIR/h.err" || rc=$?
check "wifd-mint run by hand exits 2" test "$rc" -eq 2
check "  saying it is wifd's helper" grep -q "started by wifd(8), not by hand" "$T_DIR/h.err"
cp "$HELPER" "$T_DIR/wifd-mint"; chmod 775 "$T_DIR/wifd-mint"
rc=0; "$WIFD" -c "$T_DIR/wif.conf" --check --mint-helper "$T_DIR/wifd-mint" >"$T_DIR/c.out" 2>"$T_DIR/c.err" || rc=$?
check "a group-writable helper is refused" test "$rc" -eq 3
check "  with the rule it broke" grep -q "writable by nobody else" "$T_DIR/c.err"
chmod 755 "$T_DIR/wifd-mint"
rc=0; WIF_MINT_HELPER="$T_DIR/wifd-mint" "$WIFD" -c "$T_DIR/wif.conf" --check >"$T_DIR/c.out" 2>"$T_DIR/c.err" || rc=$?
check "WIF_MINT_HELPER names the helper; --check runs it on the configuration" test "$rc" -eq 0
check "  and says the configuration is valid" grep -q "is valid" "$T_DIR/c.out"
rc=0; "$WIFD" -c "$T_DIR/wif.conf" --check --mint-helper "$T_DIR/none" >"$T_DIR/c.out" 2>"$T_DIR/c.err" || rc=$?
check "a missing helper: wifd says where it looked and what to do" \
    sh -c "[ $rc -eq 3 ] && grep -q 'mint helper $T_DIR/none: No such file or directory; install wifd-mint' '$T_DIR/c.err'"

check "no token in wifd's log" sh -c "! grep -qE '$TOKRE' '$T_DIR/wifd.log'"
check "no sanitizer report" sh -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$T_DIR/wifd.log'"
finish
