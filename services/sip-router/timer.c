/* SPDX-License-Identifier: MIT */
/* Hashed timing wheel (see timer.h). */
#include "timer.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

struct tw_entry {
	tw_entry *next;
	int64_t due_tick;
	tw_fn fn;
	void *arg;
	uint32_t a, b;
};

void
tw_init(tw *w, int64_t now_ms)
{
	memset(w, 0, sizeof(*w));
	w->now_tick = now_ms / TW_TICK_MS;
}

void
tw_fini(tw *w)
{
	for (int i = 0; i < TW_SLOTS; i++) {
		tw_entry *e = w->slot[i];
		w->slot[i] = NULL;
		while (e != NULL) {
			tw_entry *n = e->next;
			e->fn(e->arg, e->a, e->b, false);
			free(e);
			e = n;
		}
	}
	while (w->free_list != NULL) {
		tw_entry *n = w->free_list->next;
		free(w->free_list);
		w->free_list = n;
	}
	memset(w, 0, sizeof(*w));
}

void
tw_add(tw *w, int64_t delay_ms, tw_fn fn, void *arg, uint32_t a, uint32_t b)
{
	tw_entry *e = w->free_list;
	if (e != NULL) {
		w->free_list = e->next;
	} else {
		e = td_xmalloc(sizeof(*e));
	}
	/* now_tick is the tick we are somewhere inside: one more makes it never early. */
	int64_t ticks = (delay_ms > 0 ? (delay_ms + TW_TICK_MS - 1) / TW_TICK_MS : 0) + 1;
	e->due_tick = w->now_tick + ticks;
	e->fn = fn;
	e->arg = arg;
	e->a = a;
	e->b = b;
	size_t s = (size_t)(e->due_tick % TW_SLOTS);
	e->next = w->slot[s];
	w->slot[s] = e;
	w->pending++;
}

unsigned
tw_advance(tw *w, int64_t now_ms)
{
	int64_t target = now_ms / TW_TICK_MS;
	unsigned fired = 0;
	while (w->now_tick < target) {
		w->now_tick++;
		size_t s = (size_t)(w->now_tick % TW_SLOTS);
		/* Detach the slot first: callbacks may add timers to it. */
		tw_entry *e = w->slot[s], *keep = NULL;
		w->slot[s] = NULL;
		while (e != NULL) {
			tw_entry *n = e->next;
			if (e->due_tick <= w->now_tick) {
				tw_fn fn = e->fn;
				void *arg = e->arg;
				uint32_t a = e->a, b = e->b;
				e->next = w->free_list;
				w->free_list = e;
				w->pending--;
				fn(arg, a, b, true);
				fired++;
			} else {
				e->next = keep;
				keep = e;
			}
			e = n;
		}
		/* Entries for later turns go back (after whatever callbacks added). */
		while (keep != NULL) {
			tw_entry *n = keep->next;
			keep->next = w->slot[s];
			w->slot[s] = keep;
			keep = n;
		}
	}
	return (fired);
}

int
tw_next_ms(const tw *w, int64_t now_ms, int cap)
{
	if (w->pending == 0) {
		return (cap);
	}
	int64_t left = (w->now_tick + 1) * TW_TICK_MS - now_ms;
	if (left < 0) {
		left = 0;
	}
	return (left < cap ? (int)left : cap);
}
