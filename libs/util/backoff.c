/* SPDX-License-Identifier: MIT */
/* Exponential backoff with jitter. */
#include "util/backoff.h"

#include <unistd.h>

#include "util/clock.h"

void
td_backoff_init(td_backoff *b, int64_t min_ms, int64_t max_ms)
{
	b->min_ms = min_ms > 0 ? min_ms : 1;
	b->max_ms = max_ms >= b->min_ms ? max_ms : b->min_ms;
	b->cur_ms = b->min_ms;
	b->next_at_ms = 0;
	b->failures = 0;
	b->rng = (uint64_t)td_mono_us() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)b;
	if (b->rng == 0) {
		b->rng = 88172645463325252ULL;
	}
}

bool
td_backoff_ready(const td_backoff *b)
{
	return (td_mono_ms() >= b->next_at_ms);
}

int64_t
td_backoff_fail(td_backoff *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	/* Half fixed, half random: never zero, never in lock-step with peers. */
	int64_t half = b->cur_ms / 2;
	int64_t delay = half + (int64_t)(b->rng % (uint64_t)(half + 1));
	if (delay < 1) {
		delay = 1; /* cur_ms == 1: half is 0, and 0 would mean no backoff at all */
	}
	b->next_at_ms = td_mono_ms() + delay;
	b->failures++;
	b->cur_ms = b->cur_ms * 2 > b->max_ms ? b->max_ms : b->cur_ms * 2;
	return (delay);
}

void
td_backoff_ok(td_backoff *b)
{
	b->cur_ms = b->min_ms;
	b->next_at_ms = 0;
	b->failures = 0;
}
