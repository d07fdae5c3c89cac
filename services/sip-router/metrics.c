/* SPDX-License-Identifier: MIT */
/* sip-router metrics, registered once at start. */
#include <stdio.h>
#include <stdlib.h>

#include "util/mem.h"

#include <stdatomic.h>

#include "sip/sip.h"
#include "sr.h"

void
sr_metrics_init(sr_metrics *m)
{
	for (int i = 0; i < 16; i++) {
		char labels[64];
		const char *name = i > 0 && i < TD_SIP_METHOD__COUNT ? td_sip_method_name((td_sip_method)i)
		                                                       : "OTHER";
		snprintf(labels, sizeof(labels), "method=\"%s\"", name);
		m->req[i] = td_metrics_counter("tandem_sip_requests_total", "SIP requests received, by method",
		    labels);
	}
	m->resp_code = td_xcalloc(16 * 600, sizeof(*m->resp_code));
	for (int c = 1; c <= 6; c++) {
		char labels[32];
		snprintf(labels, sizeof(labels), "class=\"%dxx\"", c);
		m->resp[c] = td_metrics_counter("tandem_sip_response_classes_total",
		    "SIP responses sent (generated or relayed), by class", labels);
	}
	m->parse_errors = td_metrics_counter("tandem_sip_parse_errors_total",
	    "malformed SIP messages (answered 4xx/5xx or dropped)", NULL);
	m->rate_limited = td_metrics_counter("tandem_sip_rate_limited_total",
	    "messages dropped because their source exceeded sip.pike_rate", NULL);
	m->oversize = td_metrics_counter("tandem_sip_oversize_total",
	    "messages larger than sip.max_message", NULL);
	m->retransmissions = td_metrics_counter("tandem_sip_retransmissions_total",
	    "request retransmissions absorbed by a transaction", NULL);
	m->stateless_fwd = td_metrics_counter("tandem_sip_stateless_forwarded_total",
	    "ACKs for 2xx and stray responses relayed without a transaction", NULL);
	m->auth_challenges = td_metrics_counter("tandem_sip_auth_challenges_total",
	    "401/407 challenges sent", NULL);
	m->auth_failures = td_metrics_counter("tandem_sip_auth_failures_total",
	    "requests refused 403 for wrong credentials", NULL);
	m->reg_ok = td_metrics_counter("tandem_sip_registrations_total", "REGISTERs by result",
	    "result=\"ok\"");
	m->reg_fail = td_metrics_counter("tandem_sip_registrations_total", "REGISTERs by result",
	    "result=\"failed\"");
	static const char *const results[] = {"answered", "failed", "cancelled", "timeout"};
	for (int i = 0; i < 4; i++) {
		char labels[48];
		snprintf(labels, sizeof(labels), "result=\"%s\"", results[i]);
		m->calls_total[i] = td_metrics_counter("tandem_sip_calls_total", "calls by how they ended up",
		    labels);
	}
	m->reg_seconds = td_metrics_histogram("tandem_sip_register_seconds",
	    "REGISTER in to 200 OK out (including the Redis write)", NULL,
	    td_metrics_latency_buckets, td_metrics_latency_nbuckets);
	m->setup_seconds = td_metrics_histogram("tandem_sip_call_setup_seconds",
	    "INVITE in to first ringing or answer relayed", NULL, td_metrics_latency_buckets,
	    td_metrics_latency_nbuckets);
	m->transactions = td_metrics_gauge("tandem_sip_transactions", "transactions in progress", NULL);
	m->calls_active = td_metrics_gauge("tandem_sip_calls_active", "calls being set up or talking",
	    NULL);
	m->registrations = td_metrics_gauge("tandem_sip_registrations",
	    "registered contacts (bindings) in the location service", NULL);
	m->blocked_sources = td_metrics_gauge("tandem_sip_rate_limited_sources",
	    "source addresses being ignored for exceeding sip.pike_rate", NULL);
}

void
sr_metrics_fini(sr_metrics *m)
{
	free((void *)m->resp_code);
	m->resp_code = NULL;
}

void
sr_count_response(sr_metrics *m, int method, int status)
{
	if (status < 100 || status > 699) {
		return;
	}
	td_counter_inc(m->resp[status / 100]);
	if (method < 0 || method >= 16 || method >= TD_SIP_METHOD__COUNT) {
		method = 0;
	}
	td_counter *_Atomic *slot = &m->resp_code[method * 600 + (status - 100)];
	td_counter *c = atomic_load_explicit(slot, memory_order_acquire);
	if (c == NULL) {
		/* The registry hands back the same series for the same labels: a race is harmless. */
		char labels[80];
		snprintf(labels, sizeof(labels), "method=\"%s\",code=\"%d\"",
		    method > 0 ? td_sip_method_name((td_sip_method)method) : "OTHER", status);
		c = td_metrics_counter("tandem_sip_responses_total",
		    "SIP responses sent (generated or relayed), by request method and status code",
		    labels);
		atomic_store_explicit(slot, c, memory_order_release);
	}
	td_counter_inc(c);
}
