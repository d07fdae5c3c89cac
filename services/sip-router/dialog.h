/* SPDX-License-Identifier: MIT */
/*
 * Calls, as the proxy sees them: an INVITE that we route starts one, its
 * 2xx answers it, a final failure or the BYE (through our Record-Route)
 * ends it; a call nobody hangs up ends after sip.max_call_duration.  Each
 * step is published (call.started / answered / ended) and a call that never
 * reached FreeSWITCH is handed to cdr-collector as a record.
 */
#ifndef SIP_ROUTER_DIALOG_H
#define SIP_ROUTER_DIALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "sip/sip.h"

struct sr;

typedef struct dlg dlg;
typedef struct dlg_table dlg_table;

dlg_table *dlg_table_new(struct sr *r);
void dlg_table_free(dlg_table *t);

/*
 * dlg_start records a new call from an initial INVITE being routed;
 * target_kind is "user", "queue", ... ("" if not known).  Returns a
 * referenced dlg (drop with dlg_unref), or NULL if one already exists for
 * this Call-ID and From tag (a re-INVITE or a spiral).
 */
dlg *dlg_start(dlg_table *t, const td_sip_msg *invite, const sr_addr *src,
    const char *target_kind, const char *target);
void dlg_unref(dlg *d);
/* dlg_progress / dlg_answered / dlg_failed: from the INVITE's responses upstream. */
void dlg_answered(dlg_table *t, dlg *d, const td_sip_msg *resp);
void dlg_failed(dlg_table *t, dlg *d, int status, bool cancelled);
/* dlg_bye: an in-dialog BYE passed (from the caller when by_caller). */
void dlg_on_bye(dlg_table *t, const td_sip_msg *bye);
/* dlg_tick: end calls past sip.max_call_duration (main thread, once a second). */
void dlg_tick(dlg_table *t);
long dlg_active(dlg_table *t);
json_t *dlg_list(dlg_table *t, int limit);

/*
 * For a restart (dialog_store.c): dlg_export returns the answered calls in
 * progress as a JSON array (no events); dlg_import takes such an array
 * back into an empty table, without events (the calls were started and
 * answered by the process before), and returns how many it took.  Calls
 * still ringing are not carried over: their INVITE transaction dies with
 * the process.
 */
json_t *dlg_export(dlg_table *t);
int dlg_import(dlg_table *t, const json_t *calls);

#endif
