/* SPDX-License-Identifier: MIT */
/*
 * Any protobuf-c message to JSON, through its descriptor (for CLIs that show
 * bus traffic and for logs).  Field names as in the .proto; enums by name;
 * 64-bit integers as JSON integers; bytes as base64; unset oneof members and
 * proto3 defaults are left out.
 */
#ifndef TD_BUS_PBJSON_H
#define TD_BUS_PBJSON_H

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>

/* td_pb_to_json returns a new JSON object (caller decrefs). */
json_t *td_pb_to_json(const ProtobufCMessage *m);

#endif
