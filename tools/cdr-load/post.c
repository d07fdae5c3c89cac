/* SPDX-License-Identifier: MIT */
/* HTTP POST load against cdr-collector, with acknowledgement tracking. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "util/clock.h"
#include "util/mem.h"

typedef struct acked {
	char uuid[37];
	int64_t post_us;
} acked;

typedef struct thr {
	const tmpl *t;
	const post_opts *o;
	_Atomic long *next;
	pthread_t id;
	acked *ack;
	size_t nack, ackcap;
	double *lat;
	size_t nlat;
	uint64_t failed, retries, status[6];
} thr;

static size_t
discard(char *p, size_t sz, size_t n, void *u)
{
	(void)p, (void)u;
	return (sz * n);
}

static void *
thr_main(void *arg)
{
	thr *th = arg;
	const post_opts *o = th->o;
	CURL *c = curl_easy_init();
	td_buf body = TD_BUF_INIT;
	char uuid[37], ct[128];
	curl_easy_setopt(c, CURLOPT_URL, o->url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "freeswitch-json/1.0");
	if (o->userpwd != NULL) {
		curl_easy_setopt(c, CURLOPT_USERPWD, o->userpwd);
	}
	for (;;) {
		long i = atomic_fetch_add(th->next, 1);
		if (i >= o->count) {
			break;
		}
		tmpl_uuid(uuid);
		const char *ctype = tmpl_render(th->t, uuid, td_wall_us(), o->enc, &body);
		char url[512];
		snprintf(url, sizeof(url), "%s?uuid=%s", o->url, uuid);
		struct curl_slist *hdr = NULL;
		snprintf(ct, sizeof(ct), "Content-Type: %s", ctype);
		hdr = curl_slist_append(hdr, ct);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
		for (int attempt = 0; attempt <= o->retries; attempt++) {
			if (attempt > 0) {
				th->retries++;
				td_sleep_ms(o->retry_delay_ms);
			}
			int64_t t0 = td_wall_us();
			CURLcode rc = curl_easy_perform(c);
			long code = 0;
			if (rc == CURLE_OK) {
				curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			}
			th->status[rc == CURLE_OK && code >= 100 && code < 600 ? code / 100 : 0]++;
			if (code >= 200 && code < 300) {
				if (th->nack == th->ackcap) {
					th->ackcap = th->ackcap ? th->ackcap * 2 : 1024;
					th->ack = td_xrealloc(th->ack, th->ackcap * sizeof(acked));
					th->lat = td_xrealloc(th->lat, th->ackcap * sizeof(double));
				}
				memcpy(th->ack[th->nack].uuid, uuid, sizeof(uuid));
				th->ack[th->nack++].post_us = t0;
				th->lat[th->nlat++] = (double)(td_wall_us() - t0) / 1000.0;
				goto next;
			}
			if (code >= 400 && code < 500) {
				break; /* FreeSWITCH would not succeed by retrying a 4xx either */
			}
		}
		th->failed++;
	next:
		curl_slist_free_all(hdr);
	}
	curl_easy_cleanup(c);
	td_buf_free(&body);
	return (NULL);
}

int
post_run(const tmpl *t, const post_opts *o, load_result *r)
{
	_Atomic long next = 0;
	thr *ths = td_xcalloc((size_t)o->concurrency, sizeof(thr));
	memset(r, 0, sizeof(*r));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int64_t t0 = td_mono_us();
	for (int i = 0; i < o->concurrency; i++) {
		ths[i] = (thr){.t = t, .o = o, .next = &next};
		pthread_create(&ths[i].id, NULL, thr_main, &ths[i]);
	}
	size_t nlat = 0;
	for (int i = 0; i < o->concurrency; i++) {
		pthread_join(ths[i].id, NULL);
		nlat += ths[i].nlat;
	}
	r->elapsed_s = (double)(td_mono_us() - t0) / 1e6;
	FILE *f = o->acked_path ? fopen(o->acked_path, "w") : NULL;
	double *all = td_xcalloc(nlat + 1, sizeof(double));
	size_t k = 0;
	for (int i = 0; i < o->concurrency; i++) {
		thr *th = &ths[i];
		r->ok += th->nack;
		r->failed += th->failed;
		r->retries += th->retries;
		for (int s = 0; s < 6; s++) {
			r->status[s] += th->status[s];
		}
		for (size_t j = 0; j < th->nack; j++) {
			if (f != NULL) {
				fprintf(f, "%s\t%lld\n", th->ack[j].uuid, (long long)th->ack[j].post_us);
			}
			all[k++] = th->lat[j];
		}
		free(th->ack);
		free(th->lat);
	}
	if (f != NULL) {
		fclose(f);
	}
	percentiles(all, k, r);
	free(all);
	free(ths);
	curl_global_cleanup();
	return (0);
}
