/* SPDX-License-Identifier: MIT */
/* The proxy core: where a request goes (RFC 3261 §16.4-16.5, the extension model). */
#include "proxy.h"
#include "proxy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "dialog.h"
#include "dns.h"
#include "fspool.h"
#include "registrar.h"
#include "routing.h"
#include "sip/uri.h"
#include "util/mem.h"

/* px_uri_target fills t->dst from a SIP URI (names through r->dns: cached, bounded wait). */
int
px_uri_target(sr *r, const char *uri, size_t ulen, target *t)
{
	td_sip_uri u;
	if (td_sip_uri_parse((td_sip_str){uri, ulen}, &u) != 0 || u.host.n == 0) {
		return (TD_EINVAL);
	}
	sr_proto proto = SR_UDP;
	if (u.transport.n > 0 && td_sip_str_caseeq_c(u.transport, "tcp")) {
		proto = SR_TCP;
	}
	td_sip_str host = u.maddr.n ? u.maddr : u.host;
	if (sr_addr_parse(&t->dst, host.p, host.n, u.port, proto) != 0) {
		char h[256];
		snprintf(h, sizeof(h), "%.*s", (int)host.n, host.p);
		int rv = dns_resolve(r->dns, h, u.port, proto, &t->dst);
		if (rv != 0) {
			return (rv == TD_ETIMEDOUT ? TD_ETIMEDOUT : TD_ENOTFOUND);
		}
	}
	return (TD_OK);
}

/* ---- requests: routing ---------------------------------------------------------------------------- */

/* is_private: an address a phone behind NAT would put in its Contact. */
static bool
is_private(const sr_addr *a)
{
	static const char *const nets[] = {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
	    "100.64.0.0/10", "169.254.0.0/16", "fc00::/7", "fe80::/10"};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		sr_cidr c;
		if (sr_cidr_parse(&c, nets[i]) == 0 && sr_cidr_match(&c, &a->u.sa)) {
			return (true);
		}
	}
	return (false);
}

/*
 * binding_target: where to send a request for a registered contact.  The
 * address the REGISTER came from ("received") when the phone is reached
 * through its own flow: over TCP (its connection), with RFC 5626 outbound
 * (reg-id), or behind NAT (a private Contact address other than the
 * source).  Otherwise the Contact itself, so that a phone registered by a
 * third party, or sending from another port than it listens on, is reached
 * where it said.
 */
static int
binding_target(sr *r, const loc_binding *b, target *t)
{
	sr_addr rx;
	bool have_rx = false;
	const char *colon = strrchr(b->received, ':');
	if (b->received[0] && colon != NULL) {
		have_rx = sr_addr_parse(&rx, b->received, (size_t)(colon - b->received),
		              (uint16_t)atoi(colon + 1), b->transport == LOC_TCP ? SR_TCP : SR_UDP) == 0;
	}
	bool contact_ok = px_uri_target(r, t->ruri, strlen(t->ruri), t) == 0;
	if (have_rx && (!contact_ok || b->transport == LOC_TCP || b->reg_id != 0 ||
	                   (is_private(&t->dst) && !sr_addr_same_host(&t->dst, &rx)))) {
		t->dst = rx;
		return (TD_OK);
	}
	return (contact_ok ? TD_OK : TD_ENOTFOUND);
}

/* route_user: every registered contact of user@domain, in parallel. */
static int
route_user(ctx *c, const char *user, const char *domain, preq *p)
{
	loc_binding *bs = td_xmalloc(LOC_MAX_PER_AOR * sizeof(loc_binding)); /* filled by loc_lookup */
	char aor[LOC_MAX_AOR];
	snprintf(aor, sizeof(aor), "%s@%s", user, domain);
	int n = 0, rv = loc_lookup(c->r->loc, aor, bs, LOC_MAX_PER_AOR, &n);
	if (rv != 0) {
		free(bs);
		return (rv);
	}
	for (int i = 0; i < n && p->nt < MAX_TARGETS; i++) {
		target *t = &p->t[p->nt];
		px_target_ruri(t, "%s", bs[i].contact);
		if (binding_target(c->r, &bs[i], t) == 0) {
			t->fs_node = -1;
			p->nt++;
		}
	}
	free(bs);
	return (TD_OK);
}

/* route_media: the FreeSWITCH pool, tried in turn. */
static void
route_media(ctx *c, const td_sip_msg *m, const char *number, preq *p)
{
	sr *r = c->r;
	td_sip_ids id;
	td_sip_ids_get(m, &id);
	td_sip_str cid = id.call_id;
	p->serial = true;
	uint32_t tried = 0;
	for (int k = 0; k < fs_count(r->fs) && p->nt < MAX_TARGETS; k++) {
		int idx = fs_pick(r->fs, cid.p, cid.n, tried);
		if (idx < 0) {
			break;
		}
		tried |= 1u << idx;
		const fs_node *n = fs_node_at(r->fs, idx);
		target *t = &p->t[p->nt++];
		px_target_ruri(t, "sip:%s@%s", number, n->hostport);
		t->dst = n->addr;
		t->fs_node = idx;
	}
}

/* route_trunk: trunks for an outbound prefix, in turn (healthy first, by priority). */
static void
route_trunk(sr *r, const rt_target *tg, preq *p)
{
	p->serial = true;
	for (int i = 0; i < tg->ntrunks && p->nt < MAX_TARGETS; i++) {
		const rt_trunk *tk = &tg->trunks[i];
		target *t = &p->t[p->nt];
		sr_proto proto = tk->transport == RT_TP_TCP ? SR_TCP : SR_UDP;
		char hp[300];
		if (tk->port) {
			snprintf(hp, sizeof(hp), "%s:%u", tk->host, tk->port);
		} else {
			snprintf(hp, sizeof(hp), "%s", tk->host);
		}
		px_target_ruri(t, "sip:%s@%s%s", tk->number, hp,
		    proto == SR_TCP ? ";transport=tcp" : "");
		if (px_uri_target(r, t->ruri, strlen(t->ruri), t) == 0) {
			t->fs_node = -1;
			p->nt++;
		}
	}
}

/* starts_dialog: requests we record-route and authenticate when initial. */
static bool
starts_dialog(td_sip_method m)
{
	return (m == TD_SIP_INVITE || m == TD_SIP_SUBSCRIBE || m == TD_SIP_REFER);
}

static bool
needs_auth(td_sip_method m)
{
	return (m == TD_SIP_INVITE || m == TD_SIP_MESSAGE || m == TD_SIP_SUBSCRIBE ||
	        m == TD_SIP_REFER || m == TD_SIP_PUBLISH || m == TD_SIP_INFO || m == TD_SIP_UPDATE);
}

static void
options_to_us(ctx *c, worker *w)
{
	proxy_reply_locked(c, w, 200, NULL,
	    "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, MESSAGE, SUBSCRIBE, NOTIFY, "
	    "REFER, INFO, UPDATE, PRACK\r\nAccept: application/sdp\r\n"
	    "Supported: path, outbound, replaces, timer\r\n");
}

/*
 * forward_to sends c's request, Request-URI unchanged, to the one next hop
 * that hop_uri names (a Route, or the remote target of a dialog); 404 with
 * `unresolvable` when that URI gives no address.
 */
static void
forward_to(ctx *c, worker *w, const td_sip_msg *m, td_sip_str hop_uri, const char *unresolvable)
{
	preq *p = px_preq_of(c);
	target *t = &p->t[0];
	px_target_ruri(t, "%.*s", (int)m->ruri.n, m->ruri.p);
	int rv = px_uri_target(c->r, hop_uri.p, hop_uri.n, t);
	if (rv == TD_ETIMEDOUT) {
		proxy_reply_locked(c, w, 503, "Name Resolution Timed Out", "Retry-After: 5\r\n");
		return;
	}
	if (rv != 0) {
		proxy_reply_locked(c, w, 404, unresolvable, NULL);
		return;
	}
	t->fs_node = -1;
	p->nt = 1;
	if (m->method_id == TD_SIP_BYE) {
		dlg_on_bye(c->r->dlgs, m);
	}
	px_start_forwarding(c, w, m);
}

/*
 * px_route_locked decides where c's request goes and starts forwarding, or
 * answers.  Called with ctx->lock held, the request parsed in m.
 */
void
px_route_locked(ctx *c, worker *w, const td_sip_msg *m)
{
	sr *r = c->r;
	preq *p = px_preq_of(c);
	td_sip_ids id;
	td_sip_ids_get(m, &id);
	bool in_dialog = id.to_tag.n > 0;
	p->record_route = starts_dialog(m->method_id) && !in_dialog;

	/* Loose routing (§16.4): a top Route naming us is ours to remove. */
	td_sip_iter it;
	td_sip_addr ra;
	td_sip_iter_init(&it, m, TD_SIP_H_ROUTE);
	if (td_sip_addr_next(&it, &ra) == 1) {
		td_sip_uri ru;
		if (td_sip_uri_parse(ra.uri, &ru) == 0 && sr_is_us(r, ru.host.p, ru.host.n, ru.port)) {
			p->pop_route = true;
			if (td_sip_addr_next(&it, &ra) != 1) {
				ra.uri = TD_SIP_STR_NULL;
			}
		}
		if (ra.uri.n > 0) {
			/* More Route: the next hop is its first URI; the R-URI stays. */
			forward_to(c, w, m, ra.uri, "Route Not Resolvable");
			return;
		}
	}

	td_sip_uri u;
	if (td_sip_uri_parse(m->ruri, &u) != 0) {
		proxy_reply_locked(c, w, 400, "Bad Request-URI", NULL);
		return;
	}
	bool uri_is_us = sr_is_us(r, u.host.p, u.host.n, u.port);
	if (in_dialog && m->method_id != TD_SIP_REGISTER) {
		/*
		 * Inside a dialog we only relay what our Record-Route brought back
		 * (as Kamailio's loose_route()): to the remote target in the
		 * Request-URI.  Anything else would make us an open relay.
		 */
		if (!p->pop_route || uri_is_us) {
			proxy_reply_locked(c, w, 404, "Not Here", NULL);
			return;
		}
		forward_to(c, w, m, m->ruri, "Remote Target Not Resolvable");
		return;
	}
	char domain[128], user[128];
	td_sip_str_copy(user, sizeof(user), u.user);
	td_sip_str_copy(domain, sizeof(domain), u.host);
	if (uri_is_us) {
		/* Addressed to our IP: use the configured domain, else the caller's. */
		td_sip_addr fa;
		td_sip_uri fu;
		if (r->cfg->default_domain[0]) {
			snprintf(domain, sizeof(domain), "%s", r->cfg->default_domain);
		} else if (td_sip_from(m, &fa) == 0 && td_sip_uri_parse(fa.uri, &fu) == 0) {
			td_sip_str_copy(domain, sizeof(domain), fu.host);
		}
	}
	bool local = rt_is_local(r->rt, domain, strlen(domain));

	if (m->method_id == TD_SIP_REGISTER) {
		if (local || uri_is_us) {
			registrar_handle_locked(c, w, m, domain);
		} else {
			proxy_reply_locked(c, w, 403, "Not Our Domain", NULL);
		}
		return;
	}
	if ((uri_is_us || local) && !u.has_user) {
		if (m->method_id == TD_SIP_OPTIONS) {
			options_to_us(c, w);
		} else {
			proxy_reply_locked(c, w, 404, "Not Found", NULL);
		}
		return;
	}
	if (!local) {
		proxy_reply_locked(c, w, 403, "Relaying Denied", NULL);
		return;
	}

	/* Initial requests from local callers prove who they are (407). */
	if (needs_auth(m->method_id) && !auth_is_trusted(r, &c->src)) {
		td_sip_addr fa;
		td_sip_uri fu;
		char fuser[128] = "", fdomain[128] = "", hdrs[2048];
		if (td_sip_from(m, &fa) == 0 && td_sip_uri_parse(fa.uri, &fu) == 0) {
			td_sip_str_copy(fuser, sizeof(fuser), fu.user);
			td_sip_str_copy(fdomain, sizeof(fdomain), fu.host);
			if (sr_is_us(r, fu.host.p, fu.host.n, fu.port)) {
				/* a phone that uses our address as its domain */
				snprintf(fdomain, sizeof(fdomain), "%s", domain);
			}
		}
		const char *why = NULL;
		switch (auth_check(r, m, false, fdomain, fuser, hdrs, sizeof(hdrs), &why)) {
		case AUTH_OK: break;
		case AUTH_CHALLENGE:
			td_counter_inc(r->m.auth_challenges);
			proxy_reply_locked(c, w, 407, NULL, hdrs);
			return;
		case AUTH_FORBIDDEN:
			td_counter_inc(r->m.auth_failures);
			proxy_reply_locked(c, w, 403, why, NULL);
			return;
		case AUTH_BAD_REQUEST:
			proxy_reply_locked(c, w, 400, why, NULL);
			return;
		}
	}

	rt_target tg;
	if (rt_lookup(r->rt, domain, strlen(domain), user, strlen(user), &tg) != 0) {
		proxy_reply_locked(c, w, 404, "Not Found", NULL);
		return;
	}
	snprintf(p->kind_name, sizeof(p->kind_name), "%s", rt_kind_name(tg.kind));
	if (tg.kind == RT_USER) {
		int rv = route_user(c, tg.username, tg.domain, p);
		if (rv != 0) {
			proxy_reply_locked(c, w, 500, "Location Service Unavailable", "Retry-After: 5\r\n");
			return;
		}
		if (p->nt == 0) {
			proxy_reply_locked(c, w, 480, "Temporarily Unavailable", NULL);
			return;
		}
	} else if (tg.need_media) {
		route_media(c, m, tg.extension, p);
		if (p->nt == 0) {
			proxy_reply_locked(c, w, 503, "No Media Server Available", "Retry-After: 5\r\n");
			return;
		}
	} else if (tg.kind == RT_TRUNK_OUT) {
		route_trunk(c->r, &tg, p);
		if (p->nt == 0) {
			proxy_reply_locked(c, w, 503, "No Trunk Available", NULL);
			return;
		}
	} else {
		proxy_reply_locked(c, w, 404, "Not Found", NULL);
		return;
	}
	if (m->method_id == TD_SIP_INVITE && !in_dialog) {
		c->dlg = dlg_start(r->dlgs, m, &c->src, p->kind_name, user);
	}
	px_start_forwarding(c, w, m);
}
