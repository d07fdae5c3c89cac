/* SPDX-License-Identifier: MIT */
/* Unit tests: API key format, hashing, permissions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <sodium.h>

#include "auth/apikey.h"

static void
test_generate_parse_roundtrip(void **state)
{
	(void)state;
	char key[TD_APIKEY_LEN + 1], id[TD_APIKEY_ID_LEN + 1], id2[TD_APIKEY_ID_LEN + 1];
	const char *secret;
	td_apikey_generate(key, id);
	assert_int_equal(strlen(key), TD_APIKEY_LEN);
	assert_memory_equal(key, "tdk_", 4);
	assert_int_equal(td_apikey_parse(key, id2, &secret), 0);
	assert_string_equal(id, id2);
	assert_ptr_equal(secret, key + 4 + TD_APIKEY_ID_LEN + 1);
	/* Two keys differ. */
	char key2[TD_APIKEY_LEN + 1];
	td_apikey_generate(key2, id2);
	assert_string_not_equal(key, key2);
}

static void
test_parse_rejects(void **state)
{
	(void)state;
	char id[TD_APIKEY_ID_LEN + 1];
	const char *secret;
	const char *bad[] = {
	    "", "tdk_", "Bearer tdk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "tdk_0123456789AB_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* upper hex */
	    "tdk_0123456789ab-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* separator */
	    "tdk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",  /* short */
	    "tdk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=A", /* bad char */
	    "xyz_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(td_apikey_parse(bad[i], id, &secret), TD_EINVAL);
	}
	assert_int_equal(td_apikey_parse(NULL, id, &secret), TD_EINVAL);
	assert_int_equal(
	    td_apikey_parse("tdk_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", id, &secret),
	    0);
	assert_string_equal(id, "0123456789ab");
}

static void
test_hash_verify_pepper(void **state)
{
	(void)state;
	uint8_t h[TD_APIKEY_HASH_LEN], h2[TD_APIKEY_HASH_LEN];
	td_apikey_hash("secret-one", "", h);
	td_apikey_hash("secret-one", "pepper", h2);
	assert_memory_not_equal(h, h2, sizeof(h));
	assert_true(td_apikey_verify("secret-one", "", h, sizeof(h)));
	assert_false(td_apikey_verify("secret-two", "", h, sizeof(h)));
	assert_false(td_apikey_verify("secret-one", "pepper", h, sizeof(h)));
	assert_true(td_apikey_verify("secret-one", "pepper", h2, sizeof(h2)));
	assert_false(td_apikey_verify("secret-one", "", h, sizeof(h) - 1));
	/* Known answer: BLAKE2b-256("abc") unkeyed. */
	static const uint8_t abc[32] = {0xbd, 0xdd, 0x81, 0x3c, 0x63, 0x42, 0x39, 0x72, 0x31,
	    0x71, 0xef, 0x3f, 0xee, 0x98, 0x57, 0x9b, 0x94, 0x96, 0x4e, 0x3b, 0xb1, 0xcb, 0x3e,
	    0x42, 0x72, 0x62, 0xc8, 0xc0, 0x68, 0xd5, 0x23, 0x19};
	td_apikey_hash("abc", NULL, h);
	assert_memory_equal(h, abc, 32);
}

static void
test_permissions(void **state)
{
	(void)state;
	td_perms p;
	char bad[64];
	assert_int_equal(td_perm_parse_list("cdr:read, directory:read", &p, bad, sizeof(bad)), 0);
	assert_int_equal(p, TD_PERM_CDR_READ | TD_PERM_DIRECTORY_READ);
	assert_true(td_perm_allows(p, TD_PERM_CDR_READ));
	assert_false(td_perm_allows(p, TD_PERM_RECORDINGS_READ));
	assert_int_equal(td_perm_parse_list("admin", &p, bad, sizeof(bad)), 0);
	assert_true(td_perm_allows(p, TD_PERM_RECORDINGS_READ | TD_PERM_CDR_READ));
	assert_int_equal(td_perm_parse_list("cdr:read,cdr:write", &p, bad, sizeof(bad)), TD_EINVAL);
	assert_string_equal(bad, "cdr:write");
	assert_int_equal(td_perm_parse_list(" , ", &p, bad, sizeof(bad)), TD_EINVAL);
	for (int i = 0; td_perm_names[i] != NULL; i++) {
		assert_int_equal(td_perm_parse(td_perm_names[i], &p), 0);
		assert_string_equal(td_perm_name(p), td_perm_names[i]);
	}
}

static int
setup(void **state)
{
	(void)state;
	return (sodium_init() < 0 ? -1 : 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generate_parse_roundtrip),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_hash_verify_pepper),
	    cmocka_unit_test(test_permissions),
	};
	return (cmocka_run_group_tests(tests, setup, NULL));
}
