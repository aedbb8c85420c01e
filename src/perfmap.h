/* SPDX-License-Identifier: MIT */
#ifndef CPROF_PERFMAP_H
#define CPROF_PERFMAP_H

/*
 * JIT symbol maps in perf's format (/tmp/perf-PID.map): one "START SIZE name"
 * line per symbol, START and SIZE in hex without 0x, the name is the rest of
 * the line. Files are appended to while the JIT runs; code addresses may be
 * reused, and then the later entry describes the live code.
 */
#include <stdint.h>
#include <sys/types.h>

struct perfmap;

/*
 * Open the map of `pid`, looked up inside its root and under its own pid
 * namespace number. The file must belong to the target's user or to root.
 */
struct perfmap *perfmap_open(pid_t pid);
/* Parse a map from a file path (tests), owner check by `uid` (-1: none). */
struct perfmap *perfmap_open_path(const char *path, long uid);
void perfmap_free(struct perfmap *pm);
/* Symbol covering pc, after reading what was appended to the file; NULL if none. */
const char *perfmap_lookup(struct perfmap *pm, uint64_t pc);

#endif
