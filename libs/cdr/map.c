/* SPDX-License-Identifier: MIT */
/*
 * Map extracted mod_json_cdr fields (extract.c) and sip-router call events
 * to a tandem.CdrRecord, validating as we go.  The "README" cited below is
 * tests/data/freeswitch/README.md (section 2, "where each field lives");
 * the full table is in docs/cdr-mapping.md.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr/cdr.h"
#include "cdr/internal.h"
#include "util/mem.h"

#define US_PER_S 1000000LL

/* ---- record builder: every string in one allocation with the record ---------- */

#define MAX_STRS 24

typedef struct builder {
	td_buf out; /* the strings, each NUL-terminated */
	struct {
		size_t field; /* offsetof(Tandem__CdrRecord, <string field>) */
		size_t at; /* offset of its text in out */
	} s[MAX_STRS];
	int n;
	char *err;
	size_t errlen;
} builder;

/* utf8_len: length of the valid UTF-8 sequence at p (RFC 3629), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF;
	if (c < 0x80) {
		return (1);
	} else if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		lo = (c == 0xE0) ? 0xA0 : 0x80; /* no overlongs */
		hi = (c == 0xED) ? 0x9F : 0xBF; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		lo = (c == 0xF0) ? 0x90 : 0x80;
		hi = (c == 0xF4) ? 0x8F : 0xBF; /* <= U+10FFFF */
	} else {
		return (0);
	}
	if (n < len || p[1] < lo || p[1] > hi) {
		return (0);
	}
	for (size_t i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xBF) {
			return (0);
		}
	}
	return (len);
}

/*
 * put adds one string field.  NUL bytes are refused; bytes that are not
 * UTF-8 become U+FFFD (protobuf strings and PostgreSQL text must be UTF-8);
 * over max bytes, a field is refused (strict: identities and paths) or cut
 * at a character boundary.  overflow means the extractor kept only a prefix.
 */
static int
put(builder *b, size_t field, const char *name, const char *p, size_t n, size_t max, bool strict,
    bool overflow)
{
	static const char repl[] = "\xEF\xBF\xBD"; /* U+FFFD */
	if (n == 0) {
		return (TD_OK); /* stays protobuf_c_empty_string */
	}
	if (memchr(p, '\0', n) != NULL) {
		return (td_cdr__errf(TD_EINVAL, b->err, b->errlen, "NUL byte in %s", name));
	}
	if (strict && (overflow || n > max)) {
		return (td_cdr__errf(
		    TD_EINVAL, b->err, b->errlen, "%s longer than %zu bytes", name, max));
	}
	assert(b->n < MAX_STRS); /* CdrRecord has 18 string fields */
	size_t at = b->out.len, used = 0;
	for (size_t i = 0; i < n;) {
		const unsigned char *u = (const unsigned char *)p + i;
		size_t l = utf8_len(u, n - i);
		const char *src = (l == 0) ? repl : p + i;
		size_t sl = (l == 0) ? 3 : l;
		if (used + sl > max) {
			if (strict) {
				b->out.len = at; /* U+FFFD made it too long */
				return (td_cdr__errf(TD_EINVAL, b->err, b->errlen,
				    "%s longer than %zu bytes", name, max));
			}
			break;
		}
		td_buf_append(&b->out, src, sl);
		used += sl;
		i += (l == 0) ? 1 : l;
	}
	td_buf_putc(&b->out, '\0');
	b->s[b->n].field = field;
	b->s[b->n].at = at;
	b->n++;
	return (TD_OK);
}

/* finish moves the template and the strings into one block: *out owns it. */
static int
finish(builder *b, const Tandem__CdrRecord *tmpl, Tandem__CdrRecord **out)
{
	if (td_buf_failed(&b->out)) {
		return (td_cdr__errf(TD_ENOMEM, b->err, b->errlen, "out of memory"));
	}
	char *mem = td_xmalloc(sizeof(Tandem__CdrRecord) + b->out.len + 1);
	Tandem__CdrRecord *rec = (Tandem__CdrRecord *)mem;
	char *strs = mem + sizeof(*rec);
	*rec = *tmpl;
	if (b->out.len > 0) {
		memcpy(strs, b->out.data, b->out.len);
	}
	for (int i = 0; i < b->n; i++) {
		char **dst = (char **)(void *)(mem + b->s[i].field);
		*dst = strs + b->s[i].at;
	}
	*out = rec;
	return (TD_OK);
}

void
td_cdr_record_free(Tandem__CdrRecord *rec)
{
	free(rec);
}

/* ---- numbers ------------------------------------------------------------------ */

/* parse_i64: optional '-', 1..19 decimal digits, nothing else. */
static bool
parse_i64(const char *p, size_t n, int64_t *v)
{
	bool neg = false;
	if (n > 0 && p[0] == '-') {
		neg = true;
		p++;
		n--;
	}
	if (n == 0 || n > 19) {
		return (false);
	}
	uint64_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return (false);
		}
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	if (x > (uint64_t)INT64_MAX) {
		return (false);
	}
	*v = neg ? -(int64_t)x : (int64_t)x;
	return (true);
}

/* parse_decimal: "4.5", "4.492027", "4" (no exponent; locale-free). */
static bool
parse_decimal(const char *p, size_t n, double *v)
{
	double x = 0, scale = 1;
	bool digits = false, dot = false;
	size_t i = 0;
	if (n > 32) {
		return (false);
	}
	for (; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9') {
			digits = true;
			if (dot) {
				scale /= 10;
				x += (p[i] - '0') * scale;
			} else {
				x = x * 10 + (p[i] - '0');
			}
		} else if (p[i] == '.' && !dot) {
			dot = true;
		} else {
			return (false);
		}
	}
	*v = x;
	return (digits);
}

/* ---- FreeSWITCH --------------------------------------------------------------- */

typedef struct mapper {
	td_cdr__fields f;
	td_buf scratch;
	builder b;
	char name[64]; /* field_name() result */
} mapper;

static const char *
field_name(mapper *m, int f)
{
	static const char *const names[TD_F_V_FIRST] = {
		[TD_F_SWITCHNAME] = "switchname",
		[TD_F_CD_DIRECTION] = "channel_data.direction",
		[TD_F_MOS] = "callStats.audio.inbound.mos",
		[TD_F_CP_UUID] = "callflow[0].caller_profile.uuid",
		[TD_F_CP_CID_NUMBER] = "callflow[0].caller_profile.caller_id_number",
		[TD_F_CP_CID_NAME] = "callflow[0].caller_profile.caller_id_name",
		[TD_F_CP_DEST] = "callflow[0].caller_profile.destination_number",
		[TD_F_CP_CONTEXT] = "callflow[0].caller_profile.context",
		[TD_F_ORIGINATOR_UUID]
		= "caller_profile.originator.originator_caller_profiles[0].uuid",
		[TD_F_T_CREATED] = "callflow[0].times.created_time",
		[TD_F_T_ANSWERED] = "callflow[0].times.answered_time",
		[TD_F_T_HANGUP] = "callflow[0].times.hangup_time",
		[TD_F_REC_APP] = "app_log record_session",
		[TD_F_REC_BOUND] = "app_log record_session binding",
	};
	if (f < TD_F_V_FIRST) {
		return (names[f]);
	}
	snprintf(m->name, sizeof(m->name), "variables.%s", td_cdr__var_name(f));
	return (m->name);
}

/* has: the field was seen and is not empty. */
static bool
has(const mapper *m, int f)
{
	return (m->f.slot[f].set && m->f.slot[f].len > 0);
}

static const char *
val(const mapper *m, int f)
{
	return (m->scratch.data + m->f.slot[f].off);
}

/* first returns the first field of the list that has a value, or -1. */
static int
first(const mapper *m, const int *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (has(m, list[i])) {
			return (list[i]);
		}
	}
	return (-1);
}

#define FIRST(m, ...)                                                                              \
	first((m), (const int[]) { __VA_ARGS__ },                                                  \
	    sizeof((const int[]) { __VA_ARGS__ }) / sizeof(int))

/* put_field stores field f (if any) into the record's string at offset off. */
static int
put_field(mapper *m, size_t off, int f, size_t max, bool strict)
{
	if (f < 0) {
		return (TD_OK);
	}
	return (put(&m->b, off, field_name(m, f), val(m, f), m->f.slot[f].len, max, strict,
	    m->f.slot[f].overflow));
}

/* num reads an integer field: 0 absent (*v untouched), 1 present, <0 error. */
static int
num(mapper *m, int f, int64_t *v)
{
	if (!has(m, f)) {
		return (0);
	}
	if (m->f.slot[f].overflow || !parse_i64(val(m, f), m->f.slot[f].len, v)) {
		return (td_cdr__errf(
		    TD_EINVAL, m->b.err, m->b.errlen, "%s not a number", field_name(m, f)));
	}
	return (1);
}

/*
 * time_us reads a time from the first present of: f_us (µs), f_s (seconds),
 * f_cf (callflow µs).  A present but malformed source is an error, never
 * skipped.  *us = 0 when none is present.
 */
static int
time_us(mapper *m, int f_us, int f_s, int f_cf, int64_t *us)
{
	int64_t v = 0;
	int rv;
	*us = 0;
	if ((rv = num(m, f_us, &v)) != 0) {
		*us = v;
		return (rv < 0 ? rv : TD_OK);
	}
	if ((rv = num(m, f_s, &v)) != 0) {
		if (rv < 0) {
			return (rv);
		}
		if (v < 0 || v > INT64_MAX / US_PER_S) {
			return (td_cdr__errf(TD_EINVAL, m->b.err, m->b.errlen, "%s out of range",
			    field_name(m, f_s)));
		}
		*us = v * US_PER_S;
		return (TD_OK);
	}
	if ((rv = num(m, f_cf, &v)) != 0) {
		*us = v;
		return (rv < 0 ? rv : TD_OK);
	}
	return (TD_OK);
}

/* check_time: 0 (never happened) or within [TD_CDR_MIN_TIME_US, TD_CDR_MAX_TIME_US). */
static int
check_time(builder *b, const char *what, int64_t us, bool required)
{
	if (us == 0 && !required) {
		return (TD_OK);
	}
	if (us < TD_CDR_MIN_TIME_US || us >= TD_CDR_MAX_TIME_US) {
		return (td_cdr__errf(TD_EINVAL, b->err, b->errlen,
		    us == 0 ? "missing %s time" : "%s time out of range", what));
	}
	return (TD_OK);
}

/* check_times: start and end required and sane, end >= start, answer 0 or within. */
static int
check_times(builder *b, Tandem__CdrRecord *r)
{
	int rv;
	if ((rv = check_time(b, "start", r->start_us, true)) < 0
	    || (rv = check_time(b, "end", r->end_us, true)) < 0
	    || (rv = check_time(b, "answer", r->answer_us, false)) < 0) {
		return (rv);
	}
	if (r->end_us < r->start_us) {
		return (td_cdr__errf(TD_EINVAL, b->err, b->errlen, "end time before start time"));
	}
	if (r->answer_us != 0 && (r->answer_us < r->start_us || r->answer_us > r->end_us)) {
		return (
		    td_cdr__errf(TD_EINVAL, b->err, b->errlen, "answer time outside start..end"));
	}
	return (TD_OK);
}

/* int32_field reads an optional small integer (absent = 0) within [0, max]. */
static int
int32_field(mapper *m, int f, int64_t max, int32_t *out)
{
	int64_t v = 0;
	int rv = num(m, f, &v);
	if (rv < 0) {
		return (rv);
	}
	if (v < 0 || v > max) {
		return (td_cdr__errf(
		    TD_EINVAL, m->b.err, m->b.errlen, "%s out of range", field_name(m, f)));
	}
	*out = (int32_t)v;
	return (TD_OK);
}

/* epoch_s_field reads an optional epoch in seconds (mod_callcenter's) as µs. */
static int
epoch_s_field(mapper *m, int f, int64_t *us)
{
	int64_t v = 0;
	int rv = num(m, f, &v);
	if (rv < 0) {
		return (rv);
	}
	if (v != 0 && (v < TD_CDR_MIN_TIME_US / US_PER_S || v >= TD_CDR_MAX_TIME_US / US_PER_S)) {
		return (td_cdr__errf(
		    TD_EINVAL, m->b.err, m->b.errlen, "%s out of range", field_name(m, f)));
	}
	*us = v * US_PER_S;
	return (TD_OK);
}

static bool
eq(const mapper *m, int f, const char *s)
{
	size_t n = strlen(s);
	return (has(m, f) && m->f.slot[f].len == n && memcmp(val(m, f), s, n) == 0);
}

static bool
same(const mapper *m, int a, int b)
{
	return (has(m, a) && has(m, b) && m->f.slot[a].len == m->f.slot[b].len
	    && memcmp(val(m, a), val(m, b), m->f.slot[a].len) == 0);
}

/* mos: callStats' number, else rtp_audio_in_mos; 0 (unknown) unless in [0, 5]. */
static double
mos(const mapper *m)
{
	const int src[] = { TD_F_MOS, TD_F_V_RTP_AUDIO_IN_MOS };
	for (size_t i = 0; i < TD_ARRAY_LEN(src); i++) {
		double v;
		if (has(m, src[i]) && parse_decimal(val(m, src[i]), m->f.slot[src[i]].len, &v)
		    && v > 0 && v <= 5) {
			return (v);
		}
	}
	return (0);
}

/*
 * recording_path: where a recording of this leg is, in order of how sure
 * we are that it happened (README "recording path"):
 *   1. app_log record_session (the app ran);
 *   2. mod_callcenter's cc_record_filename (the queue recorded the bridge);
 *   3. execute_on_answer / bind_meta_app holding record_session (armed on
 *      answer or on a key press), app_log first, then the variable;
 *   4. FusionPBX record_path + "/" + record_name.
 */
static int
put_recording(mapper *m, builder *b)
{
	size_t at = offsetof(Tandem__CdrRecord, recording_path);
	int f = FIRST(m, TD_F_REC_APP, TD_F_V_CC_RECORD_FILENAME, TD_F_REC_BOUND);
	if (f >= 0) {
		return (put_field(m, at, f, TD_CDR_MAX_PATH, true));
	}
	size_t off, len;
	if (has(m, TD_F_V_EXECUTE_ON_ANSWER)
	    && td_cdr__rec_path(val(m, TD_F_V_EXECUTE_ON_ANSWER),
	        m->f.slot[TD_F_V_EXECUTE_ON_ANSWER].len, false, &off, &len)) {
		const char *name = field_name(m, TD_F_V_EXECUTE_ON_ANSWER);
		return (put(b, at, name, val(m, TD_F_V_EXECUTE_ON_ANSWER) + off, len,
		    TD_CDR_MAX_PATH, true, m->f.slot[TD_F_V_EXECUTE_ON_ANSWER].overflow));
	}
	if (has(m, TD_F_V_RECORD_PATH) && has(m, TD_F_V_RECORD_NAME)) {
		const td_cdr__slot *d = &m->f.slot[TD_F_V_RECORD_PATH];
		const td_cdr__slot *n = &m->f.slot[TD_F_V_RECORD_NAME];
		td_buf j;
		td_buf_init(&j, 0);
		td_buf_append(&j, val(m, TD_F_V_RECORD_PATH), d->len);
		if (j.data[j.len - 1] != '/') {
			td_buf_putc(&j, '/');
		}
		td_buf_append(&j, val(m, TD_F_V_RECORD_NAME), n->len);
		int rv = put(b, at, "variables.record_path + record_name", j.data, j.len,
		    TD_CDR_MAX_PATH, true, d->overflow || n->overflow);
		td_buf_free(&j);
		return (rv);
	}
	return (TD_OK);
}

/*
 * Leg and call identity (docs/cdr-mapping.md, "Legs and calls"):
 * leg B when callflow[0]'s profile has an originator (FreeSWITCH originated
 * this leg for another one); A when it has an originatee; otherwise by
 * direction (outbound = originated by FreeSWITCH = B).
 * call_uuid: an A-leg's own uuid.  A B-leg's A-leg: variables.call_uuid
 * (switch_ivr_originate copies the caller's call_uuid, so a chain of
 * originates keeps the first leg's), else the originator profile's uuid,
 * else originating_leg_uuid, else cc_member_session_uuid (mod_callcenter
 * originates agent legs with no caller session), else its own uuid.
 * bridge_uuid / signal_bond are not used: on a leg without an originator
 * they name the peer, which can be the other side's B-leg.
 */
static int
put_identity(mapper *m, Tandem__CdrRecord *r, int uuid_f)
{
	int rv;
	bool outbound = eq(m, TD_F_CD_DIRECTION, "outbound")
	    || (!has(m, TD_F_CD_DIRECTION) && eq(m, TD_F_V_DIRECTION, "outbound"));
	bool b_leg = m->f.cp_has_originator || (!m->f.cp_has_originatee && outbound);
	r->leg = b_leg ? TANDEM__CDR_LEG__CDR_LEG_B : TANDEM__CDR_LEG__CDR_LEG_A;

	if ((rv = put_field(m, offsetof(Tandem__CdrRecord, leg_uuid), uuid_f, TD_CDR_MAX_ID, true))
	    < 0) {
		return (rv);
	}
	int call_f = uuid_f;
	if (b_leg) {
		int f = -1;
		if (has(m, TD_F_V_CALL_UUID) && !same(m, TD_F_V_CALL_UUID, uuid_f)) {
			f = TD_F_V_CALL_UUID;
		} else {
			f = FIRST(m, TD_F_ORIGINATOR_UUID, TD_F_V_ORIGINATING_LEG_UUID,
			    TD_F_V_CC_MEMBER_SESSION_UUID);
		}
		if (f >= 0) {
			call_f = f;
		}
	}
	return (put_field(m, offsetof(Tandem__CdrRecord, call_uuid), call_f, TD_CDR_MAX_ID, true));
}

/* strings: the string columns, each from the first source present (README table). */
static int
put_strings(mapper *m)
{
	static const struct {
		size_t off;
		bool strict; /* refuse when too long instead of cutting */
		int src[4]; /* -1 terminated */
	} cols[] = {
		{ offsetof(Tandem__CdrRecord, node), true,
		    { TD_F_SWITCHNAME, TD_F_V_FS_SWITCHNAME, -1 } },
		{ offsetof(Tandem__CdrRecord, direction), false,
		    { TD_F_CD_DIRECTION, TD_F_V_DIRECTION, -1 } },
		{ offsetof(Tandem__CdrRecord, caller_id_number), false,
		    { TD_F_CP_CID_NUMBER, TD_F_V_EFF_CID_NUMBER, TD_F_V_SIP_FROM_USER, -1 } },
		{ offsetof(Tandem__CdrRecord, caller_id_name), false,
		    { TD_F_CP_CID_NAME, TD_F_V_EFF_CID_NAME, TD_F_V_SIP_FROM_DISPLAY, -1 } },
		{ offsetof(Tandem__CdrRecord, destination_number), false,
		    { TD_F_CP_DEST, TD_F_V_SIP_REQ_USER, TD_F_V_SIP_TO_USER, TD_F_V_DIALED_USER } },
		{ offsetof(Tandem__CdrRecord, context), false,
		    { TD_F_CP_CONTEXT, TD_F_V_USER_CONTEXT, -1 } },
		{ offsetof(Tandem__CdrRecord, domain), false,
		    { TD_F_V_DOMAIN_NAME, TD_F_V_SIP_REQ_HOST, -1 } },
		{ offsetof(Tandem__CdrRecord, accountcode), false, { TD_F_V_ACCOUNTCODE, -1 } },
		{ offsetof(Tandem__CdrRecord, hangup_cause), false, { TD_F_V_HANGUP_CAUSE, -1 } },
		{ offsetof(Tandem__CdrRecord, sip_hangup_disposition), false,
		    { TD_F_V_SIP_HANGUP_DISPOSITION, -1 } },
		{ offsetof(Tandem__CdrRecord, sip_call_id), true, { TD_F_V_SIP_CALL_ID, -1 } },
		{ offsetof(Tandem__CdrRecord, queue), false, { TD_F_V_CC_QUEUE, -1 } },
		{ offsetof(Tandem__CdrRecord, agent), false, { TD_F_V_CC_AGENT, -1 } },
		{ offsetof(Tandem__CdrRecord, queue_cancel_reason), false,
		    { TD_F_V_CC_CANCEL_REASON, -1 } },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cols); i++) {
		int f = -1;
		for (size_t j = 0; j < TD_ARRAY_LEN(cols[i].src) && cols[i].src[j] >= 0; j++) {
			if (has(m, cols[i].src[j])) {
				f = cols[i].src[j];
				break;
			}
		}
		int rv = put_field(m, cols[i].off, f, TD_CDR_MAX_ID, cols[i].strict);
		if (rv < 0) {
			return (rv);
		}
	}
	return (TD_OK);
}

/* durations: FreeSWITCH's own values when present, else computed the way it does. */
static int
put_durations(mapper *m, Tandem__CdrRecord *r)
{
	int64_t v, start_s = r->start_us / US_PER_S, end_s = r->end_us / US_PER_S;
	int64_t dur = end_s - start_s, bill = 0, billms = 0;
	int rv;
	if (r->answer_us != 0) {
		bill = end_s - r->answer_us / US_PER_S;
		billms = r->end_us / 1000 - r->answer_us / 1000;
	}
	if ((rv = num(m, TD_F_V_DURATION, &v)) < 0) {
		return (rv);
	} else if (rv > 0) {
		dur = v;
	}
	if ((rv = num(m, TD_F_V_BILLSEC, &v)) < 0) {
		return (rv);
	} else if (rv > 0) {
		bill = v;
	}
	if ((rv = num(m, TD_F_V_BILLMSEC, &v)) < 0) {
		return (rv);
	} else if (rv > 0) {
		billms = v;
	}
	if (dur < 0 || dur > INT32_MAX || bill < 0 || bill > INT32_MAX || billms < 0
	    || billms > (int64_t)INT32_MAX * 1000) {
		return (td_cdr__errf(TD_EINVAL, m->b.err, m->b.errlen,
		    "duration, billsec or billmsec out of range"));
	}
	r->duration_s = (int32_t)dur;
	r->billsec = (int32_t)bill;
	r->billmsec = billms;
	return (TD_OK);
}

static int
map_fields(mapper *m, Tandem__CdrRecord *r)
{
	int rv;
	int uuid_f = FIRST(m, TD_F_V_UUID, TD_F_CP_UUID);
	if (uuid_f < 0) {
		return (td_cdr__errf(TD_EINVAL, m->b.err, m->b.errlen, "missing variables.uuid"));
	}
	if ((rv = put_identity(m, r, uuid_f)) < 0 || (rv = put_strings(m)) < 0
	    || (rv = put_recording(m, &m->b)) < 0) {
		return (rv);
	}
	if ((rv = time_us(m, TD_F_V_START_UEPOCH, TD_F_V_START_EPOCH, TD_F_T_CREATED, &r->start_us))
	        < 0
	    || (rv = time_us(
	            m, TD_F_V_ANSWER_UEPOCH, TD_F_V_ANSWER_EPOCH, TD_F_T_ANSWERED, &r->answer_us))
	        < 0
	    || (rv = time_us(m, TD_F_V_END_UEPOCH, TD_F_V_END_EPOCH, TD_F_T_HANGUP, &r->end_us)) < 0
	    || (rv = check_times(&m->b, r)) < 0 || (rv = put_durations(m, r)) < 0) {
		return (rv);
	}
	if ((rv = int32_field(m, TD_F_V_HANGUP_CAUSE_Q850, 9999, &r->hangup_cause_q850)) < 0
	    || (rv = int32_field(m, TD_F_V_SIP_TERM_STATUS, 999, &r->sip_term_status)) < 0
	    || (rv = epoch_s_field(m, TD_F_V_CC_QUEUE_JOINED_EPOCH, &r->queue_joined_us)) < 0
	    || (rv = epoch_s_field(m, TD_F_V_CC_QUEUE_ANSWERED_EPOCH, &r->queue_answered_us)) < 0) {
		return (rv);
	}
	r->mos = mos(m);
	r->source = TANDEM__CDR_SOURCE__CDR_SOURCE_FREESWITCH;
	return (TD_OK);
}

int
td_cdr_map_freeswitch(
    const char *json, size_t len, Tandem__CdrRecord **out, char *err, size_t errlen)
{
	Tandem__CdrRecord tmpl = TANDEM__CDR_RECORD__INIT;
	mapper *m = td_xmalloc(sizeof(*m));
	int rv;

	*out = NULL;
	if (errlen > 0) {
		err[0] = '\0';
	}
	td_buf_init(&m->scratch, 0);
	td_buf_init(&m->b.out, 0);
	m->b.n = 0;
	m->b.err = err;
	m->b.errlen = errlen;
	if (len > TD_CDR_MAX_BODY) {
		rv = td_cdr__errf(TD_ETOOBIG, err, errlen,
		    "JSON of %zu bytes is over the %d-byte limit", len, TD_CDR_MAX_BODY);
		goto out;
	}
	size_t i = 0;
	while (
	    i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n')) {
		i++;
	}
	if (i == len) {
		rv = td_cdr__errf(TD_EINVAL, err, errlen, "empty JSON document");
		goto out;
	}
	/* One allocation for the kept values of a typical CDR. */
	if (td_buf_extend(&m->scratch, 2048) != NULL) {
		td_buf_reset(&m->scratch);
	}
	if ((rv = td_cdr__extract(json, len, &m->f, &m->scratch, err, errlen)) < 0
	    || (rv = map_fields(m, &tmpl)) < 0 || (rv = finish(&m->b, &tmpl, out)) < 0) {
		goto out;
	}
out:
	td_buf_free(&m->scratch);
	td_buf_free(&m->b.out);
	free(m);
	return (rv);
}

/* ---- sip-router call events --------------------------------------------------- */

static int
put_cstr(builder *b, size_t off, const char *name, const char *s, size_t max, bool strict)
{
	return (put(b, off, name, s, s != NULL ? strlen(s) : 0, max, strict, false));
}

int
td_cdr_map_call_event(const Tandem__CallEvent *ev, const char *node, Tandem__CdrRecord **out,
    char *err, size_t errlen)
{
	Tandem__CdrRecord r = TANDEM__CDR_RECORD__INIT;
	builder b = { .err = err, .errlen = errlen };
	int rv;

	*out = NULL;
	if (errlen > 0) {
		err[0] = '\0';
	}
	if (ev == NULL) {
		return (td_cdr__errf(TD_EINVAL, err, errlen, "no call event"));
	}
	if (ev->kind != TANDEM__CALL_EVENT_KIND__CALL_ENDED) {
		return (td_cdr__errf(
		    TD_EINVAL, err, errlen, "call event kind %d is not CALL_ENDED", (int)ev->kind));
	}
	if (ev->leg_id == NULL || ev->leg_id[0] == '\0') {
		return (td_cdr__errf(TD_EINVAL, err, errlen, "missing leg_id"));
	}
	if (ev->call_id == NULL || ev->call_id[0] == '\0') {
		return (td_cdr__errf(TD_EINVAL, err, errlen, "missing call_id"));
	}
	td_buf_init(&b.out, 0);
	r.source = TANDEM__CDR_SOURCE__CDR_SOURCE_SIP_ROUTER;
	r.leg = TANDEM__CDR_LEG__CDR_LEG_A; /* the router's record is the caller's dialog */
	r.start_us = ev->start_us;
	r.answer_us = ev->answer_us;
	r.end_us = ev->end_us;
	if ((rv = check_times(&b, &r)) < 0) {
		goto out;
	}
	if (ev->sip_status < 0 || ev->sip_status > 999 || ev->hangup_cause_q850 < 0
	    || ev->hangup_cause_q850 > 9999) {
		rv = td_cdr__errf(
		    TD_EINVAL, err, errlen, "sip_status or hangup_cause_q850 out of range");
		goto out;
	}
	r.duration_s = (int32_t)(ev->end_us / US_PER_S - ev->start_us / US_PER_S);
	if (ev->answer_us != 0) {
		r.billsec = (int32_t)(ev->end_us / US_PER_S - ev->answer_us / US_PER_S);
		r.billmsec = ev->end_us / 1000 - ev->answer_us / 1000;
	}
	r.sip_term_status = ev->sip_status;
	r.hangup_cause_q850 = ev->hangup_cause_q850;
#define S(field, src, strict)                                                                      \
	put_cstr(&b, offsetof(Tandem__CdrRecord, field), #src, ev->src, TD_CDR_MAX_ID, strict)
	if ((rv = S(leg_uuid, leg_id, true)) < 0 || (rv = S(call_uuid, call_id, true)) < 0
	    || (rv = S(sip_call_id, call_id, true)) < 0 || (rv = S(direction, direction, false)) < 0
	    || (rv = S(caller_id_number, from_user, false)) < 0
	    || (rv = S(caller_id_name, from_display, false)) < 0
	    || (rv = S(destination_number, to_user, false)) < 0
	    || (rv = S(domain, domain, false)) < 0
	    || (rv = S(hangup_cause, hangup_cause, false)) < 0
	    || (rv = S(sip_hangup_disposition, disposition, false)) < 0
	    || (rv = put_cstr(
	            &b, offsetof(Tandem__CdrRecord, node), "node", node, TD_CDR_MAX_ID, true))
	        < 0) {
		goto out;
	}
#undef S
	rv = finish(&b, &r, out);
out:
	td_buf_free(&b.out);
	return (rv);
}
