/* SPDX-License-Identifier: MIT */
/*
 * The FreeSWITCH pool: where calls that need media go (queues, IVR,
 * voicemail, conferences).  Nodes are chosen by strategy among the healthy
 * ones; health comes from OPTIONS probes (a node is down after fail_after
 * probes without an answer, up again at the first answer) and from calls (a
 * call that times out or gets 503 from a node counts like a failed probe).
 */
#ifndef SIP_ROUTER_FSPOOL_H
#define SIP_ROUTER_FSPOOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define FS_MAX_NODES 16

typedef struct fs_pool fs_pool;

typedef struct fs_node {
	char uri[128];     /* as configured: sip:host:port[;transport=tcp] */
	char hostport[96]; /* host:port for Request-URIs */
	sr_addr addr;
} fs_node;

/* fs_new parses "sip:10.0.0.1:5080,sip:10.0.0.2:5080"; error names the node. */
fs_pool *fs_new(const char *nodes, int strategy, int fail_after, char *err, size_t errlen);
void fs_free(fs_pool *p);
int fs_count(fs_pool *p);
const fs_node *fs_node_at(fs_pool *p, int idx);
/* fs_is_node: is sa one of the nodes (any port)? */
bool fs_is_node(fs_pool *p, const struct sockaddr *sa);

/*
 * fs_pick: a healthy node not in tried (bitmask of indexes), by strategy;
 * key (Call-ID) for the hash strategy.  -1 if none.  Thread-safe.
 */
int fs_pick(fs_pool *p, const char *key, size_t klen, uint32_t tried);
/* fs_call_begin / fs_call_end: for least-calls. */
void fs_call_begin(fs_pool *p, int idx);
void fs_call_end(fs_pool *p, int idx);
/* fs_result: a call's outcome for the node: ok (it answered) or a failure. */
void fs_result(fs_pool *p, int idx, bool ok, int64_t rtt_us);

/*
 * Probes: fs_probe_sent marks an OPTIONS outstanding; fs_probe_result
 * settles it (only the outstanding one counts, so a late answer and its
 * own transaction timeout are not counted twice); fs_probe_expire fails
 * probes unanswered for timeout_ms (call it a few times a second).
 */
void fs_probe_sent(fs_pool *p, int idx, int64_t now_ms);
void fs_probe_result(fs_pool *p, int idx, bool ok, int64_t rtt_us);
void fs_probe_expire(fs_pool *p, int64_t now_ms, int64_t timeout_ms);
json_t *fs_status(fs_pool *p);

#endif
