/* SPDX-License-Identifier: MIT */
/*
 * cdr-load: load generator for the CDR path.
 *
 *   cdr-load post --url URL --template FILE [--count N] [--concurrency C]
 *            [--threads T] [--new-connection] [--rate PER_S] [--encoding json|form|base64]
 *            [--retries R] [--retry-delay MS] [--user U:P] [--acked FILE]
 *       POSTs N CDRs, each a fresh leg of the template, as FreeSWITCH's
 *       mod_json_cdr does; records every acknowledged leg in --acked.
 *   cdr-load raw --dsn DSN [--rows N] [--batch B] [--concurrency C]
 *       the baseline: idempotent B-row INSERTs straight into voip.cdr.
 *
 * Prints one summary line of key=value pairs.
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return ((x > y) - (x < y));
}

void
percentiles(double *v, size_t n, load_result *r)
{
	if (n == 0) {
		return;
	}
	qsort(v, n, sizeof(double), cmp_double);
	r->lat_p50_ms = v[(n - 1) / 2];
	r->lat_p99_ms = v[(size_t)((double)(n - 1) * 0.99)];
	r->lat_max_ms = v[n - 1];
}

static void
usage(void)
{
	fputs("usage: cdr-load post --url URL --template FILE [--count N] [--concurrency C]\n"
	      "                     [--threads T] [--new-connection] [--rate PER_S]\n"
	      "                     [--encoding json|form|base64]\n"
	      "                     [--retries R] [--retry-delay MS]\n"
	      "                     [--user USER:PASS] [--acked FILE]\n"
	      "       cdr-load raw --dsn DSN [--rows N] [--batch B] [--concurrency C]\n",
	    stderr);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"url", required_argument, NULL, 'u'},
	    {"template", required_argument, NULL, 't'}, {"count", required_argument, NULL, 'n'},
	    {"concurrency", required_argument, NULL, 'c'}, {"encoding", required_argument, NULL, 'e'},
	    {"retries", required_argument, NULL, 'r'}, {"retry-delay", required_argument, NULL, 'd'},
	    {"user", required_argument, NULL, 'U'}, {"acked", required_argument, NULL, 'a'},
	    {"dsn", required_argument, NULL, 'D'}, {"rows", required_argument, NULL, 'R'},
	    {"batch", required_argument, NULL, 'b'}, {"threads", required_argument, NULL, 'T'},
	    {"new-connection", no_argument, NULL, 'N'}, {"rate", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0}};
	if (argc < 2 || sodium_init() < 0) {
		usage();
		return (2);
	}
	const char *mode = argv[1];
	post_opts po = {.count = 1000, .concurrency = 16, .enc = ENC_JSON, .retry_delay_ms = 200,
	    .threads = 2};
	char auth[512];
	raw_opts ro = {.rows = 100000, .batch = 100, .concurrency = 2};
	const char *tpath = NULL;
	int c;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': po.url = optarg; break;
		case 't': tpath = optarg; break;
		case 'n': po.count = atol(optarg); break;
		case 'c': po.concurrency = ro.concurrency = atoi(optarg); break;
		case 'e':
			po.enc = strcmp(optarg, "form") == 0     ? ENC_FORM
			         : strcmp(optarg, "base64") == 0 ? ENC_BASE64
			                                         : ENC_JSON;
			break;
		case 'r': po.retries = atoi(optarg); break;
		case 'd': po.retry_delay_ms = atoi(optarg); break;
		case 'U': {
			char b64[400];
			sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)optarg, strlen(optarg),
			    sodium_base64_VARIANT_ORIGINAL);
			snprintf(auth, sizeof(auth), "Authorization: Basic %s", b64);
			po.auth_header = auth;
			break;
		}
		case 'T': po.threads = atoi(optarg); break;
		case 'N': po.new_connection = true; break;
		case 'P': po.rate = atof(optarg); break;
		case 'a': po.acked_path = optarg; break;
		case 'D': ro.dsn = optarg; break;
		case 'R': ro.rows = atol(optarg); break;
		case 'b': ro.batch = atoi(optarg); break;
		default: usage(); return (2);
		}
	}
	load_result r;
	if (strcmp(mode, "post") == 0) {
		if (po.url == NULL || tpath == NULL || po.concurrency < 1 || po.count < 1) {
			usage();
			return (2);
		}
		tmpl *t;
		char err[512];
		if (tmpl_load(tpath, &t, err, sizeof(err)) != 0) {
			fprintf(stderr, "cdr-load: %s\n", err);
			return (1);
		}
		post_run(t, &po, &r);
		tmpl_free(t);
		printf("mode=post sent=%ld ok=%llu failed=%llu retries=%llu http_2xx=%llu http_4xx=%llu "
		       "http_5xx=%llu transport_errors=%llu elapsed_s=%.2f rate_per_s=%.0f "
		       "http_p50_ms=%.2f http_p99_ms=%.2f http_max_ms=%.2f\n",
		    po.count, (unsigned long long)r.ok, (unsigned long long)r.failed,
		    (unsigned long long)r.retries, (unsigned long long)r.status[2],
		    (unsigned long long)r.status[4], (unsigned long long)r.status[5],
		    (unsigned long long)r.status[0], r.elapsed_s, (double)r.ok / r.elapsed_s,
		    r.lat_p50_ms, r.lat_p99_ms, r.lat_max_ms);
		return (r.failed == 0 ? 0 : 1);
	}
	if (strcmp(mode, "raw") == 0) {
		if (ro.dsn == NULL || ro.batch < 1 || ro.batch > 1000 || ro.concurrency < 1) {
			usage();
			return (2);
		}
		int rv = raw_run(&ro, &r);
		printf("mode=raw rows=%llu failed=%llu batch=%d concurrency=%d elapsed_s=%.2f "
		       "rows_per_s=%.0f batch_p50_ms=%.2f batch_p99_ms=%.2f\n",
		    (unsigned long long)r.ok, (unsigned long long)r.failed, ro.batch, ro.concurrency,
		    r.elapsed_s, (double)r.ok / r.elapsed_s, r.lat_p50_ms, r.lat_p99_ms);
		return (rv == 0 ? 0 : 1);
	}
	usage();
	return (2);
}
