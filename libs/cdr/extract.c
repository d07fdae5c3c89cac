/* SPDX-License-Identifier: MIT */
/*
 * Streaming extraction of the mod_json_cdr fields we map, with yajl's
 * callback parser.  A small stack of frames tracks where we are
 * (variables, callflow[i].caller_profile, app_log.applications[i], ...);
 * each wanted value is copied, bounded, into one scratch buffer.  Nothing
 * else is kept, and no DOM is built.  Layout: tests/data/freeswitch/README.md
 * section 2.
 *
 * Repeated keys: the first occurrence wins, everywhere.  This is what the
 * legacy layout (before FreeSWITCH FS-7612, June 2015) needs: there
 * "callflow" is a repeated key and the first one is the newest profile.
 */
#include <pthread.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cdr/cdr.h"
#include "cdr/internal.h"

#define STR(x) #x
#define XSTR(x) STR(x)

/* Where a frame is.  SKIP = somewhere we keep nothing from. */
enum ctx {
	C_SKIP,
	C_ROOT,
	C_CHANNEL_DATA,
	C_CALLSTATS,
	C_CS_AUDIO,
	C_CS_INBOUND,
	C_VARS,
	C_APPLOG,
	C_APPS, /* app_log.applications[] */
	C_APP, /* app_log.applications[i] */
	C_CF_ARRAY, /* callflow[] */
	C_CF, /* one callflow object */
	C_CP, /* callflow[i].caller_profile */
	C_ORIGINATOR, /* ...caller_profile.originator */
	C_ORIG_PROFILES, /* ...originator.originator_caller_profiles[] */
	C_ORIG_PROFILE, /* ...originator_caller_profiles[0] */
	C_TIMES, /* callflow[0].times */
};

typedef struct frame {
	unsigned char ctx;
	bool array;
	int cf; /* index of the enclosing callflow, -1 outside */
	uint32_t index; /* arrays: index of the next element */
} frame;

/* What an app_log.applications[i] element tells us. */
enum app_kind { APP_UNKNOWN, APP_OTHER, APP_RECORD_SESSION, APP_BINDS };

typedef struct parser {
	frame st[TD_CDR_MAX_DEPTH];
	int depth;
	int pending; /* field for the next scalar value, or -1 */
	unsigned char pend_map; /* ctx for the next value if it is an object */
	unsigned char pend_arr; /* ctx for the next value if it is an array */
	td_cdr__fields *f;
	td_buf *scratch;
	/* the current app_log element */
	enum app_kind app;
	bool app_is_setvar; /* app_name is set/export: only execute_on_answer* counts */
	td_buf app_data; /* its app_data, when it may hold a path */
	bool app_data_set;
	bool app_data_cut; /* app_data was longer than any path we keep */
	/* error reported by a callback */
	char *err;
	size_t errlen;
	bool failed;
} parser;

/* ---- variables name table ------------------------------------------------- */

typedef struct var_name {
	const char *name;
	unsigned char len;
	unsigned char field;
} var_name;

#define VN(lit, f)                                                                                 \
	{                                                                                          \
		lit, sizeof(lit) - 1, f                                                            \
	}

/* Sorted by strcmp() (a unit test keeps it so); looked up through var_hash. */
static const var_name var_names[] = {
	VN("FreeSWITCH-Switchname", TD_F_V_FS_SWITCHNAME),
	VN("accountcode", TD_F_V_ACCOUNTCODE),
	VN("answer_epoch", TD_F_V_ANSWER_EPOCH),
	VN("answer_uepoch", TD_F_V_ANSWER_UEPOCH),
	VN("billmsec", TD_F_V_BILLMSEC),
	VN("billsec", TD_F_V_BILLSEC),
	VN("call_uuid", TD_F_V_CALL_UUID),
	VN("cc_agent", TD_F_V_CC_AGENT),
	VN("cc_cancel_reason", TD_F_V_CC_CANCEL_REASON),
	VN("cc_member_session_uuid", TD_F_V_CC_MEMBER_SESSION_UUID),
	VN("cc_queue", TD_F_V_CC_QUEUE),
	VN("cc_queue_answered_epoch", TD_F_V_CC_QUEUE_ANSWERED_EPOCH),
	VN("cc_queue_joined_epoch", TD_F_V_CC_QUEUE_JOINED_EPOCH),
	VN("cc_record_filename", TD_F_V_CC_RECORD_FILENAME),
	VN("dialed_user", TD_F_V_DIALED_USER),
	VN("direction", TD_F_V_DIRECTION),
	VN("domain_name", TD_F_V_DOMAIN_NAME),
	VN("duration", TD_F_V_DURATION),
	VN("effective_caller_id_name", TD_F_V_EFF_CID_NAME),
	VN("effective_caller_id_number", TD_F_V_EFF_CID_NUMBER),
	VN("end_epoch", TD_F_V_END_EPOCH),
	VN("end_uepoch", TD_F_V_END_UEPOCH),
	VN("execute_on_answer", TD_F_V_EXECUTE_ON_ANSWER),
	VN("hangup_cause", TD_F_V_HANGUP_CAUSE),
	VN("hangup_cause_q850", TD_F_V_HANGUP_CAUSE_Q850),
	VN("originating_leg_uuid", TD_F_V_ORIGINATING_LEG_UUID),
	VN("record_name", TD_F_V_RECORD_NAME),
	VN("record_path", TD_F_V_RECORD_PATH),
	VN("rtp_audio_in_mos", TD_F_V_RTP_AUDIO_IN_MOS),
	VN("sip_call_id", TD_F_V_SIP_CALL_ID),
	VN("sip_from_display", TD_F_V_SIP_FROM_DISPLAY),
	VN("sip_from_user", TD_F_V_SIP_FROM_USER),
	VN("sip_hangup_disposition", TD_F_V_SIP_HANGUP_DISPOSITION),
	VN("sip_req_host", TD_F_V_SIP_REQ_HOST),
	VN("sip_req_user", TD_F_V_SIP_REQ_USER),
	VN("sip_term_status", TD_F_V_SIP_TERM_STATUS),
	VN("sip_to_user", TD_F_V_SIP_TO_USER),
	VN("start_epoch", TD_F_V_START_EPOCH),
	VN("start_uepoch", TD_F_V_START_UEPOCH),
	VN("user_context", TD_F_V_USER_CONTEXT),
	VN("uuid", TD_F_V_UUID),
};

_Static_assert(TD_ARRAY_LEN(var_names) == TD_F__COUNT - TD_F_V_FIRST,
    "every variables field has exactly one name");

/* cmpnm compares (p, n) with (s, m) the way strcmp() orders them. */
static int
cmpnm(const char *p, size_t n, const char *s, size_t m)
{
	int c = memcmp(p, s, n < m ? n : m);
	if (c != 0) {
		return (c);
	}
	return (n < m ? -1 : (n > m ? 1 : 0));
}

static int
cmpn(const char *p, size_t n, const char *s)
{
	return (cmpnm(p, n, s, strlen(s)));
}

/*
 * The variables object has ~250 keys per CDR and we want ~40 of them, so
 * the lookup runs for every key: an open-addressed hash of the names
 * (FNV-1a), built once, answers most keys with one probe and no memcmp.
 */
#define VAR_HASH_SLOTS 256 /* power of two, more than 4x the names */

static uint8_t var_hash[VAR_HASH_SLOTS]; /* index + 1 into var_names, 0 = empty */
static pthread_once_t var_hash_once = PTHREAD_ONCE_INIT;

static uint32_t
fnv1a(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	}
	return (h);
}

static void
var_hash_build(void)
{
	_Static_assert(TD_ARRAY_LEN(var_names) < 255, "indexes fit in uint8_t");
	_Static_assert(VAR_HASH_SLOTS >= 4 * TD_ARRAY_LEN(var_names), "keep the table sparse");
	for (size_t i = 0; i < TD_ARRAY_LEN(var_names); i++) {
		uint32_t slot = fnv1a(var_names[i].name, var_names[i].len) & (VAR_HASH_SLOTS - 1);
		while (var_hash[slot] != 0) {
			slot = (slot + 1) & (VAR_HASH_SLOTS - 1);
		}
		var_hash[slot] = (uint8_t)(i + 1);
	}
}

int
td_cdr__var_field(const char *name, size_t n)
{
	if (n < 4 || n > 26) { /* shortest and longest names: skip most keys fast */
		return (-1);
	}
	pthread_once(&var_hash_once, var_hash_build);
	uint32_t slot = fnv1a(name, n) & (VAR_HASH_SLOTS - 1);
	for (;;) {
		uint8_t e = var_hash[slot];
		if (e == 0) {
			return (-1);
		}
		const var_name *v = &var_names[e - 1];
		if (v->len == n && memcmp(v->name, name, n) == 0) {
			return (v->field);
		}
		slot = (slot + 1) & (VAR_HASH_SLOTS - 1);
	}
}

const char *
td_cdr__var_name(int f)
{
	for (size_t i = 0; i < TD_ARRAY_LEN(var_names); i++) {
		if (var_names[i].field == f) {
			return (var_names[i].name);
		}
	}
	return (NULL);
}

size_t
td_cdr__raw_cap(int field)
{
	size_t max = TD_CDR_MAX_ID;
	switch (field) {
	case TD_F_REC_APP:
	case TD_F_REC_BOUND:
	case TD_F_V_CC_RECORD_FILENAME:
	case TD_F_V_EXECUTE_ON_ANSWER:
	case TD_F_V_RECORD_PATH: max = TD_CDR_MAX_PATH; break;
	default: break;
	}
	/*
	 * A variables value may be URL-encoded (3 bytes per byte).  Keeping
	 * 3 * max + 8 raw bytes keeps at least max + 2 decoded bytes intact,
	 * so truncating after decoding is exact, and "too long" is still seen.
	 */
	return (3 * max + 8);
}

/* ---- callbacks ------------------------------------------------------------ */

static int
fail(parser *p, const char *fmt, const char *arg)
{
	td_cdr__errf(TD_EINVAL, p->err, p->errlen, fmt, arg);
	p->failed = true;
	return (0);
}

/* keep stores a scalar value for field f, unless one was seen already. */
static void
keep(parser *p, int f, const unsigned char *s, size_t n)
{
	td_cdr__slot *sl = &p->f->slot[f];
	if (sl->set) {
		return;
	}
	size_t cap = td_cdr__raw_cap(f);
	sl->set = true;
	sl->overflow = n > cap;
	if (n > cap) {
		n = cap;
	}
	sl->off = (uint32_t)p->scratch->len;
	sl->len = (uint32_t)n;
	td_buf_append(p->scratch, s, n);
}

static frame *
top(parser *p)
{
	return (&p->st[p->depth - 1]);
}

/* The app_log element ended: look for a recording path in it. */
static void
app_done(parser *p)
{
	if (p->app_data_set && p->app_data.len > 0) {
		const char *d = p->app_data.data;
		size_t n = p->app_data.len, off, len;
		int f = -1;
		if (p->app == APP_RECORD_SESSION && td_cdr__rec_path(d, n, true, &off, &len)) {
			f = TD_F_REC_APP;
		} else if (p->app == APP_BINDS
		    && (!p->app_is_setvar || strncmp(d, "execute_on_answer", 17) == 0)
		    && td_cdr__rec_path(d, n, false, &off, &len)) {
			f = TD_F_REC_BOUND;
		}
		if (f >= 0 && !p->f->slot[f].set) {
			keep(p, f, (const unsigned char *)d + off, len);
			p->f->slot[f].overflow |= p->app_data_cut; /* map.c refuses it */
		}
	}
	p->app = APP_UNKNOWN;
	p->app_is_setvar = false;
	p->app_data_set = false;
	p->app_data_cut = false;
	td_buf_reset(&p->app_data);
}

static void
app_name(parser *p, const unsigned char *s, size_t n)
{
	if (p->app != APP_UNKNOWN) {
		return; /* repeated key: first wins */
	}
	p->app = APP_OTHER;
	if (cmpn((const char *)s, n, "record_session") == 0) {
		p->app = APP_RECORD_SESSION;
	} else if (cmpn((const char *)s, n, "bind_meta_app") == 0) {
		p->app = APP_BINDS;
	} else if (cmpn((const char *)s, n, "set") == 0
	    || cmpn((const char *)s, n, "export") == 0) {
		p->app = APP_BINDS; /* set execute_on_answer=record_session ... */
		p->app_is_setvar = true;
	}
	if (p->app == APP_OTHER && p->app_data_set) {
		p->app_data_set = false; /* app_data came first and is of no use */
		td_buf_reset(&p->app_data);
	}
}

static void
app_data(parser *p, const unsigned char *s, size_t n)
{
	if (p->app_data_set || p->app == APP_OTHER) {
		return;
	}
	/* record_session's data is the path itself; nothing useful is longer. */
	if (n > td_cdr__raw_cap(TD_F_REC_APP)) {
		n = td_cdr__raw_cap(TD_F_REC_APP);
		p->app_data_cut = true;
	}
	p->app_data_set = true;
	td_buf_append(&p->app_data, s, n);
}

/* scalar handles every scalar value; n/s is its text (NULL for null/bool). */
static int
scalar(parser *p, const unsigned char *s, size_t n)
{
	if (p->depth == 0) {
		return (fail(p, "%s", "JSON document is not an object"));
	}
	frame *t = top(p);
	if (t->array) {
		t->index++;
		return (1);
	}
	int f = p->pending;
	p->pending = -1;
	if (s == NULL) {
		return (1); /* null and booleans carry nothing we map */
	}
	if (f >= 0) {
		keep(p, f, s, n);
	} else if (t->ctx == C_APP && f == -2) {
		app_name(p, s, n);
	} else if (t->ctx == C_APP && f == -3) {
		app_data(p, s, n);
	}
	return (1);
}

static int
cb_null(void *ctx)
{
	return (scalar(ctx, NULL, 0));
}

static int
cb_boolean(void *ctx, int v)
{
	(void)v;
	return (scalar(ctx, NULL, 0));
}

static int
cb_number(void *ctx, const char *s, size_t n)
{
	return (scalar(ctx, (const unsigned char *)s, n));
}

static int
cb_string(void *ctx, const unsigned char *s, size_t n)
{
	return (scalar(ctx, s, n));
}

/* push opens an object or array; the new frame's place follows from its parent. */
static int
push(parser *p, bool array)
{
	unsigned char ctx = C_SKIP;
	int cf = -1;
	if (p->depth == TD_CDR_MAX_DEPTH) {
		return (fail(p, "JSON nested deeper than %s levels", XSTR(TD_CDR_MAX_DEPTH)));
	}
	if (p->depth == 0) {
		if (array) {
			return (fail(p, "%s", "JSON document is an array, not an object"));
		}
		ctx = C_ROOT;
	} else {
		frame *t = top(p);
		cf = t->cf;
		if (t->array) {
			uint32_t i = t->index++;
			if (!array && t->ctx == C_APPS) {
				ctx = C_APP;
			} else if (!array && t->ctx == C_CF_ARRAY) {
				ctx = C_CF;
			} else if (!array && t->ctx == C_ORIG_PROFILES && i == 0) {
				ctx = C_ORIG_PROFILE;
			}
		} else {
			ctx = array ? p->pend_arr : p->pend_map;
		}
		if (ctx == C_CF) {
			cf = p->f->callflows++;
		}
	}
	p->pending = -1;
	p->pend_map = p->pend_arr = C_SKIP;
	frame *n = &p->st[p->depth++];
	n->ctx = ctx;
	n->array = array;
	n->cf = cf;
	n->index = 0;
	return (1);
}

static int
cb_start_map(void *ctx)
{
	return (push(ctx, false));
}

static int
cb_start_array(void *ctx)
{
	return (push(ctx, true));
}

static int
pop(parser *p)
{
	if (top(p)->ctx == C_APP) {
		app_done(p);
	}
	p->depth--;
	p->pending = -1;
	return (1);
}

static int
cb_end(void *ctx)
{
	return (pop(ctx));
}

#define KEY(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, sizeof(lit) - 1) == 0)

static int
cb_map_key(void *ctx, const unsigned char *uk, size_t n)
{
	parser *p = ctx;
	frame *t = top(p);
	const char *k = (const char *)uk;
	p->pending = -1;
	p->pend_map = p->pend_arr = C_SKIP;
	switch (t->ctx) {
	case C_VARS: p->pending = td_cdr__var_field(k, n); break;
	case C_ROOT:
		if (KEY("switchname")) {
			p->pending = TD_F_SWITCHNAME;
		} else if (KEY("variables")) {
			p->pend_map = C_VARS;
		} else if (KEY("callflow")) {
			p->pend_map = C_CF; /* legacy: repeated "callflow" keys */
			p->pend_arr = C_CF_ARRAY; /* since 2015: an array */
		} else if (KEY("channel_data")) {
			p->pend_map = C_CHANNEL_DATA;
		} else if (KEY("callStats")) {
			p->pend_map = C_CALLSTATS;
		} else if (KEY("app_log")) {
			p->pend_map = C_APPLOG;
		}
		break;
	case C_CHANNEL_DATA:
		if (KEY("direction")) {
			p->pending = TD_F_CD_DIRECTION;
		}
		break;
	case C_CALLSTATS:
		if (KEY("audio")) {
			p->pend_map = C_CS_AUDIO;
		}
		break;
	case C_CS_AUDIO:
		if (KEY("inbound")) {
			p->pend_map = C_CS_INBOUND;
		}
		break;
	case C_CS_INBOUND:
		if (KEY("mos")) {
			p->pending = TD_F_MOS;
		}
		break;
	case C_APPLOG:
		if (KEY("applications")) {
			p->pend_arr = C_APPS;
		}
		break;
	case C_APP:
		if (KEY("app_name")) {
			p->pending = -2;
		} else if (KEY("app_data")) {
			p->pending = -3;
		}
		break;
	case C_CF:
		if (KEY("caller_profile")) {
			p->pend_map = C_CP;
		} else if (KEY("times") && t->cf == 0) {
			p->pend_map = C_TIMES;
		}
		break;
	case C_CP:
		if (KEY("originator")) {
			p->pend_map = C_ORIGINATOR;
			p->f->cp_has_originator |= t->cf == 0;
		} else if (KEY("originatee")) {
			p->f->cp_has_originatee |= t->cf == 0;
		} else if (t->cf != 0) {
			break; /* older profiles: only their originator matters */
		} else if (KEY("uuid")) {
			p->pending = TD_F_CP_UUID;
		} else if (KEY("caller_id_number")) {
			p->pending = TD_F_CP_CID_NUMBER;
		} else if (KEY("caller_id_name")) {
			p->pending = TD_F_CP_CID_NAME;
		} else if (KEY("destination_number")) {
			p->pending = TD_F_CP_DEST;
		} else if (KEY("context")) {
			p->pending = TD_F_CP_CONTEXT;
		}
		break;
	case C_ORIGINATOR:
		if (KEY("originator_caller_profiles")) {
			p->pend_arr = C_ORIG_PROFILES;
		}
		break;
	case C_ORIG_PROFILE:
		if (KEY("uuid")) {
			p->pending = TD_F_ORIGINATOR_UUID;
		}
		break;
	case C_TIMES:
		if (KEY("created_time")) {
			p->pending = TD_F_T_CREATED;
		} else if (KEY("answered_time")) {
			p->pending = TD_F_T_ANSWERED;
		} else if (KEY("hangup_time")) {
			p->pending = TD_F_T_HANGUP;
		}
		break;
	default: break;
	}
	return (1);
}

static const yajl_callbacks callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_boolean,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end,
};

/* ---- driver ----------------------------------------------------------------- */

/* yajl_reason copies yajl's one-line reason ("parse error: ...") into buf. */
static void
yajl_reason(yajl_handle h, const unsigned char *json, size_t len, char *buf, size_t buflen)
{
	unsigned char *msg = yajl_get_error(h, 0, json, len);
	const char *m = (const char *)msg;
	if (m == NULL) {
		m = "syntax error";
	} else if (strncmp(m, "parse error: ", 13) == 0) {
		m += 13;
	} else if (strncmp(m, "lexical error: ", 15) == 0) {
		m += 15;
	}
	size_t n = strcspn(m, "\n");
	if (n >= buflen) {
		n = buflen - 1;
	}
	memcpy(buf, m, n);
	buf[n] = '\0';
	if (msg != NULL) {
		yajl_free_error(h, msg);
	}
}

int
td_cdr__extract(
    const char *json, size_t len, td_cdr__fields *f, td_buf *scratch, char *err, size_t errlen)
{
	int rv = TD_OK;
	parser p = { .pending = -1, .f = f, .scratch = scratch, .err = err, .errlen = errlen };
	memset(f, 0, sizeof(*f));
	td_buf_reset(scratch);
	td_buf_init(&p.app_data, 0);

	yajl_handle h = yajl_alloc(&callbacks, NULL, &p);
	if (h == NULL) {
		return (td_cdr__errf(TD_ENOMEM, err, errlen, "out of memory"));
	}
	/*
	 * Strings are not UTF-8-checked here: a raw Latin-1 display name in
	 * callflow must not cost the whole CDR.  map.c repairs what it keeps.
	 */
	yajl_config(h, yajl_dont_validate_strings, 1);

	yajl_status st = yajl_parse(h, (const unsigned char *)json, len);
	if (st == yajl_status_ok) {
		st = yajl_complete_parse(h);
		if (st != yajl_status_ok && !p.failed) {
			rv = td_cdr__errf(
			    TD_EINVAL, err, errlen, "truncated JSON at byte %zu", len);
			goto out;
		}
	}
	if (st == yajl_status_client_canceled || p.failed) {
		rv = TD_EINVAL; /* the callback wrote the reason */
		goto out;
	}
	if (st != yajl_status_ok) {
		char why[96];
		yajl_reason(h, (const unsigned char *)json, len, why, sizeof(why));
		rv = td_cdr__errf(TD_EINVAL, err, errlen, "invalid JSON at byte %zu: %s",
		    yajl_get_bytes_consumed(h), why);
		goto out;
	}
	if (td_buf_failed(scratch)) {
		rv = td_cdr__errf(TD_ENOMEM, err, errlen, "out of memory");
		goto out;
	}
	/* encode-values=true (the default): every variables value is %HH-encoded. */
	for (int i = TD_F_V_FIRST; i < TD_F__COUNT; i++) {
		td_cdr__slot *sl = &f->slot[i];
		if (sl->set) {
			sl->len = (uint32_t)td_cdr__pct_decode(scratch->data + sl->off, sl->len);
		}
	}
out:
	yajl_free(h);
	td_buf_free(&p.app_data);
	return (rv);
}
