#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz, clang, ASan + UBSan) and runs
# each over its seed corpus for a bounded time, then replays every input
# that once crashed it (tests/fuzz/regress/<fuzzer>/). New corpus entries go
# to a temporary folder; a crash leaves its input in build-fuzz/artifacts/.
#
#   scripts/fuzz.sh                  every fuzzer, 20 s each
#   scripts/fuzz.sh 600 fuzz_outer   one fuzzer, ten minutes
#
# Ends with "fuzz: N passed, N failed"; exits non-zero if any failed.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/deps.sh
. scripts/deps.sh
wgedge_install_deps

seconds=${1:-20}
shift || true
all=(fuzz_uapi fuzz_config fuzz_neigh fuzz_outer fuzz_clear)
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=("${all[@]}")

dir=build-fuzz
if [ -d "$dir" ]; then
	CC=clang meson setup --reconfigure "$dir" -Dfuzz=true >/dev/null
else
	CC=clang meson setup "$dir" -Dfuzz=true >/dev/null
fi
# shellcheck disable=SC2046
if ! out=$(ninja -C "$dir" $(printf 'tests/fuzz/%s ' "${fuzzers[@]}") 2>&1); then
	printf '%s\n' "$out" | grep -E 'error|FAILED' | head -20
	echo "fuzz: 0 passed, ${#fuzzers[@]} failed (the build failed)"
	exit 1
fi
mkdir -p "$dir/artifacts"
export LSAN_OPTIONS="suppressions=$top/tests/fuzz/lsan.supp:print_suppressions=0"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs the fuzzer in the background so that the EAL runtime folder of its
# pid can be removed even when it dies on a finding.
run() {
	local exe=$1 pid rc=0
	shift
	"$exe" "$@" >"$work/log" 2>&1 &
	pid=$!
	wait "$pid" || rc=$?
	rm -rf "/var/run/dpdk/wgdp$pid"
	return "$rc"
}

pass=0
fail=0
for f in "${fuzzers[@]}"; do
	exe=$dir/tests/fuzz/$f
	mkdir -p "$work/$f"
	rc=0
	run "$exe" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=0 \
		-artifact_prefix="$dir/artifacts/$f-" -print_final_stats=1 \
		"$work/$f" "tests/fuzz/corpus/$f" || rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
	if [ "$rc" -eq 0 ] && [ -d "tests/fuzz/regress/$f" ] &&
	   [ -n "$(ls -A "tests/fuzz/regress/$f")" ]; then
		run "$exe" -rss_limit_mb=0 "tests/fuzz/regress/$f"/* || rc=$?
	fi
	if [ "$rc" -eq 0 ]; then
		echo "fuzz: $f OK (${runs:-?} inputs in ${seconds} s)"
		pass=$((pass + 1))
	else
		echo "fuzz: $f FAILED (exit $rc); its output:"
		tail -40 "$work/log" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
