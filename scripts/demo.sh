#!/usr/bin/env bash
# The wgedge demo: a real WireGuard client (wireguard-go) reaches a server
# through wgedge, with no NIC and no hugepages.
#
#   client ns --veth--> [ wgedge on net_af_packet ] --veth--> server ns
#
# Installs what is missing, builds, sets the namespaces up, starts wgedge,
# adds the client as a peer through the control socket with the stock wg
# tool, pings and runs a short iperf3 through the tunnel, shows `wg show`
# of the gateway, and cleans everything up (also on failure or Ctrl-C).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/deps.sh
. scripts/deps.sh
wgedge_install_deps
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it creates network namespaces)" >&2
	exit 1
fi

echo "== building (build-plain)"
# shellcheck source=scripts/lib/build.sh
. scripts/lib/build.sh
wgedge_build plain control/wgedge

P=wgd$$
# shellcheck source=scripts/lib/topology.sh
. scripts/lib/topology.sh
trap topo_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
topo_up
topo_keys

echo "== starting wgedge (net_af_packet on veth pairs, --no-huge)"
topo_gateway_config "$GW_KEY"
topo_gateway_start "$WGEDGE_BUILD_DIR/control/wgedge"
sed 's/^/   /' "$TOPO_DIR/wgedge.log"

echo "== adding the client as a peer with the stock wg tool"
echo "   wg set $WGEDGE_IF peer $CL_PUB allowed-ips 10.200.0.2/32,fd00:200::2/128"
wg set "$WGEDGE_IF" peer "$CL_PUB" allowed-ips 10.200.0.2/32,fd00:200::2/128

echo "== starting the client (wireguard-go) in its own namespace"
topo_client_start "$CL_KEY" "$GW_PUB" 192.0.2.1:51820

echo "== ping through the tunnel (IPv4, then IPv6)"
topo_ns c ping -c 3 -i 0.3 -W 2 10.10.0.2
topo_ns c ping -6 -c 3 -i 0.3 -W 2 fd00:10::2

echo "== iperf3 through the tunnel (3 s)"
topo_ns s iperf3 -s -1 -D -B 10.10.0.2 >/dev/null
sleep 0.5
topo_ns c iperf3 -c 10.10.0.2 -t 3 -f m | tail -4

echo "== wg show $WGEDGE_IF (the gateway, through its control socket)"
wg show "$WGEDGE_IF"
echo
echo "== demo done: a WireGuard client talked through wgedge"
