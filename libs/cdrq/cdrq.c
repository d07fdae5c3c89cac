/* SPDX-License-Identifier: MIT */
/* Reliable CDR queue operations on Redis (see cdrq.h). */
#include "cdrq/cdrq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/mem.h"

/*
 * Move up to ARGV[1] items from KEYS[1] (tail) to KEYS[2] (head), atomically,
 * and return them.  One round trip and one AOF fsync for the whole group.
 */
static const char move_script[] =
    "local out = {}\n"
    "for i = 1, tonumber(ARGV[1]) do\n"
    "  local v = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')\n"
    "  if not v then break end\n"
    "  out[i] = v\n"
    "end\n"
    "return out\n";

static int
reply_check(td_kv *kv, redisReply *r, int rv, char *err, size_t errlen)
{
	if (r == NULL) {
		snprintf(err, errlen, "redis: %s (%s)", td_strerror(rv), td_kv_last_error(kv));
		return (rv);
	}
	int e = td_kv_reply_err(kv, r, err, errlen);
	if (e != 0) {
		freeReplyObject(r);
	}
	return (e);
}

int
td_cdrq_push(td_kv *kv, const char *key, const td_cdrq_item *items, size_t n, long trim_to,
    char *err, size_t errlen)
{
	if (n == 0) {
		return (TD_OK);
	}
	const char **argv = td_xcalloc(n + 2, sizeof(char *));
	size_t *lens = td_xcalloc(n + 2, sizeof(size_t));
	argv[0] = "LPUSH";
	lens[0] = 5;
	argv[1] = key;
	lens[1] = strlen(key);
	for (size_t i = 0; i < n; i++) {
		argv[i + 2] = items[i].data;
		lens[i + 2] = items[i].len;
	}
	int rv;
	redisReply *r = td_kv_cmdargv(kv, (int)(n + 2), argv, lens, &rv);
	free(argv);
	free(lens);
	if ((rv = reply_check(kv, r, rv, err, errlen)) != 0) {
		return (rv);
	}
	freeReplyObject(r);
	if (trim_to > 0) {
		r = td_kv_cmd(kv, &rv, "LTRIM %s 0 %ld", key, trim_to - 1);
		if ((rv = reply_check(kv, r, rv, err, errlen)) != 0) {
			return (rv);
		}
		freeReplyObject(r);
	}
	return (TD_OK);
}

/* adopt takes the string elements of an array reply into b; b owns r. */
static void
adopt(td_cdrq_batch *b, redisReply *r)
{
	if (r->type != REDIS_REPLY_ARRAY || r->elements == 0) {
		freeReplyObject(r);
		return;
	}
	if (b->nreplies == b->repcap) {
		b->repcap = b->repcap ? b->repcap * 2 : 8;
		b->replies = td_xrealloc(b->replies, b->repcap * sizeof(void *));
	}
	if (b->n + r->elements > b->cap) {
		b->cap = (b->n + r->elements) * 2;
		b->items = td_xrealloc(b->items, b->cap * sizeof(td_cdrq_item));
	}
	for (size_t i = 0; i < r->elements; i++) {
		redisReply *e = r->element[i];
		if (e->type == REDIS_REPLY_STRING) {
			b->items[b->n].data = e->str;
			b->items[b->n].len = e->len;
			b->n++;
		}
	}
	b->replies[b->nreplies++] = r;
}

int
td_cdrq_recover(td_kv *kv, const char *processing, td_cdrq_batch *b, char *err, size_t errlen)
{
	int rv;
	redisReply *r = td_kv_cmd(kv, &rv, "LRANGE %s 0 -1", processing);
	if ((rv = reply_check(kv, r, rv, err, errlen)) != 0) {
		return (rv);
	}
	adopt(b, r);
	return (TD_OK);
}

/* move runs the move script for up to n items. */
static int
move(td_kv *kv, const char *queue, const char *processing, size_t n, td_cdrq_batch *b,
    char *err, size_t errlen)
{
	int rv;
	/* hiredis 0.14's formatter knows %d/%ld/%lld but not %zu. */
	redisReply *r = td_kv_cmd(kv, &rv, "EVAL %s 2 %s %s %lu", move_script, queue, processing,
	    (unsigned long)n);
	if ((rv = reply_check(kv, r, rv, err, errlen)) != 0) {
		return (rv);
	}
	adopt(b, r);
	return (TD_OK);
}

/* blmove waits up to ms for one item. */
static int
blmove(td_kv *kv, const char *queue, const char *processing, int ms, int cmd_timeout_ms,
    td_cdrq_batch *b, char *err, size_t errlen)
{
	int rv;
	char secs[32];
	snprintf(secs, sizeof(secs), "%.3f", (double)ms / 1000.0);
	/* The socket must wait longer than the server-side block. */
	td_kv_set_timeout(kv, ms + cmd_timeout_ms);
	redisReply *r =
	    td_kv_cmd(kv, &rv, "BLMOVE %s %s RIGHT LEFT %s", queue, processing, secs);
	td_kv_set_timeout(kv, cmd_timeout_ms);
	if ((rv = reply_check(kv, r, rv, err, errlen)) != 0) {
		return (rv);
	}
	if (r->type == REDIS_REPLY_STRING) {
		/* Wrap as a one-element array so adopt() owns it uniformly. */
		redisReply *arr = td_xcalloc(1, sizeof(redisReply));
		arr->type = REDIS_REPLY_ARRAY;
		arr->elements = 1;
		arr->element = td_xcalloc(1, sizeof(redisReply *));
		arr->element[0] = r;
		adopt(b, arr);
	} else {
		freeReplyObject(r);
	}
	return (TD_OK);
}

int
td_cdrq_fetch(td_kv *kv, const char *queue, const char *processing, size_t max, int block_ms,
    int wait_ms, td_cdrq_batch *b, char *err, size_t errlen)
{
	const int cmd_timeout_ms = 5000;
	int rv;
	/* Fast path: take what is already there, without blocking. */
	if ((rv = move(kv, queue, processing, max, b, err, errlen)) != 0) {
		return (rv);
	}
	if (b->n == 0) {
		if ((rv = blmove(kv, queue, processing, block_ms, cmd_timeout_ms, b, err, errlen)) != 0) {
			return (rv);
		}
		if (b->n == 0) {
			return (TD_OK);
		}
	}
	b->first_at_ms = td_mono_ms();
	while (b->n < max) {
		int64_t left = b->first_at_ms + wait_ms - td_mono_ms();
		if (left <= 0) {
			break;
		}
		size_t before = b->n;
		if ((rv = move(kv, queue, processing, max - b->n, b, err, errlen)) != 0) {
			return (rv);
		}
		if (b->n == before) {
			/* Nothing waiting: block for one more, at most until the deadline. */
			if ((rv = blmove(kv, queue, processing, (int)left, cmd_timeout_ms, b, err,
			         errlen)) != 0) {
				return (rv);
			}
			if (b->n == before) {
				break;
			}
		}
	}
	return (TD_OK);
}

int
td_cdrq_ack(td_kv *kv, const char *processing, char *err, size_t errlen)
{
	int rv;
	redisReply *r = td_kv_cmd(kv, &rv, "DEL %s", processing);
	if ((rv = reply_check(kv, r, rv, err, errlen)) != 0) {
		return (rv);
	}
	freeReplyObject(r);
	return (TD_OK);
}

int
td_cdrq_requeue(td_kv *kv, const char *list, const char *queue, long *moved, char *err,
    size_t errlen)
{
	*moved = 0;
	for (;;) {
		int rv;
		/* LEFT->RIGHT: the newest processing item goes back to the consumer end. */
		redisReply *r = td_kv_cmd(kv, &rv, "LMOVE %s %s LEFT RIGHT", list, queue);
		if ((rv = reply_check(kv, r, rv, err, errlen)) != 0) {
			return (rv);
		}
		bool more = r->type == REDIS_REPLY_STRING;
		freeReplyObject(r);
		if (!more) {
			return (TD_OK);
		}
		(*moved)++;
	}
}

int
td_cdrq_len(td_kv *kv, const char *key, long *len, char *err, size_t errlen)
{
	int rv;
	redisReply *r = td_kv_cmd(kv, &rv, "LLEN %s", key);
	if ((rv = reply_check(kv, r, rv, err, errlen)) != 0) {
		return (rv);
	}
	*len = r->type == REDIS_REPLY_INTEGER ? (long)r->integer : 0;
	freeReplyObject(r);
	return (TD_OK);
}

void
td_cdrq_batch_free(td_cdrq_batch *b)
{
	for (size_t i = 0; i < b->nreplies; i++) {
		freeReplyObject(b->replies[i]);
	}
	free(b->replies);
	free(b->items);
	memset(b, 0, sizeof(*b));
}
