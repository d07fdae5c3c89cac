/* SPDX-License-Identifier: MIT */
/* Merge migration files with the applied list (see plan.h). */
#include "plan.h"

#include <assert.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

const char *
plan_state_name(plan_state s)
{
	switch (s) {
	case PLAN_APPLIED: return ("applied");
	case PLAN_PENDING: return ("pending");
	case PLAN_CHANGED: return ("CHANGED");
	case PLAN_MISSING: return ("missing");
	}
	return ("?");
}

void
plan_build(const migfile_set *files, const plan_applied *applied, size_t napplied, plan *p)
{
	memset(p, 0, sizeof(*p));
	p->rows = td_xcalloc(files->n + napplied + 1, sizeof(*p->rows));
	int max_applied = 0;
	for (size_t j = 0; j < napplied; j++) {
		assert(j == 0 || applied[j - 1].version < applied[j].version);
		if (applied[j].version > max_applied) {
			max_applied = applied[j].version;
		}
	}
	size_t i = 0, j = 0;
	while (i < files->n || j < napplied) {
		/* Versions are 1..9999, so INT_MAX stands for "this side is done". */
		int fv = i < files->n ? files->v[i].version : INT_MAX;
		int av = j < napplied ? applied[j].version : INT_MAX;
		assert(i == 0 || i >= files->n || files->v[i - 1].version < fv);
		plan_row *r = &p->rows[p->n++];
		if (fv < av) {
			r->version = fv;
			r->state = PLAN_PENDING;
			r->file = &files->v[i++];
			r->out_of_order = fv < max_applied;
			p->pending++;
			p->out_of_order += r->out_of_order;
		} else if (av < fv) {
			r->version = av;
			r->state = PLAN_MISSING;
			r->applied = &applied[j++];
			p->missing++;
		} else {
			r->version = fv;
			r->file = &files->v[i++];
			r->applied = &applied[j++];
			if (strcmp(r->file->sha256, r->applied->sha256) == 0) {
				r->state = PLAN_APPLIED;
				p->applied++;
			} else {
				r->state = PLAN_CHANGED;
				p->changed++;
			}
		}
	}
}

void
plan_free(plan *p)
{
	free(p->rows);
	memset(p, 0, sizeof(*p));
}

void
plan_applied_free(plan_applied *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].applied_at);
	}
	free(a);
}
