/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * ARP and neighbour discovery: answers for our addresses only; learns only
 * the first timely reply to its own solicitation (and an unresolved
 * gateway's request), so spoofed replies, NAs and requests neither fill the
 * table nor move a resolved entry; static entries win; the table is bounded,
 * evicts its oldest learned entry and ages; lookups stay right while
 * writers churn the slots. Frames come from other instances' builders and
 * parsers, so both check each other.
 */
#include <pthread.h>
#include <string.h>

#include <criterion/criterion.h>

#include "neigh.h"

enum { CAP = 128 };
#define T0 1000000000ULL

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };
static const uint8_t mac_evil[6] = { 0x02, 0, 0, 0, 0, 0xee };
static const uint8_t ip4_a[4] = { 192, 0, 2, 1 }, ip4_b[4] = { 192, 0, 2, 2 };
static const uint8_t ip4_gw[4] = { 192, 0, 2, 254 }, ip4_far[4] = { 198, 51, 100, 7 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

/* a: the port under test. twin: a's addresses and MAC, so that frames
 * built by twin look like a's without a recording a request. */
static struct wg_neigh a, twin, other;

static void
port_init(struct wg_neigh *n, const uint8_t *mac, const uint8_t *ip4,
	  const uint8_t *ip6)
{
	wg_neigh_init(n, mac);
	wg_neigh_set_addr(n, WG_AF_INET, ip4, 24);
	wg_neigh_set_addr(n, WG_AF_INET6, ip6, 64);
}

static void
setup(void)
{
	port_init(&a, mac_a, ip4_a, ip6_a);
	wg_neigh_set_gateway(&a, WG_AF_INET, ip4_gw);
	port_init(&twin, mac_a, ip4_a, ip6_a);
}

TestSuite(neigh, .init = setup);

static const enum wg_family families[2] = { WG_AF_INET, WG_AF_INET6 };

static const uint8_t *
ip_b(enum wg_family f)
{
	return f == WG_AF_INET ? ip4_b : ip6_b;
}

/* a asks for ip at t. */
static void
ask(enum wg_family family, const uint8_t *ip, uint64_t t)
{
	uint8_t frame[CAP];

	cr_assert_gt(wg_neigh_solicit(&a, family, ip, t, frame, sizeof(frame)), 0);
}

/*
 * The answer that a station owning ip with mac gives to a's solicitation
 * for ip (built by twin: a records nothing). Returns its length.
 */
static uint16_t
answer_as(enum wg_family family, const uint8_t *ip, const uint8_t *mac,
	  uint8_t frame[CAP])
{
	uint16_t len = wg_neigh_solicit(&twin, family, ip, T0, frame, CAP);
	uint8_t plen = family == WG_AF_INET ? 16 : 64;

	cr_assert_gt(len, 0);
	wg_neigh_init(&other, mac);
	wg_neigh_set_addr(&other, family, ip, plen);
	cr_assert_eq(wg_neigh_input(&other, frame, &len, CAP, T0), WG_NEIGH_REPLY);
	cr_assert_arr_eq(frame, mac_a, 6, "the answer goes to a");
	return len;
}

/* What a makes of ip's answer from mac at t. */
static enum wg_neigh_verdict
answer_to_a(enum wg_family family, const uint8_t *ip, const uint8_t *mac,
	    uint64_t t)
{
	uint8_t frame[CAP];
	uint16_t len = answer_as(family, ip, mac, frame);

	return wg_neigh_input(&a, frame, &len, CAP, t);
}

static void
assert_mac(enum wg_family family, const uint8_t *ip, const uint8_t *want)
{
	uint8_t mac[6];

	if (want == NULL) {
		cr_assert_eq(wg_neigh_lookup(&a, family, ip, mac), -1);
		return;
	}
	cr_assert_eq(wg_neigh_lookup(&a, family, ip, mac), 0);
	cr_assert_arr_eq(mac, want, 6);
}

/* a asks b; b answers; a learns b's MAC, and b learns nothing of a. */
static void
round_trip(enum wg_family family)
{
	uint8_t frame[CAP], mac[6];
	uint16_t len;
	struct wg_neigh b;

	port_init(&b, mac_b, ip4_b, ip6_b);
	assert_mac(family, ip_b(family), NULL);
	len = wg_neigh_solicit(&a, family, ip_b(family), T0, frame, sizeof(frame));
	cr_assert_gt(len, 0);
	cr_assert_eq(wg_neigh_input(&b, frame, &len, sizeof(frame), T0), WG_NEIGH_REPLY);
	cr_assert_arr_eq(frame, mac_a, 6);
	cr_assert_arr_eq(frame + 6, mac_b, 6);
	cr_assert_eq(wg_neigh_lookup(&b, family, family == WG_AF_INET ? ip4_a : ip6_a,
				     mac), -1, "a is not b's gateway: not learned");
	cr_assert_eq(wg_neigh_input(&a, frame, &len, sizeof(frame), T0 + 1),
		     WG_NEIGH_CONSUMED);
	assert_mac(family, ip_b(family), mac_b);
}

Test(neigh, arp_round_trip)
{
	round_trip(WG_AF_INET);
}

Test(neigh, nd_round_trip)
{
	round_trip(WG_AF_INET6);
}

Test(neigh, arp_reply_fields)
{
	uint8_t frame[CAP];
	uint16_t len = wg_neigh_solicit(&a, WG_AF_INET, ip4_b, T0, frame, sizeof(frame));

	cr_assert_eq(len, 60, "padded to the Ethernet minimum");
	len = answer_as(WG_AF_INET, ip4_b, mac_b, frame);
	cr_assert_eq(frame[12], 0x08);
	cr_assert_eq(frame[13], 0x06);
	cr_assert_eq(frame[14 + 7], 2, "op is reply");
	cr_assert_arr_eq(frame + 14 + 8, mac_b, 6, "sender MAC");
	cr_assert_arr_eq(frame + 14 + 14, ip4_b, 4, "sender IP");
	cr_assert_arr_eq(frame + 14 + 18, mac_a, 6, "target MAC");
	cr_assert_arr_eq(frame + 14 + 24, ip4_a, 4, "target IP");
}

Test(neigh, arp_for_someone_else_is_not_answered_nor_learned)
{
	uint8_t frame[CAP];
	uint16_t len = wg_neigh_solicit(&twin, WG_AF_INET, ip4_gw, T0, frame,
					sizeof(frame));

	port_init(&other, mac_b, ip4_b, ip6_b);
	cr_assert_eq(wg_neigh_input(&other, frame, &len, sizeof(frame), T0),
		     WG_NEIGH_INVALID);
}

Test(neigh, nd_rejects_bad_hop_limit_and_checksum)
{
	uint8_t frame[CAP], copy[CAP];
	uint16_t len = wg_neigh_solicit(&twin, WG_AF_INET6, ip6_b, T0, frame,
					sizeof(frame));
	uint16_t l2 = len;

	port_init(&other, mac_b, ip4_b, ip6_b);
	memcpy(copy, frame, len);
	copy[14 + 7] = 64;			/* hop limit: must be 255 */
	cr_assert_eq(wg_neigh_input(&other, copy, &l2, sizeof(copy), T0),
		     WG_NEIGH_INVALID);
	memcpy(copy, frame, len);
	copy[14 + 40 + 10] ^= 1;		/* target byte: checksum breaks */
	l2 = len;
	cr_assert_eq(wg_neigh_input(&other, copy, &l2, sizeof(copy), T0),
		     WG_NEIGH_INVALID);
}

Test(neigh, nd_answer_checksum_is_valid)
{
	uint8_t frame[CAP];
	uint16_t len;

	ask(WG_AF_INET6, ip6_b, T0);
	len = answer_as(WG_AF_INET6, ip6_b, mac_b, frame);
	cr_assert_eq(frame[14 + 40], 136, "an NA");
	cr_assert_eq(frame[14 + 40 + 4] & 0x60, 0x60, "solicited and override");
	/* a checks the checksum before it learns. */
	cr_assert_eq(wg_neigh_input(&a, frame, &len, sizeof(frame), T0),
		     WG_NEIGH_CONSUMED);
	assert_mac(WG_AF_INET6, ip6_b, mac_b);
}

/* ---- What may teach the table ---- */

Test(neigh, unsolicited_replies_teach_nothing)
{
	enum wg_family f;
	int k;

	for (k = 0; k < 2 && (f = families[k]); k++) {
		cr_assert_eq(answer_to_a(f, ip_b(f), mac_evil, T0), WG_NEIGH_INVALID,
			     "family %d", f);
		assert_mac(f, ip_b(f), NULL);
	}
	/* The gateway's, too: the man in the middle starts there. */
	cr_assert_eq(answer_to_a(WG_AF_INET, ip4_gw, mac_evil, T0), WG_NEIGH_INVALID);
	assert_mac(WG_AF_INET, ip4_gw, NULL);
}

/* Once answered, a resolved entry is moved only by a reply to a new request. */
Test(neigh, late_spoofed_reply_does_not_move_a_resolved_entry)
{
	enum wg_family f;
	int k;

	for (k = 0; k < 2 && (f = families[k]); k++) {
		ask(f, ip_b(f), T0);
		cr_assert_eq(answer_to_a(f, ip_b(f), mac_b, T0 + 1), WG_NEIGH_CONSUMED);
		cr_assert_eq(answer_to_a(f, ip_b(f), mac_evil, T0 + 2),
			     WG_NEIGH_INVALID, "family %d", f);
		assert_mac(f, ip_b(f), mac_b);
		/* The next refresh's reply does. */
		ask(f, ip_b(f), T0 + 3);
		cr_assert_eq(answer_to_a(f, ip_b(f), mac_evil, T0 + 4), WG_NEIGH_CONSUMED);
		assert_mac(f, ip_b(f), mac_evil);
	}
}

Test(neigh, reply_after_the_answer_window_is_refused)
{
	ask(WG_AF_INET, ip4_b, T0);
	cr_assert_eq(answer_to_a(WG_AF_INET, ip4_b, mac_b, T0 + WG_NEIGH_ANSWER_NS + 1),
		     WG_NEIGH_INVALID);
	assert_mac(WG_AF_INET, ip4_b, NULL);
	ask(WG_AF_INET, ip4_b, T0 + WG_NEIGH_ANSWER_NS + 2);
	cr_assert_eq(answer_to_a(WG_AF_INET, ip4_b, mac_b, T0 + WG_NEIGH_ANSWER_NS + 3),
		     WG_NEIGH_CONSUMED);
	assert_mac(WG_AF_INET, ip4_b, mac_b);
}

/* A request from `from` (MAC mac) for a's address, fed to a at t. */
static enum wg_neigh_verdict
request_to_a(enum wg_family family, const uint8_t *from4, const uint8_t *from6,
	     const uint8_t *mac, uint64_t t)
{
	uint8_t frame[CAP];
	uint16_t len;

	port_init(&other, mac, from4, from6);
	len = wg_neigh_solicit(&other, family, family == WG_AF_INET ? ip4_a : ip6_a,
			       t, frame, CAP);
	cr_assert_gt(len, 0);
	return wg_neigh_input(&a, frame, &len, CAP, t);
}

/*
 * A request's sender is learned only when it is a's configured gateway and
 * not resolved yet: the first one answers, a forged one later moves nothing.
 */
Test(neigh, requests_teach_only_an_unresolved_gateway)
{
	static const uint8_t ip6_gw[16] = { 0xfe, 0x80, [15] = 1 };
	static const uint8_t mac_gw[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	enum wg_family f;
	int k;

	wg_neigh_set_gateway(&a, WG_AF_INET6, ip6_gw);
	for (k = 0; k < 2 && (f = families[k]); k++) {
		const uint8_t *gw = f == WG_AF_INET ? ip4_gw : ip6_gw;

		cr_assert_eq(request_to_a(f, ip4_b, ip6_b, mac_evil, T0), WG_NEIGH_REPLY);
		assert_mac(f, ip_b(f), NULL);
		cr_assert_eq(request_to_a(f, ip4_gw, ip6_gw, mac_gw, T0), WG_NEIGH_REPLY);
		assert_mac(f, gw, mac_gw);
		cr_assert_eq(request_to_a(f, ip4_gw, ip6_gw, mac_evil, T0 + 1),
			     WG_NEIGH_REPLY, "still answered");
		assert_mac(f, gw, mac_gw);
	}
}

/* ---- Static entries ---- */

Test(neigh, static_entries_are_never_asked_nor_moved)
{
	static const uint8_t fixed[6] = { 0x02, 1, 2, 3, 4, 5 };
	uint8_t frame[CAP];

	cr_assert_eq(wg_neigh_add_static(&a, WG_AF_INET, ip4_b, fixed), 0);
	cr_assert_eq(wg_neigh_solicit(&a, WG_AF_INET, ip4_b, T0, frame, CAP), 0,
		     "nothing to ask");
	cr_assert_eq(answer_to_a(WG_AF_INET, ip4_b, mac_evil, T0), WG_NEIGH_INVALID);
	wg_neigh_expire(&a, T0 + 10 * WG_NEIGH_STALE_NS);
	assert_mac(WG_AF_INET, ip4_b, fixed);
}

static void
ip_n(unsigned int i, uint8_t ip[4])
{
	ip[0] = 10;
	ip[1] = 0;
	ip[2] = i >> 8;
	ip[3] = i;
}

/* ip_n(i) asked and answered (MAC ending in i) at time T0 + i. */
static void
resolve_n(unsigned int i)
{
	uint8_t ip[4], mac[6] = { 0x02, 0, 0, 0, i >> 8, i };

	ip_n(i, ip);
	ask(WG_AF_INET, ip, T0 + i);
	cr_assert_eq(answer_to_a(WG_AF_INET, ip, mac, T0 + i), WG_NEIGH_CONSUMED,
		     "neighbour %u", i);
}

Test(neigh, static_entry_fits_a_full_table)
{
	static const uint8_t fixed[6] = { 0x02, 1, 2, 3, 4, 5 };
	unsigned int i;

	for (i = 0; i < WG_NEIGH_MAX; i++)
		resolve_n(i);
	cr_assert_eq(wg_neigh_add_static(&a, WG_AF_INET, ip4_b, fixed), 0);
	for (i = WG_NEIGH_MAX; i < 3 * WG_NEIGH_MAX; i++)
		resolve_n(i);
	assert_mac(WG_AF_INET, ip4_b, fixed);
}

Test(neigh, a_table_of_statics_refuses_more)
{
	uint8_t ip[4], frame[CAP];
	unsigned int i;

	for (i = 0; i < WG_NEIGH_MAX; i++) {
		ip_n(i, ip);
		cr_assert_eq(wg_neigh_add_static(&a, WG_AF_INET, ip, mac_b), 0);
	}
	ip_n(i, ip);
	cr_assert_eq(wg_neigh_add_static(&a, WG_AF_INET, ip, mac_b), -1);
	cr_assert_eq(wg_neigh_solicit(&a, WG_AF_INET, ip, T0, frame, CAP), 0);
	ip_n(7, ip);
	assert_mac(WG_AF_INET, ip, mac_b);
}

Test(neigh, next_hop_is_on_link_or_gateway)
{
	cr_assert_eq(wg_neigh_next_hop(&a, WG_AF_INET, ip4_b), ip4_b);
	cr_assert_arr_eq(wg_neigh_next_hop(&a, WG_AF_INET, ip4_far), ip4_gw, 4);
	cr_assert_eq(wg_neigh_next_hop(&a, WG_AF_INET6, ip6_b), ip6_b);
	cr_assert_null(wg_neigh_next_hop(&a, WG_AF_INET6, (const uint8_t[16]){ 0x30 }),
		       "no IPv6 gateway configured");
}

/* ---- Bounds and age ---- */

Test(neigh, full_table_evicts_the_oldest_learned)
{
	uint8_t ip[4], mac[6] = { 0x02, 0, 0, 0, 0, 0 };
	unsigned int i, n = WG_NEIGH_MAX + 50;

	for (i = 0; i < n; i++)
		resolve_n(i);
	for (i = 0; i < n; i++) {
		ip_n(i, ip);
		mac[4] = i >> 8;
		mac[5] = i;
		assert_mac(WG_AF_INET, ip, i < n - WG_NEIGH_MAX ? NULL : mac);
	}
}

Test(neigh, learned_entries_age_out)
{
	uint8_t frame[CAP];

	ask(WG_AF_INET, ip4_b, T0);
	cr_assert_eq(answer_to_a(WG_AF_INET, ip4_b, mac_b, T0), WG_NEIGH_CONSUMED);
	wg_neigh_expire(&a, T0 + WG_NEIGH_STALE_NS);
	assert_mac(WG_AF_INET, ip4_b, mac_b);
	wg_neigh_expire(&a, T0 + WG_NEIGH_STALE_NS + 1);
	assert_mac(WG_AF_INET, ip4_b, NULL);
	/* The removed slot takes the next answer. */
	cr_assert_gt(wg_neigh_solicit(&a, WG_AF_INET, ip4_b, 2 * WG_NEIGH_STALE_NS,
				      frame, CAP), 0);
	cr_assert_eq(answer_to_a(WG_AF_INET, ip4_b, mac_evil, 2 * WG_NEIGH_STALE_NS),
		     WG_NEIGH_CONSUMED);
	assert_mac(WG_AF_INET, ip4_b, mac_evil);
}

/*
 * Lock-free lookups while a writer fills, evicts and expires slots over and
 * over: a lookup of ip_n(i) finds its own MAC or nothing, never another's.
 */
static volatile int churn_done;

static void *
churn_reader(void *arg)
{
	unsigned int i = 0, *wrong = arg;
	uint8_t ip[4], mac[6];

	while (!__atomic_load_n(&churn_done, __ATOMIC_ACQUIRE)) {
		i = (i + 7) % (2 * WG_NEIGH_MAX);
		ip_n(i, ip);
		if (wg_neigh_lookup(&a, WG_AF_INET, ip, mac) == 0 &&
		    (mac[4] != (uint8_t)(i >> 8) || mac[5] != (uint8_t)i))
			(*wrong)++;
	}
	return NULL;
}

Test(neigh, lookups_stay_right_while_slots_churn)
{
	unsigned int round, i, wrong = 0;
	pthread_t reader;

	cr_assert_eq(pthread_create(&reader, NULL, churn_reader, &wrong), 0);
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 2 * WG_NEIGH_MAX; i++)
			resolve_n(i);
		wg_neigh_expire(&a, T0 + 2 * WG_NEIGH_MAX + WG_NEIGH_STALE_NS + 1);
	}
	__atomic_store_n(&churn_done, 1, __ATOMIC_RELEASE);
	pthread_join(reader, NULL);
	cr_assert_eq(wrong, 0, "%u lookups found another address's MAC", wrong);
}

/* Every truncation of valid frames is refused without reading past it. */
Test(neigh, truncated_frames)
{
	enum wg_family fam[2] = { WG_AF_INET, WG_AF_INET6 };
	const uint8_t *ips[2] = { ip4_b, ip6_b };
	int f;

	port_init(&other, mac_b, ip4_b, ip6_b);
	for (f = 0; f < 2; f++) {
		uint8_t frame[128];
		uint16_t full = wg_neigh_solicit(&twin, fam[f], ips[f], T0, frame,
						 sizeof(frame));
		uint16_t l;

		for (l = 0; l < (fam[f] == WG_AF_INET ? 42 : full); l++) {
			uint8_t *copy = malloc(l ? l : 1);
			uint16_t len = l;

			memcpy(copy, frame, l);
			cr_assert_neq(wg_neigh_input(&other, copy, &len, l, T0),
				      WG_NEIGH_REPLY,
				      "family %d length %u", fam[f], l);
			free(copy);
		}
	}
}
