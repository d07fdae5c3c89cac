/* SPDX-License-Identifier: MIT */
/*
 * Structured logging to stderr, one line per event, written with a single
 * write(2) so lines from many threads never interleave.
 *
 *   LOG_INFO("CDRW-COMMIT", "committed %d rows in %.1f ms", n, ms);
 *
 * logfmt:  ts=2026-11-21T18:40:00.123456Z level=info svc=cdr-writer
 *          node=node1 id=CDRW-COMMIT msg="committed 100 rows in 3.1 ms"
 * json:    {"ts":"...","level":"info","svc":"cdr-writer","node":"node1",
 *           "id":"CDRW-COMMIT","msg":"committed 100 rows in 3.1 ms"}
 *
 * The id is a stable event name (SERVICE-EVENT) that alerting can match
 * on; the message is for humans.  The level check happens before any
 * formatting, so disabled debug lines cost one atomic load.
 *
 * The message is always quoted and escaped (quotes, backslashes, control
 * bytes; bytes that are not UTF-8 become U+FFFD), so a line is valid JSON
 * or logfmt whatever the message holds.  svc, node and id are quoted in
 * logfmt only when they need it.  A line is at most 80 KiB: a longer
 * message is cut and ends in "...(truncated)"; it is never dropped.
 */
#ifndef TD_LOG_LOG_H
#define TD_LOG_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "util/err.h"

typedef enum td_log_level {
	TD_LOG_FATAL = 0,
	TD_LOG_ERROR = 1,
	TD_LOG_WARN = 2,
	TD_LOG_INFO = 3,
	TD_LOG_DEBUG = 4,
} td_log_level;

typedef enum td_log_format {
	TD_LOG_LOGFMT = 0,
	TD_LOG_JSON = 1,
} td_log_format;

/* Accepted names, in td_log_level order: "fatal" ... "debug". */
extern const char *const td_log_level_names[];
extern const char *const td_log_format_names[];

/*
 * td_log_setup sets the service and node names that prefix every line
 * (copied) and the output format.  Call once, before threads start.
 */
void td_log_setup(const char *svc, const char *node, td_log_format fmt);
void td_log_set_level(td_log_level lvl);
td_log_level td_log_get_level(void);
/* td_log_level_parse: "debug" -> TD_LOG_DEBUG; 0 on success. */
int td_log_level_parse(const char *s, td_log_level *out) TD_MUSTCHECK;
/* td_log_set_fd redirects output (tests); default is 2 (stderr). */
void td_log_set_fd(int fd);

void td_log_write(td_log_level lvl, const char *id, const char *fmt, ...) TD_PRINTF(3, 4);
void td_log_vwrite(td_log_level lvl, const char *id, const char *fmt, va_list ap) TD_PRINTF(3, 0);

#define TD_LOG_AT(lvl, id, ...)                                                                \
	do {                                                                                   \
		if ((lvl) <= td_log_get_level()) {                                             \
			td_log_write((lvl), (id), __VA_ARGS__);                                \
		}                                                                              \
	} while (0)

#define LOG_ERROR(id, ...) TD_LOG_AT(TD_LOG_ERROR, id, __VA_ARGS__)
#define LOG_WARN(id, ...)  TD_LOG_AT(TD_LOG_WARN, id, __VA_ARGS__)
#define LOG_INFO(id, ...)  TD_LOG_AT(TD_LOG_INFO, id, __VA_ARGS__)
#define LOG_DEBUG(id, ...) TD_LOG_AT(TD_LOG_DEBUG, id, __VA_ARGS__)

/* td_die logs at fatal level and exits with status 1 (start-up errors only). */
_Noreturn void td_die(const char *id, const char *fmt, ...) TD_PRINTF(2, 3);

#endif
