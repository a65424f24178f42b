#!/usr/bin/env bash
# scripts/package.sh builds the Debian package; apt installs it (pulling
# its dependencies), the installed files work (wgedge --version, man,
# systemd-analyze verify of the installed units), and a purge removes
# everything again. Needs root and apt; exits 77 (skipped) without them.
#   test_package.sh SOURCE_ROOT
set -euo pipefail
src=$1
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIPPED: needs root"; exit 77; }
command -v apt-get >/dev/null || { echo "SKIPPED: no apt-get"; exit 77; }
if dpkg-query -W -f='${Status}' wgedge 2>/dev/null | grep -q "install ok"; then
	echo "SKIPPED: a wgedge package is installed on this machine already"
	exit 77
fi

cleanup() { DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq wgedge >/dev/null 2>&1 || true; }
trap cleanup EXIT

deb=$(cd "$src" && bash scripts/package.sh)
[ -f "$src/$deb" ] || fail "package.sh made no package ($deb)"
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$src/$deb" >/dev/null ||
	fail "apt-get install ./$deb"

/usr/sbin/wgedge --version | grep -q '^wgedge ' || fail "installed wgedge --version"
/usr/bin/wgedgectl --help >/dev/null 2>&1 || fail "installed wgedgectl --help"
/usr/bin/wgedge-exporter --help >/dev/null 2>&1 || fail "installed wgedge-exporter --help"
for page in wgedge.8 wgedgectl.8 wgedge-exporter.8 wgedge.conf.5; do
	man -w "${page%.*}" >/dev/null 2>&1 || fail "man page $page not installed"
done
[ -f /etc/wgedge/wgedge.conf.example ] || fail "no /etc/wgedge/wgedge.conf.example"
/usr/sbin/wgedge --check-config /etc/wgedge/wgedge.conf.example >/dev/null 2>&1 ||
	fail "the installed example does not check"
tmp=$(mktemp -d)
ln -s /lib/systemd/system/wgedge@.service "$tmp/wgedge@wge0.service"
ln -s /lib/systemd/system/wgedge-exporter@.service "$tmp/wgedge-exporter@wge0.service"
(cd "$tmp" && systemd-analyze verify ./wgedge@wge0.service ./wgedge-exporter@wge0.service \
	/lib/systemd/system/wgedge-hugepages.service) || { rm -rf "$tmp"; fail "verify installed units"; }
rm -rf "$tmp"

DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq wgedge >/dev/null || fail "purge"
for f in /usr/sbin/wgedge /usr/bin/wgedgectl /lib/systemd/system/wgedge@.service \
	 /etc/wgedge/wgedge.conf.example; do
	[ ! -e "$f" ] || fail "$f left after purge"
done
echo "package: $deb builds, installs, works and purges"
