# lib.sh - shared helpers for the shell integration tests (sourced).
# Each test gets a private directory under the build tree (never /tmp: the
# plugin loader refuses world-writable parents), removed on exit.
set -u

: "${WIF_TOP_BUILDDIR:?run through make check}"
: "${WIF_BIN:?}"
T_NAME=$(basename "$0" .sh)
T_FAILS=0
T_PASSES=0
T_DIR=$(mkdir -p "$WIF_TOP_BUILDDIR/tests/tmp" && mktemp -d "$WIF_TOP_BUILDDIR/tests/tmp/$T_NAME.XXXXXX")
chmod 755 "$T_DIR"
T_PIDS=""
t_cleanup() {
	for p in $T_PIDS; do kill "$p" 2>/dev/null; done
	for p in $T_PIDS; do wait "$p" 2>/dev/null; done
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT

pass() { T_PASSES=$((T_PASSES + 1)); echo "ok - $*"; }
fail() { T_FAILS=$((T_FAILS + 1)); echo "not ok - $*"; }

# check NAME COMMAND...: pass when the command succeeds
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n"; fi; }

# run_wif: runs wif, leaving stdout/stderr/exit code in $T_DIR/out, err, $RC
run_wif() {
	set +e
	"$WIF_BIN" "$@" >"$T_DIR/out" 2>"$T_DIR/err"
	RC=$?
	set -e
	return 0
}
out() { cat "$T_DIR/out"; }
err() { cat "$T_DIR/err"; }
contains() { grep -qF -- "$2" "$1"; }
not_contains() { ! grep -qF -- "$2" "$1"; }

# make_jwt ISS SUB AUD EXP_OFFSET [IAT_OFFSET] - an unsigned-but-well-formed
# JWT (the core never checks signatures; the emulator does).
make_jwt() {
	/usr/bin/python3 - "$@" <<'PY'
import base64, json, sys, time, os
iss, sub, aud, exp_off = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
iat_off = int(sys.argv[5]) if len(sys.argv) > 5 else 0
now = int(time.time())
b = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).rstrip(b"=").decode()
hdr = {"alg": "RS256", "kid": "test-key", "typ": "JWT"}
pl = {"iss": iss, "sub": sub, "aud": aud, "iat": now + iat_off, "exp": now + exp_off, "jti": os.urandom(8).hex()}
sig = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
print(b(hdr) + "." + b(pl) + "." + sig)
PY
}

finish() {
	echo "$T_PASSES passed, $T_FAILS failed"
	[ "$T_FAILS" -eq 0 ]
	exit $?
}
