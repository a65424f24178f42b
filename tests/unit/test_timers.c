/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The protocol timers against the Linux driver's behaviour: scenarios are
 * scripts of events with explicit times, checked one ns before and at each
 * deadline; the rekey and expiry predicates are tables at their exact ages
 * and counters; next_deadline is compared with a naive minimum.
 */
#include <criterion/criterion.h>

#include "timers.h"

#define T0 (1000 * WG_NSEC_PER_SEC)	/* clocks start well above 0 */
#define S(x) ((uint64_t)(x) * WG_NSEC_PER_SEC)
#define MS(x) ((uint64_t)(x) * 1000000ULL)
#define NONE UINT64_MAX

#define KEEPALIVE WG_TIMER_SEND_KEEPALIVE
#define INITIATION WG_TIMER_SEND_INITIATION
#define GIVE_UP WG_TIMER_GIVE_UP
#define ZERO_KEYS WG_TIMER_ZERO_KEYS

enum ev {
	EV_END = 0,
	EV_DATA_SENT,		/* arg: jitter */
	EV_DATA_RECEIVED,
	EV_AUTH_SENT,		/* any authenticated packet sent */
	EV_AUTH_RECEIVED,	/* any authenticated packet received */
	EV_TRAVERSAL,
	EV_INITIATED,		/* arg: jitter */
	EV_COMPLETE,
	EV_DERIVED,
	EV_SET_PK,		/* arg: interval */
	EV_EXPIRE,		/* arg: the actions expected */
	EV_DEADLINE		/* at: the next deadline expected (or NONE) */
};

struct step {
	enum ev ev;
	uint64_t at;		/* offset from T0 */
	uint64_t arg;
};

struct scenario {
	const char *name;
	uint16_t interval;
	struct step steps[16];
};

static void
run_step(struct wg_timers *t, const struct scenario *sc, unsigned int i)
{
	const struct step *s = &sc->steps[i];
	uint64_t now = T0 + s->at;

	switch (s->ev) {
	case EV_DATA_SENT:
		wg_timers_data_sent(t, now, s->arg);
		break;
	case EV_DATA_RECEIVED:
		wg_timers_data_received(t, now);
		break;
	case EV_AUTH_SENT:
		wg_timers_any_authenticated_packet_sent(t);
		break;
	case EV_AUTH_RECEIVED:
		wg_timers_any_authenticated_packet_received(t);
		break;
	case EV_TRAVERSAL:
		wg_timers_any_authenticated_packet_traversal(t, now);
		break;
	case EV_INITIATED:
		wg_timers_handshake_initiated(t, now, s->arg);
		break;
	case EV_COMPLETE:
		wg_timers_handshake_complete(t);
		break;
	case EV_DERIVED:
		wg_timers_session_derived(t, now);
		break;
	case EV_SET_PK:
		wg_timers_set_persistent_keepalive(t, s->arg, now);
		break;
	case EV_EXPIRE:
		cr_assert_eq(wg_timers_expired(t, now), s->arg,
			     "%s, step %u: actions", sc->name, i);
		break;
	case EV_DEADLINE:
		cr_assert_eq(wg_timers_next_deadline(t),
			     s->at == NONE ? NONE : T0 + s->at,
			     "%s, step %u: next deadline", sc->name, i);
		break;
	case EV_END:
		break;
	}
}

static void
run_scenarios(const struct scenario *sc, size_t n)
{
	struct wg_timers t;
	unsigned int i;
	size_t k;

	for (k = 0; k < n; k++) {
		wg_timers_init(&t, sc[k].interval);
		for (i = 0; sc[k].steps[i].ev != EV_END; i++)
			run_step(&t, &sc[k], i);
	}
}

#define RUN(table) run_scenarios(table, sizeof(table) / sizeof(table[0]))

Test(timers, init_arms_nothing)
{
	struct wg_timers t;

	wg_timers_init(&t, 25);
	cr_assert_eq(t.persistent_keepalive_interval, 25);
	cr_assert_eq(t.handshake_attempts, 0);
	cr_assert_eq(wg_timers_next_deadline(&t), NONE);
	cr_assert_eq(wg_timers_expired(&t, T0 + S(100000)), 0);
	cr_assert(wg_timers_may_send_initiation(&t, 1));
}

static const struct scenario keepalive_scenarios[] = {
	{ "passive keepalive after data received", 0, {
		{ EV_DATA_RECEIVED, 0, 0 },
		{ EV_DEADLINE, S(10), 0 },
		{ EV_EXPIRE, S(10) - 1, 0 },
		{ EV_EXPIRE, S(10), KEEPALIVE },
		{ EV_DEADLINE, NONE, 0 },
		{ EV_EXPIRE, S(100), 0 },
	} },
	{ "no keepalive if we sent something meanwhile", 0, {
		{ EV_DATA_RECEIVED, 0, 0 },
		{ EV_AUTH_SENT, S(3), 0 },
		{ EV_DEADLINE, NONE, 0 },
		{ EV_EXPIRE, S(10), 0 },
		{ EV_EXPIRE, S(100), 0 },
	} },
	{ "more data does not push the deadline, asks for one more", 0, {
		{ EV_DATA_RECEIVED, 0, 0 },
		{ EV_DATA_RECEIVED, S(4), 0 },
		{ EV_DEADLINE, S(10), 0 },
		{ EV_EXPIRE, S(10) - 1, 0 },
		{ EV_EXPIRE, S(10), KEEPALIVE },
		{ EV_DEADLINE, S(20), 0 },
		{ EV_EXPIRE, S(20) - 1, 0 },
		{ EV_EXPIRE, S(20), KEEPALIVE },
		{ EV_DEADLINE, NONE, 0 },
	} },
	{ "the extra keepalive counts from when the first fired", 0, {
		{ EV_DATA_RECEIVED, 0, 0 },
		{ EV_DATA_RECEIVED, S(1), 0 },
		{ EV_EXPIRE, S(12), KEEPALIVE },
		{ EV_DEADLINE, S(22), 0 },
	} },
	/*
	 * As in Linux, sending the keepalive cancels the timer that its own
	 * expiry just re-armed (the tx path runs after the handler), and
	 * the request for another is used up.
	 */
	{ "sending the keepalive cancels the extra one", 0, {
		{ EV_DATA_RECEIVED, 0, 0 },
		{ EV_DATA_RECEIVED, S(1), 0 },
		{ EV_EXPIRE, S(10), KEEPALIVE },
		{ EV_AUTH_SENT, S(10), 0 },
		{ EV_DEADLINE, NONE, 0 },
		{ EV_DATA_RECEIVED, S(30), 0 },
		{ EV_EXPIRE, S(40), KEEPALIVE },
		{ EV_DEADLINE, NONE, 0 },
	} },
	/* Linux's del_timer leaves need_another_keepalive set. */
	{ "a cancelled timer keeps the request for another", 0, {
		{ EV_DATA_RECEIVED, 0, 0 },
		{ EV_DATA_RECEIVED, S(1), 0 },
		{ EV_AUTH_SENT, S(2), 0 },
		{ EV_DATA_RECEIVED, S(5), 0 },
		{ EV_DEADLINE, S(15), 0 },
		{ EV_EXPIRE, S(15), KEEPALIVE },
		{ EV_DEADLINE, S(25), 0 },
	} },
};

Test(timers, send_keepalive)
{
	RUN(keepalive_scenarios);
}

static const struct scenario new_handshake_scenarios[] = {
	{ "new handshake after data sent with no reply", 0, {
		{ EV_DATA_SENT, 0, MS(123) },
		{ EV_DEADLINE, S(15) + MS(123), 0 },
		{ EV_DATA_SENT, S(5), MS(7) },		/* armed: unchanged */
		{ EV_DEADLINE, S(15) + MS(123), 0 },
		{ EV_EXPIRE, S(15) + MS(123) - 1, 0 },
		{ EV_EXPIRE, S(15) + MS(123), INITIATION },
		{ EV_DEADLINE, NONE, 0 },
	} },
	{ "no new handshake if anything authenticated arrived", 0, {
		{ EV_DATA_SENT, 0, MS(333) },
		{ EV_AUTH_RECEIVED, S(15) + MS(333) - 1, 0 },
		{ EV_DEADLINE, NONE, 0 },
		{ EV_EXPIRE, S(16), 0 },
		{ EV_DATA_SENT, S(20), 0 },		/* re-armed afresh */
		{ EV_DEADLINE, S(35), 0 },
		{ EV_EXPIRE, S(35) - 1, 0 },
		{ EV_EXPIRE, S(35), INITIATION },
	} },
};

Test(timers, new_handshake)
{
	RUN(new_handshake_scenarios);
}

/* Linux: wg_packet_send_queued_handshake_initiation(peer, false). */
Test(timers, new_handshake_starts_a_fresh_attempt_count)
{
	struct wg_timers t;

	wg_timers_init(&t, 0);
	t.handshake_attempts = 7;
	wg_timers_data_sent(&t, T0, 0);
	cr_assert_eq(wg_timers_expired(&t, T0 + S(15)), INITIATION);
	cr_assert_eq(t.handshake_attempts, 0);
}

static const struct scenario zero_key_scenarios[] = {
	{ "zero keys at 3 x REJECT_AFTER_TIME after session derived", 0, {
		{ EV_DERIVED, 0, 0 },
		{ EV_DEADLINE, S(3 * REJECT_AFTER_TIME), 0 },
		{ EV_EXPIRE, S(540) - 1, 0 },
		{ EV_EXPIRE, S(540), ZERO_KEYS },
		{ EV_DEADLINE, NONE, 0 },
	} },
	{ "a new session pushes the zeroing back", 0, {
		{ EV_DERIVED, 0, 0 },
		{ EV_DERIVED, S(100), 0 },
		{ EV_DEADLINE, S(640), 0 },
		{ EV_EXPIRE, S(540), 0 },
		{ EV_EXPIRE, S(640) - 1, 0 },
		{ EV_EXPIRE, S(640), ZERO_KEYS },
	} },
};

Test(timers, zero_key_material)
{
	RUN(zero_key_scenarios);
}

/* The caller sends each keepalive asked for: traversal, then sent. */
static const struct scenario persistent_scenarios[] = {
	{ "persistent keepalive cadence", 25, {
		{ EV_TRAVERSAL, 0, 0 },
		{ EV_DEADLINE, S(25), 0 },
		{ EV_EXPIRE, S(25) - 1, 0 },
		{ EV_EXPIRE, S(25), KEEPALIVE },
		{ EV_TRAVERSAL, S(25), 0 },
		{ EV_AUTH_SENT, S(25), 0 },
		{ EV_DEADLINE, S(50), 0 },
		{ EV_TRAVERSAL, S(30), 0 },		/* something received */
		{ EV_DEADLINE, S(55), 0 },
		{ EV_EXPIRE, S(50), 0 },
		{ EV_EXPIRE, S(55) - 1, 0 },
		{ EV_EXPIRE, S(55), KEEPALIVE },
		{ EV_DEADLINE, NONE, 0 },
	} },
	{ "interval 0: traversal arms nothing", 0, {
		{ EV_TRAVERSAL, 0, 0 },
		{ EV_DEADLINE, NONE, 0 },
		{ EV_EXPIRE, S(10000), 0 },
	} },
	{ "switching on asks for one at once; off disarms", 0, {
		{ EV_SET_PK, S(7), 25 },
		{ EV_DEADLINE, S(7), 0 },
		{ EV_EXPIRE, S(7) - 1, 0 },
		{ EV_EXPIRE, S(7), KEEPALIVE },
		{ EV_TRAVERSAL, S(7), 0 },
		{ EV_DEADLINE, S(32), 0 },
		{ EV_SET_PK, S(10), 40 },		/* no keepalive now */
		{ EV_DEADLINE, S(32), 0 },
		{ EV_TRAVERSAL, S(20), 0 },		/* new interval */
		{ EV_DEADLINE, S(60), 0 },
		{ EV_SET_PK, S(21), 0 },
		{ EV_DEADLINE, NONE, 0 },
		{ EV_EXPIRE, S(100), 0 },
		{ EV_TRAVERSAL, S(100), 0 },
		{ EV_DEADLINE, NONE, 0 },
	} },
};

Test(timers, persistent_keepalive)
{
	RUN(persistent_scenarios);
}

static const struct scenario retransmit_scenarios[] = {
	{ "an initiation re-arms retransmit even when armed", 0, {
		{ EV_INITIATED, 0, MS(100) },
		{ EV_DEADLINE, S(5) + MS(100), 0 },
		{ EV_INITIATED, S(2), 0 },
		{ EV_DEADLINE, S(7), 0 },
		{ EV_EXPIRE, S(7) - 1, 0 },
		{ EV_EXPIRE, S(7), INITIATION },
		{ EV_DEADLINE, NONE, 0 },
	} },
	{ "handshake complete stops retransmission", 0, {
		{ EV_INITIATED, 0, MS(50) },
		{ EV_EXPIRE, S(5) + MS(50), INITIATION },
		{ EV_INITIATED, S(5) + MS(50), MS(10) },
		{ EV_COMPLETE, S(6), 0 },
		{ EV_DEADLINE, NONE, 0 },
		{ EV_EXPIRE, S(100), 0 },
	} },
};

Test(timers, retransmit_rearm_and_complete)
{
	RUN(retransmit_scenarios);
}

/* Jitter for the n-th initiation: varied, within [0, 333] ms. */
static uint64_t
jitter(unsigned int n)
{
	return MS((n * 37) % REKEY_TIMEOUT_JITTER_MAX_MS) + n;
}

/*
 * Drives retries as the caller would, from an initiation at start, until
 * the timer gives up; returns how many retries it asked for and the time
 * it gave up at. A data packet arrives just before the last deadline, so
 * that giving up is seen to cancel the keepalive.
 */
static unsigned int
retry_until_give_up(struct wg_timers *t, uint64_t start, uint64_t *gave_up_at)
{
	unsigned int retries = 0, actions;
	uint64_t now = start, deadline;

	wg_timers_handshake_initiated(t, now, jitter(0));
	for (;;) {
		deadline = t->retransmit_handshake_at;
		cr_assert_eq(deadline, now + S(REKEY_TIMEOUT) + jitter(retries));
		cr_assert_eq(wg_timers_next_deadline(t), deadline);
		cr_assert_eq(wg_timers_expired(t, deadline - 1), 0);
		if (t->handshake_attempts > MAX_TIMER_HANDSHAKES)
			wg_timers_data_received(t, deadline - 1);
		actions = wg_timers_expired(t, deadline);
		if (actions == GIVE_UP)
			break;
		cr_assert_eq(actions, INITIATION, "retry %u", retries);
		cr_assert_eq(t->retransmit_handshake_at, 0);
		cr_assert_leq(++retries, MAX_TIMER_HANDSHAKES + 1);
		now = deadline;
		cr_assert(wg_timers_may_send_initiation(t, now));
		wg_timers_handshake_initiated(t, now, jitter(retries));
	}
	*gave_up_at = deadline;
	return retries;
}

Test(timers, retransmit_until_give_up)
{
	struct wg_timers t;
	uint64_t gave_up_at, zero_at;
	unsigned int retries;

	wg_timers_init(&t, 0);
	wg_timers_handshake_requested(&t);
	cr_assert(wg_timers_may_send_initiation(&t, T0));
	retries = retry_until_give_up(&t, T0, &gave_up_at);

	/* Linux: "did not complete after MAX_TIMER_HANDSHAKES + 2 attempts". */
	cr_assert_eq(retries, MAX_TIMER_HANDSHAKES + 1);
	cr_assert_eq(1 + retries, MAX_TIMER_HANDSHAKES + 2);
	cr_assert_eq(t.send_keepalive_at, 0);
	cr_assert_eq(t.retransmit_handshake_at, 0);
	zero_at = gave_up_at + S(3 * REJECT_AFTER_TIME);
	cr_assert_eq(t.zero_key_material_at, zero_at);
	cr_assert_eq(wg_timers_next_deadline(&t), zero_at);
	cr_assert_eq(wg_timers_expired(&t, zero_at - 1), 0);
	cr_assert_eq(wg_timers_expired(&t, zero_at), ZERO_KEYS);
	cr_assert_eq(wg_timers_next_deadline(&t), NONE);
}

Test(timers, give_up_keeps_an_armed_zeroing)
{
	struct wg_timers t;
	uint64_t gave_up_at;

	wg_timers_init(&t, 0);
	wg_timers_session_derived(&t, T0);
	retry_until_give_up(&t, T0 + S(1), &gave_up_at);
	cr_assert_eq(t.zero_key_material_at, T0 + S(3 * REJECT_AFTER_TIME));
}

/*
 * After giving up, a handshake the caller starts afresh gets the whole
 * round of retries again; without wg_timers_handshake_requested the next
 * retransmit would give up at once.
 */
Test(timers, request_after_give_up_restarts_the_count)
{
	struct wg_timers t;
	uint64_t gave_up_at, now;

	wg_timers_init(&t, 0);
	retry_until_give_up(&t, T0, &gave_up_at);
	now = gave_up_at + S(60);

	wg_timers_handshake_requested(&t);
	cr_assert_eq(t.handshake_attempts, 0);
	cr_assert_eq(retry_until_give_up(&t, now, &gave_up_at),
		     MAX_TIMER_HANDSHAKES + 1);

	now = gave_up_at + S(60);
	wg_timers_handshake_initiated(&t, now, 0);
	cr_assert_eq(wg_timers_expired(&t, now + S(REKEY_TIMEOUT)), GIVE_UP);
}

/* Handlers run earliest first: giving up cancels only a later keepalive. */
Test(timers, give_up_cancels_only_a_later_keepalive)
{
	struct wg_timers t;

	wg_timers_init(&t, 0);
	t.handshake_attempts = MAX_TIMER_HANDSHAKES + 1;
	wg_timers_data_received(&t, T0);			/* T0 + 10 s */
	wg_timers_handshake_initiated(&t, T0 + S(6), 0);	/* T0 + 11 s */
	cr_assert_eq(wg_timers_expired(&t, T0 + S(11)), KEEPALIVE | GIVE_UP);

	wg_timers_init(&t, 0);
	t.handshake_attempts = MAX_TIMER_HANDSHAKES + 1;
	wg_timers_data_received(&t, T0 + S(2));			/* T0 + 12 s */
	wg_timers_handshake_initiated(&t, T0 + S(6), 0);	/* T0 + 11 s */
	cr_assert_eq(wg_timers_expired(&t, T0 + S(12)), GIVE_UP);
	cr_assert_eq(t.send_keepalive_at, 0);
	cr_assert_eq(wg_timers_next_deadline(&t),
		     T0 + S(12) + S(3 * REJECT_AFTER_TIME));
}

static void
arm_all(struct wg_timers *t)
{
	wg_timers_init(t, 25);
	wg_timers_session_derived(t, T0);
	wg_timers_data_sent(t, T0, MS(1));
	wg_timers_data_received(t, T0);
	wg_timers_data_received(t, T0);
	wg_timers_handshake_initiated(t, T0, MS(2));
	wg_timers_any_authenticated_packet_traversal(t, T0);
}

Test(timers, late_call_fires_everything_due_once)
{
	struct wg_timers t;

	arm_all(&t);
	cr_assert_eq(wg_timers_next_deadline(&t), T0 + S(5) + MS(2));
	cr_assert_eq(wg_timers_expired(&t, T0 + S(1000)),
		     INITIATION | KEEPALIVE | ZERO_KEYS);
	cr_assert_eq(t.handshake_attempts, 0);	/* retry, then new handshake */
	/* The extra keepalive was re-armed from the (late) firing time. */
	cr_assert_eq(wg_timers_next_deadline(&t), T0 + S(1000) + S(10));
}

Test(timers, stop_disarms_everything)
{
	struct wg_timers t;

	arm_all(&t);
	wg_timers_stop(&t);
	cr_assert_eq(wg_timers_next_deadline(&t), NONE);
	cr_assert_eq(wg_timers_expired(&t, T0 + S(100000)), 0);
	cr_assert_not(t.need_another_keepalive);
	/* The configuration stays: the next traversal re-arms. */
	wg_timers_any_authenticated_packet_traversal(&t, T0 + S(1));
	cr_assert_eq(wg_timers_next_deadline(&t), T0 + S(26));
}

/* Every subset of armed timers, against a naive minimum. */
Test(timers, next_deadline_is_minimum_armed)
{
	uint64_t values[5] = { 50, 10, 40, 20, 30 }, at[5], want;
	unsigned int rot, mask, i, actions;
	struct wg_timers t;

	for (rot = 0; rot < 5; rot++) {
		for (mask = 0; mask < 32; mask++) {
			wg_timers_init(&t, 1);
			want = NONE;
			for (i = 0; i < 5; i++) {
				at[i] = (mask >> i & 1) ?
					T0 + values[(i + rot) % 5] : 0;
				if (at[i] != 0 && at[i] < want)
					want = at[i];
			}
			t.retransmit_handshake_at = at[0];
			t.send_keepalive_at = at[1];
			t.new_handshake_at = at[2];
			t.zero_key_material_at = at[3];
			t.persistent_keepalive_at = at[4];
			cr_assert_eq(wg_timers_next_deadline(&t), want,
				     "rot %u mask %u", rot, mask);
			if (want == NONE)
				continue;
			cr_assert_eq(wg_timers_expired(&t, want - 1), 0);
			actions = wg_timers_expired(&t, want);
			cr_assert_neq(actions, 0);
			cr_assert_gt(wg_timers_next_deadline(&t), want);
		}
	}
}

/* Initiations are rate limited to one per REKEY_TIMEOUT. */
static const struct {
	uint64_t after;
	bool may;
} may_send_cases[] = {
	{ 0, false },
	{ 1, false },
	{ S(REKEY_TIMEOUT) - 1, false },
	{ S(REKEY_TIMEOUT), true },
	{ S(3600), true },
};

Test(timers, may_send_initiation)
{
	struct wg_timers t;
	unsigned int i;

	wg_timers_init(&t, 0);
	cr_assert(wg_timers_may_send_initiation(&t, 1));
	cr_assert(wg_timers_may_send_initiation(&t, T0));
	wg_timers_handshake_initiated(&t, T0, MS(300));
	cr_assert_eq(t.last_sent_handshake_ns, T0);
	for (i = 0; i < sizeof(may_send_cases) / sizeof(may_send_cases[0]); i++)
		cr_assert_eq(wg_timers_may_send_initiation(&t,
				T0 + may_send_cases[i].after),
			     may_send_cases[i].may, "case %u", i);
}

/* send.c keep_key_fresh: > REKEY_AFTER_MESSAGES, or initiator and old. */
static const struct {
	bool initiator;
	uint64_t age;
	uint64_t counter;
	bool rekey;
} send_cases[] = {
	{ true, S(REKEY_AFTER_TIME) - 1, 0, false },
	{ true, S(REKEY_AFTER_TIME), 0, true },
	{ true, S(REJECT_AFTER_TIME), 0, true },
	{ false, S(REKEY_AFTER_TIME), 0, false },
	{ false, S(REJECT_AFTER_TIME) * 10, 0, false },
	{ false, 0, REKEY_AFTER_MESSAGES, false },
	{ false, 0, REKEY_AFTER_MESSAGES + 1, true },
	{ true, 0, REKEY_AFTER_MESSAGES, false },
	{ true, 0, REKEY_AFTER_MESSAGES + 1, true },
	{ true, S(REKEY_AFTER_TIME) - 1, REKEY_AFTER_MESSAGES, false },
	{ false, 0, UINT64_MAX, true },
};

Test(timers, should_rekey_on_send)
{
	unsigned int i;

	for (i = 0; i < sizeof(send_cases) / sizeof(send_cases[0]); i++)
		cr_assert_eq(wg_timers_should_rekey_on_send(send_cases[i].initiator,
				T0, send_cases[i].counter, T0 + send_cases[i].age),
			     send_cases[i].rekey, "case %u", i);
}

#define LASTMINUTE S(REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT)

/* receive.c keep_key_fresh: the initiator, once, at 165 s. */
static const struct {
	bool initiator;
	uint64_t age;
	bool already_sent;
	bool rekey;
} receive_cases[] = {
	{ true, LASTMINUTE - 1, false, false },
	{ true, LASTMINUTE, false, true },
	{ true, S(REJECT_AFTER_TIME) - 1, false, true },
	{ true, LASTMINUTE, true, false },
	{ false, LASTMINUTE, false, false },
	{ false, S(REJECT_AFTER_TIME) * 10, false, false },
};

Test(timers, should_rekey_on_receive)
{
	struct wg_timers t;
	unsigned int i;
	bool got;

	for (i = 0; i < sizeof(receive_cases) / sizeof(receive_cases[0]); i++) {
		wg_timers_init(&t, 0);
		t.sent_lastminute_handshake = receive_cases[i].already_sent;
		got = wg_timers_should_rekey_on_receive(&t,
				receive_cases[i].initiator, T0,
				T0 + receive_cases[i].age);
		cr_assert_eq(got, receive_cases[i].rekey, "case %u", i);
		cr_assert_eq(t.sent_lastminute_handshake,
			     receive_cases[i].already_sent || receive_cases[i].rekey,
			     "case %u: flag", i);
	}
}

Test(timers, last_minute_rekey_once_per_handshake)
{
	struct wg_timers t;

	wg_timers_init(&t, 0);
	cr_assert(wg_timers_should_rekey_on_receive(&t, true, T0, T0 + LASTMINUTE));
	cr_assert_not(wg_timers_should_rekey_on_receive(&t, true, T0,
							T0 + LASTMINUTE + 1));
	cr_assert_not(wg_timers_should_rekey_on_receive(&t, true, T0,
							T0 + S(170)));
	wg_timers_handshake_complete(&t);
	cr_assert_not(t.sent_lastminute_handshake);
	cr_assert(wg_timers_should_rekey_on_receive(&t, true, T0, T0 + S(170)));
}

/* send.c and receive.c refuse a keypair from these on. */
static const struct {
	uint64_t age;
	uint64_t counter;
	bool expired;
} expiry_cases[] = {
	{ S(REJECT_AFTER_TIME) - 1, 0, false },
	{ S(REJECT_AFTER_TIME), 0, true },
	{ S(REJECT_AFTER_TIME) * 3, 0, true },
	{ 0, REJECT_AFTER_MESSAGES - 1, false },
	{ 0, REJECT_AFTER_MESSAGES, true },
	{ 0, UINT64_MAX, true },
	{ S(REJECT_AFTER_TIME) - 1, REKEY_AFTER_MESSAGES + 1, false },
};

Test(timers, keypair_expired)
{
	unsigned int i;

	for (i = 0; i < sizeof(expiry_cases) / sizeof(expiry_cases[0]); i++)
		cr_assert_eq(wg_timers_keypair_expired(T0, expiry_cases[i].counter,
				T0 + expiry_cases[i].age),
			     expiry_cases[i].expired, "case %u", i);
	/* A birthdate later than now (a clock read out of order) is fresh. */
	cr_assert_not(wg_timers_keypair_expired(T0 + 1, 0, T0));
}
