/* SPDX-License-Identifier: MIT */
/* Allocators that abort on exhaustion (see mem.h for why). */
#include "util/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
oom(size_t n)
{
	/* No allocation and no logging library here: write(2)-level only. */
	fprintf(stderr, "level=fatal id=TD-OOM msg=\"out of memory allocating %zu bytes\"\n", n);
	abort();
}

void *
td_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (p == NULL) {
		oom(n);
	}
	return (p);
}

void *
td_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (p == NULL) {
		oom(nmemb * size);
	}
	return (p);
}

void *
td_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (q == NULL) {
		oom(n);
	}
	return (q);
}

char *
td_xstrdup(const char *s)
{
	return (td_xstrndup(s, strlen(s)));
}

char *
td_xstrndup(const char *s, size_t n)
{
	char *p = td_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return (p);
}

void
td_free_and_null(void *pp)
{
	void **p = pp;
	free(*p);
	*p = NULL;
}
