/* SPDX-License-Identifier: MIT */
/*
 * digest-bench: how many Digest verifications a core can do.
 *
 *   digest-bench [--seconds S] [--threads T] [--phones P] [--alg md5|sha256|both]
 *
 * Each thread plays P phones, each with its own nonce, re-registering with
 * nc 1, 2, 3, ... (REGISTER sip:example.com).  Credentials for a round are
 * built (as the phones would, not timed), then the router's path is timed:
 * td_digest_parse + td_digest_verify (policy, nonce MAC and age, response,
 * replay tracker).  Every verification must come back OK, or the run fails.
 * A second timing covers challenge building (a 401 with both algorithms).
 *
 * Prints one line of key=value pairs per algorithm.  per_core is
 * verifications per second of thread CPU time; total is per wall second
 * over all threads.
 */
#include <getopt.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest/digest.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/mem.h"

#define REALM "example.com"
#define RLEN (sizeof(REALM) - 1)
#define HDR_MAX 512

typedef struct bench {
	td_digest *d;
	td_digest_alg alg;
	char ha1[TD_DIGEST_HEX_MAX];
	int phones;
	double seconds;
	pthread_barrier_t start;
} bench;

typedef struct worker {
	bench *b;
	pthread_t th;
	uint64_t done, failed;
	double cpu_s, wall_s;
} worker;

static double
cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Builds the credentials a phone sends for nonce and nc (the phone's work: not timed). */
static void
phone_creds(const bench *b, const char *nonce, uint32_t nc, char *hdr)
{
	char hex[TD_DIGEST_HEX_MAX];
	uint8_t out[TD_DIGEST_HASH_MAX];
	size_t n = 0;
	const char *alg = td_digest_alg_name(b->alg);
	snprintf(hdr, HDR_MAX,
	    "Digest username=\"1001\", realm=\"" REALM "\", nonce=\"%s\", uri=\"sip:example.com\", "
	    "response=\"0\", algorithm=%s, cnonce=\"0a1b2c3d\", qop=auth, nc=%08x",
	    nonce, alg, nc);
	td_digest_creds c;
	if (td_digest_parse(hdr, strlen(hdr), &c, NULL) != 0
	    || td_digest_expected(&c, "REGISTER", 8, b->ha1, strlen(b->ha1), out, &n) != 0) {
		fprintf(stderr, "digest-bench: cannot build credentials\n");
		exit(1);
	}
	sodium_bin2hex(hex, sizeof(hex), out, n);
	snprintf(hdr, HDR_MAX,
	    "Digest username=\"1001\", realm=\"" REALM "\", nonce=\"%s\", uri=\"sip:example.com\", "
	    "response=\"%s\", algorithm=%s, cnonce=\"0a1b2c3d\", qop=auth, nc=%08x",
	    nonce, hex, alg, nc);
}

static void *
run(void *arg)
{
	worker *w = arg;
	bench *b = w->b;
	char(*nonces)[TD_DIGEST_NONCE_LEN + 1] = td_xcalloc((size_t)b->phones, sizeof(*nonces));
	char(*hdrs)[HDR_MAX] = td_xcalloc((size_t)b->phones, sizeof(*hdrs));
	int64_t now = td_wall_us();

	for (int p = 0; p < b->phones; p++) {
		td_digest_nonce_make(b->d, REALM, RLEN, now, nonces[p]);
	}
	pthread_barrier_wait(&b->start);
	for (uint32_t nc = 1; w->wall_s < b->seconds; nc++) {
		for (int p = 0; p < b->phones; p++) {
			phone_creds(b, nonces[p], nc, hdrs[p]);
		}
		now = td_wall_us();
		double c0 = cpu_now();
		int64_t t0 = td_mono_us();
		for (int p = 0; p < b->phones; p++) {
			td_digest_creds c;
			const char *h = hdrs[p];
			if (td_digest_parse(h, strlen(h), &c, NULL) != 0
			    || td_digest_verify(b->d, &c, "REGISTER", 8, REALM, RLEN, b->ha1,
			           strlen(b->ha1), now)
			        != TD_DIGEST_OK) {
				w->failed++;
			}
		}
		w->wall_s += (double)(td_mono_us() - t0) / 1e6;
		w->cpu_s += cpu_now() - c0;
		w->done += (uint64_t)b->phones;
	}
	free(nonces);
	free(hdrs);
	return (NULL);
}

/* Challenges per second on one thread: a 401 with SHA-256 and MD5 lines. */
static double
challenge_rate(td_digest *d)
{
	td_buf buf;
	td_buf_init(&buf, 0);
	int n = 0;
	double c0 = cpu_now();
	for (; n < 200000; n++) {
		td_buf_reset(&buf);
		if (td_digest_challenge(
		        d, &buf, TD_DIGEST_WWW, REALM, RLEN, NULL, false, td_wall_us())
		        != 0
		    || td_buf_failed(&buf)) {
			fprintf(stderr, "digest-bench: challenge failed\n");
			exit(1);
		}
	}
	double s = cpu_now() - c0;
	td_buf_free(&buf);
	return ((double)n / s);
}

static int
bench_alg(td_digest_alg alg, int threads, int phones, double seconds)
{
	static const uint8_t secret[TD_DIGEST_SECRET_LEN] = { 0x5e, 0xc2, 0xe7 };
	bench b = { 0 };
	td_digest_cfg cfg = { 0 };
	cfg.secret = secret;
	cfg.replay_slots = (size_t)threads * (size_t)phones * 2;
	if (td_digest_new(&cfg, td_wall_us() - 1, &b.d) != 0) {
		fprintf(stderr, "digest-bench: td_digest_new failed\n");
		return (1);
	}
	b.alg = alg;
	b.phones = phones;
	b.seconds = seconds;
	if (td_digest_ha1(alg, "1001", 4, REALM, RLEN, "Tandem-2024!", 12, b.ha1) != 0) {
		return (1);
	}
	pthread_barrier_init(&b.start, NULL, (unsigned)threads);
	worker *ws = td_xcalloc((size_t)threads, sizeof(*ws));
	for (int k = 0; k < threads; k++) {
		ws[k].b = &b;
		pthread_create(&ws[k].th, NULL, run, &ws[k]);
	}
	uint64_t done = 0, failed = 0;
	double cpu = 0, wall = 0;
	for (int k = 0; k < threads; k++) {
		pthread_join(ws[k].th, NULL);
		done += ws[k].done;
		failed += ws[k].failed;
		cpu += ws[k].cpu_s;
		wall = ws[k].wall_s > wall ? ws[k].wall_s : wall;
	}
	td_digest_replay_stats st;
	td_digest_replay_get_stats(td_digest_tracker(b.d), &st);
	printf("alg=%s threads=%d phones=%d verifies=%llu failed=%llu per_core=%.0f/s "
	       "total=%.0f/s us_per_verify=%.2f challenges_per_core=%.0f/s tracker_entries=%llu "
	       "evictions=%llu\n",
	    td_digest_alg_name(alg), threads, phones, (unsigned long long)done,
	    (unsigned long long)failed, (double)done / cpu, (double)done / wall,
	    cpu * 1e6 / (double)done, challenge_rate(b.d), (unsigned long long)st.entries,
	    (unsigned long long)st.evictions);
	pthread_barrier_destroy(&b.start);
	free(ws);
	td_digest_free(b.d);
	return (failed == 0 ? 0 : 1);
}

static void
usage(void)
{
	fputs("usage: digest-bench [--seconds S] [--threads T] [--phones P] "
	      "[--alg md5|sha256|both]\n",
	    stderr);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = { { "seconds", required_argument, NULL, 's' },
		{ "threads", required_argument, NULL, 't' },
		{ "phones", required_argument, NULL, 'p' }, { "alg", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	double seconds = 3;
	int threads = 1, phones = 2000, c;
	const char *alg = "both";
	while ((c = getopt_long(argc, argv, "s:t:p:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': seconds = atof(optarg); break;
		case 't': threads = atoi(optarg); break;
		case 'p': phones = atoi(optarg); break;
		case 'a': alg = optarg; break;
		default: usage(); return (c == 'h' ? 0 : 2);
		}
	}
	if (seconds <= 0 || threads < 1 || threads > 256 || phones < 1
	    || (strcmp(alg, "md5") != 0 && strcmp(alg, "sha256") != 0
	        && strcmp(alg, "both") != 0)) {
		usage();
		return (2);
	}
	int rc = 0;
	if (strcmp(alg, "sha256") != 0) {
		rc |= bench_alg(TD_DIGEST_MD5, threads, phones, seconds);
	}
	if (strcmp(alg, "md5") != 0) {
		rc |= bench_alg(TD_DIGEST_SHA256, threads, phones, seconds);
	}
	return (rc);
}
