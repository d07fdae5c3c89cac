/* SPDX-License-Identifier: MIT */
/*
 * The verification decision (see td_digest_verify in digest.h): policy and
 * realm first, then the response, then the nonce (authenticity, age), then
 * the replay tracker.  The response is checked before any verdict on the
 * nonce, so that every nonce problem is reported only to a client that
 * knows the password (RFC 7616 §3.3: stale=true means "the password was
 * good, retry without asking"), and a wrong password is FAILED whatever
 * the nonce.  The tracker is touched last, so that only a request with the
 * right password can consume an nc.
 */
#include <sodium.h>

#include "digest/ctx.h"

static bool
policy_ok(const td_digest *d, const td_digest_creds *c)
{
	if ((d->algs & TD_DIGEST_ALG_BIT(c->alg)) == 0 || c->userhash) {
		return (false); /* -sess, SHA-512-256, unknown: never offered, so never accepted */
	}
	if (c->qop == TD_DIGEST_QOP_AUTH) {
		return (true);
	}
	return (c->qop == TD_DIGEST_QOP_NONE && d->allow_rfc2069);
}

/* Decodes the response hex and compares it with the expected digest in constant time. */
static bool
response_ok(const td_digest_creds *c, const uint8_t *want, size_t wlen)
{
	uint8_t got[TD_DIGEST_HASH_MAX];
	size_t n = 0;
	const char *end = NULL;
	const td_digest_val *r = &c->response;

	if (r->escaped || r->len != 2 * wlen
	    || sodium_hex2bin(got, sizeof(got), r->ptr, r->len, NULL, &n, &end) != 0 || n != wlen
	    || end != r->ptr + r->len) {
		return (false);
	}
	return (sodium_memcmp(got, want, wlen) == 0);
}

td_digest_result
td_digest_verify(td_digest *d, const td_digest_creds *c, const char *method, size_t mlen,
    const char *realm, size_t rlen, const char *ha1hex, size_t ha1len, int64_t now_us)
{
	td_digest_nonce_info info;
	uint8_t want[TD_DIGEST_HASH_MAX];
	size_t wlen = 0;

	if (!policy_ok(d, c)) {
		return (TD_DIGEST_UNSUPPORTED);
	}
	if (!td_digest_val_eq(&c->realm, realm, rlen)) {
		return (TD_DIGEST_WRONG_REALM);
	}
	/* No HA1 (unknown user): the same work against a dummy, then FAILED. */
	static const char dummy[]
	    = "0000000000000000000000000000000000000000000000000000000000000000";
	bool have_ha1 = ha1hex != NULL;
	if (!have_ha1) {
		ha1hex = dummy;
		ha1len = 2 * td_digest_alg_hashlen(c->alg);
	}
	if (td_digest_expected(c, method, mlen, ha1hex, ha1len, want, &wlen) != 0
	    || !response_ok(c, want, wlen) || !have_ha1) {
		return (TD_DIGEST_FAILED);
	}
	/* Ours are base64url, so an escaped nonce is not ours. */
	td_digest_nonce_status ns = TD_DIGEST_NONCE_INVALID;
	if (!c->nonce.escaped) {
		ns = td_digest_nonce_check(
		    d, c->nonce.ptr, c->nonce.len, realm, rlen, now_us, &info);
	}
	if (ns == TD_DIGEST_NONCE_INVALID) {
		return (TD_DIGEST_BAD_NONCE);
	}
	if (ns == TD_DIGEST_NONCE_STALE) {
		return (TD_DIGEST_STALE);
	}
	/* RFC 2069 credentials carry no nc: each nonce is then good for one request. */
	uint32_t nc = c->qop == TD_DIGEST_QOP_AUTH ? c->nc : 1;
	switch (td_digest_replay_check(d->replay, info.id, info.issued_us, nc, now_us)) {
	case TD_DIGEST_REPLAY_OK: return (TD_DIGEST_OK);
	case TD_DIGEST_REPLAY_SEEN: return (TD_DIGEST_REPLAY);
	case TD_DIGEST_REPLAY_UNKNOWN: return (TD_DIGEST_STALE);
	}
	return (TD_DIGEST_FAILED);
}
