/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control thread end to end: two gateways back to back on ring ports,
 * each with its own wg_control configured through a UAPI set (the path
 * wg(8) takes). Nothing here performs a handshake by hand: packets staged
 * on one side make its control thread initiate, the other answers, and the
 * staged packets then cross byte for byte. Also: silence towards
 * unauthenticated packets, cookies under load, retransmission and giving
 * up, idle expiry and reconnection, key zeroing, and peer removal, with
 * the control threads' clocks injected.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>
#include <sodium.h>

#include "control.h"
#include "control_priv.h"
#include "device.h"
#include "dp_priv.h"
#include "harness.h"
#include "keys.h"
#include "testutil.h"

enum {
	PUMP_ROUNDS = 64,
	FRAME_MAX = 1600,
	TAI64N_WAIT_US = 40000		/* > two TAI64N granules (lib/noise.c) */
};

static struct wg_control *ca, *cb;
static uint64_t skew_a, skew_b;		/* added to each control clock */
/* 0: the defaults; else a big table read one peer per poll (at scale). */
static uint32_t big_max_peers;

static uint64_t
clock_skewed(void *ctx)
{
	return wg_dp_clock_ns() + *(uint64_t *)ctx;
}

static void
feedf(struct wg_uapi_set *s, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cr_assert_geq(wg_uapi_set_feed_line(s, line, (size_t)n), 0, "%s", line);
}

static void
feed_key(struct wg_uapi_set *s, const char *name, const uint8_t *key)
{
	char hex[WG_KEY_HEX_LEN + 1];

	wg_key_to_hex(hex, key);
	feedf(s, "%s=%s", name, hex);
}

/* self's identity, and other as its one peer (endpoint if with_ep). */
static void
configure(struct wg_control *c, const struct h_gw *self, const struct h_gw *other,
	  bool with_ep)
{
	const uint8_t *ip = other->ep4.addr.v4;
	struct wg_uapi_set s;

	wg_uapi_set_init(&s);
	feed_key(&s, "private_key", self->id.static_private);
	feedf(&s, "listen_port=%u", WG_DEFAULT_PORT);
	feed_key(&s, "public_key", other->id.static_public);
	if (with_ep)
		feedf(&s, "endpoint=%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3],
		      other->ep4.port);
	feedf(&s, "allowed_ip=%u.%u.%u.0/24", other->lan4[0], other->lan4[1],
	      other->lan4[2]);
	cr_assert_eq(wg_uapi_set_feed_line(&s, "", 0), WG_UAPI_SET_DONE);
	cr_assert_eq(wg_control_apply(c, &s), 0);
	wg_uapi_set_free(&s);
}

static struct wg_control *
control_for(struct h_gw *g, uint64_t *skew, uint32_t idle_expiry_s)
{
	struct wg_control_conf cc = {
		.dp = g->dp, .ifname = g->name, .max_peers = 64,
		.idle_expiry_s = idle_expiry_s,
		.scan_slice = big_max_peers != 0 ? 1 : 0,
		.monotonic_ns = clock_skewed, .clock_ctx = skew,
	};
	struct wg_control *c;

	if (big_max_peers != 0)
		cc.max_peers = big_max_peers;
	cr_assert_eq(wg_control_create(&c, &cc), 0);
	return c;
}

static void
pair_start_nq(bool b_knows_a, uint32_t a_expiry, unsigned int nq)
{
	skew_a = skew_b = 0;
	h_gw_init(&h_a, "ctA", 1, nq);
	h_gw_init(&h_b, "ctB", 2, nq);
	h_gw_join(&h_a, &h_b);
	h_gw_start(&h_a);
	h_gw_start(&h_b);
	ca = control_for(&h_a, &skew_a, a_expiry);
	cb = control_for(&h_b, &skew_b, 0);
	configure(ca, &h_a, &h_b, true);
	configure(cb, &h_b, &h_a, b_knows_a);
}

static void
pair_start(bool b_knows_a, uint32_t a_expiry)
{
	pair_start_nq(b_knows_a, a_expiry, 1);
}

static void
pair_stop(void)
{
	wg_control_destroy(ca);
	wg_control_destroy(cb);
	ca = cb = NULL;
}

static void
teardown(void)
{
	pair_stop();
	h_teardown();
}

TestSuite(control, .init = h_setup, .fini = teardown);

/* Workers and control threads of both sides, a few rounds. */
static void
pump(unsigned int rounds)
{
	while (rounds-- > 0) {
		h_poll(&h_a);
		wg_control_poll(ca, 0);
		h_poll(&h_b);
		wg_control_poll(cb, 0);
	}
}

/* An inner IPv4 packet from g's LAN host 10 to o's LAN host 20. */
static struct rte_mbuf *
inner(struct h_gw *g, struct h_gw *o, uint16_t len, uint32_t seed)
{
	uint8_t s[4], d[4];

	h_lan4(g, 10, s);
	h_lan4(o, 20, d);
	return h_inner4(g, s, d, len, seed);
}

/* Sends one packet into from's LAN side; it must come out of to's LAN side
 * with the same IP bytes. */
static void
expect_crosses(struct h_gw *from, struct h_gw *to, uint16_t len, uint32_t seed)
{
	static uint8_t want[FRAME_MAX], got[FRAME_MAX];
	struct rte_mbuf *m = inner(from, to, len, seed), *out = NULL;
	uint16_t wl = h_copy(m, want, sizeof(want)), gl;
	unsigned int i;

	h_ring_put(from->clear_rx[0], &m, 1);
	for (i = 0; i < PUMP_ROUNDS && out == NULL; i++) {
		pump(1);
		h_ring_take(to->clear_tx[0], &out, 1);
	}
	cr_assert_not_null(out, "%s -> %s: nothing came out", from->name, to->name);
	gl = h_copy(out, got, sizeof(got));
	rte_pktmbuf_free(out);
	cr_assert_eq(gl, wl);
	cr_assert_arr_eq(got + RTE_ETHER_HDR_LEN, want + RTE_ETHER_HDR_LEN,
			 wl - RTE_ETHER_HDR_LEN, "inner packet bytes differ");
}

static struct wg_control_stats
stats(const struct wg_control *c)
{
	struct wg_control_stats st;

	wg_control_stats_get(c, &st);
	return st;
}

static const struct wg_device_peer *
only_peer(const struct wg_control *c)
{
	return wg_device_peer_next(wg_control_device(c), NULL);
}

/* White-box: the control thread's handshake state of its one peer. */
static const struct wg_control_peer *
ctl_peer(const struct wg_control *c)
{
	return &c->peers[only_peer(c)->id];
}

H_TEST(control, staged_packet_triggers_handshake_then_crosses)
{
	pair_start(true, 0);
	expect_crosses(&h_a, &h_b, 200, 1);
	cr_assert_eq(stats(ca).initiations_tx, 1);
	cr_assert_eq(stats(cb).responses_tx, 1);
	cr_assert_eq(stats(ca).handshakes_completed, 1);
	/* B answers on the session A's data confirmed: no second handshake. */
	expect_crosses(&h_b, &h_a, 1000, 2);
	cr_assert_eq(stats(cb).initiations_tx, 0);
	cr_assert_eq(stats(cb).handshakes_completed, 1);
	pump(4);
	cr_assert_neq(only_peer(ca)->last_handshake_sec, 0, "wg show: handshake");
	cr_assert_neq(only_peer(cb)->last_handshake_sec, 0);
	pair_stop();
}

H_TEST(control, responder_learns_endpoint_from_handshake)
{
	pair_start(false, 0);
	cr_assert_eq(only_peer(cb)->endpoint.family, WG_AF_NONE);
	expect_crosses(&h_a, &h_b, 64, 3);
	cr_assert(wg_endpoint_equal(&only_peer(cb)->endpoint, &h_a.ep4));
	expect_crosses(&h_b, &h_a, 64, 4);
	pair_stop();
}

/* A 148-byte initiation in a frame from A's outer address to B. */
static struct rte_mbuf *
initiation_frame(const struct wg_msg_initiation *init)
{
	static uint8_t f[FRAME_MAX];
	struct rte_mbuf *m;
	uint16_t len, off;

	/* A real initiation frame from A gives the headers to reuse. */
	cr_assert_eq(wg_dp_control_send(h_a.dp, &h_b.ep4, init, sizeof(*init)), 0);
	h_poll(&h_a);
	cr_assert_eq(h_ring_take(h_a.outer_tx[h_a.nq], &m, 1), 1);
	len = h_copy(m, f, sizeof(f));
	rte_pktmbuf_free(m);
	off = h_outer_msg_off(f);
	cr_assert_eq(len - off, sizeof(*init));
	return h_frame(&h_b, f, len);
}

H_TEST(control, nothing_answers_unauthenticated_initiations)
{
	struct wg_msg_initiation junk;
	struct wg_cookie ck;
	struct rte_mbuf *m;
	unsigned int i;

	pair_start(true, 0);
	wg_cookie_init(&ck, h_b.id.static_public);
	for (i = 0; i < 2; i++) {
		randombytes_buf(&junk, sizeof(junk));
		junk.header.type = wg_le32(MESSAGE_HANDSHAKE_INITIATION);
		/* The second one carries a valid mac1 but no valid Noise. */
		if (i == 1)
			wg_cookie_add_macs(&ck, (uint8_t *)&junk, sizeof(junk),
					   wg_dp_clock_ns());
		m = initiation_frame(&junk);
		h_ring_put(h_b.outer_rx[0], &m, 1);
		h_poll(&h_b);
		wg_control_poll(cb, 0);
		h_poll(&h_b);
	}
	cr_assert_eq(h_drop(&h_b, WG_DROP_HS_BAD_MAC1), 1);
	cr_assert_eq(stats(cb).rejected_handshake, 1);
	cr_assert_eq(stats(cb).responses_tx + stats(cb).cookies_tx, 0);
	cr_assert(h_gw_tx_empty(&h_b), "B sent something in answer");
	pair_stop();
}

H_TEST(control, under_load_a_cookie_then_mac2_completes)
{
	struct wg_msg_initiation junk;
	struct wg_cookie ck;
	struct rte_mbuf *m;
	unsigned int i;

	pair_start(true, 0);
	/* Fill B's handshake ring past the load threshold with initiations
	 * that pass mac1 but are not Noise: B must be under load. The depth
	 * is read as the ring drains (as Linux), so fill it one burst deeper. */
	wg_cookie_init(&ck, h_b.id.static_public);
	for (i = 0; i < UNDER_LOAD_HANDSHAKES + 2 * WG_CONTROL_BURST; i++) {
		randombytes_buf(&junk, sizeof(junk));
		junk.header.type = wg_le32(MESSAGE_HANDSHAKE_INITIATION);
		wg_cookie_add_macs(&ck, (uint8_t *)&junk, sizeof(junk), wg_dp_clock_ns());
		m = initiation_frame(&junk);
		h_ring_put(h_b.outer_rx[0], &m, 1);
		if (i % 32 == 31)
			h_poll(&h_b);
	}
	h_poll(&h_b);
	cr_assert_geq(wg_dp_handshake_backlog(h_b.dp), UNDER_LOAD_HANDSHAKES);
	/* Each of them gets a cookie reply now, not Noise work. */
	while (wg_dp_handshake_backlog(h_b.dp) > 0)
		wg_control_poll(cb, 0);
	cr_assert_eq(stats(cb).rejected_handshake, 0, "no DH work under load");
	cr_assert_geq(stats(cb).under_load_cookies, UNDER_LOAD_HANDSHAKES);
	for (i = 0; i < 4; i++)
		h_poll(&h_b);	/* B's replies go to A: drop them there */
	h_ring_free(h_b.outer_tx[h_b.nq]);
	h_ring_free(h_a.outer_rx[0]);

	/* A real initiation while B is still under load: cookie, then A
	 * retries with mac2 after REKEY_TIMEOUT and the session completes. */
	{
		struct rte_mbuf *p = inner(&h_a, &h_b, 100, 5), *out = NULL;

		h_ring_put(h_a.clear_rx[0], &p, 1);
		pump(4);
		cr_assert_eq(stats(ca).cookies_rx, 1, "A got B's cookie");
		cr_assert(ctl_peer(ca)->cookie.is_valid, "A will send mac2");
		cr_assert_eq(stats(cb).responses_tx, 0);
		skew_a += (REKEY_TIMEOUT + 1) * WG_NSEC_PER_SEC;
		for (i = 0; i < PUMP_ROUNDS && out == NULL; i++) {
			pump(1);
			h_ring_take(h_b.clear_tx[0], &out, 1);
		}
		cr_assert_not_null(out, "the staged packet crossed after mac2");
		rte_pktmbuf_free(out);
		cr_assert_eq(stats(cb).responses_tx, 1);
		cr_assert_eq(stats(ca).initiations_tx, 2);
	}
	pair_stop();
}

H_TEST(control, retransmits_then_gives_up_and_purges)
{
	struct rte_mbuf *p;
	unsigned int i;

	pair_start(true, 0);
	p = inner(&h_a, &h_b, 100, 6);
	h_ring_put(h_a.clear_rx[0], &p, 1);
	h_poll(&h_a);
	wg_control_poll(ca, 0);
	cr_assert_eq(stats(ca).initiations_tx, 1);
	/* B never answers: A tries MAX_TIMER_HANDSHAKES + 2 times in all. */
	for (i = 0; i < MAX_TIMER_HANDSHAKES + 4; i++) {
		skew_a += (REKEY_TIMEOUT * WG_NSEC_PER_SEC) +
			  REKEY_TIMEOUT_JITTER_MAX_MS * 1000000ULL;
		wg_control_poll(ca, 0);
		h_poll(&h_a);
		h_ring_free(h_b.outer_rx[0]);
	}
	cr_assert_eq(stats(ca).initiations_tx, MAX_TIMER_HANDSHAKES + 2);
	cr_assert_eq(h_drop(&h_a, WG_DROP_STAGE_PURGED), 1, "staged packet purged");
	pair_stop();
}

H_TEST(control, idle_expiry_wipes_then_peer_reconnects)
{
	static const uint8_t zero[NOISE_HASH_LEN];
	struct wg_dp_session s;

	pair_start(true, 30);
	expect_crosses(&h_a, &h_b, 100, 7);
	expect_crosses(&h_b, &h_a, 100, 8);
	skew_a += 31 * WG_NSEC_PER_SEC;
	pump(2);
	cr_assert_eq(stats(ca).expired_peers, 1);
	cr_assert_eq(only_peer(ca)->endpoint.family, WG_AF_NONE, "endpoint wiped");
	cr_assert_eq(only_peer(ca)->last_handshake_sec, 0);
	cr_assert_eq(wg_dp_peer_session(h_a.dp, ctl_peer(ca)->dp_id, &s), 0);
	cr_assert_not(s.valid, "session keys wiped");
	cr_assert_arr_eq(ctl_peer(ca)->hs.chaining_key, zero, NOISE_HASH_LEN);
	cr_assert_arr_eq(ctl_peer(ca)->hs.hash, zero, NOISE_HASH_LEN);
	cr_assert_eq(ctl_peer(ca)->hs.state, HANDSHAKE_ZEROED);
	/* Static configuration stays. */
	cr_assert_arr_eq(only_peer(ca)->public_key, h_b.id.static_public, WG_KEY_LEN);
	cr_assert_eq(only_peer(ca)->n_allowed_ips, 1);

	/* B's next packet goes under its old session and A drops it; hearing
	 * nothing back, B handshakes again and traffic flows. */
	{
		struct rte_mbuf *p = inner(&h_b, &h_a, 100, 9);
		unsigned int i;

		h_ring_put(h_b.clear_rx[0], &p, 1);
		pump(2);
		skew_b += (KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + 1) * WG_NSEC_PER_SEC;
		for (i = 0; i < PUMP_ROUNDS && stats(ca).responses_tx == 0; i++)
			pump(1);
		cr_assert_eq(stats(ca).responses_tx, 1, "B handshook again");
	}
	expect_crosses(&h_b, &h_a, 100, 19);
	cr_assert(wg_endpoint_equal(&only_peer(ca)->endpoint, &h_b.ep4),
		  "A learned B's endpoint again");
	expect_crosses(&h_a, &h_b, 100, 10);
	pair_stop();
}

H_TEST(control, keys_zeroed_after_three_reject_times)
{
	struct wg_dp_session s;

	pair_start(true, 0);
	expect_crosses(&h_a, &h_b, 100, 11);
	cr_assert_eq(wg_dp_peer_session(h_a.dp, ctl_peer(ca)->dp_id, &s), 0);
	cr_assert(s.valid);
	skew_a += 3ULL * REJECT_AFTER_TIME * WG_NSEC_PER_SEC + 1;
	pump(2);
	cr_assert_geq(stats(ca).key_zeroings, 1);
	cr_assert_eq(wg_dp_peer_session(h_a.dp, ctl_peer(ca)->dp_id, &s), 0);
	cr_assert_not(s.valid);
	pair_stop();
}

H_TEST(control, removed_peer_can_no_longer_send)
{
	struct wg_uapi_set set;
	struct rte_mbuf *p, *out = NULL;
	uint64_t before;

	pair_start(true, 0);
	expect_crosses(&h_b, &h_a, 100, 12);
	wg_uapi_set_init(&set);
	feed_key(&set, "public_key", h_b.id.static_public);
	feedf(&set, "remove=true");
	cr_assert_eq(wg_uapi_set_feed_line(&set, "", 0), WG_UAPI_SET_DONE);
	cr_assert_eq(wg_control_apply(ca, &set), 0);
	wg_uapi_set_free(&set);
	cr_assert_eq(wg_device_peer_count(wg_control_device(ca)), 0);

	before = h_drop(&h_a, WG_DROP_UNKNOWN_INDEX);
	p = inner(&h_b, &h_a, 100, 13);
	h_ring_put(h_b.clear_rx[0], &p, 1);
	pump(4);
	h_ring_take(h_a.clear_tx[0], &out, 1);
	cr_assert_null(out, "a removed peer's packet crossed");
	cr_assert_eq(h_drop(&h_a, WG_DROP_UNKNOWN_INDEX), before + 1);
	pair_stop();
}

/* ---- Route capacity: a set the route tables cannot take changes nothing ---- */

/* Peer n's public key (its private key is n repeated). */
static void
cap_key(uint8_t key[WG_KEY_LEN], unsigned int n)
{
	struct wg_noise_identity id;
	uint8_t priv[WG_KEY_LEN];

	memset(priv, 0x60 + n, sizeof(priv));
	cr_assert_eq(wg_noise_identity_set(&id, priv), 0);
	memcpy(key, id.static_public, WG_KEY_LEN);
}

static void
cap_peer(struct wg_uapi_set *s, unsigned int n)
{
	uint8_t key[WG_KEY_LEN];

	cap_key(key, n);
	feed_key(s, "public_key", key);
}

/* Peer n's dataplane id (the model's peer must exist). */
static uint32_t
cap_dp_id(const struct wg_control *c, unsigned int n)
{
	const struct wg_device_peer *p;
	uint8_t key[WG_KEY_LEN];

	cap_key(key, n);
	p = wg_device_peer_lookup(wg_control_device(c), key);
	cr_assert_not_null(p, "peer %u", n);
	return c->peers[p->id].dp_id;
}

/* The peer the workers route addr to (WG_DP_NO_PEER: none). */
static uint32_t
cap_route(struct wg_dp *dp, const char *addr)
{
	struct dp_lookup lk = { 0 };
	uint8_t a[16];
	uint32_t id;

	if (inet_pton(AF_INET, addr, a) == 1) {
		dp_lookup_add4(&lk, 0, a);
	} else {
		cr_assert_eq(inet_pton(AF_INET6, addr, a), 1, "%s", addr);
		dp_lookup_add6(&lk, 0, a);
	}
	dp_lookup_run(dp, &lk, &id);
	return id;
}

static int
cap_apply(struct wg_uapi_set *s)
{
	int rc;

	cr_assert_eq(wg_uapi_set_feed_line(s, "", 0), WG_UAPI_SET_DONE);
	rc = wg_control_apply(ca, s);
	wg_uapi_set_free(s);
	return rc;
}

/* Peers 1..n, peer i with 10.9.i.1/32; peer 1 also with fd00::1/128. */
static int
cap_load(unsigned int n, bool replace)
{
	struct wg_uapi_set s;
	unsigned int i;

	wg_uapi_set_init(&s);
	feed_key(&s, "private_key", h_a.id.static_private);
	if (replace)
		feedf(&s, "replace_peers=true");
	for (i = 1; i <= n; i++) {
		cap_peer(&s, i);
		feedf(&s, "allowed_ip=10.9.%u.1/32", i);
		if (i == 1)
			feedf(&s, "allowed_ip=fd00::1/128");
	}
	return cap_apply(&s);
}

/* The state a refused set must leave: the model as dumped, the routes. */
static void
cap_expect_unchanged(const char *dump, unsigned int n, const char *what)
{
	char *now = device_dump(wg_control_device(ca));
	unsigned int i;
	char a[32];

	cr_assert_str_eq(now, dump, "%s: the model changed", what);
	free(now);
	for (i = 1; i <= n; i++) {
		snprintf(a, sizeof(a), "10.9.%u.1", i);
		cr_assert_eq(cap_route(h_a.dp, a), cap_dp_id(ca, i), "%s: %s", what, a);
	}
	cr_assert_eq(cap_route(h_a.dp, "fd00::1"), cap_dp_id(ca, 1), "%s", what);
	cr_assert_eq(cap_route(h_a.dp, "10.9.8.1"), WG_DP_NO_PEER, "%s", what);
	cr_assert_eq(cap_route(h_a.dp, "10.9.9.1"), WG_DP_NO_PEER, "%s", what);
	cr_assert_eq(cap_route(h_a.dp, "fd01::1"), WG_DP_NO_PEER, "%s", what);
}

/*
 * Route tables for 8 IPv4 rules (8 tbl8 groups) and 2 IPv6 rules (16
 * groups; a /128 alone takes 13). 7 peers with a /32 each, one with a
 * /128 too; then sets that need a 9th IPv4 rule, or 13 more IPv6 groups,
 * are refused with ENOSPC (before the fix: answered 0 and half applied,
 * the dataplane refusing on stderr), and the model and every route stay
 * as they were, a move in the same set included; sets that fit pass, up
 * to full tables, and `wg setconf` of the same peers over full tables too
 * (replace_peers: the tables empty first).
 */
H_TEST(control, route_tables_full_refuse_whole_set)
{
	struct wg_uapi_set s;
	char *dump;
	unsigned int i;
	char a[32];

	h_gw_init(&h_a, "ctCap", 1, 1);
	h_a.max_routes4 = 8;
	h_a.max_routes6 = 2;
	h_gw_start(&h_a);
	ca = control_for(&h_a, &skew_a, 0);
	cr_assert_eq(cap_load(7, false), 0);
	dump = device_dump(wg_control_device(ca));
	cap_expect_unchanged(dump, 7, "loaded");

	/* A move from peer 2, then two new /32: 9 IPv4 rules. */
	wg_uapi_set_init(&s);
	cap_peer(&s, 1);
	feedf(&s, "allowed_ip=10.9.2.1/32");
	cap_peer(&s, 8);
	feedf(&s, "allowed_ip=10.9.8.1/32");
	feedf(&s, "allowed_ip=10.9.9.1/32");
	cr_assert_eq(cap_apply(&s), -ENOSPC);
	cap_expect_unchanged(dump, 7, "a 9th IPv4 rule");

	/* 2 IPv6 rules, but fd01::1 shares no group with fd00::1. */
	wg_uapi_set_init(&s);
	cap_peer(&s, 2);
	feedf(&s, "allowed_ip=fd01::1/128");
	cr_assert_eq(cap_apply(&s), -ENOSPC);
	cap_expect_unchanged(dump, 7, "13 more IPv6 groups");
	free(dump);

	/* What fits: the 8th /32, and a /128 beside fd00::1 (no new group). */
	wg_uapi_set_init(&s);
	cap_peer(&s, 8);
	feedf(&s, "allowed_ip=10.9.8.1/32");
	cap_peer(&s, 2);
	feedf(&s, "allowed_ip=fd00::2/128");
	cr_assert_eq(cap_apply(&s), 0);
	cr_assert_eq(cap_route(h_a.dp, "10.9.8.1"), cap_dp_id(ca, 8));
	cr_assert_eq(cap_route(h_a.dp, "fd00::2"), cap_dp_id(ca, 2));

	/* setconf over full tables, the /128 of peer 2 gone. */
	cr_assert_eq(cap_load(8, true), 0);
	for (i = 1; i <= 8; i++) {
		snprintf(a, sizeof(a), "10.9.%u.1", i);
		cr_assert_eq(cap_route(h_a.dp, a), cap_dp_id(ca, i), "%s", a);
	}
	cr_assert_eq(cap_route(h_a.dp, "fd00::1"), cap_dp_id(ca, 1));
	cr_assert_eq(cap_route(h_a.dp, "fd00::2"), WG_DP_NO_PEER);
	pair_stop();
}

/*
 * Floods. A spoofed flood goes into B's outer RX ring around A's real
 * handshake messages, each round as many frames as the ring holds (the
 * most this test can make), then B's worker takes them all. Cookie replies
 * cost an attacker nothing and B nothing to drop: B's control thread has
 * one poll per round (the flood outruns it by far). Initiations with a
 * valid mac1 cost B a cookie reply each: B's control thread runs while its
 * rings hold work, as its loop does. A starts a handshake whenever
 * FLOOD_RETRY_NS passed since its last try (B answers with a cookie under
 * load, and A's next try carries mac2); the test counts those A completes.
 */
enum flood_kind {
	FLOOD_COOKIE,			/* spoofed cookie replies (no mac1) */
	FLOOD_MAC1			/* initiations with a valid mac1, no Noise */
};

enum {
	FLOOD_GOAL = 6,			/* handshakes that must complete */
	FLOOD_SPOOF_NET = 250		/* spoofed sources: 10.250.x.y */
};

#define FLOOD_DEADLINE_NS (60 * WG_NSEC_PER_SEC)
/* Over TAI64N's granule and 1/INITIATIONS_PER_SECOND: B takes each try. */
#define FLOOD_RETRY_NS (30 * 1000000ULL)

struct flood {
	enum flood_kind kind;
	uint8_t tmpl[FRAME_MAX];	/* a frame from A to B, to rewrite */
	uint16_t len, off;
	uint32_t k;			/* frames made so far */
	uint32_t known_index;		/* B's keypair index, 0: none yet */
	struct wg_cookie ck;		/* mac1 for B */
};

/* The bytes of a frame carrying msg from A's outer address to B. */
static uint16_t
frame_template(uint8_t *f, const void *msg, uint16_t len)
{
	struct rte_mbuf *m;
	uint16_t n;

	cr_assert_eq(wg_dp_control_send(h_a.dp, &h_b.ep4, msg, len), 0);
	h_poll(&h_a);
	cr_assert_eq(h_ring_take(h_a.outer_tx[h_a.nq], &m, 1), 1);
	n = h_copy(m, f, FRAME_MAX);
	rte_pktmbuf_free(m);
	return n;
}

static void
flood_init(struct flood *fl, enum flood_kind kind)
{
	uint8_t msg[sizeof(struct wg_msg_initiation)] = { 0 };

	memset(fl, 0, sizeof(*fl));
	fl->kind = kind;
	wg_cookie_init(&fl->ck, h_b.id.static_public);
	fl->len = frame_template(fl->tmpl, msg, kind == FLOOD_COOKIE ?
				 sizeof(struct wg_msg_cookie) :
				 sizeof(struct wg_msg_initiation));
	fl->off = h_outer_msg_off(fl->tmpl);
}

/*
 * One flood frame from a spoofed source. Cookie replies: every other one
 * names B's live keypair once there is one (an on-path attacker saw it),
 * so that they pass the workers' filter and only their own ring stops them.
 */
static struct rte_mbuf *
flood_frame(struct flood *fl)
{
	uint8_t f[FRAME_MAX], *msg = f + fl->off;
	uint32_t k = fl->k++, index;
	size_t mlen = fl->len - fl->off;

	memcpy(f, fl->tmpl, fl->len);
	memcpy(f + 14 + 12, (uint8_t[]){ 10, FLOOD_SPOOF_NET, (uint8_t)(k >> 8),
					 (uint8_t)k }, 4);
	randombytes_buf(msg, mlen);
	if (fl->kind == FLOOD_COOKIE) {
		msg[0] = MESSAGE_HANDSHAKE_COOKIE;
		index = wg_le32(fl->known_index);
		if (k % 2 == 0 && fl->known_index != 0)
			memcpy(msg + offsetof(struct wg_msg_cookie, receiver_index),
			       &index, sizeof(index));
	} else {
		msg[0] = MESSAGE_HANDSHAKE_INITIATION;
	}
	memset(msg + 1, 0, 3);
	if (fl->kind == FLOOD_MAC1)
		wg_cookie_add_macs(&fl->ck, msg, mlen, wg_dp_clock_ns());
	h_outer_fix(f, fl->len);
	return h_frame(&h_b, f, fl->len);
}

/* Fills B's outer RX ring up to want frames waiting. */
static void
flood_fill(struct flood *fl, unsigned int want)
{
	struct rte_ring *r = h_b.outer_rx[0];
	struct rte_mbuf *m;

	while (rte_ring_count(r) < want && rte_ring_free_count(r) > 0) {
		m = flood_frame(fl);
		h_ring_put(r, &m, 1);
	}
}

/* B's answers to spoofed sources would fill A's RX ring: they go. */
static void
purge_not_for_a(void)
{
	struct rte_mbuf *m[H_RING_SIZE], *keep[H_RING_SIZE];
	unsigned int n, i, k = 0;

	n = h_ring_take(h_a.outer_rx[0], m, RTE_DIM(m));
	for (i = 0; i < n; i++) {
		if (memcmp(rte_pktmbuf_mtod_offset(m[i], uint8_t *, 14 + 16),
			   h_a.ep4.addr.v4, 4) == 0)
			keep[k++] = m[i];
		else
			rte_pktmbuf_free(m[i]);
	}
	h_ring_put(h_a.outer_rx[0], keep, k);
}

static void
flood_round(struct flood *fl)
{
	struct rte_ring *r = h_b.outer_rx[0];
	struct wg_dp_session s;

	if (wg_dp_peer_session(h_b.dp, ctl_peer(cb)->dp_id, &s) == 0 && s.valid)
		fl->known_index = s.local_index;
	/* A's messages land in the middle of the flood. */
	flood_fill(fl, H_RING_SIZE / 2);
	h_poll(&h_a);
	wg_control_poll(ca, 0);
	h_poll(&h_a);
	flood_fill(fl, H_RING_SIZE);
	while (rte_ring_count(r) != 0)
		h_poll(&h_b);
	wg_control_poll(cb, 0);
	while (fl->kind == FLOOD_MAC1 && wg_dp_control_busy(h_b.dp))
		wg_control_poll(cb, 0);
	h_poll(&h_b);
	purge_not_for_a();
}

/* Handshakes A completed before the deadline, the flood running. */
static unsigned int
handshakes_under_flood(struct flood *fl, unsigned int goal)
{
	uint64_t base = stats(ca).handshakes_completed, done = 0;
	uint64_t deadline = wg_dp_clock_ns() + FLOOD_DEADLINE_NS, last = 0, now;

	while (done < goal && (now = wg_dp_clock_ns()) < deadline) {
		if (now - last >= FLOOD_RETRY_NS) {
			ctl_send_initiation(ca, only_peer(ca)->id, true);
			last = now;
		}
		flood_round(fl);
		done = stats(ca).handshakes_completed - base;
	}
	return (unsigned int)done;
}

H_TEST(control, handshakes_complete_under_cookie_flood)
{
	struct flood fl;
	unsigned int done;

	pair_start(true, 0);
	flood_init(&fl, FLOOD_COOKIE);
	done = handshakes_under_flood(&fl, FLOOD_GOAL);
	cr_assert_eq(done, FLOOD_GOAL, "%u of %u handshakes under a cookie flood",
		     done, FLOOD_GOAL);
	/* Spoofed indices stop at the worker; known ones fill their own ring. */
	cr_assert_gt(h_drop(&h_b, WG_DROP_COOKIE_UNKNOWN_INDEX), fl.k / 4);
	cr_assert_eq(h_drop(&h_b, WG_DROP_HS_RING_FULL), 0);
	cr_assert_eq(stats(cb).responses_tx, FLOOD_GOAL, "B never under load");
	expect_crosses(&h_a, &h_b, 100, 20);
	pair_stop();
}

H_TEST(control, handshakes_complete_under_mac1_flood)
{
	struct flood fl;
	unsigned int done;

	pair_start(true, 0);
	flood_init(&fl, FLOOD_MAC1);
	done = handshakes_under_flood(&fl, FLOOD_GOAL);
	cr_assert_eq(done, FLOOD_GOAL, "%u of %u handshakes under a mac1 flood",
		     done, FLOOD_GOAL);
	cr_assert_gt(stats(cb).under_load_cookies, 0, "B was under load");
	cr_assert_gt(stats(cb).under_load_ns, 0, "and counted the time");
	expect_crosses(&h_a, &h_b, 100, 21);
	pair_stop();
}

/*
 * The control thread's loop waits on its sockets; with a handshake message
 * waiting it must not. B serves its sockets here and polls with a timeout
 * far beyond the test's: sleeping through it would time the test out.
 */
H_TEST(control, poll_does_not_sleep_while_a_handshake_waits, .timeout = 30)
{
	struct wg_control_conf cc = {
		.dp = NULL, .serve_socket = true, .max_peers = 4,
	};
	struct wg_msg_initiation junk;
	struct wg_cookie ck;
	struct rte_mbuf *m;
	char ifname[16];

	pair_start(true, 0);
	wg_control_destroy(cb);
	snprintf(ifname, sizeof(ifname), "wgefl%05u", (unsigned int)getpid() % 100000);
	cc.dp = h_b.dp;
	cc.ifname = ifname;
	cr_assert_eq(wg_control_create(&cb, &cc), 0, "sockets for %s", ifname);
	configure(cb, &h_b, &h_a, true);
	randombytes_buf(&junk, sizeof(junk));
	junk.header.type = wg_le32(MESSAGE_HANDSHAKE_INITIATION);
	wg_cookie_init(&ck, h_b.id.static_public);
	wg_cookie_add_macs(&ck, (uint8_t *)&junk, sizeof(junk), wg_dp_clock_ns());
	m = initiation_frame(&junk);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	cr_assert_eq(wg_dp_handshake_backlog(h_b.dp), 1);
	wg_control_poll(cb, 3600 * 1000);
	cr_assert_eq(stats(cb).rejected_handshake, 1, "the message was handled");
	pair_stop();
}

/*
 * A tries handshakes until B's response to one of them reaches A's RX
 * ring (B takes an initiation only 1/INITIATIONS_PER_SECOND after the
 * last, and a TAI64N timestamp only if it moved on): the response, taken
 * before A's worker sees it.
 */
static void
b_response_to_a(struct wg_msg_response *resp)
{
	uint64_t deadline = wg_dp_clock_ns() + 10 * WG_NSEC_PER_SEC;
	uint8_t f[FRAME_MAX];
	struct rte_mbuf *m;
	uint16_t len, off;

	while (wg_dp_clock_ns() < deadline) {
		skew_b += WG_NSEC_PER_SEC;
		/* Past A's REKEY_TIMEOUT, which every initiation respects. */
		skew_a += (REKEY_TIMEOUT + 1) * WG_NSEC_PER_SEC;
		ctl_send_initiation(ca, only_peer(ca)->id, true);
		h_poll(&h_a);
		h_poll(&h_b);
		wg_control_poll(cb, 0);
		h_poll(&h_b);
		while (h_ring_take(h_a.outer_rx[0], &m, 1) == 1) {
			len = h_copy(m, f, sizeof(f));
			rte_pktmbuf_free(m);
			off = h_outer_msg_off(f);
			if (len - off == sizeof(*resp) &&
			    f[off] == MESSAGE_HANDSHAKE_RESPONSE) {
				memcpy(resp, f + off, sizeof(*resp));
				return;
			}
		}
		usleep(5000);
	}
	cr_assert_fail("B never answered A's initiation");
}

/*
 * A, under load, answers B's response with a cookie reply (as Linux does
 * for any handshake message without mac2). B must take it although the
 * response's index now names a keypair, not a handshake in flight, so that
 * its next response carries mac2 and A, still under load, can take it.
 */
H_TEST(control, cookie_reply_to_our_response_gives_mac2)
{
	struct wg_msg_response resp;
	struct wg_msg_cookie reply;
	uint64_t now = wg_dp_clock_ns();

	pair_start(true, 0);
	b_response_to_a(&resp);
	cr_assert_eq(wg_cookie_validate_packet(&h_a.checker, (uint8_t *)&resp,
					       sizeof(resp), &h_b.ep4, true, now),
		     WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	wg_cookie_message_create(&h_a.checker, &reply, (uint8_t *)&resp,
				 sizeof(resp), &h_b.ep4, now);
	cr_assert_eq(wg_dp_control_send(h_a.dp, &h_b.ep4, &reply, sizeof(reply)), 0);
	h_poll(&h_a);
	h_poll(&h_b);
	wg_control_poll(cb, 0);
	cr_assert_eq(stats(cb).cookies_rx, 1);
	cr_assert_eq(stats(cb).rejected_index, 0, "B looked the index up");
	cr_assert(ctl_peer(cb)->cookie.is_valid, "B will send mac2");

	b_response_to_a(&resp);
	cr_assert_eq(wg_cookie_validate_packet(&h_a.checker, (uint8_t *)&resp,
					       sizeof(resp), &h_b.ep4, true,
					       wg_dp_clock_ns()),
		     WG_COOKIE_VALID_MAC_WITH_COOKIE, "the next response has mac2");
	pair_stop();
}

/* Gives an IPv4 frame's UDP header its right checksum, or a wrong one. */
static void
udp_csum_set(uint8_t *f, bool right)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t c;

	udp->dgram_cksum = 0;
	c = rte_ipv4_udptcp_cksum(ip, udp);
	udp->dgram_cksum = right ? c : (uint16_t)(c == 1 ? 2 : c - 1);
}

/*
 * An authenticated handshake message moves the endpoint to its source,
 * but only if its UDP checksum says the source is what was sent.
 */
H_TEST(control, handshake_with_bad_udp_checksum_does_not_roam)
{
	static const uint8_t moved[4] = { 10, 0, 0, 99 };
	uint8_t f[FRAME_MAX];
	struct rte_mbuf *m;
	uint16_t len;

	pair_start(true, 0);
	ctl_send_initiation(ca, only_peer(ca)->id, true);
	h_poll(&h_a);
	cr_assert_eq(h_ring_take(h_b.outer_rx[0], &m, 1), 1);
	len = h_copy(m, f, sizeof(f));
	rte_pktmbuf_free(m);
	memcpy(f + RTE_ETHER_HDR_LEN + 12, moved, 4);
	h_outer_fix(f, len);

	udp_csum_set(f, false);
	m = h_frame(&h_b, f, len);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	wg_control_poll(cb, 0);
	cr_assert_eq(h_drop(&h_b, WG_DROP_HS_BAD_CSUM), 1);
	cr_assert_eq(stats(cb).initiations_rx, 0);
	cr_assert(wg_endpoint_equal(&only_peer(cb)->endpoint, &h_a.ep4), "roamed");

	/* The same message with its checksum right: B answers and roams. */
	udp_csum_set(f, true);
	m = h_frame(&h_b, f, len);
	h_ring_put(h_b.outer_rx[0], &m, 1);
	h_poll(&h_b);
	wg_control_poll(cb, 0);
	cr_assert_eq(stats(cb).responses_tx, 1);
	cr_assert_arr_eq(only_peer(cb)->endpoint.addr.v4, moved, 4);
	h_poll(&h_b);
	h_ring_free(h_a.outer_rx[0]);
	pair_stop();
}

enum { MANY_PEERS = 48 };

/* MANY_PEERS peers with a /24 each in 10.77.0.0/16, added or removed. */
static void
many_peers(struct wg_control *c, bool remove)
{
	struct wg_uapi_set s;
	uint8_t key[WG_KEY_LEN];
	unsigned int i;

	wg_uapi_set_init(&s);
	for (i = 0; i < MANY_PEERS; i++) {
		memset(key, 0x5a, sizeof(key));
		key[0] = (uint8_t)(i + 1);
		feed_key(&s, "public_key", key);
		if (remove)
			feedf(&s, "remove=true");
		else
			feedf(&s, "allowed_ip=10.77.%u.0/24", i);
	}
	cr_assert_eq(wg_uapi_set_feed_line(&s, "", 0), WG_UAPI_SET_DONE);
	cr_assert_eq(wg_control_apply(c, &s), 0);
	wg_uapi_set_free(&s);
}

/* Both control clocks move on by secs, in steps, with traffic pumped. */
static void
advance_both(unsigned int secs, unsigned int step)
{
	unsigned int s;

	for (s = 0; s < secs; s += step) {
		skew_a += step * WG_NSEC_PER_SEC;
		skew_b += step * WG_NSEC_PER_SEC;
		pump(4);
	}
}

/*
 * Data stops; B answers the last of it with a keepalive, and both sides
 * then stay quiet: a keepalive is not data and arms no new handshake (as
 * Linux's wg_timers_data_sent, which only data raises). So the idle peer
 * reaches its idle expiry instead of re-handshaking every 15 s.
 */
H_TEST(control, silent_peers_stay_silent_and_expire)
{
	pair_start(true, 40);
	expect_crosses(&h_a, &h_b, 100, 20);
	advance_both(75, 5);
	cr_assert_geq(stats(cb).keepalives_tx, 1, "B's passive keepalive");
	cr_assert_eq(stats(ca).initiations_tx, 1, "A: %llu initiations",
		     (unsigned long long)stats(ca).initiations_tx);
	cr_assert_eq(stats(cb).initiations_tx, 0, "B: %llu initiations",
		     (unsigned long long)stats(cb).initiations_tx);
	cr_assert_eq(stats(ca).expired_peers, 1, "A expired its idle peer");
	cr_assert_eq(only_peer(ca)->endpoint.family, WG_AF_NONE);
	pair_stop();
}

/* Pumps until want packets came out of g's LAN side (freed); how many did. */
static unsigned int
lan_out(struct h_gw *g, unsigned int want)
{
	struct rte_mbuf *m;
	unsigned int got = 0, i;

	for (i = 0; i < PUMP_ROUNDS && got < want; i++) {
		pump(1);
		while (h_ring_take(g->clear_tx[0], &m, 1) == 1) {
			rte_pktmbuf_free(m);
			got++;
		}
	}
	return got;
}

/*
 * A simultaneous open: both sides initiate before either hears the other,
 * each answers the other's initiation (which replaces its own handshake),
 * so neither initiation completes. The retransmit timers then fall within
 * REKEY_TIMEOUT of the responses just sent: as Linux, every initiation is
 * rate limited, the timers' retries too, so none goes out; the next packet
 * after REKEY_TIMEOUT starts the one handshake that carries both.
 */
H_TEST(control, timer_retries_respect_the_rekey_timeout)
{
	struct rte_mbuf *pa, *pb;

	pair_start(true, 0);
	pa = inner(&h_a, &h_b, 100, 21);
	pb = inner(&h_b, &h_a, 100, 22);
	h_ring_put(h_a.clear_rx[0], &pa, 1);
	h_ring_put(h_b.clear_rx[0], &pb, 1);
	h_poll(&h_a);
	h_poll(&h_b);
	wg_control_poll(ca, 0);
	wg_control_poll(cb, 0);
	cr_assert_eq(stats(ca).initiations_tx + stats(cb).initiations_tx, 2);
	/* The responses go out a second later: past any retransmit jitter. */
	skew_a += WG_NSEC_PER_SEC;
	skew_b += WG_NSEC_PER_SEC;
	pump(4);
	cr_assert_eq(stats(ca).responses_tx, 1);
	cr_assert_eq(stats(cb).responses_tx, 1);
	/* The retransmits are due; a response went out less than 5 s ago. */
	skew_a += (REKEY_TIMEOUT - 1) * WG_NSEC_PER_SEC +
		  REKEY_TIMEOUT_JITTER_MAX_MS * 1000000ULL;
	skew_b = skew_a;
	pump(4);
	cr_assert_eq(stats(ca).initiations_tx, 1, "A retried within REKEY_TIMEOUT");
	cr_assert_eq(stats(cb).initiations_tx, 1, "B retried within REKEY_TIMEOUT");
	skew_a += 2 * WG_NSEC_PER_SEC;
	skew_b = skew_a;
	/* A's next TAI64N timestamp (real time, in 16.8 ms granules) must
	 * exceed its first one, or B rejects the initiation as a replay. */
	usleep(TAI64N_WAIT_US);
	pa = inner(&h_a, &h_b, 100, 23);
	h_ring_put(h_a.clear_rx[0], &pa, 1);
	cr_assert_eq(lan_out(&h_b, 2), 2, "A's two packets reached B's LAN");
	cr_assert_eq(lan_out(&h_a, 1), 1, "B's staged packet reached A's LAN");
	cr_assert_eq(stats(ca).initiations_tx + stats(cb).initiations_tx, 3);
	cr_assert_eq(stats(ca).handshakes_completed, 1);
	pair_stop();
}

static struct wg_dp_peer_stats
peer_stats(struct h_gw *g, const struct wg_control *c)
{
	struct wg_dp_peer_stats st;

	cr_assert_eq(wg_dp_peer_stats_get(g->dp, ctl_peer(c)->dp_id, &st), 0);
	return st;
}

/* As Linux and wireguard-go, the transfer wg show reports counts the
 * handshake messages: each side's tx is the other's rx, byte for byte. */
H_TEST(control, handshake_bytes_count_in_the_transfer)
{
	struct wg_dp_peer_stats a, b;

	pair_start(true, 0);
	expect_crosses(&h_a, &h_b, 200, 24);
	a = peer_stats(&h_a, ca);
	b = peer_stats(&h_b, cb);
	cr_assert_eq(a.tx_bytes, sizeof(struct wg_msg_initiation) +
		     wg_message_data_len(208), "A sent %llu bytes",
		     (unsigned long long)a.tx_bytes);
	cr_assert_eq(b.tx_bytes, sizeof(struct wg_msg_response));
	cr_assert_eq(b.rx_bytes, a.tx_bytes, "B received what A sent");
	cr_assert_eq(a.rx_bytes, b.tx_bytes, "A received what B sent");
	pump(2);
	cr_assert_eq(only_peer(ca)->tx_bytes, a.tx_bytes, "wg show on A");
	cr_assert_eq(only_peer(cb)->rx_bytes, b.rx_bytes, "wg show on B");
	pair_stop();
}

/* Applies one UAPI set of lines (each "key=value"). */
static void
apply_lines(struct wg_control *c, const char *const *lines, unsigned int n)
{
	struct wg_uapi_set s;
	unsigned int i;

	wg_uapi_set_init(&s);
	for (i = 0; i < n; i++)
		feedf(&s, "%s", lines[i]);
	cr_assert_eq(wg_uapi_set_feed_line(&s, "", 0), WG_UAPI_SET_DONE);
	cr_assert_eq(wg_control_apply(c, &s), 0);
	wg_uapi_set_free(&s);
}

static uint64_t
grace_periods(const struct h_gw *g)
{
	struct wg_dp_stats st;

	h_stats(g, &st);
	return st.grace_periods;
}

/*
 * Removing many peers in one set waits for one grace period, not one per
 * peer (the control thread handles no handshake meanwhile); the rest of
 * the table is as it should be.
 */
H_TEST(control, removing_many_peers_waits_one_grace_period)
{
	const struct wg_device_peer *p;
	struct rte_mbuf *m;
	uint8_t s[4], d[4] = { 10, 77, 5, 1 };
	uint64_t before;

	pair_start(true, 0);
	expect_crosses(&h_a, &h_b, 100, 30);
	many_peers(ca, false);
	cr_assert_eq(wg_device_peer_count(wg_control_device(ca)), MANY_PEERS + 1);
	before = grace_periods(&h_a);
	many_peers(ca, true);
	cr_assert_eq(grace_periods(&h_a) - before, 1);

	cr_assert_eq(wg_device_peer_count(wg_control_device(ca)), 1);
	expect_crosses(&h_a, &h_b, 100, 31);
	h_lan4(&h_a, 10, s);
	before = h_drop(&h_a, WG_DROP_NO_ROUTE);
	m = h_inner4(&h_a, s, d, 100, 32);
	h_ring_put(h_a.clear_rx[0], &m, 1);
	h_poll(&h_a);
	cr_assert_eq(h_drop(&h_a, WG_DROP_NO_ROUTE), before + 1, "routes gone");
	/* Every id is free again: the dataplane takes them all back. */
	many_peers(ca, false);
	for (p = wg_device_peer_next(wg_control_device(ca), NULL); p != NULL;
	     p = wg_device_peer_next(wg_control_device(ca), p))
		cr_assert(ca->peers[p->id].in_use, "the dataplane refused a peer");
	pair_stop();
}

/* A's worker 0, polling on its own thread until told to stop. */
struct runner {
	pthread_t t;
	uint32_t stop;
};

static void *
worker_loop(void *arg)
{
	struct runner *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		wg_dp_worker_poll(wg_dp_worker_get(h_a.dp, 0));
	return NULL;
}

static void *
control_poll_once(void *arg)
{
	wg_control_poll(arg, 0);
	return NULL;
}

/*
 * Idle expiry while a worker is receiving for the peer: the worker has
 * found the keypair and authenticates a packet from a new address, and is
 * held (by the test holding the endpoint's seqlock) before it roams. The
 * expiry must wait for it: once expiry is done the endpoint stays wiped.
 */
H_TEST(control, worker_cannot_restore_endpoint_after_expiry, .timeout = 60)
{
	static const uint8_t moved[4] = { 10, 0, 0, 77 };
	struct runner run = { .stop = 0 };
	struct wg_endpoint ep;
	struct wg_dp_peer *dpp;
	struct rte_mbuf *m, *p;
	uint8_t f[FRAME_MAX];
	pthread_t expiry;
	uint32_t id;
	uint16_t len;

	pair_start_nq(true, 30, 2);
	expect_crosses(&h_a, &h_b, 100, 40);
	expect_crosses(&h_b, &h_a, 100, 41);
	id = ctl_peer(ca)->dp_id;
	dpp = &h_a.dp->peers[id];

	/* B's next data message, as if B had moved to 10.0.0.77. */
	p = inner(&h_b, &h_a, 100, 42);
	h_ring_put(h_b.clear_rx[0], &p, 1);
	h_poll(&h_b);
	cr_assert_eq(h_ring_take(h_a.outer_rx[0], &m, 1), 1);
	len = h_copy(m, f, sizeof(f));
	rte_pktmbuf_free(m);
	memcpy(f + RTE_ETHER_HDR_LEN + 12, moved, 4);
	h_outer_fix(f, len);

	rte_seqlock_write_lock(&dpp->ep_lock);
	cr_assert_eq(pthread_create(&run.t, NULL, worker_loop, &run), 0);
	m = h_frame(&h_a, f, len);
	h_ring_put(h_a.outer_rx[0], &m, 1);
	while (rte_ring_count(h_a.outer_rx[0]) != 0)
		usleep(1000);
	usleep(50000);		/* the worker has found the keypair by now */
	skew_a += 31 * WG_NSEC_PER_SEC;
	cr_assert_eq(pthread_create(&expiry, NULL, control_poll_once, ca), 0);
	usleep(50000);
	rte_seqlock_write_unlock(&dpp->ep_lock);
	pthread_join(expiry, NULL);
	__atomic_store_n(&run.stop, 1, __ATOMIC_RELEASE);
	pthread_join(run.t, NULL);

	cr_assert_eq(stats(ca).expired_peers, 1);
	cr_assert_eq(wg_dp_peer_get_endpoint(h_a.dp, id, &ep), 0);
	cr_assert_eq(ep.family, WG_AF_NONE, "the worker restored the endpoint");
	cr_assert_eq(only_peer(ca)->endpoint.family, WG_AF_NONE);
	h_ring_free(h_a.clear_tx[0]);
	pair_stop();
}

/*
 * A new private key on A: as Linux, A stops sending under the old sessions
 * but still receives under them, keeps its staged packets, and the next
 * packet's initiation goes out at once (the rate limit is reset). Once B
 * knows A's new public key, that handshake carries the staged packet.
 */
H_TEST(control, new_private_key_keeps_receiving_and_rehandshakes_at_once)
{
	char priv_hex[WG_KEY_HEX_LEN + 1], old_hex[WG_KEY_HEX_LEN + 1];
	char new_hex[WG_KEY_HEX_LEN + 1], line[3][160];
	const char *lines[3] = { line[0], line[1], line[2] };
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	const uint8_t *lan = h_a.lan4;
	struct rte_mbuf *m;

	pair_start(true, 0);
	expect_crosses(&h_a, &h_b, 100, 25);
	wg_key_generate_private(priv);
	cr_assert_eq(wg_key_public_from_private(pub, priv), 0);
	wg_key_to_hex(priv_hex, priv);
	snprintf(line[0], sizeof(line[0]), "private_key=%s", priv_hex);
	apply_lines(ca, lines, 1);
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(priv_hex, sizeof(priv_hex));

	expect_crosses(&h_b, &h_a, 100, 26);	/* the old session receives */
	m = inner(&h_a, &h_b, 100, 27);
	h_ring_put(h_a.clear_rx[0], &m, 1);
	pump(4);
	cr_assert_eq(stats(ca).initiations_tx, 2, "no initiation under the new key");
	cr_assert_geq(stats(cb).rejected_handshake, 1, "B does not know A's new key");

	/* B learns A's new key; A's retransmission completes. */
	wg_key_to_hex(old_hex, h_a.id.static_public);
	wg_key_to_hex(new_hex, pub);
	snprintf(line[0], sizeof(line[0]), "public_key=%s", old_hex);
	snprintf(line[1], sizeof(line[1]), "remove=true");
	apply_lines(cb, lines, 2);
	snprintf(line[0], sizeof(line[0]), "public_key=%s", new_hex);
	snprintf(line[1], sizeof(line[1]), "allowed_ip=%u.%u.%u.0/24", lan[0],
		 lan[1], lan[2]);
	apply_lines(cb, lines, 2);
	skew_a += (REKEY_TIMEOUT * WG_NSEC_PER_SEC) +
		  REKEY_TIMEOUT_JITTER_MAX_MS * 1000000ULL;
	cr_assert_eq(lan_out(&h_b, 1), 1, "the staged packet crossed");
	cr_assert_eq(h_drop(&h_a, WG_DROP_STAGE_PURGED), 0);
	cr_assert_eq(stats(ca).handshakes_completed, 2);
	pair_stop();
}

/*
 * Timers fire at their deadlines however many peers there are. Here the
 * counters of 1,024 slots are read one slot per poll (the scan reaches the
 * peer again only after 1,024 polls, as a 1,024-peer slice at a million
 * peers): B still sends its passive keepalive KEEPALIVE_TIMEOUT after A's
 * one-way data (armed by the dataplane's one event for it), and A's
 * new-handshake timer, due 15 s after its data, finds that keepalive when it
 * comes due and stands down.
 */
H_TEST(control, timers_keep_their_deadlines_at_scale)
{
	unsigned int s;

	big_max_peers = 1024;	/* the harness dataplane's */
	pair_start(true, 0);
	big_max_peers = 0;
	expect_crosses(&h_a, &h_b, 100, 28);
	for (s = 0; s < KEEPALIVE_TIMEOUT; s++) {
		skew_a += WG_NSEC_PER_SEC;
		skew_b += WG_NSEC_PER_SEC;
		pump(1);
	}
	pump(2);
	cr_assert_eq(stats(cb).keepalives_tx, 1, "B's passive keepalive at %u s",
		     KEEPALIVE_TIMEOUT);
	advance_both(30, 1);
	cr_assert_eq(stats(ca).initiations_tx, 1, "A: %llu initiations",
		     (unsigned long long)stats(ca).initiations_tx);
	cr_assert_eq(stats(cb).initiations_tx, 0);
	cr_assert_eq(stats(cb).keepalives_tx, 1);
	pair_stop();
}

/*
 * A peer with no endpoint still runs its retransmit timer, as Linux: B's
 * persistent keepalive finds no session and no endpoint for A, so B's
 * initiation cannot go out, but its retransmission goes out within
 * REKEY_TIMEOUT (+ jitter) of B learning A's endpoint.
 */
H_TEST(control, retransmit_timer_runs_without_an_endpoint)
{
	char pub_hex[WG_KEY_HEX_LEN + 1], line[2][160];
	const char *lines[2] = { line[0], line[1] };
	const uint8_t *ip = h_a.ep4.addr.v4;

	pair_start(false, 0);
	wg_key_to_hex(pub_hex, h_a.id.static_public);
	snprintf(line[0], sizeof(line[0]), "public_key=%s", pub_hex);
	snprintf(line[1], sizeof(line[1]), "persistent_keepalive_interval=25");
	apply_lines(cb, lines, 2);
	pump(2);
	cr_assert_eq(stats(cb).initiations_tx, 0, "B has nowhere to send one");
	snprintf(line[1], sizeof(line[1]), "endpoint=%u.%u.%u.%u:%u", ip[0], ip[1],
		 ip[2], ip[3], h_a.ep4.port);
	apply_lines(cb, lines, 2);
	skew_b += (REKEY_TIMEOUT * WG_NSEC_PER_SEC) +
		  REKEY_TIMEOUT_JITTER_MAX_MS * 1000000ULL;
	pump(4);
	cr_assert_eq(stats(cb).initiations_tx, 1, "B's retransmission went out");
	cr_assert_eq(stats(cb).handshakes_completed, 1);
	pair_stop();
}
