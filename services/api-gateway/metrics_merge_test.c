/* SPDX-License-Identifier: MIT */
/* Unit tests: merging expositions with a daemon label. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "metrics_merge.h"

static const char a[] = "# HELP tandem_x_total things\n"
                        "# TYPE tandem_x_total counter\n"
                        "tandem_x_total{kind=\"a\"} 3\n"
                        "tandem_x_total 4\n"
                        "# HELP tandem_lat_seconds latency\n"
                        "# TYPE tandem_lat_seconds histogram\n"
                        "tandem_lat_seconds_bucket{le=\"0.1\"} 1\n"
                        "tandem_lat_seconds_bucket{le=\"+Inf\"} 2\n"
                        "tandem_lat_seconds_sum 0.3\n"
                        "tandem_lat_seconds_count 2\n";
static const char b[] = "# HELP tandem_x_total things (b)\n"
                        "# TYPE tandem_x_total counter\n"
                        "tandem_x_total{kind=\"b\"} 5\n"
                        "# HELP tandem_y gauge only in b\n"
                        "# TYPE tandem_y gauge\n"
                        "tandem_y 1.5\n";

static void
test_merge(void **state)
{
	(void)state;
	metrics_merge *m = metrics_merge_new();
	metrics_merge_add(m, "one", a);
	metrics_merge_add(m, "two", b);
	td_buf out = TD_BUF_INIT;
	metrics_merge_render(m, &out);
	const char *want = "# HELP tandem_x_total things\n"
	                   "# TYPE tandem_x_total counter\n"
	                   "tandem_x_total{daemon=\"one\",kind=\"a\"} 3\n"
	                   "tandem_x_total{daemon=\"one\"} 4\n"
	                   "tandem_x_total{daemon=\"two\",kind=\"b\"} 5\n"
	                   "# HELP tandem_lat_seconds latency\n"
	                   "# TYPE tandem_lat_seconds histogram\n"
	                   "tandem_lat_seconds_bucket{daemon=\"one\",le=\"0.1\"} 1\n"
	                   "tandem_lat_seconds_bucket{daemon=\"one\",le=\"+Inf\"} 2\n"
	                   "tandem_lat_seconds_sum{daemon=\"one\"} 0.3\n"
	                   "tandem_lat_seconds_count{daemon=\"one\"} 2\n"
	                   "# HELP tandem_y gauge only in b\n"
	                   "# TYPE tandem_y gauge\n"
	                   "tandem_y{daemon=\"two\"} 1.5\n";
	assert_string_equal(out.data, want);
	td_buf_free(&out);
	metrics_merge_free(m);
}

static void
test_garbage_is_skipped(void **state)
{
	(void)state;
	metrics_merge *m = metrics_merge_new();
	metrics_merge_add(m, "x", "\n\n# random comment\n{bad} 1\nno_value_brace{a=\"1\" 2\nok 1\n");
	td_buf out = TD_BUF_INIT;
	metrics_merge_render(m, &out);
	assert_string_equal(out.data, "ok{daemon=\"x\"} 1\n");
	td_buf_free(&out);
	metrics_merge_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_garbage_is_skipped),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
