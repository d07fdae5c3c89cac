/* SPDX-License-Identifier: MIT */
/*
 * Metrics in the Prometheus text exposition format (version 0.0.4).
 *
 * One process-wide registry.  Registering takes a lock and returns a stable
 * pointer (asking twice for the same name and labels returns the same
 * series), so hot paths look a series up once and then update it with a
 * single atomic operation.  Names follow the fleet convention: "tandem_"
 * prefix, base units (seconds, bytes), counters end in "_total".
 *
 * Labels are passed preformatted, e.g. "method=\"INVITE\",code=\"200\""; use
 * td_metrics_label_escape for values that come from outside.
 *
 * A name is one kind for the life of the registry: asking for it as
 * another kind (a counter, then a histogram) is a programmer error and
 * aborts.
 */
#ifndef TD_METRICS_METRICS_H
#define TD_METRICS_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/buf.h"

typedef struct td_counter {
	_Atomic uint64_t v;
} td_counter;

typedef struct td_gauge {
	_Atomic uint64_t bits; /* a double, stored as its bit pattern */
} td_gauge;

typedef struct td_histogram td_histogram;

td_counter *td_metrics_counter(const char *name, const char *help, const char *labels);
td_gauge *td_metrics_gauge(const char *name, const char *help, const char *labels);
/*
 * td_metrics_gauge_fn registers a gauge whose value is computed at render
 * time by fn(arg), from the rendering thread, with the registry locked:
 * fn must be thread-safe and must not register metrics.
 */
void td_metrics_gauge_fn(const char *name, const char *help, const char *labels,
    double (*fn)(void *arg), void *arg);
/* bounds: ascending upper bounds, +Inf is implicit.  Copied. */
td_histogram *td_metrics_histogram(const char *name, const char *help, const char *labels,
    const double *bounds, size_t nbounds);

static inline void
td_counter_add(td_counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(&c->v, n, memory_order_relaxed);
}

static inline void
td_counter_inc(td_counter *c)
{
	td_counter_add(c, 1);
}

static inline uint64_t
td_counter_get(const td_counter *c)
{
	return (atomic_load_explicit(&c->v, memory_order_relaxed));
}

static inline void
td_gauge_set(td_gauge *g, double v)
{
	uint64_t b;
	memcpy(&b, &v, sizeof(b));
	atomic_store_explicit(&g->bits, b, memory_order_relaxed);
}

static inline double
td_gauge_get(const td_gauge *g)
{
	uint64_t b = atomic_load_explicit(&g->bits, memory_order_relaxed);
	double v;
	memcpy(&v, &b, sizeof(v));
	return (v);
}

void td_gauge_add(td_gauge *g, double d);
void td_histogram_observe(td_histogram *h, double v);
/* td_histogram_quantile estimates a quantile (0..1) from the buckets. */
double td_histogram_quantile(const td_histogram *h, double q);
uint64_t td_histogram_count(const td_histogram *h);

/* td_metrics_render appends the whole registry in exposition format. */
void td_metrics_render(td_buf *out);

/* td_metrics_label_escape writes v escaped for a label value into out. */
void td_metrics_label_escape(const char *v, char *out, size_t len);

/* Latency buckets in seconds, 0.5 ms .. 10 s, for request-style timings. */
extern const double td_metrics_latency_buckets[];
extern const size_t td_metrics_latency_nbuckets;

/* td_metrics_reset drops every series (tests only: pointers become invalid). */
void td_metrics_reset(void);

#endif
