/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The orchestration socket (control/orch.h) and wgedgectl against real
 * control threads over ring-port dataplanes (the set-up of test_control.c):
 * every command and its refusals through a real UNIX socket, answers read
 * as JSON with a small strict parser, and the effects checked where they
 * land: the device model, the address pool, the dataplane's route table
 * and packets crossing (or being dropped by) the gateway.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <sodium.h>

#include "config.h"
#include "control.h"
#include "control_priv.h"
#include "device.h"
#include "dp_priv.h"
#include "harness.h"
#include "ippool.h"
#include "keys.h"
#include "line_server.h"
#include "orch.h"
#include "testutil.h"

extern char **environ;

enum { PUMP_ROUNDS = 64, FRAME_MAX = 1600, CALL_TIMEOUT_S = 60 };

/* ---- a strict little JSON parser (RFC 8259), for reading answers ------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype t;
	bool b;
	uint64_t u;		/* J_NUM: a non-negative integer's value */
	bool is_uint;
	char *s;		/* J_STR */
	struct jv *v;		/* J_ARR / J_OBJ: the values */
	char **k;		/* J_OBJ: the keys */
	size_t n;
};

struct jp {
	const char *p, *end;
	int depth;
};

static bool jparse_value(struct jp *j, struct jv *out);

static void
jskip(struct jp *j)
{
	while (j->p < j->end && strchr(" \t\r\n", *j->p) != NULL && *j->p != '\0')
		j->p++;
}

static bool
jlit(struct jp *j, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return false;
	j->p += n;
	return true;
}

static bool
jparse_string(struct jp *j, char **out)
{
	struct sbuf sb = { 0 };
	unsigned int x;
	char ch;

	if (j->p >= j->end || *j->p++ != '"')
		return false;
	while (j->p < j->end && *j->p != '"') {
		ch = *j->p++;
		if ((unsigned char)ch < 0x20)
			goto bad;
		if (ch == '\\') {
			if (j->p >= j->end)
				goto bad;
			ch = *j->p++;
			if (ch == 'u') {
				if (j->end - j->p < 4 || sscanf(j->p, "%4x", &x) != 1)
					goto bad;
				j->p += 4;
				ch = x < 0x80 ? (char)x : '?';
			} else if (strchr("\"\\/bfnrt", ch) == NULL || ch == '\0') {
				goto bad;
			} else {
				ch = ch == 'b' ? '\b' : ch == 'f' ? '\f' : ch == 'n' ? '\n' :
				     ch == 'r' ? '\r' : ch == 't' ? '\t' : ch;
			}
		}
		sb_append(&sb, &ch, 1);
	}
	if (j->p >= j->end)
		goto bad;
	j->p++;
	*out = sb_take(&sb);
	return true;
bad:
	free(sb.p);
	return false;
}

static bool
jparse_number(struct jp *j, struct jv *out)
{
	const char *s = j->p;
	bool digits = false;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0') {
		j->p++;
		digits = true;
	} else {
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
			j->p++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	out->t = J_NUM;
	out->is_uint = *s != '-' && (j->p == j->end || strchr(".eE", *j->p) == NULL);
	if (out->is_uint)
		out->u = strtoull(s, NULL, 10);
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (j->p >= j->end || *j->p < '0' || *j->p > '9')
			return false;
		while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
			j->p++;
	}
	return true;
}

static bool
jparse_items(struct jp *j, struct jv *out, bool obj)
{
	char close = obj ? '}' : ']';
	size_t cap = 0;

	j->p++;
	jskip(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		if (out->n == cap) {
			cap = cap ? cap * 2 : 8;
			out->v = realloc(out->v, cap * sizeof(*out->v));
			out->k = obj ? realloc(out->k, cap * sizeof(*out->k)) : NULL;
		}
		/* Counted at once: jfree() frees what a failure left. */
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		if (obj)
			out->k[out->n] = NULL;
		out->n++;
		jskip(j);
		if (obj) {
			if (!jparse_string(j, &out->k[out->n - 1]))
				return false;
			jskip(j);
			if (j->p >= j->end || *j->p++ != ':')
				return false;
		}
		if (!jparse_value(j, &out->v[out->n - 1]))
			return false;
		jskip(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return true;
		}
		return false;
	}
}

static bool
jparse_value(struct jp *j, struct jv *out)
{
	bool ok;

	jskip(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > 32)
			return false;
		out->t = *j->p == '{' ? J_OBJ : J_ARR;
		ok = jparse_items(j, out, out->t == J_OBJ);
		j->depth--;
		return ok;
	case '"':
		out->t = J_STR;
		return jparse_string(j, &out->s);
	case 't':
		out->t = J_BOOL;
		out->b = true;
		return jlit(j, "true");
	case 'f':
		out->t = J_BOOL;
		return jlit(j, "false");
	case 'n':
		out->t = J_NULL;
		return jlit(j, "null");
	default:
		return jparse_number(j, out);
	}
}

static void
jfree_in(struct jv *v)
{
	size_t i;

	for (i = 0; i < v->n; i++) {
		jfree_in(&v->v[i]);
		if (v->k != NULL)
			free(v->k[i]);
	}
	free(v->v);
	free(v->k);
	free(v->s);
}

static void
jfree(struct jv *v)
{
	if (v != NULL)
		jfree_in(v);
	free(v);
}

/* The whole text must be one JSON value (a trailing '\n' allowed). */
static struct jv *
json_parse(const char *text)
{
	struct jp j = { .p = text, .end = text + strlen(text) };
	struct jv *v = calloc(1, sizeof(*v));

	if (!jparse_value(&j, v)) {
		jfree(v);
		return NULL;
	}
	jskip(&j);
	if (j.p != j.end) {
		jfree(v);
		return NULL;
	}
	return v;
}

static struct jv *
jget(const struct jv *o, const char *key)
{
	size_t i;

	if (o == NULL || o->t != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->k[i], key) == 0)
			return &o->v[i];
	return NULL;
}

static const char *
jstr(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	return v != NULL && v->t == J_STR ? v->s : NULL;
}

/* A string member that must be there, copied out. */
static void
jcopy(char dst[64], const struct jv *o, const char *key)
{
	const char *s = jstr(o, key);

	cr_assert_not_null(s, "no string '%s'", key);
	snprintf(dst, 64, "%s", s);
}

static uint64_t
jnum(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	cr_assert(v != NULL && v->t == J_NUM && v->is_uint, "no number '%s'", key);
	return v->u;
}

Test(orch_json, parser_accepts_json_and_rejects_the_rest)
{
	static const char *const good[] = {
		"{}", "[]", "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\\"\\u0041\"}\n",
		"true", "-0.5", "\"\"",
	};
	static const char *const bad[] = {
		"{", "{\"a\":}", "[1,]", "{\"a\" 1}", "\"abc", "01", "{}{}",
		"{\"a\":tru}", "[\"\x01\"]", "{a:1}",
	};
	struct jv *v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = json_parse(good[i]);
		cr_assert_not_null(v, "good[%zu]", i);
		jfree(v);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_null(json_parse(bad[i]), "bad[%zu] parsed", i);
	v = json_parse("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\\\"\\u0041\"}");
	cr_assert_str_eq(jstr(v, "c"), "x\"A");
	cr_assert_eq(jget(v, "a")->n, 3);
	jfree(v);
}

/* ---- gateways and control threads ------------------------------------- */

static struct wg_control *ca, *cb;
/* Their orchestration sockets (closed by wg_control_destroy). */
static struct wg_orch_server *oa, *ob;

static struct wg_orch_server *
orch_of(const struct wg_control *c)
{
	return c == ca ? oa : ob;
}
static char tmpdir[64];

static const struct wg_ippool_prefix pool4_wide = {
	.base = { .family = WG_AF_INET, .addr.v4 = { 10, 64, 0, 0 } }, .cidr = 10,
};
static const struct wg_ippool_prefix pool6_wide = {
	.base = { .family = WG_AF_INET6,
		  .addr.v6 = { 0xfd, 0x00, 0x00, 0x64 } }, .cidr = 48,
};
/* A /29: .1 to .6 are usable. */
static const struct wg_ippool_prefix pool4_small = {
	.base = { .family = WG_AF_INET, .addr.v4 = { 10, 99, 0, 0 } }, .cidr = 29,
};

static void
feedf(struct wg_uapi_set *s, const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cr_assert_geq(wg_uapi_set_feed_line(s, line, (size_t)n), 0, "%s", line);
}

static void
feed_key(struct wg_uapi_set *s, const char *name, const uint8_t *key)
{
	char hex[WG_KEY_HEX_LEN + 1];

	wg_key_to_hex(hex, key);
	feedf(s, "%s=%s", name, hex);
}

static void
apply_done(struct wg_control *c, struct wg_uapi_set *s)
{
	cr_assert_eq(wg_uapi_set_feed_line(s, "", 0), WG_UAPI_SET_DONE);
	cr_assert_eq(wg_control_apply(c, s), 0);
	wg_uapi_set_free(s);
}

/* self's identity; other as a peer only if with_peer (A learns B through
 * orchestration). */
static void
configure(struct wg_control *c, const struct h_gw *self, const struct h_gw *other,
	  bool with_peer)
{
	const uint8_t *ip = other->ep4.addr.v4;
	struct wg_uapi_set s;

	wg_uapi_set_init(&s);
	feed_key(&s, "private_key", self->id.static_private);
	feedf(&s, "listen_port=%u", WG_DEFAULT_PORT);
	if (with_peer) {
		feed_key(&s, "public_key", other->id.static_public);
		feedf(&s, "endpoint=%u.%u.%u.%u:%u", ip[0], ip[1], ip[2], ip[3],
		      other->ep4.port);
		feedf(&s, "allowed_ip=%u.%u.%u.0/24", other->lan4[0],
		      other->lan4[1], other->lan4[2]);
	}
	apply_done(c, &s);
}

struct pool_shape {
	const struct wg_ippool_prefix *v4, *v6;
	const struct wg_ippool_addr *fixed;
	size_t n_fixed;
};

static const struct pool_shape wide = { &pool4_wide, &pool6_wide, NULL, 0 };

/* A control thread for g with the pool, its orchestration socket in
 * tmpdir (served by wg_control_poll like the daemon's). */
static struct wg_control *
control_for(struct h_gw *g, uint32_t max_peers, const struct pool_shape *ps,
	    struct wg_orch_server **o)
{
	struct wg_control_conf cc = {
		.dp = g->dp, .ifname = g->name, .max_peers = max_peers,
		.idle_expiry_s = 180, .pool_v4 = ps->v4, .pool_v6 = ps->v6,
		.pool_fixed = ps->fixed, .n_pool_fixed = ps->n_fixed,
	};
	struct wg_orch_server_config oc = { .ifname = g->name, .dir = tmpdir };
	struct wg_control *c;
	char err[256];

	cr_assert_eq(wg_control_create(&c, &cc), 0);
	oc.control = c;
	oc.server = wg_control_server(c);
	cr_assert_eq(wg_orch_server_open(o, &oc, err, sizeof(err)), 0,
		     "%s", err);
	return c;
}

static void
setup(void)
{
	h_setup();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wgorch.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

/* Removes what the tests write in tmpdir, then tmpdir. */
static void
tmp_clean(void)
{
	static const char *const names[] = { "keys.txt", "psk", "cli.out",
					     "wgedge.conf" };
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

static void
teardown(void)
{
	wg_control_destroy(ca);
	wg_control_destroy(cb);
	ca = cb = NULL;
	oa = ob = NULL;
	h_teardown();
	tmp_clean();
}

TestSuite(orch, .init = setup, .fini = teardown);

/* A and B back to back; A serves orchestration with pool ps and knows
 * nothing of B; B has A as its peer (endpoint and LAN). */
static void
pair_start(const struct pool_shape *ps)
{
	h_gw_init(&h_a, "orA", 1, 1);
	h_gw_init(&h_b, "orB", 2, 1);
	h_gw_join(&h_a, &h_b);
	h_gw_start(&h_a);
	h_gw_start(&h_b);
	ca = control_for(&h_a, 64, ps, &oa);
	cb = control_for(&h_b, 64, ps, &ob);
	configure(ca, &h_a, &h_b, false);
	configure(cb, &h_b, &h_a, true);
}

/* As h_gw_start, with a peer table big enough for bulk tests. */
static void
big_gw_start(struct h_gw *g, uint32_t max_peers)
{
	struct wg_dp_conf c = { 0 };
	char name[32];
	int port;

	snprintf(name, sizeof(name), "%s_out", g->name);
	port = rte_eth_from_rings(name, g->outer_rx, g->nq, g->outer_tx, g->nq + 1,
				  SOCKET_ID_ANY);
	cr_assert_geq(port, 0);
	g->outer_port = (uint16_t)port;
	snprintf(name, sizeof(name), "%s_clr", g->name);
	port = rte_eth_from_rings(name, g->clear_rx, g->nq, g->clear_tx, g->nq + 1,
				  SOCKET_ID_ANY);
	cr_assert_geq(port, 0);
	g->clear_port = (uint16_t)port;
	c.name = g->name;
	c.port[WG_DP_PORT_OUTER].port_id = g->outer_port;
	c.port[WG_DP_PORT_OUTER].has_ipv4 = true;
	memcpy(c.port[WG_DP_PORT_OUTER].ipv4, g->ep4.addr.v4, 4);
	c.port[WG_DP_PORT_CLEAR].port_id = g->clear_port;
	c.n_workers = (uint16_t)g->nq;
	c.max_peers = max_peers;
	c.n_mbufs = H_MBUFS;
	c.nb_rxd = c.nb_txd = 256;
	c.socket_id = SOCKET_ID_ANY;
	g->dp = wg_dp_create(&c);
	cr_assert_not_null(g->dp, "wg_dp_create: %s", rte_strerror(rte_errno));
	g->in_use_start = rte_mempool_in_use_count(wg_dp_mempool(g->dp));
}

/* ---- talking to the socket -------------------------------------------- */

struct client {
	struct wg_control *c;
	int fd;
	struct sbuf in;			/* received, not yet returned */
};

static struct client
client_open(struct wg_control *c)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct client k = { .c = c };

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s",
		 wg_orch_server_path(orch_of(c)));
	k.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(k.fd, 0);
	cr_assert_eq(connect(k.fd, (struct sockaddr *)&addr, sizeof(addr)), 0,
		     "connect %s: %s", addr.sun_path, strerror(errno));
	return k;
}

static void
client_close(struct client *k)
{
	close(k->fd);
	free(k->in.p);
	memset(k, 0, sizeof(*k));
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Receives what is there; false at EOF. */
static bool
client_recv(struct client *k)
{
	char buf[65536];
	ssize_t n = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n > 0)
		sb_append(&k->in, buf, (size_t)n);
	else
		cr_assert(n == 0 || errno == EAGAIN, "recv: %s", strerror(errno));
	return n != 0;
}

/* The next answer line (without '\n'), serving the control thread while
 * it is written; req (any size, may be NULL) is sent meanwhile. */
static char *
client_call_n(struct client *k, const char *req, size_t len)
{
	double deadline = now_s() + CALL_TIMEOUT_S;
	size_t sent = 0, n;
	ssize_t w;
	char *nl, *line;

	for (;;) {
		if (sent < len) {
			w = send(k->fd, req + sent, len - sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			cr_assert(w > 0 || errno == EAGAIN, "send: %s", strerror(errno));
			sent += w > 0 ? (size_t)w : 0;
		}
		wg_control_poll(k->c, 0);
		cr_assert(client_recv(k) || k->in.len > 0, "the server hung up");
		nl = k->in.p != NULL ? memchr(k->in.p, '\n', k->in.len) : NULL;
		if (nl != NULL && sent == len)
			break;
		cr_assert_lt(now_s(), deadline, "no answer");
	}
	n = (size_t)(nl - k->in.p);
	line = strndup(k->in.p, n);
	memmove(k->in.p, nl + 1, k->in.len - n - 1);
	k->in.len -= n + 1;
	k->in.p[k->in.len] = '\0';
	return line;
}

static char *
client_call(struct client *k, const char *req)
{
	return client_call_n(k, req, req != NULL ? strlen(req) : 0);
}

/* One request, its answer parsed (asserted to be JSON). */
static struct jv *
call_json(struct client *k, const char *fmt, ...)
{
	char req[4096], *line;
	struct jv *v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(req, sizeof(req), fmt, ap);
	va_end(ap);
	line = client_call(k, req);
	v = json_parse(line);
	cr_assert_not_null(v, "not JSON: %.200s", line);
	free(line);
	return v;
}

static bool
jok(const struct jv *v)
{
	const struct jv *ok = jget(v, "ok");

	cr_assert(ok != NULL && ok->t == J_BOOL, "no \"ok\"");
	return ok->b;
}

/* A refusal with this errno; its message is a non-empty string. */
static void
expect_refused(struct jv *v, int err, const char *what)
{
	cr_assert_not(jok(v), "%s: accepted", what);
	cr_assert_eq(jnum(v, "errno"), (uint64_t)err, "%s: errno %llu", what,
		     (unsigned long long)jnum(v, "errno"));
	cr_assert(jstr(v, "error") != NULL && jstr(v, "error")[0] != '\0');
	jfree(v);
}

/* ---- addresses -------------------------------------------------------- */

static struct wg_uapi_allowed_ip
host_prefix(const char *text)
{
	struct wg_uapi_allowed_ip p = { 0 };

	if (strchr(text, ':') != NULL) {
		cr_assert_eq(inet_pton(AF_INET6, text, p.addr), 1, "%s", text);
		p.family = WG_AF_INET6;
		p.cidr = 128;
	} else {
		cr_assert_eq(inet_pton(AF_INET, text, p.addr), 1, "%s", text);
		p.family = WG_AF_INET;
		p.cidr = 32;
	}
	return p;
}

static bool
in_use(const struct wg_control *c, const char *text)
{
	struct wg_uapi_allowed_ip p = host_prefix(text);

	return wg_control_pool_holds(c, &p);
}

static bool
in_prefix(const char *text, const struct wg_ippool_prefix *range)
{
	struct wg_uapi_allowed_ip p = host_prefix(text);
	unsigned int bits = range->cidr, i;

	if (p.family != range->base.family)
		return false;
	for (i = 0; i < bits; i++)
		if (((p.addr[i / 8] ^ range->base.addr.v6[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static const struct wg_device_peer *
owner_of(const struct wg_control *c, const char *text)
{
	struct wg_uapi_allowed_ip p = host_prefix(text);

	return wg_device_allowed_ip_owner(wg_control_device(c), &p);
}

/* The dataplane's route for the address: a dataplane peer id, or
 * WG_DP_NO_PEER. */
static uint32_t
dp_route(struct h_gw *g, const char *text)
{
	struct wg_uapi_allowed_ip p = host_prefix(text);
	struct dp_lookup lk = { 0 };
	uint32_t id = 0;

	if (p.family == WG_AF_INET)
		dp_lookup_add4(&lk, 0, p.addr);
	else
		dp_lookup_add6(&lk, 0, p.addr);
	dp_lookup_run(g->dp, &lk, &id);
	return id;
}

static size_t
pool_count(const struct wg_control *c, uint8_t family)
{
	return wg_control_pool_count(c, family);
}

static char *
key_b64(uint32_t label)
{
	static char out[8][WG_KEY_B64_LEN + 1];
	static unsigned int next;
	char *p = out[next++ % 8];

	test_key_b64(p, label);
	return p;
}

/* ---- traffic ------------------------------------------------------------ */

static void
pump(unsigned int rounds)
{
	while (rounds-- > 0) {
		h_poll(&h_a);
		wg_control_poll(ca, 0);
		h_poll(&h_b);
		wg_control_poll(cb, 0);
	}
}

/*
 * An IPv4 packet src -> dst into from's LAN side: true if it came out of
 * to's LAN side with the same bytes (the rest is drained and freed).
 */
static bool
crosses(struct h_gw *from, struct h_gw *to, const uint8_t src[4],
	const uint8_t dst[4], uint32_t seed)
{
	static uint8_t want[FRAME_MAX], got[FRAME_MAX];
	struct rte_mbuf *m = h_inner4(from, src, dst, 100, seed), *out = NULL;
	uint16_t wl = h_copy(m, want, sizeof(want)), gl;
	unsigned int i;

	h_ring_put(from->clear_rx[0], &m, 1);
	for (i = 0; i < PUMP_ROUNDS && out == NULL; i++) {
		pump(1);
		h_ring_take(to->clear_tx[0], &out, 1);
	}
	if (out == NULL)
		return false;
	gl = h_copy(out, got, sizeof(got));
	rte_pktmbuf_free(out);
	cr_assert_eq(gl, wl);
	cr_assert_arr_eq(got + RTE_ETHER_HDR_LEN, want + RTE_ETHER_HDR_LEN,
			 wl - RTE_ETHER_HDR_LEN, "inner packet bytes differ");
	return true;
}

static void
v4(const char *text, uint8_t out[4])
{
	cr_assert_eq(inet_pton(AF_INET, text, out), 1, "%s", text);
}

/* ---- add-peer ----------------------------------------------------------- */

H_TEST(orch, add_peer_gives_unique_in_range_addresses)
{
	enum { N = 40 };
	char *seen[2 * N];
	const struct wg_device_peer *p;
	struct client k;
	struct jv *v;
	uint8_t key[WG_KEY_LEN];
	unsigned int i, j;

	pair_start(&wide);
	k = client_open(ca);
	for (i = 0; i < N; i++) {
		v = call_json(&k, "add-peer public_key=%s\n", key_b64(100 + i));
		cr_assert(jok(v), "add-peer %u", i);
		cr_assert_str_eq(jstr(v, "public_key"), key_b64(100 + i));
		seen[2 * i] = strdup(jstr(v, "ipv4"));
		seen[2 * i + 1] = strdup(jstr(v, "ipv6"));
		jfree(v);
		cr_assert(in_prefix(seen[2 * i], &pool4_wide), "%s", seen[2 * i]);
		cr_assert(in_prefix(seen[2 * i + 1], &pool6_wide), "%s", seen[2 * i + 1]);
		/* The peer exists with exactly those two allowed IPs. */
		test_key(key, 100 + i);
		p = wg_device_peer_lookup(wg_control_device(ca), key);
		cr_assert_not_null(p);
		cr_assert_eq(p->n_allowed_ips, 2);
		cr_assert_eq(owner_of(ca, seen[2 * i]), p);
		cr_assert_eq(owner_of(ca, seen[2 * i + 1]), p);
		cr_assert_eq(dp_route(&h_a, seen[2 * i]), ca->peers[p->id].dp_id);
		cr_assert_eq(dp_route(&h_a, seen[2 * i + 1]), ca->peers[p->id].dp_id);
		cr_assert(in_use(ca, seen[2 * i]) && in_use(ca, seen[2 * i + 1]));
	}
	for (i = 0; i < 2 * N; i++)
		for (j = i + 1; j < 2 * N; j++)
			cr_assert_str_neq(seen[i], seen[j], "handed out twice");
	cr_assert_eq(pool_count(ca, WG_AF_INET), N);
	cr_assert_eq(pool_count(ca, WG_AF_INET6), N);
	for (i = 0; i < 2 * N; i++)
		free(seen[i]);
	client_close(&k);
}


static const struct wg_device_peer *
peer_by_label(const struct wg_control *c, uint32_t label)
{
	uint8_t key[WG_KEY_LEN];

	test_key(key, label);
	return wg_device_peer_lookup(wg_control_device(c), key);
}

H_TEST(orch, add_peer_options_family_psk_and_keepalive)
{
	uint8_t psk[WG_KEY_LEN];
	char psk_b64[WG_KEY_B64_LEN + 1], req[256], *line;
	const struct wg_device_peer *p;
	struct client k;
	struct jv *v;

	pair_start(&wide);
	k = client_open(ca);
	v = call_json(&k, "add-peer public_key=%s family=4\n", key_b64(1));
	cr_assert(jok(v));
	cr_assert_eq(jget(v, "ipv6")->t, J_NULL);
	cr_assert(in_prefix(jstr(v, "ipv4"), &pool4_wide));
	jfree(v);
	cr_assert_eq(peer_by_label(ca, 1)->n_allowed_ips, 1);
	v = call_json(&k, "add-peer  family=6\tpublic_key=%s\r\n", key_b64(2));
	cr_assert(jok(v));
	cr_assert_eq(jget(v, "ipv4")->t, J_NULL);
	cr_assert(in_prefix(jstr(v, "ipv6"), &pool6_wide));
	jfree(v);
	cr_assert_eq(peer_by_label(ca, 2)->n_allowed_ips, 1);

	/* The preshared key reaches the peer, is never answered, and no
	 * buffer of the connection keeps it. */
	randombytes_buf(psk, sizeof(psk));
	wg_key_to_base64(psk_b64, psk);
	snprintf(req, sizeof(req), "add-peer public_key=%s preshared_key=%s "
		 "persistent_keepalive=25 family=both\n", key_b64(3), psk_b64);
	line = client_call(&k, req);
	cr_assert_null(strstr(line, psk_b64), "the answer shows the preshared key");
	v = json_parse(line);
	cr_assert(v != NULL && jok(v));
	jfree(v);
	free(line);
	p = peer_by_label(ca, 3);
	cr_assert_arr_eq(p->preshared_key, psk, WG_KEY_LEN);
	cr_assert_eq(p->persistent_keepalive, 25);
	cr_assert_eq(p->n_allowed_ips, 2);
	cr_assert_eq(wg_orch_server_connections(oa), 1);
	cr_assert(!wg_lsrv_holds(wg_control_server(ca), psk_b64, 16), "a buffer kept it");
	cr_assert(!wg_lsrv_holds(wg_control_server(ca), psk, 16));
	client_close(&k);
}

H_TEST(orch, add_peer_refusals_change_nothing)
{
	char own[WG_KEY_B64_LEN + 1], *before, *after;
	struct client k;
	struct jv *v;

	pair_start(&wide);
	k = client_open(ca);
	v = call_json(&k, "add-peer public_key=%s\n", key_b64(7));
	cr_assert(jok(v));
	jfree(v);
	before = device_dump(wg_control_device(ca));
	expect_refused(call_json(&k, "add-peer public_key=%s\n", key_b64(7)),
		       EEXIST, "existing peer");
	expect_refused(call_json(&k, "add-peer public_key=%s family=6\n", key_b64(7)),
		       EEXIST, "existing peer, one family");
	wg_key_to_base64(own, h_a.id.static_public);
	expect_refused(call_json(&k, "add-peer public_key=%s\n", own), EINVAL,
		       "our own key");
	expect_refused(call_json(&k, "add-peer family=4\n"), EINVAL, "no key");
	expect_refused(call_json(&k, "add-peer public_key=%.43s\n", key_b64(8)),
		       EINVAL, "43 characters");
	expect_refused(call_json(&k, "add-peer public_key=%s preshared_key=x\n",
				 key_b64(8)), EINVAL, "bad preshared key");
	after = device_dump(wg_control_device(ca));
	cr_assert_str_eq(after, before);
	cr_assert_eq(pool_count(ca, WG_AF_INET), 1);
	cr_assert_eq(pool_count(ca, WG_AF_INET6), 1);
	free(before);
	free(after);
	client_close(&k);
}

/* ---- bad requests --------------------------------------------------------- */

struct bad_case {
	const char *req;		/* "%K": a test key not in use */
	int err;
};

static const struct bad_case bad_cases[] = {
	{ "frobnicate\n", EINVAL },
	{ "STATS\n", EINVAL },
	{ "stats extra=1\n", EINVAL },
	{ "stats peers=maybe\n", EINVAL },
	{ "expiry seconds=abc\n", EINVAL },
	{ "expiry seconds=-1\n", EINVAL },
	{ "expiry seconds=+5\n", EINVAL },
	{ "expiry seconds=4294967296\n", EINVAL },
	{ "expiry seconds=184467440737095516160\n", EINVAL },
	{ "expiry seconds=18446744073709551616\n", EINVAL },
	{ "expiry seconds=\n", EINVAL },
	{ "expiry seconds=5 seconds=6\n", EINVAL },
	{ "expiry 5\n", EINVAL },
	{ "expiry =5\n", EINVAL },
	{ "add-peer\n", EINVAL },
	{ "add-peer public_key=abc\n", EINVAL },
	{ "add-peer public_key=%K family=7\n", EINVAL },
	{ "add-peer public_key=%K family=\n", EINVAL },
	{ "add-peer public_key=%K persistent_keepalive=65536\n", EINVAL },
	{ "add-peer public_key=%K persistent_keepalive=1.5\n", EINVAL },
	{ "add-peer public_key=%K colour=blue\n", EINVAL },
	{ "add-peer public_key=%K public_key=%K\n", EINVAL },
	{ "add-peer public_key=%K a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8\n", EINVAL },
	{ "rotate\n", EINVAL },
	{ "rotate public_key=%K\n", ENOENT },
	{ "rotate public_key=%K seconds=1\n", EINVAL },
};

/* req with every %K replaced by key. */
static char *
fill_key(const char *req, const char *key)
{
	struct sbuf sb = { 0 };
	const char *p;

	while ((p = strstr(req, "%K")) != NULL) {
		sb_append(&sb, req, (size_t)(p - req));
		sb_append(&sb, key, strlen(key));
		req = p + 2;
	}
	sb_append(&sb, req, strlen(req));
	return sb_take(&sb);
}

/* The connection still serves: expiry answers with the unchanged age. */
static void
expect_still_serving(struct client *k)
{
	struct jv *v = call_json(k, "expiry\n");

	cr_assert(jok(v));
	cr_assert_eq(jnum(v, "idle_expiry"), 180);
	jfree(v);
}

H_TEST(orch, bad_requests_change_nothing_and_the_connection_goes_on)
{
	char *before, *after, *req;
	struct client k;
	struct jv *v;
	size_t i;

	pair_start(&wide);
	k = client_open(ca);
	v = call_json(&k, "add-peer public_key=%s\n", key_b64(1));
	jfree(v);
	before = device_dump(wg_control_device(ca));
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		req = fill_key(bad_cases[i].req, key_b64(2));
		v = call_json(&k, "%s", req);
		expect_refused(v, bad_cases[i].err, req);
		free(req);
		expect_still_serving(&k);
	}
	v = json_parse(req = client_call_n(&k, "expiry\0\n", 8));
	expect_refused(v, EINVAL, "NUL byte");
	free(req);
	after = device_dump(wg_control_device(ca));
	cr_assert_str_eq(after, before);
	cr_assert_eq(pool_count(ca, WG_AF_INET), 1);
	free(before);
	free(after);
	client_close(&k);
}

/* "expiry" padded with blanks to len bytes, then ending. */
static char *
padded(size_t len, const char *ending)
{
	char *s = malloc(len + strlen(ending) + 1);

	memset(s, ' ', len);
	memcpy(s, "expiry", 6);
	strcpy(s + len, ending);
	return s;
}

H_TEST(orch, line_length_limit_is_exact)
{
	static const struct {
		size_t len;
		const char *ending;
		bool ok;
	} cases[] = {
		{ WG_ORCH_LINE_MAX, "\n", true },
		{ WG_ORCH_LINE_MAX, "\r\n", true },
		{ WG_ORCH_LINE_MAX + 1, "\n", false },
		{ WG_ORCH_LINE_MAX + 1, "\r\n", false },
		{ 100000, "\n", false },
	};
	char *req, *line;
	struct client k;
	struct jv *v;
	size_t i;

	pair_start(&wide);
	k = client_open(ca);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req = padded(cases[i].len, cases[i].ending);
		line = client_call(&k, req);
		v = json_parse(line);
		cr_assert_not_null(v, "%s", line);
		free(line);
		if (cases[i].ok) {
			cr_assert(jok(v), "case %zu", i);
			jfree(v);
		} else {
			expect_refused(v, EMSGSIZE, "overlong");
		}
		free(req);
		expect_still_serving(&k);
	}
	client_close(&k);
}

H_TEST(orch, pipelined_requests_answered_in_order_and_eof)
{
	struct client k;
	double deadline;
	char *line;

	pair_start(&wide);
	k = client_open(ca);
	/* Empty lines ask nothing; three requests in one write. */
	line = client_call(&k, "\n\nexpiry seconds=10\nexpiry seconds=20\r\nexpiry\n");
	cr_assert_str_eq(line, "{\"ok\":true,\"idle_expiry\":10}");
	free(line);
	line = client_call(&k, NULL);
	cr_assert_str_eq(line, "{\"ok\":true,\"idle_expiry\":20}");
	free(line);
	line = client_call(&k, NULL);
	cr_assert_str_eq(line, "{\"ok\":true,\"idle_expiry\":20}");
	free(line);
	/* A last line without '\n' is served at EOF... */
	cr_assert_eq(send(k.fd, "expiry", 6, MSG_NOSIGNAL), 6);
	shutdown(k.fd, SHUT_WR);
	line = client_call(&k, NULL);
	cr_assert_str_eq(line, "{\"ok\":true,\"idle_expiry\":20}");
	free(line);
	client_close(&k);

	/* ...but a bulk-add cut short by EOF adds nothing. */
	k = client_open(ca);
	line = fill_key("bulk-add\npublic_key=%K\n", key_b64(5));
	cr_assert_eq(send(k.fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	free(line);
	shutdown(k.fd, SHUT_WR);
	deadline = now_s() + CALL_TIMEOUT_S;
	while (wg_orch_server_connections(oa) > 0 && now_s() < deadline)
		wg_control_poll(ca, 1);
	cr_assert_eq(wg_orch_server_connections(oa), 0, "not closed");
	client_recv(&k);
	cr_assert_eq(k.in.len, 0, "answered a cut bulk-add");
	cr_assert_eq(wg_device_peer_count(wg_control_device(ca)), 0);
	client_close(&k);
}

/* ---- expiry ------------------------------------------------------------- */

H_TEST(orch, expiry_get_and_set)
{
	static const struct {
		const char *req;
		uint32_t want;
	} steps[] = {
		{ "expiry\n", 180 },
		{ "expiry seconds=30\n", 30 },
		{ "expiry\n", 30 },
		{ "expiry seconds=0\n", 0 },
		{ "expiry seconds=4294967295\n", UINT32_MAX },
		{ "expiry seconds=00180\n", 180 },
	};
	struct client k;
	struct jv *v;
	size_t i;

	pair_start(&wide);
	k = client_open(ca);
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		v = call_json(&k, "%s", steps[i].req);
		cr_assert(jok(v));
		cr_assert_eq(jnum(v, "idle_expiry"), steps[i].want, "step %zu", i);
		cr_assert_eq(wg_control_idle_expiry(ca), steps[i].want);
		jfree(v);
	}
	client_close(&k);
}

/* ---- rotation and removal ------------------------------------------------ */

static struct wg_uapi_set set_for;

static void
set_peer_begin(const uint8_t *key)
{
	wg_uapi_set_init(&set_for);
	feed_key(&set_for, "public_key", key);
}

/* The one string of a one-element array. */
static const char *
jone(const struct jv *o, const char *key)
{
	const struct jv *a = jget(o, key);

	cr_assert(a != NULL && a->t == J_ARR && a->n == 1 && a->v[0].t == J_STR,
		  "'%s' is not one address", key);
	return a->v[0].s;
}

/* B added to A through orchestration, with B's LAN as a second allowed IP
 * (one the pool does not own); its pool addresses in addr4 and addr6. */
static void
add_b(struct client *k, char b_key[WG_KEY_B64_LEN + 1], char addr4[64],
      char addr6[64])
{
	struct jv *v;

	wg_key_to_base64(b_key, h_b.id.static_public);
	v = call_json(k, "add-peer public_key=%s\n", b_key);
	cr_assert(jok(v));
	jcopy(addr4, v, "ipv4");
	jcopy(addr6, v, "ipv6");
	jfree(v);
	set_peer_begin(h_b.id.static_public);
	feedf(&set_for, "allowed_ip=%u.%u.%u.0/24", h_b.lan4[0], h_b.lan4[1],
	      h_b.lan4[2]);
	apply_done(ca, &set_for);
}

/* After B's IPv4 address went from old4 to new4: the model, the pool and
 * the dataplane's routes agree; old6 and B's LAN stayed. */
static void
expect_rotated(const char *old4, const char *new4, const char *old6)
{
	const struct wg_device_peer *p =
		wg_device_peer_lookup(wg_control_device(ca), h_b.id.static_public);
	struct wg_uapi_allowed_ip lan24 = { .family = WG_AF_INET, .cidr = 24 };
	uint32_t id = ca->peers[p->id].dp_id;
	char lan[64];

	memcpy(lan24.addr, h_b.lan4, 4);
	snprintf(lan, sizeof(lan), "%u.%u.%u.9", h_b.lan4[0], h_b.lan4[1], h_b.lan4[2]);
	cr_assert(in_prefix(new4, &pool4_wide));
	cr_assert_str_neq(new4, old4);
	cr_assert_null(owner_of(ca, old4));
	cr_assert_eq(owner_of(ca, new4), p);
	cr_assert_eq(owner_of(ca, old6), p);
	cr_assert_eq(wg_device_allowed_ip_owner(wg_control_device(ca), &lan24), p);
	cr_assert_eq(p->n_allowed_ips, 3);
	cr_assert_not(in_use(ca, old4), "the old address is free again");
	cr_assert(in_use(ca, new4));
	cr_assert(in_use(ca, old6));
	cr_assert_eq(pool_count(ca, WG_AF_INET), 1);
	cr_assert_eq(dp_route(&h_a, old4), WG_DP_NO_PEER);
	cr_assert_eq(dp_route(&h_a, new4), id);
	cr_assert_eq(dp_route(&h_a, old6), id);
	cr_assert_eq(dp_route(&h_a, lan), id);
}

/* From B the old source is refused and the new one accepted; towards B
 * the new address routes and the old one does not. */
static void
expect_rotated_traffic(const char *old4, const char *new4)
{
	uint64_t bad_src = h_drop(&h_a, WG_DROP_INNER_BAD_SRC);
	uint64_t no_route = h_drop(&h_a, WG_DROP_NO_ROUTE);
	uint8_t src[4], a_host[4], b_host[4];

	h_lan4(&h_a, 20, a_host);
	v4(old4, src);
	cr_assert_not(crosses(&h_b, &h_a, src, a_host, 3));
	cr_assert_eq(h_drop(&h_a, WG_DROP_INNER_BAD_SRC), bad_src + 1);
	v4(new4, src);
	cr_assert(crosses(&h_b, &h_a, src, a_host, 4), "from the new address");
	v4(new4, b_host);
	cr_assert(crosses(&h_a, &h_b, a_host, b_host, 5), "to the new address");
	v4(old4, b_host);
	cr_assert_not(crosses(&h_a, &h_b, a_host, b_host, 6));
	cr_assert_eq(h_drop(&h_a, WG_DROP_NO_ROUTE), no_route + 1);
}

H_TEST(orch, rotation_moves_routing_at_once_and_frees_the_old_address)
{
	char b_key[WG_KEY_B64_LEN + 1], old4[64], old6[64], new4[64];
	uint8_t src[4], a_host[4];
	const struct wg_device_peer *p;
	uint64_t bad_src;
	struct client k;
	struct jv *v;

	pair_start(&wide);
	k = client_open(ca);
	add_b(&k, b_key, old4, old6);
	/* Traffic from the address B was given is accepted; from an
	 * address of the pool that B was not given, it is not. */
	h_lan4(&h_a, 20, a_host);
	v4(old4, src);
	cr_assert(crosses(&h_b, &h_a, src, a_host, 1), "from the pool address");
	bad_src = h_drop(&h_a, WG_DROP_INNER_BAD_SRC);
	src[3] ^= 1;
	cr_assert_not(crosses(&h_b, &h_a, src, a_host, 2));
	cr_assert_eq(h_drop(&h_a, WG_DROP_INNER_BAD_SRC), bad_src + 1);

	v = call_json(&k, "rotate public_key=%s family=4\n", b_key);
	cr_assert(jok(v));
	snprintf(new4, sizeof(new4), "%s", jstr(v, "ipv4"));
	cr_assert_str_eq(jone(v, "old_ipv4"), old4);
	cr_assert_eq(jget(v, "ipv6")->t, J_NULL, "IPv6 was not asked for");
	cr_assert_eq(jget(v, "old_ipv6")->n, 0);
	jfree(v);
	expect_rotated(old4, new4, old6);
	expect_rotated_traffic(old4, new4);

	/* Without family: every family B holds pool addresses in. */
	v = call_json(&k, "rotate public_key=%s\n", b_key);
	cr_assert(jok(v));
	cr_assert_str_eq(jone(v, "old_ipv4"), new4);
	cr_assert_str_eq(jone(v, "old_ipv6"), old6);
	cr_assert_not(in_use(ca, new4));
	cr_assert_not(in_use(ca, old6));
	p = wg_device_peer_lookup(wg_control_device(ca), h_b.id.static_public);
	cr_assert_eq(owner_of(ca, jstr(v, "ipv4")), p);
	cr_assert_eq(owner_of(ca, jstr(v, "ipv6")), p);
	cr_assert_eq(p->n_allowed_ips, 3);
	jfree(v);
	client_close(&k);
}

static void
remove_peer(struct wg_control *c, uint32_t label)
{
	uint8_t key[WG_KEY_LEN];

	test_key(key, label);
	set_peer_begin(key);
	feedf(&set_for, "remove=true");
	apply_done(c, &set_for);
}

H_TEST(orch, removal_and_wg_set_keep_the_pool_in_step)
{
	char a1[2][64], a2[2][64];
	struct client k;
	struct jv *v;
	uint8_t key[WG_KEY_LEN];

	pair_start(&wide);
	k = client_open(ca);
	v = call_json(&k, "add-peer public_key=%s\n", key_b64(1));
	jcopy(a1[0], v, "ipv4");
	jcopy(a1[1], v, "ipv6");
	jfree(v);
	v = call_json(&k, "add-peer public_key=%s\n", key_b64(2));
	jcopy(a2[0], v, "ipv4");
	jcopy(a2[1], v, "ipv6");
	jfree(v);

	/* Removal (wg set ... remove) gives the peer's addresses back. */
	remove_peer(ca, 1);
	cr_assert_not(in_use(ca, a1[0]));
	cr_assert_not(in_use(ca, a1[1]));
	cr_assert(in_use(ca, a2[0]) && in_use(ca, a2[1]));
	cr_assert_eq(pool_count(ca, WG_AF_INET), 1);
	cr_assert_eq(pool_count(ca, WG_AF_INET6), 1);

	/* An in-range /32 given with wg set is taken; a /24 is not the pool's. */
	test_key(key, 2);
	set_peer_begin(key);
	feedf(&set_for, "allowed_ip=10.64.0.77/32");
	feedf(&set_for, "allowed_ip=10.65.0.0/24");
	apply_done(ca, &set_for);
	cr_assert(in_use(ca, "10.64.0.77"));
	cr_assert_eq(pool_count(ca, WG_AF_INET), 2);
	/* Taking a peer's addresses away (replace_allowed_ips) frees them. */
	set_peer_begin(key);
	feedf(&set_for, "replace_allowed_ips=true");
	feedf(&set_for, "allowed_ip=192.168.50.0/24");
	apply_done(ca, &set_for);
	cr_assert_not(in_use(ca, a2[0]));
	cr_assert_not(in_use(ca, "10.64.0.77"));
	cr_assert_eq(pool_count(ca, WG_AF_INET), 0);
	cr_assert_eq(pool_count(ca, WG_AF_INET6), 0);
	/* And a peer with no pool address gets new ones on rotation. */
	v = call_json(&k, "rotate public_key=%s\n", key_b64(2));
	cr_assert(jok(v));
	cr_assert_eq(jget(v, "old_ipv4")->n, 0);
	cr_assert_eq(owner_of(ca, jstr(v, "ipv4")), peer_by_label(ca, 2));
	jfree(v);
	cr_assert_eq(peer_by_label(ca, 2)->n_allowed_ips, 3);
	client_close(&k);
}

/* ---- a small pool ---------------------------------------------------------- */

/* 10.99.0.0/29; .6 stands for the gateway's own address. */
static const struct wg_ippool_addr small_fixed[] = {
	{ .family = WG_AF_INET, .addr.v4 = { 10, 99, 0, 6 } },
};
static const struct pool_shape small = { &pool4_small, NULL, small_fixed, 1 };

static char *
bulk_request(uint32_t first, unsigned int n, const char *bad, unsigned int bad_at)
{
	struct sbuf sb = { 0 };
	unsigned int i;

	sb_printf(&sb, "bulk-add\n");
	for (i = 1; i <= n; i++) {
		if (i == bad_at)
			sb_printf(&sb, "%s\n", bad);
		else
			sb_printf(&sb, "public_key=%s\n", key_b64(first + i - 1));
	}
	sb_printf(&sb, "\n");
	return sb_take(&sb);
}

static struct jv *
call_bulk(struct client *k, uint32_t first, unsigned int n, const char *bad,
	  unsigned int bad_at)
{
	char *req = bulk_request(first, n, bad, bad_at);
	char *line = client_call(k, req);
	struct jv *v = json_parse(line);

	cr_assert_not_null(v, "not JSON: %.200s", line);
	free(line);
	free(req);
	return v;
}

/* 10.99.0.3 taken with wg set, then peers 1..4 added: the pool is full. */
static void
fill_small_pool(struct client *k, char got[4][64])
{
	uint8_t key[WG_KEY_LEN];
	unsigned int i, j;
	struct jv *v;

	test_key(key, 900);
	set_peer_begin(key);
	feedf(&set_for, "allowed_ip=10.99.0.3/32");
	apply_done(ca, &set_for);
	/* .1 .2 .4 .5 remain (.0 network, .7 broadcast, .6 ours). */
	for (i = 0; i < 4; i++) {
		v = call_json(k, "add-peer public_key=%s\n", key_b64(1 + i));
		cr_assert(jok(v), "peer %u", i);
		cr_assert_eq(jget(v, "ipv6")->t, J_NULL, "the pool has no IPv6");
		jcopy(got[i], v, "ipv4");
		jfree(v);
		cr_assert(strcmp(got[i], "10.99.0.1") == 0 || strcmp(got[i], "10.99.0.2") == 0 ||
			  strcmp(got[i], "10.99.0.4") == 0 || strcmp(got[i], "10.99.0.5") == 0,
			  "%s handed out", got[i]);
		for (j = 0; j < i; j++)
			cr_assert_str_neq(got[i], got[j]);
	}
	cr_assert_eq(pool_count(ca, WG_AF_INET), 5);
}

H_TEST(orch, small_pool_exhaustion_refuses_and_changes_nothing)
{
	char *before, *after, got[4][64];
	struct client k;

	pair_start(&small);
	k = client_open(ca);
	fill_small_pool(&k, got);
	before = device_dump(wg_control_device(ca));
	expect_refused(call_json(&k, "add-peer public_key=%s\n", key_b64(9)), ENOSPC,
		       "full pool");
	expect_refused(call_json(&k, "add-peer public_key=%s family=6\n", key_b64(9)),
		       EAFNOSUPPORT, "no IPv6 range");
	expect_refused(call_json(&k, "add-peer public_key=%s family=both\n", key_b64(9)),
		       EAFNOSUPPORT, "no IPv6 range, both");
	expect_refused(call_json(&k, "rotate public_key=%s\n", key_b64(1)), ENOSPC,
		       "rotate in a full pool");
	expect_refused(call_bulk(&k, 10, 2, NULL, 0), ENOSPC, "bulk in a full pool");
	after = device_dump(wg_control_device(ca));
	cr_assert_str_eq(after, before);
	cr_assert_eq(pool_count(ca, WG_AF_INET), 5);
	cr_assert(in_use(ca, got[0]), "rotate kept the old address");
	free(after);
	free(before);
	client_close(&k);
}

H_TEST(orch, small_pool_hands_out_a_freed_address_again)
{
	char *before, *after, got[4][64];
	struct client k;
	struct jv *v;

	pair_start(&small);
	k = client_open(ca);
	fill_small_pool(&k, got);
	/* One address freed: two peers still do not fit, one does. */
	remove_peer(ca, 1);
	cr_assert_eq(pool_count(ca, WG_AF_INET), 4);
	before = device_dump(wg_control_device(ca));
	expect_refused(call_bulk(&k, 10, 2, NULL, 0), ENOSPC, "bulk of two, one free");
	after = device_dump(wg_control_device(ca));
	cr_assert_str_eq(after, before);
	cr_assert_eq(pool_count(ca, WG_AF_INET), 4);
	v = call_bulk(&k, 10, 1, NULL, 0);
	cr_assert(jok(v));
	cr_assert_str_eq(jstr(&jget(v, "peers")->v[0], "ipv4"), got[0]);
	jfree(v);
	cr_assert_eq(pool_count(ca, WG_AF_INET), 5);
	free(after);
	free(before);
	client_close(&k);
}

H_TEST(orch, full_peer_table_refuses_and_gives_the_addresses_back)
{
	struct client k;
	struct jv *v;

	pair_start(&wide);	/* max_peers 64 */
	k = client_open(ca);
	v = call_bulk(&k, 1, 64, NULL, 0);
	cr_assert(jok(v));
	jfree(v);
	expect_refused(call_json(&k, "add-peer public_key=%s\n", key_b64(100)),
		       ENOSPC, "add-peer, table full");
	v = call_bulk(&k, 100, 1, NULL, 0);
	cr_assert_eq(jnum(v, "line"), 1);
	expect_refused(v, ENOSPC, "bulk-add, table full");
	cr_assert_eq(wg_device_peer_count(wg_control_device(ca)), 64);
	cr_assert_eq(pool_count(ca, WG_AF_INET), 64, "addresses given back");
	cr_assert_eq(pool_count(ca, WG_AF_INET6), 64);
	client_close(&k);
}

/* ---- bulk-add ------------------------------------------------------------- */

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The answer lists keys first..first+n-1 in order, each with distinct
 * in-range addresses that the model gives to that peer. */
static void
expect_bulk_answer(const struct jv *v, uint32_t first, size_t n)
{
	const struct jv *peers = jget(v, "peers");
	char **all = calloc(2 * n, sizeof(*all));
	const struct wg_device_peer *p;
	size_t i;

	cr_assert(jok(v));
	cr_assert_eq(jnum(v, "count"), n);
	cr_assert(peers != NULL && peers->t == J_ARR && peers->n == n);
	for (i = 0; i < n; i++) {
		cr_assert_str_eq(jstr(&peers->v[i], "public_key"), key_b64(first + i));
		all[2 * i] = (char *)jstr(&peers->v[i], "ipv4");
		all[2 * i + 1] = (char *)jstr(&peers->v[i], "ipv6");
		cr_assert(in_prefix(all[2 * i], &pool4_wide));
		cr_assert(in_prefix(all[2 * i + 1], &pool6_wide));
		p = owner_of(ca, all[2 * i]);
		cr_assert(p != NULL && key_label(p->public_key) == first + i);
		cr_assert_eq(owner_of(ca, all[2 * i + 1]), p);
		cr_assert_eq(p->n_allowed_ips, 2);
	}
	qsort(all, 2 * n, sizeof(*all), str_cmp);
	for (i = 1; i < 2 * n; i++)
		cr_assert_str_neq(all[i - 1], all[i], "handed out twice");
	free(all);
}

static void
big_start(uint32_t max_peers)
{
	h_gw_init(&h_a, "obA", 1, 1);
	big_gw_start(&h_a, max_peers + 16);
	ca = control_for(&h_a, max_peers, &wide, &oa);
	configure(ca, &h_a, &h_a, false);
}

H_TEST(orch, bulk_add_ten_thousand_in_one_call_then_stats_lists_them)
{
	enum { N = 10000 };
	const struct jv *peers;
	struct client k;
	struct jv *v;

	big_start(N + 8);
	k = client_open(ca);
	v = call_bulk(&k, 1000, N, NULL, 0);
	expect_bulk_answer(v, 1000, N);
	jfree(v);
	cr_assert_eq(wg_device_peer_count(wg_control_device(ca)), N);
	cr_assert_eq(pool_count(ca, WG_AF_INET), N);
	cr_assert_eq(pool_count(ca, WG_AF_INET6), N);

	/* stats is streamed: every peer is in it, once. */
	v = call_json(&k, "stats\n");
	cr_assert(jok(v));
	cr_assert_eq(jnum(v, "peer_count"), N);
	peers = jget(v, "peers");
	cr_assert(peers != NULL && peers->n == N);
	cr_assert_str_eq(jstr(&peers->v[0], "public_key"), key_b64(1000));
	cr_assert_str_eq(jstr(&peers->v[N - 1], "public_key"), key_b64(1000 + N - 1));
	cr_assert_eq(jnum(jget(v, "pool"), "ipv4_in_use"), N);
	jfree(v);
	client_close(&k);
}

static void
expect_bulk_refused(struct client *k, uint32_t first, unsigned int n,
		    const char *bad, unsigned int bad_at, int err, uint64_t line)
{
	struct jv *v = call_bulk(k, first, n, bad, bad_at);

	cr_assert_eq(jnum(v, "line"), line, "line %u", bad_at);
	expect_refused(v, err, bad != NULL ? bad : "existing peer");
}

H_TEST(orch, bulk_add_refusals_change_nothing)
{
	enum { N = 10000 };
	char own[80], dup[80], own_b64[WG_KEY_B64_LEN + 1];
	struct client k;
	size_t aips;
	struct jv *v;

	big_start(N + 8);
	k = client_open(ca);
	v = call_bulk(&k, 1, 3, NULL, 0);
	expect_bulk_answer(v, 1, 3);
	jfree(v);
	aips = wg_device_allowed_ip_count(wg_control_device(ca));
	wg_key_to_base64(own_b64, h_a.id.static_public);
	snprintf(own, sizeof(own), "public_key=%s", own_b64);
	snprintf(dup, sizeof(dup), "public_key=%s", key_b64(300));

	/* One bad line in the middle of ten thousand: none is added, and
	 * the answer names the line; so for a key twice, an existing peer
	 * and our own key. */
	expect_bulk_refused(&k, 100, N, "public_key=AAAA", N / 2, EINVAL, N / 2);
	expect_bulk_refused(&k, 100, N, "allowed_ip=10.0.0.1/32", 7, EINVAL, 7);
	expect_bulk_refused(&k, 300, 3, dup, 3, EINVAL, 3);
	expect_bulk_refused(&k, 2, 2, NULL, 0, EEXIST, 1);
	expect_bulk_refused(&k, 400, 3, own, 2, EINVAL, 2);
	v = call_json(&k, "bulk-add family=5\npublic_key=%s\n\n", key_b64(500));
	expect_refused(v, EINVAL, "bad family");
	v = call_json(&k, "bulk-add bogus=1\npublic_key=%s\n\n", key_b64(500));
	expect_refused(v, EINVAL, "unknown argument");
	cr_assert_eq(wg_device_peer_count(wg_control_device(ca)), 3);
	cr_assert_eq(wg_device_allowed_ip_count(wg_control_device(ca)), aips);
	cr_assert_eq(pool_count(ca, WG_AF_INET), 3);
	cr_assert_eq(pool_count(ca, WG_AF_INET6), 3);
	cr_assert_null(peer_by_label(ca, 100));
	cr_assert_null(peer_by_label(ca, 100 + N - 1));
	cr_assert_null(peer_by_label(ca, 300));
	/* Nothing of the refused requests lingers: their keys go in now. */
	v = call_bulk(&k, 100, 5, NULL, 0);
	expect_bulk_answer(v, 100, 5);
	jfree(v);
	expect_still_serving(&k);
	client_close(&k);
}

/* ---- stats ---------------------------------------------------------------- */

/* Per worker, with the control thread's share last: they add up to the
 * dataplane's totals. */
static void
workers_add_up(const struct jv *v)
{
	const struct jv *w = jget(v, "workers");
	double sum = 0;
	unsigned int i;

	cr_assert(w != NULL && w->t == J_ARR && w->n >= 2);
	cr_assert_str_eq(jstr(&w->v[w->n - 1], "worker"), "control");
	for (i = 0; i < w->n; i++)
		sum += jnum(jget(&w->v[i], "counters"), "decrypted");
	cr_assert_eq(sum, jnum(jget(v, "dataplane"), "decrypted"));
}

H_TEST(orch, stats_parses_and_lists_peers_counters_and_every_drop_reason)
{
	char b_key[WG_KEY_B64_LEN + 1], want[2][80], ep[64], a4[64], a6[64];
	const struct jv *peers, *peer, *drops, *aips;
	uint8_t src[4], a_host[4];
	struct client k;
	unsigned int r;
	struct jv *v;

	pair_start(&wide);
	k = client_open(ca);
	wg_key_to_base64(b_key, h_b.id.static_public);
	v = call_json(&k, "add-peer public_key=%s\n", b_key);
	jcopy(a4, v, "ipv4");
	jcopy(a6, v, "ipv6");
	snprintf(want[0], sizeof(want[0]), "%s/32", a4);
	snprintf(want[1], sizeof(want[1]), "%s/128", a6);
	v4(a4, src);
	jfree(v);
	h_lan4(&h_a, 20, a_host);
	cr_assert(crosses(&h_b, &h_a, src, a_host, 1));
	pump(4);

	v = call_json(&k, "stats\n");
	cr_assert(jok(v));
	cr_assert_str_eq(jstr(v, "interface"), "orA");
	cr_assert_eq(jnum(v, "idle_expiry"), 180);
	cr_assert_eq(jnum(v, "peer_count"), 1);
	cr_assert_eq(jnum(jget(v, "control"), "handshakes_completed"), 1);
	cr_assert_eq(jnum(jget(v, "control"), "responses_tx"), 1);
	cr_assert_geq(jnum(jget(v, "dataplane"), "decrypted"), 1);
	drops = jget(v, "drops");
	cr_assert(drops != NULL && drops->n == WG_DROP_MAX);
	for (r = 0; r < WG_DROP_MAX; r++)
		cr_assert_eq(jnum(drops, wg_dp_drop_name(r)),
			     h_drop(&h_a, (enum wg_dp_drop)r), "%s", wg_dp_drop_name(r));
	cr_assert_str_eq(jstr(jget(v, "pool"), "ipv4"), "10.64.0.0/10");
	cr_assert_str_eq(jstr(jget(v, "pool"), "ipv6"), "fd00:64::/48");
	cr_assert_eq(jnum(jget(v, "pool"), "ipv6_in_use"), 1);
	peers = jget(v, "peers");
	cr_assert(peers != NULL && peers->t == J_ARR && peers->n == 1);
	peer = &peers->v[0];
	cr_assert_str_eq(jstr(peer, "public_key"), b_key);
	snprintf(ep, sizeof(ep), "%u.%u.%u.%u:%u", h_b.ep4.addr.v4[0],
		 h_b.ep4.addr.v4[1], h_b.ep4.addr.v4[2], h_b.ep4.addr.v4[3],
		 h_b.ep4.port);
	cr_assert_str_eq(jstr(peer, "endpoint"), ep, "learned from the handshake");
	aips = jget(peer, "allowed_ips");
	cr_assert(aips != NULL && aips->n == 2);
	cr_assert_str_eq(aips->v[0].s, want[0]);
	cr_assert_str_eq(aips->v[1].s, want[1]);
	cr_assert_gt(jnum(peer, "rx_bytes"), 0);
	cr_assert_geq(jnum(peer, "rx_packets"), 1);
	cr_assert_gt(jnum(peer, "last_handshake"), 1600000000);
	cr_assert_eq(jnum(peer, "persistent_keepalive"), 0);

	workers_add_up(v);
	jfree(v);

	/* peers=no: the same counters, no peer list. */
	v = call_json(&k, "stats peers=no\n");
	cr_assert(jok(v));
	cr_assert_eq(jnum(v, "peer_count"), 1);
	cr_assert_eq(jnum(jget(v, "control"), "handshakes_completed"), 1);
	cr_assert(jget(v, "drops") != NULL && jget(v, "drops")->n == WG_DROP_MAX);
	cr_assert_null(jget(v, "peers"));
	jfree(v);
	client_close(&k);
}

/* ---- wgedgectl -------------------------------------------------------------- */

/* Runs wgedgectl with args while serving c; its exit status, its output
 * in *out (caller frees). */
static int
run_cli(struct wg_control *c, char **out, const char *stdin_path, ...)
{
	char out_path[128], *argv[16] = { WGEDGECTL_PATH };
	posix_spawn_file_actions_t fa;
	double deadline = now_s() + CALL_TIMEOUT_S;
	int argc = 1, status;
	va_list ap;
	pid_t pid;
	FILE *f;
	long n;

	va_start(ap, stdin_path);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	snprintf(out_path, sizeof(out_path), "%s/cli.out", tmpdir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 0, stdin_path != NULL ? stdin_path :
					 "/dev/null", O_RDONLY, 0);
	cr_assert_eq(posix_spawn(&pid, WGEDGECTL_PATH, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (c != NULL)
			wg_control_poll(c, 1);
		else
			usleep(1000);
		cr_assert_lt(now_s(), deadline, "wgedgectl hangs");
	}
	f = fopen(out_path, "r");
	cr_assert_not_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	*out = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(*out, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(out_path);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static char *
write_tmp(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

H_TEST(orch, wgedgectl_sends_prints_and_exits_by_ok)
{
	char sock[108], *out;
	struct jv *v;

	pair_start(&wide);
	snprintf(sock, sizeof(sock), "%s", wg_orch_server_path(oa));
	cr_assert_eq(run_cli(ca, &out, NULL, "-s", sock, "orA", "expiry",
			     "seconds=42", NULL), 0);
	cr_assert_str_eq(out, "{\"ok\":true,\"idle_expiry\":42}\n");
	free(out);
	cr_assert_eq(wg_control_idle_expiry(ca), 42);
	cr_assert_eq(run_cli(ca, &out, NULL, "--socket", sock, "orA", "frobnicate", NULL), 1);
	v = json_parse(out);
	cr_assert(v != NULL && !jok(v));
	jfree(v);
	free(out);
	/* Usage errors, help, and no server. */
	cr_assert_eq(run_cli(NULL, &out, NULL, "orA", NULL), 2);
	free(out);
	cr_assert_eq(run_cli(NULL, &out, NULL, "-s", sock, "orA", "bulk-add", NULL), 2);
	free(out);
	cr_assert_eq(run_cli(NULL, &out, NULL, "-s", sock, "orA", "expiry", "x y", NULL), 2);
	free(out);
	cr_assert_eq(run_cli(NULL, &out, NULL, "--help", NULL), 0);
	cr_assert(strstr(out, "stats") && strstr(out, "add-peer") && strstr(out, "rotate") &&
		  strstr(out, "expiry") && strstr(out, "bulk-add"));
	free(out);
	cr_assert_eq(run_cli(NULL, &out, NULL, "-s", "/nonexistent/x.ctl", "orA",
			     "stats", NULL), 1);
	free(out);
}

H_TEST(orch, wgedgectl_streams_key_files_and_reads_psk_files)
{
	char sock[108], *out, *keys, file[128], psk_b64[WG_KEY_B64_LEN + 1];
	char arg[128], pskf[160], text[512];
	uint8_t psk[WG_KEY_LEN];
	struct jv *v;

	pair_start(&wide);
	snprintf(sock, sizeof(sock), "%s", wg_orch_server_path(oa));
	/* bulk-add FILE: bare keys, key= lines, comments and blanks. */
	keys = fill_key("# three peers\n%K\n\n", key_b64(1));
	snprintf(text, sizeof(text), "%s  public_key=%s  \r\n%s\n", keys, key_b64(2),
		 key_b64(3));
	free(keys);
	snprintf(file, sizeof(file), "%s", write_tmp("keys.txt", text));
	cr_assert_eq(run_cli(ca, &out, NULL, "-s", sock, "orA", "bulk-add", "family=4",
			     file, NULL), 0);
	v = json_parse(out);
	cr_assert(v != NULL && jok(v) && jnum(v, "count") == 3);
	cr_assert_eq(jget(&jget(v, "peers")->v[1], "ipv6")->t, J_NULL);
	jfree(v);
	free(out);
	cr_assert_not_null(peer_by_label(ca, 3));
	/* The same again, from stdin: every key exists now. */
	cr_assert_eq(run_cli(ca, &out, file, "-s", sock, "orA", "bulk-add", "-", NULL), 1);
	v = json_parse(out);
	cr_assert(v != NULL && jnum(v, "errno") == EEXIST && jnum(v, "line") == 1);
	jfree(v);
	free(out);

	/* preshared_key_file keeps the key off the command line. */
	randombytes_buf(psk, sizeof(psk));
	wg_key_to_base64(psk_b64, psk);
	snprintf(pskf, sizeof(pskf), "preshared_key_file=%s",
		 write_tmp("psk", psk_b64));
	snprintf(arg, sizeof(arg), "public_key=%s", key_b64(4));
	cr_assert_eq(run_cli(ca, &out, NULL, "-s", sock, "orA", "add-peer", arg, pskf,
			     NULL), 0);
	cr_assert_null(strstr(out, psk_b64));
	free(out);
	cr_assert_arr_eq(peer_by_label(ca, 4)->preshared_key, psk, WG_KEY_LEN);

	/* preshared_key=- reads one line of stdin. */
	randombytes_buf(psk, sizeof(psk));
	wg_key_to_base64(psk_b64, psk);
	snprintf(text, sizeof(text), "%s\n", psk_b64);
	snprintf(arg, sizeof(arg), "public_key=%s", key_b64(5));
	cr_assert_eq(run_cli(ca, &out, write_tmp("psk_stdin", text), "-s", sock, "orA",
			     "add-peer", arg, "preshared_key=-", NULL), 0);
	cr_assert_null(strstr(out, psk_b64));
	free(out);
	cr_assert_arr_eq(peer_by_label(ca, 5)->preshared_key, psk, WG_KEY_LEN);

	/* The key itself on the command line (readable in /proc): a usage
	 * error, and nothing reaches the server. */
	snprintf(pskf, sizeof(pskf), "preshared_key=%s", psk_b64);
	snprintf(arg, sizeof(arg), "public_key=%s", key_b64(6));
	cr_assert_eq(run_cli(ca, &out, NULL, "-s", sock, "orA", "add-peer", arg, pskf,
			     NULL), 2);
	cr_assert_str_eq(out, "");
	free(out);
	cr_assert_null(peer_by_label(ca, 6));
}

/* ---- the daemon's way: serve_socket ----------------------------------------- */

H_TEST(orch, serve_socket_makes_a_0600_socket_served_by_the_control_loop)
{
	struct wg_control_conf cc = { .max_peers = 16, .serve_socket = true,
				      .pool_v4 = &pool4_wide };
	struct wg_orch_server_config oc = { 0 };
	char ifname[16], path[128], err[256];
	struct client k;
	struct stat st;
	struct jv *v;

	if (geteuid() != 0)
		cr_skip_test("needs root for " WG_ORCH_DIR);
	h_gw_init(&h_a, "orS", 1, 1);
	h_gw_start(&h_a);
	snprintf(ifname, sizeof(ifname), "wgorch%u", (unsigned int)getpid() % 100000);
	snprintf(path, sizeof(path), WG_ORCH_DIR "/%s.ctl", ifname);
	cc.dp = h_a.dp;
	cc.ifname = ifname;
	cr_assert_eq(wg_control_create(&ca, &cc), 0);
	/* As the daemon does: orchestration listens on the control
	 * thread's server. */
	oc.server = wg_control_server(ca);
	oc.control = ca;
	oc.ifname = ifname;
	cr_assert_eq(wg_orch_server_open(&oa, &oc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert_eq(stat(WG_ORCH_DIR, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	k = client_open(ca);
	v = call_json(&k, "add-peer public_key=%s\n", key_b64(1));
	cr_assert(jok(v));
	cr_assert_eq(jget(v, "ipv6")->t, J_NULL);
	jfree(v);
	client_close(&k);
	wg_control_destroy(ca);
	ca = NULL;
	oa = NULL;
	cr_assert_neq(stat(path, &st), 0, "socket file left behind");
}

/* ---- configuration ------------------------------------------------------------ */

#define EXAMPLE WG_SOURCE_ROOT "/configs/wgedge.conf"

static void
setup_config(void)
{
	cr_assert_geq(sodium_init(), 0);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/wgorch.XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void
teardown_config(void)
{
	tmp_clean();
}

static char *
read_example(void)
{
	FILE *f = fopen(EXAMPLE, "r");
	struct sbuf sb = { 0 };
	char buf[4096];
	size_t n;

	cr_assert_not_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_append(&sb, buf, n);
	fclose(f);
	return sb_take(&sb);
}

/* The example with its address_pool block replaced by block. */
static char *
example_with(const char *block)
{
	static const char start[] = "address_pool = {";
	char *text = read_example(), *a = strstr(text, start), *b, *out;

	cr_assert_not_null(a, "the example has no address_pool");
	b = strstr(a, "};");
	cr_assert_not_null(b);
	out = malloc(strlen(text) + strlen(block) + 1);
	memcpy(out, text, (size_t)(a - text));
	strcpy(out + (a - text), block);
	strcat(out, b + 2);
	free(text);
	return out;
}

static int
load_text(const char *text, struct wg_config *cfg, char *err, size_t errlen)
{
	char *path = write_tmp("wgedge.conf", text);

	chmod(path, 0600);
	return wg_config_load(path, cfg, err, errlen);
}

static void
expect_pool(const struct wg_config_addr *a, uint8_t family, const char *text,
	    uint8_t len)
{
	struct wg_uapi_allowed_ip p;

	cr_assert_eq(a->family, family);
	if (family == WG_AF_NONE)
		return;
	p = host_prefix(text);
	cr_assert_arr_eq(a->addr, p.addr, 16);
	cr_assert_eq(a->prefix_len, len);
}

Test(orch_config, address_pool_is_parsed_and_validated, .init = setup_config,
     .fini = teardown_config)
{
	static const struct {
		const char *block;
		const char *word;	/* NULL: loads */
	} cases[] = {
		{ "address_pool = { ipv4 = \"10.0.0.0/8\"; };", NULL },
		{ "address_pool = { ipv6 = \"fd00::/32\"; };", NULL },
		{ "address_pool = { };", NULL },
		{ "", NULL },
		{ "address_pool = { ipv4 = \"10.64.0.1/10\"; };", "host bits set (did you mean 10.64.0.0/10?)" },
		{ "address_pool = { ipv4 = \"fd00::/48\"; };", "must be an IPv4 prefix" },
		{ "address_pool = { ipv6 = \"10.0.0.0/8\"; };", "must be an IPv6 prefix" },
		{ "address_pool = { ipv4 = \"10.64.0.0\"; };", "needs a /prefix" },
		{ "address_pool = { ipv4 = \"10.64.0.0/33\"; };", "prefix length" },
		{ "address_pool = { ipv4 = \"ten/8\"; };", "malformed prefix" },
		{ "address_pool = { ipv4 = 10; };", "address_pool.ipv4" },
		{ "address_pool = { ipv5 = \"10.0.0.0/8\"; };", "unknown setting" },
		{ "address_pool = \"10.0.0.0/8\";", "address_pool" },
	};
	struct wg_config cfg;
	char err[512], *text;
	size_t i;
	int rc;

	text = read_example();
	cr_assert_eq(load_text(text, &cfg, err, sizeof(err)), 0, "%s", err);
	free(text);
	expect_pool(&cfg.pool4, WG_AF_INET, "10.64.0.0", 10);
	expect_pool(&cfg.pool6, WG_AF_INET6, "fd00:64::", 48);
	wg_config_free(&cfg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = example_with(cases[i].block);
		rc = load_text(text, &cfg, err, sizeof(err));
		free(text);
		if (cases[i].word == NULL) {
			cr_assert_eq(rc, 0, "case %zu: %s", i, err);
			cr_assert_eq(cfg.pool4.family, i == 0 ? WG_AF_INET : WG_AF_NONE);
			cr_assert_eq(cfg.pool6.family, i == 1 ? WG_AF_INET6 : WG_AF_NONE);
			wg_config_free(&cfg);
		} else {
			cr_assert_neq(rc, 0, "case %zu loaded", i);
			cr_assert(strstr(err, cases[i].word) != NULL,
				  "case %zu: '%s' lacks '%s'", i, err, cases[i].word);
			cr_assert(strstr(err, "wgedge.conf:") != NULL, "%s", err);
		}
	}
}
