/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Peer scale, for each count of o->scale_peers in turn, smallest first: a
 * gateway sized for that many peers and its control thread serving the
 * real UAPI socket; the stock `wg setconf` loads a file with that many
 * peers (a /32 allowed IP and an endpoint each) while the main thread runs
 * the control loop, and the time from starting wg to its exit (it waits
 * for the server's answer, sent once the set is applied) is the load time.
 * wg runs on the other CPU, so it does not take the control thread's. The
 * gateway and control thread are destroyed before the next count's are
 * created: one scale gateway exists at a time.
 *
 * Memory is read before the gateway, after creating it and its control
 * thread (tables sized for the peers), and after the load, as the
 * process's resident set and as what the EAL heap and malloc have handed
 * out. The study runs before the dataplane cases: EAL memory, once
 * touched, stays resident after rte_free(), and would hide the growth.
 * For the same reason only the first count's RSS deltas are whole; every
 * count's allocator figures are.
 *
 * Without wg(8), or when the socket cannot be opened, the same peers go
 * through wg_control_apply() as one set (method "wg_control_apply").
 * Public keys are random bytes: the gateway does the same work for them
 * (one X25519 per peer to precompute the static-static secret).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "control.h"
#include "device.h"
#include "dp_env.h"
#include "keys.h"
#include "studies.h"

enum {
	SCALE_HOST = 21,
	SCALE_SLACK = 16
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
ip4_str(char *buf, size_t len, uint32_t a)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255,
		 a & 255);
}

/* One peer's public key: random, so its own; written as wg wants it. */
static void
peer_key(uint8_t key[WG_KEY_LEN])
{
	randombytes_buf(key, WG_KEY_LEN);
}

/* The configuration file wg setconf reads: our key, then n peers. */
static int
conf_write(const char *path, const uint8_t priv[WG_KEY_LEN], uint32_t n)
{
	char b64[WG_KEY_B64_LEN + 1], tun[16], ep[16];
	uint8_t key[WG_KEY_LEN];
	FILE *f = fopen(path, "w");
	uint32_t i;

	if (f == NULL)
		return -1;
	wg_key_to_base64(b64, priv);
	fprintf(f, "[Interface]\nPrivateKey = %s\nListenPort = %u\n", b64, WG_DEFAULT_PORT);
	sodium_memzero(b64, sizeof(b64));
	for (i = 0; i < n; i++) {
		peer_key(key);
		wg_key_to_base64(b64, key);
		ip4_str(tun, sizeof(tun), WG_BENCH_CLIENT_TUNNEL(i));
		ip4_str(ep, sizeof(ep), WG_BENCH_CLIENT_EP(i));
		fprintf(f, "\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\nEndpoint = %s:%u\n",
			b64, tun, ep, WG_DEFAULT_PORT);
	}
	return fclose(f) == 0 ? 0 : -1;
}

/* wg setconf ifname path on cpu (-1: anywhere); the child's pid or -1. */
static pid_t
wg_spawn(const char *ifname, const char *path, int cpu)
{
	pid_t pid = fork();
	cpu_set_t set;

	if (pid != 0)
		return pid;
	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	execlp("wg", "wg", "setconf", ifname, path, (char *)NULL);
	_exit(127);
}

/* Runs the control loop until wg exits; its exit status, or -1. */
static int
wg_load(struct wg_control *c, const char *ifname, const char *path, int cpu)
{
	pid_t pid = wg_spawn(ifname, path, cpu), r;
	int status;

	if (pid < 0)
		return -1;
	do {
		wg_control_poll(c, 1);
		r = waitpid(pid, &status, WNOHANG);
	} while (r == 0);
	if (r < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
feed(struct wg_uapi_set *s, const char *line)
{
	return wg_uapi_set_feed_line(s, line, strlen(line));
}

/* The fallback: the same kind of peers as one set through wg_control_apply(). */
static int
apply_load(struct wg_control *c, const uint8_t priv[WG_KEY_LEN], uint32_t n)
{
	char line[128], hex[WG_KEY_HEX_LEN + 1], ip[16];
	uint8_t key[WG_KEY_LEN];
	struct wg_uapi_set s;
	uint32_t i;
	int rc;

	wg_uapi_set_init(&s);
	wg_key_to_hex(hex, priv);
	snprintf(line, sizeof(line), "private_key=%s", hex);
	rc = feed(&s, line);
	sodium_memzero(line, sizeof(line));
	for (i = 0; i < n && rc == 0; i++) {
		peer_key(key);
		wg_key_to_hex(hex, key);
		snprintf(line, sizeof(line), "public_key=%s", hex);
		rc = feed(&s, line);
		ip4_str(ip, sizeof(ip), WG_BENCH_CLIENT_TUNNEL(i));
		snprintf(line, sizeof(line), "allowed_ip=%s/32", ip);
		rc = rc != 0 ? rc : feed(&s, line);
		ip4_str(ip, sizeof(ip), WG_BENCH_CLIENT_EP(i));
		snprintf(line, sizeof(line), "endpoint=%s:%u", ip, WG_DEFAULT_PORT);
		rc = rc != 0 ? rc : feed(&s, line);
	}
	rc = rc != 0 ? rc : feed(&s, "");
	if (rc == WG_UAPI_SET_DONE)
		rc = wg_control_apply(c, &s);
	wg_uapi_set_free(&s);
	return rc;
}

static bool
have_wg(void)
{
	return system("command -v wg >/dev/null 2>&1") == 0;
}

/* The gateway and its control thread, with the socket if it can. */
static int
scale_setup(struct wg_bench_gw *g, struct wg_control **c, const char *ifname,
	    unsigned int k, uint32_t n, bool *socket)
{
	struct wg_bench_gw_conf gc = { .host = SCALE_HOST, .nq = 1,
				       .max_peers = n + SCALE_SLACK };
	struct wg_control_conf cc = { .ifname = ifname, .max_peers = n + SCALE_SLACK };
	char name[16];

	/* Its own name per count: ring and port names are never reused. */
	snprintf(name, sizeof(name), "scale%u", k);
	gc.name = name;
	if (wg_bench_gw_create(g, &gc) != 0)
		return -1;
	cc.dp = g->dp;
	cc.serve_socket = *socket;
	if (*socket && wg_control_create(c, &cc) == 0)
		return 0;
	*socket = false;
	cc.serve_socket = false;
	return wg_control_create(c, &cc) == 0 ? 0 : -1;
}

static int
scale_load(struct wg_bench_scale *sc, struct wg_control *c, const char *ifname,
	   bool socket, int cpu)
{
	char path[] = "/tmp/wgedge-bench-XXXXXX";
	uint8_t priv[WG_KEY_LEN];
	double t0;
	int fd;

	wg_key_generate_private(priv);
	sc->method = socket ? "wg setconf" : "wg_control_apply";
	if (!socket) {
		t0 = now_s();
		sc->status = apply_load(c, priv, sc->peers);
		sc->load_s = now_s() - t0;
		sodium_memzero(priv, sizeof(priv));
		return 0;
	}
	fd = mkstemp(path);
	if (fd < 0 || (close(fd), conf_write(path, priv, sc->peers)) != 0) {
		sodium_memzero(priv, sizeof(priv));
		return -1;
	}
	sodium_memzero(priv, sizeof(priv));
	t0 = now_s();
	sc->status = wg_load(c, ifname, path, cpu);
	sc->load_s = now_s() - t0;
	unlink(path);
	return 0;
}

/* The resident set, EAL heap and malloc figures, now. */
static void
scale_mem(long *rss, long *eal, long *libc)
{
	*rss = wg_bench_rss_bytes();
	*eal = wg_bench_eal_alloc_bytes();
	*libc = wg_bench_libc_alloc_bytes();
}

/* 0 if count k of n loaded in full; else says which count failed, and how. */
static int
scale_verdict(const struct wg_bench_scale *sc, int rc, unsigned int k, unsigned int n)
{
	if (rc == 0 && sc->status == 0 && sc->peers_loaded == sc->peers)
		return 0;
	if (rc != 0)
		fprintf(stderr, "wgedge-bench: peer scale, count %u/%u (%u peers): %s "
			"failed\n", k + 1, n, sc->peers, sc->method != NULL ?
			"writing the peers' file" : "creating the gateway or control thread");
	else
		fprintf(stderr, "wgedge-bench: peer scale, count %u/%u (%u peers): %s gave "
			"status %d, %u of %u peers in the model\n", k + 1, n, sc->peers,
			sc->method, sc->status, sc->peers_loaded, sc->peers);
	return -1;
}

/* Count k of o (sc->peers set): creates, loads, measures, destroys; 0 or -1. */
static int
scale_one(struct wg_bench_scale *sc, const struct wg_bench_opts *o, unsigned int k)
{
	struct wg_control *c = NULL;
	struct wg_bench_gw g;
	char ifname[16];
	bool socket = have_wg();
	int rc;

	memset(&g, 0, sizeof(g));
	snprintf(ifname, sizeof(ifname), "wgb%d", (int)(getpid() % 100000));
	fprintf(stderr, "wgedge-bench: loading %u peers (peer scale %u/%u)\n", sc->peers,
		k + 1, o->n_scale_peers);
	scale_mem(&sc->rss_before, &sc->eal_before, &sc->libc_before);
	rc = scale_setup(&g, &c, ifname, k, sc->peers, &socket);
	scale_mem(&sc->rss_created, &sc->eal_created, &sc->libc_created);
	if (rc == 0)
		rc = scale_load(sc, c, ifname, socket, o->n_lane_cpus > 1 ?
				o->lane_cpus[1] : -1);
	if (rc == 0) {
		scale_mem(&sc->rss_loaded, &sc->eal_loaded, &sc->libc_loaded);
		sc->peers_loaded = wg_device_peer_count(wg_control_device(c));
		sc->ran = true;
	}
	wg_control_destroy(c);
	wg_bench_gw_destroy(&g);
	return scale_verdict(sc, rc, k, o->n_scale_peers);
}

int
wg_bench_scale_run(const struct wg_bench_opts *o)
{
	struct wg_bench_studies *st = wg_bench_studies();
	unsigned int k;

	memset(st->scale, 0, sizeof(st->scale));
	st->n_scale = o->n_scale_peers;
	for (k = 0; k < o->n_scale_peers; k++)
		st->scale[k].peers = o->scale_peers[k];
	/* Stops at the first failure: the larger counts would fail the same way,
	 * only later. They stay in the report, not run. */
	for (k = 0; k < o->n_scale_peers; k++)
		if (scale_one(&st->scale[k], o, k) != 0)
			return -1;
	return 0;
}
