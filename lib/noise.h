/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s, as the WireGuard whitepaper (5.4)
 * specifies it, over plain byte buffers. The caller owns the peer and index
 * tables: it looks a peer up by the static key this module decrypts from an
 * initiation, and a handshake up by the receiver index of a response.
 *
 * mac1/mac2 are not this module's business: see cookie.h.
 */
#ifndef WG_NOISE_H
#define WG_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#include "messages.h"

struct wg_noise_identity {
	uint8_t static_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t static_public[NOISE_PUBLIC_KEY_LEN];
	bool has_identity;
};

enum wg_handshake_state {
	HANDSHAKE_ZEROED,
	HANDSHAKE_CREATED_INITIATION,
	HANDSHAKE_CONSUMED_INITIATION,
	HANDSHAKE_CREATED_RESPONSE,
	HANDSHAKE_CONSUMED_RESPONSE
};

/* One per peer: its static configuration and the handshake in flight. */
struct wg_handshake {
	enum wg_handshake_state state;
	uint32_t local_index;		/* ours, host order */
	uint32_t remote_index;		/* theirs, host order */
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	/* DH(our static, their static); all zero when that DH is invalid. */
	uint8_t precomputed_static_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
	/* Greatest TAI64N accepted from this peer: survives handshake wipes. */
	uint8_t latest_timestamp[NOISE_TIMESTAMP_LEN];
	uint64_t last_initiation_consumption_ns;
};

/* The transport keys one completed handshake yields. */
struct wg_noise_keypair {
	uint8_t sending_key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t receiving_key[NOISE_SYMMETRIC_KEY_LEN];
	uint32_t local_index;		/* receiver index of incoming data */
	uint32_t remote_index;		/* receiver index we put on outgoing data */
	bool i_am_the_initiator;
	uint64_t birthdate_ns;
};

/* Scratch state between the two halves of consuming an initiation. */
struct wg_noise_consume {
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
};

/* Computes the constant initial chaining key and hash. Call once. */
void wg_noise_init(void);

/* 0, or -1 if private_key is not a usable Curve25519 private key. */
int wg_noise_identity_set(struct wg_noise_identity *id,
			  const uint8_t private_key[NOISE_PUBLIC_KEY_LEN]);
void wg_noise_identity_clear(struct wg_noise_identity *id);

/* psk may be NULL (all zeros). Leaves the handshake ZEROED. */
void wg_noise_handshake_init(struct wg_handshake *hs,
			     const struct wg_noise_identity *id,
			     const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN],
			     const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN]);
/* Recomputes the static-static DH after the local identity changed. */
void wg_noise_precompute_static_static(struct wg_handshake *hs,
				       const struct wg_noise_identity *id);
/* Wipes the in-flight state (ephemerals, hash, chaining key, indices). */
void wg_noise_handshake_clear(struct wg_handshake *hs);

/* e, es, s, ss, {t}. timestamp is TAI64N (see wg_tai64n_now). */
int wg_noise_create_initiation(struct wg_handshake *hs,
			       const struct wg_noise_identity *id,
			       struct wg_msg_initiation *dst, uint32_t local_index,
			       const uint8_t timestamp[NOISE_TIMESTAMP_LEN]);

/*
 * First half of consuming an initiation: e, es, s. On success st holds the
 * initiator's static key, which the caller uses to find the peer.
 */
int wg_noise_consume_initiation_begin(const struct wg_noise_identity *id,
				      const struct wg_msg_initiation *src,
				      struct wg_noise_consume *st);
/*
 * Second half: ss, {t}. Rejects a timestamp not greater than the peer's
 * latest, and initiations less than 1/INITIATIONS_PER_SECOND apart. On
 * success the handshake is CONSUMED_INITIATION; on failure it is unchanged.
 * st is wiped either way.
 */
int wg_noise_consume_initiation_finish(struct wg_noise_consume *st,
				       struct wg_handshake *hs,
				       const struct wg_msg_initiation *src,
				       uint64_t now_ns);

/* From CONSUMED_INITIATION: e, ee, se, psk, {}. */
int wg_noise_create_response(struct wg_handshake *hs,
			     struct wg_msg_response *dst, uint32_t local_index);
/*
 * The caller found hs by src->receiver_index. Requires CREATED_INITIATION.
 * On success CONSUMED_RESPONSE; on failure hs is unchanged.
 */
int wg_noise_consume_response(struct wg_handshake *hs,
			      const struct wg_noise_identity *id,
			      const struct wg_msg_response *src);

/*
 * From CREATED_RESPONSE or CONSUMED_RESPONSE: derives the transport keys
 * and wipes the in-flight handshake state.
 */
int wg_noise_derive_keypair(struct wg_handshake *hs, struct wg_noise_keypair *kp,
			    uint64_t now_ns);

/*
 * The current TAI64N time, its nanoseconds rounded down to a power of two
 * below 1/INITIATIONS_PER_SECOND so it leaks no fine timing (as Linux).
 */
void wg_tai64n_now(uint8_t out[NOISE_TIMESTAMP_LEN]);

#endif /* WG_NOISE_H */
