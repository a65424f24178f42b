/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The device model: every set key and flag as wireguard-go applies it
 * (table-driven, checked through the get text wg(8) would read), peer and
 * allowed-IP semantics, the observer's exact event stream, all-or-nothing
 * under the peer limit, a late parse error and every possible allocation
 * failure, a randomized comparison with a naive reference (and with a
 * mirror built from observer events alone, as the dataplane will build
 * one), wiping, and a 100k-peer apply. Keys here are test values.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "testutil.h"

#define A5X28 "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"
#define K1 "00000001" A5X28
#define K2 "00000002" A5X28
#define K3 "00000003" A5X28
#define PRIV "e879bdb2065b18d4719810e88686802b6b4b92860d83a1ddc7cff11dab791f64"
#define PRIV2 "a8b7a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e4f"
#define PSK "71b12cc3433c16ba0bd2eb8b1c101de853bb145919b9019ff42fe845c6ea5ec8"
#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------------ */

static void
parse(struct wg_uapi_set *s, const char *text)
{
	const char *nl;
	int ret = 0;

	wg_uapi_set_init(s);
	while (ret == 0 && (nl = strchr(text, '\n')) != NULL) {
		ret = wg_uapi_set_feed_line(s, text, (size_t)(nl - text));
		text = nl + 1;
	}
	cr_assert_eq(ret, WG_UAPI_SET_DONE, "request did not parse: %d", ret);
}

static int
apply_text(struct wg_device *d, const char *text)
{
	struct wg_uapi_set s;
	int ret;

	parse(&s, text);
	ret = wg_device_apply(d, &s);
	wg_uapi_set_free(&s);
	return ret;
}

static void
unhex(uint8_t key[WG_KEY_LEN], const char *hex)
{
	cr_assert_eq(wg_key_from_hex(key, hex), 0);
}

static uint32_t
label_of_private(const char *priv_hex)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];

	unhex(priv, priv_hex);
	cr_assert_eq(wg_key_public_from_private(pub, priv), 0);
	return key_label(pub);
}

static const char *
public_hex_of(char out[WG_KEY_HEX_LEN + 1], const char *priv_hex)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];

	unhex(priv, priv_hex);
	cr_assert_eq(wg_key_public_from_private(pub, priv), 0);
	wg_key_to_hex(out, pub);
	return out;
}

/* ---- the observer: a recorder and a mirror ------------------------------ */

enum { MIRROR_PEERS = 64, MIRROR_PREFIXES = 64 };

struct mirror_peer {
	bool live;
	uint8_t key[WG_KEY_LEN];
	uint8_t psk[WG_KEY_LEN];
	struct wg_endpoint ep;
	uint16_t ka;
};

struct mirror_prefix {
	bool live;
	struct wg_uapi_allowed_ip prefix;
	uint32_t owner;
};

static struct sbuf events;
static struct mirror_peer mpeers[MIRROR_PEERS];
static struct mirror_prefix mprefixes[MIRROR_PREFIXES];
static int in_apply;

static void
endpoint_text(char *out, size_t cap, const struct wg_endpoint *e)
{
	char ip[INET6_ADDRSTRLEN];

	if (e->family == WG_AF_NONE) {
		snprintf(out, cap, "-");
		return;
	}
	inet_ntop(e->family == WG_AF_INET ? AF_INET : AF_INET6, e->addr.v6, ip,
		  sizeof(ip));
	snprintf(out, cap, e->family == WG_AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
		 e->port);
}

static struct mirror_prefix *
mirror_prefix_find(const struct wg_uapi_allowed_ip *a)
{
	size_t i;

	for (i = 0; i < MIRROR_PREFIXES; i++)
		if (mprefixes[i].live && mprefixes[i].prefix.family == a->family &&
		    mprefixes[i].prefix.cidr == a->cidr &&
		    memcmp(mprefixes[i].prefix.addr, a->addr, 16) == 0)
			return &mprefixes[i];
	return NULL;
}

static void
ob_begin(void *ctx)
{
	(void)ctx;
	cr_assert_eq(in_apply, 0);
	in_apply = 1;
	sb_printf(&events, "begin\n");
}

static void
ob_end(void *ctx)
{
	(void)ctx;
	cr_assert_eq(in_apply, 1);
	in_apply = 0;
	sb_printf(&events, "end\n");
}

static void
ob_identity(void *ctx, const struct wg_noise_identity *id)
{
	(void)ctx;
	cr_assert_eq(in_apply, 1);
	sb_printf(&events, "identity %d %08x\n", id->has_identity,
		  key_label(id->static_public));
}

static void
ob_port(void *ctx, uint16_t old_port, uint16_t new_port)
{
	(void)ctx;
	cr_assert_neq(old_port, new_port);
	sb_printf(&events, "port %u->%u\n", old_port, new_port);
}

static void
ob_fwmark(void *ctx, uint32_t old_mark, uint32_t new_mark)
{
	(void)ctx;
	cr_assert_neq(old_mark, new_mark);
	sb_printf(&events, "fwmark %u->%u\n", old_mark, new_mark);
}

static void
ob_peer_added(void *ctx, const struct wg_device_peer *p)
{
	char ep[64];

	(void)ctx;
	cr_assert_eq(in_apply, 1);
	endpoint_text(ep, sizeof(ep), &p->endpoint);
	sb_printf(&events, "add %u %08x psk=%d ep=%s ka=%u\n", p->id,
		  key_label(p->public_key), !wg_key_is_zero(p->preshared_key),
		  ep, p->persistent_keepalive);
	cr_assert_eq(p->n_allowed_ips, 0);
	if (p->id >= MIRROR_PEERS)
		return;
	cr_assert(!mpeers[p->id].live, "slot %u added twice", p->id);
	mpeers[p->id].live = true;
	memcpy(mpeers[p->id].key, p->public_key, WG_KEY_LEN);
	memcpy(mpeers[p->id].psk, p->preshared_key, WG_KEY_LEN);
	mpeers[p->id].ep = p->endpoint;
	mpeers[p->id].ka = p->persistent_keepalive;
}

static void
ob_peer_removed(void *ctx, const struct wg_device_peer *p)
{
	size_t i;

	(void)ctx;
	sb_printf(&events, "del %u %08x\n", p->id, key_label(p->public_key));
	cr_assert_eq(p->n_allowed_ips, 0);
	if (p->id >= MIRROR_PEERS)
		return;
	cr_assert(mpeers[p->id].live);
	for (i = 0; i < MIRROR_PREFIXES; i++)
		cr_assert(!mprefixes[i].live || mprefixes[i].owner != p->id,
			  "removed peer still owns a prefix");
	memset(&mpeers[p->id], 0, sizeof(mpeers[p->id]));
}

static void
ob_psk(void *ctx, const struct wg_device_peer *p)
{
	(void)ctx;
	sb_printf(&events, "psk %08x %s\n", key_label(p->public_key),
		  wg_key_is_zero(p->preshared_key) ? "none" : "set");
	if (p->id < MIRROR_PEERS)
		memcpy(mpeers[p->id].psk, p->preshared_key, WG_KEY_LEN);
}

static void
ob_endpoint(void *ctx, const struct wg_device_peer *p)
{
	char ep[64];

	(void)ctx;
	endpoint_text(ep, sizeof(ep), &p->endpoint);
	sb_printf(&events, "endpoint %08x %s\n", key_label(p->public_key), ep);
	if (p->id < MIRROR_PEERS)
		mpeers[p->id].ep = p->endpoint;
}

static void
ob_keepalive(void *ctx, const struct wg_device_peer *p, uint16_t old)
{
	(void)ctx;
	cr_assert_neq(old, p->persistent_keepalive);
	sb_printf(&events, "keepalive %08x %u->%u\n", key_label(p->public_key),
		  old, p->persistent_keepalive);
	if (p->id < MIRROR_PEERS) {
		cr_assert_eq(mpeers[p->id].ka, old);
		mpeers[p->id].ka = p->persistent_keepalive;
	}
}

static void
ob_aip_added(void *ctx, const struct wg_device_peer *p,
	     const struct wg_uapi_allowed_ip *a, const struct wg_device_peer *from)
{
	struct mirror_prefix *m = mirror_prefix_find(a);
	char txt[64];
	size_t i;

	(void)ctx;
	prefix_text(txt, sizeof(txt), a);
	if (from != NULL)
		sb_printf(&events, "aip+ %08x %s from %08x\n",
			  key_label(p->public_key), txt,
			  key_label(from->public_key));
	else
		sb_printf(&events, "aip+ %08x %s\n", key_label(p->public_key),
			  txt);
	cr_assert_neq(from, p);
	if (from == NULL) {
		cr_assert_null(m, "new prefix %s was already owned", txt);
		for (i = 0; i < MIRROR_PREFIXES && mprefixes[i].live; i++)
			;
		if (i == MIRROR_PREFIXES)
			return;
		m = &mprefixes[i];
		m->live = true;
		m->prefix = *a;
	} else if (m == NULL) {
		return;
	} else {
		cr_assert_eq(m->owner, from->id, "moved from the wrong owner");
	}
	m->owner = p->id;
}

static void
ob_aip_removed(void *ctx, const struct wg_device_peer *p,
	       const struct wg_uapi_allowed_ip *a)
{
	struct mirror_prefix *m = mirror_prefix_find(a);
	char txt[64];

	(void)ctx;
	prefix_text(txt, sizeof(txt), a);
	sb_printf(&events, "aip- %08x %s\n", key_label(p->public_key), txt);
	if (m != NULL) {
		cr_assert_eq(m->owner, p->id);
		m->live = false;
	}
}

static const struct wg_device_observer observer = {
	.apply_begin = ob_begin,
	.apply_end = ob_end,
	.identity_changed = ob_identity,
	.listen_port_changed = ob_port,
	.fwmark_changed = ob_fwmark,
	.peer_added = ob_peer_added,
	.peer_removed = ob_peer_removed,
	.peer_psk_changed = ob_psk,
	.peer_endpoint_changed = ob_endpoint,
	.peer_keepalive_changed = ob_keepalive,
	.allowed_ip_added = ob_aip_added,
	.allowed_ip_removed = ob_aip_removed,
};

static struct wg_device *
new_device(uint32_t max_peers)
{
	struct wg_device_config cfg = {
		.max_peers = max_peers, .observer = &observer,
	};
	struct wg_device *d;

	cr_assert_eq(wg_device_create(&d, &cfg), 0);
	return d;
}

static char *
take_events(void)
{
	return sb_take(&events);
}

/* Forgets the events so far; the mirror goes on tracking the device. */
static void
clear_events(void)
{
	free(take_events());
}

/* The mirror built from events alone equals the model. */
static void
assert_mirror_matches(const struct wg_device *d)
{
	const struct wg_device_peer *p, *owner;
	uint32_t live = 0;
	size_t i, prefixes = 0;

	for (i = 0; i < MIRROR_PEERS; i++) {
		p = wg_device_peer_get(d, (uint32_t)i);
		cr_assert_eq(mpeers[i].live, p != NULL, "slot %zu", i);
		if (p == NULL)
			continue;
		live++;
		cr_assert(memcmp(mpeers[i].key, p->public_key, WG_KEY_LEN) == 0);
		cr_assert(memcmp(mpeers[i].psk, p->preshared_key, WG_KEY_LEN) == 0);
		cr_assert(wg_endpoint_equal(&mpeers[i].ep, &p->endpoint));
		cr_assert_eq(mpeers[i].ka, p->persistent_keepalive);
	}
	cr_assert_eq(live, wg_device_peer_count(d));
	for (i = 0; i < MIRROR_PREFIXES; i++) {
		if (!mprefixes[i].live)
			continue;
		prefixes++;
		owner = wg_device_allowed_ip_owner(d, &mprefixes[i].prefix);
		cr_assert_not_null(owner);
		cr_assert_eq(owner->id, mprefixes[i].owner);
	}
	cr_assert_eq(prefixes, wg_device_allowed_ip_count(d));
}

static void
reset_observer(void)
{
	free(take_events());
	memset(mpeers, 0, sizeof(mpeers));
	memset(mprefixes, 0, sizeof(mprefixes));
	in_apply = 0;
}

/* ---- every key and flag, table-driven ----------------------------------- */

#define PEER_HEAD(key, psk) \
	"public_key=" key "\npreshared_key=" psk "\nprotocol_version=1\n"
#define PEER_TAIL(ka) \
	"last_handshake_time_sec=0\nlast_handshake_time_nsec=0\n" \
	"tx_bytes=0\nrx_bytes=0\npersistent_keepalive_interval=" ka "\n"
#define PEER(key, psk, ep, ka, aips) PEER_HEAD(key, psk) ep PEER_TAIL(ka) aips
#define END "errno=0\n\n"

struct key_case {
	const char *name;
	const char *setup;	/* applied first; NULL: none */
	const char *request;
	const char *want;	/* the get answer afterwards */
};

static const struct key_case key_cases[] = {
	{ "private_key", NULL, "private_key=" PRIV "\n\n",
	  "private_key=" PRIV "\n" END },
	{ "private_key zero removes it", "private_key=" PRIV "\n\n",
	  "private_key=" ZERO "\n\n", END },
	{ "listen_port", NULL, "listen_port=51820\n\n", "listen_port=51820\n" END },
	{ "fwmark", NULL, "fwmark=4294967295\n\n", "fwmark=4294967295\n" END },
	{ "fwmark 0 is off", "fwmark=7\n\n", "fwmark=0\n\n", END },
	{ "a bare peer", NULL, "public_key=" K1 "\n\n",
	  PEER(K1, ZERO, "", "0", "") END },
	{ "protocol_version", NULL, "public_key=" K1 "\nprotocol_version=1\n\n",
	  PEER(K1, ZERO, "", "0", "") END },
	{ "preshared_key", NULL, "public_key=" K1 "\npreshared_key=" PSK "\n\n",
	  PEER(K1, PSK, "", "0", "") END },
	{ "preshared_key zero removes it",
	  "public_key=" K1 "\npreshared_key=" PSK "\n\n",
	  "public_key=" K1 "\npreshared_key=" ZERO "\n\n",
	  PEER(K1, ZERO, "", "0", "") END },
	{ "endpoint v4", NULL, "public_key=" K1 "\nendpoint=192.0.2.1:51820\n\n",
	  PEER(K1, ZERO, "endpoint=192.0.2.1:51820\n", "0", "") END },
	{ "endpoint v6 replaces v4",
	  "public_key=" K1 "\nendpoint=192.0.2.1:51820\n\n",
	  "public_key=" K1 "\nendpoint=[2001:db8::1]:443\n\n",
	  PEER(K1, ZERO, "endpoint=[2001:db8::1]:443\n", "0", "") END },
	{ "persistent_keepalive_interval", NULL,
	  "public_key=" K1 "\npersistent_keepalive_interval=25\n\n",
	  PEER(K1, ZERO, "", "25", "") END },
	{ "persistent_keepalive_interval 0 is off",
	  "public_key=" K1 "\npersistent_keepalive_interval=25\n\n",
	  "public_key=" K1 "\npersistent_keepalive_interval=0\n\n",
	  PEER(K1, ZERO, "", "0", "") END },
	{ "allowed_ip v4 and v6, host bits masked", NULL,
	  "public_key=" K1 "\nallowed_ip=10.1.2.3/24\nallowed_ip=fd00::1/64\n\n",
	  PEER(K1, ZERO, "", "0",
	       "allowed_ip=10.1.2.0/24\nallowed_ip=fd00::/64\n") END },
	{ "allowed_ip added twice is one",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\n\n",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.0.0.0/8\n\n",
	  PEER(K1, ZERO, "", "0", "allowed_ip=10.0.0.0/8\n") END },
	{ "allowed_ip=-prefix removes it",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.1.0.0/16\n\n",
	  "public_key=" K1 "\nallowed_ip=-10.0.0.0/8\n\n",
	  PEER(K1, ZERO, "", "0", "allowed_ip=10.1.0.0/16\n") END },
	{ "allowed_ip=-prefix of another peer is ignored",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\npublic_key=" K2 "\n\n",
	  "public_key=" K2 "\nallowed_ip=-10.0.0.0/8\n\n",
	  PEER(K1, ZERO, "", "0", "allowed_ip=10.0.0.0/8\n")
	  PEER(K2, ZERO, "", "0", "") END },
	{ "replace_allowed_ips",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.1.0.0/16\n\n",
	  "public_key=" K1 "\nreplace_allowed_ips=true\nallowed_ip=10.1.0.0/16\n"
	  "allowed_ip=fd00::/8\n\n",
	  PEER(K1, ZERO, "", "0",
	       "allowed_ip=10.1.0.0/16\nallowed_ip=fd00::/8\n") END },
	{ "replace_allowed_ips with nothing empties",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\n\n",
	  "public_key=" K1 "\nreplace_allowed_ips=true\n\n",
	  PEER(K1, ZERO, "", "0", "") END },
	{ "replace_allowed_ips then -prefix of a dropped one",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.1.0.0/16\n\n",
	  "public_key=" K1 "\nreplace_allowed_ips=true\nallowed_ip=-10.0.0.0/8\n"
	  "allowed_ip=10.0.0.0/8\nallowed_ip=-10.1.0.0/16\n\n",
	  PEER(K1, ZERO, "", "0", "allowed_ip=10.0.0.0/8\n") END },
	{ "allowed_ip moves between peers",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\nallowed_ip=10.1.0.0/16\n"
	  "public_key=" K2 "\n\n",
	  "public_key=" K2 "\nallowed_ip=10.0.0.0/8\n\n",
	  PEER(K1, ZERO, "", "0", "allowed_ip=10.1.0.0/16\n")
	  PEER(K2, ZERO, "", "0", "allowed_ip=10.0.0.0/8\n") END },
	{ "update_only on a present peer updates it", "public_key=" K1 "\n\n",
	  "public_key=" K1 "\nupdate_only=true\npersistent_keepalive_interval=5\n\n",
	  PEER(K1, ZERO, "", "5", "") END },
	{ "update_only on an absent peer is ignored", "public_key=" K1 "\n\n",
	  "public_key=" K2 "\nupdate_only=true\nallowed_ip=10.0.0.0/8\n\n",
	  PEER(K1, ZERO, "", "0", "") END },
	{ "remove", "public_key=" K1 "\nallowed_ip=10.0.0.0/8\npublic_key=" K2 "\n\n",
	  "public_key=" K1 "\nremove=true\n\n",
	  PEER(K2, ZERO, "", "0", "") END },
	{ "remove ignores the section's other lines", "public_key=" K2 "\n\n",
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\nremove=true\n"
	  "persistent_keepalive_interval=9\n\n",
	  PEER(K2, ZERO, "", "0", "") END },
	{ "remove then add again", "public_key=" K1 "\nallowed_ip=10.0.0.0/8\n\n",
	  "public_key=" K1 "\nremove=true\npublic_key=" K1 "\nallowed_ip=10.2.0.0/16\n\n",
	  PEER(K1, ZERO, "", "0", "allowed_ip=10.2.0.0/16\n") END },
	{ "remove of an absent peer is ignored", "public_key=" K2 "\n\n",
	  "public_key=" K1 "\nremove=true\n\n", PEER(K2, ZERO, "", "0", "") END },
	{ "replace_peers", "public_key=" K1 "\nallowed_ip=10.0.0.0/8\n\n",
	  "replace_peers=true\npublic_key=" K2 "\nallowed_ip=10.0.0.0/8\n\n",
	  PEER(K2, ZERO, "", "0", "allowed_ip=10.0.0.0/8\n") END },
	{ "replace_peers alone empties", "public_key=" K1 "\n\n",
	  "replace_peers=true\n\n", END },
	{ "same peer in two sections", NULL,
	  "public_key=" K1 "\nallowed_ip=10.0.0.0/8\npublic_key=" K1 "\n"
	  "allowed_ip=10.1.0.0/16\npersistent_keepalive_interval=3\n\n",
	  PEER(K1, ZERO, "", "3",
	       "allowed_ip=10.0.0.0/8\nallowed_ip=10.1.0.0/16\n") END },
	{ "empty set changes nothing", "listen_port=1\n\n", "\n",
	  "listen_port=1\n" END },
};

Test(device, every_key_and_flag)
{
	size_t i;

	for (i = 0; i < DIM(key_cases); i++) {
		const struct key_case *c = &key_cases[i];
		struct wg_device *d = new_device(0);
		char *got;

		if (c->setup != NULL)
			cr_assert_eq(apply_text(d, c->setup), 0, "%s", c->name);
		cr_assert_eq(apply_text(d, c->request), 0, "%s", c->name);
		got = device_get_text(d);
		cr_assert_str_eq(got, c->want, "case '%s'", c->name);
		free(got);
		wg_device_destroy(d);
		reset_observer();
	}
}

/* listen_port=0 asks for a free port: one of the dynamic range is chosen,
 * get reports it and the observer (the dataplane) hears it, as wireguard-go
 * binds port 0 and reports the kernel's choice. */
Test(device, listen_port_zero_picks_a_dynamic_port)
{
	struct wg_device *d = new_device(0);
	char want[64], *got;
	uint16_t port;

	cr_assert_eq(apply_text(d, "listen_port=51820\n\n"), 0);
	cr_assert_eq(apply_text(d, "listen_port=0\n\n"), 0);
	port = wg_device_listen_port(d);
	cr_assert(port >= 49152, "port %u", port);
	snprintf(want, sizeof(want), "listen_port=%u\nerrno=0\n\n", port);
	got = device_get_text(d);
	cr_assert_str_eq(got, want);
	free(got);
	if (port != 51820) {
		snprintf(want, sizeof(want), "port 51820->%u\n", port);
		cr_assert_not_null(strstr(events.p, want), "%s", events.p);
	}
	wg_device_destroy(d);
	reset_observer();
}

/* ---- own key ------------------------------------------------------------ */

Test(device, own_public_key_section_is_ignored)
{
	struct wg_device *d = new_device(0);
	char pub[WG_KEY_HEX_LEN + 1], req[512];
	char *got;

	public_hex_of(pub, PRIV);
	snprintf(req, sizeof(req), "private_key=" PRIV "\npublic_key=%s\n"
		 "allowed_ip=10.0.0.0/8\npublic_key=" K1 "\n\n", pub);
	cr_assert_eq(apply_text(d, req), 0);
	got = device_get_text(d);
	cr_assert_str_eq(got, "private_key=" PRIV "\n" PEER(K1, ZERO, "", "0", "") END);
	free(got);
	cr_assert_eq(wg_device_allowed_ip_count(d), 0);
	wg_device_destroy(d);
}

Test(device, private_key_change_removes_the_peer_that_is_now_us)
{
	struct wg_device *d = new_device(0);
	char pub2[WG_KEY_HEX_LEN + 1], req[512], want[512];
	char *got;
	uint32_t l2 = label_of_private(PRIV2), l1 = label_of_private(PRIV);

	public_hex_of(pub2, PRIV2);
	snprintf(req, sizeof(req), "private_key=" PRIV "\npublic_key=%s\n"
		 "allowed_ip=10.0.0.0/8\npublic_key=" K1 "\n\n", pub2);
	cr_assert_eq(apply_text(d, req), 0);
	cr_assert_eq(wg_device_peer_count(d), 2);
	/* The same key again is no change: nothing removed. */
	clear_events();
	cr_assert_eq(apply_text(d, "private_key=" PRIV "\n\n"), 0);
	got = take_events();
	cr_assert_str_eq(got, "begin\nend\n");
	free(got);
	cr_assert_eq(apply_text(d, "private_key=" PRIV2 "\n\n"), 0);
	got = take_events();
	snprintf(want, sizeof(want), "begin\naip- %08x 10.0.0.0/8\ndel 0 %08x\n"
		 "identity 1 %08x\nend\n", l2, l2, l2);
	cr_assert_str_eq(got, want);
	free(got);
	cr_assert_eq(wg_device_peer_count(d), 1);
	cr_assert_eq(wg_device_allowed_ip_count(d), 0);
	cr_assert_neq(l1, l2);
	wg_device_destroy(d);
}

/* ---- the observer's event stream ---------------------------------------- */

struct event_step {
	const char *request;
	int ret;
	const char *events;
};

Test(device, observer_sees_exactly_the_changes)
{
	static const struct event_step steps[] = {
		{ "listen_port=1\npublic_key=" K1 "\npreshared_key=" PSK "\n"
		  "endpoint=192.0.2.1:1\npersistent_keepalive_interval=25\n"
		  "allowed_ip=10.0.0.0/24\nallowed_ip=10.0.1.0/24\n"
		  "public_key=" K2 "\nallowed_ip=10.0.1.0/24\n\n", 0,
		  "begin\nport 0->1\n"
		  "add 0 00000001 psk=1 ep=192.0.2.1:1 ka=25\n"
		  "aip+ 00000001 10.0.0.0/24\naip+ 00000001 10.0.1.0/24\n"
		  "add 1 00000002 psk=0 ep=- ka=0\n"
		  "aip+ 00000002 10.0.1.0/24 from 00000001\nend\n" },
		/* Equal values: only the endpoint speaks (it may have roamed);
		 * replace keeps 10.0.0.0/24 in place and adds one. */
		{ "listen_port=1\npublic_key=" K1 "\npreshared_key=" PSK "\n"
		  "endpoint=192.0.2.1:1\npersistent_keepalive_interval=25\n"
		  "replace_allowed_ips=true\nallowed_ip=10.0.0.0/24\n"
		  "allowed_ip=10.0.2.0/24\n\n", 0,
		  "begin\nendpoint 00000001 192.0.2.1:1\n"
		  "aip+ 00000001 10.0.2.0/24\nend\n" },
		{ "public_key=" K1 "\nreplace_allowed_ips=true\n"
		  "allowed_ip=10.0.2.0/24\n\n", 0,
		  "begin\naip- 00000001 10.0.0.0/24\nend\n" },
		{ "public_key=" K2 "\nremove=true\n\n", 0,
		  "begin\naip- 00000002 10.0.1.0/24\ndel 1 00000002\nend\n" },
		{ "public_key=" K1 "\npersistent_keepalive_interval=0\n"
		  "preshared_key=" ZERO "\nendpoint=[2001:db8::1]:7\n\n", 0,
		  "begin\npsk 00000001 none\nendpoint 00000001 [2001:db8::1]:7\n"
		  "keepalive 00000001 25->0\nend\n" },
		/* Slot 1 was freed first, so K3 gets it (FIFO reuse). */
		{ "replace_peers=true\nfwmark=5\npublic_key=" K3 "\n\n", 0,
		  "begin\nfwmark 0->5\naip- 00000001 10.0.2.0/24\n"
		  "del 0 00000001\nadd 1 00000003 psk=0 ep=- ka=0\nend\n" },
		/* Over the limit of 3: nothing at all. */
		{ "public_key=" K1 "\npublic_key=" K2 "\npublic_key=00000004"
		  A5X28 "\n\n", -ENOSPC, "" },
		{ "public_key=" K1 "\npublic_key=" K2 "\n\n", 0,
		  "begin\nadd 0 00000001 psk=0 ep=- ka=0\n"
		  "add 2 00000002 psk=0 ep=- ka=0\nend\n" },
		{ "public_key=" K3 "\nupdate_only=true\nallowed_ip=::/0\n"
		  "public_key=00000009" A5X28 "\nupdate_only=true\n\n", 0,
		  "begin\naip+ 00000003 ::/0\nend\n" },
	};
	struct wg_device *d = new_device(3);
	size_t i;
	char *got;

	for (i = 0; i < DIM(steps); i++) {
		cr_assert_eq(apply_text(d, steps[i].request), steps[i].ret,
			     "step %zu", i);
		got = take_events();
		cr_assert_str_eq(got, steps[i].events, "step %zu", i);
		free(got);
		assert_mirror_matches(d);
	}
	wg_device_destroy(d);
}

/* ---- all or nothing ----------------------------------------------------- */

static char *
many_peers_request(uint32_t first, uint32_t n, bool replace)
{
	struct sbuf sb = { 0 };
	char hex[WG_KEY_HEX_LEN + 1];
	uint32_t i;

	if (replace)
		sb_printf(&sb, "replace_peers=true\n");
	for (i = first; i < first + n; i++)
		sb_printf(&sb, "public_key=%s\nendpoint=192.0.2.%u:%u\n"
			  "allowed_ip=10.%u.%u.%u/32\n", test_key_hex(hex, i),
			  i % 250 + 1, i % 65535 + 1, (i >> 16) & 255,
			  (i >> 8) & 255, i & 255);
	sb_printf(&sb, "\n");
	return sb_take(&sb);
}

static char *
remove_request(uint32_t first, uint32_t n)
{
	struct sbuf sb = { 0 };
	char hex[WG_KEY_HEX_LEN + 1];
	uint32_t i;

	for (i = first; i < first + n; i++)
		sb_printf(&sb, "public_key=%s\nremove=true\n",
			  test_key_hex(hex, i));
	return sb_take(&sb);
}

/* The limit counts peers at every step, as wireguard-go's NewPeer does. */
Test(device, peer_limit_is_all_or_nothing_at_the_peak)
{
	struct wg_device *d = new_device(100);
	char *setup = many_peers_request(0, 50, false);
	char *before, *after, *adds = many_peers_request(1000, 60, false);
	char *rm5 = remove_request(0, 5), *rm10 = remove_request(0, 10);
	struct sbuf req = { 0 };

	cr_assert_eq(apply_text(d, setup), 0);
	clear_events();
	before = device_dump(d);

	/* 50 - 5 + 60 = 105 > 100. */
	sb_append(&req, rm5, strlen(rm5));
	sb_append(&req, adds, strlen(adds));
	cr_assert_eq(apply_text(d, req.p), -ENOSPC);
	after = device_dump(d);
	cr_assert_str_eq(after, before);
	cr_assert_eq(events.len, 0, "a failed apply was heard");
	free(after);

	/* Adds before removes: the peak is 110 though the end would be 100. */
	free(req.p);
	memset(&req, 0, sizeof(req));
	sb_append(&req, adds, strlen(adds) - 1);
	sb_append(&req, rm10, strlen(rm10));
	sb_append(&req, "\n", 1);
	cr_assert_eq(apply_text(d, req.p), -ENOSPC);
	after = device_dump(d);
	cr_assert_str_eq(after, before);
	free(after);

	/* 50 - 10 + 60 = 100: exactly the limit. */
	free(req.p);
	memset(&req, 0, sizeof(req));
	sb_append(&req, rm10, strlen(rm10));
	sb_append(&req, adds, strlen(adds));
	cr_assert_eq(apply_text(d, req.p), 0);
	cr_assert_eq(wg_device_peer_count(d), 100);
	cr_assert_eq(wg_device_allowed_ip_count(d), 100);

	free(req.p);
	free(before);
	free(setup);
	free(adds);
	free(rm5);
	free(rm10);
	wg_device_destroy(d);
}

/* An observer whose own tables take reserve_refuses prefixes no more. */
static struct sbuf demand;
static int reserve_answer;

static int
ob_reserve(void *ctx, const struct wg_device_prefix_demand *d)
{
	char txt[64];
	size_t i;

	(void)ctx;
	cr_assert_eq(events.len, 0, "reserve_prefixes after an event");
	sb_printf(&demand, "from_empty=%d", d->from_empty);
	for (i = 0; i < d->n; i++) {
		prefix_text(txt, sizeof(txt), d->prefixes[i]);
		sb_printf(&demand, " %s", txt);
	}
	return reserve_answer;
}

static void
demand_is(const char *want)
{
	char *got = sb_take(&demand);

	cr_assert_str_eq(got, want);
	free(got);
}

/*
 * reserve_prefixes hears what the set may add that the table does not
 * hold (a move and a prefix given again are not listed; with
 * replace_peers every add is, from empty) before any event, and its
 * refusal fails the apply whole: its errno, the model unchanged, no event.
 */
Test(device, observer_reservation_refuses_the_whole_set)
{
	struct wg_device_observer obs = observer;
	struct wg_device_config cfg = { .observer = &obs };
	const char *req = "public_key=" K1 "\nallowed_ip=10.0.0.2/32\n"
			  "allowed_ip=10.0.0.1/32\nallowed_ip=10.0.0.3/32\n"
			  "allowed_ip=-10.0.0.9/32\n"
			  "public_key=" K3 "\nallowed_ip=fd00::/64\n\n";
	char *before, *after;
	struct wg_device *d;

	obs.reserve_prefixes = ob_reserve;
	cr_assert_eq(wg_device_create(&d, &cfg), 0);
	cr_assert_eq(apply_text(d, "public_key=" K1 "\nallowed_ip=10.0.0.1/32\n"
				"public_key=" K2 "\nallowed_ip=10.0.0.2/32\n\n"), 0);
	demand_is("from_empty=0 10.0.0.1/32 10.0.0.2/32");
	clear_events();
	before = device_dump(d);

	reserve_answer = -ENOSPC;
	cr_assert_eq(apply_text(d, req), -ENOSPC);
	demand_is("from_empty=0 10.0.0.3/32 fd00::/64");
	after = device_dump(d);
	cr_assert_str_eq(after, before);
	cr_assert_eq(events.len, 0, "a refused apply was heard");
	free(after);

	reserve_answer = 0;
	cr_assert_eq(apply_text(d, req), 0);
	demand_is("from_empty=0 10.0.0.3/32 fd00::/64");
	cr_assert_eq(wg_device_allowed_ip_count(d), 4);
	clear_events();
	cr_assert_eq(apply_text(d, "replace_peers=true\npublic_key=" K2 "\n"
				"allowed_ip=10.0.0.2/32\n\n"), 0);
	demand_is("from_empty=1 10.0.0.2/32");
	clear_events();
	cr_assert_eq(apply_text(d, "public_key=" K2 "\nremove=true\n\n"), 0);
	demand_is("from_empty=0");
	free(before);
	clear_events();
	wg_device_destroy(d);
}

Test(device, a_late_invalid_line_applies_nothing)
{
	struct wg_device *d = new_device(0);
	char *setup = many_peers_request(0, 10, false);
	char *req = many_peers_request(100, 2000, true), *before, *after;
	struct wg_uapi_set s;
	const char *text = req, *nl;
	int ret = 0;

	cr_assert_eq(apply_text(d, setup), 0);
	before = device_dump(d);
	/* Everything but the final empty line, then a bad value. */
	wg_uapi_set_init(&s);
	while (ret == 0 && (nl = strchr(text, '\n')) != NULL && nl != text) {
		ret = wg_uapi_set_feed_line(&s, text, (size_t)(nl - text));
		text = nl + 1;
	}
	cr_assert_eq(ret, 0);
	cr_assert_eq(wg_uapi_set_feed_line(&s, "endpoint=1.2.3.4", 16), -EINVAL);
	cr_assert_eq(wg_device_apply(d, &s), -EINVAL);
	wg_uapi_set_free(&s);
	after = device_dump(d);
	cr_assert_str_eq(after, before);
	free(after);
	free(before);
	free(req);
	free(setup);
	wg_device_destroy(d);
}

/* ---- every allocation failure ------------------------------------------- */

struct test_alloc {
	long fail_at;		/* the allocation with this number fails */
	long count;
	long live;
	size_t peer_frees;
};

static void *
t_alloc(void *ctx, size_t size)
{
	struct test_alloc *a = ctx;

	if (a->count++ == a->fail_at)
		return NULL;
	a->live++;
	return calloc(1, size);
}

/* Every freed peer record must already be wiped. */
static void
t_free(void *ctx, void *p, size_t size)
{
	struct test_alloc *a = ctx;
	const unsigned char *b = p;
	size_t i;

	if (size == sizeof(struct wg_device_peer)) {
		for (i = 0; i < size; i++)
			cr_assert_eq(b[i], 0, "peer freed unwiped (byte %zu)", i);
		a->peer_frees++;
	}
	a->live--;
	free(p);
}

static struct wg_device *
alloc_device(struct test_alloc *a, const struct wg_device_allocator *mem,
	     const struct wg_device_observer *obs)
{
	struct wg_device_config cfg = {
		.observer = obs, .allocator = mem, .max_peers = 4096,
	};
	struct wg_device *d;

	a->fail_at = -1;
	cr_assert_eq(wg_device_create(&d, &cfg), 0);
	return d;
}

Test(device, every_allocation_failure_leaves_the_device_unchanged)
{
	struct test_alloc a = { 0 }, ref_a = { 0 };
	const struct wg_device_allocator mem = { t_alloc, t_free, &a };
	const struct wg_device_allocator ref_mem = { t_alloc, t_free, &ref_a };
	struct wg_device *d = alloc_device(&a, &mem, &observer);
	struct wg_device *ref = alloc_device(&ref_a, &ref_mem, NULL);
	char *setup = many_peers_request(0, 20, false);
	/* Grows both tables, creates, removes, moves prefixes. */
	char *more = many_peers_request(10, 200, false);
	char *req, *before, *after, *want;
	struct sbuf sb = { 0 };
	long k;
	int ret = -ENOMEM;

	sb_printf(&sb, "private_key=" PRIV "\npublic_key=" K1 "\nremove=true\n");
	sb_append(&sb, more, strlen(more));
	req = sb_take(&sb);
	cr_assert_eq(apply_text(d, setup), 0);
	cr_assert_eq(apply_text(ref, setup), 0);
	cr_assert_eq(apply_text(ref, req), 0);
	want = device_dump(ref);
	before = device_dump(d);
	clear_events();
	for (k = 0; ret == -ENOMEM; k++) {
		a.count = 0;
		a.fail_at = k;
		ret = apply_text(d, req);
		if (ret == -ENOMEM) {
			after = device_dump(d);
			cr_assert_str_eq(after, before, "allocation %ld failed", k);
			cr_assert_eq(events.len, 0);
			free(after);
		}
	}
	cr_assert_eq(ret, 0);
	cr_assert_gt(k, 200, "only %ld allocations were tried", k);
	after = device_dump(d);
	cr_assert_str_eq(after, want);
	free(after);
	wg_device_destroy(d);
	wg_device_destroy(ref);
	cr_assert_eq(a.live, 0, "leaked %ld blocks", a.live);
	cr_assert_eq(ref_a.live, 0);
	cr_assert_geq(a.peer_frees, 220);
	free(want);
	free(before);
	free(req);
	free(more);
	free(setup);
}

/* ---- wiping ------------------------------------------------------------- */

Test(device, removed_peers_and_destroyed_devices_are_wiped)
{
	struct test_alloc a = { 0 };
	const struct wg_device_allocator mem = { t_alloc, t_free, &a };
	struct wg_device *d = alloc_device(&a, &mem, &observer);

	cr_assert_eq(apply_text(d, "private_key=" PRIV "\npublic_key=" K1 "\n"
				"preshared_key=" PSK "\npublic_key=" K2 "\n"
				"preshared_key=" PSK "\n\n"), 0);
	cr_assert_eq(apply_text(d, "public_key=" K1 "\nremove=true\n\n"), 0);
	cr_assert_eq(a.peer_frees, 1);
	cr_assert_eq(apply_text(d, "replace_peers=true\n\n"), 0);
	cr_assert_eq(a.peer_frees, 2);
	cr_assert_eq(apply_text(d, "public_key=" K3 "\npreshared_key=" PSK "\n\n"),
		     0);
	wg_device_destroy(d);
	cr_assert_eq(a.peer_frees, 3);
	cr_assert_eq(a.live, 0);
}

/* ---- slot ids ----------------------------------------------------------- */

Test(device, slot_ids_are_stable_and_reused_oldest_first)
{
	struct wg_device *d = new_device(0);
	char *setup = many_peers_request(0, 6, false);
	uint8_t key[WG_KEY_LEN];
	uint32_t i;

	cr_assert_eq(apply_text(d, setup), 0);
	for (i = 0; i < 6; i++) {
		test_key(key, i);
		cr_assert_eq(wg_device_peer_lookup(d, key)->id, i);
	}
	/* Free 4, then 1: the next two new peers get 4 then 1, then 6. */
	cr_assert_eq(apply_text(d, "public_key=00000004" A5X28 "\nremove=true\n"
				"public_key=00000001" A5X28 "\nremove=true\n\n"), 0);
	cr_assert_eq(apply_text(d, "public_key=00000064" A5X28 "\n"
				"public_key=00000065" A5X28 "\n"
				"public_key=00000066" A5X28 "\n\n"), 0);
	test_key(key, 100);
	cr_assert_eq(wg_device_peer_lookup(d, key)->id, 4);
	test_key(key, 101);
	cr_assert_eq(wg_device_peer_lookup(d, key)->id, 1);
	test_key(key, 102);
	cr_assert_eq(wg_device_peer_lookup(d, key)->id, 6);
	/* Updating a peer keeps its id. */
	cr_assert_eq(apply_text(d, "public_key=00000003" A5X28 "\n"
				"replace_allowed_ips=true\n\n"), 0);
	test_key(key, 3);
	cr_assert_eq(wg_device_peer_lookup(d, key)->id, 3);
	free(setup);
	wg_device_destroy(d);
}

/* ---- what the control thread fills in ----------------------------------- */

Test(device, stats_handshake_and_roaming_show_in_get_without_events)
{
	struct wg_device *d = new_device(0);
	struct wg_endpoint ep = { .family = WG_AF_INET, .port = 9,
				  .addr.v4 = { 198, 51, 100, 7 } };
	char *got;

	cr_assert_eq(apply_text(d, "public_key=" K1 "\nendpoint=192.0.2.1:1\n\n"),
		     0);
	clear_events();
	wg_device_peer_set_stats(d, 0, 1000, 2000);
	wg_device_peer_set_handshake(d, 0, 1700000000, 123456789);
	wg_device_peer_set_endpoint(d, 0, &ep);
	wg_device_peer_set_stats(d, 77, 1, 1);	/* no such slot: ignored */
	got = device_get_text(d);
	cr_assert_str_eq(got, PEER_HEAD(K1, ZERO)
			 "endpoint=198.51.100.7:9\n"
			 "last_handshake_time_sec=1700000000\n"
			 "last_handshake_time_nsec=123456789\n"
			 "tx_bytes=2000\nrx_bytes=1000\n"
			 "persistent_keepalive_interval=0\n" END);
	free(got);
	cr_assert_eq(events.len, 0);
	wg_device_destroy(d);
}

Test(device, create_rejects_too_many_peers)
{
	struct wg_device_config cfg = { .max_peers = MAX_PEERS_PER_DEVICE + 1 };
	int dummy;
	struct wg_device *d = (void *)&dummy;

	cr_assert_eq(wg_device_create(&d, &cfg), -EINVAL);
	cr_assert_null(d);
}

Test(device, incomplete_set_is_refused)
{
	struct wg_device *d = new_device(0);
	struct wg_uapi_set s;

	wg_uapi_set_init(&s);
	cr_assert_eq(wg_uapi_set_feed_line(&s, "listen_port=5", 13), 0);
	cr_assert_eq(wg_device_apply(d, &s), -EINVAL);
	cr_assert_eq(wg_device_listen_port(d), 0);
	wg_uapi_set_free(&s);
	wg_device_destroy(d);
}

/* ---- randomized, against a naive reference ------------------------------ */

enum {
	R_KEYS = 10,
	R_PREFIXES = 8,
	R_MAX_PEERS = 6,
	R_ROUNDS = 1500
};

static const char *const r_prefix_text[R_PREFIXES] = {
	"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "0.0.0.0/0",
	"fd00::/8", "fd00::1/128", "2001:db8::/32",
};
static const char *const r_psk_hex[3] = { ZERO, PSK, PRIV };
static const char *const r_ep_text[2] = { "192.0.2.1:1", "[2001:db8::2]:2" };

struct r_keys {
	char priv_hex[R_KEYS][WG_KEY_HEX_LEN + 1];
	char pub_hex[R_KEYS][WG_KEY_HEX_LEN + 1];
	uint8_t pub[R_KEYS][WG_KEY_LEN];
	struct wg_uapi_allowed_ip prefix[R_PREFIXES];
	struct wg_endpoint ep[2];
};

/* The naive model: arrays indexed by key and prefix number. */
struct naive {
	int own;			/* key number, -1: no identity */
	bool live[R_KEYS];
	int psk[R_KEYS];
	int ep[R_KEYS];			/* -1: none */
	int ka[R_KEYS];
	int owner[R_PREFIXES];		/* key number, -1: none */
};

struct r_section {
	int key, psk, ep, ka, n_ops;
	bool remove, update_only, has_psk, has_ep, has_ka, replace;
	int op_prefix[4];
	bool op_remove[4];
};

struct r_request {
	bool has_priv, replace_peers;
	int priv;			/* -1: the zero key */
	int n;
	struct r_section sec[5];
};

static void
r_keys_init(struct r_keys *k)
{
	uint8_t priv[WG_KEY_LEN];
	size_t i;

	for (i = 0; i < R_KEYS; i++) {
		wg_key_generate_private(priv);
		cr_assert_eq(wg_key_public_from_private(k->pub[i], priv), 0);
		wg_key_to_hex(k->priv_hex[i], priv);
		wg_key_to_hex(k->pub_hex[i], k->pub[i]);
	}
	for (i = 0; i < R_PREFIXES; i++) {
		struct wg_uapi_set s;
		char line[128];

		snprintf(line, sizeof(line), "public_key=" K1);
		wg_uapi_set_init(&s);
		cr_assert_eq(wg_uapi_set_feed_line(&s, line, strlen(line)), 0);
		snprintf(line, sizeof(line), "allowed_ip=%s", r_prefix_text[i]);
		cr_assert_eq(wg_uapi_set_feed_line(&s, line, strlen(line)), 0);
		k->prefix[i] = s.allowed_ips[0];
		wg_uapi_set_free(&s);
	}
	k->ep[0] = (struct wg_endpoint){ .family = WG_AF_INET, .port = 1,
					 .addr.v4 = { 192, 0, 2, 1 } };
	k->ep[1] = (struct wg_endpoint){ .family = WG_AF_INET6, .port = 2 };
	inet_pton(AF_INET6, "2001:db8::2", k->ep[1].addr.v6);
}

static void
r_random_request(struct r_request *r)
{
	int i, j;

	memset(r, 0, sizeof(*r));
	r->has_priv = rand() % 10 == 0;
	r->priv = rand() % (R_KEYS + 1) - 1;
	r->replace_peers = rand() % 20 == 0;
	r->n = rand() % 5 + 1;
	for (i = 0; i < r->n; i++) {
		struct r_section *s = &r->sec[i];

		s->key = rand() % R_KEYS;
		s->remove = rand() % 7 == 0;
		s->update_only = rand() % 7 == 0;
		s->has_psk = rand() % 3 == 0;
		s->psk = rand() % 3;
		s->has_ep = rand() % 4 == 0;
		s->ep = rand() % 2;
		s->has_ka = rand() % 4 == 0;
		s->ka = rand() % 2 * 25;
		s->replace = rand() % 3 == 0;
		s->n_ops = rand() % 5;
		for (j = 0; j < s->n_ops; j++) {
			s->op_prefix[j] = rand() % R_PREFIXES;
			s->op_remove[j] = rand() % 4 == 0;
		}
	}
}

static char *
r_render(const struct r_keys *k, const struct r_request *r)
{
	struct sbuf sb = { 0 };
	int i, j;

	if (r->has_priv)
		sb_printf(&sb, "private_key=%s\n",
			  r->priv < 0 ? ZERO : k->priv_hex[r->priv]);
	if (r->replace_peers)
		sb_printf(&sb, "replace_peers=true\n");
	for (i = 0; i < r->n; i++) {
		const struct r_section *s = &r->sec[i];

		sb_printf(&sb, "public_key=%s\n", k->pub_hex[s->key]);
		if (s->update_only)
			sb_printf(&sb, "update_only=true\n");
		if (s->remove)
			sb_printf(&sb, "remove=true\n");
		if (s->has_psk)
			sb_printf(&sb, "preshared_key=%s\n", r_psk_hex[s->psk]);
		if (s->has_ep)
			sb_printf(&sb, "endpoint=%s\n", r_ep_text[s->ep]);
		if (s->has_ka)
			sb_printf(&sb, "persistent_keepalive_interval=%d\n", s->ka);
		if (s->replace)
			sb_printf(&sb, "replace_allowed_ips=true\n");
		for (j = 0; j < s->n_ops; j++)
			sb_printf(&sb, "allowed_ip=%s%s\n",
				  s->op_remove[j] ? "-" : "",
				  r_prefix_text[s->op_prefix[j]]);
	}
	sb_printf(&sb, "\n");
	return sb_take(&sb);
}

static void
naive_drop_peer(struct naive *n, int key)
{
	int j;

	n->live[key] = false;
	for (j = 0; j < R_PREFIXES; j++)
		if (n->owner[j] == key)
			n->owner[j] = -1;
}

static int
naive_count(const struct naive *n)
{
	int i, c = 0;

	for (i = 0; i < R_KEYS; i++)
		c += n->live[i];
	return c;
}

static void
naive_section(struct naive *n, const struct r_section *s)
{
	int j;

	if (s->has_psk)
		n->psk[s->key] = s->psk;
	if (s->has_ep)
		n->ep[s->key] = s->ep;
	if (s->has_ka)
		n->ka[s->key] = s->ka;
	if (s->replace)
		for (j = 0; j < R_PREFIXES; j++)
			if (n->owner[j] == s->key)
				n->owner[j] = -1;
	for (j = 0; j < s->n_ops; j++) {
		int p = s->op_prefix[j];

		if (!s->op_remove[j])
			n->owner[p] = s->key;
		else if (n->owner[p] == s->key)
			n->owner[p] = -1;
	}
}

/* wireguard-go's semantics, literally, on a copy; -ENOSPC discards it. */
static int
naive_apply(struct naive *n0, const struct r_request *r)
{
	struct naive n = *n0;
	int i, k;

	if (r->has_priv && r->priv != n.own) {
		if (r->priv >= 0)
			naive_drop_peer(&n, r->priv);
		n.own = r->priv;
	}
	if (r->replace_peers)
		for (k = 0; k < R_KEYS; k++)
			naive_drop_peer(&n, k);
	for (i = 0; i < r->n; i++) {
		const struct r_section *s = &r->sec[i];

		if (s->key == n.own)
			continue;
		if (s->remove) {
			naive_drop_peer(&n, s->key);
			continue;
		}
		if (!n.live[s->key]) {
			if (s->update_only)
				continue;
			if (naive_count(&n) >= R_MAX_PEERS)
				return -ENOSPC;
			n.live[s->key] = true;
			n.psk[s->key] = 0;
			n.ep[s->key] = -1;
			n.ka[s->key] = 0;
		}
		naive_section(&n, s);
	}
	*n0 = n;
	return 0;
}

static void
naive_compare(const struct r_keys *k, const struct naive *n,
	      const struct wg_device *d)
{
	const struct wg_noise_identity *id = wg_device_identity(d);
	const struct wg_device_peer *p;
	uint8_t psk[WG_KEY_LEN];
	uint32_t owned;
	int i, j;

	cr_assert_eq(id->has_identity, n->own >= 0);
	if (n->own >= 0)
		cr_assert(memcmp(id->static_public, k->pub[n->own], WG_KEY_LEN) == 0);
	cr_assert_eq(wg_device_peer_count(d), (uint32_t)naive_count(n));
	for (i = 0; i < R_KEYS; i++) {
		p = wg_device_peer_lookup(d, k->pub[i]);
		cr_assert_eq(p != NULL, n->live[i], "key %d", i);
		if (p == NULL)
			continue;
		unhex(psk, r_psk_hex[n->psk[i]]);
		cr_assert(memcmp(p->preshared_key, psk, WG_KEY_LEN) == 0);
		if (n->ep[i] < 0)
			cr_assert_eq(p->endpoint.family, WG_AF_NONE);
		else
			cr_assert(wg_endpoint_equal(&p->endpoint, &k->ep[n->ep[i]]));
		cr_assert_eq(p->persistent_keepalive, n->ka[i]);
		for (owned = 0, j = 0; j < R_PREFIXES; j++)
			owned += n->owner[j] == i;
		cr_assert_eq(p->n_allowed_ips, owned);
	}
	for (owned = 0, j = 0; j < R_PREFIXES; j++) {
		p = wg_device_allowed_ip_owner(d, &k->prefix[j]);
		if (n->owner[j] < 0) {
			cr_assert_null(p, "prefix %s", r_prefix_text[j]);
			continue;
		}
		owned++;
		cr_assert_not_null(p, "prefix %s", r_prefix_text[j]);
		cr_assert(memcmp(p->public_key, k->pub[n->owner[j]],
				 WG_KEY_LEN) == 0);
	}
	cr_assert_eq(wg_device_allowed_ip_count(d), owned);
}

Test(device, randomized_against_naive_reference_and_event_mirror)
{
	struct wg_device *d = new_device(R_MAX_PEERS);
	struct naive n;
	struct r_keys *k = calloc(1, sizeof(*k));
	struct r_request r;
	int round, want, got, spaces = 0;
	char *text, *before, *after;

	srand(20240601);
	r_keys_init(k);
	memset(&n, 0, sizeof(n));
	n.own = -1;
	memset(n.owner, -1, sizeof(n.owner));
	for (round = 0; round < R_ROUNDS; round++) {
		r_random_request(&r);
		text = r_render(k, &r);
		before = device_dump(d);
		free(take_events());
		want = naive_apply(&n, &r);
		got = apply_text(d, text);
		cr_assert_eq(got, want, "round %d:\n%s", round, text);
		if (got != 0) {
			spaces++;
			after = device_dump(d);
			cr_assert_str_eq(after, before);
			cr_assert_eq(events.len, 0);
			free(after);
		}
		naive_compare(k, &n, d);
		assert_mirror_matches(d);
		free(before);
		free(text);
	}
	cr_assert_gt(spaces, 10, "the peer limit was hardly exercised");
	free(k);
	wg_device_destroy(d);
}

/* ---- scale -------------------------------------------------------------- */

Test(device, hundred_thousand_peers_in_one_set)
{
	struct wg_device_config cfg = { 0 };
	struct wg_device *d;
	char *req = many_peers_request(0, 100000, true);
	struct wg_uapi_allowed_ip a = { .family = WG_AF_INET, .cidr = 32,
					.addr = { 10, 1, 0x2f, 0x31 } };
	const struct wg_device_peer *p;
	uint8_t key[WG_KEY_LEN];

	cr_assert_eq(wg_device_create(&d, &cfg), 0);
	cr_assert_eq(apply_text(d, req), 0);
	cr_assert_eq(wg_device_peer_count(d), 100000);
	cr_assert_eq(wg_device_allowed_ip_count(d), 100000);
	test_key(key, 77617);	/* 0x12f31: 10.1.47.49 */
	p = wg_device_peer_lookup(d, key);
	cr_assert_not_null(p);
	cr_assert_eq(p->id, 77617);
	cr_assert_eq(wg_device_allowed_ip_owner(d, &a), p);
	/* One-peer changes on the big device. */
	cr_assert_eq(apply_text(d, "public_key=00012f31" A5X28 "\nremove=true\n\n"),
		     0);
	cr_assert_null(wg_device_allowed_ip_owner(d, &a));
	cr_assert_eq(apply_text(d, "public_key=00000001" A5X28 "\n"
				"allowed_ip=10.1.47.49/32\n\n"), 0);
	test_key(key, 1);
	cr_assert_eq(wg_device_allowed_ip_owner(d, &a),
		     wg_device_peer_lookup(d, key));
	/* setconf again: everything replaced. */
	cr_assert_eq(apply_text(d, req), 0);
	cr_assert_eq(wg_device_peer_count(d), 100000);
	free(req);
	wg_device_destroy(d);
}
