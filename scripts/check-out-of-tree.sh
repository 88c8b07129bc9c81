#!/usr/bin/env bash
# check-out-of-tree.sh BUILDDIR - prove a third-party author can build a
# provider with the installed header and pkg-config alone: install wif into a
# staging prefix, build examples/hello-provider against it, install the plugin
# into `pkg-config --variable=providerdir wif`, and have that wif load it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
stage="$build/oot-stage"
rm -rf "$stage"; mkdir -p "$stage"; chmod 755 "$stage"
prefix=$(sed -n 's/^prefix=//p' "$build/wif.pc")
make -s -C "$build" install DESTDIR="$stage" >/dev/null 2>&1
export PKG_CONFIG_SYSROOT_DIR="$stage"
export PKG_CONFIG_PATH="$stage$prefix/lib/pkgconfig"
providerdir=$(pkg-config --variable=providerdir wif)
[ -f "$providerdir/file.so" ] || { echo "out-of-tree: file.so not in $providerdir"; exit 1; }
work="$build/oot-hello"; rm -rf "$work"; cp -r "$top/examples/hello-provider" "$work"
make -s -C "$work" install DESTDIR="" providerdir="$providerdir" PKG_CONFIG=pkg-config
printf 'wif = { provider_dir = "%s"; };\n' "$providerdir" >"$work/wif.conf"
# The staged wif runs the staged wif-cli (the installed one would be under
# $prefix, which this check does not touch).
out=$(WIF_CLI="$stage$prefix/libexec/wif/wif-cli" "$stage$prefix/bin/wif" -c "$work/wif.conf" providers)
echo "$out"
echo "$out" | grep -qE '^hello +1\.' || { echo "out-of-tree: hello not loaded"; exit 1; }
nm -D --defined-only "$providerdir/hello.so" | grep -q ' wif_provider_entry$'
rm -rf "$stage" "$work"
echo "out-of-tree plugin: OK"
