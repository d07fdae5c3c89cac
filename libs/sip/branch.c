/* SPDX-License-Identifier: MIT */
/* Via branch generation: caller randomness, or a keyed hash for stateless forwarding. */
#include <sodium.h>
#include <string.h>

#include "sip/build.h"
#include "sip/hdr.h"

#define COOKIE "z9hG4bK"

int
td_sip_branch(char *out, size_t cap, const void *bytes, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = bytes;
	if (n < 4 || n > 24) {
		return (TD_EINVAL);
	}
	size_t len = sizeof(COOKIE) - 1 + 2 * n;
	if (cap < len + 1) {
		return (TD_ETOOBIG);
	}
	memcpy(out, COOKIE, sizeof(COOKIE) - 1);
	char *o = out + sizeof(COOKIE) - 1;
	for (size_t i = 0; i < n; i++) {
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 15];
	}
	*o = '\0';
	return ((int)len);
}

/* feed adds a length-prefixed field, so ("ab","c") and ("a","bc") differ. */
static void
feed(crypto_generichash_state *st, td_sip_str s)
{
	uint32_t n = (uint32_t)s.n;
	crypto_generichash_update(st, (const unsigned char *)&n, sizeof(n));
	if (s.n > 0) {
		crypto_generichash_update(st, (const unsigned char *)s.p, s.n);
	}
}

int
td_sip_branch_stateless(
    char *out, size_t cap, const td_sip_msg *req, const void *key, size_t keylen)
{
	td_sip_via v;
	if (!req->is_request || keylen < crypto_generichash_KEYBYTES_MIN
	    || keylen > crypto_generichash_KEYBYTES_MAX || td_sip_via_top(req, &v) != 0) {
		return (TD_EINVAL);
	}
	crypto_generichash_state st;
	unsigned char h[16];
	crypto_generichash_init(&st, key, keylen, sizeof(h));
	if (v.has_branch && td_sip_branch_is_rfc3261(v.branch)) {
		feed(&st, v.branch);
		feed(&st, v.sent_by);
	} else {
		td_sip_str to_tag = TD_SIP_STR_NULL, from_tag = TD_SIP_STR_NULL,
		           callid = TD_SIP_STR_NULL;
		td_sip_cseq cs = { 0 };
		(void)!td_sip_to_tag(req, &to_tag);
		(void)!td_sip_from_tag(req, &from_tag);
		(void)!td_sip_callid(req, &callid);
		(void)!td_sip_cseq_get(req, &cs);
		feed(&st, to_tag);
		feed(&st, from_tag);
		feed(&st, callid);
		feed(&st, req->ruri);
		feed(&st, v.raw);
		crypto_generichash_update(&st, (const unsigned char *)&cs.num, sizeof(cs.num));
	}
	crypto_generichash_final(&st, h, sizeof(h));
	return (td_sip_branch(out, cap, h, sizeof(h)));
}
