# `wif exec --refresh`: the command reads its token from $WIF_TOKEN_FILE, which
# wif keeps fresh.  The emulator issues 12-second tokens (run_stack.sh's
# WIF_EMU_TOKEN_LIFETIME), so wif refreshes every ~6 s (half the lifetime) and
# a child that samples the file sees replacements within seconds; it asks the
# emulator (POST /v1/messages) whether each token it reads is still valid.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e

STACK="$T_DIR/stack"
WIF_EMU_TOKEN_LIFETIME=12 "$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" start "$STACK" >/dev/null
trap '"$WIF_TOP_SRCDIR/tests/emulator/run_stack.sh" stop "$STACK" >/dev/null 2>&1; t_cleanup' EXIT
. "$STACK/env"
PY=/usr/bin/python3
BASE="$ANTHROPIC_BASE_URL"
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN WIF_CONFIG ANTHROPIC_BASE_URL \
    ANTHROPIC_FEDERATION_RULE_ID ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID \
    ANTHROPIC_WORKSPACE_ID ANTHROPIC_IDENTITY_TOKEN WIF_TOKEN_FILE
mkdir -p "$T_DIR/run"; chmod 700 "$T_DIR/run"
export XDG_RUNTIME_DIR="$T_DIR/run"

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
    exchange = { type = "anthropic"; base_url = "$BASE";
                 federation_rule_id = "fdrl_demo1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_demo1"; workspace_id = "wrkspc_demo1"; };
  } );
CONF
W() { run_wif -c "$T_DIR/wif.conf" "$@"; }

# The child: child.py MODE REPORT [ARGS]
#   report CODE   one look at its environment, file and descriptors; exit CODE
#   sample STOP N read $WIF_TOKEN_FILE (json) every 0.2 s until STOP exists,
#                 N distinct tokens were seen (N > 0) or 40 s passed; each
#                 read: parsed whole? expiry vs. time of the read, and the
#                 emulator's verdict on the token
#   signals READY wait for SIGUSR1 then SIGTERM (touching READY when set up);
#                 exit 42 on SIGTERM
#   fds           print the descriptors it has
cat >"$T_DIR/child.py" <<'PYX'
import json, os, signal, stat, sys, time, urllib.request, urllib.error

def verdict(tok):
    req = urllib.request.Request(os.environ["T_EMU_URL"] + "/v1/messages", method="POST",
        data=json.dumps({"model": "m", "max_tokens": 1,
                         "messages": [{"role": "user", "content": "hi"}]}).encode(),
        headers={"authorization": "Bearer " + tok, "anthropic-beta": "oauth-2025-04-20",
                 "anthropic-version": "2023-06-01", "content-type": "application/json"})
    try:
        return urllib.request.urlopen(req, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code

def fds():
    return sorted(int(f) for f in os.listdir("/proc/self/fd"))

mode, report = sys.argv[1], sys.argv[2]
if mode == "fds":
    print(json.dumps(fds()))
    sys.exit(0)
if mode == "report":
    p = os.environ.get("WIF_TOKEN_FILE", "")
    st, dst = os.stat(p), os.stat(os.path.dirname(p))
    with open(p) as f:
        content = f.read()
    out = {"path": p, "content": content, "mode": stat.S_IMODE(st.st_mode),
           "dir_mode": stat.S_IMODE(dst.st_mode), "uid": st.st_uid, "dir_uid": dst.st_uid,
           "env": sorted(k for k in os.environ if k.startswith("ANTHROPIC_")),
           "fds": fds(), "verdict": verdict(content.strip())}
    json.dump(out, open(report, "w"))
    sys.exit(int(sys.argv[3]))
if mode == "sample":
    stop, want, reads, end = sys.argv[3], int(sys.argv[4]), [], time.time() + 40
    while time.time() < end and not os.path.exists(stop):
        if want and len(set(r["tok"] for r in reads if "tok" in r)) >= want:
            break
        t = time.time()
        try:
            with open(os.environ["WIF_TOKEN_FILE"]) as f:
                raw = f.read()
        except FileNotFoundError:
            reads.append({"t": t, "missing": True})
            time.sleep(0.2)
            continue
        try:
            d = json.loads(raw)
            tok, exp = d["access_token"], d["expires_at"]
            ok = isinstance(tok, str) and tok.startswith("sk-ant-oat01-") and d["token_type"] == "Bearer"
        except (ValueError, KeyError):
            reads.append({"t": t, "torn": True})
            continue
        reads.append({"t": t, "tok": tok, "exp": exp, "shape": ok, "status": verdict(tok)})
        time.sleep(0.2)
    json.dump(reads, open(report, "w"))
    sys.exit(0)
if mode == "signals":
    got = []
    def on(sig, _):
        got.append(signal.Signals(sig).name)
        with open(report, "w") as f:
            json.dump(got, f)
        if sig == signal.SIGTERM:
            sys.exit(42)
    signal.signal(signal.SIGUSR1, on)
    signal.signal(signal.SIGTERM, on)
    open(sys.argv[3], "w").close()
    end = time.time() + 30
    while time.time() < end:
        time.sleep(0.1)
    sys.exit(3)
PYX
export T_EMU_URL="$EMU_URL"
CHILD="$T_DIR/child.py"
# no_token_in FILE: no access token, no JWT in FILE (wif's stderr)
no_token_in() { ! grep -qE 'sk-ant-oat01-|eyJ' "$1"; }
private_dirs() { find "$T_DIR/run" -maxdepth 1 -name 'wif-exec.*' | wc -l; }
token_files() { find "$T_DIR/run" -path '*/wif-exec.*/token'; }
# wait_for CMD...: until CMD succeeds, at most 20 s
wait_for() { local i; for i in $(seq 200); do "$@" && return 0; sleep 0.1; done; "$@"; }
has_token_file() { [ -n "$(token_files)" ]; }
err5_has() { grep -q "$1" "$T_DIR/err5"; }

# --- the file, the environment, the exit status --------------------------------
ANTHROPIC_API_KEY=sk-ant-api03-shadowshadow ANTHROPIC_AUTH_TOKEN=stale-marker \
    ANTHROPIC_IDENTITY_TOKEN=literal-jwt-marker W -vv exec --refresh -- $PY "$CHILD" report "$T_DIR/r1.json" 7
check "exit status is the command's (7)" test $RC -eq 7
check "the child saw WIF_TOKEN_FILE in a private directory under XDG_RUNTIME_DIR" $PY -c '
import json,sys,re; d=json.load(open(sys.argv[1]))
assert re.fullmatch(re.escape(sys.argv[2]) + r"/wif-exec\.[A-Za-z0-9]{6}/token", d["path"]), d["path"]' \
    "$T_DIR/r1.json" "$T_DIR/run"
check "the file holds a raw token and a newline" $PY -c '
import json,sys,re; d=json.load(open(sys.argv[1]))
assert re.fullmatch(r"sk-ant-oat01-[A-Za-z0-9_-]+\n", d["content"])' "$T_DIR/r1.json"
check "the token in the file is valid at the emulator" $PY -c '
import json,sys; assert json.load(open(sys.argv[1]))["verdict"] == 200' "$T_DIR/r1.json"
check "file 0600, directory 0700, both ours" $PY -c '
import json,os,sys; d=json.load(open(sys.argv[1]))
assert d["mode"] == 0o600 and d["dir_mode"] == 0o700, (oct(d["mode"]), oct(d["dir_mode"]))
assert d["uid"] == d["dir_uid"] == os.getuid()' "$T_DIR/r1.json"
check "no ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN or ANTHROPIC_IDENTITY_TOKEN in the child" $PY -c '
import json,sys; e=json.load(open(sys.argv[1]))["env"]
assert not set(e) & {"ANTHROPIC_API_KEY","ANTHROPIC_AUTH_TOKEN","ANTHROPIC_IDENTITY_TOKEN"}, e' "$T_DIR/r1.json"
check "warns that ANTHROPIC_API_KEY was removed" contains "$T_DIR/err" "ANTHROPIC_API_KEY is set"
check "no token, API key or JWT in wif's stderr (-vv)" sh -c "! grep -qE 'sk-ant-oat01-|shadowshadow|eyJ' '$T_DIR/err'"
R1_PATH=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["path"])' "$T_DIR/r1.json")
check "the file is gone after the command exited" test ! -e "$R1_PATH"
check "and so is its directory" test ! -e "$(dirname "$R1_PATH")"
$PY "$CHILD" fds - >"$T_DIR/fds.direct"
W exec --refresh -- $PY "$CHILD" fds -
check "the child has exactly the descriptors it has without wif" test "$(out)" = "$(cat "$T_DIR/fds.direct")"

# --- the file is replaced before the token expires ------------------------------
before=$(emu_stat exchanges.succeeded)
W exec --refresh --format json -- $PY "$CHILD" sample "$T_DIR/r2.json" "$T_DIR/stop-never" 3
check "sampling child: exit 0" test $RC -eq 0
check "every read: whole JSON, a token, never expired, valid at the emulator; replaced in time" $PY - "$T_DIR/r2.json" <<'PYX'
import json, sys
reads = json.load(open(sys.argv[1]))
assert len(reads) > 20, len(reads)
bad = [r for r in reads if r.get("torn") or r.get("missing")]
assert not bad, bad[:3]
for r in reads:
    assert r["shape"], r["t"]
    assert r["exp"] > r["t"], ("expired token in the file", r["t"], r["exp"])
    assert r["status"] == 200, ("the emulator refused a token read from the file", r["t"], r["status"])
seen = []  # tokens in order of first sight: (tok, first_t, exp)
for r in reads:
    if not seen or seen[-1][0] != r["tok"]:
        assert r["tok"] not in [s[0] for s in seen], "an old token came back"
        seen.append((r["tok"], r["t"], r["exp"]))
assert len(seen) >= 3, "only %d distinct tokens in %.0f s" % (len(seen), reads[-1]["t"] - reads[0]["t"])
for (old, _, old_exp), (new, first, _) in zip(seen, seen[1:]):
    assert first < old_exp, ("replaced only after expiry", first, old_exp)
PYX
check "each replacement was an exchange" test "$(emu_stat exchanges.succeeded)" -ge $((before + 3))
check "no token in wif's stderr" no_token_in "$T_DIR/err"

# --- signals ---------------------------------------------------------------------
"$WIF_BIN" -c "$T_DIR/wif.conf" exec --refresh -- $PY "$CHILD" signals "$T_DIR/r3.json" "$T_DIR/ready" \
    >"$T_DIR/out3" 2>"$T_DIR/err3" &
WPID=$!
wait_for test -e "$T_DIR/ready"
kill -USR1 "$WPID"
wait_for test -s "$T_DIR/r3.json"
kill -TERM "$WPID"
set +e; wait "$WPID"; RC=$?; set -e
check "SIGUSR1 and SIGTERM sent to wif reached the command" \
    test "$(cat "$T_DIR/r3.json")" = '["SIGUSR1", "SIGTERM"]'
check "exit status after SIGTERM is the command's (42)" test $RC -eq 42
W exec --refresh -- /bin/sh -c 'kill -KILL $$'
check "command killed by SIGKILL: exit 137" test $RC -eq 137

# --- commands that cannot run; no leftovers ---------------------------------------
W exec --refresh -- /nonexistent/program
check "missing command: exit 127" test $RC -eq 127
check "missing command: says so" contains "$T_DIR/err" "cannot run /nonexistent/program"
printf '#!/bin/sh\n' >"$T_DIR/noexec"; chmod 644 "$T_DIR/noexec"
W exec --refresh -- "$T_DIR/noexec"
check "command not executable: exit 126" test $RC -eq 126
W exec --refresh --format env -- /bin/true
check "--format env is a usage error for exec" test $RC -eq 2
W exec --token-file "$T_DIR/x" -- /bin/true
check "--token-file without --refresh is a usage error" test $RC -eq 2
check "no private directory left behind" test "$(private_dirs)" -eq 0

# --- --token-file ----------------------------------------------------------------------
mkdir -m 700 "$T_DIR/mine"
W exec --refresh --token-file "$T_DIR/mine/tok" -- $PY "$CHILD" report "$T_DIR/r4.json" 0
check "--token-file: the child gets that path, 0600" $PY -c '
import json,sys; d=json.load(open(sys.argv[1]))
assert d["path"] == sys.argv[2] and d["mode"] == 0o600 and d["verdict"] == 200, d["path"]' \
    "$T_DIR/r4.json" "$T_DIR/mine/tok"
check "--token-file: removed on exit" test ! -e "$T_DIR/mine/tok"
check "--token-file: its directory stays" test -d "$T_DIR/mine"
mkdir -m 777 "$T_DIR/open"
W exec --refresh --token-file "$T_DIR/open/tok" -- /bin/sh -c "touch '$T_DIR/ran'"
check "--token-file in a world-writable directory: exit 1" test $RC -eq 1
check "--token-file in a world-writable directory: says why" contains "$T_DIR/err" "writable by others"
check "--token-file in a world-writable directory: the command did not run" test ! -e "$T_DIR/ran"

# --- a refresh that fails: the old token while valid, then no file ------------------
"$WIF_BIN" -c "$T_DIR/wif.conf" exec --refresh --format json -- $PY "$CHILD" sample "$T_DIR/r5.json" "$T_DIR/stop5" 0 \
    >"$T_DIR/out5" 2>"$T_DIR/err5" &
WPID=$!
wait_for has_token_file
fault '{"mode":"status","status":500,"count":-1}'
wait_for err5_has "removed the file" || :
check "refresh failures: the token is removed before it expires, with a message" \
    contains "$T_DIR/err5" "removed the file rather than leave an expired token"
check "refresh failures: the file is gone" test -z "$(token_files)"
reset
wait_for err5_has "holds a valid token again" || :
check "after the fault clears: a new token in the file" contains "$T_DIR/err5" "holds a valid token again"
sleep 1
touch "$T_DIR/stop5"
set +e; wait "$WPID"; RC=$?; set -e
check "refresh failures: exit 0" test $RC -eq 0
check "refresh failures: one line per failure, naming profile and file, keeping the token" \
    grep -qE "^wif: exec: profile default: cannot refresh the token in .*/token: .*the current token stays \(valid [0-9]+ s more\), next try in [0-9]+ s$" "$T_DIR/err5"
check "refresh failures: the child never read an expired or refused token, and saw the gap" $PY - "$T_DIR/r5.json" <<'PYX'
import json, sys
reads = json.load(open(sys.argv[1]))
assert not [r for r in reads if r.get("torn")]
ok = [r for r in reads if "tok" in r]
for r in ok:
    assert r["exp"] > r["t"], ("expired token in the file", r)
    assert r["status"] == 200, ("refused token in the file", r["status"])
miss = [i for i, r in enumerate(reads) if r.get("missing")]
assert miss, "the file was never absent"
assert any("tok" in r for r in reads[miss[-1]:]), "no token after the gap"
PYX
check "refresh failures: no token in wif's stderr" no_token_in "$T_DIR/err5"
check "nothing left in XDG_RUNTIME_DIR but the cache" test "$(private_dirs)" -eq 0

finish
