/* SPDX-License-Identifier: MIT */
#ifndef CPROF_MAPWATCH_H
#define CPROF_MAPWATCH_H

/*
 * Sampler-side tracking of a process's mappings. It re-reads /proc/PID/maps,
 * compares it with the previous text, and when anything changed produces a
 * maps_update for the consumer. Files with executable mappings are opened at
 * once (through map_files where permitted, else the process's root) so the
 * consumer reads the very inode that was mapped, even after the file is
 * deleted, replaced, or dlclose'd. The vDSO is copied on first sight.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "maps.h"

struct maps_update;

struct file_key {
	unsigned int dev_major, dev_minor;
	uint64_t inode;
};

struct mapwatch {
	pid_t pid;
	int fd;
	int stat_fd;	 /* /proc/PID/stat, for the page fault counts */
	uint64_t faults; /* minor + major faults just before the last read */
	char *raw, *prev;
	size_t raw_cap, prev_cap, prev_len;
	struct file_key *known;
	size_t nknown, cap_known;
	bool vdso_sent;
	struct maps cur;       /* the mappings as last read */
	uint64_t read_cost_ns; /* last read, for rate limiting */
	uint64_t last_read_ns;
	/*
	 * The process-wide fault count costs the kernel a pass over every
	 * thread: it is read at most 0.1% of the time.
	 */
	uint64_t fault_cost_ns, last_fault_check_ns;
	unsigned long reads, changes;
};

int mapwatch_init(struct mapwatch *w, pid_t pid);
void mapwatch_release(struct mapwatch *w);
/*
 * Re-read the maps. With `exec`, the process image was replaced: forget what
 * was known and send everything. *out is NULL when nothing changed.
 */
int mapwatch_poll(struct mapwatch *w, bool exec, struct maps_update **out);
/*
 * Whether a re-read is due: soon after the process took page faults (new
 * code cannot run without faulting its pages in), else now and then,
 * keeping reads under ~1% of wall time. `sampled_faulted`: a thread just
 * sampled has taken faults since it was last looked at, which the caller
 * knows at no cost; the process-wide count is read less often.
 */
bool mapwatch_due(struct mapwatch *w, uint64_t now_ns, bool sampled_faulted);

#endif
