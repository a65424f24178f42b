/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The crypto ceilings: wg_crypto_seal_burst() and wg_crypto_open_burst() of
 * the dataplane's backend, alone, for every arch, inner size and peer count
 * asked for. Nothing else a worker does is in the timed region, so these are
 * upper bounds for the encrypt and decrypt paths.
 *
 * The layout is the one a worker sees:
 * - Packets sit in a pool of POOL_SLOTS mbuf-sized slots reused in turn (the
 *   lcore's mempool cache), the payload at the offset of a WireGuard payload
 *   in a received frame: mbuf header, headroom, Ethernet, IPv4, UDP and the
 *   16-byte transport header before it, so it is not 16-byte aligned.
 * - The payload is the inner packet zero-padded to a multiple of 16 (never
 *   past the MTU, wg_transport_padded_len()), the 16-byte tag right after it.
 * - Each peer's key sits in its own keypair-sized slot (KEYPAIR_STRIDE, about
 *   Linux's struct noise_keypair, whose 8192-bit replay window alone is
 *   1 KiB) and packets go to peers in rotation: with 1000 peers every op of
 *   a burst reads a different key's cache line, as under real load.
 *
 * Every packet's plaintext and its reference message (lib/transport.c, i.e.
 * libsodium) are made once per size and peer count and shared by all archs.
 * prepare() copies a burst of them into the pool (the stand-in for RX DMA);
 * verify() compares the last burst with the reference: seal must give the
 * reference bytes, open must accept them and give back the plaintext.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "crypto.h"
#include "transport.h"

enum {
	POOL_SLOTS = 8 * WG_BENCH_BURST,
	/* struct rte_mbuf (128) + headroom (128) + default data room (2048) */
	SLOT_SIZE = 128 + 128 + 2048,
	/* mbuf, headroom, then Ethernet 14, IPv4 20, UDP 8, transport header 16 */
	PAYLOAD_OFF = 128 + 128 + 14 + 20 + 8 + sizeof(struct wg_msg_data),
	KEYPAIR_STRIDE = 1152,
	NUM_ARCHS = WG_CRYPTO_SODIUM + 1,
	/* Counters past 2^32, so every byte of the nonce is live. */
	COUNTER_BASE_SHIFT = 32
};

static_assert(PAYLOAD_OFF + WG_BENCH_MTU + WG_CRYPTO_TAG_LEN <= SLOT_SIZE,
	      "a packet fits its slot");

/* One packet of a workload, as it is before the path under test. */
struct wl_entry {
	const uint8_t *key;
	uint8_t *plain;		/* len bytes: the inner packet, then zero padding */
	uint8_t *sealed;	/* len bytes of ciphertext, then the tag */
	uint64_t counter;
	uint32_t inner;		/* inner packet bytes: what Gbit/s counts */
	uint32_t len;		/* padded */
};

/* The packets of one size and peer count, shared by every arch and direction. */
struct workload {
	uint32_t size;
	uint32_t peers;
	uint32_t n;
	struct wl_entry *e;
	uint8_t *arena;
	size_t arena_len;
};

/* The family's shared state. */
struct crypto_ctx {
	struct wg_crypto *crypto[NUM_ARCHS];
	uint8_t *keys;		/* max peers x KEYPAIR_STRIDE */
	size_t keys_len;
	uint8_t *pool;		/* POOL_SLOTS x SLOT_SIZE */
	struct workload *wl[WG_BENCH_MAX_SIZES][WG_BENCH_MAX_PEER_COUNTS];
};

struct crypto_case {
	struct crypto_ctx *ctx;
	struct wg_crypto *c;
	const struct workload *wl;
	uint32_t next;		/* the workload entry the next packet is */
	uint32_t slot;		/* the pool slot the next packet goes to */
	uint64_t burst_bytes;	/* inner bytes of the prepared burst */
	uint32_t entry[WG_BENCH_BURST];
	struct wg_crypto_op ops[WG_BENCH_BURST];
	uint8_t ok[WG_BENCH_BURST];
	uint64_t rejected;	/* ops open refused since the last verify */
};

static const enum wg_crypto_arch arch_order[] = {
	WG_CRYPTO_AVX512, WG_CRYPTO_AVX2, WG_CRYPTO_SSE, WG_CRYPTO_SODIUM
};

/* ---- workloads ---------------------------------------------------------- */

static uint32_t
gcd32(uint32_t a, uint32_t b)
{
	while (b != 0) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * Enough packets to fill the pool at least once and to hold whole turns of
 * both the peer rotation and the IMIX pattern, so that cycling through the
 * workload keeps both exact.
 */
static uint32_t
workload_entries(uint32_t size, uint32_t peers)
{
	uint32_t pattern = size == WG_BENCH_SIZE_IMIX ? WG_BENCH_IMIX_LEN : 1;
	uint32_t unit = peers / gcd32(peers, pattern) * pattern;
	uint32_t base = peers > POOL_SLOTS ? peers : POOL_SLOTS;

	return (base + unit - 1) / unit * unit;
}

static uint32_t
entry_inner(uint32_t size, uint32_t k)
{
	return size == WG_BENCH_SIZE_IMIX ? wg_bench_imix[k % WG_BENCH_IMIX_LEN] : size;
}

static void
workload_free(struct workload *wl)
{
	if (wl == NULL)
		return;
	if (wl->arena != NULL) {
		sodium_memzero(wl->arena, wl->arena_len);
		free(wl->arena);
	}
	free(wl->e);
	free(wl);
}

/* Entry k: plaintext, and the reference message sealed by lib/transport.c. */
static int
workload_fill(struct wl_entry *e, uint32_t k, uint32_t peer)
{
	uint8_t msg[MESSAGE_MINIMUM_LENGTH + WG_BENCH_MTU + MESSAGE_PADDING_MULTIPLE];
	size_t out;

	randombytes_buf(e->plain, e->inner);
	memset(e->plain + e->inner, 0, e->len - e->inner);
	e->counter = ((uint64_t)1 << COUNTER_BASE_SHIFT) + k;
	out = wg_transport_seal(msg, sizeof(msg), peer, e->counter, e->key,
				e->plain, e->inner, WG_BENCH_MTU);
	if (out != wg_message_data_len(e->len))
		return -1;
	memcpy(e->sealed, msg + sizeof(struct wg_msg_data), e->len + WG_CRYPTO_TAG_LEN);
	sodium_memzero(msg, sizeof(msg));
	return 0;
}

static size_t
workload_arena_len(uint32_t size, uint32_t n)
{
	size_t total = 0;
	uint32_t k;

	for (k = 0; k < n; k++)
		total += 2 * wg_transport_padded_len(entry_inner(size, k), WG_BENCH_MTU) +
			 WG_CRYPTO_TAG_LEN;
	return total;
}

static struct workload *
workload_create(const struct crypto_ctx *ctx, uint32_t size, uint32_t peers)
{
	struct workload *wl = calloc(1, sizeof(*wl));
	uint8_t *p;
	uint32_t k;

	if (wl == NULL)
		return NULL;
	wl->size = size;
	wl->peers = peers;
	wl->n = workload_entries(size, peers);
	wl->arena_len = workload_arena_len(size, wl->n);
	wl->e = calloc(wl->n, sizeof(wl->e[0]));
	wl->arena = malloc(wl->arena_len);
	if (wl->e == NULL || wl->arena == NULL)
		goto fail;
	for (p = wl->arena, k = 0; k < wl->n; k++) {
		struct wl_entry *e = &wl->e[k];

		e->inner = entry_inner(size, k);
		e->len = wg_transport_padded_len(e->inner, WG_BENCH_MTU);
		e->key = ctx->keys + (size_t)(k % peers) * KEYPAIR_STRIDE;
		e->plain = p;
		e->sealed = p + e->len;
		p += 2 * e->len + WG_CRYPTO_TAG_LEN;
		if (workload_fill(e, k, k % peers) != 0)
			goto fail;
	}
	return wl;
fail:
	workload_free(wl);
	return NULL;
}

/* ---- the cases ---------------------------------------------------------- */

/* The next burst of the workload, copied into the next slots of the pool. */
static void
crypto_prepare(struct wg_bench_case *bc, bool sealed)
{
	struct crypto_case *cc = bc->priv;
	const struct workload *wl = cc->wl;
	unsigned int i;

	cc->burst_bytes = 0;
	for (i = 0; i < WG_BENCH_BURST; i++) {
		const struct wl_entry *e = &wl->e[cc->next];
		uint8_t *data = cc->ctx->pool + (size_t)cc->slot * SLOT_SIZE + PAYLOAD_OFF;

		if (sealed)
			memcpy(data, e->sealed, e->len + WG_CRYPTO_TAG_LEN);
		else
			memcpy(data, e->plain, e->len);
		cc->ops[i] = (struct wg_crypto_op){
			.data = data,
			.len = e->len,
			.tag = data + e->len,
			.key = e->key,
			.counter = e->counter
		};
		cc->entry[i] = cc->next;
		cc->burst_bytes += e->inner;
		cc->next = cc->next + 1 == wl->n ? 0 : cc->next + 1;
		cc->slot = cc->slot + 1 == POOL_SLOTS ? 0 : cc->slot + 1;
	}
}

static void
seal_prepare(struct wg_bench_case *bc, unsigned int lane)
{
	(void)lane;
	crypto_prepare(bc, false);
}

static void
open_prepare(struct wg_bench_case *bc, unsigned int lane)
{
	(void)lane;
	crypto_prepare(bc, true);
}

/* One lane: the crypto cases measure one core. */
static uint32_t
seal_run(struct wg_bench_case *bc, unsigned int lane, uint64_t *inner_bytes)
{
	struct crypto_case *cc = bc->priv;

	(void)lane;
	wg_crypto_seal_burst(cc->c, cc->ops, WG_BENCH_BURST);
	*inner_bytes += cc->burst_bytes;
	return WG_BENCH_BURST;
}

static uint32_t
open_run(struct wg_bench_case *bc, unsigned int lane, uint64_t *inner_bytes)
{
	struct crypto_case *cc = bc->priv;
	uint16_t good;

	(void)lane;
	good = wg_crypto_open_burst(cc->c, cc->ops, WG_BENCH_BURST, cc->ok);
	cc->rejected += WG_BENCH_BURST - good;
	*inner_bytes += cc->burst_bytes;
	return WG_BENCH_BURST;
}

/* Seal gave the reference bytes: ciphertext and tag (the tag follows data). */
static int
seal_verify(struct wg_bench_case *bc)
{
	struct crypto_case *cc = bc->priv;
	unsigned int i;

	for (i = 0; i < WG_BENCH_BURST; i++) {
		const struct wl_entry *e = &cc->wl->e[cc->entry[i]];

		if (memcmp(cc->ops[i].data, e->sealed, e->len + WG_CRYPTO_TAG_LEN) != 0)
			return -1;
	}
	return 0;
}

/* Open accepted every reference message so far and gave the plaintext back. */
static int
open_verify(struct wg_bench_case *bc)
{
	struct crypto_case *cc = bc->priv;
	uint64_t rejected = cc->rejected;
	unsigned int i;

	cc->rejected = 0;
	if (rejected != 0)
		return -1;
	for (i = 0; i < WG_BENCH_BURST; i++) {
		const struct wl_entry *e = &cc->wl->e[cc->entry[i]];

		if (memcmp(cc->ops[i].data, e->plain, e->len) != 0)
			return -1;
	}
	return 0;
}

static void
crypto_case_destroy(struct wg_bench_case *bc)
{
	free(bc->priv);
	bc->priv = NULL;
}

static const struct wg_bench_case_ops seal_ops = {
	.prepare = seal_prepare,
	.run = seal_run,
	.verify = seal_verify,
	.destroy = crypto_case_destroy
};

static const struct wg_bench_case_ops open_ops = {
	.prepare = open_prepare,
	.run = open_run,
	.verify = open_verify,
	.destroy = crypto_case_destroy
};

/* ---- the family --------------------------------------------------------- */

static void
crypto_ctx_free(void *p)
{
	struct crypto_ctx *ctx = p;
	unsigned int i, j;

	if (ctx == NULL)
		return;
	for (i = 0; i < NUM_ARCHS; i++)
		wg_crypto_destroy(ctx->crypto[i]);
	for (i = 0; i < WG_BENCH_MAX_SIZES; i++)
		for (j = 0; j < WG_BENCH_MAX_PEER_COUNTS; j++)
			workload_free(ctx->wl[i][j]);
	if (ctx->keys != NULL) {
		sodium_memzero(ctx->keys, ctx->keys_len);
		free(ctx->keys);
	}
	free(ctx->pool);
	free(ctx);
}

static uint32_t
max_peers(const struct wg_bench_opts *o)
{
	uint32_t m = 1;
	unsigned int i;

	for (i = 0; i < o->n_peers; i++)
		m = o->peers[i] > m ? o->peers[i] : m;
	return m;
}

/* A backend per arch asked for, the keys and the pool. */
static int
crypto_ctx_setup(struct crypto_ctx *ctx, const struct wg_bench_opts *o)
{
	uint32_t peers = max_peers(o), p;
	unsigned int i;

	for (i = 0; i < NUM_ARCHS; i++) {
		if (!(o->archs & WG_CRYPTO_ARCH_BIT(i)))
			continue;
		ctx->crypto[i] = wg_crypto_create((enum wg_crypto_arch)i);
		if (ctx->crypto[i] == NULL) {
			perror(wg_crypto_arch_name((enum wg_crypto_arch)i));
			return -1;
		}
	}
	ctx->keys_len = (size_t)peers * KEYPAIR_STRIDE;
	ctx->keys = calloc(1, ctx->keys_len);
	ctx->pool = calloc(POOL_SLOTS, SLOT_SIZE);
	if (ctx->keys == NULL || ctx->pool == NULL)
		return -1;
	for (p = 0; p < peers; p++)
		randombytes_buf(ctx->keys + (size_t)p * KEYPAIR_STRIDE, WG_CRYPTO_KEY_LEN);
	return 0;
}

static int
add_case(struct wg_bench_list *l, struct crypto_ctx *ctx, enum wg_crypto_arch arch,
	 bool open, const struct workload *wl)
{
	struct wg_bench_case *bc = wg_bench_case_new(l);
	struct crypto_case *cc;
	char size[16];

	if (bc == NULL)
		return -1;
	cc = calloc(1, sizeof(*cc));
	if (cc == NULL)
		return -1;
	cc->ctx = ctx;
	cc->c = ctx->crypto[arch];
	cc->wl = wl;
	bc->priv = cc;
	bc->ops = open ? &open_ops : &seal_ops;
	bc->family = "crypto";
	bc->arch = wg_crypto_arch_name(arch);
	bc->direction = open ? "open" : "seal";
	bc->size = wl->size;
	bc->peers = wl->peers;
	snprintf(bc->name, sizeof(bc->name), "crypto/%s/%s/%s/p%u", bc->direction,
		 bc->arch, wg_bench_size_label(wl->size, size, sizeof(size)), wl->peers);
	return 0;
}

/* One row of the table: every arch asked for, for one workload. */
static int
add_row(struct wg_bench_list *l, struct crypto_ctx *ctx, const struct wg_bench_opts *o,
	bool open, const struct workload *wl)
{
	size_t a;

	for (a = 0; a < sizeof(arch_order) / sizeof(arch_order[0]); a++) {
		if (!(o->archs & WG_CRYPTO_ARCH_BIT(arch_order[a])))
			continue;
		if (add_case(l, ctx, arch_order[a], open, wl) != 0)
			return -1;
	}
	return 0;
}

/* Seal then open; within each, size, peers, arch: the table's order. */
static int
add_all_cases(struct wg_bench_list *l, struct crypto_ctx *ctx,
	      const struct wg_bench_opts *o)
{
	unsigned int d, s, p;

	for (d = 0; d < 2; d++)
		for (s = 0; s < o->n_sizes; s++)
			for (p = 0; p < o->n_peers; p++)
				if (add_row(l, ctx, o, d == 1, ctx->wl[s][p]) != 0)
					return -1;
	return 0;
}

static int
crypto_add(struct wg_bench_list *l, const struct wg_bench_opts *o, void **pctx)
{
	struct crypto_ctx *ctx = calloc(1, sizeof(*ctx));
	unsigned int s, p;

	*pctx = ctx;
	if (ctx == NULL || crypto_ctx_setup(ctx, o) != 0)
		goto fail;
	for (s = 0; s < o->n_sizes; s++)
		for (p = 0; p < o->n_peers; p++) {
			ctx->wl[s][p] = workload_create(ctx, o->sizes[s], o->peers[p]);
			if (ctx->wl[s][p] == NULL)
				goto fail;
		}
	if (add_all_cases(l, ctx, o) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "wgedge-bench: cannot set up the crypto cases\n");
	return -1;
}

const struct wg_bench_family wg_bench_crypto_family = {
	.name = "crypto",
	.add = crypto_add,
	.destroy = crypto_ctx_free
};
