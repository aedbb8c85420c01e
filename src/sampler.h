/* SPDX-License-Identifier: MIT */
#ifndef CPROF_SAMPLER_H
#define CPROF_SAMPLER_H

/*
 * The sampling thread (unwind.md §5.2). It owns every ptrace call. On each
 * tick (absolute deadlines, jittered around the period) it picks the threads
 * worth stopping, captures each one in turn into the ring, watches mappings
 * and exec, and publishes the tick. It never unwinds or symbolizes.
 */
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

#include "ring.h"

enum rec_type {
	REC_SAMPLE = 1, /* struct rec_sample + stack bytes */
	REC_MAPS,	/* struct rec_maps: a maps_update to apply */
	REC_TICK,	/* end of a tick: its samples may be processed */
	REC_PROC,	/* struct rec_proc: a process joins the recording */
	REC_PROC_EXIT,	/* struct rec_proc: a process left */
	REC_USAGE,	/* struct rec_usage */
	REC_CRASH,	/* struct rec_crash; the SNAP_CRASH samples that follow are its stacks */
	/* A sample withdrawn before publication: taken in the tick its process
	 * execed, it may belong to either image. Not unwound. */
	REC_WITHDRAWN,
};

struct rec_sample {
	pid_t pid, tid;
	uint64_t time_ns;
	struct user_regs_struct regs;
	uint64_t stack_start;
	uint32_t stack_len, stack_cap;
	uint32_t flags; /* SNAP_* */
	uint32_t pause_ns;
	char state;
	char comm[16];
	/* stack bytes follow */
};

struct maps_update;

struct rec_maps {
	struct maps_update *update; /* owned by the consumer from now on */
};

struct rec_proc {
	pid_t pid;
	int wstatus; /* REC_PROC_EXIT of a launched command, else -1 */
	char cmdline[512];
};

struct rec_crash {
	pid_t pid, tid; /* the thread that received the signal */
	int signo, code;
	pid_t sender;  /* for signals sent by a process (kill, abort), else 0 */
	uint64_t addr; /* fault address for SIGSEGV, SIGBUS, SIGFPE, SIGILL */
	uint64_t time_ns;
};

struct rec_usage {
	pid_t pid;
	uint64_t time_ns;
	uint64_t utime_ns, stime_ns, rss_bytes;
};

struct sampler_opts {
	pid_t pid; /* the target, or the launched child */
	unsigned int rate_hz;
	uint64_t duration_ns; /* 0: until stopped */
	bool idle;	      /* wall-clock: sample sleeping threads too */
	const pid_t *tids;    /* sorted filter, or NULL */
	size_t ntids;
	const regex_t *thread_name; /* filter, or NULL */
	uint32_t stack_cap;	    /* initial bytes copied above SP */
	uint32_t stack_cap_max;
	int watchdog_ms;
	bool launched;	   /* pid is our child: reap it, report its status */
	bool subprocesses; /* also sample descendants as they appear */
	bool on_crash;	   /* stay attached and capture a fatal signal */
	int stall_ms;	   /* test hook: stall while stopped */
};

/* Counters shared with the consumer (read with relaxed atomics). */
#define PAUSE_BUCKETS 512

struct sampler_stats {
	atomic_ulong ticks, late_ticks, missed_ticks;
	atomic_ulong samples, reused, lost, skipped, vanished, timeouts, denied;
	atomic_ulong threads_seen;
	atomic_ulong watchdog;
	atomic_ullong pause_total_ns;
	/*
	 * Time threads spent stopped from the moment the stop was reported.
	 * The wait for a stop is not harm: until the thread enters the kernel
	 * it keeps running, and on a busy machine it may be waiting for a CPU
	 * anyway. This is what the overhead estimate is made of (first process
	 * only, as it is divided by that process's CPU time).
	 */
	atomic_ullong stopped_total_ns;
	atomic_ulong pause_hist[PAUSE_BUCKETS]; /* log-linear buckets of ns */
	atomic_ulong pause_max_ns;
	atomic_ulong maps_reads, maps_changes;
	atomic_ulong crashes;
};

struct sampler;

/*
 * Start sampling in a new thread. The consumer reads `ring`. `cap_hints`
 * (4096 entries, indexed by tid % 4096) lets the consumer ask for a larger
 * stack copy for a thread whose stacks came out truncated.
 */
int sampler_start(const struct sampler_opts *o, struct ring *ring, _Atomic uint32_t *cap_hints,
		  struct sampler **out);
/* Ask the thread to finish the current capture and stop. */
void sampler_request_stop(struct sampler *s);
/* Whether the thread has finished (target gone, duration over, stopped). */
/* Wait until the sampler is attached and has the target (or has ended). */
void sampler_wait_ready(const struct sampler *s);
bool sampler_finished(const struct sampler *s);
/* Join the thread and free. */
void sampler_join(struct sampler *s);

const struct sampler_stats *sampler_stats(const struct sampler *s);
uint64_t sampler_start_ns(const struct sampler *s);
/* When sampling ended (0 while it goes on): a busy consumer may notice later. */
uint64_t sampler_end_ns(const struct sampler *s);
/* Wait status of a launched command, or -1. */
int sampler_child_status(const struct sampler *s);
/* A fatal condition that ended sampling early (e.g. -EPERM), or 0. */
int sampler_error(const struct sampler *s);

/* Pause percentiles from the histogram (ns). */
uint64_t sampler_pause_percentile(const struct sampler_stats *st, double q);

#define CAP_HINTS 4096

#endif
