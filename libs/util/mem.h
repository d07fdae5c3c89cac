/* SPDX-License-Identifier: MIT */
/*
 * Allocation.  The fleet's out-of-memory policy is decided once, here:
 * running out of memory is not recoverable for a daemon that must not lose
 * accepted data half-way, so the x-allocators log and abort().  The
 * supervisor (systemd, the dev runner, Kubernetes) restarts the daemon, and
 * every daemon is built to resume after kill -9.
 */
#ifndef TD_UTIL_MEM_H
#define TD_UTIL_MEM_H

#include <stddef.h>

void *td_xmalloc(size_t n);
void *td_xcalloc(size_t nmemb, size_t size);
void *td_xrealloc(void *p, size_t n);
char *td_xstrdup(const char *s);
char *td_xstrndup(const char *s, size_t n);

/* td_free_and_null frees *pp and sets it to NULL. */
void td_free_and_null(void *pp);

#define TD_NEW(T) ((T *)td_xcalloc(1, sizeof(T)))

#endif
