/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Curve25519 keys and their text encodings.
 *
 * The encoders and decoders never branch on, nor index a table with, a key
 * byte or a character of an encoded key: every character class is computed
 * with masks built from the sign bit of a subtraction (the technique of
 * wireguard-tools' encoding.c). Validity is accumulated over the whole input
 * and looked at only once, after the last character.
 */
#include <string.h>

#include <sodium.h>

#include "keys.h"

/* All-ones if lo <= c <= hi, else 0; c, lo, hi in [0, 255]. */
static inline uint32_t
ct_in_range(uint32_t c, uint32_t lo, uint32_t hi)
{
	/* Each difference lies in [-256, 255]: its bit 31 is the sign. */
	uint32_t ge_lo = ((lo - 1) - c) >> 31;
	uint32_t le_hi = (c - (hi + 1)) >> 31;

	return -(ge_lo & le_hi);
}

/* All-ones if v > k, else 0; v, k in [0, 255]. */
static inline uint32_t
ct_gt(uint32_t v, uint32_t k)
{
	return -((k - v) >> 31);
}

/* One 6-bit value to its base64 character (RFC 4648 alphabet). */
static inline char
b64_char(uint32_t v)
{
	uint32_t c = v + 'A';

	c += ct_gt(v, 25) & 6;			/* 26..51 -> 'a'..'z' */
	c -= ct_gt(v, 51) & 75;			/* 52..61 -> '0'..'9' */
	c -= ct_gt(v, 61) & 15;			/* 62 -> '+' */
	c += ct_gt(v, 62) & 3;			/* 63 -> '/' */
	return (char)c;
}

/*
 * One base64 character to its 6-bit value; *err gets all-ones ORed in if the
 * character is outside the alphabet.
 */
static inline uint32_t
b64_value(char ch, uint32_t *err)
{
	uint32_t c = (unsigned char)ch;
	uint32_t upper = ct_in_range(c, 'A', 'Z');
	uint32_t lower = ct_in_range(c, 'a', 'z');
	uint32_t digit = ct_in_range(c, '0', '9');
	uint32_t plus = ct_in_range(c, '+', '+');
	uint32_t slash = ct_in_range(c, '/', '/');

	*err |= ~(upper | lower | digit | plus | slash);
	return (upper & (c - 'A')) | (lower & (c - 'a' + 26)) |
	       (digit & (c - '0' + 52)) | (plus & 62) | (slash & 63);
}

/* Three bytes to four characters. */
static void
b64_encode_group(char dst[4], const uint8_t src[3])
{
	uint32_t v = (uint32_t)src[0] << 16 | (uint32_t)src[1] << 8 | src[2];

	dst[0] = b64_char((v >> 18) & 63);
	dst[1] = b64_char((v >> 12) & 63);
	dst[2] = b64_char((v >> 6) & 63);
	dst[3] = b64_char(v & 63);
}

/* Four characters to 24 bits; errors ORed into *err. */
static uint32_t
b64_decode_group(const char src[4], uint32_t *err)
{
	return b64_value(src[0], err) << 18 | b64_value(src[1], err) << 12 |
	       b64_value(src[2], err) << 6 | b64_value(src[3], err);
}

/* One nibble to its lowercase hex character. */
static inline char
hex_char(uint32_t n)
{
	return (char)(n + '0' + (ct_gt(n, 9) & ('a' - '0' - 10)));
}

/* One hex character (either case) to its nibble; errors ORed into *err. */
static inline uint32_t
hex_value(char ch, uint32_t *err)
{
	uint32_t c = (unsigned char)ch;
	uint32_t digit = ct_in_range(c, '0', '9');
	uint32_t lower = ct_in_range(c, 'a', 'f');
	uint32_t upper = ct_in_range(c, 'A', 'F');

	*err |= ~(digit | lower | upper);
	return (digit & (c - '0')) | (lower & (c - 'a' + 10)) |
	       (upper & (c - 'A' + 10));
}

int
wg_crypto_init(void)
{
	/* 1 means "already initialised", which is fine. */
	return sodium_init() < 0 ? -1 : 0;
}

void
wg_key_generate_private(uint8_t priv[WG_KEY_LEN])
{
	randombytes_buf(priv, WG_KEY_LEN);
	/* Curve25519 clamping (RFC 7748 section 5). */
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
}

void
wg_key_generate_preshared(uint8_t psk[WG_KEY_LEN])
{
	randombytes_buf(psk, WG_KEY_LEN);
}

int
wg_key_public_from_private(uint8_t pub[WG_KEY_LEN],
			   const uint8_t priv[WG_KEY_LEN])
{
	/* As Linux curve25519_generate_public(): a zero secret is no key. */
	if (wg_key_is_zero(priv))
		return -1;
	/* libsodium clamps the scalar itself. */
	if (crypto_scalarmult_base(pub, priv) != 0 || wg_key_is_zero(pub)) {
		sodium_memzero(pub, WG_KEY_LEN);
		return -1;
	}
	return 0;
}

void
wg_key_to_base64(char out[WG_KEY_B64_LEN + 1], const uint8_t key[WG_KEY_LEN])
{
	uint8_t last[3];
	unsigned int i;

	for (i = 0; i < WG_KEY_LEN / 3; i++)
		b64_encode_group(&out[i * 4], &key[i * 3]);
	/* 32 = 10 * 3 + 2: the last group carries two bytes and one '='. */
	last[0] = key[i * 3];
	last[1] = key[i * 3 + 1];
	last[2] = 0;
	b64_encode_group(&out[i * 4], last);
	out[WG_KEY_B64_LEN - 1] = '=';
	out[WG_KEY_B64_LEN] = '\0';
	sodium_memzero(last, sizeof(last));
}

int
wg_key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64)
{
	uint32_t err = 0, v;
	char last[4];
	unsigned int i;

	if (b64 == NULL || strnlen(b64, WG_KEY_B64_LEN + 1) != WG_KEY_B64_LEN)
		return -1;
	for (i = 0; i < WG_KEY_LEN / 3; i++) {
		v = b64_decode_group(&b64[i * 4], &err);
		key[i * 3] = (uint8_t)(v >> 16);
		key[i * 3 + 1] = (uint8_t)(v >> 8);
		key[i * 3 + 2] = (uint8_t)v;
	}
	/* "xyz=": decode "xyzA" so the unused low 2 bits of z land in v & 0xff. */
	memcpy(last, &b64[i * 4], 3);
	last[3] = 'A';
	v = b64_decode_group(last, &err);
	err |= v & 0xff;				/* non-canonical */
	err |= (unsigned char)b64[WG_KEY_B64_LEN - 1] ^ '=';
	key[i * 3] = (uint8_t)(v >> 16);
	key[i * 3 + 1] = (uint8_t)(v >> 8);
	sodium_memzero(&v, sizeof(v));
	sodium_memzero(last, sizeof(last));
	if (err != 0) {
		sodium_memzero(key, WG_KEY_LEN);
		return -1;
	}
	return 0;
}

void
wg_key_to_hex(char out[WG_KEY_HEX_LEN + 1], const uint8_t key[WG_KEY_LEN])
{
	unsigned int i;

	for (i = 0; i < WG_KEY_LEN; i++) {
		out[i * 2] = hex_char(key[i] >> 4);
		out[i * 2 + 1] = hex_char(key[i] & 0xf);
	}
	out[WG_KEY_HEX_LEN] = '\0';
}

int
wg_key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex)
{
	uint32_t err = 0;
	unsigned int i;

	if (hex == NULL || strnlen(hex, WG_KEY_HEX_LEN + 1) != WG_KEY_HEX_LEN)
		return -1;
	for (i = 0; i < WG_KEY_LEN; i++)
		key[i] = (uint8_t)(hex_value(hex[i * 2], &err) << 4 |
				   hex_value(hex[i * 2 + 1], &err));
	if (err != 0) {
		sodium_memzero(key, WG_KEY_LEN);
		return -1;
	}
	return 0;
}

bool
wg_key_is_zero(const uint8_t key[WG_KEY_LEN])
{
	return sodium_is_zero(key, WG_KEY_LEN) == 1;
}

bool
wg_key_equal(const uint8_t a[WG_KEY_LEN], const uint8_t b[WG_KEY_LEN])
{
	return sodium_memcmp(a, b, WG_KEY_LEN) == 0;
}

void
wg_memzero(void *p, size_t len)
{
	sodium_memzero(p, len);
}
