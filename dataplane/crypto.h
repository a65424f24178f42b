/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The dataplane's crypto backend: ChaCha20-Poly1305 (RFC 8439) over bursts of
 * WireGuard transport payloads (whitepaper 5.4.6), with intel-ipsec-mb
 * (AVX-512, AVX2 or SSE) or libsodium. It knows nothing of mbufs or EAL: the
 * worker fills one struct wg_crypto_op per packet.
 *
 * Contract:
 * - In place, no associated data: seal turns op->data (padded plaintext) into
 *   ciphertext and writes the 16-byte tag at op->tag; open turns it back and
 *   checks op->tag. The nonce is 32 zero bits || le64(op->counter), exactly as
 *   lib/transport.c, so every backend is byte-identical to libsodium's
 *   crypto_aead_chacha20poly1305_ietf_*_detached().
 * - Seal cannot fail. Open reports each op in ok[]: a failed op's data is
 *   zeroed (never unauthenticated plaintext), its tag is left as it was, and
 *   the other ops of the burst are unaffected.
 * - Per lcore: a struct wg_crypto belongs to one thread (no locks inside);
 *   each worker creates its own at start. Only create allocates; the burst
 *   calls never do, never block and never log.
 * - Chosen once: wg_crypto_create() resolves the implementation into a table
 *   of function pointers; the burst calls never branch on the mode again.
 *   WG_CRYPTO_AUTO takes the best one this CPU runs (mb512 > avx512 > avx2 >
 *   sse > sodium); naming one explicitly (the override, e.g. from configuration)
 *   fails on a CPU without it rather than silently falling back.
 * - The caller keeps data, tag and key valid for the length of the call; ops
 *   of one burst may use different keys, lengths and counters, and must not
 *   overlap each other.
 */
#ifndef WG_DP_CRYPTO_H
#define WG_DP_CRYPTO_H

#include <stdint.h>

/* control/config's enum wg_config_crypto mirrors this one (asserted). */
enum wg_crypto_arch {
	WG_CRYPTO_AUTO,
	WG_CRYPTO_AVX512,	/* intel-ipsec-mb, AVX-512 (SKX) manager */
	WG_CRYPTO_AVX2,		/* intel-ipsec-mb, AVX2 manager */
	WG_CRYPTO_SSE,		/* intel-ipsec-mb, SSE manager (needs AES-NI) */
	WG_CRYPTO_SODIUM,	/* libsodium: portable, runs everywhere */
	WG_CRYPTO_MB512		/* ours: 16 packets per AVX-512 register (IFMA
				 * Poly1305), long ones through the AVX-512
				 * manager (crypto_mb512.h) */
};

/* The bit of an arch in an availability mask. */
#define WG_CRYPTO_ARCH_BIT(a) (1u << (a))

enum wg_crypto_lengths {
	WG_CRYPTO_KEY_LEN = 32,
	WG_CRYPTO_TAG_LEN = 16
};

/* One transport payload, processed in place. */
struct wg_crypto_op {
	uint8_t *data;		/* padded plaintext (seal) or ciphertext (open) */
	uint32_t len;		/* bytes at data, excluding the tag; data may be NULL if 0 */
	uint8_t *tag;		/* WG_CRYPTO_TAG_LEN bytes: written by seal, checked by open */
	const uint8_t *key;	/* WG_CRYPTO_KEY_LEN bytes */
	uint64_t counter;	/* nonce = 4 zero bytes || le64(counter) */
};

struct wg_crypto;

/*
 * A backend for one lcore, or NULL with errno set: ENOTSUP if this CPU cannot
 * run arch (or libsodium cannot start), EINVAL if arch is not one of the
 * enum, ENOMEM.
 */
struct wg_crypto *wg_crypto_create(enum wg_crypto_arch arch);
/* Wipes and frees c; NULL is a no-op. */
void wg_crypto_destroy(struct wg_crypto *c);

/* "mb512", "avx512", "avx2", "sse" or "sodium": the arch that was resolved. */
const char *wg_crypto_name(const struct wg_crypto *c);
enum wg_crypto_arch wg_crypto_arch_of(const struct wg_crypto *c);

/* "auto", "avx512", "avx2", "sse", "sodium", "mb512" (and back); NULL for
 * no arch. */
const char *wg_crypto_arch_name(enum wg_crypto_arch arch);
/* 0, or -EINVAL (and *out untouched) for any other string. */
int wg_crypto_arch_parse(const char *s, enum wg_crypto_arch *out);

/* The archs this CPU runs, as WG_CRYPTO_ARCH_BIT()s; sodium is always in. */
uint32_t wg_crypto_archs_supported(void);
/*
 * Resolves want against the archs in avail (a mask as above): AUTO gives the
 * best of them, any other arch itself. 0, or -ENOTSUP if want is not in
 * avail, or -EINVAL if want is not one of the enum. Pure: create uses it with
 * wg_crypto_archs_supported(), tests with made-up masks.
 */
int wg_crypto_arch_select(enum wg_crypto_arch want, uint32_t avail,
			  enum wg_crypto_arch *out);

/* Seals ops[0..n) in place. */
void wg_crypto_seal_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n);
/*
 * Opens ops[0..n) in place; ok[i] = 1 if op i authenticated, else 0 and its
 * data is zeroed. Returns the number that authenticated.
 */
uint16_t wg_crypto_open_burst(struct wg_crypto *c, struct wg_crypto_op *ops,
			      uint16_t n, uint8_t *ok);

#endif /* WG_DP_CRYPTO_H */
