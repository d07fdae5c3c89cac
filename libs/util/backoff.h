/* SPDX-License-Identifier: MIT */
/*
 * Exponential backoff with full jitter, for reconnect loops.  Not
 * thread-safe: one td_backoff per connection owner.
 */
#ifndef TD_UTIL_BACKOFF_H
#define TD_UTIL_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

typedef struct td_backoff {
	int64_t min_ms;     /* first delay */
	int64_t max_ms;     /* cap */
	int64_t cur_ms;     /* current ceiling */
	int64_t next_at_ms; /* monotonic ms before which ready() is false */
	uint32_t failures;  /* consecutive failures */
	uint64_t rng;       /* xorshift state for jitter */
} td_backoff;

void td_backoff_init(td_backoff *b, int64_t min_ms, int64_t max_ms);
/* td_backoff_ready: true if an attempt may be made now. */
bool td_backoff_ready(const td_backoff *b);
/* td_backoff_fail records a failure and returns the delay chosen (ms). */
int64_t td_backoff_fail(td_backoff *b);
/* td_backoff_ok resets after a success. */
void td_backoff_ok(td_backoff *b);

#endif
