/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The tunnel address pool: addresses unique and in range, the excluded
 * ones never handed out, exhaustion and reuse of small ranges, every error
 * code, and random operations against a naive array of flags.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "ippool.h"
#include "keys.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

static void
init(void)
{
	cr_assert_eq(wg_crypto_init(), 0);
}

TestSuite(ippool, .init = init);

static struct wg_ippool_addr
addr(const char *text)
{
	struct wg_ippool_addr a;
	bool v6 = strchr(text, ':') != NULL;

	memset(&a, 0, sizeof(a));
	a.family = v6 ? WG_AF_INET6 : WG_AF_INET;
	cr_assert_eq(inet_pton(v6 ? AF_INET6 : AF_INET, text, a.addr.v6), 1,
		     "%s", text);
	return a;
}

static struct wg_ippool_prefix
prefix(const char *text, uint8_t cidr)
{
	struct wg_ippool_prefix p = { .base = addr(text), .cidr = cidr };

	return p;
}

/* The last 32 bits of an address, as a number. */
static uint32_t
low32(const struct wg_ippool_addr *a)
{
	const uint8_t *b = a->family == WG_AF_INET ? a->addr.v4 :
						    &a->addr.v6[12];

	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

static struct wg_ippool *
pool_v4(const char *net, uint8_t cidr, const char *const *fixed, size_t n)
{
	struct wg_ippool_prefix p = prefix(net, cidr);
	struct wg_ippool_addr f[8];
	struct wg_ippool *pool;
	size_t i;

	cr_assert_leq(n, DIM(f));
	for (i = 0; i < n; i++)
		f[i] = addr(fixed[i]);
	pool = wg_ippool_create(&p, NULL, f, n);
	cr_assert_not_null(pool);
	return pool;
}

/* ---- creation ----------------------------------------------------------- */

Test(ippool, create_rejects_bad_prefixes)
{
	struct wg_ippool_prefix v4 = prefix("10.0.0.0", 8);
	struct wg_ippool_prefix v6 = prefix("fd00::", 48);
	struct wg_ippool_prefix v4_long = prefix("10.0.0.0", 33);
	struct wg_ippool_prefix v6_long = prefix("fd00::", 129);
	struct {
		const struct wg_ippool_prefix *v4, *v6;
	} bad[] = {
		{ &v6, NULL },		/* wrong family in the IPv4 slot */
		{ NULL, &v4 },
		{ &v4_long, &v6 },
		{ &v4, &v6_long },
	};
	size_t i;

	for (i = 0; i < DIM(bad); i++) {
		errno = 0;
		cr_expect_null(wg_ippool_create(bad[i].v4, bad[i].v6, NULL, 0),
			       "case %zu", i);
		cr_expect_eq(errno, EINVAL, "case %zu", i);
	}
}

Test(ippool, family_without_range)
{
	struct wg_ippool_prefix v6 = prefix("fd00::", 64);
	struct wg_ippool *pool = wg_ippool_create(NULL, &v6, NULL, 0);
	struct wg_ippool_addr a, v4 = addr("10.0.0.5");

	cr_assert_not_null(pool);
	cr_expect_eq(wg_ippool_alloc(pool, WG_AF_INET, &a), -EAFNOSUPPORT);
	cr_expect_eq(wg_ippool_alloc(pool, 0, &a), -EAFNOSUPPORT);
	cr_expect_eq(wg_ippool_alloc(pool, 5, &a), -EAFNOSUPPORT);
	cr_expect_eq(wg_ippool_reserve(pool, &v4), -ERANGE);
	cr_expect_eq(wg_ippool_count(pool, WG_AF_INET), 0);
	cr_expect_eq(wg_ippool_alloc(pool, WG_AF_INET6, &a), 0);
	cr_expect_eq(a.family, WG_AF_INET6);
	wg_ippool_destroy(pool);
}

/* ---- uniqueness at scale ------------------------------------------------ */

static int
cmp_addr(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct wg_ippool_addr));
}

static void
assert_all_distinct(struct wg_ippool_addr *a, size_t n)
{
	size_t i;

	qsort(a, n, sizeof(*a), cmp_addr);
	for (i = 1; i < n; i++)
		cr_assert_neq(memcmp(&a[i - 1], &a[i], sizeof(*a)), 0,
			      "duplicate at %zu", i);
}

Test(ippool, hundred_thousand_unique_in_range, .timeout = 60)
{
	enum { N = 100000 };
	struct wg_ippool_prefix v4 = prefix("10.0.0.0", 8);
	struct wg_ippool_prefix v6 = prefix("fd12:3456:789a::", 48);
	struct wg_ippool_addr fixed[] = { addr("10.0.0.1"),
					  addr("fd12:3456:789a::1") };
	struct wg_ippool_addr *a4 = calloc(N, sizeof(*a4));
	struct wg_ippool_addr *a6 = calloc(N, sizeof(*a6));
	struct wg_ippool *pool = wg_ippool_create(&v4, &v6, fixed, 2);
	static const uint8_t v6_net[6] = { 0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a };
	size_t i;

	cr_assert_not_null(pool);
	cr_assert(a4 != NULL && a6 != NULL);
	for (i = 0; i < N; i++) {
		cr_assert_eq(wg_ippool_alloc(pool, WG_AF_INET, &a4[i]), 0);
		cr_assert_eq(wg_ippool_alloc(pool, WG_AF_INET6, &a6[i]), 0);
		cr_assert_eq(a4[i].family, WG_AF_INET);
		cr_assert_eq(a4[i].addr.v4[0], 10);
		cr_assert_neq(low32(&a4[i]), 0x0a000000u);	/* network */
		cr_assert_neq(low32(&a4[i]), 0x0affffffu);	/* broadcast */
		cr_assert_neq(low32(&a4[i]), 0x0a000001u);	/* fixed */
		cr_assert_eq(a6[i].family, WG_AF_INET6);
		cr_assert_arr_eq(a6[i].addr.v6, v6_net, sizeof(v6_net));
		cr_assert_neq(memcmp(&a6[i], &fixed[1], sizeof(a6[i])), 0);
		cr_assert_neq(memcmp(&a6[i].addr.v6[6],
				     "\0\0\0\0\0\0\0\0\0", 10), 0); /* anycast */
	}
	cr_expect_eq(wg_ippool_count(pool, WG_AF_INET), N);
	cr_expect_eq(wg_ippool_count(pool, WG_AF_INET6), N);
	for (i = 0; i < N; i++) {
		cr_assert(wg_ippool_in_use(pool, &a4[i]));
		cr_assert(wg_ippool_in_use(pool, &a6[i]));
	}
	/* Everything back: the pool is empty again. */
	for (i = 0; i < N; i++) {
		cr_assert_eq(wg_ippool_free(pool, &a4[i]), 0);
		cr_assert_eq(wg_ippool_free(pool, &a6[i]), 0);
	}
	cr_expect_eq(wg_ippool_count(pool, WG_AF_INET), 0);
	cr_expect_eq(wg_ippool_count(pool, WG_AF_INET6), 0);
	for (i = 0; i < N; i += 97)
		cr_assert(!wg_ippool_in_use(pool, &a4[i]));
	cr_expect(wg_ippool_in_use(pool, &fixed[0]));
	cr_expect(wg_ippool_in_use(pool, &fixed[1]));
	assert_all_distinct(a4, N);
	assert_all_distinct(a6, N);
	wg_ippool_destroy(pool);
	free(a4);
	free(a6);
}

/* ---- small ranges: exactly the usable addresses, then ENOSPC ------------ */

struct small_case {
	const char *net;
	uint8_t cidr;
	const char *fixed;	/* or NULL */
	const char *usable[8];	/* exactly what alloc may return */
};

static const struct small_case small_cases[] = {
	{ "192.168.7.0", 29, "192.168.7.1",
	  { "192.168.7.2", "192.168.7.3", "192.168.7.4", "192.168.7.5",
	    "192.168.7.6" } },
	{ "192.168.7.0", 29, NULL,
	  { "192.168.7.1", "192.168.7.2", "192.168.7.3", "192.168.7.4",
	    "192.168.7.5", "192.168.7.6" } },
	{ "192.168.7.4", 30, NULL, { "192.168.7.5", "192.168.7.6" } },
	{ "192.168.7.4", 31, NULL, { "192.168.7.4", "192.168.7.5" } },
	{ "192.168.7.4", 32, NULL, { "192.168.7.4" } },
	{ "192.168.7.4", 30, "192.168.7.5", { "192.168.7.6" } },
	/* A fixed address outside the range changes nothing. */
	{ "192.168.7.4", 30, "10.0.0.1", { "192.168.7.5", "192.168.7.6" } },
	/* Host bits of the configured prefix are ignored. */
	{ "192.168.7.7", 30, NULL, { "192.168.7.5", "192.168.7.6" } },
	{ "fd00::", 126, NULL, { "fd00::1", "fd00::2", "fd00::3" } },
	{ "fd00::", 126, "fd00::1", { "fd00::2", "fd00::3" } },
	{ "fd00::4", 127, NULL, { "fd00::4", "fd00::5" } },
	{ "fd00::4", 128, NULL, { "fd00::4" } },
	{ "fd00::ff00", 125, "fd00::ff07",
	  { "fd00::ff01", "fd00::ff02", "fd00::ff03", "fd00::ff04",
	    "fd00::ff05", "fd00::ff06" } },
};

static size_t
usable_count(const struct small_case *c)
{
	size_t n = 0;

	while (n < DIM(c->usable) && c->usable[n] != NULL)
		n++;
	return n;
}

static struct wg_ippool *
small_pool(const struct small_case *c, uint8_t *family)
{
	struct wg_ippool_prefix p = prefix(c->net, c->cidr);
	struct wg_ippool_addr f = { 0 };
	bool v6 = p.base.family == WG_AF_INET6;
	struct wg_ippool *pool;

	if (c->fixed != NULL)
		f = addr(c->fixed);
	pool = wg_ippool_create(v6 ? NULL : &p, v6 ? &p : NULL, &f,
				c->fixed != NULL ? 1 : 0);
	cr_assert_not_null(pool);
	*family = p.base.family;
	return pool;
}

/* Fills the pool, checking each address is one of the usable ones. */
static void
fill_small(struct wg_ippool *pool, uint8_t family, const struct small_case *c,
	   size_t case_no, bool got[8])
{
	size_t n = usable_count(c), i, j;
	struct wg_ippool_addr a;

	memset(got, 0, 8 * sizeof(got[0]));
	for (i = 0; i < n; i++) {
		cr_assert_eq(wg_ippool_alloc(pool, family, &a), 0,
			     "case %zu alloc %zu", case_no, i);
		for (j = 0; j < n; j++) {
			struct wg_ippool_addr u = addr(c->usable[j]);

			if (memcmp(&u, &a, sizeof(a)) == 0)
				break;
		}
		cr_assert_lt(j, n, "case %zu: unexpected address", case_no);
		cr_assert(!got[j], "case %zu: returned twice", case_no);
		got[j] = true;
	}
}

Test(ippool, small_ranges_give_exactly_the_usable_addresses)
{
	size_t i, round;

	/* Many rounds: the draws are random, the outcome must not be. */
	for (round = 0; round < 50; round++) {
		for (i = 0; i < DIM(small_cases); i++) {
			const struct small_case *c = &small_cases[i];
			uint8_t family;
			struct wg_ippool *pool = small_pool(c, &family);
			struct wg_ippool_addr a;
			bool got[8];

			fill_small(pool, family, c, i, got);
			cr_assert_eq(wg_ippool_alloc(pool, family, &a), -ENOSPC,
				     "case %zu", i);
			cr_assert_eq(wg_ippool_count(pool, family),
				     usable_count(c), "case %zu", i);
			wg_ippool_destroy(pool);
		}
	}
}

Test(ippool, exhaustion_changes_nothing_and_free_makes_room)
{
	const struct small_case *c = &small_cases[0];	/* /29, .1 fixed */
	uint8_t family;
	struct wg_ippool *pool = small_pool(c, &family);
	struct wg_ippool_addr a, before = addr("192.168.7.4");
	bool got[8], in_use[8];
	size_t i;

	fill_small(pool, family, c, 0, got);
	for (i = 0; i < 8; i++) {
		struct wg_ippool_addr x = addr("192.168.7.0");

		x.addr.v4[3] = (uint8_t)i;
		in_use[i] = wg_ippool_in_use(pool, &x);
	}
	/* Network and broadcast are never in use; .1 (fixed) is. */
	cr_expect(!in_use[0] && in_use[1] && !in_use[7]);
	memset(&a, 0xa5, sizeof(a));
	cr_assert_eq(wg_ippool_alloc(pool, family, &a), -ENOSPC);
	cr_expect_eq(wg_ippool_count(pool, family), 5);
	for (i = 0; i < 8; i++) {
		struct wg_ippool_addr x = addr("192.168.7.0");

		x.addr.v4[3] = (uint8_t)i;
		cr_expect_eq(wg_ippool_in_use(pool, &x), in_use[i]);
	}
	/* The one freed address is the one the next alloc must return. */
	cr_assert_eq(wg_ippool_free(pool, &before), 0);
	cr_expect(!wg_ippool_in_use(pool, &before));
	cr_assert_eq(wg_ippool_alloc(pool, family, &a), 0);
	cr_expect_eq(memcmp(&a, &before, sizeof(a)), 0);
	cr_expect_eq(wg_ippool_alloc(pool, family, &a), -ENOSPC);
	wg_ippool_destroy(pool);
}

/* A /20 filled to the last address: the linear walk finds the stragglers. */
Test(ippool, medium_range_fills_completely)
{
	enum { USABLE = 4094 };
	struct wg_ippool *pool = pool_v4("172.16.0.0", 20, NULL, 0);
	struct wg_ippool_addr *a = calloc(USABLE, sizeof(*a)), extra;
	size_t i;

	cr_assert_not_null(a);
	for (i = 0; i < USABLE; i++) {
		cr_assert_eq(wg_ippool_alloc(pool, WG_AF_INET, &a[i]), 0,
			     "alloc %zu", i);
		cr_assert_eq(a[i].addr.v4[0], 172);
		cr_assert_eq(a[i].addr.v4[1], 16);
		cr_assert_lt(a[i].addr.v4[2], 16);
	}
	cr_assert_eq(wg_ippool_alloc(pool, WG_AF_INET, &extra), -ENOSPC);
	assert_all_distinct(a, USABLE);
	for (i = 0; i < USABLE; i++) {
		cr_assert_neq(low32(&a[i]), 0xac100000u);
		cr_assert_neq(low32(&a[i]), 0xac100fffu);
	}
	wg_ippool_destroy(pool);
	free(a);
}

/* ---- reserve / free errors ---------------------------------------------- */

Test(ippool, reserve_and_free_answers)
{
	static const char *const fixed[] = { "10.0.0.1" };
	struct wg_ippool_prefix v4 = prefix("10.0.0.0", 24);
	struct wg_ippool_prefix v6 = prefix("fd00:1::", 64);
	struct wg_ippool_addr f[] = { addr(fixed[0]), addr("fd00:1::1") };
	struct wg_ippool *pool = wg_ippool_create(&v4, &v6, f, 2);
	struct wg_ippool_addr bad = addr("10.0.0.9");
	static const struct {
		const char *addr;
		int reserve, free_after;
	} cases[] = {
		{ "10.0.0.9", 0, 0 },
		{ "10.0.0.254", 0, 0 },
		{ "fd00:1::ffff:ffff:ffff:ffff", 0, 0 },
		{ "fd00:1::2", 0, 0 },
		{ "10.0.0.1", -EEXIST, -EPERM },	/* fixed */
		{ "fd00:1::1", -EEXIST, -EPERM },
		{ "10.0.0.0", -ERANGE, -ENOENT },	/* network */
		{ "10.0.0.255", -ERANGE, -ENOENT },	/* broadcast */
		{ "fd00:1::", -ERANGE, -ENOENT },	/* anycast */
		{ "10.0.1.1", -ERANGE, -ENOENT },	/* outside */
		{ "192.168.0.1", -ERANGE, -ENOENT },
		{ "fd00:2::1", -ERANGE, -ENOENT },
	};
	size_t i;

	cr_assert_not_null(pool);
	for (i = 0; i < DIM(cases); i++) {
		struct wg_ippool_addr a = addr(cases[i].addr);
		size_t before = wg_ippool_count(pool, a.family);
		int r = cases[i].reserve;

		cr_expect_eq(wg_ippool_reserve(pool, &a), r, "case %zu", i);
		cr_expect_eq(wg_ippool_count(pool, a.family),
			     before + (r == 0), "case %zu", i);
		if (r == 0) {
			cr_expect(wg_ippool_in_use(pool, &a), "case %zu", i);
			cr_expect_eq(wg_ippool_reserve(pool, &a), -EEXIST,
				     "case %zu", i);
		}
		cr_expect_eq(wg_ippool_free(pool, &a), cases[i].free_after,
			     "case %zu", i);
		/* Whatever happened, it is now free or fixed as before. */
		cr_expect_eq(wg_ippool_free(pool, &a),
			     r == -EEXIST ? -EPERM : -ENOENT, "case %zu", i);
		cr_expect_eq(wg_ippool_count(pool, a.family), before,
			     "case %zu", i);
	}
	bad.family = 5;
	cr_expect_eq(wg_ippool_reserve(pool, &bad), -EINVAL);
	cr_expect_eq(wg_ippool_free(pool, &bad), -ENOENT);
	cr_expect(!wg_ippool_in_use(pool, &bad));
	/* An allocated address is taken for reserve too. */
	cr_assert_eq(wg_ippool_alloc(pool, WG_AF_INET, &bad), 0);
	cr_expect_eq(wg_ippool_reserve(pool, &bad), -EEXIST);
	wg_ippool_destroy(pool);
}

Test(ippool, reserved_addresses_are_never_allocated)
{
	struct wg_ippool *pool = pool_v4("10.9.8.0", 28, NULL, 0);
	struct wg_ippool_addr a;
	bool taken[16] = { 0 };
	size_t i;

	/* Reserve the odd host numbers 1..13; only the even ones remain. */
	for (i = 1; i < 15; i += 2) {
		a = addr("10.9.8.0");
		a.addr.v4[3] = (uint8_t)i;
		cr_assert_eq(wg_ippool_reserve(pool, &a), 0);
		taken[i] = true;
	}
	for (i = 0; i < 7; i++) {
		cr_assert_eq(wg_ippool_alloc(pool, WG_AF_INET, &a), 0);
		cr_assert_eq(a.addr.v4[3] % 2, 0);
		cr_assert(a.addr.v4[3] != 0);
		cr_assert(!taken[a.addr.v4[3]]);
		taken[a.addr.v4[3]] = true;
	}
	cr_expect_eq(wg_ippool_alloc(pool, WG_AF_INET, &a), -ENOSPC);
	cr_expect_eq(wg_ippool_count(pool, WG_AF_INET), 14);
	wg_ippool_destroy(pool);
}

/* ---- against a naive reference ------------------------------------------ */

/*
 * A /27 (hosts 1..30 usable) with host 17 fixed, driven by random
 * operations on random host numbers 0..40 (some outside the range); the
 * reference is one flag per host number.
 */
Test(ippool, random_operations_match_reference)
{
	static const char *const fixed[] = { "10.20.30.17" };
	struct wg_ippool *pool = pool_v4("10.20.30.0", 27, fixed, 1);
	bool ref[41] = { 0 };
	size_t step, used = 0, h;
	struct wg_ippool_addr a;
	int want, got;

	ref[17] = true;
	srand(777);
	for (step = 0; step < 50000; step++) {
		h = (size_t)rand() % 41;
		a = addr("10.20.30.0");
		a.addr.v4[3] = (uint8_t)h;
		switch (rand() % 4) {
		case 0:
			want = used == 29 ? -ENOSPC : 0;
			got = wg_ippool_alloc(pool, WG_AF_INET, &a);
			cr_assert_eq(got, want, "step %zu", step);
			if (got == 0) {
				h = a.addr.v4[3];
				cr_assert(h >= 1 && h <= 30 && !ref[h]);
				ref[h] = true;
				used++;
			}
			break;
		case 1:
			want = h == 0 || h >= 31 ? -ERANGE :
			       ref[h] ? -EEXIST : 0;
			cr_assert_eq(wg_ippool_reserve(pool, &a), want,
				     "step %zu", step);
			if (want == 0) {
				ref[h] = true;
				used++;
			}
			break;
		case 2:
			want = h == 17 ? -EPERM : ref[h] ? 0 : -ENOENT;
			cr_assert_eq(wg_ippool_free(pool, &a), want,
				     "step %zu", step);
			if (want == 0) {
				ref[h] = false;
				used--;
			}
			break;
		default:
			cr_assert_eq(wg_ippool_in_use(pool, &a), ref[h],
				     "step %zu", step);
		}
		cr_assert_eq(wg_ippool_count(pool, WG_AF_INET), used);
	}
	wg_ippool_destroy(pool);
}

/* ---- randomness --------------------------------------------------------- */

Test(ippool, draws_are_random_not_sequential)
{
	struct wg_ippool_prefix v4 = prefix("10.0.0.0", 8);
	struct wg_ippool_prefix v6 = prefix("fd00:aaaa:bbbb::", 48);
	struct wg_ippool *p1 = wg_ippool_create(&v4, &v6, NULL, 0);
	struct wg_ippool *p2 = wg_ippool_create(&v4, &v6, NULL, 0);
	struct wg_ippool_addr a, b, prev;
	bool second_octet[256] = { false };
	size_t i, distinct = 0, steps_of_one = 0;

	cr_assert(p1 != NULL && p2 != NULL);
	/* Equal by chance with probability 2^-80. */
	cr_assert_eq(wg_ippool_alloc(p1, WG_AF_INET6, &a), 0);
	cr_assert_eq(wg_ippool_alloc(p2, WG_AF_INET6, &b), 0);
	cr_expect_neq(memcmp(&a, &b, sizeof(a)), 0);
	/*
	 * 4096 draws from a /8 cover nearly every second octet (all but
	 * 256 * e^-16 expected to be missed) and are never mostly +1 steps.
	 */
	cr_assert_eq(wg_ippool_alloc(p1, WG_AF_INET, &prev), 0);
	for (i = 0; i < 4096; i++) {
		cr_assert_eq(wg_ippool_alloc(p1, WG_AF_INET, &a), 0);
		if (!second_octet[a.addr.v4[1]]) {
			second_octet[a.addr.v4[1]] = true;
			distinct++;
		}
		steps_of_one += low32(&a) == low32(&prev) + 1;
		prev = a;
	}
	cr_expect_geq(distinct, 250, "%zu", distinct);
	cr_expect_lt(steps_of_one, 10, "%zu", steps_of_one);
	wg_ippool_destroy(p1);
	wg_ippool_destroy(p2);
}
