/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control thread's socket server, for line protocols (the wg(8) socket,
 * control/uapi/uapi_server.h; the orchestration socket, control/orch/
 * orch.h): UNIX listeners and their connections behind ONE epoll fd, input
 * split into lines, answers buffered and sent as the socket drains,
 * back-pressure, connection caps and idle deadlines. A protocol says what
 * a line means (struct wg_lsrv_proto); everything else is here.
 *
 * Caps: a listener holds at most max_connections; at the cap, a new
 * connection closes the one idle longest (clients that hold connections
 * open and silent cannot lock others out, as they did when the new one was
 * refused).
 *
 * Back-pressure: a connection's input is consumed only while no answer of
 * it waits to go out, except inside a request that answers only at its end
 * (the protocol's mid_request): a client that pipelines requests without
 * reading gets back-pressure, not our memory.
 *
 * Secrets: protocols may put keys in any buffer. The input and line
 * buffers are wiped once used; the output buffer is wiped when it drains,
 * grows (never realloc'd) or is freed; a closed connection, its protocol
 * state included, is wiped before it is freed.
 *
 * Threading: none. Everything, the protocols' handlers included, runs in
 * the thread that calls wg_lsrv_poll().
 */
#ifndef WG_LINE_SERVER_H
#define WG_LINE_SERVER_H

#include <stdbool.h>
#include <stddef.h>

struct wg_lsrv;
struct wg_lsrv_listener;
struct wg_lsrv_conn;

/* Writes the next part of a streamed answer; true once it is complete. */
typedef bool (*wg_lsrv_stream_fn)(struct wg_lsrv_conn *c);

struct wg_lsrv_proto {
	/* Longest line, without its '\n'; a '\r' before the '\n' is extra. */
	size_t line_max;
	/* Defaults for a listener's settings. */
	unsigned int max_connections;
	unsigned int idle_timeout_ms;
	/* The protocol's state per listener (zeroed; freed at close). */
	size_t ctx_size;
	/* Protocol state per connection (zeroed at accept, wiped at close). */
	size_t conn_size;
	/* Optional: a new connection, before any line. */
	void (*open)(struct wg_lsrv_conn *c);
	/*
	 * A line: len excludes the '\n' (a '\r' is kept), line[len] is NUL,
	 * and the handler may change the bytes. overlong: more than
	 * line_max + 1 bytes came before the '\n'; the call comes as soon as
	 * that is known, and the rest of the line up to its '\n' is then
	 * dropped without another call.
	 */
	void (*line)(struct wg_lsrv_conn *c, char *line, size_t len,
		     bool overlong);
	/* The byte asked for with wg_lsrv_want_byte(). */
	void (*byte)(struct wg_lsrv_conn *c, char b);
	/* Optional: inside a request that answers only at its end, whose
	 * lines are read even while an earlier answer is going out. */
	bool (*mid_request)(const struct wg_lsrv_conn *c);
	/* A last line that EOF cut short (no '\n') is served (true) or
	 * dropped (false); never while mid_request. */
	bool eof_line;
	/* Optional: the connection closes; release what the state holds. */
	void (*close)(struct wg_lsrv_conn *c);
	/* Optional: the listener closes; release what its ctx holds. */
	void (*destroy)(void *ctx);
};

struct wg_lsrv_listen_config {
	const char *dir;		/* created 0755 if missing */
	const char *ifname;		/* 1..15 chars, no '/' or whitespace */
	const char *suffix;		/* ".sock", ".ctl" */
	const struct wg_lsrv_proto *proto;
	unsigned int max_connections;	/* 0: the protocol's default */
	unsigned int idle_timeout_ms;	/* 0: the protocol's default */
};

/* 0, or a negative errno. */
int wg_lsrv_create(struct wg_lsrv **out);
/* Closes every listener (see wg_lsrv_listener_close()). NULL is fine. */
void wg_lsrv_destroy(struct wg_lsrv *s);

/*
 * Listens on <dir>/<ifname><suffix> (control/server/unix_listen.h: a
 * crashed instance's file is replaced, a live one's refused), with a
 * zeroed ctx of proto->ctx_size for the caller to fill before the next
 * poll. Returns 0, or a negative errno with a one-line reason in err
 * (cleared first).
 */
int wg_lsrv_listen(struct wg_lsrv *s, struct wg_lsrv_listener **out,
		   const struct wg_lsrv_listen_config *cfg, char *err,
		   size_t errlen);
/*
 * Closes the listener's connections (unfinished requests are dropped),
 * stops listening, removes the socket file if it is still ours, and
 * destroys its ctx. NULL is fine.
 */
void wg_lsrv_listener_close(struct wg_lsrv_listener *l);
void *wg_lsrv_listener_ctx(const struct wg_lsrv_listener *l);
const char *wg_lsrv_listener_path(const struct wg_lsrv_listener *l);
unsigned int wg_lsrv_listener_connections(const struct wg_lsrv_listener *l);

/* The one fd to wait on for reading; then call wg_lsrv_poll(s, 0). */
int wg_lsrv_fd(const struct wg_lsrv *s);
/*
 * Waits up to timeout_ms (-1: until there is work; never later than the
 * next idle deadline; not at all without a listener), then serves what is
 * ready and closes idle connections. Returns the number of events served,
 * or a negative errno if waiting failed.
 */
int wg_lsrv_poll(struct wg_lsrv *s, int timeout_ms);

/* True if a byte string is anywhere in a connection's memory (tests:
 * secrets are wiped). */
bool wg_lsrv_holds(const struct wg_lsrv *s, const void *needle, size_t len);

/* ---- for protocol handlers -------------------------------------------- */

void *wg_lsrv_conn_state(struct wg_lsrv_conn *c);
const void *wg_lsrv_conn_state_const(const struct wg_lsrv_conn *c);
void *wg_lsrv_conn_ctx(const struct wg_lsrv_conn *c);

/* Appends to the answer: 0, or -ENOMEM and the connection fails (closes). */
int wg_lsrv_write(struct wg_lsrv_conn *c, const char *buf, size_t len);
int wg_lsrv_printf(struct wg_lsrv_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Takes back the unsent end of the answer if it is suffix: 0 or -EINVAL. */
int wg_lsrv_unwrite(struct wg_lsrv_conn *c, const char *suffix, size_t len);
/* fn produces the rest of the answer as the socket drains (a few parts per
 * wake-up, so that one connection cannot hold the thread). */
void wg_lsrv_stream(struct wg_lsrv_conn *c, wg_lsrv_stream_fn fn);
/* The next input byte goes to proto->byte, not into a line. */
void wg_lsrv_want_byte(struct wg_lsrv_conn *c);
/* Reads nothing more; closes once the answers are out. */
void wg_lsrv_close_after_answers(struct wg_lsrv_conn *c);
/* Closes at once, dropping unsent answers. */
void wg_lsrv_fail(struct wg_lsrv_conn *c);

#endif /* WG_LINE_SERVER_H */
