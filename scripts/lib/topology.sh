#!/usr/bin/env bash
# A client, a gateway and a server in three network namespaces, joined by
# veth pairs; wgedge attaches to the gateway's two veth ends with
# net_af_packet. Sourced by scripts/demo.sh and tests/interop/test_gateway.sh.
#
#   client ns  (wireguard-go)     gateway ns (wgedge)          server ns
#   ${P}co 192.0.2.2/24  <----->  ${P}go  [outer 192.0.2.1]
#                                 ${P}gc  [clear 10.10.0.1 ] <----> ${P}sc 10.10.0.2/24
#                                         [      fd00:10::1]        fd00:10::2/64
#   tunnel: client 10.200.0.2, fd00:200::2   (allowed IPs on the gateway)
#
# Every name starts with $P (at most 7 characters), so instances do not
# collide; topo_down removes everything that topo_up made, and is safe to
# run on a half-built topology.

: "${P:?set P, the name prefix}"
TOPO_DIR=${TOPO_DIR:-/tmp/${P}-topo}
WGEDGE_IF=${WGEDGE_IF:-${P}edge}	# the gateway's interface (UAPI socket name)
CLIENT_IF=${CLIENT_IF:-${P}wg}		# wireguard-go's interface

topo_ns() { ip netns exec "${P}$1" "${@:2}"; }

# No offloads on the veths: af_packet sees frames as they are on the wire,
# so they must carry real checksums and no GSO super-frames.
topo_no_offload() {
	topo_ns "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
}

topo_up() {
	mkdir -p "$TOPO_DIR"
	local ns
	for ns in c g s; do
		ip netns add "${P}$ns"
		topo_ns "$ns" ip link set lo up
	done
	ip link add "${P}co" netns "${P}c" type veth peer name "${P}go" netns "${P}g"
	ip link add "${P}gc" netns "${P}g" type veth peer name "${P}sc" netns "${P}s"
	# The gateway's ends belong to DPDK: no addresses, no IPv6 chatter.
	local i
	for i in go gc; do
		topo_ns g sysctl -qw "net.ipv6.conf.${P}$i.disable_ipv6=1"
		topo_ns g ip link set "${P}$i" up
		topo_no_offload g "${P}$i"
	done
	topo_ns c ip addr add 192.0.2.2/24 dev "${P}co"
	topo_ns c ip link set "${P}co" up
	topo_no_offload c "${P}co"
	topo_ns s ip addr add 10.10.0.2/24 dev "${P}sc"
	topo_ns s ip addr add fd00:10::2/64 dev "${P}sc" nodad
	topo_ns s ip link set "${P}sc" up
	topo_ns s ip route add 10.200.0.0/24 via 10.10.0.1
	topo_ns s ip -6 route add fd00:200::/64 via fd00:10::1
	topo_no_offload s "${P}sc"
}

# wgedge's configuration: its key, the two af_packet ports, no peers (they
# come through the control socket, as an orchestrator would add them).
topo_gateway_config() {
	local key=$1 expiry=${2:-180}
	cat >"$TOPO_DIR/wgedge.conf" <<EOF
interface = "$WGEDGE_IF";
private_key_file = "gateway.key";
listen_port = 51820;
idle_expiry = $expiry;
eal_args = ["--no-huge", "--no-shconf", "--file-prefix=${P}", "-m", "1024", "--no-pci",
            "--log-level=*:warning",
            "--vdev", "net_af_packet0,iface=${P}go",
            "--vdev", "net_af_packet1,iface=${P}gc"];
ports = {
  outer = { device = "net_af_packet0"; ipv4 = "192.0.2.1/24"; gateway4 = "192.0.2.2"; };
  clear = { device = "net_af_packet1"; ipv4 = "10.10.0.1/24"; gateway4 = "10.10.0.2";
            ipv6 = "fd00:10::1/64"; gateway6 = "fd00:10::2"; };
};
control_lcore = 0;
workers = ( { lcore = 1; queue = 0; } );
EOF
	(umask 077; printf '%s\n' "$key" >"$TOPO_DIR/gateway.key")
}

# Starts wgedge in the gateway namespace; waits for its control socket.
topo_gateway_start() {
	local bin=$1 i
	setsid ip netns exec "${P}g" "$bin" -- --config "$TOPO_DIR/wgedge.conf" \
		>"$TOPO_DIR/wgedge.log" 2>&1 </dev/null &
	echo $! >"$TOPO_DIR/wgedge.pid"
	for i in $(seq 1 100); do
		[ -S "/var/run/wireguard/$WGEDGE_IF.sock" ] && return 0
		kill -0 "$(cat "$TOPO_DIR/wgedge.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "wgedge did not start:" >&2
	cat "$TOPO_DIR/wgedge.log" >&2
	return 1
}

# wireguard-go in the client namespace, configured with wg.
topo_client_start() {
	local client_key=$1 gw_pub=$2
	setsid ip netns exec "${P}c" wireguard-go -f "$CLIENT_IF" \
		>"$TOPO_DIR/wireguard-go.log" 2>&1 </dev/null &
	echo $! >"$TOPO_DIR/wireguard-go.pid"
	local i
	for i in $(seq 1 100); do
		[ -S "/var/run/wireguard/$CLIENT_IF.sock" ] && break
		sleep 0.1
	done
	(umask 077; printf '%s\n' "$client_key" >"$TOPO_DIR/client.key")
	topo_ns c wg set "$CLIENT_IF" private-key "$TOPO_DIR/client.key" \
		peer "$gw_pub" endpoint 192.0.2.1:51820 \
		allowed-ips 10.10.0.0/24,fd00:10::/64
	topo_ns c ip addr add 10.200.0.2/32 dev "$CLIENT_IF"
	topo_ns c ip addr add fd00:200::2/128 dev "$CLIENT_IF" nodad
	topo_ns c ip link set "$CLIENT_IF" up
	topo_ns c ip route add 10.10.0.0/24 dev "$CLIENT_IF"
	topo_ns c ip -6 route add fd00:10::/64 dev "$CLIENT_IF"
}

topo_kill() {
	local f=$TOPO_DIR/$1.pid pid
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$f"
}

topo_down() {
	topo_kill wireguard-go
	topo_kill wgedge
	local ns
	for ns in c g s; do
		# Anything still running in a namespace goes with it.
		ip netns pids "${P}$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
		ip netns del "${P}$ns" 2>/dev/null || true
	done
	rm -f "/var/run/wireguard/$CLIENT_IF.sock" "/var/run/wireguard/$WGEDGE_IF.sock"
	rm -rf "$TOPO_DIR"
}
