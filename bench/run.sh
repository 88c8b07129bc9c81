#!/usr/bin/env bash
# run.sh - build an optimised wif in ./build-bench and run the benchmarks.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/build-bench"
cd "$top/build-bench"
[ -f Makefile ] || "$top/configure" CFLAGS="-O2 -g" >/dev/null
make -s -j"$(nproc)" >/dev/null
make -s bench >/dev/null
echo "== in-process cache hit"
./bench/cache_hit 2000
