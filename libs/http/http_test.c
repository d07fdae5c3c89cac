/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the HTTP server: td_http_parse_listen, and a live server
 * on 127.0.0.1:0 driven with libcurl (query arguments, headers, bodies up
 * to and past max_body, Expect: 100-continue, basic auth, error shape,
 * connections served concurrently).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "http/http.h"
#include "util/clock.h"

/* ---- td_http_parse_listen ---------------------------------------------------------- */

static void
test_parse_listen(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		bool v6;
		const char *addr;
		int port;
	} good[] = {
		{ "127.0.0.1:8080", false, "127.0.0.1", 8080 },
		{ ":8080", false, "0.0.0.0", 8080 },
		{ "*:80", false, "0.0.0.0", 80 },
		{ "8080", false, "0.0.0.0", 8080 },
		{ "0.0.0.0:0", false, "0.0.0.0", 0 },
		{ "10.1.2.3:65535", false, "10.1.2.3", 65535 },
		{ "[::1]:8080", true, "::1", 8080 },
		{ "[::]:0", true, "::", 0 },
		{ "[fd00::5]:443", true, "fd00::5", 443 },
	};
	for (size_t i = 0; i < TD_ARRAY_LEN(good); i++) {
		struct sockaddr_storage ss;
		bool v6 = !good[i].v6;
		if (td_http_parse_listen(good[i].in, &ss, sizeof(ss), &v6) != 0) {
			fail_msg("'%s' rejected", good[i].in);
		}
		assert_int_equal(v6, good[i].v6);
		char ip[INET6_ADDRSTRLEN];
		if (v6) {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
			assert_int_equal(a->sin6_family, AF_INET6);
			inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
			assert_int_equal(ntohs(a->sin6_port), good[i].port);
		} else {
			const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
			assert_int_equal(a->sin_family, AF_INET);
			inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
			assert_int_equal(ntohs(a->sin_port), good[i].port);
		}
		assert_string_equal(ip, good[i].addr);
	}
	static const char *const bad[] = { "", "localhost:80", "127.0.0.1:", "127.0.0.1:65536",
		"127.0.0.1:-1", "127.0.0.1:80x", "127.0.0.1: 80", "127.0.0.1:+80", "[::1]",
		"[::1]80", "[::1]:", "[]:80", "::1:80", "[::1:80", "1.2.3:80", "300.1.1.1:80",
		"[fe80::1%eth0]:80", "127.0.0.1:99999999999999999999" };
	for (size_t i = 0; i < TD_ARRAY_LEN(bad); i++) {
		struct sockaddr_storage ss;
		bool v6;
		if (td_http_parse_listen(bad[i], &ss, sizeof(ss), &v6) != TD_EINVAL) {
			fail_msg("'%s' accepted", bad[i]);
		}
	}
	struct sockaddr_in small;
	bool v6;
	assert_int_equal(td_http_parse_listen("1.2.3.4:5", &small, sizeof(small), &v6), TD_EINVAL);
}

/* ---- a live server ------------------------------------------------------------------------- */

typedef struct srvstate {
	td_http_server *srv;
	int port;
	int calls;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool released;
} srvstate;

static int
add_arg(void *arg, const char *key, const char *value)
{
	json_object_set_new(arg, key, json_string(value));
	return (0);
}

static int
stop_at_b(void *arg, const char *key, const char *value)
{
	(void)value;
	(*(int *)arg)++;
	return (strcmp(key, "b") == 0 ? 7 : 0);
}

static void
handler(void *arg, const td_http_req *req, td_http_resp *resp)
{
	srvstate *st = arg;
	pthread_mutex_lock(&st->mu);
	st->calls++;
	pthread_mutex_unlock(&st->mu);

	if (strcmp(req->path, "/echo") == 0) {
		json_t *args = json_object();
		assert_int_equal(td_http_args_foreach(req, add_arg, args), 0);
		int seen = 0;
		int stopped = td_http_args_foreach(req, stop_at_b, &seen);
		const char *x = td_http_arg(req, "x");
		const char *h = td_http_header(req, "X-Req");
		char user[64] = "", pass[64] = "";
		bool auth = td_http_basic_auth(req, user, sizeof(user), pass, sizeof(pass));
		int64_t now = td_wall_us();
		td_http_resp_json(resp, 200,
		    json_pack(
		        "{s:s, s:s, s:s?, s:o, s:i, s:s#, s:I, s:s?, s:b, s:s, s:s, s:s, s:b}",
		        "method", req->method, "path", req->path, "x", x, "args", args, "stopped",
		        stopped * 100 + seen, "body", req->body, (int)req->body_len, "body_len",
		        (json_int_t)req->body_len, "x_req", h, "auth", auth, "user", user, "pass",
		        pass, "remote", req->remote, "recent",
		        req->received_us <= now && req->received_us > now - 60000000LL));
		td_http_resp_header(resp, "X-Test", "yes");
	} else if (strcmp(req->path, "/text") == 0) {
		td_http_resp_text(resp, 201, "text/plain; charset=utf-8", "plain words\n");
	} else if (strcmp(req->path, "/block") == 0) {
		/* Answers only once /release has been served: needs two live connections. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 10;
		pthread_mutex_lock(&st->mu);
		while (!st->released) {
			if (pthread_cond_timedwait(&st->cv, &st->mu, &ts) != 0) {
				break;
			}
		}
		bool ok = st->released;
		pthread_mutex_unlock(&st->mu);
		td_http_resp_json(resp, ok ? 200 : 504, json_pack("{s:b}", "released", ok));
	} else if (strcmp(req->path, "/release") == 0) {
		pthread_mutex_lock(&st->mu);
		st->released = true;
		pthread_cond_broadcast(&st->cv);
		pthread_mutex_unlock(&st->mu);
		td_http_resp_json(resp, 200, json_object());
	} else {
		td_http_resp_error(resp, 404, "not_found", "no route for %s", req->path);
	}
}

#define MAX_BODY 1024

/* start_server starts the server: threads 0 = thread per connection, N = event loop. */
static int
start_server(void **state, unsigned threads)
{
	srvstate *st = calloc(1, sizeof(*st));
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	td_http_opts o = { .listen = "127.0.0.1:0", .max_body = MAX_BODY, .threads = threads };
	char err[256];
	if (td_http_start(&st->srv, &o, handler, st, err, sizeof(err)) != 0) {
		free(st);
		return (-1);
	}
	st->port = td_http_port(st->srv);
	*state = st;
	return (0);
}

static int
setup(void **state)
{
	return (start_server(state, 0));
}

static int
setup_loop(void **state)
{
	return (start_server(state, 2));
}

static int
teardown(void **state)
{
	srvstate *st = *state;
	td_http_stop(st->srv);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	free(st);
	return (0);
}

typedef struct resp {
	long status;
	char ctype[128];
	char xtest[32];
	td_buf body;
	curl_off_t uploaded;
} resp;

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	td_buf_append(arg, p, size * n);
	return (size * n);
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	resp *r = arg;
	if (strncasecmp(p, "X-Test: ", 8) == 0) {
		snprintf(r->xtest, sizeof(r->xtest), "%.*s", (int)strcspn(p + 8, "\r\n"), p + 8);
	}
	return (size * n);
}

/*
 * request performs one HTTP request; body may be NULL (GET).  extra is a
 * NULL-terminated list of request headers.  Returns the CURLcode.
 */
static int
request(srvstate *st, const char *method, const char *path, const char *body, size_t blen,
    const char *userpwd, const char *const *extra, resp *r)
{
	CURL *c = curl_easy_init();
	assert_non_null(c);
	char url[256];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", st->port, path);
	memset(r, 0, sizeof(*r));
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	/* Wait as long as it takes for 100 Continue: the server decides. */
	curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 20000L);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
	}
	if (userpwd != NULL) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
	}
	struct curl_slist *hl = NULL;
	for (const char *const *h = extra; h != NULL && *h != NULL; h++) {
		hl = curl_slist_append(hl, *h);
	}
	if (body != NULL && extra == NULL) {
		hl = curl_slist_append(hl, "Expect:"); /* no 100-continue unless asked */
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	int rv = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	char *ct = NULL;
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(r->ctype, sizeof(r->ctype), "%s", ct ? ct : "");
	curl_easy_getinfo(c, CURLINFO_SIZE_UPLOAD_T, &r->uploaded);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return (rv);
}

static json_t *
body_json(resp *r)
{
	json_error_t je;
	json_t *o = json_loadb(r->body.data ? r->body.data : "", r->body.len, JSON_ALLOW_NUL, &je);
	if (o == NULL) {
		fail_msg("not JSON (%s): %.*s", je.text, (int)r->body.len, r->body.data);
	}
	return (o);
}

static const char *
jstr(json_t *o, const char *k)
{
	return (json_string_value(json_object_get(o, k)));
}

static void
test_get_with_query(void **state)
{
	srvstate *st = *state;
	assert_true(st->port > 0);
	resp r;
	const char *hdr[] = { "X-Req: abc", NULL };
	assert_int_equal(
	    request(st, "GET", "/echo?x=1&y=two%20words&a=b&b=&z", NULL, 0, NULL, hdr, &r),
	    CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "application/json");
	assert_string_equal(r.xtest, "yes");
	json_t *o = body_json(&r);
	assert_string_equal(jstr(o, "method"), "GET");
	assert_string_equal(jstr(o, "path"), "/echo");
	assert_string_equal(jstr(o, "x"), "1");
	json_t *args = json_object_get(o, "args");
	assert_int_equal(json_object_size(args), 5);
	assert_string_equal(jstr(args, "y"), "two words");
	assert_string_equal(jstr(args, "b"), "");
	assert_string_equal(jstr(args, "z"), "");
	/* foreach stops at the first non-zero return and returns it */
	assert_int_equal(json_integer_value(json_object_get(o, "stopped")), 704);
	assert_string_equal(jstr(o, "body"), "");
	assert_string_equal(jstr(o, "x_req"), "abc");
	assert_false(json_is_true(json_object_get(o, "auth")));
	assert_memory_equal(jstr(o, "remote"), "127.0.0.1:", 10);
	assert_true(json_is_true(json_object_get(o, "recent")));
	json_decref(o);
	td_buf_free(&r.body);

	/* No such argument or header: NULL. */
	assert_int_equal(request(st, "GET", "/echo", NULL, 0, NULL, NULL, &r), CURLE_OK);
	o = body_json(&r);
	assert_true(json_is_null(json_object_get(o, "x")));
	assert_true(json_is_null(json_object_get(o, "x_req")));
	json_decref(o);
	td_buf_free(&r.body);
}

static void
test_post_bodies(void **state)
{
	srvstate *st = *state;
	resp r;
	assert_int_equal(request(st, "POST", "/echo", "hello", 5, NULL, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	json_t *o = body_json(&r);
	assert_string_equal(jstr(o, "method"), "POST");
	assert_string_equal(jstr(o, "body"), "hello");
	assert_int_equal(json_integer_value(json_object_get(o, "body_len")), 5);
	json_decref(o);
	td_buf_free(&r.body);

	/* Binary bodies keep their length. */
	assert_int_equal(request(st, "PUT", "/echo", "a\0b\0c", 5, NULL, NULL, &r), CURLE_OK);
	o = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(o, "body_len")), 5);
	size_t blen = 0;
	const char *b = NULL;
	assert_int_equal(json_unpack(o, "{s:s%}", "body", &b, &blen), 0);
	assert_int_equal(blen, 5);
	assert_memory_equal(b, "a\0b\0c", 5);
	json_decref(o);
	td_buf_free(&r.body);

	/* Exactly max_body is accepted; one byte more is 413, without the handler. */
	char *big = malloc(MAX_BODY * 64 + 1);
	memset(big, 'b', MAX_BODY * 64);
	int calls = st->calls;
	assert_int_equal(request(st, "POST", "/echo", big, MAX_BODY, NULL, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	o = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(o, "body_len")), MAX_BODY);
	json_decref(o);
	td_buf_free(&r.body);
	assert_int_equal(st->calls, calls + 1);
	static const size_t over[] = { MAX_BODY + 1, MAX_BODY * 2, MAX_BODY * 64 };
	for (size_t i = 0; i < TD_ARRAY_LEN(over); i++) {
		assert_int_equal(
		    request(st, "POST", "/echo", big, over[i], NULL, NULL, &r), CURLE_OK);
		assert_int_equal(r.status, 413);
		assert_string_equal(r.ctype, "application/json");
		o = body_json(&r);
		json_t *e = json_object_get(o, "error");
		assert_int_equal(json_integer_value(json_object_get(e, "status")), 413);
		assert_string_equal(jstr(e, "code"), "too_large");
		assert_string_equal(jstr(e, "message"), "request body larger than 1024 bytes");
		json_decref(o);
		td_buf_free(&r.body);
	}
	assert_int_equal(st->calls, calls + 1);
	/* The server is still fine. */
	assert_int_equal(request(st, "GET", "/echo", NULL, 0, NULL, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	td_buf_free(&r.body);
	free(big);
}

static void
test_chunked_over_limit(void **state)
{
	srvstate *st = *state;
	char *big = malloc(MAX_BODY * 4);
	memset(big, 'c', MAX_BODY * 4);
	resp r;
	/* No Content-Length: the limit is found while reading. */
	const char *hdr[] = { "Transfer-Encoding: chunked", "Expect:", NULL };
	assert_int_equal(request(st, "POST", "/echo", big, MAX_BODY * 4, NULL, hdr, &r), CURLE_OK);
	assert_int_equal(r.status, 413);
	td_buf_free(&r.body);
	assert_int_equal(request(st, "POST", "/echo", big, MAX_BODY, NULL, hdr, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	td_buf_free(&r.body);
	free(big);
}

static void
test_expect_continue(void **state)
{
	srvstate *st = *state;
	char *big = malloc(MAX_BODY * 64);
	memset(big, 'e', MAX_BODY * 64);
	resp r;
	const char *hdr[] = { "Expect: 100-continue", NULL };
	assert_int_equal(request(st, "POST", "/echo", big, 600, NULL, hdr, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.uploaded, 600);
	json_t *o = body_json(&r);
	assert_int_equal(json_integer_value(json_object_get(o, "body_len")), 600);
	json_decref(o);
	td_buf_free(&r.body);
	/* Too big: refused before the body is sent (no 100 Continue). */
	int calls = st->calls;
	assert_int_equal(request(st, "POST", "/echo", big, MAX_BODY * 64, NULL, hdr, &r), CURLE_OK);
	assert_int_equal(r.status, 413);
	assert_true(r.uploaded < MAX_BODY * 64);
	assert_int_equal(st->calls, calls);
	td_buf_free(&r.body);
	free(big);
}

static void
test_basic_auth(void **state)
{
	srvstate *st = *state;
	resp r;
	assert_int_equal(
	    request(st, "GET", "/echo", NULL, 0, "alice:s3:cr et", NULL, &r), CURLE_OK);
	json_t *o = body_json(&r);
	assert_true(json_is_true(json_object_get(o, "auth")));
	assert_string_equal(jstr(o, "user"), "alice");
	assert_string_equal(jstr(o, "pass"), "s3:cr et");
	json_decref(o);
	td_buf_free(&r.body);
	/* Malformed credentials are not credentials. */
	const char *hdr[] = { "Authorization: Basic !!!notbase64", NULL };
	assert_int_equal(request(st, "GET", "/echo", NULL, 0, NULL, hdr, &r), CURLE_OK);
	o = body_json(&r);
	assert_false(json_is_true(json_object_get(o, "auth")));
	json_decref(o);
	td_buf_free(&r.body);
}

static void
test_errors_and_text(void **state)
{
	srvstate *st = *state;
	resp r;
	assert_int_equal(request(st, "GET", "/nope", NULL, 0, NULL, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.ctype, "application/json");
	assert_int_equal(r.body.data[r.body.len - 1], '\n');
	assert_string_equal(r.body.data,
	    "{\"error\":{\"status\":404,\"code\":\"not_found\",\"message\":\"no route for "
	    "/nope\"}}\n");
	td_buf_free(&r.body);
	assert_int_equal(request(st, "GET", "/text", NULL, 0, NULL, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.ctype, "text/plain; charset=utf-8");
	assert_string_equal(r.body.data, "plain words\n");
	td_buf_free(&r.body);
}

typedef struct bg {
	srvstate *st;
	resp r;
	int rv;
} bg;

static void *
bg_block(void *arg)
{
	bg *b = arg;
	b->rv = request(b->st, "GET", "/block", NULL, 0, NULL, NULL, &b->r);
	return (NULL);
}

/* A handler may block (on Redis, PostgreSQL) without stalling other clients. */
static void
test_concurrent_connections(void **state)
{
	srvstate *st = *state;
	bg b = { .st = st };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, bg_block, &b), 0);
	/* Make sure /block is in its handler before releasing it. */
	int64_t deadline = td_mono_ms() + 10000;
	for (;;) {
		pthread_mutex_lock(&st->mu);
		int calls = st->calls;
		pthread_mutex_unlock(&st->mu);
		if (calls > 0 || td_mono_ms() > deadline) {
			break;
		}
		td_sleep_ms(2);
	}
	resp r;
	assert_int_equal(request(st, "GET", "/release", NULL, 0, NULL, NULL, &r), CURLE_OK);
	assert_int_equal(r.status, 200);
	td_buf_free(&r.body);
	pthread_join(t, NULL);
	assert_int_equal(b.rv, CURLE_OK);
	assert_int_equal(b.r.status, 200);
	td_buf_free(&b.r.body);
}

static void
test_start_errors(void **state)
{
	srvstate *st = *state;
	char err[256], listen[64];
	td_http_server *s2;
	td_http_opts o = { .listen = "nonsense" };
	assert_int_equal(td_http_start(&s2, &o, handler, st, err, sizeof(err)), TD_EINVAL);
	assert_string_equal(err, "bad listen address 'nonsense' (want host:port)");
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", st->port);
	o.listen = listen;
	assert_int_equal(td_http_start(&s2, &o, handler, st, err, sizeof(err)), TD_EIO);
	assert_non_null(strstr(err, listen));
	/* IPv6 loopback, where the host has it. */
	o.listen = "[::1]:0";
	if (td_http_start(&s2, &o, handler, st, err, sizeof(err)) == 0) {
		assert_true(td_http_port(s2) > 0);
		td_http_stop(s2);
	}
	td_http_stop(NULL);
}

/* The same requests against the event-loop mode (handlers here do not block). */
static void
test_loop_get_with_query(void **state)
{
	test_get_with_query(state);
}

static void
test_loop_post_bodies(void **state)
{
	test_post_bodies(state);
}

static void
test_loop_chunked_over_limit(void **state)
{
	test_chunked_over_limit(state);
}

static void
test_loop_expect_continue(void **state)
{
	test_expect_continue(state);
}

static void
test_loop_errors_and_text(void **state)
{
	test_errors_and_text(state);
}

int
main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_listen),
		cmocka_unit_test_setup_teardown(test_get_with_query, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_bodies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chunked_over_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect_continue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_and_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loop_get_with_query, setup_loop, teardown),
		cmocka_unit_test_setup_teardown(test_loop_post_bodies, setup_loop, teardown),
		cmocka_unit_test_setup_teardown(test_loop_chunked_over_limit, setup_loop, teardown),
		cmocka_unit_test_setup_teardown(test_loop_expect_continue, setup_loop, teardown),
		cmocka_unit_test_setup_teardown(test_loop_errors_and_text, setup_loop, teardown),
	};
	int rv = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return (rv);
}
