#!/bin/sh
# run_stack.sh start DIR | stop DIR
#
# Starts the demo OIDC issuer and the Anthropic emulator on free loopback
# ports, both configured for one another, and writes DIR/env (shell-sourceable).
# Writes only into DIR, so it works from a read-only source tree (distcheck).
#
# WIF_EMU_JWKS=inline (default) | url | discovery: how emu.json names the
# issuer's keys (inline JWKS, explicit jwks_url, or OIDC discovery).
# WIF_EMU_TOKEN_LIFETIME=S: the emulator issues every token for S seconds
# (its --token-lifetime; default: the rule's 600 s).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1

usage() { echo "usage: $0 start DIR | stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

# wait_file FILE: up to ~10 s for a server to publish its port
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -le 200 ] || return 1
		sleep 0.05
	done
}

# ours PID NAME: the PID is alive and still runs our script (not a recycled PID)
ours() {
	[ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -q "$2"
}

stop_pid() {
	pid=$1 name=$2
	ours "$pid" "$name" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	i=0
	while ours "$pid" "$name"; do
		i=$((i + 1))
		if [ $i -gt 100 ]; then
			kill -KILL "$pid" 2>/dev/null || true
			break
		fi
		sleep 0.05
	done
}

case $cmd in
start)
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ -f "$dir/env" ]; then
		echo "$0: $dir/env exists: stop the running stack first" >&2
		exit 1
	fi
	rm -f "$dir/issuer.port" "$dir/emu.port"
	"$py" "$here/demo_issuer.py" init "$dir/issuer" >/dev/null
	"$py" "$here/demo_issuer.py" serve "$dir/issuer" --port 0 --port-file "$dir/issuer.port" \
		--issuer-file "$dir/issuer.url" </dev/null >"$dir/issuer.log" 2>&1 &
	issuer_pid=$!
	if ! wait_file "$dir/issuer.port"; then
		echo "$0: the demo issuer did not start (see $dir/issuer.log)" >&2
		kill "$issuer_pid" 2>/dev/null || true
		exit 1
	fi
	issuer_url=$(cat "$dir/issuer.url")
	"$py" - "$dir" "$issuer_url" "${WIF_EMU_JWKS:-inline}" <<'PY'
import json, os, sys
d, iss, mode = sys.argv[1:4]
issuer = {"issuer_url": iss, "max_jwt_lifetime_seconds": 3600}
if mode == "inline":
    with open(os.path.join(d, "issuer", "jwks.json")) as f:
        issuer["jwks"] = json.load(f)
elif mode == "url":
    issuer["jwks_url"] = iss + "/jwks.json"
elif mode == "discovery":
    issuer["discovery"] = True
else:
    sys.exit("WIF_EMU_JWKS must be inline, url or discovery")
cfg = {"issuers": [issuer],
       "rules": [{"id": "fdrl_demo1", "organization_id": "00000000-0000-4000-8000-000000000001",
                  "service_account_id": "svac_demo1", "issuer_url": iss,
                  "match": {"audience": "https://api.anthropic.com", "subject_prefix": "demo:*"},
                  "token_lifetime_seconds": 600, "workspace_ids": ["wrkspc_demo1"],
                  "oauth_scope": "workspace:developer"}]}
with open(os.path.join(d, "emu.json"), "w") as f:
    json.dump(cfg, f, indent=1)
PY
	"$py" "$here/anthropic_emulator.py" --config "$dir/emu.json" --port 0 --port-file "$dir/emu.port" \
		--record "$dir/exchanges.jsonl" --log "$dir/emu.log" \
		${WIF_EMU_TOKEN_LIFETIME:+--token-lifetime "$WIF_EMU_TOKEN_LIFETIME"} </dev/null >"$dir/emu.stderr" 2>&1 &
	emu_pid=$!
	if ! wait_file "$dir/emu.port"; then
		echo "$0: the emulator did not start (see $dir/emu.stderr)" >&2
		kill "$emu_pid" "$issuer_pid" 2>/dev/null || true
		exit 1
	fi
	emu_url="http://127.0.0.1:$(cat "$dir/emu.port")"
	# Both answer before we hand the stack over.
	if ! "$py" - "$emu_url/_emu/stats" "$issuer_url/.well-known/openid-configuration" <<'PY'
import sys, time, urllib.request
for url in sys.argv[1:]:
    for _ in range(100):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.05)
    else:
        sys.exit("no answer from " + url)
PY
	then
		kill "$emu_pid" "$issuer_pid" 2>/dev/null || true
		exit 1
	fi
	cat >"$dir/env.tmp" <<ENV
# Written by tests/emulator/run_stack.sh; stop with: run_stack.sh stop $dir
# Mint a fresh identity token (assertions are single-use):
#   /usr/bin/python3 \$WIF_TOP_SRCDIR/tests/emulator/demo_issuer.py mint \$ISSUER_DIR --iss \$ISSUER_URL --sub demo:app --aud https://api.anthropic.com
# (EMU_SRC_DIR below is that directory.) Emulator control: GET \$EMU_URL/_emu/stats, /_emu/requests;
# POST \$EMU_URL/_emu/fault, /_emu/reset (see tests/emulator/README.md).
export EMU_URL='$emu_url'
export EMU_PID='$emu_pid'
export EMU_SRC_DIR='$here'
export ISSUER_URL='$issuer_url'
export ISSUER_DIR='$dir/issuer'
export ISSUER_PID='$issuer_pid'
export ANTHROPIC_BASE_URL='$emu_url'
export ANTHROPIC_FEDERATION_RULE_ID='fdrl_demo1'
export ANTHROPIC_ORGANIZATION_ID='00000000-0000-4000-8000-000000000001'
export ANTHROPIC_SERVICE_ACCOUNT_ID='svac_demo1'
export ANTHROPIC_WORKSPACE_ID='wrkspc_demo1'
ENV
	mv "$dir/env.tmp" "$dir/env"
	echo "$dir/env"
	;;
stop)
	[ -f "$dir/env" ] || { echo "$0: no $dir/env" >&2; exit 1; }
	EMU_PID=$(sed -n "s/^export EMU_PID='\([0-9]*\)'$/\1/p" "$dir/env")
	ISSUER_PID=$(sed -n "s/^export ISSUER_PID='\([0-9]*\)'$/\1/p" "$dir/env")
	stop_pid "$EMU_PID" anthropic_emulator.py
	stop_pid "$ISSUER_PID" demo_issuer.py
	rm -f "$dir/env"
	;;
*) usage ;;
esac
