#!/usr/bin/env bash
# Installs what is missing, builds wgedge twice (plain in build-plain, and
# with AddressSanitizer + UndefinedBehaviorSanitizer in build-sanitize: see
# scripts/lib/build.sh) and runs every test suite in both builds. Exits
# non-zero if anything fails.
#
#   scripts/test.sh               everything
#   WGEDGE_BUILDS=plain scripts/test.sh    one build only (plain | sanitize)
#   scripts/test.sh --suite unit  extra arguments go to `meson test` (and
#                                 skip the fuzzers)
#   WGEDGE_FUZZ_SECONDS=0 scripts/test.sh   no fuzzers (default: 20 s each)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/deps.sh
. scripts/deps.sh
wgedge_install_deps
# shellcheck source=scripts/lib/build.sh
. scripts/lib/build.sh

builds=${WGEDGE_BUILDS:-"plain sanitize"}
total_pass=0
total_fail=0
total_skip=0
status=0

run_build() {
	local name=$1 dir=build-$1
	echo "=== $name build ($dir)"
	wgedge_build "$name"
	echo "=== $name tests"
	local rc=0
	# The sanitizer and leak-check environment is meson's default test setup.
	meson test -C "$dir" --print-errorlogs --num-processes 2 "${@:2}" || rc=$?
	local counts
	counts=$(python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["result"] in ("OK", "EXPECTEDFAIL"):
        p += 1
    elif r["result"] == "SKIP":
        s += 1
    else:
        f += 1
print(p, f, s)
PY
)
	local p f s
	read -r p f s <<<"$counts"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	[ "$rc" -eq 0 ] || status=1
}

for b in $builds; do
	run_build "$b" "$@"
done

# Every libFuzzer harness for a short, bounded time (WGEDGE_FUZZ_SECONDS,
# 0 to skip), and the inputs that once crashed them.
fuzz_seconds=${WGEDGE_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" -gt 0 ] && [ $# -eq 0 ]; then
	echo "=== fuzzers (${fuzz_seconds} s each)"
	frc=0
	flog=$(mktemp)
	bash scripts/fuzz.sh "$fuzz_seconds" | tee "$flog" || frc=$?
	read -r fp ff < <(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$flog") || true
	total_pass=$((total_pass + ${fp:-0}))
	total_fail=$((total_fail + ${ff:-1}))
	rm -f "$flog"
	[ "$frc" -eq 0 ] || status=1
fi

echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
exit "$status"
