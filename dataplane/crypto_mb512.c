/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Multi-buffer ChaCha20-Poly1305 over AVX-512 (see crypto_mb512.h).
 *
 * Lane layout
 * -----------
 * A group is up to 16 packets (ops), lane l holding op l.
 *
 * ChaCha20: the 4x4 state of 32-bit words is 16 zmm registers x[0..15];
 * x[i] holds word i of all 16 lanes (word i of op l in 32-bit lane l). The
 * constants are broadcast; key words 4..11 and nonce words 14..15 differ by
 * lane (loaded once per group); word 12, the block counter, is the same in
 * every lane at each step, since step j computes block j of every op. After
 * the 20 rounds and the feed-forward, a 16x16 transpose of 32-bit words
 * (unpack 32, unpack 64, two 128-bit shuffles) turns "word i of every lane"
 * into "the 64 keystream bytes of lane l", which are XORed into op l's data
 * with byte-masked loads and stores (AVX-512BW) so that a short last block
 * never touches bytes past the data. Block 0 of each lane is its Poly1305
 * key (RFC 8439 2.6); blocks 1.. encrypt. Lanes whose op has fewer blocks
 * than the longest simply skip the XOR.
 *
 * Poly1305: 8 lanes of 64 bits per zmm, so a group is two halves of 8.
 * The accumulator h and the key r are in radix 2^44 (limbs of 44, 44 and
 * 42 bits, one zmm per limb), which AVX-512 IFMA multiplies exactly:
 * vpmadd52luq/vpmadd52huq give the low and high 52 bits of a 52x52-bit
 * product. With s1 = 20 r1 and s2 = 20 r2 (2^132 = 20 mod p, p = 2^130-5),
 *   d0 = h0 r0 + h1 s2 + h2 s1
 *   d1 = h0 r1 + h1 r0 + h2 s2
 *   d2 = h0 r2 + h1 r1 + h2 r0
 * each d split in a low and a high part; a high part sits 52 = 44 + 8 bits
 * up, so it joins the next limb shifted left by 8, and d2's high part
 * (2^140 = 5 * 2^10 mod p) joins limb 0 times 5 << 10. A carry chain then
 * brings the limbs back under 2^44 (2^42 for the top one), which keeps
 * every IFMA input under 52 bits. Each step takes one 16-byte block per
 * lane: the data's full blocks, then the zero-padded partial block, then
 * the lengths block (le64(0) || le64(len): WireGuard has no associated
 * data); a lane with fewer blocks keeps its h through masked moves. The
 * final reduction and h + s are scalar, per lane.
 */
#include <immintrin.h>
#include <string.h>

#include <sodium.h>

#include "crypto_mb512.h"

/* Everything below runs only where wg_mb512_supported() said so; the
 * rest of the build stays for any x86-64 CPU. */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512ifma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512ifma")
#endif

enum {
	MB_BLOCK = 64,		/* ChaCha20 block */
	MB_POLY_BLOCK = 16,
	MB_POLY_LANES = 8
};

#define M44 ((1ULL << 44) - 1)
#define M42 ((1ULL << 42) - 1)

/* The ChaCha20 inputs of a group that differ by lane. */
struct mb_group {
	struct wg_crypto_op *op[WG_MB512_LANES];
	const struct wg_mb512_aad *x;	/* NULL: WireGuard's (none) */
	unsigned int n;
	uint32_t blocks;		/* of the longest op */
	__m512i key[8];			/* state words 4..11 */
	__m512i nonce[3];		/* state words 13..15 */
};

static inline uint32_t
le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline uint64_t
le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void
group_load(struct mb_group *g, struct wg_crypto_op *ops,
	   const struct wg_mb512_aad *x, unsigned int n)
{
	uint32_t w[11][WG_MB512_LANES];
	unsigned int l, i;

	g->x = x;
	g->n = n;
	g->blocks = 0;
	for (l = 0; l < WG_MB512_LANES; l++) {
		/* Lanes past n repeat op 0: computed, never used. */
		const struct wg_crypto_op *op = &ops[l < n ? l : 0];
		uint32_t b = (op->len + MB_BLOCK - 1) / MB_BLOCK;

		g->op[l] = &ops[l < n ? l : 0];
		if (l < n && b > g->blocks)
			g->blocks = b;
		for (i = 0; i < 8; i++)
			w[i][l] = le32(op->key + 4 * i);
		w[8][l] = x != NULL ? x[l < n ? l : 0].nonce0 : 0;
		w[9][l] = (uint32_t)op->counter;
		w[10][l] = (uint32_t)(op->counter >> 32);
	}
	for (i = 0; i < 8; i++)
		g->key[i] = _mm512_loadu_si512(w[i]);
	for (i = 0; i < 3; i++)
		g->nonce[i] = _mm512_loadu_si512(w[8 + i]);
	explicit_bzero(w, sizeof(w));
}

#define ADD(a, b) _mm512_add_epi32(a, b)
#define XOR(a, b) _mm512_xor_si512(a, b)
#define ROL(a, n) _mm512_rol_epi32(a, n)
#define QR(a, b, c, d) do { \
	a = ADD(a, b); d = ROL(XOR(d, a), 16); \
	c = ADD(c, d); b = ROL(XOR(b, c), 12); \
	a = ADD(a, b); d = ROL(XOR(d, a), 8); \
	c = ADD(c, d); b = ROL(XOR(b, c), 7); \
} while (0)

/* 4x4 transpose of the 128-bit blocks of X0..X3: out[k] = X0.k X1.k X2.k X3.k */
static inline void
transpose128(__m512i x0, __m512i x1, __m512i x2, __m512i x3, __m512i out[4])
{
	__m512i d0 = _mm512_shuffle_i32x4(x0, x1, 0x44);
	__m512i d1 = _mm512_shuffle_i32x4(x0, x1, 0xee);
	__m512i d2 = _mm512_shuffle_i32x4(x2, x3, 0x44);
	__m512i d3 = _mm512_shuffle_i32x4(x2, x3, 0xee);

	out[0] = _mm512_shuffle_i32x4(d0, d2, 0x88);
	out[1] = _mm512_shuffle_i32x4(d0, d2, 0xdd);
	out[2] = _mm512_shuffle_i32x4(d1, d3, 0x88);
	out[3] = _mm512_shuffle_i32x4(d1, d3, 0xdd);
}

/* x[i] = word i of every lane -> ks[l] = the 16 words of lane l. */
static inline void
transpose16(const __m512i x[16], __m512i ks[16])
{
	__m512i b[16], c[16], o[4];
	unsigned int i, m, k;

	for (i = 0; i < 16; i += 2) {
		b[i] = _mm512_unpacklo_epi32(x[i], x[i + 1]);
		b[i + 1] = _mm512_unpackhi_epi32(x[i], x[i + 1]);
	}
	for (i = 0; i < 16; i += 4) {
		c[i] = _mm512_unpacklo_epi64(b[i], b[i + 2]);
		c[i + 1] = _mm512_unpackhi_epi64(b[i], b[i + 2]);
		c[i + 2] = _mm512_unpacklo_epi64(b[i + 1], b[i + 3]);
		c[i + 3] = _mm512_unpackhi_epi64(b[i + 1], b[i + 3]);
	}
	/* c[4q + m], 128-bit block k: words 4q..4q+3 of lane 4k + m. */
	for (m = 0; m < 4; m++) {
		transpose128(c[m], c[4 + m], c[8 + m], c[12 + m], o);
		for (k = 0; k < 4; k++)
			ks[4 * k + m] = o[k];
	}
}

/* Block `block` of every lane's keystream: ks[l] is lane l's 64 bytes. */
static void
chacha_block16(const struct mb_group *g, uint32_t block, __m512i ks[16])
{
	__m512i x[16], in[16];
	unsigned int i, r;

	in[0] = _mm512_set1_epi32(0x61707865);
	in[1] = _mm512_set1_epi32(0x3320646e);
	in[2] = _mm512_set1_epi32(0x79622d32);
	in[3] = _mm512_set1_epi32(0x6b206574);
	for (i = 0; i < 8; i++)
		in[4 + i] = g->key[i];
	in[12] = _mm512_set1_epi32((int)block);
	in[13] = g->nonce[0];
	in[14] = g->nonce[1];
	in[15] = g->nonce[2];
	memcpy(x, in, sizeof(x));
	for (r = 0; r < 10; r++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (i = 0; i < 16; i++)
		x[i] = ADD(x[i], in[i]);
	transpose16(x, ks);
}

/* XORs block j (>= 1) of the keystream into every lane that reaches it. */
static void
chacha_xor16(const struct mb_group *g, uint32_t j, const uint8_t *use)
{
	__m512i ks[16], d;
	unsigned int l;

	chacha_block16(g, j, ks);
	for (l = 0; l < g->n; l++) {
		const struct wg_crypto_op *op = g->op[l];
		uint32_t off = (j - 1) * MB_BLOCK, rem;
		__mmask64 m;

		if (!use[l] || op->len <= off)
			continue;
		rem = op->len - off;
		m = rem >= MB_BLOCK ? ~0ULL : (1ULL << rem) - 1;
		d = _mm512_maskz_loadu_epi8(m, op->data + off);
		_mm512_mask_storeu_epi8(op->data + off, m, XOR(d, ks[l]));
	}
}

/* ---- Poly1305, 8 lanes ------------------------------------------------ */

/*
 * One half of a group: its keys (r in radix 2^44) and where its blocks
 * are: the associated data's whole blocks, its zero-padded rest (pad[0]),
 * the data's whole blocks, its zero-padded rest (pad[1]), the lengths
 * (pad[2]). WireGuard's lanes have no associated data.
 */
struct mb_poly {
	const uint8_t *aad[MB_POLY_LANES], *data[MB_POLY_LANES];
	unsigned int n;
	uint32_t blocks[MB_POLY_LANES];	/* 16-byte blocks in all */
	uint32_t aad_full[MB_POLY_LANES], aad_part[MB_POLY_LANES];
	uint32_t full[MB_POLY_LANES], part[MB_POLY_LANES];
	uint64_t r[3][MB_POLY_LANES], s[2][MB_POLY_LANES];
	uint8_t pad[MB_POLY_LANES][3][MB_POLY_BLOCK];
};

/* Whole blocks of len bytes at src; the rest, zero-padded, into pad. */
static uint32_t
poly_split(const uint8_t *src, uint32_t len, uint8_t pad[MB_POLY_BLOCK],
	   uint32_t *part)
{
	uint32_t full = len / MB_POLY_BLOCK;

	*part = len % MB_POLY_BLOCK != 0;
	memset(pad, 0, MB_POLY_BLOCK);
	if (*part)
		memcpy(pad, src + (size_t)full * MB_POLY_BLOCK, len % MB_POLY_BLOCK);
	return full;
}

static void
poly_lane_init(struct mb_poly *p, unsigned int l, const struct wg_crypto_op *op,
	       const struct wg_mb512_aad *x, const uint8_t key[32])
{
	uint64_t lo = le64(key) & 0x0ffffffc0fffffffULL;
	uint64_t hi = le64(key + 8) & 0x0ffffffc0ffffffcULL;
	uint64_t lens[2] = { x != NULL ? x->aad_len : 0, op->len };

	p->r[0][l] = lo & M44;
	p->r[1][l] = ((lo >> 44) | (hi << 20)) & M44;
	p->r[2][l] = (hi >> 24) & M42;
	p->s[0][l] = le64(key + 16);
	p->s[1][l] = le64(key + 24);
	p->aad[l] = x != NULL ? x->aad : NULL;
	p->data[l] = op->data;
	p->aad_full[l] = poly_split(p->aad[l], (uint32_t)lens[0], p->pad[l][0],
				    &p->aad_part[l]);
	p->full[l] = poly_split(op->data, op->len, p->pad[l][1], &p->part[l]);
	memcpy(p->pad[l][2], lens, sizeof(lens));
	p->blocks[l] = p->aad_full[l] + p->aad_part[l] + p->full[l] +
		       p->part[l] + 1;
}

/* Block k of lane l. */
static inline const uint8_t *
poly_block(const struct mb_poly *p, unsigned int l, uint32_t k)
{
	if (k < p->aad_full[l])
		return p->aad[l] + (size_t)k * MB_POLY_BLOCK;
	k -= p->aad_full[l];
	if (k < p->aad_part[l])
		return p->pad[l][0];
	k -= p->aad_part[l];
	if (k < p->full[l])
		return p->data[l] + (size_t)k * MB_POLY_BLOCK;
	k -= p->full[l];
	return k < p->part[l] ? p->pad[l][1] : p->pad[l][2];
}

struct mb_acc {
	__m512i h0, h1, h2;
};

/* h = (h + m) r mod p, partly reduced, in the lanes of mask. */
static inline void
poly_step(struct mb_acc *a, __mmask8 mask, __m512i t0, __m512i t1, __m512i t2,
	  const __m512i r[3], __m512i s1, __m512i s2)
{
	const __m512i z = _mm512_setzero_si512(), m44 = _mm512_set1_epi64(M44);
	__m512i h0 = _mm512_add_epi64(a->h0, t0);
	__m512i h1 = _mm512_add_epi64(a->h1, t1);
	__m512i h2 = _mm512_add_epi64(a->h2, t2);
	__m512i d0l, d0h, d1l, d1h, d2l, d2h, c;

	d0l = _mm512_madd52lo_epu64(z, h0, r[0]);
	d0h = _mm512_madd52hi_epu64(z, h0, r[0]);
	d0l = _mm512_madd52lo_epu64(d0l, h1, s2);
	d0h = _mm512_madd52hi_epu64(d0h, h1, s2);
	d0l = _mm512_madd52lo_epu64(d0l, h2, s1);
	d0h = _mm512_madd52hi_epu64(d0h, h2, s1);
	d1l = _mm512_madd52lo_epu64(z, h0, r[1]);
	d1h = _mm512_madd52hi_epu64(z, h0, r[1]);
	d1l = _mm512_madd52lo_epu64(d1l, h1, r[0]);
	d1h = _mm512_madd52hi_epu64(d1h, h1, r[0]);
	d1l = _mm512_madd52lo_epu64(d1l, h2, s2);
	d1h = _mm512_madd52hi_epu64(d1h, h2, s2);
	d2l = _mm512_madd52lo_epu64(z, h0, r[2]);
	d2h = _mm512_madd52hi_epu64(z, h0, r[2]);
	d2l = _mm512_madd52lo_epu64(d2l, h1, r[1]);
	d2h = _mm512_madd52hi_epu64(d2h, h1, r[1]);
	d2l = _mm512_madd52lo_epu64(d2l, h2, r[0]);
	d2h = _mm512_madd52hi_epu64(d2h, h2, r[0]);
	/* High halves one limb up (<< 8); d2's wraps to limb 0 times 5 << 10. */
	h0 = _mm512_add_epi64(d0l, _mm512_add_epi64(_mm512_slli_epi64(d2h, 12),
						     _mm512_slli_epi64(d2h, 10)));
	h1 = _mm512_add_epi64(d1l, _mm512_slli_epi64(d0h, 8));
	h2 = _mm512_add_epi64(d2l, _mm512_slli_epi64(d1h, 8));
	c = _mm512_srli_epi64(h0, 44);
	h0 = _mm512_and_si512(h0, m44);
	h1 = _mm512_add_epi64(h1, c);
	c = _mm512_srli_epi64(h1, 44);
	h1 = _mm512_and_si512(h1, m44);
	h2 = _mm512_add_epi64(h2, c);
	c = _mm512_srli_epi64(h2, 42);
	h2 = _mm512_and_si512(h2, _mm512_set1_epi64(M42));
	h0 = _mm512_add_epi64(h0, _mm512_add_epi64(c, _mm512_slli_epi64(c, 2)));
	c = _mm512_srli_epi64(h0, 44);
	h0 = _mm512_and_si512(h0, m44);
	h1 = _mm512_add_epi64(h1, c);
	a->h0 = _mm512_mask_mov_epi64(a->h0, mask, h0);
	a->h1 = _mm512_mask_mov_epi64(a->h1, mask, h1);
	a->h2 = _mm512_mask_mov_epi64(a->h2, mask, h2);
}

/* The 16-byte block of every active lane at step k, as radix-2^44 limbs. */
static inline __mmask8
poly_load(const struct mb_poly *p, uint32_t k, __m512i t[3])
{
	uint64_t lo[MB_POLY_LANES] = { 0 }, hi[MB_POLY_LANES] = { 0 };
	const __m512i m44 = _mm512_set1_epi64(M44);
	__mmask8 mask = 0;
	unsigned int l;
	__m512i vlo, vhi;

	for (l = 0; l < p->n; l++) {
		const uint8_t *b;

		if (k >= p->blocks[l])
			continue;
		b = poly_block(p, l, k);
		lo[l] = le64(b);
		hi[l] = le64(b + 8);
		mask |= (__mmask8)(1u << l);
	}
	vlo = _mm512_loadu_si512(lo);
	vhi = _mm512_loadu_si512(hi);
	t[0] = _mm512_and_si512(vlo, m44);
	t[1] = _mm512_and_si512(_mm512_or_si512(_mm512_srli_epi64(vlo, 44),
						_mm512_slli_epi64(vhi, 20)), m44);
	t[2] = _mm512_or_si512(_mm512_srli_epi64(vhi, 24),
			       _mm512_set1_epi64(1ULL << 40));	/* 2^128 */
	return mask;
}

/* h mod p, plus s, mod 2^128: lane l's tag. */
static void
poly_finish(uint64_t h0, uint64_t h1, uint64_t h2, const uint64_t s[2],
	    uint8_t tag[16])
{
	uint64_t g0, g1, g2, c, lo, hi, tlo, thi;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		c = h0 >> 44; h0 &= M44; h1 += c;
		c = h1 >> 44; h1 &= M44; h2 += c;
		c = h2 >> 42; h2 &= M42; h0 += c * 5;
	}
	c = h0 >> 44; h0 &= M44; h1 += c;
	c = h1 >> 44; h1 &= M44; h2 += c;
	/* h - p = h + 5 - 2^130: take it when it does not go negative. */
	g0 = h0 + 5; c = g0 >> 44; g0 &= M44;
	g1 = h1 + c; c = g1 >> 44; g1 &= M44;
	g2 = h2 + c;
	if (g2 >> 42) {
		h0 = g0;
		h1 = g1;
		h2 = g2 & M42;
	}
	lo = h0 | (h1 << 44);
	hi = (h1 >> 20) | (h2 << 24);
	tlo = lo + s[0];
	thi = hi + s[1] + (tlo < lo);
	memcpy(tag, &tlo, 8);
	memcpy(tag + 8, &thi, 8);
}

/* Tags of ops[0..n) (n <= 8) over their data (and x's associated data),
 * with their Poly1305 keys. */
static void
poly8(struct wg_crypto_op *const *ops, const struct wg_mb512_aad *x,
      unsigned int n, const uint8_t (*keys)[32], uint8_t (*tags)[16])
{
	struct mb_poly p;
	struct mb_acc a = { _mm512_setzero_si512(), _mm512_setzero_si512(),
			    _mm512_setzero_si512() };
	uint64_t h[3][MB_POLY_LANES], s[2];
	__m512i r[3], s1, s2, t[3];
	uint32_t k, steps = 0;
	unsigned int l;

	p.n = n;
	memset(p.r, 0, sizeof(p.r));
	for (l = 0; l < n; l++) {
		poly_lane_init(&p, l, ops[l], x != NULL ? &x[l] : NULL, keys[l]);
		if (p.blocks[l] > steps)
			steps = p.blocks[l];
	}
	for (l = 0; l < 3; l++)
		r[l] = _mm512_loadu_si512(p.r[l]);
	/* 20 r = 16 r + 4 r */
	s1 = _mm512_add_epi64(_mm512_slli_epi64(r[1], 4), _mm512_slli_epi64(r[1], 2));
	s2 = _mm512_add_epi64(_mm512_slli_epi64(r[2], 4), _mm512_slli_epi64(r[2], 2));
	for (k = 0; k < steps; k++) {
		__mmask8 mask = poly_load(&p, k, t);

		poly_step(&a, mask, t[0], t[1], t[2], r, s1, s2);
	}
	_mm512_storeu_si512(h[0], a.h0);
	_mm512_storeu_si512(h[1], a.h1);
	_mm512_storeu_si512(h[2], a.h2);
	for (l = 0; l < n; l++) {
		s[0] = p.s[0][l];
		s[1] = p.s[1][l];
		poly_finish(h[0][l], h[1][l], h[2][l], s, tags[l]);
	}
	sodium_memzero(&p, sizeof(p));
}

/* Block 0 of every lane: its one-time Poly1305 key (r || s). */
static void
poly_keys16(const struct mb_group *g, uint8_t (*keys)[32])
{
	__m512i ks[16];
	uint8_t b[MB_BLOCK];
	unsigned int l;

	chacha_block16(g, 0, ks);
	for (l = 0; l < g->n; l++) {
		_mm512_storeu_si512(b, ks[l]);
		memcpy(keys[l], b, 32);
	}
	sodium_memzero(b, sizeof(b));
	sodium_memzero(ks, sizeof(ks));
}

static void
poly16(const struct mb_group *g, const uint8_t (*keys)[32], uint8_t (*tags)[16])
{
	poly8(g->op, g->x, g->n < MB_POLY_LANES ? g->n : MB_POLY_LANES, keys, tags);
	if (g->n > MB_POLY_LANES)
		poly8(g->op + MB_POLY_LANES,
		      g->x != NULL ? g->x + MB_POLY_LANES : NULL,
		      g->n - MB_POLY_LANES, keys + MB_POLY_LANES,
		      tags + MB_POLY_LANES);
}

/* ---- bursts ----------------------------------------------------------- */

static void
seal_group(struct wg_crypto_op *ops, const struct wg_mb512_aad *x, unsigned int n)
{
	static const uint8_t all[WG_MB512_LANES] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
	};
	uint8_t keys[WG_MB512_LANES][32], tags[WG_MB512_LANES][16];
	struct mb_group g;
	unsigned int l;
	uint32_t j;

	group_load(&g, ops, x, n);
	poly_keys16(&g, keys);
	for (j = 1; j <= g.blocks; j++)
		chacha_xor16(&g, j, all);
	poly16(&g, (const uint8_t (*)[32])keys, tags);
	for (l = 0; l < n; l++)
		memcpy(ops[l].tag, tags[l], 16);
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(&g, sizeof(g));
}

static uint16_t
open_group(struct wg_crypto_op *ops, const struct wg_mb512_aad *x,
	   unsigned int n, uint8_t *ok)
{
	uint8_t keys[WG_MB512_LANES][32], tags[WG_MB512_LANES][16];
	struct mb_group g;
	uint16_t good = 0;
	unsigned int l;
	uint32_t j;

	group_load(&g, ops, x, n);
	poly_keys16(&g, keys);
	poly16(&g, (const uint8_t (*)[32])keys, tags);
	for (l = 0; l < n; l++) {
		ok[l] = crypto_verify_16(tags[l], ops[l].tag) == 0;
		good += ok[l];
	}
	for (j = 1; j <= g.blocks; j++)
		chacha_xor16(&g, j, ok);
	for (l = 0; l < n; l++)
		if (!ok[l] && ops[l].len != 0)
			sodium_memzero(ops[l].data, ops[l].len);
	sodium_memzero(keys, sizeof(keys));
	sodium_memzero(&g, sizeof(g));
	return good;
}

void
wg_mb512_seal_aead(struct wg_crypto_op *ops, const struct wg_mb512_aad *x,
		   uint16_t n)
{
	uint16_t i, k;

	for (i = 0; i < n; i += k) {
		k = n - i < WG_MB512_LANES ? n - i : WG_MB512_LANES;
		seal_group(ops + i, x != NULL ? x + i : NULL, k);
	}
}

uint16_t
wg_mb512_open_aead(struct wg_crypto_op *ops, const struct wg_mb512_aad *x,
		   uint16_t n, uint8_t *ok)
{
	uint16_t i, k, good = 0;

	for (i = 0; i < n; i += k) {
		k = n - i < WG_MB512_LANES ? n - i : WG_MB512_LANES;
		good += open_group(ops + i, x != NULL ? x + i : NULL, k, ok + i);
	}
	return good;
}

void
wg_mb512_seal_burst(struct wg_crypto_op *ops, uint16_t n)
{
	wg_mb512_seal_aead(ops, NULL, n);
}

uint16_t
wg_mb512_open_burst(struct wg_crypto_op *ops, uint16_t n, uint8_t *ok)
{
	return wg_mb512_open_aead(ops, NULL, n, ok);
}

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

bool
wg_mb512_supported(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") &&
	       __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512ifma");
}
