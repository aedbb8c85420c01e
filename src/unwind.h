/* SPDX-License-Identifier: MIT */
#ifndef CPROF_UNWIND_H
#define CPROF_UNWIND_H

/*
 * Unwinding from a snapshot with libunwind and custom accessors
 * (unwind.md §1.5, §5.3): registers come from the saved regset, memory from
 * the stack copy, then from the ELF files (unwind tables, code bytes), then
 * from the vDSO copy. The stock _UPT accessors are never used.
 */
#include <stdbool.h>
#include <stdint.h>

struct aspace;
struct snapshot;

#define UNWIND_MAX_FRAMES 512

enum frame_kind {
	FRAME_EXACT = 0,  /* the PC itself: innermost, or interrupted by a signal */
	FRAME_RETURN = 1, /* a return address: look up pc - 1 */
};

struct unwind_result {
	uint64_t pc[UNWIND_MAX_FRAMES];
	uint8_t kind[UNWIND_MAX_FRAMES];
	int n;
	bool truncated; /* the stack continued past the copy, or past the depth limit */
	int error;	/* 0, or the libunwind error that ended the walk early */
};

void *unwind_addr_space_new(void);
void unwind_addr_space_free(void *unw);
void unwind_flush(void *unw);

int unwind_snapshot(const struct aspace *as, const struct snapshot *s, int max_frames,
		    struct unwind_result *r);

/* The address to symbolize for frame i. */
static inline uint64_t unwind_lookup_pc(const struct unwind_result *r, int i)
{
	return r->kind[i] == FRAME_RETURN && r->pc[i] ? r->pc[i] - 1 : r->pc[i];
}

#endif
