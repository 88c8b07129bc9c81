#!/usr/bin/env bash
# test.sh - set up a fresh Debian machine, build wif with warnings as errors and
# ASan+UBSan, and run the whole test suite (unit, integration, fuzz replay).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/setup.sh"
WIF_RECONFIGURE=1 "$top/scripts/build.sh" --enable-strict --enable-sanitizers
cd "$top/build"
set +e
make -j"$(nproc)" check
rc=$?
set -e
# One summary line for humans and CI, from automake's harness.
count() { cat $(find . -name '*.trs') 2>/dev/null | grep -c -E "^:test-result: ($1)" || true; }
pass=$(count PASS); fail=$(count 'FAIL|ERROR|XPASS'); skip=$(count SKIP)
if [ "$rc" -ne 0 ]; then
	echo "---- failures ----"
	for t in $(grep -l -E '^:test-result: (FAIL|ERROR)' $(find . -name '*.trs') || true); do
		echo "== ${t%.trs}.log"; tail -40 "${t%.trs}.log"
	done
fi
echo "suite: $pass passed, $fail failed, $skip skipped"
[ "$rc" -eq 0 ] || exit $rc
# A plugin built out of tree against the installed header and wif.pc.
"$top/scripts/check-out-of-tree.sh" "$top/build"
