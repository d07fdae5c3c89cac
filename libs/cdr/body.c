/* SPDX-License-Identifier: MIT */
/*
 * Body decoding for mod_json_cdr POSTs: raw JSON, cdr=<URL-encoded JSON> or
 * cdr=<plain base64 JSON> (tests/data/freeswitch/README.md section 1, "Body
 * and Content-Type depend on encode").  The body is sniffed, never trusted
 * by its Content-Type.
 */
#include <sodium.h>
#include <string.h>

#include "cdr/cdr.h"
#include "cdr/internal.h"

static bool
is_ws(char c)
{
	return (c == ' ' || c == '\t' || c == '\r' || c == '\n');
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9') {
		return (c - '0');
	}
	c |= 0x20;
	return ((c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1);
}

/* is_b64: the value holds only base64 characters (and line breaks). */
static bool
is_b64(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		        || c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n')) {
			return (false);
		}
	}
	return (true);
}

/* form_decode: application/x-www-form-urlencoded value ('+' = space, strict %HH). */
static int
form_decode(const char *p, size_t n, size_t base, td_buf *out, char *err, size_t errlen)
{
	char *w = td_buf_extend(out, n);
	if (w == NULL) {
		return (td_cdr__errf(TD_ETOOBIG, err, errlen, "decoded body too large"));
	}
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = (i + 2 < n) ? hexval((unsigned char)p[i + 1]) : -1;
			int lo = (i + 2 < n) ? hexval((unsigned char)p[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				return (td_cdr__errf(TD_EINVAL, err, errlen,
				    "bad percent-escape in cdr= at byte %zu", base + i));
			}
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		w[k++] = c;
	}
	out->len = k;
	out->data[k] = '\0';
	return (TD_OK);
}

static int
b64_decode(const char *p, size_t n, td_buf *out, char *err, size_t errlen)
{
	size_t cap = n / 4 * 3 + 3, got = 0;
	unsigned char *w = td_buf_extend(out, cap);
	if (w == NULL) {
		return (td_cdr__errf(TD_ETOOBIG, err, errlen, "decoded body too large"));
	}
	/* FreeSWITCH pads; accept a client that does not. */
	if (sodium_base642bin(w, cap, p, n, "\r\n", &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0
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
	if (is_b64(val, vlen)) {
		rv = b64_decode(val, vlen, json_out, err, errlen);
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
