/* SPDX-License-Identifier: MIT */
/*
 * cdr-map-bench: what the collector pays per CDR for td_cdr_decode_body +
 * td_cdr_map_freeswitch + tandem__cdr_record__pack, for each FreeSWITCH
 * sample in each body encoding; and, for comparison, a bare yajl parse and
 * a jansson DOM load of the same JSON.  Single-threaded; build it release.
 * Times are thread CPU time per CDR (CLOCK_THREAD_CPUTIME_ID).
 *
 *   cdr-map-bench [-n ITERATIONS] [-d SAMPLE_DIR] [--emit DIR]
 *
 * --emit DIR writes every sample in every encoding to DIR (the fuzz seed
 * corpus, fuzz/corpus/cdr_map/) and exits.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_parse.h>

#include "cdr/cdr.h"
#include "cdr/fssim.h"
#include "util/buf.h"
#include "util/clock.h"

static const char *const samples[] = {
	"cgrates_2018_aleg_answered_hold_pretty.json",
	"cgrates_2018_aleg_answered_compact.json",
	"cgrates_2014_aleg_legacy_duplicate_callflow_keys.json",
};

typedef struct variant {
	const char *name;
	td_cdr_fs_encoding enc;
	bool encode_values;
} variant;

/* encode=true with encode-values=true is not decodable (README section 1): left out. */
static const variant variants[] = {
	{ "json", TD_CDR_FS_RAW, false },
	{ "form", TD_CDR_FS_FORM, false },
	{ "base64", TD_CDR_FS_BASE64, false },
	{ "json+ev", TD_CDR_FS_RAW, true },
	{ "base64+ev", TD_CDR_FS_BASE64, true },
};

static int
load(const char *dir, const char *name, td_buf *b)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "cdr-map-bench: cannot open %s\n", path);
		return (-1);
	}
	char chunk[8192];
	size_t n;
	td_buf_init(b, 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		td_buf_append(b, chunk, n);
	}
	fclose(f);
	return (0);
}

/* body builds the POST body for sample json in variant v. */
static int
body(const td_buf *json, const variant *v, td_buf *out)
{
	td_buf ev = TD_BUF_INIT;
	const td_buf *src = json;
	if (v->encode_values) {
		if (td_cdr_fs_encode_values(json->data, json->len, &ev) != 0) {
			return (-1);
		}
		src = &ev;
	}
	td_buf_reset(out);
	td_cdr_fs_body(out, src->data, src->len, v->enc);
	td_buf_free(&ev);
	return (0);
}

static int
emit(const char *dir, const char *sdir)
{
	for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
		td_buf j, b = TD_BUF_INIT;
		if (load(sdir, samples[s], &j) != 0) {
			return (1);
		}
		for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
			char path[1024];
			if (body(&j, &variants[v], &b) != 0) {
				return (1);
			}
			snprintf(path, sizeof(path), "%s/%.*s.%s", dir,
			    (int)(strlen(samples[s]) - 5), samples[s], variants[v].name);
			FILE *f = fopen(path, "wb");
			if (f == NULL || fwrite(b.data, 1, b.len, f) != b.len || fclose(f) != 0) {
				fprintf(stderr, "cdr-map-bench: cannot write %s\n", path);
				return (1);
			}
		}
		td_buf_free(&j);
		td_buf_free(&b);
	}
	return (0);
}

/*
 * CPU time of this thread: on a shared, loaded machine wall time also
 * counts the time other processes ran; CPU time is what one CDR costs.
 */
static double
now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* one full collector step; returns the packed size (0 on error). */
static size_t
step(const td_buf *b, const char *ctype, td_buf *json, uint8_t *pack, size_t packcap)
{
	char err[TD_CDR_ERRLEN];
	Tandem__CdrRecord *r = NULL;
	size_t n = 0;
	if (td_cdr_decode_body(b->data, b->len, ctype, json, err, sizeof(err)) != 0
	    || td_cdr_map_freeswitch(json->data, json->len, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "cdr-map-bench: %s\n", err);
		return (0);
	}
	r->received_us = td_wall_us();
	n = tandem__cdr_record__get_packed_size(r);
	if (n <= packcap) {
		tandem__cdr_record__pack(r, pack);
	}
	td_cdr_record_free(r);
	return (n);
}

static int
cb_any(void *ctx)
{
	(void)ctx;
	return (1);
}

static int
cb_str(void *ctx, const unsigned char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return (1);
}

static int
cb_num(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	return (1);
}

static int
cb_bool(void *ctx, int v)
{
	(void)ctx;
	(void)v;
	return (1);
}

static const yajl_callbacks noop
    = { cb_any, cb_bool, NULL, NULL, cb_num, cb_str, cb_any, cb_str, cb_any, cb_any, cb_any };

int
main(int argc, char **argv)
{
	long iters = 20000;
	const char *sdir = "tests/data/freeswitch/json_cdr";
	const char *emit_dir = NULL;
	static const struct option opts[] = { { "emit", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' }, { 0 } };
	int c;
	while ((c = getopt_long(argc, argv, "n:d:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': iters = strtol(optarg, NULL, 10); break;
		case 'd': sdir = optarg; break;
		case 'e': emit_dir = optarg; break;
		default:
			fprintf(stderr,
			    "usage: cdr-map-bench [-n ITERATIONS] [-d SAMPLE_DIR] [--emit DIR]\n");
			return (c == 'h' ? 0 : 2);
		}
	}
	if (emit_dir != NULL) {
		return (emit(emit_dir, sdir));
	}
	if (iters < 1) {
		iters = 1;
	}

	static uint8_t pack[65536];
	td_buf json = TD_BUF_INIT, b = TD_BUF_INIT;
	printf("%-54s %-10s %8s %10s %10s %8s\n", "sample", "encoding", "bytes", "us/CDR",
	    "CDR/s/core", "packed");
	for (size_t s = 0; s < sizeof(samples) / sizeof(samples[0]); s++) {
		td_buf j;
		if (load(sdir, samples[s], &j) != 0) {
			return (1);
		}
		for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
			if (body(&j, &variants[v], &b) != 0) {
				return (1);
			}
			const char *ctype = td_cdr_fs_content_type(variants[v].enc);
			size_t packed = 0;
			for (long i = 0; i < iters / 10 + 1; i++) { /* warm up */
				packed = step(&b, ctype, &json, pack, sizeof(pack));
			}
			if (packed == 0) {
				return (1);
			}
			double t0 = now_s();
			for (long i = 0; i < iters; i++) {
				if (step(&b, ctype, &json, pack, sizeof(pack)) == 0) {
					return (1);
				}
			}
			double us = (now_s() - t0) * 1e6 / (double)iters;
			printf("%-54s %-10s %8zu %10.2f %10.0f %8zu\n", samples[s],
			    variants[v].name, b.len, us, 1e6 / us, packed);
		}

		/* references: parse only, no mapping */
		double t0 = now_s();
		for (long i = 0; i < iters; i++) {
			yajl_handle h = yajl_alloc(&noop, NULL, NULL);
			yajl_config(h, yajl_dont_validate_strings, 1);
			if (yajl_parse(h, (const unsigned char *)j.data, j.len) != yajl_status_ok
			    || yajl_complete_parse(h) != yajl_status_ok) {
				return (1);
			}
			yajl_free(h);
		}
		double yajl_us = (now_s() - t0) * 1e6 / (double)iters;
		long jn = iters / 4 + 1;
		t0 = now_s();
		for (long i = 0; i < jn; i++) {
			json_error_t je;
			json_t *root = json_loadb(j.data, j.len, 0, &je);
			if (root == NULL) {
				return (1);
			}
			json_decref(root);
		}
		double jansson_us = (now_s() - t0) * 1e6 / (double)jn;
		printf("%-54s %-10s %8zu %10.2f   (reference: yajl SAX parse, no-op callbacks)\n",
		    samples[s], "yajl-only", j.len, yajl_us);
		printf("%-54s %-10s %8zu %10.2f   (reference: jansson json_loadb + decref)\n",
		    samples[s], "jansson", j.len, jansson_us);
		td_buf_free(&j);
	}
	td_buf_free(&json);
	td_buf_free(&b);
	return (0);
}
