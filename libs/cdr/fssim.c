/* SPDX-License-Identifier: MIT */
/* Simulation of mod_json_cdr's body encodings (see fssim.h). */
#include "cdr/fssim.h"

#include <sodium.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

const char *
td_cdr_fs_content_type(td_cdr_fs_encoding e)
{
	switch (e) {
	case TD_CDR_FS_FORM: return ("application/x-www-form-urlencoded");
	case TD_CDR_FS_BASE64: return ("application/x-www-form-base64-encoded");
	case TD_CDR_FS_RAW: break;
	}
	return ("application/json");
}

static bool
is_hex_upper(char c)
{
	return ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'));
}

void
td_cdr_fs_url_encode(td_buf *out, const char *s, size_t n)
{
	static const char unsafe[] = "\r\n #%&+:;<=>?@[\\]^`{|}\"";
	static const char hex[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%' && i + 2 < n && is_hex_upper(s[i + 1]) && is_hex_upper(s[i + 2])) {
			td_buf_append(out, s + i, 3); /* already escaped: left alone */
			i += 2;
		} else if (c < 0x20 || c > 0x7E || (c != '\0' && strchr(unsafe, c) != NULL)) {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			td_buf_append(out, e, 3);
		} else {
			td_buf_putc(out, (char)c);
		}
	}
}

void
td_cdr_fs_body(td_buf *out, const char *json, size_t len, td_cdr_fs_encoding e)
{
	switch (e) {
	case TD_CDR_FS_RAW: td_buf_append(out, json, len); break;
	case TD_CDR_FS_FORM:
		td_buf_puts(out, "cdr=");
		td_cdr_fs_url_encode(out, json, len);
		break;
	case TD_CDR_FS_BASE64: {
		size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
		td_buf_puts(out, "cdr=");
		char *w = td_buf_extend(out, n);
		if (w != NULL) {
			sodium_bin2base64(
			    w, n, (const unsigned char *)json, len, sodium_base64_VARIANT_ORIGINAL);
			out->len -= 1; /* n counts the NUL sodium writes */
		}
		break;
	}
	}
}

/* ---- encode-values: re-emit the document, encoding variables' values ------- */

typedef struct recoder {
	yajl_gen g;
	int depth;
	bool vars_next; /* the root key just read is "variables" */
	int vars_depth; /* depth of the variables object, 0 = not inside */
	td_buf tmp;
} recoder;

static int
r_null(void *ctx)
{
	return (yajl_gen_null(((recoder *)ctx)->g) == yajl_gen_status_ok);
}

static int
r_bool(void *ctx, int v)
{
	return (yajl_gen_bool(((recoder *)ctx)->g, v) == yajl_gen_status_ok);
}

static int
r_number(void *ctx, const char *s, size_t n)
{
	return (yajl_gen_number(((recoder *)ctx)->g, s, n) == yajl_gen_status_ok);
}

static int
r_string(void *ctx, const unsigned char *s, size_t n)
{
	recoder *r = ctx;
	if (r->vars_depth != 0 && r->depth == r->vars_depth) {
		td_buf_reset(&r->tmp);
		td_cdr_fs_url_encode(&r->tmp, (const char *)s, n);
		return (yajl_gen_string(r->g,
		            (const unsigned char *)(r->tmp.data ? r->tmp.data : ""), r->tmp.len)
		    == yajl_gen_status_ok);
	}
	return (yajl_gen_string(r->g, s, n) == yajl_gen_status_ok);
}

static int
r_key(void *ctx, const unsigned char *s, size_t n)
{
	recoder *r = ctx;
	r->vars_next = r->depth == 1 && n == 9 && memcmp(s, "variables", 9) == 0;
	return (yajl_gen_string(r->g, s, n) == yajl_gen_status_ok);
}

static int
r_open(recoder *r, bool map)
{
	r->depth++;
	if (map && r->vars_next && r->vars_depth == 0) {
		r->vars_depth = r->depth;
	}
	r->vars_next = false;
	return ((map ? yajl_gen_map_open(r->g) : yajl_gen_array_open(r->g)) == yajl_gen_status_ok);
}

static int
r_close(recoder *r, bool map)
{
	if (r->depth == r->vars_depth) {
		r->vars_depth = -1; /* only the first variables object, like the mapper */
	}
	r->depth--;
	return (
	    (map ? yajl_gen_map_close(r->g) : yajl_gen_array_close(r->g)) == yajl_gen_status_ok);
}

static int
r_start_map(void *ctx)
{
	return (r_open(ctx, true));
}

static int
r_end_map(void *ctx)
{
	return (r_close(ctx, true));
}

static int
r_start_array(void *ctx)
{
	return (r_open(ctx, false));
}

static int
r_end_array(void *ctx)
{
	return (r_close(ctx, false));
}

static const yajl_callbacks recoder_cbs = {
	.yajl_null = r_null,
	.yajl_boolean = r_bool,
	.yajl_number = r_number,
	.yajl_string = r_string,
	.yajl_start_map = r_start_map,
	.yajl_map_key = r_key,
	.yajl_end_map = r_end_map,
	.yajl_start_array = r_start_array,
	.yajl_end_array = r_end_array,
};

int
td_cdr_fs_encode_values(const char *json, size_t len, td_buf *out)
{
	recoder r = { .g = yajl_gen_alloc(NULL) };
	int rv = TD_EINVAL;
	td_buf_reset(out);
	td_buf_init(&r.tmp, 0);
	yajl_handle h = yajl_alloc(&recoder_cbs, NULL, &r);
	yajl_config(h, yajl_dont_validate_strings, 1);
	if (yajl_parse(h, (const unsigned char *)json, len) == yajl_status_ok
	    && yajl_complete_parse(h) == yajl_status_ok) {
		const unsigned char *buf;
		size_t n;
		yajl_gen_get_buf(r.g, &buf, &n);
		td_buf_append(out, buf, n);
		rv = td_buf_failed(out) ? TD_ENOMEM : TD_OK;
	}
	yajl_free(h);
	yajl_gen_free(r.g);
	td_buf_free(&r.tmp);
	return (rv);
}
