/* SPDX-License-Identifier: MIT */
/*
 * A simulation of how FreeSWITCH mod_json_cdr encodes what it POSTs, for
 * tests, benchmarks, fuzz seeds and load generators: never used to decode.
 * Semantics from tests/data/freeswitch/README.md section 1 (switch_url_encode:
 * bytes < 0x20, > 0x7E and \r\n #%&+:;<=>?@[\]^`{|}" become %HH, uppercase;
 * a '%' already starting %HH in uppercase hex is left alone).
 */
#ifndef TD_CDR_FSSIM_H
#define TD_CDR_FSSIM_H

#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

typedef enum td_cdr_fs_encoding {
	TD_CDR_FS_RAW, /* encode=false: the JSON itself */
	TD_CDR_FS_FORM, /* encode=true: "cdr=" + switch_url_encode(JSON) */
	TD_CDR_FS_BASE64, /* encode=base64: "cdr=" + plain base64 */
} td_cdr_fs_encoding;

/* td_cdr_fs_content_type: the Content-Type FreeSWITCH sends with encoding e. */
const char *td_cdr_fs_content_type(td_cdr_fs_encoding e);

/* td_cdr_fs_url_encode appends switch_url_encode(s[0..n)) to out. */
void td_cdr_fs_url_encode(td_buf *out, const char *s, size_t n);

/* td_cdr_fs_body appends the body FreeSWITCH would POST for json to out. */
void td_cdr_fs_body(td_buf *out, const char *json, size_t len, td_cdr_fs_encoding e);

/*
 * td_cdr_fs_encode_values rewrites a CDR the way encode-values=true does:
 * every string value directly inside the top-level "variables" object is
 * URL-encoded; everything else, key order and repeated keys are kept.
 * out is reset; the result is compact JSON.  0, or TD_EINVAL if json is
 * not valid JSON.
 */
int td_cdr_fs_encode_values(const char *json, size_t len, td_buf *out) TD_MUSTCHECK;

#endif
