/* SPDX-License-Identifier: MIT */
/* The node's daemons as seen through their control endpoints (see fleet.h). */
#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"
#include "daemon/daemon.h"
#include "metrics_merge.h"
#include "util/mem.h"

typedef struct member {
	char name[64];
	char url[448];
} member;

struct fleet {
	member *m;
	int n;
	int timeout_ms;
};

fleet *
fleet_new(const char *members, const char *run_dir, int timeout_ms)
{
	fleet *f = TD_NEW(fleet);
	f->timeout_ms = timeout_ms;
	char *copy = td_xstrdup(members), *save = NULL;
	for (char *t = strtok_r(copy, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
		f->m = td_xrealloc(f->m, (size_t)(f->n + 1) * sizeof(member));
		member *m = &f->m[f->n++];
		char *eq = strchr(t, '=');
		if (eq != NULL) {
			*eq = '\0';
			snprintf(m->url, sizeof(m->url), "%s", eq + 1);
		} else {
			td_daemon_ctl_url(run_dir, "", t, m->url, sizeof(m->url));
		}
		snprintf(m->name, sizeof(m->name), "%s", t);
	}
	free(copy);
	return (f);
}

void
fleet_free(fleet *f)
{
	if (f == NULL) {
		return;
	}
	free(f->m);
	free(f);
}

json_t *
fleet_status(fleet *f, int *up, int *total)
{
	json_t *o = json_object();
	*up = 0;
	*total = f->n;
	for (int i = 0; i < f->n; i++) {
		json_t *st = NULL;
		char err[256];
		if (td_ctl_call(f->m[i].url, "status", 0, NULL, f->timeout_ms, &st, err, sizeof(err)) ==
		    0) {
			(*up)++;
			json_t *uptime = json_object_get(st, "uptime_s");
			json_t *ver = json_object_get(st, "version");
			json_object_set_new(o, f->m[i].name,
			    json_pack("{s:b, s:O?, s:O?}", "up", 1, "uptime_s", uptime, "version", ver));
			json_decref(st);
		} else {
			json_object_set_new(o, f->m[i].name, json_pack("{s:b, s:s}", "up", 0, "error", err));
		}
	}
	return (o);
}

void
fleet_metrics(fleet *f, const char *self, const char *self_text, td_buf *out)
{
	metrics_merge *mm = metrics_merge_new();
	metrics_merge_add(mm, self, self_text);
	td_buf up = TD_BUF_INIT;
	td_buf_puts(&up, "# HELP tandem_fleet_member_up whether the daemon answered its control "
	                 "endpoint\n# TYPE tandem_fleet_member_up gauge\n");
	for (int i = 0; i < f->n; i++) {
		json_t *doc = NULL;
		char err[256];
		bool ok = td_ctl_call(f->m[i].url, "metrics", 0, NULL, f->timeout_ms, &doc, err,
		              sizeof(err)) == 0;
		td_buf_printf(&up, "tandem_fleet_member_up{member=\"%s\"} %d\n", f->m[i].name, ok);
		if (ok) {
			const char *text = json_string_value(json_object_get(doc, "text"));
			if (text != NULL) {
				metrics_merge_add(mm, f->m[i].name, text);
			}
			json_decref(doc);
		}
	}
	metrics_merge_add(mm, self, up.data);
	metrics_merge_render(mm, out);
	td_buf_free(&up);
	metrics_merge_free(mm);
}
