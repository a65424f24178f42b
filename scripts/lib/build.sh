# shellcheck shell=bash
# The build directories, one per kind of build, named build-<kind> at the
# top of the tree, shared by scripts/demo.sh, test.sh and bench.sh (and the
# README):
#   build-plain     the default options (debugoptimized): demo, tests
#   build-sanitize  ASan + UBSan, errors fatal: tests
#   build-bench     release: the benchmark
#
#   wgedge_build KIND [NINJA TARGET...]    sets WGEDGE_BUILD_DIR
# Configures the directory (or reconfigures it, so that its options are
# the kind's even if someone changed them) and builds the targets (all
# without any). Run from the top of the tree.

wgedge_build() {
	local kind=$1 opts
	shift
	case $kind in
	plain) opts="-Dsanitize=false -Dbuildtype=debugoptimized" ;;
	sanitize) opts="-Dsanitize=true -Dbuildtype=debugoptimized" ;;
	bench) opts="-Dsanitize=false -Dbuildtype=release" ;;
	*) echo "wgedge_build: no build kind '$kind'" >&2; return 1 ;;
	esac
	WGEDGE_BUILD_DIR=build-$kind
	if [ -d "$WGEDGE_BUILD_DIR" ]; then
		# shellcheck disable=SC2086
		meson setup --reconfigure "$WGEDGE_BUILD_DIR" $opts >/dev/null
	else
		# shellcheck disable=SC2086
		meson setup "$WGEDGE_BUILD_DIR" $opts >/dev/null
	fi
	# Quiet unless it fails.
	if ! ninja -C "$WGEDGE_BUILD_DIR" "$@" >"$WGEDGE_BUILD_DIR/meson-logs/ninja.txt" 2>&1; then
		cat "$WGEDGE_BUILD_DIR/meson-logs/ninja.txt" >&2
		return 1
	fi
}
