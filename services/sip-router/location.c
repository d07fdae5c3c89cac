/* SPDX-License-Identifier: MIT */
/*
 * The location service (see location.h and docs/location-service.md).
 *
 * Threads and connections:
 *   - loc_apply hands a prepared update (its EVALSHA argv, packed on the
 *     caller's thread) to the writer thread, which pipelines every pending
 *     update (at most group_max) on its own connection in one round trip and
 *     completes each from its own reply.
 *   - loc_lookup, loc_expire_tick and loc_list borrow a connection from a
 *     small pool (at most POOL_MAX, created on demand): concurrent callers
 *     never queue behind one socket, and connections are not tied to
 *     threads that the router may start and stop.
 *   - a shared gate (backoff) makes lookups fail fast with TD_ECONN while
 *     Redis is known to be down, instead of each one paying a connect.
 */
#include "location.h"

#include <ctype.h>
#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kv/kv.h"
#include "location_cache.h"
#include "log/log.h"
#include "metrics/metrics.h"
#include "tandem/location.pb-c.h"
#include "util/backoff.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/groupcommit.h"
#include "util/mem.h"

#define KEY_PREFIX "tandem:loc:"
#define EXPIRY_KEY "tandem:loc:expiry"
#define POOL_MAX 8 /* lookup/janitor/CLI connections */
#define EXPIRE_BATCH 500 /* zset members looked at per script run */
#define EXPIRE_ROUNDS 4 /* script runs per loc_expire_tick at most */
#define DECODE_MAX 256 /* hash fields decoded per AOR at most */
#define LIST_SCAN_ROUNDS 10000
#define GROUP_MAX_DEFAULT 64
#define CACHE_MAX_DEFAULT 16384
#define UPD_ARGS (10 + LOC_MAX_PER_AOR + 3 * LOC_MAX_PER_AOR)

/*
 * exp_of(v): the expires_us (field 4, varint) of a packed LocBinding, 0 when
 * absent (proto3 default), nil when v is not a well-formed protobuf.  Lua
 * numbers are doubles: exact up to 2^53 µs (year 2255).
 */
#define LUA_EXP_OF                                                                                 \
	"local function exp_of(v)\n"                                                               \
	"  local i, n = 1, #v\n"                                                                   \
	"  local function varint()\n"                                                              \
	"    local r, m = 0, 1\n"                                                                  \
	"    while i <= n do\n"                                                                    \
	"      local b = string.byte(v, i)\n"                                                      \
	"      i = i + 1\n"                                                                        \
	"      r = r + (b % 128) * m\n"                                                            \
	"      if b < 128 then return r end\n"                                                     \
	"      m = m * 128\n"                                                                      \
	"    end\n"                                                                                \
	"    return nil\n"                                                                         \
	"  end\n"                                                                                  \
	"  while i <= n do\n"                                                                      \
	"    local key = varint()\n"                                                               \
	"    if key == nil then return nil end\n"                                                  \
	"    local f, wt = math.floor(key / 8), key % 8\n"                                         \
	"    if wt == 0 then\n"                                                                    \
	"      local x = varint()\n"                                                               \
	"      if x == nil then return nil end\n"                                                  \
	"      if f == 4 then\n"                                                                   \
	"        if x >= 9223372036854775808 then return 0 end\n"                                  \
	"        return x\n"                                                                       \
	"      end\n"                                                                              \
	"    elseif wt == 2 then\n"                                                                \
	"      local l = varint()\n"                                                               \
	"      if l == nil or i + l > n + 1 then return nil end\n"                                 \
	"      i = i + l\n"                                                                        \
	"    elseif wt == 1 then i = i + 8\n"                                                      \
	"    elseif wt == 5 then i = i + 4\n"                                                      \
	"    else return nil end\n"                                                                \
	"  end\n"                                                                                  \
	"  if i ~= n + 1 then return nil end\n"                                                    \
	"  return 0\n"                                                                             \
	"end\n"

/*
 * One update of one AOR, atomically.
 * KEYS: the AOR's hash, the expiry zset.
 * ARGV: aor, now_us, remove_all (0/1), nremove, nset, the contacts to
 *       remove, then (contact, packed binding, expires_us) per binding set.
 * Returns {events, HGETALL of the hash afterwards}; events is a flat list
 * of (kind, contact, value): A added, R refreshed, D removed (the old
 * value), E a binding found expired but not yet collected, now replaced.
 */
static const char update_script[]
    = LUA_EXP_OF "local h, z, aor, now = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2])\n"
                 "local ev = {}\n"
                 "local function note(k, c, v)\n"
                 "  ev[#ev + 1] = k; ev[#ev + 1] = c; ev[#ev + 1] = v\n"
                 "end\n"
                 "if ARGV[3] == '1' then\n"
                 "  local all = redis.call('HGETALL', h)\n"
                 "  for j = 1, #all, 2 do\n"
                 "    redis.call('ZREM', z, aor .. '\\n' .. all[j])\n"
                 "    note('D', all[j], all[j + 1])\n"
                 "  end\n"
                 "  redis.call('DEL', h)\n"
                 "end\n"
                 "local nrem, nset, i = tonumber(ARGV[4]), tonumber(ARGV[5]), 6\n"
                 "for k = 1, nrem do\n"
                 "  local c = ARGV[i]\n"
                 "  i = i + 1\n"
                 "  local v = redis.call('HGET', h, c)\n"
                 "  if v then\n"
                 "    redis.call('HDEL', h, c)\n"
                 "    redis.call('ZREM', z, aor .. '\\n' .. c)\n"
                 "    note('D', c, v)\n"
                 "  end\n"
                 "end\n"
                 "for k = 1, nset do\n"
                 "  local c, v, e = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n"
                 "  i = i + 3\n"
                 "  local old = redis.call('HGET', h, c)\n"
                 "  local kind = 'A'\n"
                 "  if old then\n"
                 "    local oe = exp_of(old)\n"
                 "    if oe ~= nil and oe > now then kind = 'R' else note('E', c, old) end\n"
                 "  end\n"
                 "  redis.call('HSET', h, c, v)\n"
                 "  redis.call('ZADD', z, e, aor .. '\\n' .. c)\n"
                 "  note(kind, c, v)\n"
                 "end\n"
                 "return {ev, redis.call('HGETALL', h)}\n";

/*
 * Expiry, atomically.
 * KEYS: the expiry zset.  ARGV: now_us, limit, key prefix.
 * Pops due members; deletes the hash field only if the stored binding's own
 * expiry is due too (else the member goes back at the stored expiry: a
 * writer that refreshed the binding without the zset is healed, never
 * expired early).  A value that is not a LocBinding is due by its score.
 * Returns {flat (member, value) of what was deleted, ZCARD, members looked at}.
 */
static const char expire_script[]
    = LUA_EXP_OF "local z, now, pfx = KEYS[1], tonumber(ARGV[1]), ARGV[3]\n"
                 "local due = redis.call('ZRANGEBYSCORE', z, '-inf', ARGV[1], 'LIMIT', 0, "
                 "tonumber(ARGV[2]))\n"
                 "local out = {}\n"
                 "for _, m in ipairs(due) do\n"
                 "  redis.call('ZREM', z, m)\n"
                 "  local nl = string.find(m, '\\n', 1, true)\n"
                 "  if nl then\n"
                 "    local h, c = pfx .. string.sub(m, 1, nl - 1), string.sub(m, nl + 1)\n"
                 "    local v = redis.call('HGET', h, c)\n"
                 "    if v then\n"
                 "      local e = exp_of(v)\n"
                 "      if e ~= nil and e > now then\n"
                 "        redis.call('ZADD', z, e, m)\n"
                 "      else\n"
                 "        redis.call('HDEL', h, c)\n"
                 "        out[#out + 1] = m; out[#out + 1] = v\n"
                 "      end\n"
                 "    end\n"
                 "  end\n"
                 "end\n"
                 "return {out, redis.call('ZCARD', z), #due}\n";

enum { SCRIPT_UPDATE, SCRIPT_EXPIRE, NSCRIPTS };
static const char *const script_text[NSCRIPTS] = { update_script, expire_script };
static char script_sha[NSCRIPTS][41];
static pthread_once_t script_once = PTHREAD_ONCE_INIT;

static void
script_hash(void)
{
	for (int i = 0; i < NSCRIPTS; i++) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		if (EVP_Digest(script_text[i], strlen(script_text[i]), md, &mdlen, EVP_sha1(), NULL)
		        != 1
		    || mdlen != 20) {
			td_die("SIPR-LOC-SHA1", "cannot compute SHA-1 (OpenSSL)");
		}
		for (unsigned j = 0; j < 20; j++) {
			snprintf(&script_sha[i][j * 2], 3, "%02x", md[j]);
		}
	}
}

/* An update on its way through the writer; owned by it until done ran. */
typedef struct item {
	td_gc_item gc; /* first: the writer's link and the deadline */
	char aor[LOC_MAX_AOR];
	int argc;
	const char *argv[UPD_ARGS];
	size_t lens[UPD_ARGS];
	char *blob; /* the arguments' bytes */
	int64_t t0_us;
	loc_done_fn done;
	void *arg;
} item;

typedef struct pconn {
	struct pconn *next;
	td_kv *kv;
} pconn;

struct loc {
	char *redis_url, *node;
	int64_t cache_ttl_ms;
	int cmd_timeout_ms;
	long group_max;
	int wait_replicas, wait_ms;
	loc_event_fn on_event;
	void *event_arg;
	loc_cache *cache;

	/* writer: a group committer whose thread owns wkv and wbuf */
	td_gc *writer;
	td_kv *wkv; /* writer thread only */
	loc_binding *wbuf; /* writer thread only: LOC_MAX_PER_AOR bindings */

	/* connection pool */
	pthread_mutex_t pmu;
	pthread_cond_t pcv;
	pconn *idle;
	int ntotal;

	/* fail-fast gate for the pool's users */
	pthread_mutex_t gmu;
	td_backoff gbo;
	_Atomic int64_t gate_until_ms;
	_Atomic bool gate_shut;

	_Atomic bool redis_up;
	_Atomic bool replica_ok;
	_Atomic uint64_t n_unreplicated;
	_Atomic uint64_t n_lookups, n_hits, n_errors, n_updates, n_update_failures, n_expired,
	    n_bindings, n_malformed;

	struct {
		td_counter *lookups, *hits, *errors, *updates, *update_failures, *expired,
		    *malformed, *unreplicated;
		td_gauge *bindings;
		td_histogram *group, *update_seconds;
	} m;
};

/* ---- small helpers ------------------------------------------------------ */

static void
copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

/* aor_norm validates aor ("user@domain", no control bytes) and lowercases the domain. */
static int
aor_norm(const char *in, char out[LOC_MAX_AOR])
{
	if (in == NULL) {
		return (TD_EINVAL);
	}
	size_t len = strnlen(in, LOC_MAX_AOR);
	if (len == 0 || len >= LOC_MAX_AOR) {
		return (TD_EINVAL);
	}
	const char *at = strrchr(in, '@');
	if (at == NULL || at == in || at[1] == '\0') {
		return (TD_EINVAL);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch < 0x20 || ch == 0x7f) {
			return (TD_EINVAL);
		}
		out[i] = (in + i > at) ? (char)tolower(ch) : (char)ch;
	}
	out[len] = '\0';
	return (TD_OK);
}

/* contact_ok: NUL-terminated within its array, non-empty, no NUL inside by construction. */
static bool
contact_ok(const char *c)
{
	return (memchr(c, '\0', LOC_MAX_URI) != NULL && c[0] != '\0');
}

static void
note_malformed(loc *l, const char *aor, const char *contact)
{
	uint64_t seen = atomic_fetch_add(&l->n_malformed, 1);
	td_counter_inc(l->m.malformed);
	/* It stays in Redis until expired or removed: warn about the first few only. */
	TD_LOG_AT(seen < 10 ? TD_LOG_WARN : TD_LOG_DEBUG, "SIPR-LOC-MALFORMED",
	    "stored binding of %s (%.120s) is not a LocBinding; skipped", aor, contact);
}

/* ---- encoding ------------------------------------------------------------ */

/* pack_binding packs b (its strings terminated) into a malloc'd buffer. */
static uint8_t *
pack_binding(const loc_binding *b, size_t *len)
{
	Tandem__LocBinding m = TANDEM__LOC_BINDING__INIT;
	m.contact = (char *)b->contact;
	m.received = (char *)b->received;
	m.transport = b->transport;
	m.expires_us = b->expires_us;
	m.q = b->q;
	m.call_id = (char *)b->call_id;
	m.cseq = b->cseq;
	m.user_agent = (char *)b->user_agent;
	m.instance = (char *)b->instance;
	m.reg_id = b->reg_id;
	m.node = (char *)b->node;
	m.updated_us = b->updated_us;
	*len = tandem__loc_binding__get_packed_size(&m);
	uint8_t *out = td_xmalloc(*len ? *len : 1);
	(void)tandem__loc_binding__pack(&m, out);
	return (out);
}

/*
 * binding_from decodes a stored value for hash field (contact) into b.
 * false if it is not a LocBinding written for that field.
 */
static bool
binding_from(const char *field, size_t flen, const void *val, size_t vlen, loc_binding *b)
{
	if (flen == 0 || flen >= sizeof(b->contact) || memchr(field, '\0', flen) != NULL) {
		return (false);
	}
	Tandem__LocBinding *m = tandem__loc_binding__unpack(NULL, vlen, val);
	if (m == NULL) {
		return (false);
	}
	bool ok = m->contact != NULL && strlen(m->contact) == flen
	    && memcmp(m->contact, field, flen) == 0 && m->transport <= 255;
	if (ok) {
		memset(b, 0, sizeof(*b));
		memcpy(b->contact, field, flen);
		copy_str(b->received, sizeof(b->received), m->received);
		b->transport = (uint8_t)m->transport;
		b->expires_us = m->expires_us;
		b->q = (uint16_t)(m->q > 1000 ? 1000 : m->q);
		copy_str(b->call_id, sizeof(b->call_id), m->call_id);
		b->cseq = m->cseq;
		copy_str(b->user_agent, sizeof(b->user_agent), m->user_agent);
		copy_str(b->instance, sizeof(b->instance), m->instance);
		b->reg_id = m->reg_id;
		copy_str(b->node, sizeof(b->node), m->node);
		b->updated_us = m->updated_us;
	}
	tandem__loc_binding__free_unpacked(m, NULL);
	return (ok);
}

static int
binding_cmp(const void *pa, const void *pb)
{
	const loc_binding *a = pa, *b = pb;
	if (a->q != b->q) {
		return (a->q > b->q ? -1 : 1);
	}
	if (a->updated_us != b->updated_us) {
		return (a->updated_us > b->updated_us ? -1 : 1);
	}
	return (strcmp(a->contact, b->contact));
}

/*
 * decode_all turns an HGETALL reply into out[0..cap): malformed values
 * skipped and counted, expired ones dropped, sorted, the best cap kept; at
 * most DECODE_MAX fields looked at.  Returns how many.
 */
static int
decode_all(loc *l, const char *aor, const redisReply *r, int64_t now_us, loc_binding *out, int cap)
{
	int n = 0;
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		return (0);
	}
	for (size_t i = 0; i + 1 < r->elements && i / 2 < DECODE_MAX; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];
		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
			continue;
		}
		loc_binding b;
		if (!binding_from(f->str, f->len, v->str, v->len, &b)) {
			note_malformed(l, aor, f->str);
			continue;
		}
		if (b.expires_us <= now_us) {
			continue;
		}
		if (n < cap) {
			out[n++] = b;
		} else {
			/* Keep the best cap: replace the worst if b beats it. */
			qsort(out, (size_t)n, sizeof(*out), binding_cmp);
			if (binding_cmp(&b, &out[n - 1]) < 0) {
				out[n - 1] = b;
			}
		}
	}
	qsort(out, (size_t)n, sizeof(*out), binding_cmp);
	return (n);
}

static void
emit(loc *l, loc_event ev, const char *aor, const redisReply *c, const redisReply *v)
{
	if (l->on_event == NULL || c->type != REDIS_REPLY_STRING) {
		return;
	}
	loc_binding b;
	if (v->type != REDIS_REPLY_STRING || !binding_from(c->str, c->len, v->str, v->len, &b)) {
		/* Not decodable: report what is known, the contact. */
		memset(&b, 0, sizeof(b));
		memcpy(
		    b.contact, c->str, c->len < sizeof(b.contact) ? c->len : sizeof(b.contact) - 1);
	}
	l->on_event(l->event_arg, ev, aor, &b);
}

/* ---- the fail-fast gate and the pool ------------------------------------- */

static bool
gate_open(loc *l)
{
	return (!atomic_load(&l->gate_shut) || td_mono_ms() >= atomic_load(&l->gate_until_ms));
}

static void
gate_fail(loc *l)
{
	pthread_mutex_lock(&l->gmu);
	int64_t d = td_backoff_fail(&l->gbo);
	atomic_store(&l->gate_until_ms, td_mono_ms() + d);
	atomic_store(&l->gate_shut, true);
	pthread_mutex_unlock(&l->gmu);
	atomic_store(&l->redis_up, false);
}

static void
gate_ok(loc *l)
{
	if (atomic_load(&l->gate_shut)) {
		pthread_mutex_lock(&l->gmu);
		td_backoff_ok(&l->gbo);
		atomic_store(&l->gate_shut, false);
		pthread_mutex_unlock(&l->gmu);
	}
	atomic_store(&l->redis_up, true);
}

static td_kv *
kv_new(loc *l, int64_t bo_min, int64_t bo_max)
{
	return (td_kv_new(&(td_kv_opts) { .url = l->redis_url,
	    .connect_timeout_ms = l->cmd_timeout_ms,
	    .cmd_timeout_ms = l->cmd_timeout_ms,
	    .backoff_min_ms = bo_min,
	    .backoff_max_ms = bo_max }));
}

/*
 * pool_get: a connected connection, or TD_ECONN (Redis down or gate shut) /
 * TD_ETIMEDOUT (all POOL_MAX busy past the command timeout).
 */
static int
pool_get(loc *l, pconn **out)
{
	*out = NULL;
	if (!gate_open(l)) {
		return (TD_ECONN);
	}
	pconn *c = NULL;
	pthread_mutex_lock(&l->pmu);
	struct timespec ts;
	td_mono_deadline(&ts, l->cmd_timeout_ms);
	while (l->idle == NULL && l->ntotal >= POOL_MAX) {
		if (pthread_cond_timedwait(&l->pcv, &l->pmu, &ts) != 0 && l->idle == NULL) {
			pthread_mutex_unlock(&l->pmu);
			return (TD_ETIMEDOUT);
		}
	}
	if (l->idle != NULL) {
		c = l->idle;
		l->idle = c->next;
	} else {
		l->ntotal++;
	}
	pthread_mutex_unlock(&l->pmu);
	if (c == NULL) {
		c = TD_NEW(pconn);
		/* No per-connection backoff: the shared gate is the backoff. */
		c->kv = kv_new(l, 1, 1);
	}
	if (td_kv_ensure(c->kv) != 0) {
		gate_fail(l);
		pthread_mutex_lock(&l->pmu);
		c->next = l->idle;
		l->idle = c;
		pthread_cond_signal(&l->pcv);
		pthread_mutex_unlock(&l->pmu);
		return (TD_ECONN);
	}
	*out = c;
	return (TD_OK);
}

static void
pool_put(loc *l, pconn *c)
{
	pthread_mutex_lock(&l->pmu);
	c->next = l->idle;
	l->idle = c;
	pthread_cond_signal(&l->pcv);
	pthread_mutex_unlock(&l->pmu);
}

static void
count_error(loc *l)
{
	atomic_fetch_add(&l->n_errors, 1);
	td_counter_inc(l->m.errors);
}

/*
 * run_script runs a script with EVALSHA on kv (loading it on NOSCRIPT, once).
 * Returns a non-error reply, or NULL with *rv set (I/O: the gate is shut).
 */
static redisReply *
run_script(loc *l, td_kv *kv, int which, int argc, const char **argv, const size_t *lens, int *rv)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		redisReply *r = td_kv_cmdargv(kv, argc, argv, lens, rv);
		if (r == NULL) {
			gate_fail(l);
			return (NULL);
		}
		if (r->type == REDIS_REPLY_ERROR && r->str != NULL
		    && strncmp(r->str, "NOSCRIPT", 8) == 0 && attempt == 0) {
			freeReplyObject(r);
			r = td_kv_cmd(kv, rv, "SCRIPT LOAD %s", script_text[which]);
			if (r == NULL) {
				gate_fail(l);
				return (NULL);
			}
			freeReplyObject(r);
			continue;
		}
		char err[256];
		if ((*rv = td_kv_reply_err(kv, r, err, sizeof(err))) != 0) {
			LOG_WARN("SIPR-LOC-REDIS", "script failed: %s", err);
			freeReplyObject(r);
			if (*rv == TD_ECONN) {
				gate_fail(l);
			}
			return (NULL);
		}
		gate_ok(l);
		return (r);
	}
	*rv = TD_EIO;
	return (NULL);
}

/* ---- the writer ------------------------------------------------------------ */

static item *
next_of(const item *it)
{
	return ((item *)it->gc.next);
}

static void
item_free(item *it)
{
	free(it->blob);
	free(it);
}

static void
fail_items(loc *l, item *list, int rv)
{
	for (item *it = list; it != NULL;) {
		item *next = next_of(it);
		atomic_fetch_add(&l->n_update_failures, 1);
		td_counter_inc(l->m.update_failures);
		it->done(it->arg, rv, NULL, 0);
		item_free(it);
		it = next;
	}
}

/* complete_ok finishes an item from its script reply {events, bindings}. */
static void
complete_ok(loc *l, item *it, const redisReply *r)
{
	int64_t now_us = td_wall_us();
	const redisReply *ev = r->element[0], *all = r->element[1];
	int n = decode_all(l, it->aor, all, now_us, l->wbuf, LOC_MAX_PER_AOR);
	loc_cache_put(l->cache, it->aor, l->wbuf, n, td_mono_ms());
	if (ev->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i + 2 < ev->elements; i += 3) {
			const redisReply *k = ev->element[i];
			if (k->type != REDIS_REPLY_STRING || k->len != 1) {
				continue;
			}
			loc_event e = k->str[0] == 'A' ? LOC_ADDED
			    : k->str[0] == 'R'         ? LOC_REFRESHED
			    : k->str[0] == 'D'         ? LOC_REMOVED
			                               : LOC_EXPIRED;
			if (e == LOC_EXPIRED) {
				atomic_fetch_add(&l->n_expired, 1);
				td_counter_inc(l->m.expired);
			}
			emit(l, e, it->aor, ev->element[i + 1], ev->element[i + 2]);
		}
	}
	atomic_fetch_add(&l->n_updates, 1);
	td_counter_inc(l->m.updates);
	td_histogram_observe(l->m.update_seconds, (double)(td_mono_us() - it->t0_us) / 1e6);
	it->done(it->arg, 0, l->wbuf, n);
}

static bool
script_reply_ok(const redisReply *r)
{
	return (r->type == REDIS_REPLY_ARRAY && r->elements == 2
	    && r->element[0]->type == REDIS_REPLY_ARRAY
	    && r->element[1]->type == REDIS_REPLY_ARRAY);
}

/*
 * flush pipelines every item of list in one round trip (plus, with
 * wait_replicas, one WAIT for the group) and completes each that got a
 * definite answer; returns those to try again (reply lost, NOSCRIPT,
 * LOADING/BUSY/READONLY), in order.  Callbacks run only after the WAIT's
 * reply, so an acknowledged update is on the replica when it can be.
 */
static td_gc_item *
flush(loc *l, item *list)
{
	redisContext *c = td_kv_ctx(l->wkv);
	size_t n = 0;
	for (item *it = list; it != NULL; it = next_of(it)) {
		it->argv[1] = script_sha[SCRIPT_UPDATE];
		it->lens[1] = 40;
		if (redisAppendCommandArgv(c, it->argc, it->argv, it->lens) != REDIS_OK) {
			td_die("SIPR-LOC-OOM", "hiredis cannot format a command");
		}
		n++;
	}
	if (l->wait_replicas > 0
	    && redisAppendCommand(c, "WAIT %d %d", l->wait_replicas, l->wait_ms) != REDIS_OK) {
		td_die("SIPR-LOC-OOM", "hiredis cannot format a command");
	}
	td_histogram_observe(l->m.group, (double)n);
	bool io_failed = false, noscript = false, readonly = false;
	char why[160] = "";
	redisReply **rep = td_xcalloc(n, sizeof(*rep));
	for (size_t i = 0; i < n + (l->wait_replicas > 0) && !io_failed; i++) {
		redisReply *r = NULL;
		if (redisGetReply(c, (void **)&r) != REDIS_OK || r == NULL) {
			io_failed = true;
			snprintf(why, sizeof(why), "%s", c->errstr[0] ? c->errstr : "I/O error");
		} else if (i < n) {
			rep[i] = r;
		} else {
			/* The WAIT: too few replicas is counted, not failed (see the doc). */
			if (r->type != REDIS_REPLY_INTEGER || r->integer < l->wait_replicas) {
				atomic_fetch_add(&l->n_unreplicated, n);
				td_counter_add(l->m.unreplicated, n);
				if (atomic_exchange(&l->replica_ok, false)) {
					LOG_WARN("SIPR-LOC-REPLICA-LAG",
					    "Redis replica did not confirm updates within %d ms",
					    l->wait_ms);
				}
			} else if (!atomic_exchange(&l->replica_ok, true)) {
				LOG_INFO(
				    "SIPR-LOC-REPLICA-OK", "Redis replica confirms updates again");
			}
			freeReplyObject(r);
		}
	}
	td_gc_item *retry = NULL, **rt = &retry;
	size_t i = 0;
	for (item *it = list; it != NULL; i++) {
		item *next = next_of(it);
		it->gc.next = NULL;
		/*
		 * With WAIT, a lost WAIT reply leaves every item's outcome
		 * unconfirmed on the replica: try them all again (idempotent).
		 */
		redisReply *r = io_failed && l->wait_replicas > 0 ? NULL : rep[i];
		if (r == NULL) {
			*rt = &it->gc;
			rt = &it->gc.next;
		} else if (r->type == REDIS_REPLY_ERROR) {
			const char *s = r->str ? r->str : "";
			bool again = false;
			if (strncmp(s, "NOSCRIPT", 8) == 0) {
				noscript = again = true;
			} else if (strncmp(s, "READONLY", 8) == 0) {
				readonly = again = true;
			} else if (strncmp(s, "LOADING", 7) == 0 || strncmp(s, "BUSY", 4) == 0
			    || strncmp(s, "TRYAGAIN", 8) == 0
			    || strncmp(s, "MASTERDOWN", 10) == 0) {
				again = true;
			}
			if (again) {
				snprintf(why, sizeof(why), "%s", s);
				*rt = &it->gc;
				rt = &it->gc.next;
			} else {
				LOG_WARN(
				    "SIPR-LOC-UPDATE-FAIL", "update of %s failed: %s", it->aor, s);
				count_error(l);
				fail_items(l, it, TD_EIO);
			}
		} else if (!script_reply_ok(r)) {
			LOG_WARN("SIPR-LOC-UPDATE-FAIL", "update of %s: unexpected reply type %d",
			    it->aor, r->type);
			count_error(l);
			fail_items(l, it, TD_EPROTO);
		} else {
			complete_ok(l, it, r);
			item_free(it);
		}
		it = next;
	}
	for (i = 0; i < n; i++) {
		if (rep[i] != NULL) {
			freeReplyObject(rep[i]);
		}
	}
	free(rep);
	if (io_failed || readonly) {
		td_kv_reset(l->wkv);
	}
	if (retry != NULL && noscript && strncmp(why, "NOSCRIPT", 8) == 0 && !io_failed &&
	    !readonly) {
		/* Redis's script cache is empty (a fresh or restarted Redis): not an error. */
		LOG_DEBUG("SIPR-LOC-SCRIPT-LOAD", "loading the update script into Redis");
	} else if (retry != NULL) {
		count_error(l);
		LOG_WARN("SIPR-LOC-WRITE-RETRY", "%s; retrying updates until their deadline", why);
	}
	if (noscript && !io_failed && !readonly) {
		int rv;
		redisReply *r = td_kv_cmd(l->wkv, &rv, "SCRIPT LOAD %s", update_script);
		if (r != NULL) {
			freeReplyObject(r);
		}
	}
	atomic_store(&l->redis_up, !(io_failed || readonly));
	return (retry);
}

/* The writer's group-commit callbacks (util/groupcommit.h), on its thread. */

static bool
writer_ready(void *arg)
{
	loc *l = arg;
	if (td_kv_ensure(l->wkv) != 0) {
		atomic_store(&l->redis_up, false);
		return (false);
	}
	return (true);
}

static td_gc_item *
writer_commit(void *arg, td_gc_item *group)
{
	return (flush(arg, (item *)group));
}

static void
writer_fail(void *arg, td_gc_item *it, int rv)
{
	loc *l = arg;
	if (rv == TD_ETIMEDOUT && !atomic_load(&l->redis_up)) {
		rv = TD_ECONN; /* it timed out because Redis is away: say so */
	}
	fail_items(l, (item *)it, rv);
}

/* ---- public ------------------------------------------------------------------ */

loc *
loc_new(const loc_cfg *cfg)
{
	(void)pthread_once(&script_once, script_hash);
	loc *l = TD_NEW(loc);
	l->redis_url = td_xstrdup(cfg->redis_url ? cfg->redis_url : "");
	l->node = td_xstrdup(cfg->node ? cfg->node : "");
	l->cache_ttl_ms = cfg->cache_ttl_ms > 0 ? cfg->cache_ttl_ms : 0;
	l->cmd_timeout_ms = cfg->cmd_timeout_ms > 0 ? cfg->cmd_timeout_ms : 1000;
	l->group_max = cfg->group_max > 0 ? cfg->group_max : GROUP_MAX_DEFAULT;
	l->wait_replicas = cfg->wait_replicas > 0 ? cfg->wait_replicas : 0;
	l->wait_ms = cfg->wait_ms > 0 ? cfg->wait_ms : 50;
	if (l->wait_ms > l->cmd_timeout_ms / 2) {
		/* The WAIT must end well before the socket gives up on its reply. */
		l->wait_ms = l->cmd_timeout_ms / 2 > 0 ? l->cmd_timeout_ms / 2 : 1;
	}
	atomic_store(&l->replica_ok, true);
	l->on_event = cfg->on_event;
	l->event_arg = cfg->event_arg;
	l->cache = loc_cache_new(cfg->cache_max > 0 ? cfg->cache_max : CACHE_MAX_DEFAULT);
	l->wbuf = td_xcalloc(LOC_MAX_PER_AOR, sizeof(loc_binding));
	pthread_mutex_init(&l->pmu, NULL);
	td_cond_init_mono(&l->pcv);
	pthread_mutex_init(&l->gmu, NULL);
	td_backoff_init(&l->gbo, 50, 1000);

	l->m.lookups = td_metrics_counter(
	    "tandem_sip_location_lookups_total", "Location lookups (cache or Redis)", "");
	l->m.hits = td_metrics_counter(
	    "tandem_sip_location_cache_hits_total", "Location lookups answered from the cache", "");
	l->m.errors = td_metrics_counter("tandem_sip_location_redis_errors_total",
	    "Redis failures of the location service (connect, I/O, error replies)", "");
	l->m.updates = td_metrics_counter(
	    "tandem_sip_location_updates_total", "Binding updates acknowledged by Redis", "");
	l->m.update_failures = td_metrics_counter("tandem_sip_location_update_failures_total",
	    "Binding updates that failed (timeout, Redis down, shutdown)", "");
	l->m.expired = td_metrics_counter(
	    "tandem_sip_location_expirations_total", "Bindings this router expired", "");
	l->m.malformed = td_metrics_counter("tandem_sip_location_malformed_total",
	    "Stored values that were not a LocBinding (skipped)", "");
	l->m.unreplicated = td_metrics_counter("tandem_sip_location_unreplicated_total",
	    "Updates acknowledged without the replica's confirmation (location.wait_replicas)", "");
	l->m.bindings = td_metrics_gauge("tandem_sip_location_bindings",
	    "Bindings in Redis (sampled by the expiry janitor)", "");
	static const double groups[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };
	l->m.group = td_metrics_histogram("tandem_sip_location_write_group_size",
	    "Updates pipelined per Redis round trip", "", groups, TD_ARRAY_LEN(groups));
	l->m.update_seconds = td_metrics_histogram("tandem_sip_location_update_seconds",
	    "Time from loc_apply to Redis acknowledgement", "", td_metrics_latency_buckets,
	    td_metrics_latency_nbuckets);

	l->wkv = kv_new(l, 50, 1000);
	static const td_gc_ops writer_ops = {
	    .ready = writer_ready, .commit = writer_commit, .fail = writer_fail};
	l->writer = td_gc_start(&writer_ops, l, (size_t)l->group_max, 20, "sr-loc-writer");
	return (l);
}

void
loc_free(loc *l)
{
	if (l == NULL) {
		return;
	}
	td_gc_free(l->writer); /* what is still queued is failed with TD_ECLOSED */
	td_kv_free(l->wkv);
	for (pconn *c = l->idle; c != NULL;) {
		pconn *next = c->next;
		td_kv_free(c->kv);
		free(c);
		c = next;
	}
	loc_cache_free(l->cache);
	free(l->wbuf);
	pthread_cond_destroy(&l->pcv);
	pthread_mutex_destroy(&l->pmu);
	pthread_mutex_destroy(&l->gmu);
	free(l->redis_url);
	free(l->node);
	free(l);
}

/* lookup_redis reads aor's hash into out; 0 or TD_ECONN/TD_ETIMEDOUT/TD_EIO. */
static int
lookup_redis(loc *l, const char *aor, loc_binding *buf, int *n)
{
	pconn *c;
	int rv = pool_get(l, &c);
	if (rv != 0) {
		return (rv);
	}
	char key[sizeof(KEY_PREFIX) + LOC_MAX_AOR];
	snprintf(key, sizeof(key), KEY_PREFIX "%s", aor);
	redisReply *r = td_kv_cmd(c->kv, &rv, "HGETALL %s", key);
	if (r == NULL && rv == TD_ECONN && td_kv_ensure(c->kv) == 0) {
		/*
		 * An idle pooled connection learns that Redis restarted only
		 * when it is used: one immediate retry on a new connection
		 * hides that (a timeout is not retried: it already cost one).
		 */
		r = td_kv_cmd(c->kv, &rv, "HGETALL %s", key);
	}
	if (r == NULL) {
		gate_fail(l);
		pool_put(l, c);
		return (rv);
	}
	char err[256];
	if ((rv = td_kv_reply_err(c->kv, r, err, sizeof(err))) != 0) {
		LOG_WARN("SIPR-LOC-REDIS", "HGETALL %s: %s", key, err);
		freeReplyObject(r);
		if (rv == TD_ECONN) {
			gate_fail(l);
		}
		pool_put(l, c);
		return (rv);
	}
	gate_ok(l);
	pool_put(l, c);
	*n = decode_all(l, aor, r, td_wall_us(), buf, LOC_MAX_PER_AOR);
	freeReplyObject(r);
	return (TD_OK);
}

int
loc_lookup(loc *l, const char *aor, loc_binding *out, int max, int *n)
{
	*n = 0;
	char a[LOC_MAX_AOR];
	if (aor_norm(aor, a) != 0 || max < 0) {
		return (TD_EINVAL);
	}
	atomic_fetch_add(&l->n_lookups, 1);
	td_counter_inc(l->m.lookups);
	uint64_t gen;
	if (loc_cache_get(
	        l->cache, a, td_mono_ms(), l->cache_ttl_ms, td_wall_us(), true, out, max, n, &gen)
	    >= 0) {
		atomic_fetch_add(&l->n_hits, 1);
		td_counter_inc(l->m.hits);
		return (TD_OK);
	}
	loc_binding *buf = td_xcalloc(LOC_MAX_PER_AOR, sizeof(loc_binding));
	int got = 0;
	int rv = lookup_redis(l, a, buf, &got);
	if (rv == 0) {
		loc_cache_put_if(l->cache, a, buf, got, td_mono_ms(), gen);
		for (int i = 0; i < got && i < max; i++) {
			out[i] = buf[i];
		}
		*n = got < max ? got : max;
	} else {
		count_error(l);
		/*
		 * Redis cannot be asked: a stale positive entry is better than
		 * nothing (each binding still carries its own expiry); a stale
		 * negative one is not trusted (the user may have registered).
		 */
		if (loc_cache_get(l->cache, a, td_mono_ms(), INT64_MAX / 2, td_wall_us(), false,
		        out, max, n, NULL)
		        > 0
		    && *n > 0) {
			rv = TD_OK;
		} else {
			*n = 0;
		}
	}
	free(buf);
	return (rv);
}

/* upd_arg appends one argument to the item's blob, remembering its offset in lens. */
static void
upd_arg(td_buf *blob, item *it, size_t *off, const void *p, size_t len)
{
	off[it->argc] = blob->len;
	it->lens[it->argc] = len;
	it->argc++;
	td_buf_append(blob, p, len);
}

void
loc_apply(loc *l, const loc_update *u, int64_t timeout_ms, loc_done_fn done, void *arg)
{
	item *it = TD_NEW(item);
	it->done = done;
	it->arg = arg;
	it->t0_us = td_mono_us();
	it->gc.deadline_ms = td_mono_ms() + (timeout_ms > 0 ? timeout_ms : l->cmd_timeout_ms);
	bool bad = aor_norm(u->aor, it->aor) != 0 || u->nset < 0 || u->nset > LOC_MAX_PER_AOR
	    || u->nremove < 0 || u->nremove > LOC_MAX_PER_AOR;
	for (int i = 0; !bad && i < u->nremove; i++) {
		bad = !contact_ok(u->remove[i]);
	}
	for (int i = 0; !bad && i < u->nset; i++) {
		bad = !contact_ok(u->set[i].contact);
	}
	if (bad) {
		LOG_WARN(
		    "SIPR-LOC-BAD-UPDATE", "invalid location update refused (aor '%.64s')", u->aor);
		atomic_fetch_add(&l->n_update_failures, 1);
		td_counter_inc(l->m.update_failures);
		free(it);
		done(arg, TD_EINVAL, NULL, 0);
		return;
	}
	size_t off[UPD_ARGS];
	td_buf blob;
	td_buf_init(&blob, 0);
	char num[32];
	int64_t now_us = td_wall_us();
	upd_arg(&blob, it, off, "EVALSHA", 7);
	upd_arg(&blob, it, off, "", 0); /* the SHA, filled in by flush */
	upd_arg(&blob, it, off, "2", 1);
	td_buf key;
	td_buf_init(&key, 0);
	td_buf_printf(&key, KEY_PREFIX "%s", it->aor);
	upd_arg(&blob, it, off, key.data, key.len);
	td_buf_free(&key);
	upd_arg(&blob, it, off, EXPIRY_KEY, strlen(EXPIRY_KEY));
	upd_arg(&blob, it, off, it->aor, strlen(it->aor));
	int k = snprintf(num, sizeof(num), "%lld", (long long)now_us);
	upd_arg(&blob, it, off, num, (size_t)k);
	upd_arg(&blob, it, off, u->remove_all ? "1" : "0", 1);
	k = snprintf(num, sizeof(num), "%d", u->nremove);
	upd_arg(&blob, it, off, num, (size_t)k);
	k = snprintf(num, sizeof(num), "%d", u->nset);
	upd_arg(&blob, it, off, num, (size_t)k);
	for (int i = 0; i < u->nremove; i++) {
		upd_arg(&blob, it, off, u->remove[i], strlen(u->remove[i]));
	}
	for (int i = 0; i < u->nset; i++) {
		/* A bounded, terminated copy; stamped with this node. */
		loc_binding b;
		memcpy(&b, &u->set[i], sizeof(b));
		b.received[sizeof(b.received) - 1] = '\0';
		b.call_id[sizeof(b.call_id) - 1] = '\0';
		b.user_agent[sizeof(b.user_agent) - 1] = '\0';
		b.instance[sizeof(b.instance) - 1] = '\0';
		copy_str(b.node, sizeof(b.node), l->node);
		if (b.updated_us == 0) {
			b.updated_us = now_us;
		}
		size_t plen;
		uint8_t *packed = pack_binding(&b, &plen);
		upd_arg(&blob, it, off, b.contact, strlen(b.contact));
		upd_arg(&blob, it, off, packed, plen);
		free(packed);
		k = snprintf(num, sizeof(num), "%lld", (long long)b.expires_us);
		upd_arg(&blob, it, off, num, (size_t)k);
	}
	it->blob = td_buf_steal(&blob, NULL);
	for (int i = 0; i < it->argc; i++) {
		it->argv[i] = it->blob + off[i];
	}

	td_gc_submit(l->writer, &it->gc);
}

void
loc_expire_tick(loc *l)
{
	pconn *c;
	if (pool_get(l, &c) != 0) {
		count_error(l);
		return;
	}
	char now[32], lim[16];
	snprintf(lim, sizeof(lim), "%d", EXPIRE_BATCH);
	for (int round = 0; round < EXPIRE_ROUNDS; round++) {
		snprintf(now, sizeof(now), "%lld", (long long)td_wall_us());
		const char *argv[] = { "EVALSHA", script_sha[SCRIPT_EXPIRE], "1", EXPIRY_KEY, now,
			lim, KEY_PREFIX };
		size_t lens[TD_ARRAY_LEN(argv)];
		for (size_t i = 0; i < TD_ARRAY_LEN(argv); i++) {
			lens[i] = strlen(argv[i]);
		}
		int rv;
		redisReply *r
		    = run_script(l, c->kv, SCRIPT_EXPIRE, (int)TD_ARRAY_LEN(argv), argv, lens, &rv);
		if (r == NULL) {
			count_error(l);
			break;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 3
		    || r->element[0]->type != REDIS_REPLY_ARRAY
		    || r->element[1]->type != REDIS_REPLY_INTEGER
		    || r->element[2]->type != REDIS_REPLY_INTEGER) {
			LOG_WARN("SIPR-LOC-REDIS", "expiry script: unexpected reply");
			count_error(l);
			freeReplyObject(r);
			break;
		}
		const redisReply *out = r->element[0];
		for (size_t i = 0; i + 1 < out->elements; i += 2) {
			const redisReply *m = out->element[i];
			if (m->type != REDIS_REPLY_STRING) {
				continue;
			}
			const char *nl = memchr(m->str, '\n', m->len);
			size_t alen = nl ? (size_t)(nl - m->str) : 0;
			if (nl == NULL || alen >= LOC_MAX_AOR) {
				continue; /* cannot be ours: the script only deletes "aor\ncontact"
				           */
			}
			char aor[LOC_MAX_AOR];
			memcpy(aor, m->str, alen);
			aor[alen] = '\0';
			redisReply cr = { .type = REDIS_REPLY_STRING,
				.str = (char *)nl + 1,
				.len = m->len - alen - 1 };
			atomic_fetch_add(&l->n_expired, 1);
			td_counter_inc(l->m.expired);
			loc_cache_drop(l->cache, aor);
			emit(l, LOC_EXPIRED, aor, &cr, out->element[i + 1]);
		}
		long long zcard = r->element[1]->integer, looked = r->element[2]->integer;
		atomic_store(&l->n_bindings, (uint64_t)(zcard > 0 ? zcard : 0));
		td_gauge_set(l->m.bindings, (double)zcard);
		freeReplyObject(r);
		if (looked < EXPIRE_BATCH) {
			break;
		}
	}
	pool_put(l, c);
}

void
loc_invalidate(loc *l, const char *aor)
{
	char a[LOC_MAX_AOR];
	if (aor_norm(aor, a) == 0) {
		loc_cache_drop(l->cache, a);
	}
}

static const char *
tp_name(uint8_t t)
{
	return (t == LOC_UDP ? "udp" : t == LOC_TCP ? "tcp" : "unknown");
}

static json_t *
binding_json(const loc_binding *b, int64_t now_us)
{
	char upd[40];
	td_fmt_rfc3339(b->updated_us, upd, sizeof(upd));
	return (json_pack("{s:s, s:s, s:s, s:I, s:f, s:s, s:I, s:s, s:s, s:I, s:s, s:s}", "contact",
	    b->contact, "received", b->received, "transport", tp_name(b->transport), "expires_in",
	    (json_int_t)((b->expires_us - now_us) / 1000000), "q", (double)b->q / 1000.0, "call_id",
	    b->call_id, "cseq", (json_int_t)b->cseq, "user_agent", b->user_agent, "instance",
	    b->instance, "reg_id", (json_int_t)b->reg_id, "node", b->node, "updated", upd));
}

int
loc_list(loc *l, long limit, json_t **out, char *err, size_t errlen)
{
	*out = NULL;
	pconn *c;
	int rv = pool_get(l, &c);
	if (rv != 0) {
		snprintf(err, errlen, "redis: %s", td_strerror(rv));
		return (rv);
	}
	json_t *items = json_array();
	long naors = 0, nbind = 0;
	bool more = false;
	char cursor[32] = "0";
	loc_binding *buf = td_xcalloc(LOC_MAX_PER_AOR, sizeof(loc_binding));
	int64_t now_us = td_wall_us();
	for (int round = 0; round < LIST_SCAN_ROUNDS; round++) {
		redisReply *r
		    = td_kv_cmd(c->kv, &rv, "SCAN %s MATCH %s COUNT 200", cursor, KEY_PREFIX "*");
		if (r == NULL || (rv = td_kv_reply_err(c->kv, r, err, errlen)) != 0) {
			if (r == NULL) {
				snprintf(err, errlen, "redis: %s (%s)", td_strerror(rv),
				    td_kv_last_error(c->kv));
				gate_fail(l);
			} else {
				freeReplyObject(r);
			}
			goto fail;
		}
		if (r->type != REDIS_REPLY_ARRAY || r->elements != 2
		    || r->element[0]->type != REDIS_REPLY_STRING
		    || r->element[1]->type != REDIS_REPLY_ARRAY) {
			freeReplyObject(r);
			snprintf(err, errlen, "redis: unexpected SCAN reply");
			rv = TD_EPROTO;
			goto fail;
		}
		copy_str(cursor, sizeof(cursor), r->element[0]->str);
		const redisReply *keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			const redisReply *kr = keys->element[i];
			if (kr->type != REDIS_REPLY_STRING || strcmp(kr->str, EXPIRY_KEY) == 0
			    || kr->len - (sizeof(KEY_PREFIX) - 1) >= LOC_MAX_AOR) {
				continue;
			}
			if (naors >= limit) {
				more = true;
				break;
			}
			redisReply *h = td_kv_cmd(c->kv, &rv, "HGETALL %b", kr->str, kr->len);
			if (h == NULL) {
				freeReplyObject(r);
				snprintf(err, errlen, "redis: %s", td_strerror(rv));
				gate_fail(l);
				goto fail;
			}
			const char *aor = kr->str + sizeof(KEY_PREFIX) - 1;
			int n = decode_all(l, aor, h, now_us, buf, LOC_MAX_PER_AOR);
			freeReplyObject(h);
			if (n == 0) {
				continue;
			}
			json_t *bs = json_array();
			for (int j = 0; j < n; j++) {
				json_array_append_new(bs, binding_json(&buf[j], now_us));
			}
			json_array_append_new(
			    items, json_pack("{s:s, s:o}", "aor", aor, "bindings", bs));
			naors++;
			nbind += n;
		}
		freeReplyObject(r);
		if (more || strcmp(cursor, "0") == 0) {
			break;
		}
		if (round == LIST_SCAN_ROUNDS - 1) {
			more = true;
		}
	}
	gate_ok(l);
	pool_put(l, c);
	free(buf);
	*out = json_pack("{s:I, s:I, s:b, s:o}", "aors", (json_int_t)naors, "bindings",
	    (json_int_t)nbind, "more", more, "items", items);
	return (TD_OK);
fail:
	pool_put(l, c);
	free(buf);
	json_decref(items);
	return (rv != 0 ? rv : TD_EIO);
}

void
loc_stats_get(loc *l, loc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->lookups = atomic_load(&l->n_lookups);
	st->cache_hits = atomic_load(&l->n_hits);
	st->redis_errors = atomic_load(&l->n_errors);
	st->updates = atomic_load(&l->n_updates);
	st->update_failures = atomic_load(&l->n_update_failures);
	st->expired = atomic_load(&l->n_expired);
	st->malformed = atomic_load(&l->n_malformed);
	st->unreplicated = atomic_load(&l->n_unreplicated);
	st->bindings = atomic_load(&l->n_bindings);
	st->redis_up = atomic_load(&l->redis_up);
}
