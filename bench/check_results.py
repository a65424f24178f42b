#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench-smoke: runs wgedge-bench --quick and checks what it reports.

Checks that the JSON parses; that every expected case is there exactly
once: crypto (each direction, arch this CPU runs, size and peer count) and
dataplane (plain I/O, encrypt, decrypt and both for each worker count the
CPUs allow, size and peer count; the flood cases; the handshake case), with
positive, finite figures, min <= median <= max, ratios taken against the
right references (the best arch's seal; for the dataplane also the raw
crypto of its direction, plain I/O with the same workers and, for floods,
the unflooded decrypt), a preempted share in [0, 1), and no verify
failure; that the studies (latency; peer scale through wg setconf, every
count asked for once, in order, loaded in full; gateway memory) are
complete and consistent; that the options choose the cases they name; and
that bad options are refused with exit status 2. No speed thresholds: the
machine is shared.

usage: check_results.py PATH/TO/wgedge-bench
"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

DEFAULT_SIZES = [64, 128, 256, 512, 1024, 1420, "imix"]
DEFAULT_PEERS = [1, 1000]
QUICK_DP_PEERS = [1, 1000, 10000]
QUICK_SCALE_PEERS = [1000, 3000]
DATA_DIRS = ["encrypt", "decrypt", "both"]
FLOODS = ["flood-junk", "flood-mac1"]
ORDER = ["avx512", "avx2", "sse", "sodium"]
FIGURES = ["mpps", "gbps", "cycles_per_packet", "ratio_to_best"]
HS_PEERS = 1024
HS_SIZE = 148
MIN_INNER = 28

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
                              capture_output=True, text=True, timeout=150)
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


def number(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_stat(name, r, f):
    lo, mid, hi = r.get(f + "_min"), r.get(f), r.get(f + "_max")
    if not all(number(x) and x > 0 for x in (lo, mid, hi)):
        fail("%s: %s not positive and finite: %r %r %r" % (name, f, lo, mid, hi))
    elif not lo <= mid <= hi:
        fail("%s: %s median %g outside [%g, %g]" % (name, f, mid, lo, hi))


def check_figures(r, rounds, with_crypto):
    name = r["case"]
    figures = FIGURES[:3]
    if with_crypto and r["direction"] != "handshake":
        figures = FIGURES
    if r["family"] == "crypto":
        figures = FIGURES + ["ratio_to_best_same_direction"]
    for f in figures:
        check_stat(name, r, f)
    share = [r.get("preempted_share" + x) for x in ("_min", "", "_max")]
    if not all(number(x) and 0 <= x < 1 for x in share):
        fail("%s: preempted share not in [0, 1): %r" % (name, share))
    if r.get("preempted_bursts", -1) > r.get("bursts", 0):
        fail("%s: more bursts left out than run" % name)
    if r.get("rounds") != rounds:
        fail("%s: %r rounds, want %d" % (name, r.get("rounds"), rounds))
    if r.get("verify_failures") != 0:
        fail("%s: output did not match the reference" % name)
    if not r.get("packets", 0) >= 32 * rounds:
        fail("%s: only %r packets" % (name, r.get("packets")))


def check_size(r):
    mpps, gbps, size = r.get("mpps"), r.get("gbps"), r["mean_inner_bytes"]
    if number(mpps) and number(gbps) and mpps > 0:
        per_packet = gbps / mpps * 1000 / 8
        if abs(per_packet - size) > 0.01 * size:
            fail("%s: Gbit/s and Mpps disagree on the packet size (%g B, want %g B)"
                 % (r["case"], per_packet, size))


def check_ratios(r, best, few):
    ref = "crypto/seal/%s/%s/p%d" % (best, r["size"], few)
    if r.get("ratio_reference") != ref:
        fail("%s: ratio against %r, want %r" % (r["case"], r.get("ratio_reference"), ref))
    if r["case"] == ref and r.get("ratio_to_best") != 1:
        fail("%s: the reference's ratio to itself is %r" % (ref, r.get("ratio_to_best")))
    if (r["family"] == "crypto" and r["arch"] == best
            and r.get("ratio_to_best_same_direction") != 1):
        fail("%s: the best arch's ratio to itself is %r"
             % (r["case"], r.get("ratio_to_best_same_direction")))
    check_size(r)


def dp_name(d, size, peers, w):
    return "dataplane/%s/%s/p%d/w%d" % (d, size, peers, w)


def check_dp_refs(r, best, few, with_crypto):
    """The dataplane's own ratios: crypto, io and unflooded references."""
    d, size, w = r["direction"], r["size"], r["workers"]
    if d in ("io", "handshake"):
        return
    seal = "crypto/seal/%s/%s/p%d" % (best, size, few)
    opn = "crypto/open/%s/%s/p%d" % (best, size, few)
    want = {"encrypt": seal, "both": [seal, opn]}.get(d, opn)
    if with_crypto:
        if r.get("crypto_reference") != want:
            fail("%s: crypto ratio against %r, want %r"
                 % (r["case"], r.get("crypto_reference"), want))
        check_stat(r["case"], r, "ratio_to_crypto")
    io = r.get("io_reference") or ""
    if not io.startswith("dataplane/io/%s/" % size) or not io.endswith("/w%d" % w):
        fail("%s: io ratio against %r" % (r["case"], io))
    check_stat(r["case"], r, "ratio_to_io")
    if d in FLOODS:
        want = dp_name("decrypt", size, r["peers"], 1)
        if r.get("unflooded_reference") != want:
            fail("%s: unflooded against %r, want %r"
                 % (r["case"], r.get("unflooded_reference"), want))
        check_stat(r["case"], r, "ratio_to_unflooded")
        if r.get("extra", {}).get("flood_per_burst", 0) <= 0:
            fail("%s: no flood rate" % r["case"])


def flood_span(dp_peers):
    return min(dp_peers, key=lambda p: (abs(p - 1000), dp_peers.index(p)))


def want_dataplane(cfg, sizes, lanes):
    """The dataplane cases the configuration asks for."""
    dp_peers, kinds = cfg["dp_peers"], cfg["dp_kinds"]
    workers = [w for w in cfg["workers"] if w <= lanes]
    fit = [s for s in sizes if s == "imix" or s >= MIN_INNER]
    want = set()
    if kinds & (2 | 4 | 8 | 16):
        kinds |= 1          # the I/O ceiling goes with every data path
    for w in workers:
        for s in fit:
            if kinds & 1:
                want.add(("dataplane", "io", s, dp_peers[0], w))
            for i, d in enumerate(DATA_DIRS):
                if kinds & (2 << i):
                    want |= {("dataplane", d, s, p, w) for p in dp_peers}
    fixed = [s for s in fit if s != "imix"]
    if 1 in workers and lanes >= 2:
        if kinds & 16 and cfg["flood_per_burst"] and fixed:
            for s in {min(fixed), max(fixed)}:
                for d in FLOODS + ["decrypt"]:  # decrypt: the unflooded reference
                    want.add(("dataplane", d, s, flood_span(dp_peers), 1))
        if kinds & 32:
            want.add(("dataplane", "handshake", HS_SIZE, HS_PEERS, 1))
    return want


def check_cases(doc, want, rounds, best, few, with_crypto):
    seen = {}
    for r in doc["results"]:
        key = (r["family"], r["direction"], r["size"], r["peers"], r.get("workers"))
        if r["family"] == "crypto":
            key = ("crypto", r["direction"], r["arch"], r["size"], r["peers"])
        seen[key] = seen.get(key, 0) + 1
        check_figures(r, rounds, with_crypto)
        if r["direction"] != "handshake" and with_crypto:
            check_ratios(r, best, few)
        if r["family"] == "dataplane":
            check_dp_refs(r, best, few, with_crypto)
    for k in sorted(want - set(seen), key=str):
        fail("case missing: %s" % (k,))
    for k in sorted(set(seen) - want, key=str):
        fail("case not asked for: %s" % (k,))
    for k, n in seen.items():
        if n != 1:
            fail("case %s reported %d times" % (k, n))


def check_report(doc, sizes, peers, archs, rounds, drop_above):
    """The whole object; archs None means: what this machine runs."""
    m = doc.get("machine", {})
    if not m.get("tsc_hz", 0) > 0 or not m.get("cpu_model"):
        fail("machine info incomplete: %r" % m)
    for k in ("date", "command_line", "config", "results", "studies"):
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
    want = set()
    if cfg["parts"] & 1:
        want = {("crypto", d, a, s, p) for d in ("seal", "open") for a in archs
                for s in sizes for p in peers}
    if cfg["parts"] & 2:
        want |= want_dataplane(cfg, sizes, len(cfg["lane_cpus"]))
    check_cases(doc, want, rounds, best, min(peers), cfg["parts"] & 1)
    check_studies(doc, sizes)
    return len(doc["results"])


def check_latency(lat, sizes):
    fixed = [s for s in sizes if s != "imix" and s >= MIN_INNER]
    want = set()
    for s in {min(fixed), max(fixed)} if fixed else ():
        want |= {(s, "polled", "encrypt+decrypt"), (s, "polled", "io"),
                 (s, "worker-loop", "encrypt+decrypt")}
    seen = set()
    for x in lat:
        key = (x["size"], x["mode"], x["path"])
        seen.add(key)
        v = [x.get(k) for k in ("median_ns", "p90_ns", "p99_ns", "max_ns")]
        if not x.get("packets", 0) > 0 or not all(number(y) and y > 0 for y in v):
            fail("latency %s: no figures: %r" % (key, x))
        elif not v[0] <= v[1] <= v[2] <= v[3]:
            fail("latency %s: percentiles out of order: %r" % (key, v))
        if x.get("lost", 1) > x.get("packets", 0) // 10:
            fail("latency %s: %r of %r lost" % (key, x.get("lost"), x.get("packets")))
    if seen != want:
        fail("latency rows %s, want %s" % (sorted(seen, key=str), sorted(want, key=str)))


def check_scale_one(sc):
    """One count: loaded in full, timed, with its memory figures."""
    peers = sc.get("peers")
    if not sc.get("ran"):
        fail("peer scale %r did not run: %r" % (peers, sc))
        return
    if sc.get("status") != 0 or sc.get("peers_loaded") != peers:
        fail("peer scale %r: status %r, %r loaded" % (peers, sc.get("status"),
                                                     sc.get("peers_loaded")))
    if sc.get("method") not in ("wg setconf", "wg_control_apply"):
        fail("peer scale %r: method %r" % (peers, sc.get("method")))
    if not (number(sc.get("load_s")) and sc["load_s"] > 0):
        fail("peer scale %r: load time %r" % (peers, sc.get("load_s")))
    if not sc.get("rss_before", 0) > 0 or sc.get("rss_loaded", 0) < sc.get("rss_before", 0):
        fail("peer scale %r: resident sets %r" % (peers, sc))
    # The per-peer figures of the table: the allocators' (EAL heap + malloc).
    # Creating the gateway always takes EAL heap (its tables); the load's own
    # share is mostly malloc, which ASan hides from mallinfo2, so only the
    # whole is checked.
    eal, libc = sc.get("eal_alloc", []), sc.get("malloc_alloc", [])
    created = sc.get("alloc_bytes_per_peer_created")
    loaded = sc.get("alloc_bytes_per_peer_loaded")
    if (len(eal) != 3 or len(libc) != 3 or not eal[1] > eal[0]
            or not (number(created) and created > 0)
            or not (number(loaded) and created + loaded > 0)):
        fail("peer scale %r: allocator figures %r %r per peer %r %r"
             % (peers, eal, libc, created, loaded))


def check_scale(scale, peers):
    """Every count asked for, once, ascending; peers is the config's list."""
    if not isinstance(scale, list):
        fail("peer_scale is not a list: %r" % (scale,))
        return
    got = [sc.get("peers") for sc in scale]
    if got != sorted(set(peers)) or peers != sorted(peers):
        fail("peer scale counts %r, asked for %r" % (got, peers))
    for sc in scale:
        check_scale_one(sc)


def check_studies(doc, sizes):
    cfg, st = doc["config"], doc["studies"]
    if cfg["parts"] & 4:
        check_latency(st.get("latency", []), sizes)
    elif st.get("latency"):
        fail("latency measured, not asked for")
    if cfg["parts"] & 8:
        check_scale(st.get("peer_scale"), cfg["scale_peers"])
    elif st.get("peer_scale"):
        fail("peer scale ran, not asked for")
    if cfg["parts"] & 2:
        lanes = len(cfg["lane_cpus"])
        gws = sorted(g["workers"] for g in st.get("gateways", []))
        if gws != sorted(w for w in cfg["workers"] if w <= lanes):
            fail("gateways %r for workers %r" % (gws, cfg["workers"]))
        for g in st.get("gateways", []):
            # Under ASan keypairs come from malloc, which mallinfo2 does not
            # see: the peers' figure may then be the RSS one alone.
            if (g.get("peers") != max(cfg["dp_peers"])
                    or not g.get("create_alloc_bytes", 0) > 0
                    or not g.get("peers_alloc_bytes", 0) + g.get("peers_rss_bytes", 0) > 0):
                fail("gateway memory: %r" % g)


def check_scale_rows(table, counts):
    """The table's peer-scale rows: one per count, in order."""
    rows = [int(m.group(1)) for m in
            re.finditer(r"^(?:wg setconf|wg_control_apply) +(\d+) ", table, re.M)]
    if rows != counts:
        fail("peer scale rows in the table for %r, want %r" % (rows, counts))


def check_refusals(exe):
    bad = [["--sizes", "0"], ["--sizes", "1421"], ["--sizes", "64,,"],
           ["--peers", "0"], ["--archs", "avx1024"], ["--archs", "auto"],
           ["--rounds", "0"], ["--duration-ms", "x"], ["--drop-above", "1"],
           ["--cpu", "-1"], ["--bogus"], ["extra"], ["--parts", "gpu"],
           ["--dp-cases", "tls"], ["--dp-peers", "0"], ["--workers", "0"],
           ["--workers", "5"], ["--flood", "32"], ["--scale-peers", "0"],
           ["--scale-peers", "1000,,2000"], ["--scale-peers", "1000,x"],
           ["--scale-peers", "1000,1000"], ["--scale-peers", "1046529"],
           ["--scale-peers", "1,2,3,4,5,6,7,8,9"],
           ["--eal-mem", "1"]]
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
        if doc["config"].get("dp_peers") != QUICK_DP_PEERS:
            fail("--quick spreads over %r peers" % doc["config"].get("dp_peers"))
        if doc["config"].get("scale_peers") != QUICK_SCALE_PEERS:
            fail("--quick loads %r peers" % doc["config"].get("scale_peers"))
        check_scale_rows(table, QUICK_SCALE_PEERS)
        n = check_report(doc, DEFAULT_SIZES, DEFAULT_PEERS, None, 2, 4)
        print("default --quick: %d cases" % n)
        checks += n
        for section in ("Ratios", "Absolute", "Dataplane", "Handshake", "Latency",
                        "Peer scale"):
            if section not in table:
                fail("the table lacks its %s section" % section)
    doc, _ = run_bench(exe, ["--quick", "--parts", "crypto", "--sizes", "100,imix",
                             "--peers", "7,3", "--archs", "sodium", "--rounds", "3",
                             "--drop-above", "0"])
    if doc is not None:
        checks += check_report(doc, [100, "imix"], [7, 3], {"sodium"}, 3, 0)
    doc, table = run_bench(exe, ["--quick", "--parts", "crypto,dataplane,scale",
                                 "--dp-cases", "encrypt,io,flood,handshake",
                                 "--sizes", "20,100", "--peers", "2", "--dp-peers", "5,3",
                                 "--workers", "1", "--flood", "4", "--archs", "sodium",
                                 "--scale-peers", "300,20"])
    if doc is not None:
        if doc["config"].get("scale_peers") != [20, 300]:
            fail("--scale-peers 300,20 gave %r" % doc["config"].get("scale_peers"))
        check_scale_rows(table, [20, 300])
        checks += check_report(doc, [20, 100], [2], {"sodium"}, 2, 4)
    print("bench-smoke: %d passed, %d failed" % (checks - len(failures), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
