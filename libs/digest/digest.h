/* SPDX-License-Identifier: MIT */
/*
 * HTTP Digest authentication for SIP (RFC 3261 §22, RFC 2617, RFC 7616,
 * RFC 8760): the registrar's 401/WWW-Authenticate and the proxy's
 * 407/Proxy-Authenticate, checked against HA1 hashes from voip.users.
 *
 * No I/O, no logging.  The only process-wide state is the set of OpenSSL
 * digests fetched once (pthread_once) by hash.c, which is read-only after
 * that and safe from any thread.  See docs/digest-auth.md for the nonce
 * format, the replay policy and what the router answers to each result.
 *
 * Typical use by the router, per request carrying credentials:
 *
 *	td_digest_creds c;
 *	if (td_digest_parse(hval, hlen, &c, &perr) != 0)        -> 400
 *	lookup HA1 for (c.username, realm, td_digest_alg_base(c.alg))
 *	switch (td_digest_verify(d, &c, method, mlen, realm, rlen, ha1, ha1len, td_wall_us()))
 *
 * and, to challenge, td_digest_challenge(d, &buf, TD_DIGEST_WWW, realm, ...).
 */
#ifndef TD_DIGEST_DIGEST_H
#define TD_DIGEST_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/err.h"

/* ----------------------------------------------------------------------------
 * Algorithms and limits
 */

typedef enum td_digest_alg {
	TD_DIGEST_ALG_UNKNOWN = 0, /* an algorithm= we do not know */
	TD_DIGEST_MD5, /* also the default when algorithm= is absent */
	TD_DIGEST_MD5_SESS,
	TD_DIGEST_SHA256,
	TD_DIGEST_SHA256_SESS,
	TD_DIGEST_SHA512_256, /* recognised, never computed (no HA1 stored for it) */
	TD_DIGEST_SHA512_256_SESS,
} td_digest_alg;

#define TD_DIGEST_ALG_BIT(a) (1u << (a))

typedef enum td_digest_qop {
	TD_DIGEST_QOP_NONE = 0, /* no qop: the RFC 2069 form */
	TD_DIGEST_QOP_AUTH,
	TD_DIGEST_QOP_AUTH_INT,
	TD_DIGEST_QOP_UNKNOWN,
} td_digest_qop;

#define TD_DIGEST_HASH_MAX 32 /* bytes of the longest digest (SHA-256) */
#define TD_DIGEST_HEX_MAX (2 * TD_DIGEST_HASH_MAX + 1) /* its lowercase hex plus NUL */
#define TD_DIGEST_MAX_HEADER 4096 /* longest credentials value accepted */
#define TD_DIGEST_MAX_VALUE 1024 /* longest single parameter value */
#define TD_DIGEST_SECRET_LEN 32 /* the nonce HMAC key */
#define TD_DIGEST_NONCE_LEN 72 /* characters in a nonce we issue */

/*
 * td_digest_alg_name: "MD5", "SHA-256", "MD5-sess", ... (static), or "unknown".
 * td_digest_alg_base: the algorithm without -sess (its HA1 is the stored one).
 * td_digest_alg_hashlen: digest bytes (16 or 32), or 0 if we cannot compute it.
 * All three are pure and thread-safe.
 */
const char *td_digest_alg_name(td_digest_alg a);
td_digest_alg td_digest_alg_base(td_digest_alg a);
size_t td_digest_alg_hashlen(td_digest_alg a);

/* ----------------------------------------------------------------------------
 * Parsing the Authorization / Proxy-Authorization value (parse.c)
 */

/*
 * A parameter value: a slice of the parsed input, without the surrounding
 * quotes.  If escaped is true it still contains quoted-pairs ("\x") and
 * must be read through td_digest_val_copy / td_digest_val_eq; otherwise the
 * bytes are the value.  ptr is NULL when the parameter was absent.
 */
typedef struct td_digest_val {
	const char *ptr;
	size_t len;
	bool escaped;
} td_digest_val;

typedef struct td_digest_creds {
	td_digest_val username, realm, nonce, uri, response, cnonce, opaque;
	td_digest_val algorithm; /* raw text; see alg */
	td_digest_val qop_raw; /* raw text; see qop (hashed as sent) */
	td_digest_val nc_raw; /* the 8 hex digits as sent (hashed as sent) */
	td_digest_alg alg; /* TD_DIGEST_MD5 when algorithm= is absent */
	td_digest_qop qop; /* TD_DIGEST_QOP_NONE when qop= is absent */
	uint32_t nc; /* nc as a number (>= 1); 0 when absent */
	bool userhash; /* userhash=true (RFC 7616); not supported by verify */
} td_digest_creds;

/* Why a parse failed; stable names for logs and metrics via td_digest_perr_name. */
typedef enum td_digest_perr_code {
	TD_DIGEST_PERR_NONE = 0,
	TD_DIGEST_PERR_SCHEME, /* not "Digest" followed by whitespace */
	TD_DIGEST_PERR_SYNTAX, /* not name=value pairs separated by commas */
	TD_DIGEST_PERR_QUOTE, /* unterminated quoted-string, control byte, bad escape */
	TD_DIGEST_PERR_TOOLONG, /* the value or one parameter is over its limit */
	TD_DIGEST_PERR_DUPLICATE, /* a known parameter appears twice */
	TD_DIGEST_PERR_MISSING, /* a required parameter is absent */
	TD_DIGEST_PERR_VALUE, /* nc not 8 hex digits or zero, empty qop, bad userhash */
} td_digest_perr_code;

typedef struct td_digest_perr {
	td_digest_perr_code code;
	size_t off; /* byte offset in the input where it went wrong */
} td_digest_perr;

/*
 * td_digest_parse parses a credentials header value ("Digest username=...,
 * ..."), buf[0..len) (need not be NUL-terminated).  Parameter names are
 * case-insensitive; values may be tokens or quoted-strings; whitespace (and
 * CRLF folding) may surround '=' and ','; empty list elements are skipped;
 * unknown parameters are ignored; a known parameter given twice is an error.
 * Required: username, realm, nonce, uri, response, and cnonce and nc when
 * qop is present.
 *
 * Returns 0 and fills *out, whose slices point into buf (valid as long as
 * buf is); TD_ETOOBIG if len > TD_DIGEST_MAX_HEADER or a value is over
 * TD_DIGEST_MAX_VALUE; TD_EINVAL for anything else malformed.  On failure
 * *out is unspecified and, if err is not NULL, err says why and where.
 * Pure: no allocation, no globals; any thread.
 */
int td_digest_parse(
    const char *buf, size_t len, td_digest_creds *out, td_digest_perr *err) TD_MUSTCHECK;

/* td_digest_perr_name: a stable lower-case name ("duplicate", ...) for logs and metrics. */
const char *td_digest_perr_name(td_digest_perr_code code);

/*
 * td_digest_val_copy writes v's value, unescaped and NUL-terminated, into
 * dst[cap] and its length (without the NUL) into *outlen.  TD_ETOOBIG if it
 * does not fit (dst is then an empty string); TD_ENOTFOUND if v is absent.
 */
int td_digest_val_copy(const td_digest_val *v, char *dst, size_t cap, size_t *outlen) TD_MUSTCHECK;

/* td_digest_val_eq: v is present and its unescaped value is exactly s[0..n). */
bool td_digest_val_eq(const td_digest_val *v, const char *s, size_t n);

/* ----------------------------------------------------------------------------
 * Hashes (hash.c): HA1, and the response a client must send
 */

/*
 * td_digest_ha1 computes HA1 = H(username ":" realm ":" password) for the
 * base algorithm of a (what voip.users stores) as lowercase hex into
 * hex[TD_DIGEST_HEX_MAX].  For tests and provisioning tools; the router never
 * sees passwords.  TD_EINVAL if a cannot be computed.  Any thread.
 */
int td_digest_ha1(td_digest_alg a, const char *user, size_t ulen, const char *realm, size_t rlen,
    const char *pass, size_t plen, char hex[TD_DIGEST_HEX_MAX]) TD_MUSTCHECK;

/*
 * td_digest_expected computes the response that credentials c must carry
 * for request method[0..mlen), given ha1hex[0..ha1len), the stored HA1 of
 * td_digest_alg_base(c->alg) in hex (either case):
 *   qop=auth:  H(HA1 ":" nonce ":" nc ":" cnonce ":" qop ":" H(method ":" uri))
 *   no qop:    H(HA1 ":" nonce ":" H(method ":" uri))           (RFC 2069)
 * and for -sess algorithms HA1 is first replaced by H(HA1 ":" nonce ":" cnonce).
 * Writes the digest bytes to out[TD_DIGEST_HASH_MAX] and their number to
 * *outlen.  TD_EINVAL if the algorithm cannot be computed, qop is auth-int or
 * unknown, or ha1hex is not the right length of hex.  It checks nothing
 * else (nonce, realm, policy): that is td_digest_verify's job.  Any thread.
 */
int td_digest_expected(const td_digest_creds *c, const char *method, size_t mlen,
    const char *ha1hex, size_t ha1len, uint8_t out[TD_DIGEST_HASH_MAX],
    size_t *outlen) TD_MUSTCHECK;

/* ----------------------------------------------------------------------------
 * The server context: secret, policy, nonces and the replay tracker
 */

typedef struct td_digest_cfg {
	const uint8_t *secret; /* TD_DIGEST_SECRET_LEN bytes, the same on both nodes; copied */
	const uint8_t *prev_secret; /* NULL, or the previous secret while rotating; copied */
	int lifetime_s; /* nonce lifetime; 0 = 300 s; 1..86400 */
	int skew_s; /* clock difference tolerated between nodes; 0 = 5 s */
	unsigned algs; /* TD_DIGEST_ALG_BIT of MD5 and/or SHA256; 0 = both */
	size_t replay_slots; /* nonces the replay tracker remembers; 0 = 65536 */
	uint8_t node_id; /* written into each nonce */
	bool strict_node; /* answer nonces issued by another node_id as stale */
	bool allow_rfc2069; /* accept credentials without qop (single use) */
} td_digest_cfg;

typedef struct td_digest td_digest;

/*
 * td_digest_new creates a context from cfg (which it copies, secrets
 * included) at wall time now_us.  Nonces issued before now_us (by any node)
 * are answered stale on first use, so a restarted or newly promoted node
 * never accepts a replay it cannot know about.  Calls sodium_init().
 * TD_EINVAL for a missing secret or a value out of range.  The context is
 * immutable except for its internally locked replay tracker: share one per
 * process between all threads.  Free with td_digest_free (after all users).
 */
int td_digest_new(const td_digest_cfg *cfg, int64_t now_us, td_digest **out) TD_MUSTCHECK;
void td_digest_free(td_digest *d);

/*
 * td_digest_secret_parse decodes a secret from configuration: exactly 64
 * hex digits (`openssl rand -hex 32`).  TD_EINVAL otherwise.
 */
int td_digest_secret_parse(const char *text, uint8_t out[TD_DIGEST_SECRET_LEN]) TD_MUSTCHECK;

/* ----------------------------------------------------------------------------
 * Nonces (nonce.c)
 */

/*
 * td_digest_nonce_make writes a fresh nonce for realm, issued at now_us, as
 * TD_DIGEST_NONCE_LEN base64url characters plus NUL into out.  Stateless;
 * any thread.
 */
void td_digest_nonce_make(const td_digest *d, const char *realm, size_t rlen, int64_t now_us,
    char out[TD_DIGEST_NONCE_LEN + 1]);

typedef enum td_digest_nonce_status {
	TD_DIGEST_NONCE_OK = 0,
	TD_DIGEST_NONCE_STALE, /* ours, but expired, from the future, or (strict_node) the peer's */
	TD_DIGEST_NONCE_INVALID, /* not a nonce we issued for this realm with a known secret */
} td_digest_nonce_status;

typedef struct td_digest_nonce_info {
	int64_t issued_us; /* wall time at issue, by the issuing node's clock */
	uint64_t id; /* unforgeable identity (from the MAC), keys the replay tracker */
	uint8_t node_id; /* the issuing node */
} td_digest_nonce_info;

/*
 * td_digest_nonce_check authenticates nonce[0..nlen) for realm and checks
 * its age at now_us.  Fills *info when the result is OK or STALE.  Does not
 * touch the replay tracker.  Stateless; any thread.
 */
td_digest_nonce_status td_digest_nonce_check(const td_digest *d, const char *nonce, size_t nlen,
    const char *realm, size_t rlen, int64_t now_us, td_digest_nonce_info *info);

/* ----------------------------------------------------------------------------
 * Replay tracker (replay.c): the highest nc seen per nonce, plus a window
 */

typedef enum td_digest_replay_status {
	TD_DIGEST_REPLAY_OK = 0, /* (nonce, nc) never accepted before: recorded now */
	TD_DIGEST_REPLAY_SEEN, /* accepted before, or older than the 64-wide window */
	TD_DIGEST_REPLAY_UNKNOWN, /* the tracker cannot vouch (evicted, or issued before start) */
} td_digest_replay_status;

typedef struct td_digest_replay td_digest_replay;

typedef struct td_digest_replay_stats {
	uint64_t entries; /* nonces currently remembered */
	uint64_t capacity; /* slots */
	uint64_t evictions; /* live entries dropped for room (each raises a watermark) */
	uint64_t unknown; /* checks answered UNKNOWN */
	uint64_t seen; /* checks answered SEEN */
} td_digest_replay_stats;

/*
 * td_digest_replay_new makes a tracker of about slots entries (rounded up
 * to a power of two, at least 64) for nonces living lifetime_us, created at
 * now_us (nonces issued at or before that are UNKNOWN).  Never fails except
 * on a bad argument (TD_EINVAL); allocation failure aborts.  Thread-safe;
 * free with td_digest_replay_free when no thread uses it.
 */
int td_digest_replay_new(
    size_t slots, int64_t lifetime_us, int64_t now_us, td_digest_replay **out) TD_MUSTCHECK;
void td_digest_replay_free(td_digest_replay *r);

/*
 * td_digest_replay_check atomically checks and records (id, nc) for a nonce
 * issued at issued_us: OK the first time a given nc is presented (nc above
 * the highest seen, or within 64 below it and not seen), SEEN otherwise
 * (nc 0 is always SEEN), UNKNOWN if the nonce is not remembered and might
 * have been (see docs/digest-auth.md).  Of several threads presenting the
 * same (id, nc) exactly one gets OK.  Any thread.
 */
td_digest_replay_status td_digest_replay_check(
    td_digest_replay *r, uint64_t id, int64_t issued_us, uint32_t nc, int64_t now_us);

/* td_digest_replay_get_stats: a consistent-enough snapshot (counters are relaxed atomics). */
void td_digest_replay_get_stats(td_digest_replay *r, td_digest_replay_stats *st);

/* td_digest_tracker: the context's tracker, e.g. for stats.  Owned by d. */
td_digest_replay *td_digest_tracker(td_digest *d);

/* ----------------------------------------------------------------------------
 * Verification (verify.c) and challenges (challenge.c)
 */

/*
 * What td_digest_verify decided; the comment is what the router answers
 * (docs/digest-auth.md).  STALE, REPLAY and BAD_NONCE are only ever said
 * to a client whose response was right.
 */
typedef enum td_digest_result {
	TD_DIGEST_OK = 0, /* authenticated: 200 to REGISTER, route the call */
	TD_DIGEST_STALE, /* right password, nonce expired/unknown here: 401/407 stale=true */
	TD_DIGEST_REPLAY, /* right password, (nonce, nc) used before: 401/407 stale=true */
	TD_DIGEST_BAD_NONCE, /* right password, nonce not ours (forged, old secret): 401/407
	                        stale=true */
	TD_DIGEST_WRONG_REALM, /* realm= is not the realm asked: 401/407 fresh challenge */
	TD_DIGEST_UNSUPPORTED, /* algorithm/qop/form not offered: 401/407 fresh challenge */
	TD_DIGEST_FAILED, /* wrong response (password, user, uri, method), no HA1: 403 */
} td_digest_result;

/* td_digest_result_name: a stable lower-case name ("stale", ...) for logs and metrics. */
const char *td_digest_result_name(td_digest_result r);

/*
 * td_digest_verify decides on parsed credentials c for a request with
 * method[0..mlen) in realm[0..rlen), given the HA1 (hex, either case) that
 * voip.users stores for (c->username, realm, td_digest_alg_base(c->alg)), or
 * NULL if there is none (unknown user, or no HA1 for that algorithm: the
 * same hashing is done against a dummy, then FAILED).  In order: policy
 * (algorithm offered, qop=auth or allowed RFC 2069, no userhash), realm,
 * response (constant-time), nonce authenticity, nonce age, then the replay
 * tracker, which is updated only when everything else passed.  c->uri is what was hashed; checking
 * that it matches the Request-URI is the router's business.  Any thread.
 */
td_digest_result td_digest_verify(td_digest *d, const td_digest_creds *c, const char *method,
    size_t mlen, const char *realm, size_t rlen, const char *ha1hex, size_t ha1len, int64_t now_us);

typedef enum td_digest_hdr {
	TD_DIGEST_WWW = 0, /* 401 WWW-Authenticate (registrar) */
	TD_DIGEST_PROXY, /* 407 Proxy-Authenticate (proxy) */
} td_digest_hdr;

/*
 * td_digest_challenge appends to b one header line ("WWW-Authenticate: " or
 * "Proxy-Authenticate: ", value, CRLF) per offered algorithm, SHA-256 first
 * (RFC 8760), all sharing one fresh nonce issued at now_us.  Each value is
 * `Digest realm="..", nonce="..", [opaque="..", ]algorithm=X, qop="auth"[, stale=true]`.
 * opaque may be NULL.  TD_EINVAL (nothing appended) if realm or opaque
 * contains a control character; otherwise 0, and allocation or size-limit
 * failures are left in b's sticky flag for the caller's one td_buf_failed()
 * check.  b belongs to the caller; any thread.
 */
int td_digest_challenge(const td_digest *d, td_buf *b, td_digest_hdr kind, const char *realm,
    size_t rlen, const char *opaque, bool stale, int64_t now_us) TD_MUSTCHECK;

/*
 * td_digest_challenge_value appends only the value of one challenge for alg
 * with the given nonce (no header name, no CRLF).  Same errors as above.
 */
int td_digest_challenge_value(td_buf *b, td_digest_alg alg, const char *realm, size_t rlen,
    const char *nonce, const char *opaque, bool stale) TD_MUSTCHECK;

#endif
