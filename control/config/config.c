/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wg_config_load(): read the file, let libconfig parse it, then walk the
 * tree with one field table per group (config_util.c) so that unknown
 * settings, wrong types and out-of-range values all fail with FILE:LINE.
 * Top-level fields live here; ports and workers in config_ports.c, peers in
 * config_peers.c, our private key in config_keyfile.c.
 */
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "config_priv.h"

enum { CFG_NAME_LEN = 128 };

static const char *const cfg_crypto_names[] = {
	[WG_CONFIG_CRYPTO_AUTO] = "auto",
	[WG_CONFIG_CRYPTO_AVX512] = "avx512",
	[WG_CONFIG_CRYPTO_AVX2] = "avx2",
	[WG_CONFIG_CRYPTO_SSE] = "sse",
	[WG_CONFIG_CRYPTO_SODIUM] = "sodium",
	[WG_CONFIG_CRYPTO_MB512] = "mb512",
};

enum { CFG_N_CRYPTO = sizeof(cfg_crypto_names) / sizeof(cfg_crypto_names[0]) };

const char *
wg_config_crypto_name(enum wg_config_crypto crypto)
{
	return (unsigned int)crypto < CFG_N_CRYPTO ? cfg_crypto_names[crypto] :
	       "?";
}

/* As wg-quick's [a-zA-Z0-9_=+.-]{1,15}, minus the kernel's "." and "..". */
static int
cfg_interface(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config *cfg = obj;
	const char *name;
	size_t i, len;

	if (cfg_string(c, s, &name) < 0)
		return -1;
	len = strlen(name);
	for (i = 0; i < len; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_=+.-", name[i]) == NULL)
			break;
	if (len == 0 || len > WG_CONFIG_IFNAME_MAX || i < len ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cfg_error(c, s, "malformed interface name: 1..%d of [a-zA-Z0-9_=+.-]",
				 WG_CONFIG_IFNAME_MAX);
	memcpy(cfg->interface, name, len + 1);
	return 0;
}

static int
cfg_listen_port(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	long long v;

	if (cfg_int(c, s, 1, UINT16_MAX, &v) < 0)
		return -1;
	((struct wg_config *)obj)->listen_port = (uint16_t)v;
	return 0;
}

static int
cfg_eal_args(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	struct wg_config *cfg = obj;
	const config_setting_t *e;
	unsigned int i, n;

	if (cfg_string_list(c, s, &n) < 0)
		return -1;
	if (n > WG_CONFIG_MAX_EAL_ARGS)
		return cfg_error(c, s, "'eal_args' has %u entries, out of range (at most %d)",
				 n, WG_CONFIG_MAX_EAL_ARGS);
	cfg->eal_args = calloc(n + 1, sizeof(*cfg->eal_args));
	if (cfg->eal_args == NULL)
		return cfg_nomem(c, s);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_get_string(e)[0] == '\0')
			return cfg_error(c, e, "'eal_args[%u]' is empty", i);
		cfg->eal_args[i] = strdup(config_setting_get_string(e));
		if (cfg->eal_args[i] == NULL)
			return cfg_nomem(c, e);
		cfg->n_eal_args++;
	}
	return 0;
}

static int
cfg_crypto(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	const char *name;
	unsigned int i;

	if (cfg_string(c, s, &name) < 0)
		return -1;
	for (i = 0; i < CFG_N_CRYPTO; i++) {
		if (strcmp(name, cfg_crypto_names[i]) == 0) {
			((struct wg_config *)obj)->crypto = i;
			return 0;
		}
	}
	return cfg_error(c, s, "unknown crypto backend: 'crypto' must be one of auto, mb512, avx512, avx2, sse, sodium");
}

static int
cfg_log_level(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	const char *name;

	if (cfg_string(c, s, &name) < 0)
		return -1;
	if (wg_log_level_parse(name, &((struct wg_config *)obj)->log_level) != 0)
		return cfg_error(c, s, "unknown log level: 'log_level' must be one of error, warning, info, debug");
	return 0;
}

static int
cfg_mtu(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	long long v;

	if (cfg_int(c, s, WG_CONFIG_MTU_MIN, WG_CONFIG_MTU_MAX, &v) < 0)
		return -1;
	((struct wg_config *)obj)->mtu = (uint16_t)v;
	return 0;
}

static int
cfg_idle_expiry(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	long long v;

	/* Below REJECT_AFTER_TIME it ends live sessions early: the provider's
	 * choice (the peer simply handshakes again). */
	if (cfg_int(c, s, 0, UINT32_MAX, &v) < 0)
		return -1;
	((struct wg_config *)obj)->idle_expiry = (uint32_t)v;
	return 0;
}

static int
cfg_max_peers(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	long long v;

	if (cfg_int(c, s, 1, WG_CONFIG_MAX_PEERS, &v) < 0)
		return -1;
	((struct wg_config *)obj)->max_peers = (uint32_t)v;
	return 0;
}

static int
cfg_control_lcore(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	long long v;

	if (cfg_int(c, s, 0, WG_CONFIG_MAX_LCORE - 1, &v) < 0)
		return -1;
	((struct wg_config *)obj)->control_lcore = (unsigned int)v;
	return 0;
}

/* One range of address_pool: a CIDR prefix of the family, host bits clear. */
static int
cfg_pool_range(struct cfg_ctx *c, const config_setting_t *s,
	       struct wg_config_addr *out, uint8_t family)
{
	char name[CFG_NAME_LEN], buf[CFG_ADDR_STRLEN], want[CFG_ADDR_STRLEN];
	struct wg_config_addr a, masked;
	const char *text, *why;

	if (cfg_string(c, s, &text) < 0)
		return -1;
	cfg_name(s, name, sizeof(name));
	if (cfg_parse_addr(text, true, true, &a, &why) < 0)
		return cfg_error(c, s, "malformed prefix: '%s' %s", name, why);
	if (a.family != family)
		return cfg_error(c, s, "'%s' must be an %s prefix", name,
				 family == WG_AF_INET ? "IPv4" : "IPv6");
	masked = a;
	cfg_addr_mask(&masked, a.prefix_len);
	if (memcmp(&masked, &a, sizeof(a)) != 0)
		return cfg_error(c, s, "'%s' = %s has host bits set (did you mean %s?)",
				 name, cfg_addr_str(&a, true, buf),
				 cfg_addr_str(&masked, true, want));
	*out = a;
	return 0;
}

static int
cfg_pool_ipv4(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_pool_range(c, s, &((struct wg_config *)obj)->pool4, WG_AF_INET);
}

static int
cfg_pool_ipv6(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_pool_range(c, s, &((struct wg_config *)obj)->pool6, WG_AF_INET6);
}

static const struct cfg_field cfg_pool_fields[] = {
	{ "ipv4", false, cfg_pool_ipv4 },
	{ "ipv6", false, cfg_pool_ipv6 },
};

static int
cfg_address_pool(struct cfg_ctx *c, const config_setting_t *s, void *obj)
{
	return cfg_parse_group(c, s, cfg_pool_fields,
			       sizeof(cfg_pool_fields) / sizeof(cfg_pool_fields[0]),
			       obj);
}

/* Order matters: peers are checked against our public key and ports,
 * workers against control_lcore. */
static const struct cfg_field cfg_top_fields[] = {
	{ "interface", true, cfg_interface },
	{ "private_key", false, cfg_parse_private_key },
	{ "private_key_file", false, cfg_parse_private_key_file },
	{ "listen_port", true, cfg_listen_port },
	{ "eal_args", false, cfg_eal_args },
	{ "crypto", false, cfg_crypto },
	{ "log_level", false, cfg_log_level },
	{ "mtu", false, cfg_mtu },
	{ "idle_expiry", false, cfg_idle_expiry },
	{ "max_peers", false, cfg_max_peers },
	{ "address_pool", false, cfg_address_pool },
	{ "ports", true, cfg_parse_ports },
	{ "control_lcore", true, cfg_control_lcore },
	{ "workers", true, cfg_parse_workers },
	{ "peers", false, cfg_parse_peers },
};

/* Checks that need the whole file. */
static int
cfg_check_all(struct cfg_ctx *c, const config_setting_t *root)
{
	const config_setting_t *mtu = config_setting_get_member(root, "mtu");
	char where[CFG_WHERE_LEN];

	if (config_setting_get_member(root, "private_key") == NULL &&
	    config_setting_get_member(root, "private_key_file") == NULL)
		return cfg_error(c, root, "missing required setting 'private_key' (or 'private_key_file')");
	/* IPv6 needs links of at least 1280 bytes (RFC 8200 section 5). */
	if (c->first_v6_allowed != NULL && mtu != NULL &&
	    c->cfg->mtu < WG_CONFIG_MTU_MIN_IPV6)
		return cfg_error(c, mtu, "'mtu' = %u is out of range for IPv6: a peer allows IPv6 (%s), which needs at least %d",
				 c->cfg->mtu,
				 cfg_where(c, mtu, c->first_v6_allowed, where),
				 WG_CONFIG_MTU_MIN_IPV6);
	if (c->cfg->n_peers > c->cfg->max_peers)
		return cfg_error(c, config_setting_get_member(root, "peers"),
				 "%u peers do not fit 'max_peers' = %u",
				 c->cfg->n_peers, c->cfg->max_peers);
	return 0;
}

/* Any string may be a key, perhaps under a misspelt name: wipe them all
 * before libconfig frees them. (libconfig's scanner buffers are beyond
 * reach; private_key_file keeps the key out of them.) */
static void
cfg_wipe_strings(config_setting_t *s)
{
	char *str;
	int i, n;

	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		str = s->value.sval;
		if (str != NULL)
			sodium_memzero(str, strlen(str));
		return;
	}
	if (!config_setting_is_aggregate(s))
		return;
	n = config_setting_length(s);
	for (i = 0; i < n; i++)
		cfg_wipe_strings(config_setting_get_elem(s, i));
}

static int
cfg_parse_text(struct cfg_ctx *c, const struct cfg_source *src)
{
	const char *file;
	config_t lc;
	int ret;

	if (memchr(src->text, '\0', src->len) != NULL)
		return cfg_error(c, NULL, "the file contains a NUL byte");
	config_init(&lc);
	config_set_include_dir(&lc, c->dir);
	if (config_read_string(&lc, src->text) != CONFIG_TRUE) {
		file = config_error_file(&lc);
		snprintf(c->err, c->errlen, "%s:%d: %s",
			 file != NULL ? cfg_include_path(c, file) : c->path,
			 config_error_line(&lc), config_error_text(&lc));
		ret = -1;
	} else {
		ret = cfg_parse_group(c, config_root_setting(&lc), cfg_top_fields,
				      sizeof(cfg_top_fields) / sizeof(cfg_top_fields[0]),
				      c->cfg);
		if (ret == 0)
			ret = cfg_check_all(c, config_root_setting(&lc));
	}
	cfg_wipe_strings(config_root_setting(&lc));
	config_destroy(&lc);
	return ret;
}

/* @include and private_key_file paths are relative to the file's directory. */
static char *
cfg_dirname(const char *path)
{
	char *copy = strdup(path), *dir = NULL;

	if (copy != NULL)
		dir = strdup(dirname(copy));	/* may point into copy */
	free(copy);
	return dir;
}

int
wg_config_load(const char *path, struct wg_config *cfg, char *err,
	       size_t errlen)
{
	struct cfg_ctx c = { .path = path, .err = err, .errlen = errlen,
			     .cfg = cfg };
	struct cfg_source *src;
	unsigned int i;
	int ret = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	else
		c.errlen = 0;
	if (sodium_init() < 0)
		return cfg_error(&c, NULL, "libsodium cannot start");
	randombytes_buf(c.hash_key, sizeof(c.hash_key));
	cfg->crypto = WG_CONFIG_CRYPTO_AUTO;
	cfg->mtu = WG_CONFIG_DEFAULT_MTU;
	cfg->idle_expiry = WG_CONFIG_DEFAULT_IDLE_EXPIRY;
	cfg->log_level = WG_LOG_INFO;
	cfg->max_peers = WG_CONFIG_DEFAULT_MAX_PEERS;
	c.dir = cfg_dirname(path);
	if (c.dir == NULL)
		cfg_nomem(&c, NULL);
	else if (cfg_source_load(&c, path, &src) == 0)
		ret = cfg_parse_text(&c, src);
	cfg_source_free_all(&c);
	for (i = 0; i < c.n_incs; i++)
		free(c.incs[i].full);
	free(c.incs);
	free(c.dir);
	if (ret < 0)
		wg_config_free(cfg);
	return ret;
}

static void
cfg_free_port(struct wg_config_port *port)
{
	free(port->neighbours);
}

void
wg_config_free(struct wg_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->n_eal_args; i++)
		free(cfg->eal_args[i]);
	free(cfg->eal_args);
	cfg_free_port(&cfg->outer);
	cfg_free_port(&cfg->clear);
	free(cfg->workers);
	for (i = 0; i < cfg->n_peers; i++)
		free(cfg->peers[i].allowed_ips);
	if (cfg->peers != NULL)
		sodium_memzero(cfg->peers, cfg->n_peers * sizeof(*cfg->peers));
	free(cfg->peers);
	for (i = 0; i < cfg->n_warnings; i++)
		free(cfg->warnings[i]);
	free(cfg->warnings);
	sodium_memzero(cfg, sizeof(*cfg));
}
