/* SPDX-License-Identifier: MIT */
/*
 * Internals of libs/cdr shared by its .c files and its tests; not a public
 * API (the td_cdr__ prefix says so).  extract.c streams the JSON and fills a
 * td_cdr__fields; map.c turns that into a record.
 */
#ifndef TD_CDR_INTERNAL_H
#define TD_CDR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/*
 * Every value extract.c keeps.  V_* live in "variables" (URL-decoded by
 * td_cdr__extract when encode-values is on); the others are never encoded.
 */
enum td_cdr__field {
	/* top level, channel_data, callStats */
	TD_F_SWITCHNAME, /* switchname */
	TD_F_CD_DIRECTION, /* channel_data.direction */
	TD_F_MOS, /* callStats.audio.inbound.mos (a JSON number) */
	/* callflow[0].caller_profile */
	TD_F_CP_UUID,
	TD_F_CP_CID_NUMBER,
	TD_F_CP_CID_NAME,
	TD_F_CP_DEST,
	TD_F_CP_CONTEXT,
	/* callflow[*].caller_profile.originator.originator_caller_profiles[0].uuid */
	TD_F_ORIGINATOR_UUID,
	/* callflow[0].times */
	TD_F_T_CREATED,
	TD_F_T_ANSWERED,
	TD_F_T_HANGUP,
	/* recording paths found in app_log.applications[] (already extracted) */
	TD_F_REC_APP, /* app_name record_session: its app_data */
	TD_F_REC_BOUND, /* bind_meta_app / execute_on_answer data holding record_session */
	/* variables.<name>; V_FIRST marks the start of the URL-decoded range */
	TD_F_V_FIRST,
	TD_F_V_UUID = TD_F_V_FIRST,
	TD_F_V_CALL_UUID,
	TD_F_V_ORIGINATING_LEG_UUID,
	TD_F_V_CC_MEMBER_SESSION_UUID,
	TD_F_V_DIRECTION,
	TD_F_V_FS_SWITCHNAME, /* FreeSWITCH-Switchname (copied in from the auth event) */
	TD_F_V_EFF_CID_NUMBER,
	TD_F_V_EFF_CID_NAME,
	TD_F_V_SIP_FROM_USER,
	TD_F_V_SIP_FROM_DISPLAY,
	TD_F_V_SIP_REQ_USER,
	TD_F_V_SIP_TO_USER,
	TD_F_V_DIALED_USER,
	TD_F_V_USER_CONTEXT,
	TD_F_V_DOMAIN_NAME,
	TD_F_V_SIP_REQ_HOST,
	TD_F_V_ACCOUNTCODE,
	TD_F_V_START_UEPOCH,
	TD_F_V_ANSWER_UEPOCH,
	TD_F_V_END_UEPOCH,
	TD_F_V_START_EPOCH,
	TD_F_V_ANSWER_EPOCH,
	TD_F_V_END_EPOCH,
	TD_F_V_DURATION,
	TD_F_V_BILLSEC,
	TD_F_V_BILLMSEC,
	TD_F_V_HANGUP_CAUSE,
	TD_F_V_HANGUP_CAUSE_Q850,
	TD_F_V_SIP_TERM_STATUS,
	TD_F_V_SIP_HANGUP_DISPOSITION,
	TD_F_V_SIP_CALL_ID,
	TD_F_V_CC_QUEUE,
	TD_F_V_CC_AGENT,
	TD_F_V_CC_QUEUE_JOINED_EPOCH,
	TD_F_V_CC_QUEUE_ANSWERED_EPOCH,
	TD_F_V_CC_CANCEL_REASON,
	TD_F_V_CC_RECORD_FILENAME,
	TD_F_V_EXECUTE_ON_ANSWER,
	TD_F_V_RECORD_PATH,
	TD_F_V_RECORD_NAME,
	TD_F_V_RTP_AUDIO_IN_MOS,
	TD_F__COUNT
};

/* One kept value: bytes [off, off+len) of the scratch buffer. */
typedef struct td_cdr__slot {
	uint32_t off;
	uint32_t len;
	bool set; /* seen (the first occurrence wins) */
	bool overflow; /* longer than the raw cap: only a prefix was kept */
} td_cdr__slot;

typedef struct td_cdr__fields {
	td_cdr__slot slot[TD_F__COUNT];
	bool cp_has_originator; /* callflow[0].caller_profile.originator exists */
	bool cp_has_originatee; /* callflow[0].caller_profile.originatee exists */
	int callflows; /* callflow objects seen (array elements or repeated keys) */
} td_cdr__fields;

/*
 * td_cdr__extract streams json[0..len) and fills f; the kept bytes go into
 * scratch (reset first), and variables values are URL-decoded in place.
 * 0, or TD_EINVAL with a reason in err.
 */
int td_cdr__extract(const char *json, size_t len, td_cdr__fields *f, td_buf *scratch, char *err,
    size_t errlen) TD_MUSTCHECK;

/* td_cdr__raw_cap: the most bytes kept for a field before decoding. */
size_t td_cdr__raw_cap(int field);

/* td_cdr__var_field: the field for variables.<name>, or -1 (tests check the table). */
int td_cdr__var_field(const char *name, size_t n);
/* td_cdr__var_name: the variable name of field f (V_* only), or NULL. */
const char *td_cdr__var_name(int f);

/*
 * td_cdr__pct_decode decodes %HH (either case of hex) in place and returns
 * the new length.  '+' stays '+', and a '%' not followed by two hex digits
 * stays literal: this is the inverse of FreeSWITCH's switch_url_encode for
 * channel variable values.
 */
size_t td_cdr__pct_decode(char *p, size_t n);

/*
 * td_cdr__rec_path finds a recording path in application data.  With
 * is_app (the app is record_session itself) the data is the path;
 * otherwise the path follows "record_session" and "::", ':' or blanks.
 * A leading {var=value,...} block and a trailing "+<seconds>" limit are
 * dropped, blanks trimmed.  true with [*off, *off+*len) inside data.
 */
bool td_cdr__rec_path(const char *data, size_t n, bool is_app, size_t *off, size_t *len);

/* td_cdr__errf formats a reason into err (if errlen > 0) and returns rv. */
int td_cdr__errf(int rv, char *err, size_t errlen, const char *fmt, ...) TD_PRINTF(4, 5);

#endif
