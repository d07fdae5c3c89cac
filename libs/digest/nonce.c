/* SPDX-License-Identifier: MIT */
/*
 * Stateless nonces: anyone holding the shared secret can check that a
 * nonce was issued by a tandem node for this realm, and when.
 *
 *   raw   = version (1, = 1) || node_id (1) || issued_us (8, big-endian)
 *           || random (12) || HMAC-SHA-256(secret, first 22 bytes || realm) (32)
 *   nonce = base64url(raw) without padding: 72 characters, no quoting needed
 *
 * The HMAC key schedule is done once per context (ctx.h); each call copies
 * the keyed state.  A second, previous secret is accepted on input so that
 * the secret can be rotated without rejecting nonces in flight.
 */
#include <string.h>

#include "digest/ctx.h"

#define VERSION 1
#define RAW_LEN 54
#define SIGNED_LEN 22
#define OFF_NODE 1
#define OFF_TIME 2
#define OFF_RAND 10
#define OFF_MAC SIGNED_LEN

static void
mac(const crypto_auth_hmacsha256_state *key, const uint8_t *raw, const char *realm, size_t rlen,
    uint8_t out[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st = *key;
	crypto_auth_hmacsha256_update(&st, raw, SIGNED_LEN);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)realm, rlen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

void
td_digest_nonce_make(const td_digest *d, const char *realm, size_t rlen, int64_t now_us,
    char out[TD_DIGEST_NONCE_LEN + 1])
{
	uint8_t raw[RAW_LEN];
	uint64_t t = (uint64_t)now_us;

	raw[0] = VERSION;
	raw[OFF_NODE] = d->node_id;
	for (int k = 0; k < 8; k++) {
		raw[OFF_TIME + k] = (uint8_t)(t >> (56 - 8 * k));
	}
	randombytes_buf(raw + OFF_RAND, SIGNED_LEN - OFF_RAND);
	mac(&d->mac, raw, realm, rlen, raw + OFF_MAC);
	sodium_bin2base64(
	    out, TD_DIGEST_NONCE_LEN + 1, raw, RAW_LEN, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

td_digest_nonce_status
td_digest_nonce_check(const td_digest *d, const char *nonce, size_t nlen, const char *realm,
    size_t rlen, int64_t now_us, td_digest_nonce_info *info)
{
	uint8_t raw[RAW_LEN], want[crypto_auth_hmacsha256_BYTES];
	size_t n = 0;
	const char *end = NULL;

	if (nonce == NULL || nlen != TD_DIGEST_NONCE_LEN
	    || sodium_base642bin(raw, sizeof(raw), nonce, nlen, NULL, &n, &end,
	           sodium_base64_VARIANT_URLSAFE_NO_PADDING)
	        != 0
	    || n != RAW_LEN || end != nonce + nlen || raw[0] != VERSION) {
		return (TD_DIGEST_NONCE_INVALID);
	}
	mac(&d->mac, raw, realm, rlen, want);
	if (crypto_verify_32(want, raw + OFF_MAC) != 0) {
		if (!d->has_prev) {
			return (TD_DIGEST_NONCE_INVALID);
		}
		mac(&d->prev_mac, raw, realm, rlen, want);
		if (crypto_verify_32(want, raw + OFF_MAC) != 0) {
			return (TD_DIGEST_NONCE_INVALID);
		}
	}

	uint64_t t = 0;
	for (int k = 0; k < 8; k++) {
		t = (t << 8) | raw[OFF_TIME + k];
	}
	if (t > (uint64_t)INT64_MAX / 2) {
		return (TD_DIGEST_NONCE_INVALID); /* we never issue these (now_us < 0 at issue) */
	}
	info->issued_us = (int64_t)t;
	memcpy(&info->id, raw + OFF_MAC, sizeof(info->id));
	info->node_id = raw[OFF_NODE];

	if (info->issued_us > now_us + d->skew_us || now_us - info->issued_us > d->lifetime_us) {
		return (TD_DIGEST_NONCE_STALE);
	}
	if (d->strict_node && info->node_id != d->node_id) {
		return (TD_DIGEST_NONCE_STALE);
	}
	return (TD_DIGEST_NONCE_OK);
}
