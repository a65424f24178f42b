/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocol timers of every peer, driven from three sources:
 *  - the timer queue (each peer's earliest lib/timers.h deadline);
 *  - the dataplane's events (no session and packets staged, a rekey is
 *    due, a responder's keypair was confirmed by its first data);
 *  - a scan of the dataplane's per-peer counters, which turns "data was
 *    sent/received since the last look" into the timer events Linux raises
 *    per packet, without any message per data packet (DESIGN.md).
 */
#include <sodium.h>

#include "control_priv.h"
#include "dp.h"

void
ctl_timers_rearm(struct wg_control *c, uint32_t slot)
{
	uint64_t next = wg_timers_next_deadline(&c->peers[slot].timers);

	wg_timerq_set(&c->timerq, slot, next == UINT64_MAX ? WG_TIMERQ_NONE : next);
}

void
ctl_session_complete(struct wg_control *c, uint32_t slot)
{
	uint64_t unix_ns = c->realtime_ns(c->clock_ctx);

	wg_timers_handshake_complete(&c->peers[slot].timers);
	c->peers[slot].last_handshake_ns = ctl_now(c);
	wg_device_peer_set_handshake(c->dev, slot, unix_ns / WG_NSEC_PER_SEC,
				     unix_ns % WG_NSEC_PER_SEC);
	c->stats.handshakes_completed++;
}

static bool
send_keepalive(struct wg_control *c, uint32_t slot)
{
	if (wg_dp_peer_send_keepalive(c->dp, c->peers[slot].dp_id) != 0)
		return false;
	c->stats.keepalives_tx++;
	return true;
}

void
ctl_send_staged_or_keepalive(struct wg_control *c, uint32_t slot)
{
	if (wg_dp_peer_send_staged(c->dp, c->peers[slot].dp_id) <= 0)
		send_keepalive(c, slot);
}

static void
zero_keys(struct wg_control *c, uint32_t slot)
{
	struct wg_control_peer *p = &c->peers[slot];

	wg_dp_peer_keypairs_clear(c->dp, p->dp_id);
	ctl_index_del(&c->index, p->hs_index);
	p->hs_index = 0;
	wg_noise_handshake_clear(&p->hs);
	c->stats.key_zeroings++;
}

static void
timer_fire(struct wg_control *c, uint32_t slot, uint64_t now)
{
	struct wg_control_peer *p = &c->peers[slot];
	unsigned int act = wg_timers_expired(&p->timers, now);

	if (act & WG_TIMER_GIVE_UP)
		wg_dp_peer_purge_staged(c->dp, p->dp_id);
	if (act & WG_TIMER_ZERO_KEYS)
		zero_keys(c, slot);
	/* A keepalive with no session asks for one (as Linux's send path). */
	if ((act & WG_TIMER_SEND_KEEPALIVE) && !send_keepalive(c, slot))
		ctl_send_initiation(c, slot, false);
	if (act & WG_TIMER_SEND_INITIATION)
		ctl_send_initiation(c, slot, true);
}

void
ctl_timers_run(struct wg_control *c)
{
	uint64_t now = ctl_now(c);
	int64_t slot;

	while ((slot = wg_timerq_pop_due(&c->timerq, now)) >= 0) {
		if (!c->peers[slot].in_use)
			continue;
		timer_fire(c, (uint32_t)slot, now);
		ctl_timers_rearm(c, (uint32_t)slot);
	}
}

static void
event_handle(struct wg_control *c, uint32_t slot, uint32_t bits, uint64_t now)
{
	struct wg_control_peer *p = &c->peers[slot];
	struct wg_dp_session s;

	if (bits & WG_DP_EV_CONFIRMED) {
		ctl_session_complete(c, slot);
		wg_dp_peer_send_staged(c->dp, p->dp_id);
	}
	if (bits & WG_DP_EV_REKEY_RX &&
	    wg_dp_peer_session(c->dp, p->dp_id, &s) == 0 && s.valid &&
	    wg_timers_should_rekey_on_receive(&p->timers, s.initiator,
					      s.birthdate_ns, now))
		ctl_send_initiation(c, slot, false);
	if (bits & WG_DP_EV_STAGED && wg_dp_peer_send_staged(c->dp, p->dp_id) == -EAGAIN)
		bits |= WG_DP_EV_HANDSHAKE;
	if (bits & WG_DP_EV_HANDSHAKE)
		ctl_send_initiation(c, slot, false);
	ctl_timers_rearm(c, slot);
}

void
ctl_events_run(struct wg_control *c)
{
	struct wg_dp_event ev[WG_CONTROL_BURST];
	uint64_t now = ctl_now(c);
	unsigned int n, i;
	uint32_t slot;

	do {
		n = wg_dp_events_poll(c->dp, ev, WG_CONTROL_BURST);
		for (i = 0; i < n; i++)
			if (ctl_peer_by_dp(c, ev[i].peer_id, &slot) != NULL)
				event_handle(c, slot, ev[i].bits, now);
	} while (n == WG_CONTROL_BURST);
}

/*
 * Linux raises data_sent for data only: a keepalive arms no new-handshake
 * timer, or every keepalive would bring a handshake 15 s later.
 */
static void
seen_tx(struct wg_control_peer *p, const struct wg_dp_peer_stats *st)
{
	if (st->last_tx_ns > p->seen_tx_ns) {
		p->seen_tx_ns = st->last_tx_ns;
		wg_timers_any_authenticated_packet_sent(&p->timers);
		wg_timers_any_authenticated_packet_traversal(&p->timers,
							     st->last_tx_ns);
	}
	if (st->last_data_tx_ns > p->seen_data_tx_ns) {
		p->seen_data_tx_ns = st->last_data_tx_ns;
		wg_timers_data_sent(&p->timers, st->last_data_tx_ns,
				    randombytes_uniform(REKEY_TIMEOUT_JITTER_MAX_MS) *
				    1000000ULL);
	}
}

static void
seen_rx(struct wg_control_peer *p, const struct wg_dp_peer_stats *st)
{
	if (st->last_rx_ns > p->seen_rx_ns) {
		p->seen_rx_ns = st->last_rx_ns;
		wg_timers_any_authenticated_packet_received(&p->timers);
		wg_timers_any_authenticated_packet_traversal(&p->timers,
							     st->last_rx_ns);
	}
	if (st->last_data_rx_ns > p->seen_data_rx_ns) {
		p->seen_data_rx_ns = st->last_data_rx_ns;
		wg_timers_data_received(&p->timers, st->last_data_rx_ns);
	}
}

/* Workers move a peer's endpoint when it roams: tell the model (wg show). */
static void
roamed_check(struct wg_control *c, uint32_t slot)
{
	const struct wg_device_peer *peer = wg_device_peer_get(c->dev, slot);
	struct wg_endpoint ep;

	if (peer != NULL &&
	    wg_dp_peer_get_endpoint(c->dp, c->peers[slot].dp_id, &ep) == 0 &&
	    ep.family != WG_AF_NONE && !wg_endpoint_equal(&ep, &peer->endpoint))
		wg_device_peer_set_endpoint(c->dev, slot, &ep);
}

/*
 * Turns counter movements into the timer events Linux raises per packet,
 * in the order they happened: sending cancels the passive keepalive and
 * receiving cancels the new-handshake timer, so the later one must win.
 */
static void
activity_check(struct wg_control *c, uint32_t slot)
{
	struct wg_control_peer *p = &c->peers[slot];
	struct wg_dp_peer_stats st;
	bool tx, rx;

	if (wg_dp_peer_stats_get(c->dp, p->dp_id, &st) != 0)
		return;
	wg_device_peer_set_stats(c->dev, slot, st.rx_bytes, st.tx_bytes);
	tx = st.last_tx_ns > p->seen_tx_ns;
	rx = st.last_rx_ns > p->seen_rx_ns || st.last_data_rx_ns > p->seen_data_rx_ns;
	if (!tx && !rx)
		return;
	if (rx)
		roamed_check(c, slot);
	if (tx && rx && st.last_tx_ns > st.last_rx_ns) {
		seen_rx(p, &st);
		seen_tx(p, &st);
	} else {
		seen_tx(p, &st);
		seen_rx(p, &st);
	}
	ctl_timers_rearm(c, slot);
}

void
ctl_activity_scan(struct wg_control *c)
{
	uint32_t i;

	for (i = 0; i < WG_CONTROL_SCAN && i < c->max_peers; i++) {
		uint32_t slot = c->scan_cursor;

		c->scan_cursor = (c->scan_cursor + 1) % c->max_peers;
		if (c->peers[slot].in_use)
			activity_check(c, slot);
	}
}
