/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BLAKE2s (RFC 7693), keyed and unkeyed, and HMAC-BLAKE2s as the WireGuard
 * whitepaper uses it. libsodium has BLAKE2b only, so this one primitive lives
 * here; it is checked against RFC 7693 Appendix E and the BLAKE2s KAT.
 */
#ifndef WG_BLAKE2S_H
#define WG_BLAKE2S_H

#include <stddef.h>
#include <stdint.h>

enum blake2s_lengths {
	BLAKE2S_BLOCK_SIZE = 64,
	BLAKE2S_HASH_SIZE = 32,
	BLAKE2S_KEY_SIZE = 32
};

struct wg_blake2s_state {
	uint32_t h[8];
	uint32_t t[2];
	uint32_t f[2];
	uint8_t buf[BLAKE2S_BLOCK_SIZE];
	unsigned int buflen;
	unsigned int outlen;
};

/* outlen in [1, 32]; keylen in [0, 32] (0: unkeyed). */
void wg_blake2s_init(struct wg_blake2s_state *s, size_t outlen);
void wg_blake2s_init_key(struct wg_blake2s_state *s, size_t outlen,
			 const void *key, size_t keylen);
void wg_blake2s_update(struct wg_blake2s_state *s, const void *in, size_t inlen);
/*
 * As wg_blake2s_init_key(), and the key block is compressed at once: a state
 * to copy and continue for every message under one key, saving one
 * compression per message (mac1 checks). BLAKE2s compresses the key block
 * as the last block when the message is empty, and that block is no longer
 * pending here: the message must be at least one byte long, or final()
 * gives a wrong digest. With keylen 0 this is wg_blake2s_init().
 */
void wg_blake2s_init_key_compressed(struct wg_blake2s_state *s, size_t outlen,
				    const void *key, size_t keylen);
/* Writes s->outlen bytes and wipes the state. */
void wg_blake2s_final(struct wg_blake2s_state *s, uint8_t *out);

/* One-shot: out = BLAKE2s(key, in) of outlen bytes. */
void wg_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
		const void *key, size_t keylen);

/*
 * n messages of one length inlen continue the same state pre (copied, not
 * changed): out + i * pre->outlen receives the digest of pre continued
 * with in[i] and finalised, for each i < n. Groups of messages are hashed
 * side by side, one per SIMD lane, when pre has nothing pending (fresh from
 * wg_blake2s_init() or wg_blake2s_init_key_compressed()) and inlen > 0;
 * otherwise, and for the few left over, one after the other.
 */
void wg_blake2s_many(uint8_t *out, const struct wg_blake2s_state *pre,
		     const uint8_t *const in[], size_t inlen, unsigned int n);

/*
 * How wg_blake2s_many() hashes: the scalar code one message after the
 * other (any CPU), or 8 messages side by side in AVX2 or AVX-512VL
 * registers (x86-64 CPUs that have them). The best one this CPU runs is
 * chosen when the program starts; all give the same digests. Choosing is
 * for tests and measurements, while no other thread hashes.
 */
enum wg_blake2s_many_impl {
	WG_BLAKE2S_MANY_SCALAR,
	WG_BLAKE2S_MANY_AVX2,
	WG_BLAKE2S_MANY_AVX512,
	WG_BLAKE2S_MANY_IMPLS
};

/* 0 if impl is now used; -1 (nothing changed) if this CPU cannot run it. */
int wg_blake2s_many_select(enum wg_blake2s_many_impl impl);

/* HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256, 64-byte block). */
void wg_blake2s_hmac(uint8_t out[BLAKE2S_HASH_SIZE], const void *in,
		     size_t inlen, const void *key, size_t keylen);

#endif /* WG_BLAKE2S_H */
