/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What waits for the control thread from the workers, besides events: two
 * rings of received handshake messages, and the filter that keeps spoofed
 * cookie replies out of them.
 *
 * - hs_ring (MAX_QUEUED_INCOMING_HANDSHAKES): initiations and responses
 *   with a valid mac1, the work the control thread's load is judged by.
 * - ck_ring (WG_DP_COOKIE_RING, small): cookie replies. They carry no mac1,
 *   so anyone can make them; on their own ring they cannot crowd out
 *   initiations and responses, and the filter drops most before they get
 *   there.
 *
 * The cookie filter. A cookie reply answers one of our handshake messages
 * and names its sender index: either a handshake in flight (the control
 * thread's index map, mirrored here as counts in ck_wait[], indexed by the
 * index's low bits like the direct keypair table) or the keypair that our
 * response made (the index tables). Workers pass a reply only if its
 * receiver index may be one of those: a count of zero means certainly not
 * a handshake in flight; a nonzero count may be a neighbour's (then the
 * control thread's exact lookup decides). Only the control thread writes
 * the counts.
 */
#include <errno.h>

#include <rte_hash.h>
#include <rte_malloc.h>

#include "dp_priv.h"

int
dp_hs_queue_create(struct wg_dp *dp)
{
	char name[RTE_RING_NAMESIZE];

	snprintf(name, sizeof(name), "%s_ck", dp->name);
	dp->ck_ring = rte_ring_create(name, WG_DP_COOKIE_RING, dp->socket,
				      RING_F_SC_DEQ | RING_F_EXACT_SZ);
	dp->ck_wait = rte_zmalloc_socket("wg_dp_ck_wait",
		(dp->index_mask + (size_t)1) * sizeof(*dp->ck_wait),
		RTE_CACHE_LINE_SIZE, dp->socket);
	if (dp->ck_ring == NULL || dp->ck_wait == NULL)
		return -ENOMEM;
	return 0;
}

void
dp_hs_queue_free(struct wg_dp *dp)
{
	void *m;

	if (dp->ck_ring != NULL)
		while (rte_ring_dequeue(dp->ck_ring, &m) == 0)
			rte_pktmbuf_free(m);
	rte_ring_free(dp->ck_ring);
	rte_free(dp->ck_wait);
	dp->ck_ring = NULL;
	dp->ck_wait = NULL;
}

/* ---- Workers ---- */

/* True if a cookie reply to this receiver index (wire order) may be ours. */
bool
dp_cookie_index_known(const struct wg_dp *dp, uint32_t index_le)
{
	const struct wg_dp_keypair *kp;
	uint32_t slot = dp_index_slot(dp, index_le);

	if (__atomic_load_n(&dp->ck_wait[slot], __ATOMIC_RELAXED) != 0)
		return true;
	kp = __atomic_load_n(&dp->index_direct[slot], __ATOMIC_ACQUIRE);
	if (kp != NULL && kp->local_index_le == index_le)
		return true;
	return rte_hash_lookup(dp->index, &index_le) >= 0;
}

/* ---- The control thread ---- */

unsigned int
wg_dp_cookie_dequeue(struct wg_dp *dp, struct rte_mbuf **m, unsigned int n)
{
	return rte_ring_sc_dequeue_burst(dp->ck_ring, (void **)m, n, NULL);
}

bool
wg_dp_control_busy(const struct wg_dp *dp)
{
	return !rte_ring_empty(dp->hs_ring) || !rte_ring_empty(dp->ck_ring) ||
	       !rte_ring_empty(dp->ev_ring);
}

void
wg_dp_cookie_wait(struct wg_dp *dp, uint32_t local_index, bool waiting)
{
	uint16_t *n = &dp->ck_wait[dp_index_slot(dp, wg_le32(local_index))];

	/* At most one index per peer, drawn at random: no bucket comes near
	 * 65,535 of them. */
	__atomic_store_n(n, (uint16_t)(waiting ? *n + 1 : *n - 1), __ATOMIC_RELAXED);
}

int
wg_dp_index_peer(struct wg_dp *dp, uint32_t local_index)
{
	uint32_t key = wg_le32(local_index);
	struct wg_dp_keypair *kp;

	if (rte_hash_lookup_data(dp->index, &key, (void **)&kp) < 0)
		return -ENOENT;
	return (int)kp->peer_id;
}
