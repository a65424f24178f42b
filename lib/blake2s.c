/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BLAKE2s per RFC 7693: 10 rounds of the G function over a 16-word block,
 * parameter block with digest length, key length, fanout = depth = 1.
 */
#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#include "blake2s.h"

static const uint32_t blake2s_iv[8] = {
	0x6A09E667UL, 0xBB67AE85UL, 0x3C6EF372UL, 0xA54FF53AUL,
	0x510E527FUL, 0x9B05688CUL, 0x1F83D9ABUL, 0x5BE0CD19UL
};

/* Unaligned little-endian load; compilers make it one mov (+ bswap on BE). */
static inline uint32_t
load32_le(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline void
store32_le(uint8_t *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(p, &v, sizeof(v));
}

/*
 * The mixing function G of RFC 7693 3.1, x and y the two message words.
 * Written for uint32_t and for the lanes' vectors of uint32_t alike.
 */
#define ROR32(w, c) (((w) >> (c)) | ((w) << (32 - (c))))
#define G(a, b, c, d, x, y) do { \
	a += b + (x); \
	d = ROR32(d ^ a, 16); \
	c += d; \
	b = ROR32(b ^ c, 12); \
	a += b + (y); \
	d = ROR32(d ^ a, 8); \
	c += d; \
	b = ROR32(b ^ c, 7); \
} while (0)

/*
 * One round: columns, then diagonals. The arguments are the round's row of
 * the message schedule SIGMA (RFC 7693 2.7), written out below so that every
 * message index is a constant and no table is read in the loop.
 */
#define ROUND(s0, s1, s2, s3, s4, s5, s6, s7, \
	      s8, s9, s10, s11, s12, s13, s14, s15) do { \
	G(v[0], v[4], v[8], v[12], m[s0], m[s1]); \
	G(v[1], v[5], v[9], v[13], m[s2], m[s3]); \
	G(v[2], v[6], v[10], v[14], m[s4], m[s5]); \
	G(v[3], v[7], v[11], v[15], m[s6], m[s7]); \
	G(v[0], v[5], v[10], v[15], m[s8], m[s9]); \
	G(v[1], v[6], v[11], v[12], m[s10], m[s11]); \
	G(v[2], v[7], v[8], v[13], m[s12], m[s13]); \
	G(v[3], v[4], v[9], v[14], m[s14], m[s15]); \
} while (0)

/* The ten rounds, SIGMA[0..9], over the arrays v[16] and m[16] in scope. */
#define ROUNDS() do { \
	ROUND(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); \
	ROUND(14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3); \
	ROUND(11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4); \
	ROUND(7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8); \
	ROUND(9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13); \
	ROUND(2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9); \
	ROUND(12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11); \
	ROUND(13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10); \
	ROUND(6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5); \
	ROUND(10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0); \
} while (0)

/* Compresses one block; inc is the number of message bytes it adds to t. */
static void
blake2s_compress(struct wg_blake2s_state *s, const uint8_t block[BLAKE2S_BLOCK_SIZE],
		 uint32_t inc)
{
	uint32_t m[16], v[16];
	int i;

	s->t[0] += inc;
	s->t[1] += (s->t[0] < inc);
	for (i = 0; i < 16; i++)
		m[i] = load32_le(block + 4 * i);
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = blake2s_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	v[14] ^= s->f[0];
	v[15] ^= s->f[1];
	ROUNDS();
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];
	/* The block may be key material (HMAC, the KDF): no copy is left. */
	sodium_memzero(m, sizeof(m));
	sodium_memzero(v, sizeof(v));
}

void
wg_blake2s_init_key(struct wg_blake2s_state *s, size_t outlen, const void *key,
		    size_t keylen)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->h, blake2s_iv, sizeof(s->h));
	/* Parameter block word 0: digest length, key length, fanout, depth. */
	s->h[0] ^= 0x01010000UL ^ ((uint32_t)keylen << 8) ^ (uint32_t)outlen;
	s->outlen = outlen;
	if (keylen > 0) {
		/* The key is padded to a full block and hashed first. */
		memcpy(s->buf, key, keylen);
		s->buflen = BLAKE2S_BLOCK_SIZE;
	}
}

/* Only the last block may be pending at final(): see the header. */
void
wg_blake2s_init_key_compressed(struct wg_blake2s_state *s, size_t outlen,
			       const void *key, size_t keylen)
{
	wg_blake2s_init_key(s, outlen, key, keylen);
	if (keylen == 0)
		return;
	blake2s_compress(s, s->buf, BLAKE2S_BLOCK_SIZE);
	sodium_memzero(s->buf, sizeof(s->buf));
	s->buflen = 0;
}

void
wg_blake2s_init(struct wg_blake2s_state *s, size_t outlen)
{
	wg_blake2s_init_key(s, outlen, NULL, 0);
}

void
wg_blake2s_update(struct wg_blake2s_state *s, const void *in, size_t inlen)
{
	const uint8_t *p = in;
	size_t fill;

	if (inlen == 0)
		return;
	/* Keep the last block buffered: it must be compressed as final. */
	fill = BLAKE2S_BLOCK_SIZE - s->buflen;
	if (inlen > fill) {
		memcpy(s->buf + s->buflen, p, fill);
		blake2s_compress(s, s->buf, BLAKE2S_BLOCK_SIZE);
		s->buflen = 0;
		p += fill;
		inlen -= fill;
		while (inlen > BLAKE2S_BLOCK_SIZE) {
			blake2s_compress(s, p, BLAKE2S_BLOCK_SIZE);
			p += BLAKE2S_BLOCK_SIZE;
			inlen -= BLAKE2S_BLOCK_SIZE;
		}
	}
	memcpy(s->buf + s->buflen, p, inlen);
	s->buflen += inlen;
}

void
wg_blake2s_final(struct wg_blake2s_state *s, uint8_t *out)
{
	uint8_t full[BLAKE2S_HASH_SIZE];
	int i;

	s->f[0] = UINT32_MAX;
	memset(s->buf + s->buflen, 0, BLAKE2S_BLOCK_SIZE - s->buflen);
	blake2s_compress(s, s->buf, s->buflen);
	for (i = 0; i < 8; i++)
		store32_le(full + 4 * i, s->h[i]);
	memcpy(out, full, s->outlen);
	sodium_memzero(full, sizeof(full));
	sodium_memzero(s, sizeof(*s));
}

void
wg_blake2s(uint8_t *out, size_t outlen, const void *in, size_t inlen,
	   const void *key, size_t keylen)
{
	struct wg_blake2s_state s;

	wg_blake2s_init_key(&s, outlen, key, keylen);
	wg_blake2s_update(&s, in, inlen);
	wg_blake2s_final(&s, out);
}

/*
 * Lanes (x86-64): BLAKE2S_LANES messages of one length, word w of lane l's
 * block in element l of m[w], through the same G and ROUNDS as the scalar
 * code. The body is compiled for AVX2 and for AVX-512VL (rotations in one
 * instruction), and chosen when the program starts. Lowered to plain
 * x86-64 (two SSE2 registers a vector, too few registers) it was no faster
 * than the scalar code, so without AVX2 the scalar code does it all.
 */
#if defined(__x86_64__)
enum { BLAKE2S_LANES = 8 };

typedef uint32_t lanes_u32 __attribute__((vector_size(4 * BLAKE2S_LANES)));

#define LANES_INLINE static inline __attribute__((always_inline))

/*
 * Lane l's block at off: straight from its message, or for the last one a
 * zero-padded copy in last[l] (as final() pads it). Lanes past nl hash
 * lane 0's block again; their digests are dropped.
 */
LANES_INLINE void
lanes_load(lanes_u32 m[16], uint8_t last[][BLAKE2S_BLOCK_SIZE],
	   const uint8_t *const in[], size_t inlen, size_t off, unsigned int nl)
{
	const uint8_t *blk[BLAKE2S_LANES];
	size_t tail = inlen - off;
	unsigned int w, l, src;

	for (l = 0; l < BLAKE2S_LANES; l++) {
		src = l < nl ? l : 0;
		if (tail > BLAKE2S_BLOCK_SIZE) {
			blk[l] = in[src] + off;
			continue;
		}
		if (l < nl) {
			memcpy(last[l], in[l] + off, tail);
			memset(last[l] + tail, 0, BLAKE2S_BLOCK_SIZE - tail);
		}
		blk[l] = last[src];
	}
	for (w = 0; w < 16; w++)
		for (l = 0; l < BLAKE2S_LANES; l++)
			m[w][l] = load32_le(blk[l] + 4 * w);
}

/* One block of every lane; t counts the bytes up to its end, f the last. */
LANES_INLINE void
lanes_compress(lanes_u32 h[8], const lanes_u32 m[16], uint64_t t, uint32_t f)
{
	lanes_u32 v[16];
	unsigned int i;

	for (i = 0; i < 8; i++) {
		v[i] = h[i];
		v[i + 8] = (lanes_u32){ 0 } + blake2s_iv[i];
	}
	v[12] ^= (uint32_t)t;
	v[13] ^= (uint32_t)(t >> 32);
	v[14] ^= f;
	ROUNDS();
	for (i = 0; i < 8; i++)
		h[i] ^= v[i] ^ v[i + 8];
}

/* Digests of lanes 0..nl-1, each outlen bytes, one after the other. */
LANES_INLINE void
lanes_store(uint8_t *out, const lanes_u32 h[8], size_t outlen, unsigned int nl)
{
	uint8_t full[BLAKE2S_HASH_SIZE];
	unsigned int i, l;

	for (l = 0; l < nl; l++) {
		for (i = 0; i < 8; i++)
			store32_le(full + 4 * i, h[i][l]);
		memcpy(out + l * outlen, full, outlen);
	}
	sodium_memzero(full, sizeof(full));
}

/* in[0..nl-1], nl in [1, BLAKE2S_LANES], inlen >= 1, nothing pending in pre. */
LANES_INLINE void
lanes_hash(uint8_t *out, const struct wg_blake2s_state *pre,
	   const uint8_t *const in[], size_t inlen, unsigned int nl)
{
	uint8_t last[BLAKE2S_LANES][BLAKE2S_BLOCK_SIZE];
	lanes_u32 h[8], m[16];
	uint64_t t = (uint64_t)pre->t[1] << 32 | pre->t[0];
	size_t off, end;
	unsigned int i;

	for (i = 0; i < 8; i++)
		h[i] = (lanes_u32){ 0 } + pre->h[i];
	/* One call site of the (large) rounds: the last block in the loop. */
	for (off = 0; off < inlen; off += BLAKE2S_BLOCK_SIZE) {
		end = inlen - off > BLAKE2S_BLOCK_SIZE ? off + BLAKE2S_BLOCK_SIZE :
							 inlen;
		lanes_load(m, last, in, inlen, off, nl);
		lanes_compress(h, m, t + end, end == inlen ? UINT32_MAX : 0);
	}
	lanes_store(out, h, pre->outlen, nl);
	/* The messages may be secret (not so mac1's): no copy is left. */
	sodium_memzero(last, sizeof(last));
	sodium_memzero(m, sizeof(m));
	sodium_memzero(h, sizeof(h));
}

__attribute__((target("avx2"))) static void
lanes_avx2(uint8_t *out, const struct wg_blake2s_state *pre,
	   const uint8_t *const in[], size_t inlen, unsigned int nl)
{
	lanes_hash(out, pre, in, inlen, nl);
}

__attribute__((target("avx512f,avx512vl"))) static void
lanes_avx512(uint8_t *out, const struct wg_blake2s_state *pre,
	     const uint8_t *const in[], size_t inlen, unsigned int nl)
{
	lanes_hash(out, pre, in, inlen, nl);
}
#else
enum { BLAKE2S_LANES = 1 };
#endif

/*
 * fn NULL: the scalar code, one message after the other. min: the fewest
 * messages worth a lanes pass. Measured on a Xeon of family 6 model 167,
 * in TSC cycles, for a 116-byte message on a pre-keyed state (a mac1):
 * about 770 in the scalar code; a pass of 8 lanes, however many are
 * used, about 1,750 with AVX2 and 1,250 with AVX-512VL.
 */
static const struct lanes_impl {
	void (*fn)(uint8_t *out, const struct wg_blake2s_state *pre,
		   const uint8_t *const in[], size_t inlen, unsigned int nl);
	unsigned int min;
} lanes_impls[WG_BLAKE2S_MANY_IMPLS] = {
	[WG_BLAKE2S_MANY_SCALAR] = { NULL, 0 },
#if defined(__x86_64__)
	[WG_BLAKE2S_MANY_AVX2] = { lanes_avx2, 3 },
	[WG_BLAKE2S_MANY_AVX512] = { lanes_avx512, 2 },
#endif
};

static const struct lanes_impl *lanes = &lanes_impls[WG_BLAKE2S_MANY_SCALAR];

static bool
lanes_cpu_runs(enum wg_blake2s_many_impl impl)
{
	if (impl == WG_BLAKE2S_MANY_SCALAR)
		return true;
#if defined(__x86_64__)
	__builtin_cpu_init();
	if (impl == WG_BLAKE2S_MANY_AVX2)
		return __builtin_cpu_supports("avx2");
	if (impl == WG_BLAKE2S_MANY_AVX512)
		return __builtin_cpu_supports("avx512f") &&
		       __builtin_cpu_supports("avx512vl");
#endif
	return false;
}

int
wg_blake2s_many_select(enum wg_blake2s_many_impl impl)
{
	if ((unsigned int)impl >= WG_BLAKE2S_MANY_IMPLS ||
	    (impl != WG_BLAKE2S_MANY_SCALAR && lanes_impls[impl].fn == NULL) ||
	    !lanes_cpu_runs(impl))
		return -1;
	lanes = &lanes_impls[impl];
	return 0;
}

/* Before main(), so before any thread hashes: the best impl this CPU runs. */
__attribute__((constructor)) static void
lanes_select_best(void)
{
	int i;

	for (i = WG_BLAKE2S_MANY_IMPLS - 1; i > 0; i--)
		if (wg_blake2s_many_select(i) == 0)
			break;
}

void
wg_blake2s_many(uint8_t *out, const struct wg_blake2s_state *pre,
		const uint8_t *const in[], size_t inlen, unsigned int n)
{
	const struct lanes_impl *impl = lanes;
	struct wg_blake2s_state s;
	unsigned int i = 0, nl;

	if (impl->fn != NULL && pre->buflen == 0 && inlen > 0) {
		for (; n - i >= impl->min; i += nl) {
			nl = n - i < BLAKE2S_LANES ? n - i : BLAKE2S_LANES;
			impl->fn(out + i * pre->outlen, pre, in + i, inlen, nl);
		}
	}
	for (; i < n; i++) {
		s = *pre;
		wg_blake2s_update(&s, in[i], inlen);
		wg_blake2s_final(&s, out + i * pre->outlen);
	}
}

/* RFC 2104 over BLAKE2s-256; keys longer than a block are hashed first. */
void
wg_blake2s_hmac(uint8_t out[BLAKE2S_HASH_SIZE], const void *in, size_t inlen,
		const void *key, size_t keylen)
{
	struct wg_blake2s_state s;
	uint8_t x_key[BLAKE2S_BLOCK_SIZE] = { 0 };
	uint8_t i_hash[BLAKE2S_HASH_SIZE];
	int i;

	if (keylen > BLAKE2S_BLOCK_SIZE)
		wg_blake2s(x_key, BLAKE2S_HASH_SIZE, key, keylen, NULL, 0);
	else
		memcpy(x_key, key, keylen);

	for (i = 0; i < BLAKE2S_BLOCK_SIZE; i++)
		x_key[i] ^= 0x36;
	wg_blake2s_init(&s, BLAKE2S_HASH_SIZE);
	wg_blake2s_update(&s, x_key, BLAKE2S_BLOCK_SIZE);
	wg_blake2s_update(&s, in, inlen);
	wg_blake2s_final(&s, i_hash);

	for (i = 0; i < BLAKE2S_BLOCK_SIZE; i++)
		x_key[i] ^= 0x5c ^ 0x36;
	wg_blake2s_init(&s, BLAKE2S_HASH_SIZE);
	wg_blake2s_update(&s, x_key, BLAKE2S_BLOCK_SIZE);
	wg_blake2s_update(&s, i_hash, BLAKE2S_HASH_SIZE);
	wg_blake2s_final(&s, out);

	sodium_memzero(x_key, sizeof(x_key));
	sodium_memzero(i_hash, sizeof(i_hash));
}
