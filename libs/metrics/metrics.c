/* SPDX-License-Identifier: MIT */
/* Process-wide metrics registry and Prometheus text rendering. */
#include "metrics/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/mem.h"

typedef enum kind { K_COUNTER, K_GAUGE, K_GAUGE_FN, K_HISTOGRAM } kind;

struct td_histogram {
	size_t n;                  /* bounds, not counting +Inf */
	double *bounds;
	_Atomic uint64_t *buckets; /* n + 1, not cumulative */
	_Atomic uint64_t count;
	_Atomic uint64_t sum_bits; /* double */
};

typedef struct series {
	struct series *next;
	char *labels; /* may be "" */
	union {
		td_counter c;
		td_gauge g;
		td_histogram h;
		struct {
			double (*fn)(void *);
			void *arg;
		} f;
	} u;
} series;

typedef struct family {
	struct family *next;
	char *name, *help;
	kind k;
	series *head, *tail;
} family;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static family *g_head, *g_tail;

const double td_metrics_latency_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const size_t td_metrics_latency_nbuckets = TD_ARRAY_LEN(td_metrics_latency_buckets);

static const char *const kind_names[] = {"counter", "gauge", "gauge_fn", "histogram"};

/*
 * get_series finds or creates name{labels}; caller holds g_lock.  A name
 * already registered as another kind is a programmer error (the series'
 * storage would be read as the wrong type): abort, naming it.
 */
static series *
get_series(const char *name, const char *help, kind k, const char *labels, bool *created)
{
	family *f;
	for (f = g_head; f != NULL; f = f->next) {
		if (strcmp(f->name, name) == 0) {
			break;
		}
	}
	if (f != NULL && f->k != k) {
		fprintf(stderr, "metrics: %s registered as a %s, then asked for as a %s\n", name,
		    kind_names[f->k], kind_names[k]);
		abort();
	}
	if (f == NULL) {
		f = TD_NEW(family);
		f->name = td_xstrdup(name);
		f->help = td_xstrdup(help ? help : "");
		f->k = k;
		if (g_tail) {
			g_tail->next = f;
		} else {
			g_head = f;
		}
		g_tail = f;
	}
	if (labels == NULL) {
		labels = "";
	}
	for (series *s = f->head; s != NULL; s = s->next) {
		if (strcmp(s->labels, labels) == 0) {
			*created = false;
			return (s);
		}
	}
	series *s = TD_NEW(series);
	s->labels = td_xstrdup(labels);
	if (f->tail) {
		f->tail->next = s;
	} else {
		f->head = s;
	}
	f->tail = s;
	*created = true;
	return (s);
}

td_counter *
td_metrics_counter(const char *name, const char *help, const char *labels)
{
	bool created;
	pthread_mutex_lock(&g_lock);
	series *s = get_series(name, help, K_COUNTER, labels, &created);
	pthread_mutex_unlock(&g_lock);
	return (&s->u.c);
}

td_gauge *
td_metrics_gauge(const char *name, const char *help, const char *labels)
{
	bool created;
	pthread_mutex_lock(&g_lock);
	series *s = get_series(name, help, K_GAUGE, labels, &created);
	pthread_mutex_unlock(&g_lock);
	return (&s->u.g);
}

void
td_metrics_gauge_fn(const char *name, const char *help, const char *labels,
    double (*fn)(void *arg), void *arg)
{
	bool created;
	pthread_mutex_lock(&g_lock);
	series *s = get_series(name, help, K_GAUGE_FN, labels, &created);
	s->u.f.fn = fn;
	s->u.f.arg = arg;
	pthread_mutex_unlock(&g_lock);
}

td_histogram *
td_metrics_histogram(const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds)
{
	bool created;
	pthread_mutex_lock(&g_lock);
	series *s = get_series(name, help, K_HISTOGRAM, labels, &created);
	if (created) {
		td_histogram *h = &s->u.h;
		h->n = nbounds;
		h->bounds = td_xcalloc(nbounds + 1, sizeof(double));
		memcpy(h->bounds, bounds, nbounds * sizeof(double));
		h->buckets = td_xcalloc(nbounds + 1, sizeof(*h->buckets));
	}
	pthread_mutex_unlock(&g_lock);
	return (&s->u.h);
}

static void
atomic_add_double(_Atomic uint64_t *bits, double d)
{
	uint64_t old = atomic_load_explicit(bits, memory_order_relaxed), nw;
	do {
		double v;
		memcpy(&v, &old, sizeof(v));
		v += d;
		memcpy(&nw, &v, sizeof(nw));
	} while (!atomic_compare_exchange_weak_explicit(bits, &old, nw, memory_order_relaxed,
	    memory_order_relaxed));
}

void
td_gauge_add(td_gauge *g, double d)
{
	atomic_add_double(&g->bits, d);
}

void
td_histogram_observe(td_histogram *h, double v)
{
	size_t i = 0;
	while (i < h->n && v > h->bounds[i]) {
		i++;
	}
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	atomic_add_double(&h->sum_bits, v);
}

uint64_t
td_histogram_count(const td_histogram *h)
{
	return (atomic_load_explicit(&h->count, memory_order_relaxed));
}

double
td_histogram_quantile(const td_histogram *h, double q)
{
	uint64_t total = 0;
	for (size_t i = 0; i <= h->n; i++) {
		total += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
	}
	if (total == 0) {
		return (NAN);
	}
	double rank = q * (double)total, cum = 0;
	for (size_t i = 0; i <= h->n; i++) {
		double c = (double)atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
		if (cum + c >= rank && c > 0) {
			if (i == h->n) {
				return (h->n ? h->bounds[h->n - 1] : NAN);
			}
			double lo = i ? h->bounds[i - 1] : 0, hi = h->bounds[i];
			return (lo + (hi - lo) * ((rank - cum) / c));
		}
		cum += c;
	}
	return (h->n ? h->bounds[h->n - 1] : NAN);
}

/*
 * fmt_value writes v so that it parses back to the same double: integers
 * below 1e15 in full, others with the fewest of 15..17 significant digits
 * that round-trip (%.9g lost digits: 1234567890123456 became 1.23456789e+15,
 * and bucket bounds 0.1234567891 and 0.1234567892 got the same le).
 */
static void
fmt_value(char *out, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(out, len, "NaN");
	} else if (isinf(v)) {
		snprintf(out, len, "%s", v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, len, "%.0f", v);
	} else {
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(out, len, "%.*g", prec, v);
			if (strtod(out, NULL) == v) {
				break;
			}
		}
	}
}

static void
put_value(td_buf *out, double v)
{
	char tmp[40];
	fmt_value(tmp, sizeof(tmp), v);
	td_buf_puts(out, tmp);
}

/* put_help writes a HELP text with '\\' and newlines escaped, as 0.0.4 requires. */
static void
put_help(td_buf *out, const char *help)
{
	for (const char *p = help; *p; p++) {
		if (*p == '\\') {
			td_buf_puts(out, "\\\\");
		} else if (*p == '\n') {
			td_buf_puts(out, "\\n");
		} else {
			td_buf_putc(out, *p);
		}
	}
}

static void
put_series_name(td_buf *out, const char *name, const char *suffix, const char *labels,
    const char *extra)
{
	td_buf_printf(out, "%s%s", name, suffix);
	bool hl = labels[0] != '\0', he = extra != NULL;
	if (hl || he) {
		td_buf_printf(out, "{%s%s%s}", labels, hl && he ? "," : "", he ? extra : "");
	}
	td_buf_putc(out, ' ');
}

void
td_metrics_render(td_buf *out)
{
	static const char *types[] = {"counter", "gauge", "gauge", "histogram"};
	pthread_mutex_lock(&g_lock);
	for (family *f = g_head; f != NULL; f = f->next) {
		td_buf_printf(out, "# HELP %s ", f->name);
		put_help(out, f->help);
		td_buf_printf(out, "\n# TYPE %s %s\n", f->name, types[f->k]);
		for (series *s = f->head; s != NULL; s = s->next) {
			switch (f->k) {
			case K_COUNTER:
				put_series_name(out, f->name, "", s->labels, NULL);
				td_buf_printf(out, "%llu\n", (unsigned long long)td_counter_get(&s->u.c));
				break;
			case K_GAUGE:
				put_series_name(out, f->name, "", s->labels, NULL);
				put_value(out, td_gauge_get(&s->u.g));
				td_buf_putc(out, '\n');
				break;
			case K_GAUGE_FN:
				put_series_name(out, f->name, "", s->labels, NULL);
				put_value(out, s->u.f.fn(s->u.f.arg));
				td_buf_putc(out, '\n');
				break;
			case K_HISTOGRAM: {
				td_histogram *h = &s->u.h;
				uint64_t cum = 0;
				char le[64], num[40];
				for (size_t i = 0; i <= h->n; i++) {
					cum += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
					if (i < h->n) {
						fmt_value(num, sizeof(num), h->bounds[i]);
						snprintf(le, sizeof(le), "le=\"%s\"", num);
					} else {
						snprintf(le, sizeof(le), "le=\"+Inf\"");
					}
					put_series_name(out, f->name, "_bucket", s->labels, le);
					td_buf_printf(out, "%llu\n", (unsigned long long)cum);
				}
				uint64_t sb = atomic_load_explicit(&h->sum_bits, memory_order_relaxed);
				double sum;
				memcpy(&sum, &sb, sizeof(sum));
				put_series_name(out, f->name, "_sum", s->labels, NULL);
				put_value(out, sum);
				td_buf_putc(out, '\n');
				put_series_name(out, f->name, "_count", s->labels, NULL);
				td_buf_printf(out, "%llu\n", (unsigned long long)cum);
				break;
			}
			}
		}
	}
	pthread_mutex_unlock(&g_lock);
}

void
td_metrics_label_escape(const char *v, char *out, size_t len)
{
	size_t o = 0;
	for (; *v && o + 3 < len; v++) {
		if (*v == '\\' || *v == '"') {
			out[o++] = '\\';
			out[o++] = *v;
		} else if (*v == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else {
			out[o++] = *v;
		}
	}
	out[o] = '\0';
}

void
td_metrics_reset(void)
{
	pthread_mutex_lock(&g_lock);
	family *f = g_head;
	while (f != NULL) {
		family *fn = f->next;
		series *s = f->head;
		while (s != NULL) {
			series *sn = s->next;
			if (f->k == K_HISTOGRAM) {
				free(s->u.h.bounds);
				free((void *)s->u.h.buckets);
			}
			free(s->labels);
			free(s);
			s = sn;
		}
		free(f->name);
		free(f->help);
		free(f);
		f = fn;
	}
	g_head = g_tail = NULL;
	pthread_mutex_unlock(&g_lock);
}
