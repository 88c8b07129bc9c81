#!/bin/sh
# sigv4_botocore.sh - wif's SigV4 (plugins/aws/sigv4.h) against botocore's on
# the fixed edge cases and 2000 random requests (see sigv4_botocore.py).
set -u
: "${WIF_TOP_SRCDIR:?run through make check}"
: "${WIF_TOP_BUILDDIR:?run through make check}"
/usr/bin/python3 -c 'import botocore' 2>/dev/null || {
	echo "not ok - python3-botocore is missing (scripts/setup.sh installs it)"; exit 1; }
exec /usr/bin/python3 "$WIF_TOP_SRCDIR/tests/integration/sigv4_botocore.py" \
    "$WIF_TOP_BUILDDIR/tests/unit/sigv4_cases" 2000
