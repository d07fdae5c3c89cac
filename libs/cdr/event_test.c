/* SPDX-License-Identifier: MIT */
/*
 * td_cdr_map_call_event (the sip-router's call-ended events), and records
 * surviving tandem__cdr_record__pack -> unpack unchanged.
 */
#include "cdr/cdr_testutil.h"

static Tandem__CallEvent
ended_event(void)
{
	Tandem__CallEvent ev = TANDEM__CALL_EVENT__INIT;
	ev.kind = TANDEM__CALL_EVENT_KIND__CALL_ENDED;
	ev.call_id = "a84b4c76e66710@pc33.example.com";
	ev.leg_id = "a84b4c76e66710@pc33.example.com;1928301774;";
	ev.from_user = "1001";
	ev.from_display = "Alice";
	ev.to_user = "1002";
	ev.direction = "internal";
	ev.domain = "pbx.example.com";
	ev.target_kind = "user";
	ev.target = "sip:1002@10.0.0.9:5060";
	ev.start_us = 1700000000123456LL;
	ev.answer_us = 1700000002500000LL;
	ev.end_us = 1700000064400000LL;
	ev.sip_status = 200;
	ev.hangup_cause = "NORMAL_CLEARING";
	ev.hangup_cause_q850 = 16;
	ev.disposition = "recv_bye";
	ev.remote_addr = "192.0.2.10:5060";
	return (ev);
}

static Tandem__CdrRecord *
ev_ok(const Tandem__CallEvent *ev, const char *node)
{
	Tandem__CdrRecord *r = NULL;
	char err[TD_CDR_ERRLEN];
	int rv = td_cdr_map_call_event(ev, node, &r, err, sizeof(err));
	if (rv != 0) {
		fail_msg("map_call_event: %s", err);
	}
	return (r);
}

static void
ev_err(const Tandem__CallEvent *ev, const char *reason)
{
	Tandem__CdrRecord *r = (Tandem__CdrRecord *)1;
	char err[TD_CDR_ERRLEN] = "";
	int rv = td_cdr_map_call_event(ev, "n", &r, err, sizeof(err));
	if (rv != TD_EINVAL || strstr(err, reason) == NULL) {
		fail_msg("want \"%s\", got %d \"%s\"", reason, rv, err);
	}
	assert_null(r);
}

static void
test_call_event(void **state)
{
	(void)state;
	Tandem__CallEvent ev = ended_event();
	Tandem__CdrRecord *r = ev_ok(&ev, "node-a");
	assert_int_equal(r->source, TANDEM__CDR_SOURCE__CDR_SOURCE_SIP_ROUTER);
	assert_int_equal(r->leg, TANDEM__CDR_LEG__CDR_LEG_A);
	assert_string_equal(r->leg_uuid, "a84b4c76e66710@pc33.example.com;1928301774;");
	assert_string_equal(r->call_uuid, "a84b4c76e66710@pc33.example.com");
	assert_string_equal(r->sip_call_id, "a84b4c76e66710@pc33.example.com");
	assert_string_equal(r->node, "node-a");
	assert_string_equal(r->direction, "internal");
	assert_string_equal(r->caller_id_number, "1001");
	assert_string_equal(r->caller_id_name, "Alice");
	assert_string_equal(r->destination_number, "1002");
	assert_string_equal(r->domain, "pbx.example.com");
	assert_string_equal(r->context, "");
	assert_string_equal(r->accountcode, "");
	assert_int_equal(r->start_us, 1700000000123456LL);
	assert_int_equal(r->answer_us, 1700000002500000LL);
	assert_int_equal(r->end_us, 1700000064400000LL);
	assert_int_equal(r->duration_s, 64);
	assert_int_equal(r->billsec, 62);
	assert_int_equal(r->billmsec, 61900);
	assert_string_equal(r->hangup_cause, "NORMAL_CLEARING");
	assert_int_equal(r->hangup_cause_q850, 16);
	assert_int_equal(r->sip_term_status, 200);
	assert_string_equal(r->sip_hangup_disposition, "recv_bye");
	assert_string_equal(r->queue, "");
	assert_string_equal(r->recording_path, "");
	assert_true(r->mos == 0);
	assert_string_equal(r->remote_addr, ""); /* the collector's to fill */
	td_cdr_record_free(r);

	/* unanswered, busy; no node; invalid UTF-8 repaired */
	ev.answer_us = 0;
	ev.sip_status = 486;
	ev.hangup_cause = "USER_BUSY";
	ev.hangup_cause_q850 = 17;
	ev.from_display = "Ren\xE9";
	ev.direction = NULL;
	r = ev_ok(&ev, NULL);
	assert_int_equal(r->answer_us, 0);
	assert_int_equal(r->billsec, 0);
	assert_int_equal(r->billmsec, 0);
	assert_int_equal(r->sip_term_status, 486);
	assert_string_equal(r->hangup_cause, "USER_BUSY");
	assert_string_equal(r->caller_id_name, "Ren\xEF\xBF\xBD");
	assert_string_equal(r->node, "");
	assert_string_equal(r->direction, "");
	td_cdr_record_free(r);
}

static void
test_call_event_bad(void **state)
{
	(void)state;
	Tandem__CallEvent ev = ended_event();
	Tandem__CdrRecord *r = (Tandem__CdrRecord *)1;
	char err[TD_CDR_ERRLEN];
	assert_int_equal(td_cdr_map_call_event(NULL, "n", &r, err, sizeof(err)), TD_EINVAL);
	assert_null(r);
	ev.kind = TANDEM__CALL_EVENT_KIND__CALL_ANSWERED;
	ev_err(&ev, "is not CALL_ENDED");
	ev = ended_event();
	ev.leg_id = "";
	ev_err(&ev, "missing leg_id");
	ev = ended_event();
	ev.call_id = NULL;
	ev_err(&ev, "missing call_id");
	ev = ended_event();
	ev.start_us = 0;
	ev_err(&ev, "missing start time");
	ev = ended_event();
	ev.end_us = ev.start_us - 1;
	ev_err(&ev, "end time before start time");
	ev = ended_event();
	ev.answer_us = ev.end_us + 1;
	ev_err(&ev, "answer time outside start..end");
	ev = ended_event();
	ev.end_us = TD_CDR_MAX_TIME_US;
	ev_err(&ev, "end time out of range");
	ev = ended_event();
	ev.sip_status = 1000;
	ev_err(&ev, "out of range");
	ev = ended_event();
	ev.hangup_cause_q850 = -3;
	ev_err(&ev, "out of range");
	ev = ended_event();
	char big[400];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ev.call_id = big;
	ev_err(&ev, "call_id longer than 255 bytes");
	ev = ended_event();
	ev.to_user = big; /* descriptive: cut */
	r = ev_ok(&ev, "n");
	assert_int_equal(strlen(r->destination_number), 255);
	td_cdr_record_free(r);
}

/* roundtrip packs r, unpacks it and compares every field. */
static void
roundtrip(const Tandem__CdrRecord *r)
{
	size_t n = tandem__cdr_record__get_packed_size(r);
	uint8_t *buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(tandem__cdr_record__pack(r, buf), n);
	Tandem__CdrRecord *u = tandem__cdr_record__unpack(NULL, n, buf);
	assert_non_null(u);
	assert_records_equal(r, u);
	tandem__cdr_record__free_unpacked(u, NULL);
	free(buf);
}

static void
test_pack_roundtrip(void **state)
{
	(void)state;
	const char *samples[] = { SAMPLE_PRETTY, SAMPLE_COMPACT, SAMPLE_LEGACY };
	for (size_t i = 0; i < TD_ARRAY_LEN(samples); i++) {
		td_buf j;
		load_sample(samples[i], &j);
		Tandem__CdrRecord *r = map_ok(j.data, j.len);
		roundtrip(r);
		/* the collector fills these; its strings are its own, not freed with r */
		r->received_us = 1700000000000001LL;
		r->remote_addr = "192.0.2.7";
		roundtrip(r);
		td_cdr_record_free(r);
		td_buf_free(&j);
	}
	Tandem__CallEvent ev = ended_event();
	Tandem__CdrRecord *r = ev_ok(&ev, "node-a");
	roundtrip(r);
	td_cdr_record_free(r);
	td_cdr_record_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_event),
		cmocka_unit_test(test_call_event_bad),
		cmocka_unit_test(test_pack_roundtrip),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
