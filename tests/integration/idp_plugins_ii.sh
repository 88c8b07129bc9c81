#!/bin/bash
# idp_plugins_ii.sh - the spiffe (and, as they land, azure and aws) providers
# against real peers.
#
# spiffe: a real gRPC server (python3-grpcio, C core, with the real protobuf
# runtime) serving the SPIFFE Workload API on a Unix socket
# (tests/emulator/spiffe_agent.py), which refuses calls without the
# workload.spiffe.io header as SPIRE does; wif's JWT-SVID is exchanged by an
# Anthropic emulator that trusts the issuer.
. "$WIF_TOP_SRCDIR/tests/integration/lib.sh"
set -e
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
    ANTHROPIC_WORKSPACE_ID ANTHROPIC_CONFIG_DIR SPIFFE_ENDPOINT_SOCKET
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

finish
