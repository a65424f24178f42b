#!/usr/bin/env bash
# The manual pages render without warnings, every setting of the example
# configuration is documented in wgedge.conf(5), and systemd-analyze
# verifies the units (pointing at the built binary, with the built pages
# as their Documentation=).
#   test_docs.sh BUILD_ROOT SOURCE_ROOT WGEDGE
set -euo pipefail
build=$1
src=$2
wgedge=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/man/man5" "$tmp/man/man8"
for page in wgedge.8 wgedgectl.8 wgedge-exporter.8 wgedge.conf.5; do
	cp "$build/man/$page" "$tmp/man/man${page##*.}/"
	warn=$(MANWIDTH=80 man --warnings -l "$build/man/$page" 2>&1 >"$tmp/out")
	[ -z "$warn" ] || fail "$page: $warn"
	grep -q '^NAME' "$tmp/out" || fail "$page has no NAME section"
	grep -q '^SEE ALSO' "$tmp/out" || fail "$page has no SEE ALSO section"
done

MANWIDTH=200 man -l "$build/man/wgedge.conf.5" >"$tmp/conf5"
for key in $(sed -n 's/^[[:space:]]*\([a-z_0-9]*\)[[:space:]]*=.*/\1/p' \
	     "$src/configs/wgedge.conf" | sort -u); do
	grep -qw -- "$key" "$tmp/conf5" || fail "wgedge.conf(5) does not document '$key'"
done
for opt in --check-config --version --config; do
	MANWIDTH=200 man -l "$build/man/wgedge.8" | grep -q -- "$opt" ||
		fail "wgedge(8) does not document $opt"
done

mkdir "$tmp/units"
sed "s|^\(ExecStart[A-Za-z]*=\)[^ ]*/wgedge|\1$wgedge|" "$build/systemd/wgedge@.service" \
	>"$tmp/units/wgedge@wge0.service"
sed "s|^\(ExecStart=\)[^ ]*/wgedge-exporter|\1$build/exporter/wgedge-exporter|" \
	"$build/systemd/wgedge-exporter@.service" >"$tmp/units/wgedge-exporter@wge0.service"
cp "$build/systemd/wgedge-hugepages.service" "$tmp/units/"
grep -q '^Type=notify' "$tmp/units/wgedge@wge0.service" || fail "the unit is not Type=notify"
(cd "$tmp/units" && MANPATH="$tmp/man" systemd-analyze verify \
	./wgedge@wge0.service ./wgedge-exporter@wge0.service \
	./wgedge-hugepages.service) || fail "systemd-analyze verify"
echo "docs: manual pages and units OK"
