/* SPDX-License-Identifier: MIT */
/* Control protocol server (command table) and CLI client. */
#include "ctl/ctl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus/rpc.h"
#include "tandem/ctl.pb-c.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAX_ARGS 64

struct td_ctl_server {
	td_rpc_server *rpc;
	pthread_rwlock_t lock;
	td_ctl_cmd *cmds;
	size_t n, cap;
};

static void
encode_reply(td_buf *reply, bool ok, const char *error, const char *json)
{
	Tandem__CtlReply r = TANDEM__CTL_REPLY__INIT;
	r.ok = ok;
	r.error = (char *)(error ? error : "");
	r.json = (char *)(json ? json : "");
	uint8_t *p = td_buf_extend(reply, tandem__ctl_reply__get_packed_size(&r));
	if (p != NULL) {
		tandem__ctl_reply__pack(&r, p);
	}
}

static int
help_cmd(void *arg, int argc, char **argv, json_t **out, char *err, size_t errlen)
{
	td_ctl_server *s = arg;
	(void)argc, (void)argv, (void)err, (void)errlen;
	json_t *a = json_array();
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "command", s->cmds[i].name,
		                             "usage", s->cmds[i].usage ? s->cmds[i].usage : "",
		                             "help", s->cmds[i].help ? s->cmds[i].help : ""));
	}
	pthread_rwlock_unlock(&s->lock);
	*out = a;
	return (TD_OK);
}

void
td_ctl_dispatch(td_ctl_server *s, const uint8_t *req, size_t len, td_buf *reply)
{
	Tandem__CtlRequest *rq = tandem__ctl_request__unpack(NULL, len, req);
	if (rq == NULL) {
		encode_reply(reply, false, "malformed control request", NULL);
		return;
	}
	if (rq->n_args > MAX_ARGS) {
		encode_reply(reply, false, "too many arguments", NULL);
		tandem__ctl_request__free_unpacked(rq, NULL);
		return;
	}
	td_ctl_cmd cmd = {0};
	bool found = false;
	pthread_rwlock_rdlock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->cmds[i].name, rq->command) == 0) {
			cmd = s->cmds[i];
			found = true;
			break;
		}
	}
	pthread_rwlock_unlock(&s->lock);
	if (!found) {
		char msg[256];
		snprintf(msg, sizeof(msg), "unknown command '%.100s' (try 'help')", rq->command);
		encode_reply(reply, false, msg, NULL);
		tandem__ctl_request__free_unpacked(rq, NULL);
		return;
	}
	json_t *out = NULL;
	char err[512] = "";
	int rv = cmd.fn(cmd.arg, (int)rq->n_args, rq->args, &out, err, sizeof(err));
	if (rv != 0) {
		encode_reply(reply, false, err[0] ? err : td_strerror(rv), NULL);
	} else {
		char *js = out ? json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		encode_reply(reply, true, NULL, js ? js : "null");
		free(js);
	}
	json_decref(out);
	tandem__ctl_request__free_unpacked(rq, NULL);
}

static void
rpc_handle(void *arg, const uint8_t *req, size_t len, td_buf *reply)
{
	td_ctl_dispatch(arg, req, len, reply);
}

int
td_ctl_server_start(td_ctl_server **out, const char *url, char *err, size_t errlen)
{
	td_ctl_server *s = TD_NEW(td_ctl_server);
	pthread_rwlock_init(&s->lock, NULL);
	td_ctl_register(s, &(td_ctl_cmd){"help", "", "list commands", help_cmd, s});
	if (url != NULL) {
		int rv = td_rpc_server_start(&s->rpc, url, 4, rpc_handle, s, err, errlen);
		if (rv != 0) {
			td_ctl_server_stop(s);
			return (rv);
		}
	}
	*out = s;
	return (TD_OK);
}

void
td_ctl_register(td_ctl_server *s, const td_ctl_cmd *cmd)
{
	pthread_rwlock_wrlock(&s->lock);
	for (size_t i = 0; i < s->n; i++) {
		if (strcmp(s->cmds[i].name, cmd->name) == 0) {
			s->cmds[i] = *cmd;
			pthread_rwlock_unlock(&s->lock);
			return;
		}
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->cmds = td_xrealloc(s->cmds, s->cap * sizeof(td_ctl_cmd));
	}
	s->cmds[s->n++] = *cmd;
	pthread_rwlock_unlock(&s->lock);
}

void
td_ctl_server_stop(td_ctl_server *s)
{
	if (s == NULL) {
		return;
	}
	td_rpc_server_stop(s->rpc);
	pthread_rwlock_destroy(&s->lock);
	free(s->cmds);
	free(s);
}

int
td_ctl_call(const char *url, const char *command, int argc, char **argv, int timeout_ms,
    json_t **out, char *err, size_t errlen)
{
	td_rpc_client *c;
	int rv = td_rpc_client_open(&c, url, true, err, errlen);
	if (rv != 0) {
		snprintf(err, errlen, "cannot reach %s: is the daemon running?", url);
		return (rv);
	}
	Tandem__CtlRequest rq = TANDEM__CTL_REQUEST__INIT;
	rq.command = (char *)command;
	rq.n_args = (size_t)argc;
	rq.args = argv;
	td_buf b = TD_BUF_INIT, r = TD_BUF_INIT;
	uint8_t *p = td_buf_extend(&b, tandem__ctl_request__get_packed_size(&rq));
	if (p != NULL) {
		tandem__ctl_request__pack(&rq, p);
	}
	rv = td_rpc_call(c, (uint8_t *)b.data, b.len, &r, timeout_ms);
	td_rpc_client_close(c);
	td_buf_free(&b);
	if (rv != 0) {
		snprintf(err, errlen, "%s: no answer: %s", url, td_strerror(rv));
		td_buf_free(&r);
		return (rv);
	}
	Tandem__CtlReply *rep = tandem__ctl_reply__unpack(NULL, r.len, (uint8_t *)r.data);
	td_buf_free(&r);
	if (rep == NULL) {
		snprintf(err, errlen, "malformed reply");
		return (TD_EPROTO);
	}
	if (!rep->ok) {
		snprintf(err, errlen, "%s", rep->error);
		tandem__ctl_reply__free_unpacked(rep, NULL);
		return (TD_EINVAL);
	}
	json_error_t je;
	*out = json_loads(rep->json, JSON_DECODE_ANY, &je);
	tandem__ctl_reply__free_unpacked(rep, NULL);
	if (*out == NULL) {
		snprintf(err, errlen, "reply is not JSON: %s", je.text);
		return (TD_EPROTO);
	}
	return (TD_OK);
}

/* ---- printing ------------------------------------------------------------ */

static void
print_scalar(FILE *f, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING: fputs(json_string_value(v), f); break;
	case JSON_INTEGER: fprintf(f, "%lld", (long long)json_integer_value(v)); break;
	case JSON_REAL: fprintf(f, "%.6g", json_real_value(v)); break;
	case JSON_TRUE: fputs("true", f); break;
	case JSON_FALSE: fputs("false", f); break;
	case JSON_NULL: fputs("-", f); break;
	default: {
		char *s = json_dumps(v, JSON_COMPACT);
		fputs(s ? s : "?", f);
		free(s);
	}
	}
}

static void print_value(FILE *f, const json_t *v, int indent);

static void
print_object(FILE *f, const json_t *o, int indent)
{
	size_t w = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)o, k, v) {
		if (strlen(k) > w) {
			w = strlen(k);
		}
	}
	json_object_foreach((json_t *)o, k, v) {
		if (json_is_object(v) || (json_is_array(v) && json_array_size(v) > 0)) {
			fprintf(f, "%*s%s:\n", indent, "", k);
			print_value(f, v, indent + 2);
		} else {
			/* "key:" padded so that the values line up */
			fprintf(f, "%*s%s:%*s ", indent, "", k, (int)(w - strlen(k)), "");
			print_scalar(f, v);
			fputc('\n', f);
		}
	}
}

/* put_cell prints one table cell padded to width w plus a gap (w = 0: last column). */
static void
put_cell(FILE *f, const char *s, size_t w)
{
	if (w == 0) {
		fputs(s, f);
	} else {
		fprintf(f, "%-*s  ", (int)w, s);
	}
}

/* print_table prints an array of flat objects with the first row's keys as columns. */
static void
print_table(FILE *f, const json_t *a, int indent)
{
	const json_t *first = json_array_get(a, 0);
	size_t ncol = json_object_size(first);
	const char **cols = td_xcalloc(ncol + 1, sizeof(char *));
	size_t *w = td_xcalloc(ncol + 1, sizeof(size_t));
	size_t c = 0;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)first, k, v) {
		cols[c] = k;
		w[c] = strlen(k);
		c++;
	}
	size_t i;
	json_t *row;
	json_array_foreach(a, i, row) {
		for (c = 0; c < ncol; c++) {
			json_t *cell = json_object_get(row, cols[c]);
			char *s = cell ? json_dumps(cell, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
			size_t len = s ? strlen(s) : 1;
			if (json_is_string(cell)) {
				len = strlen(json_string_value(cell));
			}
			if (len > w[c]) {
				w[c] = len;
			}
			free(s);
		}
	}
	fprintf(f, "%*s", indent, "");
	for (c = 0; c < ncol; c++) {
		put_cell(f, cols[c], c + 1 < ncol ? w[c] : 0);
	}
	fputc('\n', f);
	json_array_foreach(a, i, row) {
		fprintf(f, "%*s", indent, "");
		for (c = 0; c < ncol; c++) {
			json_t *cell = json_object_get(row, cols[c]);
			size_t cw = c + 1 < ncol ? w[c] : 0; /* no trailing blanks */
			if (cell == NULL) {
				put_cell(f, "-", cw);
			} else if (json_is_string(cell)) {
				put_cell(f, json_string_value(cell), cw);
			} else {
				char *s = json_dumps(cell, JSON_ENCODE_ANY | JSON_COMPACT);
				put_cell(f, s ? s : "?", cw);
				free(s);
			}
		}
		fputc('\n', f);
	}
	free(cols);
	free(w);
}

static void
print_value(FILE *f, const json_t *v, int indent)
{
	if (json_is_object(v)) {
		print_object(f, v, indent);
	} else if (json_is_array(v)) {
		if (json_array_size(v) > 0 && json_is_object(json_array_get(v, 0))) {
			print_table(f, v, indent);
		} else {
			size_t i;
			json_t *e;
			json_array_foreach(v, i, e) {
				fprintf(f, "%*s- ", indent, "");
				print_scalar(f, e);
				fputc('\n', f);
			}
		}
	} else {
		fprintf(f, "%*s", indent, "");
		print_scalar(f, v);
		fputc('\n', f);
	}
}

void
td_ctl_print(FILE *f, const json_t *doc, bool json)
{
	if (json) {
		char *s = json_dumps(doc, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fprintf(f, "%s\n", s ? s : "null");
		free(s);
		return;
	}
	const json_t *text = json_object_get(doc, "text");
	if (json_is_object(doc) && json_object_size(doc) == 1 && json_is_string(text)) {
		const char *t = json_string_value(text);
		size_t n = strlen(t);
		fputs(t, f);
		if (n > 0 && t[n - 1] != '\n') {
			fputc('\n', f);
		}
		return;
	}
	print_value(f, doc, 0);
}
