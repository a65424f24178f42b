/* SPDX-License-Identifier: GPL-2.0-only */
#include <string.h>

#include <sodium.h>

#include "blake2s.h"
#include "kdf.h"

void
wg_kdf(uint8_t first[NOISE_HASH_LEN], uint8_t second[NOISE_HASH_LEN],
       uint8_t third[NOISE_HASH_LEN], const uint8_t *data, size_t data_len,
       const uint8_t chaining_key[NOISE_HASH_LEN])
{
	uint8_t secret[BLAKE2S_HASH_SIZE];
	uint8_t out[BLAKE2S_HASH_SIZE + 1];

	/* Extract: secret = HMAC(chaining_key, data). */
	wg_blake2s_hmac(secret, data, data_len, chaining_key, NOISE_HASH_LEN);

	/* Expand: tau1 = HMAC(secret, 0x1). */
	out[0] = 1;
	wg_blake2s_hmac(out, out, 1, secret, BLAKE2S_HASH_SIZE);
	if (first != NULL)
		memcpy(first, out, BLAKE2S_HASH_SIZE);
	if (second == NULL && third == NULL)
		goto out;

	/* tau2 = HMAC(secret, tau1 || 0x2). */
	out[BLAKE2S_HASH_SIZE] = 2;
	wg_blake2s_hmac(out, out, BLAKE2S_HASH_SIZE + 1, secret, BLAKE2S_HASH_SIZE);
	if (second != NULL)
		memcpy(second, out, BLAKE2S_HASH_SIZE);
	if (third == NULL)
		goto out;

	/* tau3 = HMAC(secret, tau2 || 0x3). */
	out[BLAKE2S_HASH_SIZE] = 3;
	wg_blake2s_hmac(out, out, BLAKE2S_HASH_SIZE + 1, secret, BLAKE2S_HASH_SIZE);
	memcpy(third, out, BLAKE2S_HASH_SIZE);
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(out, sizeof(out));
}
