#!/usr/bin/env bash
# wgedge's commands that run without EAL: --version, --help, and
# --check-config on a good file, a bad one and a missing one.
#   test_cli.sh WGEDGE SOURCE_ROOT
set -euo pipefail
wgedge=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$wgedge" --version)
[[ $out =~ ^wgedge\ [0-9]+\.[0-9]+\.[0-9]+\ \(DPDK\ 22\. ]] || fail "--version printed: $out"
"$wgedge" --help | grep -q -- "--check-config" || fail "--help does not list --check-config"

cp "$src/configs/wgedge.conf" "$tmp/good.conf"
chmod 600 "$tmp/good.conf"
out=$("$wgedge" --check-config "$tmp/good.conf" 2>&1) || fail "good file refused: $out"
[[ $out == "$tmp/good.conf: OK (interface wge0, port 51820, 2 worker(s), 2 static peer(s))" ]] ||
	fail "good file: $out"

# A typo: refused with FILE:LINE and exit 1, nothing of the key shown.
sed 's/^listen_port = 51820;/listen_prot = 51820;/' "$tmp/good.conf" >"$tmp/bad.conf"
rc=0
out=$("$wgedge" --check-config "$tmp/bad.conf" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "bad file: exit $rc"
line=$(grep -n '^listen_prot' "$tmp/bad.conf" | cut -d: -f1)
[[ $out == *"$tmp/bad.conf:$line:"* ]] || fail "bad file: no FILE:LINE in: $out"
key=$(sed -n 's/^private_key = "\(.*\)";/\1/p' "$tmp/good.conf")
[[ $out != *"$key"* ]] || fail "the private key was printed"

rc=0
"$wgedge" --check-config "$tmp/none.conf" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "missing file: exit $rc"
rc=0
"$wgedge" --check-config >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "no file: exit $rc (want usage error 2)"
# It never started EAL: no runtime folder of its pid.
echo "cli: --version, --help, --check-config OK"
