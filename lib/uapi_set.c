/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * UAPI "set": key=value lines into a change set (see uapi.h). The value
 * grammar is wireguard-go's: decimal numbers as strconv.ParseUint (digits
 * only, leading zeros allowed), keys as exactly 64 hex digits of either
 * case, endpoints as netip.ParseAddrPort, prefixes as netip.ParsePrefix.
 * One deviation: IPv6 zones ("fe80::1%eth0") are refused, since the
 * dataplane has no interface to scope them to.
 *
 * Lists grow geometrically, so a request of n lines costs O(n).
 *
 * The builder (wg_uapi_set_private_key() ...) stores values through the
 * same functions as the parser once it has read them from text, so a set
 * built from values equals the set parsed from the equivalent lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "uapi.h"

#define UAPI_DIM(a) (sizeof(a) / sizeof((a)[0]))

enum {
	UAPI_INITIAL_CAP = 8,
	/* "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255" is 45 chars. */
	UAPI_IP_TEXT_MAX = 63
};

struct uapi_key_handler {
	const char *name;
	int (*parse)(struct wg_uapi_set *s, const char *v, size_t n);
};

void
wg_uapi_set_init(struct wg_uapi_set *s)
{
	memset(s, 0, sizeof(*s));
}

void
wg_uapi_set_free(struct wg_uapi_set *s)
{
	if (s->peers != NULL)
		sodium_memzero(s->peers, s->peers_cap * sizeof(*s->peers));
	free(s->peers);
	free(s->allowed_ips);
	sodium_memzero(s, sizeof(*s));
}

/* Rejects the whole request: nothing of it may survive to be applied. */
static int
set_fail(struct wg_uapi_set *s, int err)
{
	wg_uapi_set_free(s);
	s->state = WG_UAPI_SET_FAILED;
	s->error = err;
	return err;
}

/* ---- value grammar ------------------------------------------------------ */

static bool
text_is(const char *v, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(v, word, n) == 0;
}

/* strconv.ParseUint(v, 10, bits): one or more digits, value <= max. */
static int
parse_uint(const char *v, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned int d = (unsigned char)v[i] - '0';

		if (d > 9 || x > (max - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*out = x;
	return 0;
}

/* Exactly 64 hex digits. The copy held a secret: it is wiped. */
static int
parse_key(uint8_t key[WG_KEY_LEN], const char *v, size_t n)
{
	char hex[WG_KEY_HEX_LEN + 1];
	int ret;

	if (n != WG_KEY_HEX_LEN || memchr(v, '\0', n) != NULL)
		return -EINVAL;
	memcpy(hex, v, n);
	hex[n] = '\0';
	ret = wg_key_from_hex(key, hex) == 0 ? 0 : -EINVAL;
	sodium_memzero(hex, sizeof(hex));
	return ret;
}

/*
 * netip.ParseAddr without zones: a ':' makes it IPv6. glibc's inet_pton
 * agrees with Go on what it refuses (IPv4 octets with leading zeros, more
 * than 4 hex digits in a group, a second "::", stray characters).
 */
static int
parse_ip(uint8_t *family, uint8_t addr[16], const char *v, size_t n)
{
	char text[UAPI_IP_TEXT_MAX + 1];
	bool v6;

	if (n == 0 || n > UAPI_IP_TEXT_MAX || memchr(v, '\0', n) != NULL)
		return -EINVAL;
	memcpy(text, v, n);
	text[n] = '\0';
	v6 = memchr(v, ':', n) != NULL;
	memset(addr, 0, 16);
	if (inet_pton(v6 ? AF_INET6 : AF_INET, text, addr) != 1)
		return -EINVAL;
	*family = v6 ? WG_AF_INET6 : WG_AF_INET;
	return 0;
}

/* netip.ParseAddrPort: "a.b.c.d:port" or "[v6]:port", split at the last ':'. */
static int
parse_endpoint(struct wg_endpoint *e, const char *v, size_t n)
{
	const char *colon = memrchr(v, ':', n);
	size_t ip_len, port_len;
	bool bracketed;
	uint64_t port;

	if (colon == NULL)
		return -EINVAL;
	ip_len = (size_t)(colon - v);
	port_len = n - ip_len - 1;
	if (ip_len == 0 || parse_uint(colon + 1, port_len, UINT16_MAX, &port) != 0)
		return -EINVAL;
	bracketed = v[0] == '[';
	if (bracketed) {
		if (ip_len < 2 || v[ip_len - 1] != ']')
			return -EINVAL;
		v++;
		ip_len -= 2;
	}
	memset(e, 0, sizeof(*e));
	if (parse_ip(&e->family, e->addr.v6, v, ip_len) != 0)
		return -EINVAL;
	/* Brackets if and only if IPv6. */
	if (bracketed != (e->family == WG_AF_INET6))
		return -EINVAL;
	e->port = (uint16_t)port;
	return 0;
}

static void
prefix_mask(uint8_t addr[16], unsigned int cidr)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (cidr >= 8)
			cidr -= 8;
		else {
			addr[i] &= (uint8_t)(0xff00 >> cidr);
			cidr = 0;
		}
	}
}

/* ["-"] netip.ParsePrefix: bits in decimal without sign or leading zero. */
static int
parse_allowed_ip(struct wg_uapi_allowed_ip *a, const char *v, size_t n)
{
	const char *slash;
	size_t ip_len, bits_len;
	uint64_t bits;

	memset(a, 0, sizeof(*a));
	if (n > 0 && v[0] == '-') {
		a->remove = true;
		v++;
		n--;
	}
	slash = memrchr(v, '/', n);
	if (slash == NULL)
		return -EINVAL;
	ip_len = (size_t)(slash - v);
	bits_len = n - ip_len - 1;
	if (bits_len > 1 && slash[1] == '0')
		return -EINVAL;
	if (parse_ip(&a->family, a->addr, v, ip_len) != 0 ||
	    parse_uint(slash + 1, bits_len,
		       a->family == WG_AF_INET ? 32 : 128, &bits) != 0)
		return -EINVAL;
	a->cidr = (uint8_t)bits;
	prefix_mask(a->addr, a->cidr);
	return 0;
}

/* ---- growth ------------------------------------------------------------- */

/*
 * Doubles the peer array. Peers hold preshared keys, so the old array is
 * wiped before it is freed rather than left behind by realloc().
 */
static int
grow_peers(struct wg_uapi_set *s)
{
	size_t cap = s->peers_cap != 0 ? s->peers_cap * 2 : UAPI_INITIAL_CAP;
	struct wg_uapi_peer *p;

	if (cap > SIZE_MAX / sizeof(*p))
		return -ENOMEM;
	p = malloc(cap * sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	if (s->peers != NULL) {
		memcpy(p, s->peers, s->n_peers * sizeof(*p));
		sodium_memzero(s->peers, s->peers_cap * sizeof(*p));
		free(s->peers);
	}
	s->peers = p;
	s->peers_cap = cap;
	return 0;
}

static int
grow_allowed_ips(struct wg_uapi_set *s)
{
	size_t cap = s->allowed_ips_cap != 0 ? s->allowed_ips_cap * 2 :
					       UAPI_INITIAL_CAP;
	struct wg_uapi_allowed_ip *a;

	if (cap > SIZE_MAX / sizeof(*a))
		return -ENOMEM;
	a = realloc(s->allowed_ips, cap * sizeof(*a));
	if (a == NULL)
		return -ENOMEM;
	s->allowed_ips = a;
	s->allowed_ips_cap = cap;
	return 0;
}

/* ---- device keys -------------------------------------------------------- */

/* FromMaybeZeroHex: all zero removes the key; anything else is clamped. */
static void
private_key_take(struct wg_uapi_set *s)
{
	if (!wg_key_is_zero(s->private_key)) {
		s->private_key[0] &= 248;
		s->private_key[31] = (s->private_key[31] & 127) | 64;
	}
	s->flags |= WG_UAPI_DEVICE_HAS_PRIVATE_KEY;
}

static int
dev_private_key(struct wg_uapi_set *s, const char *v, size_t n)
{
	if (parse_key(s->private_key, v, n) != 0)
		return -EINVAL;
	private_key_take(s);
	return 0;
}

static void
listen_port_take(struct wg_uapi_set *s, uint16_t port)
{
	s->listen_port = port;
	s->flags |= WG_UAPI_DEVICE_HAS_LISTEN_PORT;
}

static int
dev_listen_port(struct wg_uapi_set *s, const char *v, size_t n)
{
	uint64_t port;

	if (parse_uint(v, n, UINT16_MAX, &port) != 0)
		return -EINVAL;
	listen_port_take(s, (uint16_t)port);
	return 0;
}

static void
fwmark_take(struct wg_uapi_set *s, uint32_t mark)
{
	s->fwmark = mark;
	s->flags |= WG_UAPI_DEVICE_HAS_FWMARK;
}

static int
dev_fwmark(struct wg_uapi_set *s, const char *v, size_t n)
{
	uint64_t mark;

	if (parse_uint(v, n, UINT32_MAX, &mark) != 0)
		return -EINVAL;
	fwmark_take(s, (uint32_t)mark);
	return 0;
}

static int
dev_replace_peers(struct wg_uapi_set *s, const char *v, size_t n)
{
	if (!text_is(v, n, "true"))
		return -EINVAL;
	s->flags |= WG_UAPI_DEVICE_REPLACE_PEERS;
	return 0;
}

static const struct uapi_key_handler device_keys[] = {
	{ "private_key", dev_private_key },
	{ "listen_port", dev_listen_port },
	{ "fwmark", dev_fwmark },
	{ "replace_peers", dev_replace_peers },
};

/* ---- peer keys ---------------------------------------------------------- */

/* A new section for public_key; later lines until the next one are its. */
static int
peer_begin(struct wg_uapi_set *s, const uint8_t public_key[WG_KEY_LEN])
{
	struct wg_uapi_peer *p;
	int ret;

	if (s->n_peers == s->peers_cap) {
		ret = grow_peers(s);
		if (ret != 0)
			return ret;
	}
	p = &s->peers[s->n_peers];
	memset(p, 0, sizeof(*p));
	memcpy(p->public_key, public_key, WG_KEY_LEN);
	p->first_allowed_ip = s->n_allowed_ips;
	s->n_peers++;
	return 0;
}

static int
peer_start(struct wg_uapi_set *s, const char *v, size_t n)
{
	uint8_t key[WG_KEY_LEN];

	if (parse_key(key, v, n) != 0)
		return -EINVAL;
	return peer_begin(s, key);
}

static struct wg_uapi_peer *
peer_current(struct wg_uapi_set *s)
{
	return &s->peers[s->n_peers - 1];
}

static int
peer_flag_true(struct wg_uapi_set *s, const char *v, size_t n, uint32_t flag)
{
	if (!text_is(v, n, "true"))
		return -EINVAL;
	peer_current(s)->flags |= flag;
	return 0;
}

static int
peer_update_only(struct wg_uapi_set *s, const char *v, size_t n)
{
	return peer_flag_true(s, v, n, WG_UAPI_PEER_UPDATE_ONLY);
}

static int
peer_remove(struct wg_uapi_set *s, const char *v, size_t n)
{
	return peer_flag_true(s, v, n, WG_UAPI_PEER_REMOVE_ME);
}

static int
peer_preshared_key(struct wg_uapi_set *s, const char *v, size_t n)
{
	struct wg_uapi_peer *p = peer_current(s);

	if (parse_key(p->preshared_key, v, n) != 0)
		return -EINVAL;
	p->flags |= WG_UAPI_PEER_HAS_PRESHARED_KEY;
	return 0;
}

/* An IPv4 or IPv6 endpoint, nothing past its address's length. */
static int
endpoint_take(struct wg_uapi_peer *p, const struct wg_endpoint *e)
{
	if (e->family != WG_AF_INET && e->family != WG_AF_INET6)
		return -EINVAL;
	memset(&p->endpoint, 0, sizeof(p->endpoint));
	p->endpoint.family = e->family;
	p->endpoint.port = e->port;
	memcpy(p->endpoint.addr.v6, e->addr.v6, e->family == WG_AF_INET ? 4 : 16);
	p->flags |= WG_UAPI_PEER_HAS_ENDPOINT;
	return 0;
}

static int
peer_endpoint(struct wg_uapi_set *s, const char *v, size_t n)
{
	struct wg_endpoint e;

	if (parse_endpoint(&e, v, n) != 0)
		return -EINVAL;
	return endpoint_take(peer_current(s), &e);
}

static void
keepalive_take(struct wg_uapi_peer *p, uint16_t secs)
{
	p->persistent_keepalive_interval = secs;
	p->flags |= WG_UAPI_PEER_HAS_PERSISTENT_KEEPALIVE;
}

static int
peer_keepalive(struct wg_uapi_set *s, const char *v, size_t n)
{
	uint64_t secs;

	if (parse_uint(v, n, UINT16_MAX, &secs) != 0)
		return -EINVAL;
	keepalive_take(peer_current(s), (uint16_t)secs);
	return 0;
}

/*
 * wireguard-go removes the peer's allowed IPs at this line, including any
 * this section added before it: drop those from the list. The current
 * peer's list is always the tail of the shared array.
 */
static void
replace_allowed_ips_take(struct wg_uapi_set *s)
{
	struct wg_uapi_peer *p = peer_current(s);

	p->flags |= WG_UAPI_PEER_REPLACE_ALLOWEDIPS;
	s->n_allowed_ips = p->first_allowed_ip;
	p->n_allowed_ips = 0;
}

static int
peer_replace_allowed_ips(struct wg_uapi_set *s, const char *v, size_t n)
{
	if (!text_is(v, n, "true"))
		return -EINVAL;
	replace_allowed_ips_take(s);
	return 0;
}

/* Appends a (checked, host bits cleared) to the current peer's list. */
static int
allowed_ip_take(struct wg_uapi_set *s, const struct wg_uapi_allowed_ip *a)
{
	int ret;

	if (s->n_allowed_ips == s->allowed_ips_cap) {
		ret = grow_allowed_ips(s);
		if (ret != 0)
			return ret;
	}
	s->allowed_ips[s->n_allowed_ips++] = *a;
	peer_current(s)->n_allowed_ips++;
	return 0;
}

static int
peer_allowed_ip(struct wg_uapi_set *s, const char *v, size_t n)
{
	struct wg_uapi_allowed_ip a;

	if (parse_allowed_ip(&a, v, n) != 0)
		return -EINVAL;
	return allowed_ip_take(s, &a);
}

static int
peer_protocol_version(struct wg_uapi_set *s, const char *v, size_t n)
{
	(void)s;
	return text_is(v, n, "1") ? 0 : -EINVAL;
}

static const struct uapi_key_handler peer_keys[] = {
	{ "update_only", peer_update_only },
	{ "remove", peer_remove },
	{ "preshared_key", peer_preshared_key },
	{ "endpoint", peer_endpoint },
	{ "persistent_keepalive_interval", peer_keepalive },
	{ "replace_allowed_ips", peer_replace_allowed_ips },
	{ "allowed_ip", peer_allowed_ip },
	{ "protocol_version", peer_protocol_version },
};

/* ---- lines -------------------------------------------------------------- */

static int
dispatch(struct wg_uapi_set *s, const char *key, size_t key_len,
	 const char *v, size_t n)
{
	const struct uapi_key_handler *table = device_keys;
	size_t count = UAPI_DIM(device_keys), i;

	if (text_is(key, key_len, "public_key"))
		return peer_start(s, v, n);
	if (s->n_peers > 0) {
		table = peer_keys;
		count = UAPI_DIM(peer_keys);
	}
	for (i = 0; i < count; i++)
		if (text_is(key, key_len, table[i].name))
			return table[i].parse(s, v, n);
	/* wireguard-go: "invalid UAPI device/peer key", IpcErrorInvalid. */
	return -EINVAL;
}

int
wg_uapi_set_feed_line(struct wg_uapi_set *s, const char *line, size_t len)
{
	const char *eq;
	int ret;

	if (s->state == WG_UAPI_SET_FAILED)
		return s->error;
	if (s->state == WG_UAPI_SET_COMPLETE)
		return -EPROTO;
	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len > WG_UAPI_LINE_MAX)
		return set_fail(s, -EIO);
	if (len == 0) {
		s->state = WG_UAPI_SET_COMPLETE;
		return WG_UAPI_SET_DONE;
	}
	eq = memchr(line, '=', len);
	if (eq == NULL || memchr(line, '\n', len) != NULL)
		return set_fail(s, -EPROTO);
	ret = dispatch(s, line, (size_t)(eq - line), eq + 1,
		       len - (size_t)(eq - line) - 1);
	return ret != 0 ? set_fail(s, ret) : 0;
}

/* ---- the builder -------------------------------------------------------- */

enum build_place { BUILD_DEVICE, BUILD_PEER, BUILD_ANY };

/*
 * Whether s takes a value at place now, as the parser would take its line:
 * a failed set keeps its error, a complete one takes nothing (-EPROTO), and
 * a device setting after a peer or a peer setting before one is the
 * parser's unknown key at that place (-EINVAL), which fails the set.
 */
static int
build_check(struct wg_uapi_set *s, enum build_place place)
{
	if (s->state == WG_UAPI_SET_FAILED)
		return s->error;
	if (s->state == WG_UAPI_SET_COMPLETE)
		return -EPROTO;
	if ((place == BUILD_DEVICE && s->n_peers > 0) ||
	    (place == BUILD_PEER && s->n_peers == 0))
		return set_fail(s, -EINVAL);
	return 0;
}

/* A refused value fails the set, as a bad line does. */
static int
build_result(struct wg_uapi_set *s, int ret)
{
	return ret != 0 ? set_fail(s, ret) : 0;
}

int
wg_uapi_set_private_key(struct wg_uapi_set *s, const uint8_t key[WG_KEY_LEN])
{
	int ret = build_check(s, BUILD_DEVICE);

	if (ret == 0) {
		memcpy(s->private_key, key, WG_KEY_LEN);
		private_key_take(s);
	}
	return ret;
}

int
wg_uapi_set_listen_port(struct wg_uapi_set *s, uint16_t port)
{
	int ret = build_check(s, BUILD_DEVICE);

	if (ret == 0)
		listen_port_take(s, port);
	return ret;
}

int
wg_uapi_set_fwmark(struct wg_uapi_set *s, uint32_t fwmark)
{
	int ret = build_check(s, BUILD_DEVICE);

	if (ret == 0)
		fwmark_take(s, fwmark);
	return ret;
}

int
wg_uapi_set_replace_peers(struct wg_uapi_set *s)
{
	int ret = build_check(s, BUILD_DEVICE);

	if (ret == 0)
		s->flags |= WG_UAPI_DEVICE_REPLACE_PEERS;
	return ret;
}

int
wg_uapi_set_peer(struct wg_uapi_set *s, const uint8_t public_key[WG_KEY_LEN])
{
	int ret = build_check(s, BUILD_ANY);

	return ret != 0 ? ret : build_result(s, peer_begin(s, public_key));
}

static int
build_peer_flag(struct wg_uapi_set *s, uint32_t flag)
{
	int ret = build_check(s, BUILD_PEER);

	if (ret == 0)
		peer_current(s)->flags |= flag;
	return ret;
}

int
wg_uapi_set_peer_update_only(struct wg_uapi_set *s)
{
	return build_peer_flag(s, WG_UAPI_PEER_UPDATE_ONLY);
}

int
wg_uapi_set_peer_remove(struct wg_uapi_set *s)
{
	return build_peer_flag(s, WG_UAPI_PEER_REMOVE_ME);
}

int
wg_uapi_set_peer_preshared_key(struct wg_uapi_set *s, const uint8_t key[WG_KEY_LEN])
{
	int ret = build_check(s, BUILD_PEER);

	if (ret == 0) {
		memcpy(peer_current(s)->preshared_key, key, WG_KEY_LEN);
		peer_current(s)->flags |= WG_UAPI_PEER_HAS_PRESHARED_KEY;
	}
	return ret;
}

int
wg_uapi_set_peer_endpoint(struct wg_uapi_set *s, const struct wg_endpoint *e)
{
	int ret = build_check(s, BUILD_PEER);

	return ret != 0 ? ret : build_result(s, endpoint_take(peer_current(s), e));
}

int
wg_uapi_set_peer_keepalive(struct wg_uapi_set *s, uint16_t seconds)
{
	int ret = build_check(s, BUILD_PEER);

	if (ret == 0)
		keepalive_take(peer_current(s), seconds);
	return ret;
}

int
wg_uapi_set_peer_replace_allowed_ips(struct wg_uapi_set *s)
{
	int ret = build_check(s, BUILD_PEER);

	if (ret == 0)
		replace_allowed_ips_take(s);
	return ret;
}

/* What parse_allowed_ip() would make of a's text: checked, host bits clear. */
static int
allowed_ip_copy(struct wg_uapi_allowed_ip *out, const struct wg_uapi_allowed_ip *a)
{
	unsigned int len = a->family == WG_AF_INET ? 4 : 16;

	if ((a->family != WG_AF_INET && a->family != WG_AF_INET6) ||
	    a->cidr > len * 8)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->family = a->family;
	out->cidr = a->cidr;
	out->remove = a->remove;
	memcpy(out->addr, a->addr, len);
	prefix_mask(out->addr, out->cidr);
	return 0;
}

int
wg_uapi_set_peer_allowed_ip(struct wg_uapi_set *s, const struct wg_uapi_allowed_ip *a)
{
	struct wg_uapi_allowed_ip copy;
	int ret = build_check(s, BUILD_PEER);

	if (ret != 0)
		return ret;
	ret = allowed_ip_copy(&copy, a);
	if (ret == 0)
		ret = allowed_ip_take(s, &copy);
	return build_result(s, ret);
}

int
wg_uapi_set_end(struct wg_uapi_set *s)
{
	int ret = build_check(s, BUILD_ANY);

	if (ret == 0)
		s->state = WG_UAPI_SET_COMPLETE;
	return ret;
}
