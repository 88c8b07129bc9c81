#!/usr/bin/env bash
# run.sh - build an optimised, sanitizer-free wif in ./build-bench and run the
# benchmarks of bench/README.md.  Needs hyperfine and valgrind (apt), node and
# the pinned SDK (tests/node) for the side-by-side with the official SDK.
# Everything runs on 127.0.0.1 against the bundled emulator.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bb="$top/build-bench"
mkdir -p "$bb"; chmod 755 "$bb"
cd "$bb"
[ -f Makefile ] || "$top/configure" CFLAGS="-O2 -g" >/dev/null
make -s -j"$(nproc)" >/dev/null
make -s bench >/dev/null
command -v hyperfine >/dev/null || { echo "bench: apt-get install hyperfine" >&2; exit 1; }

echo "== 1. in-process cache hit (goal <= 1 us)"
./bench/cache_hit 2000

work="$bb/benchrun"; rm -rf "$work"; mkdir -p "$work"; chmod 755 "$work"
"$top/tests/emulator/run_stack.sh" start "$work/stack" >/dev/null
trap '"$top/tests/emulator/run_stack.sh" stop "$work/stack" >/dev/null 2>&1 || true' EXIT
. "$work/stack/env"
mkdir -p "$work/run"; chmod 700 "$work/run"
export XDG_RUNTIME_DIR="$work/run"
unset ANTHROPIC_API_KEY ANTHROPIC_AUTH_TOKEN
mint="/usr/bin/python3 $top/tests/emulator/demo_issuer.py mint $ISSUER_DIR --iss $ISSUER_URL --sub demo:app --aud https://api.anthropic.com"
cat >"$work/wif.conf" <<CONF
wif = { provider_dir = "$bb/plugins/.libs"; };
profiles = ( { name = "default";
  source = ( { provider = "file"; path = "$work/jwt"; } );
  exchange = { type = "anthropic"; base_url = "$ANTHROPIC_BASE_URL";
               federation_rule_id = "fdrl_demo1"; organization_id = "00000000-0000-4000-8000-000000000001";
               service_account_id = "svac_demo1"; workspace_id = "wrkspc_demo1"; }; } );
CONF
$mint --out "$work/jwt"
WIF_CLI="$bb/modules/wif/wif-cli" "$bb/modules/wif/wif" -c "$work/wif.conf" token >/dev/null   # warm the per-user cache

# wifd with the same configuration, on a socket of its own, warmed.
export WIF_SOCKET="$work/wifd.sock" WIF_CLI="$bb/modules/wif/wif-cli"
"$bb/modules/wifd/wifd" -c "$work/wif.conf" -s "$WIF_SOCKET" 2>"$work/wifd.log" &
wifd_pid=$!
trap 'kill $wifd_pid 2>/dev/null; "$top/tests/emulator/run_stack.sh" stop "$work/stack" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 100); do [ -S "$WIF_SOCKET" ] && break; sleep 0.05; done
$mint --out "$work/jwt"
"$bb/modules/wif/wif" token >/dev/null   # warm wifd's cache

echo
echo "== 2. wif token on a warm cache, side by side (process wall time)"
cmds=("$bb/bench/hello" "$bb/modules/wif/wif token" "$bb/modules/wif/wif -c $work/wif.conf token")
names=("trivial C program (prints a line)" "wif token (warm wifd)" "wif -c wif.conf token (no daemon: wif-cli, warm per-user cache)")
if command -v node >/dev/null && [ -f "$top/tests/node/package-lock.json" ]; then
	mkdir -p "$bb/tests/node"
	cp "$top/tests/node/package.json" "$top/tests/node/package-lock.json" "$top/bench/sdk_cached_token.mjs" "$bb/tests/node/"
	[ -d "$bb/tests/node/node_modules" ] || (cd "$bb/tests/node" && npm ci --no-audit --no-fund >/dev/null 2>&1)
	# The SDK's own profile-mode cache: a credentials file it reads without network.
	sdkdir="$work/anthropic"; mkdir -p "$sdkdir/configs" "$sdkdir/credentials"; chmod 700 "$sdkdir" "$sdkdir/credentials"
	"$bb/modules/wif/wif" -c "$work/wif.conf" token --format json >"$work/tok.json"
	/usr/bin/python3 - "$work/tok.json" "$sdkdir" "$ANTHROPIC_BASE_URL" "$work/jwt" <<'PY'
import json, os, sys
t = json.load(open(sys.argv[1])); d = sys.argv[2]
json.dump({"version": "1.0", "authentication": {"type": "oidc_federation", "federation_rule_id": "fdrl_demo1",
           "service_account_id": "svac_demo1", "identity_token": {"source": "file", "path": sys.argv[4]}},
           "organization_id": "00000000-0000-4000-8000-000000000001", "workspace_id": "wrkspc_demo1",
           "base_url": sys.argv[3]}, open(os.path.join(d, "configs", "bench.json"), "w"))
p = os.path.join(d, "credentials", "bench.json")
with open(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
    json.dump({"version": "1.0", "type": "oauth_token", "access_token": t["access_token"],
               "expires_at": t["expires_at"]}, f)
PY
	env ANTHROPIC_CONFIG_DIR="$sdkdir" ANTHROPIC_PROFILE=bench node "$bb/tests/node/sdk_cached_token.mjs" >/dev/null
	cmds+=("env ANTHROPIC_CONFIG_DIR=$sdkdir ANTHROPIC_PROFILE=bench node $bb/tests/node/sdk_cached_token.mjs")
	names+=("official @anthropic-ai/sdk 1.12.0 in node, cached token (profile mode)")
fi
hf=()
for i in "${!cmds[@]}"; do hf+=(-n "${names[$i]}" "${cmds[$i]}"); done
hyperfine -N --warmup 20 --runs 300 --style basic --export-markdown "$work/startup.md" \
	--export-json "$work/startup.json" "${hf[@]}"
cat "$work/startup.md"
/usr/bin/python3 - "$work/startup.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print("median %-75s %8.2f ms  (%.2fx the trivial program)" % (x["command"][:75], x["median"] * 1e3, x["median"] / base))
PY

# The same pair alternated run by run (hyperfine runs all of one command,
# then all of the other, so a drift of the shared VM lands in the ratio).
./bench/interleave 2000 "$bb/bench/hello" -- "$bb/modules/wif/wif" token

echo
echo "== 4. client round trip and throughput through libwif (warm wifd)"
./bench/client_rt 20000
./bench/client_rt 5000 32
# the same with wif.audit = "none" (the audit line per issuance is wifd's
# largest per-request cost when syslog has no listener, as in a container)
sed 's|^wif = { |wif = { audit = "none"; |' "$work/wif.conf" >"$work/wif-noaudit.conf"
$mint --out "$work/jwt"   # a fresh assertion for the second daemon
"$bb/modules/wifd/wifd" -c "$work/wif-noaudit.conf" -s "$work/wifd2.sock" 2>"$work/wifd2.log" &
wifd2=$!
for _ in $(seq 100); do [ -S "$work/wifd2.sock" ] && break; sleep 0.05; done
WIF_SOCKET="$work/wifd2.sock" "$bb/modules/wif/wif" token >/dev/null   # warm it
WIF_SOCKET="$work/wifd2.sock" ./bench/client_rt 20000
WIF_SOCKET="$work/wifd2.sock" ./bench/client_rt 5000 32
echo "wif token vs the trivial program, alternated, wif.audit = none:"
WIF_SOCKET="$work/wifd2.sock" ./bench/interleave 2000 "$bb/bench/hello" -- "$bb/modules/wif/wif" token
kill $wifd2; wait $wifd2 2>/dev/null || true
if command -v valgrind >/dev/null; then
	valgrind --tool=callgrind --callgrind-out-file="$work/cg3.out" \
		"$bb/modules/wif/wif" token >/dev/null 2>"$work/cg3.err"
	echo "wif token via wifd, instructions executed by the wif process (callgrind): $(grep -oE 'Collected : [0-9]+' "$work/cg3.err" | grep -oE '[0-9]+')"
fi

echo
echo "== 5. herd: 200 processes ask at once for a cold profile (wifd)"
before=$(curl -s "$EMU_URL/_emu/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["exchanges"]["succeeded"])')
/usr/bin/python3 "$top/tests/integration/wire_client.py" "$WIF_SOCKET" request op=flush profile=default >/dev/null
$mint --out "$work/jwt"
start=$(date +%s%N)
pids=()
for _ in $(seq 200); do "$bb/modules/wif/wif" token >/dev/null & pids+=($!); done
wait "${pids[@]}"   # not a bare wait: wifd is a child of this shell too
end=$(date +%s%N)
after=$(curl -s "$EMU_URL/_emu/stats" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["exchanges"]["succeeded"])')
echo "200 processes in $(( (end - start) / 1000000 )) ms, exchanges: $((after - before))"

echo
echo "== 6. wifd resident memory with 100 profiles (goal <= 10 MB)"
# 100 profiles, each with its own identity source (a fresh assertion per
# exchange), every one of them asked once so that 100 tokens are cached and
# 100 profiles are on the refresh timer.
{
	echo 'wif = { provider_dir = "'"$bb"'/plugins/.libs"; };'
	echo 'profiles = ('
	for i in $(seq 100); do
		[ "$i" -eq 1 ] || echo ','
		cat <<P
 { name = "p$i";
   source = ( { provider = "exec"; command = [ "/usr/bin/python3", "$top/tests/emulator/demo_issuer.py", "mint", "$ISSUER_DIR",
                "--iss", "$ISSUER_URL", "--sub", "demo:app", "--aud", "https://api.anthropic.com" ]; } );
   exchange = { type = "anthropic"; base_url = "$ANTHROPIC_BASE_URL";
                federation_rule_id = "fdrl_demo1"; organization_id = "00000000-0000-4000-8000-000000000001";
                service_account_id = "svac_demo1"; workspace_id = "wrkspc_demo1"; }; }
P
	done
	echo ');'
} >"$work/wif100.conf"
# (as wifd.service starts it: GnuTLS, which Debian's libcurl drags into the
# mint helper, not initialized at load)
GNUTLS_NO_IMPLICIT_INIT=1 "$bb/modules/wifd/wifd" -c "$work/wif100.conf" -s "$work/wifd3.sock" 2>"$work/wifd3.log" &
wifd3=$!
for _ in $(seq 100); do [ -S "$work/wifd3.sock" ] && break; sleep 0.05; done
echo "idle, 100 profiles loaded: $(grep VmRSS /proc/$wifd3/status)"
for i in $(seq 100); do WIF_SOCKET="$work/wifd3.sock" "$bb/modules/wif/wif" token -p "p$i" >/dev/null; done
# the mint helper (wifd-mint) that has just minted 100 tokens
helper=$(pgrep -P $wifd3 -x wifd-mint || true)
if [ -n "$helper" ]; then
	echo "mint helper after 100 mints: $(grep VmRSS /proc/$helper/status), peak $(grep VmHWM /proc/$helper/status)"
	awk '/^(Rss|Pss):/ {printf "  %s %s kB", $1, $2} END {print ""}' /proc/$helper/smaps_rollup
fi
echo "wifd after 100 mints: $(grep VmRSS /proc/$wifd3/status)"
WIF_SOCKET="$work/wifd3.sock" WIF_BENCH_PROFILE=p50 ./bench/client_rt 5000 32 >/dev/null
echo "100 tokens cached, after 160k requests from 32 clients: $(grep VmRSS /proc/$wifd3/status), peak $(grep VmHWM /proc/$wifd3/status)"
# what the RSS is made of: pages shared with every process using the same
# libraries (libc, libconfig, json-c) vs wifd's own
awk '/^(Rss|Pss|Shared_Clean|Shared_Dirty|Private_Clean|Private_Dirty|Anonymous):/ {printf "  %s %s kB", $1, $2} END {print ""}' /proc/$wifd3/smaps_rollup
awk '/^[0-9a-f]+-[0-9a-f]+ / {f=$6} /^Rss:/ {if (f ~ /\.so/) lib+=$2; else own+=$2} END {printf "  RSS in shared libraries %d kB, the rest (heap, stacks, wifd) %d kB\n", lib, own}' /proc/$wifd3/smaps
if grep -qE 'libcurl|libcrypto' /proc/$wifd3/maps; then echo "  (wifd maps libcurl/libcrypto: unexpected)"; else echo "  wifd maps neither libcurl nor libcrypto"; fi
sleep 11   # the helper's linger (10 s) passes: it ends
echo "helper still running 11 s later: $(pgrep -P $wifd3 -x wifd-mint >/dev/null && echo yes || echo no)"
kill $wifd3; wait $wifd3 2>/dev/null || true

echo
echo "== 3. cold exchange: wif token --force (fresh JWT file each run; fetch + exchange over loopback http)"
hyperfine -N --warmup 3 --runs 40 --style basic --prepare "$mint --out $work/jwt" \
	--export-markdown "$work/cold.md" -n "wif token --force (cold mint)" \
	"$bb/modules/wif/wif -c $work/wif.conf token --force"
cat "$work/cold.md"
if command -v valgrind >/dev/null; then
	$mint --out "$work/jwt"
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
		"$bb/modules/wif/wif-cli" -c "$work/wif.conf" token --force >/dev/null 2>"$work/cg.err"
	echo "cold mint, instructions executed by the wif process (callgrind): $(grep -oE 'Collected : [0-9]+' "$work/cg.err" | grep -oE '[0-9]+')"
	valgrind --tool=callgrind --callgrind-out-file="$work/cg2.out" \
		"$bb/modules/wif/wif-cli" -c "$work/wif.conf" token >/dev/null 2>"$work/cg2.err"
	echo "warm cache hit, instructions executed by the wif process (callgrind): $(grep -oE 'Collected : [0-9]+' "$work/cg2.err" | grep -oE '[0-9]+')"
fi
