#!/usr/bin/env bash
# build.sh [CONFIGURE-ARGS...] - bootstrap and build wif in ./build (out of tree).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ -x configure ] && [ configure -nt configure.ac ] || autoreconf -fi
mkdir -p build
cd build
if [ ! -f Makefile ] || [ "${WIF_RECONFIGURE:-0}" = 1 ]; then
	../configure "$@"
fi
make -j"$(nproc)"
