/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Every WireGuard wire structure and protocol constant, in one place.
 *
 * All multi-byte integers on the wire are little-endian; the structs below
 * keep them as raw uint32_t/uint64_t fields that are always read and written
 * through wg_le32()/wg_le64() (identity on the little-endian hosts we run on,
 * a byte swap elsewhere).
 */
#ifndef WG_MESSAGES_H
#define WG_MESSAGES_H

#include <assert.h>
#include <endian.h>
#include <stddef.h>
#include <stdint.h>

enum noise_lengths {
	NOISE_PUBLIC_KEY_LEN = 32,
	NOISE_SYMMETRIC_KEY_LEN = 32,
	NOISE_TIMESTAMP_LEN = 12,	/* TAI64N */
	NOISE_AUTHTAG_LEN = 16,
	NOISE_HASH_LEN = 32
};

#define noise_encrypted_len(plain_len) ((plain_len) + NOISE_AUTHTAG_LEN)

enum cookie_values {
	COOKIE_SECRET_MAX_AGE = 2 * 60,		/* seconds */
	COOKIE_SECRET_LATENCY = 5,		/* seconds */
	COOKIE_NONCE_LEN = 24,			/* XChaCha20-Poly1305 */
	COOKIE_LEN = 16
};

enum counter_values {
	COUNTER_BITS_TOTAL = 8192,
	COUNTER_REDUNDANT_BITS = 64,
	COUNTER_WINDOW_SIZE = COUNTER_BITS_TOTAL - COUNTER_REDUNDANT_BITS
};

/* Protocol timers and limits, in seconds unless named otherwise. */
enum limits {
	REKEY_TIMEOUT = 5,
	REKEY_TIMEOUT_JITTER_MAX_MS = 334,	/* jitter in [0, 333] ms */
	KEEPALIVE_TIMEOUT = 10,
	REKEY_AFTER_TIME = 120,
	REJECT_AFTER_TIME = 180,
	REKEY_ATTEMPT_TIME = 90,
	MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME / REKEY_TIMEOUT,
	INITIATIONS_PER_SECOND = 50,
	MAX_PEERS_PER_DEVICE = 1U << 20,
	MAX_STAGED_PACKETS = 128,
	MAX_QUEUED_INCOMING_HANDSHAKES = 4096,	/* the handshake ring */
	/* Above this ring depth the responder is "under load" (Linux: 1/8). */
	UNDER_LOAD_HANDSHAKES = MAX_QUEUED_INCOMING_HANDSHAKES / 8
};

#define REKEY_AFTER_MESSAGES (1ULL << 60)
#define REJECT_AFTER_MESSAGES (UINT64_MAX - COUNTER_WINDOW_SIZE - 1)

enum message_type {
	MESSAGE_INVALID = 0,
	MESSAGE_HANDSHAKE_INITIATION = 1,
	MESSAGE_HANDSHAKE_RESPONSE = 2,
	MESSAGE_HANDSHAKE_COOKIE = 3,
	MESSAGE_DATA = 4
};

/* The type is one byte followed by three reserved zero bytes: read as le32. */
struct wg_msg_header {
	uint32_t type;
};

struct wg_msg_macs {
	uint8_t mac1[COOKIE_LEN];
	uint8_t mac2[COOKIE_LEN];
};

struct wg_msg_initiation {
	struct wg_msg_header header;
	uint32_t sender_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_static[noise_encrypted_len(NOISE_PUBLIC_KEY_LEN)];
	uint8_t encrypted_timestamp[noise_encrypted_len(NOISE_TIMESTAMP_LEN)];
	struct wg_msg_macs macs;
};

struct wg_msg_response {
	struct wg_msg_header header;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_nothing[noise_encrypted_len(0)];
	struct wg_msg_macs macs;
};

struct wg_msg_cookie {
	struct wg_msg_header header;
	uint32_t receiver_index;
	uint8_t nonce[COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[noise_encrypted_len(COOKIE_LEN)];
};

struct wg_msg_data {
	struct wg_msg_header header;
	uint32_t key_idx;	/* the receiver's index */
	uint64_t counter;
	uint8_t encrypted_data[];
} __attribute__((packed));

enum message_alignments {
	MESSAGE_PADDING_MULTIPLE = 16,
	MESSAGE_MINIMUM_LENGTH = noise_encrypted_len(0) + sizeof(struct wg_msg_data)
};

#define wg_message_data_len(plain_len) \
	(noise_encrypted_len(plain_len) + sizeof(struct wg_msg_data))

/* Outer overheads used by the dataplane to size MTUs. */
enum wg_overheads {
	WG_UDP_HDR_LEN = 8,
	WG_IPV4_HDR_LEN = 20,
	WG_IPV6_HDR_LEN = 40,
	WG_DATA_OVERHEAD = MESSAGE_MINIMUM_LENGTH,	/* 32 */
	WG_DEFAULT_PORT = 51820,
	WG_DEFAULT_MTU = 1420
};

static_assert(sizeof(struct wg_msg_header) == 4, "header is 4 bytes");
static_assert(sizeof(struct wg_msg_initiation) == 148, "initiation is 148 bytes");
static_assert(sizeof(struct wg_msg_response) == 92, "response is 92 bytes");
static_assert(sizeof(struct wg_msg_cookie) == 64, "cookie reply is 64 bytes");
static_assert(sizeof(struct wg_msg_data) == 16, "transport header is 16 bytes");
static_assert(MESSAGE_MINIMUM_LENGTH == 32, "a keepalive is 32 bytes");

static inline uint32_t
wg_le32(uint32_t v)
{
	return htole32(v);
}

static inline uint64_t
wg_le64(uint64_t v)
{
	return htole64(v);
}

/* The message type of a buffer, or MESSAGE_INVALID if it has no valid one. */
static inline enum message_type
wg_message_type(const void *buf, size_t len)
{
	uint32_t t;

	if (len < sizeof(t))
		return MESSAGE_INVALID;
	__builtin_memcpy(&t, buf, sizeof(t));
	t = wg_le32(t);
	switch (t) {
	case MESSAGE_HANDSHAKE_INITIATION:
		return len == sizeof(struct wg_msg_initiation) ? t : MESSAGE_INVALID;
	case MESSAGE_HANDSHAKE_RESPONSE:
		return len == sizeof(struct wg_msg_response) ? t : MESSAGE_INVALID;
	case MESSAGE_HANDSHAKE_COOKIE:
		return len == sizeof(struct wg_msg_cookie) ? t : MESSAGE_INVALID;
	case MESSAGE_DATA:
		return len >= MESSAGE_MINIMUM_LENGTH ? t : MESSAGE_INVALID;
	default:
		return MESSAGE_INVALID;
	}
}

#endif /* WG_MESSAGES_H */
