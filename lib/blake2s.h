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
/* Writes s->outlen bytes and wipes the state. */
void wg_blake2s_final(struct wg_blake2s_state *s, uint8_t *out);

/* One-shot: out = BLAKE2s(key, in) of outlen bytes. */
void wg_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
		const void *key, size_t keylen);

/* HMAC-BLAKE2s (RFC 2104 over BLAKE2s-256, 64-byte block). */
void wg_blake2s_hmac(uint8_t out[BLAKE2S_HASH_SIZE], const void *in,
		     size_t inlen, const void *key, size_t keylen);

#endif /* WG_BLAKE2S_H */
