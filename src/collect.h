/* SPDX-License-Identifier: MIT */
#ifndef CPROF_COLLECT_H
#define CPROF_COLLECT_H

/*
 * The consumer side of sampling: it drains the ring, applies mapping
 * updates, unwinds each snapshot, symbolizes every new address once, and
 * adds the sample to the profile. It runs in the command's main thread.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "symbolize.h"

struct profile;
struct ring;

struct collect_opts {
	struct sym_opts sym;
	int max_frames;		/* 0: UNWIND_MAX_FRAMES */
	uint32_t stack_cap_max; /* bound for the cap hints */
};

struct collect_stats {
	uint64_t samples, reused, unwind_errors, truncated, frames;
	uint64_t locs_symbolized;
	uint64_t processes_exited;
};

struct collector;

struct collector *collector_new(struct profile *p, const struct collect_opts *o,
				_Atomic uint32_t *cap_hints, uint64_t start_ns);
void collector_free(struct collector *c);
/*
 * Process everything published in the ring. Returns the number of samples
 * added. `on_exit` (may be NULL) is told about processes that exit.
 */
size_t collector_drain(struct collector *c, struct ring *r);
const struct collect_stats *collector_stats(const struct collector *c);
/* Wait status of a launched process that exited, or -1. */
int collector_exit_status(const struct collector *c);
struct crash_report;
/* The crash captured with --on-crash, or NULL. */
const struct crash_report *collector_crash(const struct collector *c);
/* Whether every process of the recording has exited. */
bool collector_all_exited(const struct collector *c);

struct prof_sample;
typedef void (*collect_sample_fn)(void *arg, const struct prof_sample *s);
/*
 * Show every sample to `fn` as it is added (a live view aggregates as it
 * goes). Without keep_timeline samples are counted but not stored: `top`
 * may run for days and never renders the timeline.
 */
void collector_set_sample_hook(struct collector *c, collect_sample_fn fn, void *arg,
			       bool keep_timeline);

#endif
