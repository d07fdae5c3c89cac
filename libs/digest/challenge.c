/* SPDX-License-Identifier: MIT */
/*
 * Challenges: WWW-Authenticate (401) and Proxy-Authenticate (407) values.
 * SIP allows one challenge per header field (RFC 3261 §20.44), so each
 * offered algorithm gets its own line, SHA-256 before MD5 (RFC 8760 §2.4:
 * the client uses the first one it supports, so the preferred goes first).
 */
#include <string.h>

#include "digest/ctx.h"

/* Text we put inside a quoted-string: no control bytes (which cannot be escaped). */
static bool
quotable(const char *s, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)s[k];
		if (c < 0x20 || c == 0x7f) {
			return (false);
		}
	}
	return (true);
}

static void
put_quoted(td_buf *b, const char *s, size_t n)
{
	td_buf_putc(b, '"');
	for (size_t k = 0; k < n; k++) {
		if (s[k] == '"' || s[k] == '\\') {
			td_buf_putc(b, '\\');
		}
		td_buf_putc(b, s[k]);
	}
	td_buf_putc(b, '"');
}

static bool
args_ok(td_digest_alg alg, const char *realm, size_t rlen, const char *opaque)
{
	return ((alg == TD_DIGEST_MD5 || alg == TD_DIGEST_SHA256) && realm != NULL
	    && quotable(realm, rlen) && (opaque == NULL || quotable(opaque, strlen(opaque))));
}

int
td_digest_challenge_value(td_buf *b, td_digest_alg alg, const char *realm, size_t rlen,
    const char *nonce, const char *opaque, bool stale)
{
	if (!args_ok(alg, realm, rlen, opaque) || nonce == NULL
	    || !quotable(nonce, strlen(nonce))) {
		return (TD_EINVAL);
	}
	td_buf_puts(b, "Digest realm=");
	put_quoted(b, realm, rlen);
	td_buf_puts(b, ", nonce=");
	put_quoted(b, nonce, strlen(nonce));
	if (opaque != NULL) {
		td_buf_puts(b, ", opaque=");
		put_quoted(b, opaque, strlen(opaque));
	}
	td_buf_puts(b, ", algorithm=");
	td_buf_puts(b, td_digest_alg_name(alg));
	td_buf_puts(b, ", qop=\"auth\"");
	if (stale) {
		td_buf_puts(b, ", stale=true");
	}
	return (0);
}

int
td_digest_challenge(const td_digest *d, td_buf *b, td_digest_hdr kind, const char *realm,
    size_t rlen, const char *opaque, bool stale, int64_t now_us)
{
	static const td_digest_alg order[] = { TD_DIGEST_SHA256, TD_DIGEST_MD5 };
	char nonce[TD_DIGEST_NONCE_LEN + 1];

	if (!args_ok(TD_DIGEST_MD5, realm, rlen, opaque)) {
		return (TD_EINVAL);
	}
	td_digest_nonce_make(d, realm, rlen, now_us, nonce);
	for (size_t k = 0; k < TD_ARRAY_LEN(order); k++) {
		if ((d->algs & TD_DIGEST_ALG_BIT(order[k])) == 0) {
			continue;
		}
		td_buf_puts(
		    b, kind == TD_DIGEST_PROXY ? "Proxy-Authenticate: " : "WWW-Authenticate: ");
		int rc = td_digest_challenge_value(b, order[k], realm, rlen, nonce, opaque, stale);
		if (rc != 0) {
			return (rc); /* not reached: arguments were checked above */
		}
		td_buf_puts(b, "\r\n");
	}
	return (0);
}
