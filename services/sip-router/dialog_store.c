/* SPDX-License-Identifier: MIT */
/* Calls in progress carried over a restart, through Redis (see dialog_store.h). */
#include "dialog_store.h"

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv/kv.h"
#include "log/log.h"
#include "util/err.h"

static td_kv *
connect_kv(const char *url)
{
	td_kv *kv = td_kv_new(&(td_kv_opts){.url = url, .connect_timeout_ms = 2000,
	    .cmd_timeout_ms = 5000});
	if (td_kv_ensure(kv) != 0) {
		td_kv_free(kv);
		return (NULL);
	}
	return (kv);
}

int
dlg_store_save(dlg_table *t, const char *redis_url, const char *node, int64_t ttl_ms)
{
	json_t *calls = dlg_export(t);
	int n = (int)json_array_size(calls);
	if (n == 0) {
		json_decref(calls);
		return (0);
	}
	char *text = json_dumps(calls, JSON_COMPACT);
	json_decref(calls);
	td_kv *kv = connect_kv(redis_url);
	int rv = TD_ECONN;
	if (kv != NULL && text != NULL) {
		char key[160];
		snprintf(key, sizeof(key), "tandem:dialogs:%s", node);
		redisReply *r = td_kv_cmd(kv, &rv, "SET %s %s PX %lld", key, text,
		    (long long)(ttl_ms > 0 ? ttl_ms : 1));
		char err[256];
		if (r != NULL) {
			rv = td_kv_reply_err(kv, r, err, sizeof(err));
			freeReplyObject(r);
		}
	}
	if (rv == 0) {
		LOG_INFO("SIPR-DLG-SAVED", "%d answered calls handed to the next start", n);
	} else {
		LOG_WARN("SIPR-DLG-SAVE-FAIL",
		    "%d answered calls could not be saved (%s): their records are lost", n,
		    td_strerror(rv));
	}
	free(text);
	td_kv_free(kv);
	return (rv == 0 ? n : rv);
}

int
dlg_store_restore(dlg_table *t, const char *redis_url, const char *node)
{
	td_kv *kv = connect_kv(redis_url);
	if (kv == NULL) {
		LOG_WARN("SIPR-DLG-RESTORE-FAIL", "Redis unreachable: calls of the last run not taken back");
		return (TD_ECONN);
	}
	char key[160];
	snprintf(key, sizeof(key), "tandem:dialogs:%s", node);
	int rv;
	redisReply *r = td_kv_cmd(kv, &rv, "GETDEL %s", key);
	int n = 0;
	if (r == NULL) {
		n = rv;
	} else if (r->type == REDIS_REPLY_STRING) {
		json_error_t je;
		json_t *calls = json_loadb(r->str, r->len, 0, &je);
		if (json_is_array(calls)) {
			n = dlg_import(t, calls);
			LOG_INFO("SIPR-DLG-RESTORED", "took back %d answered calls of the last run", n);
		} else {
			LOG_WARN("SIPR-DLG-RESTORE-FAIL", "%s is not a JSON array: %s", key, je.text);
		}
		json_decref(calls);
	} else if (r->type == REDIS_REPLY_ERROR) {
		LOG_WARN("SIPR-DLG-RESTORE-FAIL", "GETDEL %s: %s", key, r->str);
		n = TD_EIO;
	}
	if (r != NULL) {
		freeReplyObject(r);
	}
	td_kv_free(kv);
	return (n);
}
