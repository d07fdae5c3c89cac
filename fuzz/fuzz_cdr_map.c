/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for libs/cdr: a POST body through td_cdr_decode_body and
 * td_cdr_map_freeswitch, and the raw input straight into the mapper.  Any
 * record produced must hold the mapper's promises and survive pack/unpack.
 * Seeds: fuzz/corpus/cdr_map/ (the samples in every encoding).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdr/cdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "invariant failed: %s\n", #c);                             \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* utf8_ok: an independent UTF-8 check (RFC 3629: no overlongs, surrogates, > U+10FFFF). */
static bool
utf8_ok(const unsigned char *s)
{
	while (*s != 0) {
		unsigned c = *s, need, min;
		if (c < 0x80) {
			s++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			need = 1, min = 0x80, c &= 0x1F;
		} else if ((c & 0xF0) == 0xE0) {
			need = 2, min = 0x800, c &= 0x0F;
		} else if ((c & 0xF8) == 0xF0) {
			need = 3, min = 0x10000, c &= 0x07;
		} else {
			return (false);
		}
		for (unsigned i = 1; i <= need; i++) {
			if ((s[i] & 0xC0) != 0x80) {
				return (false);
			}
			c = (c << 6) | (s[i] & 0x3F);
		}
		if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
			return (false);
		}
		s += need + 1;
	}
	return (true);
}

static void
check_record(const Tandem__CdrRecord *r)
{
	/* every string field, found through the descriptor: bounded, valid UTF-8 */
	const ProtobufCMessageDescriptor *d = &tandem__cdr_record__descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		if (d->fields[i].type == PROTOBUF_C_TYPE_STRING) {
			const char *s
			    = *(char *const *)(const void *)((const char *)r + d->fields[i].offset);
			CHECK(s != NULL && strlen(s) <= TD_CDR_MAX_PATH);
			CHECK(utf8_ok((const unsigned char *)s));
		}
	}
	CHECK(r->leg_uuid[0] != '\0' && strlen(r->leg_uuid) <= TD_CDR_MAX_ID);
	CHECK(r->call_uuid[0] != '\0' && strlen(r->call_uuid) <= TD_CDR_MAX_ID);
	CHECK(strlen(r->caller_id_name) <= TD_CDR_MAX_ID);
	CHECK(strlen(r->sip_call_id) <= TD_CDR_MAX_ID);
	CHECK(strlen(r->recording_path) <= TD_CDR_MAX_PATH);
	CHECK(r->leg == TANDEM__CDR_LEG__CDR_LEG_A || r->leg == TANDEM__CDR_LEG__CDR_LEG_B);
	CHECK(r->start_us >= TD_CDR_MIN_TIME_US && r->end_us < TD_CDR_MAX_TIME_US);
	CHECK(r->end_us >= r->start_us);
	CHECK(r->answer_us == 0 || (r->answer_us >= r->start_us && r->answer_us <= r->end_us));
	CHECK(r->duration_s >= 0 && r->billsec >= 0 && r->billmsec >= 0);
	CHECK(r->mos >= 0 && r->mos <= 5);

	size_t n = tandem__cdr_record__get_packed_size(r);
	uint8_t *buf = malloc(n ? n : 1);
	CHECK(buf != NULL);
	CHECK(tandem__cdr_record__pack(r, buf) == n);
	Tandem__CdrRecord *u = tandem__cdr_record__unpack(NULL, n, buf);
	CHECK(u != NULL);
	CHECK(strcmp(u->leg_uuid, r->leg_uuid) == 0 && strcmp(u->call_uuid, r->call_uuid) == 0);
	CHECK(strcmp(u->recording_path, r->recording_path) == 0);
	CHECK(u->start_us == r->start_us && u->end_us == r->end_us && u->leg == r->leg);
	tandem__cdr_record__free_unpacked(u, NULL);
	free(buf);
}

static void
map_one(const char *json, size_t len)
{
	Tandem__CdrRecord *r = NULL;
	char err[TD_CDR_ERRLEN];
	int rv = td_cdr_map_freeswitch(json, len, &r, err, sizeof(err));
	if (rv == 0) {
		CHECK(r != NULL);
		check_record(r);
		td_cdr_record_free(r);
	} else {
		CHECK(r == NULL && err[0] != '\0');
		CHECK(rv == TD_EINVAL || rv == TD_ETOOBIG);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024) {
		return (0);
	}
	char err[TD_CDR_ERRLEN];
	td_buf json = TD_BUF_INIT;
	int rv = td_cdr_decode_body((const char *)data, size, NULL, &json, err, sizeof(err));
	if (rv == 0) {
		map_one(json.data, json.len);
	} else {
		CHECK(err[0] != '\0');
	}
	td_buf_free(&json);
	map_one((const char *)data, size);
	return (0);
}
