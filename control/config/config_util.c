/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The loader's plumbing: FILE:LINE messages, warnings, the table-driven
 * group walker that rejects unknown settings, and typed getters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

enum { CFG_NAME_LEN = 128, CFG_MSG_LEN = 512 };

const char *
cfg_include_path(struct cfg_ctx *c, const char *raw)
{
	struct cfg_include *inc;
	unsigned int i;
	char *full;

	for (i = 0; i < c->n_incs; i++)
		if (strcmp(c->incs[i].raw, raw) == 0)
			return c->incs[i].full;
	inc = realloc(c->incs, (c->n_incs + 1) * sizeof(*inc));
	if (inc == NULL)
		return raw;
	c->incs = inc;
	if (asprintf(&full, "%s/%s%c%s", c->dir, raw, '\0', raw) < 0)
		return raw;
	/* One allocation: "dir/raw\0raw"; libconfig's copy dies with it. */
	inc[c->n_incs].raw = full + strlen(full) + 1;
	inc[c->n_incs].full = full;
	c->n_incs++;
	return full;
}

/* Settings of the main file have no file name: it was read as a string. */
const char *
cfg_file(struct cfg_ctx *c, const config_setting_t *s)
{
	const char *f = s != NULL ? config_setting_source_file(s) : NULL;

	return f != NULL ? cfg_include_path(c, f) : c->path;
}

const char *
cfg_where(struct cfg_ctx *c, const config_setting_t *here,
	  const config_setting_t *there, char *buf)
{
	const char *f = cfg_file(c, there);

	if (strcmp(cfg_file(c, here), f) == 0)
		snprintf(buf, CFG_WHERE_LEN, "line %u",
			 config_setting_source_line(there));
	else
		snprintf(buf, CFG_WHERE_LEN, "%s:%u", f,
			 config_setting_source_line(there));
	return buf;
}

static void
cfg_vformat(struct cfg_ctx *c, const config_setting_t *s, char *buf,
	    size_t len, const char *tag, const char *fmt, va_list ap)
{
	unsigned int line = s != NULL ? config_setting_source_line(s) : 0;
	int n;

	/* The root group has line 0: a top-level missing setting has no line. */
	if (line > 0)
		n = snprintf(buf, len, "%s:%u: %s", cfg_file(c, s), line, tag);
	else
		n = snprintf(buf, len, "%s: %s", cfg_file(c, s), tag);
	if (n >= 0 && (size_t)n < len)
		vsnprintf(buf + n, len - n, fmt, ap);
}

int
cfg_error(struct cfg_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	if (c->err == NULL || c->errlen == 0)
		return -1;
	va_start(ap, fmt);
	cfg_vformat(c, s, c->err, c->errlen, "", fmt, ap);
	va_end(ap);
	return -1;
}

int
cfg_nomem(struct cfg_ctx *c, const config_setting_t *s)
{
	return cfg_error(c, s, "out of memory");
}

int
cfg_warn(struct cfg_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	struct wg_config *cfg = c->cfg;
	char buf[CFG_MSG_LEN];
	char **w;
	va_list ap;

	va_start(ap, fmt);
	cfg_vformat(c, s, buf, sizeof(buf), "warning: ", fmt, ap);
	va_end(ap);
	w = realloc(cfg->warnings, (cfg->n_warnings + 1) * sizeof(*w));
	if (w == NULL)
		return cfg_nomem(c, s);
	cfg->warnings = w;
	w[cfg->n_warnings] = strdup(buf);
	if (w[cfg->n_warnings] == NULL)
		return cfg_nomem(c, s);
	cfg->n_warnings++;
	return 0;
}

/* Appends s's path below the root: "ports.outer.ipv4", "peers[2].endpoint". */
static void
cfg_name_append(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *parent = config_setting_parent(s);
	size_t used;

	if (parent == NULL)
		return;
	cfg_name_append(parent, buf, len);
	used = strlen(buf);
	if (s->name != NULL)
		snprintf(buf + used, len - used, "%s%s", used > 0 ? "." : "",
			 s->name);
	else
		snprintf(buf + used, len - used, "[%d]",
			 config_setting_index(s));
}

const char *
cfg_name(const config_setting_t *s, char *buf, size_t len)
{
	buf[0] = '\0';
	cfg_name_append(s, buf, len);
	return buf;
}

static const char *
cfg_type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group { }";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ]";
	case CONFIG_TYPE_LIST:
		return "a list ( )";
	default:
		return "nothing";
	}
}

static int
cfg_type_error(struct cfg_ctx *c, const config_setting_t *s, const char *want)
{
	char name[CFG_NAME_LEN];

	return cfg_error(c, s, "wrong type: '%s' must be %s, not %s",
			 cfg_name(s, name, sizeof(name)), want,
			 cfg_type_name(config_setting_type(s)));
}

int
cfg_type(struct cfg_ctx *c, const config_setting_t *s, int type)
{
	if (config_setting_type(s) == type)
		return 0;
	return cfg_type_error(c, s, cfg_type_name(type));
}

/* Edit distance of two short names, for "did you mean" hints. */
static unsigned int
cfg_distance(const char *a, const char *b)
{
	unsigned int row[CFG_NAME_LEN], i, j, diag, up;
	size_t la = strlen(a), lb = strlen(b);

	if (la >= CFG_NAME_LEN || lb >= CFG_NAME_LEN)
		return ~0U;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

static int
cfg_unknown(struct cfg_ctx *c, const config_setting_t *m,
	    const struct cfg_field *fields, size_t n_fields)
{
	const char *best = NULL;
	unsigned int d, best_d = 3;	/* suggest within two edits */
	char name[CFG_NAME_LEN];
	size_t i;

	for (i = 0; i < n_fields; i++) {
		d = cfg_distance(m->name, fields[i].name);
		if (d < best_d) {
			best_d = d;
			best = fields[i].name;
		}
	}
	cfg_name(m, name, sizeof(name));
	if (best != NULL)
		return cfg_error(c, m, "unknown setting '%s' (did you mean '%s'?)",
				 name, best);
	return cfg_error(c, m, "unknown setting '%s'", name);
}

int
cfg_parse_group(struct cfg_ctx *c, const config_setting_t *g,
		const struct cfg_field *fields, size_t n_fields, void *obj)
{
	const config_setting_t *m;
	char name[CFG_NAME_LEN];
	int i, n;
	size_t f;

	if (cfg_type(c, g, CONFIG_TYPE_GROUP) < 0)
		return -1;
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		m = config_setting_get_elem(g, i);
		for (f = 0; f < n_fields; f++)
			if (strcmp(m->name, fields[f].name) == 0)
				break;
		if (f == n_fields)
			return cfg_unknown(c, m, fields, n_fields);
	}
	for (f = 0; f < n_fields; f++) {
		m = config_setting_get_member(g, fields[f].name);
		if (m != NULL) {
			if (fields[f].parse(c, m, obj) < 0)
				return -1;
		} else if (fields[f].required) {
			cfg_name(g, name, sizeof(name));
			return cfg_error(c, g, "missing required setting '%s%s%s'",
					 name, name[0] != '\0' ? "." : "",
					 fields[f].name);
		}
	}
	return 0;
}

int
cfg_int(struct cfg_ctx *c, const config_setting_t *s, long long min,
	long long max, long long *out)
{
	char name[CFG_NAME_LEN];
	long long v;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return cfg_type_error(c, s, "an integer");
	if (config_setting_type(s) == CONFIG_TYPE_INT &&
	    cfg_source_check_int(c, s) < 0)
		return -1;
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return cfg_error(c, s, "'%s' = %lld is out of range (%lld..%lld)",
				 cfg_name(s, name, sizeof(name)), v, min, max);
	*out = v;
	return 0;
}

int
cfg_string(struct cfg_ctx *c, const config_setting_t *s, const char **out)
{
	if (cfg_type(c, s, CONFIG_TYPE_STRING) < 0)
		return -1;
	*out = config_setting_get_string(s);
	return 0;
}

int
cfg_string_list(struct cfg_ctx *c, const config_setting_t *s, unsigned int *n)
{
	int i, len;

	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return cfg_type_error(c, s, "an array of strings");
	len = config_setting_length(s);
	for (i = 0; i < len; i++)
		if (cfg_type(c, config_setting_get_elem(s, i),
			     CONFIG_TYPE_STRING) < 0)
			return -1;
	*n = (unsigned int)len;
	return 0;
}

/* The text is never echoed: it may be a private or preshared key. */
int
cfg_key(struct cfg_ctx *c, const config_setting_t *s, uint8_t key[WG_KEY_LEN])
{
	char name[CFG_NAME_LEN];
	const char *text;

	if (cfg_string(c, s, &text) < 0)
		return -1;
	if (wg_key_from_base64(key, text) < 0)
		return cfg_error(c, s, "malformed key: '%s' must be %d base64 characters ending in '='",
				 cfg_name(s, name, sizeof(name)),
				 WG_KEY_B64_LEN);
	return 0;
}
