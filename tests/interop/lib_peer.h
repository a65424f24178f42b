/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The "lib peer": a minimal WireGuard endpoint that drives lib/ directly over
 * a plain UDP socket, with exactly one peer (the wireguard-go side). It is
 * the protocol core as the control thread and workers will use it, minus
 * the tables: handshake (either role), mac1/mac2, one keypair, the replay
 * window, and an ICMP echo responder at its tunnel address.
 *
 * Single-threaded; every wait is bounded by the caller's timeout.
 */
#ifndef WGI_LIB_PEER_H
#define WGI_LIB_PEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cookie.h"
#include "messages.h"
#include "noise.h"
#include "replay.h"

/* Every reason the lib peer drops a datagram, named once. */
#define WGI_DROP_REASONS(X) \
	X(DROP_BAD_TYPE, "not a WireGuard message") \
	X(DROP_NOT_FROM_PEER, "not from the peer's endpoint") \
	X(DROP_BAD_MAC1, "handshake message with a bad mac1") \
	X(DROP_NEED_COOKIE, "initiation without a valid mac2 (cookie sent)") \
	X(DROP_INITIATION_BEGIN, "initiation failed e, es, s") \
	X(DROP_UNKNOWN_STATIC, "initiation from an unknown static key") \
	X(DROP_INITIATION_FINISH, "initiation failed ss, {t}") \
	X(DROP_CREATE_RESPONSE, "could not create the response") \
	X(DROP_RESPONSE_INDEX, "response for an unknown index") \
	X(DROP_RESPONSE, "response failed to consume") \
	X(DROP_DERIVE, "could not derive the keypair") \
	X(DROP_COOKIE_REPLY, "cookie reply rejected") \
	X(DROP_NO_KEYPAIR, "data before any keypair") \
	X(DROP_DATA_INDEX, "data for an unknown index") \
	X(DROP_DATA_AUTH, "data failed to authenticate") \
	X(DROP_REPLAY, "data counter replayed or outside the window") \
	X(DROP_NOT_ECHO, "inner packet is not an echo request to us") \
	X(DROP_SEND, "sendto failed")

#define WGI_DROP_ENUM(name, text) WGI_##name,
enum wgi_drop {
	WGI_DROP_REASONS(WGI_DROP_ENUM)
	WGI_DROP_COUNT
};
#undef WGI_DROP_ENUM

struct wgi_peer_stats {
	unsigned int initiations_rx;	/* consumed */
	unsigned int responses_tx;
	unsigned int initiations_tx;
	unsigned int responses_rx;	/* consumed */
	unsigned int cookies_tx;
	unsigned int cookies_rx;	/* consumed */
	unsigned int mac2_valid_rx;	/* initiations carrying a valid mac2 */
	unsigned int keypairs;		/* derived */
	unsigned int keepalives_rx;
	unsigned int keepalives_tx;
	unsigned int data_rx;		/* authenticated, fresh, non-empty */
	unsigned int echo_requests;
	unsigned int echo_replies;
	unsigned int drops[WGI_DROP_COUNT];
};

enum { WGI_INNER_MAX = WG_DEFAULT_MTU };

struct wgi_lib_peer {
	int fd;
	struct sockaddr_in remote;	/* the peer's endpoint */
	uint8_t tun_addr[4];		/* ours inside the tunnel */
	struct wg_noise_identity id;
	struct wg_handshake hs;
	struct wg_cookie_checker checker;
	struct wg_cookie cookie;
	struct wg_noise_keypair kp;
	bool have_keypair;
	struct wg_replay replay;
	uint64_t send_counter;
	uint32_t next_index;
	bool answer_echo;		/* reply to echo requests to tun_addr */
	bool demand_cookie;		/* act "under load": require mac2 */
	struct wgi_peer_stats st;
	/* The first non-empty inner packet received, as decrypted. */
	uint8_t first_inner[WGI_INNER_MAX];
	size_t first_inner_len;
};

/* Keys, handshake and cookie state for one peer; no socket yet. 0 or -1. */
int wgi_peer_init(struct wgi_lib_peer *p, const uint8_t our_priv[NOISE_PUBLIC_KEY_LEN],
		  const uint8_t peer_pub[NOISE_PUBLIC_KEY_LEN]);
/* Binds UDP local_ip:local_port; the peer is at remote_ip:remote_port. */
int wgi_peer_open(struct wgi_lib_peer *p, const char *local_ip,
		  uint16_t local_port, const char *remote_ip,
		  uint16_t remote_port);
/* Closes the socket and wipes every key. */
void wgi_peer_close(struct wgi_lib_peer *p);

/* e, es, s, ss, {t} plus mac1; sent to the peer. 0 or -1. */
int wgi_peer_send_initiation(struct wgi_lib_peer *p);
/* An empty data message under the current keypair. 0 or -1. */
int wgi_peer_send_keepalive(struct wgi_lib_peer *p);
/*
 * Waits up to timeout_ms for one datagram and handles it. 1 if one was
 * handled (accepted or dropped: see st), 0 on timeout, -1 on socket error.
 */
int wgi_peer_poll(struct wgi_lib_peer *p, int timeout_ms);

const char *wgi_drop_name(enum wgi_drop d);
/* Writes every non-zero counter to stderr (for failures). */
void wgi_peer_dump_stats(const struct wgi_lib_peer *p);

#endif /* WGI_LIB_PEER_H */
