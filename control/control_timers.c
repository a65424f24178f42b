/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocol timers of every peer. Linux raises a timer event per packet;
 * here workers only write per-peer times (DESIGN.md: no message per data
 * packet), and every timer still fires at its exact deadline, the same at
 * one peer and at a million:
 *  - the timer queue holds each peer's earliest lib/timers.h deadline;
 *  - arming needs the first data after a quiet spell (data received arms
 *    the passive keepalive, data sent the new-handshake timer): while one
 *    of those is not pending, the peer's watch bit asks the dataplane for
 *    one event at the next such packet (WG_DP_EV_ACTIVITY), whose time
 *    arms the timer;
 *  - cancelling and postponing need no event: when a deadline comes, the
 *    per-peer times are read first (activity_check), so a packet sent
 *    since cancels the keepalive, one received cancels the new handshake,
 *    any traffic postpones the persistent keepalive, and only what is
 *    still due fires;
 *  - the dataplane's other events: no session and packets staged, a rekey
 *    is due, a responder's keypair was confirmed, the peer roamed.
 * A slice of peers is also read per poll (ctl_activity_scan) for the
 * transfer figures of wg show; for the timers it is only a backstop for a
 * packet that raced the setting of a watch bit.
 */
#include <sodium.h>

#include "control_priv.h"
#include "dp.h"

/* The data the dataplane must report: what would arm an idle timer. */
static void
watch_update(struct wg_control *c, uint32_t slot)
{
	struct wg_control_peer *p = &c->peers[slot];
	uint32_t want = 0;

	if (p->timers.send_keepalive_at == 0)
		want |= WG_DP_WATCH_DATA_RX;
	if (p->timers.new_handshake_at == 0)
		want |= WG_DP_WATCH_DATA_TX;
	if (want != p->watch) {
		wg_dp_peer_watch(c->dp, p->dp_id, want);
		p->watch = want;
	}
}

void
ctl_timers_rearm(struct wg_control *c, uint32_t slot)
{
	uint64_t next = wg_timers_next_deadline(&c->peers[slot].timers);

	wg_timerq_set(&c->timerq, slot, next == UINT64_MAX ? WG_TIMERQ_NONE : next);
	watch_update(c, slot);
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

static void activity_check(struct wg_control *c, uint32_t slot);
static void roamed_check(struct wg_control *c, uint32_t slot);

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
		/* Traffic since the last look cancels or postpones first. */
		activity_check(c, (uint32_t)slot);
		timer_fire(c, (uint32_t)slot, now);
		ctl_timers_rearm(c, (uint32_t)slot);
	}
}

static void
event_handle(struct wg_control *c, uint32_t slot, uint32_t bits, uint64_t now)
{
	struct wg_control_peer *p = &c->peers[slot];
	struct wg_dp_session s;

	if (bits & WG_DP_EV_ROAMED)
		roamed_check(c, slot);
	if (bits & WG_DP_EV_ACTIVITY) {
		p->watch = 0;		/* a worker took a bit: set them again */
		activity_check(c, slot);
	}
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

/* The kinds of activity the dataplane's per-peer times record. */
enum act_kind {
	ACT_RX,			/* any authenticated packet received */
	ACT_DATA_RX,		/* a data packet received */
	ACT_TX,			/* any packet sent, keepalives too */
	ACT_DATA_TX,		/* a data packet sent (not a keepalive) */
	ACT_MAX
};

/*
 * Linux's per-packet timer calls for one kind of activity at time at. Only
 * data raises data_sent: a keepalive arms no new-handshake timer, or every
 * keepalive would bring a handshake 15 s later.
 */
static void
act_apply(struct wg_control_peer *p, enum act_kind k, uint64_t at,
	  uint64_t arm_ns)
{
	switch (k) {
	case ACT_RX:
		wg_timers_any_authenticated_packet_received(&p->timers);
		wg_timers_any_authenticated_packet_traversal(&p->timers, at);
		break;
	case ACT_DATA_RX:
		wg_timers_data_received(&p->timers, arm_ns);
		break;
	case ACT_TX:
		wg_timers_any_authenticated_packet_traversal(&p->timers, at);
		wg_timers_any_authenticated_packet_sent(&p->timers);
		break;
	default:
		wg_timers_data_sent(&p->timers, at,
				    randombytes_uniform(REKEY_TIMEOUT_JITTER_MAX_MS) *
				    1000000ULL);
		break;
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
 * Turns the movements of the per-peer times since the last look into the
 * timer events Linux raises per packet, in the order they happened: sending
 * cancels the passive keepalive and receiving cancels the new-handshake
 * timer, so the later one must win. Each time is the latest of its kind;
 * data received after a send re-arms the keepalive from that send (the
 * first such packet came after it: early rather than late, so the peer
 * hears back before its own new-handshake timer).
 */
static void
activity_check(struct wg_control *c, uint32_t slot)
{
	struct wg_control_peer *p = &c->peers[slot];
	uint64_t *seen[ACT_MAX] = { &p->seen_rx_ns, &p->seen_data_rx_ns,
				    &p->seen_tx_ns, &p->seen_data_tx_ns };
	uint64_t at[ACT_MAX], arm_ns;
	struct wg_dp_peer_stats st;
	unsigned int k, next;
	bool moved[ACT_MAX], any = false;

	if (wg_dp_peer_stats_get(c->dp, p->dp_id, &st) != 0)
		return;
	wg_device_peer_set_stats(c->dev, slot, st.rx_bytes, st.tx_bytes);
	at[ACT_RX] = st.last_rx_ns;
	at[ACT_DATA_RX] = st.last_data_rx_ns;
	at[ACT_TX] = st.last_tx_ns;
	at[ACT_DATA_TX] = st.last_data_tx_ns;
	for (k = 0; k < ACT_MAX; k++) {
		moved[k] = at[k] > *seen[k];
		any |= moved[k];
	}
	if (!any)
		return;
	arm_ns = moved[ACT_TX] && at[ACT_DATA_RX] > at[ACT_TX] ? at[ACT_TX] :
		 at[ACT_DATA_RX];
	for (;;) {
		for (next = ACT_MAX, k = 0; k < ACT_MAX; k++)
			if (moved[k] && (next == ACT_MAX || at[k] < at[next]))
				next = k;
		if (next == ACT_MAX)
			break;
		moved[next] = false;
		*seen[next] = at[next];
		act_apply(p, next, at[next], arm_ns);
	}
	ctl_timers_rearm(c, slot);
}

void
ctl_activity_scan(struct wg_control *c)
{
	uint32_t i;

	for (i = 0; i < c->scan_slice && i < c->max_peers; i++) {
		uint32_t slot = c->scan_cursor;

		c->scan_cursor = (c->scan_cursor + 1) % c->max_peers;
		if (c->peers[slot].in_use)
			activity_check(c, slot);
	}
}
