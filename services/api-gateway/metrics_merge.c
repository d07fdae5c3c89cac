/* SPDX-License-Identifier: MIT */
/* Merge several Prometheus expositions with a daemon label (see metrics_merge.h). */
#include "metrics_merge.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

typedef struct family {
	char *name;
	char *help, *type; /* whole lines, first seen wins */
	td_buf samples;
} family;

struct metrics_merge {
	family *f;
	size_t n, cap;
};

metrics_merge *
metrics_merge_new(void)
{
	return (TD_NEW(metrics_merge));
}

static family *
get_family(metrics_merge *m, const char *name, size_t len)
{
	for (size_t i = 0; i < m->n; i++) {
		if (strlen(m->f[i].name) == len && memcmp(m->f[i].name, name, len) == 0) {
			return (&m->f[i]);
		}
	}
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 64;
		m->f = td_xrealloc(m->f, m->cap * sizeof(family));
	}
	family *f = &m->f[m->n++];
	memset(f, 0, sizeof(*f));
	f->name = td_xstrndup(name, len);
	td_buf_init(&f->samples, 0);
	return (f);
}

/* family_of maps a sample name to its family (histogram/summary suffixes). */
static family *
family_of(metrics_merge *m, const char *name, size_t len)
{
	static const char *const sfx[] = {"_bucket", "_sum", "_count"};
	for (size_t i = 0; i < 3; i++) {
		size_t sl = strlen(sfx[i]);
		if (len > sl && memcmp(name + len - sl, sfx[i], sl) == 0) {
			for (size_t j = 0; j < m->n; j++) {
				family *f = &m->f[j];
				if (strlen(f->name) == len - sl && memcmp(f->name, name, len - sl) == 0 &&
				    f->type != NULL &&
				    (strstr(f->type, " histogram") || strstr(f->type, " summary"))) {
					return (f);
				}
			}
		}
	}
	return (get_family(m, name, len));
}

static void
add_line(metrics_merge *m, const char *daemon, const char *line, size_t len)
{
	if (len == 0) {
		return;
	}
	if (line[0] == '#') {
		/* "# HELP name text" / "# TYPE name type" */
		bool help = len > 7 && memcmp(line, "# HELP ", 7) == 0;
		bool type = len > 7 && memcmp(line, "# TYPE ", 7) == 0;
		if (!help && !type) {
			return;
		}
		const char *name = line + 7;
		size_t nl = strcspn(name, " \n");
		family *f = get_family(m, name, nl);
		char **dst = help ? &f->help : &f->type;
		if (*dst == NULL) {
			*dst = td_xstrndup(line, len);
		}
		return;
	}
	size_t nl = strcspn(line, "{ ");
	if (nl == 0 || nl >= len) {
		return;
	}
	const char *close = NULL;
	if (line[nl] == '{' && (close = memchr(line + nl, '}', len - nl)) == NULL) {
		return; /* unterminated label set: not a sample */
	}
	family *f = family_of(m, line, nl);
	td_buf *b = &f->samples;
	td_buf_append(b, line, nl);
	if (close != NULL) {
		td_buf_printf(b, "{daemon=\"%s\"", daemon);
		if (close > line + nl + 1) {
			td_buf_putc(b, ',');
		}
		td_buf_append(b, line + nl + 1, (size_t)(close - line - nl));
		td_buf_append(b, close + 1, len - (size_t)(close + 1 - line));
	} else {
		td_buf_printf(b, "{daemon=\"%s\"}", daemon);
		td_buf_append(b, line + nl, len - nl);
	}
	td_buf_putc(b, '\n');
}

void
metrics_merge_add(metrics_merge *m, const char *daemon, const char *text)
{
	const char *p = text;
	while (*p) {
		size_t len = strcspn(p, "\n");
		add_line(m, daemon, p, len);
		p += len;
		if (*p == '\n') {
			p++;
		}
	}
}

void
metrics_merge_render(const metrics_merge *m, td_buf *out)
{
	for (size_t i = 0; i < m->n; i++) {
		const family *f = &m->f[i];
		if (f->samples.len == 0) {
			continue;
		}
		if (f->help) {
			td_buf_printf(out, "%s\n", f->help);
		}
		if (f->type) {
			td_buf_printf(out, "%s\n", f->type);
		}
		td_buf_append(out, f->samples.data, f->samples.len);
	}
}

void
metrics_merge_free(metrics_merge *m)
{
	if (m == NULL) {
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		free(m->f[i].name);
		free(m->f[i].help);
		free(m->f[i].type);
		td_buf_free(&m->f[i].samples);
	}
	free(m->f);
	free(m);
}
