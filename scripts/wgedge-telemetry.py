#!/usr/bin/env python3
"""Reads wgedge's DPDK telemetry (the /wgedge/ commands and DPDK's own).

    scripts/wgedge-telemetry.py [--prefix FILE_PREFIX] [COMMAND ...]

COMMAND defaults to /wgedge/stats and /wgedge/drops. The socket is
/var/run/dpdk/<prefix>/dpdk_telemetry.v2 (prefix: EAL's --file-prefix,
"rte" by default). Debian's dpdk package ships no dpdk-telemetry.py; this is
the same protocol: a SOCK_SEQPACKET socket answering one JSON object per
command.
"""
import argparse
import json
import socket
import sys


def query(path, commands):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    info = json.loads(s.recv(16384).decode())
    size = info.get("max_output_len", 16384)
    out = {}
    for cmd in commands:
        s.send(cmd.encode())
        out.update(json.loads(s.recv(size).decode()))
    s.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prefix", default="rte", help="EAL --file-prefix")
    ap.add_argument("commands", nargs="*",
                    default=["/wgedge/stats", "/wgedge/drops"])
    a = ap.parse_args()
    path = f"/var/run/dpdk/{a.prefix}/dpdk_telemetry.v2"
    try:
        print(json.dumps(query(path, a.commands), indent=2))
    except OSError as e:
        print(f"wgedge-telemetry: {path}: {e.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
