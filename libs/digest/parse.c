/* SPDX-License-Identifier: MIT */
/*
 * Parser for Digest credentials (the value of Authorization and
 * Proxy-Authorization), RFC 3261 §25.1 / RFC 7616 §3.4 grammar:
 *
 *   credentials = "Digest" LWS param *(COMMA param)
 *   param       = token EQUAL (token / quoted-string)
 *
 * A pure function over (buf, len): slices into the input, an error code
 * and offset instead of log lines, no allocation.  Lenient where real
 * phones differ (token or quoted value for any parameter, empty list
 * elements, CRLF folding), strict where ambiguity would be dangerous
 * (duplicates, control bytes, bare CR/LF, lengths).
 */
#include <string.h>

#include "digest/digest.h"

typedef struct parser {
	const char *s;
	size_t len;
	size_t i;
	td_digest_perr *err;
} parser;

static int
fail(parser *p, td_digest_perr_code code, size_t off)
{
	if (p->err != NULL) {
		p->err->code = code;
		p->err->off = off;
	}
	return (code == TD_DIGEST_PERR_TOOLONG ? TD_ETOOBIG : TD_EINVAL);
}

static bool
is_wsp(char c)
{
	return (c == ' ' || c == '\t');
}

/* RFC 3261 token characters, plus RFC 7230's tchar extras (#$&^|). */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
		return (true);
	}
	return (c != '\0' && strchr("-.!%*_+`'~#$&^|", c) != NULL);
}

/* Skips LWS: spaces, tabs, and CRLF when followed by a space or tab (folding). */
static void
skip_lws(parser *p)
{
	while (p->i < p->len) {
		char c = p->s[p->i];
		if (is_wsp(c)) {
			p->i++;
		} else if (c == '\r' && p->i + 2 < p->len && p->s[p->i + 1] == '\n'
		    && is_wsp(p->s[p->i + 2])) {
			p->i += 3;
		} else {
			break;
		}
	}
}

static bool
ieq(const char *a, size_t alen, const char *lit)
{
	size_t n = strlen(lit);
	if (alen != n) {
		return (false);
	}
	for (size_t k = 0; k < n; k++) {
		char c = a[k];
		if (c >= 'A' && c <= 'Z') {
			c = (char)(c - 'A' + 'a');
		}
		if (c != lit[k]) {
			return (false);
		}
	}
	return (true);
}

/* A token starting at p->i; 0 if none. */
static size_t
token_len(const parser *p)
{
	size_t n = 0;
	while (p->i + n < p->len && is_tchar((unsigned char)p->s[p->i + n])) {
		n++;
	}
	return (n);
}

/*
 * Parses a quoted-string at p->i (which is '"') into v (without quotes).
 * quoted-pair escapes any printable ASCII byte or HTAB; bytes >= 0x80
 * (UTF-8) pass unchecked; other control bytes, CR and LF included, are
 * refused (folding inside a quoted value is obsolete and nobody sends it).
 */
static int
quoted(parser *p, td_digest_val *v)
{
	size_t start = ++p->i;
	bool esc = false;
	for (;;) {
		if (p->i >= p->len) {
			return (fail(p, TD_DIGEST_PERR_QUOTE, start - 1));
		}
		unsigned char c = (unsigned char)p->s[p->i];
		if (c == '"') {
			break;
		}
		if (c == '\\') {
			if (p->i + 1 >= p->len) {
				return (fail(p, TD_DIGEST_PERR_QUOTE, p->i));
			}
			unsigned char e = (unsigned char)p->s[p->i + 1];
			if ((e < 0x20 && e != '\t') || e >= 0x7f) {
				return (fail(p, TD_DIGEST_PERR_QUOTE, p->i + 1));
			}
			esc = true;
			p->i += 2;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return (fail(p, TD_DIGEST_PERR_QUOTE, p->i));
		} else {
			p->i++;
		}
		if (p->i - start > TD_DIGEST_MAX_VALUE) {
			return (fail(p, TD_DIGEST_PERR_TOOLONG, start));
		}
	}
	v->ptr = p->s + start;
	v->len = p->i - start;
	v->escaped = esc;
	p->i++; /* closing quote */
	return (0);
}

static td_digest_alg
alg_from(const td_digest_val *v)
{
	static const struct {
		const char *name;
		td_digest_alg alg;
	} algs[] = {
		{ "md5", TD_DIGEST_MD5 },
		{ "md5-sess", TD_DIGEST_MD5_SESS },
		{ "sha-256", TD_DIGEST_SHA256 },
		{ "sha-256-sess", TD_DIGEST_SHA256_SESS },
		{ "sha-512-256", TD_DIGEST_SHA512_256 },
		{ "sha-512-256-sess", TD_DIGEST_SHA512_256_SESS },
	};
	if (v->escaped) {
		return (TD_DIGEST_ALG_UNKNOWN);
	}
	for (size_t k = 0; k < TD_ARRAY_LEN(algs); k++) {
		if (ieq(v->ptr, v->len, algs[k].name)) {
			return (algs[k].alg);
		}
	}
	return (TD_DIGEST_ALG_UNKNOWN);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9') {
		return (c - '0');
	}
	if (c >= 'a' && c <= 'f') {
		return (c - 'a' + 10);
	}
	if (c >= 'A' && c <= 'F') {
		return (c - 'A' + 10);
	}
	return (-1);
}

enum {
	P_USERNAME,
	P_REALM,
	P_NONCE,
	P_URI,
	P_RESPONSE,
	P_ALGORITHM,
	P_CNONCE,
	P_OPAQUE,
	P_QOP,
	P_NC,
	P_USERHASH,
	P_COUNT,
};

static const char *const pnames[P_COUNT] = { "username", "realm", "nonce", "uri", "response",
	"algorithm", "cnonce", "opaque", "qop", "nc", "userhash" };

static td_digest_val *
slot(td_digest_creds *c, int which)
{
	switch (which) {
	case P_USERNAME: return (&c->username);
	case P_REALM: return (&c->realm);
	case P_NONCE: return (&c->nonce);
	case P_URI: return (&c->uri);
	case P_RESPONSE: return (&c->response);
	case P_ALGORITHM: return (&c->algorithm);
	case P_CNONCE: return (&c->cnonce);
	case P_OPAQUE: return (&c->opaque);
	case P_QOP: return (&c->qop_raw);
	case P_NC: return (&c->nc_raw);
	default: return (NULL);
	}
}

/* Interprets the parameters whose value has a grammar of its own. */
static int
interpret(parser *p, td_digest_creds *c, int which, const td_digest_val *v, size_t voff)
{
	switch (which) {
	case P_ALGORITHM: c->alg = alg_from(v); break;
	case P_QOP:
		if (v->len == 0) {
			return (fail(p, TD_DIGEST_PERR_VALUE, voff));
		}
		c->qop = TD_DIGEST_QOP_UNKNOWN;
		if (!v->escaped && ieq(v->ptr, v->len, "auth")) {
			c->qop = TD_DIGEST_QOP_AUTH;
		} else if (!v->escaped && ieq(v->ptr, v->len, "auth-int")) {
			c->qop = TD_DIGEST_QOP_AUTH_INT;
		}
		break;
	case P_NC: {
		/* nc-value = 8LHEX; upper case tolerated.  It counts from 1. */
		uint32_t n = 0;
		if (v->len != 8 || v->escaped) {
			return (fail(p, TD_DIGEST_PERR_VALUE, voff));
		}
		for (size_t k = 0; k < 8; k++) {
			int h = hexval(v->ptr[k]);
			if (h < 0) {
				return (fail(p, TD_DIGEST_PERR_VALUE, voff + k));
			}
			n = (n << 4) | (uint32_t)h;
		}
		if (n == 0) {
			return (fail(p, TD_DIGEST_PERR_VALUE, voff));
		}
		c->nc = n;
		break;
	}
	case P_USERHASH:
		if (!v->escaped && ieq(v->ptr, v->len, "true")) {
			c->userhash = true;
		} else if (!v->escaped && ieq(v->ptr, v->len, "false")) {
			c->userhash = false;
		} else {
			return (fail(p, TD_DIGEST_PERR_VALUE, voff));
		}
		break;
	default: break;
	}
	return (0);
}

/* One "name = value" element at p->i. */
static int
param(parser *p, td_digest_creds *c, unsigned *seen)
{
	size_t noff = p->i;
	size_t nlen = token_len(p);
	if (nlen == 0) {
		return (fail(p, TD_DIGEST_PERR_SYNTAX, p->i));
	}
	p->i += nlen;
	skip_lws(p);
	if (p->i >= p->len || p->s[p->i] != '=') {
		return (fail(p, TD_DIGEST_PERR_SYNTAX, p->i));
	}
	p->i++;
	skip_lws(p);
	if (p->i >= p->len) {
		return (fail(p, TD_DIGEST_PERR_SYNTAX, p->i));
	}

	td_digest_val v = { NULL, 0, false };
	size_t voff = p->i;
	if (p->s[p->i] == '"') {
		int rc = quoted(p, &v);
		if (rc != 0) {
			return (rc);
		}
		voff++;
	} else {
		size_t vlen = token_len(p);
		if (vlen == 0) {
			return (fail(p, TD_DIGEST_PERR_SYNTAX, p->i));
		}
		if (vlen > TD_DIGEST_MAX_VALUE) {
			return (fail(p, TD_DIGEST_PERR_TOOLONG, p->i));
		}
		v.ptr = p->s + p->i;
		v.len = vlen;
		p->i += vlen;
	}

	int which = -1;
	for (int k = 0; k < P_COUNT; k++) {
		if (ieq(p->s + noff, nlen, pnames[k])) {
			which = k;
			break;
		}
	}
	if (which < 0) {
		return (0); /* unknown parameters are ignored (RFC 7616 §3.4) */
	}
	if (*seen & (1u << which)) {
		return (fail(p, TD_DIGEST_PERR_DUPLICATE, noff));
	}
	*seen |= 1u << which;
	td_digest_val *dst = slot(c, which);
	if (dst != NULL) {
		*dst = v;
	}
	return (interpret(p, c, which, &v, voff));
}

int
td_digest_parse(const char *buf, size_t len, td_digest_creds *out, td_digest_perr *err)
{
	parser p = { buf, len, 0, err };
	unsigned seen = 0;

	if (err != NULL) {
		err->code = TD_DIGEST_PERR_NONE;
		err->off = 0;
	}
	memset(out, 0, sizeof(*out));
	out->alg = TD_DIGEST_MD5;
	out->qop = TD_DIGEST_QOP_NONE;
	if (buf == NULL || len == 0) {
		return (fail(&p, TD_DIGEST_PERR_SCHEME, 0));
	}
	if (len > TD_DIGEST_MAX_HEADER) {
		return (fail(&p, TD_DIGEST_PERR_TOOLONG, TD_DIGEST_MAX_HEADER));
	}

	skip_lws(&p);
	size_t slen = token_len(&p);
	if (!ieq(buf + p.i, slen, "digest")) {
		return (fail(&p, TD_DIGEST_PERR_SCHEME, p.i));
	}
	p.i += slen;
	size_t before = p.i;
	skip_lws(&p);
	if (p.i == before && p.i < len) {
		return (fail(&p, TD_DIGEST_PERR_SCHEME, p.i)); /* "Digestx=..." */
	}

	for (;;) {
		skip_lws(&p);
		if (p.i >= len) {
			break;
		}
		if (buf[p.i] == ',') { /* empty list element */
			p.i++;
			continue;
		}
		int rc = param(&p, out, &seen);
		if (rc != 0) {
			return (rc);
		}
		skip_lws(&p);
		if (p.i >= len) {
			break;
		}
		if (buf[p.i] != ',') {
			return (fail(&p, TD_DIGEST_PERR_SYNTAX, p.i));
		}
		p.i++;
	}

	static const int required[] = { P_USERNAME, P_REALM, P_NONCE, P_URI, P_RESPONSE };
	for (size_t k = 0; k < TD_ARRAY_LEN(required); k++) {
		if (!(seen & (1u << required[k]))) {
			return (fail(&p, TD_DIGEST_PERR_MISSING, len));
		}
	}
	if ((seen & (1u << P_QOP)) && (!(seen & (1u << P_CNONCE)) || !(seen & (1u << P_NC)))) {
		return (fail(&p, TD_DIGEST_PERR_MISSING, len));
	}
	return (0);
}

const char *
td_digest_perr_name(td_digest_perr_code code)
{
	switch (code) {
	case TD_DIGEST_PERR_NONE: return "none";
	case TD_DIGEST_PERR_SCHEME: return "scheme";
	case TD_DIGEST_PERR_SYNTAX: return "syntax";
	case TD_DIGEST_PERR_QUOTE: return "quote";
	case TD_DIGEST_PERR_TOOLONG: return "too_long";
	case TD_DIGEST_PERR_DUPLICATE: return "duplicate";
	case TD_DIGEST_PERR_MISSING: return "missing";
	case TD_DIGEST_PERR_VALUE: return "value";
	}
	return ("unknown");
}

int
td_digest_val_copy(const td_digest_val *v, char *dst, size_t cap, size_t *outlen)
{
	size_t n = 0;
	if (cap > 0) {
		dst[0] = '\0';
	}
	if (v->ptr == NULL) {
		return (TD_ENOTFOUND);
	}
	for (size_t k = 0; k < v->len; k++) {
		char c = v->ptr[k];
		if (v->escaped && c == '\\' && k + 1 < v->len) {
			c = v->ptr[++k];
		}
		if (n + 1 >= cap) {
			if (cap > 0) {
				dst[0] = '\0';
			}
			return (TD_ETOOBIG);
		}
		dst[n++] = c;
	}
	if (cap == 0) {
		return (TD_ETOOBIG);
	}
	dst[n] = '\0';
	*outlen = n;
	return (0);
}

bool
td_digest_val_eq(const td_digest_val *v, const char *s, size_t n)
{
	if (v->ptr == NULL) {
		return (false);
	}
	if (!v->escaped) {
		return (v->len == n && (n == 0 || memcmp(v->ptr, s, n) == 0));
	}
	size_t j = 0;
	for (size_t k = 0; k < v->len; k++) {
		char c = v->ptr[k];
		if (c == '\\' && k + 1 < v->len) {
			c = v->ptr[++k];
		}
		if (j >= n || s[j] != c) {
			return (false);
		}
		j++;
	}
	return (j == n);
}
