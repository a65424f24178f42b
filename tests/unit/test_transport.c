/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Transport data messages: a known answer computed with another
 * ChaCha20-Poly1305 implementation (OpenSSL), byte-for-byte agreement with a
 * naive reference built straight on libsodium's combined AEAD, round trips
 * over every length and around the MTU, and every forgery rejected with
 * nothing of the payload left behind.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "keys.h"
#include "transport.h"

#define BUF_SIZE 4096
#define HDR_LEN 16
#define TAG_LEN 16

static void
setup(void)
{
	cr_assert_eq(wg_crypto_init(), 0);
}

TestSuite(transport, .init = setup);

static void
test_key(uint8_t key[NOISE_SYMMETRIC_KEY_LEN])
{
	int i;

	for (i = 0; i < NOISE_SYMMETRIC_KEY_LEN; i++)
		key[i] = (uint8_t)(0x80 + i);
}

static bool
is_all_zero(const uint8_t *p, size_t len)
{
	while (len-- > 0)
		if (*p++ != 0)
			return false;
	return true;
}

/* Padding, spelled out as calculate_skb_padding() in Linux send.c reads. */
static size_t
ref_padding(size_t len, size_t mtu)
{
	size_t unit, p;

	if (mtu == 0) {
		for (p = len; p % 16 != 0; p++)
			;
		return p - len;
	}
	unit = len > mtu ? len % mtu : len;
	for (p = unit; p % 16 != 0 && p < mtu; p++)
		;
	return p - unit;
}

/* A data message built byte by byte, with the combined (not detached) AEAD. */
static size_t
ref_seal(uint8_t *out, uint32_t idx, uint64_t ctr, const uint8_t *key,
	 const uint8_t *plain, size_t len, size_t mtu)
{
	size_t padded = len + ref_padding(len, mtu);
	uint8_t nonce[12] = { 0 };
	unsigned long long clen;
	uint8_t *buf = calloc(1, padded + 1);
	int i;

	cr_assert_not_null(buf);
	if (len != 0)
		memcpy(buf, plain, len);
	memset(out, 0, HDR_LEN);
	out[0] = MESSAGE_DATA;
	for (i = 0; i < 4; i++)
		out[4 + i] = (uint8_t)(idx >> (8 * i));
	for (i = 0; i < 8; i++) {
		out[8 + i] = (uint8_t)(ctr >> (8 * i));
		nonce[4 + i] = (uint8_t)(ctr >> (8 * i));
	}
	cr_assert_eq(crypto_aead_chacha20poly1305_ietf_encrypt(out + HDR_LEN,
		&clen, buf, padded, NULL, 0, NULL, nonce, key), 0);
	free(buf);
	return HDR_LEN + (size_t)clen;
}

/* Seals, checks against the reference, opens, checks what came out. */
static void
check_round_trip(size_t len, size_t mtu, uint64_t ctr)
{
	static uint8_t plain[BUF_SIZE], msg[BUF_SIZE], ref[BUF_SIZE];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	size_t n, padded = wg_transport_padded_len(len, mtu);
	uint64_t got_ctr = 0;
	long opened;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(plain, len);
	cr_assert_eq(padded, len + ref_padding(len, mtu), "len %zu mtu %zu", len, mtu);
	n = wg_transport_seal(msg, sizeof(msg), (uint32_t)len, ctr, key, plain,
			      len, mtu);
	cr_assert_eq(n, wg_message_data_len(padded), "len %zu mtu %zu", len, mtu);
	cr_assert_eq(ref_seal(ref, (uint32_t)len, ctr, key, plain, len, mtu), n);
	cr_assert(memcmp(msg, ref, n) == 0, "bytes differ: len %zu mtu %zu", len, mtu);

	opened = wg_transport_open(msg, n, key, &got_ctr);
	cr_assert_eq(opened, (long)padded, "len %zu mtu %zu", len, mtu);
	cr_assert_eq(got_ctr, ctr);
	cr_assert(memcmp(msg + HDR_LEN, plain, len) == 0, "len %zu", len);
	cr_assert(is_all_zero(msg + HDR_LEN + len, padded - len), "padding not zero");
}

/* Computed with OpenSSL (Python cryptography's ChaCha20Poly1305). */
Test(transport, known_answer_independent_implementation)
{
	static const char plain[] = "wgedge transport known-answer vector!";
	static const char want_hex[] =
		"04000000efbeadde0807060504030201"
		"83d68bdf37bf7ba951d01ff87e1817ab"
		"d3183a844544becf65430ffb176bff07"
		"e7125bc79cfe746c7c9f01ca3a64f45f"
		"2e76b999b74308d4b9a47d4ba657f486";
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], msg[128], want[80];
	uint64_t ctr = 0;
	size_t n;

	test_key(key);
	cr_assert_eq(sodium_hex2bin(want, sizeof(want), want_hex,
				    strlen(want_hex), NULL, &n, NULL), 0);
	cr_assert_eq(n, sizeof(want));
	n = wg_transport_seal(msg, sizeof(msg), 0xdeadbeef, 0x0102030405060708ULL,
			      key, (const uint8_t *)plain, strlen(plain), 1420);
	cr_assert_eq(n, sizeof(want));
	cr_assert(memcmp(msg, want, n) == 0, "sealed bytes differ from the vector");

	cr_assert_eq(wg_transport_open(msg, n, key, &ctr), 48);
	cr_assert_eq(ctr, 0x0102030405060708ULL);
	cr_assert(memcmp(msg + HDR_LEN, plain, strlen(plain)) == 0);
	cr_assert(is_all_zero(msg + HDR_LEN + strlen(plain), 48 - strlen(plain)));
}

Test(transport, keepalive_is_32_bytes)
{
	static const char want_hex[] =
		"04000000010000000000000000000000"
		"3ae5d3f2a376d317eaea5aef0215ba54";
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], msg[64], want[32];
	uint64_t ctr = 99;
	size_t n;

	test_key(key);
	cr_assert_eq(sodium_hex2bin(want, sizeof(want), want_hex,
				    strlen(want_hex), NULL, &n, NULL), 0);
	n = wg_transport_seal(msg, sizeof(msg), 1, 0, key, NULL, 0, 1420);
	cr_assert_eq(n, MESSAGE_MINIMUM_LENGTH);
	cr_assert(memcmp(msg, want, n) == 0, "keepalive differs from the vector");
	cr_assert_eq(wg_transport_open(msg, n, key, &ctr), 0);
	cr_assert_eq(ctr, 0);
}

Test(transport, padded_len_table)
{
	static const struct {
		size_t len, mtu, want;
	} t[] = {
		{ 0, 1420, 0 }, { 1, 1420, 16 }, { 15, 1420, 16 }, { 16, 1420, 16 },
		{ 17, 1420, 32 }, { 1404, 1420, 1408 }, { 1408, 1420, 1408 },
		{ 1409, 1420, 1420 }, { 1419, 1420, 1420 }, { 1420, 1420, 1420 },
		/* Longer than the MTU: the remainder past it is padded. */
		{ 1421, 1420, 1436 }, { 1436, 1420, 1436 }, { 1437, 1420, 1452 },
		{ 2840, 1420, 2840 }, { 2841, 1420, 2856 },
		{ 1280, 1280, 1280 }, { 1279, 1280, 1280 }, { 1265, 1280, 1280 },
		{ 1, 1, 1 }, { 2, 1, 2 }, { 3, 15, 15 }, { 15, 15, 15 },
		{ 16, 15, 30 }, { 14, 17, 16 }, { 17, 17, 17 },
		/* mtu 0: no MTU known, the multiple of 16 alone. */
		{ 0, 0, 0 }, { 1, 0, 16 }, { 1500, 0, 1504 }, { 9000, 0, 9008 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_assert_eq(wg_transport_padded_len(t[i].len, t[i].mtu), t[i].want,
			     "len %zu mtu %zu", t[i].len, t[i].mtu);
}

Test(transport, round_trip_every_length)
{
	size_t len;

	for (len = 0; len <= 1500; len++) {
		check_round_trip(len, 1420, len * 0x9e3779b97f4a7c15ULL);
		cr_assert_leq(wg_transport_padded_len(len, 1420),
			      len > 1420 ? len + 15 : 1420);
	}
}

Test(transport, round_trip_around_the_mtu)
{
	static const size_t mtus[] = { 1, 15, 16, 17, 576, 1279, 1280, 1419,
				       1420, 1421, 1440, 1500 };
	size_t i, len, lo, mtu;

	for (i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		mtu = mtus[i];
		lo = mtu > 20 ? mtu - 20 : 0;
		for (len = lo; len <= mtu + 20; len++)
			check_round_trip(len, mtu, UINT64_MAX - len);
		check_round_trip(2 * mtu, mtu, 7);
		check_round_trip(2 * mtu + 1, mtu, 7);
		/* Never past the MTU, and either aligned or exactly the MTU. */
		for (len = 0; len <= mtu; len++) {
			size_t p = wg_transport_padded_len(len, mtu);

			cr_assert(p <= mtu && p >= len && (p % 16 == 0 || p == mtu),
				  "len %zu mtu %zu padded %zu", len, mtu, p);
		}
	}
}

Test(transport, counter_and_index_are_little_endian)
{
	static const uint64_t ctrs[] = { 0, 1, 0xff, 0x100, 0x0102030405060708ULL,
					 REJECT_AFTER_MESSAGES, UINT64_MAX };
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], msg[64];
	uint64_t got;
	size_t i, n;
	int b;

	test_key(key);
	for (i = 0; i < sizeof(ctrs) / sizeof(ctrs[0]); i++) {
		n = wg_transport_seal(msg, sizeof(msg), 0x11223344, ctrs[i], key,
				      (const uint8_t *)"x", 1, 1420);
		cr_assert_eq(n, 48);
		cr_assert_eq(msg[0], 4);
		cr_assert(is_all_zero(msg + 1, 3));
		cr_assert(msg[4] == 0x44 && msg[5] == 0x33 && msg[6] == 0x22 &&
			  msg[7] == 0x11);
		for (b = 0; b < 8; b++)
			cr_assert_eq(msg[8 + b], (uint8_t)(ctrs[i] >> (8 * b)));
		cr_assert_eq(wg_transport_open(msg, n, key, &got), 16);
		cr_assert_eq(got, ctrs[i]);
	}
}

/* Seals a fixed 100-byte message into msg and returns its length. */
static size_t
sample_message(uint8_t *msg, size_t size, uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
	       uint8_t plain[100])
{
	int i;

	test_key(key);
	for (i = 0; i < 100; i++)
		plain[i] = (uint8_t)(i * 7 + 1);
	return wg_transport_seal(msg, size, 0x01020304, 1000, key, plain, 100,
				 1420);
}

/*
 * The counter is bound through the nonce and the payload by the tag, so a
 * flipped bit anywhere from byte 8 on is a forgery: rejected, and the payload
 * area holds zeros, not plaintext, afterwards.
 */
Test(transport, every_authenticated_bit_flip_rejected)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], plain[100], good[256], msg[256];
	size_t n = sample_message(good, sizeof(good), key, plain), bit;
	uint64_t ctr = 42;

	cr_assert_eq(n, 16 + 112 + 16);
	for (bit = 8 * 8; bit < n * 8; bit++) {
		memcpy(msg, good, n);
		msg[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		cr_assert_eq(wg_transport_open(msg, n, key, &ctr), -1, "bit %zu", bit);
		cr_assert(is_all_zero(msg + HDR_LEN, n - HDR_LEN),
			  "payload left behind after bit %zu", bit);
		cr_assert_eq(ctr, 42, "counter written on failure");
	}
}

/* Any type or reserved bit set makes it not a data message. */
Test(transport, every_type_bit_flip_rejected)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], plain[100], good[256], msg[256];
	size_t n = sample_message(good, sizeof(good), key, plain), bit;

	for (bit = 0; bit < 32; bit++) {
		memcpy(msg, good, n);
		msg[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		cr_assert_eq(wg_transport_open(msg, n, key, NULL), -1, "bit %zu", bit);
		cr_assert(memcmp(msg + HDR_LEN, plain, 100) != 0);
	}
}

/*
 * The receiver index is not associated data in WireGuard: it only picks the
 * key. A flipped index bit therefore still opens (the dataplane would have
 * looked up some other keypair, whose key then fails).
 */
Test(transport, receiver_index_is_not_authenticated)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], plain[100], good[256], msg[256];
	size_t n = sample_message(good, sizeof(good), key, plain), bit;

	for (bit = 32; bit < 64; bit++) {
		memcpy(msg, good, n);
		msg[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		cr_assert_eq(wg_transport_open(msg, n, key, NULL), 112, "bit %zu", bit);
		cr_assert(memcmp(msg + HDR_LEN, plain, 100) == 0);
	}
}

Test(transport, truncated_or_extended_rejected)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], plain[100], good[256], msg[256];
	size_t n = sample_message(good, sizeof(good), key, plain), len;

	for (len = 0; len < n; len++) {
		memcpy(msg, good, n);
		cr_assert_eq(wg_transport_open(msg, len, key, NULL), -1, "len %zu", len);
		cr_assert(memcmp(msg + HDR_LEN, plain, 100) != 0,
			  "plaintext left behind at len %zu", len);
	}
	for (len = n + 1; len < n + 17; len++) {
		memcpy(msg, good, n);
		memset(msg + n, 0, len - n);
		cr_assert_eq(wg_transport_open(msg, len, key, NULL), -1, "len %zu", len);
	}
	cr_assert_eq(wg_transport_open(NULL, 32, key, NULL), -1);
}

Test(transport, wrong_key_rejected)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], plain[100], msg[256];
	size_t n = sample_message(msg, sizeof(msg), key, plain);

	key[31] ^= 1;
	cr_assert_eq(wg_transport_open(msg, n, key, NULL), -1);
	cr_assert(is_all_zero(msg + HDR_LEN, n - HDR_LEN));
}

/* Too small a buffer: nothing sealed and nothing written past out_size. */
Test(transport, short_output_buffer)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], plain[100], msg[256];
	size_t need, size;

	test_key(key);
	memset(plain, 0x5a, sizeof(plain));
	need = wg_message_data_len(wg_transport_padded_len(100, 1420));
	for (size = 0; size < need; size++) {
		memset(msg, 0xee, sizeof(msg));
		cr_assert_eq(wg_transport_seal(msg, size, 1, 2, key, plain, 100,
					       1420), 0, "size %zu", size);
		cr_assert_eq(msg[size], 0xee, "wrote past out_size %zu", size);
	}
	memset(msg, 0xee, sizeof(msg));
	cr_assert_eq(wg_transport_seal(msg, need, 1, 2, key, plain, 100, 1420), need);
	cr_assert_eq(msg[need], 0xee);
	cr_assert_eq(wg_transport_seal(msg, sizeof(msg), 1, 2, key, NULL, 1, 1420), 0);
}

Test(transport, seal_in_place_matches_copy)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], plain[1000], a[1100], b[1100];
	size_t na, nb;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(plain, sizeof(plain));
	na = wg_transport_seal(a, sizeof(a), 9, 10, key, plain, 999, 1420);
	memcpy(b + HDR_LEN, plain, 999);
	nb = wg_transport_seal(b, sizeof(b), 9, 10, key, b + HDR_LEN, 999, 1420);
	cr_assert_eq(na, 16 + 1008 + 16);
	cr_assert_eq(na, nb);
	cr_assert(memcmp(a, b, na) == 0);
}
