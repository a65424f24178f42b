#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Topology for the lib <-> wireguard-go interop test.
#
#   netns.sh up   NAME LIB_PUBKEY_B64 GO_PRIVKEY_FILE LOGFILE
#   netns.sh down NAME
#
# up builds two network namespaces joined by a veth pair and runs
# wireguard-go in one of them:
#
#   NAME-lib  veth NAME-l  10.77.0.1/24   (the test process binds UDP 51821)
#   NAME-go   veth NAME-g  10.77.0.2/24
#             NAMEwg       10.99.0.2/24   wireguard-go, UDP 51820, one peer:
#                          the lib key, allowed-ips 10.99.0.1/32,
#                          endpoint 10.77.0.1:51821
#
# wireguard-go's only links are the veth and its TUN, so none of its traffic
# leaves the two namespaces. NAME must be short (the interface names derive
# from it and Linux allows 15 characters): the test uses "wgi<pid>".
#
# down kills what runs in NAME-go (only wireguard-go and pings the test
# started), deletes both namespaces and the UAPI socket; it is idempotent and
# safe to run on a half-built topology. up runs down itself on any failure.
# The namespace and wireguard-go pieces are scripts/lib/topology.sh's, the
# ones the demo and the gateway tests use.
#
# Exit status of up: 0 ready; 77 network namespaces unavailable here (the
# caller skips); anything else a real failure (see LOGFILE).

set -u

LIB_ADDR=10.77.0.1
GO_ADDR=10.77.0.2
LIB_TUN_ADDR=10.99.0.1
GO_TUN_ADDR=10.99.0.2
GO_PORT=51820
LIB_PORT=51821

# shellcheck source=scripts/lib/topology.sh
. "$(dirname "$0")/../../scripts/lib/topology.sh"

die()
{
	echo "netns.sh: $*" >&2
	exit 1
}

names()
{
	NAME=$1
	case $NAME in
	''|*[!A-Za-z0-9_]*) die "bad name '$NAME'" ;;
	esac
	[ ${#NAME} -le 11 ] || die "name '$NAME' too long"
	NS_LIB=$NAME-lib
	NS_GO=$NAME-go
	VETH_LIB=$NAME-l
	VETH_GO=$NAME-g
	WG_IF=${NAME}wg
}

do_down()
{
	names "$1"
	topo_netns_del "$NS_GO"
	# Not topo_netns_del: the test process itself runs in NS_LIB.
	ip netns del "$NS_LIB" 2>/dev/null
	# Normally gone with the namespace; a leftover from a crash is not.
	ip link del "$VETH_LIB" 2>/dev/null
	rm -f "$TOPO_UAPI_DIR/$WG_IF.sock"
	return 0
}

build_links()
{
	ip link add "$VETH_LIB" netns "$NS_LIB" type veth \
		peer name "$VETH_GO" netns "$NS_GO" || return 1
	ip -n "$NS_LIB" addr add "$LIB_ADDR/24" dev "$VETH_LIB" &&
	ip -n "$NS_GO" addr add "$GO_ADDR/24" dev "$VETH_GO" &&
	ip -n "$NS_LIB" link set "$VETH_LIB" up &&
	ip -n "$NS_GO" link set "$VETH_GO" up
}

configure_wireguard_go()
{
	lib_pub=$1
	keyfile=$2
	ip netns exec "$NS_GO" wg set "$WG_IF" private-key "$keyfile" \
		listen-port "$GO_PORT" peer "$lib_pub" \
		allowed-ips "$LIB_TUN_ADDR/32" \
		endpoint "$LIB_ADDR:$LIB_PORT" || return 1
	ip -n "$NS_GO" addr add "$GO_TUN_ADDR/24" dev "$WG_IF" &&
	ip -n "$NS_GO" link set "$WG_IF" up
}

do_up()
{
	[ $# -eq 4 ] || die "usage: up NAME LIB_PUBKEY_B64 GO_PRIVKEY_FILE LOGFILE"
	names "$1"
	do_down "$1"
	if ! topo_netns_add "$NS_LIB" 2>/dev/null; then
		echo "netns.sh: 'ip netns add' failed" >&2
		do_down "$1"
		exit 77
	fi
	topo_netns_add "$NS_GO" || { do_down "$1"; exit 77; }
	if ! build_links; then
		do_down "$1"
		die "could not build the veth pair"
	fi
	if ! topo_wggo_start "$NS_GO" "$WG_IF" "$4"; then
		do_down "$1"
		die "wireguard-go did not create $TOPO_UAPI_DIR/$WG_IF.sock"
	fi
	if ! configure_wireguard_go "$2" "$3"; then
		do_down "$1"
		die "could not configure $WG_IF"
	fi
}

case ${1:-} in
up)
	shift
	do_up "$@"
	;;
down)
	[ $# -eq 2 ] || die "usage: down NAME"
	do_down "$2"
	;;
*)
	die "usage: netns.sh up NAME LIB_PUBKEY_B64 GO_PRIVKEY_FILE LOGFILE" \
		"| down NAME"
	;;
esac
