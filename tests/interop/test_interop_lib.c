/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * lib/ against a WireGuard implementation nobody here wrote: wireguard-go,
 * configured with wg(8), in a network namespace of its own. The test process
 * (Criterion forks one per test) enters the other namespace and speaks the
 * protocol through the lib peer (lib_peer.c), so every byte either side
 * accepts was produced by the other.
 *
 *   lib_initiator      lib sends the initiation, consumes the response,
 *                      confirms with a keepalive; wg(8) shows the handshake
 *                      and exactly those bytes received.
 *   go_initiator       a ping makes wireguard-go initiate; lib answers and
 *                      decrypts the ICMP echo request it then sends.
 *   ping               lib answers three pings through the tunnel.
 *   cookie             lib acts under load: it answers the first initiation
 *                      with a cookie reply, and wireguard-go's retry must
 *                      carry a mac2 that lib accepts (about 5 s: wireguard-go
 *                      retries after REKEY_TIMEOUT).
 *
 * Needs root, iproute2 with netns, wireguard-go, wg and ping; otherwise every
 * test prints "SKIPPED: <reason>" and is skipped.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "inner.h"
#include "keys.h"
#include "lib_peer.h"
#include "noise.h"

enum {
	HANDSHAKE_WAIT_MS = 5000,
	GO_STATS_WAIT_MS = 5000,
	FIRST_DATA_WAIT_MS = 8000,
	PING_WAIT_MS = 20000,
	COOKIE_WAIT_MS = 15000,	/* REKEY_TIMEOUT + jitter, with margin */
	SERVE_SLICE_MS = 50,
	PING_COUNT = 3
};

/* Bytes wireguard-go counts for one initiation and one keepalive. */
#define GO_RX_INITIATION_AND_KEEPALIVE \
	(sizeof(struct wg_msg_initiation) + MESSAGE_MINIMUM_LENGTH)

/* One test per process: these are that test's. */
static struct wgi_topo topo;
static struct wgi_lib_peer peer;
static uint8_t lib_pub[WG_KEY_LEN];
static uint8_t go_pub[WG_KEY_LEN];
static char ping_log[64];
static pid_t ping_pid = -1;
static bool have_peer;
static bool passed;

static void
make_keys(uint8_t lib_priv[WG_KEY_LEN], uint8_t go_priv[WG_KEY_LEN])
{
	cr_assert_eq(wg_crypto_init(), 0, "libsodium did not start");
	wg_noise_init();
	wg_key_generate_private(lib_priv);
	wg_key_generate_private(go_priv);
	cr_assert_eq(wg_key_public_from_private(lib_pub, lib_priv), 0);
	cr_assert_eq(wg_key_public_from_private(go_pub, go_priv), 0);
}

/*
 * Keys, topology, namespace, socket. Skips the test (after saying why) if
 * this machine cannot run it.
 */
static void
begin(void)
{
	uint8_t lib_priv[WG_KEY_LEN], go_priv[WG_KEY_LEN];
	enum wgi_topo_status s;
	char why[160];

	make_keys(lib_priv, go_priv);
	cr_assert_eq(wgi_peer_init(&peer, lib_priv, go_pub), 0,
		     "lib rejected its own generated private key");
	have_peer = true;
	s = wgi_topo_up(&topo, lib_pub, go_priv, why, sizeof(why));
	wg_memzero(lib_priv, sizeof(lib_priv));
	wg_memzero(go_priv, sizeof(go_priv));
	if (s == WGI_TOPO_SKIP) {
		fprintf(stderr, "SKIPPED: interop: %s\n", why);
		cr_skip_test("%s", why);
	}
	cr_assert_eq(s, WGI_TOPO_READY, "topology: %s", why);
	snprintf(ping_log, sizeof(ping_log), "/tmp/%s-ping.log", topo.name);
	cr_assert_eq(wgi_enter_netns(topo.ns_lib), 0, "setns(%s)", topo.ns_lib);
	cr_assert_eq(wgi_peer_open(&peer, WGI_LIB_ADDR, WGI_LIB_PORT,
				   WGI_GO_ADDR, WGI_GO_PORT), 0,
		     "cannot bind %s:%d", WGI_LIB_ADDR, WGI_LIB_PORT);
	cr_assert_eq(inet_pton(AF_INET, WGI_LIB_TUN_ADDR, peer.tun_addr), 1);
}

static void
dump_file(const char *path)
{
	char buf[1024];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return;
	fprintf(stderr, "---- %s ----\n", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(f);
}

/* .fini: runs after a failed assertion too; the reaper covers crashes. */
static void
end(void)
{
	if (ping_pid > 0)
		wgi_reap(ping_pid, 1);
	ping_pid = -1;
	if (!passed && have_peer) {
		wgi_peer_dump_stats(&peer);
		dump_file(ping_log);
		wgi_topo_dump_log(&topo);
	}
	wgi_topo_down(&topo);
	if (have_peer)
		wgi_peer_close(&peer);
	have_peer = false;
	if (passed) {
		unlink(topo.log_path);
		unlink(ping_log);
	}
}

/* Serves the socket until cond() holds or ms pass. */
static bool
serve_until(bool (*cond)(void), unsigned int ms)
{
	uint64_t deadline = wgi_deadline_ns(ms);

	while (!cond()) {
		if (wgi_ms_left(deadline, 1) == 0)
			return false;
		cr_assert_geq(wgi_peer_poll(&peer, wgi_ms_left(deadline,
							       SERVE_SLICE_MS)),
			      0, "socket error");
	}
	return true;
}

static bool
have_keypair(void)
{
	return peer.have_keypair;
}

static bool
have_first_inner(void)
{
	return peer.first_inner_len != 0;
}

static void
start_ping(const char *count, const char *wait_s)
{
	char *argv[] = { "ip", "netns", "exec", topo.ns_go, "ping", "-n",
			 "-c", (char *)count, "-W", (char *)wait_s,
			 WGI_LIB_TUN_ADDR, NULL };

	ping_pid = wgi_spawn(argv, ping_log);
	cr_assert_gt(ping_pid, 0, "cannot start ping");
}

/* Polls wg(8) until wireguard-go shows a handshake and want_rx bytes. */
static void
wait_go_stats(struct wgi_go_peer_stats *gs, uint64_t want_rx)
{
	uint64_t deadline = wgi_deadline_ns(GO_STATS_WAIT_MS);

	for (;;) {
		cr_assert_eq(wgi_go_peer_stats(&topo, gs), 0,
			     "cannot read wg show %s", topo.wg_if);
		if ((gs->latest_handshake != 0 && gs->rx_bytes >= want_rx) ||
		    wgi_ms_left(deadline, 1) == 0)
			return;
		/* Drain anything wireguard-go sends meanwhile. */
		wgi_peer_poll(&peer, 50);
	}
}

static void
assert_go_knows_keys(void)
{
	char line[128], b64[WG_KEY_B64_LEN + 1];

	cr_assert_eq(wgi_go_show(&topo, "public-key", line, sizeof(line)), 0);
	wg_key_to_base64(b64, go_pub);
	cr_assert_str_eq(line, b64,
			 "wg derived a different public key from the private key lib generated");
	cr_assert_eq(wgi_go_show(&topo, "peers", line, sizeof(line)), 0);
	wg_key_to_base64(b64, lib_pub);
	cr_assert_str_eq(line, b64, "wg read lib's base64 public key differently");
}

Test(interop, lib_initiator, .fini = end, .timeout = 60)
{
	struct wgi_go_peer_stats gs;
	char b64[WG_KEY_B64_LEN + 1];

	begin();
	assert_go_knows_keys();
	cr_assert_eq(wgi_peer_send_initiation(&peer), 0);
	cr_assert(serve_until(have_keypair, HANDSHAKE_WAIT_MS),
		  "no valid handshake response from wireguard-go");
	cr_assert_eq(peer.st.responses_rx, 1);
	cr_assert(peer.kp.i_am_the_initiator);
	cr_assert_eq(wgi_peer_send_keepalive(&peer), 0);

	/* The responder marks the handshake only once data confirms it. */
	wait_go_stats(&gs, GO_RX_INITIATION_AND_KEEPALIVE);
	wg_key_to_base64(b64, lib_pub);
	cr_assert_str_eq(gs.peer_b64, b64);
	cr_assert_neq(gs.latest_handshake, 0,
		      "wireguard-go never confirmed the session (keepalive rejected?)");
	cr_assert_eq(gs.rx_bytes, GO_RX_INITIATION_AND_KEEPALIVE,
		     "wireguard-go accepted %llu bytes, not initiation + keepalive",
		     (unsigned long long)gs.rx_bytes);
	cr_assert_eq(gs.tx_bytes, sizeof(struct wg_msg_response));
	fprintf(stderr, "interop: lib initiator handshake OK\n");
	passed = true;
}

Test(interop, go_initiator, .fini = end, .timeout = 60)
{
	struct wgi_go_peer_stats gs;
	struct wgi_echo e;
	uint8_t want_src[4], want_dst[4];

	begin();
	start_ping("1", "1");
	cr_assert(serve_until(have_first_inner, FIRST_DATA_WAIT_MS),
		  "no data from wireguard-go after the handshake");
	/* The staged ping goes out first: no keepalive ahead of it. */
	cr_assert_eq(peer.st.keepalives_rx, 0,
		     "the first data message was not the staged ping");
	cr_assert_eq(peer.st.initiations_rx, 1);
	cr_assert_eq(peer.st.responses_tx, 1);
	cr_assert_eq(peer.st.keypairs, 1);
	cr_assert_not(peer.kp.i_am_the_initiator);

	cr_assert(wgi_parse_echo_request(peer.first_inner, peer.first_inner_len, &e),
		  "the first inner packet is not an IPv4 ICMP echo request");
	inet_pton(AF_INET, WGI_GO_TUN_ADDR, want_src);
	inet_pton(AF_INET, WGI_LIB_TUN_ADDR, want_dst);
	cr_assert_arr_eq(e.src, want_src, 4, "echo request not from " WGI_GO_TUN_ADDR);
	cr_assert_arr_eq(e.dst, want_dst, 4, "echo request not to " WGI_LIB_TUN_ADDR);
	/* Padded to 16 as the protocol requires, never less than the packet. */
	cr_assert_eq(peer.first_inner_len % MESSAGE_PADDING_MULTIPLE, 0);
	cr_assert_geq(peer.first_inner_len, e.ip_len);

	/* The initiator records the handshake when it consumes our response. */
	wait_go_stats(&gs, sizeof(struct wg_msg_response));
	cr_assert_neq(gs.latest_handshake, 0);
	wgi_reap(ping_pid, 3000);
	ping_pid = -1;
	fprintf(stderr, "interop: wireguard-go initiator handshake OK\n");
	passed = true;
}

Test(interop, ping, .fini = end, .timeout = 60)
{
	uint64_t deadline;
	char out[2048] = "";
	int status = -2;
	FILE *f;
	size_t n;

	begin();
	peer.answer_echo = true;
	start_ping("3", "2");
	deadline = wgi_deadline_ns(PING_WAIT_MS);
	while (status == -2 && wgi_ms_left(deadline, 1) > 0) {
		cr_assert_geq(wgi_peer_poll(&peer, SERVE_SLICE_MS), 0);
		status = wgi_reap(ping_pid, 0);
	}
	if (status == -2)
		status = wgi_reap(ping_pid, 1);
	ping_pid = -1;
	f = fopen(ping_log, "r");
	if (f != NULL) {
		n = fread(out, 1, sizeof(out) - 1, f);
		out[n] = '\0';
		fclose(f);
	}
	cr_assert_eq(status, 0, "ping through lib failed (status %d)", status);
	cr_assert_not_null(strstr(out, " 3 received"),
			   "not every ping was answered:\n%s", out);
	cr_assert_geq(peer.st.echo_requests, PING_COUNT);
	cr_assert_geq(peer.st.echo_replies, PING_COUNT);
	cr_assert_eq(peer.st.drops[WGI_DROP_REPLAY], 0);
	cr_assert_eq(peer.st.drops[WGI_DROP_DATA_AUTH], 0);
	fprintf(stderr, "interop: ping through lib OK (%u/%d)\n",
		peer.st.echo_replies, PING_COUNT);
	passed = true;
}

Test(interop, cookie, .fini = end, .timeout = 60)
{
	int status;

	begin();
	peer.demand_cookie = true;
	peer.answer_echo = true;
	start_ping("1", "10");
	cr_assert(serve_until(have_first_inner, COOKIE_WAIT_MS),
		  "wireguard-go never completed a handshake after the cookie reply");
	cr_assert_geq(peer.st.cookies_tx, 1);
	cr_assert_geq(peer.st.drops[WGI_DROP_NEED_COOKIE], 1);
	cr_assert_eq(peer.st.mac2_valid_rx, 1,
		     "wireguard-go's retry carried no mac2 lib accepts");
	cr_assert_eq(peer.st.keypairs, 1);
	cr_assert_eq(peer.st.drops[WGI_DROP_BAD_MAC1], 0);
	status = wgi_reap(ping_pid, 5000);
	ping_pid = -1;
	cr_assert_eq(status, 0, "the ping after the cookie exchange failed");
	fprintf(stderr, "interop: cookie reply and mac2 OK\n");
	passed = true;
}
