/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Transport data messages (whitepaper section 5.4.6):
 *
 *   type (le32 4) | receiver index (le32) | counter (le64) |
 *   AEAD(key, counter, padded plaintext, no associated data) | 16-byte tag
 *
 * The AEAD is ChaCha20-Poly1305 (RFC 8439) with the nonce 32 zero bits
 * followed by the little-endian 64-bit counter. Neither the receiver index
 * nor the counter is associated data: the counter is bound through the
 * nonce, the index only selects the key.
 */
#include <limits.h>
#include <string.h>

#include <sodium.h>

#include "transport.h"

static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == NOISE_SYMMETRIC_KEY_LEN,
	      "ChaCha20-Poly1305 key size");
static_assert(crypto_aead_chacha20poly1305_ietf_ABYTES == NOISE_AUTHTAG_LEN,
	      "ChaCha20-Poly1305 tag size");
static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12,
	      "ChaCha20-Poly1305 IETF nonce size");

/* n rounded up to MESSAGE_PADDING_MULTIPLE; n itself if that would wrap. */
static size_t
align_padding(size_t n)
{
	if (n > SIZE_MAX - (MESSAGE_PADDING_MULTIPLE - 1))
		return n;
	return (n + MESSAGE_PADDING_MULTIPLE - 1) &
	       ~(size_t)(MESSAGE_PADDING_MULTIPLE - 1);
}

static void
transport_nonce(uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES],
		uint64_t counter)
{
	uint64_t le = wg_le64(counter);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, sizeof(le));
}

/*
 * As Linux calculate_skb_padding(): pad up to a multiple of 16 but never past
 * the MTU. A packet longer than the MTU is padded as if it were its last
 * MTU-sized unit (len % mtu), which keeps the subtraction from underflowing.
 * mtu 0 means "unknown": pad to the multiple of 16 alone.
 */
size_t
wg_transport_padded_len(size_t plain_len, size_t mtu)
{
	size_t last_unit = plain_len, padded;

	if (mtu == 0)
		return align_padding(plain_len);
	if (last_unit > mtu)
		last_unit %= mtu;
	padded = align_padding(last_unit);
	if (padded > mtu)
		padded = mtu;
	return plain_len + (padded - last_unit);
}

/*
 * plain may be NULL when plain_len is 0, and may also point into out (for
 * instance at out + sizeof(struct wg_msg_data), to seal in place): it is
 * moved, not copied.
 */
size_t
wg_transport_seal(uint8_t *out, size_t out_size, uint32_t receiver_index,
		  uint64_t counter, const uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
		  const uint8_t *plain, size_t plain_len, size_t mtu)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	size_t padded = wg_transport_padded_len(plain_len, mtu);
	struct wg_msg_data hdr;
	uint8_t *payload;

	if (out == NULL || (plain == NULL && plain_len != 0) || padded < plain_len ||
	    out_size < MESSAGE_MINIMUM_LENGTH ||
	    out_size - MESSAGE_MINIMUM_LENGTH < padded)
		return 0;

	hdr.header.type = wg_le32(MESSAGE_DATA);
	hdr.key_idx = wg_le32(receiver_index);
	hdr.counter = wg_le64(counter);
	payload = out + sizeof(hdr);
	if (plain_len != 0)
		memmove(payload, plain, plain_len);
	memcpy(out, &hdr, sizeof(hdr));
	memset(payload + plain_len, 0, padded - plain_len);

	transport_nonce(nonce, counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(payload,
		payload + padded, NULL, payload, padded, NULL, 0, NULL, nonce, key);
	return wg_message_data_len(padded);
}

/*
 * The type must read as le32 4 (reserved bytes zero), as wg_message_type()
 * has it. libsodium checks the tag before it decrypts, so a forged message
 * is never turned into plaintext; payload and tag are wiped on a failed
 * check all the same, so that after a -1 the caller finds zeros there and
 * nothing it might mistake for data.
 */
long
wg_transport_open(uint8_t *msg, size_t len,
		  const uint8_t key[NOISE_SYMMETRIC_KEY_LEN], uint64_t *counter)
{
	uint8_t nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	struct wg_msg_data hdr;
	uint8_t *payload;
	size_t clen;

	if (msg == NULL || wg_message_type(msg, len) != MESSAGE_DATA)
		return -1;
	clen = len - MESSAGE_MINIMUM_LENGTH;
	if (clen > LONG_MAX)
		return -1;
	payload = msg + sizeof(hdr);

	memcpy(&hdr, msg, sizeof(hdr));
	transport_nonce(nonce, wg_le64(hdr.counter));
	if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(payload, NULL,
			payload, clen, payload + clen, NULL, 0, nonce, key) != 0) {
		sodium_memzero(payload, clen + NOISE_AUTHTAG_LEN);
		return -1;
	}
	if (counter != NULL)
		*counter = wg_le64(hdr.counter);
	return (long)clen;
}
