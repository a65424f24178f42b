/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration files' text, kept beside libconfig's tree.
 *
 * libconfig 1.5 reads an integer literal that does not fit in 32 bits (and
 * has no L suffix) as a truncated int, with no error: "listen_port =
 * 4294967297;" comes out as 1, "mtu = 99999999999;" as 1215752191. The tree
 * cannot tell, so cfg_source_check_int() re-reads the literal from the
 * setting's source line. The text may hold an inline private_key and is
 * wiped when freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config_priv.h"

enum { CFG_FILE_MAX = 512 << 20 };	/* ~2 million peers */

static int
cfg_read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != len) {
		errno = EIO;	/* the file shrank while being read */
		return -1;
	}
	return 0;
}

static int
cfg_source_index(struct cfg_source *src)
{
	size_t i, n = 1;

	for (i = 0; i < src->len; i++)
		n += src->text[i] == '\n';
	src->line_start = malloc(n * sizeof(*src->line_start));
	if (src->line_start == NULL)
		return -1;
	src->line_start[0] = 0;
	src->n_lines = 1;
	for (i = 0; i < src->len; i++)
		if (src->text[i] == '\n')
			src->line_start[src->n_lines++] = i + 1;
	return 0;
}

/* Reads path into src; on failure errno says why. */
static int
cfg_source_read(struct cfg_source *src, const char *path)
{
	struct stat st;
	int fd, ret = -1, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		goto out;
	}
	if (st.st_size > CFG_FILE_MAX) {
		errno = EFBIG;
		goto out;
	}
	src->len = (size_t)st.st_size;
	src->text = malloc(src->len + 1);
	src->path = strdup(path);
	if (src->text == NULL || src->path == NULL) {
		errno = ENOMEM;
		goto out;
	}
	if (cfg_read_all(fd, src->text, src->len) < 0)
		goto out;
	src->text[src->len] = '\0';
	if (cfg_source_index(src) < 0) {
		errno = ENOMEM;
		goto out;
	}
	ret = 0;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return ret;
}

static void
cfg_source_free(struct cfg_source *src)
{
	if (src->text != NULL)
		sodium_memzero(src->text, src->len);
	free(src->text);
	free(src->path);
	free(src->line_start);
	memset(src, 0, sizeof(*src));
}

void
cfg_source_free_all(struct cfg_ctx *c)
{
	unsigned int i;

	for (i = 0; i < c->n_src; i++)
		cfg_source_free(&c->src[i]);
	free(c->src);
	c->src = NULL;
	c->n_src = 0;
}

/* Finds or reads path. Errors are reported with the file name only. */
int
cfg_source_load(struct cfg_ctx *c, const char *path, struct cfg_source **out)
{
	struct cfg_source *src;
	unsigned int i;

	for (i = 0; i < c->n_src; i++) {
		if (strcmp(c->src[i].path, path) == 0) {
			*out = &c->src[i];
			return 0;
		}
	}
	src = realloc(c->src, (c->n_src + 1) * sizeof(*src));
	if (src == NULL)
		return cfg_nomem(c, NULL);
	c->src = src;
	src = &c->src[c->n_src];
	memset(src, 0, sizeof(*src));
	if (cfg_source_read(src, path) < 0) {
		snprintf(c->err, c->errlen, "%s: cannot read: %s", path,
			 strerror(errno));
		cfg_source_free(src);
		return -1;
	}
	c->n_src++;
	*out = src;
	return 0;
}

static bool
cfg_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '*';
}

static const char *
cfg_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* True if the literal at p (after "name =") is an int that overflowed;
 * *end gets the end of its digits. */
static bool
cfg_literal_overflows(const char *p, const char **end)
{
	unsigned long long v = 0, limit = INT_MAX;
	unsigned int base = 10, d;

	if (*p == '-')
		limit = (unsigned long long)INT_MAX + 1;
	if (*p == '-' || *p == '+')
		p++;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	for (;; p++) {
		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (base == 16 && ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'f'))
			d = (unsigned int)((*p | 0x20) - 'a' + 10);
		else
			break;
		if (v <= limit)
			v = v * base + d;	/* stays far below 2^64 */
	}
	*end = p;
	/* An L suffix makes a 64-bit setting, which libconfig keeps whole. */
	return *p != 'L' && v > limit;
}

/* True if name was checked on this line before; else remembers it. */
static bool
cfg_source_memo(struct cfg_source *src, unsigned int line, const char *name)
{
	unsigned int i;

	if (src->memo_line != line) {
		src->memo_line = line;
		src->n_memo = 0;
	}
	for (i = 0; i < src->n_memo; i++)
		if (strcmp(src->memo[i], name) == 0)
			return true;
	if (src->n_memo < sizeof(src->memo) / sizeof(src->memo[0]))
		src->memo[src->n_memo++] = name;
	return false;
}

/*
 * Checks every "name = literal" whose name starts on s's line (a line may
 * hold two workers, each with an lcore), so the message quotes the number
 * rather than guess which of them it belongs to. Matches inside a string or
 * a trailing comment on the same line could give a false alarm; no sane
 * file has one.
 */
int
cfg_source_check_int(struct cfg_ctx *c, const config_setting_t *s)
{
	unsigned int line = config_setting_source_line(s);
	size_t nlen = s->name != NULL ? strlen(s->name) : 0;
	const char *p, *eol, *q, *lit, *end;
	struct cfg_source *src;

	if (nlen == 0 || line == 0)
		return 0;	/* every integer wgedge reads is named */
	if (cfg_source_load(c, cfg_file(c, s), &src) < 0)
		return -1;
	if (line > src->n_lines || cfg_source_memo(src, line, s->name))
		return 0;
	p = src->text + src->line_start[line - 1];
	eol = line < src->n_lines ? src->text + src->line_start[line] :
	      src->text + src->len;
	for (; (p = memmem(p, (size_t)(eol - p), s->name, nlen)) != NULL; p++) {
		if (cfg_name_char(p[nlen]) ||
		    (p > src->text && cfg_name_char(p[-1])))
			continue;
		q = cfg_skip_space(p + nlen);
		if (*q != '=' && *q != ':')
			continue;
		lit = cfg_skip_space(q + 1);
		if (cfg_literal_overflows(lit, &end))
			return cfg_error(c, s, "out of range: %s = %.*s does not fit in 32 bits",
					 s->name, (int)(end - lit < 40 ? end - lit : 40),
					 lit);
	}
	return 0;
}
