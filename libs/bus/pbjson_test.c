/* SPDX-License-Identifier: MIT */
/* Unit tests: protobuf-c messages to JSON through descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bus/pbjson.h"
#include "tandem/ctl.pb-c.h"
#include "tandem/events.pb-c.h"

static char *
dump(const ProtobufCMessage *m)
{
	json_t *j = td_pb_to_json(m);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	return (s);
}

static void
test_event_with_oneof(void **state)
{
	(void)state;
	Tandem__Event ev = TANDEM__EVENT__INIT;
	Tandem__CallEvent call = TANDEM__CALL_EVENT__INIT;
	call.kind = TANDEM__CALL_EVENT_KIND__CALL_ENDED;
	call.call_id = (char *)"c1@host";
	call.sip_status = 486;
	call.end_us = 1521025779000000;
	ev.source = (char *)"sip-router";
	ev.seq = 7;
	ev.body_case = TANDEM__EVENT__BODY_CALL;
	ev.call = &call;
	char *s = dump(&ev.base);
	assert_string_equal(s, "{\"call\":{\"call_id\":\"c1@host\",\"end_us\":1521025779000000,"
	                       "\"kind\":\"CALL_ENDED\",\"sip_status\":486},\"seq\":7,"
	                       "\"source\":\"sip-router\"}");
	free(s);
}

static void
test_repeated_and_empty(void **state)
{
	(void)state;
	Tandem__CtlRequest rq = TANDEM__CTL_REQUEST__INIT;
	char *args[] = {(char *)"a", (char *)"b\"c"};
	rq.command = (char *)"loglevel";
	rq.n_args = 2;
	rq.args = args;
	char *s = dump(&rq.base);
	assert_string_equal(s, "{\"args\":[\"a\",\"b\\\"c\"],\"command\":\"loglevel\"}");
	free(s);
	Tandem__CtlRequest empty = TANDEM__CTL_REQUEST__INIT;
	s = dump(&empty.base);
	assert_string_equal(s, "{}");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_event_with_oneof),
	    cmocka_unit_test(test_repeated_and_empty),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
