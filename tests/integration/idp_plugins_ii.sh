#!/bin/bash
# idp_plugins_ii.sh - the spiffe, azure and aws providers against real peers.
#
# spiffe: a real gRPC server (python3-grpcio, C core, with the real protobuf
# runtime) serving the SPIFFE Workload API on a Unix socket
# (tests/emulator/spiffe_agent.py), which refuses calls without the
# workload.spiffe.io header as SPIRE does; wif's JWT-SVID is exchanged by an
# Anthropic emulator that trusts the issuer.
#
# azure: the IMDS, App Service and Entra token-endpoint emulators of
# tests/emulator/idp_emulator.py, proven by the official @azure/identity
# (ManagedIdentityCredential, WorkloadIdentityCredential); then each wif
# mode end to end.
#
# aws: an STS emulator that checks every SigV4 signature by recomputing it
# with botocore, with IMDSv2 and container-credential endpoints, proven by
# the official @aws-sdk/client-sts (GetWebIdentityToken,
# AssumeRoleWithWebIdentity); then each credential source end to end.
# AWS_EC2_METADATA_DISABLED=true throughout, except where the metadata
# endpoint is the loopback emulator: nothing is ever sent to 169.254.169.254.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e
command -v node >/dev/null 2>&1 || { echo "SKIP: node is not installed"; exit 77; }
PY=/usr/bin/python3
$PY -c 'import grpc, google.protobuf' 2>/dev/null || { echo "not ok - python3-grpcio/python3-protobuf are missing (scripts/setup.sh installs them)"; exit 1; }
export PYTHONDONTWRITEBYTECODE=1
SRC=$WIF_TOP_SRCDIR
STACK="$T_DIR/stack"
"$SRC/tests/emulator/run_stack.sh" start "$STACK" >/dev/null
on_exit() {
	"$SRC/tests/emulator/run_stack.sh" stop "$STACK" >/dev/null 2>&1 || true
	t_cleanup
}
trap on_exit EXIT
. "$STACK/env"
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN WIF_CONFIG ANTHROPIC_BASE_URL ANTHROPIC_PROFILE \
    ANTHROPIC_FEDERATION_RULE_ID ANTHROPIC_ORGANIZATION_ID ANTHROPIC_SERVICE_ACCOUNT_ID \
    ANTHROPIC_WORKSPACE_ID ANTHROPIC_CONFIG_DIR SPIFFE_ENDPOINT_SOCKET \
    AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_REGION AWS_DEFAULT_REGION \
    AWS_PROFILE AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_CONTAINER_CREDENTIALS_FULL_URI \
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI AWS_CONTAINER_AUTHORIZATION_TOKEN \
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE AWS_EC2_METADATA_SERVICE_ENDPOINT \
    IDENTITY_ENDPOINT IDENTITY_HEADER AZURE_FEDERATED_TOKEN_FILE AZURE_CLIENT_ID AZURE_TENANT_ID \
    AZURE_AUTHORITY_HOST AZURE_POD_IDENTITY_AUTHORITY_HOST
export AWS_EC2_METADATA_DISABLED=true   # never the real instance metadata
mkdir -p "$T_DIR/run"; chmod 700 "$T_DIR/run"
export XDG_RUNTIME_DIR="$T_DIR/run"
AUD=https://api.anthropic.com
TOKRE='^sk-ant-oat01-[A-Za-z0-9_-]+$'
wait_file() { local i; for i in $(seq 200); do [ -s "$1" ] && return 0; sleep 0.05; done; return 1; }
claims() { $PY -c 'import base64,json,sys; p=sys.stdin.read().strip().split(".")[1]; print(json.dumps(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))))'; }

# --- spiffe ---------------------------------------------------------------------
AGENT=$T_DIR/agent.sock
$PY "$SRC/tests/emulator/spiffe_agent.py" "$AGENT" "$ISSUER_DIR" "$ISSUER_URL" --ready "$T_DIR/agent.ready" \
    >"$T_DIR/agent.log" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_file "$T_DIR/agent.ready" || { cat "$T_DIR/agent.log"; fail "the gRPC Workload API server starts"; finish; }
# the server's own behaviour, seen with curl (HTTP/2 prior knowledge, gRPC framing)
$PY -c 'import struct,sys; m=b"\x0a"+bytes([len(sys.argv[1])])+sys.argv[1].encode(); sys.stdout.buffer.write(b"\0"+struct.pack(">I",len(m))+m)' "$AUD" >"$T_DIR/req.bin"
curl -s --http2-prior-knowledge --unix-socket "$AGENT" -X POST http://localhost/SpiffeWorkloadAPI/FetchJWTSVID \
    -H 'content-type: application/grpc' -H 'te: trailers' --data-binary @"$T_DIR/req.bin" -D "$T_DIR/nohdr.h" -o /dev/null
check "the gRPC server refuses a call without workload.spiffe.io (grpc-status 3)" grep -qi '^grpc-status: 3' "$T_DIR/nohdr.h"

emu_for_issuer spiffe "$ISSUER_URL" "$ISSUER_DIR/jwks.json" 'spiffe://example.org/*' || { fail "emulator for the SPIFFE issuer"; finish; }
SBASE=$EMU_FOR_ISSUER_URL
sp() { # sp NAME SETTINGS
	cat <<EOC
  { name = "$1";
    source = ( { provider = "spiffe"; $2 } );
    exchange = { type = "anthropic"; base_url = "$SBASE"; federation_rule_id = "fdrl_spiffe1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_spiffe1"; workspace_id = "wrkspc_spiffe1"; }; }
EOC
}
CONF=$T_DIR/wif.conf
cat >"$CONF" <<EOC
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; http = { retries = 1; backoff_ms = 20; budget_ms = 4000; }; };
profiles = (
$(sp app "endpoint = \"unix://$AGENT\";"),
$(sp other "endpoint = \"unix:$AGENT\"; spiffe_id = \"spiffe://example.org/other\";"),
$(sp fromenv ''),
$(sp denied "endpoint = \"unix://$AGENT\"; audience = \"no-identity\";"),
$(sp notjwt "endpoint = \"unix://$AGENT\"; audience = \"not-a-jwt\";"),
$(sp unavail "endpoint = \"unix://$AGENT\"; audience = \"unavailable\";"),
$(sp nosock "endpoint = \"unix://$T_DIR/no-agent.sock\";")
);
EOC
chmod 644 "$CONF"
run_wif -c "$CONF" token -p app
check "spiffe -> Anthropic emulator -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
tail -n 1 "$AGENT.calls" >"$T_DIR/call"
check "  wif's call carried workload.spiffe.io: true" grep -q '"workload.spiffe.io": "true"' "$T_DIR/call"
check "  and asked for the audience $AUD" grep -q "\"audience\": \[\"$AUD\"\]" "$T_DIR/call"
check "  over HTTP/2 with gRPC content type (the server parsed it with the real protobuf runtime)" grep -q '"content-type": "application/grpc"\|"spiffe_id": ""' "$T_DIR/call"
run_wif -c "$CONF" identity -p other --raw
check "spiffe_id picks the workload's other identity" test "$(out | claims | $PY -c 'import json,sys; print(json.load(sys.stdin)["sub"])')" = spiffe://example.org/other
check "  and was sent to the agent" grep -q '"spiffe_id": "spiffe://example.org/other"' "$AGENT.calls"
SPIFFE_ENDPOINT_SOCKET="unix://$AGENT" run_wif -c "$CONF" token -p fromenv
check "the endpoint from SPIFFE_ENDPOINT_SOCKET" grep -qxE "$TOKRE" "$T_DIR/out"
run_wif -c "$CONF" identity -p fromenv   # (token would answer from the cache)
check "no endpoint at all: a clear error" grep -q "no Workload API endpoint: set endpoint or SPIFFE_ENDPOINT_SOCKET" "$T_DIR/err"
run_wif -c "$CONF" token -p denied
check "PERMISSION_DENIED from the agent: named, with advice" grep -q "PERMISSION_DENIED (7): no identity issued (the agent has no identity for this workload" "$T_DIR/err"
run_wif -c "$CONF" token -p notjwt
check "an SVID that is not a JWT is refused" grep -q "the JWT-SVID is not a JWT" "$T_DIR/err"
run_wif -c "$CONF" token -p unavail
check "UNAVAILABLE: named" grep -q "UNAVAILABLE (14): agent is not ready" "$T_DIR/err"
run_wif -c "$CONF" token -p nosock
check "no agent on the socket: says so" grep -q "did not answer.*is the SPIRE agent running" "$T_DIR/err"
check "no message carried a JWT" not_contains "$T_DIR/err" "eyJ"

# --- azure ------------------------------------------------------------------------
PEERS=$WIF_TOP_BUILDDIR/tests/peers
npm_peer "$SRC/tests/peers/cloud" "$PEERS/cloud" || { fail "npm ci of tests/peers/cloud"; finish; }
for f in azure_client.mjs aws_client.mjs; do cp "$SRC/tests/peers/cloud/$f" "$PEERS/cloud/"; chmod u+w "$PEERS/cloud/$f"; done
AZH=az-identity-header-$$
$PY "$SRC/tests/emulator/idp_emulator.py" --issuer-dir "$ISSUER_DIR" --iss "$ISSUER_URL" \
    --port-file "$T_DIR/idp.port" --tls-dir "$T_DIR/tls" --tls-port-file "$T_DIR/tls.port" \
    --azure-identity-header "$AZH" --aws-container-token "aws-ctoken-$$" >"$T_DIR/idp.log" 2>&1 &
T_PIDS="$T_PIDS $!"
wait_file "$T_DIR/idp.port" && wait_file "$T_DIR/tls.port" || { cat "$T_DIR/idp.log"; fail "idp emulator starts"; finish; }
IDP=http://127.0.0.1:$(cat "$T_DIR/idp.port")
ENTRA=https://127.0.0.1:$(cat "$T_DIR/tls.port")
APP=api://11111111-2222-3333-4444-555555555555
TENANT=00000000-aaaa-4bbb-8ccc-000000000001
$PY "$SRC/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" --sub system:serviceaccount:team-a:app \
    --aud api://AzureADTokenExchange --ttl 600 --out "$T_DIR/fed.tok"
$PY "$SRC/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" --sub system:serviceaccount:other:app \
    --aud api://AzureADTokenExchange --ttl 600 --out "$T_DIR/fed-wrong.tok"
azid() { # azid MODE [CLIENT_ID]: @azure/identity's token for APP, or nothing
	(cd "$PEERS/cloud" && timeout 60 node azure_client.mjs "$1" "$APP" ${2:+"$2"}) 2>"$T_DIR/azid.err" || true
}
aud_of() { claims | $PY -c 'import json,sys; print(json.load(sys.stdin).get("aud"))'; }
last_azure() { curl -sf "$IDP/_idp/requests" | $PY -c 'import json,sys; r=[x for x in json.load(sys.stdin) if x["role"]=="azure"]; print(json.dumps(r[-1] if r else {}))'; }

AZURE_POD_IDENTITY_AUTHORITY_HOST=$IDP azid imds mi-client-1 >"$T_DIR/az-imds.tok"
check "@azure/identity ManagedIdentityCredential gets a token from the IMDS emulator" test "$(aud_of <"$T_DIR/az-imds.tok")" = "$APP"
last_azure >"$T_DIR/az-imds.golden"
AZURE_POD_IDENTITY_AUTHORITY_HOST=$IDP azid imds not-my-identity >"$T_DIR/az-imds-bad.tok"
check "  an identity the VM does not have: the official client fails (Identity not found)" test ! -s "$T_DIR/az-imds-bad.tok"
code=$(curl -s -o /dev/null -w '%{http_code}' "$IDP/metadata/identity/oauth2/token?api-version=2018-02-01&resource=$APP")
check "IMDS emulator: no Metadata: true header -> 400, as IMDS" test "$code" = 400
IDENTITY_ENDPOINT=$IDP/msi/token IDENTITY_HEADER=$AZH azid app_service >"$T_DIR/az-as.tok"
check "@azure/identity (App Service) gets a token from the IDENTITY_ENDPOINT emulator" test "$(aud_of <"$T_DIR/az-as.tok")" = "$APP"
last_azure >"$T_DIR/az-as.golden"
IDENTITY_ENDPOINT=$IDP/msi/token IDENTITY_HEADER=wrong azid app_service >"$T_DIR/az-as-bad.tok"
check "  a wrong X-IDENTITY-HEADER: refused, the official client fails" test ! -s "$T_DIR/az-as-bad.tok"
WI="NODE_EXTRA_CA_CERTS=$T_DIR/tls/ca.crt AZURE_CLIENT_ID=wi-client-1 AZURE_TENANT_ID=$TENANT AZURE_AUTHORITY_HOST=$ENTRA"
env $WI AZURE_FEDERATED_TOKEN_FILE="$T_DIR/fed.tok" bash -c "$(declare -f azid); APP=$APP PEERS=$PEERS T_DIR=$T_DIR azid workload" >"$T_DIR/az-wi.tok"
check "@azure/identity WorkloadIdentityCredential gets a token from the Entra emulator (TLS, discovery, assertion)" test "$(aud_of <"$T_DIR/az-wi.tok")" = "$APP"
last_azure >"$T_DIR/az-wi.golden"
env $WI AZURE_FEDERATED_TOKEN_FILE="$T_DIR/fed-wrong.tok" bash -c "$(declare -f azid); APP=$APP PEERS=$PEERS T_DIR=$T_DIR azid workload" >"$T_DIR/az-wi-bad.tok"
check "  an assertion with another subject: AADSTS70021, the official client fails" test ! -s "$T_DIR/az-wi-bad.tok" -a "$(grep -c AADSTS70021 "$T_DIR/azid.err")" -ge 1

emu_for_issuer azure "$ISSUER_URL" "$ISSUER_DIR/jwks.json" 'demo:azure:*' "$APP" || { fail "emulator for Azure tokens"; finish; }
ABASE=$EMU_FOR_ISSUER_URL
az() { # az NAME SETTINGS
	cat <<EOC
  { name = "$1";
    source = ( { provider = "azure"; resource = "$APP"; $2 } );
    exchange = { type = "anthropic"; base_url = "$ABASE"; federation_rule_id = "fdrl_azure1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_azure1"; workspace_id = "wrkspc_azure1"; }; }
EOC
}
AC=$T_DIR/azure.conf
cat >"$AC" <<EOC
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; http = { retries = 2; backoff_ms = 20; budget_ms = 8000; }; };
profiles = (
$(az vm "mode = \"imds\"; imds_endpoint = \"$IDP\"; client_id = \"mi-client-1\";"),
$(az vmwrong "mode = \"imds\"; imds_endpoint = \"$IDP\"; client_id = \"not-mine\";"),
$(az appsvc ''),
$(az aks "authority_host = \"$ENTRA\"; ca_file = \"$T_DIR/tls/ca.crt\";"),
$(az aksnoca "mode = \"workload_identity\"; authority_host = \"$ENTRA\";")
);
EOC
chmod 644 "$AC"
curl -sf -X POST "$IDP/_idp/reset" -d '{}' >/dev/null
run_wif -c "$AC" token -p vm
check "azure imds -> Anthropic emulator -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
last_azure >"$T_DIR/az-imds.ours"
check "  wif's IMDS request = @azure/identity's (query parameters, Metadata: true)" \
    $PY "$SRC/tests/integration/same_request.py" --ignore-trailing-slash "$T_DIR/az-imds.golden" "$T_DIR/az-imds.ours" metadata
curl -sf -X POST "$IDP/_idp/fault" -d '{"role":"azure","status":410,"count":1,"body":"{}"}' >/dev/null
run_wif -c "$AC" token -p vm --force
check "  IMDS 410 (updating) is retried through" grep -qxE "$TOKRE" "$T_DIR/out"
run_wif -c "$AC" token -p vmwrong
check "  an identity the VM does not have: 'Identity not found' with advice" grep -q "Identity not found (no managed identity is assigned" "$T_DIR/err"
IDENTITY_ENDPOINT=$IDP/msi/token IDENTITY_HEADER=$AZH run_wif -c "$AC" token -p appsvc
check "azure app_service (chosen from the environment) -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
last_azure >"$T_DIR/az-as.ours"
check "  wif's request = @azure/identity's (query parameters, X-IDENTITY-HEADER)" \
    $PY "$SRC/tests/integration/same_request.py" "$T_DIR/az-as.golden" "$T_DIR/az-as.ours" x-identity-header
check "  the identity header appears in no message" not_contains "$T_DIR/err" "$AZH"
AZURE_FEDERATED_TOKEN_FILE=$T_DIR/fed.tok AZURE_CLIENT_ID=wi-client-1 AZURE_TENANT_ID=$TENANT \
    IDENTITY_ENDPOINT=$IDP/msi/token IDENTITY_HEADER=$AZH run_wif -c "$AC" token -p aks
check "azure workload identity (the webhook's variables win) -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
last_azure >"$T_DIR/az-wi.ours"
check "  wif's token request = @azure/identity's (OAuth form fields; MSAL's telemetry fields aside)" \
    $PY "$SRC/tests/integration/same_request.py" --form-body --ignore-query "$T_DIR/az-wi.golden" "$T_DIR/az-wi.ours"
AZURE_FEDERATED_TOKEN_FILE=$T_DIR/fed-wrong.tok AZURE_CLIENT_ID=wi-client-1 AZURE_TENANT_ID=$TENANT \
    run_wif -c "$AC" token -p aks --force
check "  no federated credential for this subject: AADSTS70021 with advice" grep -q "AADSTS70021.*api://AzureADTokenExchange" "$T_DIR/err"
AZURE_FEDERATED_TOKEN_FILE=$T_DIR/fed.tok AZURE_CLIENT_ID=wi-client-1 AZURE_TENANT_ID=$TENANT \
    run_wif -c "$AC" token -p aksnoca
check "  an authority whose CA is not trusted: refused" test $RC -eq 1
check "no message carried a JWT (azure)" not_contains "$T_DIR/err" "eyJ"

# --- aws ---------------------------------------------------------------------------
ROLE=arn:aws:iam::123456789012:role/app
last_aws() { curl -sf "$IDP/_idp/requests" | $PY -c 'import json,sys; r=[x for x in json.load(sys.stdin) if x["role"]=="aws" and x["method"]=="POST"]; print(json.dumps(r[-1] if r else {}))'; }
sdk() { # sdk ARGS...: @aws-sdk/client-sts against the emulator
	(cd "$PEERS/cloud" && timeout 60 node aws_client.mjs "$IDP" us-east-1 "$@") 2>"$T_DIR/sdk.err" || true
}
AWS_ACCESS_KEY_ID=AKIDSTATIC AWS_SECRET_ACCESS_KEY=static-secret sdk get-web-identity-token "$AUD" 900 >"$T_DIR/aws-sdk.tok"
check "@aws-sdk/client-sts GetWebIdentityToken: the emulator verified its SigV4 (botocore) and answered a token" \
    test "$(claims <"$T_DIR/aws-sdk.tok" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["sub"], d["aud"], d["exp"]-d["iat"])')" = "$ROLE $AUD 900"
last_aws >"$T_DIR/aws.golden"
AWS_ACCESS_KEY_ID=AKIDSTATIC AWS_SECRET_ACCESS_KEY=not-the-secret sdk get-web-identity-token "$AUD" >"$T_DIR/aws-sdk-bad.tok"
check "  a wrong secret: SignatureDoesNotMatch, the official client fails" \
    test ! -s "$T_DIR/aws-sdk-bad.tok" -a "$(grep -c SignatureDoesNotMatch "$T_DIR/sdk.err")" -ge 1
$PY "$SRC/tests/emulator/demo_issuer.py" mint "$ISSUER_DIR" --iss "$ISSUER_URL" --sub system:serviceaccount:team-a:app \
    --aud sts.amazonaws.com --ttl 600 --out "$T_DIR/irsa.tok"
AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y sdk assume-role-with-web-identity "$ROLE" "$T_DIR/irsa.tok" >"$T_DIR/aws-assume.out"
check "@aws-sdk/client-sts AssumeRoleWithWebIdentity: temporary credentials from the emulator" grep -qx 'ASIAWEB[0-9A-F]*' "$T_DIR/aws-assume.out"

emu_for_issuer aws "$ISSUER_URL" "$ISSUER_DIR/jwks.json" 'arn:aws:iam::123456789012:role/*' || { fail "emulator for AWS tokens"; finish; }
WBASE=$EMU_FOR_ISSUER_URL
awsp() { # awsp NAME SETTINGS
	cat <<EOC
  { name = "$1";
    source = ( { provider = "aws"; sts_endpoint = "$IDP"; $2 } );
    exchange = { type = "anthropic"; base_url = "$WBASE"; federation_rule_id = "fdrl_aws1";
                 organization_id = "00000000-0000-4000-8000-000000000001";
                 service_account_id = "svac_aws1"; workspace_id = "wrkspc_aws1"; }; }
EOC
}
WC=$T_DIR/aws.conf
cat >"$WC" <<EOC
wif = { provider_dir = "$WIF_PLUGIN_BUILD_DIR"; http = { retries = 1; backoff_ms = 20; budget_ms = 8000; }; };
profiles = (
$(awsp env 'region = "us-east-1"; tags = [ "team=ml", "env=prod" ];'),
$(awsp chain 'region = "us-east-1";'),
$(awsp imds 'region = "us-east-1"; credentials = "imds";'),
$(awsp noregion ''),
$(awsp fromenvregion '')
);
EOC
chmod 644 "$WC"
ENVC="AWS_ACCESS_KEY_ID=AKIDSTATIC AWS_SECRET_ACCESS_KEY=static-secret"
env $ENVC bash -c "\"\$WIF_BIN\" -c '$WC' token -p env" >"$T_DIR/out" 2>"$T_DIR/err" || true
check "aws (environment credentials) -> Anthropic emulator -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
last_aws >"$T_DIR/aws.ours"
check "  wif's GetWebIdentityToken = @aws-sdk/client-sts' (path, form fields but the tags; both signatures verified)" \
    $PY "$SRC/tests/integration/same_request.py" --form-body --ignore-query --ignore-fields Tags.member.,DurationSeconds \
    "$T_DIR/aws.golden" "$T_DIR/aws.ours"
env $ENVC bash -c "\"\$WIF_BIN\" -c '$WC' identity -p env --json" >"$T_DIR/out" 2>"$T_DIR/err" || true
check "  session tags became claims" grep -q '"request_tags":{"team":"ml","env":"prod"}' "$T_DIR/out"
AWS_WEB_IDENTITY_TOKEN_FILE=$T_DIR/irsa.tok AWS_ROLE_ARN=$ROLE run_wif -c "$WC" token -p chain
check "aws via web identity (AssumeRoleWithWebIdentity, then signed with its credentials) -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
AWS_CONTAINER_CREDENTIALS_FULL_URI=$IDP/v2/credentials/task-1 AWS_CONTAINER_AUTHORIZATION_TOKEN=aws-ctoken-$$ \
    run_wif -c "$WC" identity -p chain --raw
check "aws via container credentials (FULL_URI + authorization token)" grep -q "^ey" "$T_DIR/out"
printf 'aws-ctoken-%s\n' $$ >"$T_DIR/ctok"
AWS_CONTAINER_CREDENTIALS_FULL_URI=$IDP/v2/credentials/task-1 AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$T_DIR/ctok \
    run_wif -c "$WC" identity -p chain --raw
check "  and with the token in AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (EKS Pod Identity)" grep -q "^ey" "$T_DIR/out"
AWS_EC2_METADATA_DISABLED=false AWS_EC2_METADATA_SERVICE_ENDPOINT=$IDP run_wif -c "$WC" token -p imds
check "aws via IMDSv2 (the loopback emulator) -> wif token" grep -qxE "$TOKRE" "$T_DIR/out"
check "  IMDSv2: a session token was asked for first (PUT)" test "$(curl -sf "$IDP/_idp/requests" | $PY -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin) if x["method"]=="PUT" and x["path"]=="/latest/api/token"))')" -ge 1
env AWS_ACCESS_KEY_ID=AKIDNOPERM AWS_SECRET_ACCESS_KEY=static-secret bash -c "\"\$WIF_BIN\" -c '$WC' identity -p chain" >"$T_DIR/out" 2>"$T_DIR/err" || true
check "AccessDenied: the role needs sts:GetWebIdentityToken" grep -q "AccessDenied.*the role needs sts:GetWebIdentityToken" "$T_DIR/err"
env AWS_ACCESS_KEY_ID=AKIDDISABLED AWS_SECRET_ACCESS_KEY=static-secret bash -c "\"\$WIF_BIN\" -c '$WC' identity -p chain" >"$T_DIR/out" 2>"$T_DIR/err" || true
check "outbound federation disabled: how to enable it" grep -q "OutboundWebIdentityFederationDisabledException.*enable outbound identity federation" "$T_DIR/err"
env AWS_ACCESS_KEY_ID=AKIDSTATIC AWS_SECRET_ACCESS_KEY=NotTheSecret42 bash -c "\"\$WIF_BIN\" -c '$WC' identity -p chain" >"$T_DIR/out" 2>"$T_DIR/err" || true
check "a wrong secret: SignatureDoesNotMatch with advice, the secret in no message" \
    test "$(grep -c 'SignatureDoesNotMatch.*clock' "$T_DIR/err")" -ge 1 -a "$(grep -c NotTheSecret42 "$T_DIR/err")" -eq 0
env $ENVC bash -c "\"\$WIF_BIN\" -c '$WC' identity -p noregion" >"$T_DIR/out" 2>"$T_DIR/err" || true
check "no region with an endpoint: says to set one" grep -q "no region to sign for" "$T_DIR/err"
env $ENVC AWS_REGION=us-east-1 bash -c "\"\$WIF_BIN\" -c '$WC' identity -p fromenvregion --raw" >"$T_DIR/out" 2>"$T_DIR/err" || true
check "the region from AWS_REGION" grep -q "^ey" "$T_DIR/out"
run_wif -c "$WC" identity -p chain
check "no credentials at all (metadata disabled): one clear error" grep -q "no AWS credentials" "$T_DIR/err"
check "no message carried a JWT (aws)" not_contains "$T_DIR/err" "eyJ"

finish
