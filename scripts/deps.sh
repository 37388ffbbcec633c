#!/bin/sh
# deps.sh: install what a fresh Debian 12 machine lacks to build and test sbx.
# Run as root, or as a user with sudo. Idempotent: packages already there are skipped.
set -eu
as_root=
if [ "$(id -u)" != 0 ]; then
	command -v sudo > /dev/null || { echo "deps: run me as root (no sudo here)" >&2; exit 1; }
	as_root=sudo
fi
pkgs="build-essential pkg-config libseccomp-dev libinih-dev libjansson-dev libmicrohttpd-dev
      python3 util-linux iproute2 procps hyperfine bubblewrap passt nftables scdoc
      clang curl wrk man-db"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	$as_root apt-get update -qq
	# shellcheck disable=SC2086
	$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
