/* SPDX-License-Identifier: MIT */
/* Time helpers: sleeping, monotonic deadlines, RFC 3339 formatting/parsing. */
#include "util/clock.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

void
td_sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

char *
td_fmt_rfc3339(int64_t us, char *out, size_t len)
{
	time_t secs = (time_t)(us / 1000000);
	long frac = (long)(us % 1000000);
	if (frac < 0) {
		frac += 1000000;
		secs -= 1;
	}
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
	    tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	return (out);
}

/* days_in_month: 28..31 for month mo (1..12) of year y (proleptic Gregorian). */
static int
days_in_month(int y, int mo)
{
	static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return (mo == 2 && leap ? 29 : dm[mo - 1]);
}

static int
digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p)) {
			return (TD_EINVAL);
		}
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return (TD_OK);
}

int
td_parse_time(const char *s, int64_t *us)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, se = 0;
	long frac_us = 0;
	long offset_s = 0;

	if (s == NULL || *s == '\0') {
		return (TD_EINVAL);
	}
	/* Pure integer: epoch seconds. */
	if (strspn(s, "0123456789") == strlen(s)) {
		errno = 0;
		char *end;
		long long v = strtoll(s, &end, 10);
		if (errno != 0 || v > 253402300799LL) {
			return (TD_EINVAL);
		}
		*us = (int64_t)v * 1000000;
		return (TD_OK);
	}
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d)) {
		return (TD_EINVAL);
	}
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
		    digits(&p, 2, &se)) {
			return (TD_EINVAL);
		}
		if (*p == '.') {
			p++;
			int n = 0;
			while (isdigit((unsigned char)*p)) {
				if (n < 6) {
					frac_us = frac_us * 10 + (*p - '0');
				}
				n++;
				p++;
			}
			if (n == 0) {
				return (TD_EINVAL);
			}
			for (; n < 6; n++) {
				frac_us *= 10;
			}
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om;
			p++;
			if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 ||
			    om > 59) {
				return (TD_EINVAL);
			}
			offset_s = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 60) {
		return (TD_EINVAL);
	}
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
	    .tm_min = mi, .tm_sec = se};
	time_t t = timegm(&tm);
	*us = ((int64_t)t - offset_s) * 1000000 + frac_us;
	return (TD_OK);
}

void
td_cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
}

void
td_mono_deadline(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
