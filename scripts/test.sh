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
if [ -f test-suite.log ]; then
	pass=$(grep -h '^:test-result: PASS' $(find . -name '*.trs') | wc -l)
	fail=$(grep -h -E '^:test-result: (FAIL|ERROR|XPASS)' $(find . -name '*.trs') | wc -l)
	skip=$(grep -h '^:test-result: SKIP' $(find . -name '*.trs') | wc -l)
	[ "$rc" -eq 0 ] || { echo "---- failures ----"; grep -l -E '^:test-result: (FAIL|ERROR)' $(find . -name '*.trs') | while read -r t; do echo "== ${t%.trs}.log"; tail -40 "${t%.trs}.log"; done; }
	echo "test programs: $pass passed, $fail failed, $skip skipped"
fi
[ "$rc" -eq 0 ] || exit $rc
# A plugin built out of tree against the installed header and wif.pc.
"$top/scripts/check-out-of-tree.sh" "$top/build"
