/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the metrics registry: exact Prometheus text (format
 * 0.0.4) for every kind, a format checker run over every rendering, value
 * formatting, label and HELP escaping, quantiles, and exact sums under
 * concurrent updates.  The registry is reset before each test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics/metrics.h"

/* ---- a checker for the text format ----------------------------------------------- */

static bool
is_name(const char *s, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' || s[0] == ':')) {
		return (false);
	}
	for (size_t i = 1; i < n; i++) {
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == ':')) {
			return (false);
		}
	}
	return (true);
}

static bool
parse_value(const char *s, double *v)
{
	if (strcmp(s, "NaN") == 0) {
		*v = NAN;
		return (true);
	}
	if (strcmp(s, "+Inf") == 0 || strcmp(s, "-Inf") == 0) {
		*v = s[0] == '+' ? INFINITY : -INFINITY;
		return (true);
	}
	char *end;
	*v = strtod(s, &end);
	return (end != s && *end == '\0' && isfinite(*v));
}

/*
 * check_exposition validates text as Prometheus text format 0.0.4: HELP
 * and TYPE once per family and before its samples, samples of a family
 * together, well-formed names, labels and values; for histograms, le
 * ascending and ending in +Inf, cumulative counts, _count equal to the
 * +Inf bucket.  Fails the test with the offending line.
 */
static void
check_exposition(const char *text)
{
	char *copy = strdup(text);
	char fam[256] = "", type[32] = "";
	char seen[64][256];
	int nseen = 0;
	double last_le = -INFINITY, last_bucket = -1, inf_bucket = -1;
	assert_true(text[0] == '\0' || text[strlen(text) - 1] == '\n');
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0) {
			const char *n = line + 7;
			size_t nl = strcspn(n, " ");
			if (!is_name(n, nl)) {
				fail_msg("bad HELP name: %s", line);
			}
			for (int i = 0; i < nseen; i++) {
				if (strlen(seen[i]) == nl && strncmp(seen[i], n, nl) == 0) {
					fail_msg("family repeated: %s", line);
				}
			}
			snprintf(seen[nseen++], sizeof(seen[0]), "%.*s", (int)nl, n);
			snprintf(fam, sizeof(fam), "%.*s", (int)nl, n);
			type[0] = '\0';
			for (const char *h = n + nl; *h; h++) {
				if (*h == '\\' && h[1] != '\\' && h[1] != 'n') {
					fail_msg("bad escape in HELP: %s", line);
				}
				if (*h == '\\') {
					h++;
				}
			}
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			char n[256], t[32];
			if (sscanf(line + 7, "%255s %31s", n, t) != 2 || strcmp(n, fam) != 0
			    || type[0] != '\0') {
				fail_msg("TYPE not right after its HELP: %s", line);
			}
			if (strcmp(t, "counter") && strcmp(t, "gauge") && strcmp(t, "histogram")) {
				fail_msg("bad type: %s", line);
			}
			snprintf(type, sizeof(type), "%s", t);
			last_le = -INFINITY;
			last_bucket = -1;
			continue;
		}
		assert_true(line[0] != '#');
		/* name{labels} value */
		size_t nl = strcspn(line, "{ ");
		if (!is_name(line, nl) || type[0] == '\0') {
			fail_msg("bad sample name or no TYPE: %s", line);
		}
		char suffix[32] = "";
		if (strncmp(line, fam, strlen(fam)) != 0) {
			fail_msg("sample outside its family %s: %s", fam, line);
		}
		snprintf(
		    suffix, sizeof(suffix), "%.*s", (int)(nl - strlen(fam)), line + strlen(fam));
		if (strcmp(type, "histogram") == 0) {
			if (strcmp(suffix, "_bucket") && strcmp(suffix, "_sum")
			    && strcmp(suffix, "_count")) {
				fail_msg("bad histogram sample: %s", line);
			}
		} else if (suffix[0] != '\0') {
			fail_msg("sample name differs from family: %s", line);
		}
		const char *p = line + nl;
		char le[64] = "";
		if (*p == '{') {
			p++;
			while (*p != '}') {
				size_t kl = strcspn(p, "=");
				if (!is_name(p, kl) || p[kl + 1] != '"') {
					fail_msg("bad label: %s", line);
				}
				bool is_le = kl == 2 && strncmp(p, "le", 2) == 0;
				p += kl + 2;
				size_t o = 0;
				while (*p != '"') {
					if (*p == '\0') {
						fail_msg("unterminated label value: %s", line);
					}
					if (*p == '\\') {
						if (p[1] != '\\' && p[1] != '"' && p[1] != 'n') {
							fail_msg("bad escape in label: %s", line);
						}
						p++;
					}
					if (is_le && o < sizeof(le) - 1) {
						le[o++] = *p;
					}
					p++;
				}
				p++;
				if (*p == ',') {
					p++;
				} else if (*p != '}') {
					fail_msg("bad label separator: %s", line);
				}
			}
			p++;
		}
		if (*p != ' ') {
			fail_msg("no space before value: %s", line);
		}
		double v;
		if (!parse_value(p + 1, &v)) {
			fail_msg("bad value: %s", line);
		}
		if (strcmp(suffix, "_bucket") == 0) {
			double lv = 0;
			if (le[0] == '\0' || !parse_value(le, &lv) || lv <= last_le
			    || v < last_bucket) {
				fail_msg("bad bucket order or count: %s", line);
			}
			last_le = lv;
			last_bucket = v;
			if (isinf(lv)) {
				inf_bucket = v;
				last_le = -INFINITY;
				last_bucket = -1;
			}
		} else if (strcmp(suffix, "_count") == 0 && v != inf_bucket) {
			fail_msg("_count differs from the +Inf bucket: %s", line);
		}
	}
	free(copy);
}

static char *
render(void)
{
	td_buf b = TD_BUF_INIT;
	td_metrics_render(&b);
	assert_false(td_buf_failed(&b));
	char *s = td_buf_steal(&b, NULL);
	check_exposition(s);
	return (s);
}

static int
reset(void **state)
{
	(void)state;
	td_metrics_reset();
	return (0);
}

/* ---- tests --------------------------------------------------------------------------- */

static void
test_counter(void **state)
{
	(void)state;
	td_counter *a = td_metrics_counter("tandem_cdrs_total", "CDRs accepted", NULL);
	td_counter *b = td_metrics_counter("tandem_cdrs_total", "ignored", "");
	assert_ptr_equal(a, b); /* NULL and "" are the same (no labels) */
	td_counter_inc(a);
	td_counter_add(b, 41);
	assert_int_equal(td_counter_get(a), 42);
	td_counter *c = td_metrics_counter("tandem_cdrs_total", NULL, "source=\"http\"");
	assert_ptr_not_equal(a, c);
	td_counter_add(c, 7);
	assert_ptr_equal(td_metrics_counter("tandem_cdrs_total", NULL, "source=\"http\""), c);
	td_counter *big = td_metrics_counter("tandem_big_total", "wraps at 2^64", NULL);
	td_counter_add(big, UINT64_MAX);
	char *s = render();
	assert_string_equal(s,
	    "# HELP tandem_cdrs_total CDRs accepted\n"
	    "# TYPE tandem_cdrs_total counter\n"
	    "tandem_cdrs_total 42\n"
	    "tandem_cdrs_total{source=\"http\"} 7\n"
	    "# HELP tandem_big_total wraps at 2^64\n"
	    "# TYPE tandem_big_total counter\n"
	    "tandem_big_total 18446744073709551615\n");
	free(s);
}

static void
test_gauge_values(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *out;
	} cases[] = {
		{ 0, "0" },
		{ 1.5, "1.5" },
		{ -2, "-2" },
		{ 0.1, "0.1" },
		{ 1e-9, "1e-09" },
		{ 123456.789, "123456.789" },
		{ 1234567890123456.0, "1234567890123456" },
		{ 9007199254740992.0, "9007199254740992" },
		{ 1e20, "1e+20" },
		{ 12345678901234567890.0, "1.2345678901234567e+19" },
		{ 0.30000000000000004, "0.30000000000000004" },
		{ 1.0 / 3.0, "0.3333333333333333" },
		{ NAN, "NaN" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		td_metrics_reset();
		td_gauge *g = td_metrics_gauge("tandem_g", "g", NULL);
		td_gauge_set(g, cases[i].v);
		char *s = render();
		char want[128];
		snprintf(want, sizeof(want),
		    "# HELP tandem_g g\n# TYPE tandem_g gauge\ntandem_g %s\n", cases[i].out);
		if (strcmp(s, want) != 0) {
			fail_msg("%.17g rendered as %s", cases[i].v, s);
		}
		free(s);
	}
	/* Every finite value rendered parses back to itself. */
	srand(7);
	for (int i = 0; i < 2000; i++) {
		td_metrics_reset();
		double v = (double)rand() / RAND_MAX * pow(10, (i % 40) - 20) * (i % 3 ? 1 : -1);
		td_gauge_set(td_metrics_gauge("tandem_g", "g", NULL), v);
		char *s = render();
		char *val = strrchr(s, ' ') + 1;
		val[strlen(val) - 1] = '\0';
		double back;
		assert_true(parse_value(val, &back));
		if (back != v) {
			fail_msg("%.17g rendered as %s", v, val);
		}
		free(s);
	}
}

static double
fn_value(void *arg)
{
	return (*(double *)arg);
}

static void
test_gauge_add_and_fn(void **state)
{
	(void)state;
	td_gauge *g = td_metrics_gauge("tandem_queue_depth", "items", "queue=\"cdr\"");
	td_gauge_add(g, 5);
	td_gauge_add(g, -1.5);
	assert_true(td_gauge_get(g) == 3.5);
	double val = 7.25;
	td_metrics_gauge_fn("tandem_fn", "computed", "k=\"v\"", fn_value, &val);
	char *s = render();
	assert_string_equal(s,
	    "# HELP tandem_queue_depth items\n"
	    "# TYPE tandem_queue_depth gauge\n"
	    "tandem_queue_depth{queue=\"cdr\"} 3.5\n"
	    "# HELP tandem_fn computed\n"
	    "# TYPE tandem_fn gauge\n"
	    "tandem_fn{k=\"v\"} 7.25\n");
	free(s);
	val = -1; /* computed at render time */
	s = render();
	assert_non_null(strstr(s, "tandem_fn{k=\"v\"} -1\n"));
	free(s);
	/* Registering the same series again replaces the function. */
	double other = 2;
	td_metrics_gauge_fn("tandem_fn", "computed", "k=\"v\"", fn_value, &other);
	s = render();
	assert_non_null(strstr(s, "tandem_fn{k=\"v\"} 2\n"));
	free(s);
}

static void
test_histogram(void **state)
{
	(void)state;
	static const double bounds[] = { 0.1, 0.5, 1 };
	td_histogram *h = td_metrics_histogram(
	    "tandem_req_seconds", "request time", "method=\"INVITE\"", bounds, 3);
	assert_ptr_equal(
	    td_metrics_histogram("tandem_req_seconds", NULL, "method=\"INVITE\"", bounds, 3), h);
	td_histogram *u = td_metrics_histogram("tandem_req_seconds", NULL, NULL, bounds, 3);
	assert_ptr_not_equal(u, h);
	static const double obs[] = { 0.05, 0.1, 0.3, 0.7, 2, 0.5 };
	for (size_t i = 0; i < TD_ARRAY_LEN(obs); i++) {
		td_histogram_observe(h, obs[i]);
	}
	assert_int_equal(td_histogram_count(h), 6);
	char *s = render();
	assert_string_equal(s,
	    "# HELP tandem_req_seconds request time\n"
	    "# TYPE tandem_req_seconds histogram\n"
	    "tandem_req_seconds_bucket{method=\"INVITE\",le=\"0.1\"} 2\n"
	    "tandem_req_seconds_bucket{method=\"INVITE\",le=\"0.5\"} 4\n"
	    "tandem_req_seconds_bucket{method=\"INVITE\",le=\"1\"} 5\n"
	    "tandem_req_seconds_bucket{method=\"INVITE\",le=\"+Inf\"} 6\n"
	    "tandem_req_seconds_sum{method=\"INVITE\"} 3.65\n"
	    "tandem_req_seconds_count{method=\"INVITE\"} 6\n"
	    "tandem_req_seconds_bucket{le=\"0.1\"} 0\n"
	    "tandem_req_seconds_bucket{le=\"0.5\"} 0\n"
	    "tandem_req_seconds_bucket{le=\"1\"} 0\n"
	    "tandem_req_seconds_bucket{le=\"+Inf\"} 0\n"
	    "tandem_req_seconds_sum 0\n"
	    "tandem_req_seconds_count 0\n");
	free(s);
}

/* Bounds that differ only past the 9th digit must stay distinct buckets. */
static void
test_histogram_close_bounds(void **state)
{
	(void)state;
	static const double bounds[] = { 0.1234567891, 0.1234567892, 1e-10, 2.5e12 };
	td_histogram *h = td_metrics_histogram("tandem_close", "close", NULL, bounds, 2);
	td_histogram_observe(h, 0.12345678915);
	char *s = render();
	assert_string_equal(s,
	    "# HELP tandem_close close\n"
	    "# TYPE tandem_close histogram\n"
	    "tandem_close_bucket{le=\"0.1234567891\"} 0\n"
	    "tandem_close_bucket{le=\"0.1234567892\"} 1\n"
	    "tandem_close_bucket{le=\"+Inf\"} 1\n"
	    "tandem_close_sum 0.12345678915\n"
	    "tandem_close_count 1\n");
	free(s);
	td_metrics_reset();
	td_metrics_histogram("tandem_wide", "wide", NULL, bounds + 2, 2);
	s = render();
	assert_non_null(strstr(s, "tandem_wide_bucket{le=\"1e-10\"} 0\n"));
	assert_non_null(strstr(s, "tandem_wide_bucket{le=\"2500000000000\"} 0\n"));
	free(s);
}

static void
test_latency_buckets(void **state)
{
	(void)state;
	td_histogram *h = td_metrics_histogram("tandem_lat_seconds", "latency", NULL,
	    td_metrics_latency_buckets, td_metrics_latency_nbuckets);
	assert_int_equal(td_metrics_latency_nbuckets, 14);
	for (size_t i = 1; i < td_metrics_latency_nbuckets; i++) {
		assert_true(td_metrics_latency_buckets[i] > td_metrics_latency_buckets[i - 1]);
	}
	td_histogram_observe(h, 0.0005);
	td_histogram_observe(h, 0.0007);
	td_histogram_observe(h, 11);
	char *s = render();
	assert_non_null(strstr(s, "tandem_lat_seconds_bucket{le=\"0.0005\"} 1\n"));
	assert_non_null(strstr(s, "tandem_lat_seconds_bucket{le=\"0.001\"} 2\n"));
	assert_non_null(strstr(s, "tandem_lat_seconds_bucket{le=\"10\"} 2\n"));
	assert_non_null(strstr(s, "tandem_lat_seconds_bucket{le=\"+Inf\"} 3\n"));
	assert_non_null(strstr(s, "tandem_lat_seconds_count 3\n"));
	free(s);
}

static void
test_quantile(void **state)
{
	(void)state;
	double bounds[10];
	for (int i = 0; i < 10; i++) {
		bounds[i] = 10 * (i + 1);
	}
	td_histogram *h = td_metrics_histogram("tandem_q", "q", NULL, bounds, 10);
	assert_true(isnan(td_histogram_quantile(h, 0.5))); /* no data */
	/* 1..100 uniformly: 10 per bucket; linear interpolation is exact here. */
	for (int v = 1; v <= 100; v++) {
		td_histogram_observe(h, v);
	}
	static const struct {
		double q, want;
	} qs[] = { { 0.5, 50 }, { 0.9, 90 }, { 0.95, 95 }, { 0.99, 99 }, { 0.25, 25 }, { 1, 100 },
		{ 0.01, 1 } };
	for (size_t i = 0; i < TD_ARRAY_LEN(qs); i++) {
		double got = td_histogram_quantile(h, qs[i].q);
		if (fabs(got - qs[i].want) > 1e-9) {
			fail_msg("q%.2f = %g, want %g", qs[i].q, got, qs[i].want);
		}
	}
	/* Beyond the last bound the estimate is the last bound. */
	for (int i = 0; i < 1000; i++) {
		td_histogram_observe(h, 500);
	}
	assert_true(td_histogram_quantile(h, 0.99) == 100);
	/* Everything in one bucket: interpolates inside it. */
	td_histogram *one = td_metrics_histogram("tandem_q", "q", "x=\"1\"", bounds, 10);
	for (int i = 0; i < 4; i++) {
		td_histogram_observe(one, 35);
	}
	assert_true(td_histogram_quantile(one, 0.5) == 35);
	assert_true(td_histogram_quantile(one, 1) == 40);
}

static void
test_label_escape(void **state)
{
	(void)state;
	char out[64];
	td_metrics_label_escape("plain", out, sizeof(out));
	assert_string_equal(out, "plain");
	td_metrics_label_escape("a\"b\\c\nd", out, sizeof(out));
	assert_string_equal(out, "a\\\"b\\\\c\\nd");
	/* Too small: cut before an escape would be split, always terminated. */
	td_metrics_label_escape("ab\"cd", out, 5);
	assert_string_equal(out, "ab");
	td_metrics_label_escape("abcdef", out, 4);
	assert_string_equal(out, "a");
	td_metrics_label_escape("", out, 1);
	assert_string_equal(out, "");
	/* Escaped values render as valid exposition. */
	char labels[128], v[64];
	td_metrics_label_escape("sip:\"Bob\" <b@x>\n", v, sizeof(v));
	snprintf(labels, sizeof(labels), "peer=\"%s\"", v);
	td_counter_inc(td_metrics_counter("tandem_esc_total", "escaping", labels));
	char *s = render();
	assert_non_null(strstr(s, "tandem_esc_total{peer=\"sip:\\\"Bob\\\" <b@x>\\n\"} 1\n"));
	free(s);
}

static void
test_help_escape(void **state)
{
	(void)state;
	td_counter_inc(td_metrics_counter("tandem_h_total", "two\nlines and a \\ backslash", NULL));
	td_counter_inc(td_metrics_counter("tandem_empty_help_total", NULL, NULL));
	char *s = render();
	assert_string_equal(s,
	    "# HELP tandem_h_total two\\nlines and a \\\\ backslash\n"
	    "# TYPE tandem_h_total counter\n"
	    "tandem_h_total 1\n"
	    "# HELP tandem_empty_help_total \n"
	    "# TYPE tandem_empty_help_total counter\n"
	    "tandem_empty_help_total 1\n");
	free(s);
}

static void
test_reset(void **state)
{
	(void)state;
	td_counter_inc(td_metrics_counter("tandem_a_total", "a", NULL));
	static const double b[] = { 1 };
	td_histogram_observe(td_metrics_histogram("tandem_b", "b", NULL, b, 1), 1);
	td_metrics_reset();
	char *s = render();
	assert_string_equal(s, "");
	free(s);
	/* Fresh series start from zero. */
	td_counter *c = td_metrics_counter("tandem_a_total", "a", NULL);
	assert_int_equal(td_counter_get(c), 0);
}

/* A name registered as one kind and asked for as another is a programmer error. */
static void
test_kind_mismatch_aborts(void **state)
{
	(void)state;
	static const double b[] = { 1 };
	for (int k = 0; k < 3; k++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(2);
			td_counter_inc(td_metrics_counter("tandem_x", "x", NULL));
			if (k == 0) {
				td_histogram_observe(
				    td_metrics_histogram("tandem_x", "x", "a=\"b\"", b, 1), 1);
			} else if (k == 1) {
				td_gauge_set(td_metrics_gauge("tandem_x", "x", NULL), 1);
			} else {
				td_metrics_gauge_fn("tandem_x", "x", NULL, fn_value, NULL);
			}
			_exit(0);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGABRT);
	}
}

#define NTHREADS 4
#define NITER 100000

typedef struct hammer_arg {
	td_counter *c;
	td_gauge *g;
	td_histogram *h;
} hammer_arg;

static void *
hammer(void *arg)
{
	hammer_arg *a = arg;
	for (int i = 0; i < NITER; i++) {
		td_counter_inc(a->c);
		td_gauge_add(a->g, 1);
		td_histogram_observe(a->h, (double)(i % 4));
		/* Registration from several threads returns the same series. */
		if (i % 10000 == 0) {
			assert_ptr_equal(
			    td_metrics_counter("tandem_mt_total", "mt", "t=\"x\""), a->c);
		}
	}
	return (NULL);
}

static void
test_concurrent_updates(void **state)
{
	(void)state;
	static const double b[] = { 0.5, 1.5, 2.5 };
	hammer_arg a = {
		.c = td_metrics_counter("tandem_mt_total", "mt", "t=\"x\""),
		.g = td_metrics_gauge("tandem_mt_gauge", "mt", NULL),
		.h = td_metrics_histogram("tandem_mt_seconds", "mt", NULL, b, 3),
	};
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &a), 0);
	}
	for (int i = 0; i < 20; i++) { /* render while they run */
		free(render());
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
	}
	assert_int_equal(td_counter_get(a.c), NTHREADS * NITER);
	assert_true(td_gauge_get(a.g) == NTHREADS * NITER);
	assert_int_equal(td_histogram_count(a.h), NTHREADS * NITER);
	char *s = render();
	assert_non_null(strstr(s, "tandem_mt_total{t=\"x\"} 400000\n"));
	assert_non_null(strstr(s, "tandem_mt_gauge 400000\n"));
	assert_non_null(strstr(s, "tandem_mt_seconds_bucket{le=\"0.5\"} 100000\n"));
	assert_non_null(strstr(s, "tandem_mt_seconds_bucket{le=\"2.5\"} 300000\n"));
	assert_non_null(strstr(s, "tandem_mt_seconds_sum 600000\n"));
	assert_non_null(strstr(s, "tandem_mt_seconds_count 400000\n"));
	free(s);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, reset, reset)
	const struct CMUnitTest tests[] = {
		T(test_counter),
		T(test_gauge_values),
		T(test_gauge_add_and_fn),
		T(test_histogram),
		T(test_histogram_close_bounds),
		T(test_latency_buckets),
		T(test_quantile),
		T(test_label_escape),
		T(test_help_escape),
		T(test_reset),
		T(test_kind_mismatch_aborts),
		T(test_concurrent_updates),
	};
#undef T
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
