/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedge's configuration: a libconfig file parsed and validated into plain
 * structs. No EAL here, so the loader is testable on its own; dataplane/ and
 * control/ turn the result into ports, queues, lcores and the peer table.
 *
 * Every error names the file, the line and the problem ("FILE:LINE: ...").
 * Messages never contain key material: they name settings and array
 * indices, never echo raw values, and print only addresses re-formatted
 * from parsed bytes. See configs/wgedge.conf for the file format.
 *
 * Decisions (documented in configs/wgedge.conf as well):
 *  - allowed_ips with host bits set ("10.0.1.1/24") are rejected, with the
 *    network the user probably meant; wg(8) silently masks them.
 *  - the same prefix on two peers (or twice on one) is an error; overlapping
 *    prefixes of different lengths are legal (longest match wins).
 *  - mtu below 1280 is rejected as soon as any peer allows IPv6 (RFC 8200
 *    links carry at least 1280 bytes).
 *  - private_key_file must be a regular file with no group/other permission
 *    bits (as ssh does for private keys); a relative path is relative to the
 *    directory of the file that names it.
 *  - an inline private_key in a file that group or others can read loads,
 *    with a warning (as wg-quick); private_key_file is the better form, the
 *    inline text passes through libconfig's heap, which is freed unwiped.
 *  - integer literals too large for 32 bits are rejected (libconfig 1.5
 *    silently truncates them: "listen_port = 4294967297;" would read as 1).
 *  - idle_expiry is 0 (off) or any age in seconds (default REJECT_AFTER_TIME);
 *    below 180 s it ends live sessions early, which the peer survives by
 *    handshaking again.
 *  - max_peers (default 4096) bounds the peer table; the static peers count.
 *  - endpoints are numeric: no host name is resolved at start.
 *  - @include paths are relative to the including file's directory, as
 *    private_key_file; libconfig 1.5 then cannot open absolute ones.
 *  - a gateway or neighbour must be on-link in its port's prefix, and not
 *    the port's own address; a neighbour MAC must be unicast.
 *  - an endpoint's family needs an address of that family on the outer
 *    port; ports.outer and ports.clear are different devices.
 *  - address_pool's ranges are CIDR prefixes of the right family with no
 *    host bits set; either may be left out (that family is not offered).
 */
#ifndef WG_CONFIG_H
#define WG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "addr.h"
#include "consts.h"
#include "keys.h"
#include "messages.h"

enum wg_config_limits {
	WG_CONFIG_IFNAME_MAX = 15,		/* IFNAMSIZ - 1, as wg(8) */
	WG_CONFIG_DEVICE_MAX = 63,		/* RTE_ETH_NAME_MAX_LEN - 1 */
	WG_CONFIG_MAX_LCORE = 128,		/* RTE_MAX_LCORE, Debian DPDK 22.11 */
	WG_CONFIG_MAX_WORKERS = WG_CONFIG_MAX_LCORE - 1,	/* + control */
	WG_CONFIG_MAX_EAL_ARGS = 64,
	WG_CONFIG_MAX_NEIGHBOURS = 256,		/* per port */
	WG_CONFIG_MAX_PEERS = MAX_PEERS_PER_DEVICE,
	WG_CONFIG_MTU_MIN = WG_IPV4_MIN_MTU,
	WG_CONFIG_MTU_MIN_IPV6 = WG_IPV6_MIN_MTU,
	WG_CONFIG_MTU_MAX = 9000,
	WG_CONFIG_DEFAULT_MTU = WG_DEFAULT_MTU,
	/* Seconds; 0 turns expiry off. A shorter age than REJECT_AFTER_TIME
	 * would wipe sessions that are still valid. */
	WG_CONFIG_DEFAULT_IDLE_EXPIRY = REJECT_AFTER_TIME,
	WG_CONFIG_DEFAULT_MAX_PEERS = 4096
};

/* Value for value enum wg_crypto_arch of dataplane/crypto.h (asserted in
 * daemon_setup.c, where one becomes the other). */
enum wg_config_crypto {
	WG_CONFIG_CRYPTO_AUTO = 0,	/* best the CPU supports */
	WG_CONFIG_CRYPTO_AVX512,
	WG_CONFIG_CRYPTO_AVX2,
	WG_CONFIG_CRYPTO_SSE,
	WG_CONFIG_CRYPTO_SODIUM,
	WG_CONFIG_CRYPTO_MB512		/* 16 packets per AVX-512 register */
};

/*
 * An address, or a prefix when prefix_len is shorter than the address.
 * family is enum wg_family; WG_AF_NONE means "not configured". The bytes
 * are in network order; an IPv4 address fills addr[0..3] and the rest stays
 * zero, so two equal prefixes are equal under memcmp().
 */
struct wg_config_addr {
	uint8_t family;
	uint8_t prefix_len;	/* 32 or 128 for a plain address */
	uint8_t addr[16];
};

struct wg_config_neighbour {
	struct wg_config_addr ip;
	uint8_t mac[6];
};

struct wg_config_port {
	char device[WG_CONFIG_DEVICE_MAX + 1];	/* DPDK device name */
	/* Interface addresses with their on-link prefix (host bits set);
	 * at least one of the two is configured. */
	struct wg_config_addr ipv4;
	struct wg_config_addr ipv6;
	/* Optional next hops, on-link in ipv4/ipv6's prefix. */
	struct wg_config_addr gateway4;
	struct wg_config_addr gateway6;
	/* Optional static ARP/ND entries, each on-link. */
	struct wg_config_neighbour *neighbours;
	unsigned int n_neighbours;
};

/* A worker owns RX/TX queue `queue` on both ports. */
struct wg_config_worker {
	unsigned int lcore;
	uint16_t queue;
};

struct wg_config_peer {
	uint8_t public_key[WG_KEY_LEN];
	uint8_t preshared_key[WG_KEY_LEN];	/* all zero when none, as WireGuard */
	struct wg_endpoint endpoint;		/* family WG_AF_NONE when none */
	uint16_t persistent_keepalive;		/* seconds; 0 = off */
	struct wg_config_addr *allowed_ips;	/* masked prefixes */
	unsigned int n_allowed_ips;
	unsigned int line;			/* where the peer starts */
};

struct wg_config {
	char interface[WG_CONFIG_IFNAME_MAX + 1];
	uint8_t private_key[WG_KEY_LEN];
	uint8_t public_key[WG_KEY_LEN];		/* derived from private_key */
	uint16_t listen_port;
	/* NULL-terminated, for rte_eal_init() after argv[0]; command-line EAL
	 * arguments override these. eal_args is NULL without the setting. */
	char **eal_args;
	unsigned int n_eal_args;
	enum wg_config_crypto crypto;
	enum wg_log_level log_level;		/* default info */
	uint16_t mtu;				/* inner MTU */
	uint32_t idle_expiry;			/* seconds; 0 = off */
	uint32_t max_peers;			/* peer table size */
	struct wg_config_port outer;		/* UDP listen_port lives here */
	struct wg_config_port clear;
	unsigned int control_lcore;		/* + its own TX queue on outer */
	struct wg_config_worker *workers;	/* queues are 0..n_workers-1 */
	unsigned int n_workers;
	struct wg_config_peer *peers;
	unsigned int n_peers;
	/* address_pool: the ranges tunnel addresses are drawn from (masked
	 * prefixes); family WG_AF_NONE when that range is not configured. */
	struct wg_config_addr pool4;
	struct wg_config_addr pool6;
	/* "FILE:LINE: warning: ..." lines the caller should log. */
	char **warnings;
	unsigned int n_warnings;
};

/*
 * Reads and validates the file at path. Returns 0 with cfg filled, or -1
 * with cfg zeroed and a one-line "FILE:LINE: problem" in err (truncated to
 * errlen). err may be NULL when errlen is 0. Calls sodium_init().
 */
int wg_config_load(const char *path, struct wg_config *cfg, char *err,
		   size_t errlen);

/* Frees everything cfg owns and wipes the keys; cfg is zeroed after.
 * Safe on a zeroed cfg and after a failed load. */
void wg_config_free(struct wg_config *cfg);

/* "auto", "avx512", ... as written in the file. */
const char *wg_config_crypto_name(enum wg_config_crypto crypto);

#endif /* WG_CONFIG_H */
