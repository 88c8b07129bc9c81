#!/usr/bin/env bash
# setup.sh - install what wif needs to build and test on Debian 12 (idempotent).
set -euo pipefail
PKGS=(build-essential autoconf automake libtool pkg-config
      libcurl4-openssl-dev libssl-dev libjson-c-dev libconfig-dev libcunit1-dev libpam0g-dev
      libpam-wrapper pamtester libpamtest0-dev
      python3 python3-jwt python3-cryptography python3-kubernetes python3-grpcio python3-protobuf python3-botocore
      openssl ca-certificates curl
      clang libclang-rt-14-dev)
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -q
	$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
