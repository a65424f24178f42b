#!/usr/bin/env bash
# Builds the Debian package of wgedge: a release build with prefix /usr,
# `meson install` into a staging tree, the runtime dependencies computed
# by dpkg-shlibdeps from the binaries, then dpkg-deb. Prints the .deb's
# path (build-package/wgedge_<version>_<arch>.deb); install it with
#   apt install ./build-package/wgedge_*.deb
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/deps.sh
. scripts/deps.sh
wgedge_install_deps

dir=build-package
if [ -d "$dir" ]; then
	meson setup --reconfigure "$dir" --prefix=/usr --buildtype=release >/dev/null
else
	meson setup "$dir" --prefix=/usr --buildtype=release >/dev/null
fi
ninja -C "$dir" control/wgedge control/orch/wgedgectl exporter/wgedge-exporter >/dev/null

stage=$(mktemp -d)
work=$(mktemp -d)
trap 'rm -rf "$stage" "$work"' EXIT
DESTDIR=$stage meson install -C "$dir" --no-rebuild --quiet

version=$(meson introspect --projectinfo "$dir" |
	  python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
arch=$(dpkg --print-architecture)

# Debian policy: compressed manual pages, a copyright file, conffiles.
find "$stage/usr/share/man" -type f -exec gzip -9n {} +
install -D -m 644 packaging/copyright "$stage/usr/share/doc/wgedge/copyright"
mkdir -p "$stage/DEBIAN"
(cd "$stage" && find etc -type f | sed 's|^|/|') >"$stage/DEBIAN/conffiles"
install -m 755 packaging/postinst packaging/postrm "$stage/DEBIAN/"

# The shared libraries' packages, from the binaries themselves.
mkdir -p "$work/debian"
printf 'Source: wgedge\n\nPackage: wgedge\nArchitecture: any\n' >"$work/debian/control"
depends=$(cd "$work" && dpkg-shlibdeps -O \
	-e"$stage/usr/sbin/wgedge" -e"$stage/usr/bin/wgedgectl" \
	-e"$stage/usr/bin/wgedge-exporter" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

# EAL loads its drivers as plugins, which no binary links: the mempool
# driver is needed by every run, the port drivers by the deployment.
abi=$(printf '%s' "$depends" | sed -n 's/.*librte-eal\([0-9]*\).*/\1/p')
depends="$depends, librte-mempool-ring$abi"
recommends="librte-net-i40e$abi, librte-net-ixgbe$abi, librte-net-ice$abi, librte-net-mlx5-$abi, librte-net-af-packet$abi, librte-net-ring$abi"
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@DEPENDS@|$depends|" \
	-e "s|@RECOMMENDS@|$recommends|" packaging/control.in >"$stage/DEBIAN/control"
echo "Installed-Size: $(du -sk --exclude=DEBIAN "$stage" | cut -f1)" >>"$stage/DEBIAN/control"

deb=$dir/wgedge_${version}_${arch}.deb
dpkg-deb --root-owner-group --build "$stage" "$deb" >/dev/null
echo "$deb"
