/* SPDX-License-Identifier: MIT */
#ifndef CPROF_RESOLVE_H
#define CPROF_RESOLVE_H

/*
 * Turn an address of a process into frames: file-backed modules and the
 * vDSO go to the symbolizer, anonymous executable memory to the process's
 * JIT perf map, anything else becomes "[unknown]".
 */
#include <stdint.h>

#include "symbolize.h"

struct aspace;
struct elfimg;

enum resolved_kind {
	RESOLVED_MODULE,
	RESOLVED_JIT,
	RESOLVED_UNKNOWN,
};

struct resolved {
	enum resolved_kind kind;
	struct symresult sym;
	struct elfimg *img;	 /* NULL unless kind == RESOLVED_MODULE with an image */
	const char *module;	 /* basename, interned; NULL if none */
	const char *module_path; /* full path as the target maps it, interned */
	uint64_t vaddr;		 /* link-time address in the module (or file offset) */
	uint64_t map_start, map_end, map_offset;
};

void resolve_pc(struct symbolizer *sym, struct strtab *strings, struct aspace *as, uint64_t pc,
		struct resolved *out);

#endif
