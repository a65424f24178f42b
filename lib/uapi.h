/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The cross-platform userspace configuration protocol (UAPI) that wg(8)
 * speaks over /var/run/wireguard/<ifname>.sock, as text over byte buffers:
 * no sockets, no live state. See https://www.wireguard.com/xplatform/; the
 * exact behaviour (which errno for which mistake, the order of the get
 * lines) is wireguard-go's device/uapi.go, which wg(8) is tested against.
 *
 * A request starts with an operation line, "set=1" or "get=1":
 *
 *  - set: key=value lines up to an empty line. wg_uapi_set_feed_line()
 *    parses them one at a time into a struct wg_uapi_set, a change set
 *    whose flags record which fields the request touches (as wireguard-tools'
 *    WGDEVICE_* / WGPEER_* flags). The parser never touches the device: the
 *    control thread applies a complete change set all-or-nothing, then
 *    answers with wg_uapi_errno_write().
 *  - get: the operation line must be followed by an empty line (anything
 *    else is answered -EINVAL). wg_uapi_get_write() streams the device
 *    through a writer callback, peer by peer, ending in "errno=0\n\n".
 *
 * Errors are negative errno values, written on the wire as wireguard-go
 * writes them ("errno=-22"), which is what wg(8) decodes:
 *   -EINVAL  a malformed value, or a key unknown at that place (wireguard-go
 *            answers IpcErrorInvalid for unknown keys too)
 *   -EPROTO  a line without '=', a line with an embedded '\n', a line fed
 *            after the request ended
 *   -EIO     a line longer than WG_UAPI_LINE_MAX (wireguard-go: its line
 *            scanner fails, IpcErrorIO); a writer that fails
 *   -ENOMEM  the change set could not grow
 * Applying a set can fail too; that is the control thread's business:
 * -EADDRINUSE when listen_port or fwmark cannot be bound (IpcErrorPortInUse).
 */
#ifndef WG_UAPI_H
#define WG_UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "keys.h"

enum {
	/* Longest line accepted, without its '\n': wireguard-go's, whose
	 * line scanner holds a line and its '\n' in 64 KiB. A valid line is
	 * < 200 bytes; a longer one is merely invalid (-EINVAL). */
	WG_UAPI_LINE_MAX = 65535
};

enum wg_uapi_op {
	WG_UAPI_OP_INVALID = 0,
	WG_UAPI_OP_GET,
	WG_UAPI_OP_SET
};

/*
 * The operation line, with or without its '\n': exactly "get=1" or "set=1"
 * (wireguard-go compares the whole line; anything else closes the
 * connection without an answer).
 */
enum wg_uapi_op wg_uapi_parse_op(const char *line, size_t len);

/* One allowed_ip line: a prefix, host bits cleared. */
struct wg_uapi_allowed_ip {
	uint8_t family;		/* WG_AF_INET or WG_AF_INET6 */
	uint8_t cidr;		/* 0..32 or 0..128 */
	bool remove;		/* set only: "allowed_ip=-prefix" removes it */
	uint8_t addr[16];	/* network byte order; IPv4 in the first 4 */
};

/* ---- set ---------------------------------------------------------------- */

enum wg_uapi_device_flags {
	WG_UAPI_DEVICE_HAS_PRIVATE_KEY = 1U << 0,	/* zero key = remove */
	WG_UAPI_DEVICE_HAS_LISTEN_PORT = 1U << 1,
	WG_UAPI_DEVICE_HAS_FWMARK = 1U << 2,		/* 0 = off */
	WG_UAPI_DEVICE_REPLACE_PEERS = 1U << 3
};

enum wg_uapi_peer_flags {
	WG_UAPI_PEER_REMOVE_ME = 1U << 0,
	WG_UAPI_PEER_UPDATE_ONLY = 1U << 1,
	WG_UAPI_PEER_HAS_PRESHARED_KEY = 1U << 2,	/* zero key = none */
	WG_UAPI_PEER_HAS_ENDPOINT = 1U << 3,
	WG_UAPI_PEER_HAS_PERSISTENT_KEEPALIVE = 1U << 4, /* 0 = off */
	WG_UAPI_PEER_REPLACE_ALLOWEDIPS = 1U << 5
};

/*
 * One public_key= section, in request order. The same key may appear in
 * several sections; apply them in order, each seeing the previous ones'
 * effect, as wireguard-go does. A section whose public key is the device's
 * own (after this request's private_key) is ignored, as wireguard-go does.
 *
 * REMOVE_ME: remove the peer; every other field is ignored (but was
 * validated). UPDATE_ONLY: if the peer does not exist, ignore the section.
 * REPLACE_ALLOWEDIPS: remove the peer's allowed IPs before adding this
 * section's list; an allowed_ip line before replace_allowed_ips in the same
 * section is already dropped from the list, so the flag means "exactly
 * these". The list is applied in order, adds and removes interleaved.
 * A keepalive interval going from 0 to non-zero sends a keepalive at once
 * (wireguard-go's pkaOn) if the device is up.
 */
struct wg_uapi_peer {
	uint32_t flags;			/* enum wg_uapi_peer_flags */
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN];	/* secret */
	struct wg_endpoint endpoint;
	uint16_t persistent_keepalive_interval;	/* seconds */
	size_t first_allowed_ip;	/* index into wg_uapi_set.allowed_ips */
	size_t n_allowed_ips;
};

enum wg_uapi_set_state {
	WG_UAPI_SET_PARSING = 0,
	WG_UAPI_SET_COMPLETE,		/* the empty line arrived: apply it */
	WG_UAPI_SET_FAILED		/* rejected: see error; nothing to apply */
};

/*
 * A change set. Fields are valid only in state WG_UAPI_SET_COMPLETE; on
 * failure the parser wipes and empties everything (flags 0, no peers), so
 * no partial request can be mistaken for a valid one.
 */
struct wg_uapi_set {
	enum wg_uapi_set_state state;
	int error;			/* negative errno when FAILED, else 0 */
	uint32_t flags;			/* enum wg_uapi_device_flags */
	uint8_t private_key[WG_KEY_LEN];	/* secret; clamped unless zero */
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_uapi_peer *peers;
	size_t n_peers;
	size_t peers_cap;
	struct wg_uapi_allowed_ip *allowed_ips;	/* all peers', in order */
	size_t n_allowed_ips;
	size_t allowed_ips_cap;
};

enum {
	WG_UAPI_SET_DONE = 1		/* wg_uapi_set_feed_line(): complete */
};

void wg_uapi_set_init(struct wg_uapi_set *s);
/* Wipes the keys and frees the lists; s can be initialised again. */
void wg_uapi_set_free(struct wg_uapi_set *s);

/*
 * Feeds one line of a set request, after the "set=1" line. len excludes
 * the '\n' (a single trailing '\n' is tolerated and dropped), and a trailing
 * '\r' is dropped as wireguard-go's line scanner does; the line need not be
 * NUL-terminated. Returns 0 when the line was taken and more are expected,
 * WG_UAPI_SET_DONE when an empty line completed the request, or a negative
 * errno: the set is then FAILED and wiped, and every later call returns the
 * same error (the server answers it and closes the connection). A server
 * that wants wireguard-go's behaviour on EOF before the empty line feeds an
 * empty line. The line holds secrets: the caller wipes its buffer.
 */
int wg_uapi_set_feed_line(struct wg_uapi_set *s, const char *line, size_t len);

/*
 * Building a change set from values, as the lines of a request would
 * (without text to format and parse back): the same checks, the same
 * result, the same failure rules. Device settings come before the first
 * peer; the peer functions act on the latest wg_uapi_set_peer() section.
 * Each returns 0 or a negative errno: -EINVAL for what the parser refuses
 * (a family that is neither IPv4 nor IPv6, a cidr too long, a device
 * setting after a peer, a peer setting before one), -ENOMEM; the set is
 * then FAILED and wiped, and later calls return the same error. Adding to
 * a complete set is -EPROTO. Keys are copied; the caller wipes its own.
 */
int wg_uapi_set_private_key(struct wg_uapi_set *s, const uint8_t key[WG_KEY_LEN]);
int wg_uapi_set_listen_port(struct wg_uapi_set *s, uint16_t port);
int wg_uapi_set_fwmark(struct wg_uapi_set *s, uint32_t fwmark);
int wg_uapi_set_replace_peers(struct wg_uapi_set *s);
/* Starts a peer section (the public_key= line). */
int wg_uapi_set_peer(struct wg_uapi_set *s, const uint8_t public_key[WG_KEY_LEN]);
int wg_uapi_set_peer_update_only(struct wg_uapi_set *s);
int wg_uapi_set_peer_remove(struct wg_uapi_set *s);
int wg_uapi_set_peer_preshared_key(struct wg_uapi_set *s,
				   const uint8_t key[WG_KEY_LEN]);
int wg_uapi_set_peer_endpoint(struct wg_uapi_set *s, const struct wg_endpoint *e);
int wg_uapi_set_peer_keepalive(struct wg_uapi_set *s, uint16_t seconds);
int wg_uapi_set_peer_replace_allowed_ips(struct wg_uapi_set *s);
/* Host bits are cleared, as the parser does. */
int wg_uapi_set_peer_allowed_ip(struct wg_uapi_set *s,
				const struct wg_uapi_allowed_ip *a);
/* The empty line: the set is complete (0) and can be applied. */
int wg_uapi_set_end(struct wg_uapi_set *s);

static inline const struct wg_uapi_allowed_ip *
wg_uapi_peer_allowed_ips(const struct wg_uapi_set *s,
			 const struct wg_uapi_peer *p)
{
	return &s->allowed_ips[p->first_allowed_ip];
}

/* ---- get ---------------------------------------------------------------- */

/* Where the response goes, e.g. a socket. */
struct wg_uapi_writer {
	/* Takes all len bytes, or fails: returns 0 or a negative errno. */
	int (*write)(void *ctx, const char *buf, size_t len);
	void *ctx;
};

/* One peer as get reports it; filled by wg_uapi_device_view.next_peer. */
struct wg_uapi_peer_view {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN];	/* zero when none */
	struct wg_endpoint endpoint;		/* WG_AF_NONE: not reported */
	uint64_t last_handshake_time_sec;	/* Unix time; 0 = never */
	uint32_t last_handshake_time_nsec;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	uint16_t persistent_keepalive_interval;
	/* Valid until the next call to next_peer; the remove field is unused. */
	const struct wg_uapi_allowed_ip *allowed_ips;
	size_t n_allowed_ips;
};

/*
 * A read-only view of the device, filled by the control thread. Peers are
 * pulled one at a time, so that 100,000 of them need no big buffer.
 */
struct wg_uapi_device_view {
	uint8_t private_key[WG_KEY_LEN];	/* zero: none, not reported */
	uint16_t listen_port;			/* 0: not reported */
	uint32_t fwmark;			/* 0: not reported */
	/* Fills *peer: returns 1, 0 after the last peer, or a negative errno. */
	int (*next_peer)(void *ctx, struct wg_uapi_peer_view *peer);
	void *ctx;
};

/*
 * Writes the get response, in wireguard-go's order: private_key,
 * listen_port, fwmark (each only when non-zero); then per peer public_key,
 * preshared_key, protocol_version=1, endpoint (when set),
 * last_handshake_time_sec, last_handshake_time_nsec, tx_bytes, rx_bytes,
 * persistent_keepalive_interval, one allowed_ip per prefix; then
 * "errno=0\n\n". Output goes out in chunks of at most a few KiB, and the
 * internal buffer (it held keys) is wiped. Returns 0; -EIO if the writer
 * failed (nothing more is written); or next_peer's error, which is then
 * written as the errno line in place of 0.
 */
int wg_uapi_get_write(const struct wg_uapi_device_view *dev,
		      const struct wg_uapi_writer *w);

/* Writes "errno=<err>\n\n" (err 0 or negative). Returns 0 or -EIO. */
int wg_uapi_errno_write(const struct wg_uapi_writer *w, int err);

#endif /* WG_UAPI_H */
