/* SPDX-License-Identifier: MIT */
/* CdrRecord -> INSERT parameters for voip.cdr. */
#include "cdrdb/rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/mem.h"

/* Column order of every INSERT; keep in step with put_record(). */
static const char *const cols[TD_CDRDB_NCOLS] = {"leg_uuid", "call_uuid", "leg", "source", "node",
    "direction", "caller_id_number", "caller_id_name", "destination_number", "context",
    "domain", "accountcode", "start_time", "answer_time", "end_time", "duration_s", "billsec",
    "billmsec", "hangup_cause", "hangup_cause_q850", "sip_term_status",
    "sip_hangup_disposition", "sip_call_id", "queue", "agent", "queue_joined_time",
    "queue_answered_time", "queue_cancel_reason", "recording_path", "mos", "received_at",
    "remote_addr"};

void
td_cdrdb_rows_init(td_cdrdb_rows *r)
{
	memset(r, 0, sizeof(*r));
	td_buf_init(&r->text, 0);
}

void
td_cdrdb_rows_reset(td_cdrdb_rows *r)
{
	td_buf_reset(&r->text);
	r->n = 0;
}

void
td_cdrdb_rows_free(td_cdrdb_rows *r)
{
	td_buf_free(&r->text);
	free(r->off);
	memset(r, 0, sizeof(*r));
}

int
td_cdrdb_check(const Tandem__CdrRecord *rec, char *why, size_t len)
{
	if (rec->leg_uuid == NULL || rec->leg_uuid[0] == '\0') {
		snprintf(why, len, "record has no leg_uuid");
		return (-1);
	}
	if (rec->call_uuid == NULL || rec->call_uuid[0] == '\0') {
		snprintf(why, len, "record %s has no call_uuid", rec->leg_uuid);
		return (-1);
	}
	if (rec->start_us <= 0) {
		snprintf(why, len, "record %s has no start time", rec->leg_uuid);
		return (-1);
	}
	if (rec->end_us != 0 && rec->end_us < rec->start_us) {
		snprintf(why, len, "record %s ends before it starts", rec->leg_uuid);
		return (-1);
	}
	return (0);
}

/* Slot writers: each appends one parameter for the current row. */
static size_t *
slot(td_cdrdb_rows *r, int col)
{
	return (&r->off[r->n * TD_CDRDB_NCOLS + (size_t)col]);
}

static void
put_str(td_cdrdb_rows *r, int col, const char *s, int nullable)
{
	if (s == NULL || (nullable && s[0] == '\0')) {
		*slot(r, col) = TD_CDRDB_NULL;
		return;
	}
	*slot(r, col) = r->text.len;
	td_buf_append(&r->text, s, strlen(s) + 1);
}

static void
put_int(td_cdrdb_rows *r, int col, long long v, int zero_is_null)
{
	if (zero_is_null && v == 0) {
		*slot(r, col) = TD_CDRDB_NULL;
		return;
	}
	*slot(r, col) = r->text.len;
	td_buf_printf(&r->text, "%lld", v);
	td_buf_putc(&r->text, '\0');
}

static void
put_time(td_cdrdb_rows *r, int col, int64_t us)
{
	if (us <= 0) {
		*slot(r, col) = TD_CDRDB_NULL;
		return;
	}
	char ts[40];
	*slot(r, col) = r->text.len;
	td_buf_puts(&r->text, td_fmt_rfc3339(us, ts, sizeof(ts)));
	td_buf_putc(&r->text, '\0');
}

static const char *
leg_name(Tandem__CdrLeg leg)
{
	switch (leg) {
	case TANDEM__CDR_LEG__CDR_LEG_A: return ("a");
	case TANDEM__CDR_LEG__CDR_LEG_B: return ("b");
	default: return ("unknown");
	}
}

static const char *
source_name(Tandem__CdrSource s)
{
	switch (s) {
	case TANDEM__CDR_SOURCE__CDR_SOURCE_FREESWITCH: return ("freeswitch");
	case TANDEM__CDR_SOURCE__CDR_SOURCE_SIP_ROUTER: return ("sip-router");
	default: return ("unknown");
	}
}

void
td_cdrdb_rows_add(td_cdrdb_rows *r, const Tandem__CdrRecord *rec)
{
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 128;
		r->off = td_xrealloc(r->off, r->cap * TD_CDRDB_NCOLS * sizeof(size_t));
	}
	int c = 0;
	put_str(r, c++, rec->leg_uuid, 0);
	put_str(r, c++, rec->call_uuid, 0);
	put_str(r, c++, leg_name(rec->leg), 0);
	put_str(r, c++, source_name(rec->source), 0);
	put_str(r, c++, rec->node, 1);
	put_str(r, c++, rec->direction, 1);
	put_str(r, c++, rec->caller_id_number, 1);
	put_str(r, c++, rec->caller_id_name, 1);
	put_str(r, c++, rec->destination_number, 1);
	put_str(r, c++, rec->context, 1);
	put_str(r, c++, rec->domain, 1);
	put_str(r, c++, rec->accountcode, 1);
	put_time(r, c++, rec->start_us);
	put_time(r, c++, rec->answer_us);
	put_time(r, c++, rec->end_us);
	put_int(r, c++, rec->duration_s, 0);
	put_int(r, c++, rec->billsec, 0);
	put_int(r, c++, rec->billmsec, 0);
	put_str(r, c++, rec->hangup_cause, 1);
	put_int(r, c++, rec->hangup_cause_q850, 1); /* Q.850 causes are 1..127 */
	put_int(r, c++, rec->sip_term_status, 1);
	put_str(r, c++, rec->sip_hangup_disposition, 1);
	put_str(r, c++, rec->sip_call_id, 1);
	put_str(r, c++, rec->queue, 1);
	put_str(r, c++, rec->agent, 1);
	put_time(r, c++, rec->queue_joined_us);
	put_time(r, c++, rec->queue_answered_us);
	put_str(r, c++, rec->queue_cancel_reason, 1);
	put_str(r, c++, rec->recording_path, 1);
	if (rec->mos > 0) {
		*slot(r, c) = r->text.len;
		td_buf_printf(&r->text, "%.4f", rec->mos);
		td_buf_putc(&r->text, '\0');
	} else {
		*slot(r, c) = TD_CDRDB_NULL;
	}
	c++;
	put_time(r, c++, rec->received_us);
	put_str(r, c++, rec->remote_addr, 1);
	r->n++;
}

void
td_cdrdb_rows_params(const td_cdrdb_rows *r, size_t first, size_t n, const char **values)
{
	for (size_t i = 0; i < n * TD_CDRDB_NCOLS; i++) {
		size_t o = r->off[first * TD_CDRDB_NCOLS + i];
		values[i] = o == TD_CDRDB_NULL ? NULL : r->text.data + o;
	}
}

char *
td_cdrdb_insert_sql(size_t n)
{
	td_buf b = TD_BUF_INIT;
	td_buf_puts(&b, "INSERT INTO voip.cdr (");
	for (int c = 0; c < TD_CDRDB_NCOLS; c++) {
		td_buf_printf(&b, "%s%s", c ? ", " : "", cols[c]);
	}
	td_buf_puts(&b, ") VALUES ");
	size_t p = 1;
	for (size_t i = 0; i < n; i++) {
		td_buf_puts(&b, i ? ", (" : "(");
		for (int c = 0; c < TD_CDRDB_NCOLS; c++) {
			td_buf_printf(&b, "%s$%zu", c ? "," : "", p++);
		}
		td_buf_putc(&b, ')');
	}
	td_buf_puts(&b, " ON CONFLICT (leg_uuid, start_time) DO NOTHING");
	return (td_buf_steal(&b, NULL));
}
