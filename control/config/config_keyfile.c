/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Our private key, inline (private_key) or from a file (private_key_file),
 * exactly one of the two. Nothing here ever prints key text: messages name
 * the setting or the key file's path.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "config_priv.h"

/* The key line, a newline and some slack for \r or spaces. */
enum { CFG_KEYFILE_MAX = 128 };

static int
cfg_derive_public(struct cfg_ctx *c, const config_setting_t *s)
{
	struct wg_config *cfg = c->cfg;

	if (wg_key_public_from_private(cfg->public_key, cfg->private_key) < 0)
		return cfg_error(c, s, "malformed key: '%s' is not a usable private key (all zero)",
				 config_setting_name(s));
	return 0;
}

int
cfg_parse_private_key(struct cfg_ctx *c, const config_setting_t *s,
		      void *obj)
{
	const char *file = cfg_file(c, s);
	struct stat st;

	(void)obj;
	if (cfg_key(c, s, c->cfg->private_key) < 0 || cfg_derive_public(c, s) < 0)
		return -1;
	/* As wg-quick: say so, but load, so a checked-out example works. */
	if (stat(file, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return cfg_warn(c, s, "this file holds private_key but is accessible by group or others (mode 0%03o); chmod 600 it or use private_key_file",
				(unsigned int)(st.st_mode & 0777));
	return 0;
}

/* A relative key file path is relative to the file that names it. */
static int
cfg_resolve(struct cfg_ctx *c, const config_setting_t *s, const char *rel,
	    char *buf, size_t len)
{
	char dir[PATH_MAX];
	int n;

	if (rel[0] == '/') {
		n = snprintf(buf, len, "%s", rel);
	} else {
		snprintf(dir, sizeof(dir), "%s", cfg_file(c, s));
		n = snprintf(buf, len, "%s/%s", dirname(dir), rel);
	}
	if (n < 0 || (size_t)n >= len)
		return cfg_error(c, s, "private_key_file: the path is too long");
	return 0;
}

/* One base64 key, surrounded by nothing but whitespace. */
static int
cfg_keyfile_decode(char *text, size_t len, uint8_t key[WG_KEY_LEN])
{
	size_t start = 0;

	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
			   text[len - 1] == ' ' || text[len - 1] == '\t'))
		len--;
	while (start < len && (text[start] == ' ' || text[start] == '\t'))
		start++;
	text[len] = '\0';
	return wg_key_from_base64(key, text + start);
}

static int
cfg_keyfile_read(struct cfg_ctx *c, const config_setting_t *s, int fd,
		 const char *path)
{
	char buf[CFG_KEYFILE_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int ret;

	if (fstat(fd, &st) < 0)
		return cfg_error(c, s, "private_key_file '%s': cannot stat: %s",
				 path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cfg_error(c, s, "private_key_file '%s' is not a regular file",
				 path);
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return cfg_error(c, s, "private_key_file '%s' is accessible by group or others (mode 0%03o); chmod 600 it",
				 path, (unsigned int)(st.st_mode & 0777));
	/* Another user owns it: that user could read or replace our key. */
	if (st.st_uid != geteuid())
		return cfg_error(c, s, "private_key_file '%s' is owned by uid %u, not by the user running wgedge (uid %u); chown it",
				 path, (unsigned int)st.st_uid, (unsigned int)geteuid());
	do {
		n = read(fd, buf + got, sizeof(buf) - got);
		if (n > 0)
			got += (size_t)n;
	} while ((n > 0 && got < sizeof(buf)) || (n < 0 && errno == EINTR));
	if (n < 0)
		ret = cfg_error(c, s, "private_key_file '%s': cannot read: %s",
				path, strerror(errno));
	else if (got == sizeof(buf) ||
		 cfg_keyfile_decode(buf, got, c->cfg->private_key) < 0)
		ret = cfg_error(c, s, "malformed key: private_key_file '%s' must hold one base64 key line",
				path);
	else
		ret = cfg_derive_public(c, s);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

int
cfg_parse_private_key_file(struct cfg_ctx *c, const config_setting_t *s,
			   void *obj)
{
	const config_setting_t *inline_key;
	char path[PATH_MAX];
	const char *rel;
	int fd, ret;

	(void)obj;
	inline_key = config_setting_get_member(config_setting_parent(s),
					       "private_key");
	if (inline_key != NULL)
		return cfg_error(c, s, "private_key and private_key_file are mutually exclusive (private_key is at line %u)",
				 config_setting_source_line(inline_key));
	if (cfg_string(c, s, &rel) < 0 ||
	    cfg_resolve(c, s, rel, path, sizeof(path)) < 0)
		return -1;
	/* O_NONBLOCK: a FIFO must not hang the start; fstat rejects it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return cfg_error(c, s, "private_key_file '%s': cannot open: %s",
				 path, strerror(errno));
	ret = cfg_keyfile_read(c, s, fd, path);
	close(fd);
	return ret;
}
