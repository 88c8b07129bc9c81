#!/bin/bash
# idp_plugins.sh - the k8s, github, gcp and okta providers against real peers.
#
#  1. The loopback emulators of the GCP metadata server, GitHub's OIDC
#     endpoint and the Kubernetes TokenRequest API (tests/emulator/
#     idp_emulator.py) are proven realistic with the vendors' official
#     clients: google-auth-library, @actions/core and python3-kubernetes.
#  2. What each wif plugin sends matches what the official client sent.
#  3. End to end: each provider -> the Anthropic emulator -> `wif token`.
#  4. k8s: an unrotated token file makes the fetch wait for kubelet, and
#     wifd's status says so while the cached token keeps being served.
#  5. okta against a real OpenID-certified server (oidc-provider) laid out
#     like an Okta custom authorization server: client_secret_basic, _post
#     and private_key_jwt (RS256 and ES256) accepted by the real server; the
#     token verified by an independent JOSE library (jose); errors.
# Exit 77 only when node is absent.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e
command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed"; exit 77; }
/usr/bin/python3 -c 'import kubernetes' 2>/dev/null || { echo "not ok - python3-kubernetes is missing (scripts/setup.sh installs it)"; exit 1; }
PY=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
SRC=$WIF_TOP_SRCDIR
PEERS=$WIF_TOP_BUILDDIR/tests/peers
npm_peer "$SRC/tests/peers/cloud" "$PEERS/cloud" || { fail "npm ci of tests/peers/cloud"; finish; }
npm_peer "$SRC/tests/peers/okta" "$PEERS/okta" || { fail "npm ci of tests/peers/okta"; finish; }
for f in gcp_client.mjs github_client.mjs; do cp "$SRC/tests/peers/cloud/$f" "$PEERS/cloud/"; done
for f in okta_server.mjs verify_token.mjs mock_server.mjs; do cp "$SRC/tests/peers/okta/$f" "$PEERS/okta/"; done
chmod u+w "$PEERS"/cloud/*.mjs "$PEERS"/okta/*.mjs

STACK="$T_DIR/stack"
"$SRC/tests/emulator/run_stack.sh" start "$STACK" >/dev/null
WIFD_PID=""
on_exit() {
	[ -z "$WIFD_PID" ] || kill "$WIFD_PID" 2>/dev/null || true
	"$SRC/tests/emulator/run_stack.sh" stop "$STACK" >/dev/null 2>&1 || true
	t_cleanup
}
trap on_exit EXIT
. "$STACK/env"
BASE=$ANTHROPIC_BASE_URL
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN WIF_CONFIG ANTHROPIC_BASE_URL ANTHROPIC_PROFILE \
    ANTHROPIC_FEDERATION_RULE_ID ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID \
    ANTHROPIC_WORKSPACE_ID ANTHROPIC_CONFIG_DIR GCE_METADATA_HOST GCE_METADATA_IP \
    ACTIONS_ID_TOKEN_REQUEST_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN GITHUB_ACTIONS \
    KUBERNETES_SERVICE_HOST KUBERNETES_SERVICE_PORT
mkdir -p "$T_DIR/run"; chmod 700 "$T_DIR/run"
export XDG_RUNTIME_DIR="$T_DIR/run"

# wait_file FILE: a server published its port
wait_file() { local i; for i in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
GH_TOKEN=gh-request-$$-secret K8S_TOKEN=k8s-bearer-$$-secret
$PY "$SRC/tests/emulator/idp_emulator.py" --issuer-dir "$ISSUER_DIR" --iss "$ISSUER_URL" \
    --port-file "$T_DIR/idp.port" --tls-dir "$T_DIR/tls" --tls-port-file "$T_DIR/k8s.port" \
    --github-request-token "$GH_TOKEN" --k8s-bearer-token "$K8S_TOKEN" >"$T_DIR/idp.log" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_file "$T_DIR/idp.port" && wait_file "$T_DIR/k8s.port" || { cat "$T_DIR/idp.log"; fail "idp emulator starts"; finish; }
IDP="127.0.0.1:$(cat "$T_DIR/idp.port")"
K8S="https://127.0.0.1:$(cat "$T_DIR/k8s.port")"
CA="$T_DIR/tls/ca.crt"
AUD=https://api.anthropic.com
idp() { curl -sf "http://$IDP/_idp/$1" ${2:+-d "$2"}; }
# claims FIELD... of the JWT on stdin, as JSON
claims() { $PY -c 'import base64,json,sys; p=sys.stdin.read().strip().split(".")[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))))'; }
# last_req ROLE: the last request the emulator saw for ROLE, as JSON
last_req() { idp requests | $PY -c 'import json,sys; r=[x for x in json.load(sys.stdin) if x["role"]==sys.argv[1]]; print(json.dumps(r[-1] if r else {}))' "$1"; }
jq_() { $PY -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d.get(k) if isinstance(d, dict) else None
print(d if not isinstance(d,(dict,list)) else json.dumps(d, sort_keys=True))' "$1"; }

# --- 1. the emulators, proven by the official clients --------------------------
(cd "$PEERS/cloud" && GCE_METADATA_HOST=$IDP METADATA_SERVER_DETECTION=assume-present \
    timeout 60 node gcp_client.mjs "$AUD") >"$T_DIR/gcp.tok" 2>"$T_DIR/gcp.err" || true
check "google-auth-library gets an ID token from the GCP emulator" grep -qE '^ey[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' "$T_DIR/gcp.tok"
check "  its aud, email and compute_engine claims (format=full)" test "$(claims <"$T_DIR/gcp.tok" | jq_ google.compute_engine.project_id):$(claims <"$T_DIR/gcp.tok" | jq_ aud):$(claims <"$T_DIR/gcp.tok" | jq_ email)" = "demo-project:$AUD:app@demo-project.iam.gserviceaccount.com"
last_req gcp >"$T_DIR/gcp.golden"
check "  it sent Metadata-Flavor: Google" test "$(jq_ headers.metadata-flavor <"$T_DIR/gcp.golden")" = Google
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$IDP/computeMetadata/v1/instance/service-accounts/default/identity?audience=x")
check "GCP emulator: no Metadata-Flavor -> 403, as the real server" test "$code" = 403
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Metadata-Flavor: Google' -H 'X-Forwarded-For: 1.2.3.4' "http://$IDP/computeMetadata/v1/instance/service-accounts/default/identity?audience=x")
check "GCP emulator: a proxied request (X-Forwarded-For) -> 403" test "$code" = 403

GH_URL="http://$IDP/_apis/token/idtoken?api-version=2.0"
(cd "$PEERS/cloud" && ACTIONS_ID_TOKEN_REQUEST_URL=$GH_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN=$GH_TOKEN \
    timeout 60 node github_client.mjs "$AUD") >"$T_DIR/gh.out" 2>&1 || true
sed -n 's/^TOKEN //p' "$T_DIR/gh.out" >"$T_DIR/gh.tok"
check "@actions/core getIDToken() gets a token from the GitHub emulator" grep -qE '^ey[A-Za-z0-9_-]+\.' "$T_DIR/gh.tok"
check "  its aud and repository claims" test "$(claims <"$T_DIR/gh.tok" | jq_ aud):$(claims <"$T_DIR/gh.tok" | jq_ repository)" = "$AUD:octo-org/octo-repo"
last_req github >"$T_DIR/gh.golden"
set +e
(cd "$PEERS/cloud" && ACTIONS_ID_TOKEN_REQUEST_URL=$GH_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN=wrong \
    timeout 60 node github_client.mjs "$AUD") >"$T_DIR/gh-bad.out" 2>&1
rc=$?
set -e
check "GitHub emulator: a wrong request token is refused (401) and @actions/core fails" test $rc -ne 0 -a "$(last_req github | jq_ headers.Authorization)" = "Bearer wrong"

$PY "$SRC/tests/peers/k8s_client.py" "$K8S" "$CA" "$K8S_TOKEN" team-a app "$AUD" 600 >"$T_DIR/k8s.tok" 2>"$T_DIR/k8s.err" || true
check "python3-kubernetes gets a TokenRequest token from the API emulator" grep -qE '^ey[A-Za-z0-9_-]+\.' "$T_DIR/k8s.tok"
check "  its sub, aud and lifetime" test "$(claims <"$T_DIR/k8s.tok" | jq_ sub):$(claims <"$T_DIR/k8s.tok" | jq_ aud)" = "demo:k8s:system:serviceaccount:team-a:app:$AUD"
last_req k8s >"$T_DIR/k8s.golden"
set +e
$PY "$SRC/tests/peers/k8s_client.py" "$K8S" "$STACK/issuer/jwks.json" "$K8S_TOKEN" team-a app "$AUD" 600 >/dev/null 2>"$T_DIR/k8s-ca.err"
rc1=$?
$PY "$SRC/tests/peers/k8s_client.py" "$K8S" "$CA" "$K8S_TOKEN" team-a app "$AUD" 60 >/dev/null 2>"$T_DIR/k8s-60.err"
rc2=$?
$PY "$SRC/tests/peers/k8s_client.py" "$K8S" "$CA" wrong team-a app "$AUD" 600 >/dev/null 2>"$T_DIR/k8s-401.err"
rc3=$?
set -e
check "K8s emulator: a client without the cluster CA fails TLS" test $rc1 -ne 0
check "K8s emulator: expirationSeconds 60 -> 422 Invalid" grep -q 'ApiException 422' "$T_DIR/k8s-60.err"
check "K8s emulator: a wrong bearer -> 401" grep -q 'ApiException 401' "$T_DIR/k8s-401.err"
test $rc2 -ne 0 -a $rc3 -ne 0

# --- 2 + 3. wif's requests match the official clients'; end to end -------------------
profile() { # profile NAME SOURCE-SETTINGS
	cat <<EOF
  { name = "$1";
    source = ( { $2 } );
    exchange = { type = "anthropic"; base_url = "$BASE"; federation_rule_id = "fdrl_demo1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_demo1"; workspace_id = "wrkspc_demo1"; }; }
EOF
}
$PY "$SRC/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" --sub demo:k8s:system:serviceaccount:team-a:app \
    --aud "$AUD" --ttl 600 --out "$T_DIR/projected-token"
printf 'team-a\n' >"$T_DIR/namespace"
printf '%s\n' "$K8S_TOKEN" >"$T_DIR/sa-token"
CONF=$T_DIR/wif.conf
cat >"$CONF" <<EOF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR";
        http = { timeout_ms = 3000; connect_timeout_ms = 1000; retries = 2; backoff_ms = 20; budget_ms = 8000; }; };
profiles = (
$(profile gcp "provider = \"gcp\"; host = \"$IDP\";"),
$(profile github 'provider = "github";'),
$(profile k8s-tr "provider = \"k8s\"; mode = \"token_request\"; api_server = \"$K8S\"; ca_file = \"$CA\";
                  bearer_token_file = \"$T_DIR/sa-token\"; namespace = \"team-a\"; service_account = \"app\";"),
$(profile k8s-file "provider = \"k8s\"; token_file = \"$T_DIR/projected-token\"; rotation_wait = 30;"),
$(profile k8s-noca "provider = \"k8s\"; mode = \"token_request\"; api_server = \"$K8S\"; ca_file = \"$STACK/issuer/jwks.json\";
                  bearer_token_file = \"$T_DIR/sa-token\"; namespace = \"team-a\"; service_account = \"app\";")
);
EOF
chmod 644 "$CONF"
exchanges() { emu_stat exchanges.succeeded; }
TOKRE='^sk-ant-oat01-[A-Za-z0-9_-]+$'

n0=$(exchanges)
run_wif -c "$CONF" token -p gcp
check "gcp -> Anthropic emulator -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
last_req gcp >"$T_DIR/gcp.ours"
check "gcp: wif's request = google-auth-library's (method, path, query parameters, Metadata-Flavor)" \
    $PY "$SRC/tests/integration/same_request.py" "$T_DIR/gcp.golden" "$T_DIR/gcp.ours" metadata-flavor

run_wif -c "$CONF" token -p github
check "github without ACTIONS_ID_TOKEN_REQUEST_*: exit 1" test $RC -eq 1
check "  says the job needs id-token: write (or is not GitHub)" grep -q "not a GitHub Actions job\|id-token: write" "$T_DIR/err"
ACTIONS_ID_TOKEN_REQUEST_URL=$GH_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN=$GH_TOKEN GITHUB_ACTIONS=true run_wif -c "$CONF" token -p github
check "github -> Anthropic emulator -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
last_req github >"$T_DIR/gh.ours"
check "github: wif's request = @actions/core's (method, path, raw query, Authorization, Accept)" \
    $PY "$SRC/tests/integration/same_request.py" --raw-query "$T_DIR/gh.golden" "$T_DIR/gh.ours" authorization accept
check "github: the request token appears in no message" not_contains "$T_DIR/err" "$GH_TOKEN"

run_wif -c "$CONF" token -p k8s-tr
[ $RC -eq 0 ] || sed 's/^/# /' "$T_DIR/err"
check "k8s token_request -> Anthropic emulator -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
last_req k8s >"$T_DIR/k8s.ours"
check "k8s: wif's TokenRequest = python3-kubernetes' (path, JSON spec, bearer, content-type)" \
    $PY "$SRC/tests/integration/same_request.py" --json-body "$T_DIR/k8s.golden" "$T_DIR/k8s.ours" authorization content-type
run_wif -c "$CONF" token -p k8s-tr --force
check "k8s token_request: a fresh TokenRequest per exchange" test "$(idp stats | jq_ k8s)" -ge 3
run_wif -c "$CONF" token -p k8s-noca
sed 's/^/# /' "$T_DIR/err"
check "k8s token_request with the wrong CA: exit 1, TLS named" test $RC -eq 1
check "  the error names the CA file" grep -q "cluster CA $STACK/issuer/jwks.json" "$T_DIR/err"

run_wif -c "$CONF" token -p k8s-file
[ $RC -eq 0 ] || sed 's/^/# /' "$T_DIR/err"
check "k8s projected file -> Anthropic emulator -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
check "every exchange above reached the emulator" test $(($(exchanges) - n0)) -ge 5

# faults: the GCP emulator answers 503 twice, the plugin's retries carry it through
idp fault '{"role":"gcp","status":503,"count":2,"headers":{"Metadata-Flavor":"Google"}}' >/dev/null
run_wif -c "$CONF" token -p gcp --force
check "gcp: two 503s are retried through" grep -qxE "$TOKRE" "$T_DIR/out"
idp fault '{"role":"gcp","status":200,"count":5,"body":"not a jwt"}' >/dev/null
run_wif -c "$CONF" token -p gcp --force
check "gcp: an answer without Metadata-Flavor is not a metadata server" grep -q "not a GCP metadata server" "$T_DIR/err"
idp reset "{}" >/dev/null

# --- 4. k8s: waiting for kubelet's rotation, visible in wifd's status -----------------
if [ "$(id -u)" -eq 0 ]; then
	SOCK=$T_DIR/wifd.sock
	"$WIF_TOP_BUILDDIR/modules/wifd/wifd" -c "$CONF" -s "$SOCK" -v >"$T_DIR/wifd.log" 2>&1 &
	WIFD_PID=$!
	WIRE="$PY $SRC/tests/integration/wire_client.py $SOCK"
	for _ in $(seq 200); do $WIRE request op=ping >/dev/null 2>&1 && break; sleep 0.05; done
	export WIF_SOCKET=$SOCK
	# a token file kubelet just rotated (the one above was exchanged)
	$PY "$SRC/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" \
	    --sub demo:k8s:system:serviceaccount:team-a:app --aud "$AUD" --ttl 600 --out "$T_DIR/projected-token"
	run_wif token -p k8s-file
	[ $RC -eq 0 ] || sed 's/^/# /' "$T_DIR/err" "$T_DIR/wifd.log"
	first=$(out)
	check "wifd serves the k8s-file profile" grep -qxE "$TOKRE" "$T_DIR/out"
	$WIRE request op=flush profile=k8s-file >/dev/null
	# the file still holds the JWT wifd exchanged: this request waits for kubelet
	"$WIF_BIN" token -p k8s-file >"$T_DIR/waited" 2>"$T_DIR/waited.err" &
	waiter=$!
	waiting() { "$WIF_BIN" status >"$T_DIR/status" 2>&1; grep -q "waiting for kubelet to rotate $T_DIR/projected-token" "$T_DIR/status"; }
	check "wif status (via wifd) says the source waits for kubelet to rotate the file" eventually waiting
	check "  and no second exchange of the same JWT was tried" not_contains "$T_DIR/wifd.log" "already exchanged"
	$PY "$SRC/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" \
	    --sub demo:k8s:system:serviceaccount:team-a:app --aud "$AUD" --ttl 600 --out "$T_DIR/projected-token"
	wait $waiter || true
	check "after the rotation the waiting consumer gets a new token" grep -qxE "$TOKRE" "$T_DIR/waited"
	check "  not the old one" test "$(cat "$T_DIR/waited")" != "$first"
	unset WIF_SOCKET
	kill "$WIFD_PID"; wait "$WIFD_PID" 2>/dev/null || true; WIFD_PID=""
else
	echo "# (k8s rotation through wifd skipped: needs root, as CI runs)"
fi

# --- 5. okta against oidc-provider -------------------------------------------------------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_DIR/rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T_DIR/ec.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_DIR/other.pem" 2>/dev/null
chmod 600 "$T_DIR"/*.pem
SECRET=okta-secret-$$-0123456789abcdefghij
printf '%s\n' "$SECRET" >"$T_DIR/secret"; chmod 600 "$T_DIR/secret"
printf 'not-the-secret\n' >"$T_DIR/wrong-secret"; chmod 600 "$T_DIR/wrong-secret"
$PY - "$T_DIR" "$SECRET" <<'PY'
import json, subprocess, sys
d, sec = sys.argv[1:3]
pub = lambda k: subprocess.run(["openssl", "pkey", "-in", "%s/%s" % (d, k), "-pubout"], check=True,
                               capture_output=True, text=True).stdout
json.dump([
    {"client_id": "0oabasic", "token_endpoint_auth_method": "client_secret_basic", "client_secret": sec},
    {"client_id": "0oapost", "token_endpoint_auth_method": "client_secret_post", "client_secret": sec},
    {"client_id": "0oarsa", "token_endpoint_auth_method": "private_key_jwt", "public_key_pem": pub("rsa.pem"), "kid": "rsa-1"},
    {"client_id": "0oaec", "token_endpoint_auth_method": "private_key_jwt", "public_key_pem": pub("ec.pem"), "kid": "ec-1", "alg": "ES256"},
    {"client_id": "0oadpop", "token_endpoint_auth_method": "client_secret_basic", "client_secret": sec, "dpop_bound_access_tokens": True},
], open(d + "/clients.json", "w"))
PY
(cd "$PEERS/okta" && exec node okta_server.mjs --clients "$T_DIR/clients.json" --port-file "$T_DIR/okta.port" \
    --issuer-file "$T_DIR/okta.iss" --log "$T_DIR/okta.log") >"$T_DIR/okta.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_file "$T_DIR/okta.iss" || { cat "$T_DIR/okta.out"; fail "oidc-provider starts"; finish; }
OKTA_ISS=$(cat "$T_DIR/okta.iss")
# an Anthropic emulator that trusts this issuer (its JWKS by URL)
emu_for_issuer okta "$OKTA_ISS" "$OKTA_ISS/v1/keys" '0oa*' || { fail "second emulator starts"; finish; }
OBASE=$EMU_FOR_ISSUER_URL
okta() { # okta NAME SETTINGS
	cat <<EOF
  { name = "$1";
    source = ( { provider = "okta"; token_url = "$OKTA_ISS/v1/token"; scope = "anthropic.access"; $2 } );
    exchange = { type = "anthropic"; base_url = "$OBASE"; federation_rule_id = "fdrl_okta1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_okta1"; workspace_id = "wrkspc_okta1"; }; }
EOF
}
OCONF=$T_DIR/okta.conf
cat >"$OCONF" <<EOF
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; http = { retries = 0; }; };
profiles = (
$(okta basic "client_id = \"0oabasic\"; client_secret_file = \"$T_DIR/secret\";"),
$(okta post "client_id = \"0oapost\"; auth_method = \"client_secret_post\"; client_secret_file = \"$T_DIR/secret\";"),
$(okta rsa "client_id = \"0oarsa\"; private_key_file = \"$T_DIR/rsa.pem\"; key_id = \"rsa-1\";"),
$(okta ec "client_id = \"0oaec\"; private_key_file = \"$T_DIR/ec.pem\"; key_id = \"ec-1\"; signing_alg = \"ES256\";"),
$(okta wrongsecret "client_id = \"0oabasic\"; client_secret_file = \"$T_DIR/wrong-secret\";"),
$(okta wrongkey "client_id = \"0oarsa\"; private_key_file = \"$T_DIR/other.pem\"; key_id = \"rsa-1\";"),
$(okta dpop "client_id = \"0oadpop\"; client_secret_file = \"$T_DIR/secret\";"),
$(okta badscope "client_id = \"0oabasic\"; client_secret_file = \"$T_DIR/secret\";" | sed 's/scope = "anthropic.access"/scope = "anthropic.access openid"/')
);
EOF
chmod 644 "$OCONF"
for p in basic post rsa ec; do
	run_wif -c "$OCONF" identity -p "$p" --raw
	if [ $RC -eq 0 ] && (cd "$PEERS/okta" && node verify_token.mjs "$OKTA_ISS/v1/keys" "$OKTA_ISS" "$AUD" "$(out)") >"$T_DIR/verified" 2>&1; then
		pass "okta $p: oidc-provider issued a token that jose verifies (signature, iss, aud)"
	else
		fail "okta $p: oidc-provider issued a token that jose verifies (signature, iss, aud)"; cat "$T_DIR/err" "$T_DIR/verified"
	fi
	check "  its sub is the client ID" grep -q "\"sub\":\"0oa" "$T_DIR/verified"
	run_wif -c "$OCONF" token -p "$p"
	check "okta $p -> Anthropic emulator -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
done
check "client_secret_basic sent an Authorization: Basic header" grep -q '"authorization":"Basic <masked>".*"form":{"grant_type":"client_credentials","scope":"anthropic.access"}' "$T_DIR/okta.log"
check "client_secret_post sent the secret in the body, no Authorization" grep -qE '"form":\{"grant_type":"client_credentials","scope":"anthropic.access","client_id":"0oapost","client_secret":"<[0-9]+ chars>"\}' "$T_DIR/okta.log"
check "private_key_jwt sent a client assertion" grep -q '"client_assertion_type":"urn:ietf:params:oauth:client-assertion-type:jwt-bearer","client_assertion":"<' "$T_DIR/okta.log"
run_wif -c "$OCONF" token -p wrongsecret
check "a wrong client secret: exit 1 with invalid_client and advice" grep -q "invalid_client.*client_secret_file" "$T_DIR/err"
check "  the secret appears in no message" not_contains "$T_DIR/err" "$SECRET"
run_wif -c "$OCONF" token -p wrongkey
check "private_key_jwt with a key the app does not know: invalid_client" grep -q "invalid_client.*registered public key" "$T_DIR/err"
run_wif -c "$OCONF" token -p dpop
check "an app that requires DPoP: refused, and the advice mentions DPoP" grep -q "HTTP 400 invalid_grant.*DPoP" "$T_DIR/err"
# with Okta's own wording of the DPoP refusal (okta_server.mjs --okta-dpop-errors)
(cd "$PEERS/okta" && exec node okta_server.mjs --clients "$T_DIR/clients.json" --port-file "$T_DIR/okta2.port" \
    --issuer-file "$T_DIR/okta2.iss" --okta-dpop-errors) >"$T_DIR/okta2.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_file "$T_DIR/okta2.iss" || { cat "$T_DIR/okta2.out"; fail "oidc-provider (Okta DPoP wording) starts"; finish; }
sed "s|$OKTA_ISS/v1/token|$(cat "$T_DIR/okta2.iss")/v1/token|" "$OCONF" >"$T_DIR/okta2.conf"
chmod 644 "$T_DIR/okta2.conf"
run_wif -c "$T_DIR/okta2.conf" token -p dpop
check "Okta's invalid_dpop_proof answer: 'demands DPoP' and how to turn it off" \
    grep -q "demands DPoP (HTTP 400 invalid_dpop_proof: The DPoP proof JWT header is missing.).*Require Demonstrating Proof of Possession" "$T_DIR/err"
run_wif -c "$OCONF" token -p badscope
sed 's/^/# /' "$T_DIR/err"
check "a scope the server does not grant: invalid_scope with advice" grep -q "invalid_scope.*access policy rule" "$T_DIR/err"
chmod 644 "$T_DIR/secret"
run_wif -c "$OCONF" token -p basic --force
check "a client secret others may read is refused" grep -q "chmod 600" "$T_DIR/err"
chmod 600 "$T_DIR/secret"
check "no message or log line carried a token" not_contains "$T_DIR/err" "eyJ"

# --- 5b. okta against a second implementation (oauth2-mock-server) --------------------
(cd "$PEERS/okta" && exec node mock_server.mjs --port-file "$T_DIR/mock.port" --issuer-file "$T_DIR/mock.iss") \
    >"$T_DIR/mock.out" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_file "$T_DIR/mock.iss" || { cat "$T_DIR/mock.out"; fail "oauth2-mock-server starts"; finish; }
MOCK_ISS=$(cat "$T_DIR/mock.iss")
MCONF=$T_DIR/mock.conf
sed -e "s|$OKTA_ISS/v1/token|$MOCK_ISS/token|" -e 's/"0oabasic"/"0oa mock+basic"/' "$OCONF" >"$MCONF"
chmod 644 "$MCONF"
for p in basic post; do
	run_wif -c "$MCONF" identity -p "$p" --raw
	if [ $RC -eq 0 ] && (cd "$PEERS/okta" && node verify_token.mjs "$MOCK_ISS/jwks" "$MOCK_ISS" "$AUD" "$(out)") >"$T_DIR/verified" 2>&1; then
		pass "oauth2-mock-server $p: a token that jose verifies"
	else
		fail "oauth2-mock-server $p: a token that jose verifies"; cat "$T_DIR/err" "$T_DIR/verified"
	fi
done
check "  it read the client ID from wif's form-encoded Basic header (\"0oa mock+basic\")" \
    test "$(run_wif -c "$MCONF" identity -p basic --raw; out | claims | jq_ sub)" = "0oa mock+basic"

finish
