/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Batch ChaCha20-Poly1305 for transport payloads: intel-ipsec-mb 1.3 job API
 * (one manager per struct wg_crypto, initialised for AVX-512, AVX2 or SSE) or
 * libsodium. wg_crypto_create() resolves the arch once and stores a backend
 * table; the burst entry points only call through it.
 *
 * ipsec-mb computes the Poly1305 tag but does not check it: open has it write
 * the tag it computed to per-op scratch and compares that with the received
 * tag in constant time (crypto_verify_16).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>
#include <sodium.h>

#include "crypto.h"
#include "crypto_mb512.h"
#include "messages.h"

enum {
	WG_CRYPTO_NONCE_LEN = crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
	/*
	 * Ops handed to the manager between two flushes. It bounds the
	 * per-op scratch below and stays well under the manager's job ring
	 * (IMB_MAX_JOBS), so no job we still need is ever recycled.
	 */
	WG_CRYPTO_CHUNK = 64,
	WG_CRYPTO_ALIGN = 64,	/* a cache line; what ipsec-mb wants for its manager */
	/*
	 * mb512 takes ops up to this many bytes side by side; longer ones
	 * (whose lanes would idle while one long op runs) go to the AVX-512
	 * manager, which is as fast per byte from there on (bench/RESULTS.md).
	 */
	WG_CRYPTO_MB512_MAX_LEN = 512
};

static_assert((int)WG_CRYPTO_KEY_LEN == (int)NOISE_SYMMETRIC_KEY_LEN, "key size");
static_assert((int)WG_CRYPTO_TAG_LEN == (int)NOISE_AUTHTAG_LEN, "tag size");
static_assert(WG_CRYPTO_KEY_LEN == crypto_aead_chacha20poly1305_ietf_KEYBYTES,
	      "libsodium key size");
static_assert(WG_CRYPTO_TAG_LEN == crypto_aead_chacha20poly1305_ietf_ABYTES,
	      "libsodium tag size");
static_assert(WG_CRYPTO_NONCE_LEN == 12, "IETF nonce size");
static_assert(WG_CRYPTO_CHUNK < IMB_MAX_JOBS, "chunk fits the job ring");

/* One implementation: what create sets up and what the bursts call. */
struct wg_crypto_backend {
	int (*setup)(struct wg_crypto *c);	/* NULL: nothing to set up */
	void (*seal)(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n);
	uint16_t (*open)(struct wg_crypto *c, struct wg_crypto_op *ops,
			 uint16_t n, uint8_t *ok);
	/* intel-ipsec-mb only: */
	void (*imb_init)(IMB_MGR *mgr);
	uint64_t imb_cpuflags;	/* what imb_init demands of the CPU */
	uint32_t imb_arch;	/* what the manager reports once it is set up */
};

struct wg_crypto {
	/*
	 * Scratch for the ops of one chunk, indexed like them: the nonce must
	 * outlive its job, and open's computed tag is compared once the job
	 * has completed.
	 */
	uint8_t nonce[WG_CRYPTO_CHUNK][WG_CRYPTO_NONCE_LEN];
	uint8_t tag[WG_CRYPTO_CHUNK][WG_CRYPTO_TAG_LEN];
	const struct wg_crypto_backend *be;
	enum wg_crypto_arch arch;
	IMB_MGR *mgr;		/* NULL for sodium */
};

static const char *const arch_names[] = {
	[WG_CRYPTO_AUTO] = "auto",
	[WG_CRYPTO_AVX512] = "avx512",
	[WG_CRYPTO_AVX2] = "avx2",
	[WG_CRYPTO_SSE] = "sse",
	[WG_CRYPTO_SODIUM] = "sodium",
	[WG_CRYPTO_MB512] = "mb512"
};

#define NUM_ARCHS (sizeof(arch_names) / sizeof(arch_names[0]))

/* AUTO's order of preference. */
static const enum wg_crypto_arch arch_preference[] = {
	WG_CRYPTO_MB512, WG_CRYPTO_AVX512, WG_CRYPTO_AVX2, WG_CRYPTO_SSE,
	WG_CRYPTO_SODIUM
};

static void
nonce_from_counter(uint8_t nonce[WG_CRYPTO_NONCE_LEN], uint64_t counter)
{
	uint64_t le = wg_le64(counter);

	memset(nonce, 0, 4);
	memcpy(nonce + 4, &le, sizeof(le));
}

/* A failed open never leaves unauthenticated plaintext behind. */
static void
open_reject(struct wg_crypto_op *op)
{
	if (op->len != 0)
		sodium_memzero(op->data, op->len);
}

/* ---- libsodium ---------------------------------------------------------- */

/*
 * libsodium declares its buffers nonnull even for length 0: an empty op
 * (a keepalive) may come with data == NULL, and is pointed here instead.
 * Nothing is ever read or written at it.
 */
static uint8_t sodium_no_data[1];

static uint8_t *
sodium_data(const struct wg_crypto_op *op)
{
	return op->data != NULL ? op->data : sodium_no_data;
}

static void
sodium_seal_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n)
{
	uint8_t nonce[WG_CRYPTO_NONCE_LEN];
	uint16_t i;

	(void)c;
	for (i = 0; i < n; i++) {
		uint8_t *data = sodium_data(&ops[i]);

		nonce_from_counter(nonce, ops[i].counter);
		crypto_aead_chacha20poly1305_ietf_encrypt_detached(data,
			ops[i].tag, NULL, data, ops[i].len, NULL, 0, NULL,
			nonce, ops[i].key);
	}
}

/*
 * libsodium checks the tag before it decrypts (1.0.18 also zeroes the output
 * of a failure itself); open_reject() keeps the contract whatever it does.
 */
static uint16_t
sodium_open_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n,
		  uint8_t *ok)
{
	uint8_t nonce[WG_CRYPTO_NONCE_LEN];
	uint16_t i, good = 0;

	(void)c;
	for (i = 0; i < n; i++) {
		uint8_t *data = sodium_data(&ops[i]);

		nonce_from_counter(nonce, ops[i].counter);
		ok[i] = crypto_aead_chacha20poly1305_ietf_decrypt_detached(data,
				NULL, data, ops[i].len, ops[i].tag, NULL, 0,
				nonce, ops[i].key) == 0;
		if (!ok[i])
			open_reject(&ops[i]);
		good += ok[i];
	}
	return good;
}

/* ---- intel-ipsec-mb ----------------------------------------------------- */

/*
 * Every field a CHACHA20-POLY1305 job reads: a job slot keeps whatever its
 * previous user left there. No AAD; src == dst for in place.
 */
static void
imb_job_fill(IMB_JOB *job, struct wg_crypto_op *op, const uint8_t *nonce,
	     uint8_t *tag_out)
{
	job->cipher_mode = IMB_CIPHER_CHACHA20_POLY1305;
	job->hash_alg = IMB_AUTH_CHACHA20_POLY1305;
	job->enc_keys = op->key;
	job->dec_keys = op->key;
	job->key_len_in_bytes = WG_CRYPTO_KEY_LEN;
	job->src = op->data;
	job->dst = op->data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->len;
	job->iv = nonce;
	job->iv_len_in_bytes = WG_CRYPTO_NONCE_LEN;
	job->auth_tag_output = tag_out;
	job->auth_tag_output_len_in_bytes = WG_CRYPTO_TAG_LEN;
	job->u.CHACHA20_POLY1305.aad = NULL;
	job->u.CHACHA20_POLY1305.aad_len_in_bytes = 0;
	job->u.CHACHA20_POLY1305.ctx = NULL;
	job->user_data = op;
}

/*
 * The manager rejects only malformed ops (NULL data with len != 0). Such an
 * op must not go out in the clear: its data and tag are zeroed, which the
 * peer drops as a forgery.
 */
static void
imb_seal_done(IMB_JOB *job)
{
	struct wg_crypto_op *op = job->user_data;

	if (job->status == IMB_STATUS_COMPLETED)
		return;
	if (op->data != NULL)
		open_reject(op);
	sodium_memzero(op->tag, WG_CRYPTO_TAG_LEN);
}

/*
 * Submitting may hand back an earlier job, and more may then be waiting:
 * each is finished as it comes out. The flush at the end leaves the manager
 * empty, so no job outlives its chunk's scratch.
 */
static void
imb_seal_chunk(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n)
{
	IMB_MGR *mgr = c->mgr;
	IMB_JOB *job;
	uint16_t i;

	for (i = 0; i < n; i++) {
		job = IMB_GET_NEXT_JOB(mgr);
		nonce_from_counter(c->nonce[i], ops[i].counter);
		imb_job_fill(job, &ops[i], c->nonce[i], ops[i].tag);
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->chain_order = IMB_ORDER_CIPHER_HASH;
		for (job = IMB_SUBMIT_JOB(mgr); job != NULL;
		     job = IMB_GET_COMPLETED_JOB(mgr))
			imb_seal_done(job);
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		imb_seal_done(job);
}

/*
 * A completed open job: the op (found through user_data, so the order in
 * which jobs come back does not matter) authenticated if the tag computed
 * over its ciphertext equals the one received. A computed tag that did not
 * match is a valid tag for forged data: it is wiped.
 */
static uint16_t
imb_open_done(IMB_JOB *job, const struct wg_crypto_op *ops, uint8_t *ok)
{
	struct wg_crypto_op *op = job->user_data;
	uint8_t good;

	good = job->status == IMB_STATUS_COMPLETED &&
	       crypto_verify_16(job->auth_tag_output, op->tag) == 0;
	ok[op - ops] = good;
	if (!good) {
		open_reject(op);
		sodium_memzero(job->auth_tag_output, WG_CRYPTO_TAG_LEN);
	}
	return good;
}

static uint16_t
imb_open_chunk(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n,
	       uint8_t *ok)
{
	IMB_MGR *mgr = c->mgr;
	uint16_t i, good = 0;
	IMB_JOB *job;

	for (i = 0; i < n; i++) {
		job = IMB_GET_NEXT_JOB(mgr);
		nonce_from_counter(c->nonce[i], ops[i].counter);
		imb_job_fill(job, &ops[i], c->nonce[i], c->tag[i]);
		job->cipher_direction = IMB_DIR_DECRYPT;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
		for (job = IMB_SUBMIT_JOB(mgr); job != NULL;
		     job = IMB_GET_COMPLETED_JOB(mgr))
			good += imb_open_done(job, ops, ok);
	}
	while ((job = IMB_FLUSH_JOB(mgr)) != NULL)
		good += imb_open_done(job, ops, ok);
	return good;
}

/*
 * A burst in chunks of at most WG_CRYPTO_CHUNK ops: the per-op scratch of
 * struct wg_crypto (and mb512's sorted copies) hold one chunk.
 */
typedef void (*seal_chunk_fn)(struct wg_crypto *c, struct wg_crypto_op *ops,
			      uint16_t n);
typedef uint16_t (*open_chunk_fn)(struct wg_crypto *c, struct wg_crypto_op *ops,
				  uint16_t n, uint8_t *ok);

static void
seal_in_chunks(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n,
	       seal_chunk_fn chunk)
{
	uint16_t done, k;

	for (done = 0; done < n; done += k) {
		k = n - done < WG_CRYPTO_CHUNK ? n - done : WG_CRYPTO_CHUNK;
		chunk(c, ops + done, k);
	}
}

static uint16_t
open_in_chunks(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n,
	       uint8_t *ok, open_chunk_fn chunk)
{
	uint16_t done, k, good = 0;

	for (done = 0; done < n; done += k) {
		k = n - done < WG_CRYPTO_CHUNK ? n - done : WG_CRYPTO_CHUNK;
		good += chunk(c, ops + done, k, ok + done);
	}
	return good;
}

static void
imb_seal_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n)
{
	seal_in_chunks(c, ops, n, imb_seal_chunk);
}

static uint16_t
imb_open_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n,
	       uint8_t *ok)
{
	return open_in_chunks(c, ops, n, ok, imb_open_chunk);
}

/* ---- mb512: short ops side by side, long ones to the AVX-512 manager ---- */

/*
 * Splits ops[0..n) (n <= WG_CRYPTO_CHUNK) by length: copies of the short
 * ones into short_ops with their indices in idx, the long ones likewise
 * after them (from the end). Returns how many are short.
 */
static uint16_t
mb512_split(struct wg_crypto_op *ops, uint16_t n, struct wg_crypto_op *sorted,
	    uint16_t *idx)
{
	uint16_t i, s = 0, l = n;

	for (i = 0; i < n; i++) {
		uint16_t at = ops[i].len <= WG_CRYPTO_MB512_MAX_LEN ? s++ : --l;

		sorted[at] = ops[i];
		idx[at] = i;
	}
	return s;
}

static void
mb512_seal_chunk(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n)
{
	struct wg_crypto_op sorted[WG_CRYPTO_CHUNK];
	uint16_t idx[WG_CRYPTO_CHUNK], s = mb512_split(ops, n, sorted, idx);

	wg_mb512_seal_burst(sorted, s);
	if (s < n)
		imb_seal_chunk(c, sorted + s, n - s);
}

static uint16_t
mb512_open_chunk(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n,
		 uint8_t *ok)
{
	struct wg_crypto_op sorted[WG_CRYPTO_CHUNK];
	uint16_t idx[WG_CRYPTO_CHUNK], s = mb512_split(ops, n, sorted, idx), i, good;
	uint8_t sorted_ok[WG_CRYPTO_CHUNK];

	good = wg_mb512_open_burst(sorted, s, sorted_ok);
	if (s < n)
		good += imb_open_chunk(c, sorted + s, n - s, sorted_ok + s);
	for (i = 0; i < n; i++)
		ok[idx[i]] = sorted_ok[i];
	return good;
}

static void
mb512_seal_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n)
{
	seal_in_chunks(c, ops, n, mb512_seal_chunk);
}

static uint16_t
mb512_open_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n,
		 uint8_t *ok)
{
	return open_in_chunks(c, ops, n, ok, mb512_open_chunk);
}

/*
 * The manager lives in memory we allocate (rather than alloc_mb_mgr()) so
 * that destroy can wipe it: its job slots keep pointers to keys and data.
 * Initialising for an arch the CPU lacks sets the manager's error; so does
 * a failed power-on self-test.
 */
static int
imb_setup(struct wg_crypto *c)
{
	size_t size = imb_get_mb_mgr_size();
	void *mem;

	if (posix_memalign(&mem, WG_CRYPTO_ALIGN, size) != 0)
		return -ENOMEM;
	c->mgr = imb_set_pointers_mb_mgr(mem, 0, 1);
	if (c->mgr == NULL) {
		free(mem);
		return -ENOTSUP;
	}
	c->be->imb_init(c->mgr);
	if (imb_get_errno(c->mgr) != 0 || c->mgr->used_arch != c->be->imb_arch)
		return -ENOTSUP;
	return 0;
}

static const struct wg_crypto_backend backends[] = {
	[WG_CRYPTO_AVX512] = {
		.setup = imb_setup,
		.seal = imb_seal_burst,
		.open = imb_open_burst,
		.imb_init = init_mb_mgr_avx512,
		.imb_cpuflags = IMB_CPUFLAGS_AVX512,
		.imb_arch = IMB_ARCH_AVX512
	},
	[WG_CRYPTO_AVX2] = {
		.setup = imb_setup,
		.seal = imb_seal_burst,
		.open = imb_open_burst,
		.imb_init = init_mb_mgr_avx2,
		.imb_cpuflags = IMB_CPUFLAGS_AVX2,
		.imb_arch = IMB_ARCH_AVX2
	},
	[WG_CRYPTO_SSE] = {
		.setup = imb_setup,
		.seal = imb_seal_burst,
		.open = imb_open_burst,
		.imb_init = init_mb_mgr_sse,
		.imb_cpuflags = IMB_CPUFLAGS_SSE,
		.imb_arch = IMB_ARCH_SSE
	},
	[WG_CRYPTO_SODIUM] = {
		.seal = sodium_seal_burst,
		.open = sodium_open_burst
	},
	[WG_CRYPTO_MB512] = {
		.setup = imb_setup,
		.seal = mb512_seal_burst,
		.open = mb512_open_burst,
		.imb_init = init_mb_mgr_avx512,
		.imb_cpuflags = IMB_CPUFLAGS_AVX512,
		.imb_arch = IMB_ARCH_AVX512
	}
};

static_assert(sizeof(backends) / sizeof(backends[0]) == NUM_ARCHS,
	      "a backend for every arch but AUTO");

/* ---- choosing the arch -------------------------------------------------- */

/*
 * ipsec-mb 1.3 reads CPUID only; GCC's check also asks the OS (XCR0)
 * whether it saves the wider registers, which a VM may not.
 */
static bool
os_enables(enum wg_crypto_arch arch)
{
	__builtin_cpu_init();
	switch (arch) {
	case WG_CRYPTO_AVX512:
		return __builtin_cpu_supports("avx512f");
	case WG_CRYPTO_MB512:
		return wg_mb512_supported();
	case WG_CRYPTO_AVX2:
		return __builtin_cpu_supports("avx2");
	case WG_CRYPTO_SSE:
		return __builtin_cpu_supports("sse4.2");
	default:
		return true;
	}
}

uint32_t
wg_crypto_archs_supported(void)
{
	uint64_t features = imb_get_feature_flags();
	uint32_t avail = WG_CRYPTO_ARCH_BIT(WG_CRYPTO_SODIUM);
	size_t a;

	for (a = WG_CRYPTO_AVX512; a < NUM_ARCHS; a++) {
		uint64_t need = backends[a].imb_cpuflags;

		if (need != 0 && (features & need) == need && os_enables(a))
			avail |= WG_CRYPTO_ARCH_BIT(a);
	}
	return avail;
}

int
wg_crypto_arch_select(enum wg_crypto_arch want, uint32_t avail,
		      enum wg_crypto_arch *out)
{
	size_t i;

	if ((unsigned int)want >= NUM_ARCHS)
		return -EINVAL;
	if (want != WG_CRYPTO_AUTO) {
		if (!(avail & WG_CRYPTO_ARCH_BIT(want)))
			return -ENOTSUP;
		*out = want;
		return 0;
	}
	for (i = 0; i < sizeof(arch_preference) / sizeof(arch_preference[0]); i++) {
		if (avail & WG_CRYPTO_ARCH_BIT(arch_preference[i])) {
			*out = arch_preference[i];
			return 0;
		}
	}
	return -ENOTSUP;
}

const char *
wg_crypto_arch_name(enum wg_crypto_arch arch)
{
	if ((unsigned int)arch >= NUM_ARCHS)
		return NULL;
	return arch_names[arch];
}

int
wg_crypto_arch_parse(const char *s, enum wg_crypto_arch *out)
{
	size_t a;

	if (s == NULL)
		return -EINVAL;
	for (a = 0; a < NUM_ARCHS; a++) {
		if (strcmp(s, arch_names[a]) == 0) {
			*out = (enum wg_crypto_arch)a;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- life cycle and entry points ---------------------------------------- */

struct wg_crypto *
wg_crypto_create(enum wg_crypto_arch arch)
{
	enum wg_crypto_arch resolved;
	struct wg_crypto *c;
	void *mem;
	int ret;

	if (sodium_init() < 0) {
		errno = ENOTSUP;
		return NULL;
	}
	ret = wg_crypto_arch_select(arch, wg_crypto_archs_supported(), &resolved);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	if (posix_memalign(&mem, WG_CRYPTO_ALIGN, sizeof(*c)) != 0) {
		errno = ENOMEM;
		return NULL;
	}
	c = memset(mem, 0, sizeof(*c));
	c->arch = resolved;
	c->be = &backends[resolved];
	if (c->be->setup != NULL) {
		ret = c->be->setup(c);
		if (ret < 0) {
			wg_crypto_destroy(c);
			errno = -ret;
			return NULL;
		}
	}
	return c;
}

void
wg_crypto_destroy(struct wg_crypto *c)
{
	if (c == NULL)
		return;
	if (c->mgr != NULL) {
		sodium_memzero(c->mgr, imb_get_mb_mgr_size());
		free(c->mgr);
	}
	sodium_memzero(c, sizeof(*c));
	free(c);
}

const char *
wg_crypto_name(const struct wg_crypto *c)
{
	return arch_names[c->arch];
}

enum wg_crypto_arch
wg_crypto_arch_of(const struct wg_crypto *c)
{
	return c->arch;
}

void
wg_crypto_seal_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n)
{
	c->be->seal(c, ops, n);
}

uint16_t
wg_crypto_open_burst(struct wg_crypto *c, struct wg_crypto_op *ops, uint16_t n,
		     uint8_t *ok)
{
	return c->be->open(c, ops, n, ok);
}
