// SPDX-License-Identifier: MIT
/*
 * pprof: a gzip-compressed profile.proto (github.com/google/pprof,
 * proto/profile.proto), laid out like the Go runtime's CPU profiles so
 * that `go tool pprof`, speedscope, Pyroscope and Parca read it as one:
 *
 *   sample_type  samples/count, cpu/nanoseconds (wall/nanoseconds with
 *                --idle); value = [count, count * period]
 *   location     one per recorded location that the samples use, its
 *                inline chain as Line entries innermost first, exactly the
 *                order cprof keeps
 *   function     one per recorded function those locations use
 *   mapping      one per module those locations are in, the main binary
 *                first
 *   sample       one per (stack, thread[, state, syscall]) with labels
 *
 * Ids are dense and equal to the index + 1 (Parca insists), and nothing
 * depends on the time of writing, so the same recording always gives the
 * same bytes, whether written by `record` or later by `report`.
 *
 * --threads and --processes add no root frames here: every sample carries
 * `thread`, `tid` (and `pid` for several processes) labels instead, which
 * pprof turns into root frames on demand (-tagroot=thread) or filters on
 * (-tagfocus), without baking one view into the stacks. --lines needs no
 * counterpart either: line numbers are always in the Line entries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "output.h"
#include "pbw.h"
#include "strtab.h"
#include "syscalls.h"
#include "thread_state.h"
#include "xalloc.h"

/* profile.proto field numbers, per message. */
enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
};

enum { VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2 };
enum { SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3 };
enum { LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3 };

enum {
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
};

enum { LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_ADDRESS = 3, LOCATION_LINE = 4 };
enum { LINE_FUNCTION_ID = 1, LINE_LINE = 2 };

enum {
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

/* ---- string table ---- */

struct strings {
	const char **strs;
	size_t n, cap;
	uint32_t *slots; /* index into strs + 1; 0 = empty */
	size_t nslots;
};

static void strings_init(struct strings *t)
{
	memset(t, 0, sizeof(*t));
	t->nslots = 256;
	t->slots = xcalloc(t->nslots, sizeof(*t->slots));
	/* Readers reject a table whose first entry is not "". */
	*VEC_PUSH(t->strs, t->n, t->cap) = "";
}

static void strings_release(struct strings *t)
{
	free(t->strs);
	free(t->slots);
}

static size_t strings_slot(const struct strings *t, const char *s, size_t len)
{
	size_t mask = t->nslots - 1;

	for (size_t i = hash_bytes(s, len) & mask;; i = (i + 1) & mask) {
		uint32_t id = t->slots[i];

		if (!id || !strcmp(t->strs[id - 1], s))
			return i;
	}
}

/* Index of s in the table; s must outlive the writer. NULL and "" are 0. */
static int64_t str_id(struct strings *t, const char *s)
{
	if (!s || !*s)
		return 0;

	size_t len = strlen(s);
	size_t slot = strings_slot(t, s, len);

	if (t->slots[slot])
		return t->slots[slot] - 1;
	*VEC_PUSH(t->strs, t->n, t->cap) = s;
	t->slots[slot] = (uint32_t)t->n;
	if (t->n * 2 > t->nslots) {
		free(t->slots);
		t->nslots *= 2;
		t->slots = xcalloc(t->nslots, sizeof(*t->slots));
		for (size_t i = 1; i < t->n; i++)
			t->slots[strings_slot(t, t->strs[i], strlen(t->strs[i]))] = (uint32_t)i + 1;
	}
	return (int64_t)t->n - 1;
}

/* ---- samples ---- */

/* One pprof sample: the samples of a stack in one thread (and state). */
struct agg {
	uint32_t thread, stack;
	int32_t syscall;
	char state;
	uint64_t count;
};

struct aggs {
	struct agg *v;
	size_t n, cap;
	uint32_t *slots; /* index + 1 */
	size_t nslots;
};

static uint64_t agg_hash(const struct agg *a)
{
	uint64_t h = hash_mix(hash_mix(0, a->thread), a->stack);

	return hash_mix(hash_mix(h, (uint64_t)(int64_t)a->syscall),
			(uint64_t)(unsigned char)a->state);
}

static bool agg_eq(const struct agg *a, const struct agg *b)
{
	return a->thread == b->thread && a->stack == b->stack && a->syscall == b->syscall &&
	       a->state == b->state;
}

static size_t agg_slot(const struct aggs *g, const struct agg *key)
{
	size_t mask = g->nslots - 1;

	for (size_t i = agg_hash(key) & mask;; i = (i + 1) & mask)
		if (!g->slots[i] || agg_eq(&g->v[g->slots[i] - 1], key))
			return i;
}

static void agg_add(struct aggs *g, const struct agg *key)
{
	size_t slot = agg_slot(g, key);

	if (g->slots[slot]) {
		g->v[g->slots[slot] - 1].count++;
		return;
	}
	struct agg *a = VEC_PUSH(g->v, g->n, g->cap);

	*a = *key;
	a->count = 1;
	g->slots[slot] = (uint32_t)g->n;
	if (g->n * 2 > g->nslots) {
		free(g->slots);
		g->nslots *= 2;
		g->slots = xcalloc(g->nslots, sizeof(*g->slots));
		for (size_t i = 0; i < g->n; i++)
			g->slots[agg_slot(g, &g->v[i])] = (uint32_t)i + 1;
	}
}

static int cmp_agg(const void *x, const void *y)
{
	const struct agg *a = x, *b = y;

	if (a->thread != b->thread)
		return a->thread < b->thread ? -1 : 1;
	if (a->stack != b->stack)
		return a->stack < b->stack ? -1 : 1;
	if (a->state != b->state)
		return a->state < b->state ? -1 : 1;
	return (a->syscall > b->syscall) - (a->syscall < b->syscall);
}

static void collect_samples(const struct profile *p, const struct render_opts *o, struct aggs *g)
{
	struct prof_iter it;
	struct prof_sample s;

	memset(g, 0, sizeof(*g));
	g->nslots = 256;
	g->slots = xcalloc(g->nslots, sizeof(*g->slots));
	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s)) {
		if (!render_in_window(o, s.t_ns))
			continue;

		struct agg key = { .thread = s.thread, .stack = s.stack, .syscall = -1 };

		/* Only wall-clock recordings label states; CPU samples are all running. */
		if (p->meta.wall_clock) {
			key.state = s.state;
			key.syscall = s.syscall;
		}
		agg_add(g, &key);
	}
	/* Grouped by thread, then stack: stable and pleasant to diff. */
	if (g->n)
		qsort(g->v, g->n, sizeof(*g->v), cmp_agg);
}

/* ---- the profile ---- */

struct pp {
	const struct profile *p;
	const struct render_opts *o;
	struct pbw w;
	struct strings st;
	struct strtab *scratch; /* strings made up here, kept alive for st */
	/*
	 * pprof id of each table entry the samples use, 0 for the rest: a
	 * time window (one interval of a periodic output) gets only its own
	 * locations, not every one the recording has seen so far.
	 */
	uint32_t *loc_id, *func_id, *mapping_id; /* mapping_id by index + 1 */
	uint32_t nloc_ids, nfunc_ids, nmapping_ids;
};

static void value_type(struct pp *c, uint32_t field, const char *type, const char *unit)
{
	size_t tok = pbw_begin(&c->w, field);

	pbw_int64(&c->w, VALUE_TYPE_TYPE, str_id(&c->st, type));
	pbw_int64(&c->w, VALUE_TYPE_UNIT, str_id(&c->st, unit));
	pbw_end(&c->w, tok);
}

static void label_str(struct pp *c, const char *key, const char *val)
{
	/* A label with neither a string nor a number is dropped by readers anyway. */
	if (!val || !*val)
		return;

	size_t tok = pbw_begin(&c->w, SAMPLE_LABEL);

	pbw_int64(&c->w, LABEL_KEY, str_id(&c->st, key));
	pbw_int64(&c->w, LABEL_STR, str_id(&c->st, val));
	pbw_end(&c->w, tok);
}

static void label_num(struct pp *c, const char *key, int64_t val)
{
	size_t tok = pbw_begin(&c->w, SAMPLE_LABEL);

	pbw_int64(&c->w, LABEL_KEY, str_id(&c->st, key));
	pbw_int64(&c->w, LABEL_NUM, val);
	pbw_end(&c->w, tok);
}

static void write_sample(struct pp *c, const struct agg *a, uint64_t period)
{
	const struct profile *p = c->p;
	const struct prof_stack *stk = &p->stacks[a->stack];
	const uint32_t *locs = profile_stack_locs(p, a->stack);
	const struct prof_thread *t = &p->threads[a->thread];
	size_t tok = pbw_begin(&c->w, PROFILE_SAMPLE), arr;

	/* cprof keeps stacks leaf first, as pprof wants them. */
	if (stk->n) {
		arr = pbw_begin(&c->w, SAMPLE_LOCATION_ID);
		for (uint32_t i = 0; i < stk->n; i++)
			pbw_varint(&c->w, c->loc_id[locs[i]]);
		pbw_end(&c->w, arr);
	}
	arr = pbw_begin(&c->w, SAMPLE_VALUE);
	pbw_varint(&c->w, a->count);
	pbw_varint(&c->w, a->count * period);
	pbw_end(&c->w, arr);

	label_str(c, "thread", t->name);
	label_num(c, "tid", t->tid);
	if (p->nprocs > 1)
		label_num(c, "pid", t->pid);
	if (p->meta.wall_clock) {
		label_str(c, "thread state", thread_state_name(a->state));
		if (a->syscall >= 0) {
			const char *name = syscall_name(a->syscall);
			char buf[32];

			if (!name) {
				snprintf(buf, sizeof(buf), "syscall %d", a->syscall);
				name = strtab_intern(c->scratch, buf);
			}
			label_str(c, "syscall", name);
		}
	}
	pbw_end(&c->w, tok);
}

static bool loc_has_mapping(const struct profile *p, const struct prof_loc *loc)
{
	return loc->mapping && loc->mapping <= p->nmappings;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/*
 * pprof takes the first mapping for the main binary (it names it in its
 * report headers), so put the one that looks like the command first: its
 * base name matches the command's first word, or failing that it is not a
 * shared library. Returns an index + 1 among the used mappings, or 0.
 */
static uint32_t main_mapping(const struct pp *c)
{
	const struct profile *p = c->p;
	const char *cmd = p->meta.cmdline;
	char argv0[256] = "";

	if (cmd) {
		size_t n = strcspn(cmd, " ");

		if (n < sizeof(argv0)) {
			memcpy(argv0, cmd, n);
			argv0[n] = '\0';
		}
	}
	for (uint32_t i = 1; argv0[0] && i <= p->nmappings; i++) {
		const char *path = p->mappings[i - 1].path;

		if (c->mapping_id[i] && path && !strcmp(base_name(path), base_name(argv0)))
			return i;
	}
	for (uint32_t i = 1; i <= p->nmappings; i++) {
		const char *path = p->mappings[i - 1].path;

		if (c->mapping_id[i] && path && path[0] == '/' && !strstr(base_name(path), ".so"))
			return i;
	}
	return 0;
}

/* Give ids to what the samples use: locations, their functions and mappings. */
static void assign_ids(struct pp *c, const struct aggs *g)
{
	const struct profile *p = c->p;

	c->loc_id = xcalloc(p->nlocs + 1, sizeof(*c->loc_id));
	c->func_id = xcalloc(p->nfuncs + 1, sizeof(*c->func_id));
	c->mapping_id = xcalloc(p->nmappings + 1, sizeof(*c->mapping_id));
	for (size_t i = 0; i < g->n; i++) {
		const struct prof_stack *stk = &p->stacks[g->v[i].stack];
		const uint32_t *locs = profile_stack_locs(p, g->v[i].stack);

		for (uint32_t j = 0; j < stk->n; j++)
			c->loc_id[locs[j]] = 1;
	}
	/* Ids in table order, so they do not depend on the order of samples. */
	for (size_t i = 0; i < p->nlocs; i++) {
		const struct prof_loc *loc = &p->locs[i];
		const struct prof_line *lines = profile_loc_lines(p, (uint32_t)i);

		if (!c->loc_id[i])
			continue;
		c->loc_id[i] = ++c->nloc_ids;
		for (uint16_t j = 0; j < loc->nlines; j++)
			c->func_id[lines[j].func] = 1;
		if (loc_has_mapping(p, loc))
			c->mapping_id[loc->mapping] = 1;
	}
	for (size_t i = 0; i < p->nfuncs; i++)
		if (c->func_id[i])
			c->func_id[i] = ++c->nfunc_ids;

	uint32_t first = main_mapping(c);

	if (first)
		c->mapping_id[first] = ++c->nmapping_ids;
	for (uint32_t i = 1; i <= p->nmappings; i++)
		if (c->mapping_id[i] && i != first)
			c->mapping_id[i] = ++c->nmapping_ids;
}

struct mapping_flags {
	bool filenames, line_numbers, inline_frames;
};

static void write_mappings(struct pp *c)
{
	const struct profile *p = c->p;
	struct mapping_flags *fl = xcalloc(p->nmappings + 1, sizeof(*fl));
	/* order[id] = mapping index + 1 */
	uint32_t *order = xcalloc(c->nmapping_ids + 1, sizeof(*order));

	/* Claim only what the recording has, so pprof symbolizes nothing itself. */
	for (size_t i = 0; i < p->nlocs; i++) {
		const struct prof_loc *loc = &p->locs[i];
		const struct prof_line *lines = profile_loc_lines(p, (uint32_t)i);
		struct mapping_flags *m;

		if (!c->loc_id[i] || !loc_has_mapping(p, loc))
			continue;
		m = &fl[loc->mapping];
		for (uint16_t j = 0; j < loc->nlines; j++) {
			m->filenames |= lines[j].file || p->funcs[lines[j].func].file;
			m->line_numbers |= lines[j].line > 0;
			m->inline_frames |= lines[j].inlined;
		}
	}
	for (uint32_t i = 1; i <= p->nmappings; i++)
		order[c->mapping_id[i]] = i;

	for (uint32_t id = 1; id <= c->nmapping_ids; id++) {
		const struct prof_mapping *m = &p->mappings[order[id] - 1];
		const struct mapping_flags *f = &fl[order[id]];
		size_t tok = pbw_begin(&c->w, PROFILE_MAPPING);

		pbw_uint64(&c->w, MAPPING_ID, id);
		pbw_uint64(&c->w, MAPPING_MEMORY_START, m->start);
		pbw_uint64(&c->w, MAPPING_MEMORY_LIMIT, m->limit);
		pbw_uint64(&c->w, MAPPING_FILE_OFFSET, m->offset);
		pbw_int64(&c->w, MAPPING_FILENAME, str_id(&c->st, m->path));
		pbw_int64(&c->w, MAPPING_BUILD_ID, str_id(&c->st, m->build_id));
		/* Every location has a function, if only "module+0xoffset". */
		pbw_bool(&c->w, MAPPING_HAS_FUNCTIONS, true);
		pbw_bool(&c->w, MAPPING_HAS_FILENAMES, f->filenames);
		pbw_bool(&c->w, MAPPING_HAS_LINE_NUMBERS, f->line_numbers);
		pbw_bool(&c->w, MAPPING_HAS_INLINE_FRAMES, f->inline_frames);
		pbw_end(&c->w, tok);
	}
	free(order);
	free(fl);
}

static void write_locations(struct pp *c)
{
	const struct profile *p = c->p;

	for (size_t i = 0; i < p->nlocs; i++) {
		const struct prof_loc *loc = &p->locs[i];
		const struct prof_line *lines = profile_loc_lines(p, (uint32_t)i);

		if (!c->loc_id[i])
			continue;

		size_t tok = pbw_begin(&c->w, PROFILE_LOCATION);

		pbw_uint64(&c->w, LOCATION_ID, c->loc_id[i]);
		if (loc_has_mapping(p, loc))
			pbw_uint64(&c->w, LOCATION_MAPPING_ID, c->mapping_id[loc->mapping]);
		if (loc->address)
			pbw_uint64(&c->w, LOCATION_ADDRESS, loc->address);
		/*
		 * Every location, JIT, unknown and truncated ones included, has
		 * at least one line with a function, so pprof shows a name
		 * rather than a bare address.
		 */
		for (uint16_t j = 0; j < loc->nlines; j++) {
			size_t ltok = pbw_begin(&c->w, LOCATION_LINE);

			pbw_uint64(&c->w, LINE_FUNCTION_ID, c->func_id[lines[j].func]);
			if (lines[j].line > 0)
				pbw_int64(&c->w, LINE_LINE, lines[j].line);
			pbw_end(&c->w, ltok);
		}
		pbw_end(&c->w, tok);
	}
}

/*
 * A function without a definition file (no DW_AT_decl_file) takes the
 * file of its first line that has one, since pprof's lines carry no file
 * of their own and would otherwise print none.
 */
static const char **function_files(const struct pp *c)
{
	const struct profile *p = c->p;
	const char **files = xcalloc(p->nfuncs + 1, sizeof(*files));

	for (size_t i = 0; i < p->nfuncs; i++)
		files[i] = p->funcs[i].file;
	for (size_t i = 0; i < p->nlocs; i++) {
		const struct prof_line *lines = profile_loc_lines(p, (uint32_t)i);

		for (uint16_t j = 0; c->loc_id[i] && j < p->locs[i].nlines; j++)
			if (!files[lines[j].func] && lines[j].file)
				files[lines[j].func] = lines[j].file;
	}
	return files;
}

static void write_functions(struct pp *c)
{
	const struct profile *p = c->p;
	const char **files = function_files(c);

	for (size_t i = 0; i < p->nfuncs; i++) {
		const struct prof_func *fn = &p->funcs[i];

		if (!c->func_id[i])
			continue;

		size_t tok = pbw_begin(&c->w, PROFILE_FUNCTION);
		int64_t name = str_id(&c->st, fn->name);

		pbw_uint64(&c->w, FUNCTION_ID, c->func_id[i]);
		pbw_int64(&c->w, FUNCTION_NAME, name);
		/* Only the demangled name is kept; it is the best system name there is. */
		pbw_int64(&c->w, FUNCTION_SYSTEM_NAME, name);
		pbw_int64(&c->w, FUNCTION_FILENAME, str_id(&c->st, files[i]));
		if (fn->start_line > 0)
			pbw_int64(&c->w, FUNCTION_START_LINE, fn->start_line);
		pbw_end(&c->w, tok);
	}
	free(files);
}

static void write_body(struct pp *c)
{
	const struct profile *p = c->p;
	const struct render_opts *o = c->o;
	uint64_t period = p->meta.rate_hz ? 1000000000ULL / p->meta.rate_hz : 10000000ULL;
	const char *kind = p->meta.wall_clock ? "wall" : "cpu";
	uint64_t end = p->meta.duration_ns;
	struct aggs g;
	char title[1024];

	value_type(c, PROFILE_SAMPLE_TYPE, "samples", "count");
	value_type(c, PROFILE_SAMPLE_TYPE, kind, "nanoseconds");

	collect_samples(p, o, &g);
	assign_ids(c, &g);
	for (size_t i = 0; i < g.n; i++)
		write_sample(c, &g.v[i], period);
	free(g.v);
	free(g.slots);

	write_mappings(c);
	write_locations(c);
	write_functions(c);

	/* A time window is a profile of just that span. */
	if (o->t_until && o->t_until < end)
		end = o->t_until;
	pbw_int64(&c->w, PROFILE_TIME_NANOS, (int64_t)(p->meta.start_unix_ns + o->t_from));
	pbw_int64(&c->w, PROFILE_DURATION_NANOS, end > o->t_from ? (int64_t)(end - o->t_from) : 0);
	value_type(c, PROFILE_PERIOD_TYPE, kind, "nanoseconds");
	pbw_int64(&c->w, PROFILE_PERIOD, (int64_t)period);

	render_title(p, o, title, sizeof(title));
	pbw_int64(&c->w, PROFILE_COMMENT, str_id(&c->st, strtab_intern(c->scratch, title)));
	if (p->meta.version) {
		char by[128];

		snprintf(by, sizeof(by), "recorded by cprof %s", p->meta.version);
		pbw_int64(&c->w, PROFILE_COMMENT, str_id(&c->st, strtab_intern(c->scratch, by)));
	}
	pbw_int64(&c->w, PROFILE_DEFAULT_SAMPLE_TYPE, str_id(&c->st, kind));
}

/* ---- gzip ---- */

/* Deflate `len` bytes of `data` into f; flush = Z_FINISH on the last piece. */
static int gz_feed(z_stream *zs, FILE *f, const uint8_t *data, size_t len, int flush)
{
	uint8_t out[65536];
	int ret;

	zs->next_in = (Bytef *)data;
	zs->avail_in = (uInt)len;
	do {
		zs->next_out = out;
		zs->avail_out = sizeof(out);
		ret = deflate(zs, flush);
		if (ret == Z_STREAM_ERROR)
			return -EIO;

		size_t have = sizeof(out) - zs->avail_out;

		if (have && fwrite(out, 1, have, f) != have)
			return errno ? -errno : -EIO;
	} while (zs->avail_out == 0 || (flush == Z_FINISH && ret != Z_STREAM_END));
	return 0;
}

static int gz_write(FILE *f, const struct pbw *a, const struct pbw *b)
{
	/*
	 * mtime 0 and OS "unknown" (255): zlib's default header records the
	 * build's OS, and the bytes must not depend on where they were made.
	 */
	gz_header hdr = { .os = 255 };
	z_stream zs;
	int err;

	memset(&zs, 0, sizeof(zs));
	/* 15-bit window + 16: a gzip wrapper rather than zlib's. */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	if (deflateSetHeader(&zs, &hdr) != Z_OK) {
		deflateEnd(&zs);
		return -EINVAL;
	}
	/* uInt is 32 bits: feed the buffers in pieces no larger than that. */
	err = 0;
	for (size_t off = 0; !err && off < a->len; off += 1u << 30)
		err = gz_feed(&zs, f, a->buf + off, MIN(a->len - off, (size_t)1 << 30), Z_NO_FLUSH);
	for (size_t off = 0; !err && off < b->len; off += 1u << 30)
		err = gz_feed(&zs, f, b->buf + off, MIN(b->len - off, (size_t)1 << 30), Z_NO_FLUSH);
	if (!err)
		err = gz_feed(&zs, f, NULL, 0, Z_FINISH);
	deflateEnd(&zs);
	return err;
}

static int pprof_write(FILE *f, const struct profile *p, const struct render_opts *o)
{
	struct pp c = { .p = p, .o = o };
	struct pbw strs;
	int err;

	pbw_init(&c.w);
	pbw_init(&strs);
	strings_init(&c.st);
	c.scratch = strtab_new();

	write_body(&c);
	/* Last, as Go writes it: only now is every string known. */
	for (size_t i = 0; i < c.st.n; i++)
		pbw_string(&strs, PROFILE_STRING_TABLE, c.st.strs[i]);

	errno = 0;
	err = gz_write(f, &c.w, &strs);
	if (!err && ferror(f))
		err = -EIO;

	pbw_release(&strs);
	pbw_release(&c.w);
	strings_release(&c.st);
	strtab_free(c.scratch);
	free(c.loc_id);
	free(c.func_id);
	free(c.mapping_id);
	return err;
}

static const char *const pprof_suffixes[] = { ".pb.gz", ".pprof", ".pb", NULL };

const struct output_format output_pprof = {
	.name = "pprof",
	.suffixes = pprof_suffixes,
	.description = "gzipped pprof profile.proto (go tool pprof, speedscope, Pyroscope)",
	.write = pprof_write,
};
