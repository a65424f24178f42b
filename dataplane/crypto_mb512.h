/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Multi-buffer ChaCha20-Poly1305 (RFC 8439 AEAD, no associated data) for
 * AVX-512F/BW with IFMA: up to 16 packets side by side, one per 32-bit lane
 * of a zmm register for ChaCha20 and one per 64-bit lane for Poly1305 (two
 * registers' worth). The lane layout is explained in crypto_mb512.c.
 *
 * Same contract as crypto.h's bursts (in place, nonce 4 zero bytes ||
 * le64(counter), a failed open zeroes its data and leaves its tag), and
 * byte-identical to libsodium's crypto_aead_chacha20poly1305_ietf_*. Only
 * call the bursts where wg_mb512_supported() is true.
 */
#ifndef WG_DP_CRYPTO_MB512_H
#define WG_DP_CRYPTO_MB512_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto.h"

enum { WG_MB512_LANES = 16 };

/* AVX-512F, BW and IFMA, and an OS that saves the zmm registers. */
bool wg_mb512_supported(void);

void wg_mb512_seal_burst(struct wg_crypto_op *ops, uint16_t n);
/* ok[i] = 1 if op i authenticated; returns how many did. */
uint16_t wg_mb512_open_burst(struct wg_crypto_op *ops, uint16_t n, uint8_t *ok);

/*
 * The general RFC 8439 AEAD, for the published vectors: op i also has
 * associated data x[i].aad (x[i].aad_len bytes) and a 96-bit nonce whose
 * first 4 bytes are le32(x[i].nonce0) (WireGuard's are zero) and whose last
 * 8 are le64(op->counter).
 */
struct wg_mb512_aad {
	const uint8_t *aad;
	uint32_t aad_len;
	uint32_t nonce0;
};
void wg_mb512_seal_aead(struct wg_crypto_op *ops, const struct wg_mb512_aad *x,
			uint16_t n);
uint16_t wg_mb512_open_aead(struct wg_crypto_op *ops, const struct wg_mb512_aad *x,
			    uint16_t n, uint8_t *ok);

#endif /* WG_DP_CRYPTO_MB512_H */
