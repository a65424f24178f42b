/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Curve25519 keys: generation, public-key derivation, and the base64 and hex
 * encodings used by wg(8) and the cross-platform UAPI, all in constant time
 * (no branch or table lookup depends on a key byte).
 */
#ifndef WG_KEYS_H
#define WG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "messages.h"

enum wg_key_text_lengths {
	WG_KEY_LEN = NOISE_PUBLIC_KEY_LEN,
	WG_KEY_B64_LEN = ((WG_KEY_LEN + 2) / 3) * 4,	/* 44, ends in '=' */
	WG_KEY_HEX_LEN = WG_KEY_LEN * 2			/* 64 */
};

/* Calls sodium_init(); returns 0, or -1 if libsodium cannot start. */
int wg_crypto_init(void);

/* A clamped random private key. */
void wg_key_generate_private(uint8_t priv[WG_KEY_LEN]);
/* A random symmetric (preshared) key. */
void wg_key_generate_preshared(uint8_t psk[WG_KEY_LEN]);
/* 0 on success; -1 if priv is zero or yields the all-zero point. */
int wg_key_public_from_private(uint8_t pub[WG_KEY_LEN],
			       const uint8_t priv[WG_KEY_LEN]);

/* out gets WG_KEY_B64_LEN chars plus a NUL. */
void wg_key_to_base64(char out[WG_KEY_B64_LEN + 1], const uint8_t key[WG_KEY_LEN]);
/* 0 on success, -1 on anything that is not exactly a 44-char key. */
int wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64);
/* out gets WG_KEY_HEX_LEN lowercase chars plus a NUL. */
void wg_key_to_hex(char out[WG_KEY_HEX_LEN + 1], const uint8_t key[WG_KEY_LEN]);
/* 0 on success, -1 on anything that is not exactly 64 hex chars. */
int wg_key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex);

/* Constant-time comparisons. */
bool wg_key_is_zero(const uint8_t key[WG_KEY_LEN]);
bool wg_key_equal(const uint8_t a[WG_KEY_LEN], const uint8_t b[WG_KEY_LEN]);

/* Wipes memory that held a secret; never optimised away. */
void wg_memzero(void *p, size_t len);

#endif /* WG_KEYS_H */
