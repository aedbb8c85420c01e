/* SPDX-License-Identifier: MIT */
#ifndef CPROF_FLAME_H
#define CPROF_FLAME_H

/*
 * The merged call tree a flame graph draws: root first, a node per distinct
 * path, children merged by (label, kind) and laid out in name order, so
 * identical input always gives the identical tree. Built from the samples
 * inside the render window, with thread and process roots as the render
 * options ask.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "output.h"

#define FLAME_NONE UINT32_MAX

enum flame_kind {
	FLAME_ROOT = 0,	 /* "all" */
	FLAME_PROCESS,	 /* --processes root */
	FLAME_THREAD,	 /* --threads root */
	FLAME_NATIVE,	 /* a function */
	FLAME_INLINE,	 /* a function inlined into its parent */
	FLAME_JIT,	 /* a JIT-compiled function */
	FLAME_UNKNOWN,	 /* no symbol: the name says what is known */
	FLAME_TRUNCATED, /* the stack went on beyond this */
};

struct flame_node {
	const char *name;     /* frame_label(), interned in the tree */
	uint64_t count;	      /* samples in this frame and below */
	uint64_t start;	      /* samples left of it in the layout */
	uint32_t parent;      /* FLAME_NONE for the root */
	uint32_t first_child; /* children in name order, FLAME_NONE-terminated */
	uint32_t next_sibling;
	uint32_t depth; /* root 0 */
	uint8_t kind;	/* enum flame_kind */
};

struct flame {
	struct flame_node *nodes; /* nodes[0] is the root; count is the total */
	size_t nnodes, cap_nodes;
	uint32_t max_depth;
	/* private: child index and label storage */
	struct flame_slot *slots;
	size_t nslots;
	struct strtab *names;
};

/* An index entry: the node, and its key's hash so probes and rehashing skip the node. */
struct flame_slot {
	uint32_t node_plus1;
	uint32_t hash;
};

/* Build the tree of p under o. Returns 0 or -errno; release even on error. */
int flame_build(struct flame *fl, const struct profile *p, const struct render_opts *o);
void flame_release(struct flame *fl);

/* The child of `parent` with this name and kind, or FLAME_NONE. */
uint32_t flame_child(const struct flame *fl, uint32_t parent, const char *name,
		     enum flame_kind kind);

/* Pre-order successor of node n, not descending below n when `skip` is set. */
uint32_t flame_next(const struct flame *fl, uint32_t n, bool skip);

#endif
