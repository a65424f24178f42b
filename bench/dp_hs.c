/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control thread's part of the dataplane cases: a real wg_control on the
 * one-worker gateway, with DP_HS_PEERS initiator identities configured
 * through wg_control_apply() (the path wg(8) takes).
 *
 * The handshake case: each burst is 32 valid initiations, made with
 * lib/noise by initiators of the bench (untimed), carried in frames through
 * the worker's mac1 check into the handshake ring (untimed); then one
 * wg_control_poll() is timed, and the responses it sent on its TX queue are
 * the packets counted. Every initiator's TAI64N timestamp moves on by one
 * second per initiation, and DP_HS_PEERS of them in rotation keep each one's
 * initiations further apart than 1/INITIATIONS_PER_SECOND at any rate one
 * core reaches, so none is refused as a replay or a flood; the backlog stays
 * at 32, below UNDER_LOAD_HANDSHAKES, so no cookie is asked for. The
 * control thread's clock runs ahead by 2 s at each handshake case-round, so
 * that a flood case before it does not leave it "under load" (for 1 s).
 *
 * The flood cases: the same control thread runs on the second lcore during
 * the case-round, as in production, while the worker decrypts a burst that
 * mixes data messages with initiations carrying a wrong mac1 (junk, dropped
 * by the worker) or a valid mac1 over garbage (queued to the control
 * thread, which is soon under load and answers with cookie replies).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_launch.h>

#include <sodium.h>

#include "control.h"
#include "cookie.h"
#include "dp_cases.h"
#include "keys.h"
#include "noise.h"
#include "timers.h"

enum {
	HS_SENDER_BASE = 0x7f000000,
	HS_SKEW_NS = 2000000000ULL,
	FLOOD_SRC_BASE = 0x0afa0000,	/* 10.250.0.0 */
	HS_SRC_BASE = 0x0ac80000,	/* 10.200.0.0 */
	FRAME_MAX = 256
};

struct dp_hs {
	struct wg_control *ctl;
	uint64_t skew;			/* added to the control thread's clock */
	uint8_t resp_public[NOISE_PUBLIC_KEY_LEN];
	struct wg_noise_identity *id;	/* [DP_HS_PEERS] initiators */
	struct wg_handshake *hs;
	struct wg_cookie *ck;
	uint8_t (*ts)[NOISE_TIMESTAMP_LEN];
	uint32_t next;			/* next initiator */
	uint32_t fed;			/* initiations in the burst */
	struct wg_msg_initiation junk[DP_FLOOD_POOL], mac1[DP_FLOOD_POOL];
	uint32_t stop;			/* atomic: the control thread's loop */
	struct wg_control_stats cs0;
};

static uint64_t
skewed_clock(void *ctx)
{
	return wg_dp_clock_ns() + *(const uint64_t *)ctx;
}

/* ---- Set-up ------------------------------------------------------------- */

static int
feed_key(struct wg_uapi_set *s, const char *name, const uint8_t *key)
{
	char line[WG_KEY_HEX_LEN + 32];
	char hex[WG_KEY_HEX_LEN + 1];
	int n, rc;

	wg_key_to_hex(hex, key);
	n = snprintf(line, sizeof(line), "%s=%s", name, hex);
	rc = wg_uapi_set_feed_line(s, line, (size_t)n);
	sodium_memzero(line, sizeof(line));
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

/* The responder's identity and the initiators as its peers, in one set. */
static int
configure(struct dp_hs *h, const uint8_t priv[WG_KEY_LEN])
{
	struct wg_uapi_set s;
	uint32_t i;
	int rc;

	wg_uapi_set_init(&s);
	rc = feed_key(&s, "private_key", priv);
	if (rc == 0)
		rc = wg_uapi_set_feed_line(&s, "listen_port=51820", 17);
	for (i = 0; i < DP_HS_PEERS && rc == 0; i++)
		rc = feed_key(&s, "public_key", h->id[i].static_public);
	if (rc == 0)
		rc = wg_uapi_set_feed_line(&s, "", 0);
	if (rc == WG_UAPI_SET_DONE)
		rc = wg_control_apply(h->ctl, &s);
	wg_uapi_set_free(&s);
	return rc;
}

static int
initiators_make(struct dp_hs *h)
{
	uint8_t priv[WG_KEY_LEN];
	uint32_t i;

	h->id = calloc(DP_HS_PEERS, sizeof(*h->id));
	h->hs = calloc(DP_HS_PEERS, sizeof(*h->hs));
	h->ck = calloc(DP_HS_PEERS, sizeof(*h->ck));
	h->ts = calloc(DP_HS_PEERS, sizeof(*h->ts));
	if (h->id == NULL || h->hs == NULL || h->ck == NULL || h->ts == NULL)
		return -1;
	for (i = 0; i < DP_HS_PEERS; i++) {
		wg_key_generate_private(priv);
		if (wg_noise_identity_set(&h->id[i], priv) != 0)
			return -1;
		wg_noise_handshake_init(&h->hs[i], &h->id[i], h->resp_public, NULL);
		wg_cookie_init(&h->ck[i], h->resp_public);
		wg_tai64n_now(h->ts[i]);
	}
	sodium_memzero(priv, sizeof(priv));
	return 0;
}

/* Initiation-shaped garbage: a wrong mac1, or a valid one (same cost to make). */
static void
flood_make(struct dp_hs *h)
{
	struct wg_cookie ck;
	unsigned int k;

	wg_cookie_init(&ck, h->resp_public);
	randombytes_buf(h->junk, sizeof(h->junk));
	randombytes_buf(h->mac1, sizeof(h->mac1));
	for (k = 0; k < DP_FLOOD_POOL; k++) {
		h->junk[k].header.type = wg_le32(MESSAGE_HANDSHAKE_INITIATION);
		h->mac1[k].header.type = wg_le32(MESSAGE_HANDSHAKE_INITIATION);
		wg_cookie_add_macs(&ck, (uint8_t *)&h->mac1[k], sizeof(h->mac1[k]),
				   wg_dp_clock_ns());
	}
}

int
wg_bench_hs_setup(struct dp_env *e)
{
	struct dp_hs *h = calloc(1, sizeof(*h));
	struct wg_control_conf cc = {
		.dp = e->gw[1].dp, .ifname = "wgbench", .serve_socket = false,
		.max_peers = DP_HS_HEADROOM - 32, .monotonic_ns = skewed_clock,
	};
	uint8_t priv[WG_KEY_LEN];
	int rc;

	e->hs = h;
	if (h == NULL)
		return -1;
	cc.clock_ctx = &h->skew;
	wg_key_generate_private(priv);
	if (wg_key_public_from_private(h->resp_public, priv) != 0 ||
	    wg_control_create(&h->ctl, &cc) != 0 || initiators_make(h) != 0) {
		sodium_memzero(priv, sizeof(priv));
		return -1;
	}
	rc = configure(h, priv);
	sodium_memzero(priv, sizeof(priv));
	if (rc != 0) {
		fprintf(stderr, "wgedge-bench: control set-up: %d\n", rc);
		return -1;
	}
	flood_make(h);
	return 0;
}

void
wg_bench_hs_free(struct dp_env *e)
{
	struct dp_hs *h = e->hs;

	if (h == NULL)
		return;
	wg_control_destroy(h->ctl);
	if (h->id != NULL)
		sodium_memzero(h->id, DP_HS_PEERS * sizeof(*h->id));
	if (h->hs != NULL)
		sodium_memzero(h->hs, DP_HS_PEERS * sizeof(*h->hs));
	free(h->id);
	free(h->hs);
	free(h->ck);
	free(h->ts);
	free(h);
	e->hs = NULL;
}

/* ---- The handshake case ------------------------------------------------- */

/* TAI64N: the seconds are the first 8 bytes, big-endian. */
static void
ts_advance(uint8_t ts[NOISE_TIMESTAMP_LEN])
{
	int b;

	for (b = 7; b >= 0 && ++ts[b] == 0; b--)
		;
}

static struct rte_mbuf *
initiation_frame(struct dp_env *e, uint32_t i)
{
	struct dp_hs *h = e->hs;
	struct wg_msg_initiation init;
	uint8_t f[FRAME_MAX];
	uint16_t len;

	ts_advance(h->ts[i]);
	if (wg_noise_create_initiation(&h->hs[i], &h->id[i], &init, HS_SENDER_BASE + i,
				       h->ts[i]) != 0)
		return NULL;
	wg_cookie_add_macs(&h->ck[i], (uint8_t *)&init, sizeof(init), wg_dp_clock_ns());
	len = wg_bench_outer_frame(&e->gw[1], f, HS_SRC_BASE + i, &init, sizeof(init));
	return wg_bench_gen_frame(&e->gw[1], f, len);
}

/* 32 initiations through the worker's mac1 check into the handshake ring. */
static void
hs_prepare(struct wg_bench_case *bc, unsigned int lane)
{
	struct dp_case *dc = bc->priv;
	struct dp_hs *h = dc->env->hs;
	struct rte_mbuf *m[WG_BENCH_BURST];
	unsigned int n;

	(void)lane;
	wg_bench_gw_drain(dc->g);
	for (n = 0; n < WG_BENCH_BURST; n++) {
		m[n] = initiation_frame(dc->env, h->next);
		h->next = h->next + 1 == DP_HS_PEERS ? 0 : h->next + 1;
		if (m[n] == NULL)
			break;
	}
	h->fed = (uint32_t)rte_ring_enqueue_burst(dc->g->outer_rx[0], (void **)m, n, NULL);
	rte_pktmbuf_free_bulk(m + h->fed, n - h->fed);
	wg_dp_worker_poll(wg_dp_worker_get(dc->g->dp, 0));
}

static uint32_t
hs_run(struct wg_bench_case *bc, unsigned int lane, uint64_t *inner_bytes)
{
	struct dp_case *dc = bc->priv;
	uint32_t n;

	(void)lane;
	wg_control_poll(dc->env->hs->ctl, 0);
	n = rte_ring_count(dc->g->outer_tx[dc->g->nq]);
	*inner_bytes += (uint64_t)n * sizeof(struct wg_msg_initiation);
	return n;
}

/* A response the initiator accepts (it derives the session from it). */
static int
response_check(struct dp_hs *h, const struct rte_mbuf *m)
{
	struct wg_msg_response resp;
	uint32_t i;

	if (m->data_len != WG_BENCH_OUTER_HDR + sizeof(resp))
		return -1;
	memcpy(&resp, rte_pktmbuf_mtod_offset(m, const uint8_t *, WG_BENCH_OUTER_HDR),
	       sizeof(resp));
	i = wg_le32(resp.receiver_index) - HS_SENDER_BASE;
	if (wg_le32(resp.header.type) != MESSAGE_HANDSHAKE_RESPONSE || i >= DP_HS_PEERS)
		return -1;
	return wg_noise_consume_response(&h->hs[i], &h->id[i], &resp);
}

static int
hs_verify(struct wg_bench_case *bc)
{
	struct dp_case *dc = bc->priv;
	struct rte_ring *r = dc->g->outer_tx[dc->g->nq];
	struct rte_mbuf *m;
	uint32_t n = 0;
	int rc = 0;

	while (rte_ring_dequeue(r, (void **)&m) == 0) {
		if (response_check(dc->env->hs, m) != 0)
			rc = -1;
		rte_pktmbuf_free(m);
		n++;
	}
	if (n != dc->env->hs->fed || rc != 0) {
		fprintf(stderr, "wgedge-bench: %s: %u responses to %u initiations%s\n",
			bc->name, n, dc->env->hs->fed, rc != 0 ? ", some refused" : "");
		return -1;
	}
	return 0;
}

static int
hs_start(struct wg_bench_case *bc, struct wg_bench_lane *ln)
{
	struct dp_case *dc = bc->priv;

	(void)ln;
	dc->env->hs->skew += HS_SKEW_NS;
	return 0;
}

static void
hs_destroy(struct wg_bench_case *bc)
{
	free(bc->priv);
	bc->priv = NULL;
}

const struct wg_bench_case_ops wg_bench_hs_ops = {
	.prepare = hs_prepare,
	.run = hs_run,
	.verify = hs_verify,
	.destroy = hs_destroy,
	.start = hs_start
};

/* ---- Floods and the control thread -------------------------------------- */

struct rte_mbuf *
wg_bench_flood_frame(struct dp_env *e, enum dp_kind kind, uint32_t k)
{
	const struct wg_msg_initiation *msg = kind == DP_FLOOD_MAC1 ?
		&e->hs->mac1[k % DP_FLOOD_POOL] : &e->hs->junk[k % DP_FLOOD_POOL];
	uint8_t f[FRAME_MAX];
	uint16_t len;

	len = wg_bench_outer_frame(&e->gw[1], f, FLOOD_SRC_BASE + (k & 0xffff), msg,
				   sizeof(*msg));
	return wg_bench_gen_frame(&e->gw[1], f, len);
}

static int
ctl_main(void *arg)
{
	struct dp_hs *h = arg;

	while (!__atomic_load_n(&h->stop, __ATOMIC_ACQUIRE))
		wg_control_poll(h->ctl, 0);
	return 0;
}

int
wg_bench_ctl_launch(struct dp_env *e, unsigned int lcore)
{
	struct dp_hs *h = e->hs;

	__atomic_store_n(&h->stop, 0, __ATOMIC_RELEASE);
	wg_control_stats_get(h->ctl, &h->cs0);
	if (rte_eal_remote_launch(ctl_main, h, lcore) != 0) {
		fprintf(stderr, "wgedge-bench: cannot launch the control thread\n");
		return -1;
	}
	return 0;
}

void
wg_bench_ctl_join(struct dp_env *e, unsigned int lcore)
{
	__atomic_store_n(&e->hs->stop, 1, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(lcore);
}

void
wg_bench_ctl_account(struct dp_env *e, struct wg_bench_case *bc)
{
	struct wg_control_stats st;
	const struct wg_control_stats *s0 = &e->hs->cs0;

	wg_control_stats_get(e->hs->ctl, &st);
	wg_bench_extra_add(bc, "control_initiations_rx", (double)(st.initiations_rx -
							 s0->initiations_rx));
	wg_bench_extra_add(bc, "control_cookies_tx", (double)(st.under_load_cookies -
						     s0->under_load_cookies));
	wg_bench_extra_add(bc, "control_rejected", (double)(st.rejected_handshake +
						   st.rejected_mac - s0->rejected_handshake -
						   s0->rejected_mac));
}

/* ---- Handshakes under flood ------------------------------------------- */

/* What the control thread did not take: the next case must not meet it. */
void
wg_bench_hs_rings_free(struct wg_bench_gw *g)
{
	struct rte_mbuf *m[32];
	unsigned int n;

	while ((n = wg_dp_handshake_dequeue(g->dp, m, RTE_DIM(m))) != 0)
		rte_pktmbuf_free_bulk(m, n);
	while ((n = wg_dp_cookie_dequeue(g->dp, m, RTE_DIM(m))) != 0)
		rte_pktmbuf_free_bulk(m, n);
}

/*
 * Handshakes completed per second while a flood runs, against none, in the
 * same run. The control thread loops on the second lcore as in production;
 * this thread is the worker and every sender. Each iteration it reads what
 * the control thread sent (responses complete a handshake, cookie replies
 * give their initiator mac2 for its next try, replies to spoofed sources
 * are dropped), then fills the outer RX ring: half of it flood, then new
 * initiations while fewer than HSF_WINDOW await an answer (an initiation
 * unanswered after HSF_LOST_NS counts as lost), then flood to the brim;
 * then the worker polls until the ring is empty. Floods: spoofed cookie
 * replies (random receiver indices), initiations with a valid mac1 over
 * garbage.
 */
enum hsf_flood {
	HSF_NONE,
	HSF_COOKIE,
	HSF_MAC1,
	HSF_KINDS
};

enum { HSF_WINDOW = 16 };
#define HSF_LOST_NS 1000000000ULL

static const char *const hsf_name[HSF_KINDS] = { "none", "cookie", "mac1" };

struct hsf {
	struct dp_env *e;
	struct wg_bench_gw *g;
	enum hsf_flood kind;
	uint64_t *sent_ns;		/* [DP_HS_PEERS]: 0 = none awaits an answer */
	uint32_t in_flight, k;
	uint64_t done;
};

static struct rte_mbuf *
hsf_flood_frame(struct hsf *s)
{
	struct wg_msg_cookie ck;
	uint8_t f[FRAME_MAX];
	uint16_t len;
	uint32_t k = s->k++;

	if (s->kind == HSF_MAC1)
		return wg_bench_flood_frame(s->e, DP_FLOOD_MAC1, k);
	randombytes_buf(&ck, sizeof(ck));
	ck.header.type = wg_le32(MESSAGE_HANDSHAKE_COOKIE);
	len = wg_bench_outer_frame(s->g, f, FLOOD_SRC_BASE + (k & 0xffff), &ck,
				   sizeof(ck));
	return wg_bench_gen_frame(s->g, f, len);
}

/* An answer for initiator i: a response completes, a cookie gives mac2. */
static void
hsf_answer(struct hsf *s, const uint8_t *msg, uint16_t len)
{
	struct dp_hs *h = s->e->hs;
	struct wg_msg_response resp;
	struct wg_msg_cookie ck;
	uint32_t i;

	if (len == sizeof(resp)) {
		memcpy(&resp, msg, sizeof(resp));
		i = wg_le32(resp.receiver_index) - HS_SENDER_BASE;
		if (i >= DP_HS_PEERS || s->sent_ns[i] == 0)
			return;
		if (wg_noise_consume_response(&h->hs[i], &h->id[i], &resp) == 0)
			s->done++;
	} else if (len == sizeof(ck)) {
		memcpy(&ck, msg, sizeof(ck));
		i = wg_le32(ck.receiver_index) - HS_SENDER_BASE;
		if (i >= DP_HS_PEERS || s->sent_ns[i] == 0)
			return;
		wg_cookie_consume_reply(&h->ck[i], &ck, wg_dp_clock_ns());
	} else {
		return;
	}
	s->sent_ns[i] = 0;
	s->in_flight--;
}

static void
hsf_replies(struct hsf *s)
{
	struct rte_mbuf *m[WG_BENCH_BURST];
	unsigned int n, i;

	while ((n = rte_ring_dequeue_burst(s->g->outer_tx[s->g->nq], (void **)m,
					   RTE_DIM(m), NULL)) != 0) {
		for (i = 0; i < n; i++) {
			if (m[i]->data_len > WG_BENCH_OUTER_HDR)
				hsf_answer(s, rte_pktmbuf_mtod_offset(m[i], const uint8_t *,
					   WG_BENCH_OUTER_HDR),
					   (uint16_t)(m[i]->data_len - WG_BENCH_OUTER_HDR));
		}
		rte_pktmbuf_free_bulk(m, n);
	}
}

/* Initiations unanswered for HSF_LOST_NS (dropped somewhere) free their slot. */
static void
hsf_expire(struct hsf *s, uint64_t now)
{
	uint32_t i;

	for (i = 0; i < DP_HS_PEERS; i++) {
		if (s->sent_ns[i] != 0 && now - s->sent_ns[i] >= HSF_LOST_NS) {
			s->sent_ns[i] = 0;
			s->in_flight--;
		}
	}
}

static void
hsf_put(struct hsf *s, struct rte_mbuf *m)
{
	if (m != NULL && rte_ring_enqueue(s->g->outer_rx[0], m) != 0)
		rte_pktmbuf_free(m);
}

static void
hsf_feed(struct hsf *s, uint64_t now)
{
	struct rte_ring *r = s->g->outer_rx[0];
	struct dp_hs *h = s->e->hs;
	uint32_t i;

	while (s->kind != HSF_NONE && rte_ring_count(r) < WG_BENCH_RING_SIZE / 2)
		hsf_put(s, hsf_flood_frame(s));
	while (s->in_flight < HSF_WINDOW && rte_ring_free_count(r) != 0) {
		i = h->next;
		h->next = i + 1 == DP_HS_PEERS ? 0 : i + 1;
		if (s->sent_ns[i] != 0)
			continue;
		hsf_put(s, initiation_frame(s->e, i));
		s->sent_ns[i] = now;
		s->in_flight++;
	}
	while (s->kind != HSF_NONE && rte_ring_free_count(r) != 0)
		hsf_put(s, hsf_flood_frame(s));
}

/* Handshakes per second over duration_ns with this flood. */
static double
hsf_run(struct hsf *s, enum hsf_flood kind, uint64_t duration_ns)
{
	struct wg_dp_worker *w = wg_dp_worker_get(s->g->dp, 0);
	uint64_t t0 = wg_dp_clock_ns(), now = t0, last_expire = t0;

	s->kind = kind;
	s->done = 0;
	while (now - t0 < duration_ns) {
		hsf_replies(s);
		if (now - last_expire >= HSF_LOST_NS / 4) {
			hsf_expire(s, now);
			last_expire = now;
		}
		hsf_feed(s, now);
		while (rte_ring_count(s->g->outer_rx[0]) != 0)
			wg_dp_worker_poll(w);
		now = wg_dp_clock_ns();
	}
	return (double)s->done * 1e9 / (double)(now - t0);
}

int
wg_bench_hs_flood_study(struct dp_env *e, unsigned int duration_ms)
{
	struct hsf s = { .e = e, .g = &e->gw[1] };
	double rate[HSF_KINDS];
	enum hsf_flood k;

	s.sent_ns = calloc(DP_HS_PEERS, sizeof(*s.sent_ns));
	if (s.sent_ns == NULL || wg_bench_ctl_launch(e, 1) != 0) {
		free(s.sent_ns);
		return -1;
	}
	for (k = HSF_NONE; k < HSF_KINDS; k++) {
		e->hs->skew += HS_SKEW_NS;	/* no load left from the last */
		rate[k] = hsf_run(&s, k, (uint64_t)duration_ms * 1000000ULL);
	}
	wg_bench_ctl_join(e, 1);
	hsf_replies(&s);
	wg_bench_gw_drain(s.g);
	wg_bench_hs_rings_free(s.g);
	free(s.sent_ns);
	printf("Handshakes completed per second under flood (1024 initiators, "
	       "control thread on its own lcore, each flood filling the outer RX "
	       "ring around them, %u ms each):", duration_ms);
	for (k = HSF_NONE; k < HSF_KINDS; k++)
		printf(" %s %.0f/s (%.2f)", hsf_name[k], rate[k],
		       rate[HSF_NONE] > 0 ? rate[k] / rate[HSF_NONE] : 0.0);
	printf("\n");
	return 0;
}
