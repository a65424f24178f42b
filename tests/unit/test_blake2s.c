/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BLAKE2s against RFC 7693 (the "abc" vector and the Appendix E self-test
 * grand hash), the official keyed KAT (key 00..1f, input 00..n-1), and
 * HMAC-BLAKE2s against values computed independently with Python's hashlib
 * and hmac modules (hmac.new(key, msg, hashlib.blake2s)). The unrolled
 * compression against a naive one on random inputs; pre-keyed states and
 * the lanes of wg_blake2s_many() (every impl the CPU runs) against the
 * one-shot and one-at-a-time results.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

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

/*
 * A deliberately naive BLAKE2s, written from RFC 7693 section 3 as it
 * reads: SIGMA as a table, G on indices into v, the whole input (padded
 * key block first) laid out in one buffer and cut into blocks. Slow and
 * obvious, for comparison with the unrolled library code.
 */
static const uint8_t ref_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static const uint32_t ref_iv[8] = {
	0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
	0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19
};

static uint32_t
ref_rotr(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void
ref_g(uint32_t v[16], int a, int b, int c, int d, uint32_t x, uint32_t y)
{
	v[a] = v[a] + v[b] + x;
	v[d] = ref_rotr(v[d] ^ v[a], 16);
	v[c] = v[c] + v[d];
	v[b] = ref_rotr(v[b] ^ v[c], 12);
	v[a] = v[a] + v[b] + y;
	v[d] = ref_rotr(v[d] ^ v[a], 8);
	v[c] = v[c] + v[d];
	v[b] = ref_rotr(v[b] ^ v[c], 7);
}

/* RFC 7693 3.2 F(h, m, t, f). */
static void
ref_compress(uint32_t h[8], const uint8_t block[64], uint64_t t, bool last)
{
	uint32_t v[16], m[16];
	const uint8_t *s;
	int i, r;

	for (i = 0; i < 16; i++)
		m[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
		       (uint32_t)block[4 * i + 2] << 16 |
		       (uint32_t)block[4 * i + 3] << 24;
	for (i = 0; i < 8; i++) {
		v[i] = h[i];
		v[i + 8] = ref_iv[i];
	}
	v[12] ^= (uint32_t)t;
	v[13] ^= (uint32_t)(t >> 32);
	if (last)
		v[14] = ~v[14];
	for (r = 0; r < 10; r++) {
		s = ref_sigma[r];
		ref_g(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
		ref_g(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
		ref_g(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
		ref_g(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
		ref_g(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
		ref_g(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
		ref_g(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
		ref_g(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
	}
	for (i = 0; i < 8; i++)
		h[i] ^= v[i] ^ v[i + 8];
}

/* RFC 7693 3.3 BLAKE2(d, ll, kk, nn) over key block || in. */
static void
ref_blake2s(uint8_t *out, size_t outlen, const uint8_t *in, size_t inlen,
	    const uint8_t *key, size_t keylen)
{
	size_t total = (keylen > 0 ? 64 : 0) + inlen, nblocks, i;
	uint8_t *d = calloc(total + 64, 1);
	uint32_t h[8];

	cr_assert_not_null(d);
	if (keylen > 0)
		memcpy(d, key, keylen);
	memcpy(d + total - inlen, in, inlen);
	nblocks = total == 0 ? 1 : (total + 63) / 64;
	memcpy(h, ref_iv, sizeof(h));
	h[0] ^= 0x01010000 ^ (uint32_t)(keylen << 8) ^ (uint32_t)outlen;
	for (i = 0; i + 1 < nblocks; i++)
		ref_compress(h, d + 64 * i, 64 * (i + 1), false);
	ref_compress(h, d + 64 * i, total, true);
	for (i = 0; i < outlen; i++)
		out[i] = (uint8_t)(h[i / 4] >> (8 * (i % 4)));
	free(d);
}

/* The reference itself against RFC 7693 Appendix B and the keyed KAT. */
Test(blake2s, naive_reference_gives_the_rfc_vectors)
{
	uint8_t key[32], in[64], out[32];
	size_t i;

	ref_blake2s(out, 32, (const uint8_t *)"abc", 3, NULL, 0);
	assert_hex(out, 32,
		   "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
	for (i = 0; i < sizeof(key); i++)
		key[i] = i;
	for (i = 0; i < sizeof(in); i++)
		in[i] = i;
	ref_blake2s(out, 32, in, 64, key, 32);
	assert_hex(out, 32, keyed_kat[4].hash);
}

/* Deterministic pseudo-random bytes: the same seed, the same bytes. */
static void
prng_fill(void *buf, size_t len, uint32_t seed)
{
	uint8_t s[randombytes_SEEDBYTES] = { 0 };

	cr_assert(sodium_init() >= 0);
	memcpy(s, &seed, sizeof(seed));
	randombytes_buf_deterministic(buf, len, s);
}

/* Random keys, digest sizes and inputs up to 17 blocks, many times over. */
Test(blake2s, unrolled_compress_matches_naive_reference)
{
	uint8_t in[1100], key[32], want[32], got[32];
	uint32_t seed, pick[3];
	size_t inlen, keylen, outlen;

	for (seed = 1; seed <= 3000; seed++) {
		prng_fill(pick, sizeof(pick), seed);
		inlen = pick[0] % (seed % 4 == 0 ? sizeof(in) + 1 : 300);
		keylen = pick[1] % 33;
		outlen = 1 + pick[2] % 32;
		prng_fill(in, inlen, seed + 1000000);
		prng_fill(key, keylen, seed + 2000000);
		ref_blake2s(want, outlen, in, inlen, key, keylen);
		wg_blake2s(got, outlen, in, inlen, keylen > 0 ? key : NULL, keylen);
		cr_assert_arr_eq(got, want, outlen,
				 "seed %u: in %zu key %zu out %zu", seed, inlen,
				 keylen, outlen);
	}
}

static const size_t prekey_lens[] = { 1, 16, 31, 32 };

/* Pre-keyed then continued equals the one-shot keyed hash, any length. */
Test(blake2s, key_compressed_state_equals_oneshot)
{
	uint8_t in[300], key[32], want[32], got[32];
	struct wg_blake2s_state pre, s;
	size_t k, len, outlen;

	prng_fill(in, sizeof(in), 7);
	for (k = 0; k < sizeof(prekey_lens) / sizeof(prekey_lens[0]); k++) {
		prng_fill(key, sizeof(key), 100 + k);
		for (outlen = 16; outlen <= 32; outlen += 16) {
			wg_blake2s_init_key_compressed(&pre, outlen, key,
						       prekey_lens[k]);
			/* One state serves every message, copied each time. */
			for (len = 1; len <= sizeof(in); len++) {
				wg_blake2s(want, outlen, in, len, key, prekey_lens[k]);
				s = pre;
				wg_blake2s_update(&s, in, len / 3);
				wg_blake2s_update(&s, in + len / 3, len - len / 3);
				wg_blake2s_final(&s, got);
				cr_assert_arr_eq(got, want, outlen,
						 "key %zu out %zu len %zu",
						 prekey_lens[k], outlen, len);
			}
		}
	}
}

/* Without a key nothing is compressed ahead: the empty message works. */
Test(blake2s, key_compressed_without_key_is_plain_init)
{
	struct wg_blake2s_state a, b;
	uint8_t out[32];

	wg_blake2s_init_key_compressed(&a, 32, NULL, 0);
	wg_blake2s_init(&b, 32);
	cr_assert_arr_eq(&a, &b, sizeof(a));
	wg_blake2s_final(&a, out);
	assert_hex(out, 32,
		   "69217a3079908094e11121d042354a7c1f55b6482ca1a51e1b250dfd1ed0eef9");
}

static bool
cpu_runs(enum wg_blake2s_many_impl impl)
{
	switch (impl) {
	case WG_BLAKE2S_MANY_SCALAR:
		return true;
#if defined(__x86_64__)
	case WG_BLAKE2S_MANY_AVX2:
		return __builtin_cpu_supports("avx2");
	case WG_BLAKE2S_MANY_AVX512:
		return __builtin_cpu_supports("avx512f") &&
		       __builtin_cpu_supports("avx512vl");
#endif
	default:
		return false;
	}
}

/* Every impl this CPU has can be chosen, and nothing else. */
Test(blake2s, many_select_takes_what_the_cpu_runs)
{
	int impl;

	for (impl = 0; impl < WG_BLAKE2S_MANY_IMPLS; impl++)
		cr_assert_eq(wg_blake2s_many_select(impl) == 0, cpu_runs(impl),
			     "impl %d", impl);
	cr_assert_eq(wg_blake2s_many_select(WG_BLAKE2S_MANY_IMPLS), -1);
	cr_assert_eq(wg_blake2s_many_select(-1), -1);
}

enum { MANY_MAX = 19, MANY_LEN_MAX = 300 };

/*
 * n messages of len bytes, each in its own allocation of exactly len bytes
 * (so that ASan sees a read past one), continuing pre through
 * wg_blake2s_many(), against each continued one at a time. pre must not
 * change, and nothing past the n digests is written.
 */
static void
check_many(const struct wg_blake2s_state *pre, size_t len, unsigned int n,
	   uint32_t seed)
{
	uint8_t out[(MANY_MAX + 1) * 32], want[32];
	const uint8_t *in[MANY_MAX];
	uint8_t *msg[MANY_MAX];
	struct wg_blake2s_state keep = *pre, s;
	size_t outlen = pre->outlen;
	unsigned int i;

	for (i = 0; i < n; i++) {
		msg[i] = malloc(len > 0 ? len : 1);
		cr_assert_not_null(msg[i]);
		prng_fill(msg[i], len, seed + i);
		in[i] = msg[i];
	}
	memset(out, 0xa5, sizeof(out));
	wg_blake2s_many(out, pre, in, len, n);
	cr_assert_arr_eq(pre, &keep, sizeof(keep));
	for (i = 0; i < n; i++) {
		s = *pre;
		wg_blake2s_update(&s, in[i], len);
		wg_blake2s_final(&s, want);
		cr_assert_arr_eq(out + i * outlen, want, outlen,
				 "len %zu n %u lane %u", len, n, i);
	}
	for (i = n * outlen; i < sizeof(out); i++)
		cr_assert_eq(out[i], 0xa5, "written past the digests");
	for (i = 0; i < n; i++)
		free(msg[i]);
}

static const unsigned int many_counts[] = { 0, 1, 2, 3, 4, 7, 8, 9, 16, 19 };

/* Every impl, every length 1..300, counts around the 8 lanes. */
Test(blake2s, many_equals_one_at_a_time_pre_keyed)
{
	struct wg_blake2s_state pre;
	uint8_t key[32];
	size_t len, c;
	int impl;

	prng_fill(key, sizeof(key), 42);
	wg_blake2s_init_key_compressed(&pre, 16, key, sizeof(key));
	for (impl = 0; impl < WG_BLAKE2S_MANY_IMPLS; impl++) {
		if (wg_blake2s_many_select(impl) != 0)
			continue;
		for (len = 1; len <= MANY_LEN_MAX; len++)
			for (c = 0; c < sizeof(many_counts) / sizeof(many_counts[0]); c++)
				check_many(&pre, len, many_counts[c], (uint32_t)len);
	}
}

/*
 * Other states: unkeyed (t starts at 0), a short key and a full digest,
 * a keyed state whose key block is still pending and an empty message
 * (both done one at a time), a state already holding message bytes.
 */
Test(blake2s, many_equals_one_at_a_time_other_states)
{
	static const size_t lens[] = { 0, 1, 55, 64, 65, 128, 129, 300 };
	struct wg_blake2s_state pre[4];
	uint8_t key[32];
	size_t l, c, k;
	int impl;

	prng_fill(key, sizeof(key), 43);
	wg_blake2s_init(&pre[0], 32);
	wg_blake2s_init_key_compressed(&pre[1], 32, key, 5);
	wg_blake2s_init_key(&pre[2], 20, key, 32);
	wg_blake2s_init(&pre[3], 32);
	wg_blake2s_update(&pre[3], key, 10);
	for (impl = 0; impl < WG_BLAKE2S_MANY_IMPLS; impl++) {
		if (wg_blake2s_many_select(impl) != 0)
			continue;
		for (k = 0; k < 4; k++)
			for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
				for (c = 0; c < sizeof(many_counts) / sizeof(many_counts[0]); c++) {
					if (lens[l] == 0 && k == 1)
						continue;	/* outside the contract */
					check_many(&pre[k], lens[l], many_counts[c],
						   (uint32_t)(k * 1000 + lens[l]));
				}
	}
}
