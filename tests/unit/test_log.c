/* SPDX-License-Identifier: GPL-2.0-only */
/* lib/log: levels, the line format, journal priorities, one line an event. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "log.h"

static char *buf;
static size_t len;
static FILE *out;

static void
capture(const char *ifname, enum wg_log_level level, bool journal)
{
	out = open_memstream(&buf, &len);
	cr_assert_not_null(out);
	wg_log_setup(out, ifname, level, journal);
}

static const char *
captured(void)
{
	fflush(out);
	return buf;
}

static void
done(void)
{
	fclose(out);
	free(buf);
	wg_log_setup(NULL, NULL, WG_LOG_INFO, false);
}

Test(log, levels_parse_and_name_each_other)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	enum wg_log_level l;
	size_t i;

	for (i = 0; i < 4; i++) {
		cr_assert_eq(wg_log_level_parse(names[i], &l), 0);
		cr_assert_str_eq(wg_log_level_name(l), names[i]);
	}
	cr_assert_eq(wg_log_level_parse("verbose", &l), -1);
	cr_assert_eq(wg_log_level_parse("", &l), -1);
	cr_assert_eq(wg_log_level_parse("INFO", &l), -1);
}

Test(log, a_line_names_the_interface_and_level, .fini = done)
{
	capture("wge0", WG_LOG_INFO, false);
	wg_log(WG_LOG_WARNING, "peer %u expired", 7u);
	cr_assert_str_eq(captured(), "wgedge[wge0]: warning: peer 7 expired\n");
}

Test(log, before_the_configuration_there_is_no_interface, .fini = done)
{
	capture(NULL, WG_LOG_INFO, false);
	wg_log(WG_LOG_ERR, "no such file");
	cr_assert_str_eq(captured(), "wgedge: error: no such file\n");
}

Test(log, the_journal_gets_syslog_priorities, .fini = done)
{
	capture("wge0", WG_LOG_DEBUG, true);
	wg_log(WG_LOG_ERR, "a");
	wg_log(WG_LOG_WARNING, "b");
	wg_log(WG_LOG_INFO, "c");
	wg_log(WG_LOG_DEBUG, "d");
	cr_assert_str_eq(captured(), "<3>wgedge[wge0]: a\n<4>wgedge[wge0]: b\n"
				     "<6>wgedge[wge0]: c\n<7>wgedge[wge0]: d\n");
}

Test(log, lines_below_the_level_are_dropped, .fini = done)
{
	capture("wge0", WG_LOG_WARNING, false);
	wg_log(WG_LOG_INFO, "not shown");
	wg_log(WG_LOG_DEBUG, "not shown either");
	wg_log(WG_LOG_ERR, "shown");
	cr_assert_str_eq(captured(), "wgedge[wge0]: error: shown\n");
	cr_assert(!wg_log_enabled(WG_LOG_DEBUG));
	cr_assert(wg_log_enabled(WG_LOG_WARNING));
}

Test(log, an_event_is_one_line_whatever_its_text, .fini = done)
{
	capture("wge0", WG_LOG_INFO, false);
	wg_log(WG_LOG_INFO, "two\nlines\n");
	cr_assert_str_eq(captured(), "wgedge[wge0]: info: two lines \n");
}
