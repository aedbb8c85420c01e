// SPDX-License-Identifier: MIT
/*
 * The .cprof recording format: the writer, and the metadata table the
 * reader (recfile-load.c) shares. The layout is described in recfile.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "recfile-fmt.h"
#include "recfile.h"
#include "strtab.h"
#include "xalloc.h"

#define META(id, kind, field)                                                                      \
	{                                                                                          \
		id, kind, offsetof(struct prof_meta, field)                                        \
	}

/*
 * Every field of the metadata, by id. The ids are the file format: never
 * renumber or reuse one; new fields take new ids at the end.
 */
const struct meta_field recfile_meta_fields[] = {
	META(1, MK_STR, version),	 META(2, MK_STR, cmdline),
	META(3, MK_STR, host),		 META(4, MK_PID, pid),
	META(5, MK_UINT, rate_hz),	 META(6, MK_BOOL, wall_clock),
	META(7, MK_U64, start_unix_ns),	 META(8, MK_U64, duration_ns),
	META(9, MK_U64, ticks),		 META(10, MK_U64, late_ticks),
	META(11, MK_U64, skipped),	 META(12, MK_U64, lost),
	META(13, MK_U64, unwind_errors), META(14, MK_U64, truncated),
	META(15, MK_U64, pause_p50_ns),	 META(16, MK_U64, pause_p99_ns),
	META(17, MK_U64, pause_max_ns),	 META(18, MK_F64, overhead_pct),
	META(19, MK_INT, exit_status),	 META(20, MK_BOOL, cut_short),
	META(21, MK_STR, title),	 META(22, MK_F64, minwidth),
	META(23, MK_BOOL, threads),	 META(24, MK_BOOL, processes),
	META(25, MK_BOOL, lines),
};

const size_t recfile_nmeta_fields = ARRAY_SIZE(recfile_meta_fields);

const uint8_t recfile_magic[8] = { 0x89, 'C', 'P', 'R', 'O', 'F', '\r', '\n' };

struct buf {
	uint8_t *d;
	size_t len, cap;
};

static void put_bytes(struct buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	b->d = xgrow(b->d, &b->cap, b->len + n, 1);
	memcpy(b->d + b->len, p, n);
	b->len += n;
}

static void put_v(struct buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	while (v >= 0x80) {
		tmp[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t)v;
	put_bytes(b, tmp, n);
}

static void put_z(struct buf *b, int64_t v)
{
	put_v(b, zigzag(v));
}

/* Strings by content, numbered in the order they are first referred to. */
struct strmap {
	const char **keys;
	uint32_t *ids;
	size_t nslots, count;
	struct buf body;
};

static void strmap_grow(struct strmap *m)
{
	size_t n = m->nslots ? m->nslots * 2 : 1024;
	const char **keys = xcalloc(n, sizeof(*keys));
	uint32_t *ids = xcalloc(n, sizeof(*ids));

	for (size_t i = 0; i < m->nslots; i++) {
		if (!m->keys[i])
			continue;
		size_t j = hash_bytes(m->keys[i], strlen(m->keys[i])) & (n - 1);

		while (keys[j])
			j = (j + 1) & (n - 1);
		keys[j] = m->keys[i];
		ids[j] = m->ids[i];
	}
	free(m->keys);
	free(m->ids);
	m->keys = keys;
	m->ids = ids;
	m->nslots = n;
}

static uint64_t strmap_ref(struct strmap *m, const char *s)
{
	if (!s)
		return 0;
	if ((m->count + 1) * 2 > m->nslots)
		strmap_grow(m);

	size_t len = strlen(s);
	size_t i = hash_bytes(s, len) & (m->nslots - 1);

	for (; m->keys[i]; i = (i + 1) & (m->nslots - 1))
		if (!strcmp(m->keys[i], s))
			return (uint64_t)m->ids[i] + 1;
	m->keys[i] = s;
	m->ids[i] = (uint32_t)m->count++;
	put_v(&m->body, len);
	put_bytes(&m->body, s, len);
	return (uint64_t)m->ids[i] + 1;
}

struct writer {
	const struct profile *p;
	struct strmap strs;
	struct buf sec[SEC_LAST + 1];
};

static void write_meta(struct writer *w, const struct render_opts *o)
{
	struct prof_meta m = w->p->meta;
	struct buf *b = &w->sec[SEC_META];

	if (o) {
		m.title = o->title ? o->title : m.title;
		m.minwidth = o->minwidth > 0 ? o->minwidth : m.minwidth;
		m.threads = m.threads || o->threads;
		m.processes = m.processes || o->processes;
		m.lines = m.lines || o->lines;
	}
	for (size_t i = 0; i < recfile_nmeta_fields; i++) {
		const struct meta_field *f = &recfile_meta_fields[i];
		const void *at = (const char *)&m + f->offset;
		enum wire_type wt = f->kind == MK_F64 ? WT_FIXED64 : WT_VARINT;
		uint64_t v = 0;

		switch ((enum meta_kind)f->kind) {
		case MK_STR:
			v = strmap_ref(&w->strs, *(const char *const *)at);
			if (!v)
				continue;
			break;
		case MK_U64: v = *(const uint64_t *)at; break;
		case MK_UINT: v = *(const unsigned int *)at; break;
		case MK_BOOL: v = *(const bool *)at; break;
		case MK_PID: v = zigzag(*(const pid_t *)at); break;
		case MK_INT: v = zigzag(*(const int *)at); break;
		case MK_F64: memcpy(&v, at, sizeof(v)); break;
		}
		put_v(b, (uint64_t)f->id << 3 | wt);
		if (wt == WT_FIXED64) {
			uint8_t d[8];

			le64(d, v);
			put_bytes(b, d, sizeof(d));
		} else {
			put_v(b, v);
		}
	}
}

static void write_tables(struct writer *w)
{
	const struct profile *p = w->p;
	struct buf *b;

	b = &w->sec[SEC_FUNCS];
	put_v(b, p->nfuncs);
	for (size_t i = 0; i < p->nfuncs; i++) {
		put_v(b, strmap_ref(&w->strs, p->funcs[i].name));
		put_v(b, strmap_ref(&w->strs, p->funcs[i].file));
		put_z(b, p->funcs[i].start_line);
	}

	b = &w->sec[SEC_MAPPINGS];
	put_v(b, p->nmappings);
	for (size_t i = 0; i < p->nmappings; i++) {
		const struct prof_mapping *m = &p->mappings[i];

		put_v(b, strmap_ref(&w->strs, m->path));
		put_v(b, strmap_ref(&w->strs, m->build_id));
		put_v(b, m->start);
		put_v(b, m->limit);
		put_v(b, m->offset);
	}

	/* A location's lines are stored with it; the lines table is their concatenation. */
	b = &w->sec[SEC_LOCS];
	put_v(b, p->nlocs);
	for (size_t i = 0; i < p->nlocs; i++) {
		const struct prof_loc *l = &p->locs[i];
		const struct prof_line *ln = profile_loc_lines(p, (uint32_t)i);

		put_v(b, l->address);
		put_v(b, l->mapping);
		put_v(b, l->kind);
		put_v(b, l->nlines);
		for (uint16_t j = 0; j < l->nlines; j++) {
			put_v(b, ln[j].func);
			put_z(b, ln[j].line);
			put_v(b, strmap_ref(&w->strs, ln[j].file));
			put_v(b, ln[j].inlined ? LINE_INLINED : 0);
		}
	}

	b = &w->sec[SEC_STACKS];
	put_v(b, p->nstacks);
	for (size_t i = 0; i < p->nstacks; i++) {
		const uint32_t *locs = profile_stack_locs(p, (uint32_t)i);

		put_v(b, p->stacks[i].n);
		for (uint32_t j = 0; j < p->stacks[i].n; j++)
			put_v(b, locs[j]);
	}

	b = &w->sec[SEC_THREADS];
	put_v(b, p->nthreads);
	for (size_t i = 0; i < p->nthreads; i++) {
		put_z(b, p->threads[i].pid);
		put_z(b, p->threads[i].tid);
		put_v(b, strmap_ref(&w->strs, p->threads[i].name));
	}

	b = &w->sec[SEC_PROCS];
	put_v(b, p->nprocs);
	for (size_t i = 0; i < p->nprocs; i++) {
		put_z(b, p->procs[i].pid);
		put_v(b, strmap_ref(&w->strs, p->procs[i].cmdline));
	}

	/* Deltas in wrapping arithmetic round-trip any values, ordered or not. */
	b = &w->sec[SEC_USAGE];
	put_v(b, p->nusage);
	struct prof_usage prev = { 0 };

	for (size_t i = 0; i < p->nusage; i++) {
		const struct prof_usage *u = &p->usage[i];

		put_z(b, (int64_t)(u->t_ns - prev.t_ns));
		put_z(b, (int64_t)(u->utime_ns - prev.utime_ns));
		put_z(b, (int64_t)(u->stime_ns - prev.stime_ns));
		put_z(b, (int64_t)(u->rss_bytes - prev.rss_bytes));
		prev = *u;
	}
}

static void write_samples(struct writer *w)
{
	const struct profile *p = w->p;
	struct buf *b = &w->sec[SEC_SAMPLES];
	struct prof_iter it;
	struct prof_sample s;
	uint64_t prev_t = 0;

	put_v(b, p->nsamples);
	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s)) {
		/* The timeline is kept monotonic, so the deltas are never negative. */
		put_v(b, s.t_ns - prev_t);
		put_v(b, s.thread);
		put_v(b, s.stack);
		put_v(b, (uint8_t)s.state);
		put_z(b, s.syscall);
		prev_t = s.t_ns;
	}
}

static void free_writer(struct writer *w)
{
	free(w->strs.keys);
	free(w->strs.ids);
	free(w->strs.body.d);
	for (int i = 0; i <= SEC_LAST; i++)
		free(w->sec[i].d);
}

/* The payload: every section, strings first. */
static void encode_payload(const struct profile *p, const struct render_opts *o, struct buf *out)
{
	struct writer w = { .p = p };

	write_meta(&w, o);
	write_tables(&w);
	write_samples(&w);
	put_v(&w.sec[SEC_STRINGS], w.strs.count);
	put_bytes(&w.sec[SEC_STRINGS], w.strs.body.d, w.strs.body.len);
	for (int i = SEC_STRINGS; i <= SEC_LAST; i++) {
		put_v(out, (uint64_t)i);
		put_v(out, w.sec[i].len);
		put_bytes(out, w.sec[i].d, w.sec[i].len);
	}
	free_writer(&w);
}

static int deflate_buf(const struct buf *in, struct buf *out)
{
	z_stream zs = { 0 };
	size_t fed = 0;
	int zr;

	/*
	 * The fastest level: it is written while the user waits at the end of
	 * a recording, and higher levels gain about a tenth in size for three
	 * times the time on samples.
	 */
	if (deflateInit(&zs, Z_BEST_SPEED) != Z_OK)
		return -ENOMEM;
	do {
		if (!zs.avail_in && fed < in->len) {
			uInt n = in->len - fed > ZCHUNK ? ZCHUNK : (uInt)(in->len - fed);

			zs.next_in = in->d + fed;
			zs.avail_in = n;
			fed += n;
		}
		out->d = xgrow(out->d, &out->cap, out->len + 65536, 1);
		size_t room = out->cap - out->len > ZCHUNK ? ZCHUNK : out->cap - out->len;

		zs.next_out = out->d + out->len;
		zs.avail_out = (uInt)room;
		zr = deflate(&zs, fed == in->len ? Z_FINISH : Z_NO_FLUSH);
		out->len += room - zs.avail_out;
	} while (zr == Z_OK || zr == Z_BUF_ERROR);
	deflateEnd(&zs);
	return zr == Z_STREAM_END ? 0 : -EIO;
}

/* Header and stored payload; the CRC goes after them. */
static int encode(const struct profile *p, const struct render_opts *o, bool compress,
		  uint8_t header[HEADER_LEN], struct buf *stored)
{
	struct buf raw = { 0 };
	int err = 0;

	encode_payload(p, o, &raw);
	if (compress) {
		err = deflate_buf(&raw, stored);
	} else {
		*stored = raw;
		raw = (struct buf){ 0 };
	}
	memcpy(header, recfile_magic, sizeof(recfile_magic));
	le32(header + 8, RECFILE_VERSION);
	le32(header + 12, compress ? FLAG_DEFLATE : 0);
	le64(header + 16, stored->len);
	le64(header + 24, compress ? raw.len : stored->len);
	free(raw.d);
	return err;
}

int recfile_encode(const struct profile *p, const struct render_opts *o, bool compress,
		   uint8_t **out, size_t *len)
{
	uint8_t header[HEADER_LEN];
	struct buf stored = { 0 }, file = { 0 };
	uint8_t crc[TRAILER_LEN];
	int err = encode(p, o, compress, header, &stored);

	if (err) {
		free(stored.d);
		return err;
	}
	put_bytes(&file, header, sizeof(header));
	put_bytes(&file, stored.d, stored.len);
	le32(crc, crc_of((uint32_t)crc32(0, NULL, 0), file.d, file.len));
	put_bytes(&file, crc, sizeof(crc));
	free(stored.d);
	*out = file.d;
	*len = file.len;
	return 0;
}

static int cprof_write(FILE *f, const struct profile *p, const struct render_opts *o)
{
	uint8_t header[HEADER_LEN], trailer[TRAILER_LEN];
	struct buf stored = { 0 };
	int err = encode(p, o, true, header, &stored);
	uint32_t crc;

	if (err) {
		free(stored.d);
		return err;
	}
	crc = crc_of((uint32_t)crc32(0, NULL, 0), header, sizeof(header));
	crc = crc_of(crc, stored.d, stored.len);
	le32(trailer, crc);
	if (fwrite(header, 1, sizeof(header), f) != sizeof(header) ||
	    (stored.len && fwrite(stored.d, 1, stored.len, f) != stored.len) ||
	    fwrite(trailer, 1, sizeof(trailer), f) != sizeof(trailer))
		err = -EIO;
	free(stored.d);
	return err;
}

static const char *const cprof_suffixes[] = { RECFILE_SUFFIX, NULL };

const struct output_format output_cprof = {
	.name = "cprof",
	.suffixes = cprof_suffixes,
	.description = "the whole recording, for cprof report",
	.write = cprof_write,
};
