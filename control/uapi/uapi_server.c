/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The wg(8) control socket's protocol on the line server (see
 * uapi_server.h for the protocol and where it differs from wireguard-go):
 * operation lines, set lines fed to the parser and applied at their empty
 * line, gets streamed a chunk of peers at a time.
 */
#include <errno.h>
#include <string.h>

#include <sodium.h>

#include "line_server.h"
#include "uapi_server.h"
#include "unix_listen.h"

enum {
	/* Peers per get chunk. */
	UAPI_GET_CHUNK = 128
};

enum uapi_state {
	UAPI_OP = 0,		/* reading an operation line */
	UAPI_GET_NL,		/* after "get=1\n": the next byte must be '\n' */
	UAPI_SET,		/* feeding set lines */
	UAPI_DRAIN		/* set failed: discarding up to its empty line */
};

/* One connection's protocol state (wiped by the server at close). */
struct uapi_conn {
	enum uapi_state state;
	struct wg_uapi_set set;
	size_t set_bytes;		/* of the set being read */
	/* A get being streamed. */
	bool get_active;
	struct wg_device_view_iter get_it;
	int (*get_next_peer)(void *ctx, struct wg_uapi_peer_view *peer);
};

struct wg_uapi_server {
	struct wg_lsrv_listener *lsn;
	struct wg_device *dev;
	size_t max_set_bytes;
};

/* What wg_uapi_get_write() ends a successful answer with. */
static const char get_trailer[] = "errno=0\n\n";

static int
out_write(void *ctx, const char *buf, size_t len)
{
	return wg_lsrv_write(ctx, buf, len);
}

static void
reply_errno(struct wg_lsrv_conn *c, int err)
{
	const struct wg_uapi_writer w = { .write = out_write, .ctx = c };

	if (wg_uapi_errno_write(&w, err) != 0)
		wg_lsrv_fail(c);
}

/* ---- get ---------------------------------------------------------------- */

static void
get_finish(struct uapi_conn *u)
{
	struct wg_uapi_device_view unused = { 0 };

	wg_device_view_release(&u->get_it, &unused);
	u->get_active = false;
	u->get_next_peer = NULL;
}

/*
 * Writes the next UAPI_GET_CHUNK peers. Only the last chunk keeps the
 * errno line; the device lines come with the first (view has them).
 * True once the answer is complete (or failed).
 */
static bool
get_chunk(struct wg_lsrv_conn *c, const struct wg_uapi_device_view *view)
{
	const struct wg_uapi_writer w = { .write = out_write, .ctx = c };
	struct uapi_conn *u = wg_lsrv_conn_state(c);

	u->get_it.budget = UAPI_GET_CHUNK;
	if (wg_uapi_get_write(view, &w) == -EIO) {
		wg_lsrv_fail(c);
		return true;
	}
	if (u->get_it.done) {
		get_finish(u);
		return true;
	}
	if (wg_lsrv_unwrite(c, get_trailer, sizeof(get_trailer) - 1) != 0) {
		wg_lsrv_fail(c);
		return true;
	}
	return false;
}

static bool
get_next_chunk(struct wg_lsrv_conn *c)
{
	struct uapi_conn *u = wg_lsrv_conn_state(c);
	struct wg_uapi_device_view view = {
		.next_peer = u->get_next_peer, .ctx = &u->get_it,
	};

	return get_chunk(c, &view);
}

static void
get_start(struct wg_lsrv_conn *c)
{
	struct wg_uapi_server *s = wg_lsrv_conn_ctx(c);
	struct uapi_conn *u = wg_lsrv_conn_state(c);
	struct wg_uapi_device_view view;

	wg_device_view(s->dev, &u->get_it, &view);
	u->get_next_peer = view.next_peer;
	u->get_active = true;
	if (!get_chunk(c, &view))
		wg_lsrv_stream(c, get_next_chunk);
	sodium_memzero(&view, sizeof(view));
}

/* ---- lines -------------------------------------------------------------- */

static void
op_line(struct wg_lsrv_conn *c, struct uapi_conn *u, const char *line,
	size_t len, bool overlong)
{
	enum wg_uapi_op op = WG_UAPI_OP_INVALID;

	if (!overlong)
		op = wg_uapi_parse_op(line, len);
	if (op == WG_UAPI_OP_GET) {
		u->state = UAPI_GET_NL;
		wg_lsrv_want_byte(c);
	} else if (op == WG_UAPI_OP_SET) {
		wg_uapi_set_init(&u->set);
		u->set_bytes = 0;
		u->state = UAPI_SET;
	} else {
		/* wireguard-go closes without an answer. */
		wg_lsrv_close_after_answers(c);
	}
}

static void
set_line(struct wg_lsrv_conn *c, struct uapi_conn *u, const char *line,
	 size_t len, bool overlong)
{
	struct wg_uapi_server *s = wg_lsrv_conn_ctx(c);
	int ret;

	u->set_bytes += len + 1;
	if (overlong)
		ret = -EIO;
	else if (u->set_bytes > s->max_set_bytes)
		ret = -EMSGSIZE;
	else
		ret = wg_uapi_set_feed_line(&u->set, line, len);
	if (ret == 0)
		return;
	if (ret == WG_UAPI_SET_DONE) {
		ret = wg_device_apply(s->dev, &u->set);
		/* wireguard-go answers "too many peers" with IpcErrorInvalid. */
		if (ret == -ENOSPC)
			ret = -EINVAL;
		u->state = UAPI_OP;
	} else {
		u->state = UAPI_DRAIN;
	}
	wg_uapi_set_free(&u->set);
	reply_errno(c, ret);
}

static void
uapi_line(struct wg_lsrv_conn *c, char *line, size_t len, bool overlong)
{
	struct uapi_conn *u = wg_lsrv_conn_state(c);

	if (u->state == UAPI_OP)
		op_line(c, u, line, len, overlong);
	else if (u->state == UAPI_SET)
		set_line(c, u, line, len, overlong);
	else if (!overlong && (len == 0 || (len == 1 && line[0] == '\r')))
		u->state = UAPI_OP;	/* an empty line ends a failed set */
}

static void
uapi_byte(struct wg_lsrv_conn *c, char b)
{
	struct uapi_conn *u = wg_lsrv_conn_state(c);

	u->state = UAPI_OP;
	if (b == '\n')
		get_start(c);
	else
		reply_errno(c, -EINVAL);	/* the byte is consumed */
}

/* A set answers only at its end: its lines are read while answers go. */
static bool
uapi_mid_request(const struct wg_lsrv_conn *c)
{
	const struct uapi_conn *u = wg_lsrv_conn_state_const(c);

	return u->state == UAPI_SET || u->state == UAPI_DRAIN;
}

static void
uapi_close(struct wg_lsrv_conn *c)
{
	struct uapi_conn *u = wg_lsrv_conn_state(c);

	wg_uapi_set_free(&u->set);
	if (u->get_active)
		get_finish(u);
}

static const struct wg_lsrv_proto uapi_proto = {
	.line_max = WG_UAPI_LINE_MAX,
	.max_connections = WG_UAPI_SERVER_MAX_CONNECTIONS,
	.idle_timeout_ms = WG_UAPI_SERVER_IDLE_TIMEOUT_MS,
	.ctx_size = sizeof(struct wg_uapi_server),
	.conn_size = sizeof(struct uapi_conn),
	.line = uapi_line,
	.byte = uapi_byte,
	.mid_request = uapi_mid_request,
	.eof_line = false,	/* wireguard-go: a cut line is not a request */
	.close = uapi_close,
};

/* ---- open / close ------------------------------------------------------- */

int
wg_uapi_server_open(struct wg_uapi_server **out,
		    const struct wg_uapi_server_config *cfg,
		    char *err, size_t errlen)
{
	struct wg_lsrv_listen_config lc = {
		.dir = cfg->dir != NULL ? cfg->dir : WG_UAPI_SERVER_DIR,
		.ifname = cfg->ifname, .suffix = ".sock", .proto = &uapi_proto,
		.max_connections = cfg->max_connections,
		.idle_timeout_ms = cfg->idle_timeout_ms,
	};
	struct wg_lsrv_listener *l;
	int ret;

	*out = NULL;
	if (cfg->server == NULL || cfg->device == NULL)
		return wg_unix_fail(-EINVAL, err, errlen, "no server or device");
	ret = wg_lsrv_listen(cfg->server, &l, &lc, err, errlen);
	if (ret != 0)
		return ret;
	*out = wg_lsrv_listener_ctx(l);
	(*out)->lsn = l;
	(*out)->dev = cfg->device;
	(*out)->max_set_bytes = cfg->max_set_bytes != 0 ? cfg->max_set_bytes :
		WG_UAPI_SERVER_SET_BYTES_BASE + WG_UAPI_SERVER_SET_BYTES_PER_PEER *
		wg_device_max_peers(cfg->device);
	return 0;
}

void
wg_uapi_server_close(struct wg_uapi_server *s)
{
	if (s != NULL)
		wg_lsrv_listener_close(s->lsn);	/* frees s */
}

unsigned int
wg_uapi_server_connections(const struct wg_uapi_server *s)
{
	return wg_lsrv_listener_connections(s->lsn);
}

const char *
wg_uapi_server_path(const struct wg_uapi_server *s)
{
	return wg_lsrv_listener_path(s->lsn);
}
