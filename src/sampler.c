// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aspace.h"
#include "capture.h"
#include "log.h"
#include "mapwatch.h"
#include "options.h"
#include "proc.h"
#include "sampler.h"
#include "signals.h"
#include "xalloc.h"

/* Share of the period a tick may spend capturing before it skips threads. */
#define TICK_BUDGET	  0.7
#define USAGE_INTERVAL_NS 250000000ULL
/*
 * /proc/PID/task is listed again when the thread count in /proc/PID/stat
 * differs from ours, when a known thread could not be read (it may have
 * been replaced by a new one, leaving the count unchanged), and every
 * RELIST_TICKS ticks in any case. Listing it every tick cost more than a
 * third of the sampler's time with 1000 threads (proc_task_readdir).
 */
#define RELIST_TICKS 10
/*
 * Reading /proc/PID/task and the process-wide /proc/PID/stat costs the
 * kernel a pass over every thread: with many threads both are done less
 * often, RELIST_TICKS and USAGE_INTERVAL_NS stretched once per this many.
 */
#define THREADS_PER_STRETCH 128
/*
 * On-CPU mode reads each thread's schedstat to learn whether it ran. With
 * many sleeping threads those reads were most of the sampler's time, so a
 * thread found idle again and again is looked at less often, up to every
 * IDLE_POLL_MAX ticks; one found to have run is looked at every tick again.
 *
 * A thread that wakes after a long sleep would then be seen late, and a
 * short burst of work missed: so the process's CPU clock, which the kernel
 * sums over its threads in one call, is read each tick too. Once it has
 * grown by more than WAKE_SLACK_NS beyond what the threads looked at
 * account for, every thread is looked at. With that clock the idle
 * interval can stretch to IDLE_POLL_MAX_CLOCK ticks; without it (a
 * --tid or --thread-name filter leaves threads unaccounted for) a waking
 * thread is seen at most IDLE_POLL_MAX ticks late.
 */
#define IDLE_POLL_MAX	       8
#define IDLE_POLL_MAX_CLOCK    64
#define WAKE_SLACK_NS	       (1000 * 1000ULL)
#define SOLO_AFTER_WATCHDOG_NS (1000 * 1000000ULL)
#define RED_ZONE_SLACK	       256
/* How long a crash capture waits for each other thread to stop. */
#define CRASH_STOP_TIMEOUT_MS 1000

struct tthread {
	pid_t tid;
	int sched_fd, stat_fd;
	uint64_t runtime;
	bool have_runtime;
	bool sampled; /* captured at least once since it last ran */
	char state;
	char comm[16];
	bool filtered_out;
	bool name_checked;
	unsigned long seen;
	uint64_t faults;	   /* minor + major, at the last stat read */
	unsigned int idle_polls;   /* polls in a row that found it had not run */
	unsigned long next_poll;   /* on-CPU mode: the tick it is looked at again */
	unsigned long polled_tick; /* the last tick its schedstat was read */
};

struct tproc {
	pid_t pid;
	/*
	 * The leader's own stat, read every tick, and the process's, read
	 * only for the usage series: the kernel sums the CPU time of every
	 * thread to produce the latter, which with 1000 threads made it the
	 * sampler's most expensive read.
	 */
	int stat_fd, usage_fd;
	DIR *taskdir;
	struct mapwatch mw;
	uint64_t startstack, startcode;
	struct tthread *threads; /* sorted by tid */
	size_t nthreads, cap_threads;
	size_t rr; /* where the next tick starts, after an overloaded one */
	uint64_t last_usage_ns;
	long num_threads;	   /* from /proc/PID/stat at this tick */
	unsigned long listed_tick; /* when /proc/PID/task was last listed */
	bool relist;		   /* a thread could not be read: list again */
	bool sampled_faulted;	   /* a thread added at this tick took page faults */
	bool execed;		   /* an exec was found at this tick's look */
	bool gone;
	/* Wake detection (IDLE_POLL_MAX_CLOCK): */
	clockid_t cpu_clock;
	bool have_cpu_clock;
	bool have_unaccounted;
	int64_t unaccounted_ref; /* process CPU time no thread accounted for,
				    when every thread was last looked at */
	size_t wake_rr;		 /* where an unfinished look at every thread resumes */
};

struct sampler {
	struct sampler_opts o;
	struct ring *ring;
	_Atomic uint32_t *cap_hints;
	struct sampler_stats st;
	struct tracer *tracer;
	struct tproc *procs;
	size_t nprocs, cap_procs;
	pthread_t thread;
	atomic_bool stop;
	atomic_bool ready; /* attached (--on-crash) and the target added */
	atomic_bool finished;
	atomic_int child_status;
	atomic_int error;
	uint64_t start_ns;
	_Atomic uint64_t end_ns;
	uint64_t last_discovery_ns;
	unsigned long tick_no;
	uint64_t rng;

	/* The threads of the batch being captured, by batch index. */
	struct pick {
		struct tproc *p;
		struct tthread *t;
		struct rec_sample *r;
		uint32_t cap, extra_flags;
	} picks[TRACER_BATCH_MAX];
	size_t batch_bytes;	/* ring space the batch may need */
	uint64_t solo_until_ns; /* one thread at a time until then */
	size_t *cands;		/* this tick's threads that ran, by index */
	size_t ncands, cap_cands;
	struct rec_sample **committed; /* this tick's samples of the process in hand */
	size_t ncommitted, cap_committed;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static unsigned int pause_bucket(uint64_t ns)
{
	/* 8 linear sub-buckets per power of two: ~12% resolution. */
	if (ns < 8)
		return (unsigned int)ns;
	int msb = 63 - __builtin_clzll(ns);
	unsigned int sub = (unsigned int)(ns >> (msb - 3)) & 7;
	unsigned int b = (unsigned int)(msb - 2) * 8 + sub;

	return b < PAUSE_BUCKETS ? b : PAUSE_BUCKETS - 1;
}

static uint64_t bucket_value(unsigned int b)
{
	if (b < 8)
		return b;
	unsigned int msb = b / 8 + 2, sub = b % 8;

	/* the middle of the bucket */
	return ((8ULL + sub) << (msb - 3)) + (1ULL << (msb - 3)) / 2;
}

uint64_t sampler_pause_percentile(const struct sampler_stats *st, double q)
{
	unsigned long total = 0, acc = 0;

	for (unsigned int i = 0; i < PAUSE_BUCKETS; i++)
		total += atomic_load_explicit(&st->pause_hist[i], memory_order_relaxed);
	if (!total)
		return 0;
	unsigned long want = (unsigned long)(q * (double)total);

	if (want >= total)
		want = total - 1;
	for (unsigned int i = 0; i < PAUSE_BUCKETS; i++) {
		acc += atomic_load_explicit(&st->pause_hist[i], memory_order_relaxed);
		if (acc > want) {
			/* A bucket's middle may lie above the largest pause seen. */
			uint64_t v = bucket_value(i), mx = atomic_load(&st->pause_max_ns);

			return v < mx ? v : mx;
		}
	}
	return 0;
}

static void count(atomic_ulong *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

/* ---- processes and threads ---- */

static void thread_close(struct tthread *t)
{
	if (t->sched_fd >= 0)
		close(t->sched_fd);
	if (t->stat_fd >= 0)
		close(t->stat_fd);
	t->sched_fd = t->stat_fd = -1;
}

static void proc_forget_threads(struct tproc *p)
{
	for (size_t i = 0; i < p->nthreads; i++)
		thread_close(&p->threads[i]);
	p->nthreads = 0;
}

static void emit_proc(struct sampler *s, uint32_t type, pid_t pid, int wstatus)
{
	struct rec_proc *r = ring_reserve(s->ring, type, sizeof(*r));

	if (!r)
		return;
	r->pid = pid;
	r->wstatus = wstatus;
	r->cmdline[0] = '\0';
	if (type == REC_PROC)
		proc_cmdline(pid, r->cmdline, sizeof(r->cmdline));
	ring_commit(s->ring, r, sizeof(*r));
}

static void emit_maps(struct sampler *s, struct maps_update *u)
{
	struct rec_maps *r;

	if (!u)
		return;
	/* Must get through even when the ring is full of samples. */
	while (!(r = ring_reserve(s->ring, REC_MAPS, sizeof(*r)))) {
		ring_publish(s->ring);
		if (atomic_load(&s->stop)) {
			maps_update_free(u);
			return;
		}
		struct timespec ts = { 0, 1000000 };

		nanosleep(&ts, NULL);
	}
	r->update = u;
	ring_commit(s->ring, r, sizeof(*r));
}

static void proc_close_files(struct tproc *p)
{
	if (p->taskdir)
		closedir(p->taskdir);
	if (p->stat_fd >= 0)
		close(p->stat_fd);
	if (p->usage_fd >= 0)
		close(p->usage_fd);
	p->taskdir = NULL;
	p->stat_fd = p->usage_fd = -1;
}

static int proc_add(struct sampler *s, pid_t pid)
{
	char path[64];
	struct tproc *p = VEC_PUSH(s->procs, s->nprocs, s->cap_procs);
	struct proc_stat st;
	struct maps_update *u = NULL;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, pid);
	p->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	p->usage_fd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	p->taskdir = opendir(path);
	if (p->stat_fd < 0 || p->usage_fd < 0 || !p->taskdir || mapwatch_init(&p->mw, pid)) {
		proc_close_files(p);
		p->gone = true;
		return -ESRCH;
	}
	if (proc_read_stat(pid, 0, &st) == 0) {
		p->startstack = st.startstack;
		p->startcode = st.startcode;
	}
	p->have_cpu_clock = !s->o.idle && !s->o.tids && !s->o.thread_name &&
			    clock_getcpuclockid(pid, &p->cpu_clock) == 0;
	emit_proc(s, REC_PROC, pid, -1);
	if (mapwatch_poll(&p->mw, true, &u) == 0)
		emit_maps(s, u);
	return 0;
}

static void proc_drop(struct sampler *s, struct tproc *p)
{
	proc_forget_threads(p);
	free(p->threads);
	p->threads = NULL;
	proc_close_files(p);
	mapwatch_release(&p->mw);
	p->gone = true;
	(void)s;
}

static bool tid_wanted(const struct sampler *s, pid_t tid)
{
	return !s->o.tids || tid_list_has(s->o.tids, s->o.ntids, tid);
}

static struct tthread *thread_find(struct tproc *p, pid_t tid)
{
	size_t lo = 0, hi = p->nthreads;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->threads[mid].tid == tid)
			return &p->threads[mid];
		if (p->threads[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_tthread(const void *a, const void *b)
{
	const struct tthread *x = a, *y = b;

	return (x->tid > y->tid) - (x->tid < y->tid);
}

/* Re-list /proc/PID/task: open new threads, close the ones that left. */
static void refresh_threads(struct sampler *s, struct tproc *p)
{
	struct dirent *de;
	bool added = false;

	rewinddir(p->taskdir);
	while ((de = readdir(p->taskdir))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		pid_t tid = (pid_t)atoi(de->d_name);
		struct tthread *t = thread_find(p, tid);

		if (t) {
			t->seen = s->tick_no;
			continue;
		}
		t = VEC_PUSH(p->threads, p->nthreads, p->cap_threads);
		memset(t, 0, sizeof(*t));
		t->tid = tid;
		t->seen = s->tick_no;
		t->filtered_out = !tid_wanted(s, tid);
		char path[96];

		snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", p->pid, tid);
		t->sched_fd = open(path, O_RDONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", p->pid, tid);
		t->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
		added = true;
		count(&s->st.threads_seen);
	}
	size_t w = 0;

	for (size_t i = 0; i < p->nthreads; i++) {
		if (p->threads[i].seen == s->tick_no)
			p->threads[w++] = p->threads[i];
		else
			thread_close(&p->threads[i]);
	}
	p->nthreads = w;
	if (added)
		qsort(p->threads, p->nthreads, sizeof(*p->threads), cmp_tthread);
}

static bool read_thread_stat(struct tthread *t, struct proc_stat *st)
{
	char buf[1024];

	if (t->stat_fd < 0 || proc_pread_fd(t->stat_fd, buf, sizeof(buf)) <= 0 ||
	    proc_parse_stat(buf, st))
		return false;
	t->state = st->state;
	snprintf(t->comm, sizeof(t->comm), "%.15s", st->comm);
	return true;
}

static bool read_runtime(struct tthread *t, uint64_t *runtime)
{
	char buf[128];

	return t->sched_fd >= 0 && proc_pread_fd(t->sched_fd, buf, sizeof(buf)) > 0 &&
	       proc_parse_schedstat(buf, runtime) == 0;
}

/* ---- capture ---- */

static uint32_t stack_cap_for(struct sampler *s, pid_t tid)
{
	uint32_t hint = atomic_load_explicit(&s->cap_hints[(uint32_t)tid % CAP_HINTS],
					     memory_order_relaxed);
	uint32_t cap = hint > s->o.stack_cap ? hint : s->o.stack_cap;

	return cap > s->o.stack_cap_max ? s->o.stack_cap_max : cap;
}

static void record_pause(struct sampler *s, uint32_t ns)
{
	atomic_fetch_add_explicit(&s->st.pause_hist[pause_bucket(ns)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->st.pause_total_ns, ns, memory_order_relaxed);
	unsigned long mx = atomic_load_explicit(&s->st.pause_max_ns, memory_order_relaxed);

	if (ns > mx)
		atomic_store_explicit(&s->st.pause_max_ns, ns, memory_order_relaxed);
}

static void emit_reused(struct sampler *s, struct tproc *p, struct tthread *t)
{
	struct rec_sample *r = ring_reserve(s->ring, REC_SAMPLE, sizeof(*r));

	if (!r) {
		count(&s->st.lost);
		return;
	}
	memset(r, 0, sizeof(*r));
	r->pid = p->pid;
	r->tid = t->tid;
	r->time_ns = monotonic_ns();
	r->flags = SNAP_REUSED;
	r->state = t->state;
	memcpy(r->comm, t->comm, sizeof(r->comm));
	ring_commit(s->ring, r, sizeof(*r));
	count(&s->st.reused);
}

/* Commit a record whose stack the tracer has just copied in place. */
static void commit_sample(struct sampler *s, struct rec_sample *r, const struct snapshot *snap,
			  uint32_t extra_flags, char state, const char comm[16])
{
	r->pid = snap->pid;
	r->tid = snap->tid;
	r->time_ns = snap->time_ns;
	r->regs = snap->regs;
	r->stack_start = snap->stack_start;
	r->stack_len = snap->stack_len;
	r->stack_cap = snap->stack_cap;
	r->flags = snap->flags | extra_flags;
	r->pause_ns = snap->pause_ns;
	r->state = state;
	memcpy(r->comm, comm, sizeof(r->comm));
	ring_commit(s->ring, r, sizeof(*r) + snap->stack_len);
}

static void count_capture_error(struct sampler *s, struct tproc *p, int err)
{
	switch (err) {
	case -ESRCH:
		count(&s->st.vanished);
		p->relist = true;
		break;
	case -EAGAIN: count(&s->st.timeouts); break;
	case -EINTR: count(&s->st.watchdog); break;
	case -EPERM: count(&s->st.denied); break;
	case -ECANCELED: break; /* held for a crash report */
	default: count(&s->st.lost); break;
	}
}

static uint8_t *pick_buffer(void *ctx, size_t i)
{
	struct sampler *s = ctx;
	struct pick *k = &s->picks[i];

	k->r = ring_reserve(s->ring, REC_SAMPLE, sizeof(*k->r) + k->cap + RED_ZONE_SLACK);
	return k->r ? (uint8_t *)(k->r + 1) : NULL;
}

static void pick_done(void *ctx, size_t i, int err, const struct snapshot *snap)
{
	struct sampler *s = ctx;
	struct pick *k = &s->picks[i];

	if (err) {
		/* An uncommitted reservation is simply reused. */
		count_capture_error(s, k->p, err);
		/*
		 * The watchdog fired: this thread is being held up, and every
		 * thread of a batch waits for it. Stop one at a time for a while,
		 * so a stall holds up only the thread being copied.
		 */
		if (err == -EINTR)
			s->solo_until_ns = monotonic_ns() + SOLO_AFTER_WATCHDOG_NS;
		return;
	}
	commit_sample(s, k->r, snap, k->extra_flags, k->t->state, k->t->comm);
	if (k->extra_flags & SNAP_CRASH)
		return;
	record_pause(s, snap->pause_ns);
	/* The overhead estimate divides by the first process's CPU time. */
	if (k->p->pid == s->o.pid)
		atomic_fetch_add_explicit(&s->st.stopped_total_ns, snap->stopped_ns,
					  memory_order_relaxed);
	if (snap->pause_ns > 1000000)
		debug_msg(2, "long pause: tid %d stopped for %.1f ms (state %c, tick %lu)",
			  k->t->tid, (double)snap->pause_ns / 1e6, k->t->state, s->tick_no);
	count(&s->st.samples);
	k->t->sampled = true;
	*VEC_PUSH(s->committed, s->ncommitted, s->cap_committed) = k->r;
}

/*
 * The process execed during this tick, after its look at the process and
 * before the maps were read (mapwatch saw the old mm gone): its samples
 * may have been taken in either image, and unwinding old pcs with the new
 * maps would leave them unnamed. Still unpublished, they are withdrawn.
 */
static void withdraw_committed(struct sampler *s, pid_t pid)
{
	for (size_t i = 0; i < s->ncommitted; i++) {
		((struct ring_rec *)s->committed[i] - 1)->type = REC_WITHDRAWN;
		atomic_fetch_sub_explicit(&s->st.samples, 1, memory_order_relaxed);
		count(&s->st.vanished);
	}
	if (s->ncommitted)
		debug_msg(1, "pid %d: exec during the tick: %zu samples withdrawn", pid,
			  s->ncommitted);
	s->ncommitted = 0;
}

/* Capture the threads added since the last flush. */
static void flush_batch(struct sampler *s)
{
	const struct tracer_sink sink = { pick_buffer, pick_done, s };

	if (tracer_batch_size(s->tracer))
		tracer_batch_run(s->tracer, &sink);
	s->batch_bytes = 0;
}

/* Interrupt a thread now; it is copied at the next flush_batch(). */
static void add_capture(struct sampler *s, struct tproc *p, struct tthread *t, uint32_t extra_flags)
{
	uint32_t cap = stack_cap_for(s, t->tid);
	size_t need =
		sizeof(struct ring_rec) + sizeof(struct rec_sample) + cap + RED_ZONE_SLACK + 8;
	int i;

	if (tracer_batch_size(s->tracer) == TRACER_BATCH_MAX ||
	    (s->solo_until_ns && monotonic_ns() < s->solo_until_ns))
		flush_batch(s);
	/*
	 * Every thread of the batch must find room when it stops: reserving
	 * their sum as one block (and committing nothing) checks that. A
	 * sample we could not keep is not taken: that costs the target nothing.
	 */
	if (!ring_reserve(s->ring, REC_SAMPLE, s->batch_bytes + need)) {
		count(&s->st.lost);
		return;
	}
	i = tracer_batch_add(s->tracer, p->pid, t->tid, cap, &p->mw.cur);
	if (i < 0) {
		count_capture_error(s, p, i);
		return;
	}
	s->picks[i] = (struct pick){ p, t, NULL, cap, extra_flags };
	s->batch_bytes += need;
}

static void capture(struct sampler *s, struct tproc *p, struct tthread *t, uint32_t extra_flags)
{
	add_capture(s, p, t, extra_flags);
	flush_batch(s);
}

/*
 * The interval doubles after every 8 idle looks in a row; with the CPU
 * clock to catch wakers, after every 2, reaching IDLE_POLL_MAX_CLOCK in
 * about 2.5 s of idleness.
 */
static unsigned long idle_poll_interval(const struct tproc *p, unsigned int idle_polls)
{
	unsigned long every = 1, most = p->have_cpu_clock ? IDLE_POLL_MAX_CLOCK : IDLE_POLL_MAX;

	for (unsigned int n = idle_polls / (p->have_cpu_clock ? 2 : 8); n && every < most; n--)
		every *= 2;
	return every;
}

/*
 * First look at a thread: whether it ran since the last one. Returns true
 * when it is a candidate for a capture, which add_if_wanted() decides. In
 * wall-clock mode a thread that has not run repeats its last stack.
 */
static bool poll_thread(struct sampler *s, struct tproc *p, struct tthread *t)
{
	uint64_t runtime = 0;
	bool ran = true;

	if (t->filtered_out || (!s->o.idle && s->tick_no < t->next_poll))
		return false;
	t->polled_tick = s->tick_no;
	if (read_runtime(t, &runtime)) {
		ran = !t->have_runtime || runtime != t->runtime;
		t->runtime = runtime;
		t->have_runtime = true;
	} else {
		p->relist = true;
	}
	if (ran) {
		t->idle_polls = 0;
		t->next_poll = 0;
		t->sampled = false;
		return true;
	}
	if (t->idle_polls < UINT_MAX)
		t->idle_polls++;
	t->next_poll = s->tick_no + idle_poll_interval(p, t->idle_polls);
	if (s->o.idle && t->sampled) {
		emit_reused(s, p, t);
		return false;
	}
	/* Wall-clock mode: a sleeping thread's stack, once. */
	return s->o.idle;
}

static bool read_cpu_clock(const struct tproc *p, int64_t *ns)
{
	struct timespec ts;

	if (!p->have_cpu_clock || clock_gettime(p->cpu_clock, &ts))
		return false;
	*ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	return true;
}

static int64_t runtime_accounted(const struct tproc *p)
{
	int64_t sum = 0;

	for (size_t i = 0; i < p->nthreads; i++)
		if (p->threads[i].have_runtime)
			sum += (int64_t)p->threads[i].runtime;
	return sum;
}

/*
 * After a tick's first look (IDLE_POLL_MAX_CLOCK): `cpu_ns` is the
 * process's CPU time, read before it. Time it used that the threads' last
 * known runtimes leave unaccounted for was used by threads not looked at
 * (or by threads gone since): past WAKE_SLACK_NS, every thread is looked
 * at now. The clock is read first so that threads running meanwhile can
 * only make the gap look smaller.
 */
static void look_for_wakers(struct sampler *s, struct tproc *p, int64_t cpu_ns, bool all_looked,
			    uint64_t deadline_ns)
{
	int64_t unaccounted = cpu_ns - runtime_accounted(p);

	if (!all_looked && p->have_unaccounted &&
	    unaccounted - p->unaccounted_ref > (int64_t)WAKE_SLACK_NS) {
		size_t n = p->nthreads, found_before = s->ncands;

		for (size_t k = 0; k < n; k++) {
			size_t idx = (p->wake_rr + k) % n;
			struct tthread *t = &p->threads[idx];

			if (monotonic_ns() > deadline_ns) {
				/* Out of time: the rest first next tick, which
				 * will find the gap still open. */
				p->wake_rr = idx;
				return;
			}
			if (t->polled_tick == s->tick_no)
				continue;
			t->next_poll = 0;
			if (poll_thread(s, p, t))
				*VEC_PUSH(s->cands, s->ncands, s->cap_cands) = idx;
		}
		debug_msg(3, "pid %d: %.1f ms of CPU time unaccounted for: every thread looked at",
			  p->pid, (double)(unaccounted - p->unaccounted_ref) / 1e6);
		/* No known thread ran: one not listed yet did (a thread replaced
		 * by another keeps the count the relisting goes by). */
		if (s->ncands == found_before)
			p->relist = true;
		unaccounted = cpu_ns - runtime_accounted(p);
		all_looked = true;
	}
	if (all_looked) {
		p->unaccounted_ref = unaccounted;
		p->have_unaccounted = true;
	}
}

static bool stopped_or_dead(char state)
{
	return state == 'T' || state == 't' || state == 'Z' || state == 'X';
}

/*
 * Second look, just before the interrupt, so that the state it goes by is
 * as fresh as can be: in on-CPU mode only a thread that is running or
 * runnable is stopped, since interrupting a sleeping one can make its
 * system call fail with EINTR.
 */
static void add_if_wanted(struct sampler *s, struct tproc *p, struct tthread *t)
{
	struct proc_stat st;

	if (!read_thread_stat(t, &st)) {
		p->relist = true;
		return;
	}
	/* New code cannot run before its pages are faulted in (mapwatch_due);
	 * a thread looked at for the first time may have run any. */
	if (st.minflt + st.majflt != t->faults)
		p->sampled_faulted = true;
	t->faults = st.minflt + st.majflt;
	if (s->o.thread_name && !t->name_checked) {
		/* Names rarely change; checking once keeps the filter cheap. */
		t->filtered_out = regexec(s->o.thread_name, t->comm, 0, NULL, 0) != 0;
		t->name_checked = true;
		if (t->filtered_out)
			return;
	}
	if (st.state == 'R' || (s->o.idle && !stopped_or_dead(st.state)))
		add_capture(s, p, t, 0);
}

static void emit_usage(struct sampler *s, struct tproc *p, uint64_t now)
{
	char buf[1024];
	struct proc_stat whole;
	const struct proc_stat *st = &whole;
	struct rec_usage *u;
	uint64_t tick_ns = 1000000000ULL / (uint64_t)proc_clock_ticks();

	if (proc_pread_fd(p->usage_fd, buf, sizeof(buf)) <= 0 || proc_parse_stat(buf, &whole))
		return;
	u = ring_reserve(s->ring, REC_USAGE, sizeof(*u));
	if (!u)
		return;
	u->pid = p->pid;
	u->time_ns = now;
	u->utime_ns = st->utime * tick_ns;
	u->stime_ns = st->stime * tick_ns;
	u->rss_bytes = (uint64_t)(st->rss_pages > 0 ? st->rss_pages : 0) * (uint64_t)getpagesize();
	ring_commit(s->ring, u, sizeof(*u));
	p->last_usage_ns = now;
}

static unsigned long stretch(const struct tproc *p)
{
	return 1 + p->nthreads / THREADS_PER_STRETCH;
}

/* Returns false when the process is gone. */
static bool check_process(struct sampler *s, struct tproc *p, uint64_t now)
{
	char buf[1024];
	struct proc_stat st;
	struct maps_update *u = NULL;

	/*
	 * A zombie leader is a dead process only once it is the last thread:
	 * it is also what /proc shows while a thread other than the leader
	 * execs (the leader dies first), and after the leader called
	 * pthread_exit(). The other threads are sampled on, with the maps
	 * known so far (/proc/PID/maps reads empty without a live leader).
	 */
	if (proc_pread_fd(p->stat_fd, buf, sizeof(buf)) <= 0 || proc_parse_stat(buf, &st) ||
	    (st.state == 'Z' && st.num_threads <= 1) || st.state == 'X')
		return false;
	if ((st.startstack && st.startstack != p->startstack) ||
	    (st.startcode && st.startcode != p->startcode)) {
		/* execve: a new image, new threads, new mappings. */
		debug_msg(1, "pid %d: exec detected", p->pid);
		p->startstack = st.startstack;
		p->startcode = st.startcode;
		proc_forget_threads(p);
		if (mapwatch_poll(&p->mw, true, &u) == 0)
			emit_maps(s, u);
		/* The dynamic loader maps the libraries next: read again after
		 * the captures, which may have found it running their code. */
		p->execed = true;
		emit_proc(s, REC_PROC, p->pid, -1);
	}
	if (now - p->last_usage_ns >= USAGE_INTERVAL_NS * stretch(p))
		emit_usage(s, p, now);
	p->num_threads = st.num_threads;
	return true;
}

/*
 * --subprocesses: descendants are found through the kernel's per-thread
 * children lists, which cost a read per thread, so they are looked for a
 * few times a second rather than every tick. A child that lives less than
 * that may be missed; one that does anything worth profiling will not be.
 */
#define DISCOVERY_INTERVAL_NS (100 * 1000000ULL)

static bool proc_known(const struct sampler *s, pid_t pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid && !s->procs[i].gone)
			return true;
	return false;
}

static void discover_children(struct sampler *s, uint64_t now)
{
	if (!s->o.subprocesses || now - s->last_discovery_ns < DISCOVERY_INTERVAL_NS)
		return;
	s->last_discovery_ns = now;
	/* proc_add() may grow s->procs: walk by index, new ones included, so
	 * grandchildren are found in the same pass. */
	for (size_t i = 0; i < s->nprocs; i++) {
		pid_t *kids = NULL;
		size_t nkids = 0;

		if (s->procs[i].gone || proc_children(s->procs[i].pid, &kids, &nkids))
			continue;
		for (size_t k = 0; k < nkids; k++) {
			if (proc_known(s, kids[k]))
				continue;
			debug_msg(1, "pid %d: new child %d", s->procs[i].pid, kids[k]);
			/* --on-crash watches children from the moment they are found. */
			if (proc_add(s, kids[k]) == 0 && s->o.on_crash)
				tracer_attach_process(s->tracer, kids[k]);
		}
		free(kids);
	}
}

/* ---- crash capture (--on-crash) ---- */

static struct tproc *proc_of_thread(struct sampler *s, pid_t tid)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		char path[64];

		if (s->procs[i].gone)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d", s->procs[i].pid, tid);
		if (access(path, F_OK) == 0)
			return &s->procs[i];
	}
	return NULL;
}

static void crash_thread_sample(struct sampler *s, struct tproc *p, pid_t tid)
{
	uint32_t cap = s->o.stack_cap_max;
	struct rec_sample *r = ring_reserve(s->ring, REC_SAMPLE, sizeof(*r) + cap + RED_ZONE_SLACK);
	struct snapshot snap;
	struct proc_stat st;
	char comm[16] = "";

	if (!r)
		return;
	if (tracer_capture_stopped(s->tracer, p->pid, tid, (uint8_t *)(r + 1), cap, &p->mw.cur,
				   &snap))
		return; /* an uncommitted reservation is simply reused */
	if (proc_read_stat(p->pid, tid, &st) == 0)
		snprintf(comm, sizeof(comm), "%.15s", st.comm);
	commit_sample(s, r, &snap, SNAP_CRASH, 't', comm);
}

/*
 * A fatal signal is held at its thread: record the mappings as they are,
 * the signal, that thread and then every other one (whatever their state:
 * the process is about to die), then let the signal go on.
 */
static void handle_crash(struct sampler *s)
{
	const struct tracer_crash *c = tracer_crash_pending(s->tracer);
	struct tproc *p = c ? proc_of_thread(s, c->tid) : NULL;
	struct maps_update *u = NULL;

	if (!p) {
		tracer_finish_crash(s->tracer);
		return;
	}
	if (mapwatch_poll(&p->mw, true, &u) == 0)
		emit_maps(s, u);

	struct rec_crash *h = ring_reserve(s->ring, REC_CRASH, sizeof(*h));

	if (h) {
		memset(h, 0, sizeof(*h));
		h->pid = p->pid;
		h->tid = c->tid;
		h->signo = c->signo;
		h->code = c->info.si_code;
		if (c->info.si_code <= 0 || c->signo == SIGABRT)
			h->sender = c->info.si_pid;
		else
			h->addr = (uint64_t)(uintptr_t)c->info.si_addr;
		h->time_ns = monotonic_ns();
		ring_commit(s->ring, h, sizeof(*h));
	}
	crash_thread_sample(s, p, c->tid);
	refresh_threads(s, p);
	/*
	 * The process is about to die: a longer wait for each thread to stop
	 * costs it nothing, and on a loaded machine a sleeping thread may take
	 * more than a sample's timeout to be scheduled and stop.
	 */
	int timeout = tracer_stop_timeout(s->tracer);

	tracer_set_stop_timeout(s->tracer, CRASH_STOP_TIMEOUT_MS);
	for (size_t i = 0; i < p->nthreads; i++) {
		struct tthread *t = &p->threads[i];
		struct proc_stat st;

		if (t->tid == c->tid || !read_thread_stat(t, &st) || st.state == 'Z' ||
		    st.state == 'X')
			continue;
		capture(s, p, t, SNAP_CRASH);
	}
	tracer_set_stop_timeout(s->tracer, timeout);
	tracer_finish_crash(s->tracer);
	count(&s->st.crashes);
	struct ring_rec *end = ring_reserve(s->ring, REC_TICK, 0);

	if (end)
		ring_commit(s->ring, end, 0);
	ring_publish(s->ring);
}

static void tick(struct sampler *s, uint64_t tick_start, uint64_t period)
{
	uint64_t budget = (uint64_t)((double)period * TICK_BUDGET);

	s->tick_no++;
	count(&s->st.ticks);
	discover_children(s, tick_start);
	for (size_t i = 0; i < s->nprocs && !atomic_load(&s->stop); i++) {
		struct tproc *p = &s->procs[i];
		unsigned long before = atomic_load(&s->st.samples);

		if (p->gone)
			continue;
		if (!check_process(s, p, monotonic_ns())) {
			int ws = -1;

			/*
			 * A zombie's status arrives once all its threads are
			 * reaped, which for threads we trace (--on-crash) is
			 * our own doing: give that a moment.
			 */
			for (int tries = 0; s->o.launched && p->pid == s->o.pid && tries < 100 &&
					    !tracer_child_exited(s->tracer, NULL);
			     tries++)
				tracer_wait_event(s->tracer, tries ? 10 : 0);
			if (s->o.launched && p->pid == s->o.pid &&
			    tracer_child_exited(s->tracer, &ws))
				atomic_store(&s->child_status, ws);
			emit_proc(s, REC_PROC_EXIT, p->pid,
				  s->o.launched && p->pid == s->o.pid ? ws : -1);
			proc_drop(s, p);
			continue;
		}
		if (p->relist || p->num_threads != (long)p->nthreads ||
		    s->tick_no - p->listed_tick >= RELIST_TICKS * stretch(p)) {
			refresh_threads(s, p);
			p->relist = false;
			p->listed_tick = s->tick_no;
		}
		/*
		 * All threads are looked at first, then the ones that ran are
		 * interrupted together and copied as they stop.
		 */
		size_t n = p->nthreads, looked = 0;
		int64_t cpu_ns = 0;
		bool have_cpu = read_cpu_clock(p, &cpu_ns), in_time = true;

		s->ncands = 0;
		s->ncommitted = 0;
		for (size_t k = 0; k < n; k++) {
			size_t idx = (p->rr + k) % n;

			if (monotonic_ns() - tick_start > budget) {
				/* Out of time: skip the rest, start with them next tick. */
				atomic_fetch_add_explicit(&s->st.skipped, n - k,
							  memory_order_relaxed);
				p->rr = idx;
				in_time = false;
				break;
			}
			if (poll_thread(s, p, &p->threads[idx]))
				*VEC_PUSH(s->cands, s->ncands, s->cap_cands) = idx;
			looked += p->threads[idx].polled_tick == s->tick_no;
		}
		if (have_cpu && in_time)
			look_for_wakers(s, p, cpu_ns, looked == n, tick_start + budget);
		for (size_t c = 0; c < s->ncands; c++) {
			if (monotonic_ns() - tick_start > budget) {
				atomic_fetch_add_explicit(&s->st.skipped, s->ncands - c,
							  memory_order_relaxed);
				p->rr = s->cands[c];
				break;
			}
			add_if_wanted(s, p, &p->threads[s->cands[c]]);
		}
		flush_batch(s);
		/* New code mapped since the last look? Checked after the captures,
		 * and applied by the consumer before it unwinds them. */
		if (atomic_load(&s->st.samples) != before &&
		    (p->execed || mapwatch_due(&p->mw, monotonic_ns(), p->sampled_faulted))) {
			struct maps_update *u = NULL;

			if (mapwatch_poll(&p->mw, false, &u) == 0) {
				/* Before emit_maps(), which may publish. */
				if (u && u->exec)
					withdraw_committed(s, p->pid);
				emit_maps(s, u);
			}
			p->sampled_faulted = false;
		}
		p->execed = false;
	}
	struct ring_rec *end = ring_reserve(s->ring, REC_TICK, 0);

	if (end)
		ring_commit(s->ring, end, 0);
	ring_publish(s->ring);
}

static bool all_gone(const struct sampler *s)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (!s->procs[i].gone)
			return false;
	return true;
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	uint64_t period = 1000000000ULL / s->o.rate_hz;
	uint64_t base, next, end_ns;
	const char *stall = getenv("CPROF_TEST_STALL_MS");

	signals_block_in_thread();
	s->tracer = tracer_new();
	if (s->o.watchdog_ms > 0)
		tracer_start_watchdog(s->tracer, s->o.watchdog_ms);
	if (s->o.stall_ms > 0)
		tracer_set_test_stall(s->tracer, s->o.stall_ms);
	else if (stall)
		tracer_set_test_stall(s->tracer, atoi(stall));
	if (s->o.launched)
		tracer_set_child(s->tracer, s->o.pid);
	if (s->o.on_crash) {
		int err = tracer_attach_process(s->tracer, s->o.pid);

		if (err) {
			atomic_store(&s->error, err);
			atomic_store(&s->stop, true);
		}
	}

	proc_add(s, s->o.pid);
	ring_publish(s->ring);
	atomic_store(&s->ready, true);
	base = s->start_ns;
	end_ns = s->o.duration_ns ? base + s->o.duration_ns : UINT64_MAX;
	next = base;
	for (uint64_t k = 0; !atomic_load(&s->stop); k++) {
		uint64_t now = monotonic_ns();

		/* Jitter of up to ±10% around the nominal tick avoids lock-step
		 * aliasing with periodic work in the target. */
		int64_t jitter =
			(int64_t)(xorshift(&s->rng) % (period / 5 + 1)) - (int64_t)(period / 10);

		int64_t offset = (int64_t)(k * period) + jitter;

		next = base + (uint64_t)(offset > 0 ? offset : 0);
		if (next >= end_ns)
			break;
		while (now < next && !atomic_load(&s->stop)) {
			uint64_t wait = next - now;

			tracer_wait_event(s->tracer, (int)MIN(wait / 1000000ULL + 1, 50));
			if (tracer_crash_pending(s->tracer))
				handle_crash(s);
			now = monotonic_ns();
		}
		if (atomic_load(&s->stop))
			break;
		if (now - next > period) {
			/* Behind by more than a period: drop the missed ticks. */
			uint64_t missed = (now - next) / period;

			atomic_fetch_add_explicit(&s->st.missed_ticks, missed,
						  memory_order_relaxed);
			count(&s->st.late_ticks);
			k += missed;
		} else if (now - next > period / 2) {
			count(&s->st.late_ticks);
		}
		tick(s, now, period);
		if (tracer_crash_pending(s->tracer))
			handle_crash(s);
		if (all_gone(s))
			break;
		if (now >= end_ns)
			break;
	}
	atomic_store(&s->end_ns, monotonic_ns());
	tracer_free(s->tracer, 2000);
	s->tracer = NULL;
	for (size_t i = 0; i < s->nprocs; i++)
		if (!s->procs[i].gone)
			proc_drop(s, &s->procs[i]);
	ring_publish(s->ring);
	atomic_store(&s->ready, true);
	atomic_store(&s->finished, true);
	ring_publish(s->ring);
	/* Wake the consumer even if nothing was published. */
	uint64_t one = 1;
	ssize_t w = write(s->ring->efd, &one, sizeof(one));
	(void)w;
	return NULL;
}

int sampler_start(const struct sampler_opts *o, struct ring *ring, _Atomic uint32_t *cap_hints,
		  struct sampler **out)
{
	struct sampler *s = xcalloc(1, sizeof(*s));
	int err;

	s->o = *o;
	if (!s->o.rate_hz)
		s->o.rate_hz = 100;
	if (!s->o.stack_cap)
		s->o.stack_cap = 32 * 1024;
	if (!s->o.stack_cap_max)
		s->o.stack_cap_max = 256 * 1024;
	s->ring = ring;
	s->cap_hints = cap_hints;
	s->rng = monotonic_ns() | 1;
	atomic_store(&s->child_status, -1);
	s->start_ns = monotonic_ns();
	err = pthread_create(&s->thread, NULL, sampler_main, s);
	if (err) {
		free(s);
		return -err;
	}
	*out = s;
	return 0;
}

void sampler_request_stop(struct sampler *s)
{
	atomic_store(&s->stop, true);
}

void sampler_wait_ready(const struct sampler *s)
{
	const struct timespec ms = { 0, 1000000 };

	while (!atomic_load(&s->ready) && !atomic_load(&s->finished))
		nanosleep(&ms, NULL);
}

bool sampler_finished(const struct sampler *s)
{
	return atomic_load(&s->finished);
}

void sampler_join(struct sampler *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->thread, NULL);
	free(s->procs);
	free(s->cands);
	free(s->committed);
	free(s);
}

const struct sampler_stats *sampler_stats(const struct sampler *s)
{
	return &s->st;
}

uint64_t sampler_start_ns(const struct sampler *s)
{
	return s->start_ns;
}

uint64_t sampler_end_ns(const struct sampler *s)
{
	return atomic_load(&s->end_ns);
}

int sampler_child_status(const struct sampler *s)
{
	return atomic_load(&s->child_status);
}

int sampler_error(const struct sampler *s)
{
	return atomic_load(&s->error);
}
