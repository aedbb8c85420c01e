// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aspace.h"
#include "capture.h"
#include "collect.h"
#include "crash.h"
#include "elfimg.h"
#include "log.h"
#include "profile.h"
#include "resolve.h"
#include "ring.h"
#include "sampler.h"
#include "strtab.h"
#include "unwind.h"
#include "xalloc.h"

struct proc_state {
	pid_t pid;
	struct aspace *as;
	bool exited;
};

/* Address → location cache. Module addresses are keyed by (image, link
 * address) so a library shared by processes is symbolized once. */
struct loc_slot {
	const void *scope;
	uint64_t addr;
	uint32_t loc_plus1;
};

struct thread_last {
	uint32_t stack;
	bool have_stack;
};

struct img_mapping {
	const struct elfimg *img;
	uint32_t mapping;
};

struct collector {
	struct profile *p;
	struct collect_opts o;
	struct strtab *symstrings;
	struct symbolizer *sym;
	struct imgcache *cache;
	_Atomic uint32_t *cap_hints;
	uint64_t start_ns;
	struct collect_stats st;

	struct proc_state *procs;
	size_t nprocs, cap_procs;

	struct loc_slot *locs;
	size_t nloc_slots, nlocs_used;

	struct thread_last *last; /* indexed by profile thread */
	size_t nlast, cap_last;

	struct img_mapping *imgmaps;
	size_t nimgmaps, cap_imgmaps;

	struct unwind_result uw;
	uint32_t stack[UNWIND_MAX_FRAMES + 1];
	int exit_status;

	struct ring_rec **batch;
	size_t nbatch, cap_batch;

	struct crash_report crash;
	bool have_crash;

	collect_sample_fn hook;
	void *hook_arg;
	bool no_timeline;
};

struct collector *collector_new(struct profile *p, const struct collect_opts *o,
				_Atomic uint32_t *cap_hints, uint64_t start_ns)
{
	struct collector *c = xcalloc(1, sizeof(*c));

	c->p = p;
	c->o = *o;
	if (c->o.max_frames <= 0 || c->o.max_frames > UNWIND_MAX_FRAMES)
		c->o.max_frames = UNWIND_MAX_FRAMES;
	c->symstrings = strtab_new();
	c->sym = symbolizer_new(&c->o.sym, c->symstrings);
	c->cache = imgcache_new();
	c->cap_hints = cap_hints;
	c->start_ns = start_ns;
	c->nloc_slots = 4096;
	c->locs = xcalloc(c->nloc_slots, sizeof(*c->locs));
	c->exit_status = -1;
	return c;
}

void collector_free(struct collector *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nprocs; i++)
		aspace_free(c->procs[i].as);
	crash_report_free(&c->crash);
	free(c->procs);
	free(c->locs);
	free(c->last);
	free(c->imgmaps);
	free(c->batch);
	imgcache_free(c->cache);
	symbolizer_free(c->sym);
	strtab_free(c->symstrings);
	free(c);
}

const struct collect_stats *collector_stats(const struct collector *c)
{
	return &c->st;
}

const struct crash_report *collector_crash(const struct collector *c)
{
	return c->have_crash ? &c->crash : NULL;
}

int collector_exit_status(const struct collector *c)
{
	return c->exit_status;
}

bool collector_all_exited(const struct collector *c)
{
	if (!c->nprocs)
		return false;
	for (size_t i = 0; i < c->nprocs; i++)
		if (!c->procs[i].exited)
			return false;
	return true;
}

static struct proc_state *proc_get(struct collector *c, pid_t pid)
{
	for (size_t i = 0; i < c->nprocs; i++)
		if (c->procs[i].pid == pid)
			return &c->procs[i];
	struct proc_state *ps = VEC_PUSH(c->procs, c->nprocs, c->cap_procs);

	ps->pid = pid;
	ps->as = aspace_new(pid);
	ps->exited = false;
	return ps;
}

/* ---- location cache ---- */

static uint64_t slot_hash(const void *scope, uint64_t addr)
{
	return hash_mix(hash_mix(0x51, (uint64_t)(uintptr_t)scope), addr);
}

static struct loc_slot *loc_slot(struct collector *c, const void *scope, uint64_t addr)
{
	size_t mask = c->nloc_slots - 1;

	for (size_t i = slot_hash(scope, addr) & mask;; i = (i + 1) & mask) {
		struct loc_slot *s = &c->locs[i];

		if (!s->loc_plus1 || (s->scope == scope && s->addr == addr))
			return s;
	}
}

static void loc_cache_grow(struct collector *c)
{
	struct loc_slot *old = c->locs;
	size_t n = c->nloc_slots;

	c->nloc_slots *= 2;
	c->locs = xcalloc(c->nloc_slots, sizeof(*c->locs));
	for (size_t i = 0; i < n; i++)
		if (old[i].loc_plus1)
			*loc_slot(c, old[i].scope, old[i].addr) = old[i];
	free(old);
}

static uint32_t mapping_for(struct collector *c, const struct resolved *r)
{
	for (size_t i = 0; i < c->nimgmaps; i++)
		if (c->imgmaps[i].img == r->img)
			return c->imgmaps[i].mapping;
	struct img_mapping *m = VEC_PUSH(c->imgmaps, c->nimgmaps, c->cap_imgmaps);

	m->img = r->img;
	m->mapping = profile_add_mapping(c->p, r->module_path ? r->module_path : r->img->name,
					 r->img->build_id_len ? r->img->build_id_hex : NULL,
					 r->map_start, r->map_end, r->map_offset);
	return m->mapping;
}

static uint32_t make_loc(struct collector *c, struct aspace *as, uint64_t pc)
{
	struct resolved r;
	struct prof_line lines[SYM_MAX_INLINE];
	enum loc_kind kind;
	uint32_t mapping = 0;

	resolve_pc(c->sym, c->symstrings, as, pc, &r);
	for (int i = 0; i < r.sym.n; i++) {
		const struct symframe *f = &r.sym.frames[i];

		lines[i].func = profile_add_func(c->p, f->func ? f->func : "??", f->decl_file,
						 f->decl_line);
		lines[i].line = f->line;
		lines[i].file = f->file;
		lines[i].inlined = f->inlined;
	}
	if (r.kind == RESOLVED_JIT)
		kind = LOC_JIT;
	else if (r.kind == RESOLVED_MODULE && r.sym.has_symbol)
		kind = LOC_NATIVE;
	else
		kind = LOC_UNKNOWN;
	if (r.kind == RESOLVED_MODULE && r.img)
		mapping = mapping_for(c, &r);
	c->st.locs_symbolized++;
	return profile_add_loc(c->p, pc, mapping, kind, lines, (size_t)r.sym.n);
}

static uint32_t loc_for(struct collector *c, struct aspace *as, uint64_t pc)
{
	const struct as_map *a;
	const struct mapping *m = aspace_find(as, pc, &a);
	const void *scope = as;
	uint64_t key = pc;

	if (m && a->img && a->bias_ok) {
		scope = a->img;
		key = pc - a->bias;
	}
	struct loc_slot *s = loc_slot(c, scope, key);

	if (s->loc_plus1)
		return s->loc_plus1 - 1;
	uint32_t loc = make_loc(c, as, pc);

	/* make_loc may have grown nothing here, but re-find the slot anyway. */
	s = loc_slot(c, scope, key);
	s->scope = scope;
	s->addr = key;
	s->loc_plus1 = loc + 1;
	if (++c->nlocs_used * 2 > c->nloc_slots)
		loc_cache_grow(c);
	return loc;
}

static uint32_t truncated_loc(struct collector *c)
{
	struct prof_line l = { .func = profile_add_func(c->p, "[truncated]", NULL, 0) };

	return profile_add_loc(c->p, 0, 0, LOC_TRUNCATED, &l, 1);
}

/* ---- samples ---- */

void collector_set_sample_hook(struct collector *c, collect_sample_fn fn, void *arg,
			       bool keep_timeline)
{
	c->hook = fn;
	c->hook_arg = arg;
	c->no_timeline = !keep_timeline;
}

static void emit_sample(struct collector *c, const struct prof_sample *s)
{
	if (c->hook)
		c->hook(c->hook_arg, s);
	if (!c->no_timeline) {
		profile_add_sample(c->p, s);
		return;
	}
	/* The counts the timeline would have kept, for progress and threads. */
	c->p->nsamples++;
	c->p->threads[s->thread].samples++;
}

static struct thread_last *last_for(struct collector *c, uint32_t thread)
{
	if (thread >= c->nlast) {
		size_t n = (size_t)thread + 1;

		c->last = xgrow(c->last, &c->cap_last, n, sizeof(*c->last));
		memset(&c->last[c->nlast], 0, (n - c->nlast) * sizeof(*c->last));
		c->nlast = n;
	}
	return &c->last[thread];
}

static void add_crash_thread(struct collector *c, const struct rec_sample *r, uint32_t stack)
{
	struct crash_thread *t;

	if (!c->have_crash || r->pid != c->crash.pid)
		return;
	t = VEC_PUSH(c->crash.threads, c->crash.nthreads, c->crash.cap_threads);
	memset(t, 0, sizeof(*t));
	t->tid = r->tid;
	memcpy(t->name, r->comm, sizeof(t->name));
	t->name[sizeof(t->name) - 1] = 0;
	t->state = r->state;
	t->faulting = r->tid == c->crash.tid;
	t->truncated = c->uw.truncated;
	t->stack = stack;
	t->regs = r->regs;
}

/* Unwind and symbolize one snapshot into a stack of the profile. */
static uint32_t unwind_record(struct collector *c, const struct rec_sample *r)
{
	struct proc_state *ps = proc_get(c, r->pid);
	struct snapshot snap = {
		.pid = r->pid,
		.tid = r->tid,
		.time_ns = r->time_ns,
		.regs = r->regs,
		.stack_start = r->stack_start,
		.stack_len = r->stack_len,
		.stack_cap = r->stack_cap,
		.flags = r->flags,
		.stack = (const uint8_t *)(r + 1),
	};

	unwind_snapshot(ps->as, &snap, c->o.max_frames, &c->uw);
	if (c->uw.truncated) {
		c->st.truncated++;
		/* Ask the sampler for a bigger copy of this thread next time. */
		uint32_t want = r->stack_cap * 2;

		if (want > c->o.stack_cap_max)
			want = c->o.stack_cap_max;
		atomic_store_explicit(&c->cap_hints[(uint32_t)r->tid % CAP_HINTS], want,
				      memory_order_relaxed);
	} else if (c->uw.error) {
		c->st.unwind_errors++;
	}
	size_t n = 0;

	for (int i = 0; i < c->uw.n; i++)
		c->stack[n++] = loc_for(c, ps->as, unwind_lookup_pc(&c->uw, i));
	if (c->uw.truncated)
		c->stack[n++] = truncated_loc(c);
	c->st.frames += (uint64_t)c->uw.n;
	return profile_add_stack(c->p, c->stack, n);
}

static void add_sample(struct collector *c, const struct rec_sample *r)
{
	if (r->flags & SNAP_CRASH) {
		/* Crash stacks belong to the report, not to the timeline. */
		add_crash_thread(c, r, unwind_record(c, r));
		return;
	}

	uint32_t thread = profile_add_thread(c->p, r->pid, r->tid, r->comm);
	struct thread_last *last = last_for(c, thread);
	struct prof_sample s;

	if (r->comm[0] && strcmp(c->p->threads[thread].name, r->comm))
		profile_set_thread_name(c->p, thread, r->comm);
	s.thread = thread;
	s.t_ns = r->time_ns > c->start_ns ? r->time_ns - c->start_ns : 0;
	s.state = r->state ? r->state : '?';
	s.syscall = -1;

	if (r->flags & SNAP_REUSED) {
		if (!last->have_stack)
			return;
		s.stack = last->stack;
		emit_sample(c, &s);
		c->st.reused++;
		return;
	}
	s.stack = unwind_record(c, r);
	if ((int64_t)r->regs.orig_rax >= 0)
		s.syscall = (int32_t)r->regs.orig_rax;
	emit_sample(c, &s);
	last->stack = s.stack;
	last->have_stack = true;
	c->st.samples++;
}

static void apply_setup(struct collector *c, struct ring_rec *rec)
{
	if (rec->type == REC_MAPS) {
		struct rec_maps *m = ring_payload(rec);
		struct proc_state *ps = proc_get(c, m->update->pid);

		aspace_apply(ps->as, m->update, c->cache);
		maps_update_free(m->update);
		m->update = NULL;
	} else if (rec->type == REC_PROC) {
		struct rec_proc *pr = ring_payload(rec);
		struct proc_state *ps = proc_get(c, pr->pid);

		ps->exited = false;
		profile_add_process(c->p, pr->pid, pr->cmdline);
	}
}

static void apply_event(struct collector *c, struct ring_rec *rec)
{
	if (rec->type == REC_SAMPLE) {
		add_sample(c, ring_payload(rec));
	} else if (rec->type == REC_USAGE) {
		struct rec_usage *u = ring_payload(rec);

		if (c->nprocs && u->pid == c->procs[0].pid) {
			struct prof_usage pu = {
				.t_ns = u->time_ns > c->start_ns ? u->time_ns - c->start_ns : 0,
				.utime_ns = u->utime_ns,
				.stime_ns = u->stime_ns,
				.rss_bytes = u->rss_bytes,
			};

			profile_add_usage(c->p, &pu);
		}
	} else if (rec->type == REC_CRASH) {
		const struct rec_crash *h = ring_payload(rec);

		crash_report_free(&c->crash);
		c->have_crash = true;
		c->crash.pid = h->pid;
		c->crash.tid = h->tid;
		c->crash.signo = h->signo;
		c->crash.code = h->code;
		c->crash.sender = h->sender;
		c->crash.addr = h->addr;
		c->crash.t_ns = h->time_ns > c->start_ns ? h->time_ns - c->start_ns : 0;
	} else if (rec->type == REC_PROC_EXIT) {
		struct rec_proc *pr = ring_payload(rec);
		struct proc_state *ps = proc_get(c, pr->pid);

		ps->exited = true;
		c->st.processes_exited++;
		if (pr->wstatus != -1)
			c->exit_status = pr->wstatus;
	}
}

/*
 * A tick's mapping updates are applied before its samples are unwound: the
 * sampler reads the maps after the captures, and a sample in code that was
 * just mapped must find it.
 */
static size_t flush_batch(struct collector *c)
{
	size_t before = c->st.samples + c->st.reused;

	for (size_t i = 0; i < c->nbatch; i++)
		apply_setup(c, c->batch[i]);
	for (size_t i = 0; i < c->nbatch; i++)
		apply_event(c, c->batch[i]);
	c->nbatch = 0;
	return c->st.samples + c->st.reused - before;
}

/*
 * A consumer far behind (a burst of new code to symbolize, a loaded
 * machine) returns between ticks after this long, so that the command's
 * loop still sees signals, timers and keys; the rest waits in the ring.
 */
#define DRAIN_SLICE_NS (100 * 1000000ULL)

size_t collector_drain(struct collector *c, struct ring *r)
{
	uint64_t start = monotonic_ns();
	struct ring_rec *rec;
	size_t added = 0;

	while ((rec = ring_peek(r))) {
		if (rec->type == REC_TICK) {
			added += flush_batch(c);
			if (monotonic_ns() - start > DRAIN_SLICE_NS)
				break;
			continue;
		}
		*VEC_PUSH(c->batch, c->nbatch, c->cap_batch) = rec;
	}
	added += flush_batch(c);
	ring_consume(r);
	return added;
}
