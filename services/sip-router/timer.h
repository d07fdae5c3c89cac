/* SPDX-License-Identifier: MIT */
/*
 * A hashed timing wheel, one per worker thread, touched only by its owner:
 * O(1) to arm, O(expired) per tick.  Resolution is one tick (TW_TICK_MS):
 * a timer fires no earlier than asked and at most two ticks late, provided
 * the owner advances the wheel before it arms timers (the worker loop does,
 * right after epoll_wait).  Timers
 * are not cancelled: a fired callback checks whether it still matters (the
 * transaction layer keeps generation counters), which keeps arming cheap
 * and cross-thread cancellation unnecessary.
 */
#ifndef SIP_ROUTER_TIMER_H
#define SIP_ROUTER_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#define TW_TICK_MS 10
#define TW_SLOTS 1024 /* ~10 s per turn; longer timers wait whole turns */

/*
 * A timer callback.  fired is true when the timer expired, false when the
 * wheel is being finalized with the timer still pending: the callback then
 * only releases what arg holds.
 */
typedef void (*tw_fn)(void *arg, uint32_t a, uint32_t b, bool fired);

typedef struct tw_entry tw_entry;

typedef struct tw {
	tw_entry *slot[TW_SLOTS];
	int64_t now_tick; /* last tick processed (monotonic ms / TW_TICK_MS) */
	uint64_t pending;
	tw_entry *free_list; /* recycled entries */
} tw;

void tw_init(tw *w, int64_t now_ms);
/* tw_fini calls every pending callback with fired = false, then frees the wheel. */
void tw_fini(tw *w);
/* tw_add: call fn(arg, a, b) after delay_ms (owner thread only). */
void tw_add(tw *w, int64_t delay_ms, tw_fn fn, void *arg, uint32_t a, uint32_t b);
/* tw_advance runs every timer due at now_ms; returns how many fired. */
unsigned tw_advance(tw *w, int64_t now_ms);
/* tw_next_ms: milliseconds until the next tick that has work (for epoll), capped. */
int tw_next_ms(const tw *w, int64_t now_ms, int cap);

#endif
