/* SPDX-License-Identifier: MIT */
/* Call tracking and call events (see dialog.h). */
#include "dialog.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "sip/hdr.h"
#include "sip/uri.h"
#include "sr.h"
#include "routing.h"
#include "util/clock.h"
#include "util/mem.h"

#define SHARDS 64
#define BUCKETS 512

enum { D_ROUTING = 0, D_ANSWERED, D_ENDED };

struct dlg {
	struct dlg *next;
	_Atomic int refs;
	uint32_t hash;
	int state;
	char call_id[256];
	char from_tag[128];
	char to_tag[128];
	char from_user[128], from_display[128], to_user[128], domain[128];
	char target_kind[16], target[128], direction[16];
	char remote[64];
	int64_t start_us, answer_us, mono_start_ms;
};

typedef struct dshard {
	pthread_mutex_t lock;
	dlg *b[BUCKETS];
} dshard;

struct dlg_table {
	sr *r;
	dshard s[SHARDS];
	_Atomic long active;
};

static uint32_t
dhash(const char *cid, size_t cn, const char *tag, size_t tn)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < cn; i++) {
		h = (h ^ (unsigned char)cid[i]) * 16777619u;
	}
	h = (h ^ '|') * 16777619u;
	for (size_t i = 0; i < tn; i++) {
		h = (h ^ (unsigned char)tag[i]) * 16777619u;
	}
	return (h);
}

dlg_table *
dlg_table_new(sr *r)
{
	dlg_table *t = TD_NEW(dlg_table);
	t->r = r;
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_init(&t->s[i].lock, NULL);
	}
	return (t);
}

void
dlg_unref(dlg *d)
{
	if (d != NULL && atomic_fetch_sub(&d->refs, 1) == 1) {
		free(d);
	}
}

void
dlg_table_free(dlg_table *t)
{
	if (t == NULL) {
		return;
	}
	for (int i = 0; i < SHARDS; i++) {
		for (int b = 0; b < BUCKETS; b++) {
			dlg *d = t->s[i].b[b];
			while (d != NULL) {
				dlg *n = d->next;
				dlg_unref(d);
				d = n;
			}
		}
		pthread_mutex_destroy(&t->s[i].lock);
	}
	free(t);
}

long
dlg_active(dlg_table *t)
{
	return (atomic_load(&t->active));
}

/* ---- causes --------------------------------------------------------------------------------- */

/* FreeSWITCH's hangup cause names and Q.850 codes for a final SIP status. */
static void
cause_of(int status, bool cancelled, const char **cause, int *q850)
{
	static const struct {
		int st;
		const char *name;
		int q;
	} map[] = {{200, "NORMAL_CLEARING", 16}, {404, "UNALLOCATED_NUMBER", 1},
	    {403, "CALL_REJECTED", 21}, {603, "CALL_REJECTED", 21}, {486, "USER_BUSY", 17},
	    {600, "USER_BUSY", 17}, {480, "NO_USER_RESPONSE", 18}, {408, "RECOVERY_ON_TIMER_EXPIRE", 102},
	    {410, "NUMBER_CHANGED", 22}, {484, "INVALID_NUMBER_FORMAT", 28},
	    {488, "INCOMPATIBLE_DESTINATION", 88}, {500, "NORMAL_TEMPORARY_FAILURE", 41},
	    {503, "NORMAL_TEMPORARY_FAILURE", 41}, {502, "NETWORK_OUT_OF_ORDER", 38},
	    {504, "RECOVERY_ON_TIMER_EXPIRE", 102}};
	if (cancelled || status == 487) {
		*cause = "ORIGINATOR_CANCEL";
		*q850 = 16;
		return;
	}
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].st == status) {
			*cause = map[i].name;
			*q850 = map[i].q;
			return;
		}
	}
	*cause = "NORMAL_UNSPECIFIED";
	*q850 = 31;
}

/* ---- events ------------------------------------------------------------------------------------ */

static void
emit(dlg_table *t, dlg *d, Tandem__CallEventKind kind, int status, const char *cause, int q850,
    const char *disposition, int64_t end_us)
{
	Tandem__CallEvent e = TANDEM__CALL_EVENT__INIT;
	char leg[400];
	snprintf(leg, sizeof(leg), "%s;%s", d->call_id, d->from_tag);
	e.kind = kind;
	e.call_id = d->call_id;
	e.leg_id = leg;
	e.from_user = d->from_user;
	e.from_display = d->from_display;
	e.to_user = d->to_user;
	e.direction = d->direction;
	e.domain = d->domain;
	e.target_kind = d->target_kind;
	e.target = d->target;
	e.start_us = d->start_us;
	e.answer_us = d->answer_us;
	e.end_us = end_us;
	e.sip_status = status;
	e.hangup_cause = (char *)(cause ? cause : "");
	e.hangup_cause_q850 = q850;
	e.disposition = (char *)(disposition ? disposition : "");
	e.remote_addr = d->remote;
	/* A record for calls that never reached FreeSWITCH (it writes its own). */
	bool cdr = kind == TANDEM__CALL_EVENT_KIND__CALL_ENDED &&
	           (strcmp(d->target_kind, "user") == 0 || strcmp(d->target_kind, "trunk_out") == 0);
	ev_call(t->r->ev, &e, cdr);
}

/* ---- table -------------------------------------------------------------------------------------- */

static dlg *
find_locked(dshard *s, uint32_t h, const char *cid, size_t cn, const char *tag, size_t tn)
{
	for (dlg *d = s->b[(h / SHARDS) % BUCKETS]; d != NULL; d = d->next) {
		if (d->hash == h && strlen(d->call_id) == cn && memcmp(d->call_id, cid, cn) == 0 &&
		    strlen(d->from_tag) == tn && memcmp(d->from_tag, tag, tn) == 0) {
			return (d);
		}
	}
	return (NULL);
}

/* unlink removes d from its bucket; returns true if it was there. */
static bool
unlink_dlg(dlg_table *t, dlg *d)
{
	dshard *s = &t->s[d->hash % SHARDS];
	bool found = false;
	pthread_mutex_lock(&s->lock);
	for (dlg **p = &s->b[(d->hash / SHARDS) % BUCKETS]; *p != NULL; p = &(*p)->next) {
		if (*p == d) {
			*p = d->next;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (found) {
		atomic_fetch_sub(&t->active, 1);
		td_gauge_add(t->r->m.calls_active, -1);
	}
	return (found);
}

/*
 * adopt links d (its Call-ID and From tag set) into t, which takes one of
 * its references, and counts it as active; false, d not linked, if t has
 * a dialog with the same Call-ID and From tag already.
 */
static bool
adopt(dlg_table *t, dlg *d)
{
	size_t cn = strlen(d->call_id), tn = strlen(d->from_tag);
	d->hash = dhash(d->call_id, cn, d->from_tag, tn);
	dshard *s = &t->s[d->hash % SHARDS];
	pthread_mutex_lock(&s->lock);
	bool dup = find_locked(s, d->hash, d->call_id, cn, d->from_tag, tn) != NULL;
	if (!dup) {
		d->next = s->b[(d->hash / SHARDS) % BUCKETS];
		s->b[(d->hash / SHARDS) % BUCKETS] = d;
	}
	pthread_mutex_unlock(&s->lock);
	if (dup) {
		return (false);
	}
	atomic_fetch_add(&t->active, 1);
	td_gauge_add(t->r->m.calls_active, 1);
	return (true);
}

dlg *
dlg_start(dlg_table *t, const td_sip_msg *m, const sr_addr *src, const char *target_kind,
    const char *target)
{
	td_sip_str cid, ftag;
	if (td_sip_callid(m, &cid) != 0 || td_sip_from_tag(m, &ftag) != 0 || ftag.n == 0) {
		return (NULL);
	}
	dlg *d = TD_NEW(dlg);
	td_sip_str_copy(d->call_id, sizeof(d->call_id), cid);
	td_sip_str_copy(d->from_tag, sizeof(d->from_tag), ftag);
	atomic_store(&d->refs, 2); /* the table's and the caller's */
	if (!adopt(t, d)) {
		free(d);
		return (NULL);
	}

	td_sip_addr fa, ta;
	td_sip_uri fu, tu;
	if (td_sip_from(m, &fa) == 0) {
		td_sip_str_copy(d->from_display, sizeof(d->from_display), fa.display);
		if (td_sip_uri_parse(fa.uri, &fu) == 0) {
			td_sip_str_copy(d->from_user, sizeof(d->from_user), fu.user);
			td_sip_str_copy(d->domain, sizeof(d->domain), fu.host);
		}
	}
	if (td_sip_uri_parse(m->ruri, &tu) == 0 && tu.has_user) {
		td_sip_str_copy(d->to_user, sizeof(d->to_user), tu.user);
	} else if (td_sip_to(m, &ta) == 0 && td_sip_uri_parse(ta.uri, &tu) == 0) {
		td_sip_str_copy(d->to_user, sizeof(d->to_user), tu.user);
	}
	snprintf(d->target_kind, sizeof(d->target_kind), "%s", target_kind ? target_kind : "");
	snprintf(d->target, sizeof(d->target), "%s", target ? target : "");
	bool from_trunk = rt_is_trunk_addr(t->r->rt, &src->u.sa);
	snprintf(d->direction, sizeof(d->direction), "%s",
	    from_trunk ? "inbound" : strcmp(d->target_kind, "trunk_out") == 0 ? "outbound" : "internal");
	sr_addr_fmt(src, d->remote, sizeof(d->remote));
	d->start_us = td_wall_us();
	d->mono_start_ms = td_mono_ms();
	emit(t, d, TANDEM__CALL_EVENT_KIND__CALL_STARTED, 0, NULL, 0, NULL, 0);
	return (d);
}

void
dlg_answered(dlg_table *t, dlg *d, const td_sip_msg *resp)
{
	td_sip_str tt = TD_SIP_STR_NULL;
	if (td_sip_to_tag(resp, &tt) != 0) {
		tt = TD_SIP_STR_NULL;
	}
	dshard *s = &t->s[d->hash % SHARDS];
	pthread_mutex_lock(&s->lock);
	bool first = d->state == D_ROUTING;
	if (first) {
		d->state = D_ANSWERED;
		d->answer_us = td_wall_us();
		td_sip_str_copy(d->to_tag, sizeof(d->to_tag), tt);
	}
	pthread_mutex_unlock(&s->lock);
	if (first) {
		emit(t, d, TANDEM__CALL_EVENT_KIND__CALL_ANSWERED, resp->status, NULL, 0, NULL, 0);
		td_counter_inc(t->r->m.calls_total[0]);
	}
}

/* end_dlg: the call is over; emit once, unlink, drop the table's reference. */
static void
end_dlg(dlg_table *t, dlg *d, int status, bool cancelled, const char *disposition)
{
	dshard *s = &t->s[d->hash % SHARDS];
	pthread_mutex_lock(&s->lock);
	bool live = d->state != D_ENDED;
	d->state = D_ENDED;
	pthread_mutex_unlock(&s->lock);
	if (!live) {
		return;
	}
	const char *cause;
	int q850;
	cause_of(status, cancelled, &cause, &q850);
	emit(t, d, TANDEM__CALL_EVENT_KIND__CALL_ENDED, status, cause, q850, disposition, td_wall_us());
	if (unlink_dlg(t, d)) {
		dlg_unref(d);
	}
}

void
dlg_failed(dlg_table *t, dlg *d, int status, bool cancelled)
{
	if (d->state != D_ROUTING) {
		return;
	}
	td_counter_inc(t->r->m.calls_total[cancelled ? 2 : 1]);
	end_dlg(t, d, status, cancelled, cancelled ? "recv_cancel" : "rejected");
}

void
dlg_on_bye(dlg_table *t, const td_sip_msg *bye)
{
	td_sip_str cid, ftag, ttag;
	if (td_sip_callid(bye, &cid) != 0 || td_sip_from_tag(bye, &ftag) != 0 ||
	    td_sip_to_tag(bye, &ttag) != 0) {
		return;
	}
	/* From the caller: From tag is the dialog's; from the callee: the To tag is. */
	for (int side = 0; side < 2; side++) {
		td_sip_str tag = side == 0 ? ftag : ttag;
		uint32_t h = dhash(cid.p, cid.n, tag.p, tag.n);
		dshard *s = &t->s[h % SHARDS];
		pthread_mutex_lock(&s->lock);
		dlg *d = find_locked(s, h, cid.p, cid.n, tag.p, tag.n);
		if (d != NULL) {
			atomic_fetch_add(&d->refs, 1);
		}
		pthread_mutex_unlock(&s->lock);
		if (d != NULL) {
			end_dlg(t, d, 200, false, side == 0 ? "caller_bye" : "callee_bye");
			dlg_unref(d);
			return;
		}
	}
}

void
dlg_tick(dlg_table *t)
{
	int64_t now = td_mono_ms();
	for (int i = 0; i < SHARDS; i++) {
		dlg *old[32];
		int n = 0;
		dshard *s = &t->s[i];
		pthread_mutex_lock(&s->lock);
		for (int b = 0; b < BUCKETS && n < 32; b++) {
			for (dlg *d = s->b[b]; d != NULL && n < 32; d = d->next) {
				if (now - d->mono_start_ms > t->r->cfg->max_call_ms) {
					atomic_fetch_add(&d->refs, 1);
					old[n++] = d;
				}
			}
		}
		pthread_mutex_unlock(&s->lock);
		for (int k = 0; k < n; k++) {
			td_counter_inc(t->r->m.calls_total[3]);
			end_dlg(t, old[k], old[k]->state == D_ANSWERED ? 200 : 408, false, "timeout");
			dlg_unref(old[k]);
		}
	}
}

json_t *
dlg_list(dlg_table *t, int limit)
{
	json_t *a = json_array();
	int n = 0;
	int64_t now = td_wall_us();
	for (int i = 0; i < SHARDS && n < limit; i++) {
		dshard *s = &t->s[i];
		pthread_mutex_lock(&s->lock);
		for (int b = 0; b < BUCKETS && n < limit; b++) {
			for (dlg *d = s->b[b]; d != NULL && n < limit; d = d->next, n++) {
				json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "call_id",
				                             d->call_id, "from", d->from_user, "to", d->to_user,
				                             "kind", d->target_kind, "state",
				                             d->state == D_ANSWERED ? "answered" : "ringing",
				                             "age_s", (json_int_t)((now - d->start_us) / 1000000)));
			}
		}
		pthread_mutex_unlock(&s->lock);
	}
	return (a);
}

/* ---- carried over a restart --------------------------------------------------------------------- */

json_t *
dlg_export(dlg_table *t)
{
	json_t *a = json_array();
	for (int i = 0; i < SHARDS; i++) {
		dshard *s = &t->s[i];
		pthread_mutex_lock(&s->lock);
		for (int b = 0; b < BUCKETS; b++) {
			for (dlg *d = s->b[b]; d != NULL; d = d->next) {
				if (d->state != D_ANSWERED) {
					continue;
				}
				json_array_append_new(a,
				    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}",
				        "call_id", d->call_id, "from_tag", d->from_tag, "to_tag", d->to_tag,
				        "from_user", d->from_user, "from_display", d->from_display, "to_user",
				        d->to_user, "domain", d->domain, "target_kind", d->target_kind, "target",
				        d->target, "direction", d->direction, "remote", d->remote, "start_us",
				        (json_int_t)d->start_us, "answer_us", (json_int_t)d->answer_us));
			}
		}
		pthread_mutex_unlock(&s->lock);
	}
	return (a);
}

/* str_field copies o's string field key into out (empty if absent). */
static void
str_field(const json_t *o, const char *key, char *out, size_t len)
{
	const char *v = json_string_value(json_object_get(o, key));
	snprintf(out, len, "%s", v ? v : "");
}

int
dlg_import(dlg_table *t, const json_t *calls)
{
	int n = 0;
	size_t i;
	const json_t *o;
	int64_t now_wall = td_wall_us(), now_mono = td_mono_ms();
	json_array_foreach(calls, i, o) {
		dlg *d = TD_NEW(dlg);
		str_field(o, "call_id", d->call_id, sizeof(d->call_id));
		str_field(o, "from_tag", d->from_tag, sizeof(d->from_tag));
		if (d->call_id[0] == '\0' || d->from_tag[0] == '\0') {
			free(d);
			continue;
		}
		str_field(o, "to_tag", d->to_tag, sizeof(d->to_tag));
		str_field(o, "from_user", d->from_user, sizeof(d->from_user));
		str_field(o, "from_display", d->from_display, sizeof(d->from_display));
		str_field(o, "to_user", d->to_user, sizeof(d->to_user));
		str_field(o, "domain", d->domain, sizeof(d->domain));
		str_field(o, "target_kind", d->target_kind, sizeof(d->target_kind));
		str_field(o, "target", d->target, sizeof(d->target));
		str_field(o, "direction", d->direction, sizeof(d->direction));
		str_field(o, "remote", d->remote, sizeof(d->remote));
		d->start_us = json_integer_value(json_object_get(o, "start_us"));
		d->answer_us = json_integer_value(json_object_get(o, "answer_us"));
		d->state = D_ANSWERED;
		/* its age counts towards sip.max_call_duration as before the restart */
		d->mono_start_ms = now_mono - (now_wall - d->start_us) / 1000;
		atomic_store(&d->refs, 1); /* the table's */
		if (!adopt(t, d)) {
			free(d);
			continue;
		}
		n++;
	}
	return (n);
}
