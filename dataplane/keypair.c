/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Keypairs: the index tables, the per-peer current/previous/next slots with
 * the Linux add_new_keypair() semantics, and retirement through an RCU QSBR
 * defer queue that frees a keypair (and its hash key slot) only once no
 * worker can still hold it.
 *
 * Two index tables, both read lock-free by the workers:
 * - rte_hash (le32 local index -> keypair) holds every installed keypair;
 * - the direct table, a power-of-two array at least twice the peer count
 *   indexed by the low bits of the local index, holds the keypair whose
 *   index landed first in that slot. A worker finds a keypair there with
 *   one load and a compare of its local_index_le, and asks the hash only
 *   for what it did not find (collisions, junk). The control thread draws
 *   indices at random and prefers ones whose slot is free
 *   (wg_dp_index_slot_free()), so that collisions are rare while indices
 *   stay random on the wire. A slot is cleared when its keypair retires,
 *   before the keypair's grace period, exactly as its hash key is deleted.
 *
 * Under AddressSanitizer keypairs come from the libc heap instead of
 * rte_malloc, so that ASan sees their lifetimes: a worker touching a freed
 * keypair is then a reported use-after-free, not silent reuse.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include <sodium.h>

#include "dp_priv.h"
#include "timers.h"

#if defined(__SANITIZE_ADDRESS__)
#define KP_LIBC_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KP_LIBC_HEAP 1
#endif
#endif

/* A defer queue entry: the keypair and its hash key slot. */
struct kp_retired {
	struct wg_dp_keypair *kp;
	int32_t pos;
	uint32_t pad;
};

static struct wg_dp_keypair *
kp_alloc(const struct wg_dp *dp)
{
#ifdef KP_LIBC_HEAP
	void *p = NULL;

	RTE_SET_USED(dp);
	if (posix_memalign(&p, RTE_CACHE_LINE_SIZE, sizeof(struct wg_dp_keypair)) != 0)
		return NULL;
	memset(p, 0, sizeof(struct wg_dp_keypair));
	return p;
#else
	return rte_zmalloc_socket("wg_keypair", sizeof(struct wg_dp_keypair),
				  RTE_CACHE_LINE_SIZE, dp->socket);
#endif
}

static void
kp_free(struct wg_dp_keypair *kp)
{
	sodium_memzero(kp, sizeof(*kp));
#ifdef KP_LIBC_HEAP
	free(kp);
#else
	rte_free(kp);
#endif
}

/* Defer queue callback: the grace period is over for these n. */
static void
kp_reclaim(void *p, void *e, unsigned int n)
{
	struct wg_dp *dp = p;
	struct kp_retired *r = e;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (r[i].pos >= 0)
			rte_hash_free_key_with_position(dp->index, r[i].pos);
		kp_free(r[i].kp);
	}
}

int
dp_index_create(struct wg_dp *dp)
{
	char name[RTE_HASH_NAMESIZE], dqname[RTE_RCU_QSBR_DQ_NAMESIZE];
	/* Three keypairs per peer, plus retired ones awaiting reclaim. */
	uint32_t entries = 4 * dp->max_peers + 1024;
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = entries,
		.key_len = sizeof(uint32_t),
		.hash_func = rte_hash_crc,
		.socket_id = dp->socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_rcu_qsbr_dq_parameters dq = {
		.name = dqname,
		.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE,	/* control thread only */
		.size = entries,
		.esize = sizeof(struct kp_retired),
		.trigger_reclaim_limit = 64,
		.max_reclaim_size = 256,
		.free_fn = kp_reclaim,
		.p = dp,
		.v = dp->qsbr,
	};

	static_assert(sizeof(struct kp_retired) % 4 == 0, "dq element size");
	snprintf(name, sizeof(name), "%s_idx", dp->name);
	snprintf(dqname, sizeof(dqname), "%s_kpdq", dp->name);
	dp->index = rte_hash_create(&hp);
	if (dp->index == NULL)
		return -rte_errno;
	dp->index_mask = 63;
	while (dp->index_mask < 2 * dp->max_peers)
		dp->index_mask = dp->index_mask << 1 | 1;
	dp->index_direct = rte_zmalloc_socket("wg_dp_index",
		(dp->index_mask + (size_t)1) * sizeof(*dp->index_direct),
		RTE_CACHE_LINE_SIZE, dp->socket);
	if (dp->index_direct == NULL)
		return -ENOMEM;
	dp->kp_dq = rte_rcu_qsbr_dq_create(&dq);
	return dp->kp_dq == NULL ? -rte_errno : 0;
}

/* Workers are stopped (offline): every grace period is over. */
void
dp_index_free(struct wg_dp *dp)
{
	if (dp->kp_dq != NULL) {
		rte_rcu_qsbr_dq_reclaim(dp->kp_dq, UINT_MAX, NULL, NULL, NULL);
		if (rte_rcu_qsbr_dq_delete(dp->kp_dq) != 0)
			DP_LOG(ERR, "%s: keypairs still in their grace period",
			       dp->name);
		dp->kp_dq = NULL;
	}
	rte_hash_free(dp->index);
	dp->index = NULL;
	rte_free(dp->index_direct);
	dp->index_direct = NULL;
}

void
wg_dp_reclaim(struct wg_dp *dp)
{
	rte_rcu_qsbr_dq_reclaim(dp->kp_dq, UINT_MAX, NULL, NULL, NULL);
}

/*
 * Unpublished keypairs only: marks it dead (an in-flight worker that still
 * loaded it stages or drops instead of using it), removes its index and
 * queues it for freeing after a grace period.
 */
void
dp_keypair_retire(struct wg_dp *dp, struct wg_dp_keypair *kp)
{
	struct kp_retired r = { .kp = kp };
	struct wg_dp_keypair **slot;

	if (kp == NULL)
		return;
	__atomic_store_n(&kp->dead, 1, __ATOMIC_RELEASE);
	r.pos = rte_hash_del_key(dp->index, &kp->local_index_le);
	slot = &dp->index_direct[dp_index_slot(dp, kp->local_index_le)];
	if (*slot == kp)
		__atomic_store_n(slot, NULL, __ATOMIC_RELEASE);
	if (rte_rcu_qsbr_dq_enqueue(dp->kp_dq, &r) == 0)
		return;
	/* Full even after reclaiming what it could: wait one grace period. */
	dp_synchronize(dp);
	rte_rcu_qsbr_dq_reclaim(dp->kp_dq, UINT_MAX, NULL, NULL, NULL);
	if (rte_rcu_qsbr_dq_enqueue(dp->kp_dq, &r) != 0)
		kp_reclaim(dp, &r, 1);		/* grace period just passed */
}

static struct wg_dp_peer *
live_peer(struct wg_dp *dp, uint32_t id)
{
	if (id >= dp->max_peers ||
	    __atomic_load_n(&dp->peers[id].state, __ATOMIC_ACQUIRE) != WG_DP_PEER_LIVE)
		return NULL;
	return &dp->peers[id];
}

static void
kp_fill(const struct wg_dp *dp, struct wg_dp_keypair *kp,
	const struct wg_noise_keypair *nk, uint32_t id)
{
	const uint64_t s = WG_NSEC_PER_SEC, b = nk->birthdate_ns;

	memcpy(kp->sending_key, nk->sending_key, sizeof(kp->sending_key));
	memcpy(kp->receiving_key, nk->receiving_key, sizeof(kp->receiving_key));
	kp->remote_index_le = wg_le32(nk->remote_index);
	kp->local_index_le = wg_le32(nk->local_index);
	kp->peer_id = id;
	kp->initiator = nk->i_am_the_initiator;
	kp->birthdate_ns = b;
	kp->reject_tsc = dp_ns_to_tsc(dp, b + REJECT_AFTER_TIME * s);
	kp->rekey_tsc = kp->rekey_rx_tsc = UINT64_MAX;
	if (kp->initiator) {
		kp->rekey_tsc = dp_ns_to_tsc(dp, b + REKEY_AFTER_TIME * s);
		kp->rekey_rx_tsc = dp_ns_to_tsc(dp, b + (REJECT_AFTER_TIME -
				KEEPALIVE_TIMEOUT - REKEY_TIMEOUT) * s);
	}
	rte_spinlock_init(&kp->replay_lock);
	wg_replay_init(&kp->replay);
}

/* A confirmed next keypair becomes current; the old current, previous. */
void
dp_keypairs_rotate_confirmed(struct wg_dp *dp, struct wg_dp_peer *p)
{
	struct wg_dp_keypair *next = p->next, *old_prev = p->prev;

	if (next == NULL || !__atomic_load_n(&next->confirmed, __ATOMIC_ACQUIRE))
		return;
	__atomic_store_n(&p->prev, p->cur, __ATOMIC_RELEASE);
	__atomic_store_n(&p->cur, next, __ATOMIC_RELEASE);
	__atomic_store_n(&p->next, NULL, __ATOMIC_RELEASE);
	dp_keypair_retire(dp, old_prev);
}

/* As Linux add_new_keypair(); new pointers first, retirements after. */
static void
kp_publish(struct wg_dp *dp, struct wg_dp_peer *p, struct wg_dp_keypair *kp)
{
	struct wg_dp_keypair *cur = p->cur, *prev = p->prev, *next = p->next;

	if (kp->initiator) {
		__atomic_store_n(&p->cur, kp, __ATOMIC_RELEASE);
		if (next != NULL) {
			/* A pending next becomes previous; current goes. */
			__atomic_store_n(&p->prev, next, __ATOMIC_RELEASE);
			__atomic_store_n(&p->next, NULL, __ATOMIC_RELEASE);
			dp_keypair_retire(dp, cur);
		} else {
			__atomic_store_n(&p->prev, cur, __ATOMIC_RELEASE);
		}
		dp_keypair_retire(dp, prev);
		return;
	}
	/* The responder may not send with it until the initiator has. */
	__atomic_store_n(&p->next, kp, __ATOMIC_RELEASE);
	__atomic_store_n(&p->prev, NULL, __ATOMIC_RELEASE);
	dp_keypair_retire(dp, next);
	dp_keypair_retire(dp, prev);
}

int
wg_dp_peer_keypair_install(struct wg_dp *dp, uint32_t id,
			   const struct wg_noise_keypair *nk)
{
	struct wg_dp_peer *p = live_peer(dp, id);
	struct wg_dp_keypair *kp;
	uint32_t key;
	int rc;

	if (p == NULL || nk == NULL)
		return -ENOENT;
	key = wg_le32(nk->local_index);
	if (rte_hash_lookup(dp->index, &key) >= 0)
		return -EEXIST;
	kp = kp_alloc(dp);
	if (kp == NULL)
		return -ENOMEM;
	kp_fill(dp, kp, nk, id);
	rc = rte_hash_add_key_data(dp->index, &key, kp);
	if (rc == -ENOSPC) {
		/* Key slots of retired keypairs come back after reclaiming. */
		dp_synchronize(dp);
		wg_dp_reclaim(dp);
		rc = rte_hash_add_key_data(dp->index, &key, kp);
	}
	if (rc != 0) {
		kp_free(kp);
		return rc;
	}
	/* Filled in before it is published: readers see it whole. */
	if (dp->index_direct[dp_index_slot(dp, key)] == NULL)
		__atomic_store_n(&dp->index_direct[dp_index_slot(dp, key)], kp,
				 __ATOMIC_RELEASE);
	dp_keypairs_rotate_confirmed(dp, p);
	kp_publish(dp, p, kp);
	return 0;
}

bool
wg_dp_index_slot_free(const struct wg_dp *dp, uint32_t local_index)
{
	return dp->index_direct[dp_index_slot(dp, wg_le32(local_index))] == NULL;
}

bool
wg_dp_index_in_use(struct wg_dp *dp, uint32_t local_index)
{
	uint32_t key = wg_le32(local_index);

	return rte_hash_lookup(dp->index, &key) >= 0;
}

static void
slot_clear(struct wg_dp *dp, struct wg_dp_keypair **slot)
{
	struct wg_dp_keypair *kp = *slot;

	__atomic_store_n(slot, NULL, __ATOMIC_RELEASE);
	dp_keypair_retire(dp, kp);
}

void
wg_dp_peer_keypairs_clear(struct wg_dp *dp, uint32_t id)
{
	struct wg_dp_peer *p;

	if (id >= dp->max_peers)
		return;
	p = &dp->peers[id];
	slot_clear(dp, &p->next);
	slot_clear(dp, &p->cur);
	slot_clear(dp, &p->prev);
}

int
wg_dp_peer_session(struct wg_dp *dp, uint32_t id, struct wg_dp_session *s)
{
	struct wg_dp_peer *p = live_peer(dp, id);
	struct wg_dp_keypair *kp;

	memset(s, 0, sizeof(*s));
	if (p == NULL)
		return -ENOENT;
	kp = dp_peer_send_keypair(p, rte_rdtsc());
	if (kp == NULL)
		return 0;
	s->valid = true;
	s->initiator = kp->initiator;
	s->local_index = wg_le32(kp->local_index_le);
	s->birthdate_ns = kp->birthdate_ns;
	s->send_counter = __atomic_load_n(&kp->send_counter, __ATOMIC_RELAXED);
	return 0;
}
