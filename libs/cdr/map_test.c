/* SPDX-License-Identifier: MIT */
/*
 * td_cdr_map_freeswitch: every mapped field of the three real samples, the
 * legacy duplicate-callflow layout, a B-leg built the way FreeSWITCH lays
 * one out, URL-decoding of variables, fallbacks and recording paths.
 */
#include "cdr/cdr_testutil.h"

#include <jansson.h>

#include "cdr/fssim.h"
#include "cdr/internal.h"

/* ---- the three samples, field by field ------------------------------------- */

static void
test_sample_pretty(void **state)
{
	(void)state;
	td_buf j;
	load_sample(SAMPLE_PRETTY, &j);
	Tandem__CdrRecord *r = map_ok(j.data, j.len);
	assert_string_equal(r->leg_uuid, "3da8bf84-c133-4959-9e24-e72875cb33a1");
	assert_string_equal(r->call_uuid, "3da8bf84-c133-4959-9e24-e72875cb33a1");
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_A);
	assert_int_equal(r->source, TANDEM__CDR_SOURCE__CDR_SOURCE_FREESWITCH);
	assert_string_equal(r->node, "FSDev1");
	assert_string_equal(r->direction, "inbound");
	assert_string_equal(r->caller_id_number, "1001");
	assert_string_equal(r->caller_id_name, "1001");
	assert_string_equal(r->destination_number, "1002");
	assert_string_equal(r->context, "default");
	assert_string_equal(r->domain, "10.10.10.204"); /* no domain_name: sip_req_host */
	assert_string_equal(r->accountcode, "");
	assert_int_equal(r->start_us, 1515666344534355LL);
	assert_int_equal(r->answer_us, 1515666347954373LL);
	assert_int_equal(r->end_us, 1515666415494269LL);
	assert_int_equal(r->duration_s, 71);
	assert_int_equal(r->billsec, 68);
	assert_int_equal(r->billmsec, 67540);
	assert_string_equal(r->hangup_cause, "NORMAL_CLEARING");
	assert_int_equal(r->hangup_cause_q850, 16);
	assert_int_equal(r->sip_term_status, 0); /* absent in this sample */
	assert_string_equal(r->sip_hangup_disposition, "send_bye");
	assert_string_equal(r->sip_call_id, "818e26f805701988c1a330175d7d2629@0:0:0:0:0:0:0:0");
	assert_string_equal(r->queue, "");
	assert_string_equal(r->agent, "");
	assert_int_equal(r->queue_joined_us, 0);
	assert_int_equal(r->queue_answered_us, 0);
	assert_string_equal(r->queue_cancel_reason, "");
	assert_string_equal(r->recording_path, "");
	assert_true(r->mos == 4.5);
	assert_int_equal(r->received_us, 0);
	assert_string_equal(r->remote_addr, "");
	td_cdr_record_free(r);
	td_buf_free(&j);
}

static void
test_sample_compact(void **state)
{
	(void)state;
	td_buf j;
	load_sample(SAMPLE_COMPACT, &j);
	Tandem__CdrRecord *r = map_ok(j.data, j.len);
	assert_string_equal(r->leg_uuid, "5a3a1d91-90d3-4db4-af5c-cc3ae15d93a4");
	assert_string_equal(r->call_uuid, "5a3a1d91-90d3-4db4-af5c-cc3ae15d93a4");
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_A);
	assert_int_equal(r->source, TANDEM__CDR_SOURCE__CDR_SOURCE_FREESWITCH);
	assert_string_equal(r->node, "teo");
	assert_string_equal(r->direction, "inbound");
	assert_string_equal(r->caller_id_number, "1001");
	/* callflow[0]'s profile wins over effective_caller_id_name "Extension 1001" */
	assert_string_equal(r->caller_id_name, "1001");
	assert_string_equal(r->destination_number, "1002");
	assert_string_equal(r->context, "default");
	assert_string_equal(r->domain, "192.168.56.202");
	assert_string_equal(r->accountcode, "1001");
	assert_int_equal(r->start_us, 1521025758006702LL);
	assert_int_equal(r->answer_us, 1521025767766321LL);
	assert_int_equal(r->end_us, 1521025788366141LL);
	assert_int_equal(r->duration_s, 30);
	assert_int_equal(r->billsec, 21);
	assert_int_equal(r->billmsec, 20600);
	assert_string_equal(r->hangup_cause, "NORMAL_CLEARING");
	assert_int_equal(r->hangup_cause_q850, 16);
	assert_int_equal(r->sip_term_status, 200);
	assert_string_equal(r->sip_hangup_disposition, "recv_bye");
	assert_string_equal(r->sip_call_id, "985e365faa0ec79a7fa75d001ef2449f@0:0:0:0:0:0:0:0");
	assert_string_equal(r->queue, "");
	assert_string_equal(r->agent, "");
	assert_string_equal(r->recording_path, "");
	assert_true(r->mos == 4.492027);
	td_cdr_record_free(r);
	td_buf_free(&j);
}

static void
test_sample_legacy(void **state)
{
	(void)state;
	td_buf j;
	load_sample(SAMPLE_LEGACY, &j);
	Tandem__CdrRecord *r = map_ok(j.data, j.len);
	assert_string_equal(r->leg_uuid, "86cfd6e2-dbda-45a3-b59d-f683ec368e8b");
	assert_string_equal(r->call_uuid, "86cfd6e2-dbda-45a3-b59d-f683ec368e8b");
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_A);
	assert_int_equal(r->source, TANDEM__CDR_SOURCE__CDR_SOURCE_FREESWITCH);
	/* no top-level switchname in 2014: variables.FreeSWITCH-Switchname */
	assert_string_equal(r->node, "CGRTest");
	assert_string_equal(r->direction, "inbound");
	assert_string_equal(r->caller_id_number, "1001");
	assert_string_equal(r->caller_id_name, "1001");
	assert_string_equal(r->destination_number, "1002");
	assert_string_equal(r->context, "default");
	assert_string_equal(r->domain, "192.168.56.66");
	assert_string_equal(r->accountcode, "1001");
	assert_int_equal(r->start_us, 1396984221278217LL);
	assert_int_equal(r->answer_us, 1396984227717006LL);
	assert_int_equal(r->end_us, 1396984242257026LL);
	assert_int_equal(r->duration_s, 21);
	assert_int_equal(r->billsec, 15);
	assert_int_equal(r->billmsec, 14540);
	assert_string_equal(r->hangup_cause, "NORMAL_CLEARING");
	assert_int_equal(r->hangup_cause_q850, 16);
	assert_int_equal(r->sip_term_status, 200);
	assert_string_equal(r->sip_hangup_disposition, "recv_bye");
	assert_string_equal(r->sip_call_id, "6691dbf8ffdc02bdacee02bc305d5c71@0:0:0:0:0:0:0:0");
	assert_string_equal(
	    r->recording_path, "/var/lib/freeswitch/recordings/1001.2014-04-08-21-10-21.wav");
	assert_true(r->mos == 0); /* no callStats, no rtp_audio_in_mos in 2014 */
	td_cdr_record_free(r);
	td_buf_free(&j);
}

/* ---- the legacy layout: the first "callflow" key is the newest and wins ------ */

/* replace_after replaces the first `from` found after byte `at` (must exist). */
static void
replace_after(td_buf *b, size_t at, const char *from, const char *to)
{
	char *p = memmem(b->data + at, b->len - at, from, strlen(from));
	assert_non_null(p);
	td_buf o;
	td_buf_init(&o, 0);
	td_buf_append(&o, b->data, (size_t)(p - b->data));
	td_buf_puts(&o, to);
	td_buf_puts(&o, p + strlen(from));
	td_buf_free(b);
	*b = o;
}

static size_t
offset_of(const td_buf *b, const char *s, int nth)
{
	size_t at = 0;
	for (int i = 0; i <= nth; i++) {
		char *p = memmem(b->data + at, b->len - at, s, strlen(s));
		assert_non_null(p);
		at = (size_t)(p - b->data) + (i < nth ? 1 : 0);
	}
	return (at);
}

static void
test_legacy_first_callflow_wins(void **state)
{
	(void)state;
	td_buf j;
	load_sample(SAMPLE_LEGACY, &j);
	/* Two "callflow" keys, exactly as FreeSWITCH before FS-7612 sent them. */
	size_t first = offset_of(&j, "\"callflow\":{", 0);
	size_t second = offset_of(&j, "\"callflow\":{", 1);
	assert_true(second > first);
	/* Make the profiles tell apart: the second (older) one says 9999 / Second. */
	replace_after(
	    &j, second, "\"destination_number\":\"1002\"", "\"destination_number\":\"9999\"");
	replace_after(&j, second, "\"caller_id_name\":\"1001\"", "\"caller_id_name\":\"Second\"");
	replace_after(&j, second, "\"context\":\"default\"", "\"context\":\"older\"");
	/* Hide the variables' times so the times come from callflow[0].times. */
	replace_after(&j, 0, "\"start_uepoch\"", "\"x_start_uepoch\"");
	replace_after(&j, 0, "\"start_epoch\"", "\"x_start_epoch\"");
	replace_after(&j, 0, "\"answer_uepoch\"", "\"x_answer_uepoch\"");
	replace_after(&j, 0, "\"answer_epoch\"", "\"x_answer_epoch\"");
	replace_after(&j, 0, "\"end_uepoch\"", "\"x_end_uepoch\"");
	replace_after(&j, 0, "\"end_epoch\"", "\"x_end_epoch\"");
	Tandem__CdrRecord *r = map_ok(j.data, j.len);
	assert_string_equal(r->destination_number, "1002");
	assert_string_equal(r->caller_id_name, "1001");
	assert_string_equal(r->context, "default");
	assert_int_equal(r->start_us, 1396984221278217LL);
	/* the second callflow's answered_time is "0": the first one's is used */
	assert_int_equal(r->answer_us, 1396984227717006LL);
	assert_int_equal(r->end_us, 1396984242257026LL);
	td_cdr_record_free(r);

	/* And the first one really is read: change it, see the change. */
	replace_after(
	    &j, first, "\"destination_number\":\"1002\"", "\"destination_number\":\"7777\"");
	r = map_ok(j.data, j.len);
	assert_string_equal(r->destination_number, "7777");
	td_cdr_record_free(r);
	td_buf_free(&j);
}

/* ---- the same sample in every encoding maps to the same record --------------- */

static void
check_encodings(const char *sample)
{
	td_buf j, ev, body, json;
	char err[TD_CDR_ERRLEN];
	load_sample(sample, &j);
	td_buf_init(&ev, 0);
	td_buf_init(&body, 0);
	td_buf_init(&json, 0);
	Tandem__CdrRecord *ref = map_ok(j.data, j.len);

	/* encode-values=true: every variables value %HH-encoded by FreeSWITCH's rules */
	assert_int_equal(td_cdr_fs_encode_values(j.data, j.len, &ev), 0);
	assert_non_null(strstr(ev.data, "%40")); /* '@' of sip_from_uri & co. */
	assert_null(strstr(ev.data, "\"1001@")); /* no raw value left */
	assert_non_null(strstr(ev.data, "\"uuid\":\""));

	const char *wrong[] = { NULL, "", "text/plain", "application/json",
		"application/x-www-form-urlencoded", "application/x-www-form-base64-encoded" };
	const td_buf *docs[] = { &j, &ev };
	const td_cdr_fs_encoding encs[] = { TD_CDR_FS_RAW, TD_CDR_FS_FORM, TD_CDR_FS_BASE64 };
	int checked = 0;
	for (size_t d = 0; d < TD_ARRAY_LEN(docs); d++) {
		for (size_t e = 0; e < TD_ARRAY_LEN(encs); e++) {
			td_buf_reset(&body);
			td_cdr_fs_body(&body, docs[d]->data, docs[d]->len, encs[e]);
			const char *ctypes[TD_ARRAY_LEN(wrong) + 1];
			ctypes[0] = td_cdr_fs_content_type(encs[e]);
			memcpy(ctypes + 1, wrong, sizeof(wrong));
			for (size_t c = 0; c < TD_ARRAY_LEN(ctypes); c++) {
				int rv = td_cdr_decode_body(
				    body.data, body.len, ctypes[c], &json, err, sizeof(err));
				assert_int_equal(rv, 0);
				Tandem__CdrRecord *r = NULL;
				rv = td_cdr_map_freeswitch(
				    json.data, json.len, &r, err, sizeof(err));
				if (d == 1 && encs[e] == TD_CDR_FS_FORM) {
					/*
					 * encode=true + encode-values=true: FreeSWITCH's outer
					 * encoding leaves the inner %22 and %0D%0A alone, so the
					 * form-decoded document is not JSON (README section 1,
					 * "Pitfall").  A clear refusal, not a wrong record.
					 */
					assert_int_equal(rv, TD_EINVAL);
					assert_non_null(strstr(err, "JSON"));
					continue;
				}
				if (rv != 0) {
					fail_msg("%s doc %zu enc %zu ctype %zu: %s", sample, d, e,
					    c, err);
				}
				assert_records_equal(ref, r);
				td_cdr_record_free(r);
				checked++;
			}
		}
	}
	assert_int_equal(checked, 5 * 7);

	/* Other form fields around cdr= change nothing. */
	td_buf_reset(&body);
	td_buf_puts(&body, "uuid=abc&x=1%202&cdr=");
	td_cdr_fs_url_encode(&body, j.data, j.len);
	td_buf_puts(&body, "&trailer=yes");
	assert_int_equal(td_cdr_decode_body(body.data, body.len, NULL, &json, err, sizeof(err)), 0);
	Tandem__CdrRecord *r = map_ok(json.data, json.len);
	assert_records_equal(ref, r);
	td_cdr_record_free(r);

	td_cdr_record_free(ref);
	td_buf_free(&j);
	td_buf_free(&ev);
	td_buf_free(&body);
	td_buf_free(&json);
}

static void
test_encodings_pretty(void **state)
{
	(void)state;
	check_encodings(SAMPLE_PRETTY);
}

static void
test_encodings_compact(void **state)
{
	(void)state;
	check_encodings(SAMPLE_COMPACT);
}

static void
test_encodings_legacy(void **state)
{
	(void)state;
	check_encodings(SAMPLE_LEGACY);
}

/* ---- URL-decoding of variables values ------------------------------------------ */

/* doc builds a small valid CDR with extra variables (a JSON fragment, may be ""). */
static void
doc(td_buf *b, const char *vars, const char *callflow)
{
	td_buf_reset(b);
	td_buf_printf(b,
	    "{\"switchname\":\"fs1\",\"channel_data\":{\"direction\":\"inbound\"},"
	    "\"variables\":{%s%s\"uuid\":\"u-1\",\"start_uepoch\":\"1700000000000000\","
	    "\"answer_uepoch\":\"1700000001000000\",\"end_uepoch\":\"1700000061500000\"},"
	    "\"callflow\":[%s]}",
	    vars, vars[0] ? "," : "", callflow);
}

static void
test_variables_url_decoding(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	doc(&b,
	    "\"effective_caller_id_name\":\"%22Alice%20B%22%20%3C1001%3E\","
	    "\"effective_caller_id_number\":\"+49%2B1\"," /* '+' is not a space */
	    "\"sip_req_user\":\"100%\"," /* lone '%' at the end */
	    "\"domain_name\":\"a%zzb%4\"," /* not %HH: literal */
	    "\"cc_queue\":\"sales%40example.com\","
	    "\"cc_agent\":\"agent%c3%a9\"," /* lowercase hex decodes too */
	    "\"accountcode\":\"%E2%82%AC%41\"", /* UTF-8 passes through */
	    "");
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	assert_string_equal(r->caller_id_name, "\"Alice B\" <1001>");
	assert_string_equal(r->caller_id_number, "+49+1");
	assert_string_equal(r->destination_number, "100%");
	assert_string_equal(r->domain, "a%zzb%4");
	assert_string_equal(r->queue, "sales@example.com");
	assert_string_equal(r->agent, "agent\xC3\xA9");
	assert_string_equal(r->accountcode,
	    "\xE2\x82\xAC"
	    "A");
	/* computed when FreeSWITCH's own duration/billsec are absent */
	assert_int_equal(r->duration_s, 61);
	assert_int_equal(r->billsec, 60);
	assert_int_equal(r->billmsec, 60500);
	td_cdr_record_free(r);

	/* callflow values are never encoded, so never decoded */
	doc(&b, "", "{\"caller_profile\":{\"caller_id_name\":\"50%25 off\"}}");
	r = map_ok(b.data, b.len);
	assert_string_equal(r->caller_id_name, "50%25 off");
	td_cdr_record_free(r);
	td_buf_free(&b);
}

static void
test_invalid_utf8_is_repaired(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	/* a raw Latin-1 byte in callflow (not JSON-valid UTF-8) and an encoded one in variables */
	doc(&b, "\"sip_from_display\":\"x\",\"cc_agent\":\"Jos%E9\"",
	    "{\"caller_profile\":{\"caller_id_name\":\"Ren\xE9\"}}");
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	assert_string_equal(r->caller_id_name, "Ren\xEF\xBF\xBD");
	assert_string_equal(r->agent, "Jos\xEF\xBF\xBD");
	td_cdr_record_free(r);
	td_buf_free(&b);
}

/* ---- times ------------------------------------------------------------------------ */

static void
test_times(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	/* seconds fallback */
	td_buf_puts(&b,
	    "{\"variables\":{\"uuid\":\"u\",\"start_epoch\":\"1700000000\","
	    "\"answer_epoch\":\"0\",\"end_epoch\":\"1700000010\"}}");
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	assert_int_equal(r->start_us, 1700000000000000LL);
	assert_int_equal(r->answer_us, 0);
	assert_int_equal(r->end_us, 1700000010000000LL);
	assert_int_equal(r->duration_s, 10);
	assert_int_equal(r->billsec, 0);
	assert_int_equal(r->billmsec, 0);
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_A);
	td_cdr_record_free(r);

	/* unanswered: answer_uepoch "0" wins over a non-zero answer_epoch */
	td_buf_reset(&b);
	td_buf_puts(&b,
	    "{\"variables\":{\"uuid\":\"u\",\"start_uepoch\":\"1700000000000001\","
	    "\"answer_uepoch\":\"0\",\"answer_epoch\":\"1700000001\","
	    "\"end_uepoch\":\"1700000002000000\",\"billsec\":\"0\"}}");
	r = map_ok(b.data, b.len);
	assert_int_equal(r->answer_us, 0);
	assert_int_equal(r->billsec, 0);
	td_cdr_record_free(r);

	/* mod_callcenter epochs (seconds) become µs */
	td_buf_reset(&b);
	td_buf_puts(&b,
	    "{\"variables\":{\"uuid\":\"u\",\"start_uepoch\":\"1700000000000000\","
	    "\"end_uepoch\":\"1700000100000000\",\"cc_queue\":\"support%40cc\","
	    "\"cc_agent\":\"1005\",\"cc_queue_joined_epoch\":\"1700000002\","
	    "\"cc_queue_answered_epoch\":\"1700000030\",\"cc_cancel_reason\":\"NONE\","
	    "\"cc_side\":\"member\"}}");
	r = map_ok(b.data, b.len);
	assert_string_equal(r->queue, "support@cc");
	assert_string_equal(r->agent, "1005");
	assert_int_equal(r->queue_joined_us, 1700000002000000LL);
	assert_int_equal(r->queue_answered_us, 1700000030000000LL);
	assert_string_equal(r->queue_cancel_reason, "NONE");
	td_cdr_record_free(r);
	td_buf_free(&b);
}

/* ---- recording paths ------------------------------------------------------------- */

static void
rec_case(const char *vars, const char *apps, const char *want)
{
	td_buf b;
	td_buf_init(&b, 0);
	td_buf_printf(&b,
	    "{\"variables\":{\"uuid\":\"u\",\"start_uepoch\":\"1700000000000000\","
	    "\"end_uepoch\":\"1700000001000000\"%s%s},\"app_log\":{\"applications\":[%s]}}",
	    vars[0] ? "," : "", vars, apps);
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	if (strcmp(r->recording_path, want) != 0) {
		fail_msg("vars %s apps %s: want \"%s\", got \"%s\"", vars, apps, want,
		    r->recording_path);
	}
	td_cdr_record_free(r);
	td_buf_free(&b);
}

static void
test_recording_path(void **state)
{
	(void)state;
	rec_case("", "", "");
	/* record_session ran: its data, without {vars} and the +limit */
	rec_case("\"cc_record_filename\":\"/cc.wav\"",
	    "{\"app_name\":\"set\",\"app_data\":\"a=b\"},"
	    "{\"app_name\":\"record_session\",\"app_data\":\"{foo=bar}/rec/a b.wav +30\"},"
	    "{\"app_name\":\"record_session\",\"app_data\":\"/rec/second.wav\"}",
	    "/rec/a b.wav");
	/* app_data before app_name works as well */
	rec_case("", "{\"app_data\":\"/rec/x.wav\",\"app_name\":\"record_session\"}", "/rec/x.wav");
	/* mod_callcenter's recording beats a mere binding */
	rec_case("\"cc_record_filename\":\"%2Fvar%2Frec%2Fq.wav\"",
	    "{\"app_name\":\"bind_meta_app\",\"app_data\":\"2 b s record_session::/b.wav\"}",
	    "/var/rec/q.wav");
	/* set execute_on_answer=record_session <path> in app_log */
	rec_case("",
	    "{\"app_name\":\"set\",\"app_data\":\"record_stereo=true\"},"
	    "{\"app_name\":\"set\",\"app_data\":\"execute_on_answer=record_session /r/ans.wav\"}",
	    "/r/ans.wav");
	/* a set of something else mentioning record_session does not count */
	rec_case("", "{\"app_name\":\"set\",\"app_data\":\"x=record_session /no.wav\"}", "");
	/* the execute_on_answer variable (URL-encoded) */
	rec_case("\"execute_on_answer\":\"record_session::%2Fr%2Fv.wav\"", "", "/r/v.wav");
	/* FusionPBX: record_path + record_name */
	rec_case("\"record_path\":\"%2Fvar%2Flib%2Frec%2Fd1\",\"record_name\":\"u.wav\"", "",
	    "/var/lib/rec/d1/u.wav");
	rec_case("\"record_path\":\"/r/\",\"record_name\":\"u.wav\"", "", "/r/u.wav");
	rec_case("\"record_path\":\"/r\"", "", ""); /* no name: no path */
	/* record_session_mask is another app */
	rec_case("",
	    "{\"app_name\":\"bind_meta_app\",\"app_data\":\"2 b s record_session_mask::x\"}", "");
}

static void
test_rec_path_helper(void **state)
{
	(void)state;
	size_t off, len;
	const char *d = "2 b s record_session::/var/x.wav";
	assert_true(td_cdr__rec_path(d, strlen(d), false, &off, &len));
	assert_int_equal(len, strlen("/var/x.wav"));
	assert_memory_equal(d + off, "/var/x.wav", len);
	d = "  /only/path.wav  ";
	assert_true(td_cdr__rec_path(d, strlen(d), true, &off, &len));
	assert_memory_equal(d + off, "/only/path.wav", len);
	assert_int_equal(len, strlen("/only/path.wav"));
	d = "{a=b,c=d} /p.wav +10";
	assert_true(td_cdr__rec_path(d, strlen(d), true, &off, &len));
	assert_int_equal(len, strlen("/p.wav"));
	d = "/p+10.wav"; /* not a limit */
	assert_true(td_cdr__rec_path(d, strlen(d), true, &off, &len));
	assert_int_equal(len, strlen(d));
	d = "{unterminated /p.wav";
	assert_false(td_cdr__rec_path(d, strlen(d), true, &off, &len));
	d = "record_session";
	assert_false(td_cdr__rec_path(d, strlen(d), false, &off, &len));
	d = "   ";
	assert_false(td_cdr__rec_path(d, strlen(d), true, &off, &len));
}

/* ---- mos ----------------------------------------------------------------------------- */

static void
test_mos(void **state)
{
	(void)state;
	td_buf b;
	td_buf_init(&b, 0);
	const char *base = "\"uuid\":\"u\",\"start_uepoch\":\"1700000000000000\","
	                   "\"end_uepoch\":\"1700000001000000\"";
	td_buf_printf(&b, "{\"variables\":{%s,\"rtp_audio_in_mos\":\"4.21\"}}", base);
	Tandem__CdrRecord *r = map_ok(b.data, b.len);
	assert_true(r->mos == 4.21);
	td_cdr_record_free(r);
	/* callStats wins; an out-of-range callStats value falls back */
	td_buf_reset(&b);
	td_buf_printf(&b,
	    "{\"callStats\":{\"audio\":{\"inbound\":{\"mos\":7.5}}},"
	    "\"variables\":{%s,\"rtp_audio_in_mos\":\"3.5\"}}",
	    base);
	r = map_ok(b.data, b.len);
	assert_true(r->mos == 3.5);
	td_cdr_record_free(r);
	td_buf_reset(&b);
	td_buf_printf(&b,
	    "{\"callStats\":{\"audio\":{\"inbound\":{\"mos\":\"x\"}}},\"variables\":{%s}}", base);
	r = map_ok(b.data, b.len);
	assert_true(r->mos == 0);
	td_cdr_record_free(r);
	td_buf_free(&b);
}

/* ---- B-legs ----------------------------------------------------------------------------- */

#define A_UUID "5a3a1d91-90d3-4db4-af5c-cc3ae15d93a4"
#define B_UUID "9c1afb4f-1d4a-4e45-84a3-d25721981bf5" /* the compact sample's originatee */

/*
 * make_bleg turns the compact A-leg sample into the B-leg FreeSWITCH would
 * post for the same call (README section 2): its own uuid and Call-ID,
 * direction outbound, call_uuid and originating_leg_uuid = the A-leg,
 * bridge_uuid/signal_bond = the A-leg, and a callflow[0].caller_profile
 * with an "originator" holding the A-leg's profile instead of "originatee".
 */
static char *
make_bleg(void)
{
	td_buf a;
	load_sample(SAMPLE_COMPACT, &a);
	json_error_t je;
	json_t *root = json_loadb(a.data, a.len, 0, &je);
	assert_non_null(root);
	td_buf_free(&a);

	json_t *vars = json_object_get(root, "variables");
	json_object_set_new(vars, "uuid", json_string(B_UUID));
	json_object_set_new(vars, "direction", json_string("outbound"));
	json_object_set_new(vars, "call_uuid", json_string(A_UUID));
	json_object_set_new(vars, "originating_leg_uuid", json_string(A_UUID));
	json_object_set_new(vars, "bridge_uuid", json_string(A_UUID));
	json_object_set_new(vars, "signal_bond", json_string(A_UUID));
	json_object_set_new(vars, "last_bridge_to", json_string(A_UUID));
	json_object_set_new(vars, "sip_call_id", json_string("4c2d1e0f-b-leg@192.168.56.202"));
	json_object_set_new(vars, "sip_hangup_disposition", json_string("send_bye"));
	json_object_set_new(vars, "last_bridge_role", json_string("originatee"));
	json_object_del(vars, "originated_legs");
	json_object_del(vars, "originate_causes");
	json_object_del(vars, "effective_caller_id_name");
	json_object_set_new(
	    json_object_get(root, "channel_data"), "direction", json_string("outbound"));

	json_t *cf0 = json_array_get(json_object_get(root, "callflow"), 0);
	json_t *aprof = json_object_get(cf0, "caller_profile");
	json_t *bprof = json_deep_copy(aprof);
	json_object_del(bprof, "originatee");
	json_t *orig_a = json_deep_copy(aprof);
	json_object_del(orig_a, "originatee");
	json_object_set_new(bprof, "uuid", json_string(B_UUID));
	json_object_set_new(
	    bprof, "chan_name", json_string("sofia/internal/1002@192.168.56.1:5060"));
	json_object_set_new(bprof, "caller_id_name", json_string("Extension 1001"));
	json_t *profiles = json_array();
	json_array_append_new(profiles, orig_a);
	json_t *originator = json_object();
	json_object_set_new(originator, "originator_caller_profiles", profiles);
	json_object_set_new(bprof, "originator", originator);
	json_t *cf = json_object();
	json_object_set_new(cf, "dialplan", json_string("XML"));
	json_object_set_new(cf, "profile_index", json_string("1"));
	json_object_set_new(cf, "caller_profile", bprof);
	json_object_set(cf, "times", json_object_get(cf0, "times"));
	json_t *arr = json_array();
	json_array_append_new(arr, cf);
	json_object_set_new(root, "callflow", arr);
	json_object_del(root, "app_log"); /* an originated leg runs no dialplan */

	char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	assert_non_null(s);
	return (s);
}

/* mutate_vars applies one edit to a B-leg document: key=NULL deletes. */
static char *
edit(const char *in, const char *obj, const char *key, const char *value)
{
	json_error_t je;
	json_t *root = json_loads(in, 0, &je);
	assert_non_null(root);
	json_t *o = root;
	if (strcmp(obj, "profile") == 0) {
		o = json_object_get(
		    json_array_get(json_object_get(root, "callflow"), 0), "caller_profile");
	} else if (obj[0] != '\0') {
		o = json_object_get(root, obj);
	}
	if (value == NULL) {
		json_object_del(o, key);
	} else {
		json_object_set_new(o, key, json_string(value));
	}
	char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	return (s);
}

static void
test_bleg(void **state)
{
	(void)state;
	char *b = make_bleg();
	Tandem__CdrRecord *r = map_ok(b, strlen(b));
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_B);
	assert_string_equal(r->leg_uuid, B_UUID);
	assert_string_equal(r->call_uuid, A_UUID);
	assert_string_equal(r->direction, "outbound");
	assert_string_equal(r->sip_call_id, "4c2d1e0f-b-leg@192.168.56.202");
	assert_string_equal(r->sip_hangup_disposition, "send_bye");
	assert_string_equal(r->caller_id_number, "1001");
	assert_string_equal(r->caller_id_name, "Extension 1001");
	assert_string_equal(r->destination_number, "1002");
	assert_string_equal(r->node, "teo");
	td_cdr_record_free(r);

	/* each source of the A-leg uuid alone is enough */
	char *no_call = edit(b, "variables", "call_uuid", NULL); /* -> originator profile */
	r = map_ok(no_call, strlen(no_call));
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_B);
	assert_string_equal(r->call_uuid, A_UUID);
	td_cdr_record_free(r);

	char *self_call = edit(b, "variables", "call_uuid", B_UUID); /* own uuid: ignored */
	r = map_ok(self_call, strlen(self_call));
	assert_string_equal(r->call_uuid, A_UUID);
	td_cdr_record_free(r);

	char *no_orig = edit(no_call, "profile", "originator", NULL); /* -> originating_leg_uuid */
	r = map_ok(no_orig, strlen(no_orig));
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_B); /* outbound */
	assert_string_equal(r->call_uuid, A_UUID);
	td_cdr_record_free(r);

	/* mod_callcenter agent leg: originated without a caller session */
	char *agent = edit(no_orig, "variables", "originating_leg_uuid", NULL);
	char *agent2 = edit(agent, "variables", "cc_member_session_uuid", "member-channel-uuid");
	r = map_ok(agent2, strlen(agent2));
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_B);
	assert_string_equal(r->call_uuid, "member-channel-uuid");
	td_cdr_record_free(r);

	/* nothing names the A-leg: bridge_uuid is not trusted, the leg is its own call */
	r = map_ok(agent, strlen(agent));
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_B);
	assert_string_equal(r->call_uuid, B_UUID);
	td_cdr_record_free(r);

	/* an inbound leg with an originator is still a B-leg (e.g. loopback) */
	char *inb = edit(b, "channel_data", "direction", "inbound");
	r = map_ok(inb, strlen(inb));
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_B);
	td_cdr_record_free(r);

	free(inb);
	free(agent2);
	free(agent);
	free(no_orig);
	free(self_call);
	free(no_call);
	free(b);
}

/* ---- the variables name table ---------------------------------------------------------- */

static void
test_var_table(void **state)
{
	(void)state;
	for (int f = TD_F_V_FIRST; f < TD_F__COUNT; f++) {
		const char *n = td_cdr__var_name(f);
		assert_non_null(n);
		assert_int_equal(td_cdr__var_field(n, strlen(n)), f); /* also proves it sorted */
	}
	assert_int_equal(td_cdr__var_field("uuidx", 5), -1);
	assert_int_equal(td_cdr__var_field("uui", 3), -1);
	assert_int_equal(td_cdr__var_field("", 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_pretty),
		cmocka_unit_test(test_sample_compact),
		cmocka_unit_test(test_sample_legacy),
		cmocka_unit_test(test_legacy_first_callflow_wins),
		cmocka_unit_test(test_encodings_pretty),
		cmocka_unit_test(test_encodings_compact),
		cmocka_unit_test(test_encodings_legacy),
		cmocka_unit_test(test_variables_url_decoding),
		cmocka_unit_test(test_invalid_utf8_is_repaired),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_recording_path),
		cmocka_unit_test(test_rec_path_helper),
		cmocka_unit_test(test_mos),
		cmocka_unit_test(test_bleg),
		cmocka_unit_test(test_var_table),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
