/* SPDX-License-Identifier: MIT */
/*
 * Body decoding for mod_json_cdr POSTs: raw JSON, cdr=<URL-encoded JSON> or
 * cdr=<plain base64 JSON> (tests/data/freeswitch/README.md section 1, "Body
 * and Content-Type depend on encode").  The body is sniffed, never trusted
 * by its Content-Type.
 */
#include <limits.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "cdr/cdr.h"
#include "cdr/internal.h"

static bool
is_ws(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

/* Character classes of base64 text: one table lookup per byte. */
enum { B64_BAD = 0, B64_ALPHA, B64_PAD, B64_EOL };

static const unsigned char b64_class[256] = {
	['A'] = B64_ALPHA,
	['B'] = B64_ALPHA,
	['C'] = B64_ALPHA,
	['D'] = B64_ALPHA,
	['E'] = B64_ALPHA,
	['F'] = B64_ALPHA,
	['G'] = B64_ALPHA,
	['H'] = B64_ALPHA,
	['I'] = B64_ALPHA,
	['J'] = B64_ALPHA,
	['K'] = B64_ALPHA,
	['L'] = B64_ALPHA,
	['M'] = B64_ALPHA,
	['N'] = B64_ALPHA,
	['O'] = B64_ALPHA,
	['P'] = B64_ALPHA,
	['Q'] = B64_ALPHA,
	['R'] = B64_ALPHA,
	['S'] = B64_ALPHA,
	['T'] = B64_ALPHA,
	['U'] = B64_ALPHA,
	['V'] = B64_ALPHA,
	['W'] = B64_ALPHA,
	['X'] = B64_ALPHA,
	['Y'] = B64_ALPHA,
	['Z'] = B64_ALPHA,
	['a'] = B64_ALPHA,
	['b'] = B64_ALPHA,
	['c'] = B64_ALPHA,
	['d'] = B64_ALPHA,
	['e'] = B64_ALPHA,
	['f'] = B64_ALPHA,
	['g'] = B64_ALPHA,
	['h'] = B64_ALPHA,
	['i'] = B64_ALPHA,
	['j'] = B64_ALPHA,
	['k'] = B64_ALPHA,
	['l'] = B64_ALPHA,
	['m'] = B64_ALPHA,
	['n'] = B64_ALPHA,
	['o'] = B64_ALPHA,
	['p'] = B64_ALPHA,
	['q'] = B64_ALPHA,
	['r'] = B64_ALPHA,
	['s'] = B64_ALPHA,
	['t'] = B64_ALPHA,
	['u'] = B64_ALPHA,
	['v'] = B64_ALPHA,
	['w'] = B64_ALPHA,
	['x'] = B64_ALPHA,
	['y'] = B64_ALPHA,
	['z'] = B64_ALPHA,
	['0'] = B64_ALPHA,
	['1'] = B64_ALPHA,
	['2'] = B64_ALPHA,
	['3'] = B64_ALPHA,
	['4'] = B64_ALPHA,
	['5'] = B64_ALPHA,
	['6'] = B64_ALPHA,
	['7'] = B64_ALPHA,
	['8'] = B64_ALPHA,
	['9'] = B64_ALPHA,
	['+'] = B64_ALPHA,
	['/'] = B64_ALPHA,
	['='] = B64_PAD,
	['\r'] = B64_EOL,
	['\n'] = B64_EOL,
};

/*
 * b64_shape: 0 if the value is not base64 text at all (so it is
 * URL-encoded); 1 if it is base64 text; 2 if it is also canonical: padded,
 * no line breaks, '=' only as the last one or two characters, which is
 * what FreeSWITCH sends.  *pad = number of trailing '='.
 */
static int
b64_shape(const char *p, size_t n, size_t *pad)
{
	const unsigned char *u = (const unsigned char *)p;
	size_t k = 0;
	unsigned seen = 0; /* bit per class seen before the padding */
	while (k < 2 && k < n && u[n - 1 - k] == '=') {
		k++;
	}
	for (size_t i = 0; i < n - k; i++) {
		seen |= 1u << b64_class[u[i]];
	}
	if (seen & (1u << B64_BAD)) {
		return (0);
	}
	*pad = k;
	return (
	    (seen & ((1u << B64_PAD) | (1u << B64_EOL))) == 0 && n % 4 == 0 && n > 0 && n <= INT_MAX
	        ? 2
	        : 1);
}

/* form_decode: application/x-www-form-urlencoded value ('+' = space, strict %HH). */
/* hex1: 1 + the value of a hex digit, 0 for anything else. */
static const unsigned char hex1[256] = {
	['0'] = 1,
	['1'] = 2,
	['2'] = 3,
	['3'] = 4,
	['4'] = 5,
	['5'] = 6,
	['6'] = 7,
	['7'] = 8,
	['8'] = 9,
	['9'] = 10,
	['A'] = 11,
	['B'] = 12,
	['C'] = 13,
	['D'] = 14,
	['E'] = 15,
	['F'] = 16,
	['a'] = 11,
	['b'] = 12,
	['c'] = 13,
	['d'] = 14,
	['e'] = 15,
	['f'] = 16,
};

static int
form_decode(const char *p, size_t n, size_t base, td_buf *out, char *err, size_t errlen)
{
	char *w = td_buf_extend(out, n);
	if (w == NULL) {
		return (td_cdr__errf(TD_ETOOBIG, err, errlen, "decoded body too large"));
	}
	const unsigned char *u = (const unsigned char *)p;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = u[i];
		if (c == '%') {
			unsigned hi = (i + 2 < n) ? hex1[u[i + 1]] : 0;
			unsigned lo = (i + 2 < n) ? hex1[u[i + 2]] : 0;
			if (hi == 0 || lo == 0) {
				return (td_cdr__errf(TD_EINVAL, err, errlen,
				    "bad percent-escape in cdr= at byte %zu", base + i));
			}
			c = (unsigned char)((hi - 1) * 16 + (lo - 1));
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		w[k++] = (char)c;
	}
	out->len = k;
	out->data[k] = '\0';
	return (TD_OK);
}

/*
 * b64_decode: canonical input goes through OpenSSL's table-driven decoder,
 * about ten times faster than libsodium's constant-time one (built for
 * secrets, ~100 us for a 17 KB CDR; see docs/cdr-mapping.md).  OpenSSL's
 * EVP_DecodeBlock is lax ('=' inside, padding counted as data), so it only
 * sees input b64_shape() found canonical.  Anything else (line breaks, no
 * padding, junk) is decided by sodium_base642bin.
 */
static int
b64_decode(
    const char *p, size_t n, bool canonical, size_t pad, td_buf *out, char *err, size_t errlen)
{
	size_t cap = n / 4 * 3 + 3, got = 0;
	unsigned char *w = td_buf_extend(out, cap);
	if (w == NULL) {
		return (td_cdr__errf(TD_ETOOBIG, err, errlen, "decoded body too large"));
	}
	if (canonical) {
		int r = EVP_DecodeBlock(w, (const unsigned char *)p, (int)n);
		if (r < 0 || (size_t)r < pad) {
			return (
			    td_cdr__errf(TD_EINVAL, err, errlen, "cdr= field is not valid base64"));
		}
		got = (size_t)r - pad;
	} else if (sodium_base642bin(
	               w, cap, p, n, "\r\n", &got, NULL, sodium_base64_VARIANT_ORIGINAL)
	        != 0
	    && sodium_base642bin(
	           w, cap, p, n, "\r\n", &got, NULL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)
	        != 0) {
		return (td_cdr__errf(TD_EINVAL, err, errlen, "cdr= field is not valid base64"));
	}
	out->len = got;
	out->data[got] = '\0';
	return (TD_OK);
}

int
td_cdr_decode_body(const char *body, size_t len, const char *content_type, td_buf *json_out,
    char *err, size_t errlen)
{
	int rv;
	if (errlen > 0) {
		err[0] = '\0';
	}
	td_buf_reset(json_out);
	if (len > TD_CDR_MAX_BODY) {
		return (td_cdr__errf(TD_ETOOBIG, err, errlen,
		    "body of %zu bytes is over the %d-byte limit", len, TD_CDR_MAX_BODY));
	}
	size_t i = 0;
	while (body != NULL && i < len && is_ws(body[i])) {
		i++;
	}
	if (body == NULL || i == len) {
		return (td_cdr__errf(TD_EINVAL, err, errlen, "empty body"));
	}
	/* Raw JSON: encode=false, also when disable-100-continue mislabels it. */
	if (body[i] == '{' || body[i] == '[') {
		td_buf_append(json_out, body + i, len - i);
		return (td_buf_failed(json_out)
		        ? td_cdr__errf(TD_ETOOBIG, err, errlen, "body too large")
		        : TD_OK);
	}

	/* A form: find the one cdr= field among name=value pairs split by '&'. */
	const char *val = NULL;
	size_t vlen = 0, voff = 0;
	for (size_t b = i; b <= len;) {
		const char *amp = memchr(body + b, '&', len - b);
		size_t e = (amp != NULL) ? (size_t)(amp - body) : len;
		if (e - b >= 4 && memcmp(body + b, "cdr=", 4) == 0) {
			if (val != NULL) {
				return (td_cdr__errf(TD_EINVAL, err, errlen,
				    "more than one cdr= field in the form"));
			}
			val = body + b + 4;
			vlen = e - b - 4;
			voff = b + 4;
		}
		b = e + 1;
	}
	if (val == NULL) {
		return (td_cdr__errf(TD_EINVAL, err, errlen,
		    "body is neither JSON nor a form with a cdr= field (Content-Type: %.60s)",
		    content_type != NULL ? content_type : "none"));
	}
	if (vlen == 0) {
		return (td_cdr__errf(TD_EINVAL, err, errlen, "empty cdr= field"));
	}
	/*
	 * encode=base64 sends plain base64 ('+' '/' '=' raw, not form-encoded);
	 * encode=true sends switch_url_encode()d JSON, where '{' is %7B, so it
	 * always has a '%' (or a raw '{' from other clients): never pure base64.
	 */
	size_t pad = 0;
	int shape = b64_shape(val, vlen, &pad);
	if (shape > 0) {
		rv = b64_decode(val, vlen, shape == 2, pad, json_out, err, errlen);
	} else {
		rv = form_decode(val, vlen, voff, json_out, err, errlen);
	}
	if (rv < 0) {
		return (rv);
	}
	size_t j = 0;
	while (j < json_out->len && is_ws(json_out->data[j])) {
		j++;
	}
	if (j == json_out->len || json_out->data[j] != '{') {
		return (td_cdr__errf(
		    TD_EINVAL, err, errlen, "cdr= field does not decode to a JSON object"));
	}
	return (TD_OK);
}
