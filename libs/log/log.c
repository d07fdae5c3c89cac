/* SPDX-License-Identifier: MIT */
/* Structured, level-filtered logging (see log.h). */
#include "log/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/mem.h"

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

/*
 * Limits.  A message is formatted into at most MSG_MAX bytes; escaping can
 * grow it up to six-fold, so the quoted message is cut where the whole line
 * would pass LINE_MAX_BYTES, and "...(truncated)" marks the cut.  A line is never
 * dropped for being long.
 */
#define MSG_MAX (64 * 1024)
#define LINE_MAX_BYTES (80 * 1024)
#define TRUNC_MARK "...(truncated)"

/* Serialises writers, so lines never interleave whatever the fd is. */
static pthread_mutex_t g_write_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * utf8_len returns the length of the well-formed UTF-8 sequence at p (at
 * most n bytes available), or 0 if the bytes there are not one.
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		lo = p[0] == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
		hi = p[0] == 0xed ? 0x9f : 0xbf; /* no surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		lo = p[0] == 0xf0 ? 0x90 : 0x80;
		hi = p[0] == 0xf4 ? 0x8f : 0xbf;
	} else {
		return (0);
	}
	if (n < len || p[1] < lo || p[1] > hi) {
		return (0);
	}
	for (size_t i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf) {
			return (0);
		}
	}
	return (len);
}

/*
 * put_quoted appends s as a quoted string valid in both logfmt and JSON:
 * quotes, backslashes and control bytes escaped, bytes that are not UTF-8
 * replaced by U+FFFD.  If the line would grow past max bytes, the string
 * is cut; a cut (here, or earlier when cut is true) is marked with
 * TRUNC_MARK inside the quotes.
 */
static void
put_quoted(td_buf *b, const char *s, size_t max, bool cut)
{
	size_t n = strlen(s);
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	td_buf_putc(b, '"');
	while (p < end) {
		if (b->len + 8 + sizeof(TRUNC_MARK) > max) {
			cut = true;
			break;
		}
		switch (*p) {
		case '"': td_buf_puts(b, "\\\""); break;
		case '\\': td_buf_puts(b, "\\\\"); break;
		case '\n': td_buf_puts(b, "\\n"); break;
		case '\r': td_buf_puts(b, "\\r"); break;
		case '\t': td_buf_puts(b, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				td_buf_printf(b, "\\u%04x", *p);
			} else if (*p < 0x80) {
				td_buf_putc(b, (char)*p);
			} else {
				size_t l = utf8_len(p, (size_t)(end - p));
				if (l == 0) {
					td_buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD */
				} else {
					td_buf_append(b, p, l);
					p += l - 1;
				}
			}
		}
		p++;
	}
	if (cut) {
		td_buf_puts(b, TRUNC_MARK);
	}
	td_buf_putc(b, '"');
}

/* put_value appends a logfmt value, quoted only when it has to be. */
static void
put_value(td_buf *b, const char *s)
{
	bool plain = s[0] != '\0';
	for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++) {
		plain = *p > 0x20 && *p < 0x7f && *p != '"' && *p != '=' && *p != '\\';
	}
	if (plain) {
		td_buf_puts(b, s);
	} else {
		put_quoted(b, s, LINE_MAX_BYTES, false);
	}
}

/* write_all writes the whole line, retrying after signals and short writes. */
static void
write_all(const char *p, size_t n)
{
	int fd = atomic_load(&g_fd);
	pthread_mutex_lock(&g_write_lock);
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR) {
				continue;
			}
			break; /* nowhere to report it: the log is the report */
		}
		p += w;
		n -= (size_t)w;
	}
	pthread_mutex_unlock(&g_write_lock);
}

void
td_log_vwrite(td_log_level lvl, const char *id, const char *fmt, va_list ap)
{
	char ts[40];
	td_buf line = TD_BUF_INIT;
	char *msg = td_xmalloc(MSG_MAX);

	int n = vsnprintf(msg, MSG_MAX, fmt, ap);
	bool cut = n >= MSG_MAX;
	if (n < 0) {
		snprintf(msg, MSG_MAX, "(log message could not be formatted)");
	}
	td_fmt_rfc3339(td_wall_us(), ts, sizeof(ts));
	const char *lname = td_log_level_names[lvl <= TD_LOG_DEBUG ? lvl : TD_LOG_DEBUG];

	if (g_format == TD_LOG_JSON) {
		td_buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"svc\":", ts, lname);
		put_quoted(&line, g_svc, LINE_MAX_BYTES, false);
		if (g_node[0]) {
			td_buf_puts(&line, ",\"node\":");
			put_quoted(&line, g_node, LINE_MAX_BYTES, false);
		}
		td_buf_puts(&line, ",\"id\":");
		put_quoted(&line, id, LINE_MAX_BYTES / 2, false);
		td_buf_puts(&line, ",\"msg\":");
		put_quoted(&line, msg, LINE_MAX_BYTES - 4, cut);
		td_buf_puts(&line, "}\n");
	} else {
		td_buf_printf(&line, "ts=%s level=%s svc=", ts, lname);
		put_value(&line, g_svc);
		if (g_node[0]) {
			td_buf_puts(&line, " node=");
			put_value(&line, g_node);
		}
		td_buf_puts(&line, " id=");
		put_value(&line, id);
		td_buf_puts(&line, " msg=");
		put_quoted(&line, msg, LINE_MAX_BYTES - 4, cut);
		td_buf_putc(&line, '\n');
	}
	if (!td_buf_failed(&line)) {
		write_all(line.data, line.len);
	}
	free(msg);
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
