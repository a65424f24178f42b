/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as WireGuard uses it:
 *
 *   <- s
 *   ******
 *   -> e, es, s, ss, {t}
 *   <- e, ee, se, psk, {}
 *
 * Every step that can fail works on local copies of the chaining key and
 * hash, so a rejected message leaves the peer's handshake untouched; the
 * copies are committed only once the whole message has been accepted.
 */
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "blake2s.h"
#include "consts.h"
#include "kdf.h"
#include "noise.h"

static const uint8_t handshake_name[37] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const uint8_t identifier_name[34] = "WireGuard v1 zx2c4 Jason@zx2c4.com";

static uint8_t handshake_init_chaining_key[NOISE_HASH_LEN];
static uint8_t handshake_init_hash[NOISE_HASH_LEN];

/* Handshake AEADs use each key once, so their nonce is always zero. */
static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

enum {
	/* 2^24: the greatest power of two <= 1e9 / INITIATIONS_PER_SECOND. */
	TAI64N_NSEC_GRANULE = 1 << 24
};

static_assert(TAI64N_NSEC_GRANULE <= WG_NSEC_PER_SEC / INITIATIONS_PER_SECOND &&
	      2 * TAI64N_NSEC_GRANULE > WG_NSEC_PER_SEC / INITIATIONS_PER_SECOND,
	      "TAI64N granule is the rounded-down power of two");

void
wg_noise_init(void)
{
	struct wg_blake2s_state blake;

	/* Ck = HASH(construction); H = HASH(Ck || identifier) */
	wg_blake2s(handshake_init_chaining_key, NOISE_HASH_LEN, handshake_name,
		   sizeof(handshake_name), NULL, 0);
	wg_blake2s_init(&blake, NOISE_HASH_LEN);
	wg_blake2s_update(&blake, handshake_init_chaining_key, NOISE_HASH_LEN);
	wg_blake2s_update(&blake, identifier_name, sizeof(identifier_name));
	wg_blake2s_final(&blake, handshake_init_hash);
}

/* DH(private, public); false when the result is the all-zero point. */
static bool
dh(uint8_t out[NOISE_PUBLIC_KEY_LEN], const uint8_t priv[NOISE_PUBLIC_KEY_LEN],
   const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	/* libsodium refuses small-order points and an all-zero output. */
	if (crypto_scalarmult(out, priv, pub) != 0) {
		sodium_memzero(out, NOISE_PUBLIC_KEY_LEN);
		return false;
	}
	return true;
}

static void
clamp_secret(uint8_t key[NOISE_PUBLIC_KEY_LEN])
{
	key[0] &= 248;
	key[31] = (key[31] & 127) | 64;
}

/* A fresh, clamped ephemeral key pair. */
static bool
generate_ephemeral(uint8_t priv[NOISE_PUBLIC_KEY_LEN],
		   uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	randombytes_buf(priv, NOISE_PUBLIC_KEY_LEN);
	clamp_secret(priv);
	return crypto_scalarmult_base(pub, priv) == 0 &&
	       !sodium_is_zero(pub, NOISE_PUBLIC_KEY_LEN);
}

/* H = HASH(H || src) */
static void
mix_hash(uint8_t hash[NOISE_HASH_LEN], const uint8_t *src, size_t src_len)
{
	struct wg_blake2s_state blake;

	wg_blake2s_init(&blake, NOISE_HASH_LEN);
	wg_blake2s_update(&blake, hash, NOISE_HASH_LEN);
	wg_blake2s_update(&blake, src, src_len);
	wg_blake2s_final(&blake, hash);
}

/* (Ck, key) = KDF2(Ck, DH(priv, pub)), or Ck = KDF1(...) if key is NULL. */
static bool
mix_dh(uint8_t chaining_key[NOISE_HASH_LEN], uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
       const uint8_t priv[NOISE_PUBLIC_KEY_LEN],
       const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	uint8_t shared[NOISE_PUBLIC_KEY_LEN];

	if (!dh(shared, priv, pub))
		return false;
	wg_kdf(chaining_key, key, NULL, shared, sizeof(shared), chaining_key);
	sodium_memzero(shared, sizeof(shared));
	return true;
}

/* As mix_dh with the static-static DH; all zero means that DH failed. */
static bool
mix_precomputed_dh(uint8_t chaining_key[NOISE_HASH_LEN],
		   uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
		   const uint8_t precomputed[NOISE_PUBLIC_KEY_LEN])
{
	if (sodium_is_zero(precomputed, NOISE_PUBLIC_KEY_LEN))
		return false;
	wg_kdf(chaining_key, key, NULL, precomputed, NOISE_PUBLIC_KEY_LEN,
	       chaining_key);
	return true;
}

/* (Ck, tau, key) = KDF3(Ck, psk); H = HASH(H || tau) */
static void
mix_psk(uint8_t chaining_key[NOISE_HASH_LEN], uint8_t hash[NOISE_HASH_LEN],
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
	const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN])
{
	uint8_t tau[NOISE_HASH_LEN];

	wg_kdf(chaining_key, tau, key, psk, NOISE_SYMMETRIC_KEY_LEN,
	       chaining_key);
	mix_hash(hash, tau, sizeof(tau));
	sodium_memzero(tau, sizeof(tau));
}

/* Ck, H from the constants; H = HASH(H || responder static) */
static void
handshake_start(uint8_t chaining_key[NOISE_HASH_LEN], uint8_t hash[NOISE_HASH_LEN],
		const uint8_t responder_static[NOISE_PUBLIC_KEY_LEN])
{
	memcpy(chaining_key, handshake_init_chaining_key, NOISE_HASH_LEN);
	memcpy(hash, handshake_init_hash, NOISE_HASH_LEN);
	mix_hash(hash, responder_static, NOISE_PUBLIC_KEY_LEN);
}

/* dst = AEAD(key, 0, src, H); H = HASH(H || dst) */
static void
message_encrypt(uint8_t *dst, const uint8_t *src, size_t src_len,
		const uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
		uint8_t hash[NOISE_HASH_LEN])
{
	static const uint8_t nothing;

	crypto_aead_chacha20poly1305_ietf_encrypt(dst, NULL,
		src != NULL ? src : &nothing, src_len, hash, NOISE_HASH_LEN,
		NULL, zero_nonce, key);
	mix_hash(hash, dst, noise_encrypted_len(src_len));
}

/* dst = AEAD-open(key, 0, src, H); then H = HASH(H || src) */
static bool
message_decrypt(uint8_t *dst, const uint8_t *src, size_t src_len,
		const uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
		uint8_t hash[NOISE_HASH_LEN])
{
	uint8_t nothing;

	if (crypto_aead_chacha20poly1305_ietf_decrypt(
		    dst != NULL ? dst : &nothing, NULL, NULL, src, src_len,
		    hash, NOISE_HASH_LEN, zero_nonce, key) != 0)
		return false;
	mix_hash(hash, src, src_len);
	return true;
}

/* H = HASH(H || e); Ck = KDF1(Ck, e) */
static void
message_ephemeral(const uint8_t ephemeral[NOISE_PUBLIC_KEY_LEN],
		  uint8_t chaining_key[NOISE_HASH_LEN], uint8_t hash[NOISE_HASH_LEN])
{
	mix_hash(hash, ephemeral, NOISE_PUBLIC_KEY_LEN);
	wg_kdf(chaining_key, NULL, NULL, ephemeral, NOISE_PUBLIC_KEY_LEN,
	       chaining_key);
}

int
wg_noise_identity_set(struct wg_noise_identity *id,
		      const uint8_t private_key[NOISE_PUBLIC_KEY_LEN])
{
	uint8_t priv[NOISE_PUBLIC_KEY_LEN];

	/* Copied first: private_key may be id->static_private itself. */
	memcpy(priv, private_key, sizeof(priv));
	wg_noise_identity_clear(id);
	if (sodium_is_zero(priv, sizeof(priv))) {
		sodium_memzero(priv, sizeof(priv));
		return -1;
	}
	clamp_secret(priv);
	memcpy(id->static_private, priv, sizeof(priv));
	sodium_memzero(priv, sizeof(priv));
	if (crypto_scalarmult_base(id->static_public, id->static_private) != 0 ||
	    sodium_is_zero(id->static_public, NOISE_PUBLIC_KEY_LEN)) {
		wg_noise_identity_clear(id);
		return -1;
	}
	id->has_identity = true;
	return 0;
}

void
wg_noise_identity_clear(struct wg_noise_identity *id)
{
	sodium_memzero(id, sizeof(*id));
}

void
wg_noise_handshake_init(struct wg_handshake *hs,
			const struct wg_noise_identity *id,
			const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN],
			const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN])
{
	sodium_memzero(hs, sizeof(*hs));
	hs->state = HANDSHAKE_ZEROED;
	memcpy(hs->remote_static, peer_public, NOISE_PUBLIC_KEY_LEN);
	if (psk != NULL)
		memcpy(hs->preshared_key, psk, NOISE_SYMMETRIC_KEY_LEN);
	wg_noise_precompute_static_static(hs, id);
}

void
wg_noise_precompute_static_static(struct wg_handshake *hs,
				  const struct wg_noise_identity *id)
{
	/* dh() leaves zeros behind when it fails: handshakes then fail. */
	if (id == NULL || !id->has_identity)
		sodium_memzero(hs->precomputed_static_static, NOISE_PUBLIC_KEY_LEN);
	else
		dh(hs->precomputed_static_static, id->static_private,
		   hs->remote_static);
}

void
wg_noise_handshake_clear(struct wg_handshake *hs)
{
	sodium_memzero(hs->ephemeral_private, NOISE_PUBLIC_KEY_LEN);
	sodium_memzero(hs->remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	sodium_memzero(hs->hash, NOISE_HASH_LEN);
	sodium_memzero(hs->chaining_key, NOISE_HASH_LEN);
	hs->local_index = 0;
	hs->remote_index = 0;
	hs->state = HANDSHAKE_ZEROED;
}

/* The initiation's transcript: everything but the indices and macs. */
static bool
initiation_encrypt(struct wg_msg_initiation *dst, const struct wg_handshake *hs,
		   const struct wg_noise_identity *id,
		   const uint8_t timestamp[NOISE_TIMESTAMP_LEN],
		   uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN],
		   uint8_t chaining_key[NOISE_HASH_LEN], uint8_t hash[NOISE_HASH_LEN])
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	bool ok = false;

	handshake_start(chaining_key, hash, hs->remote_static);

	/* e */
	if (!generate_ephemeral(ephemeral_private, dst->unencrypted_ephemeral))
		goto out;
	message_ephemeral(dst->unencrypted_ephemeral, chaining_key, hash);

	/* es */
	if (!mix_dh(chaining_key, key, ephemeral_private, hs->remote_static))
		goto out;

	/* s */
	message_encrypt(dst->encrypted_static, id->static_public,
			NOISE_PUBLIC_KEY_LEN, key, hash);

	/* ss */
	if (!mix_precomputed_dh(chaining_key, key, hs->precomputed_static_static))
		goto out;

	/* {t} */
	message_encrypt(dst->encrypted_timestamp, timestamp, NOISE_TIMESTAMP_LEN,
			key, hash);
	ok = true;
out:
	sodium_memzero(key, sizeof(key));
	return ok;
}

int
wg_noise_create_initiation(struct wg_handshake *hs,
			   const struct wg_noise_identity *id,
			   struct wg_msg_initiation *dst, uint32_t local_index,
			   const uint8_t timestamp[NOISE_TIMESTAMP_LEN])
{
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	int ret = -1;

	memset(dst, 0, sizeof(*dst));
	if (!id->has_identity)
		goto out;
	dst->header.type = wg_le32(MESSAGE_HANDSHAKE_INITIATION);
	dst->sender_index = wg_le32(local_index);
	if (!initiation_encrypt(dst, hs, id, timestamp, ephemeral_private,
				chaining_key, hash)) {
		memset(dst, 0, sizeof(*dst));
		goto out;
	}

	memcpy(hs->ephemeral_private, ephemeral_private, NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->chaining_key, chaining_key, NOISE_HASH_LEN);
	memcpy(hs->hash, hash, NOISE_HASH_LEN);
	sodium_memzero(hs->remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	hs->local_index = local_index;
	hs->remote_index = 0;
	hs->state = HANDSHAKE_CREATED_INITIATION;
	ret = 0;
out:
	sodium_memzero(ephemeral_private, sizeof(ephemeral_private));
	sodium_memzero(chaining_key, sizeof(chaining_key));
	sodium_memzero(hash, sizeof(hash));
	return ret;
}

int
wg_noise_consume_initiation_begin(const struct wg_noise_identity *id,
				  const struct wg_msg_initiation *src,
				  struct wg_noise_consume *st)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	int ret = -1;

	if (!id->has_identity ||
	    wg_le32(src->header.type) != MESSAGE_HANDSHAKE_INITIATION)
		goto out;

	handshake_start(st->chaining_key, st->hash, id->static_public);

	/* e */
	memcpy(st->remote_ephemeral, src->unencrypted_ephemeral,
	       NOISE_PUBLIC_KEY_LEN);
	message_ephemeral(st->remote_ephemeral, st->chaining_key, st->hash);

	/* es */
	if (!mix_dh(st->chaining_key, key, id->static_private,
		    st->remote_ephemeral))
		goto out;

	/* s */
	if (!message_decrypt(st->remote_static, src->encrypted_static,
			     sizeof(src->encrypted_static), key, st->hash))
		goto out;
	ret = 0;
out:
	sodium_memzero(key, sizeof(key));
	if (ret != 0)
		sodium_memzero(st, sizeof(*st));
	return ret;
}

/*
 * A replay is a timestamp not strictly greater than the latest accepted,
 * compared as big-endian bytes; a flood is an initiation less than
 * 1/INITIATIONS_PER_SECOND after the last one consumed (0: none yet).
 */
static bool
initiation_is_fresh(const struct wg_handshake *hs,
		    const uint8_t timestamp[NOISE_TIMESTAMP_LEN], uint64_t now_ns)
{
	uint64_t last = hs->last_initiation_consumption_ns;

	if (memcmp(timestamp, hs->latest_timestamp, NOISE_TIMESTAMP_LEN) <= 0)
		return false;
	if (last != 0 && last + WG_NSEC_PER_SEC / INITIATIONS_PER_SECOND > now_ns)
		return false;
	return true;
}

int
wg_noise_consume_initiation_finish(struct wg_noise_consume *st,
				   struct wg_handshake *hs,
				   const struct wg_msg_initiation *src,
				   uint64_t now_ns)
{
	uint8_t timestamp[NOISE_TIMESTAMP_LEN];
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	int ret = -1;

	/* The caller must have picked the peer that begin authenticated. */
	if (sodium_memcmp(st->remote_static, hs->remote_static,
			  NOISE_PUBLIC_KEY_LEN) != 0)
		goto out;

	/* ss */
	if (!mix_precomputed_dh(st->chaining_key, key,
				hs->precomputed_static_static))
		goto out;

	/* {t} */
	if (!message_decrypt(timestamp, src->encrypted_timestamp,
			     sizeof(src->encrypted_timestamp), key, st->hash))
		goto out;

	if (!initiation_is_fresh(hs, timestamp, now_ns))
		goto out;

	/* Accepted: commit to the peer's handshake. */
	memcpy(hs->remote_ephemeral, st->remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->latest_timestamp, timestamp, NOISE_TIMESTAMP_LEN);
	memcpy(hs->hash, st->hash, NOISE_HASH_LEN);
	memcpy(hs->chaining_key, st->chaining_key, NOISE_HASH_LEN);
	sodium_memzero(hs->ephemeral_private, NOISE_PUBLIC_KEY_LEN);
	hs->remote_index = wg_le32(src->sender_index);
	if (now_ns > hs->last_initiation_consumption_ns)
		hs->last_initiation_consumption_ns = now_ns;
	hs->state = HANDSHAKE_CONSUMED_INITIATION;
	ret = 0;
out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(timestamp, sizeof(timestamp));
	sodium_memzero(st, sizeof(*st));
	return ret;
}

/* The response's transcript, continuing from the consumed initiation. */
static bool
response_encrypt(struct wg_msg_response *dst, const struct wg_handshake *hs,
		 uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN],
		 uint8_t chaining_key[NOISE_HASH_LEN], uint8_t hash[NOISE_HASH_LEN])
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	bool ok = false;

	/* e */
	if (!generate_ephemeral(ephemeral_private, dst->unencrypted_ephemeral))
		goto out;
	message_ephemeral(dst->unencrypted_ephemeral, chaining_key, hash);

	/* ee */
	if (!mix_dh(chaining_key, NULL, ephemeral_private, hs->remote_ephemeral))
		goto out;

	/* se */
	if (!mix_dh(chaining_key, NULL, ephemeral_private, hs->remote_static))
		goto out;

	/* psk */
	mix_psk(chaining_key, hash, key, hs->preshared_key);

	/* {} */
	message_encrypt(dst->encrypted_nothing, NULL, 0, key, hash);
	ok = true;
out:
	sodium_memzero(key, sizeof(key));
	return ok;
}

int
wg_noise_create_response(struct wg_handshake *hs, struct wg_msg_response *dst,
			 uint32_t local_index)
{
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	int ret = -1;

	memset(dst, 0, sizeof(*dst));
	if (hs->state != HANDSHAKE_CONSUMED_INITIATION)
		goto out;
	dst->header.type = wg_le32(MESSAGE_HANDSHAKE_RESPONSE);
	dst->sender_index = wg_le32(local_index);
	dst->receiver_index = wg_le32(hs->remote_index);
	memcpy(chaining_key, hs->chaining_key, NOISE_HASH_LEN);
	memcpy(hash, hs->hash, NOISE_HASH_LEN);
	if (!response_encrypt(dst, hs, ephemeral_private, chaining_key, hash)) {
		memset(dst, 0, sizeof(*dst));
		goto out;
	}

	memcpy(hs->ephemeral_private, ephemeral_private, NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->chaining_key, chaining_key, NOISE_HASH_LEN);
	memcpy(hs->hash, hash, NOISE_HASH_LEN);
	hs->local_index = local_index;
	hs->state = HANDSHAKE_CREATED_RESPONSE;
	ret = 0;
out:
	sodium_memzero(ephemeral_private, sizeof(ephemeral_private));
	sodium_memzero(chaining_key, sizeof(chaining_key));
	sodium_memzero(hash, sizeof(hash));
	return ret;
}

/* The initiator's side of the response transcript, on copies. */
static bool
response_decrypt(const struct wg_msg_response *src, const struct wg_handshake *hs,
		 const struct wg_noise_identity *id,
		 uint8_t chaining_key[NOISE_HASH_LEN], uint8_t hash[NOISE_HASH_LEN])
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	bool ok = false;

	/* e */
	message_ephemeral(src->unencrypted_ephemeral, chaining_key, hash);

	/* ee */
	if (!mix_dh(chaining_key, NULL, hs->ephemeral_private,
		    src->unencrypted_ephemeral))
		goto out;

	/* se */
	if (!mix_dh(chaining_key, NULL, id->static_private,
		    src->unencrypted_ephemeral))
		goto out;

	/* psk */
	mix_psk(chaining_key, hash, key, hs->preshared_key);

	/* {} */
	ok = message_decrypt(NULL, src->encrypted_nothing,
			     sizeof(src->encrypted_nothing), key, hash);
out:
	sodium_memzero(key, sizeof(key));
	return ok;
}

int
wg_noise_consume_response(struct wg_handshake *hs,
			  const struct wg_noise_identity *id,
			  const struct wg_msg_response *src)
{
	uint8_t chaining_key[NOISE_HASH_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	int ret = -1;

	if (!id->has_identity || hs->state != HANDSHAKE_CREATED_INITIATION ||
	    wg_le32(src->header.type) != MESSAGE_HANDSHAKE_RESPONSE ||
	    wg_le32(src->receiver_index) != hs->local_index)
		return -1;

	memcpy(chaining_key, hs->chaining_key, NOISE_HASH_LEN);
	memcpy(hash, hs->hash, NOISE_HASH_LEN);
	if (!response_decrypt(src, hs, id, chaining_key, hash))
		goto out;

	/* Accepted: commit to the peer's handshake. */
	memcpy(hs->remote_ephemeral, src->unencrypted_ephemeral,
	       NOISE_PUBLIC_KEY_LEN);
	memcpy(hs->chaining_key, chaining_key, NOISE_HASH_LEN);
	memcpy(hs->hash, hash, NOISE_HASH_LEN);
	hs->remote_index = wg_le32(src->sender_index);
	hs->state = HANDSHAKE_CONSUMED_RESPONSE;
	ret = 0;
out:
	sodium_memzero(chaining_key, sizeof(chaining_key));
	sodium_memzero(hash, sizeof(hash));
	return ret;
}

int
wg_noise_derive_keypair(struct wg_handshake *hs, struct wg_noise_keypair *kp,
			uint64_t now_ns)
{
	static const uint8_t nothing;
	uint8_t *first, *second;

	if (hs->state != HANDSHAKE_CREATED_RESPONSE &&
	    hs->state != HANDSHAKE_CONSUMED_RESPONSE)
		return -1;

	memset(kp, 0, sizeof(*kp));
	kp->i_am_the_initiator = hs->state == HANDSHAKE_CONSUMED_RESPONSE;
	kp->local_index = hs->local_index;
	kp->remote_index = hs->remote_index;
	kp->birthdate_ns = now_ns;

	/* (T_send, T_recv) = KDF2(Ck, empty) for the initiator; swapped. */
	first = kp->i_am_the_initiator ? kp->sending_key : kp->receiving_key;
	second = kp->i_am_the_initiator ? kp->receiving_key : kp->sending_key;
	wg_kdf(first, second, NULL, &nothing, 0, hs->chaining_key);

	wg_noise_handshake_clear(hs);
	return 0;
}

void
wg_tai64n_now(uint8_t out[NOISE_TIMESTAMP_LEN])
{
	struct timespec now;
	uint64_t secs;
	uint32_t nsecs;

	clock_gettime(CLOCK_REALTIME, &now);
	/* Rounded down so the timestamp leaks no precise timing. */
	nsecs = (uint32_t)now.tv_nsec & ~(uint32_t)(TAI64N_NSEC_GRANULE - 1);
	/* TAI64 label: 2^62 + 10 + Unix seconds, as Linux and wireguard-go. */
	secs = htobe64(0x400000000000000aULL + (uint64_t)now.tv_sec);
	nsecs = htobe32(nsecs);
	memcpy(out, &secs, sizeof(secs));
	memcpy(out + sizeof(secs), &nsecs, sizeof(nsecs));
}
