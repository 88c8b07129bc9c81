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
# eventually CMD...: CMD succeeds within 5 s (for what another process writes
# asynchronously, e.g. wifd's audit writer thread)
eventually() { local i; for i in $(seq 50); do "$@" && return 0; sleep 0.1; done; "$@"; }

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

# The emulator's control API (tests/emulator; $EMU_URL from run_stack.sh).
emu() { # emu GET|POST PATH [JSON] -> body on stdout
	/usr/bin/python3 - "$1" "$EMU_URL$2" "${3:-}" <<'PYX'
import sys, urllib.request
m, url, body = sys.argv[1], sys.argv[2], sys.argv[3]
req = urllib.request.Request(url, method=m, data=body.encode() if body else None,
                             headers={"content-type": "application/json"})
print(urllib.request.urlopen(req, timeout=10).read().decode())
PYX
}
emu_stat() { # emu_stat exchanges.succeeded
	emu GET /_emu/stats | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d.get(k,0) if isinstance(d,dict) else 0
print(d)' "$1"
}
fault() { emu POST /_emu/fault "$1" >/dev/null; }
reset() { emu POST /_emu/reset '{}' >/dev/null; }

finish() {
	echo "$T_PASSES passed, $T_FAILS failed"
	[ "$T_FAILS" -eq 0 ]
	exit $?
}

# npm_peer SRC_DIR DEST_DIR: the npm packages pinned by SRC_DIR's package.json
# and package-lock.json, installed (npm ci) into DEST_DIR in the build tree -
# never into the source tree, which may be read-only (distcheck).  A complete
# install is marked, so a half-finished one is redone next time.
npm_peer() {
	local src=$1 dst=$2
	mkdir -p "$dst"
	# Tests that share DEST_DIR run in parallel (make -j): one installs while
	# the others wait for it, then find the install complete.
	(
		flock 9
		if cmp -s "$src/package-lock.json" "$dst/node_modules/.installed-lock.json"; then
			exit 0
		fi
		if [ "$(cd "$src" && pwd -P)" != "$(cd "$dst" && pwd -P)" ]; then
			cp "$src/package.json" "$src/package-lock.json" "$dst/"
			chmod u+w "$dst/package.json" "$dst/package-lock.json"
		fi
		rm -rf "$dst/node_modules"
		if ! (cd "$dst" && npm ci --no-audit --no-fund >npm.log 2>&1); then
			cat "$dst/npm.log"
			exit 1
		fi
		cp "$dst/package-lock.json" "$dst/node_modules/.installed-lock.json"
	) 9>"$dst/.npm-lock"
}

# emu_for_issuer NAME ISSUER_URL JWKS SUBJECT_PREFIX [AUDIENCE]: start an
# Anthropic emulator that trusts one more issuer (JWKS: a file holding the
# JWKS, or a URL to fetch it from) with one rule, fdrl_NAME1 -> svac_NAME1 in
# wrkspc_NAME1, matching AUDIENCE (default https://api.anthropic.com) and
# SUBJECT_PREFIX.
# Sets EMU_FOR_ISSUER_URL to the emulator's base URL (not a subshell: the
# process joins T_PIDS, stopped by t_cleanup).
emu_for_issuer() {
	local name=$1 iss=$2 jwks=$3 prefix=$4 aud=${5:-https://api.anthropic.com} i
	/usr/bin/python3 - "$T_DIR/emu-$name.json" "$name" "$iss" "$jwks" "$prefix" "$aud" <<'PYX'
import json, sys
out, name, iss, jwks, prefix, aud = sys.argv[1:7]
issuer = {"issuer_url": iss, "max_jwt_lifetime_seconds": 3600}
if jwks.startswith("http"):
    issuer["jwks_url"] = jwks
else:
    issuer["jwks"] = json.load(open(jwks))
json.dump({"issuers": [issuer],
           "rules": [{"id": "fdrl_%s1" % name, "organization_id": "00000000-0000-4000-8000-000000000001",
                      "service_account_id": "svac_%s1" % name, "issuer_url": iss,
                      "match": {"audience": aud, "subject_prefix": prefix},
                      "token_lifetime_seconds": 600, "workspace_ids": ["wrkspc_%s1" % name],
                      "oauth_scope": "workspace:developer"}]}, open(out, "w"))
PYX
	/usr/bin/python3 "$WIF_TOP_SRCDIR/tests/emulator/anthropic_emulator.py" --config "$T_DIR/emu-$name.json" \
	    --port 0 --port-file "$T_DIR/emu-$name.port" --log "$T_DIR/emu-$name.log" >"$T_DIR/emu-$name.err" 2>&1 &
	T_PIDS="$T_PIDS $!"
	for i in $(seq 200); do [ -s "$T_DIR/emu-$name.port" ] && break; sleep 0.05; done
	[ -s "$T_DIR/emu-$name.port" ] || { cat "$T_DIR/emu-$name.err" >&2; return 1; }
	EMU_FOR_ISSUER_URL="http://127.0.0.1:$(cat "$T_DIR/emu-$name.port")"
}
