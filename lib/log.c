/* SPDX-License-Identifier: GPL-2.0-only */
/* The log: see log.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

enum { LOG_LINE_MAX = 1024, LOG_IFNAME_MAX = 16 };

static struct {
	FILE *out;
	char ifname[LOG_IFNAME_MAX];
	enum wg_log_level level;
	bool journal;
} log_state = { .level = WG_LOG_INFO };

static const struct {
	const char *name;
	enum wg_log_level level;
} levels[] = {
	{ "error", WG_LOG_ERR }, { "warning", WG_LOG_WARNING },
	{ "info", WG_LOG_INFO }, { "debug", WG_LOG_DEBUG },
};

int
wg_log_level_parse(const char *name, enum wg_log_level *level)
{
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(name, levels[i].name) == 0) {
			*level = levels[i].level;
			return 0;
		}
	}
	return -1;
}

const char *
wg_log_level_name(enum wg_log_level level)
{
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (levels[i].level == level)
			return levels[i].name;
	return "?";
}

void
wg_log_setup(FILE *out, const char *ifname, enum wg_log_level level, bool journal)
{
	log_state.out = out;
	snprintf(log_state.ifname, sizeof(log_state.ifname), "%s",
		 ifname != NULL ? ifname : "");
	log_state.level = level;
	log_state.journal = journal;
}

/* $JOURNAL_STREAM is "DEV:INODE" of the journal's stream: ours if it
 * matches stderr (systemd.exec(5)). */
static bool
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void
wg_log_setup_stderr(const char *ifname, enum wg_log_level level)
{
	wg_log_setup(NULL, ifname, level, stderr_is_journal());
}

bool
wg_log_enabled(enum wg_log_level level)
{
	return level <= log_state.level;
}

void
wg_log(enum wg_log_level level, const char *fmt, ...)
{
	char text[LOG_LINE_MAX], *nl;
	FILE *out = log_state.out != NULL ? log_state.out : stderr;
	va_list ap;

	if (!wg_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* One event, one line, whatever the text held. */
	while ((nl = strchr(text, '\n')) != NULL)
		*nl = ' ';
	if (log_state.journal)
		fprintf(out, "<%d>", (int)level);
	fprintf(out, "wgedge%s%s%s: ", log_state.ifname[0] ? "[" : "",
		log_state.ifname, log_state.ifname[0] ? "]" : "");
	if (!log_state.journal)
		fprintf(out, "%s: ", wg_log_level_name(level));
	fprintf(out, "%s\n", text);
	fflush(out);
}
