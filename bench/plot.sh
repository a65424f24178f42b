#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Turns wgedge-bench's JSON into PNGs with gnuplot (bench/plot.gp and
# bench/plot_dp.gp):
#   gbps.png    crypto: Gbit/s of inner payload against inner packet size, per arch
#   mpps.png    crypto: Mpps against inner packet size (log scale), per arch
#   cycles.png  crypto: TSC cycles per packet against size: the intercept is
#               the per-packet cost, the slope the per-byte cost
# Each has a seal panel and an open panel; solid lines are 1 peer, dashed
# lines the largest peer count, bars the min-max over rounds, the IMIX a
# marker at its mean size. Grey curves are the 10GbE and 40GbE line rates
# for that inner size (computed, not measured).
#   dp_mpps.png, dp_gbps.png  the dataplane against size: encrypt, decrypt
#               and both panels, per worker count (colour) and peer count
#               (solid: fewest, dashed: most), with the raw crypto ceiling of
#               the same direction and the plain I/O ceiling drawn in.
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

# Dataplane series: dp_<dir>_w<w>_p<peers>.dat, io_w<w>.dat, and the crypto
# ceiling of each direction (both: seal and open at their mean cost).
dp = [r for r in doc["results"] if r["family"] == "dataplane"]
dpser = {}
for r in dp:
    if r["direction"] in ("encrypt", "decrypt", "both", "io") and r["size"] != "imix":
        dpser.setdefault((r["direction"], r["workers"], r["peers"]), []).append(r)
for (d, w, p), rs in dpser.items():
    rs.sort(key=lambda r: r["mean_inner_bytes"])
    name = "io_w%d.dat" % w if d == "io" else "dp_%s_w%d_p%d.dat" % (d, w, p)
    with open(os.path.join(out, name), "w") as f:
        f.write("# size gbps min max mpps min max cycles min max\n")
        f.writelines(row(r) for r in rs)
best, few = cfg["best_arch"], min(peers)
ceil = {}
for r in doc["results"]:
    if (r["family"] == "crypto" and r["arch"] == best and r["peers"] == few
            and r["size"] != "imix"):
        ceil.setdefault(r["size"], {})[r["direction"]] = r
with open(os.path.join(out, "ceil.dat"), "w") as f:
    f.write("# size seal_mpps open_mpps both_mpps seal_gbps open_gbps both_gbps\n")
    for s in sorted(ceil):
        c = ceil[s]
        if "seal" in c and "open" in c:
            a, b = c["seal"]["mpps"], c["open"]["mpps"]
            both = 2 / (1 / a + 1 / b)
            f.write("%d %g %g %g %g %g %g\n" % (s, a, b, both, a * s * 8e-3,
                                                b * s * 8e-3, both * s * 8e-3))
dpw = sorted({r["workers"] for r in dp if r["direction"] != "io"})
dpp = sorted({r["peers"] for r in dp if r["direction"] in ("encrypt", "decrypt", "both")})
if dpw and dpp:
    io = [r for r in dp if r["direction"] == "io"]
    dpd = [r for r in dp if r["direction"] in ("encrypt", "decrypt", "both")]
    with open(os.path.join(out, "dpvars.gp"), "w") as f:
        f.write('dp_workers = "%s"\n' % " ".join(str(w) for w in dpw))
        f.write("dp_lo = %d\ndp_hi = %d\n" % (dpp[0], dpp[-1]))
        f.write("has_ceil = %d\n" % (len(ceil) > 0))
        f.write("dp_ymax_gbps = %g\n" % (max([r["gbps_max"] for r in dpd] +
            [c[d]["gbps"] for c in ceil.values() for d in c]) * 1.45))
        f.write("io_gbps = %g\n" % (max(r["gbps"] for r in io) if io else 0))
        f.write("dp_ymin_mpps = %g\ndp_ymax_mpps = %g\n" % (
            min(r["mpps_min"] for r in dpd) * 0.6,
            max([r["mpps_max"] for r in dp] + [1]) * 1.5))
        f.write('dp_subtitle = "%s, TSC %.2f GHz, %d rounds x %d ms, %s"\n'
                % (doc["machine"]["cpu_model"], doc["machine"]["tsc_hz"] / 1e9,
                   cfg["rounds"], cfg["duration_ms"], doc["date"][:10]))

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
with open(os.path.join(out, "xrange.gp"), "w") as f:
    f.write("xmin = %g\nxmax = %g\n" % (min(sizes + [64]) * 0.85, max(sizes + [mtu]) * 1.15))
if not crypto:
    sys.exit(0)
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

wrote=""
if [ -f "$data/vars.gp" ] && ls "$data"/fixed_*.dat >/dev/null 2>&1; then
	gnuplot -e "datadir='$data'; outdir='$outdir'" "$here/plot.gp"
	wrote="$outdir/gbps.png $outdir/mpps.png $outdir/cycles.png"
fi
if [ -f "$data/dpvars.gp" ]; then
	gnuplot -e "datadir='$data'; outdir='$outdir'" "$here/plot_dp.gp"
	wrote="$wrote $outdir/dp_mpps.png $outdir/dp_gbps.png"
fi
echo "plot: wrote${wrote:- nothing (no crypto or dataplane results)}"
