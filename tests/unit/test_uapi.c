/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The UAPI text protocol against wireguard-go's behaviour (device/uapi.go):
 * every set key, every malformed value and its errno, order semantics, the
 * get text byte for byte, streaming, a 100k-peer request, and garbage.
 * The keys below are random test values, not secrets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "hexutil.h"
#include "uapi.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

/* An unclamped private key and its clamped form. */
#define PRIV_RAW "ea79bdb2065b18d4719810e88686802b6b4b92860d83a1ddc7cff11dab791fe4"
#define PRIV "e879bdb2065b18d4719810e88686802b6b4b92860d83a1ddc7cff11dab791f64"
#define PUB1 "06c512a0b6ce84a2dd9a95e48d3e42f16322d262436a60e6bc3cdda61ad7441d"
#define PUB2 "1f01f2274d81391f1ca88d539603dac2cd3b411382073396c4053b61624e577d"
#define PUB3 "1b1ee32f2e4fe9b6fd16d0fcbc1b0b255cd4d6582b0ef149dbff9a7f39ff0d10"
#define PSK "71b12cc3433c16ba0bd2eb8b1c101de853bb145919b9019ff42fe845c6ea5ec8"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

/* ---- helpers ------------------------------------------------------------ */

/*
 * Feeds text line by line (each without its '\n') until a line returns
 * non-zero; returns that, or 0 if the text ran out first.
 */
static int
feed_text(struct wg_uapi_set *s, const char *text)
{
	const char *nl;
	int ret = 0;

	while (ret == 0 && (nl = strchr(text, '\n')) != NULL) {
		ret = wg_uapi_set_feed_line(s, text, (size_t)(nl - text));
		text = nl + 1;
	}
	return ret;
}

static void
unhex_key(uint8_t key[WG_KEY_LEN], const char *hex)
{
	cr_assert_eq(test_unhex(key, WG_KEY_LEN, hex), WG_KEY_LEN);
}

static bool
key_is(const uint8_t key[WG_KEY_LEN], const char *hex)
{
	uint8_t want[WG_KEY_LEN];

	unhex_key(want, hex);
	return memcmp(key, want, WG_KEY_LEN) == 0;
}

/* Nothing of a rejected request may remain. */
static void
assert_failed_empty(const struct wg_uapi_set *s, int err, const char *what)
{
	cr_assert_eq(s->state, WG_UAPI_SET_FAILED, "%s", what);
	cr_assert_eq(s->error, err, "%s: error %d, want %d", what, s->error, err);
	cr_assert_eq(s->flags, 0, "%s", what);
	cr_assert_eq(s->n_peers, 0, "%s", what);
	cr_assert_eq(s->n_allowed_ips, 0, "%s", what);
	cr_assert_null(s->peers, "%s", what);
	cr_assert_null(s->allowed_ips, "%s", what);
	cr_assert_eq(s->listen_port, 0, "%s", what);
	cr_assert_eq(s->fwmark, 0, "%s", what);
	cr_assert(wg_key_is_zero(s->private_key), "%s", what);
}

/* A writer into a growing heap buffer, which can be told to fail. */
struct sink {
	char *buf;
	size_t len, cap;
	size_t writes, max_chunk;
	size_t fail_at;			/* 1-based write that fails; 0 never */
};

static int
sink_write(void *ctx, const char *buf, size_t len)
{
	struct sink *k = ctx;

	k->writes++;
	if (k->fail_at != 0 && k->writes >= k->fail_at)
		return -EPIPE;
	if (len > k->max_chunk)
		k->max_chunk = len;
	if (k->len + len + 1 > k->cap) {
		k->cap = (k->len + len + 1) * 2;
		k->buf = realloc(k->buf, k->cap);
		cr_assert_not_null(k->buf);
	}
	memcpy(k->buf + k->len, buf, len);
	k->len += len;
	k->buf[k->len] = '\0';
	return 0;
}

/* A device view that walks the peers of a parsed change set. */
struct set_walk {
	const struct wg_uapi_set *set;
	size_t next;
	uint64_t stats_base;		/* gives each peer distinct counters */
};

static int
set_walk_next(void *ctx, struct wg_uapi_peer_view *v)
{
	struct set_walk *w = ctx;
	const struct wg_uapi_peer *p;

	if (w->next == w->set->n_peers)
		return 0;
	p = &w->set->peers[w->next++];
	memcpy(v->public_key, p->public_key, WG_KEY_LEN);
	memcpy(v->preshared_key, p->preshared_key, WG_KEY_LEN);
	v->endpoint = p->endpoint;
	v->persistent_keepalive_interval = p->persistent_keepalive_interval;
	v->allowed_ips = wg_uapi_peer_allowed_ips(w->set, p);
	v->n_allowed_ips = p->n_allowed_ips;
	if (w->stats_base != 0) {
		v->last_handshake_time_sec = w->stats_base + w->next;
		v->last_handshake_time_nsec = (uint32_t)w->next * 1000;
		v->rx_bytes = w->stats_base * 3 + w->next;
		v->tx_bytes = w->stats_base * 5 + w->next;
	}
	return 1;
}

/* Parses text (a whole set request) and formats it back as get would. */
static char *
set_to_get(const char *text, uint64_t stats_base)
{
	struct wg_uapi_set s;
	struct set_walk walk;
	struct wg_uapi_device_view dev = { .next_peer = set_walk_next };
	struct sink sink = { 0 };
	struct wg_uapi_writer w = { .write = sink_write, .ctx = &sink };
	int ret;

	wg_uapi_set_init(&s);
	ret = feed_text(&s, text);
	cr_assert_eq(ret, WG_UAPI_SET_DONE, "parse: %d", ret);
	walk = (struct set_walk){ .set = &s, .stats_base = stats_base };
	dev.ctx = &walk;
	memcpy(dev.private_key, s.private_key, WG_KEY_LEN);
	dev.listen_port = s.listen_port;
	dev.fwmark = s.fwmark;
	cr_assert_eq(wg_uapi_get_write(&dev, &w), 0);
	wg_uapi_set_free(&s);
	return sink.buf;
}

/* ---- operation line ----------------------------------------------------- */

Test(uapi, operation_line)
{
	static const struct {
		const char *line;
		enum wg_uapi_op op;
	} cases[] = {
		{ "get=1", WG_UAPI_OP_GET },
		{ "get=1\n", WG_UAPI_OP_GET },
		{ "set=1", WG_UAPI_OP_SET },
		{ "set=1\n", WG_UAPI_OP_SET },
		{ "get=1\r\n", WG_UAPI_OP_INVALID },
		{ "get=2", WG_UAPI_OP_INVALID },
		{ "set=1x", WG_UAPI_OP_INVALID },
		{ "GET=1", WG_UAPI_OP_INVALID },
		{ "get", WG_UAPI_OP_INVALID },
		{ "", WG_UAPI_OP_INVALID },
		{ "set=1\n\n", WG_UAPI_OP_INVALID },
	};
	size_t i;

	for (i = 0; i < DIM(cases); i++)
		cr_expect_eq(wg_uapi_parse_op(cases[i].line,
					      strlen(cases[i].line)),
			     cases[i].op, "case %zu", i);
}

/* ---- set: every key ----------------------------------------------------- */

Test(uapi, device_keys)
{
	static const struct {
		const char *text;
		uint32_t flags;
		const char *priv;	/* expected key when flagged */
		uint16_t port;
		uint32_t fwmark;
	} cases[] = {
		{ "\n", 0, NULL, 0, 0 },
		{ "private_key=" PRIV "\n\n", WG_UAPI_DEVICE_HAS_PRIVATE_KEY,
		  PRIV, 0, 0 },
		/* Clamped as wireguard-go's FromMaybeZeroHex does. */
		{ "private_key=" PRIV_RAW "\n\n",
		  WG_UAPI_DEVICE_HAS_PRIVATE_KEY, PRIV, 0, 0 },
		/* Upper case hex is hex (Go's hex.DecodeString). */
		{ "private_key=E879BDB2065B18D4719810E88686802B6B4B92860D83A1DD"
		  "C7CFF11DAB791F64\n\n", WG_UAPI_DEVICE_HAS_PRIVATE_KEY,
		  PRIV, 0, 0 },
		/* All zero removes the key: not clamped into a "key". */
		{ "private_key=" ZERO "\n\n", WG_UAPI_DEVICE_HAS_PRIVATE_KEY,
		  ZERO, 0, 0 },
		{ "listen_port=51820\n\n", WG_UAPI_DEVICE_HAS_LISTEN_PORT,
		  NULL, 51820, 0 },
		{ "listen_port=0\n\n", WG_UAPI_DEVICE_HAS_LISTEN_PORT,
		  NULL, 0, 0 },
		{ "listen_port=065535\n\n", WG_UAPI_DEVICE_HAS_LISTEN_PORT,
		  NULL, 65535, 0 },
		{ "fwmark=0\n\n", WG_UAPI_DEVICE_HAS_FWMARK, NULL, 0, 0 },
		{ "fwmark=4294967295\n\n", WG_UAPI_DEVICE_HAS_FWMARK, NULL, 0,
		  UINT32_MAX },
		{ "replace_peers=true\n\n", WG_UAPI_DEVICE_REPLACE_PEERS, NULL,
		  0, 0 },
		/* Last value wins. */
		{ "listen_port=1\nlisten_port=2\nfwmark=7\nfwmark=8\n\n",
		  WG_UAPI_DEVICE_HAS_LISTEN_PORT | WG_UAPI_DEVICE_HAS_FWMARK,
		  NULL, 2, 8 },
		{ "private_key=" PRIV "\nlisten_port=12912\nfwmark=0\n"
		  "replace_peers=true\n\n",
		  WG_UAPI_DEVICE_HAS_PRIVATE_KEY |
		  WG_UAPI_DEVICE_HAS_LISTEN_PORT | WG_UAPI_DEVICE_HAS_FWMARK |
		  WG_UAPI_DEVICE_REPLACE_PEERS, PRIV, 12912, 0 },
	};
	size_t i;

	for (i = 0; i < DIM(cases); i++) {
		struct wg_uapi_set s;

		wg_uapi_set_init(&s);
		cr_assert_eq(feed_text(&s, cases[i].text), WG_UAPI_SET_DONE,
			     "case %zu", i);
		cr_expect_eq(s.state, WG_UAPI_SET_COMPLETE, "case %zu", i);
		cr_expect_eq(s.flags, cases[i].flags, "case %zu", i);
		cr_expect_eq(s.listen_port, cases[i].port, "case %zu", i);
		cr_expect_eq(s.fwmark, cases[i].fwmark, "case %zu", i);
		cr_expect_eq(s.n_peers, 0, "case %zu", i);
		cr_expect(key_is(s.private_key,
				 cases[i].priv != NULL ? cases[i].priv : ZERO),
			  "case %zu", i);
		wg_uapi_set_free(&s);
		cr_expect(wg_key_is_zero(s.private_key), "wiped, case %zu", i);
	}
}

struct want_aip {
	uint8_t family;
	const char *addr;
	uint8_t cidr;
	bool remove;
};

static void
expect_allowed_ips(const struct wg_uapi_set *s, const struct wg_uapi_peer *p,
		   const struct want_aip *want, size_t n, size_t case_no)
{
	const struct wg_uapi_allowed_ip *got = wg_uapi_peer_allowed_ips(s, p);
	size_t i;

	cr_assert_eq(p->n_allowed_ips, n, "case %zu: %zu allowed IPs", case_no,
		     p->n_allowed_ips);
	for (i = 0; i < n; i++) {
		uint8_t addr[16] = { 0 };

		cr_assert_eq(inet_pton(want[i].family == WG_AF_INET ? AF_INET :
				       AF_INET6, want[i].addr, addr), 1);
		cr_expect_eq(got[i].family, want[i].family, "case %zu/%zu",
			     case_no, i);
		cr_expect_eq(got[i].cidr, want[i].cidr, "case %zu/%zu", case_no, i);
		cr_expect_eq(got[i].remove, want[i].remove, "case %zu/%zu",
			     case_no, i);
		cr_expect_arr_eq(got[i].addr, addr, 16, "case %zu/%zu", case_no, i);
	}
}

Test(uapi, peer_keys)
{
	static const struct {
		const char *text;
		uint32_t flags;
		const char *psk;
		uint8_t ep_family;
		const char *ep_addr;
		uint16_t ep_port;
		uint16_t keepalive;
		struct want_aip aips[4];
		size_t n_aips;
	} cases[] = {
		{ "public_key=" PUB1 "\n\n", 0 },
		{ "public_key=" PUB1 "\nupdate_only=true\n\n",
		  WG_UAPI_PEER_UPDATE_ONLY },
		{ "public_key=" PUB1 "\nremove=true\n\n",
		  WG_UAPI_PEER_REMOVE_ME },
		{ "public_key=" PUB1 "\npreshared_key=" PSK "\n\n",
		  WG_UAPI_PEER_HAS_PRESHARED_KEY, PSK },
		{ "public_key=" PUB1 "\npreshared_key=" ZERO "\n\n",
		  WG_UAPI_PEER_HAS_PRESHARED_KEY, ZERO },
		{ "public_key=" PUB1 "\nendpoint=192.0.2.1:51820\n\n",
		  WG_UAPI_PEER_HAS_ENDPOINT, NULL, WG_AF_INET, "192.0.2.1",
		  51820 },
		{ "public_key=" PUB1 "\nendpoint=[2001:db8::1]:0\n\n",
		  WG_UAPI_PEER_HAS_ENDPOINT, NULL, WG_AF_INET6, "2001:db8::1",
		  0 },
		{ "public_key=" PUB1 "\nendpoint=[::ffff:192.0.2.1]:00443\n\n",
		  WG_UAPI_PEER_HAS_ENDPOINT, NULL, WG_AF_INET6,
		  "::ffff:192.0.2.1", 443 },
		{ "public_key=" PUB1 "\npersistent_keepalive_interval=25\n\n",
		  WG_UAPI_PEER_HAS_PERSISTENT_KEEPALIVE, NULL, 0, NULL, 0, 25 },
		{ "public_key=" PUB1 "\npersistent_keepalive_interval=0\n\n",
		  WG_UAPI_PEER_HAS_PERSISTENT_KEEPALIVE },
		{ "public_key=" PUB1 "\npersistent_keepalive_interval=65535\n\n",
		  WG_UAPI_PEER_HAS_PERSISTENT_KEEPALIVE, NULL, 0, NULL, 0,
		  65535 },
		{ "public_key=" PUB1 "\nreplace_allowed_ips=true\n\n",
		  WG_UAPI_PEER_REPLACE_ALLOWEDIPS },
		{ "public_key=" PUB1 "\nprotocol_version=1\n\n", 0 },
		{ "public_key=" PUB1 "\nallowed_ip=10.1.2.3/8\n"
		  "allowed_ip=fd00:1:2::5/48\nallowed_ip=-192.0.2.0/24\n"
		  "allowed_ip=0.0.0.0/0\n\n", 0, NULL, 0, NULL, 0, 0,
		  { { WG_AF_INET, "10.0.0.0", 8, false },
		    { WG_AF_INET6, "fd00:1:2::", 48, false },
		    { WG_AF_INET, "192.0.2.0", 24, true },
		    { WG_AF_INET, "0.0.0.0", 0, false } }, 4 },
		/* replace_allowed_ips drops what this section added so far. */
		{ "public_key=" PUB1 "\nallowed_ip=10.0.0.1/32\n"
		  "replace_allowed_ips=true\nallowed_ip=::/0\n"
		  "allowed_ip=10.0.0.2/31\n\n",
		  WG_UAPI_PEER_REPLACE_ALLOWEDIPS, NULL, 0, NULL, 0, 0,
		  { { WG_AF_INET6, "::", 0, false },
		    { WG_AF_INET, "10.0.0.2", 31, false } }, 2 },
		/* remove=true: later lines are still parsed and validated. */
		{ "public_key=" PUB1 "\nremove=true\nendpoint=192.0.2.9:9\n\n",
		  WG_UAPI_PEER_REMOVE_ME | WG_UAPI_PEER_HAS_ENDPOINT, NULL,
		  WG_AF_INET, "192.0.2.9", 9 },
		/* Last value wins. */
		{ "public_key=" PUB1 "\nendpoint=192.0.2.1:1\n"
		  "endpoint=[::1]:2\npersistent_keepalive_interval=5\n"
		  "persistent_keepalive_interval=6\n\n",
		  WG_UAPI_PEER_HAS_ENDPOINT |
		  WG_UAPI_PEER_HAS_PERSISTENT_KEEPALIVE, NULL, WG_AF_INET6,
		  "::1", 2, 6 },
	};
	size_t i;

	for (i = 0; i < DIM(cases); i++) {
		struct wg_uapi_set s;
		const struct wg_uapi_peer *p;

		wg_uapi_set_init(&s);
		cr_assert_eq(feed_text(&s, cases[i].text), WG_UAPI_SET_DONE,
			     "case %zu", i);
		cr_assert_eq(s.n_peers, 1, "case %zu", i);
		cr_expect_eq(s.flags, 0, "case %zu", i);
		p = &s.peers[0];
		cr_expect(key_is(p->public_key, PUB1), "case %zu", i);
		cr_expect_eq(p->flags, cases[i].flags, "case %zu", i);
		cr_expect(key_is(p->preshared_key, cases[i].psk != NULL ?
				 cases[i].psk : ZERO), "case %zu", i);
		cr_expect_eq(p->endpoint.family, cases[i].ep_family,
			     "case %zu", i);
		if (cases[i].ep_addr != NULL) {
			uint8_t a[16] = { 0 };

			inet_pton(cases[i].ep_family == WG_AF_INET ? AF_INET :
				  AF_INET6, cases[i].ep_addr, a);
			cr_expect_arr_eq(p->endpoint.addr.v6, a,
					 wg_endpoint_addr_len(&p->endpoint));
			cr_expect_eq(p->endpoint.port, cases[i].ep_port,
				     "case %zu", i);
		}
		cr_expect_eq(p->persistent_keepalive_interval,
			     cases[i].keepalive, "case %zu", i);
		expect_allowed_ips(&s, p, cases[i].aips, cases[i].n_aips, i);
		wg_uapi_set_free(&s);
	}
}

Test(uapi, sections_keep_request_order)
{
	static const struct want_aip a1[] = { { WG_AF_INET, "10.0.0.1", 32 } };
	static const struct want_aip a2[] = {
		{ WG_AF_INET, "10.0.0.2", 32 }, { WG_AF_INET, "10.0.0.3", 32 }
	};
	static const struct want_aip a3[] = { { WG_AF_INET, "10.0.0.4", 32 } };
	struct wg_uapi_set s;

	wg_uapi_set_init(&s);
	cr_assert_eq(feed_text(&s,
		"replace_peers=true\n"
		"public_key=" PUB1 "\nallowed_ip=10.0.0.1/32\n"
		"public_key=" PUB2 "\nallowed_ip=10.0.0.2/32\n"
		"allowed_ip=10.0.0.3/32\n"
		/* Replacing in the third section leaves the others alone. */
		"public_key=" PUB1 "\nallowed_ip=10.0.0.9/32\n"
		"replace_allowed_ips=true\nallowed_ip=10.0.0.4/32\n\n"),
		WG_UAPI_SET_DONE);
	cr_assert_eq(s.flags, WG_UAPI_DEVICE_REPLACE_PEERS);
	cr_assert_eq(s.n_peers, 3);
	cr_expect(key_is(s.peers[0].public_key, PUB1));
	cr_expect(key_is(s.peers[1].public_key, PUB2));
	cr_expect(key_is(s.peers[2].public_key, PUB1));
	cr_expect_eq(s.peers[2].flags, WG_UAPI_PEER_REPLACE_ALLOWEDIPS);
	expect_allowed_ips(&s, &s.peers[0], a1, DIM(a1), 0);
	expect_allowed_ips(&s, &s.peers[1], a2, DIM(a2), 1);
	expect_allowed_ips(&s, &s.peers[2], a3, DIM(a3), 2);
	cr_expect_eq(s.n_allowed_ips, 4);
	wg_uapi_set_free(&s);
}

Test(uapi, line_endings_and_end_of_request)
{
	struct wg_uapi_set s;

	wg_uapi_set_init(&s);
	/* A trailing '\n' and a '\r' before it are dropped (bufio.ScanLines). */
	cr_assert_eq(wg_uapi_set_feed_line(&s, "listen_port=7\r\n", 15), 0);
	cr_assert_eq(wg_uapi_set_feed_line(&s, "fwmark=9\n", 9), 0);
	/* Not NUL-terminated: only len bytes count. */
	cr_assert_eq(wg_uapi_set_feed_line(&s, "fwmark=123456", 8), 0);
	cr_assert_eq(wg_uapi_set_feed_line(&s, "\r", 1), WG_UAPI_SET_DONE);
	cr_expect_eq(s.listen_port, 7);
	cr_expect_eq(s.fwmark, 1);
	/* After the end, lines are refused and the set stays complete. */
	cr_expect_eq(wg_uapi_set_feed_line(&s, "fwmark=2", 8), -EPROTO);
	cr_expect_eq(s.state, WG_UAPI_SET_COMPLETE);
	cr_expect_eq(s.fwmark, 1);
	wg_uapi_set_free(&s);
}

/* ---- set: rejections ---------------------------------------------------- */

struct bad_line {
	bool in_peer;		/* after a valid public_key line */
	const char *line;
	int err;
};

static const struct bad_line bad_lines[] = {
	/* No '=' at all: a protocol error (wireguard-go IpcErrorProtocol). */
	{ false, "private_key", -EPROTO },
	{ false, "garbage", -EPROTO },
	{ true, "remove", -EPROTO },
	/* Unknown keys: wireguard-go answers IpcErrorInvalid. */
	{ false, "bogus=1", -EINVAL },
	{ false, "=1", -EINVAL },
	{ false, "set=1", -EINVAL },
	{ false, "errno=0", -EINVAL },
	{ false, "rx_bytes=0", -EINVAL },
	{ false, "Private_key=" PRIV, -EINVAL },
	{ false, "private_key =" PRIV, -EINVAL },
	{ false, "endpoint=192.0.2.1:1", -EINVAL },	/* peer key, no peer */
	{ false, "allowed_ip=10.0.0.0/8", -EINVAL },
	{ true, "listen_port=1", -EINVAL },		/* device key in peer */
	{ true, "private_key=" PRIV, -EINVAL },
	{ true, "replace_peers=true", -EINVAL },
	{ true, "allowed_ips=10.0.0.0/8", -EINVAL },	/* wg-quick spelling */
	{ true, "last_handshake_time_sec=0", -EINVAL },
	/* Keys. */
	{ false, "private_key=", -EINVAL },
	{ false, "private_key=" ZERO "0", -EINVAL },
	{ false, "private_key=e879bdb2065b18d4719810e88686802b6b4b92860d83a1ddc7"
		 "cff11dab791f6", -EINVAL },
	{ false, "private_key=g879bdb2065b18d4719810e88686802b6b4b92860d83a1ddc7"
		 "cff11dab791f64", -EINVAL },
	{ false, "private_key= e879bdb2065b18d4719810e88686802b6b4b92860d83a1ddc"
		 "7cff11dab791f6", -EINVAL },
	{ false, "public_key=", -EINVAL },
	{ false, "public_key=" PUB1 " ", -EINVAL },
	{ true, "preshared_key=abc", -EINVAL },
	{ true, "preshared_key=" PSK "00", -EINVAL },
	/* Numbers: strconv.ParseUint, base 10, bounded. */
	{ false, "listen_port=", -EINVAL },
	{ false, "listen_port=65536", -EINVAL },
	{ false, "listen_port=-1", -EINVAL },
	{ false, "listen_port=+1", -EINVAL },
	{ false, "listen_port= 1", -EINVAL },
	{ false, "listen_port=1 ", -EINVAL },
	{ false, "listen_port=0x10", -EINVAL },
	{ false, "listen_port=1e3", -EINVAL },
	{ false, "listen_port=1_000", -EINVAL },
	{ false, "listen_port=18446744073709551617", -EINVAL },
	{ false, "fwmark=4294967296", -EINVAL },
	{ false, "fwmark=-0", -EINVAL },
	{ true, "persistent_keepalive_interval=65536", -EINVAL },
	{ true, "persistent_keepalive_interval=", -EINVAL },
	{ true, "persistent_keepalive_interval=-1", -EINVAL },
	/* Booleans are exactly "true". */
	{ false, "replace_peers=false", -EINVAL },
	{ false, "replace_peers=TRUE", -EINVAL },
	{ false, "replace_peers=", -EINVAL },
	{ true, "update_only=false", -EINVAL },
	{ true, "remove=1", -EINVAL },
	{ true, "replace_allowed_ips=yes", -EINVAL },
	{ true, "protocol_version=2", -EINVAL },
	{ true, "protocol_version=0", -EINVAL },
	{ true, "protocol_version=01", -EINVAL },
	{ true, "protocol_version=", -EINVAL },
	/* Endpoints: netip.ParseAddrPort. */
	{ true, "endpoint=", -EINVAL },
	{ true, "endpoint=192.0.2.1", -EINVAL },
	{ true, "endpoint=192.0.2.1:", -EINVAL },
	{ true, "endpoint=:51820", -EINVAL },
	{ true, "endpoint=192.0.2.1:65536", -EINVAL },
	{ true, "endpoint=192.0.2.1:-1", -EINVAL },
	{ true, "endpoint=192.0.2.1:+80", -EINVAL },
	{ true, "endpoint=[192.0.2.1]:80", -EINVAL },
	{ true, "endpoint=2001:db8::1:80", -EINVAL },	/* needs brackets */
	{ true, "endpoint=[2001:db8::1]", -EINVAL },
	{ true, "endpoint=[2001:db8::1:80", -EINVAL },
	{ true, "endpoint=2001:db8::1]:80", -EINVAL },
	{ true, "endpoint=[]:80", -EINVAL },
	{ true, "endpoint=[fe80::1%eth0]:80", -EINVAL },	/* zones refused */
	{ true, "endpoint=192.0.2.01:80", -EINVAL },
	{ true, "endpoint=192.0.2.256:80", -EINVAL },
	{ true, "endpoint=192.0.2:80", -EINVAL },
	{ true, "endpoint=vpn.example.com:51820", -EINVAL },
	{ true, "endpoint=[1:2:3:4:5:6:7:8:9]:80", -EINVAL },
	{ true, "endpoint=[1::2::3]:80", -EINVAL },
	{ true, "endpoint=[12345::]:80", -EINVAL },
	/* Prefixes: netip.ParsePrefix. */
	{ true, "allowed_ip=", -EINVAL },
	{ true, "allowed_ip=-", -EINVAL },
	{ true, "allowed_ip=10.0.0.0", -EINVAL },
	{ true, "allowed_ip=10.0.0.0/", -EINVAL },
	{ true, "allowed_ip=/8", -EINVAL },
	{ true, "allowed_ip=10.0.0.0/33", -EINVAL },
	{ true, "allowed_ip=::/129", -EINVAL },
	{ true, "allowed_ip=10.0.0.0/08", -EINVAL },
	{ true, "allowed_ip=10.0.0.0/+8", -EINVAL },
	{ true, "allowed_ip=10.0.0.0/-8", -EINVAL },
	{ true, "allowed_ip=10.0.0.0/8/8", -EINVAL },
	{ true, "allowed_ip=--10.0.0.0/8", -EINVAL },
	{ true, "allowed_ip=+10.0.0.0/8", -EINVAL },
	{ true, "allowed_ip=10.0.0/8", -EINVAL },
	{ true, "allowed_ip=fe80::1%eth0/64", -EINVAL },
	{ true, "allowed_ip=10.0.0.0/8 ", -EINVAL },
	/* An embedded newline cannot come from a line reader. */
	{ true, "endpoint=192.0.2.1:80\nremove=true", -EPROTO },
};

Test(uapi, rejected_lines_leave_nothing)
{
	size_t i;

	for (i = 0; i < DIM(bad_lines); i++) {
		const struct bad_line *b = &bad_lines[i];
		struct wg_uapi_set s;
		int ret;

		wg_uapi_set_init(&s);
		/* Some valid state first, so that there is something to lose. */
		cr_assert_eq(feed_text(&s, "private_key=" PRIV "\n"
					   "listen_port=51820\n"), 0);
		if (b->in_peer)
			cr_assert_eq(feed_text(&s, "public_key=" PUB2 "\n"
						   "allowed_ip=10.9.0.0/16\n"
						   "public_key=" PUB1 "\n"
						   "preshared_key=" PSK "\n"),
				     0);
		ret = wg_uapi_set_feed_line(&s, b->line, strlen(b->line));
		cr_expect_eq(ret, b->err, "case %zu: got %d, want %d", i, ret,
			     b->err);
		assert_failed_empty(&s, b->err, b->line);
		/* Sticky: neither more lines nor the end make it valid. */
		cr_expect_eq(wg_uapi_set_feed_line(&s, "fwmark=1", 8), b->err);
		cr_expect_eq(wg_uapi_set_feed_line(&s, "", 0), b->err);
		assert_failed_empty(&s, b->err, b->line);
		wg_uapi_set_free(&s);
	}
}

Test(uapi, odd_bytes_in_values)
{
	/* NUL bytes are data, never terminators. */
	static const char nul_port[] = "listen_port=1\0002";
	static const char nul_key[] = "private_key=" PRIV;
	char key_line[sizeof(nul_key)];
	struct wg_uapi_set s;

	wg_uapi_set_init(&s);
	cr_expect_eq(wg_uapi_set_feed_line(&s, nul_port, sizeof(nul_port) - 1),
		     -EINVAL);
	wg_uapi_set_free(&s);

	memcpy(key_line, nul_key, sizeof(key_line));
	key_line[sizeof(key_line) - 2] = '\0';
	wg_uapi_set_init(&s);
	cr_expect_eq(wg_uapi_set_feed_line(&s, key_line, sizeof(key_line) - 1),
		     -EINVAL);
	wg_uapi_set_free(&s);

	wg_uapi_set_init(&s);
	cr_expect_eq(wg_uapi_set_feed_line(&s, "private_key\0=1", 14), -EINVAL);
	wg_uapi_set_free(&s);
}

Test(uapi, line_length_bound)
{
	char *line = malloc(WG_UAPI_LINE_MAX + 2);
	struct wg_uapi_set s;

	cr_assert_not_null(line);
	/* The longest line is read (and refused for its content)... */
	memset(line, '0', WG_UAPI_LINE_MAX + 1);
	memcpy(line, "fwmark=", 7);
	wg_uapi_set_init(&s);
	cr_expect_eq(wg_uapi_set_feed_line(&s, line, WG_UAPI_LINE_MAX), 0);
	cr_expect_eq(s.fwmark, 0);
	/* ...one byte more is an I/O error, as wireguard-go's scanner. */
	cr_expect_eq(wg_uapi_set_feed_line(&s, line, WG_UAPI_LINE_MAX + 1),
		     -EIO);
	assert_failed_empty(&s, -EIO, "long line");
	wg_uapi_set_free(&s);
	free(line);
}

/* ---- get ---------------------------------------------------------------- */

struct fixed_peers {
	const struct wg_uapi_peer_view *peers;
	size_t n, next;
	int fail;		/* returned instead of the end, if non-zero */
};

static int
fixed_next(void *ctx, struct wg_uapi_peer_view *v)
{
	struct fixed_peers *f = ctx;

	if (f->next == f->n)
		return f->fail;
	*v = f->peers[f->next++];
	return 1;
}

static void
view_ip(struct wg_uapi_allowed_ip *a, uint8_t family, const char *text,
	uint8_t cidr)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->cidr = cidr;
	cr_assert_eq(inet_pton(family == WG_AF_INET ? AF_INET : AF_INET6, text,
			       a->addr), 1);
}

Test(uapi, get_text_byte_for_byte)
{
	struct wg_uapi_allowed_ip ips[3];
	struct wg_uapi_peer_view peers[2] = { 0 };
	struct fixed_peers fp = { .peers = peers, .n = 2 };
	struct wg_uapi_device_view dev = {
		.listen_port = 51820, .fwmark = 0x2a,
		.next_peer = fixed_next, .ctx = &fp,
	};
	struct sink sink = { 0 };
	struct wg_uapi_writer w = { .write = sink_write, .ctx = &sink };
	static const char want[] =
		"private_key=" PRIV "\n"
		"listen_port=51820\n"
		"fwmark=42\n"
		"public_key=" PUB1 "\n"
		"preshared_key=" PSK "\n"
		"protocol_version=1\n"
		"endpoint=[2001:db8::7]:443\n"
		"last_handshake_time_sec=1700000000\n"
		"last_handshake_time_nsec=123456789\n"
		"tx_bytes=18446744073709551615\n"
		"rx_bytes=1000\n"
		"persistent_keepalive_interval=25\n"
		"allowed_ip=10.0.0.2/32\n"
		"allowed_ip=fd00:aa::/64\n"
		"public_key=" PUB2 "\n"
		"preshared_key=" ZERO "\n"
		"protocol_version=1\n"
		"last_handshake_time_sec=0\n"
		"last_handshake_time_nsec=0\n"
		"tx_bytes=0\n"
		"rx_bytes=0\n"
		"persistent_keepalive_interval=0\n"
		"allowed_ip=0.0.0.0/0\n"
		"errno=0\n\n";

	unhex_key(dev.private_key, PRIV);
	unhex_key(peers[0].public_key, PUB1);
	unhex_key(peers[0].preshared_key, PSK);
	peers[0].endpoint.family = WG_AF_INET6;
	peers[0].endpoint.port = 443;
	inet_pton(AF_INET6, "2001:db8::7", peers[0].endpoint.addr.v6);
	peers[0].last_handshake_time_sec = 1700000000;
	peers[0].last_handshake_time_nsec = 123456789;
	peers[0].tx_bytes = UINT64_MAX;
	peers[0].rx_bytes = 1000;
	peers[0].persistent_keepalive_interval = 25;
	view_ip(&ips[0], WG_AF_INET, "10.0.0.2", 32);
	view_ip(&ips[1], WG_AF_INET6, "fd00:aa::", 64);
	peers[0].allowed_ips = ips;
	peers[0].n_allowed_ips = 2;
	unhex_key(peers[1].public_key, PUB2);
	view_ip(&ips[2], WG_AF_INET, "0.0.0.0", 0);
	peers[1].allowed_ips = &ips[2];
	peers[1].n_allowed_ips = 1;

	cr_assert_eq(wg_uapi_get_write(&dev, &w), 0);
	cr_assert_eq(sink.len, strlen(want));
	cr_assert_str_eq(sink.buf, want);
	free(sink.buf);
}

Test(uapi, get_empty_device_reports_only_errno)
{
	struct fixed_peers fp = { 0 };
	struct wg_uapi_device_view dev = { .next_peer = fixed_next, .ctx = &fp };
	struct sink sink = { 0 };
	struct wg_uapi_writer w = { .write = sink_write, .ctx = &sink };

	/* A zero key, port 0 and fwmark 0 are not reported (wireguard-go). */
	cr_assert_eq(wg_uapi_get_write(&dev, &w), 0);
	cr_assert_str_eq(sink.buf, "errno=0\n\n");
	free(sink.buf);
}

Test(uapi, get_addresses_as_go_prints_them)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "::/0", "::/0" },
		{ "::1/128", "::1/128" },
		{ "1::/16", "1::/16" },
		{ "2001:DB8:0:0:0:0:0:1/128", "2001:db8::1/128" },
		{ "1:0:0:2:0:0:0:3/128", "1:0:0:2::3/128" },
		{ "1:0:2:0:0:3:0:0/128", "1:0:2::3:0:0/128" },
		{ "2001:db8:0:0:1:0:0:1/128", "2001:db8::1:0:0:1/128" },
		{ "0:1:0:1:0:1:0:1/128", "0:1:0:1:0:1:0:1/128" },
		{ "1:2:3:4:5:6:7:8/128", "1:2:3:4:5:6:7:8/128" },
		{ "1:2:3:4:5:6:7::/128", "1:2:3:4:5:6:7:0/128" },
		{ "0001:0db8::00ff/128", "1:db8::ff/128" },
		{ "::ffff:192.0.2.1/128", "::ffff:192.0.2.1/128" },
		{ "::192.0.2.1/128", "::c000:201/128" },
		{ "fe80::1/10", "fe80::/10" },
		{ "255.255.255.255/32", "255.255.255.255/32" },
		{ "10.200.3.4/12", "10.192.0.0/12" },
		{ "-10.0.0.0/8", "10.0.0.0/8" },
	};
	size_t i;

	for (i = 0; i < DIM(cases); i++) {
		char req[256], want[512], *got;

		snprintf(req, sizeof(req), "public_key=" PUB1 "\nallowed_ip=%s\n\n",
			 cases[i].in);
		snprintf(want, sizeof(want),
			 "public_key=" PUB1 "\npreshared_key=" ZERO "\n"
			 "protocol_version=1\nlast_handshake_time_sec=0\n"
			 "last_handshake_time_nsec=0\ntx_bytes=0\nrx_bytes=0\n"
			 "persistent_keepalive_interval=0\nallowed_ip=%s\n"
			 "errno=0\n\n", cases[i].out);
		got = set_to_get(req, 0);
		cr_expect_str_eq(got, want, "case %zu (%s)", i, cases[i].in);
		free(got);
	}
}

/* What `wg setconf` sends for a typical configuration, and get's answer. */
Test(uapi, setconf_round_trip)
{
	static const char request[] =
		"private_key=" PRIV_RAW "\n"
		"listen_port=51820\n"
		"fwmark=0\n"
		"replace_peers=true\n"
		"public_key=" PUB1 "\n"
		"preshared_key=" PSK "\n"
		"endpoint=[2001:db8:0:0:1:0:0:1]:51820\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=10.1.2.3/8\n"
		"allowed_ip=fd00:0:0:0::1/128\n"
		"public_key=" PUB2 "\n"
		"endpoint=198.51.100.7:3233\n"
		"persistent_keepalive_interval=111\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=192.168.4.6/32\n"
		"public_key=" PUB3 "\n"
		"replace_allowed_ips=true\n"
		"\n";
	static const char want[] =
		"private_key=" PRIV "\n"
		"listen_port=51820\n"
		"public_key=" PUB1 "\n"
		"preshared_key=" PSK "\n"
		"protocol_version=1\n"
		"endpoint=[2001:db8::1:0:0:1]:51820\n"
		"last_handshake_time_sec=1001\n"
		"last_handshake_time_nsec=1000\n"
		"tx_bytes=5001\n"
		"rx_bytes=3001\n"
		"persistent_keepalive_interval=0\n"
		"allowed_ip=10.0.0.0/8\n"
		"allowed_ip=fd00::1/128\n"
		"public_key=" PUB2 "\n"
		"preshared_key=" ZERO "\n"
		"protocol_version=1\n"
		"endpoint=198.51.100.7:3233\n"
		"last_handshake_time_sec=1002\n"
		"last_handshake_time_nsec=2000\n"
		"tx_bytes=5002\n"
		"rx_bytes=3002\n"
		"persistent_keepalive_interval=111\n"
		"allowed_ip=192.168.4.6/32\n"
		"public_key=" PUB3 "\n"
		"preshared_key=" ZERO "\n"
		"protocol_version=1\n"
		"last_handshake_time_sec=1003\n"
		"last_handshake_time_nsec=3000\n"
		"tx_bytes=5003\n"
		"rx_bytes=3003\n"
		"persistent_keepalive_interval=0\n"
		"errno=0\n\n";
	char *got = set_to_get(request, 1000);

	cr_assert_str_eq(got, want);
	free(got);
}

/* ---- the builder ---------------------------------------------------------- */

static void
assert_sets_equal(const struct wg_uapi_set *a, const struct wg_uapi_set *b)
{
	size_t i;

	cr_assert_eq(a->state, b->state);
	cr_assert_eq(a->flags, b->flags);
	cr_assert_arr_eq(a->private_key, b->private_key, WG_KEY_LEN);
	cr_assert_eq(a->listen_port, b->listen_port);
	cr_assert_eq(a->fwmark, b->fwmark);
	cr_assert_eq(a->n_peers, b->n_peers);
	for (i = 0; i < a->n_peers; i++) {
		const struct wg_uapi_peer *p = &a->peers[i], *q = &b->peers[i];

		cr_assert_eq(p->flags, q->flags, "peer %zu", i);
		cr_assert_arr_eq(p->public_key, q->public_key, WG_KEY_LEN);
		cr_assert_arr_eq(p->preshared_key, q->preshared_key, WG_KEY_LEN);
		cr_assert_eq(p->endpoint.family, q->endpoint.family, "peer %zu", i);
		cr_assert_eq(p->endpoint.port, q->endpoint.port, "peer %zu", i);
		cr_assert_arr_eq(p->endpoint.addr.v6, q->endpoint.addr.v6, 16);
		cr_assert_eq(p->persistent_keepalive_interval,
			     q->persistent_keepalive_interval);
		cr_assert_eq(p->first_allowed_ip, q->first_allowed_ip, "peer %zu", i);
		cr_assert_eq(p->n_allowed_ips, q->n_allowed_ips, "peer %zu", i);
	}
	cr_assert_eq(a->n_allowed_ips, b->n_allowed_ips);
	for (i = 0; i < a->n_allowed_ips; i++) {
		const struct wg_uapi_allowed_ip *x = &a->allowed_ips[i];
		const struct wg_uapi_allowed_ip *y = &b->allowed_ips[i];

		cr_assert(x->family == y->family && x->cidr == y->cidr &&
			  x->remove == y->remove && memcmp(x->addr, y->addr, 16) == 0,
			  "allowed ip %zu", i);
	}
}

static struct wg_uapi_allowed_ip
prefix(const char *ip, uint8_t cidr, bool remove)
{
	struct wg_uapi_allowed_ip a = { .cidr = cidr, .remove = remove };
	bool v6 = strchr(ip, ':') != NULL;

	a.family = v6 ? WG_AF_INET6 : WG_AF_INET;
	cr_assert_eq(inet_pton(v6 ? AF_INET6 : AF_INET, ip, a.addr), 1);
	return a;
}

static struct wg_endpoint
endpoint(const char *ip, uint16_t port)
{
	struct wg_endpoint e = { .port = port };
	bool v6 = strchr(ip, ':') != NULL;

	e.family = v6 ? WG_AF_INET6 : WG_AF_INET;
	cr_assert_eq(inet_pton(v6 ? AF_INET6 : AF_INET, ip, e.addr.v6), 1);
	return e;
}

/* Every field, host bits to clear, a key to clamp, a replace mid-list. */
Test(uapi, built_set_equals_parsed_set)
{
	static const char request[] =
		"private_key=" PRIV_RAW "\n"
		"listen_port=51820\n"
		"fwmark=7\n"
		"replace_peers=true\n"
		"public_key=" PUB1 "\n"
		"preshared_key=" PSK "\n"
		"endpoint=192.0.2.7:51820\n"
		"persistent_keepalive_interval=25\n"
		"allowed_ip=10.1.2.3/8\n"
		"allowed_ip=-fd00::1/64\n"
		"public_key=" PUB2 "\n"
		"update_only=true\n"
		"endpoint=[2001:db8::1]:7\n"
		"allowed_ip=192.0.2.1/32\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=198.51.100.9/24\n"
		"public_key=" PUB3 "\n"
		"remove=true\n"
		"\n";
	uint8_t priv[WG_KEY_LEN], pub[3][WG_KEY_LEN], psk[WG_KEY_LEN];
	struct wg_uapi_allowed_ip a[4] = {
		prefix("10.1.2.3", 8, false), prefix("fd00::1", 64, true),
		prefix("192.0.2.1", 32, false), prefix("198.51.100.9", 24, false),
	};
	struct wg_endpoint e1 = endpoint("192.0.2.7", 51820);
	struct wg_endpoint e2 = endpoint("2001:db8::1", 7);
	struct wg_uapi_set parsed, built;
	int rc = 0;

	unhex_key(priv, PRIV_RAW);
	unhex_key(pub[0], PUB1);
	unhex_key(pub[1], PUB2);
	unhex_key(pub[2], PUB3);
	unhex_key(psk, PSK);
	wg_uapi_set_init(&parsed);
	cr_assert_eq(feed_text(&parsed, request), WG_UAPI_SET_DONE);
	wg_uapi_set_init(&built);
	rc |= wg_uapi_set_private_key(&built, priv);
	rc |= wg_uapi_set_listen_port(&built, 51820);
	rc |= wg_uapi_set_fwmark(&built, 7);
	rc |= wg_uapi_set_replace_peers(&built);
	rc |= wg_uapi_set_peer(&built, pub[0]);
	rc |= wg_uapi_set_peer_preshared_key(&built, psk);
	rc |= wg_uapi_set_peer_endpoint(&built, &e1);
	rc |= wg_uapi_set_peer_keepalive(&built, 25);
	rc |= wg_uapi_set_peer_allowed_ip(&built, &a[0]);
	rc |= wg_uapi_set_peer_allowed_ip(&built, &a[1]);
	rc |= wg_uapi_set_peer(&built, pub[1]);
	rc |= wg_uapi_set_peer_update_only(&built);
	rc |= wg_uapi_set_peer_endpoint(&built, &e2);
	rc |= wg_uapi_set_peer_allowed_ip(&built, &a[2]);
	rc |= wg_uapi_set_peer_replace_allowed_ips(&built);
	rc |= wg_uapi_set_peer_allowed_ip(&built, &a[3]);
	rc |= wg_uapi_set_peer(&built, pub[2]);
	rc |= wg_uapi_set_peer_remove(&built);
	rc |= wg_uapi_set_end(&built);
	cr_assert_eq(rc, 0);
	assert_sets_equal(&built, &parsed);
	cr_assert(key_is(built.private_key, PRIV), "clamped");
	cr_assert_eq(built.allowed_ips[0].addr[1], 0, "host bits cleared");
	wg_uapi_set_free(&parsed);
	wg_uapi_set_free(&built);
}

Test(uapi, built_zero_private_key_stays_zero)
{
	static const uint8_t zero[WG_KEY_LEN];
	struct wg_uapi_set parsed, built;

	wg_uapi_set_init(&parsed);
	cr_assert_eq(feed_text(&parsed, "private_key=" ZERO "\n\n"), WG_UAPI_SET_DONE);
	wg_uapi_set_init(&built);
	cr_assert_eq(wg_uapi_set_private_key(&built, zero), 0);
	cr_assert_eq(wg_uapi_set_end(&built), 0);
	assert_sets_equal(&built, &parsed);
	wg_uapi_set_free(&parsed);
	wg_uapi_set_free(&built);
}

/*
 * What the parser refuses, the builder refuses with the same errno, and
 * the set is failed and empty; a later call returns the same error.
 */
struct build_case {
	const char *name;
	const char *text;		/* the equivalent request */
	int (*build)(struct wg_uapi_set *s);
	int err;
};

static const uint8_t key1[WG_KEY_LEN] = { 1 };

static int
b_keepalive_before_peer(struct wg_uapi_set *s)
{
	return wg_uapi_set_peer_keepalive(s, 5);
}

static int
b_port_after_peer(struct wg_uapi_set *s)
{
	int rc = wg_uapi_set_peer(s, key1);

	return rc != 0 ? rc : wg_uapi_set_listen_port(s, 1);
}

static int
b_cidr_too_long(struct wg_uapi_set *s)
{
	struct wg_uapi_allowed_ip a = prefix("10.0.0.1", 33, false);
	int rc = wg_uapi_set_peer(s, key1);

	return rc != 0 ? rc : wg_uapi_set_peer_allowed_ip(s, &a);
}

static int
b_cidr6_too_long(struct wg_uapi_set *s)
{
	struct wg_uapi_allowed_ip a = prefix("fd00::1", 129, false);
	int rc = wg_uapi_set_peer(s, key1);

	return rc != 0 ? rc : wg_uapi_set_peer_allowed_ip(s, &a);
}

static int
b_prefix_no_family(struct wg_uapi_set *s)
{
	struct wg_uapi_allowed_ip a = { .family = WG_AF_NONE, .cidr = 8 };
	int rc = wg_uapi_set_peer(s, key1);

	return rc != 0 ? rc : wg_uapi_set_peer_allowed_ip(s, &a);
}

static int
b_endpoint_no_family(struct wg_uapi_set *s)
{
	struct wg_endpoint e = { .family = WG_AF_NONE, .port = 1 };
	int rc = wg_uapi_set_peer(s, key1);

	return rc != 0 ? rc : wg_uapi_set_peer_endpoint(s, &e);
}

Test(uapi, builder_refuses_what_the_parser_refuses)
{
	static const struct build_case cases[] = {
		{ "keepalive before a peer", "persistent_keepalive_interval=5\n",
		  b_keepalive_before_peer, -EINVAL },
		{ "listen_port after a peer", "public_key=" PUB1 "\nlisten_port=1\n",
		  b_port_after_peer, -EINVAL },
		{ "IPv4 cidr 33", "public_key=" PUB1 "\nallowed_ip=10.0.0.1/33\n",
		  b_cidr_too_long, -EINVAL },
		{ "IPv6 cidr 129", "public_key=" PUB1 "\nallowed_ip=fd00::1/129\n",
		  b_cidr6_too_long, -EINVAL },
		{ "prefix of no family", "public_key=" PUB1 "\nallowed_ip=x/8\n",
		  b_prefix_no_family, -EINVAL },
		{ "endpoint of no family", "public_key=" PUB1 "\nendpoint=x:1\n",
		  b_endpoint_no_family, -EINVAL },
	};
	struct wg_uapi_set parsed, built;
	size_t i;

	for (i = 0; i < DIM(cases); i++) {
		wg_uapi_set_init(&parsed);
		cr_assert_eq(feed_text(&parsed, cases[i].text), cases[i].err, "%s: parser",
			     cases[i].name);
		wg_uapi_set_free(&parsed);
		wg_uapi_set_init(&built);
		cr_assert_eq(cases[i].build(&built), cases[i].err, "%s", cases[i].name);
		assert_failed_empty(&built, cases[i].err, cases[i].name);
		cr_assert_eq(wg_uapi_set_peer(&built, key1), cases[i].err, "%s: stays failed",
			     cases[i].name);
		cr_assert_eq(wg_uapi_set_end(&built), cases[i].err, "%s", cases[i].name);
		wg_uapi_set_free(&built);
	}
}

Test(uapi, builder_takes_nothing_after_the_end)
{
	struct wg_uapi_set s;

	wg_uapi_set_init(&s);
	cr_assert_eq(wg_uapi_set_peer(&s, key1), 0);
	cr_assert_eq(wg_uapi_set_end(&s), 0);
	cr_assert_eq(wg_uapi_set_peer_keepalive(&s, 1), -EPROTO);
	cr_assert_eq(s.state, WG_UAPI_SET_COMPLETE);
	cr_assert_eq(s.n_peers, 1);
	cr_assert_eq(s.peers[0].flags, 0);
	wg_uapi_set_free(&s);
}

Test(uapi, get_streams_in_bounded_chunks)
{
	enum { N = 100000 };
	struct wg_uapi_set s;
	struct set_walk walk;
	struct wg_uapi_device_view dev = { .next_peer = set_walk_next };
	struct sink sink = { 0 };
	struct wg_uapi_writer w = { .write = sink_write, .ctx = &sink };
	char line[128], hex[WG_KEY_HEX_LEN + 1];
	uint8_t key[WG_KEY_LEN] = { 0 };
	const char *tail = "allowed_ip=10.1.134.159/32\nerrno=0\n\n";
	size_t i, want_len = strlen("errno=0\n\n");
	int n;

	/* N peers with one allowed IP each, through the parser. */
	wg_uapi_set_init(&s);
	for (i = 0; i < N; i++) {
		memcpy(key, &i, sizeof(i));
		wg_key_to_hex(hex, key);
		n = snprintf(line, sizeof(line), "public_key=%s", hex);
		cr_assert_eq(wg_uapi_set_feed_line(&s, line, (size_t)n), 0);
		n = snprintf(line, sizeof(line), "allowed_ip=10.%zu.%zu.%zu/32",
			     i >> 16, (i >> 8) & 255, i & 255);
		cr_assert_eq(wg_uapi_set_feed_line(&s, line, (size_t)n), 0);
		want_len += strlen("public_key=\npreshared_key=\n") +
			    2 * WG_KEY_HEX_LEN + (size_t)n + 1 +
			    strlen("protocol_version=1\n"
				   "last_handshake_time_sec=0\n"
				   "last_handshake_time_nsec=0\ntx_bytes=0\n"
				   "rx_bytes=0\npersistent_keepalive_interval=0\n");
	}
	cr_assert_eq(wg_uapi_set_feed_line(&s, "", 0), WG_UAPI_SET_DONE);
	walk = (struct set_walk){ .set = &s };
	dev.ctx = &walk;
	cr_assert_eq(wg_uapi_get_write(&dev, &w), 0);
	cr_expect_eq(sink.len, want_len);
	cr_expect_leq(sink.max_chunk, 4096);
	cr_expect_geq(sink.writes, want_len / 4096);
	/* Spot check the last peer, then the end. */
	memcpy(key, &(size_t){ N - 1 }, sizeof(size_t));
	wg_key_to_hex(hex, key);
	snprintf(line, sizeof(line), "public_key=%s\n", hex);
	cr_expect_not_null(strstr(sink.buf + sink.len - 400, line));
	/* N - 1 = 0x1869f */
	cr_expect_str_eq(sink.buf + sink.len - strlen(tail), tail);
	free(sink.buf);
	wg_uapi_set_free(&s);
}

Test(uapi, get_writer_failure_stops_output)
{
	enum { N = 1000 };
	struct wg_uapi_peer_view *peers = calloc(N, sizeof(*peers));
	struct fixed_peers fp = { .peers = peers, .n = N };
	struct wg_uapi_device_view dev = { .next_peer = fixed_next, .ctx = &fp };
	struct sink sink = { .fail_at = 3 };
	struct wg_uapi_writer w = { .write = sink_write, .ctx = &sink };

	cr_assert_not_null(peers);
	cr_expect_eq(wg_uapi_get_write(&dev, &w), -EIO);
	/* The failing write is the last one attempted. */
	cr_expect_eq(sink.writes, 3);
	cr_expect_lt(fp.next, N);
	free(sink.buf);
	free(peers);
}

Test(uapi, get_peer_source_failure_is_reported)
{
	struct wg_uapi_peer_view peer = { 0 };
	struct fixed_peers fp = { .peers = &peer, .n = 1, .fail = -ENOMEM };
	struct wg_uapi_device_view dev = { .next_peer = fixed_next, .ctx = &fp };
	struct sink sink = { 0 };
	struct wg_uapi_writer w = { .write = sink_write, .ctx = &sink };
	const char *tail = "persistent_keepalive_interval=0\nerrno=-12\n\n";

	cr_expect_eq(wg_uapi_get_write(&dev, &w), -ENOMEM);
	cr_assert_geq(sink.len, strlen(tail));
	cr_expect_str_eq(sink.buf + sink.len - strlen(tail), tail);
	free(sink.buf);
}

Test(uapi, errno_line)
{
	static const struct {
		int err;
		const char *text;
	} cases[] = {
		{ 0, "errno=0\n\n" },
		{ -EINVAL, "errno=-22\n\n" },
		{ -EPROTO, "errno=-71\n\n" },
		{ -EADDRINUSE, "errno=-98\n\n" },
	};
	size_t i;

	for (i = 0; i < DIM(cases); i++) {
		struct sink sink = { 0 };
		struct wg_uapi_writer w = { .write = sink_write, .ctx = &sink };

		cr_expect_eq(wg_uapi_errno_write(&w, cases[i].err), 0);
		cr_expect_str_eq(sink.buf, cases[i].text);
		free(sink.buf);
	}
	{
		struct sink sink = { .fail_at = 1 };
		struct wg_uapi_writer w = { .write = sink_write, .ctx = &sink };

		cr_expect_eq(wg_uapi_errno_write(&w, -EIO), -EIO);
		cr_expect_eq(wg_uapi_errno_write(&w, 0), -EIO);
	}
}

/* ---- scale -------------------------------------------------------------- */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 100,000 peers in one request: the lines are built first, then timed. */
Test(uapi, hundred_thousand_peers_parse_fast, .timeout = 30)
{
	enum { N = 100000, LINES = 5 };
	char *text = malloc((size_t)N * LINES * 100), *p = text;
	uint8_t key[WG_KEY_LEN] = { 0 };
	char hex[WG_KEY_HEX_LEN + 1];
	const char *line, *nl;
	struct wg_uapi_set s;
	double t0, elapsed;
	size_t i;
	int ret = 0;

	cr_assert_not_null(text);
	for (i = 0; i < N; i++) {
		memcpy(key, &i, sizeof(i));
		wg_key_to_hex(hex, key);
		p += sprintf(p, "public_key=%s\nendpoint=198.51.%zu.%zu:51820\n"
			     "persistent_keepalive_interval=25\n"
			     "replace_allowed_ips=true\n"
			     "allowed_ip=10.%zu.%zu.%zu/32\n", hex,
			     (i >> 8) & 255, i & 255, i >> 16, (i >> 8) & 255,
			     i & 255);
	}
	*p++ = '\n';
	*p = '\0';

	wg_uapi_set_init(&s);
	t0 = now_s();
	for (line = text; ret == 0; line = nl + 1) {
		nl = strchr(line, '\n');
		ret = wg_uapi_set_feed_line(&s, line, (size_t)(nl - line));
	}
	elapsed = now_s() - t0;
	cr_assert_eq(ret, WG_UAPI_SET_DONE);
	cr_expect_lt(elapsed, 1.0, "%.3f s", elapsed);
	cr_assert_eq(s.n_peers, N);
	cr_assert_eq(s.n_allowed_ips, N);
	for (i = 0; i < N; i++) {
		const struct wg_uapi_peer *pe = &s.peers[i];
		const struct wg_uapi_allowed_ip *a = wg_uapi_peer_allowed_ips(&s, pe);
		size_t k;

		memcpy(&k, pe->public_key, sizeof(k));
		cr_assert_eq(k, i);
		cr_assert_eq(pe->n_allowed_ips, 1);
		cr_assert_eq(a->addr[1], i >> 16);
		cr_assert_eq(a->addr[3], i & 255);
		cr_assert_eq(pe->endpoint.addr.v4[3], i & 255);
	}
	wg_uapi_set_free(&s);
	free(text);
}

/* ---- garbage ------------------------------------------------------------ */

static const char valid_request[] =
	"private_key=" PRIV "\nlisten_port=51820\nfwmark=3\n"
	"replace_peers=true\npublic_key=" PUB1 "\npreshared_key=" PSK "\n"
	"endpoint=[2001:db8::1]:51820\npersistent_keepalive_interval=25\n"
	"replace_allowed_ips=true\nallowed_ip=10.0.0.0/8\n"
	"allowed_ip=-fd00::/64\nprotocol_version=1\nupdate_only=true\n"
	"public_key=" PUB2 "\nendpoint=192.0.2.1:1\nremove=true\n";

static bool
is_known_error(int ret)
{
	return ret == -EINVAL || ret == -EPROTO || ret == -EIO;
}

/* A complete set must be internally consistent. */
static void
assert_consistent(const struct wg_uapi_set *s)
{
	size_t i, j, next = 0;

	for (i = 0; i < s->n_peers; i++) {
		const struct wg_uapi_peer *p = &s->peers[i];

		cr_assert_eq(p->first_allowed_ip, next);
		next += p->n_allowed_ips;
		for (j = 0; j < p->n_allowed_ips; j++) {
			const struct wg_uapi_allowed_ip *a =
				&s->allowed_ips[p->first_allowed_ip + j];

			cr_assert(a->family == WG_AF_INET ||
				  a->family == WG_AF_INET6);
			cr_assert_leq(a->cidr,
				      a->family == WG_AF_INET ? 32 : 128);
		}
	}
	cr_assert_eq(next, s->n_allowed_ips);
}

Test(uapi, random_garbage_lines_are_errors)
{
	char line[300];
	size_t i, j, len;

	srand(12345);
	for (i = 0; i < 20000; i++) {
		struct wg_uapi_set s;
		int ret;

		len = 1 + (size_t)rand() % (sizeof(line) - 1);
		for (j = 0; j < len; j++)
			line[j] = (char)(rand() & 255);
		/* Never an empty line in disguise. */
		if (line[0] == '\n' || line[0] == '\r')
			line[0] = 'x';
		wg_uapi_set_init(&s);
		if (i & 1)	/* half of them inside a peer section */
			cr_assert_eq(feed_text(&s, "public_key=" PUB1 "\n"), 0);
		ret = wg_uapi_set_feed_line(&s, line, len);
		cr_assert(is_known_error(ret), "got %d", ret);
		assert_failed_empty(&s, ret, "garbage");
		wg_uapi_set_free(&s);
	}
}

/* One request with a mutated line: a known answer, never a crash. */
static void
mutate_and_feed(const char *text, size_t text_len)
{
	char *buf = malloc(text_len + 8);
	size_t pos, n, k;
	struct wg_uapi_set s;
	const char *line, *nl, *end;
	int ret = 0;

	cr_assert_not_null(buf);
	memcpy(buf, text, text_len);
	n = text_len;
	for (k = 0; k < 1 + (size_t)rand() % 3; k++) {
		pos = (size_t)rand() % n;
		switch (rand() % 3) {
		case 0:		/* overwrite */
			buf[pos] = (char)(rand() & 255);
			break;
		case 1:		/* delete */
			memmove(&buf[pos], &buf[pos + 1], n - pos - 1);
			n--;
			break;
		default:	/* insert */
			memmove(&buf[pos + 1], &buf[pos], n - pos);
			buf[pos] = (char)(rand() & 255);
			n++;
		}
	}
	wg_uapi_set_init(&s);
	end = buf + n;
	for (line = buf; ret == 0 && line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (nl == NULL)
			nl = end;
		ret = wg_uapi_set_feed_line(&s, line, (size_t)(nl - line));
	}
	if (ret == 0)
		ret = wg_uapi_set_feed_line(&s, "", 0);
	if (ret == WG_UAPI_SET_DONE)
		assert_consistent(&s);
	else {
		cr_assert(is_known_error(ret), "got %d", ret);
		assert_failed_empty(&s, ret, "mutated");
	}
	wg_uapi_set_free(&s);
	free(buf);
}

Test(uapi, mutated_requests_never_crash)
{
	size_t i;

	srand(4242);
	for (i = 0; i < 20000; i++)
		mutate_and_feed(valid_request, strlen(valid_request));
}
