# shellcheck shell=dash
# Network namespaces, veth pairs and wireguard-go for the demo and the
# interop tests: the one place that starts and stops them. POSIX sh (dash
# sources it through tests/interop/netns.sh; bash through the others).
#
# Generic pieces, for any topology:
#   topo_netns_add NS          a namespace with lo up
#   topo_netns_del NS          everything running in it stopped, then deleted
#   topo_wggo_start NS IF LOG  wireguard-go for interface IF in NS; waits
#                              for its UAPI socket
#   topo_wggo_stop NS IF       that wireguard-go gone, its socket too
#
# The gateway topology (sourced with $P set): a client, a gateway and a
# server in three namespaces, joined by veth pairs; wgedge attaches to the
# gateway's two veth ends with net_af_packet. Used by scripts/demo.sh and
# tests/interop/test_{gateway,provider,rekey}.sh.
#
#   client ns  (wireguard-go)     gateway ns (wgedge)          server ns
#   ${P}co 192.0.2.2/24  <----->  ${P}go  [outer 192.0.2.1]
#                                 ${P}gc  [clear 10.10.0.1 ] <----> ${P}sc 10.10.0.2/24
#                                         [      fd00:10::1]        fd00:10::2/64
#   tunnel: client 10.200.0.2, fd00:200::2   (allowed IPs on the gateway)
#
# Every function here may run under set -e and in an EXIT trap: what may
# fail in a clean-up (a process already gone) is "|| :", so that one
# failure never cuts the clean-up short.
#
# Every name starts with $P (at most 11 characters: ${P}edge is an
# interface name, 15 at most); callers put their pid in it, so that two
# runs never collide. topo_down removes everything topo_up and the
# gateway made (namespaces with their veths and processes, UAPI and
# orchestration sockets, the EAL runtime directory, $TOPO_DIR) and is safe
# to run on a half-built topology.

TOPO_UAPI_DIR=/var/run/wireguard

# ---- Generic -----------------------------------------------------------

topo_netns_add() {
	ip netns add "$1" && ip -n "$1" link set lo up
}

# TERM to everything in the namespace, up to 2 s, then KILL; then delete.
topo_netns_del() {
	local pids i
	[ -e "/var/run/netns/$1" ] || return 0
	pids=$(ip netns pids "$1" 2>/dev/null)
	if [ -n "$pids" ]; then
		# shellcheck disable=SC2086
		kill -TERM $pids 2>/dev/null || :
		i=0
		while [ $i -lt 20 ] && [ -n "$(ip netns pids "$1" 2>/dev/null)" ]; do
			sleep 0.1
			i=$((i + 1))
		done
		pids=$(ip netns pids "$1" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || :
	fi
	ip netns del "$1" 2>/dev/null || :
}

# Up to 20 s (a busy machine, a sanitizer build) for IF's UAPI socket
# (wireguard-go or wgedge) to appear; no longer once PID, if given, is gone.
topo_wait_socket() {
	local i=0
	while [ $i -lt 200 ]; do
		[ -S "$TOPO_UAPI_DIR/$1.sock" ] && return 0
		[ -z "${2:-}" ] || kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# setsid: out of the caller's session, so that a terminal's or a test
# runner's signal to the group does not reach it; topo_wggo_stop and
# topo_netns_del find it by its namespace.
topo_wggo_start() {
	LOG_LEVEL=verbose setsid ip netns exec "$1" wireguard-go -f "$2" \
		</dev/null >>"$3" 2>&1 &
	topo_wait_socket "$2" $!
}

# wireguard-go's process in NS is the one that owns IF's socket: stopping
# every process there would be topo_netns_del's job.
topo_wggo_stop() {
	local pid i=0
	for pid in $(ip netns pids "$1" 2>/dev/null); do
		case $(cat "/proc/$pid/comm" 2>/dev/null) in
		wireguard-go) kill -TERM "$pid" 2>/dev/null || : ;;
		esac
	done
	while [ $i -lt 20 ] && [ -S "$TOPO_UAPI_DIR/$2.sock" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	ip -n "$1" link del "$2" 2>/dev/null || :
	rm -f "$TOPO_UAPI_DIR/$2.sock"
}

# ---- The gateway topology ------------------------------------------------

if [ -n "${P:-}" ]; then
	TOPO_DIR=${TOPO_DIR:-/tmp/${P}-topo}
	WGEDGE_IF=${WGEDGE_IF:-${P}edge}	# the gateway's interface (UAPI socket name)
	CLIENT_IF=${CLIENT_IF:-${P}wg}		# wireguard-go's interface
fi

topo_ns() {
	local ns=$1
	shift
	ip netns exec "${P}$ns" "$@"
}

# No offloads on the veths: af_packet sees frames as they are on the wire,
# so they must carry real checksums and no GSO super-frames.
topo_no_offload() {
	topo_ns "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
}

topo_up() {
	local ns i
	mkdir -p "$TOPO_DIR"
	for ns in c g s; do
		topo_netns_add "${P}$ns" || return 1
	done
	ip link add "${P}co" netns "${P}c" type veth peer name "${P}go" netns "${P}g"
	ip link add "${P}gc" netns "${P}g" type veth peer name "${P}sc" netns "${P}s"
	# The gateway's ends belong to DPDK: no addresses, no IPv6 chatter.
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

# Fresh keys for the gateway and the client: GW_KEY GW_PUB CL_KEY CL_PUB.
# shellcheck disable=SC2034 # for the caller
topo_keys() {
	GW_KEY=$(wg genkey)
	GW_PUB=$(printf '%s' "$GW_KEY" | wg pubkey)
	CL_KEY=$(wg genkey)
	CL_PUB=$(printf '%s' "$CL_KEY" | wg pubkey)
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
	setsid ip netns exec "${P}g" "$1" -- --config "$TOPO_DIR/wgedge.conf" \
		>"$TOPO_DIR/wgedge.log" 2>&1 </dev/null &
	echo $! >"$TOPO_DIR/wgedge.pid"
	topo_wait_socket "$WGEDGE_IF" $! && return 0
	echo "wgedge did not start:" >&2
	cat "$TOPO_DIR/wgedge.log" >&2
	return 1
}

# wireguard-go in the client namespace, configured with wg, its tunnel
# address ADDR4 (default 10.200.0.2) and fd00:200::2:
#   topo_client_start KEY GW_PUBKEY [ENDPOINT] [LISTEN_PORT] [ADDR4]
# Without ENDPOINT the client cannot start a handshake (wgedge must);
# without LISTEN_PORT wireguard-go picks one.
topo_client_start() {
	local key=$1 gw_pub=$2 ep=${3:-} port=${4:-} addr=${5:-10.200.0.2}
	topo_wggo_start "${P}c" "$CLIENT_IF" "$TOPO_DIR/wireguard-go.log" || {
		echo "wireguard-go did not start:" >&2
		cat "$TOPO_DIR/wireguard-go.log" >&2
		return 1
	}
	(umask 077; printf '%s\n' "$key" >"$TOPO_DIR/client.key")
	topo_ns c wg set "$CLIENT_IF" private-key "$TOPO_DIR/client.key" \
		${port:+listen-port "$port"} peer "$gw_pub" ${ep:+endpoint "$ep"} \
		allowed-ips 10.10.0.0/24,fd00:10::/64 || return 1
	topo_ns c ip addr add "$addr/32" dev "$CLIENT_IF"
	topo_ns c ip addr add fd00:200::2/128 dev "$CLIENT_IF" nodad
	topo_ns c ip link set "$CLIENT_IF" up
	topo_ns c ip route add 10.10.0.0/24 dev "$CLIENT_IF" src "$addr"
	topo_ns c ip -6 route add fd00:10::/64 dev "$CLIENT_IF"
}

topo_client_stop() {
	topo_wggo_stop "${P}c" "$CLIENT_IF"
}

# wgedge: TERM (it removes its sockets), up to 5 s, then KILL.
topo_gateway_stop() {
	local f="$TOPO_DIR/wgedge.pid" pid i=0
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	kill -TERM "$pid" 2>/dev/null || :
	while [ $i -lt 50 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$pid" 2>/dev/null || :
	rm -f "$f"
}

topo_down() {
	local ns
	: "${P:?topo_down needs P, the name prefix}"
	topo_gateway_stop
	for ns in c g s; do
		topo_netns_del "${P}$ns"
	done
	# What a killed wgedge or wireguard-go could not remove itself.
	rm -f "$TOPO_UAPI_DIR/$CLIENT_IF.sock" "$TOPO_UAPI_DIR/$WGEDGE_IF.sock" \
		"/var/run/wgedge/$WGEDGE_IF.ctl"
	rm -rf "/var/run/dpdk/${P}" "$TOPO_DIR"
}
