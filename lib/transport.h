/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Transport data messages over byte buffers, with libsodium's
 * ChaCha20-Poly1305 (IETF, 96-bit nonce = 32 zero bits || le64 counter).
 * This is the reference path: the dataplane batches the same construction
 * through intel-ipsec-mb and is tested against this one.
 */
#ifndef WG_TRANSPORT_H
#define WG_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "messages.h"

/* Plaintext length once zero-padded to a multiple of 16 (never past mtu). */
size_t wg_transport_padded_len(size_t plain_len, size_t mtu);

/*
 * Builds a complete data message in out (header, sealed padded payload, tag)
 * and returns its length, or 0 if out_size is too small. plain may be NULL
 * when plain_len is 0 (a keepalive).
 */
size_t wg_transport_seal(uint8_t *out, size_t out_size, uint32_t receiver_index,
			 uint64_t counter, const uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
			 const uint8_t *plain, size_t plain_len, size_t mtu);

/*
 * Opens a data message in place: on success returns the padded plaintext
 * length (0 for a keepalive) with the plaintext at msg->encrypted_data, and
 * the counter in *counter; returns -1 if the message is short or forged.
 * The caller checks the replay window only after this succeeds.
 */
long wg_transport_open(uint8_t *msg, size_t len,
		       const uint8_t key[NOISE_SYMMETRIC_KEY_LEN], uint64_t *counter);

#endif /* WG_TRANSPORT_H */
