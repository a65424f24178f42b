/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every reason the dataplane drops a packet, declared once. The X-macro gives
 * the enum the workers count with and the names telemetry and tests show.
 * A packet the dataplane consumes on purpose (a keepalive, a handshake handed
 * to the control thread) is not a drop and is counted elsewhere.
 */
#ifndef WG_DP_DROPS_H
#define WG_DP_DROPS_H

/* X(enum suffix, name shown to users, what it means) */
#define WG_DP_DROPS(X) \
	X(OUTER_NOT_IP, "outer_not_ip", \
	  "outer frame is not IPv4, IPv6, ARP or ND") \
	X(OUTER_BAD_IP, "outer_bad_ip", \
	  "malformed outer IP or UDP header or lengths") \
	X(OUTER_BAD_CSUM, "outer_bad_csum", \
	  "outer IPv4 header checksum wrong") \
	X(OUTER_FRAGMENT, "outer_fragment", \
	  "outer IP fragment refused by reassembly (overlap, duplicate, too many, table full)") \
	X(FRAG_TIMEOUT, "fragment_timeout", \
	  "outer IP fragment of a datagram not completed in time") \
	X(OUTER_NOT_FOR_US, "outer_not_for_us", \
	  "not UDP to our address and listen port") \
	X(MULTISEG, "multiseg", \
	  "multi-segment mbuf that could not be linearized") \
	X(MSG_INVALID, "msg_invalid", \
	  "unknown WireGuard message type or wrong length") \
	X(HS_NO_KEY, "handshake_no_identity", \
	  "handshake message before an identity (mac1 key) was set") \
	X(HS_BAD_MAC1, "handshake_bad_mac1", \
	  "handshake message with a wrong mac1") \
	X(HS_BAD_CSUM, "handshake_bad_checksum", \
	  "handshake message with a wrong UDP checksum") \
	X(HS_RING_FULL, "handshake_ring_full", \
	  "handshake ring to the control thread full") \
	X(COOKIE_UNKNOWN_INDEX, "cookie_unknown_index", \
	  "cookie reply to a receiver index that waits for none") \
	X(COOKIE_RING_FULL, "cookie_ring_full", \
	  "cookie reply ring to the control thread full") \
	X(NEIGH, "neigh_unhandled", \
	  "ARP or ND frame and no neighbour module") \
	X(NEIGH_INVALID, "neigh_invalid", \
	  "malformed ARP or ND frame") \
	X(NEIGH_UNRESOLVED, "neigh_unresolved", \
	  "the port's next hop is not resolved yet (never broadcast)") \
	X(UNKNOWN_INDEX, "unknown_receiver_index", \
	  "data message for a receiver index we do not have") \
	X(PEER_GONE, "peer_removed", \
	  "peer removed while the packet was in flight or staged") \
	X(KEYPAIR_EXPIRED, "keypair_expired", \
	  "keypair past REJECT_AFTER_TIME/MESSAGES or wiped") \
	X(AUTH_FAILED, "auth_failed", \
	  "data message failed authentication") \
	X(REPLAY, "replay", \
	  "counter replayed or behind the window") \
	X(INNER_BAD_TYPE, "inner_not_ip", \
	  "decrypted packet is neither IPv4 nor IPv6") \
	X(INNER_BAD_LEN, "inner_bad_length", \
	  "decrypted packet's IP length disagrees with its size") \
	X(INNER_BAD_HDR, "inner_bad_header", \
	  "decrypted IPv4 packet's header length below 20 or past its total length") \
	X(INNER_BAD_SRC, "inner_bad_source", \
	  "decrypted packet's source not in the peer's allowed IPs") \
	X(CLEAR_NOT_IP, "clear_not_ip", \
	  "clear-side frame is not IPv4, IPv6, ARP or ND") \
	X(CLEAR_BAD_IP, "clear_bad_ip", \
	  "malformed clear-side IP header or lengths (IPv4 header length too)") \
	X(CLEAR_TOO_BIG, "clear_too_big", \
	  "clear-side packet larger than the tunnel MTU") \
	X(NO_ROUTE, "no_route", \
	  "no peer's allowed IPs cover the destination") \
	X(NO_ENDPOINT, "no_endpoint", \
	  "peer has no endpoint to send to") \
	X(STAGE_FULL, "staging_full", \
	  "peer already has MAX_STAGED_PACKETS awaiting a session") \
	X(STAGE_PURGED, "staged_purged", \
	  "staged packet purged by the control thread") \
	X(NO_ROOM, "no_room", \
	  "mbuf lacks head- or tailroom for the encapsulation") \
	X(TX_FULL, "tx_full", \
	  "transmit queue did not take the packet")

enum wg_dp_drop {
#define WG_DP_DROP_ENUM(id, name, help) WG_DROP_##id,
	WG_DP_DROPS(WG_DP_DROP_ENUM)
#undef WG_DP_DROP_ENUM
	WG_DROP_MAX
};

/* The user-facing name of a drop reason ("unknown" out of range). */
static inline const char *
wg_dp_drop_name(unsigned int reason)
{
	static const char *const names[WG_DROP_MAX] = {
#define WG_DP_DROP_NAME(id, name, help) name,
		WG_DP_DROPS(WG_DP_DROP_NAME)
#undef WG_DP_DROP_NAME
	};

	return reason < WG_DROP_MAX ? names[reason] : "unknown";
}

#endif /* WG_DP_DROPS_H */
