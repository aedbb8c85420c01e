// SPDX-License-Identifier: MIT
/*
 * The merged call tree behind the SVG flame graph. Samples are first counted
 * per distinct (thread, stack), so a stack seen a million times is walked
 * once; each path is then merged into the tree through an open-addressing
 * index keyed by (parent, label, kind).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "strtab.h"
#include "xalloc.h"

/* The index key of a child: its parent, the hash of its name, and its kind. */
static uint32_t child_hash(uint32_t parent, uint64_t name_hash, enum flame_kind kind)
{
	uint64_t h = hash_mix(hash_mix(name_hash, parent), kind);

	/*
	 * Siblings' keys differ mostly in parent indices, which are
	 * consecutive: without a final avalanche they land in adjacent slots
	 * and linear probing degrades into long scans.
	 */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint64_t name_hash(const char *name)
{
	return hash_bytes(name, strlen(name));
}

static uint32_t find_child(const struct flame *fl, uint32_t parent, const char *name, uint32_t hash,
			   enum flame_kind kind)
{
	size_t mask = fl->nslots - 1;

	for (size_t i = hash & mask; fl->slots[i].node_plus1; i = (i + 1) & mask) {
		const struct flame_node *n;

		if (fl->slots[i].hash != hash)
			continue;
		n = &fl->nodes[fl->slots[i].node_plus1 - 1];
		/* Pointer equality is the common case; other trees need strcmp. */
		if (n->parent == parent && n->kind == kind &&
		    (n->name == name || !strcmp(n->name, name)))
			return fl->slots[i].node_plus1 - 1;
	}
	return FLAME_NONE;
}

uint32_t flame_child(const struct flame *fl, uint32_t parent, const char *name,
		     enum flame_kind kind)
{
	if (!fl->nslots || parent == FLAME_NONE)
		return FLAME_NONE;
	return find_child(fl, parent, name, child_hash(parent, name_hash(name), kind), kind);
}

static void index_insert(struct flame_slot *slots, size_t nslots, uint32_t node, uint32_t hash)
{
	size_t mask = nslots - 1;
	size_t i = hash & mask;

	while (slots[i].node_plus1)
		i = (i + 1) & mask;
	slots[i].node_plus1 = node + 1;
	slots[i].hash = hash;
}

static void index_grow(struct flame *fl)
{
	size_t n = fl->nslots ? fl->nslots * 2 : 1024;
	struct flame_slot *slots = xcalloc(n, sizeof(*slots));

	for (size_t i = 0; i < fl->nslots; i++)
		if (fl->slots[i].node_plus1)
			index_insert(slots, n, fl->slots[i].node_plus1 - 1, fl->slots[i].hash);
	free(fl->slots);
	fl->slots = slots;
	fl->nslots = n;
}

/* The child of parent with this label, made if new. name is interned in fl->names. */
static uint32_t add_node(struct flame *fl, uint32_t parent, const char *name, uint64_t nhash,
			 enum flame_kind kind)
{
	uint32_t hash = child_hash(parent, nhash, kind);
	uint32_t idx = find_child(fl, parent, name, hash, kind);

	if (idx != FLAME_NONE)
		return idx;
	/* Slots hold index + 1, so the largest index must stay below UINT32_MAX. */
	if (fl->nnodes >= UINT32_MAX - 1)
		return FLAME_NONE;
	if ((fl->nnodes + 1) * 2 > fl->nslots)
		index_grow(fl);
	idx = (uint32_t)fl->nnodes;

	struct flame_node *n = VEC_PUSH(fl->nodes, fl->nnodes, fl->cap_nodes);
	struct flame_node *par = &fl->nodes[parent];

	*n = (struct flame_node){
		.name = name,
		.parent = parent,
		.first_child = FLAME_NONE,
		.next_sibling = par->first_child,
		.depth = par->depth + 1,
		.kind = (uint8_t)kind,
	};
	par->first_child = idx;
	if (n->depth > fl->max_depth)
		fl->max_depth = n->depth;
	index_insert(fl->slots, fl->nslots, idx, hash);
	return idx;
}

/* A label and its hash, computed once per line entry of the profile. */
struct label {
	const char *name;
	uint64_t hash;
};

struct walk {
	struct flame *fl;
	const struct profile *p;
	const struct render_opts *o;
	struct label *labels; /* per p->lines entry, filled on first use */
	uint32_t node;
	uint64_t count;
};

static enum flame_kind line_kind(const struct prof_line *l, const struct prof_loc *loc)
{
	if (loc->kind == LOC_TRUNCATED)
		return FLAME_TRUNCATED;
	if (loc->kind == LOC_UNKNOWN)
		return FLAME_UNKNOWN;
	if (l->inlined)
		return FLAME_INLINE;
	if (loc->kind == LOC_JIT)
		return FLAME_JIT;
	return FLAME_NATIVE;
}

static void descend(struct walk *w, const struct label *lb, enum flame_kind kind)
{
	if (w->node == FLAME_NONE)
		return;
	w->node = add_node(w->fl, w->node, lb->name, lb->hash, kind);
	if (w->node != FLAME_NONE)
		w->fl->nodes[w->node].count += w->count;
}

static struct label make_label(struct flame *fl, const char *text)
{
	const char *name = strtab_intern(fl->names, text);

	return (struct label){ name, name_hash(name) };
}

static void visit(const struct prof_line *l, const struct prof_loc *loc, void *arg)
{
	struct walk *w = arg;
	struct label *lb = &w->labels[l - w->p->lines];

	if (!lb->name) {
		char text[1024];

		frame_label(w->p, l, w->o, text, sizeof(text));
		*lb = make_label(w->fl, text);
	}
	descend(w, lb, line_kind(l, loc));
}

struct child_ref {
	const char *name;
	uint8_t kind;
	uint32_t idx;
};

static int cmp_child(const void *a, const void *b)
{
	const struct child_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

/*
 * Children in name order, each starting where its left sibling ends. A
 * parent's index is always below its children's, so one pass in index
 * order sees every parent placed before its children.
 */
static void layout(struct flame *fl)
{
	struct child_ref *refs = NULL;
	size_t cap = 0;

	for (size_t i = 0; i < fl->nnodes; i++) {
		struct flame_node *n = &fl->nodes[i];
		size_t k = 0;

		for (uint32_t c = n->first_child; c != FLAME_NONE; c = fl->nodes[c].next_sibling) {
			struct child_ref *r = VEC_PUSH(refs, k, cap);

			r->name = fl->nodes[c].name;
			r->kind = fl->nodes[c].kind;
			r->idx = c;
		}
		if (!k)
			continue;
		qsort(refs, k, sizeof(*refs), cmp_child);

		uint64_t start = n->start;

		n->first_child = refs[0].idx;
		for (size_t j = 0; j < k; j++) {
			struct flame_node *c = &fl->nodes[refs[j].idx];

			c->next_sibling = j + 1 < k ? refs[j + 1].idx : FLAME_NONE;
			c->start = start;
			start += c->count;
		}
	}
	free(refs);
}

int flame_build(struct flame *fl, const struct profile *p, const struct render_opts *o)
{
	struct label *labels = xcalloc(p->nlines ? p->nlines : 1, sizeof(*labels));
	struct stack_count *keys;
	size_t nkeys;
	int err = 0;

	memset(fl, 0, sizeof(*fl));
	fl->names = strtab_new();
	*VEC_PUSH(fl->nodes, fl->nnodes, fl->cap_nodes) = (struct flame_node){
		.name = strtab_intern(fl->names, "all"),
		.parent = FLAME_NONE,
		.first_child = FLAME_NONE,
		.next_sibling = FLAME_NONE,
		.kind = FLAME_ROOT,
	};
	index_grow(fl);

	nkeys = stack_counts(p, o, o->threads || o->processes, &keys);
	for (size_t i = 0; i < nkeys; i++) {
		struct walk w = {
			.fl = fl,
			.p = p,
			.o = o,
			.labels = labels,
			.node = 0,
			.count = keys[i].count,
		};
		char text[512];
		struct label lb;

		fl->nodes[0].count += w.count;
		if (o->processes) {
			process_label(p, p->threads[keys[i].thread].pid, text, sizeof(text));
			lb = make_label(fl, text);
			descend(&w, &lb, FLAME_PROCESS);
		}
		if (o->threads) {
			thread_label(p, keys[i].thread, text, sizeof(text));
			lb = make_label(fl, text);
			descend(&w, &lb, FLAME_THREAD);
		}
		stack_visit_root_first(p, keys[i].stack, visit, &w);
		if (w.node == FLAME_NONE)
			err = -EOVERFLOW;
	}
	free(keys);
	free(labels);
	layout(fl);
	return err;
}

void flame_release(struct flame *fl)
{
	free(fl->nodes);
	free(fl->slots);
	if (fl->names)
		strtab_free(fl->names);
	memset(fl, 0, sizeof(*fl));
}

uint32_t flame_next(const struct flame *fl, uint32_t n, bool skip)
{
	if (!skip && fl->nodes[n].first_child != FLAME_NONE)
		return fl->nodes[n].first_child;
	for (; n != FLAME_NONE; n = fl->nodes[n].parent)
		if (fl->nodes[n].next_sibling != FLAME_NONE)
			return fl->nodes[n].next_sibling;
	return FLAME_NONE;
}
