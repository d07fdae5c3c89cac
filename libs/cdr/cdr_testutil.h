/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the libs/cdr cmocka tests (header-only: the build makes
 * one binary per *_test.c).  Tests run from the repository root (tests/run
 * does); TD_SRCDIR overrides where tests/data is looked up.
 */
#ifndef TD_CDR_TESTUTIL_H
#define TD_CDR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cdr/cdr.h"
#include "util/buf.h"

#define SAMPLE_PRETTY "cgrates_2018_aleg_answered_hold_pretty.json"
#define SAMPLE_COMPACT "cgrates_2018_aleg_answered_compact.json"
#define SAMPLE_LEGACY "cgrates_2014_aleg_legacy_duplicate_callflow_keys.json"

/* load_sample reads tests/data/freeswitch/json_cdr/<name> into b (fails the test if absent). */
static inline void
load_sample(const char *name, td_buf *b)
{
	const char *root = getenv("TD_SRCDIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s%stests/data/freeswitch/json_cdr/%s", root ? root : "",
	    root ? "/" : "", name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fail_msg("cannot open %s (run from the repository root or set TD_SRCDIR)", path);
	}
	td_buf_init(b, 0);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		td_buf_append(b, chunk, n);
	}
	fclose(f);
	assert_false(td_buf_failed(b));
	assert_true(b->len > 0);
}

/* map_ok maps json and fails the test with the reason if it does not map. */
static inline Tandem__CdrRecord *
map_ok(const char *json, size_t len)
{
	Tandem__CdrRecord *r = NULL;
	char err[TD_CDR_ERRLEN];
	int rv = td_cdr_map_freeswitch(json, len, &r, err, sizeof(err));
	if (rv != 0) {
		fail_msg("map failed: %s (%s)", err, td_strerror(rv));
	}
	assert_non_null(r);
	return (r);
}

/* map_err expects rv and a reason containing want; returns nothing. */
static inline void
map_err(const char *json, size_t len, int want_rv, const char *want)
{
	Tandem__CdrRecord *r = (Tandem__CdrRecord *)1;
	char err[TD_CDR_ERRLEN] = "";
	int rv = td_cdr_map_freeswitch(json, len, &r, err, sizeof(err));
	if (rv != want_rv || (want != NULL && strstr(err, want) == NULL)) {
		fail_msg("want %s \"%s\", got %s \"%s\"", td_strerror(want_rv), want ? want : "",
		    td_strerror(rv), err);
	}
	assert_null(r);
	assert_true(err[0] != '\0');
}

/* assert_records_equal compares every CdrRecord field. */
static inline void
assert_records_equal(const Tandem__CdrRecord *a, const Tandem__CdrRecord *b)
{
#define S_EQ(f) assert_string_equal(a->f, b->f)
#define I_EQ(f) assert_int_equal(a->f, b->f)
	S_EQ(leg_uuid);
	S_EQ(call_uuid);
	I_EQ(leg);
	I_EQ(source);
	S_EQ(node);
	S_EQ(direction);
	S_EQ(caller_id_number);
	S_EQ(caller_id_name);
	S_EQ(destination_number);
	S_EQ(context);
	S_EQ(domain);
	S_EQ(accountcode);
	I_EQ(start_us);
	I_EQ(answer_us);
	I_EQ(end_us);
	I_EQ(duration_s);
	I_EQ(billsec);
	I_EQ(billmsec);
	S_EQ(hangup_cause);
	I_EQ(hangup_cause_q850);
	I_EQ(sip_term_status);
	S_EQ(sip_hangup_disposition);
	S_EQ(sip_call_id);
	S_EQ(queue);
	S_EQ(agent);
	I_EQ(queue_joined_us);
	I_EQ(queue_answered_us);
	S_EQ(queue_cancel_reason);
	S_EQ(recording_path);
	assert_true(a->mos == b->mos);
	I_EQ(received_us);
	S_EQ(remote_addr);
#undef S_EQ
#undef I_EQ
}

#endif
