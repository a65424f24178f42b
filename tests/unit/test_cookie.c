/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mac1, mac2 and cookie replies: known answers from an independent
 * implementation, every flipped bit refused, cookies bound to the source
 * address and port, secret rotation, and replies that must store nothing.
 * The mac1-only checker (pre-keyed) and its burst form (lanes) agree with
 * the full checker on valid, flipped, truncated and foreign messages.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "stream_random.h"
#include "consts.h"
#include "cookie.h"

#define NSEC WG_NSEC_PER_SEC
#define T0 (1000 * NSEC)	/* an arbitrary "now" on a monotonic clock */
#define INIT_LEN sizeof(struct wg_msg_initiation)
#define RESP_LEN sizeof(struct wg_msg_response)
#define MAC1_AT(len) ((len) - sizeof(struct wg_msg_macs))
#define MAC2_AT(len) ((len) - COOKIE_LEN)

static const struct wg_endpoint ep_v4 = {
	.family = WG_AF_INET, .port = 51820, .addr.v4 = { 192, 0, 2, 1 } };
static const struct wg_endpoint ep_v6 = {
	.family = WG_AF_INET6, .port = 1234,
	.addr.v6 = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };

static void
suite_init(void)
{
	cr_assert(sodium_init() >= 0);
}

TestSuite(cookie, .init = suite_init);

/* A responder (checker) and an initiator that knows its public key. */
struct pair {
	uint8_t responder_public[NOISE_PUBLIC_KEY_LEN];
	struct wg_cookie_checker checker;
	struct wg_cookie ck;
};

static void
pair_init(struct pair *p)
{
	randombytes_buf(p->responder_public, NOISE_PUBLIC_KEY_LEN);
	wg_cookie_checker_init(&p->checker, p->responder_public);
	wg_cookie_init(&p->ck, p->responder_public);
}

/* A handshake-shaped message of len bytes, random up to its macs. */
static void
random_message(uint8_t *msg, size_t len)
{
	randombytes_buf(msg, len);
	memset(msg + MAC1_AT(len), 0, sizeof(struct wg_msg_macs));
}

static bool
is_zero(const void *p, size_t len)
{
	return sodium_is_zero(p, len) == 1;
}

static enum wg_cookie_mac_state
validate(struct pair *p, const uint8_t *msg, size_t len,
	 const struct wg_endpoint *src, bool under_load, uint64_t now)
{
	return wg_cookie_validate_packet(&p->checker, msg, len, src,
					 under_load, now);
}

/* The responder answers msg from src; the initiator takes the cookie. */
static void
obtain_cookie(struct pair *p, const uint8_t *msg, size_t len,
	      const struct wg_endpoint *src, uint64_t responder_now,
	      uint64_t initiator_now)
{
	struct wg_msg_cookie reply;

	wg_cookie_message_create(&p->checker, &reply, msg, len, src,
				 responder_now);
	cr_assert(wg_cookie_consume_reply(&p->ck, &reply, initiator_now) == 0);
}

/*
 * Known answers, computed by an independent implementation of whitepaper
 * 5.4.4 and 5.4.7 in Python: hashlib.blake2s (keyed, 16-byte digest) for
 * MAC and HASH, and XChaCha20-Poly1305 as HChaCha20 (written out, checked
 * against the draft-irtf-cfrg-xchacha 2.2.1 vector) followed by
 * pyca/cryptography's ChaCha20-Poly1305.
 *
 *   responder public key: X25519(0x80 0x81 ... 0x9f)
 *   message: bytes 0, 1, ..., 115, then mac1, then a zero mac2
 *   random stream byte k: (k * 151 + 17) mod 256; the reply's nonce is
 *   bytes 0..23 and the checker's secret bytes 24..55
 *   sources: 192.0.2.1 port 51820, and 2001:db8::1 port 1234
 * The reply is sent at T0; kat_*_mac2 is mac2 of the message under the
 * cookie that reply carries.
 */
static const uint8_t kat_responder_public[32] = {
	0x49, 0x3e, 0x82, 0xfc, 0x74, 0x46, 0x4a, 0x59, 0x26, 0x88, 0x17, 0x62,
	0x3d, 0x20, 0x53, 0xc5, 0xeb, 0x8e, 0x2c, 0xc4, 0xa9, 0x88, 0xb4, 0xfe,
	0xe1, 0x79, 0xec, 0x6b, 0x01, 0x0d, 0x53, 0x1d,
};
static const uint8_t kat_cookie_msg[148] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b,
	0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
	0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b,
	0x3c, 0x3d, 0x3e, 0x3f, 0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
	0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50, 0x51, 0x52, 0x53,
	0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b,
	0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0xe3, 0xcc, 0x3f, 0xb0,
	0xb0, 0x7f, 0x97, 0x51, 0x5b, 0xb9, 0x2c, 0x16, 0x0b, 0x91, 0x85, 0x88,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};
static const uint8_t kat_v4_reply[64] = {
	0x03, 0x00, 0x00, 0x00, 0x04, 0x05, 0x06, 0x07, 0x11, 0xa8, 0x3f, 0xd6,
	0x6d, 0x04, 0x9b, 0x32, 0xc9, 0x60, 0xf7, 0x8e, 0x25, 0xbc, 0x53, 0xea,
	0x81, 0x18, 0xaf, 0x46, 0xdd, 0x74, 0x0b, 0xa2, 0x5e, 0x47, 0x81, 0x18,
	0x8f, 0x3c, 0x5e, 0x86, 0x3c, 0x78, 0x16, 0x9e, 0x82, 0xd1, 0x86, 0x3a,
	0xe4, 0xa0, 0x61, 0x5a, 0xe1, 0x53, 0x09, 0x55, 0x67, 0x0a, 0x36, 0x7f,
	0x80, 0xcc, 0x54, 0x3f,
};
static const uint8_t kat_v4_mac2[16] = {
	0xd4, 0xfb, 0x22, 0x1d, 0x74, 0xfd, 0x38, 0xf5, 0x20, 0xd1, 0xda, 0x35,
	0xd7, 0x6e, 0xdb, 0x8a,
};
static const uint8_t kat_v6_reply[64] = {
	0x03, 0x00, 0x00, 0x00, 0x04, 0x05, 0x06, 0x07, 0x11, 0xa8, 0x3f, 0xd6,
	0x6d, 0x04, 0x9b, 0x32, 0xc9, 0x60, 0xf7, 0x8e, 0x25, 0xbc, 0x53, 0xea,
	0x81, 0x18, 0xaf, 0x46, 0xdd, 0x74, 0x0b, 0xa2, 0x9b, 0x1b, 0xc1, 0xad,
	0x0b, 0x85, 0xd6, 0xe2, 0x4c, 0x79, 0x64, 0xd1, 0xdb, 0xc3, 0x53, 0x22,
	0xf0, 0x25, 0x26, 0x6d, 0x47, 0xb9, 0x16, 0x02, 0xb2, 0xa2, 0x21, 0x5f,
	0x89, 0x6f, 0xae, 0x28,
};
static const uint8_t kat_v6_mac2[16] = {
	0xb6, 0x77, 0xaf, 0xa6, 0xc3, 0x50, 0x1e, 0xcb, 0xc3, 0x3f, 0x99, 0x12,
	0x14, 0x6f, 0x7e, 0x7a,
};

static void
stream_start(void)
{
	suite_init();
	stream_random_begin();
}

static void
stream_stop(void)
{
	stream_random_end();
}

Test(cookie, known_answer_mac1)
{
	struct wg_cookie_checker checker;
	uint8_t msg[INIT_LEN];
	struct wg_cookie ck;

	memcpy(msg, kat_cookie_msg, sizeof(msg));
	memset(msg + MAC1_AT(sizeof(msg)), 0xee, sizeof(struct wg_msg_macs));
	wg_cookie_init(&ck, kat_responder_public);
	wg_cookie_add_macs(&ck, msg, sizeof(msg), T0);
	cr_assert(memcmp(msg, kat_cookie_msg, sizeof(msg)) == 0);
	cr_assert(ck.have_sent_mac1);
	cr_assert(memcmp(ck.last_mac1_sent, msg + MAC1_AT(sizeof(msg)),
			 COOKIE_LEN) == 0);

	wg_cookie_checker_init(&checker, kat_responder_public);
	cr_assert(wg_cookie_validate_packet(&checker, msg, sizeof(msg), &ep_v4,
		false, T0) == WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
}

static void
run_reply_kat(const struct wg_endpoint *src, const uint8_t reply[64],
	      const uint8_t mac2[16])
{
	struct wg_cookie_checker checker;
	struct wg_msg_cookie dst;
	uint8_t msg[INIT_LEN];
	struct wg_cookie ck;

	wg_cookie_checker_init(&checker, kat_responder_public);
	wg_cookie_message_create(&checker, &dst, kat_cookie_msg,
				 sizeof(kat_cookie_msg), src, T0);
	cr_assert(memcmp(&dst, reply, sizeof(dst)) == 0);

	/* The initiator that sent that message takes the cookie... */
	memcpy(msg, kat_cookie_msg, sizeof(msg));
	wg_cookie_init(&ck, kat_responder_public);
	wg_cookie_add_macs(&ck, msg, sizeof(msg), T0);
	cr_assert(wg_cookie_consume_reply(&ck, &dst, T0) == 0);
	/* ...and its next copy of the message carries the known mac2. */
	wg_cookie_add_macs(&ck, msg, sizeof(msg), T0);
	cr_assert(memcmp(msg + MAC2_AT(sizeof(msg)), mac2, COOKIE_LEN) == 0);
	cr_assert(wg_cookie_validate_packet(&checker, msg, sizeof(msg), src,
		true, T0) == WG_COOKIE_VALID_MAC_WITH_COOKIE);
}

Test(cookie, known_answer_reply_ipv4, .init = stream_start, .fini = stream_stop)
{
	run_reply_kat(&ep_v4, kat_v4_reply, kat_v4_mac2);
}

Test(cookie, known_answer_reply_ipv6, .init = stream_start, .fini = stream_stop)
{
	run_reply_kat(&ep_v6, kat_v6_reply, kat_v6_mac2);
}

/* Every bit up to the end of mac1, in both message sizes, is covered. */
Test(cookie, any_flipped_bit_before_mac2_invalidates_mac1)
{
	static const size_t lens[] = { INIT_LEN, RESP_LEN };
	uint8_t msg[INIT_LEN], bad[INIT_LEN];
	struct pair p;
	unsigned int n;
	size_t k;
	int bit;

	pair_init(&p);
	for (n = 0; n < 2; n++) {
		size_t len = lens[n];

		random_message(msg, len);
		wg_cookie_add_macs(&p.ck, msg, len, T0);
		cr_assert(validate(&p, msg, len, &ep_v4, false, T0) ==
			  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
		for (k = 0; k < MAC2_AT(len); k++) {
			for (bit = 0; bit < 8; bit++) {
				memcpy(bad, msg, len);
				bad[k] ^= (uint8_t)(1 << bit);
				cr_assert(validate(&p, bad, len, &ep_v4, false, T0) ==
					  WG_COOKIE_INVALID_MAC,
					  "len %zu byte %zu bit %d", len, k, bit);
			}
		}
		/* mac2 is not looked at unless the responder is under load. */
		for (k = MAC2_AT(len); k < len; k++) {
			memcpy(bad, msg, len);
			bad[k] ^= 0xff;
			cr_assert(validate(&p, bad, len, &ep_v4, false, T0) ==
				  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
		}
	}
}

Test(cookie, mac1_for_another_responder_or_a_runt_is_invalid)
{
	uint8_t msg[INIT_LEN];
	struct pair p, other;

	pair_init(&p);
	pair_init(&other);
	random_message(msg, sizeof(msg));
	wg_cookie_add_macs(&other.ck, msg, sizeof(msg), T0);
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, false, T0) ==
		  WG_COOKIE_INVALID_MAC);
	/* Shorter than a header and the macs: nothing to check. */
	wg_cookie_add_macs(&p.ck, msg, sizeof(struct wg_msg_header) +
			   sizeof(struct wg_msg_macs), T0);
	cr_assert(validate(&p, msg, sizeof(struct wg_msg_header) +
			   sizeof(struct wg_msg_macs), &ep_v4, false, T0) ==
		  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	cr_assert(validate(&p, msg, sizeof(struct wg_msg_macs) + 3, &ep_v4,
			   false, T0) == WG_COOKIE_INVALID_MAC);
	cr_assert(validate(&p, msg, 0, &ep_v4, false, T0) ==
		  WG_COOKIE_INVALID_MAC);
}

Test(cookie, under_load_a_message_without_mac2_has_no_cookie)
{
	uint8_t msg[INIT_LEN];
	struct pair p;

	pair_init(&p);
	random_message(msg, sizeof(msg));
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	cr_assert(is_zero(msg + MAC2_AT(sizeof(msg)), COOKIE_LEN));
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true, T0) ==
		  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
}

Test(cookie, round_trip_gives_a_valid_mac2_for_both_message_kinds)
{
	static const size_t lens[] = { INIT_LEN, RESP_LEN };
	struct wg_msg_cookie reply;
	uint8_t msg[INIT_LEN];
	unsigned int n;

	for (n = 0; n < 2; n++) {
		size_t len = lens[n];
		struct pair p;

		pair_init(&p);
		random_message(msg, len);
		wg_cookie_add_macs(&p.ck, msg, len, T0);
		cr_assert(validate(&p, msg, len, &ep_v4, true, T0) ==
			  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);

		wg_cookie_message_create(&p.checker, &reply, msg, len, &ep_v4, T0);
		cr_assert(wg_le32(reply.header.type) == MESSAGE_HANDSHAKE_COOKIE);
		/* Addressed to the sender index of the message it answers. */
		cr_assert(memcmp(&reply.receiver_index, msg + 4, 4) == 0);
		cr_assert(wg_message_type(&reply, sizeof(reply)) ==
			  MESSAGE_HANDSHAKE_COOKIE);

		cr_assert(wg_cookie_consume_reply(&p.ck, &reply, T0) == 0);
		cr_assert(p.ck.is_valid && !p.ck.have_sent_mac1);
		wg_cookie_add_macs(&p.ck, msg, len, T0 + NSEC);
		cr_assert(!is_zero(msg + MAC2_AT(len), COOKIE_LEN));
		cr_assert(validate(&p, msg, len, &ep_v4, true, T0 + NSEC) ==
			  WG_COOKIE_VALID_MAC_WITH_COOKIE);
		/* Not under load: mac1 alone is what counts. */
		cr_assert(validate(&p, msg, len, &ep_v4, false, T0 + NSEC) ==
			  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	}
}

/* A cookie is good only from the address and port it was made for. */
Test(cookie, cookie_is_bound_to_source_address_and_port)
{
	static const struct {
		struct wg_endpoint ep;
		bool same;
	} cases[] = {
		{ { .family = WG_AF_INET, .port = 0x1234,
		    .addr.v4 = { 198, 51, 100, 7 } }, true },
		{ { .family = WG_AF_INET, .port = 0x1234,
		    .addr.v4 = { 198, 51, 100, 8 } }, false },
		{ { .family = WG_AF_INET, .port = 0x1235,
		    .addr.v4 = { 198, 51, 100, 7 } }, false },
		{ { .family = WG_AF_INET, .port = 0x3412,	/* byte-swapped */
		    .addr.v4 = { 198, 51, 100, 7 } }, false },
		{ { .family = WG_AF_INET6, .port = 0x1234,
		    .addr.v6 = { 198, 51, 100, 7 } }, false },
		{ { .family = WG_AF_INET6, .port = 0x1234, .addr.v6 = {
		    [10] = 0xff, [11] = 0xff, 198, 51, 100, 7 } }, false },
	};
	uint8_t msg[INIT_LEN];
	struct pair p;
	unsigned int n;

	pair_init(&p);
	random_message(msg, sizeof(msg));
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	obtain_cookie(&p, msg, sizeof(msg), &cases[0].ep, T0, T0);
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	for (n = 0; n < sizeof(cases) / sizeof(cases[0]); n++)
		cr_assert(validate(&p, msg, sizeof(msg), &cases[n].ep, true, T0) ==
			  (cases[n].same ? WG_COOKIE_VALID_MAC_WITH_COOKIE :
			   WG_COOKIE_VALID_MAC_BUT_NO_COOKIE), "case %u", n);
}

/* The checker's secret lives COOKIE_SECRET_MAX_AGE; older cookies die. */
Test(cookie, secret_rotation_invalidates_old_cookies)
{
	const uint64_t max_age = COOKIE_SECRET_MAX_AGE * NSEC;
	uint8_t msg[INIT_LEN];
	struct pair p;

	pair_init(&p);
	random_message(msg, sizeof(msg));
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), 0);
	/* The secret is first drawn here, at T0. */
	obtain_cookie(&p, msg, sizeof(msg), &ep_v4, T0, 0);
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), NSEC);
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true,
			   T0 + max_age - 1) == WG_COOKIE_VALID_MAC_WITH_COOKIE);
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true, T0 + max_age) ==
		  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
	cr_assert(p.checker.secret_birthdate_ns == T0 + max_age);
	/* Going back does not bring the old secret back. */
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true, T0) ==
		  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);

	/* A cookie under the new secret works again. */
	obtain_cookie(&p, msg, sizeof(msg), &ep_v4, T0 + max_age, 2 * NSEC);
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), 2 * NSEC);
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true,
			   T0 + max_age + NSEC) == WG_COOKIE_VALID_MAC_WITH_COOKIE);
}

/* Near the responder's rotation the initiator stops sending mac2. */
Test(cookie, initiator_drops_mac2_after_max_age_minus_latency)
{
	const uint64_t usable = (COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY) * NSEC;
	const uint64_t got = 50 * NSEC;
	uint8_t msg[INIT_LEN];
	struct pair p;

	pair_init(&p);
	random_message(msg, sizeof(msg));
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), 0);
	obtain_cookie(&p, msg, sizeof(msg), &ep_v4, T0, got);
	cr_assert(p.ck.birthdate_ns == got);

	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), got + usable - 1);
	cr_assert(!is_zero(msg + MAC2_AT(sizeof(msg)), COOKIE_LEN));
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true, T0) ==
		  WG_COOKIE_VALID_MAC_WITH_COOKIE);

	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), got + usable);
	cr_assert(is_zero(msg + MAC2_AT(sizeof(msg)), COOKIE_LEN));
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true, T0) ==
		  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
}

static bool
cookie_equal(const struct wg_cookie *a, const struct wg_cookie *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* A reply must answer the last mac1 sent: earlier ones are refused. */
Test(cookie, reply_to_an_older_message_is_rejected_and_stores_nothing)
{
	uint8_t first[INIT_LEN], second[INIT_LEN];
	struct wg_msg_cookie reply_first, reply_second;
	struct wg_cookie before;
	struct pair p;

	pair_init(&p);
	random_message(first, sizeof(first));
	random_message(second, sizeof(second));
	wg_cookie_add_macs(&p.ck, first, sizeof(first), T0);
	wg_cookie_message_create(&p.checker, &reply_first, first, sizeof(first),
				 &ep_v4, T0);
	wg_cookie_add_macs(&p.ck, second, sizeof(second), T0);
	wg_cookie_message_create(&p.checker, &reply_second, second,
				 sizeof(second), &ep_v4, T0);

	memcpy(&before, &p.ck, sizeof(before));
	cr_assert(wg_cookie_consume_reply(&p.ck, &reply_first, T0) == -1);
	cr_assert(cookie_equal(&p.ck, &before));
	cr_assert(wg_cookie_consume_reply(&p.ck, &reply_second, T0) == 0);
}

/* Which bytes of a reply its AEAD covers. */
static const struct {
	size_t from, to;
	bool rejected;
	const char *what;
} reply_regions[] = {
	{ 0, 4, true, "header" },
	/* The caller found the peer by it; only the lookup depends on it. */
	{ 4, 8, false, "receiver index" },
	{ 8, 32, true, "nonce" },
	{ 32, 64, true, "encrypted cookie" },
};

Test(cookie, any_flipped_bit_of_a_reply_is_rejected_and_stores_nothing)
{
	struct wg_msg_cookie reply, bad;
	struct wg_cookie before, ck;
	uint8_t msg[INIT_LEN];
	struct pair p;
	unsigned int n;
	size_t k;
	int bit;

	pair_init(&p);
	random_message(msg, sizeof(msg));
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	wg_cookie_message_create(&p.checker, &reply, msg, sizeof(msg), &ep_v4, T0);
	memcpy(&before, &p.ck, sizeof(before));
	for (n = 0; n < sizeof(reply_regions) / sizeof(reply_regions[0]); n++) {
		for (k = reply_regions[n].from; k < reply_regions[n].to; k++) {
			for (bit = 0; bit < 8; bit++) {
				int expect = reply_regions[n].rejected ? -1 : 0;

				memcpy(&bad, &reply, sizeof(bad));
				((uint8_t *)&bad)[k] ^= (uint8_t)(1 << bit);
				memcpy(&ck, &before, sizeof(ck));
				cr_assert(wg_cookie_consume_reply(&ck, &bad, T0) == expect,
					  "%s byte %zu bit %d",
					  reply_regions[n].what, k, bit);
				if (expect == -1)
					cr_assert(cookie_equal(&ck, &before));
			}
		}
	}
	cr_assert(wg_cookie_consume_reply(&p.ck, &reply, T0) == 0);
}

Test(cookie, reply_needs_a_mac1_sent_and_is_taken_once)
{
	struct wg_msg_cookie reply;
	struct wg_cookie before;
	uint8_t msg[INIT_LEN];
	struct pair p, other;

	pair_init(&p);
	random_message(msg, sizeof(msg));

	/* Nothing sent yet: even a reply that would decrypt is refused. */
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	wg_cookie_message_create(&p.checker, &reply, msg, sizeof(msg), &ep_v4, T0);
	wg_cookie_init(&p.ck, p.responder_public);
	memcpy(&before, &p.ck, sizeof(before));
	cr_assert(wg_cookie_consume_reply(&p.ck, &reply, T0) == -1);
	cr_assert(cookie_equal(&p.ck, &before));

	/* Taken once; the same reply again is refused. */
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	cr_assert(wg_cookie_consume_reply(&p.ck, &reply, T0) == 0);
	memcpy(&before, &p.ck, sizeof(before));
	cr_assert(wg_cookie_consume_reply(&p.ck, &reply, T0 + NSEC) == -1);
	cr_assert(cookie_equal(&p.ck, &before));

	/* A reply made by another responder does not decrypt. */
	pair_init(&other);
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	wg_cookie_message_create(&other.checker, &reply, msg, sizeof(msg),
				 &ep_v4, T0);
	memcpy(&before, &p.ck, sizeof(before));
	cr_assert(wg_cookie_consume_reply(&p.ck, &reply, T0) == -1);
	cr_assert(cookie_equal(&p.ck, &before));
}

/* Re-initialising the checker (new identity) starts a new secret too. */
Test(cookie, checker_init_changes_keys_and_forgets_the_secret)
{
	uint8_t msg[INIT_LEN], new_public[NOISE_PUBLIC_KEY_LEN];
	struct wg_cookie ck_new;
	struct pair p;

	pair_init(&p);
	random_message(msg, sizeof(msg));
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	obtain_cookie(&p, msg, sizeof(msg), &ep_v4, T0, T0);
	cr_assert(p.checker.secret_valid);

	randombytes_buf(new_public, sizeof(new_public));
	wg_cookie_checker_init(&p.checker, new_public);
	cr_assert(!p.checker.secret_valid);
	wg_cookie_add_macs(&p.ck, msg, sizeof(msg), T0);
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true, T0) ==
		  WG_COOKIE_INVALID_MAC);
	wg_cookie_init(&ck_new, new_public);
	memcpy(ck_new.cookie, p.ck.cookie, COOKIE_LEN);
	ck_new.is_valid = true;
	ck_new.birthdate_ns = T0;
	wg_cookie_add_macs(&ck_new, msg, sizeof(msg), T0);
	cr_assert(validate(&p, msg, sizeof(msg), &ep_v4, true, T0) ==
		  WG_COOKIE_VALID_MAC_BUT_NO_COOKIE);
}

/*
 * The mac1-only checker, made from the key alone as the dataplane makes it,
 * says what the full checker says: valid as sent, invalid with any bit up
 * to mac1 flipped, cut short or lengthened; mac2 not looked at.
 */
Test(cookie, mac1_checker_agrees_on_valid_flipped_and_truncated)
{
	static const size_t lens[] = { INIT_LEN, RESP_LEN };
	uint8_t msg[INIT_LEN + 1], bad[INIT_LEN + 1];
	struct wg_cookie_mac1_checker m;
	struct pair p;
	size_t n, k, len;
	int bit;

	pair_init(&p);
	wg_cookie_mac1_checker_init(&m, p.checker.message_mac1_key);
	for (n = 0; n < 2; n++) {
		len = lens[n];
		random_message(msg, len);
		wg_cookie_add_macs(&p.ck, msg, len, T0);
		cr_assert(wg_cookie_mac1_check(&m, msg, len));
		cr_assert(wg_cookie_mac1_check(&p.checker.mac1, msg, len));
		for (k = 0; k < len; k++) {
			for (bit = 0; bit < 8; bit++) {
				memcpy(bad, msg, len);
				bad[k] ^= (uint8_t)(1 << bit);
				cr_assert_eq(wg_cookie_mac1_check(&m, bad, len),
					     k >= MAC2_AT(len),
					     "len %zu byte %zu bit %d", len, k, bit);
			}
		}
		for (k = 0; k < len; k++)
			cr_assert(!wg_cookie_mac1_check(&m, msg, k), "cut to %zu", k);
		msg[len] = 0;
		cr_assert(!wg_cookie_mac1_check(&m, msg, len + 1));
	}
}

/* One message of the burst, and the verdict it must get. */
struct burst_msg {
	uint8_t *buf;		/* exactly len bytes: ASan sees an overread */
	size_t len;
	bool valid;
};

/*
 * A random kind of message: valid initiations and responses (most), one
 * bit flipped, cut short, for another responder, cookie-reply sized, runts,
 * and valid macs on an odd length.
 */
static void
burst_msg_make(struct burst_msg *b, struct pair *p, struct pair *other,
	       uint32_t r)
{
	static const size_t odd_lens[] = { 0, 3, 35, 36, 64, 100, 147, 149, 300 };
	size_t len = r & 1 ? INIT_LEN : RESP_LEN;
	uint8_t tmp[300];

	b->valid = false;
	switch ((r >> 1) % 8) {
	case 0: case 1: case 2:
		random_message(tmp, len);
		wg_cookie_add_macs(&p->ck, tmp, len, T0);
		b->valid = true;
		break;
	case 3:
		random_message(tmp, len);
		wg_cookie_add_macs(&p->ck, tmp, len, T0);
		tmp[(r >> 8) % MAC2_AT(len)] ^= (uint8_t)(1 << ((r >> 4) % 8));
		break;
	case 4:
		random_message(tmp, len);
		wg_cookie_add_macs(&p->ck, tmp, len, T0);
		len -= 1 + (r >> 8) % 8;
		break;
	case 5:
		random_message(tmp, len);
		wg_cookie_add_macs(&other->ck, tmp, len, T0);
		break;
	case 6:
		len = odd_lens[(r >> 8) % (sizeof(odd_lens) / sizeof(odd_lens[0]))];
		randombytes_buf(tmp, len);
		break;
	default:
		len = odd_lens[3 + (r >> 8) % 6];
		random_message(tmp, len);
		wg_cookie_add_macs(&p->ck, tmp, len, T0);
		b->valid = true;
		break;
	}
	b->len = len;
	b->buf = malloc(len > 0 ? len : 1);
	cr_assert_not_null(b->buf);
	memcpy(b->buf, tmp, len);
}

enum { BURST_MAX = 75 };

/* Bursts of every size up to 75 (past the 32 of one group), each impl. */
Test(cookie, mac1_check_burst_gives_each_message_its_verdict)
{
	struct burst_msg b[BURST_MAX];
	const uint8_t *msg[BURST_MAX];
	size_t len[BURST_MAX];
	bool valid[BURST_MAX];
	struct pair p, other;
	unsigned int n, i;
	uint32_t r;
	int impl;

	pair_init(&p);
	pair_init(&other);
	for (impl = 0; impl < WG_BLAKE2S_MANY_IMPLS; impl++) {
		if (wg_blake2s_many_select(impl) != 0)
			continue;
		for (n = 0; n <= BURST_MAX; n++) {
			for (i = 0; i < n; i++) {
				randombytes_buf(&r, sizeof(r));
				burst_msg_make(&b[i], &p, &other, r);
				msg[i] = b[i].buf;
				len[i] = b[i].len;
			}
			memset(valid, 0, sizeof(valid));
			wg_cookie_mac1_check_burst(&p.checker.mac1, msg, len, n,
						   valid);
			for (i = 0; i < n; i++) {
				cr_assert_eq(valid[i], b[i].valid,
					     "impl %d n %u msg %u len %zu", impl,
					     n, i, len[i]);
				cr_assert_eq(valid[i], wg_cookie_mac1_check(
					&p.checker.mac1, msg[i], len[i]));
				free(b[i].buf);
			}
		}
	}
}
