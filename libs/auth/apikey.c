/* SPDX-License-Identifier: MIT */
/* API key generation, parsing, hashing, and permission names (see apikey.h). */
#include "auth/apikey.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	td_perms bit;
} perms[] = {
    {"cdr:read", TD_PERM_CDR_READ},
    {"directory:read", TD_PERM_DIRECTORY_READ},
    {"recordings:read", TD_PERM_RECORDINGS_READ},
    {"metrics:read", TD_PERM_METRICS_READ},
    {"admin", TD_PERM_ADMIN},
};

const char *const td_perm_names[] = {"cdr:read", "directory:read", "recordings:read",
    "metrics:read", "admin", NULL};

void
td_apikey_generate(char key[TD_APIKEY_LEN + 1], char id[TD_APIKEY_ID_LEN + 1])
{
	unsigned char idb[TD_APIKEY_ID_LEN / 2], sec[32];
	randombytes_buf(idb, sizeof(idb));
	randombytes_buf(sec, sizeof(sec));
	sodium_bin2hex(id, TD_APIKEY_ID_LEN + 1, idb, sizeof(idb));
	char sec64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	sodium_bin2base64(sec64, sizeof(sec64), sec, sizeof(sec),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(key, TD_APIKEY_LEN + 1, "tdk_%s_%s", id, sec64);
	sodium_memzero(sec, sizeof(sec));
	sodium_memzero(sec64, sizeof(sec64));
}

int
td_apikey_parse(const char *key, char id[TD_APIKEY_ID_LEN + 1], const char **secret)
{
	if (key == NULL || strlen(key) != TD_APIKEY_LEN || strncmp(key, "tdk_", 4) != 0 ||
	    key[4 + TD_APIKEY_ID_LEN] != '_') {
		return (TD_EINVAL);
	}
	for (int i = 0; i < TD_APIKEY_ID_LEN; i++) {
		char c = key[4 + i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
			return (TD_EINVAL);
		}
	}
	const char *s = key + 4 + TD_APIKEY_ID_LEN + 1;
	for (int i = 0; i < TD_APIKEY_SECRET_CHARS; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(isalnum(c) || c == '-' || c == '_')) {
			return (TD_EINVAL);
		}
	}
	memcpy(id, key + 4, TD_APIKEY_ID_LEN);
	id[TD_APIKEY_ID_LEN] = '\0';
	*secret = s;
	return (TD_OK);
}

void
td_apikey_hash(const char *secret, const char *pepper, uint8_t out[TD_APIKEY_HASH_LEN])
{
	size_t plen = pepper ? strlen(pepper) : 0;
	/* generichash keys are 16..64 bytes: hash longer/shorter peppers into one. */
	unsigned char k[crypto_generichash_KEYBYTES];
	if (plen > 0) {
		crypto_generichash(k, sizeof(k), (const unsigned char *)pepper, plen, NULL, 0);
	}
	crypto_generichash(out, TD_APIKEY_HASH_LEN, (const unsigned char *)secret, strlen(secret),
	    plen > 0 ? k : NULL, plen > 0 ? sizeof(k) : 0);
	sodium_memzero(k, sizeof(k));
}

bool
td_apikey_verify(const char *secret, const char *pepper, const uint8_t *hash, size_t hlen)
{
	uint8_t h[TD_APIKEY_HASH_LEN];
	if (hlen != TD_APIKEY_HASH_LEN) {
		return (false);
	}
	td_apikey_hash(secret, pepper, h);
	return (sodium_memcmp(h, hash, TD_APIKEY_HASH_LEN) == 0);
}

int
td_perm_parse(const char *name, td_perms *out)
{
	for (size_t i = 0; i < TD_ARRAY_LEN(perms); i++) {
		if (strcmp(name, perms[i].name) == 0) {
			*out = perms[i].bit;
			return (TD_OK);
		}
	}
	return (TD_EINVAL);
}

int
td_perm_parse_list(const char *list, td_perms *out, char *bad, size_t badlen)
{
	*out = 0;
	const char *p = list;
	while (*p) {
		while (*p == ' ' || *p == ',') {
			p++;
		}
		if (*p == '\0') {
			break;
		}
		size_t n = strcspn(p, ", ");
		char name[64];
		if (n >= sizeof(name)) {
			snprintf(bad, badlen, "%.*s", (int)(n > 60 ? 60 : n), p);
			return (TD_EINVAL);
		}
		memcpy(name, p, n);
		name[n] = '\0';
		td_perms bit;
		if (td_perm_parse(name, &bit) != 0) {
			snprintf(bad, badlen, "%s", name);
			return (TD_EINVAL);
		}
		*out |= bit;
		p += n;
	}
	if (*out == 0) {
		snprintf(bad, badlen, "(none given)");
		return (TD_EINVAL);
	}
	return (TD_OK);
}

const char *
td_perm_name(td_perms bit)
{
	for (size_t i = 0; i < TD_ARRAY_LEN(perms); i++) {
		if (perms[i].bit == bit) {
			return (perms[i].name);
		}
	}
	return (NULL);
}
