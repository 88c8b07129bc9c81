# wifd end to end: one host-wide cache behind a Unix socket, against the
# Anthropic emulator and the demo issuer.  Consumers are real processes with
# real distinct uids and groups (setpriv), so the allow lists are proven on
# SO_PEERCRED, not on what a client claims.  Every fault of ARCHITECTURE.md
# §6 / issue 4: malformed, oversized, truncated, slow and silent clients,
# disconnects mid-request, 1000 concurrent connections, upstream outage
# during a refresh, a herd of cold requests, reload with a broken file,
# kill -9 mid-refresh, SIGTERM.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: wifd.sh switches to real uids with setpriv: run as root (CI does)"
	exit 77
fi

WIFD_PID=""
stop_wifd() {
	[ -n "$WIFD_PID" ] || return 0
	kill -TERM "$WIFD_PID" 2>/dev/null || true
	wait "$WIFD_PID" 2>/dev/null || WIFD_RC=$?
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
    ANTHROPIC_WORKSPACE_ID ANTHROPIC_PROFILE ANTHROPIC_CONFIG_DIR
WIFD="$WIF_TOP_BUILDDIR/modules/wifd/wifd"
SOCK="$T_DIR/wifd.sock"
export WIF_SOCKET="$SOCK"
# No per-user file cache may answer instead of the daemon.
mkdir -p "$T_DIR/run"; chmod 700 "$T_DIR/run"
export XDG_RUNTIME_DIR="$T_DIR/run"
WIRE="$PY $WIF_TOP_SRCDIR/tests/integration/wire_client.py $SOCK"

MINTS="$T_DIR/mints"
: >"$MINTS"

mkdir -p "$T_DIR/sinks"; chmod 755 "$T_DIR/sinks"
# The identity source counts its calls (one line per fetch) so that "one
# identity fetch" is measured, not assumed.
cat >"$T_DIR/mint.sh" <<EOF
#!/bin/sh
echo x >>"$MINTS"
exec $PY "$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" \
    --iss "$ISSUER_URL" --sub demo:app --aud https://api.anthropic.com
EOF
chmod 755 "$T_DIR/mint.sh"

profile() { # profile NAME [extra settings]
	cat <<EOF
  { name = "$1";
    source = ( { provider = "exec"; command = [ "$T_DIR/mint.sh" ]; } );
    exchange = { type = "anthropic"; base_url = "$BASE";
                 federation_rule_id = "fdrl_demo1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_demo1"; workspace_id = "wrkspc_demo1"; };
    ${2:-}
  }
EOF
}
write_conf() { # write_conf FILE [extra profiles text]
	cat >"$1" <<EOF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; audit = "$T_DIR/audit.log";
        metrics_listen = "unix:$T_DIR/metrics.sock";
        http = { timeout_ms = 2000; connect_timeout_ms = 1000; retries = 2;
                 backoff_ms = 20; budget_ms = 4000; }; };
profiles = (
$(profile default 'allow = { users = [ "nobody" ]; };
    sinks = ( { path = "'"$T_DIR"'/sinks/token"; format = "raw"; owner = "nobody"; mode = 0640; },
              { path = "'"$T_DIR"'/sinks/creds.json"; format = "anthropic-credentials"; } );'),
$(profile ops 'allow = { groups = [ "adm" ]; };'),
$(profile herd ''),
$(profile rootonly '')
${2:-}
);
EOF
	chmod 644 "$1"
}
CONF="$T_DIR/wif.conf"
write_conf "$CONF"

start_wifd() {
	"$WIFD" -c "$CONF" -s "$SOCK" -v >>"$T_DIR/wifd.log" 2>&1 &
	WIFD_PID=$!
	# answering a ping, not just a socket file (a stale one survives kill -9)
	i=0
	while ! $WIRE request op=ping >/dev/null 2>&1 && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
}
as_user() { # as_user UID GID [GROUPS] -- wif ARGS...
	local u=$1 g=$2 grp=$3; shift 3
	local gopt="--clear-groups"
	[ -z "$grp" ] || gopt="--groups=$grp"
	set +e
	setpriv --reuid="$u" --regid="$g" "$gopt" \
	    env WIF_SOCKET="$SOCK" XDG_RUNTIME_DIR=/nonexistent ASAN_OPTIONS="$ASAN_OPTIONS" \
	    "$WIF_BIN" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	RC=$?
	set -e
}

$WIFD --check -c "$CONF" >"$T_DIR/out" 2>&1 && RC=0 || RC=$?
check "wifd --check: the configuration is valid" test $RC -eq 0
start_wifd
check "wifd: listening on its socket" test -S "$SOCK"
check "wifd: the socket is a socket anyone may connect to" test "$(stat -c %a "$SOCK")" = 666

# --- wif token goes through the daemon ---------------------------------------
# (profile default has sinks: wifd mints it at start; wait for that first)
i=0; while [ ! -s "$T_DIR/sinks/token" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
before=$(emu_stat exchanges.succeeded)
run_wif token -p rootonly
check "wif token via wifd: a token" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
TOK=$(out)
check "wif token via wifd: one exchange" test "$(emu_stat exchanges.succeeded)" -eq $((before + 1))
run_wif token -p rootonly
check "wif token via wifd: the same token again" test "$(out)" = "$TOK"
check "wif token via wifd: still one exchange (host-wide cache)" test "$(emu_stat exchanges.succeeded)" -eq $((before + 1))
check "wif token via wifd: no per-user cache written" test ! -e "$T_DIR/run/wif"
run_wif token -p rootonly --min-valid 700
check "min_valid the server cannot meet: exit 1" test $RC -eq 1
check "min_valid the server cannot meet: says so" contains "$T_DIR/err" "less than --min-valid 700"
run_wif token -p rootonly
TOK=$(out) # that request minted anew: the freshest token is the one served now

# --- the C API (libwif.so, libc only) ------------------------------------------
LIBWIF="$WIF_TOP_BUILDDIR/tests/integration/libwif_get"
"$LIBWIF" rootonly >"$T_DIR/out" 2>&1 && RC=0 || RC=$?
check "libwif: wif_get_token through wifd" grep -qE "^token=$TOK expires_at=[0-9]+ profile=rootonly\$" "$T_DIR/out"
"$LIBWIF" >"$T_DIR/out" 2>&1 && RC=0 || RC=$?
check "libwif: no profile named: root gets \"default\"" \
    grep -qE '^token=sk-ant-oat01-[A-Za-z0-9_-]+ expires_at=[0-9]+ profile=default$' "$T_DIR/out"
as_user 4242 4242 adm token
check "no profile named: uid 4242 in adm gets ops, the one open to it" \
    grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
as_user 4243 4243 "" token
check "no profile named and none open: says so" grep -qE 'uid 4243 may use no profile' "$T_DIR/err"
ldd "$WIF_TOP_BUILDDIR/.libs/libwif.so" >"$T_DIR/ldd" 2>&1 || echo "ldd failed" >>"$T_DIR/ldd"
check "libwif: links libc" grep -qE '^[[:space:]]libc\.so\.6 =>' "$T_DIR/ldd"
check "libwif: links nothing else (sanitizer runtimes aside)" \
    test -z "$(grep '=>' "$T_DIR/ldd" | grep -vE 'asan|ubsan|libstdc|libgcc|libm\.|libc\.so')"

# --- sinks ----------------------------------------------------------------------
check "sink: profile with sinks is minted at start" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/sinks/token"
check "sink: raw sink owned by nobody, mode 0640" test "$(stat -c '%U %a' "$T_DIR/sinks/token")" = "nobody 640"
check "sink: anthropic-credentials sink is JSON with the same token" $PY -c '
import json,sys; d=json.load(open(sys.argv[1])); t=open(sys.argv[2]).read().strip()
assert d["access_token"]==t, d.keys()' "$T_DIR/sinks/creds.json" "$T_DIR/sinks/token"
check "sink: no temporary files left" test "$(ls -A "$T_DIR/sinks" | wc -l)" -eq 2

# --- access control with real uids -----------------------------------------------
as_user 65534 65534 "" token -p default
check "allow.users: nobody gets profile default" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
check "allow.users: the token wifd keeps in the sink" test "$(out)" = "$(cat "$T_DIR/sinks/token")"
as_user 65534 65534 "" token
check "no profile named: nobody gets the one it may use" test "$(out)" = "$(cat "$T_DIR/sinks/token")"
as_user 65534 65534 "" token -p ops
check "deny: nobody may not use ops (exit 1)" test $RC -eq 1
check "deny: says why and what to do" grep -qE 'profile ops does not exist or uid 65534 may not use it: ask the administrator' "$T_DIR/err"
cp "$T_DIR/err" "$T_DIR/deny.err"
check "deny: no token on stdout" test ! -s "$T_DIR/out"
as_user 65534 65534 "" token -p nosuchprofile
check "unknown profile: answered exactly like a denial (no profile listing)" \
    test "$(sed 's/nosuchprofile/ops/' "$T_DIR/err")" = "$(cat "$T_DIR/deny.err")"
as_user 4242 4242 adm token -p ops
check "allow.groups: a supplementary group (adm) opens ops" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
as_user 4242 4242 "" token -p ops
check "allow.groups: the same uid without the group is denied" test $RC -eq 1
as_user 4243 4243 "" token -p rootonly
check "deny by default: no allow list is root only" test $RC -eq 1

# --- audit ---------------------------------------------------------------------
check "audit: an issue line for nobody" eventually grep -qE 'event=issue .*profile=default.*uid=65534' "$T_DIR/audit.log"
check "audit: a deny line for nobody on ops, with the precise reason" \
    eventually grep -qE 'event=deny .*profile=ops.*uid=65534.*not in the profile.s allow list' "$T_DIR/audit.log"
check "audit: the unknown profile's denial says so" \
    eventually grep -qE 'event=deny .*profile=nosuchprofile.*result="no such profile"' "$T_DIR/audit.log"
check "audit: token fingerprints, never tokens" not_contains "$T_DIR/audit.log" "sk-ant-oat01"
check "audit file is private" test "$(stat -c %a "$T_DIR/audit.log")" = 600

# --- status and metrics ----------------------------------------------------------
$WIRE request op=status >"$T_DIR/status" 2>&1 || true
check "status: JSON with the profiles and counters" $PY -c '
import json,sys
line=[l for l in open(sys.argv[1]) if l.startswith("json=")][0][5:]
d=json.loads(line); names={p["profile"] for p in d["profiles"]}
assert {"default","ops","herd","rootonly"} <= names, names
assert d["metrics"], d' "$T_DIR/status"
$PY - "$T_DIR/metrics.sock" >"$T_DIR/metrics" 2>&1 <<'PYX' || true
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n"); buf = b""
while True:
    c = s.recv(65536)
    if not c: break
    buf += c
print(buf.decode())
PYX
[ -s "$T_DIR/metrics" ] || echo "(no metrics answer)" >"$T_DIR/metrics"
check "metrics: Prometheus text over the Unix socket" grep -qE '^HTTP/1.0 200' "$T_DIR/metrics"
check "metrics: deny counter counts the denials" grep -qE '^wif_deny_total [1-9]' "$T_DIR/metrics"
check "metrics: cache hits counted" grep -qE '^wif_cache_hit_total [1-9]' "$T_DIR/metrics"
check "metrics: never a token" not_contains "$T_DIR/metrics" "sk-ant-oat01"
check "metrics socket is not world-accessible" test "$(stat -c %a "$T_DIR/metrics.sock")" = 660

# --- the herd: 200 processes, a cold profile -> 1 identity fetch, 1 exchange ----
before_ex=$(emu_stat exchanges.succeeded)
before_mint=$(wc -l <"$MINTS")
pids=""
for i in $(seq 200); do
	"$WIF_BIN" token -p herd >"$T_DIR/herd.$i" 2>&1 & pids="$pids $!"
done
hfail=0
for p in $pids; do wait "$p" || hfail=$((hfail + 1)); done
check "herd: all 200 processes got a token" test $hfail -eq 0
check "herd: all 200 got the same token" test "$(cat "$T_DIR"/herd.* | sort -u | wc -l)" -eq 1
check "herd: exactly one exchange" test "$(emu_stat exchanges.succeeded)" -eq $((before_ex + 1))
check "herd: exactly one identity fetch" test "$(wc -l <"$MINTS")" -eq $((before_mint + 1))

# --- bad clients -------------------------------------------------------------------
for sc in zero-length oversized max-size-garbage malformed truncated disconnect-mid-request \
          byte-by-byte pipelined keepalive concurrent-1000; do
	$WIRE "$sc" >"$T_DIR/out" 2>&1 && RC=0 || RC=$?
	check "bad client: $sc" test $RC -eq 0
done
run_wif token -p rootonly
check "after bad clients: still serving the same token" test "$(out)" = "$TOK"

# --- upstream outage during a refresh: the valid token keeps being served ----
fault '{"mode":"status","status":503,"count":-1}'
$WIRE request op=flush profile=herd >"$T_DIR/out" 2>&1 || true
check "flush (root): ok" grep -qx 'status=ok' "$T_DIR/out"
run_wif token -p herd
check "outage + cold profile: a clear error, exit 1" test $RC -eq 1
check "outage: the error names the server status" grep -qE '503|unavailable' "$T_DIR/err"
run_wif token -p rootonly
check "outage: a still-valid token is served" test "$(out)" = "$TOK"
reset
check "flush is root's: nobody's admin request is refused" \
    sh -c "setpriv --reuid=65534 --regid=65534 --clear-groups $WIRE request op=flush profile=default | grep 'rc=-27' >/dev/null"

# --- reload: a broken file is rejected, the running config kept --------------
cp "$CONF" "$T_DIR/good.conf"
printf 'profiles = ( { name = "broken"; ' >"$CONF"
kill -HUP "$WIFD_PID"
sleep 0.5
run_wif token -p rootonly
check "reload with a broken file: still serving" test "$(out)" = "$TOK"
check "reload with a broken file: a clear log line" grep -qE 'reload of .* failed; keeping the running configuration' "$T_DIR/wifd.log"
mv "$T_DIR/audit.log" "$T_DIR/audit.log.1" # as logrotate would
write_conf "$CONF" ", $(profile newone '')"
$WIRE request op=reload >"$T_DIR/out" 2>&1 || true
check "reload over the socket (root): ok" grep -qx 'status=ok' "$T_DIR/out"
check "reload: the audit log is reopened (rotation) and records the reload" \
    eventually grep -qE 'event=reload result=ok' "$T_DIR/audit.log"
run_wif token -p newone
check "reload: the new profile is served" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"

# --- kill -9 mid-refresh: sinks intact, nothing half-written, restart serves ----
# a libwif handle with a kept connection, across the restart below
"$LIBWIF" -w "$T_DIR/go" rootonly >"$T_DIR/keep.out" 2>&1 & keep_pid=$!
i=0; while ! grep -q '^token=' "$T_DIR/keep.out" && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
SINK_BEFORE=$(cat "$T_DIR/sinks/token")
fault '{"mode":"hang","delay_ms":20000,"count":-1}'
# min_valid above what the cached token has left but within what tokens are
# issued for (600 s, less the seconds the identity JWT had lived): a
# refresh, which hangs.  (A min_valid no token is issued for would be
# served from the cache: it costs no exchange.)
sleep 2
( $WIRE request op=token profile=default min_valid=595 >/dev/null 2>&1 & )
i=0; while [ "$(emu_stat faults_served.hang)" -lt 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "kill -9: a refresh is in flight (the emulator holds it)" test "$(emu_stat faults_served.hang)" -ge 1
kill -9 "$WIFD_PID"; wait "$WIFD_PID" 2>/dev/null || true; WIFD_PID=""
reset
check "kill -9: the sink still holds the whole previous token" test "$(cat "$T_DIR/sinks/token")" = "$SINK_BEFORE"
check "kill -9: no temporary files in the sink directory" test "$(ls -A "$T_DIR/sinks" | wc -l)" -eq 2
start_wifd
check "restart after kill -9: the stale socket is replaced" test -S "$SOCK"
run_wif token -p rootonly
check "restart: serving again" grep -qxE 'sk-ant-oat01-[A-Za-z0-9_-]+' "$T_DIR/out"
touch "$T_DIR/go"; wait $keep_pid && RC=0 || RC=$?
check "libwif: a kept connection lost in a restart is reopened (2 tokens)" \
    test "$RC" -eq 0 -a "$(grep -c '^token=sk-ant-oat01-' "$T_DIR/keep.out")" -eq 2
[ $RC -eq 0 ] || cat "$T_DIR/err"

# --- SIGTERM: clean exit, socket removed -------------------------------------
WIFD_RC=0
stop_wifd
check "SIGTERM: exit 0" test "$WIFD_RC" -eq 0
check "SIGTERM: socket removed" test ! -e "$SOCK"
check "no token in the daemon's log" not_contains "$T_DIR/wifd.log" "sk-ant-oat01"
check "no sanitizer report in the daemon's log" not_contains "$T_DIR/wifd.log" "Sanitizer"
run_wif token -p rootonly
check "no daemon: wif token falls back in-process (no wif.conf here: an error, not a hang)" test $RC -ne 0
check "no daemon: the fallback does not blame the daemon" not_contains "$T_DIR/err" "wifd ("
"$LIBWIF" -n rootonly >"$T_DIR/out" 2>&1 && RC=0 || RC=$?
check "libwif, no daemon, WIF_OPEN_NO_FALLBACK: WIF_E_NO_DAEMON" grep -qE '^error rc=-28: no wifd socket at' "$T_DIR/out"
WIF_CONFIG="$CONF" "$LIBWIF" rootonly >"$T_DIR/out" 2>&1 && RC=0 || RC=$?
check "libwif, no daemon: the core runs in a child process (wif-cli)" grep -qE '^token=sk-ant-oat01-[A-Za-z0-9_-]+ expires_at=[0-9]+ profile=rootonly$' "$T_DIR/out"
WIF_REQUIRE_DAEMON=1 WIF_CONFIG="$CONF" "$LIBWIF" rootonly >"$T_DIR/out" 2>&1 && RC=0 || RC=$?
check "libwif, WIF_REQUIRE_DAEMON=1: no fallback" grep -qE '^error rc=-28' "$T_DIR/out"
WIF_REQUIRE_DAEMON=1 run_wif token -p rootonly
check "WIF_REQUIRE_DAEMON=1, no daemon: exit 1" test $RC -eq 1
check "WIF_REQUIRE_DAEMON=1, no daemon: says there is no wifd" contains "$T_DIR/err" "no wifd socket"

finish
