#!/usr/bin/env bash
# Installs what is missing, builds wgedge-bench (plain release build in
# build-bench), runs it with its defaults and writes into bench/out/:
#   results.json   every figure, machine and configuration (one JSON object)
#   table.txt      the table printed to the terminal
#   gbps.png mpps.png cycles.png   bench/plot.sh's plots of results.json
# The default run takes about two minutes. Extra arguments go to
# wgedge-bench (see `build-bench/bench/wgedge-bench --help`), e.g.
#   scripts/bench.sh --quick
#   scripts/bench.sh --sizes 64,1420,imix --rounds 9
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/deps.sh
. scripts/deps.sh
wgedge_install_deps

dir=build-bench
opts=(-Dbuildtype=release -Dsanitize=false)
if [ -d "$dir" ]; then
	meson setup --reconfigure "$dir" "${opts[@]}" >/dev/null
else
	meson setup "$dir" "${opts[@]}" >/dev/null
fi
# The benchmark alone: nothing else needs building for it.
ninja -C "$dir" bench/wgedge-bench >/dev/null

out=bench/out
mkdir -p "$out"
"$dir/bench/wgedge-bench" --json "$out/results.json" "$@" | tee "$out/table.txt"
bash bench/plot.sh "$out/results.json" "$out"
