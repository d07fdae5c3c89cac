/* SPDX-License-Identifier: MIT */
/* Protobuf-c message -> JSON via descriptors (see pbjson.h). */
#include "bus/pbjson.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

static json_t *
scalar(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: return (json_integer(*(const int32_t *)p));
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: return (json_integer(*(const uint32_t *)p));
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: return (json_integer(*(const int64_t *)p));
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: return (json_integer((json_int_t) * (const uint64_t *)p));
	case PROTOBUF_C_TYPE_FLOAT: return (json_real(*(const float *)p));
	case PROTOBUF_C_TYPE_DOUBLE: return (json_real(*(const double *)p));
	case PROTOBUF_C_TYPE_BOOL: return (json_boolean(*(const protobuf_c_boolean *)p));
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *v =
		    protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int *)p);
		return (v ? json_string(v->name) : json_integer(*(const int *)p));
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return (json_string(s ? s : ""));
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		size_t n = sodium_base64_ENCODED_LEN(b->len, sodium_base64_VARIANT_ORIGINAL);
		char *s = td_xmalloc(n);
		sodium_bin2base64(s, n, b->data, b->len, sodium_base64_VARIANT_ORIGINAL);
		json_t *j = json_string(s);
		free(s);
		return (j);
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(ProtobufCMessage *const *)p;
		return (sub ? td_pb_to_json(sub) : json_null());
	}
	}
	return (json_null());
}

static size_t
type_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM: return (4);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return (8);
	case PROTOBUF_C_TYPE_BOOL: return (sizeof(protobuf_c_boolean));
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE: return (sizeof(void *));
	case PROTOBUF_C_TYPE_BYTES: return (sizeof(ProtobufCBinaryData));
	}
	return (0);
}

/* is_default: proto3 implicit presence - leave zero values out. */
static bool
is_default(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)p;
		return (s == NULL || s[0] == '\0');
	}
	case PROTOBUF_C_TYPE_BYTES: return (((const ProtobufCBinaryData *)p)->len == 0);
	case PROTOBUF_C_TYPE_MESSAGE: return (*(void *const *)p == NULL);
	default: {
		static const unsigned char zero[8];
		return (memcmp(p, zero, type_size(f)) == 0);
	}
	}
}

json_t *
td_pb_to_json(const ProtobufCMessage *m)
{
	json_t *o = json_object();
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		const void *p = base + f->offset;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(const void *)(base + f->quantifier_offset);
			const char *arr = *(char *const *)p;
			json_t *a = json_array();
			for (size_t k = 0; k < n; k++) {
				json_array_append_new(a, scalar(f, arr + k * type_size(f)));
			}
			if (n > 0) {
				json_object_set_new(o, f->name, a);
			} else {
				json_decref(a);
			}
			continue;
		}
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			uint32_t which = *(const uint32_t *)(const void *)(base + f->quantifier_offset);
			if (which != f->id) {
				continue;
			}
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL && f->quantifier_offset != 0 &&
		           f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) {
			if (!*(const protobuf_c_boolean *)(const void *)(base + f->quantifier_offset)) {
				continue;
			}
		} else if (is_default(f, p)) {
			continue;
		}
		json_object_set_new(o, f->name, scalar(f, p));
	}
	return (o);
}
