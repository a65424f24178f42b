/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The whitepaper's HKDF over HMAC-BLAKE2s:
 *   tau0 = HMAC(key, input); tau1 = HMAC(tau0, 0x1);
 *   tau2 = HMAC(tau0, tau1 || 0x2); tau3 = HMAC(tau0, tau2 || 0x3)
 * KDF1/KDF2/KDF3 return tau1, (tau1, tau2), (tau1, tau2, tau3).
 */
#ifndef WG_KDF_H
#define WG_KDF_H

#include <stddef.h>
#include <stdint.h>

#include "messages.h"

/*
 * Any of first/second/third may be NULL when not wanted; outputs may alias
 * the chaining key that is passed as key. All intermediates are wiped.
 */
void wg_kdf(uint8_t first[NOISE_HASH_LEN], uint8_t second[NOISE_HASH_LEN],
	    uint8_t third[NOISE_HASH_LEN], const uint8_t *data, size_t data_len,
	    const uint8_t chaining_key[NOISE_HASH_LEN]);

#endif /* WG_KDF_H */
