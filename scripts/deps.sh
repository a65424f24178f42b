#!/usr/bin/env bash
# Installs, with apt-get, whichever of the Debian packages wgedge needs are
# missing. Quiet when nothing is missing. Sourced or run by demo.sh/test.sh.
set -euo pipefail

WGEDGE_PACKAGES=(
	build-essential pkg-config meson ninja-build
	libdpdk-dev dpdk libipsec-mb-dev libsodium-dev libconfig-dev libcriterion-dev
	wireguard-tools wireguard-go iproute2 iputils-ping iperf3 tcpdump ethtool
	python3 gnuplot-nox
	clang libclang-rt-14-dev
	libsystemd-dev systemd man-db dpkg-dev
	libmicrohttpd-dev libjansson-dev prometheus curl
)

wgedge_missing_packages() {
	local p
	for p in "${WGEDGE_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			echo "$p"
	done
}

wgedge_install_deps() {
	local missing
	missing=$(wgedge_missing_packages | tr '\n' ' ')
	[ -z "${missing// /}" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages: $missing (run as root to install them)" >&2
		return 1
	fi
	echo "deps: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	wgedge_install_deps
fi
