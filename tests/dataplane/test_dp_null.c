/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Sustained load through the encrypt path into a net_null outer port (its
 * TX frees what it is given), polled and on a launched worker: every packet
 * is encrypted and sent, nothing dropped, and the pool is back to where it
 * started. Then the counters as DPDK telemetry shows them under /wgedge/.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <sodium.h>

#include "harness.h"

enum {
	SUSTAINED = 100000,
	CHUNK = 512
};

static uint32_t peer_id;
/* What the outer frames must add up to: Ethernet + IPv4 + UDP + message. */
static uint64_t expect_bytes;

TestSuite(null, .init = h_setup, .fini = h_teardown);
TestSuite(telemetry, .init = h_setup_telemetry, .fini = h_teardown);

/* A with a net_null outer port and one peer (B's addresses) with a key. */
static void
gw_with_peer(bool null_outer)
{
	struct wg_noise_keypair kp;
	struct h_gw b;

	h_gw_init(&h_a, "gwA", 1, 1);
	if (null_outer)
		h_gw_null_outer(&h_a);
	h_gw_start(&h_a);
	memset(&b, 0, sizeof(b));
	memcpy(b.ep4.addr.v4, (uint8_t[]){ 10, 0, 0, 2 }, 4);
	b.ep4.family = WG_AF_INET;
	b.ep4.port = WG_DEFAULT_PORT;
	memcpy(b.ep6.addr.v6, (uint8_t[16]){ 0xfd, [15] = 2 }, 16);
	b.ep6.family = WG_AF_INET6;
	b.ep6.port = WG_DEFAULT_PORT;
	memcpy(b.lan4, (uint8_t[]){ 192, 168, 2, 0 }, 4);
	memcpy(b.lan6, (uint8_t[16]){ 0xfd, 0x02, [7] = 2 }, 16);
	peer_id = h_peer_for(&h_a, &b, false);
	memset(&kp, 0, sizeof(kp));
	randombytes_buf(kp.sending_key, sizeof(kp.sending_key));
	kp.local_index = 1;
	kp.remote_index = 2;
	kp.i_am_the_initiator = true;
	kp.birthdate_ns = wg_dp_clock_ns();
	cr_assert(wg_dp_peer_keypair_install(h_a.dp, peer_id, &kp) == 0);
	sodium_memzero(&kp, sizeof(kp));
}

/* Up to n packets of assorted sizes and families into the clear ring. */
static unsigned int
inject(unsigned int first, unsigned int n)
{
	struct rte_mbuf *m[CHUNK];
	uint8_t s4[4] = { 192, 168, 1, 1 }, d4[4] = { 192, 168, 2, 9 };
	uint8_t s6[16] = { 0xfd, 0x02, [7] = 1, [15] = 1 };
	uint8_t d6[16] = { 0xfd, 0x02, [7] = 2, [15] = 9 };
	unsigned int i, seed, room = rte_ring_free_count(h_a.clear_rx[0]);

	n = RTE_MIN(n, (unsigned int)CHUNK);
	n = RTE_MIN(n, room);
	for (i = 0; i < n; i++) {
		uint16_t len;

		seed = first + i;
		len = (uint16_t)(seed % 3 == 0 ? 40 + seed % 1381 : 20 + seed % 1401);
		m[i] = (seed % 3 == 0) ? h_inner6(&h_a, s6, d6, len, seed) :
					 h_inner4(&h_a, s4, d4, len, seed);
		expect_bytes += 14 + 20 + 8 +
			wg_message_data_len(RTE_MIN(RTE_ALIGN_CEIL(len, 16), H_MTU));
	}
	h_ring_put(h_a.clear_rx[0], m, n);
	return n;
}

static void
check_all_sent(unsigned int n)
{
	struct wg_dp_peer_stats ps;
	struct rte_eth_stats es;
	struct wg_dp_stats st;

	h_stats(&h_a, &st);
	cr_assert_eq(wg_dp_drops_total(&st), 0, "nothing dropped");
	cr_assert_eq(st.clear_rx_packets, n);
	cr_assert_eq(st.encrypted, n);
	cr_assert_eq(st.outer_tx_packets, n);
	cr_assert(rte_eth_stats_get(h_a.outer_port, &es) == 0);
	cr_assert_eq(es.opackets, n, "the null port took them all");
	/* (net_null counts no bytes: ours are checked against the sizes.) */
	cr_assert_eq(st.outer_tx_bytes, expect_bytes);
	cr_assert(wg_dp_peer_stats_get(h_a.dp, peer_id, &ps) == 0);
	cr_assert_eq(ps.tx_packets, n);
}

H_TEST(null, sustained_encrypt_polled, .timeout = 60)
{
	unsigned int sent = 0;

	gw_with_peer(true);
	while (sent < SUSTAINED) {
		sent += inject(sent, SUSTAINED - sent);
		while (rte_ring_count(h_a.clear_rx[0]) != 0)
			h_poll(&h_a);
	}
	check_all_sent(SUSTAINED);
}

H_TEST(null, sustained_encrypt_launched, .timeout = 60)
{
	struct wg_dp_worker *w;
	unsigned int sent = 0;
	uint64_t deadline;

	gw_with_peer(true);
	w = wg_dp_worker_get(h_a.dp, 0);
	cr_assert(wg_dp_worker_launch(w, rte_get_next_lcore(-1, 1, 0)) == 0);
	/* The worker shares the CPUs with everything else on the machine:
	 * wait for it by the clock, generously, never by a count of spins. */
	deadline = h_deadline(H_WAIT_S);
	while (sent < SUSTAINED && h_before(deadline))
		sent += inject(sent, SUSTAINED - sent);
	cr_assert_eq(sent, SUSTAINED, "the worker took %u packets in %u s",
		     sent, (unsigned int)H_WAIT_S);
	while (rte_ring_count(h_a.clear_rx[0]) != 0 && h_before(deadline))
		rte_pause();
	cr_assert_eq(rte_ring_count(h_a.clear_rx[0]), 0,
		     "the worker drained its ring in %u s", (unsigned int)H_WAIT_S);
	/* Stopping flushes what the worker still buffers. */
	cr_assert(wg_dp_worker_stop(w) == 0);
	check_all_sent(SUSTAINED);
}

/* ---- Telemetry ---- */

static int
tel_connect(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char greeting[1024];
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	cr_assert(fd >= 0);
	cr_assert(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
		  "telemetry socket %s", sun.sun_path);
	cr_assert(read(fd, greeting, sizeof(greeting)) > 0);
	return fd;
}

static void
tel_query(int fd, const char *cmd, char *out, size_t cap)
{
	ssize_t n;

	cr_assert_eq(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	n = read(fd, out, cap - 1);
	cr_assert(n > 0);
	out[n] = '\0';
}

H_TEST(telemetry, counters_under_wgedge)
{
	static char out[16384];
	struct rte_mbuf *m[8];
	uint8_t s4[4] = { 192, 168, 1, 1 }, nowhere[4] = { 10, 77, 0, 1 };
	unsigned int i;
	int fd;

	gw_with_peer(false);
	/* 5 frames that are not IP, 3 packets with no route. */
	for (i = 0; i < 5; i++) {
		m[i] = h_inner4(&h_a, s4, nowhere, 60, i);
		rte_pktmbuf_mtod(m[i], uint8_t *)[12] = 0x88;	/* not IP */
	}
	for (; i < 8; i++)
		m[i] = h_inner4(&h_a, s4, nowhere, 60, i);
	h_ring_put(h_a.clear_rx[0], m, 8);
	h_poll(&h_a);

	fd = tel_connect();
	tel_query(fd, "/wgedge/list", out, sizeof(out));
	cr_assert(strstr(out, "\"gwA\"") != NULL, "%s", out);
	tel_query(fd, "/wgedge/drops,gwA", out, sizeof(out));
	cr_assert(strstr(out, "\"clear_not_ip\":5") != NULL, "%s", out);
	cr_assert(strstr(out, "\"no_route\":3") != NULL, "%s", out);
	cr_assert(strstr(out, "\"replay\":0") != NULL, "%s", out);
	tel_query(fd, "/wgedge/stats", out, sizeof(out));	/* the only one */
	cr_assert(strstr(out, "\"clear_rx_packets\":8") != NULL, "%s", out);
	cr_assert(strstr(out, "\"drops\":8") != NULL, "%s", out);
	tel_query(fd, "/wgedge/peers,gwA", out, sizeof(out));
	cr_assert(strstr(out, "\"0\":{\"rx_packets\":0") != NULL, "%s", out);
	tel_query(fd, "/wgedge/stats,nosuch", out, sizeof(out));
	cr_assert(strstr(out, "clear_rx_packets") == NULL, "%s", out);
	close(fd);
}
