/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocol timers of the Linux driver (timers.c, with the rekey tests of
 * send.c and receive.c keep_key_fresh and the keypair limits of noise.c) as
 * pure state. A kernel timer becomes a deadline in ns (0: not pending);
 * mod_timer sets it, del_timer zeroes it, timer_pending tests it. The
 * handlers run from wg_timers_expired() and, instead of sending, return what
 * the caller must send.
 */
#include <stddef.h>
#include <string.h>

#include "timers.h"

#define SEC(s) ((uint64_t)(s) * WG_NSEC_PER_SEC)

/* Linux's wg_birthdate_has_expired: birthdate + expiration <= now. */
static bool
birthdate_has_expired(uint64_t birthdate_ns, uint64_t expiration_ns,
		      uint64_t now_ns)
{
	return now_ns >= birthdate_ns && now_ns - birthdate_ns >= expiration_ns;
}

/* A deadline delta_ns after now_ns; saturates rather than wrap to "disarmed". */
static uint64_t
deadline_after(uint64_t now_ns, uint64_t delta_ns)
{
	return now_ns > UINT64_MAX - delta_ns ? UINT64_MAX : now_ns + delta_ns;
}

void
wg_timers_init(struct wg_timers *t, uint16_t persistent_keepalive_interval)
{
	memset(t, 0, sizeof(*t));
	t->persistent_keepalive_interval = persistent_keepalive_interval;
}

void
wg_timers_stop(struct wg_timers *t)
{
	t->retransmit_handshake_at = 0;
	t->send_keepalive_at = 0;
	t->new_handshake_at = 0;
	t->zero_key_material_at = 0;
	t->persistent_keepalive_at = 0;
	t->need_another_keepalive = false;
}

void
wg_timers_set_persistent_keepalive(struct wg_timers *t, uint16_t interval,
				   uint64_t now_ns)
{
	bool send_now = t->persistent_keepalive_interval == 0 && interval != 0;

	t->persistent_keepalive_interval = interval;
	if (interval == 0)
		t->persistent_keepalive_at = 0;
	else if (send_now)
		t->persistent_keepalive_at = now_ns;
}

/* After an authenticated data packet is sent. */
void
wg_timers_data_sent(struct wg_timers *t, uint64_t now_ns, uint64_t jitter_ns)
{
	if (t->new_handshake_at == 0)
		t->new_handshake_at = deadline_after(now_ns,
			SEC(KEEPALIVE_TIMEOUT + REKEY_TIMEOUT) + jitter_ns);
}

/* After an authenticated data packet is received. */
void
wg_timers_data_received(struct wg_timers *t, uint64_t now_ns)
{
	if (t->send_keepalive_at == 0)
		t->send_keepalive_at = deadline_after(now_ns,
						      SEC(KEEPALIVE_TIMEOUT));
	else
		t->need_another_keepalive = true;
}

/*
 * After any authenticated packet (keepalive, data, handshake) is sent.
 * As in Linux, need_another_keepalive is left as it is.
 */
void
wg_timers_any_authenticated_packet_sent(struct wg_timers *t)
{
	t->send_keepalive_at = 0;
}

/* After any authenticated packet (keepalive, data, handshake) is received. */
void
wg_timers_any_authenticated_packet_received(struct wg_timers *t)
{
	t->new_handshake_at = 0;
}

/* Before any authenticated packet is sent, or after one is received. */
void
wg_timers_any_authenticated_packet_traversal(struct wg_timers *t,
					     uint64_t now_ns)
{
	if (t->persistent_keepalive_interval != 0)
		t->persistent_keepalive_at = deadline_after(now_ns,
			SEC(t->persistent_keepalive_interval));
}

void
wg_timers_handshake_requested(struct wg_timers *t)
{
	t->handshake_attempts = 0;
}

/* After an initiation is sent (mod_timer: re-arms even if pending). */
void
wg_timers_handshake_initiated(struct wg_timers *t, uint64_t now_ns,
			      uint64_t jitter_ns)
{
	t->retransmit_handshake_at = deadline_after(now_ns,
						    SEC(REKEY_TIMEOUT) + jitter_ns);
	t->last_sent_handshake_ns = now_ns;
}

/* After a response is processed, or key confirmation by a first data packet. */
void
wg_timers_handshake_complete(struct wg_timers *t)
{
	t->retransmit_handshake_at = 0;
	t->handshake_attempts = 0;
	t->sent_lastminute_handshake = false;
}

/* After the keys of a session are derived (responder or initiator side). */
void
wg_timers_session_derived(struct wg_timers *t, uint64_t now_ns)
{
	t->zero_key_material_at = deadline_after(now_ns,
						 SEC(REJECT_AFTER_TIME * 3));
}

/*
 * Linux's handlers. Each runs with its own deadline already cleared, and
 * returns the actions for the caller.
 */
static unsigned int
expired_retransmit_handshake(struct wg_timers *t, uint64_t now_ns)
{
	if (t->handshake_attempts > MAX_TIMER_HANDSHAKES) {
		t->send_keepalive_at = 0;
		/* Destroy whatever residue a partial exchange left. */
		if (t->zero_key_material_at == 0)
			t->zero_key_material_at = deadline_after(now_ns,
				SEC(REJECT_AFTER_TIME * 3));
		return WG_TIMER_GIVE_UP;
	}
	/* A retry: the attempt count goes on (is_retry in Linux). */
	t->handshake_attempts++;
	return WG_TIMER_SEND_INITIATION;
}

static unsigned int
expired_send_keepalive(struct wg_timers *t, uint64_t now_ns)
{
	if (t->need_another_keepalive) {
		t->need_another_keepalive = false;
		t->send_keepalive_at = deadline_after(now_ns,
						      SEC(KEEPALIVE_TIMEOUT));
	}
	return WG_TIMER_SEND_KEEPALIVE;
}

static unsigned int
expired_new_handshake(struct wg_timers *t, uint64_t now_ns)
{
	(void)now_ns;
	/* Not a retry: a fresh round of attempts. */
	t->handshake_attempts = 0;
	return WG_TIMER_SEND_INITIATION;
}

static unsigned int
expired_zero_key_material(struct wg_timers *t, uint64_t now_ns)
{
	(void)t;
	(void)now_ns;
	return WG_TIMER_ZERO_KEYS;
}

static unsigned int
expired_persistent_keepalive(struct wg_timers *t, uint64_t now_ns)
{
	(void)now_ns;
	return t->persistent_keepalive_interval != 0 ?
	       WG_TIMER_SEND_KEEPALIVE : 0;
}

/* The five timers: where each keeps its deadline, and its handler. */
static const struct wg_timer_desc {
	size_t deadline_offset;
	unsigned int (*expired)(struct wg_timers *t, uint64_t now_ns);
} timer_table[] = {
	{ offsetof(struct wg_timers, retransmit_handshake_at),
	  expired_retransmit_handshake },
	{ offsetof(struct wg_timers, send_keepalive_at),
	  expired_send_keepalive },
	{ offsetof(struct wg_timers, new_handshake_at),
	  expired_new_handshake },
	{ offsetof(struct wg_timers, zero_key_material_at),
	  expired_zero_key_material },
	{ offsetof(struct wg_timers, persistent_keepalive_at),
	  expired_persistent_keepalive },
};

enum { TIMER_COUNT = sizeof(timer_table) / sizeof(timer_table[0]) };

static uint64_t
timer_at(const struct wg_timers *t, unsigned int id)
{
	return *(const uint64_t *)((const char *)t +
				   timer_table[id].deadline_offset);
}

/* The armed timer with the earliest deadline, or TIMER_COUNT if none. */
static unsigned int
earliest_timer(const struct wg_timers *t)
{
	unsigned int id, best = TIMER_COUNT;

	for (id = 0; id < TIMER_COUNT; id++) {
		if (timer_at(t, id) == 0)
			continue;
		if (best == TIMER_COUNT || timer_at(t, id) < timer_at(t, best))
			best = id;
	}
	return best;
}

uint64_t
wg_timers_next_deadline(const struct wg_timers *t)
{
	unsigned int id = earliest_timer(t);

	return id == TIMER_COUNT ? UINT64_MAX : timer_at(t, id);
}

/*
 * Earliest first, as a timer wheel would run them: a handler may cancel a
 * later timer (giving up cancels send_keepalive) but not an earlier one.
 * Each handler re-arms only past now_ns, so every timer fires at most once
 * (short of a clock at UINT64_MAX, where deadlines saturate).
 */
unsigned int
wg_timers_expired(struct wg_timers *t, uint64_t now_ns)
{
	unsigned int actions = 0, id;

	for (;;) {
		id = earliest_timer(t);
		if (id == TIMER_COUNT || timer_at(t, id) > now_ns)
			break;
		/* del_timer before the handler, which may re-arm it. */
		*(uint64_t *)((char *)t + timer_table[id].deadline_offset) = 0;
		actions |= timer_table[id].expired(t, now_ns);
	}
	return actions;
}

bool
wg_timers_may_send_initiation(const struct wg_timers *t, uint64_t now_ns)
{
	return t->last_sent_handshake_ns == 0 ||
	       birthdate_has_expired(t->last_sent_handshake_ns,
				     SEC(REKEY_TIMEOUT), now_ns);
}

/* send.c keep_key_fresh; the caller has checked the keypair is valid. */
bool
wg_timers_should_rekey_on_send(bool i_am_initiator, uint64_t birthdate_ns,
			       uint64_t send_counter, uint64_t now_ns)
{
	return send_counter > REKEY_AFTER_MESSAGES ||
	       (i_am_initiator &&
		birthdate_has_expired(birthdate_ns, SEC(REKEY_AFTER_TIME),
				      now_ns));
}

/* receive.c keep_key_fresh; the caller has checked the keypair is valid. */
bool
wg_timers_should_rekey_on_receive(struct wg_timers *t, bool i_am_initiator,
				  uint64_t birthdate_ns, uint64_t now_ns)
{
	if (t->sent_lastminute_handshake || !i_am_initiator)
		return false;
	if (!birthdate_has_expired(birthdate_ns,
				   SEC(REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT -
				       REKEY_TIMEOUT), now_ns))
		return false;
	t->sent_lastminute_handshake = true;
	return true;
}

/* As the send and receive paths refuse a keypair (send.c, receive.c). */
bool
wg_timers_keypair_expired(uint64_t birthdate_ns, uint64_t counter,
			  uint64_t now_ns)
{
	return birthdate_has_expired(birthdate_ns, SEC(REJECT_AFTER_TIME),
				     now_ns) ||
	       counter >= REJECT_AFTER_MESSAGES;
}
