/* SPDX-License-Identifier: MIT */
/* GET /api/cdr parameters -> SQL (see cdr_query.h). */
#include "cdr_query.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

/* Everything a client sees of a CDR; timestamps render as RFC 3339 in UTC. */
static const char select_cols[] =
    "SELECT json_build_object("
    "'id', id, 'leg_uuid', leg_uuid, 'call_uuid', call_uuid, 'leg', leg, 'source', source, "
    "'node', node, 'direction', direction, 'caller_id_number', caller_id_number, "
    "'caller_id_name', caller_id_name, 'destination_number', destination_number, "
    "'context', context, 'domain', domain, 'accountcode', accountcode, "
    "'start_time', start_time, 'answer_time', answer_time, 'end_time', end_time, "
    "'duration_s', duration_s, 'billsec', billsec, 'billmsec', billmsec, "
    "'hangup_cause', hangup_cause, 'hangup_cause_q850', hangup_cause_q850, "
    "'sip_term_status', sip_term_status, 'sip_hangup_disposition', sip_hangup_disposition, "
    "'sip_call_id', sip_call_id, 'queue', queue, 'agent', agent, "
    "'queue_joined_time', queue_joined_time, 'queue_answered_time', queue_answered_time, "
    "'queue_cancel_reason', queue_cancel_reason, 'recording_path', recording_path, "
    "'mos', mos, 'received_at', received_at, 'inserted_at', inserted_at)::text, "
    "(extract(epoch from start_time) * 1000000)::bigint, id "
    "FROM voip.cdr WHERE true";

void
cdr_filter_init(cdr_filter *f, int default_limit)
{
	memset(f, 0, sizeof(*f));
	f->limit = default_limit;
}

static int
set_str(const char **dst, const char *key, const char *value, char *err, size_t errlen)
{
	if (value == NULL || value[0] == '\0') {
		snprintf(err, errlen, "parameter '%s' needs a value", key);
		return (-1);
	}
	if (strlen(value) > 256) {
		snprintf(err, errlen, "parameter '%s' is too long", key);
		return (-1);
	}
	*dst = value;
	return (0);
}

int
cdr_filter_set(cdr_filter *f, const char *key, const char *value, int max_limit, char *err,
    size_t errlen)
{
	static const struct {
		const char *name;
		size_t off;
	} strs[] = {
	    {"caller", offsetof(cdr_filter, caller)},
	    {"destination", offsetof(cdr_filter, destination)},
	    {"direction", offsetof(cdr_filter, direction)},
	    {"queue", offsetof(cdr_filter, queue)},
	    {"agent", offsetof(cdr_filter, agent)},
	    {"hangup_cause", offsetof(cdr_filter, hangup_cause)},
	    {"leg", offsetof(cdr_filter, leg)},
	    {"call_uuid", offsetof(cdr_filter, call_uuid)},
	    {"sip_call_id", offsetof(cdr_filter, sip_call_id)},
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(key, strs[i].name) == 0) {
			return (set_str((const char **)(void *)((char *)f + strs[i].off), key, value, err,
			    errlen));
		}
	}
	if (strcmp(key, "from") == 0 || strcmp(key, "to") == 0) {
		int64_t us;
		if (value == NULL || td_parse_time(value, &us) != 0) {
			snprintf(err, errlen,
			    "parameter '%s': expected RFC 3339 (2026-11-21T10:00:00Z) or epoch seconds",
			    key);
			return (-1);
		}
		*(key[0] == 'f' ? &f->from_us : &f->to_us) = us;
		return (0);
	}
	if (strcmp(key, "limit") == 0) {
		char *end;
		errno = 0;
		long v = value ? strtol(value, &end, 10) : 0;
		if (value == NULL || errno != 0 || *end != '\0' || v < 1 || v > max_limit) {
			snprintf(err, errlen, "parameter 'limit': expected 1..%d", max_limit);
			return (-1);
		}
		f->limit = (int)v;
		return (0);
	}
	if (strcmp(key, "cursor") == 0) {
		if (value == NULL || cdr_cursor_decode(value, &f->cursor_start_us, &f->cursor_id) != 0) {
			snprintf(err, errlen, "parameter 'cursor': not a cursor this API returned");
			return (-1);
		}
		f->has_cursor = true;
		return (0);
	}
	snprintf(err, errlen,
	    "unknown parameter '%.64s' (known: from, to, caller, destination, direction, queue, "
	    "agent, hangup_cause, leg, call_uuid, sip_call_id, limit, cursor)",
	    key);
	return (-1);
}

static int
add_param(cdr_query *q, const char *v)
{
	q->params[q->nparams] = v;
	return (++q->nparams);
}

static int
add_num(cdr_query *q, int64_t v)
{
	snprintf(q->nums[q->nparams], sizeof(q->nums[0]), "%" PRId64, v);
	return (add_param(q, q->nums[q->nparams]));
}

static void
eq(cdr_query *q, const char *col, const char *v)
{
	if (v != NULL) {
		td_buf_printf(&q->sql, " AND %s = $%d", col, add_param(q, v));
	}
}

void
cdr_query_build(const cdr_filter *f, cdr_query *q)
{
	memset(q, 0, sizeof(*q));
	td_buf_init(&q->sql, 0);
	td_buf_puts(&q->sql, select_cols);
	/* Microsecond integers, converted exactly (no float seconds). */
	const char *ts = "('epoch'::timestamptz + $%d::bigint * interval '1 microsecond')";
	if (f->from_us != 0) {
		td_buf_puts(&q->sql, " AND start_time >= ");
		td_buf_printf(&q->sql, ts, add_num(q, f->from_us));
	}
	if (f->to_us != 0) {
		td_buf_puts(&q->sql, " AND start_time < ");
		td_buf_printf(&q->sql, ts, add_num(q, f->to_us));
	}
	eq(q, "caller_id_number", f->caller);
	eq(q, "destination_number", f->destination);
	eq(q, "direction", f->direction);
	eq(q, "queue", f->queue);
	eq(q, "agent", f->agent);
	eq(q, "hangup_cause", f->hangup_cause);
	eq(q, "leg", f->leg);
	eq(q, "call_uuid", f->call_uuid);
	eq(q, "sip_call_id", f->sip_call_id);
	if (f->has_cursor) {
		td_buf_puts(&q->sql, " AND (start_time, id) < (");
		td_buf_printf(&q->sql, ts, add_num(q, f->cursor_start_us));
		td_buf_printf(&q->sql, ", $%d::bigint)", add_num(q, f->cursor_id));
	}
	td_buf_printf(&q->sql, " ORDER BY start_time DESC, id DESC LIMIT $%d::int",
	    add_num(q, (int64_t)f->limit + 1));
}

void
cdr_query_free(cdr_query *q)
{
	td_buf_free(&q->sql);
}

void
cdr_cursor_encode(int64_t start_us, int64_t id, char *out, size_t len)
{
	char raw[64];
	int n = snprintf(raw, sizeof(raw), "v1:%" PRId64 ":%" PRId64, start_us, id);
	sodium_bin2base64(out, len, (const unsigned char *)raw, (size_t)n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
cdr_cursor_decode(const char *s, int64_t *start_us, int64_t *id)
{
	unsigned char raw[64];
	size_t n = 0;
	if (strlen(s) > 80 ||
	    sodium_base642bin(raw, sizeof(raw) - 1, s, strlen(s), NULL, &n, NULL,
	        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0) {
		return (-1);
	}
	raw[n] = '\0';
	char tail;
	if (sscanf((const char *)raw, "v1:%" SCNd64 ":%" SCNd64 "%c", start_us, id, &tail) != 2 ||
	    *start_us <= 0 || *id <= 0) {
		return (-1);
	}
	return (0);
}
