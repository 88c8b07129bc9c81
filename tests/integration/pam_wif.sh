# pam_wif.so end to end: wifd (root) with the Anthropic emulator and the demo
# issuer; logins are run as the unprivileged user nobody under pam_wrapper
# (tests/pam/pam_session_run: pam_open_session, the PAM environment, a
# command with exactly that environment, pam_close_session), so the module
# is exercised the way sshd would load it, without root and without
# /etc/pam.d.  The SDK bridge is proven with the official @anthropic-ai/sdk
# started with only what pam_wif exported.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: pam_wif.sh runs wifd as root and logins as nobody (setpriv): run as root (CI does)"
	exit 77
fi
PAMW=$(for d in /usr/lib/x86_64-linux-gnu /usr/lib/aarch64-linux-gnu /usr/lib64 /usr/lib; do
	[ -e "$d/libpam_wrapper.so" ] && echo "$d/libpam_wrapper.so" && break; done)
MODULE="$WIF_TOP_BUILDDIR/modules/pam_wif/.libs/pam_wif.so"
RUNNER="$WIF_TOP_BUILDDIR/tests/pam/pam_session_run"
if [ -z "$PAMW" ] || [ ! -x "$RUNNER" ] || [ ! -e "$MODULE" ]; then
	echo "not ok - pam_wrapper ($PAMW), $RUNNER and $MODULE are needed (scripts/setup.sh installs libpam-wrapper)"
	exit 1
fi

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
	[ -z "${HANG_PID:-}" ] || kill "$HANG_PID" 2>/dev/null || true
	if [ "$T_FAILS" -ne 0 ] && [ -f "$T_DIR/wifd.log" ]; then
		echo "--- last lines of wifd's log"; tail -30 "$T_DIR/wifd.log"
	fi
	"$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" stop "$STACK" >/dev/null 2>&1
	[ -z "${KEEP_T:-}" ] || cp -r "$T_DIR" /tmp/pamkeep; t_cleanup
}
trap on_exit EXIT
. "$STACK/env"
PY=/usr/bin/python3
BASE="$ANTHROPIC_BASE_URL"
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN WIF_CONFIG ANTHROPIC_BASE_URL \
    ANTHROPIC_FEDERATION_RULE_ID ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID \
    ANTHROPIC_WORKSPACE_ID ANTHROPIC_PROFILE ANTHROPIC_CONFIG_DIR
chmod 755 "$T_DIR"
SOCK="$T_DIR/wifd.sock"
export WIF_SOCKET="$SOCK" WIF_REQUIRE_DAEMON=1   # `wif token` below goes through wifd
SESS="$T_DIR/sessions"
NOBODY_UID=$(id -u nobody)
NOGROUP=$(id -gn nobody)
UDIR="$SESS/$NOBODY_UID"
WIRE="$PY $WIF_TOP_SRCDIR/tests/integration/wire_client.py $SOCK"

cat >"$T_DIR/mint.sh" <<EOF
#!/bin/sh
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
CONF="$T_DIR/wif.conf"
cat >"$CONF" <<EOF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; audit = "$T_DIR/audit.log";
        session_dir = "$SESS";
        http = { timeout_ms = 2000; connect_timeout_ms = 1000; retries = 2;
                 backoff_ms = 20; budget_ms = 4000; }; };
profiles = (
$(profile default 'allow = { users = [ "nobody" ]; };'),
$(profile rootonly '')
);
EOF
chmod 644 "$CONF"
WIFD="$WIF_TOP_BUILDDIR/modules/wifd/wifd"
start_wifd() {
	"$WIFD" -c "$CONF" -s "$SOCK" -v >>"$T_DIR/wifd.log" 2>&1 &
	WIFD_PID=$!
	i=0
	while ! $WIRE request op=ping >/dev/null 2>&1 && [ $i -lt 200 ]; do
		sleep 0.05; i=$((i + 1))
	done
}
start_wifd

mkdir -p "$T_DIR/pam.d"
chmod 755 "$T_DIR/pam.d"
PERMIT=$(for d in /lib/x86_64-linux-gnu/security /usr/lib/x86_64-linux-gnu/security /lib/security /usr/lib/security; do
	[ -e "$d/pam_permit.so" ] && echo "$d/pam_permit.so" && break; done)
# service NAME MODULE-ARGS...: a pam.d file for pam_wrapper, pam_wif then
# pam_permit (a real stack has other session modules: a module that answers
# PAM_IGNORE leaves the decision to them)
service() {
	local name=$1; shift
	printf 'session required %s %s\nsession required %s\n' "$MODULE" "$*" "$PERMIT" \
	    >"$T_DIR/pam.d/$name"
	chmod 644 "$T_DIR/pam.d/$name"
}
# login SERVICE USER [-- CMD...]: a session as nobody; stdout in $T_DIR/out
login() {
	set +e
	setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups \
	    env -i PATH="$PATH" LD_PRELOAD="$PAMW" PAM_WRAPPER=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
	    PAM_WRAPPER_SERVICE_DIR="$T_DIR/pam.d" \
	    ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
	    "$RUNNER" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	RC=$?
	set -e
}
envof() { sed -n "s/^env $1=//p" "$T_DIR/out"; }
# opened CODE NAME: the login's pam_open_session returned CODE (else show why)
opened() {
	if grep -qx "open=$1" "$T_DIR/out"; then pass "$2"; else
		fail "$2"; sed 's/^/#   /' "$T_DIR/out" "$T_DIR/err"; fi
}
jq_() { $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$@"; }

# --- the module's interface -------------------------------------------------
check "pam_wif.so exports only pam_sm_open_session and pam_sm_close_session" \
    test "$(nm -D --defined-only "$MODULE" | awk '$2 ~ /^[TDB]$/ {print $3}' | sort | tr '\n' ' ')" = \
    "pam_sm_close_session pam_sm_open_session "
check "pam_wif.so does not link libcurl, OpenSSL or json-c" \
    sh -c "! ldd '$MODULE' | grep -Eq 'libcurl|libssl|libcrypto|libjson'"

# --- a login: the exported environment and the files behind it --------------
service wiftest "socket=$SOCK profile=default debug"
before=$(emu_stat exchanges.succeeded)
mkdir -p "$T_DIR/seen"; chmod 777 "$T_DIR/seen"
login wiftest nobody -- /bin/sh -c '
	d=$ANTHROPIC_CONFIG_DIR p=$ANTHROPIC_PROFILE
	echo "inside dir=$(stat -c "%a %U" "$d") cred=$(stat -c "%a %U" "$d/credentials/$p.json") conf=$(stat -c "%a %U" "$d/configs/$p.json")"
	cp "$d/credentials/$p.json" "$0/cred.json"; cp "$d/configs/$p.json" "$0/conf.json"
	env | sort >"$0/childenv"' "$T_DIR/seen"
opened PAM_SUCCESS "login: pam_open_session succeeds"
grep -qx "open=PAM_SUCCESS" "$T_DIR/out" || sed 's/^/# /' "$T_DIR/out" "$T_DIR/err"
check "login: ANTHROPIC_CONFIG_DIR is nobody's session directory" test "$(envof ANTHROPIC_CONFIG_DIR)" = "$UDIR"
check "login: ANTHROPIC_PROFILE is the profile" test "$(envof ANTHROPIC_PROFILE)" = default
check "login: pam_close_session succeeds" grep -qx "close=PAM_SUCCESS" "$T_DIR/out"
check "in the session: the directory is 0700 nobody's, both files 0600 nobody's" \
    grep -qx "inside dir=700 nobody cred=600 nobody conf=600 nobody" "$T_DIR/out"
check "credentials/default.json: the SDK's format, a token valid for minutes" \
    test "$(jq_ "$T_DIR/seen/cred.json" 'd["version"]+" "+d["type"]+" "+str(d["access_token"].startswith("sk-ant-oat01-"))+" "+str(d["expires_at"]-__import__("time").time()>300)')" = "1.0 oauth_token True True"
check "configs/default.json: oidc_federation with the profile's exchange settings" \
    test "$(jq_ "$T_DIR/seen/conf.json" 'd["authentication"]["type"]+" "+d["authentication"]["federation_rule_id"]+" "+d["organization_id"]+" "+d["workspace_id"]+" "+d["base_url"]')" = \
    "oidc_federation fdrl_demo1 00000000-0000-4000-8000-000000000001 wrkspc_demo1 $BASE"
check "configs/default.json names no identity token that exists (the SDK cannot spend an assertion)" \
    sh -c "test ! -e \"\$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"authentication\"][\"identity_token\"][\"path\"])' '$T_DIR/seen/conf.json')\""
check "the child's environment is what PAM exported (and PATH)" \
    test "$(grep -c '^ANTHROPIC_' "$T_DIR/seen/childenv")" -eq 2
check "after the last session closed: the files and the directory are gone" test ! -e "$UDIR"
login wiftest nobody -- /bin/true
check "one exchange for the two logins (the cached token is handed out)" \
    test "$(emu_stat exchanges.succeeded)" -eq $((before + 1))
check "audit: session_open and session_close for user nobody, no token" \
    sh -c "grep -q 'event=session_open.*result=\"ok user=nobody\"' '$T_DIR/audit.log' &&
           grep -q 'event=session_close.*result=\"ok user=nobody\"' '$T_DIR/audit.log' &&
           ! grep -q 'sk-ant-oat01' '$T_DIR/audit.log'"

# --- two sessions at once: the directory lives until the last one ends ------
rm -f "$T_DIR/seen/go"
( login wiftest nobody -- /bin/sh -c 'while [ ! -e "$0/go" ]; do sleep 0.05; done' "$T_DIR/seen"; \
  cp "$T_DIR/out" "$T_DIR/out.bg" ) &
BG=$!
eventually test -s "$UDIR/credentials/default.json" || true
login wiftest nobody -- /bin/true
check "a second, shorter session opens and closes" grep -qx "close=PAM_SUCCESS" "$T_DIR/out"
check "  the first session's files are still there" test -s "$UDIR/credentials/default.json"
touch "$T_DIR/seen/go"
wait $BG || true
check "  and go when the first session closes" test ! -e "$UDIR"

# --- kept fresh: a refresh by wifd rewrites the session's credentials --------
( login wiftest nobody -- /bin/sh -c 'while [ ! -e "$0/go2" ]; do sleep 0.05; done' "$T_DIR/seen" ) &
BG=$!
eventually test -s "$UDIR/credentials/default.json" || true
old=$(jq_ "$UDIR/credentials/default.json" 'd["access_token"]')
# wifd mints anew: the token is flushed (root's admin op) and asked for again
$WIRE request op=flush profile=default >/dev/null
check "flush (revoke): the session's credentials no longer hold the revoked token" \
    sh -c "! grep -qF '$old' '$UDIR/credentials/default.json' 2>/dev/null"
"$WIF_BIN" token -p default >"$T_DIR/newtok" 2>"$T_DIR/err" || true
eventually sh -c "test \"\$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"access_token\"])' '$UDIR/credentials/default.json')\" = \"$(cat "$T_DIR/newtok")\"" || true
check "kept fresh: after wifd's refresh the session's credentials hold the new token" \
    test "$(jq_ "$UDIR/credentials/default.json" 'd["access_token"]')" = "$(cat "$T_DIR/newtok")" -a "$old" != "$(cat "$T_DIR/newtok")"
check "  still 0600 and nobody's" test "$(stat -c '%a %U' "$UDIR/credentials/default.json")" = "600 nobody"
setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups env WIF_SOCKET="$SOCK" \
    XDG_RUNTIME_DIR=/nonexistent ASAN_OPTIONS="$ASAN_OPTIONS" "$WIF_BIN" status >"$T_DIR/out" 2>"$T_DIR/err" || true
check "wif status (nobody, via wifd) lists its session" \
    grep -qF "session of nobody: profile default, 1 login, ANTHROPIC_CONFIG_DIR=$UDIR" "$T_DIR/out"
setpriv --reuid=4242 --regid=4242 --clear-groups env WIF_SOCKET="$SOCK" \
    XDG_RUNTIME_DIR=/nonexistent ASAN_OPTIONS="$ASAN_OPTIONS" "$WIF_BIN" status >"$T_DIR/out" 2>"$T_DIR/err" || true
check "  another uid does not see it" sh -c "! grep -q 'session of nobody' '$T_DIR/out'"

# --- the SDK bridge: the official SDK with only what pam_wif exported -------
# (its own copy of the pinned SDK: sdk_emulator.sh may be installing the
# other one at this moment)
nd=$WIF_TOP_BUILDDIR/tests/pam/node
npm_peer "$WIF_TOP_SRCDIR/tests/node" "$nd" >/dev/null || fail "npm ci of the pinned SDK"
cp "$WIF_TOP_SRCDIR/tests/emulator/sdk_wif_flow.mjs" "$nd/sdk_wif_flow.mjs"; chmod 644 "$nd/sdk_wif_flow.mjs"
chmod -R a+rX "$nd"
ex0=$(emu_stat exchanges.succeeded); msg0=$(emu_stat messages.succeeded)
login wiftest nobody -- /bin/sh -c 'cd "$0" && HOME=/nonexistent exec node sdk_wif_flow.mjs basic' "$nd"
check "@anthropic-ai/sdk in a pam_wif session: messages.create succeeds" \
    test "$(grep -c '"ok":true' "$T_DIR/out")" -eq 1 -a "$(emu_stat messages.succeeded)" -eq $((msg0 + 1))
[ "$(emu_stat messages.succeeded)" -eq $((msg0 + 1)) ] || sed 's/^/#   /' "$T_DIR/out" "$T_DIR/err" | head -20
check "  with the token wifd keeps fresh: the SDK made no exchange of its own" \
    test "$(emu_stat exchanges.succeeded)" -eq "$ex0"
touch "$T_DIR/seen/go2"; wait $BG || true

# --- refusals, and the codes the administrator chose --------------------------
service notmine "socket=$SOCK profile=rootonly"
login notmine nobody -- /bin/true
opened PAM_SUCCESS "a profile nobody may not use: the login goes on (denied=ignore by default)"
check "  and nothing exported" sh -c "! grep -q '^env ANTHROPIC' '$T_DIR/out'"
service notmine2 "socket=$SOCK profile=rootonly denied=session_err"
login notmine2 nobody -- /bin/true
opened PAM_SESSION_ERR "  denied=session_err: PAM_SESSION_ERR"
# two logins, two denials (close_session asks nothing when open made no session)
check "  each denial is audited once" eventually sh -c "test \$(grep -c 'event=deny profile=rootonly' '$T_DIR/audit.log') -eq 2"
login wiftest root -- /bin/true
opened PAM_SUCCESS "nobody cannot open a session for root (only root or the user itself may): no session, the login goes on"
check "  nothing exported" sh -c "! grep -q '^env ANTHROPIC' '$T_DIR/out'"
check "  audited as a session for another user" eventually grep -q 'result="session for another user user=root"' "$T_DIR/audit.log"
service nodaemon "socket=$T_DIR/no.sock profile=default"
login nodaemon nobody -- /bin/true
opened PAM_SESSION_ERR "wifd unreachable: PAM_SESSION_ERR by default"
service nodaemon2 "socket=$T_DIR/no.sock profile=default unreachable=ignore"
login nodaemon2 nobody -- /bin/true
opened PAM_SUCCESS "  unreachable=ignore: the login goes on without the SDK environment"
check "  and the reason is logged" grep -q "no wifd socket at $T_DIR/no.sock" "$T_DIR/err"
service badarg "socket=$SOCK profile=default frobnicate"
login badarg nobody -- /bin/true
opened PAM_SESSION_ERR "an unknown module argument: PAM_SESSION_ERR"
# a daemon that accepts and never answers: the login is let go at timeout=
$PY - "$T_DIR/hang.sock" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(8)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
PY
HANG_PID=$!
eventually test -S "$T_DIR/hang.sock" || true
service hang "socket=$T_DIR/hang.sock profile=default timeout=300"
login hang nobody -- /bin/true
check "a daemon that never answers: the login goes on with PAM_SESSION_ERR after timeout=" \
    grep -qx "open=PAM_SESSION_ERR" "$T_DIR/out"
kill "$HANG_PID" 2>/dev/null || true; HANG_PID=""
# a daemon that accepts nothing and whose backlog is full: connect() itself
# would block for good without the client's bounded, non-blocking connect
$PY - "$T_DIR/full.sock" <<'PY' &
import os, socket, sys, time
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX); s.bind(p + ".tmp"); os.chmod(p + ".tmp", 0o666); s.listen(0)
fill = []
for _ in range(4):                       # fill the backlog
    c = socket.socket(socket.AF_UNIX); c.setblocking(False)
    try:
        c.connect(p + ".tmp")
    except BlockingIOError:
        break
    fill.append(c)
os.rename(p + ".tmp", p)
time.sleep(120)
PY
HANG_PID=$!
eventually test -S "$T_DIR/full.sock" || true
service full "socket=$T_DIR/full.sock profile=default timeout=300"
login full nobody -- /bin/true
opened PAM_SESSION_ERR "a daemon whose listen backlog is full: the login goes on after timeout= (connect is bounded too)"
check "  and says so" grep -q "accepted no connection within 300 ms" "$T_DIR/err"
kill "$HANG_PID" 2>/dev/null || true; HANG_PID=""

# --- wifd restarts mid-session: the session is resumed and kept ---------------
( login wiftest nobody -- /bin/sh -c 'while [ ! -e "$0/go3" ]; do sleep 0.05; done' "$T_DIR/seen" ) &
BG=$!
eventually test -s "$UDIR/credentials/default.json" || true
stop_wifd
start_wifd
$WIRE request op=flush profile=default >/dev/null
"$WIF_BIN" token -p default >"$T_DIR/newtok" 2>"$T_DIR/err" || true
eventually sh -c "grep -q \"\$(cat '$T_DIR/newtok')\" '$UDIR/credentials/default.json'" || true
check "after a wifd restart the open session is still kept fresh" grep -q "$(cat "$T_DIR/newtok")" "$UDIR/credentials/default.json"
touch "$T_DIR/seen/go3"; wait $BG || true
check "  and ends with it" test ! -e "$UDIR"

# --- what the user may do to its own directory cannot turn wifd against others --
mkdir -p "$T_DIR/pub" "$T_DIR/target"; chmod 777 "$T_DIR/pub"; chmod 755 "$T_DIR/target"
mkdir "$T_DIR/pub/foreign"; chown 4242:4242 "$T_DIR/pub/foreign"; chmod 777 "$T_DIR/pub/foreign"
( login wiftest nobody -- /bin/sh -c 'while [ ! -e "$0/go5" ]; do sleep 0.05; done' "$T_DIR/seen" ) &
BG=$!
eventually test -s "$UDIR/credentials/default.json" || true
# nobody swaps configs/ for another user's directory and credentials/ for a
# link to a root-owned one, then wifd writes the session again
setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups sh -c "
	rm -rf '$UDIR/configs' '$UDIR/credentials' &&
	mv '$T_DIR/pub/foreign' '$UDIR/configs' &&
	ln -s '$T_DIR/target' '$UDIR/credentials'"
$WIRE request op=flush profile=default >/dev/null
"$WIF_BIN" token -p default >/dev/null 2>&1 || true
eventually grep -q "a directory there is not wifd's to use" "$T_DIR/wifd.log" || true
check "a foreign directory moved in as configs/ is neither chowned nor chmodded" \
    test "$(stat -c '%u %a' "$UDIR/configs")" = "4242 777"
check "  nor written into" test ! -e "$UDIR/configs/default.json"
check "credentials/ as a link to a root-owned directory: nothing written through it" \
    test ! -e "$T_DIR/target/default.json"
check "  wifd says why" grep -q "a directory there is not wifd's to use" "$T_DIR/wifd.log"
touch "$T_DIR/seen/go5"; wait $BG || true
setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups rm -rf "$UDIR/configs" "$UDIR/credentials"
eventually test ! -e "$UDIR" || true

# --- a login that dies without closing: its session is reaped ------------------
( login wiftest nobody -- /bin/sh -c 'sleep 600' ) 2>/dev/null &
BG=$!
eventually test -s "$UDIR/credentials/default.json" || true
check "a login is open" test -s "$UDIR/credentials/default.json"
pkill -KILL -f "pam_session_run wiftest nobody -- /bin/sh -c sleep 600" || true
pkill -KILL -f "^sleep 600" || true
wait $BG 2>/dev/null || true
i=0; while [ -e "$UDIR" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "killed without pam_close_session: wifd reaps the session (files gone)" test ! -e "$UDIR"
check "  and says so" grep -q "its login (pid [0-9]*) is gone" "$T_DIR/wifd.log"

# --- $WIF_SOCKET is not the module's to read (su/sudo pass the caller's) -------
service envsock "profile=default"
set +e
setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups \
    env -i PATH="$PATH" LD_PRELOAD="$PAMW" PAM_WRAPPER=1 UID_WRAPPER_DISABLE_DEEPBIND=1 \
    PAM_WRAPPER_SERVICE_DIR="$T_DIR/pam.d" WIF_SOCKET="$SOCK" \
    ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
    "$RUNNER" envsock nobody -- /bin/true >"$T_DIR/out" 2>"$T_DIR/err"
set -e
check "WIF_SOCKET in the environment is ignored: the module asks the configured socket only" \
    sh -c "! grep -q '^env ANTHROPIC' '$T_DIR/out' && grep -q 'no wifd socket at /.*wifd.sock' '$T_DIR/err' &&
           ! grep -qF '$SOCK' '$T_DIR/err'"

# --- a profile that stops exchanging with Anthropic ends its sessions ---------
( login wiftest nobody -- /bin/sh -c 'while [ ! -e "$0/go6" ]; do sleep 0.05; done' "$T_DIR/seen" ) &
BG=$!
eventually test -s "$UDIR/credentials/default.json" || true
cp "$CONF" "$T_DIR/wif.conf.anthropic"
$PY - "$CONF" <<'PY'
import re, sys
p = sys.argv[1]; s = open(p).read()
s = re.sub(r'exchange = \{ type = "anthropic";.*?\};', 'exchange = { type = "identity"; };', s, count=1, flags=re.S)
open(p, "w").write(s)
PY
kill -HUP "$WIFD_PID"
eventually test ! -e "$UDIR/credentials/default.json" || true
check "reload: profile default is no longer an Anthropic exchange, its session ends" \
    test ! -e "$UDIR/credentials/default.json"
$WIRE request op=ping >"$T_DIR/ping" 2>&1 || true
check "  and wifd keeps serving" grep -q status=ok "$T_DIR/ping"
touch "$T_DIR/seen/go6"; wait $BG || true
cp "$T_DIR/wif.conf.anthropic" "$CONF"
kill -HUP "$WIFD_PID"
eventually grep -c "reloaded" "$T_DIR/wifd.log" >/dev/null || true

# --- a session that loses its access on reload ends ---------------------------
( login wiftest nobody -- /bin/sh -c 'while [ ! -e "$0/go4" ]; do sleep 0.05; done' "$T_DIR/seen" ) &
BG=$!
eventually test -s "$UDIR/credentials/default.json" || true
sed -i 's/users = \[ "nobody" \]/users = [ "root" ]/' "$CONF"
kill -HUP "$WIFD_PID"
eventually test ! -e "$UDIR/credentials/default.json" || true
check "reload: nobody lost profile default, so its session files are removed" test ! -e "$UDIR/credentials/default.json"
touch "$T_DIR/seen/go4"; wait $BG || true

check "no token in wifd's log" not_contains "$T_DIR/wifd.log" "sk-ant-oat01"
stop_wifd
check "wifd: no sanitizer report" sh -c "! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$T_DIR/wifd.log'"
finish
