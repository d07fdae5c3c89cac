/* SPDX-License-Identifier: MIT */
/*
 * CDR mapping: turn what FreeSWITCH mod_json_cdr POSTs, and the sip-router's
 * call-ended events, into a tandem.CdrRecord (proto/tandem/cdr.proto).
 * Pure functions over (buf, len): no I/O, no globals, no logging; any thread.
 * The JSON is streamed through yajl's callback parser and only the fields we
 * need are kept (docs/decisions/0001-yajl-for-cdr-parsing.md); where every
 * field comes from is in docs/cdr-mapping.md.
 *
 * Errors: TD_EINVAL for bad input, with a short reason in err (the collector
 * returns it in its 400 and keeps it in the dead-letter list); TD_ETOOBIG
 * when the input is larger than TD_CDR_MAX_BODY.  err is always
 * NUL-terminated when errlen > 0.
 */
#ifndef TD_CDR_CDR_H
#define TD_CDR_CDR_H

#include <stddef.h>

#include "tandem/cdr.pb-c.h"
#include "tandem/events.pb-c.h"
#include "util/buf.h"
#include "util/err.h"

#define TD_CDR_MAX_BODY (1024 * 1024) /* largest body or JSON document accepted */
#define TD_CDR_MAX_DEPTH 32 /* deepest JSON nesting accepted */
#define TD_CDR_MAX_ID 255 /* bytes: uuids, numbers, names, causes, ... */
#define TD_CDR_MAX_PATH 4096 /* bytes: recording_path */
#define TD_CDR_MIN_TIME_US 946684800000000LL /* 2000-01-01T00:00:00Z */
#define TD_CDR_MAX_TIME_US 4102444800000000LL /* 2100-01-01T00:00:00Z */
#define TD_CDR_ERRLEN 160 /* a comfortable size for err buffers */

/*
 * td_cdr_decode_body extracts the JSON document from a mod_json_cdr POST
 * body, in any of the three forms FreeSWITCH sends:
 *   - raw JSON ('{' first, leading whitespace allowed);
 *   - "cdr=" + URL-encoded JSON (form-urlencoded: %HH and '+' = space);
 *   - "cdr=" + plain base64 of the JSON (form-base64-encoded; '+' '/' '='
 *     are raw and are not form-decoded).
 * The body is sniffed; content_type (may be NULL) is only quoted in errors,
 * because with disable-100-continue FreeSWITCH labels raw JSON as
 * form-urlencoded.  Other form fields may surround cdr=; exactly one cdr=
 * field must be present.  The decoded document must start with '{'.
 *
 * json_out is reset and receives the document (NUL-terminated, len bytes);
 * the caller owns it and frees it with td_buf_free().  On error json_out's
 * content is unspecified.
 */
int td_cdr_decode_body(const char *body, size_t len, const char *content_type, td_buf *json_out,
    char *err, size_t errlen) TD_MUSTCHECK;

/*
 * td_cdr_map_freeswitch parses one mod_json_cdr JSON document (exactly len
 * bytes, need not be NUL-terminated) and maps it to a new record with
 * source = CDR_SOURCE_FREESWITCH.  received_us and remote_addr are left
 * 0/empty for the collector to fill.
 *
 * Ownership: on 0, *out is a new record that the caller frees with
 * td_cdr_record_free() (never with tandem__cdr_record__free_unpacked()).
 * The record and all its strings are one allocation: do not free or
 * realloc its string fields.  The caller may point a string field (e.g.
 * remote_addr) at memory it owns; td_cdr_record_free() will not free it.
 * On error *out is NULL.
 */
int td_cdr_map_freeswitch(
    const char *json, size_t len, Tandem__CdrRecord **out, char *err, size_t errlen) TD_MUSTCHECK;

/*
 * td_cdr_map_call_event maps the sip-router's CALL_ENDED event to a record
 * with source = CDR_SOURCE_SIP_ROUTER, leg = A, leg_uuid = ev->leg_id,
 * call_uuid = sip_call_id = ev->call_id, node = node (may be NULL).  Same
 * validation and ownership as td_cdr_map_freeswitch().
 */
int td_cdr_map_call_event(const Tandem__CallEvent *ev, const char *node, Tandem__CdrRecord **out,
    char *err, size_t errlen) TD_MUSTCHECK;

/* td_cdr_record_free frees a record made by td_cdr_map_*(); NULL is fine. */
void td_cdr_record_free(Tandem__CdrRecord *rec);

#endif
