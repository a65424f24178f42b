/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mac1, mac2 and cookie replies (whitepaper 5.4.4 and 5.4.7).
 *
 * Responder side, wg_cookie_checker: checks mac1 on every handshake message
 * (keyed by our public key) and, under load, mac2 keyed by a cookie that
 * binds the sender's address; makes cookie replies with XChaCha20-Poly1305
 * under a secret that rotates every COOKIE_SECRET_MAX_AGE seconds.
 *
 * Initiator side, wg_cookie (one per peer): adds mac1 and, while it holds a
 * fresh cookie, mac2 to each handshake message it sends; consumes replies.
 */
#ifndef WG_COOKIE_H
#define WG_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "blake2s.h"
#include "messages.h"

/*
 * mac1 checking alone, for many messages under one key: the MAC's BLAKE2s
 * state with the key block already compressed, so that a check costs the
 * message's own compressions only (two for an initiation, one for a
 * response) instead of one more for the key. Read-only once made: checks
 * work on a copy, so one can serve a whole burst (the dataplane worker's).
 */
struct wg_cookie_mac1_checker {
	struct wg_blake2s_state keyed;
};

struct wg_cookie_checker {
	uint8_t secret[NOISE_HASH_LEN];
	uint64_t secret_birthdate_ns;
	bool secret_valid;
	uint8_t cookie_encryption_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t message_mac1_key[NOISE_SYMMETRIC_KEY_LEN];
	struct wg_cookie_mac1_checker mac1;	/* keyed by message_mac1_key */
};

enum wg_cookie_mac_state {
	WG_COOKIE_INVALID_MAC,
	WG_COOKIE_VALID_MAC_BUT_NO_COOKIE,
	WG_COOKIE_VALID_MAC_WITH_COOKIE
};

struct wg_cookie {
	uint64_t birthdate_ns;
	bool is_valid;
	uint8_t cookie[COOKIE_LEN];
	bool have_sent_mac1;
	uint8_t last_mac1_sent[COOKIE_LEN];
	uint8_t cookie_decryption_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t message_mac1_key[NOISE_SYMMETRIC_KEY_LEN];
};

/* Keys derive from our public key; call again when the identity changes. */
void wg_cookie_checker_init(struct wg_cookie_checker *c,
			    const uint8_t our_public[NOISE_PUBLIC_KEY_LEN]);

/* One BLAKE2s compression; key is wg_cookie_checker.message_mac1_key. */
void wg_cookie_mac1_checker_init(struct wg_cookie_mac1_checker *m,
				 const uint8_t key[NOISE_SYMMETRIC_KEY_LEN]);

/*
 * True if msg, a whole handshake message (initiation or response) of len
 * bytes ending in struct wg_msg_macs, carries a valid mac1; false for
 * anything shorter than a header and the macs. Constant-time compare.
 */
bool wg_cookie_mac1_check(const struct wg_cookie_mac1_checker *m,
			  const uint8_t *msg, size_t len);

/*
 * valid[i] = wg_cookie_mac1_check(m, msg[i], len[i]) for i < n, cheaper:
 * the initiations among them, and the responses, are hashed side by side
 * (wg_blake2s_many()), so a burst of them costs a fraction of one each.
 */
void wg_cookie_mac1_check_burst(const struct wg_cookie_mac1_checker *m,
				const uint8_t *const msg[], const size_t len[],
				unsigned int n, bool valid[]);

/*
 * msg is a whole handshake message (initiation or response) of len bytes,
 * ending in struct wg_msg_macs. mac1 is always checked; mac2 only if
 * check_cookie (the responder is under load). Constant-time compares.
 */
enum wg_cookie_mac_state
wg_cookie_validate_packet(struct wg_cookie_checker *c, const uint8_t *msg,
			  size_t len, const struct wg_endpoint *src,
			  bool check_cookie, uint64_t now_ns);

/*
 * The reply to send to src for the handshake message msg (its sender index
 * becomes the reply's receiver index, its mac1 the AEAD's associated data).
 */
void wg_cookie_message_create(struct wg_cookie_checker *c,
			      struct wg_msg_cookie *dst, const uint8_t *msg,
			      size_t len, const struct wg_endpoint *src,
			      uint64_t now_ns);

void wg_cookie_init(struct wg_cookie *ck,
		    const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN]);
/* Fills in the macs of a handshake message we are about to send. */
void wg_cookie_add_macs(struct wg_cookie *ck, uint8_t *msg, size_t len,
			uint64_t now_ns);
/*
 * The caller found the peer by src->receiver_index. 0 if the reply
 * answers the last mac1 we sent and decrypts; -1 otherwise (nothing kept).
 */
int wg_cookie_consume_reply(struct wg_cookie *ck, const struct wg_msg_cookie *src,
			    uint64_t now_ns);

#endif /* WG_COOKIE_H */
