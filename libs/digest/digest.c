/* SPDX-License-Identifier: MIT */
/* The td_digest context: configuration, secrets, the tracker it owns, and result names. */
#include <stdlib.h>
#include <string.h>

#include "digest/ctx.h"
#include "util/mem.h"

#define DEFAULT_LIFETIME_S 300
#define DEFAULT_SKEW_S 5
#define DEFAULT_SLOTS 65536

int
td_digest_new(const td_digest_cfg *cfg, int64_t now_us, td_digest **out)
{
	unsigned supported = TD_DIGEST_ALG_BIT(TD_DIGEST_MD5) | TD_DIGEST_ALG_BIT(TD_DIGEST_SHA256);
	int lifetime = cfg->lifetime_s != 0 ? cfg->lifetime_s : DEFAULT_LIFETIME_S;
	int skew = cfg->skew_s != 0 ? cfg->skew_s : DEFAULT_SKEW_S;
	unsigned algs = cfg->algs != 0 ? cfg->algs : supported;

	*out = NULL;
	if (cfg->secret == NULL || lifetime < 1 || lifetime > 86400 || skew < 1 || skew > 3600
	    || (algs & ~supported) != 0) {
		return (TD_EINVAL);
	}
	if (sodium_init() < 0) {
		return (TD_EIO);
	}
	td_digest *d = TD_NEW(td_digest);
	crypto_auth_hmacsha256_init(&d->mac, cfg->secret, TD_DIGEST_SECRET_LEN);
	if (cfg->prev_secret != NULL) {
		crypto_auth_hmacsha256_init(&d->prev_mac, cfg->prev_secret, TD_DIGEST_SECRET_LEN);
		d->has_prev = true;
	}
	d->lifetime_us = (int64_t)lifetime * 1000000;
	d->skew_us = (int64_t)skew * 1000000;
	d->algs = algs;
	d->node_id = cfg->node_id;
	d->strict_node = cfg->strict_node;
	d->allow_rfc2069 = cfg->allow_rfc2069;
	int rc = td_digest_replay_new(cfg->replay_slots != 0 ? cfg->replay_slots : DEFAULT_SLOTS,
	    d->lifetime_us, now_us, &d->replay);
	if (rc != 0) {
		td_digest_free(d);
		return (rc);
	}
	*out = d;
	return (0);
}

void
td_digest_free(td_digest *d)
{
	if (d == NULL) {
		return;
	}
	td_digest_replay_free(d->replay);
	sodium_memzero(d, sizeof(*d)); /* the keyed HMAC states are as good as the secret */
	free(d);
}

td_digest_replay *
td_digest_tracker(td_digest *d)
{
	return (d->replay);
}

int
td_digest_secret_parse(const char *text, uint8_t out[TD_DIGEST_SECRET_LEN])
{
	size_t n = 0;
	const char *end = NULL;
	if (text == NULL || strlen(text) != 2 * TD_DIGEST_SECRET_LEN
	    || sodium_hex2bin(out, TD_DIGEST_SECRET_LEN, text, strlen(text), NULL, &n, &end) != 0
	    || n != TD_DIGEST_SECRET_LEN || *end != '\0') {
		return (TD_EINVAL);
	}
	return (0);
}

const char *
td_digest_result_name(td_digest_result r)
{
	switch (r) {
	case TD_DIGEST_OK: return "ok";
	case TD_DIGEST_STALE: return "stale";
	case TD_DIGEST_REPLAY: return "replay";
	case TD_DIGEST_BAD_NONCE: return "bad_nonce";
	case TD_DIGEST_WRONG_REALM: return "wrong_realm";
	case TD_DIGEST_UNSUPPORTED: return "unsupported";
	case TD_DIGEST_FAILED: return "failed";
	}
	return ("unknown");
}
