/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the Digest credentials parser (libs/digest).
 *
 * Beyond "does not crash", it checks the parser's contract on every input:
 * only the documented errors, an error offset inside the input, slices
 * inside the input, and unescaped values that copy and compare back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest/digest.h"

static void
check_val(const td_digest_val *v, const uint8_t *data, size_t size)
{
	char buf[TD_DIGEST_MAX_VALUE + 1];
	size_t n = 0;
	if (v->ptr == NULL) {
		return;
	}
	if ((const uint8_t *)v->ptr < data || (const uint8_t *)v->ptr + v->len > data + size
	    || v->len > TD_DIGEST_MAX_VALUE) {
		abort();
	}
	if (td_digest_val_copy(v, buf, sizeof(buf), &n) != 0 || n > v->len
	    || (!v->escaped && n != v->len) || !td_digest_val_eq(v, buf, n)) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	td_digest_creds c;
	td_digest_perr err;
	int rc = td_digest_parse((const char *)data, size, &c, &err);
	if (rc != 0) {
		if ((rc != TD_EINVAL && rc != TD_ETOOBIG) || err.code == TD_DIGEST_PERR_NONE
		    || (err.off > size && err.code != TD_DIGEST_PERR_TOOLONG)) {
			abort();
		}
		return (0);
	}
	const td_digest_val *all[] = { &c.username, &c.realm, &c.nonce, &c.uri, &c.response,
		&c.cnonce, &c.opaque, &c.algorithm, &c.qop_raw, &c.nc_raw };
	for (size_t k = 0; k < TD_ARRAY_LEN(all); k++) {
		check_val(all[k], data, size);
	}
	if (c.username.ptr == NULL || c.realm.ptr == NULL || c.nonce.ptr == NULL
	    || c.uri.ptr == NULL || c.response.ptr == NULL) {
		abort();
	}
	if (c.qop != TD_DIGEST_QOP_NONE && c.nc == 0) {
		abort();
	}
	return (0);
}
