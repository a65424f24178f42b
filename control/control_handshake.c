/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Handshake messages, as the Linux driver's receive.c handles them: mac1
 * first (the worker already checked it; checking again costs one BLAKE2s),
 * then, under load, a cookie reply to any initiation or response without a
 * valid mac2 and the per-source rate limiter for those with one; only then
 * the Diffie-Hellman work. Nothing is ever sent in answer to a message that
 * failed any of these: failures are counted and dropped.
 */
#include <string.h>

#include <rte_mbuf.h>
#include <sodium.h>

#include "control_priv.h"
#include "dp.h"

/*
 * Under load while initiations and responses queue deep, and for a second
 * after (as Linux). Cookie replies have their own ring and do not count:
 * they cost no Diffie-Hellman, and a flood of them must not make real
 * clients pay a round trip for a cookie.
 */
static bool
under_load(struct wg_control *c, uint64_t now)
{
	bool load;

	if (wg_dp_handshake_backlog(c->dp) >= UNDER_LOAD_HANDSHAKES)
		c->under_load_until_ns = now + WG_CONTROL_LOAD_HOLD_NS;
	load = c->under_load_until_ns > now;
	/* Time under load, for the operator (wgedge_control_under_load_seconds). */
	if (load && c->load_seen_ns != 0 && now > c->load_seen_ns)
		c->stats.under_load_ns += now - c->load_seen_ns;
	c->load_seen_ns = load ? now : 0;
	return load;
}

/*
 * mac1, then mac2 and the rate limiter under load. True if the message may
 * go on to the Noise work; a cookie reply may have been sent instead.
 */
static bool
check_macs(struct wg_control *c, const uint8_t *msg, uint16_t len,
	   const struct wg_endpoint *src, uint64_t now)
{
	bool load = under_load(c, now);
	struct wg_msg_cookie reply;

	switch (wg_cookie_validate_packet(&c->checker, msg, len, src, load, now)) {
	case WG_COOKIE_INVALID_MAC:
		c->stats.rejected_mac++;
		return false;
	case WG_COOKIE_VALID_MAC_BUT_NO_COOKIE:
		if (!load)
			return true;
		wg_cookie_message_create(&c->checker, &reply, msg, len, src, now);
		if (wg_dp_control_send(c->dp, src, &reply, sizeof(reply)) == 0) {
			c->stats.cookies_tx++;
			c->stats.under_load_cookies++;
		}
		return false;
	case WG_COOKIE_VALID_MAC_WITH_COOKIE:
		if (wg_ratelimiter_allow(c->ratelimiter, src, now))
			return true;
		c->stats.rejected_ratelimit++;
		return false;
	}
	return false;
}

/* An authenticated handshake message came from src: roam there. */
static void
peer_seen_at(struct wg_control *c, uint32_t slot, const struct wg_endpoint *src)
{
	const struct wg_device_peer *peer = wg_device_peer_get(c->dev, slot);

	if (peer != NULL && !wg_endpoint_equal(&peer->endpoint, src)) {
		wg_device_peer_set_endpoint(c->dev, slot, src);
		wg_dp_peer_set_endpoint(c->dp, c->peers[slot].dp_id, src);
	}
}

static void
send_handshake(struct wg_control *c, uint32_t slot, void *msg, uint16_t len)
{
	const struct wg_device_peer *peer = wg_device_peer_get(c->dev, slot);
	struct wg_control_peer *p = &c->peers[slot];

	wg_cookie_add_macs(&p->cookie, msg, len, ctl_now(c));
	/* Handshake bytes count in the peer's transfer, as in Linux. */
	if (peer != NULL && peer->endpoint.family != WG_AF_NONE &&
	    wg_dp_control_send(c->dp, &peer->endpoint, msg, len) == 0)
		wg_dp_peer_count_handshake(c->dp, p->dp_id, false, len);
	wg_timers_any_authenticated_packet_traversal(&p->timers, ctl_now(c));
	wg_timers_any_authenticated_packet_sent(&p->timers);
}

/* Responder: e, es, s, ss, {t} in; then e, ee, se, psk, {} out. */
static void
initiation_rx(struct wg_control *c, const uint8_t *msg, const struct wg_endpoint *src,
	      uint64_t now)
{
	const struct wg_msg_initiation *init = (const void *)msg;
	const struct wg_device_peer *peer;
	struct wg_msg_response resp;
	struct wg_noise_keypair kp;
	struct wg_noise_consume st;
	struct wg_control_peer *p;

	c->stats.initiations_rx++;
	if (wg_noise_consume_initiation_begin(&c->identity, init, &st) != 0)
		goto reject;
	peer = wg_device_peer_lookup(c->dev, st.remote_static);
	if (peer == NULL) {
		sodium_memzero(&st, sizeof(st));
		goto reject;
	}
	p = &c->peers[peer->id];
	if (wg_noise_consume_initiation_finish(&st, &p->hs, init, now) != 0)
		goto reject;
	peer_seen_at(c, peer->id, src);
	wg_dp_peer_count_handshake(c->dp, p->dp_id, true, sizeof(*init));
	p->last_handshake_ns = now;	/* idle expiry counts from here too */
	wg_timers_any_authenticated_packet_received(&p->timers);
	wg_timers_any_authenticated_packet_traversal(&p->timers, now);

	ctl_index_del(&c->index, p->hs_index);
	p->hs_index = ctl_index_new(c, peer->id);
	if (wg_noise_create_response(&p->hs, &resp, p->hs_index) != 0 ||
	    wg_noise_derive_keypair(&p->hs, &kp, now) != 0)
		goto reject;
	send_handshake(c, peer->id, &resp, sizeof(resp));
	c->stats.responses_tx++;
	p->timers.last_sent_handshake_ns = now;	/* as Linux: no initiation for a while */
	/* The index now names the keypair, which the dataplane holds. */
	ctl_index_del(&c->index, p->hs_index);
	p->hs_index = 0;
	if (wg_dp_peer_keypair_install(c->dp, p->dp_id, &kp) == 0)
		wg_timers_session_derived(&p->timers, now);
	sodium_memzero(&kp, sizeof(kp));
	ctl_timers_rearm(c, peer->id);
	return;
reject:
	c->stats.rejected_handshake++;
}

/* Initiator: the answer to our initiation. */
static void
response_rx(struct wg_control *c, const uint8_t *msg, const struct wg_endpoint *src,
	    uint64_t now)
{
	const struct wg_msg_response *resp = (const void *)msg;
	uint32_t slot = ctl_index_lookup(&c->index, wg_le32(resp->receiver_index));
	struct wg_noise_keypair kp;
	struct wg_control_peer *p;

	c->stats.responses_rx++;
	if (slot == WG_CONTROL_NO_ID) {
		c->stats.rejected_index++;
		return;
	}
	p = &c->peers[slot];
	if (wg_noise_consume_response(&p->hs, &c->identity, resp) != 0 ||
	    wg_noise_derive_keypair(&p->hs, &kp, now) != 0) {
		c->stats.rejected_handshake++;
		return;
	}
	peer_seen_at(c, slot, src);
	wg_dp_peer_count_handshake(c->dp, p->dp_id, true, sizeof(*resp));
	ctl_index_del(&c->index, p->hs_index);
	p->hs_index = 0;
	wg_timers_any_authenticated_packet_received(&p->timers);
	wg_timers_any_authenticated_packet_traversal(&p->timers, now);
	if (wg_dp_peer_keypair_install(c->dp, p->dp_id, &kp) == 0) {
		wg_timers_session_derived(&p->timers, now);
		ctl_session_complete(c, slot);
		ctl_send_staged_or_keepalive(c, slot);
	}
	sodium_memzero(&kp, sizeof(kp));
	ctl_timers_rearm(c, slot);
}

/*
 * The peer a cookie reply is for: it answers our initiation (an index in
 * flight) or our response, whose index names the keypair it made by now
 * (as Linux, which looks in both its handshake and keypair tables).
 */
static uint32_t
cookie_slot(struct wg_control *c, uint32_t index)
{
	uint32_t slot = ctl_index_lookup(&c->index, index);
	int dp_id;

	if (slot != WG_CONTROL_NO_ID)
		return slot;
	dp_id = wg_dp_index_peer(c->dp, index);
	if (dp_id < 0 || ctl_peer_by_dp(c, (uint32_t)dp_id, &slot) == NULL)
		return WG_CONTROL_NO_ID;
	return slot;
}

static void
cookie_rx(struct wg_control *c, const uint8_t *msg, uint64_t now)
{
	const struct wg_msg_cookie *ck = (const void *)msg;
	uint32_t slot = cookie_slot(c, wg_le32(ck->receiver_index));

	c->stats.cookies_rx++;
	if (slot == WG_CONTROL_NO_ID) {
		c->stats.rejected_index++;
		return;
	}
	/* The next retransmission carries mac2 (as Linux: no resend now). */
	if (wg_cookie_consume_reply(&c->peers[slot].cookie, ck, now) != 0)
		c->stats.rejected_handshake++;
}

/* Handshake messages, aligned for lib/'s structs (in the frame they sit
 * at offset 42 of an IPv4 frame: not 4-byte aligned). */
union handshake_msg {
	struct wg_msg_initiation init;
	struct wg_msg_response resp;
	struct wg_msg_cookie cookie;
	uint8_t bytes[1];
};

static void
message_rx(struct wg_control *c, struct rte_mbuf *m, uint64_t now)
{
	union handshake_msg buf;
	struct wg_endpoint src;
	const uint8_t *frame_msg, *msg = buf.bytes;
	uint16_t len;

	if (wg_dp_handshake_parse(m, &src, &frame_msg, &len) != 0 ||
	    len > sizeof(buf))
		return;
	memcpy(&buf, frame_msg, len);
	switch (wg_message_type(msg, len)) {
	case MESSAGE_HANDSHAKE_INITIATION:
		if (c->identity.has_identity && check_macs(c, msg, len, &src, now))
			initiation_rx(c, msg, &src, now);
		break;
	case MESSAGE_HANDSHAKE_RESPONSE:
		if (c->identity.has_identity && check_macs(c, msg, len, &src, now))
			response_rx(c, msg, &src, now);
		break;
	case MESSAGE_HANDSHAKE_COOKIE:
		cookie_rx(c, msg, now);
		break;
	default:
		break;
	}
}

static unsigned int
rx_burst(struct wg_control *c, unsigned int (*dequeue)(struct wg_dp *,
	 struct rte_mbuf **, unsigned int))
{
	struct rte_mbuf *m[WG_CONTROL_BURST];
	uint64_t now = ctl_now(c);
	unsigned int n, i;

	n = dequeue(c->dp, m, WG_CONTROL_BURST);
	for (i = 0; i < n; i++) {
		message_rx(c, m[i], now);
		rte_pktmbuf_free(m[i]);
	}
	return n;
}

/*
 * Both rings, a burst of each in turn (cookie replies cannot hold up
 * initiations and responses, nor these them), until they are empty or the
 * budget is spent. The budget is CPU time, so the dataplane's clock
 * measures it, not the (injectable) protocol clock.
 */
void
ctl_handshake_rx(struct wg_control *c)
{
	uint64_t end = wg_dp_clock_ns() + WG_CONTROL_HS_BUDGET_NS;
	unsigned int n;

	do {
		n = rx_burst(c, wg_dp_handshake_dequeue);
		n += rx_burst(c, wg_dp_cookie_dequeue);
	} while (n != 0 && wg_dp_clock_ns() < end);
}

/* The retransmit timer's jitter: [0, REKEY_TIMEOUT_JITTER_MAX_MS) ms. */
static uint64_t
initiation_jitter(void)
{
	return randombytes_uniform(REKEY_TIMEOUT_JITTER_MAX_MS) * 1000000ULL;
}

void
ctl_send_initiation(struct wg_control *c, uint32_t slot, bool is_retry)
{
	struct wg_control_peer *p = &c->peers[slot];
	const struct wg_device_peer *peer = wg_device_peer_get(c->dev, slot);
	uint8_t timestamp[NOISE_TIMESTAMP_LEN];
	struct wg_msg_initiation init;
	uint64_t now = ctl_now(c);

	if (!is_retry)
		wg_timers_handshake_requested(&p->timers);
	/* Every path is rate limited, the timers' retries too (as Linux): a
	 * retry due within REKEY_TIMEOUT of our last handshake message (a
	 * response to the peer's own initiation) is dropped, not re-armed. */
	if (peer == NULL || !c->identity.has_identity ||
	    !wg_timers_may_send_initiation(&p->timers, now))
		return;
	/*
	 * No endpoint: the attempt counts and the retransmit timer runs as in
	 * Linux, so a retry goes out within REKEY_TIMEOUT once there is one,
	 * and the attempts give up on time. Linux also makes the initiation;
	 * there is nobody to send it to, and for many endpoint-less peers with
	 * persistent keepalives the Diffie-Hellman work would swamp the one
	 * control thread, so it is made only when it can go out.
	 */
	if (peer->endpoint.family == WG_AF_NONE) {
		wg_timers_handshake_initiated(&p->timers, now, initiation_jitter());
		ctl_timers_rearm(c, slot);
		return;
	}
	ctl_index_del(&c->index, p->hs_index);
	p->hs_index = ctl_index_new(c, slot);
	wg_tai64n_now(timestamp);
	if (wg_noise_create_initiation(&p->hs, &c->identity, &init, p->hs_index,
				       timestamp) != 0)
		return;
	send_handshake(c, slot, &init, sizeof(init));
	c->stats.initiations_tx++;
	wg_timers_handshake_initiated(&p->timers, now, initiation_jitter());
	ctl_timers_rearm(c, slot);
}
