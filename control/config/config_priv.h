/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Shared between the config_*.c files only: the loader's context, the
 * table-driven group walker, typed getters that report errors with
 * FILE:LINE, and the address parsers.
 */
#ifndef WG_CONFIG_PRIV_H
#define WG_CONFIG_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

#include "config.h"

/* One source file's text, kept to re-read integer literals (see cfg_int). */
struct cfg_source {
	char *path;
	char *text;
	size_t len;
	size_t *line_start;	/* line n (1-based) starts at line_start[n - 1] */
	unsigned int n_lines;
	/* Names already checked on memo_line: a file written on one line
	 * must not cost a scan of the whole line per integer. */
	unsigned int memo_line;
	unsigned int n_memo;
	const char *memo[8];
};

struct cfg_ctx {
	const char *path;	/* the file given to wg_config_load() */
	char *dir;		/* its directory, for relative paths */
	char *err;
	size_t errlen;
	struct wg_config *cfg;
	struct cfg_source *src;	/* src[0] is path; @include files follow */
	unsigned int n_src;
	uint8_t hash_key[16];	/* SipHash key of the duplicate sets */
	/* The first allowed IP that is IPv6, for the mtu check; NULL: none. */
	const config_setting_t *first_v6_allowed;
	/* @include names as libconfig records them, joined to dir. */
	struct cfg_include {
		const char *raw;	/* points into full's allocation */
		char *full;
	} *incs;
	unsigned int n_incs;
};

/* A known member of a group: handler runs in table order, not file order,
 * so a handler may rely on the fields listed before it. */
struct cfg_field {
	const char *name;
	bool required;
	int (*parse)(struct cfg_ctx *c, const config_setting_t *s, void *obj);
};

/* Formats "FILE:LINE: msg" into c->err; always returns -1. */
int cfg_error(struct cfg_ctx *c, const config_setting_t *s,
	      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Appends "FILE:LINE: warning: msg" to cfg->warnings; -1 only on ENOMEM. */
int cfg_warn(struct cfg_ctx *c, const config_setting_t *s,
	     const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cfg_nomem(struct cfg_ctx *c, const config_setting_t *s);
/* The file a setting came from (an @include file, or the main one). */
const char *cfg_file(struct cfg_ctx *c, const config_setting_t *s);
/* libconfig 1.5 records an @include by the name written, which it opened
 * relative to the include directory: the path that was really read. */
const char *cfg_include_path(struct cfg_ctx *c, const char *raw);
/* Where `there` is, seen from `here`: "line 24", or "peers.conf:3" when
 * the two settings are in different files. */
enum { CFG_WHERE_LEN = PATH_MAX + 32 };
const char *cfg_where(struct cfg_ctx *c, const config_setting_t *here,
		      const config_setting_t *there, char *buf);
/* "listen_port", "peers[3].endpoint": the setting's path, for messages. */
const char *cfg_name(const config_setting_t *s, char *buf, size_t len);

/* Rejects unknown members (with a "did you mean" hint), then runs each
 * field's handler, reporting missing required ones at g's line. */
int cfg_parse_group(struct cfg_ctx *c, const config_setting_t *g,
		    const struct cfg_field *fields, size_t n_fields, void *obj);

int cfg_int(struct cfg_ctx *c, const config_setting_t *s, long long min,
	    long long max, long long *out);
int cfg_string(struct cfg_ctx *c, const config_setting_t *s, const char **out);
/* An array or list whose elements are all strings; n gets the length. */
int cfg_string_list(struct cfg_ctx *c, const config_setting_t *s,
		    unsigned int *n);
int cfg_type(struct cfg_ctx *c, const config_setting_t *s, int type);
int cfg_key(struct cfg_ctx *c, const config_setting_t *s,
	    uint8_t key[WG_KEY_LEN]);

/* Address parsers: 0 on success, else -1 with *why a short reason. */
int cfg_parse_addr(const char *text, bool want_prefix, bool allow_prefix,
		   struct wg_config_addr *out, const char **why);
int cfg_parse_endpoint(const char *text, struct wg_endpoint *out,
		       const char **why);
int cfg_parse_mac(const char *text, uint8_t mac[6]);
/* Prefix arithmetic on struct wg_config_addr. */
void cfg_addr_mask(struct wg_config_addr *a, unsigned int prefix_len);
bool cfg_addr_contains(const struct wg_config_addr *net,
		       const struct wg_config_addr *host);
/* "10.0.1.0/24"; buf of at least CFG_ADDR_STRLEN. */
enum { CFG_ADDR_STRLEN = 50 };
const char *cfg_addr_str(const struct wg_config_addr *a, bool with_prefix,
			 char *buf);

/* config_ports.c / config_peers.c: top-level handlers. */
int cfg_parse_ports(struct cfg_ctx *c, const config_setting_t *s, void *obj);
int cfg_parse_workers(struct cfg_ctx *c, const config_setting_t *s, void *obj);
int cfg_parse_peers(struct cfg_ctx *c, const config_setting_t *s, void *obj);
/* config_source.c: libconfig 1.5 truncation check and text cache. */
int cfg_source_check_int(struct cfg_ctx *c, const config_setting_t *s);
int cfg_source_load(struct cfg_ctx *c, const char *path,
		    struct cfg_source **out);
void cfg_source_free_all(struct cfg_ctx *c);
/* config_keyfile.c */
int cfg_parse_private_key(struct cfg_ctx *c, const config_setting_t *s,
			  void *obj);
int cfg_parse_private_key_file(struct cfg_ctx *c, const config_setting_t *s,
			       void *obj);

#endif /* WG_CONFIG_PRIV_H */
