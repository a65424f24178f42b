/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wgedge's log: one line per event on stderr, "wgedge[IF]: LEVEL: text",
 * filtered by a level (error, warning, info, debug). Under systemd, when
 * stderr is the journal ($JOURNAL_STREAM), each line starts with its
 * syslog priority ("<4>") instead, which journald turns into the entry's
 * priority. The privacy rules are the callers': never a key; endpoints only
 * at debug.
 */
#ifndef WG_LOG_H
#define WG_LOG_H

#include <stdbool.h>
#include <stdio.h>

/* syslog priorities, so that the journal prefix is the level itself. */
enum wg_log_level {
	WG_LOG_ERR = 3,
	WG_LOG_WARNING = 4,
	WG_LOG_INFO = 6,
	WG_LOG_DEBUG = 7
};

/* "error", "warning", "info", "debug": 0 with *level set, or -1. */
int wg_log_level_parse(const char *name, enum wg_log_level *level);
const char *wg_log_level_name(enum wg_log_level level);

/*
 * Where and how lines go: out (NULL: stderr), the interface name (NULL
 * until the configuration is read), the level, and journal prefixes (true:
 * <N> priorities). wg_log_setup_stderr() sets journal from $JOURNAL_STREAM.
 */
void wg_log_setup(FILE *out, const char *ifname, enum wg_log_level level,
		  bool journal);
void wg_log_setup_stderr(const char *ifname, enum wg_log_level level);
bool wg_log_enabled(enum wg_log_level level);

void wg_log(enum wg_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* WG_LOG_H */
