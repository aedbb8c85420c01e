// SPDX-License-Identifier: MIT
/*
 * Hotspot aggregation and the report writers.
 *
 * Self and total are counted per distinct stack, not per sample: a stack's
 * samples are counted once, then its frames are walked once, which keeps a
 * long recording cheap (stacks are far fewer than samples). A function that
 * appears twice in one stack (recursion) counts once towards its total.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyze.h"
#include "jsonw.h"
#include "launch.h"
#include "strtab.h"
#include "syscalls.h"
#include "thread_state.h"
#include "xalloc.h"

/* ---- wait classes ---- */

static const char *const class_names[WAIT_NCLASSES] = {
	[WAIT_LOCK] = "lock", [WAIT_IO] = "io",	    [WAIT_SLEEP] = "sleep",
	[WAIT_POLL] = "poll", [WAIT_WAIT] = "wait", [WAIT_OTHER] = "other",
};

static const char *const class_labels[WAIT_NCLASSES] = {
	[WAIT_LOCK] = "futex/lock",	   [WAIT_IO] = "read/recv/I-O", [WAIT_SLEEP] = "sleep",
	[WAIT_POLL] = "poll/epoll/select", [WAIT_WAIT] = "wait",	[WAIT_OTHER] = "other",
};

/* System calls by what a thread blocked in them waits for; the rest is "other". */
static const struct {
	const char *name;
	enum wait_class cls;
} call_classes[] = {
	{ "futex", WAIT_LOCK },
	{ "futex_waitv", WAIT_LOCK },
	{ "flock", WAIT_LOCK },
	{ "semop", WAIT_LOCK },
	{ "semtimedop", WAIT_LOCK },
	{ "read", WAIT_IO },
	{ "readv", WAIT_IO },
	{ "pread64", WAIT_IO },
	{ "preadv", WAIT_IO },
	{ "preadv2", WAIT_IO },
	{ "write", WAIT_IO },
	{ "writev", WAIT_IO },
	{ "pwrite64", WAIT_IO },
	{ "pwritev", WAIT_IO },
	{ "pwritev2", WAIT_IO },
	{ "recvfrom", WAIT_IO },
	{ "recvmsg", WAIT_IO },
	{ "recvmmsg", WAIT_IO },
	{ "sendto", WAIT_IO },
	{ "sendmsg", WAIT_IO },
	{ "sendmmsg", WAIT_IO },
	{ "sendfile", WAIT_IO },
	{ "splice", WAIT_IO },
	{ "tee", WAIT_IO },
	{ "vmsplice", WAIT_IO },
	{ "copy_file_range", WAIT_IO },
	{ "accept", WAIT_IO },
	{ "accept4", WAIT_IO },
	{ "connect", WAIT_IO },
	{ "open", WAIT_IO },
	{ "openat", WAIT_IO },
	{ "openat2", WAIT_IO },
	{ "fsync", WAIT_IO },
	{ "fdatasync", WAIT_IO },
	{ "sync", WAIT_IO },
	{ "syncfs", WAIT_IO },
	{ "sync_file_range", WAIT_IO },
	{ "io_getevents", WAIT_IO },
	{ "io_pgetevents", WAIT_IO },
	{ "io_uring_enter", WAIT_IO },
	{ "msgrcv", WAIT_IO },
	{ "msgsnd", WAIT_IO },
	{ "mq_timedreceive", WAIT_IO },
	{ "mq_timedsend", WAIT_IO },
	{ "nanosleep", WAIT_SLEEP },
	{ "clock_nanosleep", WAIT_SLEEP },
	{ "poll", WAIT_POLL },
	{ "ppoll", WAIT_POLL },
	{ "select", WAIT_POLL },
	{ "pselect6", WAIT_POLL },
	{ "epoll_wait", WAIT_POLL },
	{ "epoll_pwait", WAIT_POLL },
	{ "epoll_pwait2", WAIT_POLL },
	{ "wait4", WAIT_WAIT },
	{ "waitid", WAIT_WAIT },
	{ "pause", WAIT_WAIT },
	{ "rt_sigsuspend", WAIT_WAIT },
	{ "rt_sigtimedwait", WAIT_WAIT },
};

/* Syscall numbers are small; this bounds the name look-ups. */
#define SYSCALL_SCAN_MAX 1024

const char *wait_class_name(enum wait_class c)
{
	return (unsigned int)c < WAIT_NCLASSES ? class_names[c] : "other";
}

const char *wait_class_label(enum wait_class c)
{
	return (unsigned int)c < WAIT_NCLASSES ? class_labels[c] : "other";
}

static enum wait_class class_of_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(call_classes); i++)
		if (!strcmp(call_classes[i].name, name))
			return call_classes[i].cls;
	return WAIT_OTHER;
}

enum wait_class wait_class_of(long syscall)
{
	return class_of_name(syscall_name(syscall));
}

bool state_on_cpu(char state)
{
	return state == 'R';
}

static int32_t syscall_by_name(const char *name)
{
	for (int32_t nr = 0; nr < SYSCALL_SCAN_MAX; nr++) {
		const char *s = syscall_name(nr);

		if (s && !strcmp(s, name))
			return nr;
	}
	return -1;
}

/* ---- resolving what a blocked thread waits in ---- */

/*
 * A sample may not carry its system call: a thread that has not run since
 * its last sample is recorded again without being stopped (so no registers),
 * and a sleep interrupted by our stop continues as restart_syscall. Both
 * cases keep the stack, so the call is known from the thread's previous
 * sample at the same stack; failing that, from the libc wrapper at the leaf
 * ("__GI___clock_nanosleep", "__libc_read", "__futex_abstimed_wait64").
 */
struct resolver {
	const struct profile *p;
	int32_t restart_nr;
	int32_t *leaf_call; /* per stack: INT32_MIN = not looked at yet */
	struct {
		uint32_t stack;
		int32_t sc;
		bool have;
	} * last; /* per thread */
};

static const char *leaf_name(const struct profile *p, uint32_t stack)
{
	const uint32_t *locs = profile_stack_locs(p, stack);

	for (uint32_t i = 0; i < p->stacks[stack].n; i++) {
		const struct prof_loc *l = &p->locs[locs[i]];

		if (l->nlines)
			return p->funcs[profile_loc_lines(p, locs[i])[0].func].name;
	}
	return NULL;
}

static int32_t call_from_name(const char *name)
{
	char buf[128];
	size_t n;
	int32_t nr;

	if (!name)
		return -1;
	if (!strncmp(name, "__GI_", 5))
		name += 5;
	while (*name == '_')
		name++;
	if (!strncmp(name, "libc_", 5))
		name += 5;
	snprintf(buf, sizeof(buf), "%s", name);
	n = strcspn(buf, "@.");
	buf[n] = '\0';
	if (n > 9 && !strcmp(buf + n - 9, "_nocancel"))
		buf[n - 9] = '\0';
	nr = syscall_by_name(buf);
	if (nr >= 0)
		return nr;
	if (strstr(buf, "futex") || strstr(buf, "pthread_cond") || strstr(buf, "pthread_mutex") ||
	    strstr(buf, "sem_wait") || strstr(buf, "lll_lock"))
		return syscall_by_name("futex");
	if (strstr(buf, "nanosleep"))
		return syscall_by_name("clock_nanosleep");
	return -1;
}

static int32_t resolve_call(struct resolver *r, const struct prof_sample *s)
{
	int32_t sc = s->syscall;

	if (sc < 0 || sc == r->restart_nr) {
		if (r->last[s->thread].have && r->last[s->thread].stack == s->stack &&
		    r->last[s->thread].sc >= 0) {
			sc = r->last[s->thread].sc;
		} else {
			if (r->leaf_call[s->stack] == INT32_MIN)
				r->leaf_call[s->stack] = call_from_name(leaf_name(r->p, s->stack));
			if (r->leaf_call[s->stack] >= 0)
				sc = r->leaf_call[s->stack];
		}
	}
	r->last[s->thread].have = true;
	r->last[s->thread].stack = s->stack;
	r->last[s->thread].sc = sc;
	return sc;
}

/* ---- aggregation ---- */

static void count_syscall(struct analysis *a, size_t *cap, int32_t nr)
{
	for (size_t i = 0; i < a->nsyscalls; i++) {
		if (a->syscalls[i].nr == nr) {
			a->syscalls[i].samples++;
			return;
		}
	}
	struct syscall_stat *s = VEC_PUSH(a->syscalls, a->nsyscalls, *cap);

	s->nr = nr;
	s->samples = 1;
}

/* Key of every entry of the lines table: its function, or its (function, line, file). */
static uint32_t *line_keys(const struct profile *p, enum analyze_by by, size_t *nkeys)
{
	uint32_t *keys = xcalloc(p->nlines ? p->nlines : 1, sizeof(*keys));

	if (by == ANALYZE_BY_FUNCTION) {
		for (size_t i = 0; i < p->nlines; i++)
			keys[i] = p->lines[i].func;
		*nkeys = p->nfuncs;
		return keys;
	}
	size_t nslots = 16, n = 0;

	while (nslots < 2 * p->nlines + 2)
		nslots *= 2;
	uint32_t *slots = xcalloc(nslots, sizeof(*slots)); /* first line with the key + 1 */

	for (size_t i = 0; i < p->nlines; i++) {
		const struct prof_line *l = &p->lines[i];
		uint64_t h = hash_mix(hash_mix(hash_mix(11, l->func), (uint32_t)l->line),
				      (uint64_t)(uintptr_t)l->file);
		size_t s = h & (nslots - 1);

		for (;; s = (s + 1) & (nslots - 1)) {
			if (!slots[s]) {
				slots[s] = (uint32_t)i + 1;
				keys[i] = (uint32_t)n++;
				break;
			}
			const struct prof_line *o = &p->lines[slots[s] - 1];

			if (o->func == l->func && o->line == l->line && o->file == l->file) {
				keys[i] = keys[slots[s] - 1];
				break;
			}
		}
	}
	free(slots);
	*nkeys = n;
	return keys;
}

static int cmp_name(const struct profile *p, const struct hotspot *x, const struct hotspot *y)
{
	int c = strcmp(p->funcs[x->func].name, p->funcs[y->func].name);

	if (c)
		return c;
	c = strcmp(x->file ? x->file : "", y->file ? y->file : "");
	if (c)
		return c;
	return (x->line > y->line) - (x->line < y->line);
}

struct sort_ctx {
	const struct profile *p;
	enum analyze_sort key;
};

/* Ties go by name, so equal counts still print in a stable order. */
static int cmp_spot(const void *a, const void *b, void *arg)
{
	const struct hotspot *x = a, *y = b;
	const struct sort_ctx *c = arg;
	bool by_self = c->key == ANALYZE_SORT_SELF;
	uint64_t x1 = by_self ? x->self : x->total, y1 = by_self ? y->self : y->total;
	uint64_t x2 = by_self ? x->total : x->self, y2 = by_self ? y->total : y->self;

	if (x1 != y1)
		return x1 > y1 ? -1 : 1;
	if (x2 != y2)
		return x2 > y2 ? -1 : 1;
	return cmp_name(c->p, x, y);
}

static int cmp_thread(const void *a, const void *b)
{
	const struct thread_stat *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return (x->thread > y->thread) - (x->thread < y->thread);
}

static int cmp_syscall(const void *a, const void *b)
{
	const struct syscall_stat *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return (x->nr > y->nr) - (x->nr < y->nr);
}

static bool in_window(const struct analyze_opts *o, uint64_t t)
{
	return t >= o->t_from && (!o->t_until || t < o->t_until);
}

/* Room for entry `last` of an array of n, the new entries zero: keys come in any order. */
static void *grow_zeroed(void *v, size_t *cap, size_t n, size_t last, size_t elsize)
{
	v = xgrow(v, cap, last + 1, elsize);
	memset((char *)v + n * elsize, 0, (last + 1 - n) * elsize);
	return v;
}

size_t count_self_total(const struct profile *p, const uint64_t *per_stack, line_key_fn key_of,
			void *arg, struct key_count **counts)
{
	uint32_t *line_key = xmalloc((p->nlines ? p->nlines : 1) * sizeof(*line_key));
	uint32_t *stamp = NULL; /* per key: the last stack (+ 1) its total was counted for */
	struct key_count *c = NULL;
	size_t nkeys = 0, cap = 0, cap_stamp = 0;

	memset(line_key, 0xff, (p->nlines ? p->nlines : 1) * sizeof(*line_key));
	for (uint32_t si = 0; si < p->nstacks; si++) {
		const uint32_t *locs = profile_stack_locs(p, si);
		uint64_t n = per_stack[si];
		bool leaf = true;

		if (!n)
			continue;
		for (uint32_t i = 0; i < p->stacks[si].n; i++) {
			const struct prof_loc *loc = &p->locs[locs[i]];

			for (uint16_t j = 0; j < loc->nlines; j++) {
				uint32_t li = loc->first_line + j;

				if (line_key[li] == UINT32_MAX) {
					uint32_t k = key_of(arg, li, loc);

					line_key[li] = k;
					if (k >= nkeys) {
						c = grow_zeroed(c, &cap, nkeys, k, sizeof(*c));
						stamp = grow_zeroed(stamp, &cap_stamp, nkeys, k,
								    sizeof(*stamp));
						nkeys = (size_t)k + 1;
					}
				}
				uint32_t k = line_key[li];

				if (leaf)
					c[k].self += n;
				leaf = false;
				if (stamp[k] == si + 1)
					continue;
				stamp[k] = si + 1;
				c[k].total += n;
			}
		}
	}
	free(line_key);
	free(stamp);
	*counts = c;
	return nkeys;
}

struct spot_keys {
	const uint32_t *keys; /* per entry of the lines table */
	uint32_t *first;      /* per key: the first line met (index + 1) */
	uint32_t *mapping;    /* per key: the first mapping met */
};

static uint32_t spot_key(void *arg, uint32_t line, const struct prof_loc *loc)
{
	struct spot_keys *sk = arg;
	uint32_t k = sk->keys[line];

	if (!sk->first[k])
		sk->first[k] = line + 1;
	if (!sk->mapping[k])
		sk->mapping[k] = loc->mapping;
	return k;
}

static void make_spots(const struct profile *p, const struct analyze_opts *o,
		       const uint64_t *per_stack, struct analysis *a)
{
	size_t nkeys;
	uint32_t *keys = line_keys(p, o->by, &nkeys);
	struct spot_keys sk = { .keys = keys };
	struct key_count *c;

	sk.first = xcalloc(nkeys ? nkeys : 1, sizeof(*sk.first));
	sk.mapping = xcalloc(nkeys ? nkeys : 1, sizeof(*sk.mapping));
	nkeys = count_self_total(p, per_stack, spot_key, &sk, &c);

	size_t cap = 0;

	for (uint32_t k = 0; k < nkeys; k++) {
		if (!c[k].total)
			continue;
		const struct prof_line *l = &p->lines[sk.first[k] - 1];
		const struct prof_func *f = &p->funcs[l->func];
		struct hotspot *h = VEC_PUSH(a->spots, a->nspots, cap);

		h->func = l->func;
		if (o->by == ANALYZE_BY_LINE) {
			h->file = l->file;
			h->line = l->line;
		} else {
			h->file = f->file ? f->file : l->file;
			h->line = f->file ? f->start_line : 0;
		}
		h->mapping = sk.mapping[k];
		h->self = c[k].self;
		h->total = c[k].total;
	}
	struct sort_ctx sc = { p, o->sort };

	if (a->nspots > 1)
		qsort_r(a->spots, a->nspots, sizeof(*a->spots), cmp_spot, &sc);
	free(keys);
	free(sk.first);
	free(sk.mapping);
	free(c);
}

int analyze_profile(const struct profile *p, const struct analyze_opts *o, struct analysis *a)
{
	uint64_t *per_stack = xcalloc(p->nstacks ? p->nstacks : 1, sizeof(*per_stack));
	struct thread_stat *ts = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*ts));
	struct resolver r = { .p = p, .restart_nr = syscall_by_name("restart_syscall") };
	struct prof_iter it;
	struct prof_sample s;
	size_t cap_calls = 0, cap_threads = 0;

	memset(a, 0, sizeof(*a));
	r.leaf_call = xmalloc((p->nstacks ? p->nstacks : 1) * sizeof(*r.leaf_call));
	for (size_t i = 0; i < p->nstacks; i++)
		r.leaf_call[i] = INT32_MIN;
	r.last = xcalloc(p->nthreads ? p->nthreads : 1, sizeof(*r.last));
	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s)) {
		if (!in_window(o, s.t_ns) || s.thread >= p->nthreads || s.stack >= p->nstacks)
			continue;
		struct thread_stat *t = &ts[s.thread];

		a->samples++;
		per_stack[s.stack]++;
		t->samples++;
		if (state_on_cpu(s.state)) {
			a->on_cpu++;
			t->on_cpu++;
			r.last[s.thread].have = false;
			continue;
		}
		int32_t sc = resolve_call(&r, &s);
		enum wait_class c = sc >= 0 ? wait_class_of(sc) : WAIT_OTHER;

		a->off_cpu++;
		a->wait[c]++;
		t->wait[c]++;
		count_syscall(a, &cap_calls, sc);
	}
	if (a->nsyscalls > 1)
		qsort(a->syscalls, a->nsyscalls, sizeof(*a->syscalls), cmp_syscall);
	for (uint32_t i = 0; i < p->nthreads; i++) {
		if (!ts[i].samples)
			continue;
		ts[i].thread = i;
		a->threads = xgrow(a->threads, &cap_threads, a->nthreads + 1, sizeof(*a->threads));
		a->threads[a->nthreads++] = ts[i];
	}
	if (a->nthreads > 1)
		qsort(a->threads, a->nthreads, sizeof(*a->threads), cmp_thread);
	make_spots(p, o, per_stack, a);
	free(per_stack);
	free(ts);
	free(r.leaf_call);
	free(r.last);
	return 0;
}

void analysis_release(struct analysis *a)
{
	free(a->syscalls);
	free(a->spots);
	free(a->threads);
	memset(a, 0, sizeof(*a));
}

int analysis_bound(const uint64_t *wait, uint64_t on_cpu, uint64_t off_cpu)
{
	int best = WAIT_OTHER;

	if (on_cpu >= off_cpu)
		return WAIT_NCLASSES;
	for (int c = 0; c < WAIT_NCLASSES; c++)
		if (wait[c] > wait[best])
			best = c;
	return best;
}

void analyze_usage(const struct profile *p, const struct analyze_opts *o, struct usage_summary *u)
{
	const struct prof_usage *first = NULL, *last = NULL;

	memset(u, 0, sizeof(*u));
	for (size_t i = 0; i < p->nusage; i++) {
		const struct prof_usage *x = &p->usage[i];

		if (!in_window(o, x->t_ns))
			continue;
		if (!first) {
			first = x;
			u->rss_start = x->rss_bytes;
		}
		last = x;
		u->rss_peak = MAX(u->rss_peak, x->rss_bytes);
	}
	if (!first)
		return;
	u->have_rss = true;
	u->rss_end = last->rss_bytes;
	if (last->t_ns <= first->t_ns)
		return;
	u->have_cpu = true;
	u->seconds = (double)(last->t_ns - first->t_ns) / 1e9;
	/* Counters only grow; a smaller value would be a damaged file. */
	double user =
		last->utime_ns >= first->utime_ns ? (double)(last->utime_ns - first->utime_ns) : 0;
	double sys =
		last->stime_ns >= first->stime_ns ? (double)(last->stime_ns - first->stime_ns) : 0;
	double span = (double)(last->t_ns - first->t_ns);

	u->user_pct = 100.0 * user / span;
	u->system_pct = 100.0 * sys / span;
	u->cpu_pct = u->user_pct + u->system_pct;
	u->rss_growth = ((double)last->rss_bytes - (double)first->rss_bytes) / u->seconds;
}

/* ---- report writers ---- */

static double pct(uint64_t n, uint64_t of)
{
	return of ? 100.0 * (double)n / (double)of : 0.0;
}

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

static void iso_time(uint64_t unix_ns, char *buf, size_t len)
{
	time_t t = (time_t)(unix_ns / 1000000000ULL);
	struct tm tm;

	if (!unix_ns || !gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, len, "unknown");
}

static void human_bytes(double v, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double a = fabs(v);
	size_t u = 0;

	while (a >= 1024 && u + 1 < ARRAY_SIZE(units)) {
		a /= 1024;
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", v, units[u]);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
}

void usage_summary_line(const struct usage_summary *u, char *buf, size_t len)
{
	char now[32], peak[32];
	int n = 0;

	buf[0] = '\0';
	if (u->have_cpu)
		n = snprintf(buf, len, "CPU %.1f%% (%.1f%% user, %.1f%% system)", u->cpu_pct,
			     u->user_pct, u->system_pct);
	if (u->have_rss && n >= 0 && (size_t)n < len) {
		human_bytes((double)u->rss_end, now, sizeof(now));
		human_bytes((double)u->rss_peak, peak, sizeof(peak));
		snprintf(buf + n, len - (size_t)n, "%sRSS %s at the end, peak %s", n ? ", " : "",
			 now, peak);
	}
}

/* Where a hotspot is: "file.c:12", "file.c", "[libfoo.so]" or "". */
static void spot_location(const struct profile *p, const struct hotspot *h, char *buf, size_t len)
{
	const char *path =
		h->mapping && h->mapping <= p->nmappings ? p->mappings[h->mapping - 1].path : NULL;

	if (h->file && h->line > 0)
		snprintf(buf, len, "%s:%d", base_name(h->file), h->line);
	else if (h->file)
		snprintf(buf, len, "%s", base_name(h->file));
	else if (path && path[0] == '[')
		snprintf(buf, len, "%s", path); /* [vdso] */
	else if (path)
		snprintf(buf, len, "[%s]", base_name(path));
	else
		buf[0] = '\0';
}

static void verdict(FILE *f, const struct analysis *a)
{
	int b = analysis_bound(a->wait, a->on_cpu, a->off_cpu);

	if (b == WAIT_NCLASSES) {
		fprintf(f, "\n  Mostly on a CPU (%.1f%% of samples): CPU-bound.\n",
			pct(a->on_cpu, a->samples));
		return;
	}
	fprintf(f, "\n  Mostly waiting (%.1f%% of samples off the CPU), most of it in %s",
		pct(a->off_cpu, a->samples), wait_class_label((enum wait_class)b));
	if (b == WAIT_IO)
		fprintf(f, ": I/O-bound");
	else if (b == WAIT_LOCK)
		fprintf(f, ": lock-bound");
	fprintf(f, ".\n");
	if (a->nthreads > 1)
		fprintf(f, "  Idle threads count too; see the threads above for each one.\n");
}

static const char *bound_name(int bound)
{
	return bound == WAIT_NCLASSES ? "cpu" : wait_class_name((enum wait_class)bound);
}

static void syscall_label(int32_t nr, char *buf, size_t len)
{
	const char *name = nr >= 0 ? syscall_name(nr) : NULL;

	if (name)
		snprintf(buf, len, "%s", name);
	else if (nr >= 0)
		snprintf(buf, len, "syscall %d", nr);
	else
		snprintf(buf, len, "no system call");
}

static void text_header(FILE *f, const struct profile *p, const struct report_opts *ro,
			const struct analysis *a, const struct usage_summary *u)
{
	const struct prof_meta *m = &p->meta;
	char when[64], b1[32], b2[32], b3[32], b4[32];

	iso_time(m->start_unix_ns, when, sizeof(when));
	if (ro->source)
		fprintf(f, "Recording: %s%s%s\n", ro->source, m->version ? ", cprof " : "",
			m->version ? m->version : "");
	fprintf(f, "Command:   %s\n", m->cmdline && *m->cmdline ? m->cmdline : "?");
	fprintf(f, "Pid:       %d%s%s\n", m->pid, m->host && *m->host ? " on " : "",
		m->host ? m->host : "");
	fprintf(f, "Started:   %s\n", when);
	fprintf(f, "Duration:  %.2f s%s\n", (double)m->duration_ns / 1e9,
		m->cut_short ? " (cut short by a signal)" : "");
	fprintf(f, "Samples:   %" PRIu64 " at %u Hz, %s", a->samples, m->rate_hz,
		m->wall_clock ? "wall-clock (--idle: blocked threads sampled too)"
			      : "on-CPU (running threads only)");
	if (m->lost || m->truncated)
		fprintf(f, "; %" PRIu64 " lost, %" PRIu64 " truncated", m->lost, m->truncated);
	fputc('\n', f);
	if (m->exit_status != -1) {
		char how[128];

		describe_wait_status(m->exit_status, how, sizeof(how));
		fprintf(f, "Exit:      %s\n", how);
	}
	if (u->have_cpu)
		fprintf(f, "CPU:       %.1f%% of one CPU (user %.1f%%, system %.1f%%)\n",
			u->cpu_pct, u->user_pct, u->system_pct);
	if (u->have_rss) {
		human_bytes((double)u->rss_start, b1, sizeof(b1));
		human_bytes((double)u->rss_peak, b2, sizeof(b2));
		human_bytes((double)u->rss_end, b3, sizeof(b3));
		human_bytes(u->rss_growth, b4, sizeof(b4));
		fprintf(f, "Memory:    RSS %s at start, %s peak, %s at end", b1, b2, b3);
		if (u->have_cpu)
			fprintf(f, " (%s%s/s)", u->rss_growth >= 0 ? "+" : "", b4);
		fputc('\n', f);
	}
}

static void text_spots(FILE *f, const struct profile *p, const struct analyze_opts *ao,
		       const struct report_opts *ro, const struct analysis *a)
{
	size_t n = ro->top && ro->top < a->nspots ? ro->top : a->nspots;
	int width = 8;
	char loc[512];

	fprintf(f,
		"\nHotspots by %s, top %zu of %zu "
		"(self: samples in it; total: in it and what it calls)\n\n",
		ao->by == ANALYZE_BY_LINE ? "line" : "function", n, a->nspots);
	if (!n) {
		fprintf(f, "  (no samples)\n");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int w = (int)strlen(p->funcs[a->spots[i].func].name);

		if (w > width)
			width = w > 60 ? 60 : w;
	}
	fprintf(f, "   Self   Total  Samples  %-*s  %s\n", width, "Function", "Location");
	for (size_t i = 0; i < n; i++) {
		const struct hotspot *h = &a->spots[i];

		spot_location(p, h, loc, sizeof(loc));
		/* No padding after the name when nothing follows it. */
		fprintf(f, "%6.1f%% %6.1f%% %8" PRIu64 "  %-*s%s%s\n", pct(h->self, a->samples),
			pct(h->total, a->samples), h->self, loc[0] ? width : 0,
			p->funcs[h->func].name, loc[0] ? "  " : "", loc);
	}
}

static void text_threads(FILE *f, const struct profile *p, const struct analysis *a)
{
	bool wall = p->meta.wall_clock;
	int width = 4;

	fprintf(f, "\nThreads (%zu with samples)\n\n", a->nthreads);
	for (size_t i = 0; i < a->nthreads; i++) {
		int w = (int)strlen(p->threads[a->threads[i].thread].name);

		if (w > width)
			width = w > 40 ? 40 : w;
	}
	fprintf(f, "%9s  %-*s  %7s  %6s", "Tid", width, "Name", "Samples", "%");
	if (wall)
		fprintf(f, "  %6s  %s", "On-CPU", "Mostly");
	fputc('\n', f);
	for (size_t i = 0; i < a->nthreads; i++) {
		const struct thread_stat *t = &a->threads[i];
		const struct prof_thread *th = &p->threads[t->thread];

		fprintf(f, "%9d  %-*s  %7" PRIu64 "  %5.1f%%", th->tid, width, th->name, t->samples,
			pct(t->samples, a->samples));
		if (wall) {
			int b = analysis_bound(t->wait, t->on_cpu, t->samples - t->on_cpu);

			fprintf(f, "  %5.1f%%", pct(t->on_cpu, t->samples));
			if (b == WAIT_NCLASSES)
				fprintf(f, "  on a CPU");
			else
				fprintf(f, "  waiting in %s (%.1f%%)",
					wait_class_label((enum wait_class)b),
					pct(t->wait[b], t->samples));
		}
		fputc('\n', f);
	}
}

static void text_cpu(FILE *f, const struct profile *p, const struct analysis *a)
{
	char name[64];

	if (!p->meta.wall_clock) {
		fprintf(f, "\nOn-CPU only: recorded without --idle, so time threads spent blocked\n"
			   "was not sampled (record with --idle to see what they wait in).\n");
		return;
	}
	fprintf(f, "\nOn-CPU vs off-CPU (wall-clock recording)\n\n");
	fprintf(f, "  %-19s %6.1f%% %8" PRIu64 "  running or runnable\n", "on-CPU",
		pct(a->on_cpu, a->samples), a->on_cpu);
	fprintf(f, "  %-19s %6.1f%% %8" PRIu64 "  blocked, waiting in:\n", "off-CPU",
		pct(a->off_cpu, a->samples), a->off_cpu);
	for (int c = 0; c < WAIT_NCLASSES; c++) {
		int shown = 0;

		if (!a->wait[c])
			continue;
		fprintf(f, "    %-17s %6.1f%% %8" PRIu64 " ", wait_class_label((enum wait_class)c),
			pct(a->wait[c], a->samples), a->wait[c]);
		for (size_t i = 0; i < a->nsyscalls && shown < 4; i++) {
			int32_t nr = a->syscalls[i].nr;

			if ((nr >= 0 ? wait_class_of(nr) : WAIT_OTHER) != (enum wait_class)c)
				continue;
			syscall_label(nr, name, sizeof(name));
			fprintf(f, "%s %s (%" PRIu64 ")", shown ? "," : "", name,
				a->syscalls[i].samples);
			shown++;
		}
		fputc('\n', f);
	}
	if (a->samples)
		verdict(f, a);
}

int report_write_text(FILE *f, const struct profile *p, const struct analyze_opts *ao,
		      const struct report_opts *ro)
{
	struct analysis a;
	struct usage_summary u;

	analyze_profile(p, ao, &a);
	analyze_usage(p, ao, &u);
	text_header(f, p, ro, &a, &u);
	text_spots(f, p, ao, ro, &a);
	text_threads(f, p, &a);
	text_cpu(f, p, &a);
	analysis_release(&a);
	return ferror(f) ? -EIO : 0;
}

/* Two decimals are what anyone reads, and they keep the JSON short. */
static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

static cJSON *json_meta(const struct profile *p, const struct report_opts *ro,
			const struct analysis *a)
{
	const struct prof_meta *m = &p->meta;
	cJSON *o = cJSON_CreateObject();
	cJSON *st;
	char when[64];

	iso_time(m->start_unix_ns, when, sizeof(when));
	cjson_add_text(o, "recording", ro->source);
	cjson_add_text(o, "cprof_version", m->version);
	cjson_add_text(o, "command", m->cmdline);
	cJSON_AddNumberToObject(o, "pid", m->pid);
	cjson_add_text(o, "host", m->host);
	cJSON_AddStringToObject(o, "start", when);
	/* Past 2^53 a double would round it. */
	snprintf(when, sizeof(when), "%" PRIu64, m->start_unix_ns);
	cJSON_AddRawToObject(o, "start_unix_ns", when);
	cJSON_AddNumberToObject(o, "duration_s", round(m->duration_ns / 1e6) / 1e3);
	cJSON_AddNumberToObject(o, "samples", (double)a->samples);
	cJSON_AddNumberToObject(o, "rate_hz", m->rate_hz);
	cJSON_AddStringToObject(o, "mode", m->wall_clock ? "wall-clock" : "on-cpu");
	cJSON_AddBoolToObject(o, "cut_short", m->cut_short);
	if (m->exit_status != -1) {
		char how[128];

		describe_wait_status(m->exit_status, how, sizeof(how));
		cJSON_AddNumberToObject(o, "exit_status", m->exit_status);
		cJSON_AddStringToObject(o, "exit", how);
	} else {
		cJSON_AddNullToObject(o, "exit_status");
	}
	st = cJSON_AddObjectToObject(o, "statistics");
	cJSON_AddNumberToObject(st, "ticks", (double)m->ticks);
	cJSON_AddNumberToObject(st, "late_ticks", (double)m->late_ticks);
	cJSON_AddNumberToObject(st, "skipped", (double)m->skipped);
	cJSON_AddNumberToObject(st, "lost", (double)m->lost);
	cJSON_AddNumberToObject(st, "unwind_errors", (double)m->unwind_errors);
	cJSON_AddNumberToObject(st, "truncated", (double)m->truncated);
	cJSON_AddNumberToObject(st, "pause_p50_ns", (double)m->pause_p50_ns);
	cJSON_AddNumberToObject(st, "pause_p99_ns", (double)m->pause_p99_ns);
	cJSON_AddNumberToObject(st, "pause_max_ns", (double)m->pause_max_ns);
	cJSON_AddNumberToObject(st, "overhead_pct", round2(m->overhead_pct));
	return o;
}

static cJSON *json_usage(const struct usage_summary *u)
{
	cJSON *o = cJSON_CreateObject();

	if (u->have_cpu) {
		cJSON_AddNumberToObject(o, "cpu_pct", round2(u->cpu_pct));
		cJSON_AddNumberToObject(o, "user_pct", round2(u->user_pct));
		cJSON_AddNumberToObject(o, "system_pct", round2(u->system_pct));
		cJSON_AddNumberToObject(o, "seconds", round2(u->seconds));
	}
	if (u->have_rss) {
		cJSON_AddNumberToObject(o, "rss_start_bytes", (double)u->rss_start);
		cJSON_AddNumberToObject(o, "rss_peak_bytes", (double)u->rss_peak);
		cJSON_AddNumberToObject(o, "rss_end_bytes", (double)u->rss_end);
		if (u->have_cpu)
			cJSON_AddNumberToObject(o, "rss_growth_bytes_per_s", round(u->rss_growth));
	}
	return o;
}

static cJSON *json_waits(const uint64_t *wait, uint64_t of)
{
	cJSON *o = cJSON_CreateObject();

	for (int c = 0; c < WAIT_NCLASSES; c++) {
		cJSON *w = cJSON_AddObjectToObject(o, wait_class_name((enum wait_class)c));

		cJSON_AddNumberToObject(w, "samples", (double)wait[c]);
		cJSON_AddNumberToObject(w, "pct", round2(pct(wait[c], of)));
	}
	return o;
}

static cJSON *json_cpu(const struct profile *p, const struct analysis *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *calls;
	char name[64];

	cJSON_AddBoolToObject(o, "off_cpu_sampled", p->meta.wall_clock);
	cJSON_AddNumberToObject(o, "on_cpu", (double)a->on_cpu);
	cJSON_AddNumberToObject(o, "off_cpu", (double)a->off_cpu);
	cJSON_AddNumberToObject(o, "on_cpu_pct", round2(pct(a->on_cpu, a->samples)));
	cJSON_AddNumberToObject(o, "off_cpu_pct", round2(pct(a->off_cpu, a->samples)));
	cJSON_AddItemToObject(o, "waiting", json_waits(a->wait, a->samples));
	calls = cJSON_AddArrayToObject(o, "syscalls");
	for (size_t i = 0; i < a->nsyscalls; i++) {
		cJSON *c = cJSON_CreateObject();
		int32_t nr = a->syscalls[i].nr;

		syscall_label(nr, name, sizeof(name));
		if (nr >= 0) {
			cJSON_AddStringToObject(c, "name", name);
			cJSON_AddNumberToObject(c, "nr", nr);
		} else {
			cJSON_AddNullToObject(c, "name");
			cJSON_AddNullToObject(c, "nr");
		}
		cJSON_AddStringToObject(c, "class",
					wait_class_name(nr >= 0 ? wait_class_of(nr) : WAIT_OTHER));
		cJSON_AddNumberToObject(c, "samples", (double)a->syscalls[i].samples);
		cJSON_AddNumberToObject(c, "pct", round2(pct(a->syscalls[i].samples, a->samples)));
		cJSON_AddItemToArray(calls, c);
	}
	if (a->samples && p->meta.wall_clock)
		cJSON_AddStringToObject(o, "bound",
					bound_name(analysis_bound(a->wait, a->on_cpu, a->off_cpu)));
	else
		cJSON_AddNullToObject(o, "bound");
	return o;
}

static cJSON *json_spots(const struct profile *p, const struct report_opts *ro,
			 const struct analysis *a)
{
	size_t n = ro->top && ro->top < a->nspots ? ro->top : a->nspots;
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++) {
		const struct hotspot *h = &a->spots[i];
		cJSON *o = cJSON_CreateObject();

		cjson_add_text(o, "function", p->funcs[h->func].name);
		cjson_add_text(o, "file", h->file);
		if (h->line > 0)
			cJSON_AddNumberToObject(o, "line", h->line);
		else
			cJSON_AddNullToObject(o, "line");
		if (h->mapping && h->mapping <= p->nmappings)
			cjson_add_text(o, "module", p->mappings[h->mapping - 1].path);
		else
			cJSON_AddNullToObject(o, "module");
		cJSON_AddNumberToObject(o, "self", (double)h->self);
		cJSON_AddNumberToObject(o, "total", (double)h->total);
		cJSON_AddNumberToObject(o, "self_pct", round2(pct(h->self, a->samples)));
		cJSON_AddNumberToObject(o, "total_pct", round2(pct(h->total, a->samples)));
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static cJSON *json_threads(const struct profile *p, const struct analysis *a)
{
	cJSON *arr = cJSON_CreateArray();

	for (size_t i = 0; i < a->nthreads; i++) {
		const struct thread_stat *t = &a->threads[i];
		const struct prof_thread *th = &p->threads[t->thread];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "pid", th->pid);
		cJSON_AddNumberToObject(o, "tid", th->tid);
		cjson_add_text(o, "name", th->name);
		cJSON_AddNumberToObject(o, "samples", (double)t->samples);
		cJSON_AddNumberToObject(o, "pct", round2(pct(t->samples, a->samples)));
		cJSON_AddNumberToObject(o, "on_cpu", (double)t->on_cpu);
		cJSON_AddNumberToObject(o, "on_cpu_pct", round2(pct(t->on_cpu, t->samples)));
		cJSON_AddItemToObject(o, "waiting", json_waits(t->wait, t->samples));
		if (p->meta.wall_clock)
			cJSON_AddStringToObject(o, "bound",
						bound_name(analysis_bound(t->wait, t->on_cpu,
									  t->samples - t->on_cpu)));
		else
			cJSON_AddNullToObject(o, "bound");
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

int report_write_json(FILE *f, const struct profile *p, const struct analyze_opts *ao,
		      const struct report_opts *ro)
{
	struct analysis a;
	struct usage_summary u;
	cJSON *root;

	analyze_profile(p, ao, &a);
	analyze_usage(p, ao, &u);
	root = json_meta(p, ro, &a);
	cJSON_AddItemToObject(root, "usage", json_usage(&u));
	cJSON_AddStringToObject(root, "by", ao->by == ANALYZE_BY_LINE ? "line" : "function");
	cJSON_AddStringToObject(root, "sort", ao->sort == ANALYZE_SORT_TOTAL ? "total" : "self");
	cJSON_AddNumberToObject(root, "distinct", (double)a.nspots);
	cJSON_AddItemToObject(root, "hotspots", json_spots(p, ro, &a));
	cJSON_AddItemToObject(root, "threads", json_threads(p, &a));
	cJSON_AddItemToObject(root, "cpu", json_cpu(p, &a));
	analysis_release(&a);
	return cjson_write(f, root);
}
