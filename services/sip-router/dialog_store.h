/* SPDX-License-Identifier: MIT */
/*
 * Calls in progress carried over a router restart: at a clean stop the
 * answered calls go to Redis (tandem:dialogs:<node>, one JSON value that
 * expires after sip.max_call_duration), and the next start of the router
 * of that node takes them back (and deletes the key), so the BYE that ends
 * such a call still makes its call.ended event and its CDR, with the
 * call's real start and answer times.  A kill -9 or a node that dies takes
 * its calls' records with it (they never left memory).
 */
#ifndef SIP_ROUTER_DIALOG_STORE_H
#define SIP_ROUTER_DIALOG_STORE_H

#include <stdint.h>

#include "dialog.h"

/* dlg_store_save: the answered calls of t to Redis; how many, or a negative td_err. */
int dlg_store_save(dlg_table *t, const char *redis_url, const char *node, int64_t ttl_ms);
/* dlg_store_restore: those saved by the last clean stop of node into t; how many, or < 0. */
int dlg_store_restore(dlg_table *t, const char *redis_url, const char *node);

#endif
