/* SPDX-License-Identifier: MIT */
/*
 * A real FreeSWITCH CDR turned into a template: the leg uuid, Call-ID and
 * times are replaced by fresh values for each request, everything else
 * (size, layout, the 200 variables) stays as FreeSWITCH sent it.
 */
#ifndef CDR_LOAD_TEMPLATE_H
#define CDR_LOAD_TEMPLATE_H

#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

typedef struct tmpl tmpl;

/* tmpl_load reads a mod_json_cdr JSON file and prepares the template. */
int tmpl_load(const char *path, tmpl **out, char *err, size_t errlen) TD_MUSTCHECK;
void tmpl_free(tmpl *t);

typedef enum tmpl_encoding { ENC_JSON, ENC_FORM, ENC_BASE64 } tmpl_encoding;

/*
 * tmpl_render writes one CDR body for leg uuid (36 chars) starting at
 * start_us, in the given encoding, and returns its Content-Type.
 */
const char *tmpl_render(const tmpl *t, const char *uuid, int64_t start_us, tmpl_encoding enc,
    td_buf *out);

/* tmpl_uuid writes a random RFC 4122 v4 uuid (37 bytes with NUL). */
void tmpl_uuid(char out[37]);

#endif
