/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mac1, mac2 and cookie replies (whitepaper 5.4.4, 5.4.7):
 *
 *   mac1   = MAC(HASH("mac1----" || Spub_responder), msg up to mac1)
 *   mac2   = MAC(cookie, msg up to mac2)
 *   cookie = MAC(secret, source address || source port)
 *   reply  = XAEAD(HASH("cookie--" || Spub_responder), nonce, cookie, mac1)
 *
 * MAC is keyed BLAKE2s with a 16-byte output; the port is hashed in network
 * byte order, the way it lies in the UDP header.
 */
#include <string.h>

#include <sodium.h>

#include "blake2s.h"
#include "consts.h"
#include "cookie.h"

enum { COOKIE_KEY_LABEL_LEN = 8 };
static const uint8_t mac1_key_label[COOKIE_KEY_LABEL_LEN] = "mac1----";
static const uint8_t cookie_key_label[COOKIE_KEY_LABEL_LEN] = "cookie--";

enum {
	MAC1_OFFSET = offsetof(struct wg_msg_macs, mac1),
	MAC2_OFFSET = offsetof(struct wg_msg_macs, mac2)
};

static_assert(COOKIE_NONCE_LEN == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	      "cookie nonce is an XChaCha20-Poly1305 nonce");

/* key = HASH(label || public key); all zero without a public key. */
static void
precompute_key(uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
	       const uint8_t pubkey[NOISE_PUBLIC_KEY_LEN],
	       const uint8_t label[COOKIE_KEY_LABEL_LEN])
{
	struct wg_blake2s_state blake;

	if (pubkey == NULL) {
		sodium_memzero(key, NOISE_SYMMETRIC_KEY_LEN);
		return;
	}
	wg_blake2s_init(&blake, NOISE_SYMMETRIC_KEY_LEN);
	wg_blake2s_update(&blake, label, COOKIE_KEY_LABEL_LEN);
	wg_blake2s_update(&blake, pubkey, NOISE_PUBLIC_KEY_LEN);
	wg_blake2s_final(&blake, key);
}

/* True once birthdate + max_age_s has been reached (as Linux). */
static bool
has_expired(uint64_t birthdate_ns, uint64_t max_age_s, uint64_t now_ns)
{
	return birthdate_ns + max_age_s * WG_NSEC_PER_SEC <= now_ns;
}

static struct wg_msg_macs *
macs_of(const uint8_t *msg, size_t len)
{
	return (struct wg_msg_macs *)(uintptr_t)(msg + len - sizeof(struct wg_msg_macs));
}

/* MAC over everything before mac1. */
static void
compute_mac1(uint8_t mac1[COOKIE_LEN], const uint8_t *msg, size_t len,
	     const uint8_t key[NOISE_SYMMETRIC_KEY_LEN])
{
	len = len - sizeof(struct wg_msg_macs) + MAC1_OFFSET;
	wg_blake2s(mac1, COOKIE_LEN, msg, len, key, NOISE_SYMMETRIC_KEY_LEN);
}

/* MAC over everything before mac2, mac1 included. */
static void
compute_mac2(uint8_t mac2[COOKIE_LEN], const uint8_t *msg, size_t len,
	     const uint8_t cookie[COOKIE_LEN])
{
	len = len - sizeof(struct wg_msg_macs) + MAC2_OFFSET;
	wg_blake2s(mac2, COOKIE_LEN, msg, len, cookie, COOKIE_LEN);
}

/* The secret is drawn lazily and redrawn once it is COOKIE_SECRET_MAX_AGE old. */
static void
refresh_secret(struct wg_cookie_checker *c, uint64_t now_ns)
{
	if (c->secret_valid &&
	    !has_expired(c->secret_birthdate_ns, COOKIE_SECRET_MAX_AGE, now_ns))
		return;
	randombytes_buf(c->secret, NOISE_HASH_LEN);
	c->secret_birthdate_ns = now_ns;
	c->secret_valid = true;
}

/* cookie = MAC(secret, source address bytes || source port, big-endian) */
static void
make_cookie(struct wg_cookie_checker *c, uint8_t cookie[COOKIE_LEN],
	    const struct wg_endpoint *src, uint64_t now_ns)
{
	struct wg_blake2s_state blake;
	uint8_t port[2];

	refresh_secret(c, now_ns);
	port[0] = (uint8_t)(src->port >> 8);
	port[1] = (uint8_t)src->port;
	wg_blake2s_init_key(&blake, COOKIE_LEN, c->secret, NOISE_HASH_LEN);
	wg_blake2s_update(&blake, src->addr.v6, wg_endpoint_addr_len(src));
	wg_blake2s_update(&blake, port, sizeof(port));
	wg_blake2s_final(&blake, cookie);
}

void
wg_cookie_mac1_checker_init(struct wg_cookie_mac1_checker *m,
			    const uint8_t key[NOISE_SYMMETRIC_KEY_LEN])
{
	wg_blake2s_init_key_compressed(&m->keyed, COOKIE_LEN, key,
				       NOISE_SYMMETRIC_KEY_LEN);
}

bool
wg_cookie_mac1_check(const struct wg_cookie_mac1_checker *m,
		     const uint8_t *msg, size_t len)
{
	struct wg_blake2s_state s;
	uint8_t computed[COOKIE_LEN];

	/*
	 * The header precedes mac1, so the pre-keyed state gets the
	 * non-empty message it needs (wg_blake2s_init_key_compressed()).
	 */
	if (len < sizeof(struct wg_msg_header) + sizeof(struct wg_msg_macs))
		return false;
	s = m->keyed;
	wg_blake2s_update(&s, msg, len - sizeof(struct wg_msg_macs) + MAC1_OFFSET);
	wg_blake2s_final(&s, computed);
	return crypto_verify_16(computed, macs_of(msg, len)->mac1) == 0;
}

enum { MAC1_GROUP_MAX = 32 };

/* The messages among msg[0..n-1], n <= MAC1_GROUP_MAX, of glen bytes. */
static void
mac1_check_group(const struct wg_cookie_mac1_checker *m,
		 const uint8_t *const msg[], const size_t len[],
		 unsigned int n, size_t glen, bool valid[])
{
	uint8_t mac[MAC1_GROUP_MAX][COOKIE_LEN];
	const uint8_t *in[MAC1_GROUP_MAX];
	unsigned int idx[MAC1_GROUP_MAX];
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		if (len[i] != glen)
			continue;
		idx[k] = i;
		in[k++] = msg[i];
	}
	wg_blake2s_many(mac[0], &m->keyed, in,
			glen - sizeof(struct wg_msg_macs) + MAC1_OFFSET, k);
	for (i = 0; i < k; i++)
		valid[idx[i]] = crypto_verify_16(mac[i],
						 macs_of(in[i], glen)->mac1) == 0;
}

void
wg_cookie_mac1_check_burst(const struct wg_cookie_mac1_checker *m,
			   const uint8_t *const msg[], const size_t len[],
			   unsigned int n, bool valid[])
{
	const size_t init_len = sizeof(struct wg_msg_initiation);
	const size_t resp_len = sizeof(struct wg_msg_response);
	unsigned int i, c;

	for (; n > 0; msg += c, len += c, valid += c, n -= c) {
		c = n < MAC1_GROUP_MAX ? n : MAC1_GROUP_MAX;
		mac1_check_group(m, msg, len, c, init_len, valid);
		mac1_check_group(m, msg, len, c, resp_len, valid);
		/* Any other length: one at a time (and mostly rejected). */
		for (i = 0; i < c; i++)
			if (len[i] != init_len && len[i] != resp_len)
				valid[i] = wg_cookie_mac1_check(m, msg[i], len[i]);
	}
}

void
wg_cookie_checker_init(struct wg_cookie_checker *c,
		       const uint8_t our_public[NOISE_PUBLIC_KEY_LEN])
{
	sodium_memzero(c, sizeof(*c));
	precompute_key(c->cookie_encryption_key, our_public, cookie_key_label);
	precompute_key(c->message_mac1_key, our_public, mac1_key_label);
	wg_cookie_mac1_checker_init(&c->mac1, c->message_mac1_key);
}

enum wg_cookie_mac_state
wg_cookie_validate_packet(struct wg_cookie_checker *c, const uint8_t *msg,
			  size_t len, const struct wg_endpoint *src,
			  bool check_cookie, uint64_t now_ns)
{
	enum wg_cookie_mac_state ret = WG_COOKIE_VALID_MAC_BUT_NO_COOKIE;
	uint8_t computed[COOKIE_LEN];
	uint8_t cookie[COOKIE_LEN];

	if (!wg_cookie_mac1_check(&c->mac1, msg, len))
		return WG_COOKIE_INVALID_MAC;
	if (!check_cookie)
		return ret;

	make_cookie(c, cookie, src, now_ns);
	compute_mac2(computed, msg, len, cookie);
	if (crypto_verify_16(computed, macs_of(msg, len)->mac2) == 0)
		ret = WG_COOKIE_VALID_MAC_WITH_COOKIE;
	sodium_memzero(cookie, sizeof(cookie));
	return ret;
}

void
wg_cookie_message_create(struct wg_cookie_checker *c, struct wg_msg_cookie *dst,
			 const uint8_t *msg, size_t len,
			 const struct wg_endpoint *src, uint64_t now_ns)
{
	const struct wg_msg_macs *macs = macs_of(msg, len);
	uint8_t cookie[COOKIE_LEN];

	dst->header.type = wg_le32(MESSAGE_HANDSHAKE_COOKIE);
	/* Initiations and responses both carry their sender index at 4. */
	memcpy(&dst->receiver_index, msg + offsetof(struct wg_msg_initiation,
						    sender_index),
	       sizeof(dst->receiver_index));
	randombytes_buf(dst->nonce, COOKIE_NONCE_LEN);

	make_cookie(c, cookie, src, now_ns);
	crypto_aead_xchacha20poly1305_ietf_encrypt(dst->encrypted_cookie, NULL,
		cookie, COOKIE_LEN, macs->mac1, COOKIE_LEN, NULL, dst->nonce,
		c->cookie_encryption_key);
	sodium_memzero(cookie, sizeof(cookie));
}

void
wg_cookie_init(struct wg_cookie *ck, const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN])
{
	sodium_memzero(ck, sizeof(*ck));
	precompute_key(ck->cookie_decryption_key, peer_public, cookie_key_label);
	precompute_key(ck->message_mac1_key, peer_public, mac1_key_label);
}

void
wg_cookie_add_macs(struct wg_cookie *ck, uint8_t *msg, size_t len,
		   uint64_t now_ns)
{
	struct wg_msg_macs *macs = macs_of(msg, len);

	compute_mac1(macs->mac1, msg, len, ck->message_mac1_key);
	memcpy(ck->last_mac1_sent, macs->mac1, COOKIE_LEN);
	ck->have_sent_mac1 = true;

	/* A cookie near the responder's rotation may already be stale there. */
	if (ck->is_valid &&
	    !has_expired(ck->birthdate_ns,
			 COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY, now_ns))
		compute_mac2(macs->mac2, msg, len, ck->cookie);
	else
		memset(macs->mac2, 0, COOKIE_LEN);
}

int
wg_cookie_consume_reply(struct wg_cookie *ck, const struct wg_msg_cookie *src,
			uint64_t now_ns)
{
	uint8_t cookie[COOKIE_LEN];

	/* A reply must answer the last mac1 we sent, and only once. */
	if (!ck->have_sent_mac1 ||
	    wg_le32(src->header.type) != MESSAGE_HANDSHAKE_COOKIE)
		return -1;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(cookie, NULL, NULL,
		    src->encrypted_cookie, sizeof(src->encrypted_cookie),
		    ck->last_mac1_sent, COOKIE_LEN, src->nonce,
		    ck->cookie_decryption_key) != 0) {
		sodium_memzero(cookie, sizeof(cookie));
		return -1;
	}

	memcpy(ck->cookie, cookie, COOKIE_LEN);
	ck->birthdate_ns = now_ns;
	ck->is_valid = true;
	ck->have_sent_mac1 = false;
	sodium_memzero(cookie, sizeof(cookie));
	return 0;
}
