#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench-smoke: runs wgedge-bench --quick and checks what it reports.

Checks that the JSON parses, that every expected case (each direction, arch
this CPU runs, size and peer count) is there exactly once with positive,
finite figures, min <= median <= max, ratios taken against the best arch's
seal, a preempted share in [0, 1), and no verify failure; that the options choose the cases they name; and
that bad options are refused with exit status 2. No speed thresholds: the
machine is shared.

usage: check_results.py PATH/TO/wgedge-bench
"""
import json
import math
import os
import subprocess
import sys
import tempfile

DEFAULT_SIZES = [64, 128, 256, 512, 1024, 1420, "imix"]
DEFAULT_PEERS = [1, 1000]
ORDER = ["avx512", "avx2", "sse", "sodium"]
FIGURES = ["mpps", "gbps", "cycles_per_packet", "ratio_to_best",
           "ratio_to_best_same_direction"]

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def run_bench(exe, args):
    """Runs the benchmark with --json to a temp file; returns the object."""
    fd, path = tempfile.mkstemp(prefix="wgedge-bench-", suffix=".json")
    os.close(fd)
    try:
        proc = subprocess.run([exe] + args + ["--json", path],
                              capture_output=True, text=True, timeout=100)
        if proc.returncode != 0:
            fail("%s exited %d: %s" % (" ".join(args), proc.returncode,
                                       proc.stderr.strip()[-400:]))
            return None, proc.stdout
        with open(path) as f:
            return json.load(f), proc.stdout
    finally:
        os.unlink(path)


def expected_archs(machine):
    flags = machine["flags"]
    want = {"sodium"}
    if flags.get("avx512f"):
        want.add("avx512")
    if flags.get("avx2"):
        want.add("avx2")
    if flags.get("sse4_2") and flags.get("aes"):
        want.add("sse")
    return want


def check_figures(r, rounds):
    name = r["case"]
    for f in FIGURES:
        lo, mid, hi = r.get(f + "_min"), r.get(f), r.get(f + "_max")
        if not all(isinstance(x, (int, float)) and math.isfinite(x) and x > 0
                   for x in (lo, mid, hi)):
            fail("%s: %s not positive and finite: %r %r %r" % (name, f, lo, mid, hi))
        elif not lo <= mid <= hi:
            fail("%s: %s median %g outside [%g, %g]" % (name, f, mid, lo, hi))
    share = [r.get("preempted_share" + x) for x in ("_min", "", "_max")]
    if not all(isinstance(x, (int, float)) and 0 <= x < 1 for x in share):
        fail("%s: preempted share not in [0, 1): %r" % (name, share))
    if r.get("preempted_bursts", -1) > r.get("bursts", 0):
        fail("%s: more bursts left out than run" % name)
    if r.get("rounds") != rounds:
        fail("%s: %r rounds, want %d" % (name, r.get("rounds"), rounds))
    if r.get("verify_failures") != 0:
        fail("%s: output did not match the reference" % name)
    if not r.get("packets", 0) >= 32 * rounds:
        fail("%s: only %r packets" % (name, r.get("packets")))


def check_ratios(r, best, few):
    ref = "crypto/seal/%s/%s/p%d" % (best, r["size"], few)
    if r.get("ratio_reference") != ref:
        fail("%s: ratio against %r, want %r" % (r["case"], r.get("ratio_reference"), ref))
    if r["case"] == ref and r.get("ratio_to_best") != 1:
        fail("%s: the reference's ratio to itself is %r" % (ref, r.get("ratio_to_best")))
    if r["arch"] == best and r.get("ratio_to_best_same_direction") != 1:
        fail("%s: the best arch's ratio to itself is %r"
             % (r["case"], r.get("ratio_to_best_same_direction")))
    mpps, gbps, size = r.get("mpps"), r.get("gbps"), r["mean_inner_bytes"]
    if isinstance(mpps, (int, float)) and isinstance(gbps, (int, float)) and mpps > 0:
        per_packet = gbps / mpps * 1000 / 8
        if abs(per_packet - size) > 0.01 * size:
            fail("%s: Gbit/s and Mpps disagree on the packet size (%g B, want %g B)"
                 % (r["case"], per_packet, size))


def check_report(doc, sizes, peers, archs, rounds, drop_above):
    """The whole object; archs None means: what this machine runs."""
    m = doc.get("machine", {})
    if not m.get("tsc_hz", 0) > 0 or not m.get("cpu_model"):
        fail("machine info incomplete: %r" % m)
    for k in ("date", "command_line", "config", "results"):
        if k not in doc:
            fail("no %r in the JSON" % k)
            return 0
    cfg = doc["config"]
    if cfg.get("drop_above") != drop_above:
        fail("drop_above %r, want %r" % (cfg.get("drop_above"), drop_above))
    if drop_above == 0 and any(r.get("preempted_bursts") for r in doc["results"]):
        fail("bursts left out with --drop-above 0")
    if archs is None:
        archs = set(cfg["archs"])
        missing = expected_archs(m) - archs
        if missing:
            fail("archs this CPU runs are missing: %s" % sorted(missing))
    best = next(a for a in ORDER if a in archs)
    if cfg.get("best_arch") != best:
        fail("best arch %r, want %r" % (cfg.get("best_arch"), best))
    want = {("crypto", d, a, s, p) for d in ("seal", "open") for a in archs
            for s in sizes for p in peers}
    seen = {}
    for r in doc["results"]:
        key = (r["family"], r["direction"], r["arch"], r["size"], r["peers"])
        seen[key] = seen.get(key, 0) + 1
        check_figures(r, rounds)
        check_ratios(r, best, min(peers))
    for k in sorted(want - set(seen), key=str):
        fail("case missing: %s" % (k,))
    for k in sorted(set(seen) - want, key=str):
        fail("case not asked for: %s" % (k,))
    for k, n in seen.items():
        if n != 1:
            fail("case %s reported %d times" % (k, n))
    return len(doc["results"])


def check_refusals(exe):
    bad = [["--sizes", "0"], ["--sizes", "1421"], ["--sizes", "64,,"],
           ["--peers", "0"], ["--archs", "avx1024"], ["--archs", "auto"],
           ["--rounds", "0"], ["--duration-ms", "x"], ["--drop-above", "1"],
           ["--cpu", "-1"], ["--bogus"], ["extra"]]
    for args in bad:
        proc = subprocess.run([exe] + args, capture_output=True, text=True, timeout=30)
        if proc.returncode != 2:
            fail("%s: exit %d, want 2" % (" ".join(args), proc.returncode))
    return len(bad)


def main():
    exe = sys.argv[1]
    checks = check_refusals(exe)
    doc, table = run_bench(exe, ["--quick"])
    if doc is not None:
        n = check_report(doc, DEFAULT_SIZES, DEFAULT_PEERS, None, 2, 4)
        print("default --quick: %d cases" % n)
        checks += n
        if "Ratios" not in table or "Absolute" not in table:
            fail("the table lacks its sections")
    doc, _ = run_bench(exe, ["--quick", "--sizes", "100,imix", "--peers", "7,3",
                             "--archs", "sodium", "--rounds", "3", "--drop-above", "0"])
    if doc is not None:
        checks += check_report(doc, [100, "imix"], [7, 3], {"sodium"}, 3, 0)
    print("bench-smoke: %d passed, %d failed" % (checks - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
