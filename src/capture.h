/* SPDX-License-Identifier: MIT */
#ifndef CPROF_CAPTURE_H
#define CPROF_CAPTURE_H

/*
 * Sample capture through ptrace (unwind.md §3, §5.2).
 *
 * One sample of one thread: PTRACE_SEIZE, PTRACE_INTERRUPT, wait for the
 * stop, PTRACE_GETREGSET and a single process_vm_readv of the stack into a
 * caller-provided, pre-faulted buffer, then PTRACE_DETACH. Nothing else runs
 * while the thread is stopped; unwinding and symbolization happen later on
 * the copy. Between samples cprof is not attached at all, so the target's
 * signals, job control and exit behave exactly as without cprof.
 *
 * All calls on one tracer must come from a single thread (ptrace ties a
 * tracee to the thread that attached it), and SIGCHLD must be blocked in
 * every thread of the process: waiting uses sigtimedwait(SIGCHLD).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

enum snapshot_flags {
	SNAP_CAP_HIT = 1u << 0,	    /* the stack copy stopped at the size cap */
	SNAP_SIGNAL_STOP = 1u << 1, /* taken at a signal-delivery-stop */
	SNAP_GROUP_STOP = 1u << 2,  /* the thread was in a group-stop */
	SNAP_REUSED = 1u << 3,	    /* thread had not run: previous stack reused */
	SNAP_CRASH = 1u << 5,	    /* taken for a crash report, not the profile */
};

struct snapshot {
	pid_t pid, tid;
	uint64_t time_ns; /* CLOCK_MONOTONIC */
	struct user_regs_struct regs;
	uint64_t stack_start; /* target address of stack[0] */
	uint32_t stack_len;
	uint32_t stack_cap; /* bytes requested above SP */
	uint32_t flags;
	uint32_t pause_ns;   /* PTRACE_SEIZE issued .. PTRACE_DETACH done */
	uint32_t stopped_ns; /* stop reported .. PTRACE_DETACH done */
	char state;	     /* /proc state letter before the stop */
	int stop_signal;
	const uint8_t *stack;
};

struct tracer;
struct maps;

struct tracer *tracer_new(void);
/* Detach whatever is still pending (waits up to timeout_ms) and free. */
void tracer_free(struct tracer *t, int timeout_ms);

/*
 * Capture one thread. `buf` receives the stack, `cap` bytes above SP plus a
 * red zone of up to 128 bytes below it (so buf must hold cap + 128). When
 * `bounds` (the process's mappings, may be NULL) has the mapping holding SP,
 * the copy also stops at its end: above the stack top lies nothing useful.
 * Returns 0, or:
 *   -ESRCH   the thread is gone (or exiting)
 *   -EPERM   ptrace is not permitted
 *   -EAGAIN  the stop did not arrive within the timeout; the thread stays
 *            seized until it stops, then is detached by tracer_poll(), or
 *            sampled if it is tried again before that
 *   -EINTR   the watchdog fired and detached the thread
 */
int tracer_sample(struct tracer *t, pid_t pid, pid_t tid, uint8_t *buf, uint32_t cap,
		  const struct maps *bounds, struct snapshot *out);
/*
 * Batched capture, for several threads at one tick: tracer_batch_add()
 * seizes and interrupts a thread at once, tracer_batch_run() then copies
 * each thread as its stop arrives and lets it go. Interrupting them all
 * first overlaps their waits for a CPU: on a busy machine a runnable thread
 * may wait milliseconds to be scheduled before it can stop, and a thread
 * that has stopped frees its CPU for the next one. tracer_sample() is a
 * batch of one.
 *
 * tracer_batch_add() returns the entry's index, or a tracer_sample() error
 * (the thread is then not in the batch), or -ENOSPC when the batch is full.
 * Nothing must be written to the sink's buffers between the first add and
 * the run but by the run itself.
 */
#define TRACER_BATCH_MAX 32

struct tracer_sink {
	/*
	 * Space for entry i's stack (its cap plus the red zone), asked for
	 * once the thread has stopped; NULL lets it go uncopied (-ENOBUFS).
	 * Each buffer() is followed by its entry's done() before the next.
	 */
	uint8_t *(*buffer)(void *ctx, size_t i);
	/* Entry i is finished: err as from tracer_sample(), snap valid if 0. */
	void (*done)(void *ctx, size_t i, int err, const struct snapshot *snap);
	void *ctx;
};

int tracer_batch_add(struct tracer *t, pid_t pid, pid_t tid, uint32_t cap,
		     const struct maps *bounds);
void tracer_batch_run(struct tracer *t, const struct tracer_sink *sink);
size_t tracer_batch_size(const struct tracer *t);

/* Handle stops and exits that arrived since the last call, without blocking. */
void tracer_poll(struct tracer *t);
/* Block up to timeout_ms for tracer events (child exit, pending stops). */
void tracer_wait_event(struct tracer *t, int timeout_ms);

void tracer_set_stop_timeout(struct tracer *t, int timeout_ms);
int tracer_stop_timeout(const struct tracer *t);
/* Launch mode: the target is our child; its exit is reaped here. */
void tracer_set_child(struct tracer *t, pid_t child);
bool tracer_child_exited(const struct tracer *t, int *wstatus);
unsigned int tracer_pending(const struct tracer *t);

/*
 * The watchdog bounds how long any thread stays stopped if the tracer thread
 * stalls: after limit_ms it signals the tracer thread, whose handler detaches
 * the stopped thread; if even that cannot run, it kills cprof, and the kernel
 * then detaches and resumes every tracee. Call from the tracer thread.
 */
int tracer_start_watchdog(struct tracer *t, int limit_ms);
unsigned long tracer_watchdog_fired(const struct tracer *t);

/*
 * Attached mode, for crash capture: seize every thread of `pid` and keep
 * them seized (new threads arrive seized too). Signals then pass through
 * cprof: ordinary ones are handed straight back; a fatal one (SIGSEGV,
 * SIGBUS, SIGABRT, SIGFPE, SIGILL with no handler) holds its thread in the
 * signal-delivery-stop until tracer_finish_crash(), so that every thread
 * can be captured first. Samples resume threads instead of detaching.
 * tracer_free() detaches the threads that are stopped and leaves the
 * running ones to the kernel, which detaches them without a stop when the
 * tracer thread exits: call it just before that thread ends.
 */
int tracer_attach_process(struct tracer *t, pid_t pid);

struct tracer_crash {
	pid_t tid;
	int signo;
	siginfo_t info;
	bool pending; /* the thread is held, waiting to be captured */
	bool done;
};

/* The crash held right now, or NULL. */
const struct tracer_crash *tracer_crash_pending(const struct tracer *t);
/* Capture a thread that is already stopped (the crashing one); no resume. */
int tracer_capture_stopped(struct tracer *t, pid_t pid, pid_t tid, uint8_t *buf, uint32_t cap,
			   const struct maps *bounds, struct snapshot *out);
/* Let the held signal take its normal course (core dump, exit status). */
void tracer_finish_crash(struct tracer *t);

/* Test hook: stall this long while a thread is stopped (CPROF_TEST_STALL_MS). */
void tracer_set_test_stall(struct tracer *t, int stall_ms);

uint64_t monotonic_ns(void);

#endif
