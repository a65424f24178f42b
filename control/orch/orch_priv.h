/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internals of the orchestration socket, shared by control/orch/ only
 * (a client of the control thread through control.h, nothing more):
 * orch.c (the socket, accept, timeouts), orch_conn.c (one connection's
 * bytes, lines and answers), orch_cmd.c (requests, add-peer, expiry),
 * orch_rotate.c, orch_bulk.c (bulk-add), orch_stats.c and orch_pool.c
 * (addresses, the pool and change sets).
 */
#ifndef WG_ORCH_PRIV_H
#define WG_ORCH_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "line_server.h"
#include "control.h"
#include "device.h"
#include "ippool.h"
#include "orch.h"

enum {
	ORCH_MAX_ARGS = 8,
	/* Peers per streamed chunk. */
	ORCH_CHUNK = 128,
	/* Families as a bit set; index 0 is IPv4, 1 is IPv6. */
	ORCH_FAM4 = 1u << 0,
	ORCH_FAM6 = 1u << 1,
	ORCH_ADDR_STRLEN = 64,		/* an address or prefix as text */
	ORCH_MSG_LEN = 160		/* an error message */
};

enum orch_conn_state {
	ORCH_CONN_CMD = 0,		/* reading request lines */
	ORCH_CONN_BULK			/* reading a bulk-add's key lines */
};

/* A bulk-add: collected, then applied, then answered peer by peer. */
struct orch_bulk {
	unsigned int families;
	uint8_t (*keys)[WG_KEY_LEN];
	size_t n, cap;
	size_t limit;			/* more keys than this cannot fit */
	uint64_t lines;			/* key lines read */
	int err;			/* first error (positive errno), or 0 */
	uint64_t err_line;
	char msg[ORCH_MSG_LEN];
	/* After a successful apply: addresses by key index. */
	struct wg_ippool_addr (*addrs)[2];
	size_t cursor;			/* next peer to answer */
};

struct orch_conn;

/* Writes the next part of a streamed answer; true when it is complete. */
typedef bool (*orch_stream_fn)(struct orch_conn *c);

/* One connection's protocol state; its bytes, lines and answers are the
 * line server's (control/server/line_server.h). */
struct orch_conn {
	struct wg_lsrv_conn *lc;
	struct wg_orch_server *srv;
	enum orch_conn_state state;
	orch_stream_fn stream;		/* NULL: no answer being streamed */
	uint32_t stats_next;		/* stats: next slot id */
	unsigned int stats_listed;
	struct orch_bulk bulk;
};

struct wg_orch_server {
	struct wg_lsrv_listener *lsn;
	struct wg_control *ctl;
	char ifname[16];
};

/* A parsed request line: the command and its key=value arguments, which
 * point into the connection's line buffer. */
struct orch_req {
	const char *cmd;
	unsigned int n_args;
	struct {
		const char *key;
		const char *val;
	} args[ORCH_MAX_ARGS];
};

/* ---- orch_conn.c ---- */
extern const struct wg_lsrv_proto orch_proto;
/* Appends to the answer; a failure to grow marks the connection failed. */
void orch_write(struct orch_conn *c, const char *s, size_t n);
void orch_printf(struct orch_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A JSON string, quoted and escaped. */
void orch_json_string(struct orch_conn *c, const char *s);
/* The whole answer to a refused request: {"ok":false,...}\n; err is a
 * positive errno, line (bulk-add) 0 when none. */
void orch_fail(struct orch_conn *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void orch_fail_at(struct orch_conn *c, int err, uint64_t line, const char *msg);

/* ---- orch_cmd.c ---- */
/* Serves one complete request line (NUL-terminated at line[len]). */
void orch_request(struct orch_conn *c, char *line, size_t len);
const char *orch_arg(const struct orch_req *r, const char *key);
/* A public key argument; 0, or a negative errno with the answer sent. */
int orch_arg_key(struct orch_conn *c, const struct orch_req *r,
		 const char *name, uint8_t key[WG_KEY_LEN], bool required);
/* family=: 0 with *fam set (the pool's families when absent), or a
 * negative errno with the answer sent. */
int orch_arg_family(struct orch_conn *c, const struct orch_req *r,
		    unsigned int *fam);
/* "4", "6", "both": 0 with *fam set, or -EINVAL. */
int orch_parse_family(const char *v, unsigned int *fam);
/* 0 if the pool offers every family in fam, else -EAFNOSUPPORT and msg. */
int orch_families_check(const struct wg_orch_server *s, unsigned int fam,
			char msg[ORCH_MSG_LEN]);

/* Answers a refused wg_control_apply() / orch_pool_alloc(). */
void orch_fail_apply(struct orch_conn *c, int rc);
void orch_fail_alloc(struct orch_conn *c, int rc, unsigned int failed_fam);

/* ---- orch_rotate.c ---- */
void orch_cmd_rotate(struct orch_conn *c, const struct orch_req *r);

/* ---- orch_stats.c ---- */
/* The answer to stats; the peer list (streamed) only when peers is true. */
void orch_stats_start(struct orch_conn *c, bool peers);

/* ---- orch_bulk.c ---- */
/* r is NULL when the request line was refused: err (positive) and msg
 * are then answered once the key lines that follow it are read. */
void orch_bulk_start(struct orch_conn *c, const struct orch_req *r, int err,
		     const char *msg);
/* One line after bulk-add (NUL-terminated); the empty one ends it. */
void orch_bulk_line(struct orch_conn *c, char *line, size_t len, bool overlong);
void orch_bulk_free(struct orch_bulk *b);

/* ---- orch_pool.c ---- */
/* The families the pool offers (ORCH_FAM4 | ORCH_FAM6), 0 without one. */
unsigned int orch_pool_families(const struct wg_orch_server *s);
/*
 * One fresh address per family in fam, into out[0] (IPv4) and out[1]
 * (IPv6); a family not asked for gets WG_AF_NONE. Returns 0, or a negative
 * errno (-ENOSPC: that family's range is full) with nothing allocated and
 * *failed_fam the family that failed.
 */
int orch_pool_alloc(struct wg_control *c, unsigned int fam,
		    struct wg_ippool_addr out[2], unsigned int *failed_fam);
/* Gives back what orch_pool_alloc() returned (WG_AF_NONE entries skipped). */
void orch_pool_free(struct wg_control *c, const struct wg_ippool_addr a[2]);
/* A /32 or /128 in one of the pool's ranges, not a fixed address. */
bool orch_is_pool_prefix(const struct wg_orch_server *s,
			 const struct wg_uapi_allowed_ip *p);
void orch_addr_text(char buf[ORCH_ADDR_STRLEN], const struct wg_ippool_addr *a);
void orch_prefix_text(char buf[ORCH_ADDR_STRLEN],
		      const struct wg_uapi_allowed_ip *p);
/* The address as a JSON value: "a.b.c.d", or null for WG_AF_NONE. */
void orch_json_addr(struct orch_conn *c, const struct wg_ippool_addr *a);
/* A pool address as the current peer's /32 or /128 allowed IP (uapi.h's
 * builder): 0 or a negative errno. */
int orch_set_pool_addr(struct wg_uapi_set *s, const struct wg_ippool_addr *a);

#endif /* WG_ORCH_PRIV_H */
