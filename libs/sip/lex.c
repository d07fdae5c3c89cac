/* SPDX-License-Identifier: MIT */
/* Character classes and shared scanners for the SIP grammar (internal). */
#include "sip/lex.h"

#include <arpa/inet.h>
#include <string.h>

#include "util/err.h"

/* Generated from the class definitions in lex.h; lex_test.c re-derives it. */
/* clang-format off */
const uint16_t sip_cc[256] = {
	[0x09] = SIP_C_LWS,
	[0x0a] = SIP_C_LWS,
	[0x0d] = SIP_C_LWS,
	[0x20] = SIP_C_LWS,
	[0x21] = SIP_C_TOKEN | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
	[0x22] = SIP_C_WORD,
	[0x23] = SIP_C_URIC,
	[0x24] = SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_URIC,
	[0x25] = SIP_C_TOKEN | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
	[0x26] = SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_URIC,
	[0x27] = SIP_C_TOKEN | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
	[0x28] = SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_URIC,
	[0x29] = SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_URIC,
	[0x2a] = SIP_C_TOKEN | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
	[0x2b] = SIP_C_TOKEN | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x2c] = SIP_C_USER | SIP_C_PASS | SIP_C_URIC,
	[0x2d] = SIP_C_TOKEN | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x2e] = SIP_C_TOKEN | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x2f] = SIP_C_USER | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_URIC,
	[0x30] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x31] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x32] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x33] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x34] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x35] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x36] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x37] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x38] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x39] = SIP_C_TOKEN | SIP_C_DIGIT | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x3a] = SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
	[0x3b] = SIP_C_USER | SIP_C_URIC,
	[0x3c] = SIP_C_WORD,
	[0x3d] = SIP_C_USER | SIP_C_PASS | SIP_C_URIC,
	[0x3e] = SIP_C_WORD,
	[0x3f] = SIP_C_USER | SIP_C_HNV | SIP_C_WORD | SIP_C_URIC,
	[0x40] = SIP_C_URIC,
	[0x41] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x42] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x43] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x44] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x45] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x46] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x47] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x48] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x49] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x4a] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x4b] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x4c] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x4d] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x4e] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x4f] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x50] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x51] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x52] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x53] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x54] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x55] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x56] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x57] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x58] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x59] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x5a] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x5b] = SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
	[0x5c] = SIP_C_WORD | SIP_C_URIC,
	[0x5d] = SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
	[0x5e] = SIP_C_URIC,
	[0x5f] = SIP_C_TOKEN | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC,
	[0x60] = SIP_C_TOKEN | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
	[0x61] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x62] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x63] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x64] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x65] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x66] = SIP_C_TOKEN | SIP_C_HEX | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x67] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x68] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x69] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x6a] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x6b] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x6c] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x6d] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x6e] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x6f] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x70] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x71] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x72] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x73] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x74] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x75] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x76] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x77] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x78] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x79] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x7a] = SIP_C_TOKEN | SIP_C_ALNUM | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_HOST | SIP_C_PVAL | SIP_C_URIC | SIP_C_SCHEME,
	[0x7b] = SIP_C_WORD | SIP_C_URIC,
	[0x7c] = SIP_C_URIC,
	[0x7d] = SIP_C_WORD | SIP_C_URIC,
	[0x7e] = SIP_C_TOKEN | SIP_C_UNRES | SIP_C_USER | SIP_C_PASS | SIP_C_PARAM | SIP_C_HNV | SIP_C_WORD | SIP_C_PVAL | SIP_C_URIC,
};
/* clang-format on */

int
sip_u32(td_sip_str s, uint32_t *out)
{
	if (s.n == 0) {
		return (TD_EINVAL);
	}
	uint64_t v = 0;
	bool big = false;
	for (size_t i = 0; i < s.n; i++) {
		if (!sip_is(s.p[i], SIP_C_DIGIT)) {
			return (TD_EINVAL);
		}
		v = v * 10 + (uint64_t)(s.p[i] - '0');
		if (v > UINT32_MAX) {
			big = true;
			v = UINT32_MAX; /* keep scanning: a later non-digit is still EINVAL */
		}
	}
	if (big) {
		return (TD_ETOOBIG);
	}
	*out = (uint32_t)v;
	return (0);
}

size_t
sip_escaped_span(const char *p, size_t i, size_t n, unsigned cls)
{
	while (i < n) {
		if (p[i] == '%') {
			if (n - i < 3 || !sip_is(p[i + 1], SIP_C_HEX)
			    || !sip_is(p[i + 2], SIP_C_HEX)) {
				return ((size_t)-1);
			}
			i += 3;
		} else if (sip_is(p[i], cls)) {
			i++;
		} else {
			break;
		}
	}
	return (i);
}

size_t
sip_quoted(const char *p, size_t i, size_t n)
{
	size_t j = i + 1;
	while (j < n) {
		char c = p[j];
		if (c == '"') {
			return (j + 1);
		}
		if (c == '\\') {
			if (j + 1 >= n || p[j + 1] == '\r' || p[j + 1] == '\n') {
				return ((size_t)-1);
			}
			j += 2;
			continue;
		}
		j++;
	}
	return ((size_t)-1);
}

/* ipv4_ok: four dot-separated decimal octets, each 0-255. */
static bool
ipv4_ok(const char *p, size_t n)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= n || p[i] != '.') {
				return (false);
			}
			i++;
		}
		size_t j = sip_span(p, i, n, SIP_C_DIGIT);
		if (j == i || j - i > 3) {
			return (false);
		}
		unsigned v = 0;
		for (size_t k = i; k < j; k++) {
			v = v * 10 + (unsigned)(p[k] - '0');
		}
		if (v > 255) {
			return (false);
		}
		i = j;
	}
	return (i == n);
}

/*
 * hostname_ok: dot-separated labels of alphanum and '-' (not at either end
 * of a label), an optional final dot, and a last label starting with a
 * letter (RFC 3261 toplabel), which keeps "10.0.0.1a" out.  Lenient: '_'
 * is allowed in labels, as container and Windows host names use it.
 */
static bool
hostname_ok(const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '.') {
		n--;
	}
	if (n == 0) {
		return (false);
	}
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '.') {
			if (!sip_is(p[i], SIP_C_ALNUM) && p[i] != '-' && p[i] != '_') {
				return (false);
			}
			continue;
		}
		if (i == start || p[start] == '-' || p[i - 1] == '-') {
			return (false);
		}
		if (i == n && !((p[start] | 0x20) >= 'a' && (p[start] | 0x20) <= 'z')) {
			return (false);
		}
		start = i + 1;
	}
	return (true);
}

int
sip_hostport(const char *p, size_t n, size_t *i, bool lws, td_sip_str *host, bool *ipv6,
    uint16_t *port, bool *has_port)
{
	size_t j = *i;
	*ipv6 = false;
	*has_port = false;
	*port = 0;
	if (j < n && p[j] == '[') {
		size_t k = j + 1;
		while (k < n && (sip_is(p[k], SIP_C_HEX) || p[k] == ':' || p[k] == '.')) {
			k++;
		}
		size_t len = k - (j + 1);
		if (k >= n || p[k] != ']' || len == 0 || len >= INET6_ADDRSTRLEN) {
			return (TD_EPROTO);
		}
		char tmp[INET6_ADDRSTRLEN];
		struct in6_addr a;
		memcpy(tmp, p + j + 1, len);
		tmp[len] = '\0';
		if (inet_pton(AF_INET6, tmp, &a) != 1) {
			return (TD_EPROTO);
		}
		*host = (td_sip_str) { p + j + 1, len };
		*ipv6 = true;
		j = k + 1;
	} else {
		size_t k = sip_span(p, j, n, SIP_C_HOST);
		if (k == j) {
			return (TD_EPROTO);
		}
		const char *h = p + j;
		size_t hn = k - j;
		bool numeric = true;
		for (size_t x = 0; x < hn && numeric; x++) {
			numeric = sip_is(h[x], SIP_C_DIGIT) || h[x] == '.';
		}
		if (numeric ? !ipv4_ok(h, hn) : !hostname_ok(h, hn)) {
			return (TD_EPROTO);
		}
		*host = (td_sip_str) { h, hn };
		j = k;
	}
	size_t k = lws ? sip_skip_lws(p, j, n) : j;
	if (k < n && p[k] == ':') {
		k = lws ? sip_skip_lws(p, k + 1, n) : k + 1;
		size_t d = sip_span(p, k, n, SIP_C_DIGIT);
		if (d == k || d - k > 5) {
			return (TD_EPROTO);
		}
		uint32_t v = 0;
		for (size_t x = k; x < d; x++) {
			v = v * 10 + (uint32_t)(p[x] - '0');
		}
		if (v == 0 || v > 65535) {
			return (TD_EPROTO);
		}
		*port = (uint16_t)v;
		*has_port = true;
		j = d;
	}
	*i = j;
	return (0);
}

int
sip_gparam(const char *p, size_t n, size_t *i, td_sip_str *name, td_sip_str *value)
{
	size_t j = sip_span(p, *i, n, SIP_C_TOKEN);
	if (j == *i) {
		return (TD_EPROTO);
	}
	*name = (td_sip_str) { p + *i, j - *i };
	*value = TD_SIP_STR_NULL;
	size_t k = sip_skip_lws(p, j, n);
	if (k < n && p[k] == '=') {
		k = sip_skip_lws(p, k + 1, n);
		size_t e;
		if (k < n && p[k] == '"') {
			e = sip_quoted(p, k, n);
			if (e == (size_t)-1) {
				return (TD_EPROTO);
			}
		} else {
			e = sip_span(p, k, n, SIP_C_PVAL);
			if (e == k) {
				return (TD_EPROTO);
			}
		}
		*value = (td_sip_str) { p + k, e - k };
		j = e;
	}
	*i = j;
	return (0);
}
