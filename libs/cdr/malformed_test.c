/* SPDX-License-Identifier: MIT */
/*
 * Bad input to td_cdr_map_freeswitch / td_cdr_decode_body: every case must
 * give TD_EINVAL (or TD_ETOOBIG) with a reason, never a crash or a record.
 */
#include "cdr/cdr_testutil.h"

#include "cdr/fssim.h"

/* v builds a CDR around a variables fragment (uuid and times included unless given). */
static void
v(td_buf *b, const char *vars)
{
	td_buf_reset(b);
	td_buf_printf(b, "{\"variables\":{%s}}", vars);
}

#define TIMES "\"start_uepoch\":\"1700000000000000\",\"end_uepoch\":\"1700000005000000\""
#define OKVARS "\"uuid\":\"u-1\"," TIMES

static void
test_not_json(void **state)
{
	(void)state;
	map_err("", 0, TD_EINVAL, "empty JSON document");
	map_err(" \r\n\t", 4, TD_EINVAL, "empty JSON document");
	map_err("hello", 5, TD_EINVAL, "invalid JSON at byte");
	map_err("[1,2]", 5, TD_EINVAL, "array");
	map_err("[{\"variables\":{}}]", 18, TD_EINVAL, "array");
	map_err("42", 2, TD_EINVAL, "not an object");
	map_err("\"s\"", 3, TD_EINVAL, "not an object");
	map_err("null", 4, TD_EINVAL, "not an object");
	map_err("{\"variables\":{\"uuid\":\"u\"}} x", 28, TD_EINVAL, "invalid JSON");
	map_err("{\"a\":1}{\"b\":2}", 14, TD_EINVAL, "invalid JSON");
	map_err("{'a':1}", 7, TD_EINVAL, "invalid JSON");
	map_err("{\"a\":01}", 8, TD_EINVAL, "invalid JSON");
	map_err("{\"a\":\"x\ny\"}", 11, TD_EINVAL, "invalid JSON"); /* raw control char */
	map_err("{\"a\":\"\\q\"}", 10, TD_EINVAL, "invalid JSON"); /* bad escape */
	map_err("{\"a\" 1}", 7, TD_EINVAL, "invalid JSON");
	map_err("{}", 2, TD_EINVAL, "missing variables.uuid");
}

/* Every 97th prefix of every sample, raw and in both form encodings. */
static void
test_truncated_samples(void **state)
{
	(void)state;
	const char *samples[] = { SAMPLE_PRETTY, SAMPLE_COMPACT, SAMPLE_LEGACY };
	char err[TD_CDR_ERRLEN];
	td_buf body, json;
	td_buf_init(&body, 0);
	td_buf_init(&json, 0);
	int cases = 0;
	for (size_t s = 0; s < TD_ARRAY_LEN(samples); s++) {
		td_buf j;
		load_sample(samples[s], &j);
		size_t last = (size_t)(strrchr(j.data, '}') - j.data); /* the closing brace */
		for (size_t off = 0; off <= last; off += 97) {
			Tandem__CdrRecord *r = NULL;
			int rv = td_cdr_map_freeswitch(j.data, off, &r, err, sizeof(err));
			if (rv != TD_EINVAL || r != NULL) {
				fail_msg("%s cut at %zu: rv %d", samples[s], off, rv);
			}
			if (off > 0 && strstr(err, "truncated JSON at byte") == NULL) {
				fail_msg("%s cut at %zu: reason \"%s\"", samples[s], off, err);
			}
			cases++;
		}
		/* the same prefixes of the encoded bodies fail in decode or in map */
		for (int e = TD_CDR_FS_FORM; e <= TD_CDR_FS_BASE64; e++) {
			td_buf_reset(&body);
			td_cdr_fs_body(&body, j.data, last + 1, (td_cdr_fs_encoding)e);
			for (size_t off = 0; off < body.len; off += 97) {
				Tandem__CdrRecord *r = NULL;
				int rv = td_cdr_decode_body(
				    body.data, off, NULL, &json, err, sizeof(err));
				if (rv == 0) {
					rv = td_cdr_map_freeswitch(
					    json.data, json.len, &r, err, sizeof(err));
				}
				if (rv != TD_EINVAL || r != NULL) {
					fail_msg(
					    "%s enc %d cut at %zu: rv %d", samples[s], e, off, rv);
				}
				cases++;
			}
		}
		/* and the whole thing still maps */
		Tandem__CdrRecord *r = map_ok(j.data, last + 1);
		td_cdr_record_free(r);
		td_buf_free(&j);
	}
	assert_true(cases > 900);
	td_buf_free(&body);
	td_buf_free(&json);
}

static void
test_missing_and_bad_fields(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	v(&b, TIMES);
	map_err(b.data, b.len, TD_EINVAL, "missing variables.uuid");
	v(&b, "\"uuid\":\"\"," TIMES); /* empty counts as missing */
	map_err(b.data, b.len, TD_EINVAL, "missing variables.uuid");
	v(&b, "\"uuid\":null," TIMES);
	map_err(b.data, b.len, TD_EINVAL, "missing variables.uuid");
	v(&b, "\"uuid\":{\"x\":\"y\"}," TIMES);
	map_err(b.data, b.len, TD_EINVAL, "missing variables.uuid");
	v(&b, "\"uuid\":\"u\"");
	map_err(b.data, b.len, TD_EINVAL, "missing start time");
	v(&b, "\"uuid\":\"u\",\"start_uepoch\":\"1700000000000000\"");
	map_err(b.data, b.len, TD_EINVAL, "missing end time");
	v(&b, "\"uuid\":\"u\",\"start_uepoch\":\"12a\",\"end_uepoch\":\"1700000005000000\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.start_uepoch not a number");
	v(&b, "\"uuid\":\"u\",\"start_uepoch\":\" 1700000000000000\",\"end_uepoch\":\"1\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.start_uepoch not a number");
	v(&b, "\"uuid\":\"u\",\"start_epoch\":\"1.5\",\"end_uepoch\":\"1700000005000000\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.start_epoch not a number");
	v(&b, "\"uuid\":\"u\",\"start_uepoch\":\"99999999999999999999\",\"end_uepoch\":\"1\"");
	map_err(b.data, b.len, TD_EINVAL, "not a number");
	v(&b, "\"uuid\":\"u\",\"start_epoch\":\"9223372036854775\",\"end_uepoch\":\"1\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.start_epoch out of range");
	v(&b, "\"uuid\":\"u\",\"start_uepoch\":\"1\",\"end_uepoch\":\"1700000005000000\"");
	map_err(b.data, b.len, TD_EINVAL, "start time out of range");
	v(&b, "\"uuid\":\"u\",\"start_uepoch\":\"-1700000000000000\",\"end_uepoch\":\"1\"");
	map_err(b.data, b.len, TD_EINVAL, "start time out of range");
	v(&b,
	    "\"uuid\":\"u\",\"start_uepoch\":\"1700000000000000\",\"end_uepoch\":"
	    "\"5000000000000000\"");
	map_err(b.data, b.len, TD_EINVAL, "end time out of range");
	v(&b,
	    "\"uuid\":\"u\",\"start_uepoch\":\"1700000005000000\",\"end_uepoch\":"
	    "\"1700000000000000\"");
	map_err(b.data, b.len, TD_EINVAL, "end time before start time");
	v(&b, OKVARS ",\"answer_uepoch\":\"1700000009000000\"");
	map_err(b.data, b.len, TD_EINVAL, "answer time outside start..end");
	v(&b, OKVARS ",\"answer_uepoch\":\"x\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.answer_uepoch not a number");
	v(&b, OKVARS ",\"sip_term_status\":\"abc\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.sip_term_status not a number");
	v(&b, OKVARS ",\"sip_term_status\":\"1000\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.sip_term_status out of range");
	v(&b, OKVARS ",\"hangup_cause_q850\":\"-1\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.hangup_cause_q850 out of range");
	v(&b, OKVARS ",\"billsec\":\"ten\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.billsec not a number");
	v(&b, OKVARS ",\"duration\":\"9999999999\"");
	map_err(b.data, b.len, TD_EINVAL, "out of range");
	v(&b, OKVARS ",\"cc_queue_joined_epoch\":\"soon\"");
	map_err(b.data, b.len, TD_EINVAL, "variables.cc_queue_joined_epoch not a number");
	v(&b, OKVARS ",\"cc_queue_joined_epoch\":\"1700000000000000\""); /* µs where s belong */
	map_err(b.data, b.len, TD_EINVAL, "variables.cc_queue_joined_epoch out of range");

	/* valid minimal document, and the first of two repeated keys wins */
	v(&b, OKVARS ",\"uuid\":\"second\",\"sip_term_status\":\"\"");
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	assert_string_equal(r->leg_uuid, "u-1");
	assert_int_equal(r->sip_term_status, 0);
	assert_int_equal(r->duration_s, 5);
	td_cdr_record_free(r);
	td_buf_free(&b);
}

static void
fill(td_buf *b, char c, size_t n)
{
	char *p = td_buf_extend(b, n);
	assert_non_null(p);
	memset(p, c, n);
}

static void
test_huge_strings(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	/* identities are refused when too long ... */
	td_buf_puts(&b, "{\"variables\":{" TIMES ",\"uuid\":\"");
	fill(&b, 'u', 256);
	td_buf_puts(&b, "\"}}");
	map_err(b.data, b.len, TD_EINVAL, "variables.uuid longer than 255 bytes");
	/* ... also when the encoded form is what is long (the raw cap is hit) */
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"variables\":{" TIMES ",\"uuid\":\"u\",\"sip_call_id\":\"");
	for (int i = 0; i < 100000; i++) {
		td_buf_puts(&b, "%41");
	}
	td_buf_puts(&b, "\"}}");
	map_err(b.data, b.len, TD_EINVAL, "variables.sip_call_id longer than 255 bytes");
	/* 255 decoded bytes from 765 encoded ones is fine */
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"variables\":{" TIMES ",\"uuid\":\"");
	for (int i = 0; i < 255; i++) {
		td_buf_puts(&b, "%41");
	}
	td_buf_puts(&b, "\"}}");
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	assert_int_equal(strlen(r->leg_uuid), 255);
	td_cdr_record_free(r);
	/* descriptive strings are cut at 255 bytes, on a character boundary */
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"variables\":{" OKVARS ",\"effective_caller_id_name\":\"");
	for (int i = 0; i < 50000; i++) {
		td_buf_puts(&b, "%E2%82%AC"); /* EUR sign, 3 bytes */
	}
	td_buf_puts(&b, "\"}}");
	r = map_ok(b.data, b.len);
	assert_int_equal(strlen(r->caller_id_name), 255);
	assert_memory_equal(r->caller_id_name + 252, "\xE2\x82\xAC", 3);
	td_cdr_record_free(r);
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"callflow\":[{\"caller_profile\":{\"destination_number\":\"");
	fill(&b, '7', 300);
	td_buf_puts(&b, "\xC3\xA9\"}}],\"variables\":{" OKVARS "}}");
	r = map_ok(b.data, b.len);
	assert_int_equal(strlen(r->destination_number), 255);
	td_cdr_record_free(r);
	/* recording paths up to 4096 bytes, refused above */
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"variables\":{" OKVARS ",\"cc_record_filename\":\"/");
	fill(&b, 'p', 4096);
	td_buf_puts(&b, "\"}}");
	map_err(b.data, b.len, TD_EINVAL, "variables.cc_record_filename longer than 4096 bytes");
	td_buf_reset(&b);
	td_buf_puts(&b,
	    "{\"app_log\":{\"applications\":[{\"app_name\":\"record_session\",\"app_data\":\"/");
	fill(&b, 'p', 20000);
	td_buf_puts(&b, "\"}]},\"variables\":{" OKVARS "}}");
	map_err(b.data, b.len, TD_EINVAL, "longer than 4096 bytes");
	/* a huge variable nobody maps costs nothing */
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"variables\":{" OKVARS ",\"switch_r_sdp\":\"");
	fill(&b, 's', 900000);
	td_buf_puts(&b, "\"}}");
	r = map_ok(b.data, b.len);
	td_cdr_record_free(r);
	/* over the body limit */
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"variables\":{" OKVARS ",\"x\":\"");
	fill(&b, 's', TD_CDR_MAX_BODY);
	td_buf_puts(&b, "\"}}");
	map_err(b.data, b.len, TD_ETOOBIG, "limit");
	td_buf_free(&b);
}

static void
test_deep_nesting(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	/* 1 (root) + 1 (variables) + 30 = 32 levels: the limit, accepted */
	td_buf_puts(&b, "{\"variables\":{" OKVARS ",\"x\":");
	fill(&b, '[', 30);
	fill(&b, ']', 30);
	td_buf_puts(&b, "}}");
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	td_cdr_record_free(r);
	/* one more is refused */
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"variables\":{" OKVARS ",\"x\":");
	fill(&b, '[', 31);
	fill(&b, ']', 31);
	td_buf_puts(&b, "}}");
	map_err(b.data, b.len, TD_EINVAL, "nested deeper than 32 levels");
	/* a very deep unterminated document stops at the limit, no recursion */
	td_buf_reset(&b);
	td_buf_puts(&b, "{\"a\":");
	for (int i = 0; i < 200000; i++) {
		td_buf_puts(&b, "{\"a\":");
	}
	map_err(b.data, b.len, TD_EINVAL, "nested deeper");
	td_buf_reset(&b);
	fill(&b, '[', 500000);
	map_err(b.data, b.len, TD_EINVAL, "array");
	td_buf_free(&b);
}

static void
test_nul_bytes(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	v(&b, "\"uuid\":\"u\\u0000x\"," TIMES);
	map_err(b.data, b.len, TD_EINVAL, "NUL byte in variables.uuid");
	v(&b, OKVARS ",\"sip_call_id\":\"abc%00def\"");
	map_err(b.data, b.len, TD_EINVAL, "NUL byte in variables.sip_call_id");
	td_buf_reset(&b);
	td_buf_puts(&b,
	    "{\"callflow\":[{\"caller_profile\":{\"caller_id_name\":\"a\\u0000\"}}],"
	    "\"variables\":{" OKVARS "}}");
	map_err(b.data, b.len, TD_EINVAL, "NUL byte in callflow[0].caller_profile.caller_id_name");
	/* a raw NUL byte in the text is not JSON */
	v(&b, OKVARS ",\"x\":\"y\"");
	b.data[b.len - 5] = '\0';
	map_err(b.data, b.len, TD_EINVAL, "invalid JSON");
	/* a NUL in a value nobody maps is harmless */
	v(&b, OKVARS ",\"x\":\"a\\u0000b%00\"");
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	td_cdr_record_free(r);
	td_buf_free(&b);
}

static void
test_error_buffer_handling(void **state)
{
	(void)state;
	/* err may be tiny or absent; out is always NULL on error */
	Tandem__CdrRecord *r = (Tandem__CdrRecord *)1;
	char tiny[4];
	assert_int_equal(td_cdr_map_freeswitch("[", 1, &r, tiny, sizeof(tiny)), TD_EINVAL);
	assert_null(r);
	assert_int_equal(strlen(tiny), 3);
	r = (Tandem__CdrRecord *)1;
	assert_int_equal(td_cdr_map_freeswitch("{", 1, &r, NULL, 0), TD_EINVAL);
	assert_null(r);
	td_buf json = TD_BUF_INIT;
	assert_int_equal(td_cdr_decode_body("x", 1, NULL, &json, NULL, 0), TD_EINVAL);
	assert_int_equal(td_cdr_decode_body(NULL, 0, NULL, &json, tiny, sizeof(tiny)), TD_EINVAL);
	td_buf_free(&json);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_truncated_samples),
		cmocka_unit_test(test_missing_and_bad_fields),
		cmocka_unit_test(test_huge_strings),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_error_buffer_handling),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
