/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocol timers as pure state: no clocks, no threads. The caller
 * reports events with the time they happened (wg_timers_<event>), asks when
 * the next deadline is, and at that time asks wg_timers_expired() what to
 * do. Semantics follow the Linux driver's timers.c one for one:
 *
 *  retransmit_handshake  armed when an initiation is sent; REKEY_TIMEOUT +
 *                        jitter; asks for MAX_TIMER_HANDSHAKES + 1 retries
 *                        (MAX_TIMER_HANDSHAKES + 2 initiations in all), then
 *                        gives up.
 *  send_keepalive        armed when data arrives; KEEPALIVE_TIMEOUT; cancelled
 *                        when anything authenticated is sent.
 *  new_handshake         armed when data is sent; KEEPALIVE_TIMEOUT +
 *                        REKEY_TIMEOUT + jitter; cancelled when anything
 *                        authenticated arrives.
 *  zero_key_material     armed when a session is derived (and on giving up);
 *                        3 x REJECT_AFTER_TIME.
 *  persistent_keepalive  re-armed by any authenticated traffic, if enabled.
 *
 * Times are nanoseconds of a monotonic clock; 0 means "disarmed", so clocks
 * must start above 0. Jitter values are supplied by the caller (random in
 * [0, REKEY_TIMEOUT_JITTER_MAX_MS) ms) so that tests are deterministic.
 */
#ifndef WG_TIMERS_H
#define WG_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

#include "consts.h"
#include "messages.h"

enum wg_timer_action {
	WG_TIMER_SEND_INITIATION = 1 << 0,	/* new handshake or retry */
	WG_TIMER_SEND_KEEPALIVE = 1 << 1,	/* passive or persistent */
	WG_TIMER_GIVE_UP = 1 << 2,		/* purge staged packets */
	WG_TIMER_ZERO_KEYS = 1 << 3		/* wipe keypairs + handshake */
};

struct wg_timers {
	uint64_t retransmit_handshake_at;
	uint64_t send_keepalive_at;
	uint64_t new_handshake_at;
	uint64_t zero_key_material_at;
	uint64_t persistent_keepalive_at;
	uint64_t last_sent_handshake_ns;
	unsigned int handshake_attempts;
	uint16_t persistent_keepalive_interval;	/* seconds, 0 = off */
	bool need_another_keepalive;
	bool sent_lastminute_handshake;
};

void wg_timers_init(struct wg_timers *t, uint16_t persistent_keepalive_interval);
/* Disarms everything (peer removed, or its state expired). */
void wg_timers_stop(struct wg_timers *t);
/*
 * As Linux's netlink set: turning persistent keepalive on (from 0) asks for
 * one keepalive at once (the timer is armed at now_ns); turning it off
 * disarms it; changing a non-zero interval takes effect at the next traversal.
 */
void wg_timers_set_persistent_keepalive(struct wg_timers *t, uint16_t interval,
					uint64_t now_ns);

void wg_timers_data_sent(struct wg_timers *t, uint64_t now_ns, uint64_t jitter_ns);
void wg_timers_data_received(struct wg_timers *t, uint64_t now_ns);
void wg_timers_any_authenticated_packet_sent(struct wg_timers *t);
void wg_timers_any_authenticated_packet_received(struct wg_timers *t);
void wg_timers_any_authenticated_packet_traversal(struct wg_timers *t,
						  uint64_t now_ns);
/*
 * The caller wants a new handshake of its own accord (packets staged with no
 * usable keypair, a rekey predicate answered true, a keepalive with no
 * keypair): as Linux's wg_packet_send_queued_handshake_initiation(peer,
 * false), this restarts the retry count, whether or not an initiation may
 * go out now. Not for the initiations wg_timers_expired asks for.
 */
void wg_timers_handshake_requested(struct wg_timers *t);
/* An initiation went out: (re)arms retransmit, records the time sent. */
void wg_timers_handshake_initiated(struct wg_timers *t, uint64_t now_ns,
				   uint64_t jitter_ns);
void wg_timers_handshake_complete(struct wg_timers *t);
void wg_timers_session_derived(struct wg_timers *t, uint64_t now_ns);

/* Earliest armed deadline, or UINT64_MAX if none is armed. */
uint64_t wg_timers_next_deadline(const struct wg_timers *t);
/*
 * Fires every deadline at or before now, earliest first, updating the state
 * as the Linux handlers do, and returns the wg_timer_action bits the caller
 * must carry out (then report, e.g. wg_timers_handshake_initiated after
 * sending). Timers re-armed by a handler count from now_ns.
 */
unsigned int wg_timers_expired(struct wg_timers *t, uint64_t now_ns);

/* An initiation may be sent unless one went out less than REKEY_TIMEOUT ago. */
bool wg_timers_may_send_initiation(const struct wg_timers *t, uint64_t now_ns);

/*
 * Sending side of keep_key_fresh: send_counter is the keypair's next nonce
 * (nonces handed out so far); rekey once it is past REKEY_AFTER_MESSAGES, or,
 * for the initiator's keypair only, once it is REKEY_AFTER_TIME old.
 */
bool wg_timers_should_rekey_on_send(bool i_am_initiator, uint64_t birthdate_ns,
				    uint64_t send_counter, uint64_t now_ns);
/*
 * Receiving side: the initiator rekeys once, shortly before its keypair
 * reaches REJECT_AFTER_TIME (REJECT - KEEPALIVE - REKEY_TIMEOUT). Answering
 * true records that the last-minute handshake was sent.
 */
bool wg_timers_should_rekey_on_receive(struct wg_timers *t,
				       bool i_am_initiator, uint64_t birthdate_ns,
				       uint64_t now_ns);
/* A keypair past REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES is unusable. */
bool wg_timers_keypair_expired(uint64_t birthdate_ns, uint64_t counter,
			       uint64_t now_ns);

#endif /* WG_TIMERS_H */
