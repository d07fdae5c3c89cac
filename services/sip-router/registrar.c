/* SPDX-License-Identifier: MIT */
/* The registrar: REGISTER per RFC 3261 §10.3 (see registrar.h). */
#include "registrar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "location.h"
#include "log/log.h"
#include "proxy.h"
#include "routing.h"
#include "sip/hdr.h"
#include "sip/uri.h"
#include "sr.h"
#include "util/appendf.h"
#include "util/clock.h"
#include "util/mem.h"
#include "worker.h"

#define REG_TIMEOUT_MS 3000

/* What travels from the location writer back to the worker that answers. */
typedef struct reg_pending {
	ctx *c;
	worker *w;
	int rv;
	int n;
	loc_binding now[LOC_MAX_PER_AOR];
} reg_pending;

/* contact_lines writes "Contact: <uri>;expires=N" for each binding. */
static void
contact_lines(const loc_binding *b, int n, char *out, size_t cap)
{
	size_t o = 0;
	int64_t now = td_wall_us();
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int64_t left = (b[i].expires_us - now) / 1000000;
		if (left < 1) {
			left = 1;
		}
		/* a line that does not fit is left out whole, never cut */
		(void)td_appendf(out, cap, &o, "Contact: <%s>;expires=%lld\r\n", b[i].contact,
		    (long long)left);
	}
}

static void
answer_task(worker *w, void *arg)
{
	reg_pending *p = arg;
	ctx *c = p->c;
	sr *r = w->r;
	pthread_mutex_lock(&c->lock);
	if (p->rv == 0) {
		char *hdrs = td_xmalloc(LOC_MAX_PER_AOR * (LOC_MAX_URI + 40) + 64);
		contact_lines(p->now, p->n, hdrs, LOC_MAX_PER_AOR * (LOC_MAX_URI + 40) + 64);
		proxy_reply_locked(c, w, 200, NULL, hdrs);
		free(hdrs);
		td_counter_inc(r->m.reg_ok);
		td_histogram_observe(r->m.reg_seconds, (double)(td_mono_us() - c->t0_us) / 1e6);
	} else {
		td_counter_inc(r->m.reg_fail);
		proxy_reply_locked(c, w, 500, "Location Service Unavailable", "Retry-After: 5\r\n");
	}
	pthread_mutex_unlock(&c->lock);
	ctx_unref(c);
	free(p);
}

/* on_applied runs on the location writer thread: hand the answer to the worker. */
static void
on_applied(void *arg, int rv, const loc_binding *now, int n)
{
	reg_pending *p = arg;
	p->rv = rv;
	p->n = 0;
	for (int i = 0; rv == 0 && i < n && i < LOC_MAX_PER_AOR; i++) {
		p->now[p->n++] = now[i];
	}
	worker_post(p->w, answer_task, p);
}

static int
find_binding(const loc_binding *b, int n, const char *contact)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(b[i].contact, contact) == 0) {
			return (i);
		}
	}
	return (-1);
}

void
registrar_handle_locked(ctx *c, worker *w, const td_sip_msg *m, const char *our_domain)
{
	sr *r = c->r;
	const router_cfg *cfg = r->cfg;
	td_sip_addr to;
	td_sip_uri tu;
	if (td_sip_to(m, &to) != 0 || td_sip_uri_parse(to.uri, &tu) != 0 || tu.host.n == 0 ||
	    !tu.has_user) {
		proxy_reply_locked(c, w, 400, "Bad To", NULL);
		return;
	}
	char user[128], domain[128];
	td_sip_str_copy(user, sizeof(user), tu.user);
	td_sip_str_copy(domain, sizeof(domain), tu.host);
	if (sr_is_us(r, tu.host.p, tu.host.n, tu.port)) {
		/* the phone uses our address as its domain: the one the request was routed to */
		snprintf(domain, sizeof(domain), "%s", our_domain);
	}
	for (char *p = domain; *p; p++) {
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	}
	if (!rt_is_local(r->rt, domain, strlen(domain))) {
		proxy_reply_locked(c, w, 404, "Not Our Domain", NULL);
		return;
	}
	char hdrs[2048];
	const char *why = NULL;
	switch (auth_check(r, m, true, domain, user, hdrs, sizeof(hdrs), &why)) {
	case AUTH_OK: break;
	case AUTH_CHALLENGE:
		td_counter_inc(r->m.auth_challenges);
		proxy_reply_locked(c, w, 401, NULL, hdrs);
		return;
	case AUTH_FORBIDDEN:
		td_counter_inc(r->m.auth_failures);
		td_counter_inc(r->m.reg_fail);
		proxy_reply_locked(c, w, 403, why, NULL);
		return;
	case AUTH_BAD_REQUEST:
		proxy_reply_locked(c, w, 400, why, NULL);
		return;
	}
	rt_user ru;
	int max_contacts = 0;
	if (rt_user_get(r->rt, domain, strlen(domain), user, strlen(user), &ru) == 0) {
		max_contacts = ru.max_contacts;
	}

	loc_update *u = td_xcalloc(1, sizeof(*u));
	snprintf(u->aor, sizeof(u->aor), "%s@%s", user, domain);
	loc_binding *cur = td_xcalloc(LOC_MAX_PER_AOR, sizeof(loc_binding));
	int ncur = 0;
	if (loc_lookup(r->loc, u->aor, cur, LOC_MAX_PER_AOR, &ncur) != 0) {
		ncur = -1; /* Redis unreachable: we may still try the write */
	}

	uint32_t hdr_expires = 0;
	bool has_expires = td_sip_u32_header(m, TD_SIP_H_EXPIRES, &hdr_expires) == 0;
	td_sip_ids id;
	td_sip_ids_get(m, &id);
	td_sip_str callid = id.call_id;
	td_sip_cseq cs = id.cseq;
	const td_sip_hdr *uah = td_sip_hdr_first(m, TD_SIP_H_USER_AGENT);
	int64_t now = td_wall_us();
	int status = 0;
	const char *reason = NULL;
	char extra[64] = "";
	bool any_contact = false;

	td_sip_iter it;
	td_sip_addr a;
	td_sip_iter_init(&it, m, TD_SIP_H_CONTACT);
	int rv;
	while ((rv = td_sip_contact_next(&it, &a)) == 1) {
		any_contact = true;
		if (a.star) {
			u->remove_all = true; /* td_sip_check_request made sure Expires is 0 */
			continue;
		}
		uint32_t exp = has_expires ? hdr_expires : (uint32_t)cfg->default_expires;
		if (a.has_expires && td_sip_delta_seconds(a.expires, &exp) != 0) {
			exp = (uint32_t)cfg->default_expires; /* RFC 4475 scalar02: take the default */
		}
		if (exp != 0 && exp < (uint32_t)cfg->min_expires) {
			status = 423;
			snprintf(extra, sizeof(extra), "Min-Expires: %lld\r\n", cfg->min_expires);
			break;
		}
		if (exp > (uint32_t)cfg->max_expires) {
			exp = (uint32_t)cfg->max_expires;
		}
		char contact[LOC_MAX_URI];
		if (a.uri.n >= sizeof(contact)) {
			status = 400;
			reason = "Contact Too Long";
			break;
		}
		td_sip_str_copy(contact, sizeof(contact), a.uri);
		int existing = ncur > 0 ? find_binding(cur, ncur, contact) : -1;
		if (existing >= 0 && callid.n > 0 && cur[existing].call_id[0] &&
		    strlen(cur[existing].call_id) == callid.n &&
		    memcmp(cur[existing].call_id, callid.p, callid.n) == 0 && cs.num <= cur[existing].cseq) {
			/* §10.3 step 7: an older (or replayed) REGISTER must not win. */
			status = 500;
			reason = "Out Of Order CSeq";
			break;
		}
		if (exp == 0) {
			if (u->nremove < LOC_MAX_PER_AOR) {
				snprintf(u->remove[u->nremove++], LOC_MAX_URI, "%s", contact);
			}
			continue;
		}
		if (u->nset == LOC_MAX_PER_AOR) {
			status = 403;
			reason = "Too Many Contacts";
			break;
		}
		loc_binding *b = &u->set[u->nset++];
		snprintf(b->contact, sizeof(b->contact), "%s", contact);
		sr_addr_fmt(&c->src, b->received, sizeof(b->received));
		b->transport = c->src.proto == SR_TCP ? LOC_TCP : LOC_UDP;
		b->expires_us = now + (int64_t)exp * 1000000;
		unsigned q = 1000;
		if (a.has_q && td_sip_qvalue(a.q, &q) != 0) {
			q = 1000;
		}
		b->q = (uint16_t)q;
		td_sip_str_copy(b->call_id, sizeof(b->call_id), callid);
		b->cseq = cs.num;
		if (uah != NULL) {
			td_sip_str_copy(b->user_agent, sizeof(b->user_agent), uah->value);
		}
		td_sip_str inst;
		if (td_sip_param_get(a.params, "+sip.instance", &inst)) {
			td_sip_str_copy(b->instance, sizeof(b->instance), inst);
		}
		td_sip_str regid;
		if (td_sip_param_get(a.params, "reg-id", &regid) && regid.n > 0) {
			b->reg_id = (uint32_t)strtoul(regid.p, NULL, 10);
		}
		snprintf(b->node, sizeof(b->node), "%s", r->node);
		b->updated_us = now;
	}
	if (status == 0 && rv < 0) {
		status = 400;
		reason = "Bad Contact";
	}
	if (status == 0 && max_contacts > 0 && ncur >= 0 && !u->remove_all) {
		/* Count the bindings the AOR would have afterwards. */
		int total = 0;
		for (int i = 0; i < ncur; i++) {
			bool removed = false;
			for (int j = 0; j < u->nremove && !removed; j++) {
				removed = strcmp(cur[i].contact, u->remove[j]) == 0;
			}
			for (int j = 0; j < u->nset && !removed; j++) {
				removed = strcmp(cur[i].contact, u->set[j].contact) == 0;
			}
			total += !removed;
		}
		if (total + u->nset > max_contacts) {
			status = 403;
			reason = "Too Many Contacts";
		}
	}
	if (status != 0) {
		td_counter_inc(r->m.reg_fail);
		proxy_reply_locked(c, w, status, reason, extra[0] ? extra : NULL);
	} else if (!any_contact) {
		/* A query (§10.3 step 8 with no Contact): the current bindings. */
		if (ncur < 0) {
			proxy_reply_locked(c, w, 500, "Location Service Unavailable", "Retry-After: 5\r\n");
		} else {
			char *lines = td_xmalloc(LOC_MAX_PER_AOR * (LOC_MAX_URI + 40) + 64);
			contact_lines(cur, ncur, lines, LOC_MAX_PER_AOR * (LOC_MAX_URI + 40) + 64);
			proxy_reply_locked(c, w, 200, NULL, lines);
			free(lines);
		}
	} else {
		reg_pending *p = TD_NEW(reg_pending);
		ctx_ref(c);
		p->c = c;
		p->w = w;
		loc_apply(r->loc, u, REG_TIMEOUT_MS, on_applied, p);
	}
	free(cur);
	free(u);
}
