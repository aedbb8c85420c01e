// SPDX-License-Identifier: MIT
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "log.h"
#include "maps.h"
#include "proc.h"
#include "xalloc.h"

#define RED_ZONE 128
#define PAGE	 4096ULL
#define MAX_IOV	 1024

/* How the watchdog let go of a batch entry (batch_entry.released). */
enum { BATCH_DETACHED = 1, BATCH_GONE = 2 };

/*
 * One thread of a batch. `claim` holds the tid until the entry is taken,
 * either by tracer_batch_run() when the stop arrives or by the watchdog's
 * handler: both run on the tracer thread, so an atomic exchange is enough
 * to keep them from taking the same entry.
 */
struct batch_entry {
	atomic_int claim;
	atomic_int released;
	int wstatus; /* what the watchdog's waitpid() saw, when released */
	pid_t pid, tid;
	uint32_t cap;
	const struct maps *bounds;
	uint64_t t0;
};

struct tracer {
	pid_t child;
	bool child_exited;
	int child_status;
	int stop_timeout_ms;
	pid_t *pending;
	size_t npending, cap_pending;
	sigset_t chld;
	struct iovec iov[MAX_IOV];
	int test_stall_ms;

	/*
	 * Attached mode (--on-crash): every thread stays seized so that fatal
	 * signals are seen before they act. Samples then resume with
	 * PTRACE_CONT instead of detaching; teardown detaches everything.
	 */
	bool attach_mode;
	bool releasing;
	pid_t *attached; /* sorted */
	size_t nattached, cap_attached;
	struct tracer_crash crash;

	/* Threads interrupted and not yet copied (tracer_batch_add/run). */
	struct batch_entry batch[TRACER_BATCH_MAX];
	atomic_size_t nbatch;
	atomic_uint_fast64_t batch_since;

	/* Watchdog state, shared with the watchdog thread and signal handler. */
	pthread_t tracer_thread;
	pthread_t wd_thread;
	bool wd_running;
	int wd_limit_ms;
	atomic_int stopped_tid;
	atomic_int stopped_sig;
	atomic_uint_fast64_t stopped_since;
	atomic_ulong wd_fired;
	atomic_bool wd_quit;
};

/* The handler runs on the tracer thread, so it may detach its tracee. */
static struct tracer *volatile watchdog_tracer;

uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct tracer *tracer_new(void)
{
	struct tracer *t = xcalloc(1, sizeof(*t));

	t->stop_timeout_ms = 50;
	sigemptyset(&t->chld);
	sigaddset(&t->chld, SIGCHLD);
	t->tracer_thread = pthread_self();
	return t;
}

void tracer_set_stop_timeout(struct tracer *t, int timeout_ms)
{
	t->stop_timeout_ms = timeout_ms;
}

int tracer_stop_timeout(const struct tracer *t)
{
	return t->stop_timeout_ms;
}

void tracer_set_child(struct tracer *t, pid_t child)
{
	t->child = child;
}

bool tracer_child_exited(const struct tracer *t, int *wstatus)
{
	if (t->child_exited && wstatus)
		*wstatus = t->child_status;
	return t->child_exited;
}

unsigned int tracer_pending(const struct tracer *t)
{
	return (unsigned int)t->npending;
}

void tracer_set_test_stall(struct tracer *t, int stall_ms)
{
	t->test_stall_ms = stall_ms;
}

unsigned long tracer_watchdog_fired(const struct tracer *t)
{
	return atomic_load(&t->wd_fired);
}

static void add_pending(struct tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->npending; i++)
		if (t->pending[i] == tid)
			return;
	*VEC_PUSH(t->pending, t->npending, t->cap_pending) = tid;
}

static bool remove_pending(struct tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->npending; i++) {
		if (t->pending[i] == tid) {
			t->pending[i] = t->pending[--t->npending];
			return true;
		}
	}
	return false;
}

static size_t attached_pos(const struct tracer *t, pid_t tid)
{
	size_t lo = 0, hi = t->nattached;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->attached[mid] < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_attached(const struct tracer *t, pid_t tid)
{
	size_t i = attached_pos(t, tid);

	return i < t->nattached && t->attached[i] == tid;
}

static void set_attached(struct tracer *t, pid_t tid, bool on)
{
	size_t i = attached_pos(t, tid);
	bool have = i < t->nattached && t->attached[i] == tid;

	if (on && !have) {
		VEC_PUSH(t->attached, t->nattached, t->cap_attached);
		memmove(&t->attached[i + 1], &t->attached[i],
			(t->nattached - 1 - i) * sizeof(t->attached[0]));
		t->attached[i] = tid;
	} else if (!on && have) {
		memmove(&t->attached[i], &t->attached[i + 1],
			(t->nattached - i - 1) * sizeof(t->attached[0]));
		t->nattached--;
	}
}

static bool is_group_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * Whether `sig` arriving at `tid` will kill the process: one of the crash
 * signals with no handler installed and not ignored. A program that handles
 * SIGSEGV itself (a JVM, a Go runtime) has not crashed.
 */
static bool is_fatal_crash(pid_t tid, int sig)
{
	char path[64], buf[4096];
	const char *caught, *ignored;
	unsigned long long cgt, ign;

	if (sig != SIGSEGV && sig != SIGBUS && sig != SIGABRT && sig != SIGFPE && sig != SIGILL)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (proc_read_file(path, buf, sizeof(buf)) <= 0)
		return true;
	caught = strstr(buf, "\nSigCgt:");
	ignored = strstr(buf, "\nSigIgn:");
	if (!caught || !ignored)
		return true;
	cgt = strtoull(caught + 8, NULL, 16);
	ign = strtoull(ignored + 8, NULL, 16);
	return !((cgt | ign) & (1ULL << (sig - 1)));
}

static void note_crash(struct tracer *t, pid_t tid, int sig)
{
	struct tracer_crash *c = &t->crash;

	memset(c, 0, sizeof(*c));
	c->tid = tid;
	c->signo = sig;
	if (ptrace(PTRACE_GETSIGINFO, tid, 0, &c->info) < 0)
		c->info.si_signo = sig;
	c->pending = true;
	debug_msg(1, "thread %d: fatal signal %d, capturing before it acts", tid, sig);
}

/* Attached mode: resume a thread that stopped for its own reasons. */
static void attached_stop(struct tracer *t, pid_t who, int status)
{
	int event = status >> 16;
	int sig = WSTOPSIG(status);

	if (t->releasing) {
		if (ptrace(PTRACE_DETACH, who, 0, (void *)(long)(event == 0 ? sig : 0)) == 0 ||
		    errno == ESRCH)
			set_attached(t, who, false);
		return;
	}
	if (event == 0) {
		if (!t->crash.pending && !t->crash.done && is_fatal_crash(who, sig)) {
			note_crash(t, who, sig);
			return; /* stays stopped until the crash is captured */
		}
		ptrace(PTRACE_CONT, who, 0, (void *)(long)sig);
	} else if (event == PTRACE_EVENT_STOP && is_group_stop_signal(sig)) {
		/* Job control: stay stopped as the process would without us. */
		ptrace(PTRACE_LISTEN, who, 0, 0);
	} else {
		ptrace(PTRACE_CONT, who, 0, 0);
	}
}

/*
 * The old tid of a thread reporting PTRACE_EVENT_EXEC: an exec from a thread
 * other than the leader gives it the leader's tid, and the old one vanishes
 * without a report of its own.
 */
static pid_t exec_former_tid(pid_t who)
{
	unsigned long former = 0;

	if (ptrace(PTRACE_GETEVENTMSG, who, 0, &former) < 0 || !former)
		return who;
	return (pid_t)former;
}

/* A wait status for a thread other than the one being sampled right now. */
static void dispatch(struct tracer *t, pid_t who, int status)
{
	if (t->attach_mode && (WIFEXITED(status) || WIFSIGNALED(status)))
		set_attached(t, who, false);
	if (t->attach_mode && WIFSTOPPED(status)) {
		/* Late stops of timed-out samples are resumed like any other;
		 * threads created by attached threads arrive attached. */
		remove_pending(t, who);
		set_attached(t, who, true);
		attached_stop(t, who, status);
		return;
	}
	if (WIFEXITED(status) || WIFSIGNALED(status)) {
		remove_pending(t, who);
		if (who == t->child) {
			t->child_exited = true;
			t->child_status = status;
		}
		return;
	}
	if (!WIFSTOPPED(status))
		return;
	/*
	 * A stop of a thread whose capture timed out (or a stray stop): let it
	 * go at once, handing back a signal it was about to receive.
	 */
	int event = status >> 16;
	int sig = event == 0 ? WSTOPSIG(status) : 0;

	if (event == PTRACE_EVENT_EXEC)
		remove_pending(t, exec_former_tid(who));
	if (ptrace(PTRACE_DETACH, who, 0, (void *)(long)sig) == 0 || errno == ESRCH)
		remove_pending(t, who);
	debug_msg(2, "released late stop of %d (event %d, signal %d)", who, event, sig);
}

void tracer_poll(struct tracer *t)
{
	for (;;) {
		int status;
		pid_t r = waitpid(-1, &status, __WALL | WNOHANG);

		if (r > 0) {
			dispatch(t, r, status);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		return;
	}
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000ULL),
			       .tv_nsec = (long)(ns % 1000000000ULL) };
	return ts;
}

void tracer_wait_event(struct tracer *t, int timeout_ms)
{
	struct timespec ts;

	tracer_poll(t);
	if (timeout_ms <= 0)
		return;
	ts = ns_to_ts((uint64_t)timeout_ms * 1000000ULL);
	if (sigtimedwait(&t->chld, NULL, &ts) == SIGCHLD)
		tracer_poll(t);
}

static bool thread_gone(pid_t pid, pid_t tid)
{
	struct proc_stat st;

	if (proc_read_stat(pid, tid, &st))
		return true;
	return st.state == 'Z' || st.state == 'X' || st.state == 'x';
}

static ssize_t read_stack(struct tracer *t, pid_t tid, uint64_t sp, uint8_t *buf, uint32_t cap,
			  const struct maps *bounds, uint64_t *start, uint64_t *want)
{
	/*
	 * Copy [sp - red zone, sp + cap) split at page boundaries: a partial
	 * read stops at the first unreadable page, so reading past the top of
	 * the stack mapping is harmless and no VMA lookup is needed. The red
	 * zone is clipped to SP's own page, which is known to be mapped.
	 */
	uint64_t lo = sp >= RED_ZONE ? sp - RED_ZONE : 0;
	uint64_t hi = sp + cap;
	struct iovec local;
	size_t n = 0;

	if (lo < (sp & ~(PAGE - 1)))
		lo = sp & ~(PAGE - 1);
	if (hi < sp)
		hi = UINT64_MAX & ~(PAGE - 1);
	if (bounds) {
		const struct mapping *m = maps_find(bounds, sp);

		if (m && m->end < hi)
			hi = m->end;
	}
	for (uint64_t a = lo; a < hi && n < MAX_IOV; n++) {
		uint64_t next = (a & ~(PAGE - 1)) + PAGE;

		if (next > hi || next < a)
			next = hi;
		t->iov[n].iov_base = (void *)(uintptr_t)a;
		t->iov[n].iov_len = (size_t)(next - a);
		a = next;
	}
	local.iov_base = buf;
	local.iov_len = (size_t)(hi - lo);
	*start = lo;
	*want = hi - lo;
	return process_vm_readv(tid, &local, 1, t->iov, n, 0);
}

/*
 * The copy taken while a thread is stopped: its registers and its stack
 * into buf. Fills the register, stack and SNAP_CAP_HIT parts of out.
 * Returns false (errno set) when the registers cannot be read.
 */
static bool copy_stopped(struct tracer *t, pid_t tid, uint8_t *buf, uint32_t cap,
			 const struct maps *bounds, struct snapshot *out)
{
	struct iovec regs_iov = { &out->regs, sizeof(out->regs) };
	uint64_t start = 0, want = 0;
	ssize_t got;

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &regs_iov) < 0)
		return false;
	got = read_stack(t, tid, out->regs.rsp, buf, cap, bounds, &start, &want);
	out->stack = buf;
	out->stack_start = start;
	out->stack_len = got > 0 ? (uint32_t)got : 0;
	out->stack_cap = cap;
	if (got > 0 && (uint64_t)got == want && start + want >= out->regs.rsp + cap)
		out->flags |= SNAP_CAP_HIT;
	return true;
}

static bool take_stopped(struct tracer *t, pid_t tid)
{
	/* Returns false when the watchdog already detached this thread. */
	return atomic_exchange(&t->stopped_tid, 0) == tid;
}

static int batch_find(const struct tracer *t, pid_t tid)
{
	for (size_t i = 0; i < t->nbatch; i++)
		if (t->batch[i].tid == tid && atomic_load(&t->batch[i].claim))
			return (int)i;
	return -1;
}

int tracer_batch_add(struct tracer *t, pid_t pid, pid_t tid, uint32_t cap,
		     const struct maps *bounds)
{
	struct batch_entry *e;
	uint64_t t0 = monotonic_ns();
	int err;

	if (t->nbatch >= TRACER_BATCH_MAX)
		return -ENOSPC;
	if (t->crash.pending && tid == t->crash.tid)
		return -ECANCELED; /* held: tracer_capture_stopped() takes it */
	if (!t->attach_mode || !is_attached(t, tid)) {
		/*
		 * A thread may exec while seized, and our interrupt does not
		 * survive that: the exec stop is what lets it go then.
		 */
		long opts = t->attach_mode ? PTRACE_O_TRACECLONE : PTRACE_O_TRACEEXEC;

		if (ptrace(PTRACE_SEIZE, tid, 0, (void *)opts) < 0) {
			err = errno;
			if (err == ESRCH || (err == EPERM && thread_gone(pid, tid)))
				return -ESRCH;
			/*
			 * Ours already: still pending after a timeout, or seized
			 * under another tid before an exec whose stop has not
			 * been seen yet. It is ours to sample (or, at its exec
			 * stop, let go) as an entry of this batch.
			 */
			if (err != EPERM || proc_tracer(pid, tid) != gettid())
				return -err;
		}
		/* Seized now: no stop of an earlier seize is still to come. */
		remove_pending(t, tid);
		if (t->attach_mode)
			set_attached(t, tid, true);
	}
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0) {
		/* Exiting between the two calls; its exit report is reaped later. */
		if (!t->attach_mode)
			add_pending(t, tid);
		return -ESRCH;
	}
	e = &t->batch[t->nbatch];
	e->pid = pid;
	e->cap = cap;
	e->bounds = bounds;
	e->t0 = t0;
	e->tid = tid;
	atomic_store(&e->released, 0);
	atomic_store(&e->claim, tid);
	if (!t->nbatch)
		atomic_store(&t->batch_since, t0);
	t->nbatch++;
	return (int)(t->nbatch - 1);
}

/*
 * Entry i has stopped with `status`: copy it into the sink's buffer and let
 * it go. Returns the error to report for it.
 */
static int batch_capture(struct tracer *t, size_t i, pid_t tid, int status, bool abandon,
			 const struct tracer_sink *sink, struct snapshot *out)
{
	struct batch_entry *e = &t->batch[i];
	int event = status >> 16;
	int sig = WSTOPSIG(status), inject = 0;
	uint32_t flags = 0;
	uint8_t *buf;

	memset(out, 0, sizeof(*out));
	if (event == PTRACE_EVENT_STOP) {
		if (is_group_stop_signal(sig))
			flags |= SNAP_GROUP_STOP;
	} else if (event == 0) {
		if (t->attach_mode && !t->crash.pending && !t->crash.done &&
		    is_fatal_crash(tid, sig)) {
			/* Held for the crash report; our interrupt stays queued
			 * and is dropped when the thread dies. */
			note_crash(t, tid, sig);
			return -ECANCELED;
		}
		/* A signal arrived first: sample here and deliver it on resume. */
		inject = sig;
		flags |= SNAP_SIGNAL_STOP;
	}

	uint64_t t_stopped = monotonic_ns();

	atomic_store(&t->stopped_sig, inject);
	atomic_store(&t->stopped_since, t_stopped);
	atomic_store(&t->stopped_tid, tid);

	buf = abandon ? NULL : sink->buffer(sink->ctx, i);
	bool regs_ok = buf && copy_stopped(t, tid, buf, e->cap, e->bounds, out);

	if (regs_ok && t->test_stall_ms > 0) {
		struct timespec ts = ns_to_ts((uint64_t)t->test_stall_ms * 1000000ULL);

		nanosleep(&ts, NULL);
	}
	if (!take_stopped(t, tid)) {
		if (t->attach_mode)
			set_attached(t, tid, false); /* the watchdog detached it */
		return -EINTR;
	}
	if (t->attach_mode) {
		/* Stay attached; a thread in a group-stop stays stopped. */
		if (flags & SNAP_GROUP_STOP)
			ptrace(PTRACE_LISTEN, tid, 0, 0);
		else
			ptrace(PTRACE_CONT, tid, 0, (void *)(long)inject);
	} else if (ptrace(PTRACE_DETACH, tid, 0, (void *)(long)inject) < 0 && errno != ESRCH) {
		debug_msg(1, "detach %d: %s", tid, strerror(errno));
	}
	if (!buf)
		return abandon ? -EINTR : -ENOBUFS;
	if (!regs_ok)
		return -ESRCH;

	out->pid = e->pid;
	out->tid = tid;
	out->time_ns = e->t0;
	uint64_t t_resumed = monotonic_ns();

	out->pause_ns = (uint32_t)MIN(t_resumed - e->t0, (uint64_t)UINT32_MAX);
	out->stopped_ns = (uint32_t)MIN(t_resumed - t_stopped, (uint64_t)UINT32_MAX);
	out->stop_signal = inject;
	out->flags |= flags;
	return 0;
}

static void batch_finish(size_t i, int err, const struct snapshot *snap,
			 const struct tracer_sink *sink, size_t *left)
{
	static const struct snapshot none;

	sink->done(sink->ctx, i, err, err ? &none : snap);
	(*left)--;
}

/*
 * Entries the watchdog let go while this thread was held up elsewhere: its
 * handler detached the stopped ones and reaped the ones that died.
 */
static void batch_collect_released(struct tracer *t, const struct tracer_sink *sink, size_t *left)
{
	for (size_t i = 0; i < t->nbatch; i++) {
		int how = atomic_exchange(&t->batch[i].released, 0);

		if (!how)
			continue;
		if (how == BATCH_GONE)
			dispatch(t, t->batch[i].tid, t->batch[i].wstatus);
		else if (t->attach_mode)
			set_attached(t, t->batch[i].tid, false);
		batch_finish(i, how == BATCH_DETACHED ? -EINTR : -ESRCH, NULL, sink, left);
	}
}

/*
 * A thread of the batch has execed (its stop is PTRACE_EVENT_EXEC, under
 * the leader's tid): the entries of its old tid and of the leader it
 * replaced are finished, it is let go, and the next tick samples the new
 * image with its new maps.
 */
static void batch_exec(struct tracer *t, pid_t who, int status, const struct tracer_sink *sink,
		       size_t *left)
{
	pid_t ids[2] = { who, exec_former_tid(who) };

	for (size_t k = 0; k < 2; k++) {
		int i = batch_find(t, ids[k]);

		if (i >= 0 && atomic_exchange(&t->batch[i].claim, 0) == ids[k])
			batch_finish((size_t)i, -ESRCH, NULL, sink, left);
	}
	dispatch(t, who, status);
}

void tracer_batch_run(struct tracer *t, const struct tracer_sink *sink)
{
	uint64_t deadline = monotonic_ns() + (uint64_t)t->stop_timeout_ms * 1000000ULL;
	size_t left = t->nbatch;
	struct snapshot snap;
	/*
	 * Once the watchdog has fired, this thread is not keeping up: the rest
	 * of the batch is let go as it stops, without copying.
	 */
	unsigned long fired = atomic_load(&t->wd_fired);

	while (left) {
		int st;
		pid_t r = waitpid(-1, &st, __WALL | WNOHANG);

		batch_collect_released(t, sink, &left);
		if (r > 0 && !t->attach_mode && WIFSTOPPED(st) && st >> 16 == PTRACE_EVENT_EXEC) {
			batch_exec(t, r, st, sink, &left);
			continue;
		}
		if (r > 0) {
			int i = batch_find(t, r);

			/* Claimed before anything else: from here the watchdog
			 * handler leaves this entry to us. */
			if (i < 0 || atomic_exchange(&t->batch[i].claim, 0) != r) {
				dispatch(t, r, st);
				continue;
			}
			if (!WIFSTOPPED(st)) {
				dispatch(t, r, st);
				batch_finish((size_t)i, -ESRCH, NULL, sink, &left);
				continue;
			}
			bool abandon = atomic_load(&t->wd_fired) != fired;
			int err = batch_capture(t, (size_t)i, r, st, abandon, sink, &snap);

			batch_finish((size_t)i, err, &snap, sink, &left);
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			/* ECHILD: none of them is traced by us any more. */
			for (size_t i = 0; i < t->nbatch; i++)
				if (atomic_exchange(&t->batch[i].claim, 0))
					batch_finish(i, -ESRCH, NULL, sink, &left);
			break;
		}
		uint64_t now = monotonic_ns();

		if (now >= deadline)
			break;
		struct timespec ts = ns_to_ts(deadline - now);

		sigtimedwait(&t->chld, NULL, &ts);
	}
	/* Not stopped in time: each stays seized until it stops, then is
	 * let go by dispatch(). */
	for (size_t i = 0; i < t->nbatch; i++) {
		pid_t tid = atomic_exchange(&t->batch[i].claim, 0);

		if (!tid)
			continue;
		add_pending(t, tid);
		batch_finish(i, -EAGAIN, NULL, sink, &left);
	}
	batch_collect_released(t, sink, &left);
	atomic_store(&t->batch_since, 0);
	t->nbatch = 0;
}

size_t tracer_batch_size(const struct tracer *t)
{
	return t->nbatch;
}

struct one_sink {
	uint8_t *buf;
	struct snapshot *out;
	int err;
};

static uint8_t *one_buffer(void *ctx, size_t i)
{
	(void)i;
	return ((struct one_sink *)ctx)->buf;
}

static void one_done(void *ctx, size_t i, int err, const struct snapshot *snap)
{
	struct one_sink *o = ctx;

	(void)i;
	o->err = err;
	*o->out = *snap;
}

int tracer_sample(struct tracer *t, pid_t pid, pid_t tid, uint8_t *buf, uint32_t cap,
		  const struct maps *bounds, struct snapshot *out)
{
	struct one_sink one = { buf, out, 0 };
	struct tracer_sink sink = { one_buffer, one_done, &one };
	int i;

	memset(out, 0, sizeof(*out));
	if (t->nbatch)
		return -EBUSY;
	i = tracer_batch_add(t, pid, tid, cap, bounds);
	if (i < 0)
		return i;
	tracer_batch_run(t, &sink);
	return one.err;
}

int tracer_attach_process(struct tracer *t, pid_t pid)
{
	t->attach_mode = true;
	/* Threads may be created while we attach; those made by threads
	 * already seized arrive seized, the others show up on the next pass. */
	for (int pass = 0; pass < 16; pass++) {
		pid_t *tids = NULL;
		size_t ntids = 0;
		bool added = false;
		int err = proc_list_tasks(pid, &tids, &ntids);

		if (err)
			return err;
		for (size_t i = 0; i < ntids; i++) {
			if (is_attached(t, tids[i]))
				continue;
			if (ptrace(PTRACE_SEIZE, tids[i], 0, (void *)(long)PTRACE_O_TRACECLONE) ==
			    0) {
				set_attached(t, tids[i], true);
				added = true;
			} else if (errno == EPERM && !thread_gone(pid, tids[i])) {
				free(tids);
				return -EPERM;
			}
		}
		free(tids);
		if (!added)
			break;
	}
	return t->nattached ? 0 : -ESRCH;
}

const struct tracer_crash *tracer_crash_pending(const struct tracer *t)
{
	return t->crash.pending ? &t->crash : NULL;
}

int tracer_capture_stopped(struct tracer *t, pid_t pid, pid_t tid, uint8_t *buf, uint32_t cap,
			   const struct maps *bounds, struct snapshot *out)
{
	memset(out, 0, sizeof(*out));
	if (!copy_stopped(t, tid, buf, cap, bounds, out))
		return -errno;
	out->pid = pid;
	out->tid = tid;
	out->time_ns = monotonic_ns();
	out->flags |= SNAP_SIGNAL_STOP;
	return 0;
}

void tracer_finish_crash(struct tracer *t)
{
	struct tracer_crash *c = &t->crash;

	if (!c->pending)
		return;
	/*
	 * Detaching with the signal delivers it as if we had never been
	 * there: the default action runs, with a core dump where enabled, and
	 * the parent sees the same wait status.
	 */
	if (ptrace(PTRACE_DETACH, c->tid, 0, (void *)(long)c->signo) < 0 && errno != ESRCH)
		debug_msg(1, "detach %d: %s", c->tid, strerror(errno));
	set_attached(t, c->tid, false);
	c->pending = false;
	c->done = true;
}

/*
 * Attached mode teardown: detach the threads that are stopped now, handing
 * back any signal they were about to receive. The others are left to the
 * kernel, which detaches every tracee of a thread when that thread exits
 * (the tracer is the sampling thread, which ends right after this), without
 * stopping them: interrupting a thread to detach it would make a blocking
 * epoll_wait, semop, sigwaitinfo or recv with a timeout fail with EINTR
 * (signal(7)), a harm the attached recording otherwise never does.
 * Threads in a group-stop stay stopped, as they would without cprof; one
 * that stops between here and the thread's exit is resumed by the kernel
 * with its signal.
 */
static void release_attached(struct tracer *t)
{
	tracer_finish_crash(t);
	t->releasing = true;
	tracer_poll(t);
}

static void watchdog_handler(int sig)
{
	struct tracer *t = watchdog_tracer;
	(void)sig;

	if (!t)
		return;
	pid_t tid = atomic_exchange(&t->stopped_tid, 0);

	if (tid > 0) {
		ptrace(PTRACE_DETACH, tid, 0, (void *)(long)atomic_load(&t->stopped_sig));
		atomic_fetch_add(&t->wd_fired, 1);
	}
	/*
	 * Batch threads that have stopped but were not yet reaped wait on the
	 * stalled tracer too. waitpid() tells how each one stopped, so a
	 * signal it was about to receive is handed back on detach.
	 */
	size_t n = atomic_load(&t->nbatch);

	for (size_t i = 0; i < n; i++) {
		struct batch_entry *e = &t->batch[i];
		pid_t btid = atomic_load(&e->claim);
		int st;

		if (!btid || waitpid(btid, &st, __WALL | WNOHANG) != btid ||
		    atomic_exchange(&e->claim, 0) != btid)
			continue;
		e->wstatus = st;
		if (WIFSTOPPED(st)) {
			int sig_in = (st >> 16) == 0 ? WSTOPSIG(st) : 0;

			ptrace(PTRACE_DETACH, btid, 0, (void *)(long)sig_in);
			atomic_fetch_add(&t->wd_fired, 1);
			atomic_store(&e->released, BATCH_DETACHED);
		} else {
			atomic_store(&e->released, BATCH_GONE);
		}
	}
}

static void *watchdog_main(void *arg)
{
	struct tracer *t = arg;
	uint64_t limit = (uint64_t)t->wd_limit_ms * 1000000ULL;
	/* Last resort, when even the handler cannot run (tracer in D state). */
	uint64_t kill_after = MAX(limit * 10, 2000000000ULL);
	struct timespec tick = ns_to_ts(MAX(limit / 4, 1000000ULL));

	while (!atomic_load(&t->wd_quit)) {
		nanosleep(&tick, NULL);
		pid_t tid = atomic_load(&t->stopped_tid);
		uint64_t batch_since = atomic_load(&t->batch_since);
		uint64_t since = tid ? atomic_load(&t->stopped_since) : batch_since;
		uint64_t now = monotonic_ns();

		/* A batch waiting this long has stopped threads nobody reaps. */
		if (!since)
			continue;
		if (now - since > kill_after &&
		    (tid ? atomic_load(&t->stopped_tid) == tid
			 : atomic_load(&t->batch_since) == batch_since)) {
			static const char msg[] = "cprof: watchdog: tracer stalled with a thread "
						  "stopped; exiting so the kernel resumes it\n";
			ssize_t ATTR_UNUSED w = write(STDERR_FILENO, msg, sizeof(msg) - 1);

			kill(getpid(), SIGKILL);
		}
		if (now - since > limit)
			pthread_kill(t->tracer_thread, SIGRTMIN + 1);
	}
	return NULL;
}

int tracer_start_watchdog(struct tracer *t, int limit_ms)
{
	struct sigaction sa;
	sigset_t all, old;
	int err;

	if (t->wd_running || limit_ms <= 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watchdog_handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a stalled syscall should return and notice. */
	if (sigaction(SIGRTMIN + 1, &sa, NULL))
		return -errno;
	watchdog_tracer = t;
	t->tracer_thread = pthread_self();
	t->wd_limit_ms = limit_ms;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&t->wd_thread, NULL, watchdog_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	t->wd_running = true;
	return 0;
}

void tracer_free(struct tracer *t, int timeout_ms)
{
	uint64_t deadline = monotonic_ns() + (uint64_t)timeout_ms * 1000000ULL;

	if (!t)
		return;
	if (t->attach_mode)
		release_attached(t);
	while (t->npending && monotonic_ns() < deadline)
		tracer_wait_event(t, 5);
	if (t->wd_running) {
		atomic_store(&t->wd_quit, true);
		pthread_join(t->wd_thread, NULL);
		watchdog_tracer = NULL;
	}
	/*
	 * Threads still pending are seized but running; when we exit the
	 * kernel detaches them and drops the interrupt request.
	 */
	free(t->pending);
	free(t->attached);
	free(t);
}
