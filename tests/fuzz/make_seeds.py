#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/<fuzzer>/): small,
valid inputs of each kind that the harness accepts, so that the fuzzers
start from the interesting paths. Run from anywhere; rewrites the seeds."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ihl=5):
    opts = b"\x01" * ((ihl - 5) * 4)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(opts) + len(payload),
                    0x1234, 0x4000, 64, proto, 0, bytes(src), bytes(dst)) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(src, dst, nh, payload):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nh, 64,
                       bytes(src), bytes(dst)) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def eth(dst, src, etype, payload):
    return bytes(dst) + bytes(src) + struct.pack("!H", etype) + payload


def lan4(host, h):
    return [192, 168, host, h]


def lan6(host, h):
    return [0xfd, 0x02, 0, 0, 0, 0, 0, host] + [0] * 7 + [h]


# tests/dataplane/harness.c: gateway host n has MACs 02:00:00:00:n:01
# (outer) and :02 (clear), outer 10.0.0.n / fd00::n, LANs 192.168.n.0/24
# and fd02::n:0/64 (as lan6 above).
def mac(host, what):
    return [2, 0, 0, 0, host, what]


A, B = 1, 2
BCAST = [0xFF] * 6


def arp_request(sender_mac, sender_ip, target_ip):
    body = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, bytes(sender_mac),
                       bytes(sender_ip), b"\0" * 6, bytes(target_ip))
    return eth(BCAST, sender_mac, 0x0806, body)


def ns(sender_mac, src, target):
    icmp = struct.pack("!BBHI16s", 135, 0, 0, 0, bytes(target))
    icmp += bytes([1, 1]) + bytes(sender_mac)
    pseudo = bytes(src) + bytes(target) + struct.pack("!IxxxB", len(icmp), 58)
    c = csum(pseudo + icmp)
    icmp = icmp[:2] + struct.pack("!H", c) + icmp[4:]
    dst_mac = [0x33, 0x33, 0xFF] + list(target[13:])
    return eth(dst_mac, sender_mac, 0x86DD, ipv6(src, target, 58, icmp))


def wg(msg_type, length):
    return struct.pack("<I", msg_type) + bytes((i * 37) & 0xFF for i in range(length - 4))


def outer_seeds():
    inner4 = ipv4(lan4(B, 9), lan4(A, 7), 17, udp(1000, 2000, b"x" * 40))
    inner6 = ipv6(lan6(B, 9), lan6(A, 7), 17, udp(1000, 2000, b"y" * 40))
    seeds = {
        "sealed_ipv4": b"\x03" + inner4,
        "sealed_ipv6": b"\x03" + inner6,
        "sealed_keepalive": b"\x03",
        "sealed_ipv4_options": b"\x03" + ipv4(lan4(B, 9), lan4(A, 7), 17, b"z" * 16, ihl=7),
        "udp4_initiation": b"\x01" + wg(1, 148),
        "udp4_response": b"\x01" + wg(2, 92),
        "udp4_cookie": b"\x01" + wg(3, 64),
        "udp4_transport": b"\x01" + wg(4, 48),
        "udp6_initiation": b"\x02" + wg(1, 148),
        "udp6_transport": b"\x02" + wg(4, 32),
        "frame_arp": b"\x00" + arp_request(mac(B, 1), [10, 0, 0, B], [10, 0, 0, A]),
    }
    return seeds


def clear_seeds():
    return {
        "ipv4_udp": b"\x01" + ipv4(lan4(A, 7), lan4(B, 9), 17, udp(1, 2, b"a" * 64)),
        "ipv4_df_big": b"\x01" + ipv4(lan4(A, 7), lan4(B, 9), 17, udp(1, 2, b"b" * 1450)),
        "ipv4_options": b"\x01" + ipv4(lan4(A, 7), lan4(B, 9), 6, b"c" * 20, ihl=6),
        "ipv6_udp": b"\x02" + ipv6(lan6(A, 7), lan6(B, 9), 17, udp(1, 2, b"d" * 64)),
        "frame_arp": b"\x00" + arp_request(mac(0x99, 0x99), lan4(A, 254), lan4(A, 1)),
    }


def neigh_seeds():
    return {
        "arp_request": arp_request([2, 0, 0, 0, 0, 9], [192, 0, 2, 254], [192, 0, 2, 1]),
        "arp_reply": eth([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 9], 0x0806,
                         struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2,
                                     bytes([2, 0, 0, 0, 0, 9]), bytes([192, 0, 2, 254]),
                                     bytes([2, 0, 0, 0, 0, 1]), bytes([192, 0, 2, 1]))),
        "ns": ns([2, 0, 0, 0, 0, 9], [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [0xfe],
                 [0x20, 0x01, 0x0d, 0xb8] + [0] * 11 + [1]),
    }


def uapi_seeds():
    key = "a" * 64
    return {
        "peer": ("private_key=%s\nlisten_port=51820\nreplace_peers=true\n"
                 "public_key=%s\nendpoint=192.0.2.1:51820\n"
                 "persistent_keepalive_interval=25\nreplace_allowed_ips=true\n"
                 "allowed_ip=10.0.0.2/32\nallowed_ip=fd00::2/128\n\n" % (key, "b" * 64)).encode(),
        "remove": ("public_key=%s\nremove=true\n\n" % key).encode(),
        "psk_v6": ("public_key=%s\npreshared_key=%s\nendpoint=[2001:db8::1]:1\n"
                   "update_only=true\n\n" % (key, "c" * 64)).encode(),
    }


def config_seeds():
    with open(os.path.join(ROOT, "configs", "wgedge.conf"), "rb") as f:
        return {"example": f.read()}


def main():
    out = os.path.join(HERE, "corpus")
    for name, seeds in (("fuzz_outer", outer_seeds()), ("fuzz_clear", clear_seeds()),
                        ("fuzz_neigh", neigh_seeds()), ("fuzz_uapi", uapi_seeds()),
                        ("fuzz_config", config_seeds())):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        for seed, data in seeds.items():
            with open(os.path.join(d, seed), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
