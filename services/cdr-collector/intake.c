/* SPDX-License-Identifier: MIT */
/* CDR intake: mod_json_cdr over HTTP and call-ended events (see intake.h). */
#include "intake.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr/cdr.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "tandem/cdr.pb-c.h"
#include "util/clock.h"
#include "util/mem.h"

/* ---- dead letters ------------------------------------------------------------- */

/* dead_letter keeps a refused body, best effort: the refusal stands either way. */
static void
dead_letter(intake *in, const td_http_req *req, const char *reason)
{
	Tandem__CdrDeadLetter dl = TANDEM__CDR_DEAD_LETTER__INIT;
	dl.received_us = req->received_us;
	dl.reason = (char *)reason;
	dl.remote_addr = (char *)req->remote;
	const char *ct = td_http_header(req, "Content-Type");
	dl.content_type = (char *)(ct ? ct : "");
	dl.body.data = (uint8_t *)req->body;
	dl.body.len = req->body_len;
	td_buf b = TD_BUF_INIT;
	uint8_t *p = td_buf_extend(&b, tandem__cdr_dead_letter__get_packed_size(&dl));
	if (p != NULL) {
		tandem__cdr_dead_letter__pack(&dl, p);
		if (enq_submit(in->enq, in->cfg->dead_key, b.data, b.len, (long)in->cfg->dead_max,
		        in->cfg->enqueue_timeout_ms) == 0) {
			td_counter_inc(in->m->dead);
		} else {
			LOG_WARN("CDRC-DEAD-FAIL", "could not keep the refused body from %s", req->remote);
		}
	}
	td_buf_free(&b);
}

/* ---- queueing ------------------------------------------------------------------- */

static int
queue_record(intake *in, Tandem__CdrRecord *rec)
{
	td_buf b = TD_BUF_INIT;
	uint8_t *p = td_buf_extend(&b, tandem__cdr_record__get_packed_size(rec));
	if (p == NULL) {
		td_buf_free(&b);
		return (TD_ENOMEM);
	}
	tandem__cdr_record__pack(rec, p);
	int rv = enq_submit(in->enq, in->cfg->queue_key, b.data, b.len, 0,
	    in->cfg->enqueue_timeout_ms);
	td_buf_free(&b);
	return (rv);
}

/* ---- HTTP ----------------------------------------------------------------------- */

static bool
authorized(intake *in, const td_http_req *req)
{
	if (in->cfg->auth_user[0] == '\0') {
		return (true);
	}
	char user[256], pass[256];
	if (!td_http_basic_auth(req, user, sizeof(user), pass, sizeof(pass))) {
		return (false);
	}
	/* Compare hashes: constant time and independent of the lengths. */
	unsigned char a[32], b[32], c[32], d[32];
	crypto_generichash(a, sizeof(a), (const unsigned char *)user, strlen(user), NULL, 0);
	crypto_generichash(b, sizeof(b), (const unsigned char *)in->cfg->auth_user,
	    strlen(in->cfg->auth_user), NULL, 0);
	crypto_generichash(c, sizeof(c), (const unsigned char *)pass, strlen(pass), NULL, 0);
	crypto_generichash(d, sizeof(d), (const unsigned char *)in->cfg->auth_password,
	    strlen(in->cfg->auth_password), NULL, 0);
	int ok = (sodium_memcmp(a, b, sizeof(a)) == 0) & (sodium_memcmp(c, d, sizeof(c)) == 0);
	sodium_memzero(pass, sizeof(pass));
	return (ok != 0);
}

static void
post_cdr(intake *in, const td_http_req *req, td_http_resp *resp)
{
	char err[256] = "";
	td_buf json = TD_BUF_INIT;
	Tandem__CdrRecord *rec = NULL;

	if (!authorized(in, req)) {
		td_counter_inc(in->m->rejected_auth);
		td_http_resp_header(resp, "WWW-Authenticate", "Basic realm=\"tandem-cdr\"");
		td_http_resp_error(resp, 401, "unauthorized", "missing or wrong credentials");
		return;
	}
	if (td_cdr_decode_body(req->body, req->body_len, td_http_header(req, "Content-Type"), &json,
	        err, sizeof(err)) != 0) {
		td_counter_inc(in->m->rejected_decode);
		LOG_WARN("CDRC-BAD-BODY", "refused CDR from %s: %s", req->remote, err);
		dead_letter(in, req, err);
		td_http_resp_error(resp, 400, "bad_body", "%s", err);
		goto out;
	}
	if (td_cdr_map_freeswitch(json.data, json.len, &rec, err, sizeof(err)) != 0) {
		td_counter_inc(in->m->rejected_map);
		LOG_WARN("CDRC-BAD-CDR", "refused CDR from %s: %s", req->remote, err);
		dead_letter(in, req, err);
		td_http_resp_error(resp, 400, "bad_cdr", "%s", err);
		goto out;
	}
	const char *quuid = td_http_arg(req, "uuid");
	if (quuid != NULL && quuid[0] && strcmp(quuid, rec->leg_uuid) != 0) {
		td_counter_inc(in->m->uuid_mismatch);
	}
	rec->received_us = req->received_us;
	rec->remote_addr = (char *)req->remote; /* borrowed: the record is one allocation */
	int rv = queue_record(in, rec);
	if (rv != 0) {
		td_counter_inc(in->m->unavailable);
		td_http_resp_header(resp, "Retry-After", "5");
		td_http_resp_error(resp, 503, "unavailable",
		    "CDR not queued (%s); FreeSWITCH will retry", td_strerror(rv));
		goto out;
	}
	td_counter_inc(in->m->accepted_http);
	td_http_resp_json(resp, 200,
	    json_pack("{s:s, s:s}", "status", "queued", "leg_uuid", rec->leg_uuid));
out:
	td_cdr_record_free(rec);
	td_buf_free(&json);
}

void
intake_http(void *arg, const td_http_req *req, td_http_resp *resp)
{
	intake *in = arg;
	if (strcmp(req->path, in->cfg->http_path) == 0) {
		if (strcmp(req->method, "POST") != 0) {
			td_counter_inc(in->m->rejected_method);
			td_http_resp_header(resp, "Allow", "POST");
			td_http_resp_error(resp, 405, "method_not_allowed", "POST CDRs here");
			return;
		}
		post_cdr(in, req, resp);
	} else if (strcmp(req->path, "/health") == 0) {
		bool up = enq_redis_up(in->enq);
		td_http_resp_json(resp, up ? 200 : 503,
		    json_pack("{s:s, s:s}", "status", up ? "ok" : "degraded", "redis",
		        up ? "up" : "down"));
	} else if (strcmp(req->path, "/metrics") == 0) {
		snprintf(resp->content_type, sizeof(resp->content_type),
		    "text/plain; version=0.0.4; charset=utf-8");
		td_metrics_render(&resp->body);
	} else {
		td_http_resp_error(resp, 404, "not_found", "no such path; CDRs go to %s",
		    in->cfg->http_path);
	}
}

/* ---- call-ended events --------------------------------------------------------- */

int
intake_call_event(intake *in, const Tandem__Event *ev, char *err, size_t errlen)
{
	if (ev->body_case != TANDEM__EVENT__BODY_CALL || ev->call == NULL ||
	    ev->call->kind != TANDEM__CALL_EVENT_KIND__CALL_ENDED) {
		snprintf(err, errlen, "not a call-ended event");
		return (TD_EINVAL);
	}
	Tandem__CdrRecord *rec = NULL;
	if (td_cdr_map_call_event(ev->call, ev->node ? ev->node : in->node, &rec, err, errlen) != 0) {
		td_counter_inc(in->m->rejected_map);
		return (TD_EINVAL);
	}
	rec->received_us = td_wall_us();
	int rv = queue_record(in, rec);
	td_cdr_record_free(rec);
	if (rv != 0) {
		snprintf(err, errlen, "not queued: %s", td_strerror(rv));
		return (rv);
	}
	td_counter_inc(in->m->accepted_event);
	return (TD_OK);
}
