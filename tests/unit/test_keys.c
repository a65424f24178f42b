/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keys: RFC 7748 vectors, encodings checked against libsodium's own
 * (variable-time, independent) base64 and hex codecs, and every kind of
 * malformed text rejected with no partial key left behind.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "keys.h"

#define ROUNDS 1000

/* RFC 7748 section 6.1: Alice's and Bob's X25519 key pairs. */
static const char alice_priv_hex[] =
	"77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char alice_pub_hex[] =
	"8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
static const char alice_pub_b64[] =
	"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
static const char bob_priv_hex[] =
	"5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
static const char bob_priv_b64[] =
	"XasIfmJKikt54X+Lg4AO5m87sSkmGLb9HC+LJ/+I4Os=";
static const char bob_pub_hex[] =
	"de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
static const char bob_pub_b64[] =
	"3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";

/* Characters outside both alphabets, including '=' and high-bit bytes. */
static const char not_b64[] = "-_=.,:;@[]`{}~ !\"#$%&'()*<>?\\^|\t\n\x7f\x80\xbf\xff";
static const char not_hex[] = "gGzZ/:@`[{-+=. \x80\xff";

static void
setup(void)
{
	cr_assert_eq(wg_crypto_init(), 0);
}

TestSuite(keys, .init = setup);

/* libsodium's hex decoder, as the independent reference. */
static void
ref_from_hex(uint8_t key[WG_KEY_LEN], const char *hex)
{
	size_t n = 0;

	cr_assert_eq(sodium_hex2bin(key, WG_KEY_LEN, hex, strlen(hex), NULL,
				    &n, NULL), 0);
	cr_assert_eq(n, WG_KEY_LEN);
}

static bool
is_all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* Decoding fails and leaves no partial key behind. */
static void
assert_b64_rejected(const char *text, const char *what, int pos)
{
	uint8_t key[WG_KEY_LEN];

	memset(key, 0xa5, sizeof(key));
	cr_assert_eq(wg_key_from_base64(key, text), -1,
		     "base64 accepted: %s (position %d)", what, pos);
	cr_assert(is_all_zero(key, sizeof(key)) ||
		  (key[0] == 0xa5 && key[31] == 0xa5 &&
		   !memcmp(key, key + 1, sizeof(key) - 1)),
		  "partial key left after rejecting %s", what);
}

static void
assert_hex_rejected(const char *text, const char *what, int pos)
{
	uint8_t key[WG_KEY_LEN];

	memset(key, 0xa5, sizeof(key));
	cr_assert_eq(wg_key_from_hex(key, text), -1,
		     "hex accepted: %s (position %d)", what, pos);
	cr_assert(is_all_zero(key, sizeof(key)) ||
		  (key[0] == 0xa5 && key[31] == 0xa5 &&
		   !memcmp(key, key + 1, sizeof(key) - 1)),
		  "partial key left after rejecting %s", what);
}

Test(keys, rfc7748_public_keys)
{
	static const struct {
		const char *priv_hex, *pub_hex, *pub_b64;
	} v[] = {
		{ alice_priv_hex, alice_pub_hex, alice_pub_b64 },
		{ bob_priv_hex, bob_pub_hex, bob_pub_b64 },
	};
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN], want[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN + 1], hex[WG_KEY_HEX_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cr_assert_eq(wg_key_from_hex(priv, v[i].priv_hex), 0);
		ref_from_hex(want, v[i].pub_hex);
		/* The RFC scalars are unclamped: derivation must clamp. */
		cr_assert_eq(wg_key_public_from_private(pub, priv), 0);
		cr_assert(wg_key_equal(pub, want), "vector %zu: wrong public key", i);
		wg_key_to_hex(hex, pub);
		cr_assert_str_eq(hex, v[i].pub_hex);
		wg_key_to_base64(b64, pub);
		cr_assert_str_eq(b64, v[i].pub_b64);
	}
}

Test(keys, rfc7748_base64_decodes)
{
	uint8_t key[WG_KEY_LEN], want[WG_KEY_LEN];

	cr_assert_eq(wg_key_from_base64(key, bob_priv_b64), 0);
	ref_from_hex(want, bob_priv_hex);
	cr_assert(wg_key_equal(key, want));
	cr_assert_eq(wg_key_from_base64(key, alice_pub_b64), 0);
	ref_from_hex(want, alice_pub_hex);
	cr_assert(wg_key_equal(key, want));
}

Test(keys, derivation_ignores_clamped_bits)
{
	uint8_t priv[WG_KEY_LEN], clamped[WG_KEY_LEN];
	uint8_t pub1[WG_KEY_LEN], pub2[WG_KEY_LEN];
	int i;

	for (i = 0; i < 64; i++) {
		randombytes_buf(priv, sizeof(priv));
		memcpy(clamped, priv, sizeof(priv));
		clamped[0] &= 248;
		clamped[31] = (clamped[31] & 127) | 64;
		cr_assert_eq(wg_key_public_from_private(pub1, priv), 0);
		cr_assert_eq(wg_key_public_from_private(pub2, clamped), 0);
		cr_assert(wg_key_equal(pub1, pub2));
	}
}

Test(keys, zero_private_key_rejected)
{
	uint8_t priv[WG_KEY_LEN] = { 0 }, pub[WG_KEY_LEN];

	memset(pub, 0xa5, sizeof(pub));
	cr_assert_eq(wg_key_public_from_private(pub, priv), -1);
}

Test(keys, generated_private_keys_are_clamped_and_distinct)
{
	uint8_t prev[WG_KEY_LEN] = { 0 }, priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		wg_key_generate_private(priv);
		cr_assert_eq(priv[0] & 7, 0);
		cr_assert_eq(priv[31] & 0xc0, 0x40);
		cr_assert(!wg_key_equal(priv, prev));
		cr_assert_eq(wg_key_public_from_private(pub, priv), 0);
		cr_assert(!wg_key_is_zero(pub));
		memcpy(prev, priv, sizeof(prev));
	}
}

Test(keys, generated_preshared_keys_are_unclamped_and_distinct)
{
	uint8_t a[WG_KEY_LEN], b[WG_KEY_LEN];
	unsigned int low_bits = 0, high_bits = 0;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		wg_key_generate_preshared(a);
		wg_key_generate_preshared(b);
		cr_assert(!wg_key_equal(a, b));
		low_bits |= a[0] & 7;
		high_bits |= a[31] & 0x80;
	}
	/* Clamping a PSK would throw away entropy: these bits must occur. */
	cr_assert_eq(low_bits, 7);
	cr_assert_eq(high_bits, 0x80);
}

Test(keys, base64_round_trip_matches_libsodium)
{
	char ours[WG_KEY_B64_LEN + 1], ref[WG_KEY_B64_LEN + 1];
	uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		randombytes_buf(key, sizeof(key));
		memset(ours, 'x', sizeof(ours));
		wg_key_to_base64(ours, key);
		sodium_bin2base64(ref, sizeof(ref), key, sizeof(key),
				  sodium_base64_VARIANT_ORIGINAL);
		cr_assert_eq(strlen(ours), WG_KEY_B64_LEN);
		cr_assert_str_eq(ours, ref);
		cr_assert_eq(wg_key_from_base64(back, ours), 0);
		cr_assert(wg_key_equal(back, key));
	}
}

Test(keys, base64_edge_keys)
{
	static const uint8_t fill[] = { 0x00, 0xff, 0x80, 0x7f, 0x3e, 0xfb };
	char ours[WG_KEY_B64_LEN + 1], ref[WG_KEY_B64_LEN + 1];
	uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
	size_t i;

	for (i = 0; i < sizeof(fill); i++) {
		memset(key, fill[i], sizeof(key));
		wg_key_to_base64(ours, key);
		sodium_bin2base64(ref, sizeof(ref), key, sizeof(key),
				  sodium_base64_VARIANT_ORIGINAL);
		cr_assert_str_eq(ours, ref);
		cr_assert_eq(wg_key_from_base64(back, ours), 0);
		cr_assert(wg_key_equal(back, key));
	}
}

Test(keys, hex_round_trip_matches_libsodium)
{
	char ours[WG_KEY_HEX_LEN + 1], ref[WG_KEY_HEX_LEN + 1];
	uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
	int i;

	for (i = 0; i < ROUNDS; i++) {
		randombytes_buf(key, sizeof(key));
		wg_key_to_hex(ours, key);
		sodium_bin2hex(ref, sizeof(ref), key, sizeof(key));
		cr_assert_eq(strlen(ours), WG_KEY_HEX_LEN);
		cr_assert_str_eq(ours, ref);
		cr_assert_eq(wg_key_from_hex(back, ours), 0);
		cr_assert(wg_key_equal(back, key));
	}
}

Test(keys, hex_accepts_upper_and_mixed_case)
{
	char text[WG_KEY_HEX_LEN + 1], mixed[WG_KEY_HEX_LEN + 1];
	uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
	int i, j;

	for (i = 0; i < ROUNDS; i++) {
		randombytes_buf(key, sizeof(key));
		wg_key_to_hex(text, key);
		for (j = 0; j < WG_KEY_HEX_LEN; j++)
			mixed[j] = (i + j) % 2 ? text[j] :
				   (char)toupper((unsigned char)text[j]);
		mixed[WG_KEY_HEX_LEN] = '\0';
		cr_assert_eq(wg_key_from_hex(back, mixed), 0);
		cr_assert(wg_key_equal(back, key));
		for (j = 0; j < WG_KEY_HEX_LEN; j++)
			mixed[j] = (char)toupper((unsigned char)text[j]);
		cr_assert_eq(wg_key_from_hex(back, mixed), 0);
		cr_assert(wg_key_equal(back, key));
	}
}

Test(keys, base64_wrong_length_rejected)
{
	char text[64];
	size_t n;

	assert_b64_rejected("", "empty", 0);
	cr_assert_eq(wg_key_from_base64((uint8_t[WG_KEY_LEN]){ 0 }, NULL), -1);
	for (n = 1; n < sizeof(text) - 1; n++) {
		if (n == WG_KEY_B64_LEN)
			continue;
		/* A valid key, cut short or with valid characters appended. */
		memset(text, 'A', sizeof(text));
		memcpy(text, alice_pub_b64,
		       n < WG_KEY_B64_LEN ? n : WG_KEY_B64_LEN);
		text[n] = '\0';
		assert_b64_rejected(text, "wrong length", (int)n);
	}
	/* 43 characters: the '=' left off. */
	memcpy(text, alice_pub_b64, WG_KEY_B64_LEN - 1);
	text[WG_KEY_B64_LEN - 1] = '\0';
	assert_b64_rejected(text, "missing '='", WG_KEY_B64_LEN - 1);
	/* 45 characters: a second '='. */
	snprintf(text, sizeof(text), "%s=", alice_pub_b64);
	assert_b64_rejected(text, "extra '='", WG_KEY_B64_LEN);
}

Test(keys, base64_bad_character_at_each_position_rejected)
{
	char text[WG_KEY_B64_LEN + 1];
	size_t pos, k;

	for (pos = 0; pos < WG_KEY_B64_LEN - 1; pos++) {
		for (k = 0; k < sizeof(not_b64) - 1; k++) {
			memcpy(text, alice_pub_b64, sizeof(text));
			text[pos] = not_b64[k];
			assert_b64_rejected(text, "bad character", (int)pos);
		}
	}
}

Test(keys, base64_last_must_be_padding)
{
	char text[WG_KEY_B64_LEN + 1];
	const char *c;

	for (c = "AQgw+/=-."; *c != '\0'; c++) {
		if (*c == '=')
			continue;
		memcpy(text, alice_pub_b64, sizeof(text));
		text[WG_KEY_B64_LEN - 1] = *c;
		assert_b64_rejected(text, "no trailing '='", WG_KEY_B64_LEN - 1);
	}
}

/*
 * The character before '=' carries 6 bits of which only the top 4 belong to
 * the key: any of the 64 with a low bit set is a non-canonical encoding.
 */
Test(keys, base64_noncanonical_last_character_rejected)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char text[WG_KEY_B64_LEN + 1], again[WG_KEY_B64_LEN + 1];
	uint8_t key[WG_KEY_LEN];
	int v, accepted = 0;

	for (v = 0; v < 64; v++) {
		memcpy(text, alice_pub_b64, sizeof(text));
		text[WG_KEY_B64_LEN - 2] = alphabet[v];
		if (v & 3) {
			assert_b64_rejected(text, "non-canonical", v);
			continue;
		}
		cr_assert_eq(wg_key_from_base64(key, text), 0, "value %d", v);
		wg_key_to_base64(again, key);
		cr_assert_str_eq(again, text);
		accepted++;
	}
	cr_assert_eq(accepted, 16);
}

Test(keys, hex_wrong_length_rejected)
{
	char text[WG_KEY_HEX_LEN + 8];
	size_t n;

	assert_hex_rejected("", "empty", 0);
	cr_assert_eq(wg_key_from_hex((uint8_t[WG_KEY_LEN]){ 0 }, NULL), -1);
	for (n = 1; n < sizeof(text) - 1; n++) {
		if (n == WG_KEY_HEX_LEN)
			continue;
		memset(text, '0', sizeof(text));
		memcpy(text, alice_pub_hex, n < WG_KEY_HEX_LEN ? n : WG_KEY_HEX_LEN);
		text[n] = '\0';
		assert_hex_rejected(text, "wrong length", (int)n);
	}
}

Test(keys, hex_bad_character_at_each_position_rejected)
{
	char text[WG_KEY_HEX_LEN + 1];
	size_t pos, k;

	for (pos = 0; pos < WG_KEY_HEX_LEN; pos++) {
		for (k = 0; k < sizeof(not_hex) - 1; k++) {
			memcpy(text, alice_pub_hex, sizeof(text));
			text[pos] = not_hex[k];
			assert_hex_rejected(text, "bad character", (int)pos);
		}
	}
}

/* Every byte value, both cases, against libsodium's decoder. */
Test(keys, hex_every_byte_value)
{
	char text[WG_KEY_HEX_LEN + 1];
	uint8_t key[WG_KEY_LEN], want[WG_KEY_LEN];
	unsigned int b, i;

	for (b = 0; b < 256; b++) {
		for (i = 0; i < WG_KEY_LEN; i++)
			snprintf(&text[i * 2], 3, i % 2 ? "%02x" : "%02X",
				 (b + i) & 0xff);
		ref_from_hex(want, text);
		cr_assert_eq(wg_key_from_hex(key, text), 0);
		cr_assert(wg_key_equal(key, want), "byte %u", b);
	}
}

Test(keys, is_zero_and_equal)
{
	uint8_t a[WG_KEY_LEN], b[WG_KEY_LEN];
	int bit;

	memset(a, 0, sizeof(a));
	cr_assert(wg_key_is_zero(a));
	randombytes_buf(a, sizeof(a));
	memcpy(b, a, sizeof(b));
	cr_assert(wg_key_equal(a, b));
	/* A difference in any single bit is seen, wherever it is. */
	for (bit = 0; bit < WG_KEY_LEN * 8; bit++) {
		b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		cr_assert(!wg_key_equal(a, b), "bit %d", bit);
		b[bit / 8] ^= (uint8_t)(1 << (bit % 8));
		memset(a, 0, sizeof(a));
		a[bit / 8] = (uint8_t)(1 << (bit % 8));
		cr_assert(!wg_key_is_zero(a), "bit %d", bit);
		memcpy(a, b, sizeof(a));
	}
}

Test(keys, memzero_wipes)
{
	uint8_t buf[100];

	memset(buf, 0xa5, sizeof(buf));
	wg_memzero(buf + 10, 50);
	cr_assert(is_all_zero(buf + 10, 50));
	cr_assert_eq(buf[9], 0xa5);
	cr_assert_eq(buf[60], 0xa5);
}
