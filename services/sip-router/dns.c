/* SPDX-License-Identifier: MIT */
/* The workers' name cache, with bounded waits (see dns.h). */
#include "dns.h"

#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log/log.h"
#include "util/clock.h"
#include "util/mem.h"

#define BUCKETS 256
#define MAX_ENTRIES 4096 /* names; past it, the cache is emptied of finished entries */
#define NAME_MAX_LEN 254

typedef enum { E_PENDING, E_OK, E_FAILED } e_state;

typedef struct entry {
	struct entry *next;
	char name[NAME_MAX_LEN + 1];
	e_state state;
	int64_t expires_ms; /* E_OK / E_FAILED: td_mono_ms() after which it is looked up again */
	sr_addr addr;       /* E_OK */
	int waiters;        /* workers waiting on it: it is not pruned meanwhile */
	struct sr_dns *d;
	/* the lookup in flight (E_PENDING) */
	struct gaicb cb;
	struct addrinfo hints;
} entry;

struct sr_dns {
	int64_t timeout_ms, ttl_ms, neg_ttl_ms;
	pthread_mutex_t lock;
	pthread_cond_t done; /* a lookup finished (CLOCK_MONOTONIC) */
	entry *b[BUCKETS];
	long n, in_flight;
	_Atomic uint64_t hits, misses, timeouts, failures;
};

static uint32_t
hash_name(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32 : c)) * 16777619u;
	}
	return (h);
}

static entry *
find_locked(sr_dns *d, const char *name, uint32_t h)
{
	for (entry *e = d->b[h % BUCKETS]; e != NULL; e = e->next) {
		if (strcasecmp(e->name, name) == 0) {
			return (e);
		}
	}
	return (NULL);
}

/* prune_locked drops every finished entry (the cache is full: rare). */
static void
prune_locked(sr_dns *d)
{
	for (int i = 0; i < BUCKETS; i++) {
		entry **pp = &d->b[i];
		while (*pp != NULL) {
			entry *e = *pp;
			if (e->state != E_PENDING && e->waiters == 0) {
				*pp = e->next;
				free(e);
				d->n--;
			} else {
				pp = &e->next;
			}
		}
	}
}

/* on_done runs on a getaddrinfo_a thread when the lookup is over. */
static void
on_done(union sigval sv)
{
	entry *e = sv.sival_ptr;
	sr_dns *d = e->d;
	struct addrinfo *res = e->cb.ar_result;
	int rc = gai_error(&e->cb);
	sr_addr a;
	bool ok = rc == 0 && res != NULL && sr_addr_from_sockaddr(&a, res->ai_addr, res->ai_addrlen);
	if (res != NULL) {
		freeaddrinfo(res);
	}
	if (rc != 0 && rc != EAI_NONAME && rc != EAI_NODATA) {
		LOG_DEBUG("SIPR-DNS-FAIL", "resolving %s: %s", e->name, gai_strerror(rc));
	}
	/* the last touch: once in_flight drops, dns_free may free e */
	pthread_mutex_lock(&d->lock);
	e->state = ok ? E_OK : E_FAILED;
	if (ok) {
		e->addr = a;
	}
	e->expires_ms = td_mono_ms() + (ok ? d->ttl_ms : d->neg_ttl_ms);
	d->in_flight--;
	pthread_cond_broadcast(&d->done);
	pthread_mutex_unlock(&d->lock);
}

/* start_locked begins a lookup for e (now E_PENDING); false if it could not start. */
static bool
start_locked(sr_dns *d, entry *e)
{
	e->state = E_PENDING;
	memset(&e->cb, 0, sizeof(e->cb));
	memset(&e->hints, 0, sizeof(e->hints));
	e->hints.ai_family = AF_UNSPEC;
	e->hints.ai_socktype = SOCK_DGRAM;
	e->cb.ar_name = e->name;
	e->cb.ar_request = &e->hints;
	struct gaicb *list[1] = {&e->cb};
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = on_done;
	sev.sigev_value.sival_ptr = e;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, &sev) != 0) {
		e->state = E_FAILED;
		e->expires_ms = td_mono_ms() + d->neg_ttl_ms;
		return (false);
	}
	d->in_flight++;
	return (true);
}

static bool
is_invalid_tld(const char *name)
{
	size_t n = strlen(name);
	if (n > 0 && name[n - 1] == '.') {
		n--;
	}
	return ((n == 7 && strncasecmp(name, "invalid", 7) == 0) ||
	        (n > 8 && strncasecmp(name + n - 8, ".invalid", 8) == 0));
}

int
dns_resolve(sr_dns *d, const char *host, uint16_t port, sr_proto proto, sr_addr *a)
{
	if (host[0] == '\0' || strlen(host) > NAME_MAX_LEN || is_invalid_tld(host)) {
		atomic_fetch_add(&d->failures, 1);
		return (TD_ENOTFOUND);
	}
	uint32_t h = hash_name(host);
	int rv;
	pthread_mutex_lock(&d->lock);
	entry *e = find_locked(d, host, h);
	int64_t now = td_mono_ms();
	if (e != NULL && e->state != E_PENDING && e->expires_ms > now) {
		atomic_fetch_add(&d->hits, 1);
	} else {
		atomic_fetch_add(&d->misses, 1);
		if (e == NULL) {
			if (d->n >= MAX_ENTRIES) {
				prune_locked(d);
			}
			e = TD_NEW(entry);
			snprintf(e->name, sizeof(e->name), "%s", host);
			e->d = d;
			e->next = d->b[h % BUCKETS];
			d->b[h % BUCKETS] = e;
			d->n++;
			(void)start_locked(d, e);
		} else if (e->state != E_PENDING) {
			(void)start_locked(d, e); /* expired: look it up again */
		}
		struct timespec ts;
		td_mono_deadline(&ts, d->timeout_ms);
		e->waiters++;
		while (e->state == E_PENDING) {
			if (pthread_cond_timedwait(&d->done, &d->lock, &ts) != 0) {
				break;
			}
		}
		e->waiters--;
	}
	if (e->state == E_OK) {
		*a = e->addr;
		rv = TD_OK;
	} else if (e->state == E_PENDING) {
		atomic_fetch_add(&d->timeouts, 1);
		rv = TD_ETIMEDOUT;
	} else {
		atomic_fetch_add(&d->failures, 1);
		rv = TD_ENOTFOUND;
	}
	pthread_mutex_unlock(&d->lock);
	if (rv == TD_OK) {
		sr_addr_set_port(a, port);
		a->proto = (uint8_t)proto;
	} else if (rv == TD_ETIMEDOUT) {
		LOG_WARN("SIPR-DNS-SLOW", "no answer for %s within %lld ms; the lookup goes on", host,
		    (long long)d->timeout_ms);
	}
	return (rv);
}

sr_dns *
dns_new(int64_t timeout_ms, int64_t ttl_ms, int64_t negative_ttl_ms)
{
	sr_dns *d = TD_NEW(sr_dns);
	d->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
	d->ttl_ms = ttl_ms;
	d->neg_ttl_ms = negative_ttl_ms;
	pthread_mutex_init(&d->lock, NULL);
	td_cond_init_mono(&d->done);
	return (d);
}

void
dns_free(sr_dns *d)
{
	if (d == NULL) {
		return;
	}
	pthread_mutex_lock(&d->lock);
	while (d->in_flight > 0) { /* their callbacks still use the entries */
		pthread_cond_wait(&d->done, &d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	for (int i = 0; i < BUCKETS; i++) {
		for (entry *e = d->b[i]; e != NULL;) {
			entry *next = e->next;
			free(e);
			e = next;
		}
	}
	pthread_cond_destroy(&d->done);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

void
dns_stats(sr_dns *d, sr_dns_stats *st)
{
	st->hits = atomic_load(&d->hits);
	st->misses = atomic_load(&d->misses);
	st->timeouts = atomic_load(&d->timeouts);
	st->failures = atomic_load(&d->failures);
	pthread_mutex_lock(&d->lock);
	st->entries = d->n;
	pthread_mutex_unlock(&d->lock);
}
