/* SPDX-License-Identifier: MIT */
/* Who is trusted, and digest authentication of requests (see auth.h). */
#include "auth.h"

#include <stdio.h>
#include <string.h>

#include "digest/digest.h"
#include "fspool.h"
#include "routing.h"
#include "sip/hdr.h"
#include "sr.h"
#include "util/clock.h"

bool
auth_is_trusted(sr *r, const sr_addr *src)
{
	for (int i = 0; i < r->ntrusted; i++) {
		if (sr_cidr_match(&r->trusted[i], &src->u.sa)) {
			return (true);
		}
	}
	if (r->fs != NULL && fs_is_node(r->fs, &src->u.sa)) {
		return (true);
	}
	return (r->rt != NULL && rt_is_trunk_addr(r->rt, &src->u.sa));
}

/* challenge writes the WWW-/Proxy-Authenticate lines for realm into hdrs. */
static auth_verdict
challenge(sr *r, bool registrar, const char *realm, bool stale, char *hdrs, size_t hlen)
{
	td_buf b;
	td_buf_init(&b, hlen - 1);
	if (td_digest_challenge(r->digest, &b, registrar ? TD_DIGEST_WWW : TD_DIGEST_PROXY, realm,
	        strlen(realm), NULL, stale, td_wall_us()) != 0 ||
	    td_buf_failed(&b)) {
		td_buf_free(&b);
		hdrs[0] = '\0';
		return (AUTH_FORBIDDEN);
	}
	snprintf(hdrs, hlen, "%s", b.data);
	td_buf_free(&b);
	return (AUTH_CHALLENGE);
}

auth_verdict
auth_check(sr *r, const td_sip_msg *m, bool registrar, const char *domain, const char *user,
    char *hdrs, size_t hlen, const char **reason)
{
	char realm[128];
	hdrs[0] = '\0';
	*reason = NULL;
	if (!rt_realm(r->rt, domain, strlen(domain), realm, sizeof(realm))) {
		/* A caller claiming a domain that is not ours, from an untrusted address. */
		*reason = registrar ? "Not Our Domain" : "Relaying Denied";
		return (AUTH_FORBIDDEN);
	}
	td_sip_hdr_type want = registrar ? TD_SIP_H_AUTHORIZATION : TD_SIP_H_PROXY_AUTHORIZATION;
	/* Several credentials may be present (one per realm): use the one for ours. */
	td_digest_creds cr;
	bool have = false, malformed = false;
	for (const td_sip_hdr *h = td_sip_hdr_first(m, want); h != NULL; h = td_sip_hdr_next(m, h)) {
		td_digest_perr perr;
		td_digest_creds c;
		int rv = td_digest_parse(h->value.p, h->value.n, &c, &perr);
		if (rv != 0) {
			/* Another scheme (RFC 4475 regaut01): as if absent.  Broken Digest: 400. */
			malformed |= perr.code != TD_DIGEST_PERR_SCHEME;
			continue;
		}
		if (td_digest_val_eq(&c.realm, realm, strlen(realm))) {
			cr = c;
			have = true;
			break;
		}
	}
	if (!have) {
		if (malformed) {
			*reason = "Malformed Credentials";
			return (AUTH_BAD_REQUEST);
		}
		return (challenge(r, registrar, realm, false, hdrs, hlen));
	}
	/* The credentials must be the caller's own (From user / To user for REGISTER). */
	if (!td_digest_val_eq(&cr.username, user, strlen(user))) {
		*reason = "Credentials Do Not Match The Identity";
		return (AUTH_FORBIDDEN);
	}
	rt_user u;
	const char *ha1 = NULL;
	if (rt_user_get(r->rt, domain, strlen(domain), user, strlen(user), &u) == 0) {
		const char *h = td_digest_alg_base(cr.alg) == TD_DIGEST_SHA256 ? u.ha1_sha256 : u.ha1_md5;
		ha1 = h[0] ? h : NULL;
	}
	td_digest_result res = td_digest_verify(r->digest, &cr, m->method.p, m->method.n, realm,
	    strlen(realm), ha1, ha1 ? strlen(ha1) : 0, td_wall_us());
	switch (res) {
	case TD_DIGEST_OK: return (AUTH_OK);
	case TD_DIGEST_STALE:
	case TD_DIGEST_REPLAY:
	case TD_DIGEST_BAD_NONCE: return (challenge(r, registrar, realm, true, hdrs, hlen));
	case TD_DIGEST_WRONG_REALM:
	case TD_DIGEST_UNSUPPORTED: return (challenge(r, registrar, realm, false, hdrs, hlen));
	case TD_DIGEST_FAILED:
		*reason = "Wrong Credentials";
		return (AUTH_FORBIDDEN);
	}
	return (AUTH_FORBIDDEN);
}
