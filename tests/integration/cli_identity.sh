# `wif identity` through the real plugins: file, exec, chains, refusals,
# and no token in any log line.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e

JWT=$(make_jwt https://issuer.example demo:app https://api.anthropic.com 600)
SIG=${JWT##*.}
printf '  %s\n\n' "$JWT" >"$T_DIR/token"      # whitespace around it on purpose

conf() { # conf FILE SOURCES
	cat >"$1" <<CONF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; };
profiles = (
  { name = "default";
    source = ( $2 );
    exchange = { type = "identity"; };
  } );
CONF
}

# --- file ------------------------------------------------------------------
conf "$T_DIR/file.conf" "{ provider = \"file\"; path = \"$T_DIR/token\"; }"
run_wif -vv -c "$T_DIR/file.conf" identity
check "identity via file succeeds" test $RC -eq 0
check "shows the issuer" grep -qE '^issuer: +https://issuer.example$' "$T_DIR/out"
check "shows the subject" grep -qE '^subject: +demo:app$' "$T_DIR/out"
check "shows the audience" grep -qE '^audience: +https://api.anthropic.com$' "$T_DIR/out"
check "shows the source" grep -qE '^source: +1 \(file\)$' "$T_DIR/out"
check "never prints the token without --raw" not_contains "$T_DIR/out" "$SIG"
check "never logs the token" not_contains "$T_DIR/err" "$SIG"

run_wif -c "$T_DIR/file.conf" identity --raw
check "--raw prints exactly the trimmed JWT" test "$(out)" = "$JWT"

run_wif -c "$T_DIR/file.conf" identity --json
check "--json is valid JSON with the claims" /usr/bin/python3 -c '
import json,sys; d=json.load(open(sys.argv[1])); assert d["claims"]["sub"]=="demo:app" and d["provider"]=="file" and len(d["token_sha256"])==64' "$T_DIR/out"
check "--json never carries the token" not_contains "$T_DIR/out" "$SIG"

: >"$T_DIR/token"
run_wif -c "$T_DIR/file.conf" identity
check "empty token file fails" test $RC -eq 1
check "empty token file: clear error naming the file" contains "$T_DIR/err" "$T_DIR/token"

make_jwt https://issuer.example demo:app https://api.anthropic.com -600 -1200 >"$T_DIR/token"
run_wif -c "$T_DIR/file.conf" identity
check "expired token refused" test $RC -eq 1
check "expired token: says expired" contains "$T_DIR/err" "expired"

make_jwt https://issuer.example demo:app https://api.anthropic.com 1200 600 >"$T_DIR/token"
run_wif -c "$T_DIR/file.conf" identity
check "future-dated token refused" test $RC -eq 1
check "future-dated token: says check the clock" contains "$T_DIR/err" "clock"

echo "not a jwt" >"$T_DIR/token"
run_wif -c "$T_DIR/file.conf" identity
check "not-a-JWT refused" test $RC -eq 1
check "not-a-JWT: no content echoed" not_contains "$T_DIR/err" "not a jwt"

# --- exec ------------------------------------------------------------------
cat >"$T_DIR/get-jwt" <<SH
#!/bin/sh
printf '{"token":"%s","expires_in":600}\n' "$JWT"
SH
chmod 755 "$T_DIR/get-jwt"
conf "$T_DIR/exec.conf" "{ provider = \"exec\"; command = [ \"$T_DIR/get-jwt\" ]; }"
run_wif -vv -c "$T_DIR/exec.conf" identity
check "identity via exec (JSON output) succeeds" test $RC -eq 0
check "exec: subject shown" grep -qE '^subject: +demo:app$' "$T_DIR/out"
check "exec: token never logged" not_contains "$T_DIR/err" "$SIG"

printf '#!/bin/sh\necho "cannot reach the IdP" >&2\nexit 3\n' >"$T_DIR/fails"
chmod 755 "$T_DIR/fails"
conf "$T_DIR/execfail.conf" "{ provider = \"exec\"; command = [ \"$T_DIR/fails\" ]; }"
run_wif -c "$T_DIR/execfail.conf" identity
check "exec failure exits 1" test $RC -eq 1
check "exec failure names the status" contains "$T_DIR/err" "status 3"
check "exec failure shows stderr" contains "$T_DIR/err" "cannot reach the IdP"

# --- chains ----------------------------------------------------------------
printf '%s\n' "$JWT" >"$T_DIR/token"
conf "$T_DIR/chain.conf" "{ provider = \"exec\"; command = [ \"$T_DIR/fails\" ]; },
                          { provider = \"file\"; path = \"$T_DIR/token\"; }"
run_wif -c "$T_DIR/chain.conf" identity
check "chain falls through to the second source" test $RC -eq 0
check "chain reports source 2" grep -qE '^source: +2 \(file\)$' "$T_DIR/out"

rm -f "$T_DIR/token"
run_wif -c "$T_DIR/chain.conf" identity
check "chain with every source failing exits 1" test $RC -eq 1
check "chain failure names source 1" contains "$T_DIR/err" "source 1 (exec"
check "chain failure names source 2" contains "$T_DIR/err" "source 2 (file"

run_wif -c "$T_DIR/file.conf" identity --profile nosuch
check "unknown profile exits 1" test $RC -eq 1
check "unknown profile is named" contains "$T_DIR/err" "nosuch"

finish
