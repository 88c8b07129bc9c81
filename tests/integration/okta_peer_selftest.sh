#!/bin/bash
# okta_peer_selftest.sh - the okta provider's peers (tests/peers/okta) proven
# with curl and jose before wif is tested against them:
#  1. oidc-provider laid out as an Okta custom authorization server
#     (okta_server.mjs): discovery at Okta's paths; client_secret_basic,
#     client_secret_post and private_key_jwt (RS256, ES256) each get an
#     access token that jose verifies (signature against .../v1/keys,
#     iss, aud https://api.anthropic.com, sub = client_id); the errors:
#     wrong secret, unknown client, missing / unknown / ungranted scope,
#     private_key_jwt with a wrong aud, expired, too long, a wrong key,
#     replayed, a mismatching client_id; a client that requires DPoP
#     (without a proof, with one, with a server nonce), and Okta's wording
#     of the DPoP errors (--okta-dpop-errors); the request log masks secrets.
#  2. oauth2-mock-server (mock_server.mjs), a second implementation: the
#     same positive checks.
#  3. verify_token.mjs refuses a wrong issuer, audience, subject, key or a
#     tampered token (so its acceptance above means something).
# README.md in tests/peers/okta records the answers checked here.
# Exit 77 only when node or npm is absent; an npm failure is a failure.
: "${WIF_TOP_SRCDIR:?run through make check}"
: "${WIF_TOP_BUILDDIR:?run through make check}"
command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed"; exit 77; }
command -v npm >/dev/null 2>&1 || { echo "SKIP: npm is not installed"; exit 77; }
# shellcheck source=lib.sh
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
trap 'exit 1' INT TERM # (lib.sh's EXIT trap stops the servers)
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
SRC=$WIF_TOP_SRCDIR/tests/peers/okta
AUD=https://api.anthropic.com
for t in curl openssl; do
	command -v $t >/dev/null 2>&1 || { fail "$t is missing (scripts/setup.sh installs it)"; finish; }
done

# --- the pinned packages, installed in the build tree (a directory of this
# test's own: no race with the other tests that install tests/peers/okta
# under make -j; make clean removes tests/tmp); the scripts run from this
# test's directory, which sees the packages through a node_modules link.
NPM_DIR=$WIF_TOP_BUILDDIR/tests/tmp/okta-peers
npm_peer "$SRC" "$NPM_DIR" || { fail "npm ci of tests/peers/okta"; finish; }
P=$T_DIR/peer
mkdir -p "$P"
ln -s "$NPM_DIR/node_modules" "$P/node_modules"
for f in okta_server.mjs mock_server.mjs verify_token.mjs make_client_assertion.mjs; do
	cp "$SRC/$f" "$P/$f" || { fail "copy $f"; finish; }
done
pins=$(node -e '
const fs = require("fs"), path = require("path"), d = process.argv[1];
const want = JSON.parse(fs.readFileSync(path.join(d, "package.json"))).dependencies;
for (const [n, v] of Object.entries(want)) {
  const got = JSON.parse(fs.readFileSync(path.join(d, "node_modules", n, "package.json"))).version;
  console.log(n + "@" + (got === v ? "ok" : got + "!=" + v));
}' "$NPM_DIR" 2>&1 | tr '\n' ' ')
if [ "$pins" = "jose@ok oauth2-mock-server@ok oidc-provider@ok " ]; then pass "npm ci installed the pinned jose, oauth2-mock-server, oidc-provider"
else fail "installed versions: $pins"; fi

# --- helpers
expect() { # expect NAME GOT WANT
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: got [$2], want [$3]"; fi
}
wait_for() { local _; for _ in $(seq 300); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
# jf FILE EXPR: a Python expression over d = the JSON in FILE
jf() {
	$PY - "$1" "$2" <<'PYX'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print("<not JSON: %s>" % e); sys.exit(0)
try:
    v = eval(sys.argv[2], {"d": d})
except Exception as e:
    v = "<%s: %s>" % (type(e).__name__, e)
print(v if isinstance(v, str) else json.dumps(v))
PYX
}
jb() { jf "$T_DIR/body" "$1"; }
# lastlog LOG EXPR: EXPR over d = the last POST to the token endpoint in LOG
lastlog() {
	$PY - "$1" "$2" <<'PYX'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
recs = [r for r in recs if r["method"] == "POST" and r["path"].split("?")[0].endswith("token")]
d = recs[-1] if recs else {}
try:
    v = eval(sys.argv[2], {"d": d})
except Exception as e:
    v = "<%s: %s>" % (type(e).__name__, e)
print(v if isinstance(v, str) else json.dumps(v))
PYX
}
# hdr NAME: that response header's value (of the last post)
hdr() { tr -d '\r' <"$T_DIR/hdrs" | awk -v n="$1" 'BEGIN { n = tolower(n) ":" } tolower($1) == n { sub(/^[^:]*: */, ""); print; exit }'; }
# post URL CURL-ARGS...: a token request; body in $T_DIR/body, headers in $T_DIR/hdrs, HTTP status in $ST
N_OKTA=0
post() {
	local url="$1"; shift
	[ "$url" != "${TOKEN_URL:-}" ] || N_OKTA=$((N_OKTA + 1))
	ST=$(curl -sS --noproxy '*' --max-time 10 -o "$T_DIR/body" -D "$T_DIR/hdrs" -w '%{http_code}' "$@" "$url" 2>"$T_DIR/curl.err") ||
		ST="curl failed: $(cat "$T_DIR/curl.err")"
}
cc() { # cc URL ASSERTION [CURL-ARGS...]: client_credentials with a client assertion
	local url="$1" a="$2"; shift 2
	post "$url" -d grant_type=client_credentials -d scope=anthropic.access \
	    -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
	    --data-urlencode "client_assertion=$a" "$@"
}
assertion() { node "$P/make_client_assertion.mjs" "$@"; }
verify() { node "$P/verify_token.mjs" "$@"; }
# token_ok LABEL CLIENT_ID JWKS ISSUER [TOKEN_TYPE]: the last post got a token jose verifies
token_ok() {
	local tt="${5:-Bearer}"
	expect "$1: HTTP 200" "$ST" 200
	expect "$1: token_type $tt, expires_in 3600, scope anthropic.access" \
	    "$(jb '[d.get("token_type"), d.get("expires_in"), d.get("scope")]')" "[\"$tt\", 3600, \"anthropic.access\"]"
	jb 'd.get("access_token", "")' >"$T_DIR/at"
	if verify "$3" "$4" "$AUD" - "$2" <"$T_DIR/at" >"$T_DIR/claims" 2>"$T_DIR/verify.err"; then
		pass "$1: jose verifies the access token (signature, iss, aud, sub = $2)"
	else fail "$1: jose refuses the access token: $(cat "$T_DIR/verify.err")"; fi
	expect "$1: claims iss, aud, sub, client_id, scope" \
	    "$(jf "$T_DIR/claims" '[d.get("iss"), d.get("aud"), d.get("sub"), d.get("client_id"), d.get("scope")]')" \
	    "[\"$4\", \"$AUD\", \"$2\", \"$2\", \"anthropic.access\"]"
}
# error_is LABEL STATUS ERROR DESCRIPTION [LOG DETAIL]: the last post's error answer (and the logged reason)
error_is() {
	expect "$1: HTTP $2 $3 \"$4\"" "$ST $(jb '[d.get("error"), d.get("error_description")]')" "$2 [\"$3\", \"$4\"]"
	[ $# -lt 6 ] || expect "$1: the server's reason: $6" "$(lastlog "$5" 'd.get("error_detail")')" "$6"
}

# --- keys and clients
gen_rsa() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_DIR/$1" 2>/dev/null; }
gen_ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T_DIR/$1" 2>/dev/null; }
if ! { gen_rsa rsa.pem && gen_ec ec.pem && gen_rsa other-rsa.pem && gen_ec other-ec.pem && gen_ec dpop.pem; }; then
	fail "openssl genpkey"; finish
fi
chmod 600 "$T_DIR"/*.pem
SECRET=okta-secret-$$-0123456789abcdefghij
# the RSA client's public key as a JWK Set (the EC client's as a PEM: both forms)
node -e '
const c = require("crypto"), fs = require("fs");
const j = c.createPublicKey(fs.readFileSync(process.argv[1])).export({ format: "jwk" });
Object.assign(j, { kid: "rsa-1", alg: "RS256", use: "sig" });
process.stdout.write(JSON.stringify({ keys: [j] }));' "$T_DIR/rsa.pem" >"$T_DIR/rsa.jwks" ||
	{ fail "RSA public JWK"; finish; }
openssl pkey -in "$T_DIR/ec.pem" -pubout -out "$T_DIR/ec.pub" 2>/dev/null || { fail "EC public key"; finish; }
$PY - "$T_DIR" "$SECRET" <<'PYX' || { fail "clients.json"; finish; }
import json, sys
d, sec = sys.argv[1:3]
json.dump([
    {"client_id": "0oabasic", "token_endpoint_auth_method": "client_secret_basic", "client_secret": sec},
    {"client_id": "0oapost", "token_endpoint_auth_method": "client_secret_post", "client_secret": sec},
    {"client_id": "0oarsa", "token_endpoint_auth_method": "private_key_jwt", "jwks": json.load(open(d + "/rsa.jwks")),
     "token_endpoint_auth_signing_alg": "RS256"},
    {"client_id": "0oaec", "token_endpoint_auth_method": "private_key_jwt", "public_key_pem": open(d + "/ec.pub").read(),
     "kid": "ec-1", "alg": "ES256"},
    {"client_id": "0oadpop", "token_endpoint_auth_method": "client_secret_basic", "client_secret": sec,
     "dpop_bound_access_tokens": True},
    {"client_id": "0oanonce", "token_endpoint_auth_method": "client_secret_basic", "client_secret": sec,
     "dpop_bound_access_tokens": True, "dpop_nonce": True},
    {"client_id": "0oaother", "token_endpoint_auth_method": "client_secret_basic", "client_secret": sec,
     "scope": "other.scope"},
    {"client_id": "0oa:odd+id", "token_endpoint_auth_method": "client_secret_basic", "client_secret": sec + ":+%"},
], open(d + "/clients.json", "w"), indent=1)
PYX

# --- 1. oidc-provider as an Okta authorization server ---------------------------------
(exec node "$P/okta_server.mjs" --clients "$T_DIR/clients.json" --port-file "$T_DIR/okta.port" \
    --issuer-file "$T_DIR/okta.iss" --log "$T_DIR/okta.log") >"$T_DIR/okta.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_for "$T_DIR/okta.iss" || { cat "$T_DIR/okta.out"; fail "okta_server.mjs starts"; finish; }
ISS=$(cat "$T_DIR/okta.iss")
PORT=$(cat "$T_DIR/okta.port")
TOKEN_URL=$ISS/v1/token
JWKS=$ISS/v1/keys
expect "issuer is http://127.0.0.1:PORT/oauth2/default" "$ISS" "http://127.0.0.1:$PORT/oauth2/default"
curl -sS --noproxy '*' --max-time 10 -o "$T_DIR/disc" "$ISS/.well-known/openid-configuration"
expect "discovery: issuer, token endpoint .../v1/token, keys .../v1/keys" \
    "$(jf "$T_DIR/disc" '[d.get("issuer"), d.get("token_endpoint"), d.get("jwks_uri")]')" "[\"$ISS\", \"$TOKEN_URL\", \"$JWKS\"]"
expect "discovery: the three client authentication methods, client_credentials" \
    "$(jf "$T_DIR/disc" '[sorted(d["token_endpoint_auth_methods_supported"]), "client_credentials" in d["grant_types_supported"]]')" \
    '[["client_secret_basic", "client_secret_post", "private_key_jwt"], true]'
curl -sS --noproxy '*' --max-time 10 -o "$T_DIR/disc2" "$ISS/.well-known/oauth-authorization-server"
expect "RFC 8414 discovery (as Okta) names the same token endpoint" "$(jf "$T_DIR/disc2" 'd.get("token_endpoint")')" "$TOKEN_URL"
st=$(curl -sS --noproxy '*' --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/oauth2/v1/token")
expect "nothing outside /oauth2/default (404)" "$st" 404

# client_secret_basic
post "$TOKEN_URL" -u "0oabasic:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access
token_ok "client_secret_basic" 0oabasic "$JWKS" "$ISS"
expect "  logged: Authorization Basic (masked), its client ID, the form without secrets" \
    "$(lastlog "$T_DIR/okta.log" '[d["headers"].get("authorization"), d.get("basic_client_id"), d.get("form")]')" \
    '["Basic <masked>", "0oabasic", {"grant_type": "client_credentials", "scope": "anthropic.access"}]'
expect "  logged: the response, access token masked, its claims" \
    "$(lastlog "$T_DIR/okta.log" '[d["status"], d["response"]["access_token"].startswith("<"), d["access_token_claims"]["sub"]]')" \
    '[200, true, "0oabasic"]'
AT_OKTA=$(cat "$T_DIR/at")
expect "  Okta's claims too: ver 1, cid, scp" "$(jf "$T_DIR/claims" '[d.get("ver"), d.get("cid"), d.get("scp")]')" \
    '[1, "0oabasic", ["anthropic.access"]]'
# RFC 6749 2.3.1: the Basic user and password are form-encoded first
b64=$(printf '%s' "0oa%3Aodd%2Bid:$SECRET%3A%2B%25" | base64 | tr -d '\n')
post "$TOKEN_URL" -H "Authorization: Basic $b64" -d grant_type=client_credentials -d scope=anthropic.access
token_ok "client_secret_basic, ID and secret with : + % (form-encoded)" "0oa:odd+id" "$JWKS" "$ISS"
expect "  logged: the user part as sent and decoded" "$(lastlog "$T_DIR/okta.log" '[d.get("basic_user"), d.get("basic_client_id")]')" \
    '["0oa%3Aodd%2Bid", "0oa:odd+id"]'
post "$TOKEN_URL" -u "0oa:odd+id:$SECRET:+%" -d grant_type=client_credentials -d scope=anthropic.access
error_is "the same ID and secret not encoded (a bare %)" 400 invalid_request \
    "client_id and client_secret in the authorization header are not properly encoded" "$T_DIR/okta.log" "URI malformed"
post "$TOKEN_URL" -u "0oa:odd+id:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access
error_is "an unencoded : in the ID (the ID ends at the first :)" 401 invalid_client "client authentication failed" \
    "$T_DIR/okta.log" "client not found"

# client_secret_post
post "$TOKEN_URL" -d grant_type=client_credentials -d scope=anthropic.access -d client_id=0oapost \
    --data-urlencode "client_secret=$SECRET"
token_ok "client_secret_post" 0oapost "$JWKS" "$ISS"
expect "  logged: the secret masked in the form, no Authorization" \
    "$(lastlog "$T_DIR/okta.log" '[d["form"], "authorization" in d["headers"]]')" \
    "[{\"grant_type\": \"client_credentials\", \"scope\": \"anthropic.access\", \"client_id\": \"0oapost\", \"client_secret\": \"<${#SECRET} chars>\"}, false]"

# private_key_jwt, RS256 (the client registered with a JWK Set) and ES256 (with a PEM)
cc "$TOKEN_URL" "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$TOKEN_URL" --kid rsa-1)"
token_ok "private_key_jwt RS256 (no client_id in the body)" 0oarsa "$JWKS" "$ISS"
expect "  logged: the assertion decoded (alg, kid, iss, sub, aud), masked in the form" \
    "$(lastlog "$T_DIR/okta.log" '[d["client_assertion"]["header"]["alg"], d["client_assertion"]["header"]["kid"], d["client_assertion"]["payload"]["iss"], d["client_assertion"]["payload"]["sub"], d["client_assertion"]["payload"]["aud"], d["form"]["client_assertion"].startswith("<")]')" \
    "[\"RS256\", \"rsa-1\", \"0oarsa\", \"0oarsa\", \"$TOKEN_URL\", true]"
cc "$TOKEN_URL" "$(assertion --key "$T_DIR/ec.pem" --client-id 0oaec --aud "$TOKEN_URL" --kid ec-1)" -d client_id=0oaec
token_ok "private_key_jwt ES256 (client_id also in the body)" 0oaec "$JWKS" "$ISS"
cc "$TOKEN_URL" "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$TOKEN_URL")"
expect "private_key_jwt without a kid: accepted (the one registered key is tried)" "$ST" 200

# wrong credentials
post "$TOKEN_URL" -u "0oabasic:not-the-secret" -d grant_type=client_credentials -d scope=anthropic.access
error_is "a wrong secret (basic)" 401 invalid_client "client authentication failed" "$T_DIR/okta.log" "invalid secret provided"
expect "  with WWW-Authenticate: Basic ... error=\"invalid_client\"" \
    "$(hdr www-authenticate)" "Basic realm=\"$ISS\", error=\"invalid_client\", error_description=\"client authentication failed\""
post "$TOKEN_URL" -d grant_type=client_credentials -d scope=anthropic.access -d client_id=0oapost -d client_secret=not-the-secret
error_is "a wrong secret (post)" 401 invalid_client "client authentication failed" "$T_DIR/okta.log" "invalid secret provided"
expect "  and no WWW-Authenticate (no Authorization was sent)" "$(hdr www-authenticate)" ""
post "$TOKEN_URL" -u "0oanobody:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access
error_is "an unknown client" 401 invalid_client "client authentication failed" "$T_DIR/okta.log" "client not found"
post "$TOKEN_URL" -d grant_type=client_credentials -d scope=anthropic.access
error_is "no client authentication at all" 400 invalid_request "no client authentication mechanism provided"
post "$TOKEN_URL" -u "0oarsa:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access
error_is "a secret for a private_key_jwt client" 401 invalid_client "client authentication failed" "$T_DIR/okta.log" \
    "the provided authentication mechanism does not match the registered client authentication method"
post "$TOKEN_URL" -d grant_type=client_credentials -d scope=anthropic.access -d client_id=0oabasic --data-urlencode "client_secret=$SECRET"
expect "a client_secret_basic client may send its secret in the body (oidc-provider takes either)" "$ST" 200

# scopes
post "$TOKEN_URL" -u "0oabasic:$SECRET" -d grant_type=client_credentials
expect "no scope: oidc-provider grants a token without any scope (no error)" \
    "$ST $(jb '["scope" in d, d.get("token_type")]') $(lastlog "$T_DIR/okta.log" '"scope" in d["access_token_claims"]')" \
    '200 [false, "Bearer"] false'
post "$TOKEN_URL" -u "0oabasic:$SECRET" -d grant_type=client_credentials -d scope=no.such.scope
expect "a scope the server does not know: silently dropped (200, no scope)" "$ST $(jb '"scope" in d')" "200 false"
post "$TOKEN_URL" -u "0oabasic:$SECRET" -d grant_type=client_credentials -d scope=other.scope
error_is "a scope the server knows but the client is not granted" 400 invalid_scope "requested scope is not allowed"
expect "  the answer names the scope" "$(jb 'd.get("scope")')" other.scope
post "$TOKEN_URL" -u "0oabasic:$SECRET" -d grant_type=client_credentials -d "scope=anthropic.access openid"
error_is "anthropic.access plus openid (not granted)" 400 invalid_scope "requested scope is not allowed"

# private_key_jwt refused
ca_fail() { # ca_fail LABEL DETAIL ASSERTION [CURL-ARGS...]
	local label=$1 detail=$2; shift 2
	cc "$TOKEN_URL" "$@"
	error_is "$label" 401 invalid_client "client authentication failed" "$T_DIR/okta.log" "$detail"
}
ca_fail "assertion aud = the issuer (Okta wants the token URL)" \
    "aud must be the token endpoint URL $TOKEN_URL (Okta's rule)" \
    "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$ISS" --kid rsa-1)"
ca_fail "assertion aud elsewhere" "audience (aud) must equal the endpoint url, issuer identifier or token endpoint url" \
    "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "http://127.0.0.1:$PORT/oauth2/v1/token" --kid rsa-1)"
ca_fail "an expired assertion" "jwt expired" \
    "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$TOKEN_URL" --kid rsa-1 --iat-offset -900 --exp-in 300)"
ca_fail "an assertion valid for two hours" "exp is more than one hour ahead (Okta's rule)" \
    "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$TOKEN_URL" --kid rsa-1 --exp-in 7200)"
ca_fail "an assertion signed with another RSA key" "signature verification failed" \
    "$(assertion --key "$T_DIR/other-rsa.pem" --client-id 0oarsa --aud "$TOKEN_URL" --kid rsa-1)"
ca_fail "an assertion signed with another EC key" "signature verification failed" \
    "$(assertion --key "$T_DIR/other-ec.pem" --client-id 0oaec --aud "$TOKEN_URL" --kid ec-1)"
ca_fail "ES256 for a client registered for RS256" "alg mismatch" \
    "$(assertion --key "$T_DIR/ec.pem" --client-id 0oarsa --aud "$TOKEN_URL" --kid rsa-1)"
ca_fail "an assertion without jti" "unique jti (JWT ID) must be provided in the client_assertion JWT" \
    "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$TOKEN_URL" --kid rsa-1 --no-jti)"
ca_fail "iss is not the client ID" "iss (JWT issuer) must be the client_id" \
    "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --iss 0oabasic --aud "$TOKEN_URL" --kid rsa-1)"
a=$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$TOKEN_URL" --kid rsa-1)
cc "$TOKEN_URL" "$a"
expect "a fresh assertion: 200" "$ST" 200
ca_fail "the same assertion again" "client assertion tokens must only be used once" "$a"
cc "$TOKEN_URL" "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$TOKEN_URL" --kid rsa-1)" -d client_id=0oabasic
error_is "client_id in the body other than the assertion's sub" 400 invalid_request "client_id mismatch"

# DPoP
post "$TOKEN_URL" -u "0oadpop:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access
error_is "a client that requires DPoP, without a proof" 400 invalid_grant "grant request is invalid" \
    "$T_DIR/okta.log" "DPoP proof JWT not provided"
expect "  no DPoP-Nonce, no WWW-Authenticate" "$(hdr dpop-nonce)|$(hdr www-authenticate)" "|"
post "$TOKEN_URL" -u "0oadpop:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access \
    -H "DPoP: $(assertion --dpop --key "$T_DIR/dpop.pem" --htu "$TOKEN_URL")"
token_ok "the DPoP client with a proof" 0oadpop "$JWKS" "$ISS" DPoP
expect "  the token is bound to the proof's key (cnf.jkt), a DPoP-Nonce is offered" \
    "$(jf "$T_DIR/claims" '"jkt" in d.get("cnf", {})') $([ -n "$(hdr dpop-nonce)" ] && echo nonce)" "true nonce"
post "$TOKEN_URL" -u "0oadpop:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access \
    -H "DPoP: $(assertion --dpop --key "$T_DIR/dpop.pem" --htu "$ISS/token")"
error_is "a DPoP proof for another URL" 400 invalid_dpop_proof "DPoP proof htu mismatch"
post "$TOKEN_URL" -u "0oanonce:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access \
    -H "DPoP: $(assertion --dpop --key "$T_DIR/dpop.pem" --htu "$TOKEN_URL")"
error_is "a client that requires a DPoP nonce, proof without one" 400 use_dpop_nonce "nonce is required in the DPoP proof"
NONCE=$(hdr dpop-nonce)
if [ -n "$NONCE" ]; then pass "  the answer carries a DPoP-Nonce header"; else fail "  no DPoP-Nonce header"; fi
post "$TOKEN_URL" -u "0oanonce:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access \
    -H "DPoP: $(assertion --dpop --key "$T_DIR/dpop.pem" --htu "$TOKEN_URL" --nonce "$NONCE")"
token_ok "the proof again with the server's nonce" 0oanonce "$JWKS" "$ISS" DPoP
post "$TOKEN_URL" -u "0oabasic:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access \
    -H "DPoP: $(assertion --dpop --key "$T_DIR/dpop.pem" --htu "$TOKEN_URL")"
expect "a client not requiring DPoP that sends a proof gets a DPoP token" "$ST $(jb 'd.get("token_type")')" "200 DPoP"

# the log
check "the log holds no client secret" not_contains "$T_DIR/okta.log" "$SECRET"
check "the log holds no access token or assertion" not_contains "$T_DIR/okta.log" "eyJ"
expect "every token request was logged ($N_OKTA)" "$(grep -c '"path":"/oauth2/default/v1/token"' "$T_DIR/okta.log")" "$N_OKTA"

# Okta's wording of the DPoP errors (--okta-dpop-errors): a second server
(exec node "$P/okta_server.mjs" --clients "$T_DIR/clients.json" --port-file "$T_DIR/okta2.port" \
    --issuer-file "$T_DIR/okta2.iss" --log "$T_DIR/okta2.log" --okta-dpop-errors) >"$T_DIR/okta2.out" 2>&1 &
T_PIDS="$T_PIDS $!"
if wait_for "$T_DIR/okta2.iss"; then
	ISS2=$(cat "$T_DIR/okta2.iss")
	post "$ISS2/v1/token" -u "0oadpop:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access
	error_is "--okta-dpop-errors: no proof" 400 invalid_dpop_proof "The DPoP proof JWT header is missing."
	expect "  logged as rewritten, with oidc-provider's reason" \
	    "$(lastlog "$T_DIR/okta2.log" '[d.get("rewritten"), d.get("error_detail")]')" '["okta-dpop-errors", "DPoP proof JWT not provided"]'
	post "$ISS2/v1/token" -u "0oanonce:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access \
	    -H "DPoP: $(assertion --dpop --key "$T_DIR/dpop.pem" --htu "$ISS2/v1/token")"
	error_is "--okta-dpop-errors: no nonce" 400 use_dpop_nonce "Authorization server requires nonce in DPoP proof."
	if [ -n "$(hdr dpop-nonce)" ]; then pass "  with a DPoP-Nonce header"; else fail "  no DPoP-Nonce header"; fi
	post "$ISS2/v1/token" -u "0oabasic:$SECRET" -d grant_type=client_credentials -d scope=anthropic.access
	token_ok "--okta-dpop-errors: other answers unchanged" 0oabasic "$ISS2/v1/keys" "$ISS2"
else
	cat "$T_DIR/okta2.out"; fail "okta_server.mjs --okta-dpop-errors starts"
fi

# --- 2. oauth2-mock-server, a second implementation -----------------------------------
(exec node "$P/mock_server.mjs" --port-file "$T_DIR/mock.port" --issuer-file "$T_DIR/mock.iss" \
    --token-url-file "$T_DIR/mock.tok" --jwks-url-file "$T_DIR/mock.jwks" --log "$T_DIR/mock.log") >"$T_DIR/mock.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_for "$T_DIR/mock.port" || { cat "$T_DIR/mock.out"; fail "mock_server.mjs starts"; finish; }
MISS=$(cat "$T_DIR/mock.iss")
MPORT=$(cat "$T_DIR/mock.port")
MTOK=$(cat "$T_DIR/mock.tok")
MJWKS=$(cat "$T_DIR/mock.jwks")
expect "mock: issuer, token and keys URLs at Okta's paths" "$MISS $MTOK $MJWKS" \
    "http://127.0.0.1:$MPORT/oauth2/default $MISS/v1/token $MISS/v1/keys"
curl -sS --noproxy '*' --max-time 10 -o "$T_DIR/mdisc" "$MISS/.well-known/openid-configuration"
expect "mock discovery: issuer, token endpoint, keys" \
    "$(jf "$T_DIR/mdisc" '[d.get("issuer"), d.get("token_endpoint"), d.get("jwks_uri")]')" "[\"$MISS\", \"$MTOK\", \"$MJWKS\"]"
# the Basic header as RFC 6749 2.3.1 has it: the form-encoded ID and secret
b64=$(printf '%s' "0oa+mock%2Bbasic:$SECRET" | base64 | tr -d '\n')
post "$MTOK" -H "Authorization: Basic $b64" -d grant_type=client_credentials -d scope=anthropic.access
token_ok "mock client_secret_basic (a form-encoded ID)" "0oa mock+basic" "$MJWKS" "$MISS"
post "$MTOK" -d grant_type=client_credentials -d scope=anthropic.access -d client_id=0oapost --data-urlencode "client_secret=$SECRET"
token_ok "mock client_secret_post" 0oapost "$MJWKS" "$MISS"
cc "$MTOK" "$(assertion --key "$T_DIR/rsa.pem" --client-id 0oarsa --aud "$MTOK" --kid rsa-1)"
token_ok "mock private_key_jwt RS256" 0oarsa "$MJWKS" "$MISS"
cc "$MTOK" "$(assertion --key "$T_DIR/ec.pem" --client-id 0oaec --aud "$MTOK" --kid ec-1)"
token_ok "mock private_key_jwt ES256" 0oaec "$MJWKS" "$MISS"
expect "mock logged the assertion's kid and aud" \
    "$(lastlog "$T_DIR/mock.log" '[d["client_assertion"]["header"]["kid"], d["client_assertion"]["payload"]["aud"]]')" \
    "[\"ec-1\", \"$MTOK\"]"
post "$MISS/token" -d grant_type=client_credentials -d scope=anthropic.access -d client_id=0oapost --data-urlencode "client_secret=$SECRET"
token_ok "mock: the mock's own names (<issuer>/token, /jwks) answer too" 0oapost "$MISS/jwks" "$MISS"
AT_MOCK=$(cat "$T_DIR/at")
check "the mock log holds no client secret" not_contains "$T_DIR/mock.log" "$SECRET"

# --- 3. verify_token.mjs can refuse ----------------------------------------------------
refuses() { # refuses LABEL VERIFY-ARGS...
	local label=$1; shift
	if verify "$@" >"$T_DIR/v.out" 2>"$T_DIR/v.err"; then fail "verify_token accepted $label"
	elif grep -q '^verify_token: ' "$T_DIR/v.err"; then pass "verify_token refuses $label ($(cut -c15-70 "$T_DIR/v.err"))"
	else fail "verify_token failed oddly on $label: $(cat "$T_DIR/v.err")"; fi
}
if verify "$JWKS" "$ISS" "$AUD" "$AT_OKTA" 0oabasic >/dev/null 2>&1; then pass "verify_token accepts the basic client's token again"
else fail "verify_token refuses the basic client's token"; fi
refuses "another issuer" "$JWKS" "$MISS" "$AUD" "$AT_OKTA"
refuses "another audience" "$JWKS" "$ISS" "https://api.example.com" "$AT_OKTA"
refuses "another subject" "$JWKS" "$ISS" "$AUD" "$AT_OKTA" 0oapost
refuses "the mock's token against oidc-provider's keys" "$JWKS" "$MISS" "$AUD" "$AT_MOCK"
tampered=$(printf '%s' "$AT_OKTA" | $PY -c '
import base64, json, sys
h, p, s = sys.stdin.read().strip().split(".")
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
c["sub"] = "0oaevil"
print(h + "." + base64.urlsafe_b64encode(json.dumps(c).encode()).decode().rstrip("=") + "." + s)')
refuses "a token with a changed claim" "$JWKS" "$ISS" "$AUD" "$tampered"

finish
