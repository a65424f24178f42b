/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The handshake rate limiter: the Linux selftest's timing table driven by
 * explicit clocks, source keying (IPv4 address, IPv6 /64, port ignored),
 * the size bound, garbage collection at its exact age, and a randomized
 * comparison against a naive linear-list reference.
 */
#include <malloc.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ratelimiter.h"

#define COST RATELIMIT_PACKET_COST_NS
#define T0 (1000ULL * WG_NSEC_PER_SEC)	/* clocks start well above 0 */

static struct wg_endpoint
ep4(uint32_t addr, uint16_t port)
{
	struct wg_endpoint e;

	memset(&e, 0, sizeof(e));
	e.family = WG_AF_INET;
	e.port = port;
	e.addr.v4[0] = addr >> 24;
	e.addr.v4[1] = addr >> 16;
	e.addr.v4[2] = addr >> 8;
	e.addr.v4[3] = addr;
	return e;
}

/* 2001:db8:<hi>::<lo>, i.e. /64 prefix chosen by hi, interface ID by lo. */
static struct wg_endpoint
ep6(uint32_t hi, uint32_t lo, uint16_t port)
{
	struct wg_endpoint e;
	int i;

	memset(&e, 0, sizeof(e));
	e.family = WG_AF_INET6;
	e.port = port;
	e.addr.v6[0] = 0x20;
	e.addr.v6[1] = 0x01;
	e.addr.v6[2] = 0x0d;
	e.addr.v6[3] = 0xb8;
	for (i = 0; i < 4; i++) {
		e.addr.v6[4 + i] = hi >> (24 - 8 * i);
		e.addr.v6[12 + i] = lo >> (24 - 8 * i);
	}
	return e;
}

static struct wg_ratelimiter *
must_create(unsigned int max_entries)
{
	struct wg_ratelimiter *rl = wg_ratelimiter_create(max_entries);

	cr_assert_not_null(rl);
	cr_assert_eq(wg_ratelimiter_count(rl), 0);
	return rl;
}

Test(ratelimiter, create_rejects_zero_entries)
{
	cr_assert_null(wg_ratelimiter_create(0));
	wg_ratelimiter_destroy(NULL);
}

/*
 * The Linux selftest's expected_results, sleeping replaced by advancing the
 * clock. At each step, as there: the source under test (port changing, to
 * show it is ignored), a fresh IPv4 source (always allowed), the same
 * IPv6 /64 with another interface ID (same answer as the source under test),
 * and a fresh /64 (always allowed).
 */
static const struct {
	bool result;
	uint64_t nsec_before;
} expected_results[] = {
	{ true, 0 }, { true, 0 }, { true, 0 }, { true, 0 }, { true, 0 },
	{ false, 0 },
	{ true, COST },
	{ false, 0 },
	{ true, COST * 2 },
	{ true, 0 },
	{ false, 0 }
};

Test(ratelimiter, linux_selftest_timings)
{
	struct wg_ratelimiter *rl = must_create(1024);
	struct wg_endpoint e;
	uint64_t now = T0;
	unsigned int i;

	for (i = 0; i < sizeof(expected_results) / sizeof(expected_results[0]);
	     i++) {
		now += expected_results[i].nsec_before;
		e = ep4(8182, 1000 + i);
		cr_assert_eq(wg_ratelimiter_allow(rl, &e, now),
			     expected_results[i].result, "v4 step %u", i);
		e = ep4(8182 + i + 1, 1000);
		cr_assert(wg_ratelimiter_allow(rl, &e, now), "fresh v4 step %u", i);
		e = ep6(289188, i, 51820);
		cr_assert_eq(wg_ratelimiter_allow(rl, &e, now),
			     expected_results[i].result, "v6 step %u", i);
		e = ep6(289188 + i + 1, i, 51820);
		cr_assert(wg_ratelimiter_allow(rl, &e, now), "fresh v6 step %u", i);
	}
	wg_ratelimiter_destroy(rl);
}

/* Refill at its exact edges: partial credit is kept across refusals. */
static const struct {
	uint64_t advance_ns;
	bool result;
} refill_steps[] = {
	{ 0, true }, { 0, true }, { 0, true }, { 0, true }, { 0, true },
	{ 0, false },			/* burst spent */
	{ COST - 1, false },		/* one ns short of a packet */
	{ 1, true },			/* exactly one packet's worth */
	{ 0, false },
	{ COST / 2, false },		/* credit accumulates ... */
	{ COST / 2 - 1, false },	/* ... across refusals */
	{ 1, true },
	{ COST * 100, true },		/* a long idle refills only to the burst */
	{ 0, true }, { 0, true }, { 0, true }, { 0, true },
	{ 0, false },
	{ COST * 2 - 1, true },		/* 2 * COST - 1: one packet, not two */
	{ 0, false },
	{ 1, true },
	{ 0, false },
};

Test(ratelimiter, refill_boundaries)
{
	struct wg_ratelimiter *rl = must_create(16);
	struct wg_endpoint e = ep4(0x0a000001, 51820);
	uint64_t now = T0;
	unsigned int i;

	for (i = 0; i < sizeof(refill_steps) / sizeof(refill_steps[0]); i++) {
		now += refill_steps[i].advance_ns;
		cr_assert_eq(wg_ratelimiter_allow(rl, &e, now),
			     refill_steps[i].result, "step %u", i);
	}
	cr_assert_eq(wg_ratelimiter_count(rl), 1);
	wg_ratelimiter_destroy(rl);
}

/* Exactly n more packets from e are allowed at now, then one is refused. */
static void
spend(struct wg_ratelimiter *rl, const struct wg_endpoint *e, uint64_t now,
      int n)
{
	int i;

	for (i = 0; i < n; i++)
		cr_assert(wg_ratelimiter_allow(rl, e, now), "packet %d of %d", i, n);
	cr_assert_not(wg_ratelimiter_allow(rl, e, now), "packet %d of %d", n, n);
}

/* Spends the whole burst of e at now; the next packet is refused. */
static void
exhaust(struct wg_ratelimiter *rl, const struct wg_endpoint *e, uint64_t now)
{
	spend(rl, e, now, RATELIMIT_BURST);
}

/* Which IPv6 address bytes make a different source: only the /64's. */
Test(ratelimiter, ipv6_keyed_by_slash_64)
{
	struct wg_endpoint base = ep6(0x12345678, 0x9abcdef0, 51820), other;
	struct wg_ratelimiter *rl;
	int byte;

	for (byte = 0; byte < 16; byte++) {
		rl = must_create(16);
		exhaust(rl, &base, T0);
		other = base;
		other.addr.v6[byte] ^= 0x01;
		cr_assert_eq(wg_ratelimiter_allow(rl, &other, T0), byte < 8,
			     "flipping byte %d", byte);
		cr_assert_eq(wg_ratelimiter_count(rl), byte < 8 ? 2 : 1);
		wg_ratelimiter_destroy(rl);
	}
}

Test(ratelimiter, ipv4_keyed_by_whole_address)
{
	struct wg_endpoint base = ep4(0xc0a80101, 51820), other;
	struct wg_ratelimiter *rl;
	int byte;

	for (byte = 0; byte < 4; byte++) {
		rl = must_create(16);
		exhaust(rl, &base, T0);
		other = base;
		other.addr.v4[byte] ^= 0x80;
		cr_assert(wg_ratelimiter_allow(rl, &other, T0), "byte %d", byte);
		cr_assert_eq(wg_ratelimiter_count(rl), 2);
		wg_ratelimiter_destroy(rl);
	}
}

Test(ratelimiter, ports_share_a_bucket)
{
	struct wg_ratelimiter *rl = must_create(16);
	struct wg_endpoint e4 = ep4(0x0a000001, 1), e6 = ep6(7, 7, 1);
	uint16_t port;

	for (port = 1; port <= RATELIMIT_BURST; port++) {
		e4.port = port;
		e6.port = port;
		cr_assert(wg_ratelimiter_allow(rl, &e4, T0));
		cr_assert(wg_ratelimiter_allow(rl, &e6, T0));
	}
	e4.port = 65535;
	e6.port = 0;
	cr_assert_not(wg_ratelimiter_allow(rl, &e4, T0));
	cr_assert_not(wg_ratelimiter_allow(rl, &e6, T0));
	cr_assert_eq(wg_ratelimiter_count(rl), 2);
	wg_ratelimiter_destroy(rl);
}

/* 1.2.3.4 and 0102:0304:: have the same leading bytes, not the same bucket. */
Test(ratelimiter, families_do_not_share)
{
	struct wg_ratelimiter *rl = must_create(16);
	struct wg_endpoint v4 = ep4(0x01020304, 1), v6, none;

	memset(&v6, 0, sizeof(v6));
	v6.family = WG_AF_INET6;
	memcpy(v6.addr.v6, v4.addr.v4, 4);
	exhaust(rl, &v4, T0);
	cr_assert(wg_ratelimiter_allow(rl, &v6, T0));

	/* An endpoint of no known family is refused and leaves no entry. */
	none = v4;
	none.family = WG_AF_NONE;
	cr_assert_not(wg_ratelimiter_allow(rl, &none, T0));
	none.family = 5;
	cr_assert_not(wg_ratelimiter_allow(rl, &none, T0));
	cr_assert_eq(wg_ratelimiter_count(rl), 2);
	wg_ratelimiter_destroy(rl);
}

Test(ratelimiter, full_table_refuses_new_serves_known)
{
	enum { MAX = 4 };
	struct wg_ratelimiter *rl = must_create(MAX);
	struct wg_endpoint e, newcomer = ep6(99, 1, 1);
	uint32_t i;
	int k;

	for (i = 0; i < MAX; i++) {
		e = ep4(0x0a000000 + i, 1);
		cr_assert(wg_ratelimiter_allow(rl, &e, T0));
	}
	cr_assert_eq(wg_ratelimiter_count(rl), MAX);
	for (k = 0; k < 3; k++) {
		cr_assert_not(wg_ratelimiter_allow(rl, &newcomer, T0 + k));
		e = ep4(0x0b000000 + k, 1);
		cr_assert_not(wg_ratelimiter_allow(rl, &e, T0 + k));
		cr_assert_eq(wg_ratelimiter_count(rl), MAX);
	}
	/* Known sources keep their own buckets: 4 more, then refused. */
	for (i = 0; i < MAX; i++) {
		e = ep4(0x0a000000 + i, 2);
		spend(rl, &e, T0 + 10, RATELIMIT_BURST - 1);
	}
	/* Once the idle ones are collected, there is room again. */
	wg_ratelimiter_gc(rl, T0 + 10 + RATELIMIT_GC_AGE_NS + 1);
	cr_assert_eq(wg_ratelimiter_count(rl), 0);
	cr_assert(wg_ratelimiter_allow(rl, &newcomer, T0 + 2 * RATELIMIT_GC_AGE_NS));
	cr_assert_eq(wg_ratelimiter_count(rl), 1);
	wg_ratelimiter_destroy(rl);
}

/*
 * Sources last seen at these offsets from T0, collected at
 * T0 + RATELIMIT_GC_AGE_NS + 1: only those idle strictly longer than the
 * age go (Linux: now - last_time_ns > NSEC_PER_SEC).
 */
static const struct {
	uint64_t last_seen;
	bool collected;
} gc_cases[] = {
	{ 0, true },
	{ 1, false },			/* idle exactly RATELIMIT_GC_AGE_NS */
	{ 2, false },
	{ RATELIMIT_GC_AGE_NS / 2, false },
	{ RATELIMIT_GC_AGE_NS, false },
	{ RATELIMIT_GC_AGE_NS + 1, false },	/* seen at the gc instant */
};

enum { GC_CASES = sizeof(gc_cases) / sizeof(gc_cases[0]) };

Test(ratelimiter, gc_at_exact_age)
{
	struct wg_ratelimiter *rl = must_create(64);
	struct wg_endpoint e;
	unsigned int i, count, dropped = 0;

	for (i = 0; i < GC_CASES; i++) {
		/* A refused packet counts as seen too: the last one decides. */
		e = ep6(i, 0, 1);
		exhaust(rl, &e, T0 + gc_cases[i].last_seen - (i == 0 ? 0 : 1));
		cr_assert_not(wg_ratelimiter_allow(rl, &e, T0 + gc_cases[i].last_seen));
		dropped += gc_cases[i].collected;
	}
	wg_ratelimiter_gc(rl, T0 + RATELIMIT_GC_AGE_NS + 1);
	cr_assert_eq(wg_ratelimiter_count(rl), GC_CASES - dropped);

	/* Asking again re-creates exactly the collected sources. */
	for (i = 0; i < GC_CASES; i++) {
		e = ep6(i, 0, 1);
		count = wg_ratelimiter_count(rl);
		wg_ratelimiter_allow(rl, &e, T0 + RATELIMIT_GC_AGE_NS + 1);
		cr_assert_eq(wg_ratelimiter_count(rl),
			     count + gc_cases[i].collected, "case %u", i);
	}
	wg_ratelimiter_destroy(rl);
}

/* Bursts of many sources into one table: gc keeps the fresh, drops the old. */
Test(ratelimiter, gc_keeps_fresh_drops_idle_many)
{
	enum { N = 500 };
	struct wg_ratelimiter *rl = must_create(2 * N);
	struct wg_endpoint e;
	uint32_t i;

	for (i = 0; i < N; i++) {
		e = ep4(0x0a000000 + i, 1);
		cr_assert(wg_ratelimiter_allow(rl, &e, T0));
		e = ep6(i, 1, 1);
		cr_assert(wg_ratelimiter_allow(rl, &e, T0 + RATELIMIT_GC_AGE_NS));
	}
	wg_ratelimiter_gc(rl, T0 + RATELIMIT_GC_AGE_NS + 1);
	cr_assert_eq(wg_ratelimiter_count(rl), N);
	/* Every IPv6 source survived with its bucket: 4 more, then refused. */
	for (i = 0; i < N; i++) {
		e = ep6(i, 2, 1);
		spend(rl, &e, T0 + RATELIMIT_GC_AGE_NS, RATELIMIT_BURST - 1);
		cr_assert_eq(wg_ratelimiter_count(rl), N);
	}
	wg_ratelimiter_gc(rl, T0 + 3 * RATELIMIT_GC_AGE_NS);
	cr_assert_eq(wg_ratelimiter_count(rl), 0);
	wg_ratelimiter_destroy(rl);
}

static size_t
heap_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/*
 * 100k distinct sources into a 64-entry table: exactly the first 64 get
 * in, the count never passes the bound, and (in builds without ASan, which
 * replaces malloc) the heap does not grow.
 */
Test(ratelimiter, flood_of_sources_stays_bounded)
{
	enum { MAX = 64, SOURCES = 100000 };
	struct wg_ratelimiter *rl = must_create(MAX);
	unsigned int allowed = 0, max_count = 0, late_allowed = 0;
	struct wg_endpoint e;
	size_t heap_before, heap_after;
	uint64_t now;
	uint32_t i;

	heap_before = heap_in_use();
	for (i = 0; i < SOURCES; i++) {
		e = (i & 1) ? ep4(i, i) : ep6(i, i, i);
		allowed += wg_ratelimiter_allow(rl, &e, T0 + i);
		if (wg_ratelimiter_count(rl) > max_count)
			max_count = wg_ratelimiter_count(rl);
	}
	/*
	 * With time passing and gc running every 10 s of clock, each gc
	 * empties the table and the next 64 newcomers get in.
	 */
	for (i = 0; i < SOURCES; i++) {
		now = T0 + 2 * RATELIMIT_GC_AGE_NS + i * 10000000ULL;
		e = ep4(0x80000000 + i, 1);
		if (i % 1000 == 0)
			wg_ratelimiter_gc(rl, now);
		late_allowed += wg_ratelimiter_allow(rl, &e, now);
		if (wg_ratelimiter_count(rl) > max_count)
			max_count = wg_ratelimiter_count(rl);
	}
	heap_after = heap_in_use();

	cr_assert_eq(allowed, MAX);
	cr_assert_eq(max_count, MAX);
	cr_assert_eq(late_allowed, MAX * (SOURCES / 1000));
	cr_assert_eq(heap_after, heap_before);
	wg_ratelimiter_destroy(rl);
}

/* The reference: a linear list with the same rules, written plainly. */
struct naive_entry {
	struct wg_endpoint src;
	uint64_t last, tokens;
};

struct naive {
	struct naive_entry e[64];
	unsigned int n, max;
};

static bool
naive_same_source(const struct wg_endpoint *a, const struct wg_endpoint *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == WG_AF_INET)
		return memcmp(a->addr.v4, b->addr.v4, 4) == 0;
	return memcmp(a->addr.v6, b->addr.v6, 8) == 0;
}

static bool
naive_allow(struct naive *nv, const struct wg_endpoint *src, uint64_t now)
{
	struct naive_entry *x;
	uint64_t tokens;
	unsigned int i;

	for (i = 0; i < nv->n; i++) {
		x = &nv->e[i];
		if (!naive_same_source(&x->src, src))
			continue;
		tokens = x->tokens + (now - x->last);
		if (tokens > RATELIMIT_TOKEN_MAX_NS)
			tokens = RATELIMIT_TOKEN_MAX_NS;
		x->last = now;
		x->tokens = tokens >= COST ? tokens - COST : tokens;
		return tokens >= COST;
	}
	if (nv->n == nv->max)
		return false;
	nv->e[nv->n].src = *src;
	nv->e[nv->n].last = now;
	nv->e[nv->n].tokens = RATELIMIT_TOKEN_MAX_NS - COST;
	nv->n++;
	return true;
}

static void
naive_gc(struct naive *nv, uint64_t now)
{
	unsigned int i = 0;

	while (i < nv->n) {
		if (now - nv->e[i].last > RATELIMIT_GC_AGE_NS)
			nv->e[i] = nv->e[--nv->n];
		else
			i++;
	}
}

static uint64_t
xorshift64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A source from a small universe so that sources recur and tables fill. */
static struct wg_endpoint
random_source(uint64_t *seed)
{
	uint64_t r = xorshift64(seed);
	uint32_t which = r % 40;

	if (which < 20)
		return ep4(0x0a000000 + which, r >> 48);
	/* Interface IDs vary: only 10 distinct /64s among the IPv6 picks. */
	return ep6(which % 10, r >> 32, r >> 48);
}

static void
compare_with_naive(unsigned int max_entries, uint64_t seed)
{
	struct wg_ratelimiter *rl = must_create(max_entries);
	struct naive nv = { .n = 0, .max = max_entries };
	struct wg_endpoint src;
	uint64_t now = T0, r;
	unsigned int step;
	bool got, want;

	cr_assert_leq(max_entries, sizeof(nv.e) / sizeof(nv.e[0]));
	for (step = 0; step < 30000; step++) {
		r = xorshift64(&seed);
		now += r % (COST * 3);
		if (r % 16 == 0) {
			wg_ratelimiter_gc(rl, now);
			naive_gc(&nv, now);
		} else {
			src = random_source(&seed);
			got = wg_ratelimiter_allow(rl, &src, now);
			want = naive_allow(&nv, &src, now);
			if (got != want)
				cr_assert_fail("max %u step %u: allow %d, naive %d",
					 max_entries, step, got, want);
		}
		if (wg_ratelimiter_count(rl) != nv.n)
			cr_assert_fail("max %u step %u: count %u, naive %u", max_entries,
				 step, wg_ratelimiter_count(rl), nv.n);
	}
	wg_ratelimiter_destroy(rl);
}

Test(ratelimiter, randomized_against_naive)
{
	static const unsigned int sizes[] = { 1, 3, 8, 13, 30, 64 };
	unsigned int i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		compare_with_naive(sizes[i], 0x9e3779b97f4a7c15ULL + i);
}
