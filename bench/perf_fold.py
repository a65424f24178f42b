#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Folds `perf script -F ip,sym,dso` output (recorded with --call-graph)
and prints, for the samples whose call chain passes through ROOT, each
function's self and inclusive share. Used to read a dataplane case's
profile without the generator that runs in the same thread, e.g.

  perf record -e cpu-clock -F 4000 --call-graph dwarf,16384 -- \\
      build-bench/bench/wgedge-bench --parts dataplane --dp-cases decrypt \\
      --sizes 64 --dp-peers 1 --workers 1 --rounds 2 --duration-ms 1500
  perf script -F ip,sym,dso | bench/perf_fold.py wg_dp_worker_poll

Samples whose chain could not be unwound (code without unwind information,
such as libsodium's X25519 assembly) lose their chain and are not counted:
check the shares against call counts (perf probe) where that matters.

usage: perf_fold.py ROOT [TOP]
"""
import collections
import re
import sys

FRAME = re.compile(r"\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)$")


def frames(lines):
    """Yields each sample's stack, leaf first, as a list of symbols."""
    stack = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if stack:
                yield stack
            stack = []
            continue
        m = FRAME.match(line)
        if m:
            sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(1))
            if sym.startswith("[unknown]"):
                sym = "[unknown %s]" % m.group(2).split("/")[-1]
            stack.append(sym)
    if stack:
        yield stack


def main():
    root = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    own, incl = collections.Counter(), collections.Counter()
    total = 0
    for stack in frames(sys.stdin):
        if root not in stack:
            continue
        cut = stack[:stack.index(root) + 1]
        total += 1
        own[cut[0]] += 1
        for sym in set(cut):
            incl[sym] += 1
    print("samples inside %s: %d" % (root, total))
    if total == 0:
        return 1
    print("%-45s %7s %7s" % ("function", "self", "incl"))
    for sym, n in incl.most_common(top):
        print("%-45s %6.1f%% %6.1f%%" % (sym[:45], 100.0 * own[sym] / total,
                                         100.0 * n / total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
