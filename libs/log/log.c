/* SPDX-License-Identifier: MIT */
/* Structured, level-filtered logging (see log.h). */
#include "log/log.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"

const char *const td_log_level_names[] = {"fatal", "error", "warn", "info", "debug", NULL};
const char *const td_log_format_names[] = {"logfmt", "json", NULL};

static _Atomic int g_level = TD_LOG_INFO;
static _Atomic int g_fd = 2;
static char g_svc[64] = "tandem";
static char g_node[64] = "";
static td_log_format g_format = TD_LOG_LOGFMT;

void
td_log_setup(const char *svc, const char *node, td_log_format fmt)
{
	snprintf(g_svc, sizeof(g_svc), "%s", svc ? svc : "tandem");
	snprintf(g_node, sizeof(g_node), "%s", node ? node : "");
	g_format = fmt;
}

void
td_log_set_level(td_log_level lvl)
{
	atomic_store(&g_level, (int)lvl);
}

td_log_level
td_log_get_level(void)
{
	return ((td_log_level)atomic_load_explicit(&g_level, memory_order_relaxed));
}

void
td_log_set_fd(int fd)
{
	atomic_store(&g_fd, fd);
}

int
td_log_level_parse(const char *s, td_log_level *out)
{
	for (int i = 0; td_log_level_names[i] != NULL; i++) {
		if (strcasecmp(s, td_log_level_names[i]) == 0) {
			*out = (td_log_level)i;
			return (TD_OK);
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = TD_LOG_WARN;
		return (TD_OK);
	}
	return (TD_EINVAL);
}

/* put_quoted appends s as a quoted string valid in both logfmt and JSON. */
static void
put_quoted(td_buf *b, const char *s)
{
	td_buf_putc(b, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': td_buf_puts(b, "\\\""); break;
		case '\\': td_buf_puts(b, "\\\\"); break;
		case '\n': td_buf_puts(b, "\\n"); break;
		case '\r': td_buf_puts(b, "\\r"); break;
		case '\t': td_buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				td_buf_printf(b, "\\u%04x", *p);
			} else {
				td_buf_putc(b, (char)*p);
			}
		}
	}
	td_buf_putc(b, '"');
}

void
td_log_vwrite(td_log_level lvl, const char *id, const char *fmt, va_list ap)
{
	char ts[40];
	td_buf msg = TD_BUF_INIT, line = TD_BUF_INIT;

	td_buf_init(&msg, 64 * 1024);
	td_buf_init(&line, 80 * 1024);
	td_buf_vprintf(&msg, fmt, ap);
	if (td_buf_failed(&msg)) {
		td_buf_reset(&msg);
		td_buf_puts(&msg, "(log message too long)");
	}
	td_fmt_rfc3339(td_wall_us(), ts, sizeof(ts));
	const char *lname = td_log_level_names[lvl <= TD_LOG_DEBUG ? lvl : TD_LOG_DEBUG];

	if (g_format == TD_LOG_JSON) {
		td_buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"svc\":", ts, lname);
		put_quoted(&line, g_svc);
		if (g_node[0]) {
			td_buf_puts(&line, ",\"node\":");
			put_quoted(&line, g_node);
		}
		td_buf_puts(&line, ",\"id\":");
		put_quoted(&line, id);
		td_buf_puts(&line, ",\"msg\":");
		put_quoted(&line, msg.data ? msg.data : "");
		td_buf_puts(&line, "}\n");
	} else {
		td_buf_printf(&line, "ts=%s level=%s svc=%s", ts, lname, g_svc);
		if (g_node[0]) {
			td_buf_printf(&line, " node=%s", g_node);
		}
		td_buf_printf(&line, " id=%s msg=", id);
		put_quoted(&line, msg.data ? msg.data : "");
		td_buf_putc(&line, '\n');
	}
	if (!td_buf_failed(&line)) {
		ssize_t w = write(atomic_load(&g_fd), line.data, line.len);
		(void)w;
	}
	td_buf_free(&msg);
	td_buf_free(&line);
}

void
td_log_write(td_log_level lvl, const char *id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	td_log_vwrite(lvl, id, fmt, ap);
	va_end(ap);
}

void
td_die(const char *id, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	td_log_vwrite(TD_LOG_FATAL, id, fmt, ap);
	va_end(ap);
	exit(1);
}
