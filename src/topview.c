// SPDX-License-Identifier: MIT
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "collect.h"
#include "launch.h"
#include "proc.h"
#include "profile.h"
#include "sampler.h"
#include "session.h"
#include "strtab.h"
#include "jsonw.h"
#include "topview.h"
#include "xalloc.h"

/* Samples of one stack in one thread: since the reset, in the window being
 * filled, and in the last complete window (the one on screen). */
struct entry {
	uint32_t thread, stack;
	uint64_t cum, acc, win;
};

struct counts {
	uint64_t cum, acc, win;
};

/*
 * A line of the table: a function, or a function at a source line. Keyed by
 * name and file, not by function id: copies of one function that differ only
 * in their definition line (inlined instances) make one row.
 */
struct row {
	const char *name;
	const char *file; /* by line: the frame's file; by function: its definition's */
	int32_t line;	  /* by line, else 0 */
	uint32_t mapping; /* of the first location seen, to name a module */
	uint64_t own, total, own_win, total_win;
	uint64_t stamp; /* last entry counted in total (recursion counts once) */
};

struct topview {
	struct session *s;
	struct profile *p;
	struct top_viewopts o;
	size_t scroll;

	struct entry *entries;
	size_t nentries, cap_entries;
	uint32_t *eslots; /* entry index + 1 */
	size_t neslots;

	struct counts *threads; /* by profile thread */
	size_t nthreads, cap_threads;
	struct counts all;

	struct row *rows;
	size_t nrows, cap_rows;
	uint32_t *rslots;
	size_t nrslots;
	uint64_t stamp;

	/* Header statistics, taken at each roll. */
	uint64_t start_ns, reset_ns, roll_ns, win_ns;
	size_t usage_mark;
	double cpu_user, cpu_sys; /* % of one CPU; < 0 until known */
	uint64_t rss;
	uint64_t self_cpu_ns;
	double self_cpu;
	long live_threads;
};

static const char *const sort_names[] = { "%Own", "%Total", "OwnTime", "TotalTime" };

const char *top_sort_name(enum top_sort s)
{
	return sort_names[s];
}

int top_sort_parse(const char *s, enum top_sort *out)
{
	static const char *const alias[] = { "own-pct", "total-pct", "own-time", "total-time" };

	for (size_t i = 0; i < ARRAY_SIZE(sort_names); i++) {
		if (!strcasecmp(s, sort_names[i]) || !strcasecmp(s, sort_names[i] + (i < 2)) ||
		    !strcasecmp(s, alias[i]) || (s[0] == (char)('1' + i) && !s[1])) {
			*out = (enum top_sort)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- counting ---- */

static size_t slot_of(uint64_t h, size_t nslots)
{
	return (size_t)(h ^ (h >> 29)) & (nslots - 1);
}

static uint64_t entry_hash(uint32_t thread, uint32_t stack)
{
	return hash_mix(hash_mix(0x70, thread), stack);
}

static void eslots_rebuild(struct topview *v, size_t nslots)
{
	free(v->eslots);
	v->neslots = nslots;
	v->eslots = xcalloc(nslots, sizeof(*v->eslots));
	for (size_t i = 0; i < v->nentries; i++) {
		size_t k = slot_of(entry_hash(v->entries[i].thread, v->entries[i].stack), nslots);

		while (v->eslots[k])
			k = (k + 1) & (nslots - 1);
		v->eslots[k] = (uint32_t)i + 1;
	}
}

static struct entry *entry_get(struct topview *v, uint32_t thread, uint32_t stack)
{
	size_t k = slot_of(entry_hash(thread, stack), v->neslots);

	for (; v->eslots[k]; k = (k + 1) & (v->neslots - 1)) {
		struct entry *e = &v->entries[v->eslots[k] - 1];

		if (e->thread == thread && e->stack == stack)
			return e;
	}
	struct entry *e = VEC_PUSH(v->entries, v->nentries, v->cap_entries);

	memset(e, 0, sizeof(*e));
	e->thread = thread;
	e->stack = stack;
	v->eslots[k] = (uint32_t)v->nentries;
	if (v->nentries * 2 > v->neslots)
		eslots_rebuild(v, v->neslots * 2);
	return &v->entries[v->nentries - 1];
}

static struct counts *thread_counts(struct topview *v, uint32_t thread)
{
	if (thread >= v->nthreads) {
		size_t n = (size_t)thread + 1;

		v->threads = xgrow(v->threads, &v->cap_threads, n, sizeof(*v->threads));
		memset(&v->threads[v->nthreads], 0, (n - v->nthreads) * sizeof(*v->threads));
		v->nthreads = n;
	}
	return &v->threads[thread];
}

static void on_sample(void *arg, const struct prof_sample *s)
{
	struct topview *v = arg;
	struct entry *e = entry_get(v, s->thread, s->stack);
	struct counts *t = thread_counts(v, s->thread);

	e->cum++;
	e->acc++;
	t->cum++;
	t->acc++;
	v->all.cum++;
	v->all.acc++;
}

static uint64_t cpu_self_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
}

struct topview *topview_new(struct session *s, const struct top_viewopts *o)
{
	struct topview *v = xcalloc(1, sizeof(*v));

	v->s = s;
	v->p = s->prof;
	v->o = *o;
	v->neslots = 1024;
	v->eslots = xcalloc(v->neslots, sizeof(*v->eslots));
	v->start_ns = sampler_start_ns(s->sampler);
	v->reset_ns = v->roll_ns = v->start_ns;
	v->cpu_user = v->cpu_sys = -1;
	v->self_cpu = -1;
	v->self_cpu_ns = cpu_self_ns();
	v->live_threads = -1;
	collector_set_sample_hook(s->coll, on_sample, v, false);
	return v;
}

void topview_free(struct topview *v)
{
	if (!v)
		return;
	if (v->s->coll)
		collector_set_sample_hook(v->s->coll, NULL, NULL, false);
	free(v->entries);
	free(v->eslots);
	free(v->threads);
	free(v->rows);
	free(v->rslots);
	free(v);
}

struct top_viewopts *topview_opts(struct topview *v)
{
	return &v->o;
}

uint64_t topview_pending(const struct topview *v)
{
	return v->all.acc;
}

static void roll_counts(struct counts *c)
{
	c->win = c->acc;
	c->acc = 0;
}

void topview_roll(struct topview *v)
{
	const struct profile *p = v->p;
	uint64_t now = monotonic_ns(), self = cpu_self_ns();
	struct proc_stat st;

	for (size_t i = 0; i < v->nentries; i++) {
		v->entries[i].win = v->entries[i].acc;
		v->entries[i].acc = 0;
	}
	for (size_t i = 0; i < v->nthreads; i++)
		roll_counts(&v->threads[i]);
	roll_counts(&v->all);
	v->win_ns = now - v->roll_ns;

	/* Rates over the window; a window too short to measure keeps the last. */
	if (p->nusage && p->nusage - 1 > v->usage_mark) {
		const struct prof_usage *a = &p->usage[v->usage_mark],
					*b = &p->usage[p->nusage - 1];
		double dt = (double)(b->t_ns - a->t_ns);

		if (dt >= 1e8 && b->utime_ns >= a->utime_ns && b->stime_ns >= a->stime_ns) {
			v->cpu_user = 100.0 * (double)(b->utime_ns - a->utime_ns) / dt;
			v->cpu_sys = 100.0 * (double)(b->stime_ns - a->stime_ns) / dt;
			v->usage_mark = p->nusage - 1;
		}
	}
	if (p->nusage)
		v->rss = p->usage[p->nusage - 1].rss_bytes;
	if (now - v->roll_ns >= 100000000ULL) {
		v->self_cpu = 100.0 * (double)(self - v->self_cpu_ns) / (double)(now - v->roll_ns);
		v->self_cpu_ns = self;
	}
	v->roll_ns = now;
	/* Threads of every process still there (--subprocesses adds some). */
	v->live_threads = -1;
	for (size_t i = 0; i < p->nprocs; i++) {
		if (proc_read_stat(p->procs[i].pid, 0, &st) == 0 && st.state != 'Z')
			v->live_threads = MAX(v->live_threads, 0) + st.num_threads;
	}
}

void topview_reset(struct topview *v)
{
	v->nentries = 0;
	memset(v->eslots, 0, v->neslots * sizeof(*v->eslots));
	memset(v->threads, 0, v->nthreads * sizeof(*v->threads));
	memset(&v->all, 0, sizeof(v->all));
	v->reset_ns = monotonic_ns();
	v->scroll = 0;
}

static bool thread_shown(const struct topview *v, uint32_t thread)
{
	return !v->o.thread || v->p->threads[thread].tid == v->o.thread;
}

void topview_cycle_thread(struct topview *v, int dir)
{
	pid_t cur = v->o.thread, best = 0;

	/* The next tid up (or down) among threads sampled since the reset;
	 * past the last one, all threads again. */
	for (size_t i = 0; i < v->nthreads && i < v->p->nthreads; i++) {
		pid_t tid = v->p->threads[i].tid;

		if (!v->threads[i].cum)
			continue;
		if (dir > 0 && tid > cur && (!best || tid < best))
			best = tid;
		if (dir < 0 && (!cur || tid < cur) && tid > best)
			best = tid;
	}
	v->o.thread = best;
	v->scroll = 0;
}

void topview_exit_line(const struct topview *v, char *buf, size_t len)
{
	int ws = -1;

	if (v->s->coll)
		ws = collector_exit_status(v->s->coll);
	if (ws == -1 && v->s->sampler)
		ws = sampler_child_status(v->s->sampler);
	if (v->s->launched && ws != -1) {
		char how[128];

		describe_wait_status(ws, how, sizeof(how));
		snprintf(buf, len, "command %s (pid %d)", how, v->s->pid);
	} else {
		snprintf(buf, len, "pid %d exited", v->s->pid);
	}
}

/* ---- the table ---- */

static uint64_t row_hash(const char *name, const char *file, int32_t line)
{
	return hash_mix(
		hash_mix(hash_mix(0x12, (uint64_t)(uintptr_t)name), (uint64_t)(uintptr_t)file),
		(uint64_t)line);
}

static void rslots_rebuild(struct topview *v, size_t nslots)
{
	free(v->rslots);
	v->nrslots = nslots;
	v->rslots = xcalloc(nslots, sizeof(*v->rslots));
	for (size_t i = 0; i < v->nrows; i++) {
		const struct row *r = &v->rows[i];
		size_t k = slot_of(row_hash(r->name, r->file, r->line), nslots);

		while (v->rslots[k])
			k = (k + 1) & (nslots - 1);
		v->rslots[k] = (uint32_t)i + 1;
	}
}

static struct row *row_get(struct topview *v, const struct prof_line *l, uint32_t mapping)
{
	const struct prof_func *f = &v->p->funcs[l->func];
	const char *file = v->o.lines ? l->file : f->file;
	int32_t line = v->o.lines ? l->line : 0;
	size_t k = slot_of(row_hash(f->name, file, line), v->nrslots);

	for (; v->rslots[k]; k = (k + 1) & (v->nrslots - 1)) {
		struct row *r = &v->rows[v->rslots[k] - 1];

		if (r->name == f->name && r->file == file && r->line == line)
			return r;
	}
	struct row *r = VEC_PUSH(v->rows, v->nrows, v->cap_rows);

	memset(r, 0, sizeof(*r));
	r->name = f->name;
	r->file = file;
	r->line = line;
	r->mapping = mapping;
	v->rslots[k] = (uint32_t)v->nrows;
	if (v->nrows * 2 > v->nrslots)
		rslots_rebuild(v, v->nrslots * 2);
	return &v->rows[v->nrows - 1];
}

static uint64_t sort_key(const struct row *r, enum top_sort s)
{
	switch (s) {
	case TOP_SORT_OWN_PCT: return r->own_win;
	case TOP_SORT_TOTAL_PCT: return r->total_win;
	case TOP_SORT_OWN_TIME: return r->own;
	default: return r->total;
	}
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return (a < b) - (a > b);
}

static int cmp_rows(const void *pa, const void *pb, void *arg)
{
	const struct topview *v = arg;
	const struct row *a = pa, *b = pb;
	bool by_total = v->o.sort == TOP_SORT_TOTAL_PCT || v->o.sort == TOP_SORT_TOTAL_TIME;
	int c = cmp_u64_desc(sort_key(a, v->o.sort), sort_key(b, v->o.sort));

	/*
	 * Ties, common among the callers on one path, go by the other
	 * columns: sorted by a total, callers come before what they call
	 * (less own time first), so a path reads from the top down.
	 */
	if (!c)
		c = by_total ? cmp_u64_desc(a->total + a->total_win, b->total + b->total_win)
			     : cmp_u64_desc(a->own + a->own_win, b->own + b->own_win);
	if (!c)
		c = by_total ? -cmp_u64_desc(a->own + a->own_win, b->own + b->own_win)
			     : cmp_u64_desc(a->total + a->total_win, b->total + b->total_win);
	/* Then names, so the order is stable. */
	if (!c)
		c = strcmp(a->name, b->name);
	if (!c && a->file != b->file)
		c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
	if (!c)
		c = (a->line > b->line) - (a->line < b->line);
	return c;
}

static void build_rows(struct topview *v)
{
	const struct profile *p = v->p;

	v->nrows = 0;
	if (!v->rslots)
		rslots_rebuild(v, 1024);
	else
		memset(v->rslots, 0, v->nrslots * sizeof(*v->rslots));
	for (size_t i = 0; i < v->nentries; i++) {
		const struct entry *e = &v->entries[i];
		const uint32_t *locs = profile_stack_locs(p, e->stack);
		bool leaf = true;

		if ((!e->cum && !e->win) || !thread_shown(v, e->thread))
			continue;
		v->stamp++;
		for (uint32_t k = 0; k < p->stacks[e->stack].n; k++) {
			const struct prof_loc *loc = &p->locs[locs[k]];
			const struct prof_line *l = profile_loc_lines(p, locs[k]);

			/* Innermost first: inlined frames, then their host function. */
			for (uint16_t j = 0; j < loc->nlines; j++) {
				struct row *r = row_get(v, &l[j], loc->mapping);

				if (leaf) {
					r->own += e->cum;
					r->own_win += e->win;
					leaf = false;
				}
				if (r->stamp != v->stamp) {
					r->stamp = v->stamp;
					r->total += e->cum;
					r->total_win += e->win;
				}
			}
		}
	}
	if (v->nrows > 1)
		qsort_r(v->rows, v->nrows, sizeof(*v->rows), cmp_rows, v);
}

/* Samples of the threads shown: since the reset and in the last window. */
static struct counts shown_counts(const struct topview *v)
{
	struct counts c = { 0 };

	if (!v->o.thread)
		return v->all;
	for (size_t i = 0; i < v->nthreads && i < v->p->nthreads; i++) {
		if (thread_shown(v, (uint32_t)i)) {
			c.cum += v->threads[i].cum;
			c.win += v->threads[i].win;
		}
	}
	return c;
}

static size_t threads_sampled(const struct topview *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nthreads; i++)
		n += v->threads[i].cum != 0;
	return n;
}

/* ---- formatting ---- */

void top_buf_release(struct top_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void buf_add(struct top_buf *b, const char *s, size_t n)
{
	b->p = xgrow(b->p, &b->cap, b->len + n + 1, 1);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void buf_printf(struct top_buf *b, const char *fmt, ...) ATTR_PRINTF(2, 3);
static void buf_printf(struct top_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_add(b, tmp, MIN((size_t)n, sizeof(tmp) - 1));
}

/*
 * Writes lines. On the screen each line is positioned, cut at the width and
 * cleared to its end; in text each ends with a newline. Control bytes in
 * names (a target chooses its thread names and symbols) become '?', so
 * nothing from the target reaches the terminal as an escape sequence.
 */
struct lw {
	struct top_buf *b;
	bool screen;
	int width, height, row, col;
	bool off; /* below the bottom of the screen: drop the line */
};

static void lw_begin(struct lw *w)
{
	w->col = 0;
	w->off = w->screen && w->row > w->height;
	if (w->screen && !w->off)
		buf_printf(w->b, "\033[%d;1H", w->row);
}

static void lw_end(struct lw *w)
{
	if (w->off) {
		w->row++;
	} else if (w->screen) {
		/* At the last column the cursor waits to wrap; an erase there
		 * would take the last character with it. */
		if (w->col < w->width)
			buf_add(w->b, "\033[K", 3);
		w->row++;
	} else {
		buf_add(w->b, "\n", 1);
	}
}

static void lw_attr(struct lw *w, const char *esc)
{
	if (w->screen && !w->off)
		buf_add(w->b, esc, strlen(esc));
}

static void lw_puts(struct lw *w, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	if (w->off)
		return;
	for (; *u; u++) {
		bool cont = (*u & 0xc0) == 0x80;

		if (w->screen && !cont && w->col >= w->width)
			break;
		if (*u < 0x20 || *u == 0x7f)
			buf_add(w->b, "?", 1);
		else
			buf_add(w->b, (const char *)u, 1);
		if (!cont)
			w->col++;
	}
}

static void lw_printf(struct lw *w, const char *fmt, ...) ATTR_PRINTF(2, 3);
static void lw_printf(struct lw *w, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	lw_puts(w, tmp);
}

static void lw_pad_to(struct lw *w, int col)
{
	while (!w->off && w->col < col && (!w->screen || w->col < w->width))
		lw_puts(w, " ");
}

static void fmt_secs(double s, char *buf, size_t len)
{
	if (s < 10)
		snprintf(buf, len, "%.2fs", s);
	else if (s < 1000)
		snprintf(buf, len, "%.1fs", s);
	else
		snprintf(buf, len, "%.0fs", s);
}

static void fmt_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns >= 1000000)
		snprintf(buf, len, "%.1fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.0fus", (double)ns / 1e3);
}

static void fmt_bytes(uint64_t b, char *buf, size_t len)
{
	if (b >= (1ULL << 30))
		snprintf(buf, len, "%.2f GiB", (double)b / (double)(1ULL << 30));
	else if (b >= (1ULL << 20))
		snprintf(buf, len, "%.1f MiB", (double)b / (double)(1ULL << 20));
	else
		snprintf(buf, len, "%.0f KiB", (double)b / 1024.0);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* "name (file:line)", "name (file)" or "name (module)". */
static void row_label(const struct topview *v, const struct row *r, char *buf, size_t len)
{
	const struct profile *p = v->p;
	const char *where = NULL;

	if (r->file)
		where = base_name(r->file);
	else if (r->mapping && p->mappings[r->mapping - 1].path)
		where = base_name(p->mappings[r->mapping - 1].path);
	if (where && v->o.lines && r->line > 0)
		snprintf(buf, len, "%s (%s:%d)", r->name, where, r->line);
	else if (where)
		snprintf(buf, len, "%s (%s)", r->name, where);
	else
		snprintf(buf, len, "%s", r->name);
}

static const char *thread_name(const struct topview *v, pid_t tid)
{
	for (size_t i = 0; i < v->p->nthreads; i++)
		if (v->p->threads[i].tid == tid && v->p->threads[i].name)
			return v->p->threads[i].name;
	return "";
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Time stopped as a share of the CPU time the target used, as record does. */
static double overhead_pct(const struct topview *v)
{
	const struct profile *p = v->p;
	const struct sampler_stats *st = sampler_stats(v->s->sampler);

	if (p->nusage < 2)
		return -1;
	const struct prof_usage *a = &p->usage[0], *b = &p->usage[p->nusage - 1];
	uint64_t cpu = (b->utime_ns + b->stime_ns) - (a->utime_ns + a->stime_ns);
	uint64_t span = b->t_ns - a->t_ns, all = b->t_ns;

	if (!cpu || !span)
		return -1;
	return 100.0 * (double)atomic_load(&st->stopped_total_ns) /
	       ((double)cpu * (double)(all > span ? all : span) / (double)span);
}

/* ---- rendering ---- */

/* Where each column ends (they are right-aligned), and where names start. */
static const int col_end[] = { 7, 16, 26, 37 };
#define COL_FUNC 39

static void header(struct topview *v, struct lw *w)
{
	const struct sampler_stats *st = sampler_stats(v->s->sampler);
	const struct prof_meta *m = &v->p->meta;
	uint64_t now = monotonic_ns();
	struct counts c = shown_counts(v);
	char a[32], b[32], d[32];
	double win_s = (double)v->win_ns / 1e9;

	lw_begin(w);
	lw_attr(w, "\033[1m");
	lw_puts(w, "cprof top");
	lw_attr(w, "\033[0m");
	lw_printf(w, "  pid %d  %s", v->s->pid, m->cmdline ? m->cmdline : "");
	lw_end(w);

	lw_begin(w);
	lw_printf(w, "Elapsed %.1fs  Samples %llu", (double)(now - v->start_ns) / 1e9,
		  (unsigned long long)c.cum);
	if (v->reset_ns != v->start_ns)
		lw_printf(w, " (since reset %.1fs ago)", (double)(now - v->reset_ns) / 1e9);
	if (win_s > 0)
		lw_printf(w, ", %.0f/s", (double)c.win / win_s);
	lw_printf(w, "  Threads %zu sampled", threads_sampled(v));
	if (v->live_threads >= 0)
		lw_printf(w, " of %ld", v->live_threads);
	lw_printf(w, "  %u Hz %s", m->rate_hz, m->wall_clock ? "wall-clock" : "on-CPU");
	lw_end(w);

	lw_begin(w);
	lw_puts(w, "Target  CPU ");
	if (v->cpu_user >= 0)
		lw_printf(w, "%.0f%% (user %.0f%%, sys %.0f%%)", v->cpu_user + v->cpu_sys,
			  v->cpu_user, v->cpu_sys);
	else
		lw_puts(w, "-");
	fmt_bytes(v->rss, a, sizeof(a));
	lw_printf(w, "  RSS %s", v->rss ? a : "-");
	lw_end(w);

	double ov = overhead_pct(v);

	lw_begin(w);
	fmt_ns(sampler_pause_percentile(st, 0.50), a, sizeof(a));
	fmt_ns(sampler_pause_percentile(st, 0.99), b, sizeof(b));
	fmt_ns(atomic_load(&st->pause_max_ns), d, sizeof(d));
	lw_printf(w, "cprof   pause p50 %s p99 %s max %s", a, b, d);
	if (ov >= 0)
		lw_printf(w, "  overhead %.1f%%", ov);
	if (v->self_cpu >= 0)
		lw_printf(w, "  CPU %.0f%%", v->self_cpu);
	lw_printf(w, "  lost %llu",
		  (unsigned long long)(atomic_load(&st->lost) + atomic_load(&st->timeouts) +
				       atomic_load(&st->watchdog)));
	lw_end(w);

	lw_begin(w);
	lw_printf(w, "View    by %s, ", v->o.lines ? "line" : "function");
	if (v->o.thread)
		lw_printf(w, "thread %d %s", v->o.thread, thread_name(v, v->o.thread));
	else
		lw_puts(w, "all threads");
	lw_printf(w, ", sorted by %s", top_sort_name(v->o.sort));
	if (w->screen) {
		if (v->o.paused) {
			lw_puts(w, "  ");
			lw_attr(w, "\033[7m");
			lw_puts(w, "PAUSED");
			lw_attr(w, "\033[0m");
		}
		if (w->col + 18 <= w->width) {
			lw_pad_to(w, w->width - 18);
			lw_puts(w, "  ? help  q quit");
		}
	}
	lw_end(w);
}

static void column_titles(const struct topview *v, struct lw *w)
{
	lw_begin(w);
	lw_attr(w, "\033[7m");
	for (int i = 0; i < 4; i++) {
		bool sorted = v->o.sort == (enum top_sort)i;
		char t[16];

		/* The sorted column is marked in text too, for logs and tests. */
		snprintf(t, sizeof(t), "%s%s", sorted ? "*" : "", sort_names[i]);
		lw_pad_to(w, col_end[i] - (int)strlen(t));
		if (sorted)
			lw_attr(w, "\033[1m");
		lw_puts(w, t);
		if (sorted)
			lw_attr(w, "\033[22m");
	}
	lw_pad_to(w, COL_FUNC);
	lw_puts(w, v->o.lines ? "Function (file:line)" : "Function (file)");
	if (w->screen)
		lw_pad_to(w, w->width);
	lw_attr(w, "\033[0m");
	lw_end(w);
}

static void table_row(const struct topview *v, const struct row *r, struct counts c, struct lw *w)
{
	double rate = v->p->meta.rate_hz ? (double)v->p->meta.rate_hz : 100.0;
	char own[24], total[24], label[1024];

	fmt_secs((double)r->own / rate, own, sizeof(own));
	fmt_secs((double)r->total / rate, total, sizeof(total));
	row_label(v, r, label, sizeof(label));
	lw_begin(w);
	lw_printf(w, "%6.1f%%  %6.1f%%  %8s  %9s  ", pct(r->own_win, c.win),
		  pct(r->total_win, c.win), own, total);
	lw_puts(w, label);
	lw_end(w);
}

static const char *const help_text[] = {
	"Keys",
	"  1 2 3 4     sort by %Own, %Total, OwnTime, TotalTime",
	"  L           by function / by source line",
	"  t T         one thread at a time (next, previous); all again after the last",
	"  r           reset the counts",
	"  space       pause the display (sampling goes on)",
	"  arrows      scroll (PgUp, PgDn by page)",
	"  ?           this help; any key closes it",
	"  q Ctrl-C    quit",
	"",
	"Columns",
	"  %Own        share of the last refresh's samples in the function itself",
	"  %Total      share in the function or anything it called",
	"  OwnTime     samples in the function itself, in seconds, since start or reset",
	"  TotalTime   samples in the function or its callees, in seconds",
	"",
	"On-CPU mode counts only threads that ran; --idle counts sleeping ones too.",
};

void topview_render_screen(struct topview *v, int width, int height, struct top_buf *out)
{
	struct lw w = { .b = out, .screen = true, .width = width, .height = height, .row = 1 };
	struct counts c = shown_counts(v);
	int avail;

	buf_add(out, "\033[?25l", 6);
	header(v, &w);
	lw_begin(&w);
	lw_end(&w);
	if (v->o.help) {
		for (size_t i = 0; i < ARRAY_SIZE(help_text) && w.row <= height; i++) {
			lw_begin(&w);
			lw_puts(&w, help_text[i]);
			lw_end(&w);
		}
	} else if (w.row <= height) {
		column_titles(v, &w);
		build_rows(v);
		avail = height - w.row + 1;
		if (avail < 0)
			avail = 0;
		if (v->scroll + (size_t)avail > v->nrows)
			v->scroll = v->nrows > (size_t)avail ? v->nrows - (size_t)avail : 0;
		for (size_t i = v->scroll; i < v->nrows && w.row <= height; i++)
			table_row(v, &v->rows[i], c, &w);
		if (!v->nrows && w.row <= height) {
			lw_begin(&w);
			lw_puts(&w, c.cum ? "" : "  waiting for samples...");
			lw_end(&w);
		}
	}
	/* Clear what an earlier, longer frame left below. */
	if (w.row <= height)
		buf_printf(out, "\033[%d;1H\033[J", w.row);
}

void topview_render_text(struct topview *v, struct top_buf *out)
{
	struct lw w = { .b = out, .screen = false };
	struct counts c = shown_counts(v);
	size_t n;

	header(v, &w);
	column_titles(v, &w);
	build_rows(v);
	n = v->o.max_rows && v->o.max_rows < v->nrows ? v->o.max_rows : v->nrows;
	for (size_t i = 0; i < n; i++)
		table_row(v, &v->rows[i], c, &w);
	buf_add(out, "\n", 1);
}

enum top_action topview_key(struct topview *v, int key)
{
	if (v->o.help && key != 'q' && key != 'Q' && key != 3) {
		v->o.help = false;
		return TOP_REDRAW;
	}
	/* Ctrl-C (3) and Ctrl-L (12) arrive as bytes: the terminal is raw. */
	switch (key) {
	case 'q':
	case 'Q':
	case 3: return TOP_QUIT;
	case '1':
	case '2':
	case '3':
	case '4':
		v->o.sort = (enum top_sort)(key - '1');
		v->scroll = 0;
		return TOP_REDRAW;
	case 'L':
	case 'l':
		v->o.lines = !v->o.lines;
		v->scroll = 0;
		return TOP_REDRAW;
	case 't': topview_cycle_thread(v, 1); return TOP_REDRAW;
	case 'T': topview_cycle_thread(v, -1); return TOP_REDRAW;
	case 'r':
	case 'R': topview_reset(v); return TOP_REDRAW;
	case ' ': v->o.paused = !v->o.paused; return TOP_REDRAW;
	case '?':
	case 'h': v->o.help = true; return TOP_REDRAW;
	case TOP_KEY_UP:
	case 'k':
		if (v->scroll)
			v->scroll--;
		return TOP_REDRAW;
	case TOP_KEY_DOWN:
	case 'j': v->scroll++; return TOP_REDRAW;
	case TOP_KEY_PGUP: v->scroll = v->scroll > 10 ? v->scroll - 10 : 0; return TOP_REDRAW;
	case TOP_KEY_PGDN: v->scroll += 10; return TOP_REDRAW;
	case 12: return TOP_REDRAW;
	default: return TOP_NONE;
	}
}

/* ---- JSON ---- */

/* cJSON copies bytes as they are; a symbol name need not be UTF-8. */
static cJSON *json_str(const char *s)
{
	char *clean = utf8_repair(s);
	cJSON *j = cJSON_CreateString(clean);

	free(clean);
	return j;
}

static void json_num(cJSON *o, const char *key, double v)
{
	cJSON_AddItemToObject(o, key, cJSON_CreateNumber(v));
}

/* Rounded to a useful precision, so 32.47 does not print as 32.467532467. */
static void json_round(cJSON *o, const char *key, double v, double unit)
{
	json_num(o, key, round(v / unit) * unit);
}

int topview_render_json(struct topview *v, bool exited, struct top_buf *out)
{
	const struct sampler_stats *st = sampler_stats(v->s->sampler);
	const struct prof_meta *m = &v->p->meta;
	double rate = m->rate_hz ? (double)m->rate_hz : 100.0;
	struct counts c = shown_counts(v);
	cJSON *o = cJSON_CreateObject(), *t, *rows;
	char *text;
	size_t n;

	if (!o)
		return -ENOMEM;
	json_round(o, "elapsed", (double)(monotonic_ns() - v->start_ns) / 1e9, 1e-3);
	json_num(o, "pid", v->s->pid);
	cJSON_AddItemToObject(o, "cmdline", json_str(m->cmdline));
	json_num(o, "rate_hz", m->rate_hz);
	cJSON_AddItemToObject(o, "mode", json_str(m->wall_clock ? "wall-clock" : "on-CPU"));
	json_num(o, "samples", (double)c.cum);
	json_num(o, "window_samples", (double)c.win);
	json_round(o, "window", (double)v->win_ns / 1e9, 1e-3);
	json_round(o, "since_reset", (double)(monotonic_ns() - v->reset_ns) / 1e9, 1e-3);
	json_num(o, "threads_sampled", (double)threads_sampled(v));
	if (v->live_threads >= 0)
		json_num(o, "threads_live", (double)v->live_threads);
	if (v->cpu_user >= 0) {
		json_round(o, "cpu_user_pct", v->cpu_user, 0.1);
		json_round(o, "cpu_system_pct", v->cpu_sys, 0.1);
	}
	json_num(o, "rss_bytes", (double)v->rss);
	cJSON_AddItemToObject(o, "exited", cJSON_CreateBool(exited));
	if (exited) {
		char line[256];

		topview_exit_line(v, line, sizeof(line));
		cJSON_AddItemToObject(o, "exit", json_str(line));
	}

	t = cJSON_AddObjectToObject(o, "cprof");
	json_num(t, "pause_p50_ns", (double)sampler_pause_percentile(st, 0.50));
	json_num(t, "pause_p99_ns", (double)sampler_pause_percentile(st, 0.99));
	json_num(t, "pause_max_ns", (double)atomic_load(&st->pause_max_ns));
	double ov = overhead_pct(v);

	if (ov >= 0)
		json_round(t, "overhead_pct", ov, 0.01);
	if (v->self_cpu >= 0)
		json_round(t, "cpu_pct", v->self_cpu, 0.1);
	json_num(t, "lost",
		 (double)(atomic_load(&st->lost) + atomic_load(&st->timeouts) +
			  atomic_load(&st->watchdog)));

	t = cJSON_AddObjectToObject(o, "view");
	cJSON_AddItemToObject(t, "by", json_str(v->o.lines ? "line" : "function"));
	cJSON_AddItemToObject(t, "sort", json_str(top_sort_name(v->o.sort)));
	if (v->o.thread)
		json_num(t, "thread", v->o.thread);
	else
		cJSON_AddNullToObject(t, "thread");

	rows = cJSON_AddArrayToObject(o, "rows");
	build_rows(v);
	n = v->o.max_rows && v->o.max_rows < v->nrows ? v->o.max_rows : v->nrows;
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &v->rows[i];
		cJSON *j = cJSON_CreateObject();

		cJSON_AddItemToObject(j, "function", json_str(r->name));
		if (r->file)
			cJSON_AddItemToObject(j, "file", json_str(r->file));
		else
			cJSON_AddNullToObject(j, "file");
		if (v->o.lines && r->line > 0)
			json_num(j, "line", r->line);
		if (r->mapping && v->p->mappings[r->mapping - 1].path)
			cJSON_AddItemToObject(j, "module",
					      json_str(v->p->mappings[r->mapping - 1].path));
		json_round(j, "own_pct", pct(r->own_win, c.win), 0.01);
		json_round(j, "total_pct", pct(r->total_win, c.win), 0.01);
		json_round(j, "own_time", (double)r->own / rate, 1e-3);
		json_round(j, "total_time", (double)r->total / rate, 1e-3);
		json_num(j, "own_samples", (double)r->own);
		json_num(j, "total_samples", (double)r->total);
		cJSON_AddItemToArray(rows, j);
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return -ENOMEM;
	buf_add(out, text, strlen(text));
	buf_add(out, "\n", 1);
	cJSON_free(text);
	return 0;
}

/* ---- the terminal ---- */

static struct top_term *active_term;

/* Only async-signal-safe calls: this also runs from a fatal signal. */
static void term_restore(struct top_term *t)
{
	static const char seq[] = "\033[0m\033[?25h\033[?1049l";
	ssize_t ATTR_UNUSED n = write(t->out, seq, sizeof(seq) - 1);
	struct stat st;

	tcsetattr(t->in, TCSADRAIN, &t->saved);
	if (t->saved_err < 0)
		return;
	dup2(t->saved_err, STDERR_FILENO);
	/* Replay what was said meanwhile; the end of it if it is long. */
	if (fstat(t->held_err, &st) == 0) {
		char buf[4096];
		off_t off = st.st_size > 65536 ? st.st_size - 65536 : 0;
		ssize_t got;

		while ((got = pread(t->held_err, buf, sizeof(buf), off)) > 0) {
			n = write(STDERR_FILENO, buf, (size_t)got);
			off += got;
		}
	}
	close(t->held_err);
	close(t->saved_err);
	t->saved_err = t->held_err = -1;
}

static void term_atexit(void)
{
	if (active_term)
		top_term_leave(active_term);
}

static void term_fatal(int sig)
{
	struct top_term *t = active_term;

	/* The handler resets itself: returning re-runs the fault, or the
	 * signal is raised again, and the default action follows. */
	if (t && t->active) {
		t->active = false;
		term_restore(t);
	}
	raise(sig);
}

static int hold_stderr(struct top_term *t)
{
	const char *dir = getenv("TMPDIR");
	int fd = open(dir && *dir ? dir : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0)
		fd = memfd_create("cprof-top-stderr", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Appends, so lines written from several threads never overlap. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_APPEND);
	t->saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (t->saved_err < 0) {
		close(fd);
		return -errno;
	}
	dup2(fd, STDERR_FILENO);
	t->held_err = fd;
	return 0;
}

int top_term_enter(struct top_term *t)
{
	static bool registered;
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	static const char seq[] = "\033[?1049h\033[?25l\033[H\033[2J";
	struct termios raw;
	struct sigaction sa;

	t->in = STDIN_FILENO;
	t->out = STDOUT_FILENO;
	t->saved_err = t->held_err = -1;
	if (tcgetattr(t->in, &t->saved))
		return -errno;
	raw = t->saved;
	/* Keys arrive one at a time and unechoed; Ctrl-C, Ctrl-Z and Ctrl-S
	 * are keys too, so a launched command in our process group gets no
	 * signal from the terminal. Output processing stays as it was. */
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO | ISIG | IEXTEN);
	raw.c_iflag &= ~(tcflag_t)(IXON | ICRNL | INLCR | ISTRIP);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;

	if (!registered) {
		atexit(term_atexit);
		registered = true;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = term_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(fatal); i++)
		sigaction(fatal[i], &sa, NULL);

	if (tcsetattr(t->in, TCSADRAIN, &raw))
		return -errno;
	active_term = t;
	t->active = true;
	ssize_t ATTR_UNUSED n = write(t->out, seq, sizeof(seq) - 1);

	if (hold_stderr(t))
		t->saved_err = t->held_err = -1;
	return 0;
}

void top_term_leave(struct top_term *t)
{
	if (!t->active)
		return;
	t->active = false;
	term_restore(t);
	if (active_term == t)
		active_term = NULL;
}

void top_term_size(const struct top_term *t, int *width, int *height)
{
	struct winsize ws;

	*width = 80;
	*height = 24;
	if (ioctl(t->out, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
		*width = ws.ws_col;
		*height = ws.ws_row;
	}
}

int top_term_read_keys(struct top_term *t, int *keys, int max)
{
	unsigned char in[64];
	ssize_t n = read(t->in, in, sizeof(in));
	int nkeys = 0;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		return -EIO; /* the terminal hung up */
	for (ssize_t i = 0; i < n && nkeys < max; i++) {
		if (in[i] != 0x1b) {
			keys[nkeys++] = in[i];
			continue;
		}
		if (i + 1 >= n || (in[i + 1] != '[' && in[i + 1] != 'O')) {
			keys[nkeys++] = TOP_KEY_ESC;
			continue;
		}
		/* A CSI or SS3 sequence: parameters, then a final byte. */
		ssize_t j = i + 2;
		int param = 0;

		for (; j < n && in[j] >= 0x30 && in[j] <= 0x3f; j++)
			if (in[j] >= '0' && in[j] <= '9')
				param = param * 10 + (in[j] - '0');
		if (j < n) {
			if (in[j] == 'A')
				keys[nkeys++] = TOP_KEY_UP;
			else if (in[j] == 'B')
				keys[nkeys++] = TOP_KEY_DOWN;
			else if (in[j] == '~' && param == 5)
				keys[nkeys++] = TOP_KEY_PGUP;
			else if (in[j] == '~' && param == 6)
				keys[nkeys++] = TOP_KEY_PGDN;
		}
		i = j;
	}
	return nkeys;
}
