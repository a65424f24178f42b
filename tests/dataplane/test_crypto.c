/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dataplane crypto backend, every arch this CPU runs (an arch it lacks
 * is skipped with the reason; on an AVX-512 machine all four must run):
 * - seal is byte-identical to libsodium's detached IETF ChaCha20-Poly1305
 *   for every length 0..1500, in bursts of mixed lengths, keys and counters,
 *   and writes nothing past data or tag; open restores the plaintext;
 * - open rejects a single flipped bit anywhere in data or tag, a wrong
 *   counter or a wrong key for that op alone, and zeroes its data;
 * - a known answer with empty AAD (RFC 8439 A.5 key, nonce and plaintext);
 * - the arch choice: AUTO's order, explicit archs the CPU lacks refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <sodium.h>

#include "crypto.h"

enum {
	MAX_LEN = 1500,
	GUARD = 16,		/* bytes checked untouched after data and tag */
	GUARD_BYTE = 0xa5,
	MAX_BURST = 160		/* more than two of the backend's chunks */
};

#define ALL_ARCHS (WG_CRYPTO_ARCH_BIT(WG_CRYPTO_AVX512) | \
		   WG_CRYPTO_ARCH_BIT(WG_CRYPTO_AVX2) | \
		   WG_CRYPTO_ARCH_BIT(WG_CRYPTO_SSE) | \
		   WG_CRYPTO_ARCH_BIT(WG_CRYPTO_SODIUM) | \
		   WG_CRYPTO_ARCH_BIT(WG_CRYPTO_MB512))

static enum wg_crypto_arch real_archs[] = {
	WG_CRYPTO_MB512, WG_CRYPTO_AVX512, WG_CRYPTO_AVX2, WG_CRYPTO_SSE,
	WG_CRYPTO_SODIUM
};

/* splitmix64 with a fixed seed: every run sees the same "random" cases. */
static uint64_t rng_state = 0x5eed0fc0ffee1234ULL;

static uint64_t
rand64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
rand_fill(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rand64();
}

static size_t
unhex(uint8_t *out, size_t cap, const char *hex)
{
	size_t n = 0;

	while (hex[0] != '\0' && hex[1] != '\0' && n < cap) {
		char b[3] = { hex[0], hex[1], '\0' };

		out[n++] = (uint8_t)strtoul(b, NULL, 16);
		hex += 2;
	}
	return n;
}

/* One packet of a burst, with libsodium's answer beside it. */
struct pkt {
	uint8_t key[WG_CRYPTO_KEY_LEN];
	uint64_t counter;
	uint32_t len;
	uint8_t plain[MAX_LEN];
	uint8_t ref_ct[MAX_LEN];
	uint8_t ref_tag[WG_CRYPTO_TAG_LEN];
	uint8_t data[MAX_LEN + GUARD];
	uint8_t tag[WG_CRYPTO_TAG_LEN + GUARD];
};

struct burst {
	uint16_t n;
	struct pkt p[MAX_BURST];
	struct wg_crypto_op ops[MAX_BURST];
	uint8_t ok[MAX_BURST];
};

static void
nonce_of(uint8_t nonce[12], uint64_t counter)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(counter >> (8 * i));
}

/* libsodium, the reference: the ciphertext and tag op p must produce. */
static void
reference_seal(struct pkt *p)
{
	uint8_t nonce[12];

	nonce_of(nonce, p->counter);
	crypto_aead_chacha20poly1305_ietf_encrypt_detached(p->ref_ct, p->ref_tag,
		NULL, p->plain, p->len, NULL, 0, NULL, nonce, p->key);
}

/* Points op i at packet i; a zero-length op gets a NULL data pointer. */
static void
burst_bind(struct burst *b)
{
	uint16_t i;

	for (i = 0; i < b->n; i++) {
		struct pkt *p = &b->p[i];

		b->ops[i] = (struct wg_crypto_op){
			.data = p->len == 0 ? NULL : p->data,
			.len = p->len,
			.tag = p->tag,
			.key = p->key,
			.counter = p->counter
		};
	}
}

/* Loads data with the plaintext (seal) or the reference ciphertext (open). */
static void
burst_load(struct burst *b, bool ciphertext)
{
	uint16_t i;

	for (i = 0; i < b->n; i++) {
		struct pkt *p = &b->p[i];

		memset(p->data, GUARD_BYTE, sizeof(p->data));
		memset(p->tag, GUARD_BYTE, sizeof(p->tag));
		memcpy(p->data, ciphertext ? p->ref_ct : p->plain, p->len);
		if (ciphertext)
			memcpy(p->tag, p->ref_tag, WG_CRYPTO_TAG_LEN);
	}
	burst_bind(b);
}

static void
assert_guards(const struct pkt *p, const char *arch, uint16_t i)
{
	for (size_t g = 0; g < GUARD; g++) {
		cr_assert_eq(p->data[p->len + g], GUARD_BYTE,
			     "%s op %u (len %u): byte after data written", arch, i, p->len);
		cr_assert_eq(p->tag[WG_CRYPTO_TAG_LEN + g], GUARD_BYTE,
			     "%s op %u (len %u): byte after tag written", arch, i, p->len);
	}
}

static const uint64_t edge_counters[] = {
	0, 1, 0xffffffffULL, 0x100000000ULL, UINT64_MAX - 1, UINT64_MAX
};

/*
 * Packet i gets a random key (or, one in three, the previous packet's: two
 * packets of one peer), a random counter (or, one in five, an edge one) and
 * random plaintext of length lens[i].
 */
static void
burst_fill(struct burst *b, const uint32_t *lens, uint16_t n)
{
	uint16_t i;

	b->n = n;
	for (i = 0; i < n; i++) {
		struct pkt *p = &b->p[i];

		if (i % 3 == 2)
			memcpy(p->key, b->p[i - 1].key, sizeof(p->key));
		else
			rand_fill(p->key, sizeof(p->key));
		if (i % 5 == 0)
			p->counter = edge_counters[rand64() % 6];
		else
			p->counter = rand64();
		p->len = lens[i];
		rand_fill(p->plain, p->len);
		reference_seal(p);
	}
}

/* Creates arch, or skips the test (saying why) when this CPU cannot run it. */
static struct wg_crypto *
create_or_skip(enum wg_crypto_arch arch)
{
	const char *name = wg_crypto_arch_name(arch);
	struct wg_crypto *c;

	if (!(wg_crypto_archs_supported() & WG_CRYPTO_ARCH_BIT(arch))) {
		errno = 0;
		cr_assert_null(wg_crypto_create(arch), "%s created on a CPU without it", name);
		cr_assert_eq(errno, ENOTSUP);
		cr_log_warn("skipped: this CPU (or OS) does not run %s", name);
		cr_skip_test("this CPU (or OS) does not run %s", name);
	}
	c = wg_crypto_create(arch);
	cr_assert_not_null(c, "%s: create failed although the CPU runs it", name);
	cr_assert_str_eq(wg_crypto_name(c), name);
	cr_assert_eq(wg_crypto_arch_of(c), arch);
	return c;
}

static void
seal_and_check(struct wg_crypto *c, struct burst *b)
{
	const char *arch = wg_crypto_name(c);
	uint16_t i;

	burst_load(b, false);
	wg_crypto_seal_burst(c, b->ops, b->n);
	for (i = 0; i < b->n; i++) {
		struct pkt *p = &b->p[i];

		cr_assert_arr_eq(p->data, p->ref_ct, p->len,
				 "%s op %u/%u (len %u): ciphertext differs from libsodium",
				 arch, i, b->n, p->len);
		cr_assert_arr_eq(p->tag, p->ref_tag, WG_CRYPTO_TAG_LEN,
				 "%s op %u/%u (len %u): tag differs from libsodium",
				 arch, i, b->n, p->len);
		assert_guards(p, arch, i);
	}
}

/* Opens what seal_and_check() left: everything authenticates. */
static void
open_and_check(struct wg_crypto *c, struct burst *b)
{
	const char *arch = wg_crypto_name(c);
	uint16_t i, good;

	burst_bind(b);
	memset(b->ok, 0xee, sizeof(b->ok));
	good = wg_crypto_open_burst(c, b->ops, b->n, b->ok);
	cr_assert_eq(good, b->n, "%s: %u of %u opened", arch, good, b->n);
	for (i = 0; i < b->n; i++) {
		struct pkt *p = &b->p[i];

		cr_assert_eq(b->ok[i], 1, "%s op %u (len %u) rejected", arch, i, p->len);
		cr_assert_arr_eq(p->data, p->plain, p->len,
				 "%s op %u (len %u): plaintext not restored", arch, i, p->len);
		assert_guards(p, arch, i);
	}
}

ParameterizedTestParameters(crypto, every_length_matches_libsodium)
{
	return cr_make_param_array(enum wg_crypto_arch, real_archs,
				   sizeof(real_archs) / sizeof(real_archs[0]));
}

/*
 * Every length 0..MAX_LEN once, shuffled so that each burst mixes short and
 * long; bursts of 1, 7, 32, 64 in turn, then one over two chunks.
 */
ParameterizedTest(enum wg_crypto_arch *arch, crypto, every_length_matches_libsodium)
{
	static const uint16_t sizes[] = { 1, 7, 32, 64, 150 };
	static uint32_t lens[MAX_LEN + 1];
	static struct burst b;
	struct wg_crypto *c = create_or_skip(*arch);
	uint32_t i, done, k;
	size_t turn = 0;

	for (i = 0; i <= MAX_LEN; i++)
		lens[i] = i;
	for (i = MAX_LEN; i > 0; i--) {
		uint32_t j = rand64() % (i + 1), t = lens[i];

		lens[i] = lens[j];
		lens[j] = t;
	}
	for (done = 0; done <= MAX_LEN; done += k) {
		k = sizes[turn++ % 5];
		if (k > MAX_LEN + 1 - done)
			k = MAX_LEN + 1 - done;
		burst_fill(&b, lens + done, (uint16_t)k);
		seal_and_check(c, &b);
		open_and_check(c, &b);
	}
	wg_crypto_destroy(c);
}

/*
 * Opens the burst (the reference ciphertexts, op v tampered with by the
 * caller) and checks that op v alone failed, with its data zeroed, and that
 * every other op authenticated and decrypted.
 */
static void
open_expect_only_v_fails(struct wg_crypto *c, struct burst *b, uint16_t v,
			 const char *what)
{
	const char *arch = wg_crypto_name(c);
	uint16_t i, good;

	memset(b->ok, 0xee, sizeof(b->ok));
	good = wg_crypto_open_burst(c, b->ops, b->n, b->ok);
	cr_assert_eq(good, b->n - 1, "%s, %s on op %u (len %u): %u of %u opened",
		     arch, what, v, b->p[v].len, good, b->n);
	for (i = 0; i < b->n; i++) {
		struct pkt *p = &b->p[i];

		if (i == v) {
			cr_assert_eq(b->ok[i], 0, "%s: %s on op %u (len %u) accepted",
				     arch, what, v, p->len);
			for (uint32_t j = 0; j < p->len; j++)
				cr_assert_eq(p->data[j], 0, "%s: %s: failed op's data not zeroed",
					     arch, what);
			continue;
		}
		cr_assert_eq(b->ok[i], 1, "%s: %s on op %u made op %u fail",
			     arch, what, v, i);
		cr_assert_arr_eq(p->data, p->plain, p->len,
				 "%s: %s on op %u garbled op %u", arch, what, v, i);
	}
}

static void
flip_and_check(struct wg_crypto *c, struct burst *b, uint16_t v, bool in_tag,
	       uint32_t bit)
{
	burst_load(b, true);
	if (in_tag)
		b->p[v].tag[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	else
		b->p[v].data[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	open_expect_only_v_fails(c, b, v, in_tag ? "tag bit flip" : "data bit flip");
}

/*
 * Every bit of the tag and of a short payload; of a long payload every bit
 * of its first and last 16 bytes and 32 random bits between.
 */
static void
flip_bits(struct wg_crypto *c, struct burst *b, uint16_t v)
{
	uint32_t len = b->p[v].len, bit;

	for (bit = 0; bit < WG_CRYPTO_TAG_LEN * 8; bit++)
		flip_and_check(c, b, v, true, bit);
	for (bit = 0; bit < len * 8; bit++) {
		if (len > 64 && bit >= 16 * 8 && bit < (len - 16) * 8)
			continue;
		flip_and_check(c, b, v, false, bit);
	}
	for (int r = 0; len > 64 && r < 32; r++)
		flip_and_check(c, b, v, false, 16 * 8 + rand64() % ((len - 32) * 8));
}

static void
wrong_nonce_or_key(struct wg_crypto *c, struct burst *b, uint16_t v)
{
	static const uint64_t counter_xor[] = {
		1, 2, 0x100000000ULL, 1ULL << 63, UINT64_MAX
	};
	size_t i;

	for (i = 0; i < sizeof(counter_xor) / sizeof(counter_xor[0]); i++) {
		burst_load(b, true);
		b->ops[v].counter ^= counter_xor[i];
		open_expect_only_v_fails(c, b, v, "wrong counter");
	}
	for (i = 0; i < WG_CRYPTO_KEY_LEN; i += 31) {
		burst_load(b, true);
		b->p[v].key[i] ^= 0x80;
		open_expect_only_v_fails(c, b, v, "key bit flip");
		b->p[v].key[i] ^= 0x80;
	}
	burst_load(b, true);
	b->ops[v].key = b->p[(v + 1) % b->n].key;
	if (memcmp(b->ops[v].key, b->p[v].key, WG_CRYPTO_KEY_LEN) != 0)
		open_expect_only_v_fails(c, b, v, "another op's key");
}

ParameterizedTestParameters(crypto, open_rejects_tampering)
{
	return cr_make_param_array(enum wg_crypto_arch, real_archs,
				   sizeof(real_archs) / sizeof(real_archs[0]));
}

ParameterizedTest(enum wg_crypto_arch *arch, crypto, open_rejects_tampering)
{
	static const uint32_t lens[] = { 0, 1, 17, 64, 65, 1420, 1500 };
	static struct burst b;
	struct wg_crypto *c = create_or_skip(*arch);
	uint16_t v;

	burst_fill(&b, lens, 7);
	for (v = 0; v < b.n; v++) {
		flip_bits(c, &b, v);
		wrong_nonce_or_key(c, &b, v);
	}
	wg_crypto_destroy(c);
}

ParameterizedTestParameters(crypto, one_bad_op_in_a_long_burst)
{
	return cr_make_param_array(enum wg_crypto_arch, real_archs,
				   sizeof(real_archs) / sizeof(real_archs[0]));
}

/* Across the backend's internal chunks, ok[] still lines up with ops[]. */
ParameterizedTest(enum wg_crypto_arch *arch, crypto, one_bad_op_in_a_long_burst)
{
	static const uint16_t victims[] = { 0, 1, 63, 64, 65, 127, 128, 149 };
	static uint32_t lens[150];
	static struct burst b;
	struct wg_crypto *c = create_or_skip(*arch);
	size_t i;

	for (i = 0; i < 150; i++)
		lens[i] = (uint32_t)(rand64() % (MAX_LEN + 1));
	burst_fill(&b, lens, 150);
	for (i = 0; i < sizeof(victims) / sizeof(victims[0]); i++) {
		uint16_t v = victims[i];

		flip_and_check(c, &b, v, true, (uint32_t)(rand64() % 128));
		if (b.p[v].len != 0)
			flip_and_check(c, &b, v, false, (uint32_t)(rand64() % (b.p[v].len * 8)));
	}
	wg_crypto_destroy(c);
}

/*
 * Known answer. RFC 8439's AEAD vectors all have AAD, which transport data
 * never has, so: the key, nonce (00000000 0102030405060708, i.e. counter
 * 0x0807060504030201) and 265-byte plaintext of RFC 8439 A.5 with empty AAD.
 * The ciphertext is A.5's own (AAD only feeds Poly1305); the tags were
 * computed with Python's cryptography (OpenSSL) ChaCha20Poly1305 and agree
 * with libsodium 1.0.18 (checked below too), which also reproduces A.5's tag
 * eead9d67... when given A.5's AAD.
 */
static const char kat_key_hex[] =
	"1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0";
static const uint64_t kat_counter = 0x0807060504030201ULL;
static const char kat_plain[] =
	"Internet-Drafts are draft documents valid for a maximum of six months "
	"and may be updated, replaced, or obsoleted by other documents at any "
	"time. It is inappropriate to use Internet-Drafts as reference material "
	"or to cite them other than as /\xe2\x80\x9cwork in progress./\xe2\x80\x9d";
static const char kat_ct_hex[] =
	"64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2"
	"4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf"
	"332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855"
	"9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4"
	"b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e"
	"af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a"
	"0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10"
	"49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29"
	"a6ad5cb4022b02709b";
static const char kat_tag_hex[] = "6e3570b1acaaf1f24f2a644f01acd12b";
static const char kat_empty_tag_hex[] = "11f42c5c33f24b70d45e8126aec859be";

ParameterizedTestParameters(crypto, known_answer_empty_aad)
{
	return cr_make_param_array(enum wg_crypto_arch, real_archs,
				   sizeof(real_archs) / sizeof(real_archs[0]));
}

ParameterizedTest(enum wg_crypto_arch *arch, crypto, known_answer_empty_aad)
{
	enum { KAT_LEN = sizeof(kat_plain) - 1 };
	uint8_t key[WG_CRYPTO_KEY_LEN], ct[KAT_LEN], tag[16], empty_tag[16];
	uint8_t data[KAT_LEN], out_tag[2][16], ok[2];
	struct wg_crypto *c = create_or_skip(*arch);
	struct wg_crypto_op ops[2] = {
		{ .data = data, .len = KAT_LEN, .tag = out_tag[0], .key = key,
		  .counter = kat_counter },
		{ .data = NULL, .len = 0, .tag = out_tag[1], .key = key,
		  .counter = kat_counter }
	};
	struct pkt *ref = calloc(1, sizeof(*ref));

	cr_assert_eq(KAT_LEN, 265);
	cr_assert_eq(unhex(key, sizeof(key), kat_key_hex), WG_CRYPTO_KEY_LEN);
	cr_assert_eq(unhex(ct, sizeof(ct), kat_ct_hex), KAT_LEN);
	unhex(tag, sizeof(tag), kat_tag_hex);
	unhex(empty_tag, sizeof(empty_tag), kat_empty_tag_hex);

	/* libsodium agrees with the vector. */
	memcpy(ref->key, key, sizeof(key));
	memcpy(ref->plain, kat_plain, KAT_LEN);
	ref->counter = kat_counter;
	ref->len = KAT_LEN;
	reference_seal(ref);
	cr_assert_arr_eq(ref->ref_ct, ct, KAT_LEN);
	cr_assert_arr_eq(ref->ref_tag, tag, 16);

	memcpy(data, kat_plain, KAT_LEN);
	wg_crypto_seal_burst(c, ops, 2);
	cr_assert_arr_eq(data, ct, KAT_LEN, "%s: ciphertext", wg_crypto_name(c));
	cr_assert_arr_eq(out_tag[0], tag, 16, "%s: tag", wg_crypto_name(c));
	cr_assert_arr_eq(out_tag[1], empty_tag, 16, "%s: empty payload tag",
			 wg_crypto_name(c));
	cr_assert_eq(wg_crypto_open_burst(c, ops, 2, ok), 2);
	cr_assert(ok[0] == 1 && ok[1] == 1);
	cr_assert_arr_eq(data, kat_plain, KAT_LEN);
	free(ref);
	wg_crypto_destroy(c);
}

/* ---- choosing the arch -------------------------------------------------- */

#define B(a) WG_CRYPTO_ARCH_BIT(WG_CRYPTO_##a)

Test(crypto, select_table)
{
	static const struct {
		enum wg_crypto_arch want;
		uint32_t avail;
		int ret;
		enum wg_crypto_arch out;
	} cases[] = {
		{ WG_CRYPTO_AUTO, ALL_ARCHS, 0, WG_CRYPTO_MB512 },
		{ WG_CRYPTO_AUTO, ALL_ARCHS & ~B(MB512), 0, WG_CRYPTO_AVX512 },
		{ WG_CRYPTO_AUTO, B(AVX2) | B(SSE) | B(SODIUM), 0, WG_CRYPTO_AVX2 },
		{ WG_CRYPTO_AUTO, B(AVX512) | B(SODIUM), 0, WG_CRYPTO_AVX512 },
		{ WG_CRYPTO_AUTO, B(SSE) | B(SODIUM), 0, WG_CRYPTO_SSE },
		{ WG_CRYPTO_AUTO, B(SODIUM), 0, WG_CRYPTO_SODIUM },
		{ WG_CRYPTO_AUTO, 0, -ENOTSUP, 0 },
		/* An explicit arch is the override: taken as is, or refused. */
		{ WG_CRYPTO_AVX512, ALL_ARCHS, 0, WG_CRYPTO_AVX512 },
		{ WG_CRYPTO_AVX512, B(AVX2) | B(SSE) | B(SODIUM), -ENOTSUP, 0 },
		{ WG_CRYPTO_AVX2, ALL_ARCHS, 0, WG_CRYPTO_AVX2 },
		{ WG_CRYPTO_AVX2, B(SSE) | B(SODIUM), -ENOTSUP, 0 },
		{ WG_CRYPTO_SSE, ALL_ARCHS, 0, WG_CRYPTO_SSE },
		{ WG_CRYPTO_SSE, B(SODIUM), -ENOTSUP, 0 },
		{ WG_CRYPTO_SODIUM, ALL_ARCHS, 0, WG_CRYPTO_SODIUM },
		{ WG_CRYPTO_SODIUM, B(SODIUM), 0, WG_CRYPTO_SODIUM },
		{ WG_CRYPTO_MB512, ALL_ARCHS, 0, WG_CRYPTO_MB512 },
		/* Without IFMA (an AVX-512 CPU before Ice Lake, or AVX2 only). */
		{ WG_CRYPTO_MB512, ALL_ARCHS & ~B(MB512), -ENOTSUP, 0 },
		{ (enum wg_crypto_arch)6, ALL_ARCHS, -EINVAL, 0 },
		{ (enum wg_crypto_arch)-1, ALL_ARCHS, -EINVAL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum wg_crypto_arch out = (enum wg_crypto_arch)77;
		int ret = wg_crypto_arch_select(cases[i].want, cases[i].avail, &out);

		cr_assert_eq(ret, cases[i].ret, "case %zu: returned %d", i, ret);
		if (ret == 0)
			cr_assert_eq(out, cases[i].out, "case %zu: chose %d", i, out);
		else
			cr_assert_eq(out, (enum wg_crypto_arch)77, "case %zu: out written", i);
	}
}

/* What intel-ipsec-mb's AVX-512 manager needs: the SKX subsets (and AES-NI). */
static bool
cpu_has_avx512_skx(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
	       __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("aes") &&
	       __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("bmi2");
}

static bool
cpu_has_ifma(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512ifma");
}

/* mb512 where the CPU has IFMA, else the AVX-512 manager. */
Test(crypto, auto_picks_the_best_avx512_backend_the_cpu_has)
{
	struct wg_crypto *c;

	if (!cpu_has_avx512_skx()) {
		cr_log_warn("skipped: this CPU has no AVX-512 (SKX subsets)");
		cr_skip_test("this CPU has no AVX-512 (SKX subsets)");
	}
	cr_assert_eq(wg_crypto_archs_supported(),
		     cpu_has_ifma() ? ALL_ARCHS : ALL_ARCHS & ~B(MB512),
		     "an AVX-512 CPU runs every arch (mb512 with IFMA)");
	c = wg_crypto_create(WG_CRYPTO_AUTO);
	cr_assert_not_null(c);
	cr_assert_str_eq(wg_crypto_name(c), cpu_has_ifma() ? "mb512" : "avx512");
	wg_crypto_destroy(c);
}

Test(crypto, sodium_always_runs)
{
	struct wg_crypto *c;

	cr_assert(wg_crypto_archs_supported() & B(SODIUM));
	c = wg_crypto_create(WG_CRYPTO_SODIUM);
	cr_assert_not_null(c);
	cr_assert_str_eq(wg_crypto_name(c), "sodium");
	wg_crypto_destroy(c);
}

Test(crypto, create_refuses_a_bad_arch)
{
	errno = 0;
	cr_assert_null(wg_crypto_create((enum wg_crypto_arch)9));
	cr_assert_eq(errno, EINVAL);
}

Test(crypto, parse_and_name)
{
	static const struct {
		const char *s;
		int ret;
		enum wg_crypto_arch arch;
	} cases[] = {
		{ "auto", 0, WG_CRYPTO_AUTO },
		{ "avx512", 0, WG_CRYPTO_AVX512 },
		{ "avx2", 0, WG_CRYPTO_AVX2 },
		{ "sse", 0, WG_CRYPTO_SSE },
		{ "sodium", 0, WG_CRYPTO_SODIUM },
		{ "mb512", 0, WG_CRYPTO_MB512 },
		{ "AVX512", -EINVAL, 0 },
		{ "avx", -EINVAL, 0 },
		{ "avx5122", -EINVAL, 0 },
		{ "sodium ", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ NULL, -EINVAL, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum wg_crypto_arch out = (enum wg_crypto_arch)77;
		int ret = wg_crypto_arch_parse(cases[i].s, &out);

		cr_assert_eq(ret, cases[i].ret, "case %zu", i);
		if (ret != 0) {
			cr_assert_eq(out, (enum wg_crypto_arch)77, "case %zu: out written", i);
			continue;
		}
		cr_assert_eq(out, cases[i].arch, "case %zu", i);
		cr_assert_str_eq(wg_crypto_arch_name(out), cases[i].s);
	}
	cr_assert_null(wg_crypto_arch_name((enum wg_crypto_arch)6));
}
