/* SPDX-License-Identifier: MIT */
/*
 * Digest hashes: HA1, HA2 and the response (RFC 2617 §3.2.2, RFC 7616
 * §3.4.1-3.4.3), MD5 and SHA-256 through OpenSSL's EVP API.
 *
 * The two EVP_MD objects are fetched once (pthread_once) and only read
 * afterwards, which is safe from any thread; fetching them explicitly
 * avoids OpenSSL 3's implicit fetch, with its global lock, on every call.
 * Each computation uses its own EVP_MD_CTX.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "digest/digest.h"

static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_md5; /* immutable after fetch_mds */
static EVP_MD *md_sha256; /* immutable after fetch_mds */

static void
fetch_mds(void)
{
	md_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
	md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

const char *
td_digest_alg_name(td_digest_alg a)
{
	switch (a) {
	case TD_DIGEST_MD5: return "MD5";
	case TD_DIGEST_MD5_SESS: return "MD5-sess";
	case TD_DIGEST_SHA256: return "SHA-256";
	case TD_DIGEST_SHA256_SESS: return "SHA-256-sess";
	case TD_DIGEST_SHA512_256: return "SHA-512-256";
	case TD_DIGEST_SHA512_256_SESS: return "SHA-512-256-sess";
	case TD_DIGEST_ALG_UNKNOWN: break;
	}
	return ("unknown");
}

td_digest_alg
td_digest_alg_base(td_digest_alg a)
{
	switch (a) {
	case TD_DIGEST_MD5_SESS: return TD_DIGEST_MD5;
	case TD_DIGEST_SHA256_SESS: return TD_DIGEST_SHA256;
	case TD_DIGEST_SHA512_256_SESS: return TD_DIGEST_SHA512_256;
	default: return a;
	}
}

size_t
td_digest_alg_hashlen(td_digest_alg a)
{
	switch (td_digest_alg_base(a)) {
	case TD_DIGEST_MD5: return 16;
	case TD_DIGEST_SHA256: return 32;
	default: return 0;
	}
}

static bool
is_sess(td_digest_alg a)
{
	return (td_digest_alg_base(a) != a);
}

static const EVP_MD *
md_for(td_digest_alg a)
{
	pthread_once(&fetch_once, fetch_mds);
	switch (td_digest_alg_base(a)) {
	case TD_DIGEST_MD5: return md_md5;
	case TD_DIGEST_SHA256: return md_sha256;
	default: return NULL;
	}
}

/* One running hash; ok turns false on the first OpenSSL failure (sticky). */
typedef struct hasher {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
	bool ok;
} hasher;

static void
h_begin(hasher *h)
{
	h->ok = h->ok && EVP_DigestInit_ex2(h->ctx, h->md, NULL) == 1;
}

static void
h_add(hasher *h, const void *p, size_t n)
{
	h->ok = h->ok && (n == 0 || EVP_DigestUpdate(h->ctx, p, n) == 1);
}

static void
h_colon(hasher *h)
{
	h_add(h, ":", 1);
}

/* Adds a parsed value, unescaping quoted-pairs first if it has any. */
static void
h_val(hasher *h, const td_digest_val *v)
{
	if (!v->escaped) {
		h_add(h, v->ptr, v->len);
		return;
	}
	char tmp[TD_DIGEST_MAX_VALUE + 1];
	size_t n;
	if (td_digest_val_copy(v, tmp, sizeof(tmp), &n) != 0) {
		h->ok = false; /* cannot happen: the parser bounds values */
		return;
	}
	h_add(h, tmp, n);
}

/* Finishes into lowercase hex (what the next stage hashes). */
static void
h_end_hex(hasher *h, char hex[TD_DIGEST_HEX_MAX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	h->ok = h->ok && EVP_DigestFinal_ex(h->ctx, d, &n) == 1 && n <= TD_DIGEST_HASH_MAX;
	if (h->ok) {
		sodium_bin2hex(hex, TD_DIGEST_HEX_MAX, d, n);
	} else {
		hex[0] = '\0';
	}
}

static bool
h_open(hasher *h, td_digest_alg a)
{
	h->md = md_for(a);
	h->ctx = h->md != NULL ? EVP_MD_CTX_new() : NULL;
	h->ok = h->ctx != NULL;
	return (h->ok);
}

int
td_digest_ha1(td_digest_alg a, const char *user, size_t ulen, const char *realm, size_t rlen,
    const char *pass, size_t plen, char hex[TD_DIGEST_HEX_MAX])
{
	hasher h;
	hex[0] = '\0';
	if (!h_open(&h, a)) {
		EVP_MD_CTX_free(h.ctx);
		return (TD_EINVAL);
	}
	h_begin(&h);
	h_add(&h, user, ulen);
	h_colon(&h);
	h_add(&h, realm, rlen);
	h_colon(&h);
	h_add(&h, pass, plen);
	h_end_hex(&h, hex);
	EVP_MD_CTX_free(h.ctx);
	return (h.ok ? 0 : TD_EINVAL);
}

/* Copies ha1hex in lowercase; false unless it is exactly 2*hlen hex digits. */
static bool
ha1_lower(const char *ha1hex, size_t ha1len, size_t hlen, char out[TD_DIGEST_HEX_MAX])
{
	if (ha1hex == NULL || ha1len != 2 * hlen) {
		return (false);
	}
	for (size_t k = 0; k < ha1len; k++) {
		char c = ha1hex[k];
		if (c >= 'A' && c <= 'F') {
			c = (char)(c - 'A' + 'a');
		}
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return (false);
		}
		out[k] = c;
	}
	out[ha1len] = '\0';
	return (true);
}

int
td_digest_expected(const td_digest_creds *c, const char *method, size_t mlen, const char *ha1hex,
    size_t ha1len, uint8_t out[TD_DIGEST_HASH_MAX], size_t *outlen)
{
	size_t hlen = td_digest_alg_hashlen(c->alg);
	char ha1[TD_DIGEST_HEX_MAX], ha2[TD_DIGEST_HEX_MAX];
	hasher h = { NULL, NULL, false };

	if (hlen == 0 || (c->qop != TD_DIGEST_QOP_AUTH && c->qop != TD_DIGEST_QOP_NONE)
	    || !ha1_lower(ha1hex, ha1len, hlen, ha1) || !h_open(&h, c->alg)) {
		EVP_MD_CTX_free(h.ctx);
		return (TD_EINVAL);
	}
	if (is_sess(c->alg)) {
		/* RFC 7616 §3.4.2: HA1 = H(H(user:realm:pass) ":" nonce ":" cnonce). */
		h_begin(&h);
		h_add(&h, ha1, ha1len);
		h_colon(&h);
		h_val(&h, &c->nonce);
		h_colon(&h);
		h_val(&h, &c->cnonce);
		h_end_hex(&h, ha1);
	}
	h_begin(&h);
	h_add(&h, method, mlen);
	h_colon(&h);
	h_val(&h, &c->uri);
	h_end_hex(&h, ha2);

	h_begin(&h);
	h_add(&h, ha1, 2 * hlen);
	h_colon(&h);
	h_val(&h, &c->nonce);
	h_colon(&h);
	if (c->qop == TD_DIGEST_QOP_AUTH) {
		h_val(&h, &c->nc_raw);
		h_colon(&h);
		h_val(&h, &c->cnonce);
		h_colon(&h);
		h_val(&h, &c->qop_raw);
		h_colon(&h);
	}
	h_add(&h, ha2, 2 * hlen);
	unsigned int n = 0;
	h.ok = h.ok && EVP_DigestFinal_ex(h.ctx, out, &n) == 1 && n == hlen;
	EVP_MD_CTX_free(h.ctx);
	if (!h.ok) {
		return (TD_EINVAL);
	}
	*outlen = n;
	return (0);
}
