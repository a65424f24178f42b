#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Turns wgedge-bench's JSON into PNGs with gnuplot (bench/plot.gp):
#   gbps.png    Gbit/s of inner payload against inner packet size, per arch
#   mpps.png    Mpps against inner packet size (log scale), per arch
#   cycles.png  TSC cycles per packet against size: the intercept is the
#               per-packet cost, the slope the per-byte cost
# Each has a seal panel and an open panel; solid lines are 1 peer, dashed
# lines the largest peer count, bars the min-max over rounds, the IMIX a
# marker at its mean size. Grey curves are the 10GbE and 40GbE line rates
# for that inner size (computed, not measured).
#
#   bench/plot.sh RESULTS.json [OUTDIR]     OUTDIR defaults to the JSON's directory
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 RESULTS.json [OUTDIR]" >&2
	exit 2
fi
json=$1
outdir=${2:-$(dirname "$json")}
here=$(cd "$(dirname "$0")" && pwd)
command -v gnuplot >/dev/null || { echo "plot: gnuplot is missing (scripts/deps.sh installs it)" >&2; exit 1; }
mkdir -p "$outdir"
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT

# The JSON into gnuplot data files, one per (direction, arch, peers), and
# vars.gp naming what is there.
python3 - "$json" "$data" <<'PY'
import json, os, sys

doc = json.load(open(sys.argv[1]))
out = sys.argv[2]
cfg = doc["config"]
order = [a for a in ("avx512", "avx2", "sse", "sodium") if a in cfg["archs"]]
peers = sorted(cfg["peers"])
cols = ["gbps", "mpps", "cycles_per_packet"]

def row(r):
    v = [r["mean_inner_bytes"]]
    for c in cols:
        v += [r[c], r[c + "_min"], r[c + "_max"]]
    return " ".join("%.6g" % x for x in v) + "\n"

series = {}
for r in doc["results"]:
    if r["family"] != "crypto":
        continue
    kind = "imix" if r["size"] == "imix" else "fixed"
    series.setdefault((kind, r["direction"], r["arch"], r["peers"]), []).append(r)
for (kind, d, a, p), rs in series.items():
    rs.sort(key=lambda r: r["mean_inner_bytes"])
    with open(os.path.join(out, "%s_%s_%s_p%d.dat" % (kind, d, a, p)), "w") as f:
        f.write("# size gbps min max mpps min max cycles min max\n")
        f.writelines(row(r) for r in rs)

# Line rate for an inner packet of s bytes: padded payload, tag, transport
# header, UDP, IPv4, Ethernet + FCS, preamble + inter-frame gap.
mtu = cfg["mtu"]
def wire(s):
    padded = min((s + 15) // 16 * 16, mtu)
    return padded + 16 + 16 + 8 + 20 + 14 + 4 + 20
# Sampled where padding is zero (multiples of 16) and at the MTU: the
# sawtooth the padding draws in between is not worth the ink.
with open(os.path.join(out, "linerate.dat"), "w") as f:
    f.write("# size gbps10 gbps40 mpps10 mpps40\n")
    for s in list(range(16, mtu + 1, 16)) + [mtu]:
        w = wire(s)
        f.write("%d %.4f %.4f %.4f %.4f\n" % (s, 10 * s / w, 40 * s / w,
                                           10e3 / (8 * w), 40e3 / (8 * w)))

# One y range per figure for both panels, so seal and open compare by eye.
crypto = [r for r in doc["results"] if r["family"] == "crypto"]
top = lambda c: max(r[c + "_max"] for r in crypto)
low = lambda c: min(r[c + "_min"] for r in crypto)
line10_mpps = 10e3 / (8 * wire(64))
sizes = [s for s in cfg["sizes"] if s != "imix"]
m = doc["machine"]
with open(os.path.join(out, "vars.gp"), "w") as f:
    f.write('archs = "%s"\n' % " ".join(order))
    f.write("p_lo = %d\np_hi = %d\n" % (peers[0], peers[-1]))
    f.write("has_imix = %d\n" % ("imix" in cfg["sizes"]))
    f.write("ymax_gbps = %g\nymax_cycles = %g\n" % (top("gbps") * 1.08, top("cycles_per_packet") * 1.08))
    f.write("ymin_mpps = %g\nymax_mpps = %g\n" % (low("mpps") * 0.7, max(top("mpps"), 4 * line10_mpps) * 1.3))
    f.write("xmin = %g\nxmax = %g\n" % (min(sizes + [64]) * 0.85, max(sizes + [mtu]) * 1.15))
    f.write('subtitle = "%s, TSC %.2f GHz, CPU %d pinned, %d rounds x %d ms, %s"\n'
            % (m["cpu_model"], m["tsc_hz"] / 1e9, m["pinned_cpu"], cfg["rounds"],
               cfg["duration_ms"], doc["date"][:10]))
PY

gnuplot -e "datadir='$data'; outdir='$outdir'" "$here/plot.gp"
echo "plot: wrote $outdir/gbps.png $outdir/mpps.png $outdir/cycles.png"
