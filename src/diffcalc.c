// SPDX-License-Identifier: MIT
/*
 * The comparison of two profiles and its report writers (see diffcalc.h).
 *
 * Each profile is aggregated as analyze.c aggregates hotspots, by
 * count_self_total with rows for keys: a stack's samples go to the self
 * count of its innermost row and, once per stack, to the total of every row
 * on it. Rows are keyed by text in a table of the diff's own, so the two
 * profiles' functions meet whatever their indices.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffcalc.h"
#include "jsonw.h"
#include "output.h"
#include "strtab.h"
#include "xalloc.h"

/* Above this many samples the exact threshold test could overflow. */
#define EXACT_MAX_SAMPLES (1ULL << 40)

/* Row index by interned label (pointer identity). */
struct rowmap {
	const char **keys;
	uint32_t *rows;
	size_t nslots, n;
};

static size_t slot_of(const struct rowmap *m, const char *key)
{
	size_t mask = m->nslots - 1;
	size_t i = hash_mix(17, (uint64_t)(uintptr_t)key) & mask;

	while (m->keys[i] && m->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

static void rowmap_grow(struct rowmap *m)
{
	struct rowmap g = { .nslots = m->nslots ? m->nslots * 2 : 256 };

	g.keys = xcalloc(g.nslots, sizeof(*g.keys));
	g.rows = xcalloc(g.nslots, sizeof(*g.rows));
	for (size_t i = 0; i < m->nslots; i++) {
		if (!m->keys[i])
			continue;
		size_t s = slot_of(&g, m->keys[i]);

		g.keys[s] = m->keys[i];
		g.rows[s] = m->rows[i];
	}
	g.n = m->n;
	free(m->keys);
	free(m->rows);
	*m = g;
}

struct builder {
	struct diff *d;
	struct rowmap map;
	size_t cap_rows;
	const struct profile *p; /* the one being added */
};

/* The row of one entry of a profile's lines table, made if new. */
static uint32_t row_for(struct builder *b, const struct profile *p, const struct prof_line *l)
{
	struct diff *d = b->d;
	const struct prof_func *f = &p->funcs[l->func];
	const char *label;
	char text[1024];

	if (d->by == ANALYZE_BY_LINE) {
		struct render_opts ro = { .lines = true };

		frame_label(p, l, &ro, text, sizeof(text));
		label = strtab_intern(d->strings, text);
	} else {
		label = strtab_intern(d->strings, f->name ? f->name : "");
	}
	if ((b->map.n + 1) * 2 > b->map.nslots)
		rowmap_grow(&b->map);

	size_t s = slot_of(&b->map, label);
	const char *file = d->by == ANALYZE_BY_LINE ? l->file : f->file ? f->file : l->file;
	int line = d->by == ANALYZE_BY_LINE ? l->line : f->file ? f->start_line : 0;

	if (b->map.keys[s]) {
		struct diff_row *r = &d->rows[b->map.rows[s]];

		/* Folded stacks know no files; a recording may. */
		if (!r->file && file) {
			r->file = strtab_intern(d->strings, file);
			r->line = line;
		}
		return b->map.rows[s];
	}
	struct diff_row *r = VEC_PUSH(d->rows, d->nrows, b->cap_rows);

	memset(r, 0, sizeof(*r));
	r->label = label;
	r->name = strtab_intern(d->strings, f->name ? f->name : "");
	r->file = file ? strtab_intern(d->strings, file) : NULL;
	r->line = line > 0 ? line : 0;
	b->map.keys[s] = label;
	b->map.rows[s] = (uint32_t)(d->nrows - 1);
	b->map.n++;
	return (uint32_t)(d->nrows - 1);
}

/* Made as lines are first met, rows exist only for what was sampled. */
static uint32_t row_key(void *arg, uint32_t line, const struct prof_loc *loc)
{
	struct builder *b = arg;

	(void)loc;
	return row_for(b, b->p, &b->p->lines[line]);
}

static void add_profile(struct builder *b, const struct profile *p, int side)
{
	struct diff *d = b->d;
	uint64_t *per_stack = xcalloc(p->nstacks ? p->nstacks : 1, sizeof(*per_stack));
	struct prof_iter it;
	struct prof_sample s;
	struct key_count *c;

	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s)) {
		/* As analyze.c: samples a damaged file points elsewhere with are left out. */
		if (s.thread >= p->nthreads || s.stack >= p->nstacks)
			continue;
		per_stack[s.stack]++;
		d->samples[side]++;
	}
	b->p = p;
	size_t n = count_self_total(p, per_stack, row_key, b, &c);

	for (size_t r = 0; r < n; r++) {
		d->rows[r].self[side] += c[r].self;
		d->rows[r].total[side] += c[r].total;
	}
	free(per_stack);
	free(c);
}

static __int128 abs128(__int128 v)
{
	return v < 0 ? -v : v;
}

static int cmp128(__int128 a, __int128 b)
{
	return (a > b) - (a < b);
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Largest change of total share first, then of self share, then the hottest now. */
static int cmp_row(const void *pa, const void *pb)
{
	const struct diff_row *a = pa, *b = pb;
	int c;

	if ((c = cmp128(abs128(b->x_total), abs128(a->x_total))))
		return c;
	if ((c = cmp128(abs128(b->x_self), abs128(a->x_self))))
		return c;
	if (a->total[DIFF_NEW] != b->total[DIFF_NEW])
		return a->total[DIFF_NEW] > b->total[DIFF_NEW] ? -1 : 1;
	if (a->total[DIFF_BASE] != b->total[DIFF_BASE])
		return a->total[DIFF_BASE] > b->total[DIFF_BASE] ? -1 : 1;
	if ((c = cmp_str(a->label, b->label)))
		return c;
	return cmp_str(a->file, b->file);
}

static double pct(uint64_t n, uint64_t of)
{
	return of ? 100.0 * (double)n / (double)of : 0.0;
}

int diff_compute(const struct profile *base, const struct profile *cur, enum analyze_by by,
		 struct diff *d)
{
	struct builder b = { .d = d };

	memset(d, 0, sizeof(*d));
	d->by = by;
	d->strings = strtab_new();
	add_profile(&b, base, DIFF_BASE);
	add_profile(&b, cur, DIFF_NEW);

	/* A share is count / samples; both deltas over the product of the sample counts. */
	uint64_t sb = d->samples[DIFF_BASE] ? d->samples[DIFF_BASE] : 1;
	uint64_t sn = d->samples[DIFF_NEW] ? d->samples[DIFF_NEW] : 1;

	for (size_t i = 0; i < d->nrows; i++) {
		struct diff_row *r = &d->rows[i];

		for (int side = 0; side < 2; side++) {
			r->self_pct[side] = pct(r->self[side], d->samples[side]);
			r->total_pct[side] = pct(r->total[side], d->samples[side]);
		}
		r->d_self = r->self_pct[DIFF_NEW] - r->self_pct[DIFF_BASE];
		r->d_total = r->total_pct[DIFF_NEW] - r->total_pct[DIFF_BASE];
		r->x_self = (__int128)r->self[DIFF_NEW] * sb - (__int128)r->self[DIFF_BASE] * sn;
		r->x_total = (__int128)r->total[DIFF_NEW] * sb - (__int128)r->total[DIFF_BASE] * sn;
	}
	if (d->nrows > 1)
		qsort(d->rows, d->nrows, sizeof(*d->rows), cmp_row);
	free(b.map.keys);
	free(b.map.rows);
	return 0;
}

void diff_release(struct diff *d)
{
	free(d->rows);
	if (d->strings)
		strtab_free(d->strings);
	memset(d, 0, sizeof(*d));
}

/* Whether row r's total share grew by more than `micro` millionths of a point. */
static bool grew_more(const struct diff *d, const struct diff_row *r, long long micro)
{
	uint64_t sb = d->samples[DIFF_BASE] ? d->samples[DIFF_BASE] : 1;
	uint64_t sn = d->samples[DIFF_NEW] ? d->samples[DIFF_NEW] : 1;

	if (r->x_total <= 0)
		return false;
	if (sb > EXACT_MAX_SAMPLES || sn > EXACT_MAX_SAMPLES)
		return r->d_total * 1e6 > (double)micro;
	/* 100 * delta_share > points, with delta_share = x_total / (sb * sn). */
	return (__int128)100000000 * r->x_total > (__int128)micro * sb * sn;
}

const struct diff_row *diff_regression(const struct diff *d, double points)
{
	long long micro = llround(fmin(fmax(points, 0), 100) * 1e6);
	const struct diff_row *worst = NULL;

	for (size_t i = 0; i < d->nrows; i++) {
		const struct diff_row *r = &d->rows[i];

		if (!grew_more(d, r, micro))
			continue;
		/* Rows are in order of the size of their change, so the first of a tie wins. */
		if (!worst || r->x_total > worst->x_total ||
		    (r->x_total == worst->x_total && r->x_self > worst->x_self))
			worst = r;
	}
	return worst;
}

/* ---- report writers ---- */

/* A change for people: one decimal, and no "-0.0". */
static double tidy(double v)
{
	return fabs(v) < 0.05 ? 0.0 : v;
}

static size_t shown(const struct diff *d, const struct diff_report_opts *o)
{
	return o->top && o->top < d->nrows ? o->top : d->nrows;
}

static const char *by_name(const struct diff *d)
{
	return d->by == ANALYZE_BY_LINE ? "line" : "function";
}

int diff_write_text(FILE *f, const struct diff *d, const struct diff_report_opts *o)
{
	size_t n = shown(d, o);
	const struct diff_row *worst = o->have_threshold ? diff_regression(d, o->threshold) : NULL;

	fprintf(f, "Base: %s, %" PRIu64 " sample%s\n", o->base_name ? o->base_name : "?",
		d->samples[DIFF_BASE], d->samples[DIFF_BASE] == 1 ? "" : "s");
	fprintf(f, "New:  %s, %" PRIu64 " sample%s\n", o->new_name ? o->new_name : "?",
		d->samples[DIFF_NEW], d->samples[DIFF_NEW] == 1 ? "" : "s");
	fprintf(f,
		"\nChanges by %s, top %zu of %zu, largest change of total share first\n"
		"(self: samples in it; total: in it and what it calls; change: new minus base,\n"
		"in percentage points of each profile's samples)\n\n",
		by_name(d), n, d->nrows);
	if (!n) {
		fprintf(f, "  (no samples)\n");
	} else {
		fprintf(f, "%16s  %15s  %14s\n", "---- Base ----", "---- New ----",
			"--- Change ---");
		fprintf(f, "%8s %7s  %7s %7s  %6s %7s  %s\n", "Self", "Total", "Self", "Total",
			"Self", "Total", d->by == ANALYZE_BY_LINE ? "Line" : "Function");
	}
	for (size_t i = 0; i < n; i++) {
		const struct diff_row *r = &d->rows[i];

		fprintf(f, "%7.1f%% %6.1f%%  %6.1f%% %6.1f%%  %+6.1f %+7.1f  %s\n", r->self_pct[0],
			r->total_pct[0], r->self_pct[1], r->total_pct[1], tidy(r->d_self),
			tidy(r->d_total), r->label);
	}
	if (o->have_threshold) {
		if (worst)
			fprintf(f,
				"\nThreshold %g points: exceeded; %s grew by %+.1f points of total "
				"(%.1f%% -> %.1f%%)\n",
				o->threshold, worst->label, worst->d_total, worst->total_pct[0],
				worst->total_pct[1]);
		else
			fprintf(f, "\nThreshold %g points: no total share grew by more\n",
				o->threshold);
	}
	return ferror(f) ? -EIO : 0;
}

/* Two decimals are what anyone reads, and they keep the JSON short. */
static double round2(double v)
{
	double r = round(v * 100.0) / 100.0;

	return r == 0 ? 0.0 : r; /* no -0 */
}

static cJSON *json_side(const struct diff_row *r, int side)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "self", (double)r->self[side]);
	cJSON_AddNumberToObject(o, "total", (double)r->total[side]);
	cJSON_AddNumberToObject(o, "self_pct", round2(r->self_pct[side]));
	cJSON_AddNumberToObject(o, "total_pct", round2(r->total_pct[side]));
	return o;
}

static cJSON *json_row(const struct diff_row *r)
{
	cJSON *o = cJSON_CreateObject();

	cjson_add_text(o, "function", r->name);
	cjson_add_text(o, "label", r->label);
	cjson_add_text(o, "file", r->file);
	if (r->line > 0)
		cJSON_AddNumberToObject(o, "line", r->line);
	else
		cJSON_AddNullToObject(o, "line");
	cJSON_AddItemToObject(o, "base", json_side(r, DIFF_BASE));
	cJSON_AddItemToObject(o, "new", json_side(r, DIFF_NEW));
	cJSON_AddNumberToObject(o, "delta_self_pct", round2(r->d_self));
	cJSON_AddNumberToObject(o, "delta_total_pct", round2(r->d_total));
	return o;
}

static cJSON *json_profile(const char *name, uint64_t samples)
{
	cJSON *o = cJSON_CreateObject();

	cjson_add_text(o, "path", name);
	cJSON_AddNumberToObject(o, "samples", (double)samples);
	return o;
}

int diff_write_json(FILE *f, const struct diff *d, const struct diff_report_opts *o)
{
	size_t n = shown(d, o);
	cJSON *root = cJSON_CreateObject();
	cJSON *rows;

	cJSON_AddItemToObject(root, "base", json_profile(o->base_name, d->samples[DIFF_BASE]));
	cJSON_AddItemToObject(root, "new", json_profile(o->new_name, d->samples[DIFF_NEW]));
	cJSON_AddStringToObject(root, "by", by_name(d));
	cJSON_AddNumberToObject(root, "distinct", (double)d->nrows);
	if (o->have_threshold) {
		const struct diff_row *worst = diff_regression(d, o->threshold);

		cJSON_AddNumberToObject(root, "threshold", o->threshold);
		if (worst)
			cJSON_AddItemToObject(root, "regression", json_row(worst));
		else
			cJSON_AddNullToObject(root, "regression");
	} else {
		cJSON_AddNullToObject(root, "threshold");
		cJSON_AddNullToObject(root, "regression");
	}
	rows = cJSON_AddArrayToObject(root, "changes");
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(rows, json_row(&d->rows[i]));
	return cjson_write(f, root);
}
