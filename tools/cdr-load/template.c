/* SPDX-License-Identifier: MIT */
/* CDR body templates from a real sample (see template.h). */
#include "template.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

/* Placeholders, replaced at render time. */
enum { P_UUID, P_CALLID, P_START_US, P_ANSWER_US, P_END_US, P_START_S, P_ANSWER_S, P_END_S, NP };
static const char *const tokens[NP] = {"@@UUID@@", "@@CALLID@@", "@@START_US@@",
    "@@ANSWER_US@@", "@@END_US@@", "@@START_S@@", "@@ANSWER_S@@", "@@END_S@@"};

typedef struct seg {
	char *text;
	size_t len;
	int after; /* placeholder following this segment, or -1 */
} seg;

struct tmpl {
	seg *s;
	size_t n;
	int64_t answer_off_us, end_off_us; /* from the sample */
};

static int64_t
var_int(json_t *vars, const char *key)
{
	const char *v = json_string_value(json_object_get(vars, key));
	return (v ? atoll(v) : 0);
}

static void
set_str(json_t *obj, const char *key, const char *token)
{
	if (json_is_object(obj)) {
		json_object_set_new(obj, key, json_string(token));
	}
}

int
tmpl_load(const char *path, tmpl **out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je);
	if (doc == NULL) {
		snprintf(err, errlen, "%s: %s (line %d)", path, je.text, je.line);
		return (TD_EINVAL);
	}
	json_t *vars = json_object_get(doc, "variables");
	if (!json_is_object(vars)) {
		snprintf(err, errlen, "%s: no variables object", path);
		json_decref(doc);
		return (TD_EINVAL);
	}
	tmpl *t = TD_NEW(tmpl);
	int64_t s = var_int(vars, "start_uepoch");
	int64_t a = var_int(vars, "answer_uepoch");
	int64_t e = var_int(vars, "end_uepoch");
	t->answer_off_us = a > 0 ? a - s : 0;
	t->end_off_us = e > s ? e - s : 60000000;
	set_str(vars, "uuid", tokens[P_UUID]);
	set_str(vars, "sip_call_id", tokens[P_CALLID]);
	set_str(vars, "start_uepoch", tokens[P_START_US]);
	set_str(vars, "answer_uepoch", a > 0 ? tokens[P_ANSWER_US] : "0");
	set_str(vars, "end_uepoch", tokens[P_END_US]);
	set_str(vars, "start_epoch", tokens[P_START_S]);
	set_str(vars, "answer_epoch", a > 0 ? tokens[P_ANSWER_S] : "0");
	set_str(vars, "end_epoch", tokens[P_END_S]);
	json_t *cf = json_object_get(doc, "callflow");
	json_t *first = json_is_array(cf) ? json_array_get(cf, 0) : cf;
	set_str(json_object_get(first, "caller_profile"), "uuid", tokens[P_UUID]);

	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	/* Split the text at every placeholder. */
	const char *p = text;
	for (;;) {
		const char *best = NULL;
		int which = -1;
		for (int i = 0; i < NP; i++) {
			const char *q = strstr(p, tokens[i]);
			if (q != NULL && (best == NULL || q < best)) {
				best = q;
				which = i;
			}
		}
		t->s = td_xrealloc(t->s, (t->n + 1) * sizeof(seg));
		seg *sg = &t->s[t->n++];
		size_t len = best ? (size_t)(best - p) : strlen(p);
		sg->text = td_xstrndup(p, len);
		sg->len = len;
		sg->after = which;
		if (best == NULL) {
			break;
		}
		p = best + strlen(tokens[which]);
	}
	free(text);
	*out = t;
	return (TD_OK);
}

void
tmpl_free(tmpl *t)
{
	if (t == NULL) {
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		free(t->s[i].text);
	}
	free(t->s);
	free(t);
}

void
tmpl_uuid(char out[37])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
	    b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
	    b[15]);
}

/* url_encode appends s percent-encoded (RFC 3986 unreserved kept), in one pass. */
static void
url_encode(td_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *w = td_buf_extend(out, 3 * n), *w0 = w;
	if (w == NULL) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			*w++ = (char)c;
		} else {
			w[0] = '%';
			w[1] = hex[c >> 4];
			w[2] = hex[c & 15];
			w += 3;
		}
	}
	out->len -= 3 * n - (size_t)(w - w0); /* give back what was reserved but unused */
	out->data[out->len] = '\0';
}

const char *
tmpl_render(const tmpl *t, const char *uuid, int64_t start_us, tmpl_encoding enc, td_buf *out)
{
	td_buf json = TD_BUF_INIT;
	for (size_t i = 0; i < t->n; i++) {
		td_buf_append(&json, t->s[i].text, t->s[i].len);
		switch (t->s[i].after) {
		case P_UUID: td_buf_puts(&json, uuid); break;
		case P_CALLID: td_buf_printf(&json, "%s@load.test", uuid); break;
		case P_START_US: td_buf_printf(&json, "%lld", (long long)start_us); break;
		case P_ANSWER_US:
			td_buf_printf(&json, "%lld", (long long)(start_us + t->answer_off_us));
			break;
		case P_END_US:
			td_buf_printf(&json, "%lld", (long long)(start_us + t->end_off_us));
			break;
		case P_START_S: td_buf_printf(&json, "%lld", (long long)(start_us / 1000000)); break;
		case P_ANSWER_S:
			td_buf_printf(&json, "%lld", (long long)((start_us + t->answer_off_us) / 1000000));
			break;
		case P_END_S:
			td_buf_printf(&json, "%lld", (long long)((start_us + t->end_off_us) / 1000000));
			break;
		default: break;
		}
	}
	td_buf_reset(out);
	const char *ctype = "application/json";
	if (enc == ENC_JSON) {
		td_buf_append(out, json.data, json.len);
	} else if (enc == ENC_FORM) {
		td_buf_puts(out, "cdr=");
		url_encode(out, json.data, json.len);
		ctype = "application/x-www-form-urlencoded";
	} else {
		size_t n = sodium_base64_ENCODED_LEN(json.len, sodium_base64_VARIANT_ORIGINAL);
		char *b64 = td_xmalloc(n);
		sodium_bin2base64(b64, n, (const unsigned char *)json.data, json.len,
		    sodium_base64_VARIANT_ORIGINAL);
		td_buf_puts(out, "cdr=");
		td_buf_puts(out, b64);
		free(b64);
		ctype = "application/x-www-form-base64-encoded";
	}
	td_buf_free(&json);
	return (ctype);
}
