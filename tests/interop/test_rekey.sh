#!/usr/bin/env bash
# wgedge rekeys as initiator after REKEY_AFTER_TIME (120 s) without losing
# the tunnel: the server behind wgedge pings a wireguard-go client (which
# knows no endpoint for wgedge, so every handshake is wgedge's) for 135 s.
# Slow by nature: registered only in the plain build.
#
#   tests/interop/test_rekey.sh WGEDGE_BINARY
set -uo pipefail

bin=$(realpath "$1")
TEST=interop-rekey
P=wgr$$
# shellcheck source=tests/interop/lib.sh
. "$(dirname "$0")/lib.sh"

itest_require wireguard-go ping ethtool
itest_gateway_up "$bin"
# The client: no endpoint for wgedge, a fixed port wgedge knows.
topo_client_start "$CL_KEY" "$GW_PUB" "" 51900 || exit 1
wg set "$WGEDGE_IF" peer "$CL_PUB" allowed-ips 10.200.0.2/32 endpoint 192.0.2.2:51900

latest() { wg show "$WGEDGE_IF" latest-handshakes | awk '{ print $2 }'; }

# The first handshake (wgedge's), retried as a busy machine may need.
for _ in $(seq 1 10); do
	topo_ns s ping -c 1 -W 1 10.200.0.2 >/dev/null && break
done
first=$(latest)
echo "# first handshake at $first; pinging for 135 s"
out=$(topo_ns s ping -i 0.5 -c 270 -W 1 10.200.0.2 | tail -3)
last=$(latest)
echo "# $(echo "$out" | grep transmitted)"
received=$(echo "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p')

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
itest_finish
