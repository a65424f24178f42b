# shellcheck shell=bash
# What the interop test scripts share (bash): the gateway topology of
# scripts/lib/topology.sh under names unique to the run, skipping where it
# cannot run, TAP-like checks, and clean-up on every exit.
#
#   TEST=interop-gateway P=wgt$$ . "$(dirname "$0")/lib.sh"
#   itest_require TOOL...       exits 77 (meson's skip) without root,
#                               namespaces or a tool
#   itest_gateway_up WGEDGE [EXPIRY] [CONFIG LINES]
#                               topology, keys, wgedge started
#   check "what" COMMAND...     one "ok"/"not ok" line
#   itest_finish                "N passed, N failed"; fails if any failed

# shellcheck source=scripts/lib/topology.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/lib/topology.sh"

pass=0
fail=0

check() {
	local what=$1
	shift
	if "$@" >"$TOPO_DIR/last.out" 2>&1; then
		echo "ok - $what"
		pass=$((pass + 1))
	else
		echo "not ok - $what"
		sed 's/^/#   /' "$TOPO_DIR/last.out" | tail -15
		fail=$((fail + 1))
	fi
}

itest_skip() {
	echo "SKIPPED: $TEST: $1"
	exit 77
}

itest_require() {
	local t
	[ "$(id -u)" -eq 0 ] || itest_skip "needs root (network namespaces)"
	for t in ip wg "$@"; do
		command -v "$t" >/dev/null || itest_skip "$t is not installed"
	done
	ip netns add "${P}probe" 2>/dev/null || itest_skip "cannot create network namespaces"
	ip netns del "${P}probe"
}

itest_on_exit() {
	if [ "$fail" -ne 0 ] && [ -f "$TOPO_DIR/wgedge.log" ]; then
		echo "# wgedge log:"
		sed 's/^/#   /' "$TOPO_DIR/wgedge.log" | tail -20
	fi
	topo_down
}

itest_gateway_up() {
	# A runner's timeout (SIGTERM) or Ctrl-C still cleans up.
	trap itest_on_exit EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	topo_up || exit 1
	topo_keys
	topo_gateway_config "$GW_KEY" "${2:-180}"
	[ -z "${3:-}" ] || printf '%s\n' "$3" >>"$TOPO_DIR/wgedge.conf"
	topo_gateway_start "$1" || exit 1
}

itest_finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
