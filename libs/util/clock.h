/* SPDX-License-Identifier: MIT */
/* Clocks: wall time for records, monotonic time for timeouts. */
#ifndef TD_UTIL_CLOCK_H
#define TD_UTIL_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* td_wall_us: microseconds since the Unix epoch (CLOCK_REALTIME). */
static inline int64_t
td_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* td_mono_us: microseconds on CLOCK_MONOTONIC; only differences mean anything. */
static inline int64_t
td_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static inline int64_t
td_mono_ms(void)
{
	return (td_mono_us() / 1000);
}

/*
 * Timed waits on condition variables run on CLOCK_MONOTONIC, so that a step
 * of the wall clock (NTP, an operator) neither cuts a wait short nor
 * stretches it: td_cond_init_mono makes such a condition variable, and
 * td_mono_deadline the absolute time, ms from now, for
 * pthread_cond_timedwait on it.
 */
void td_cond_init_mono(pthread_cond_t *cv);
void td_mono_deadline(struct timespec *ts, int64_t ms);

/* td_sleep_ms sleeps, restarting after signals, for ms milliseconds. */
void td_sleep_ms(int64_t ms);

/*
 * td_fmt_rfc3339 writes "2026-11-21T18:40:00.123456Z" for a time in µs
 * since the epoch into out (at least 32 bytes).  Returns out.
 */
char *td_fmt_rfc3339(int64_t us, char *out, size_t len);

/*
 * td_parse_time accepts RFC 3339 ("2026-11-21T18:40:00Z",
 * "2026-11-21T18:40:00.5+02:00", "2026-11-21 18:40:00"), a date
 * ("2026-11-21", midnight UTC) or integer epoch seconds.  0 on success.
 */
int td_parse_time(const char *s, int64_t *us);

#endif
