/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The orchestration protocol on the line server (see orch.h for the
 * protocol): request lines to orch_request(), a bulk-add's key lines to
 * orch_bulk_line(), and the answers' writers. The line server holds the
 * bytes, so that a request line is served only once the answer before it
 * is out (back-pressure), while a bulk-add's key lines are taken while
 * nothing is being answered anyway. Big answers (stats, bulk-add) are
 * produced chunk by chunk as the socket drains.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "orch_priv.h"

/* ---- output ------------------------------------------------------------- */

void
orch_write(struct orch_conn *c, const char *s, size_t n)
{
	wg_lsrv_write(c->lc, s, n);
}

void
orch_printf(struct orch_conn *c, const char *fmt, ...)
{
	char small[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		wg_lsrv_fail(c->lc);
		return;
	}
	if ((size_t)n < sizeof(small)) {
		orch_write(c, small, (size_t)n);
		return;
	}
	big = malloc((size_t)n + 1);
	if (big == NULL) {
		wg_lsrv_fail(c->lc);
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	orch_write(c, big, (size_t)n);
	free(big);
}

/* Control characters and non-ASCII bytes as \u00XX: always valid JSON. */
void
orch_json_string(struct orch_conn *c, const char *s)
{
	char esc[8];

	orch_write(c, "\"", 1);
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			orch_write(c, esc, 2);
		} else if (ch < 0x20 || ch >= 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", ch);
			orch_write(c, esc, 6);
		} else {
			orch_write(c, s, 1);
		}
	}
	orch_write(c, "\"", 1);
}

void
orch_fail_at(struct orch_conn *c, int err, uint64_t line, const char *msg)
{
	orch_printf(c, "{\"ok\":false,\"error\":");
	orch_json_string(c, msg);
	orch_printf(c, ",\"errno\":%d", err);
	if (line != 0)
		orch_printf(c, ",\"line\":%llu", (unsigned long long)line);
	orch_write(c, "}\n", 2);
}

void
orch_fail(struct orch_conn *c, int err, const char *fmt, ...)
{
	char msg[ORCH_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	orch_fail_at(c, err, 0, msg);
}

/* ---- the protocol ------------------------------------------------------- */

static bool
orch_stream(struct wg_lsrv_conn *lc)
{
	struct orch_conn *c = wg_lsrv_conn_state(lc);

	if (c->stream == NULL || c->stream(c)) {
		c->stream = NULL;
		return true;
	}
	return false;
}

/* A complete line (the line server wipes it after). */
static void
orch_line(struct wg_lsrv_conn *lc, char *line, size_t len, bool overlong)
{
	struct orch_conn *c = wg_lsrv_conn_state(lc);

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len > WG_ORCH_LINE_MAX)
		overlong = true;
	if (c->state == ORCH_CONN_BULK)
		orch_bulk_line(c, line, len, overlong);
	else if (overlong)
		orch_fail(c, EMSGSIZE, "request line longer than %d bytes",
			  WG_ORCH_LINE_MAX);
	else
		orch_request(c, line, len);
	if (c->stream != NULL)
		wg_lsrv_stream(lc, orch_stream);
}

/* A bulk-add's key lines are read while an answer goes out. */
static bool
orch_mid_request(const struct wg_lsrv_conn *lc)
{
	const struct orch_conn *c = wg_lsrv_conn_state_const(lc);

	return c->state == ORCH_CONN_BULK;
}

static void
orch_open(struct wg_lsrv_conn *lc)
{
	struct orch_conn *c = wg_lsrv_conn_state(lc);

	c->lc = lc;
	c->srv = wg_lsrv_conn_ctx(lc);
}

static void
orch_close(struct wg_lsrv_conn *lc)
{
	struct orch_conn *c = wg_lsrv_conn_state(lc);

	orch_bulk_free(&c->bulk);
}

const struct wg_lsrv_proto orch_proto = {
	.line_max = WG_ORCH_LINE_MAX,
	.max_connections = WG_ORCH_MAX_CONNECTIONS,
	.idle_timeout_ms = WG_ORCH_IDLE_TIMEOUT_MS,
	.ctx_size = sizeof(struct wg_orch_server),
	.conn_size = sizeof(struct orch_conn),
	.open = orch_open,
	.line = orch_line,
	.mid_request = orch_mid_request,
	.eof_line = true,	/* a last line without '\n' is a request */
	.close = orch_close,
};
