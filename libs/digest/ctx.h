/* SPDX-License-Identifier: MIT */
/*
 * The td_digest context's layout.  Internal to libs/digest: other code
 * uses the opaque type from digest.h.
 */
#ifndef TD_DIGEST_CTX_H
#define TD_DIGEST_CTX_H

#include <sodium.h>

#include "digest/digest.h"

struct td_digest {
	crypto_auth_hmacsha256_state mac; /* keyed with the secret: copy, then use */
	crypto_auth_hmacsha256_state prev_mac; /* keyed with prev_secret, if has_prev */
	bool has_prev;
	int64_t lifetime_us;
	int64_t skew_us;
	unsigned algs; /* TD_DIGEST_ALG_BIT set of offered (and accepted) algorithms */
	uint8_t node_id;
	bool strict_node;
	bool allow_rfc2069;
	td_digest_replay *replay; /* owned */
};

#endif
