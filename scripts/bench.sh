#!/usr/bin/env bash
# Installs what is missing, builds wgedge-bench (release build in
# build-bench: see scripts/lib/build.sh), runs it with its defaults and
# writes into bench/out/:
#   results.json   every figure, machine and configuration (one JSON object)
#   table.txt      the table printed to the terminal
#   gbps.png mpps.png cycles.png   bench/plot.sh's crypto plots
#   dp_mpps.png dp_gbps.png        the dataplane against its ceilings
# The default run (crypto ceilings, the dataplane with 1, 1000 and 100,000
# peers and 1 and 2 workers, floods, handshakes, latency, 100,000 and
# 1,000,000 peers through wg setconf) takes about 6 minutes on a 2-CPU
# machine and up to ~3.5 GB of ordinary memory (no hugepages); it needs
# root for the EAL and the wg(8) socket in /var/run/wireguard. Extra
# arguments go to wgedge-bench (see `build-bench/bench/wgedge-bench --help`):
#   scripts/bench.sh --quick
#   scripts/bench.sh --sizes 64,1420,imix --rounds 9
#   scripts/bench.sh --parts dataplane --dp-peers 1,1000000 --workers 1
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/deps.sh
. scripts/deps.sh
wgedge_install_deps
# shellcheck source=scripts/lib/build.sh
. scripts/lib/build.sh
# The benchmark alone: nothing else needs building for it.
wgedge_build bench bench/wgedge-bench
dir=$WGEDGE_BUILD_DIR

out=bench/out
mkdir -p "$out"
"$dir/bench/wgedge-bench" --json "$out/results.json" "$@" | tee "$out/table.txt"
bash bench/plot.sh "$out/results.json" "$out"
