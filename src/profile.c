// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "strtab.h"
#include "xalloc.h"

#define CHUNK_SAMPLES 4096

struct prof_chunk {
	uint8_t *data;
	size_t len, cap;
	uint32_t count;
};

/* An open-addressing set of ids; keys are compared through a callback. */
struct idset {
	uint32_t *slots; /* id + 1; 0 = empty */
	uint64_t *hashes;
	size_t nslots, count;
};

struct prof_index {
	struct idset funcs, mappings, locs, stacks, threads;
	struct prof_sample last; /* last sample added, for the order check */
	/*
	 * The open chunk is encoded here; a full chunk is copied out at its
	 * exact size. Growing each chunk by doubling would leave up to half of
	 * every chunk unused, and shrinking it afterwards leaves holes in the
	 * heap: the timeline is the one thing that grows with every sample.
	 */
	uint8_t *scratch;
	size_t cap_scratch;
};

typedef bool (*id_eq_fn)(const struct profile *p, uint32_t id, const void *key);

static void idset_release(struct idset *s)
{
	free(s->slots);
	free(s->hashes);
}

static uint32_t idset_find(const struct profile *p, const struct idset *s, uint64_t h,
			   const void *key, id_eq_fn eq)
{
	if (!s->nslots)
		return UINT32_MAX;
	for (size_t i = h & (s->nslots - 1);; i = (i + 1) & (s->nslots - 1)) {
		if (!s->slots[i])
			return UINT32_MAX;
		if (s->hashes[i] == h && eq(p, s->slots[i] - 1, key))
			return s->slots[i] - 1;
	}
}

static void idset_insert_raw(struct idset *s, uint64_t h, uint32_t id)
{
	size_t i = h & (s->nslots - 1);

	while (s->slots[i])
		i = (i + 1) & (s->nslots - 1);
	s->slots[i] = id + 1;
	s->hashes[i] = h;
}

static void idset_insert(struct idset *s, uint64_t h, uint32_t id)
{
	if ((s->count + 1) * 2 > s->nslots) {
		struct idset n = { 0 };

		n.nslots = s->nslots ? s->nslots * 2 : 256;
		n.slots = xcalloc(n.nslots, sizeof(*n.slots));
		n.hashes = xcalloc(n.nslots, sizeof(*n.hashes));
		for (size_t i = 0; i < s->nslots; i++)
			if (s->slots[i])
				idset_insert_raw(&n, s->hashes[i], s->slots[i] - 1);
		n.count = s->count;
		idset_release(s);
		*s = n;
	}
	idset_insert_raw(s, h, id);
	s->count++;
}

static uint64_t hash_ptr(uint64_t h, const void *p)
{
	return hash_mix(h, (uint64_t)(uintptr_t)p);
}

struct profile *profile_new(void)
{
	struct profile *p = xcalloc(1, sizeof(*p));

	p->strings = strtab_new();
	p->index = xcalloc(1, sizeof(*p->index));
	p->meta.exit_status = -1;
	return p;
}

void profile_free(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nchunks; i++)
		if (!p->index || p->chunks[i].data != p->index->scratch)
			free(p->chunks[i].data);
	free(p->chunks);
	free(p->funcs);
	free(p->lines);
	free(p->mappings);
	free(p->locs);
	free(p->stack_locs);
	free(p->stacks);
	free(p->threads);
	free(p->procs);
	free(p->usage);
	if (p->index) {
		idset_release(&p->index->funcs);
		idset_release(&p->index->mappings);
		idset_release(&p->index->locs);
		idset_release(&p->index->stacks);
		idset_release(&p->index->threads);
		free(p->index->scratch);
		free(p->index);
	}
	strtab_free(p->strings);
	free(p);
}

const char *profile_str(struct profile *p, const char *s)
{
	return s ? strtab_intern(p->strings, s) : NULL;
}

/* ---- functions ---- */

struct func_key {
	const char *name, *file;
	int line;
};

static bool func_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct func_key *k = key;
	const struct prof_func *f = &p->funcs[id];

	return f->name == k->name && f->file == k->file && f->start_line == k->line;
}

uint32_t profile_add_func(struct profile *p, const char *name, const char *file, int start_line)
{
	struct func_key k = { profile_str(p, name), profile_str(p, file), start_line };
	uint64_t h = hash_mix(hash_ptr(hash_ptr(0, k.name), k.file), (uint64_t)start_line);
	uint32_t id = idset_find(p, &p->index->funcs, h, &k, func_eq);

	if (id != UINT32_MAX)
		return id;
	struct prof_func *f = VEC_PUSH(p->funcs, p->nfuncs, p->cap_funcs);

	f->name = k.name;
	f->file = k.file;
	f->start_line = start_line;
	id = (uint32_t)(p->nfuncs - 1);
	idset_insert(&p->index->funcs, h, id);
	return id;
}

/* ---- mappings ---- */

static bool mapping_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct prof_mapping *a = &p->mappings[id], *b = key;

	return a->path == b->path && a->build_id == b->build_id && a->start == b->start &&
	       a->limit == b->limit && a->offset == b->offset;
}

uint32_t profile_add_mapping(struct profile *p, const char *path, const char *build_id,
			     uint64_t start, uint64_t limit, uint64_t offset)
{
	struct prof_mapping k = { profile_str(p, path), profile_str(p, build_id), start, limit,
				  offset };
	uint64_t h = hash_mix(hash_mix(hash_ptr(hash_ptr(1, k.path), k.build_id), start), offset);
	uint32_t id = idset_find(p, &p->index->mappings, h, &k, mapping_eq);

	if (id != UINT32_MAX)
		return id + 1;
	*VEC_PUSH(p->mappings, p->nmappings, p->cap_mappings) = k;
	id = (uint32_t)(p->nmappings - 1);
	idset_insert(&p->index->mappings, h, id);
	return id + 1;
}

/* ---- locations ---- */

struct loc_key {
	uint64_t address;
	uint32_t mapping;
	uint8_t kind;
	const struct prof_line *lines;
	size_t nlines;
};

static bool loc_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct loc_key *k = key;
	const struct prof_loc *l = &p->locs[id];

	if (l->address != k->address || l->mapping != k->mapping || l->kind != k->kind ||
	    l->nlines != k->nlines)
		return false;
	for (size_t i = 0; i < k->nlines; i++) {
		const struct prof_line *a = &p->lines[l->first_line + i], *b = &k->lines[i];

		if (a->func != b->func || a->line != b->line || a->file != b->file ||
		    a->inlined != b->inlined)
			return false;
	}
	return true;
}

uint32_t profile_add_loc(struct profile *p, uint64_t address, uint32_t mapping, enum loc_kind kind,
			 const struct prof_line *lines, size_t nlines)
{
	struct prof_line norm[64];
	struct loc_key k;
	uint64_t h;

	if (nlines > 64)
		nlines = 64;
	for (size_t i = 0; i < nlines; i++) {
		norm[i] = lines[i];
		norm[i].file = profile_str(p, lines[i].file);
	}
	k = (struct loc_key){ address, mapping, (uint8_t)kind, norm, nlines };
	h = hash_mix(hash_mix(hash_mix(7, address), mapping), (uint64_t)kind);
	for (size_t i = 0; i < nlines; i++)
		h = hash_mix(hash_mix(h, norm[i].func), (uint64_t)norm[i].line);
	uint32_t id = idset_find(p, &p->index->locs, h, &k, loc_eq);

	if (id != UINT32_MAX)
		return id;
	struct prof_loc *l = VEC_PUSH(p->locs, p->nlocs, p->cap_locs);

	l->address = address;
	l->mapping = mapping;
	l->kind = (uint8_t)kind;
	l->first_line = (uint32_t)p->nlines;
	l->nlines = (uint16_t)nlines;
	for (size_t i = 0; i < nlines; i++)
		*VEC_PUSH(p->lines, p->nlines, p->cap_lines) = norm[i];
	id = (uint32_t)(p->nlocs - 1);
	idset_insert(&p->index->locs, h, id);
	return id;
}

/* ---- stacks ---- */

struct stack_key {
	const uint32_t *locs;
	size_t n;
};

static bool stack_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct stack_key *k = key;
	const struct prof_stack *s = &p->stacks[id];

	/* An empty stack may come with no array: memcmp must not see NULL. */
	return s->n == k->n &&
	       (!k->n || !memcmp(&p->stack_locs[s->first], k->locs, k->n * sizeof(*k->locs)));
}

uint32_t profile_add_stack(struct profile *p, const uint32_t *locs, size_t n)
{
	struct stack_key k = { locs, n };
	uint64_t h = hash_bytes(locs, n * sizeof(*locs));
	uint32_t id = idset_find(p, &p->index->stacks, h, &k, stack_eq);

	if (id != UINT32_MAX)
		return id;
	struct prof_stack *s = VEC_PUSH(p->stacks, p->nstacks, p->cap_stacks);

	s->first = (uint32_t)p->nstack_locs;
	s->n = (uint32_t)n;
	p->stack_locs = xgrow(p->stack_locs, &p->cap_stack_locs, p->nstack_locs + n,
			      sizeof(*p->stack_locs));
	if (n) /* an empty stack may come with no array at all */
		memcpy(&p->stack_locs[p->nstack_locs], locs, n * sizeof(*locs));
	p->nstack_locs += n;
	id = (uint32_t)(p->nstacks - 1);
	idset_insert(&p->index->stacks, h, id);
	return id;
}

/* ---- threads and processes ---- */

struct thread_key {
	pid_t pid, tid;
};

static bool thread_eq(const struct profile *p, uint32_t id, const void *key)
{
	const struct thread_key *k = key;

	return p->threads[id].pid == k->pid && p->threads[id].tid == k->tid;
}

uint32_t profile_find_thread(const struct profile *p, pid_t pid, pid_t tid)
{
	struct thread_key k = { pid, tid };
	uint64_t h = hash_mix(hash_mix(3, (uint64_t)pid), (uint64_t)tid);

	return idset_find(p, &p->index->threads, h, &k, thread_eq);
}

uint32_t profile_add_thread(struct profile *p, pid_t pid, pid_t tid, const char *name)
{
	uint32_t id = profile_find_thread(p, pid, tid);

	if (id != UINT32_MAX)
		return id;
	struct prof_thread *t = VEC_PUSH(p->threads, p->nthreads, p->cap_threads);

	t->pid = pid;
	t->tid = tid;
	t->name = profile_str(p, name ? name : "");
	t->samples = 0;
	id = (uint32_t)(p->nthreads - 1);
	idset_insert(&p->index->threads, hash_mix(hash_mix(3, (uint64_t)pid), (uint64_t)tid), id);
	return id;
}

void profile_set_thread_name(struct profile *p, uint32_t thread, const char *name)
{
	p->threads[thread].name = profile_str(p, name);
}

uint32_t profile_add_process(struct profile *p, pid_t pid, const char *cmdline)
{
	for (size_t i = 0; i < p->nprocs; i++) {
		if (p->procs[i].pid == pid) {
			if (cmdline && *cmdline)
				p->procs[i].cmdline = profile_str(p, cmdline);
			return (uint32_t)i;
		}
	}
	struct prof_process *pr = VEC_PUSH(p->procs, p->nprocs, p->cap_procs);

	pr->pid = pid;
	pr->cmdline = profile_str(p, cmdline ? cmdline : "");
	return (uint32_t)(p->nprocs - 1);
}

void profile_add_usage(struct profile *p, const struct prof_usage *u)
{
	*VEC_PUSH(p->usage, p->nusage, p->cap_usage) = *u;
}

/* ---- timeline ---- */

static void put_varint(struct prof_index *x, struct prof_chunk *c, uint64_t v)
{
	if (c->len + 10 > x->cap_scratch) {
		x->scratch = xgrow(x->scratch, &x->cap_scratch, c->len + 10, 1);
		c->data = x->scratch;
		c->cap = x->cap_scratch;
	}
	while (v >= 0x80) {
		c->data[c->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	c->data[c->len++] = (uint8_t)v;
}

static uint64_t get_varint(const struct prof_chunk *c, size_t *off)
{
	uint64_t v = 0;

	for (int shift = 0; *off < c->len && shift < 64; shift += 7) {
		uint8_t b = c->data[(*off)++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

void profile_add_sample(struct profile *p, const struct prof_sample *s)
{
	struct prof_chunk *c = p->nchunks ? &p->chunks[p->nchunks - 1] : NULL;
	struct prof_sample prev = p->index->last;
	uint64_t t = s->t_ns;

	struct prof_index *x = p->index;

	if (!c || c->count == CHUNK_SAMPLES) {
		if (c) {
			c->data = xmalloc(c->len);
			memcpy(c->data, x->scratch, c->len);
			c->cap = c->len;
		}
		c = VEC_PUSH(p->chunks, p->nchunks, p->cap_chunks);
		memset(c, 0, sizeof(*c));
		c->data = x->scratch;
		c->cap = x->cap_scratch;
		memset(&prev, 0, sizeof(prev));
	}
	if (t < p->index->last.t_ns)
		t = p->index->last.t_ns; /* keep the timeline monotonic */
	put_varint(x, c, t - prev.t_ns);
	put_varint(x, c, s->thread);
	put_varint(x, c, s->stack);
	put_varint(x, c, (uint8_t)s->state);
	put_varint(x, c, (uint64_t)((int64_t)s->syscall + 1));
	c->count++;
	p->nsamples++;
	p->index->last = *s;
	p->index->last.t_ns = t;
	if (s->thread < p->nthreads)
		p->threads[s->thread].samples++;
}

void profile_iter_init(struct prof_iter *it)
{
	memset(it, 0, sizeof(*it));
}

bool profile_iter_next(const struct profile *p, struct prof_iter *it, struct prof_sample *out)
{
	while (it->chunk < p->nchunks && it->left == 0) {
		if (it->off == 0 && p->chunks[it->chunk].count) {
			it->left = p->chunks[it->chunk].count;
			memset(&it->prev, 0, sizeof(it->prev));
			break;
		}
		it->chunk++;
		it->off = 0;
	}
	if (it->chunk >= p->nchunks)
		return false;
	const struct prof_chunk *c = &p->chunks[it->chunk];

	out->t_ns = it->prev.t_ns + get_varint(c, &it->off);
	out->thread = (uint32_t)get_varint(c, &it->off);
	out->stack = (uint32_t)get_varint(c, &it->off);
	out->state = (char)get_varint(c, &it->off);
	out->syscall = (int32_t)((int64_t)get_varint(c, &it->off) - 1);
	it->prev = *out;
	if (--it->left == 0) {
		it->chunk++;
		it->off = 0;
	}
	return true;
}

size_t profile_memory(const struct profile *p)
{
	size_t n = p->cap_funcs * sizeof(*p->funcs) + p->cap_lines * sizeof(*p->lines) +
		   p->cap_mappings * sizeof(*p->mappings) + p->cap_locs * sizeof(*p->locs) +
		   p->cap_stack_locs * sizeof(*p->stack_locs) + p->cap_stacks * sizeof(*p->stacks) +
		   p->cap_threads * sizeof(*p->threads);

	for (size_t i = 0; i < p->nchunks; i++)
		n += p->chunks[i].cap;
	return n;
}
