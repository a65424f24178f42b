#!/usr/bin/env bash
# SIGHUP with a real client: wgedge re-reads its file and applies the
# static peers' difference as `wg syncconf` does. The client's session
# survives (no new handshake, traffic keeps flowing), a peer added through
# the wg socket stays, a removed static peer goes, a setting that needs a
# restart and a broken file are refused with nothing changed.
#
#   tests/interop/test_reload.sh WGEDGE WGEDGECTL
set -uo pipefail

bin=$(realpath "$1")
ctl=$(realpath "$2")
TEST=interop-reload
P=wgr$$
# shellcheck source=tests/interop/lib.sh
. "$(dirname "$0")/lib.sh"
itest_require wireguard-go ping python3
trap itest_on_exit EXIT

topo_down
topo_up
gw_key=$(wg genkey); gw_pub=$(printf '%s' "$gw_key" | wg pubkey)
cl_key=$(wg genkey); cl_pub=$(printf '%s' "$cl_key" | wg pubkey)
k2=$(wg genkey | wg pubkey)
k3=$(wg genkey | wg pubkey)
topo_gateway_config "$gw_key"
cp "$TOPO_DIR/wgedge.conf" "$TOPO_DIR/base.conf"
conf() { # the base file plus a peers list
	{ cat "$TOPO_DIR/base.conf"; printf 'peers = (%s);\n' "$1"; } >"$TOPO_DIR/wgedge.conf.new"
	mv "$TOPO_DIR/wgedge.conf.new" "$TOPO_DIR/wgedge.conf"
}
client_peer() { # keepalive
	printf '{ public_key = "%s"; allowed_ips = ["10.200.0.2/32", "fd00:200::2/128"]; persistent_keepalive = %s; }' \
		"$cl_pub" "$1"
}
conf "$(client_peer 0)"
topo_gateway_start "$bin" || exit 1
topo_client_start "$cl_key" "$gw_pub" 192.0.2.1:51820 || exit 1

ping_ok() { local i; for i in $(seq 1 10); do topo_ns c ping -c 1 -W 1 10.10.0.2 && return 0; done; return 1; }
handshakes() {
	"$ctl" "$WGEDGE_IF" stats peers=no |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["control"]["handshakes_completed"])'
}
reloaded() { # count: waits until the log has that many "reloaded" lines
	local d=$((SECONDS + 30))
	while [ $SECONDS -lt $d ]; do
		[ "$(grep -c "$2" "$TOPO_DIR/wgedge.log")" -ge "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
hup() { kill -HUP "$(cat "$TOPO_DIR/wgedge.pid")"; }
has_peer() { wg show "$WGEDGE_IF" peers | grep -qxF "$1"; }

check "the client reaches the server through the static peer" ping_ok
hs=$(handshakes)
wg set "$WGEDGE_IF" peer "$k3" allowed-ips 10.200.0.30/32

conf "$(client_peer 25), { public_key = \"$k2\"; allowed_ips = [\"10.200.0.9/32\"]; }"
hup
check "SIGHUP: the configuration is reloaded" reloaded 1 "configuration reloaded"
check "the new static peer is there" has_peer "$k2"
check "the peer added through the wg socket stays" has_peer "$k3"
check "the client's new keepalive is applied" \
	bash -c "wg show '$WGEDGE_IF' persistent-keepalive | grep -qxF '$cl_pub	25'"
check "the client's session goes on" ping_ok
check "without a new handshake" test "$(handshakes)" = "$hs"

conf "$(client_peer 25)"
hup
check "a second SIGHUP reloads" reloaded 2 "configuration reloaded"
check "the static peer left out of the file is removed" bash -c "! wg show '$WGEDGE_IF' peers | grep -qxF '$k2'"
check "the socket's peer still stays" has_peer "$k3"

sed -i 's/^listen_port = .*/&\nmtu = 1280;/' "$TOPO_DIR/wgedge.conf"
hup
check "a setting that needs a restart is refused, by name" reloaded 1 "'mtu' cannot change while running"
printf 'this is not libconfig\n' >>"$TOPO_DIR/wgedge.conf"
hup
check "a broken file is refused with its line" reloaded 1 "reload refused: .*wgedge.conf:[0-9]*:"
check "after both, nothing changed and the tunnel works" \
	bash -c "wg show '$WGEDGE_IF' peers | grep -qxF '$k3' && wg show '$WGEDGE_IF' peers | grep -qxF '$cl_pub'"
check "and traffic still flows" ping_ok
check "wgedge is still running" kill -0 "$(cat "$TOPO_DIR/wgedge.pid")"

itest_finish
