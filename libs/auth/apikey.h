/* SPDX-License-Identifier: MIT */
/*
 * API keys and permissions.
 *
 * A key is "tdk_" + 12 hex characters (its public id, stored in clear so a
 * key can be found and revoked) + "_" + 43 characters of base64url (32
 * random bytes: the secret).  Only BLAKE2b-256(secret), keyed with an
 * optional server-side pepper, is stored.  Keys are high-entropy random
 * tokens, so a fast hash is the right tool here (a password hash such as
 * Argon2 would cost ~100 ms per request for no gain).
 *
 * Permissions are "resource:action" names; "admin" allows everything.
 */
#ifndef TD_AUTH_APIKEY_H
#define TD_AUTH_APIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define TD_APIKEY_ID_LEN 12
#define TD_APIKEY_SECRET_CHARS 43
#define TD_APIKEY_LEN (4 + TD_APIKEY_ID_LEN + 1 + TD_APIKEY_SECRET_CHARS)
#define TD_APIKEY_HASH_LEN 32

/* td_apikey_generate writes a new key (TD_APIKEY_LEN + 1 bytes) and its id. */
void td_apikey_generate(char key[TD_APIKEY_LEN + 1], char id[TD_APIKEY_ID_LEN + 1]);

/*
 * td_apikey_parse checks the shape of key and copies its id; *secret points
 * into key.  TD_EINVAL if it is not a tandem API key.
 */
int td_apikey_parse(const char *key, char id[TD_APIKEY_ID_LEN + 1], const char **secret)
    TD_MUSTCHECK;

/* td_apikey_hash: BLAKE2b-256 of the secret, keyed with pepper (may be empty). */
void td_apikey_hash(const char *secret, const char *pepper, uint8_t out[TD_APIKEY_HASH_LEN]);

/* td_apikey_verify compares in constant time. */
bool td_apikey_verify(const char *secret, const char *pepper, const uint8_t *hash, size_t hlen);

typedef uint32_t td_perms;

#define TD_PERM_CDR_READ 0x1u
#define TD_PERM_DIRECTORY_READ 0x2u
#define TD_PERM_RECORDINGS_READ 0x4u
#define TD_PERM_METRICS_READ 0x8u
#define TD_PERM_ADMIN 0x80000000u

/* td_perm_parse: "cdr:read" -> TD_PERM_CDR_READ.  TD_EINVAL if unknown. */
int td_perm_parse(const char *name, td_perms *out) TD_MUSTCHECK;
/* td_perm_parse_list: "cdr:read,admin" (commas, optional spaces). */
int td_perm_parse_list(const char *list, td_perms *out, char *bad, size_t badlen) TD_MUSTCHECK;
/* td_perm_name: the name of one permission bit, or NULL. */
const char *td_perm_name(td_perms bit);
/* td_perm_allows: have grants need (admin grants everything). */
static inline bool
td_perm_allows(td_perms have, td_perms need)
{
	return ((have & TD_PERM_ADMIN) != 0 || (have & need) == need);
}
/* td_perm_names: NULL-terminated list of every known permission name. */
extern const char *const td_perm_names[];

#endif
