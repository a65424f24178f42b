#!/usr/bin/env bash
# wgedge rekeys as initiator after REKEY_AFTER_TIME (120 s) without losing
# the tunnel: the server behind wgedge pings a wireguard-go client (which
# knows no endpoint for wgedge, so every handshake is wgedge's) for 135 s.
# Slow by nature: registered only in the plain build.
#
#   tests/interop/test_rekey.sh WGEDGE_BINARY
set -uo pipefail

bin=$(realpath "$1")
top=$(cd "$(dirname "$0")/../.." && pwd)
P=wgr$(($$ % 10000))
# shellcheck source=scripts/lib/topology.sh
. "$top/scripts/lib/topology.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v wireguard-go >/dev/null; then
	echo "SKIPPED: interop-rekey: needs root and wireguard-go"
	exit 77
fi
trap topo_down EXIT
topo_down
topo_up
gw_key=$(wg genkey); gw_pub=$(printf '%s' "$gw_key" | wg pubkey)
cl_key=$(wg genkey); cl_pub=$(printf '%s' "$cl_key" | wg pubkey)
topo_gateway_config "$gw_key"
topo_gateway_start "$bin" || exit 1

# The client: no endpoint for wgedge, a fixed port wgedge knows.
setsid ip netns exec "${P}c" wireguard-go -f "$CLIENT_IF" >"$TOPO_DIR/wireguard-go.log" 2>&1 </dev/null &
echo $! >"$TOPO_DIR/wireguard-go.pid"
for _ in $(seq 1 50); do [ -S "/var/run/wireguard/$CLIENT_IF.sock" ] && break; sleep 0.1; done
(umask 077; printf '%s\n' "$cl_key" >"$TOPO_DIR/client.key")
topo_ns c wg set "$CLIENT_IF" private-key "$TOPO_DIR/client.key" listen-port 51900 \
	peer "$gw_pub" allowed-ips 10.10.0.0/24
topo_ns c ip addr add 10.200.0.2/32 dev "$CLIENT_IF"
topo_ns c ip link set "$CLIENT_IF" up
topo_ns c ip route add 10.10.0.0/24 dev "$CLIENT_IF"
wg set "$WGEDGE_IF" peer "$cl_pub" allowed-ips 10.200.0.2/32 endpoint 192.0.2.2:51900

latest() { wg show "$WGEDGE_IF" latest-handshakes | awk '{ print $2 }'; }

topo_ns s ping -c 1 -W 3 10.200.0.2 >/dev/null
first=$(latest)
echo "# first handshake at $first; pinging for 135 s"
out=$(topo_ns s ping -i 0.5 -c 270 -W 1 10.200.0.2 | tail -3)
last=$(latest)
echo "# $(echo "$out" | grep transmitted)"
received=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')

pass=0 fail=0
if [ "${first:-0}" -gt 0 ] && [ "${last:-0}" -ge $((first + 120)) ]; then
	echo "ok - wgedge made a new handshake after REKEY_AFTER_TIME ($first -> $last)"
	pass=$((pass + 1))
else
	echo "not ok - no new handshake after REKEY_AFTER_TIME ($first -> $last)"
	fail=$((fail + 1))
fi
if [ "${received:-0}" -ge 268 ]; then
	echo "ok - the tunnel held through the rekey ($received/270 replies)"
	pass=$((pass + 1))
else
	echo "not ok - the tunnel lost packets in the rekey ($received/270 replies)"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
