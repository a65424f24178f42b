/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The interop harness: the two-namespace topology with wireguard-go in one
 * of them (built by netns.sh), a reaper that tears it down even if the test
 * process dies, bounded command execution, and `wg show` parsing.
 *
 * Every wait here has a deadline: nothing in this file can block forever.
 */
#ifndef WGI_HARNESS_H
#define WGI_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keys.h"

/* Addresses netns.sh gives the topology (see the top of netns.sh). */
#define WGI_LIB_ADDR "10.77.0.1"
#define WGI_GO_ADDR "10.77.0.2"
#define WGI_LIB_TUN_ADDR "10.99.0.1"
#define WGI_GO_TUN_ADDR "10.99.0.2"
enum wgi_ports {
	WGI_GO_PORT = 51820,
	WGI_LIB_PORT = 51821
};

enum wgi_topo_status {
	WGI_TOPO_READY = 0,
	WGI_TOPO_SKIP = 1,	/* not root, no netns, no wireguard-go: skip */
	WGI_TOPO_FAILED = -1
};

struct wgi_topo {
	char name[16];		/* "wgi<pid>": unique per test process */
	char ns_lib[24];
	char ns_go[24];
	char wg_if[24];
	char log_path[64];	/* wireguard-go's stdout and stderr */
	int reaper_fd;		/* write end of the reaper's pipe, or -1 */
	pid_t reaper_pid;
	bool up;
};

/*
 * Builds the topology for lib_pub (the lib side's public key) with
 * wireguard-go holding go_priv. On WGI_TOPO_SKIP or WGI_TOPO_FAILED, why
 * says what happened and nothing is left behind.
 */
enum wgi_topo_status wgi_topo_up(struct wgi_topo *t,
				 const uint8_t lib_pub[WG_KEY_LEN],
				 const uint8_t go_priv[WG_KEY_LEN],
				 char *why, size_t why_len);
/* Idempotent; also stops the reaper. */
void wgi_topo_down(struct wgi_topo *t);
/* Copies wireguard-go's log to stderr (for failures). */
void wgi_topo_dump_log(const struct wgi_topo *t);
/* Moves the calling process's network namespace to ns. 0 or -1. */
int wgi_enter_netns(const char *ns);

/*
 * Runs argv (stdin /dev/null, stdout captured into out as a C string,
 * stderr inherited) and returns its exit status, or -1 if it could not
 * start, died of a signal, or was killed after timeout_ms.
 */
int wgi_run(char *const argv[], char *out, size_t out_len, int timeout_ms);
/* Starts argv in the background with stdout and stderr to out_path. */
pid_t wgi_spawn(char *const argv[], const char *out_path);
/*
 * Exit status of pid, or -1 if it died of a signal; kills it after
 * timeout_ms (then -1). With timeout_ms 0 it only polls: -2 if still running.
 */
int wgi_reap(pid_t pid, int timeout_ms);

struct wgi_go_peer_stats {
	char peer_b64[WG_KEY_B64_LEN + 1];
	uint64_t latest_handshake;	/* unix seconds, 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
};

/* `wg show IF latest-handshakes` and `transfer` for the one peer. 0 or -1. */
int wgi_go_peer_stats(const struct wgi_topo *t, struct wgi_go_peer_stats *s);
/* `wg show IF <field>` (e.g. public-key), first line, trimmed. 0 or -1. */
int wgi_go_show(const struct wgi_topo *t, const char *field, char *out,
		size_t out_len);

uint64_t wgi_now_ns(void);
uint64_t wgi_deadline_ns(unsigned int ms);
/* Milliseconds left until deadline, at most cap_ms, never negative. */
int wgi_ms_left(uint64_t deadline_ns, int cap_ms);
void wgi_sleep_ms(unsigned int ms);

#endif /* WGI_HARNESS_H */
