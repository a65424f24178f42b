/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BLAKE2s against RFC 7693 (the "abc" vector and the Appendix E self-test
 * grand hash), the official keyed KAT (key 00..1f, input 00..n-1), and
 * HMAC-BLAKE2s against values computed independently with Python's hashlib
 * and hmac modules (hmac.new(key, msg, hashlib.blake2s)).
 */
#include <string.h>

#include <criterion/criterion.h>

#include "blake2s.h"
#include "hexutil.h"

static void
assert_hex(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[64];

	cr_assert_eq(test_unhex(want, sizeof(want), hex), len);
	cr_assert_arr_eq(got, want, len);
}

Test(blake2s, rfc7693_abc)
{
	uint8_t out[32];

	wg_blake2s(out, 32, "abc", 3, NULL, 0);
	assert_hex(out, 32,
		   "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
}

/* RFC 7693 Appendix E: deterministic inputs, all digest/key/input sizes. */
static void
selftest_seq(uint8_t *out, size_t len, uint32_t seed)
{
	uint32_t t, a = 0xDEAD4BAD * seed, b = 1;
	size_t i;

	for (i = 0; i < len; i++) {
		t = a + b;
		a = b;
		b = t;
		out[i] = t >> 24;
	}
}

Test(blake2s, rfc7693_selftest_grand_hash)
{
	static const size_t md_len[] = { 16, 20, 28, 32 };
	static const size_t in_len[] = { 0, 3, 64, 65, 255, 1024 };
	struct wg_blake2s_state grand;
	uint8_t in[1024], md[32], key[32];
	size_t i, j;

	wg_blake2s_init(&grand, 32);
	for (i = 0; i < 4; i++) {
		for (j = 0; j < 6; j++) {
			selftest_seq(in, in_len[j], in_len[j]);
			wg_blake2s(md, md_len[i], in, in_len[j], NULL, 0);
			wg_blake2s_update(&grand, md, md_len[i]);
			selftest_seq(key, md_len[i], md_len[i]);
			wg_blake2s(md, md_len[i], in, in_len[j], key, md_len[i]);
			wg_blake2s_update(&grand, md, md_len[i]);
		}
	}
	wg_blake2s_final(&grand, md);
	assert_hex(md, 32,
		   "6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
}

static const struct {
	size_t len;
	const char *hash;
} keyed_kat[] = {
	{ 0, "48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49" },
	{ 1, "40d15fee7c328830166ac3f918650f807e7e01e177258cdc0a39b11f598066f1" },
	{ 2, "6bb71300644cd3991b26ccd4d274acd1adeab8b1d7914546c1198bbe9fc9d803" },
	{ 63, "c65382513f07460da39833cb666c5ed82e61b9e998f4b0c4287cee56c3cc9bcd" },
	{ 64, "8975b0577fd35566d750b362b0897a26c399136df07bababbde6203ff2954ed4" },
	{ 65, "21fe0ceb0052be7fb0f004187cacd7de67fa6eb0938d927677f2398c132317a8" },
	{ 127, "ddbfea75cc467882eb3483ce5e2e756a4f4701b76b445519e89f22d60fa86e06" },
	{ 128, "0c311f38c35a4fb90d651c289d486856cd1413df9b0677f53ece2cd9e477c60a" },
	{ 129, "46a73a8dd3e70f59d3942c01df599def783c9da82fd83222cd662b53dce7dbdf" },
	{ 255, "3fb735061abc519dfe979e54c1ee5bfad0a9d858b3315bad34bde999efd724dd" },
};

Test(blake2s, keyed_kat)
{
	uint8_t key[32], in[256], out[32];
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = i;
	for (i = 0; i < sizeof(in); i++)
		in[i] = i;
	for (i = 0; i < sizeof(keyed_kat) / sizeof(keyed_kat[0]); i++) {
		wg_blake2s(out, 32, in, keyed_kat[i].len, key, 32);
		assert_hex(out, 32, keyed_kat[i].hash);
	}
}

/* Any split of the input into update() calls gives the one-shot digest. */
Test(blake2s, incremental_equals_oneshot)
{
	uint8_t in[300], key[32], want[32], got[32];
	size_t len, a, b;

	for (a = 0; a < sizeof(in); a++)
		in[a] = a * 31 + 7;
	for (a = 0; a < sizeof(key); a++)
		key[a] = a ^ 0x5a;
	for (len = 0; len <= sizeof(in); len += 37) {
		wg_blake2s(want, 32, in, len, key, 32);
		for (a = 0; a <= len; a += 13) {
			for (b = a; b <= len; b += 29) {
				struct wg_blake2s_state s;

				wg_blake2s_init_key(&s, 32, key, 32);
				wg_blake2s_update(&s, in, a);
				wg_blake2s_update(&s, in + a, b - a);
				wg_blake2s_update(&s, in + b, len - b);
				wg_blake2s_final(&s, got);
				cr_assert_arr_eq(got, want, 32, "len %zu split %zu/%zu",
						 len, a, b);
			}
		}
	}
}

Test(blake2s, final_wipes_state)
{
	struct wg_blake2s_state s, zero;
	uint8_t out[32];

	memset(&zero, 0, sizeof(zero));
	wg_blake2s_init_key(&s, 32, "secret key", 10);
	wg_blake2s_update(&s, "x", 1);
	wg_blake2s_final(&s, out);
	cr_assert_arr_eq(&s, &zero, sizeof(s));
}

static const struct {
	size_t keylen, msglen;
	const char *mac;
} hmac_vectors[] = {
	{ 32, 0, "6742cb7da299ece6134643a2648547e903a0069f820ce3928bbdfe0f8fdd5eb3" },
	{ 32, 1, "eb209f1c6487f8b6a4fa0ac7ad2036aa665dfc739c617471ff6146c24be88829" },
	{ 32, 33, "ca914857949c1bd7ba2e28e97d016aca8f19455d982b7be9f2e0183fa3f41539" },
	{ 65, 10, "0eed9c36646aced23976636f599747d991475399f52f94b0795ce769cbf9f9f1" },
	{ 0, 5, "8b2e780388e65f046ee392f535cef213d965d53a038ae3290c1cada39ca99e3f" },
	{ 64, 200, "58c5a1a74fc217e0e1bf779117bfa972b4f063a0297e0d119d6e4cf255808830" },
};

Test(blake2s, hmac_vectors)
{
	uint8_t key[128], msg[256], out[32];
	size_t i, j;

	for (i = 0; i < sizeof(hmac_vectors) / sizeof(hmac_vectors[0]); i++) {
		for (j = 0; j < hmac_vectors[i].keylen; j++)
			key[j] = j * 7 + 1;
		for (j = 0; j < hmac_vectors[i].msglen; j++)
			msg[j] = j * 13 + 5;
		wg_blake2s_hmac(out, msg, hmac_vectors[i].msglen, key,
				hmac_vectors[i].keylen);
		assert_hex(out, 32, hmac_vectors[i].mac);
	}
}
