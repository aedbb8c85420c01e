/* SPDX-License-Identifier: MIT */
#ifndef CPROF_ANALYZE_H
#define CPROF_ANALYZE_H

/*
 * What a recording says, in numbers: hotspots (self and total samples per
 * function or per source line), a per-thread breakdown, the on-CPU/off-CPU
 * split with what blocked threads were waiting in, and the target's CPU and
 * memory use. Shared by `cprof report` and the commands that compare or
 * watch profiles; the report writers at the end print it for people (text)
 * and for programs (JSON).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"

enum analyze_by {
	ANALYZE_BY_FUNCTION,
	ANALYZE_BY_LINE,
};

enum analyze_sort {
	ANALYZE_SORT_SELF,
	ANALYZE_SORT_TOTAL,
};

/* What a thread off the CPU was blocked in, from its system call. */
enum wait_class {
	WAIT_LOCK,  /* futex and other locks */
	WAIT_IO,    /* read, recv, write, send, accept, fsync, ... */
	WAIT_SLEEP, /* nanosleep, clock_nanosleep */
	WAIT_POLL,  /* poll, epoll, select */
	WAIT_WAIT,  /* wait4, waitid, signal waits */
	WAIT_OTHER, /* any other system call, or none */
	WAIT_NCLASSES,
};

/* "lock", "io", "sleep", "poll", "wait", "other": stable, for JSON and scripts */
const char *wait_class_name(enum wait_class c);
/* "futex/lock", "read/recv/I-O", ...: for people */
const char *wait_class_label(enum wait_class c);
/* The class of a system call by number (-1: not in a system call). */
enum wait_class wait_class_of(long syscall);
/* Whether a sample's thread state means it was on a CPU (running or runnable). */
bool state_on_cpu(char state);

struct analyze_opts {
	enum analyze_by by;
	enum analyze_sort sort;
	uint64_t t_from, t_until; /* samples with t_from <= t < t_until (when > 0) */
};

struct hotspot {
	uint32_t func;	  /* index into funcs */
	const char *file; /* by line: the line's file; by function: where it is defined */
	int line;	  /* by line: the line; by function: its first line; 0 if unknown */
	uint32_t mapping; /* a mapping it was seen in (index + 1), 0 if none */
	uint64_t self;	  /* samples in it */
	uint64_t total;	  /* samples in it or in what it called */
};

struct thread_stat {
	uint32_t thread; /* index into threads */
	uint64_t samples, on_cpu;
	uint64_t wait[WAIT_NCLASSES];
};

struct syscall_stat {
	int32_t nr; /* -1: off the CPU outside any system call (a page fault, say) */
	uint64_t samples;
};

struct analysis {
	uint64_t samples; /* in the window */
	uint64_t on_cpu, off_cpu;
	uint64_t wait[WAIT_NCLASSES];
	struct syscall_stat *syscalls; /* off-CPU samples per system call, most first */
	size_t nsyscalls;
	struct hotspot *spots; /* sorted as asked, most first */
	size_t nspots;
	struct thread_stat *threads; /* threads with samples, most first */
	size_t nthreads;
};

/*
 * Self and total samples per key over the stacks of p, stack si having
 * per_stack[si] samples: self goes to the key of a stack's innermost line,
 * total to each key on it once, however often the key recurs there.
 * key_of names the key of lines-table entry `line` (of location loc) and is
 * called once per entry met, in the order met, so keys can be made as they
 * are needed. Returns the number of keys (1 + the largest); *counts, to be
 * freed, holds as many.
 */
struct key_count {
	uint64_t self, total;
};
typedef uint32_t (*line_key_fn)(void *arg, uint32_t line, const struct prof_loc *loc);

size_t count_self_total(const struct profile *p, const uint64_t *per_stack, line_key_fn key_of,
			void *arg, struct key_count **counts);

/* Returns 0; a is to be released with analysis_release. */
int analyze_profile(const struct profile *p, const struct analyze_opts *o, struct analysis *a);
void analysis_release(struct analysis *a);

/*
 * The dominant kind of time: WAIT_NCLASSES when on-CPU samples are at least
 * half, else the wait class with the most samples.
 */
int analysis_bound(const uint64_t *wait, uint64_t on_cpu, uint64_t off_cpu);

/* The target's resource use, from the usage series inside the window. */
struct usage_summary {
	bool have_cpu; /* two or more points */
	double seconds;
	double cpu_pct, user_pct, system_pct; /* of one CPU; more than 100 with threads */
	bool have_rss;
	uint64_t rss_start, rss_peak, rss_end;
	double rss_growth; /* bytes per second, from the first to the last point */
};

void analyze_usage(const struct profile *p, const struct analyze_opts *o, struct usage_summary *u);
/* "CPU 98.5% (97.0% user, 1.5% system), RSS 1.2 MiB at the end, peak 1.3 MiB", or "". */
void usage_summary_line(const struct usage_summary *u, char *buf, size_t len);

/* ---- report writers ---- */

struct report_opts {
	const char *source; /* file name shown in the header, or NULL */
	size_t top;	    /* hotspots shown; 0 = all */
};

int report_write_text(FILE *f, const struct profile *p, const struct analyze_opts *ao,
		      const struct report_opts *ro);
int report_write_json(FILE *f, const struct profile *p, const struct analyze_opts *ao,
		      const struct report_opts *ro);

#endif
