#!/usr/bin/env bash
# The provider features with a real client (wireguard-go), through wgedge on
# net_af_packet (scripts/lib/topology.sh):
#   - a client added with `wgedgectl add-peer` gets a random address from
#     the pool, uses it and reaches the server;
#   - after `wgedgectl rotate` the old address no longer passes the gateway
#     and the new one does;
#   - a client that goes silent after one-way traffic gets one passive
#     keepalive and no handshake from the gateway (a keepalive is not data:
#     it arms no new handshake), so idle_expiry forgets its endpoint (wg
#     show shows none), and the client comes back by handshaking again.
#
#   tests/interop/test_provider.sh WGEDGE_BINARY WGEDGECTL_BINARY
set -uo pipefail

bin=$(realpath "$1")
ctl=$(realpath "$2")
TEST=interop-provider
P=wgp$$
# Long enough that a handshake 15 s after the gateway's passive keepalive
# (the bug this guards against) would fall inside the silence.
EXPIRY=40
# shellcheck source=tests/interop/lib.sh
. "$(dirname "$0")/lib.sh"

itest_require wireguard-go ping python3 ethtool
# The pool: the tunnel /24 the server routes back through the gateway.
itest_gateway_up "$bin" "$EXPIRY" 'address_pool = { ipv4 = "10.200.0.0/24"; };'

json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

answer=$("$ctl" "$WGEDGE_IF" add-peer "public_key=$CL_PUB" family=4)
addr1=$(printf '%s' "$answer" | json_field ipv4)
echo "# add-peer: $answer"

# The client uses the address it was given (not 10.200.0.2).
topo_client_start "$CL_KEY" "$GW_PUB" 192.0.2.1:51820 "" "$addr1" || exit 1

ping_from() { # source address, tries
	local i
	for i in $(seq 1 "${2:-5}"); do
		topo_ns c ping -c 1 -W 1 -I "$1" 10.10.0.2 && return 0
	done
	return 1
}

check "add-peer gave an address in the pool ($addr1)" \
	bash -c "[[ '$addr1' == 10.200.0.* ]]"
check "the client reaches the server from its allocated address" ping_from "$addr1"

answer=$("$ctl" "$WGEDGE_IF" rotate "public_key=$CL_PUB" family=4)
echo "# rotate: $answer"
addr2=$(printf '%s' "$answer" | python3 -c "import json,sys; a=json.load(sys.stdin); print(a['new']['ipv4'] if isinstance(a.get('new'), dict) else a.get('ipv4'))")
topo_ns c ip addr add "$addr2/32" dev "$CLIENT_IF"
check "rotation gave a different address ($addr1 -> $addr2)" \
	bash -c "[[ '$addr2' == 10.200.0.* && '$addr2' != '$addr1' ]]"
check "the old address no longer passes the gateway" \
	bash -c "! ip netns exec ${P}c ping -c 2 -W 1 -I $addr1 10.10.0.2"
check "the new address does" ping_from "$addr2"

# Idle expiry: EXPIRY seconds after the latest handshake the gateway wipes
# the client's endpoint and session. The client's last packet is one-way
# (to an address nobody answers): the gateway answers it with a passive
# keepalive 10 s later and must then stay quiet, as Linux and wireguard-go
# do, not start a handshake with the silent client.
ctl_counter() { "$ctl" "$WGEDGE_IF" stats | python3 -c "import json,sys; print(json.load(sys.stdin)['control']['$1'])"; }
init_before=$(ctl_counter initiations_tx)
ka_before=$(ctl_counter keepalives_tx)
topo_ns c ping -c 1 -W 1 -I "$addr2" 10.10.0.99 >/dev/null 2>&1
sleep $((EXPIRY + 5))
init_after=$(ctl_counter initiations_tx)
ka_after=$(ctl_counter keepalives_tx)
check "the gateway answered the one-way packet with a keepalive ($ka_before -> $ka_after)" \
	test "$ka_after" -gt "$ka_before"
check "the gateway sent no handshake to the silent client ($init_before -> $init_after)" \
	test "$init_after" -eq "$init_before"
# # the client's endpoint and session. A busy machine may be late: up to 30 s
# more.
endpoint_forgotten() {
	local i
	for i in $(seq 1 30); do
		wg show "$WGEDGE_IF" endpoints | grep -q '(none)' && return 0
		sleep 1
	done
	return 1
}
check "after idle_expiry, wg show has no endpoint for the client" \
	endpoint_forgotten
check "after idle_expiry, wg show has no latest handshake" \
	bash -c "wg show $WGEDGE_IF latest-handshakes | awk '{ exit \$2 != 0 }'"
# The client's old session is gone on the gateway; it handshakes again
# once its own timers notice (KEEPALIVE + REKEY_TIMEOUT, about 15 s).
check "the client reconnects by handshaking again and traffic flows" \
	ping_from "$addr2" 30
check "the gateway knows the client's endpoint again" \
	bash -c "wg show $WGEDGE_IF endpoints | grep -q 192.0.2.2"

itest_finish
