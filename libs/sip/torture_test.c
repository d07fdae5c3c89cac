/* SPDX-License-Identifier: MIT */
/*
 * The RFC 4475 and RFC 5118 torture corpora (tests/data/sip-torture*):
 * every file gets the verdict its corpus's expected.txt names, and the
 * facts each README spells out hold.  Run from the repository root (as
 * tests/run does), or set TD_SIP_TESTDATA to the tests/data folder.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sip/build.h"
#include "sip/check.h"
#include "sip/frame.h"
#include "sip/hdr.h"
#include "digest/digest.h"
#include "sip/sip.h"
#include "sip/uri.h"
#include "util/buf.h"

#define MAX_MSG 65535

static const char *const corpora[] = { "sip-torture", "sip-torture-ipv6" };

/* ---- helpers --------------------------------------------------------------- */

static const char *
datadir(void)
{
	const char *d = getenv("TD_SIP_TESTDATA");
	return (d != NULL ? d : "tests/data");
}

/* load reads a file under tests/data into a malloc'd buffer (no NUL added to len). */
static char *
load(const char *rel, size_t *len)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", datadir(), rel);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fail_msg(
		    "cannot open %s (run from the repository root or set TD_SIP_TESTDATA)", path);
	}
	char *buf = malloc(MAX_MSG + 1);
	assert_non_null(buf);
	*len = fread(buf, 1, MAX_MSG, f);
	fclose(f);
	buf[*len] = '\0';
	return (buf);
}

/* The datagram verdict for a role, as the expected.txt columns spell it. */
static void
role_verdict(const char *buf, size_t len, unsigned role, char *out, size_t cap)
{
	td_sip_msg m;
	td_sip_verdict v;
	td_sip_check_opts o = { .role = role };
	int rc = td_sip_frame_datagram(&m, buf, len, MAX_MSG);
	if (rc < 0) {
		snprintf(out, cap, m.is_request ? "%d" : "drop", m.err_status);
	} else if (rc != TD_SIP_FRAME_MSG) {
		snprintf(out, cap, "ping");
	} else if (m.is_request) {
		snprintf(out, cap, "%d", td_sip_check_request(&m, &o, &v));
	} else {
		snprintf(out, cap, "%s", td_sip_check_response(&m, &o, &v) == 0 ? "0" : "drop");
	}
}

static const char *
stream_verdict(const char *buf, size_t len)
{
	td_sip_msg m;
	size_t used;
	switch (td_sip_frame_stream(&m, buf, len, MAX_MSG, &used)) {
	case TD_SIP_FRAME_MSG: return ("msg");
	case TD_SIP_FRAME_BAD: return ("bad");
	case TD_SIP_FRAME_MORE: return ("more");
	case TD_SIP_FRAME_PING: return ("ping");
	default: return ("close");
	}
}

/* a parsed, framed datagram from the corpus; the caller frees *buf */
static void
parse_file(const char *rel, td_sip_msg *m, char **buf)
{
	size_t len;
	*buf = load(rel, &len);
	int rc = td_sip_frame_datagram(m, *buf, len, MAX_MSG);
	if (rc != TD_SIP_FRAME_MSG) {
		fail_msg("%s: frame_datagram %d (%s)", rel, rc, m->err_reason ? m->err_reason : "");
	}
}

static void
assert_str(td_sip_str s, const char *want)
{
	if (!td_sip_str_eq(s, want)) {
		fail_msg("got \"%.*s\", want \"%s\"", (int)s.n, s.p ? s.p : "", want);
	}
}

/* unescaped: %HH-decode s and compare with want[0, wn) (NULs included) */
static void
assert_unescaped(td_sip_str s, const char *want, size_t wn)
{
	char out[256];
	size_t n;
	assert_int_equal(td_sip_unescape(s.p, s.n, out, sizeof(out), &n), 0);
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, wn);
}

/* ---- verdict table ---------------------------------------------------------- */

typedef struct row {
	char file[128];
	char dgram[8], stream[8], proxy[8], uas[8], registrar[8];
	bool seen;
} row;

static size_t
read_table(const char *corpus, row *rows, size_t max)
{
	char rel[160];
	size_t len, n = 0;
	snprintf(rel, sizeof(rel), "%s/expected.txt", corpus);
	char *txt = load(rel, &len);
	char *save = NULL;
	for (char *line = strtok_r(txt, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0') {
			continue;
		}
		assert_true(n < max);
		row *r = &rows[n];
		memset(r, 0, sizeof(*r));
		int k = sscanf(line, "%127s %7s %7s %7s %7s %7s", r->file, r->dgram, r->stream,
		    r->proxy, r->uas, r->registrar);
		if (k != 6) {
			fail_msg("%s: bad row: %s", rel, line);
		}
		n++;
	}
	free(txt);
	return (n);
}

/* walk lists every .sip file under dir (relative to tests/data), recursing. */
static void
walk(const char *rel, void (*fn)(const char *rel, void *arg), void *arg)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", datadir(), rel);
	DIR *d = opendir(path);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.') {
			continue;
		}
		char sub[256];
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		size_t nl = strlen(e->d_name);
		if (nl > 4 && strcmp(e->d_name + nl - 4, ".sip") == 0) {
			fn(sub, arg);
		} else if (e->d_type == DT_DIR) {
			walk(sub, fn, arg);
		}
	}
	closedir(d);
}

typedef struct table {
	const char *corpus;
	row rows[64];
	size_t n;
	int missing;
} table;

static void
mark_seen(const char *rel, void *arg)
{
	table *t = arg;
	const char *name = rel + strlen(t->corpus) + 1;
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->rows[i].file, name) == 0) {
			t->rows[i].seen = true;
			return;
		}
	}
	print_error("%s has no verdict in %s/expected.txt\n", rel, t->corpus);
	t->missing++;
}

/* Every .sip file has a row, every row a file. */
static void
test_table_covers_corpus(void **state)
{
	(void)state;
	for (size_t c = 0; c < TD_ARRAY_LEN(corpora); c++) {
		static table t;
		memset(&t, 0, sizeof(t));
		t.corpus = corpora[c];
		t.n = read_table(t.corpus, t.rows, TD_ARRAY_LEN(t.rows));
		assert_true(t.n > 0);
		walk(t.corpus, mark_seen, &t);
		for (size_t i = 0; i < t.n; i++) {
			if (!t.rows[i].seen) {
				print_error("%s/expected.txt names %s, which does not exist\n",
				    t.corpus, t.rows[i].file);
				t.missing++;
			}
		}
		assert_int_equal(t.missing, 0);
	}
}

/* Every file gets the verdict in its row, in every column. */
static void
test_verdicts(void **state)
{
	(void)state;
	int bad = 0, checked = 0;
	for (size_t c = 0; c < TD_ARRAY_LEN(corpora); c++) {
		static row rows[64];
		size_t n = read_table(corpora[c], rows, TD_ARRAY_LEN(rows));
		for (size_t i = 0; i < n; i++) {
			const row *r = &rows[i];
			char rel[256], got[5][16];
			size_t len;
			snprintf(rel, sizeof(rel), "%s/%s", corpora[c], r->file);
			char *buf = load(rel, &len);
			td_sip_msg m;
			int rc = td_sip_frame_datagram(&m, buf, len, MAX_MSG);
			snprintf(
			    got[0], sizeof(got[0]), "%s", rc == TD_SIP_FRAME_MSG ? "msg" : "err");
			snprintf(got[1], sizeof(got[1]), "%s", stream_verdict(buf, len));
			role_verdict(buf, len, TD_SIP_ROLE_PROXY, got[2], sizeof(got[2]));
			role_verdict(buf, len, TD_SIP_ROLE_UAS, got[3], sizeof(got[3]));
			role_verdict(buf, len, TD_SIP_ROLE_REGISTRAR, got[4], sizeof(got[4]));
			const char *want[5]
			    = { r->dgram, r->stream, r->proxy, r->uas, r->registrar };
			static const char *const col[5]
			    = { "dgram", "stream", "proxy", "uas", "registrar" };
			for (int k = 0; k < 5; k++) {
				checked++;
				if (strcmp(got[k], want[k]) != 0) {
					print_error("%s: %s is %s, expected %s\n", rel, col[k],
					    got[k], want[k]);
					bad++;
				}
			}
			free(buf);
		}
	}
	assert_true(checked >= 5 * 70);
	assert_int_equal(bad, 0);
}

/* ---- RFC 4475 §3.1.1 valid messages: the facts the README names ------------- */

static void
test_wsinv(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	parse_file("sip-torture/valid/wsinv.sip", &m, &buf);
	uint32_t mf;
	td_sip_cseq cs;
	assert_int_equal(td_sip_max_forwards(&m, &mf), 0);
	assert_int_equal(mf, 68);
	assert_int_equal(td_sip_cseq_get(&m, &cs), 0);
	assert_int_equal(cs.num, 9);
	assert_str(cs.method, "INVITE");
	assert_int_equal(cs.method_id, TD_SIP_INVITE);

	td_sip_addr a;
	assert_int_equal(td_sip_to(&m, &a), 0);
	assert_str(a.tag, "1918181833n");
	assert_str(a.uri, "sip:vivekg@chair-dnrc.example.com");
	assert_int_equal(td_sip_from(&m, &a), 0);
	assert_str(a.tag, "98asjd8");
	assert_str(a.display, "\"J Rosenberg \\\\\\\"\"");

	/* three Via values over two lines, LWS and folds everywhere */
	static const struct {
		const char *host, *transport, *branch;
	} vias[] = {
		{ "192.0.2.2", "UDP", "390skdjuw" },
		{ "spindle.example.com", "TCP", "z9hG4bK9ikj8" },
		{ "192.168.255.111", "UDP", "z9hG4bK30239" },
	};
	td_sip_iter it;
	td_sip_via v;
	td_sip_iter_init(&it, &m, TD_SIP_H_VIA);
	for (size_t i = 0; i < TD_ARRAY_LEN(vias); i++) {
		assert_int_equal(td_sip_via_next(&it, &v), 1);
		assert_str(v.host, vias[i].host);
		assert_str(v.transport, vias[i].transport);
		assert_str(v.branch, vias[i].branch);
		assert_str(v.proto_version, "2.0");
	}
	assert_int_equal(td_sip_via_next(&it, &v), 0);

	/* Contact with quoted display name, folded params, q = 0.33 */
	unsigned q;
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_str(a.uri, "sip:jdrosen@example.com");
	assert_true(a.has_q);
	assert_int_equal(td_sip_qvalue(a.q, &q), 0);
	assert_int_equal(q, 330);
	td_sip_str val;
	assert_true(td_sip_param_get(a.params, "newparam", &val));
	assert_str(val, "newvalue");
	assert_true(td_sip_param_get(a.params, "secondparam", &val));
	assert_null(val.p);

	/* Route with lr; unknown headers kept as opaque values */
	td_sip_uri u;
	td_sip_iter_init(&it, &m, TD_SIP_H_ROUTE);
	assert_int_equal(td_sip_addr_next(&it, &a), 1);
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_true(u.lr);
	assert_str(u.host, "services.example.com");
	const td_sip_hdr *h = td_sip_hdr_find(&m, "UnknownHeaderWithUnusualValue");
	assert_non_null(h);
	assert_str(h->value, ";;,,;;,;");
	h = td_sip_hdr_first(&m, TD_SIP_H_SUBJECT);
	assert_non_null(h);
	assert_int_equal(h->value.n, 0);
	assert_int_equal(m.body.n, 150);
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_true(td_sip_uri_param(&u, "unknownparam", NULL));
	free(buf);
}

static void
test_intmeth(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	parse_file("sip-torture/valid/intmeth.sip", &m, &buf);
	assert_str(m.method, "!interesting-Method0123456789_*+`.%indeed'~");
	assert_int_equal(m.method_id, TD_SIP_METHOD_OTHER);
	td_sip_uri u;
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_str(u.user, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
	assert_str(u.password, "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
	assert_str(u.host, "example.com");
	td_sip_via v;
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.branch, "z9hG4bK-.!%66*_+`'~");
	td_sip_addr a;
	assert_int_equal(td_sip_from(&m, &a), 0);
	assert_str(a.display, "token1~` token2'+_ token3*%!.-");
	assert_str(a.tag, "_token~1'+`*%!-.");
	assert_int_equal(td_sip_to(&m, &a), 0); /* quoted-pairs with BEL, NUL, DEL */
	td_sip_str id;
	assert_int_equal(td_sip_callid(&m, &id), 0);
	assert_str(id, "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
	free(buf);
}

static void
test_esc01(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	parse_file("sip-torture/valid/esc01.sip", &m, &buf);
	td_sip_uri u;
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_unescaped(u.user, "sips:user@example.com", 21);
	assert_str(u.host, "example.net");
	td_sip_addr a;
	assert_int_equal(td_sip_to(&m, &a), 0);
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_unescaped(u.user, "user", 4);
	assert_int_equal(td_sip_from(&m, &a), 0);
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_unescaped(u.user, "I have spaces", 13);
	td_sip_iter it;
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_unescaped(u.user, "caller", 6);
	assert_unescaped(u.params, "lr;name=value%41", 16);
	free(buf);
}

static void
test_escnull(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	parse_file("sip-torture/valid/escnull.sip", &m, &buf);
	td_sip_addr a;
	td_sip_uri u;
	assert_int_equal(td_sip_to(&m, &a), 0);
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_unescaped(u.user, "null-\0-null", 11);

	/* two distinct contacts: "\0" and "\0\0" */
	char users[2][8];
	size_t lens[2];
	td_sip_iter it;
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(td_sip_contact_next(&it, &a), 1);
		assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
		assert_int_equal(td_sip_unescape(u.user.p, u.user.n, users[i], 8, &lens[i]), 0);
	}
	assert_int_equal(td_sip_contact_next(&it, &a), 0);
	assert_int_equal(lens[0], 1);
	assert_int_equal(lens[1], 2);
	assert_memory_equal(users[1], "\0\0", 2);
	assert_false(lens[0] == lens[1] && memcmp(users[0], users[1], lens[0]) == 0);
	free(buf);
}

static void
test_esc02(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	parse_file("sip-torture/valid/esc02.sip", &m, &buf);
	assert_int_not_equal(m.method_id, TD_SIP_REGISTER);
	assert_str(m.method, "RE%47IST%45R");
	assert_int_equal(td_sip_hdr_count(&m, TD_SIP_H_CONTACT), 2);
	td_sip_iter it;
	td_sip_addr a;
	int n = 0;
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	while (td_sip_contact_next(&it, &a) == 1) {
		n++;
	}
	assert_int_equal(n, 2);
	const td_sip_hdr *h = td_sip_hdr_find(&m, "C%6Fntact");
	assert_non_null(h);
	assert_int_equal(h->type, TD_SIP_H_OTHER);
	td_sip_cseq cs;
	assert_int_equal(td_sip_cseq_get(&m, &cs), 0);
	assert_true(td_sip_str_same(cs.method, m.method));
	td_sip_via v;
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.branch, "z9hG4bK209%fzsnel234");
	assert_int_equal(td_sip_from(&m, &a), 0);
	assert_str(a.display, "\"%Z%45\"");
	free(buf);
}

static void
test_lwsdisp_longreq_semiuri(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	td_sip_addr a;
	td_sip_uri u;
	td_sip_iter it;
	td_sip_via v;

	parse_file("sip-torture/valid/lwsdisp.sip", &m, &buf);
	assert_int_equal(td_sip_from(&m, &a), 0);
	assert_str(a.display, "caller");
	assert_str(a.uri, "sip:caller@example.com");
	assert_str(a.tag, "323");
	free(buf);

	parse_file("sip-torture/valid/longreq.sip", &m, &buf);
	assert_int_equal(m.len, 3515);
	int n = 0;
	td_sip_iter_init(&it, &m, TD_SIP_H_VIA);
	while (td_sip_via_next(&it, &v) == 1) {
		n++;
		assert_str(v.transport, "TCP");
	}
	assert_int_equal(n, 34);
	assert_str(v.received, "192.0.2.5");
	assert_int_equal(v.branch.n, 215);
	assert_int_equal(td_sip_from(&m, &a), 0);
	assert_int_equal(a.tag.n, 155);
	assert_int_equal(td_sip_to(&m, &a), 0);
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_int_equal(u.port, 6000);
	assert_int_equal(m.body.n, 150);
	free(buf);

	parse_file("sip-torture/valid/semiuri.sip", &m, &buf);
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_unescaped(u.user, "user;par=u@example.net", 22);
	assert_str(u.host, "example.com");
	assert_int_equal(u.params.n, 0);
	free(buf);
}

static void
test_dblreq(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	size_t len;
	buf = load("sip-torture/valid/dblreq.sip", &len);
	assert_int_equal(td_sip_frame_datagram(&m, buf, len, MAX_MSG), TD_SIP_FRAME_MSG);
	assert_int_equal(m.method_id, TD_SIP_REGISTER);
	assert_int_equal(m.body.n, 0);
	assert_true(m.len < len);

	/* a proxy must not forward the trailing INVITE octets */
	td_buf b;
	td_buf_init(&b, 0);
	td_sip_fwd_opts fo = { .via_transport = "UDP",
		.via_sent_by = td_sip_str_c("192.0.2.250"),
		.branch = td_sip_str_c("z9hG4bKfwd1") };
	assert_int_equal(td_sip_build_forward(&b, &m, &fo), 0);
	assert_null(strstr(b.data, "INVITE"));
	td_buf_free(&b);

	/* over a stream the same octets are two messages (and a stray CRLF) */
	size_t used, off = 0;
	assert_int_equal(td_sip_frame_stream(&m, buf, len, MAX_MSG, &used), TD_SIP_FRAME_MSG);
	assert_int_equal(m.method_id, TD_SIP_REGISTER);
	off += used;
	assert_int_equal(
	    td_sip_frame_stream(&m, buf + off, len - off, MAX_MSG, &used), TD_SIP_FRAME_MSG);
	assert_int_equal(m.method_id, TD_SIP_INVITE);
	assert_int_equal(m.body.n, 150);
	free(buf);
}

static void
test_transports_mpart_reasons(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	td_sip_iter it;
	td_sip_via v;

	parse_file("sip-torture/valid/transports.sip", &m, &buf);
	static const char *const tr[] = { "UDP", "SCTP", "TLS", "UNKNOWN", "TCP" };
	td_sip_iter_init(&it, &m, TD_SIP_H_VIA);
	for (size_t i = 0; i < TD_ARRAY_LEN(tr); i++) {
		assert_int_equal(td_sip_via_next(&it, &v), 1);
		assert_str(v.transport, tr[i]);
	}
	assert_int_equal(td_sip_via_next(&it, &v), 0);
	free(buf);

	parse_file("sip-torture/valid/mpart01.sip", &m, &buf);
	assert_int_equal(m.body.n, 553);
	assert_non_null(memchr(m.body.p, '\0', m.body.n));
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_true(v.has_rport);
	assert_null(v.rport.p);
	assert_int_equal(v.port, 5070);
	free(buf);

	parse_file("sip-torture/valid/unreason.sip", &m, &buf);
	assert_false(m.is_request);
	assert_int_equal(m.status, 200);
	assert_int_equal(strncmp(m.reason.p, "= 2**3 * 5**2 ", 14), 0);
	free(buf);

	parse_file("sip-torture/valid/noreason.sip", &m, &buf);
	assert_int_equal(m.status, 100);
	assert_int_equal(m.reason.n, 0);
	free(buf);
}

static void
test_application_level(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	td_sip_via v;
	td_sip_uri u;
	td_sip_addr a;
	td_sip_verdict vd;
	td_sip_check_opts proxy = { .role = TD_SIP_ROLE_PROXY };
	td_sip_check_opts uas = { .role = TD_SIP_ROLE_UAS };

	parse_file("sip-torture/valid/badbranch.sip", &m, &buf);
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.branch, "z9hG4bK");
	assert_false(td_sip_branch_is_rfc3261(v.branch));
	free(buf);

	parse_file("sip-torture/valid/unkscm.sip", &m, &buf);
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_int_equal(u.scheme, TD_SIP_SCHEME_OTHER);
	assert_str(u.scheme_str, "nobodyKnowsThisScheme");
	free(buf);

	parse_file("sip-torture/valid/novelsc.sip", &m, &buf);
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_str(u.scheme_str, "soap.beep");
	free(buf);

	parse_file("sip-torture/valid/bext01.sip", &m, &buf);
	assert_int_equal(td_sip_check_request(&m, &proxy, &vd), 420);
	assert_int_equal(vd.nunsupported, 2);
	assert_str(vd.unsupported[0], "noProxiesSupportThis");
	assert_str(vd.unsupported[1], "norDoAnyProxiesSupportThis");
	assert_int_equal(td_sip_check_request(&m, &uas, &vd), 420);
	assert_int_equal(vd.nunsupported, 2);
	assert_str(vd.unsupported[0], "nothingSupportsThis");
	static const char *const sup[]
	    = { "nothingSupportsThis", "nothingSupportsThisEither", NULL };
	td_sip_check_opts uas_sup = { .role = TD_SIP_ROLE_UAS, .supported = sup };
	assert_int_equal(td_sip_check_request(&m, &uas_sup, &vd), 0);
	free(buf);

	/* An unknown scheme is no usable credential: the registrar challenges (401). */
	parse_file("sip-torture/valid/regaut01.sip", &m, &buf);
	const td_sip_hdr *h = td_sip_hdr_first(&m, TD_SIP_H_AUTHORIZATION);
	assert_non_null(h);
	td_digest_creds dc;
	td_digest_perr perr;
	assert_int_equal(td_digest_parse(h->value.p, h->value.n, &dc, &perr), TD_EINVAL);
	assert_int_equal(perr.code, TD_DIGEST_PERR_SCHEME);
	free(buf);

	parse_file("sip-torture/valid/bcast.sip", &m, &buf);
	assert_int_equal(td_sip_check_response(&m, &proxy, &vd), TD_EPROTO);
	assert_string_equal(vd.reason, "Broadcast Via");
	free(buf);

	parse_file("sip-torture/valid/cparam01.sip", &m, &buf);
	td_sip_iter it;
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_false(a.angle);
	assert_str(a.uri, "sip:+19725552222@gw1.example.net");
	assert_true(td_sip_param_get(a.params, "unknownparam", NULL));
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_false(td_sip_uri_param(&u, "unknownparam", NULL));
	free(buf);

	parse_file("sip-torture/valid/cparam02.sip", &m, &buf);
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_true(a.angle);
	assert_false(td_sip_param_get(a.params, "unknownparam", NULL));
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_true(td_sip_uri_param(&u, "unknownparam", NULL));
	free(buf);

	parse_file("sip-torture/valid/regescrt.sip", &m, &buf);
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_true(u.has_headers);
	assert_unescaped(u.headers, "Route=<sip:sip.example.com>", 27);
	free(buf);

	parse_file("sip-torture/valid/inv2543.sip", &m, &buf);
	assert_int_equal(m.body.n, 105);
	assert_ptr_equal(m.body.p + m.body.n, m.buf + m.len);
	uint32_t mf;
	assert_int_equal(td_sip_max_forwards(&m, &mf), TD_ENOTFOUND);
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_false(v.has_branch);
	free(buf);
}

/* ---- RFC 4475 invalid messages: why each one fails ----------------------------- */

static void
expect_reason(const char *rel, unsigned role, int status, const char *reason)
{
	size_t len;
	char *buf = load(rel, &len);
	td_sip_msg m;
	td_sip_verdict v;
	td_sip_check_opts o = { .role = role };
	int rc = td_sip_frame_datagram(&m, buf, len, MAX_MSG);
	const char *got;
	int got_status;
	if (rc < 0) {
		got_status = m.is_request ? m.err_status : -1;
		got = m.err_reason;
	} else if (m.is_request) {
		got_status = td_sip_check_request(&m, &o, &v);
		got = v.reason;
	} else {
		got_status = td_sip_check_response(&m, &o, &v) == 0 ? 0 : -1;
		got = v.reason;
	}
	if (got_status != status || got == NULL || strcmp(got, reason) != 0) {
		fail_msg("%s: got %d \"%s\", want %d \"%s\"", rel, got_status, got ? got : "(null)",
		    status, reason);
	}
	free(buf);
}

static void
test_invalid_reasons(void **state)
{
	(void)state;
	static const struct {
		const char *file;
		unsigned role;
		int status; /* -1: drop */
		const char *reason;
	} cases[] = {
		{ "badinv01.sip", TD_SIP_ROLE_PROXY, 400, "Bad Via" },
		{ "clerr.sip", TD_SIP_ROLE_PROXY, 400, "Content-Length Exceeds Datagram" },
		{ "ncl.sip", TD_SIP_ROLE_PROXY, 400, "Bad Content-Length" },
		{ "scalar02.sip", TD_SIP_ROLE_PROXY, 400, "Bad CSeq" },
		{ "scalarlg.sip", TD_SIP_ROLE_PROXY, -1, "Bad CSeq" },
		{ "quotbal.sip", TD_SIP_ROLE_PROXY, 400, "Bad To" },
		{ "ltgtruri.sip", TD_SIP_ROLE_PROXY, 400, "Bad Request-URI" },
		{ "lwsruri.sip", TD_SIP_ROLE_PROXY, 400, "Bad SIP-Version" },
		{ "lwsstart.sip", TD_SIP_ROLE_PROXY, 400, "Bad Request-Line" },
		{ "trws.sip", TD_SIP_ROLE_PROXY, 400, "Bad SIP-Version" },
		{ "escruri.sip", TD_SIP_ROLE_PROXY, 400, "Bad Request-URI" },
		{ "regbadct.sip", TD_SIP_ROLE_REGISTRAR, 400, "Bad Contact" },
		{ "badaspec.sip", TD_SIP_ROLE_PROXY, 400, "Bad To" },
		{ "baddn.sip", TD_SIP_ROLE_PROXY, 400, "Bad From" },
		{ "badvers.sip", TD_SIP_ROLE_PROXY, 505, "Version Not Supported" },
		{ "mismatch01.sip", TD_SIP_ROLE_PROXY, 400, "CSeq Method Mismatch" },
		{ "mismatch02.sip", TD_SIP_ROLE_UAS, 501, "Not Implemented" },
		{ "mismatch02.sip", TD_SIP_ROLE_PROXY, 400, "CSeq Method Mismatch" },
		{ "bigcode.sip", TD_SIP_ROLE_PROXY, -1, "Bad Status-Code" },
		{ "insuf.sip", TD_SIP_ROLE_PROXY, 400, "Missing From" },
		{ "multi01.sip", TD_SIP_ROLE_PROXY, 400, "Duplicate From" },
		{ "mcl01.sip", TD_SIP_ROLE_PROXY, 400, "Conflicting Content-Length" },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(cases); i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), "sip-torture/invalid/%s", cases[i].file);
		expect_reason(rel, cases[i].role, cases[i].status, cases[i].reason);
	}
	expect_reason("sip-torture/extra/test.sip", TD_SIP_ROLE_PROXY, 400, "Bad Request-Line");
}

static void
test_invalid_facts(void **state)
{
	(void)state;
	td_sip_msg m;
	char *buf;
	parse_file("sip-torture/invalid/scalar02.sip", &m, &buf);
	td_sip_cseq cs;
	uint32_t x;
	assert_int_equal(td_sip_cseq_get(&m, &cs), TD_ETOOBIG);
	assert_int_equal(td_sip_max_forwards(&m, &x), TD_ETOOBIG);
	assert_int_equal(td_sip_u32_header(&m, TD_SIP_H_EXPIRES, &x), TD_ETOOBIG);
	td_sip_iter it;
	td_sip_addr a;
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_int_equal(td_sip_delta_seconds(a.expires, &x), TD_ETOOBIG);
	free(buf);

	/* baddn: no empty line; the datagram's end ends the header section */
	parse_file("sip-torture/invalid/baddn.sip", &m, &buf);
	assert_true(m.unterminated);
	assert_int_equal(m.body.n, 0);
	free(buf);

	/* baddate: the Date does not matter to a proxy or registrar; it is kept as is */
	parse_file("sip-torture/invalid/baddate.sip", &m, &buf);
	const td_sip_hdr *h = td_sip_hdr_first(&m, TD_SIP_H_DATE);
	assert_non_null(h);
	assert_str(h->value, "Fri, 01 Jan 2010 16:00:00 EST");
	free(buf);

	/* test.sip (no RFC section): rejected without crashing, at the Request-Line */
	size_t len;
	buf = load("sip-torture/extra/test.sip", &len);
	assert_int_equal(td_sip_frame_datagram(&m, buf, len, MAX_MSG), TD_EPROTO);
	assert_true(m.is_request);
	free(buf);
}

/* ---- RFC 5118 -------------------------------------------------------------------- */

static void
ipv6_facts(const char *dir)
{
	td_sip_msg m;
	char *buf;
	char rel[160];
	td_sip_uri u;
	td_sip_via v;
	td_sip_addr a;
	td_sip_iter it;

#define OPEN(name)                                                                                 \
	snprintf(rel, sizeof(rel), "sip-torture-ipv6/%s/%s", dir, name);                           \
	parse_file(rel, &m, &buf)

	OPEN("ipv6-good.sip");
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_true(u.host_ipv6);
	assert_str(u.host, "2001:db8::10");
	assert_false(u.has_port);
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.host, "2001:db8::9:1");
	assert_true(v.host_ipv6);
	td_sip_iter_init(&it, &m, TD_SIP_H_CONTACT);
	assert_int_equal(td_sip_contact_next(&it, &a), 1);
	assert_int_equal(td_sip_uri_parse(a.uri, &u), 0);
	assert_str(u.host, "2001:db8::1");
	free(buf);

	OPEN("port-ambiguous.sip");
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_str(u.host, "2001:db8::10:5070");
	assert_false(u.has_port);
	assert_int_equal(u.port, 0);
	free(buf);

	OPEN("port-unambiguous.sip");
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_str(u.host, "2001:db8::10");
	assert_true(u.has_port);
	assert_int_equal(u.port, 5070);
	free(buf);

	OPEN("via-received-param-with-delim.sip");
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.received, "[2001:db8::9:255]");
	assert_str(v.branch, "z9hG4bKas3-111");
	free(buf);

	OPEN("via-received-param-no-delim.sip");
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.received, "2001:db8::9:255");
	assert_str(v.branch, "z9hG4bKas3");
	free(buf);

	OPEN("mult-ip-in-header.sip");
	td_sip_iter_init(&it, &m, TD_SIP_H_VIA);
	assert_int_equal(td_sip_via_next(&it, &v), 1);
	assert_str(v.host, "2001:db8::9:1");
	assert_int_equal(v.port, 6050);
	assert_int_equal(td_sip_via_next(&it, &v), 1);
	assert_str(v.host, "192.0.2.1");
	assert_false(v.host_ipv6);
	assert_int_equal(td_sip_via_next(&it, &v), 1);
	assert_str(v.transport, "TCP");
	assert_str(v.host, "2001:db8::9:255");
	assert_str(v.received, "192.0.2.200");
	assert_int_equal(td_sip_via_next(&it, &v), 0);
	free(buf);

	OPEN("ipv4-mapped-ipv6.sip");
	assert_int_equal(td_sip_via_top(&m, &v), 0);
	assert_str(v.host, "::ffff:192.0.2.10");
	assert_int_equal(v.port, 19823);
	free(buf);

	OPEN("ipv6-correct-abnf-2-colons.sip");
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), 0);
	assert_str(u.host, "2001:db8::192.0.2.1");
	free(buf);

	/* policy: three colons is not an IPv6 address (inet_pton), so 400 */
	OPEN("ipv6-bug-abnf-3-colons.sip");
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), TD_EPROTO);
	free(buf);

	OPEN("ipv6-bad.sip");
	assert_int_equal(td_sip_uri_parse(m.ruri, &u), TD_EPROTO);
	free(buf);
#undef OPEN
}

static void
test_ipv6_archive(void **state)
{
	(void)state;
	ipv6_facts("archive");
}

static void
test_ipv6_crlf(void **state)
{
	(void)state;
	ipv6_facts("crlf");
}

/*
 * The Content-Length traps, repaired: the same bytes with Content-Length set
 * to the body actually there must be accepted by every role, with SDP intact.
 */
static void
test_ipv6_cl_repaired(void **state)
{
	(void)state;
	static const char *const files[] = { "archive/ipv6-in-sdp.sip",
		"archive/mult-ip-in-sdp.sip", "archive/ipv4-mapped-ipv6.sip",
		"crlf/ipv6-in-sdp.sip", "crlf/mult-ip-in-sdp.sip", "crlf/ipv4-mapped-ipv6.sip" };
	for (size_t i = 0; i < TD_ARRAY_LEN(files); i++) {
		char rel[160];
		size_t len;
		snprintf(rel, sizeof(rel), "sip-torture-ipv6/%s", files[i]);
		char *buf = load(rel, &len);
		td_sip_msg m;
		assert_int_equal(td_sip_parse(&m, buf, len), 0);
		const td_sip_hdr *cl = td_sip_hdr_first(&m, TD_SIP_H_CONTENT_LENGTH);
		assert_non_null(cl);
		/* rebuild: headers before CL, the real length, the rest */
		td_buf b;
		td_buf_init(&b, 0);
		td_buf_append(&b, buf, (size_t)(cl->value.p - buf));
		td_buf_printf(&b, "%zu", m.body.n);
		td_buf_append(
		    &b, cl->value.p + cl->value.n, len - (size_t)(cl->value.p + cl->value.n - buf));
		size_t body = m.body.n;
		assert_int_equal(
		    td_sip_frame_datagram(&m, b.data, b.len, MAX_MSG), TD_SIP_FRAME_MSG);
		assert_int_equal(m.body.n, body);
		assert_non_null(memmem(m.body.p, m.body.n, "IN IP6", 6));
		unsigned roles[] = { TD_SIP_ROLE_PROXY, TD_SIP_ROLE_UAS, TD_SIP_ROLE_REGISTRAR };
		for (size_t r = 0; r < 3; r++) {
			char got[16];
			role_verdict(b.data, b.len, roles[r], got, sizeof(got));
			if (strcmp(got, "0") != 0) {
				fail_msg("%s repaired: role %u gives %s", rel, roles[r], got);
			}
		}
		td_buf_free(&b);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_covers_corpus),
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_wsinv),
		cmocka_unit_test(test_intmeth),
		cmocka_unit_test(test_esc01),
		cmocka_unit_test(test_escnull),
		cmocka_unit_test(test_esc02),
		cmocka_unit_test(test_lwsdisp_longreq_semiuri),
		cmocka_unit_test(test_dblreq),
		cmocka_unit_test(test_transports_mpart_reasons),
		cmocka_unit_test(test_application_level),
		cmocka_unit_test(test_invalid_reasons),
		cmocka_unit_test(test_invalid_facts),
		cmocka_unit_test(test_ipv6_archive),
		cmocka_unit_test(test_ipv6_crlf),
		cmocka_unit_test(test_ipv6_cl_repaired),
	};
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
