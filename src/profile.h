/* SPDX-License-Identifier: MIT */
#ifndef CPROF_PROFILE_H
#define CPROF_PROFILE_H

/*
 * A recording: everything an output is rendered from, and nothing else.
 *
 * The tables follow pprof's shape so every format can be derived from them:
 *   function  a name with its definition site
 *   location  one address; its `lines` are the inline chain, innermost first,
 *             the last entry being the function the others were inlined into
 *   stack     locations, leaf first
 *   sample    (time, thread, stack, thread state) in a compact timeline
 * plus threads, processes, mappings and metadata. Writers depend only on a
 * profile and render options, which is what lets `cprof report` reproduce
 * the outputs of `cprof record` byte for byte from a .cprof file.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct strtab;

struct prof_func {
	const char *name; /* display name, demangled */
	const char *file; /* definition file, or NULL */
	int start_line;	  /* definition line, or 0 */
};

struct prof_line {
	uint32_t func;	  /* index into funcs */
	int32_t line;	  /* source line of this frame, 0 if unknown */
	const char *file; /* source file of this frame, or NULL */
	bool inlined;	  /* inlined into the next entry of the location */
};

enum loc_kind {
	LOC_NATIVE = 0,
	LOC_JIT = 1,
	LOC_UNKNOWN = 2,   /* no module or no symbol: name says what is known */
	LOC_TRUNCATED = 3, /* pseudo frame: the stack went on beyond this */
};

struct prof_mapping {
	const char *path;
	const char *build_id; /* hex, or NULL */
	uint64_t start, limit, offset;
};

struct prof_loc {
	uint64_t address;    /* the address that was symbolized */
	uint32_t mapping;    /* index + 1 into mappings; 0 = none */
	uint32_t first_line; /* index into lines */
	uint16_t nlines;
	uint8_t kind; /* enum loc_kind */
};

struct prof_stack {
	uint32_t first; /* index into stack_locs */
	uint32_t n;
};

struct prof_thread {
	pid_t pid, tid;
	const char *name;
	uint64_t samples;
};

struct prof_process {
	pid_t pid;
	const char *cmdline;
};

struct prof_sample {
	uint64_t t_ns;	 /* since the start of the recording */
	uint32_t thread; /* index into threads */
	uint32_t stack;	 /* index into stacks */
	char state;	 /* thread state letter (R, S, D, ...) */
	int32_t syscall; /* syscall the thread was in, -1 if none */
};

/* A sample of the target's resource use (CPU time is cumulative). */
struct prof_usage {
	uint64_t t_ns;
	uint64_t utime_ns, stime_ns;
	uint64_t rss_bytes;
};

struct prof_meta {
	const char *version; /* cprof version that recorded */
	const char *cmdline; /* the target's command line */
	const char *host;
	pid_t pid;
	unsigned int rate_hz;
	bool wall_clock; /* --idle: sleeping threads sampled too */
	uint64_t start_unix_ns;
	uint64_t duration_ns;
	/* Statistics of the recording itself. */
	uint64_t ticks, late_ticks, skipped; /* skipped: threads not sampled for lack of time */
	uint64_t lost;			     /* samples dropped (buffer full, thread vanished) */
	uint64_t unwind_errors, truncated;
	uint64_t pause_p50_ns, pause_p99_ns, pause_max_ns;
	double overhead_pct; /* estimated slowdown of the target */
	int exit_status;     /* launch mode: wait status of the command, -1 if none */
	bool cut_short;	     /* stopped by a signal before the planned end */
	/* Options that shape rendering, kept so `report` renders the same. */
	const char *title;
	double minwidth;
	bool threads;
	bool processes;
	bool lines;
};

struct profile {
	struct strtab *strings;
	struct prof_meta meta;

	struct prof_func *funcs;
	size_t nfuncs, cap_funcs;
	struct prof_line *lines;
	size_t nlines, cap_lines;
	struct prof_mapping *mappings;
	size_t nmappings, cap_mappings;
	struct prof_loc *locs;
	size_t nlocs, cap_locs;
	uint32_t *stack_locs;
	size_t nstack_locs, cap_stack_locs;
	struct prof_stack *stacks;
	size_t nstacks, cap_stacks;
	struct prof_thread *threads;
	size_t nthreads, cap_threads;
	struct prof_process *procs;
	size_t nprocs, cap_procs;
	struct prof_usage *usage;
	size_t nusage, cap_usage;

	/* Timeline: varint-coded chunks, each starting from absolute values. */
	struct prof_chunk *chunks;
	size_t nchunks, cap_chunks;
	uint64_t nsamples;

	/* Deduplication indexes (not part of the recording). */
	struct prof_index *index;
};

struct profile *profile_new(void);
void profile_free(struct profile *p);

/* Intern a string in the profile's table (NULL stays NULL). */
const char *profile_str(struct profile *p, const char *s);

uint32_t profile_add_func(struct profile *p, const char *name, const char *file, int start_line);
uint32_t profile_add_mapping(struct profile *p, const char *path, const char *build_id,
			     uint64_t start, uint64_t limit, uint64_t offset);
/* Add a location with its inline chain (innermost first); deduplicated. */
uint32_t profile_add_loc(struct profile *p, uint64_t address, uint32_t mapping, enum loc_kind kind,
			 const struct prof_line *lines, size_t nlines);
/* Add a stack of locations (leaf first); deduplicated. */
uint32_t profile_add_stack(struct profile *p, const uint32_t *locs, size_t n);
uint32_t profile_add_thread(struct profile *p, pid_t pid, pid_t tid, const char *name);
void profile_set_thread_name(struct profile *p, uint32_t thread, const char *name);
uint32_t profile_add_process(struct profile *p, pid_t pid, const char *cmdline);
void profile_add_sample(struct profile *p, const struct prof_sample *s);
void profile_add_usage(struct profile *p, const struct prof_usage *u);

/* Look-ups used while collecting. */
uint32_t profile_find_thread(const struct profile *p, pid_t pid, pid_t tid);

/* Iterate the timeline in order. Samples must be added in time order. */
struct prof_iter {
	size_t chunk;
	size_t off;
	uint32_t left;
	struct prof_sample prev;
};

void profile_iter_init(struct prof_iter *it);
bool profile_iter_next(const struct profile *p, struct prof_iter *it, struct prof_sample *out);

/* The lines of a location / the locations of a stack. */
static inline const struct prof_line *profile_loc_lines(const struct profile *p, uint32_t loc)
{
	return &p->lines[p->locs[loc].first_line];
}

static inline const uint32_t *profile_stack_locs(const struct profile *p, uint32_t stack)
{
	/* A profile of empty stacks alone has no table: NULL, never NULL + 0. */
	return p->stacks[stack].n ? &p->stack_locs[p->stacks[stack].first] : NULL;
}

/* Bytes of memory the recording occupies (for self-reporting). */
size_t profile_memory(const struct profile *p);

#endif
