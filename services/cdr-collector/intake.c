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

static void
dead_done(void *arg, int rv)
{
	intake *in = arg;
	if (rv == 0) {
		td_counter_inc(in->m->dead);
	} else {
		LOG_WARN("CDRC-DEAD-FAIL", "could not keep a refused body: %s", td_strerror(rv));
	}
}

/*
 * dead_letter keeps a refused body, best effort and without waiting: the
 * refusal stands either way, and the answer must not wait for Redis.
 */
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
	size_t n = tandem__cdr_dead_letter__get_packed_size(&dl);
	uint8_t *p = td_xmalloc(n ? n : 1);
	tandem__cdr_dead_letter__pack(&dl, p);
	enq_submit_async(in->enq, in->cfg->dead_key, p, n, (long)in->cfg->dead_max,
	    in->cfg->enqueue_timeout_ms, dead_done, in);
}

/* ---- queueing ------------------------------------------------------------------- */

/* pack_record returns the packed record (malloc'd) and its length. */
static uint8_t *
pack_record(const Tandem__CdrRecord *rec, size_t *len)
{
	*len = tandem__cdr_record__get_packed_size(rec);
	uint8_t *p = td_xmalloc(*len ? *len : 1);
	tandem__cdr_record__pack(rec, p);
	return (p);
}

/* queue_record queues a record and waits for Redis (bus intake). */
static int
queue_record(intake *in, Tandem__CdrRecord *rec)
{
	size_t len;
	uint8_t *p = pack_record(rec, &len);
	int rv = enq_submit(in->enq, in->cfg->queue_key, p, len, 0, in->cfg->enqueue_timeout_ms);
	free(p);
	return (rv);
}

/* What an answer needs once Redis has spoken (deferred HTTP requests). */
typedef struct answer {
	intake *in;
	td_http_pending *pending;
	char leg_uuid[256];
} answer;

static void
respond(intake *in, td_http_resp *resp, int rv, const char *leg_uuid)
{
	if (rv != 0) {
		td_counter_inc(in->m->unavailable);
		td_http_resp_header(resp, "Retry-After", "5");
		td_http_resp_error(resp, 503, "unavailable",
		    "CDR not queued (%s); FreeSWITCH will retry", td_strerror(rv));
		return;
	}
	td_counter_inc(in->m->accepted_http);
	/* Built by hand: this runs on the enqueuer thread for every CDR. */
	resp->status = 200;
	td_buf_reset(&resp->body);
	td_buf_printf(&resp->body, "{\"status\":\"queued\",\"leg_uuid\":\"%s\"}\n", leg_uuid);
}

static void
answer_done(void *arg, int rv)
{
	answer *a = arg;
	respond(a->in, td_http_pending_resp(a->pending), rv, a->leg_uuid);
	td_http_pending_done(a->pending);
	free(a);
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
	int rv = td_cdr_decode_body(req->body, req->body_len, td_http_header(req, "Content-Type"),
	    &json, err, sizeof(err));
	if (rv != 0) {
		td_counter_inc(in->m->rejected_decode);
		LOG_WARN("CDRC-BAD-BODY", "refused CDR from %s: %s", req->remote, err);
		dead_letter(in, req, err);
		td_http_resp_error(resp, rv == TD_ETOOBIG ? 413 : 400, "bad_body", "%s", err);
		goto out;
	}
	rv = td_cdr_map_freeswitch(json.data, json.len, &rec, err, sizeof(err));
	if (rv != 0) {
		td_counter_inc(in->m->rejected_map);
		LOG_WARN("CDRC-BAD-CDR", "refused CDR from %s: %s", req->remote, err);
		dead_letter(in, req, err);
		td_http_resp_error(resp, rv == TD_ETOOBIG ? 413 : 400, "bad_cdr", "%s", err);
		goto out;
	}
	const char *quuid = td_http_arg(req, "uuid");
	if (quuid != NULL && quuid[0] && strcmp(quuid, rec->leg_uuid) != 0) {
		td_counter_inc(in->m->uuid_mismatch);
	}
	rec->received_us = req->received_us;
	rec->remote_addr = (char *)req->remote; /* borrowed: the record is one allocation */
	size_t plen;
	uint8_t *packed = pack_record(rec, &plen);
	td_http_pending *pending = td_http_defer(req);
	if (pending != NULL) {
		/* Event-loop mode: answer when Redis has acknowledged, from the enqueuer. */
		answer *a = TD_NEW(answer);
		a->in = in;
		a->pending = pending;
		snprintf(a->leg_uuid, sizeof(a->leg_uuid), "%s", rec->leg_uuid);
		enq_submit_async(in->enq, in->cfg->queue_key, packed, plen, 0,
		    in->cfg->enqueue_timeout_ms, answer_done, a);
	} else {
		rv = enq_submit(in->enq, in->cfg->queue_key, packed, plen, 0,
		    in->cfg->enqueue_timeout_ms);
		free(packed);
		respond(in, resp, rv, rec->leg_uuid);
	}
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
