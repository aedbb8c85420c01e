// SPDX-License-Identifier: MIT
/*
 * The .cprof recording format: the reader (layout in recfile.h).
 *
 * It is written for hostile input: every length is checked against
 * the bytes left, every index against its table, and every count against
 * the bytes that could hold that many entries, so a damaged file costs an
 * error message, never a crash or an allocation out of proportion to it.
 *
 * Tables are rebuilt through the profile_add_* functions rather than copied,
 * so a loaded profile has the same indexes (and can be added to) like one
 * that was recorded. Those functions deduplicate; a recording never holds
 * two equal entries, so an entry that comes back with another index marks
 * the file as corrupt instead of silently shifting every later reference.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "readall.h"
#include "recfile-fmt.h"
#include "recfile.h"
#include "strtab.h"
#include "xalloc.h"

static const char *const section_names[] = {
	[SEC_STRINGS] = "strings",   [SEC_META] = "metadata",	[SEC_FUNCS] = "functions",
	[SEC_MAPPINGS] = "mappings", [SEC_LOCS] = "locations",	[SEC_STACKS] = "stacks",
	[SEC_THREADS] = "threads",   [SEC_PROCS] = "processes", [SEC_USAGE] = "usage",
	[SEC_SAMPLES] = "samples",
};

/* A bounded cursor. Reading past the end yields zeros and sets `over`. */
struct rd {
	const uint8_t *p, *end;
	bool over;
};

static size_t rd_left(const struct rd *r)
{
	return (size_t)(r->end - r->p);
}

static uint64_t get_v(struct rd *r)
{
	uint64_t v = 0;

	for (unsigned int shift = 0; shift < 64; shift += 7) {
		if (r->p >= r->end)
			break;
		uint8_t b = *r->p++;

		/* The tenth byte may only hold the top bit of a 64-bit value. */
		if (shift == 63 && b > 1)
			break;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->over = true;
	r->p = r->end;
	return 0;
}

static int64_t get_z(struct rd *r)
{
	return unzigzag(get_v(r));
}

struct loader {
	struct profile *p;
	const char **strs; /* interned in p; a reference is an index + 1 */
	size_t nstrs;
	enum section sec;
	int err; /* the first error; later ones would only be its echoes */
	char *why;
	size_t whylen;
};

static int ATTR_PRINTF(2, 3) bad(struct loader *l, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	if (l->err)
		return l->err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (l->sec)
		snprintf(l->why, l->whylen, "corrupt recording: %s: %s", section_names[l->sec],
			 what);
	else
		snprintf(l->why, l->whylen, "corrupt recording: %s", what);
	l->err = RECFILE_EBADFORMAT;
	return l->err;
}

/* A count of entries of at least `min_bytes` each: no more than could fit. */
static size_t get_count(struct loader *l, struct rd *r, size_t min_bytes)
{
	uint64_t v = get_v(r);

	if (r->over) {
		bad(l, "truncated count");
		return 0;
	}
	if (v > rd_left(r) / min_bytes) {
		bad(l, "%llu entries cannot fit in %zu bytes", (unsigned long long)v, rd_left(r));
		return 0;
	}
	return (size_t)v;
}

static const char *get_str(struct loader *l, struct rd *r)
{
	uint64_t ref = get_v(r);

	if (ref > l->nstrs) {
		bad(l, "string %llu out of range (%zu strings)", (unsigned long long)ref, l->nstrs);
		return NULL;
	}
	return ref ? l->strs[ref - 1] : NULL;
}

static int32_t get_i32(struct loader *l, struct rd *r, const char *what)
{
	int64_t v = get_z(r);

	if (v < INT32_MIN || v > INT32_MAX) {
		bad(l, "%s %lld out of range", what, (long long)v);
		return 0;
	}
	return (int32_t)v;
}

/* After each entry: a truncated one is reported as such, before what it led to. */
static int entry_done(struct loader *l, struct rd *r, const char *what, size_t i)
{
	if (r->over) {
		l->err = 0;
		return bad(l, "%s %zu truncated", what, i);
	}
	return l->err;
}

static int load_strings(struct loader *l, struct rd *r)
{
	size_t n = get_count(l, r, 1);

	l->strs = xcalloc(n ? n : 1, sizeof(*l->strs));
	for (size_t i = 0; i < n && !l->err; i++) {
		uint64_t len = get_v(r);

		if (r->over || len > rd_left(r))
			return bad(l, "string %zu truncated", i);
		if (memchr(r->p, '\0', (size_t)len))
			return bad(l, "string %zu contains a NUL byte", i);
		l->strs[i] = strtab_intern_len(l->p->strings, (const char *)r->p, (size_t)len);
		l->nstrs = i + 1;
		r->p += len;
	}
	return l->err;
}

static int meta_field(struct loader *l, uint64_t id, unsigned int wt, uint64_t v)
{
	const struct meta_field *f = NULL;
	int64_t sv = unzigzag(v);
	void *at;
	double d;

	for (size_t i = 0; i < recfile_nmeta_fields && !f; i++)
		if (recfile_meta_fields[i].id == id)
			f = &recfile_meta_fields[i];
	if (!f)
		return 0; /* a newer cprof's field */
	if (wt != (f->kind == MK_F64 ? WT_FIXED64 : WT_VARINT))
		return bad(l, "field %llu has wire type %u", (unsigned long long)id, wt);
	at = (char *)&l->p->meta + f->offset;
	switch ((enum meta_kind)f->kind) {
	case MK_STR:
		if (v > l->nstrs)
			return bad(l, "field %llu: string %llu out of range (%zu strings)",
				   (unsigned long long)id, (unsigned long long)v, l->nstrs);
		*(const char **)at = v ? l->strs[v - 1] : NULL;
		break;
	case MK_U64: *(uint64_t *)at = v; break;
	case MK_UINT:
		if (v > UINT_MAX)
			return bad(l, "field %llu: %llu out of range", (unsigned long long)id,
				   (unsigned long long)v);
		*(unsigned int *)at = (unsigned int)v;
		break;
	case MK_BOOL: *(bool *)at = v != 0; break;
	case MK_PID:
		if (sv < 0 || sv > INT32_MAX)
			return bad(l, "pid %lld out of range", (long long)sv);
		*(pid_t *)at = (pid_t)sv;
		break;
	case MK_INT:
		if (sv < INT_MIN || sv > INT_MAX)
			return bad(l, "field %llu: %lld out of range", (unsigned long long)id,
				   (long long)sv);
		*(int *)at = (int)sv;
		break;
	case MK_F64:
		memcpy(&d, &v, sizeof(d));
		/* Doubles are render options and statistics: no NaN, no negative widths. */
		if (!isfinite(d) || d < 0)
			return bad(l, "field %llu is not a number", (unsigned long long)id);
		*(double *)at = d;
		break;
	}
	return 0;
}

static int load_meta(struct loader *l, struct rd *r)
{
	while (rd_left(r) && !l->err) {
		uint64_t key = get_v(r), v = 0;
		unsigned int wt = (unsigned int)(key & 7);

		switch (wt) {
		case WT_VARINT: v = get_v(r); break;
		case WT_FIXED64:
			if (rd_left(r) < 8) {
				r->over = true;
				break;
			}
			v = get_le64(r->p);
			r->p += 8;
			break;
		case WT_BYTES:
			v = get_v(r);
			if (v > rd_left(r))
				r->over = true;
			else
				r->p += v;
			break;
		default:
			if (!r->over)
				return bad(l, "field %llu has unknown wire type %u",
					   (unsigned long long)(key >> 3), wt);
		}
		if (r->over)
			return bad(l, "truncated field");
		meta_field(l, key >> 3, wt, v);
	}
	return l->err;
}

static int load_funcs(struct loader *l, struct rd *r)
{
	size_t n = get_count(l, r, 3);

	for (size_t i = 0; i < n && !l->err; i++) {
		const char *name = get_str(l, r), *file = get_str(l, r);
		int32_t line = get_i32(l, r, "start line");

		if (entry_done(l, r, "function", i))
			break;
		if (!name)
			return bad(l, "function %zu has no name", i);
		if (profile_add_func(l->p, name, file, line) != i)
			return bad(l, "function %zu is a duplicate", i);
	}
	return l->err;
}

static int load_mappings(struct loader *l, struct rd *r)
{
	size_t n = get_count(l, r, 5);

	for (size_t i = 0; i < n && !l->err; i++) {
		const char *path = get_str(l, r), *build_id = get_str(l, r);
		uint64_t start = get_v(r), limit = get_v(r), offset = get_v(r);

		if (entry_done(l, r, "mapping", i))
			break;
		if (!path)
			return bad(l, "mapping %zu has no path", i);
		if (profile_add_mapping(l->p, path, build_id, start, limit, offset) != i + 1)
			return bad(l, "mapping %zu is a duplicate", i);
	}
	return l->err;
}

static int load_locs(struct loader *l, struct rd *r)
{
	struct prof_line lines[MAX_LOC_LINES];
	size_t n = get_count(l, r, 4);

	for (size_t i = 0; i < n && !l->err; i++) {
		uint64_t address = get_v(r), mapping = get_v(r), kind = get_v(r), nlines = get_v(r);

		if (entry_done(l, r, "location", i))
			break;
		if (mapping > l->p->nmappings)
			return bad(l, "location %zu: mapping %llu out of range", i,
				   (unsigned long long)mapping);
		if (kind > LOC_TRUNCATED)
			return bad(l, "location %zu: unknown kind %llu", i,
				   (unsigned long long)kind);
		if (nlines > MAX_LOC_LINES)
			return bad(l, "location %zu: %llu lines (at most %d)", i,
				   (unsigned long long)nlines, MAX_LOC_LINES);
		for (size_t j = 0; j < nlines; j++) {
			uint64_t func = get_v(r);
			int32_t line = get_i32(l, r, "line");
			const char *file = get_str(l, r);
			uint64_t flags = get_v(r);

			if (entry_done(l, r, "location", i))
				return l->err;
			if (func >= l->p->nfuncs)
				return bad(l, "location %zu: function %llu out of range", i,
					   (unsigned long long)func);
			if (flags & ~(uint64_t)LINE_INLINED)
				return bad(l, "location %zu: unknown line flags %#llx", i,
					   (unsigned long long)flags);
			lines[j] = (struct prof_line){
				.func = (uint32_t)func,
				.line = line,
				.file = file,
				.inlined = flags & LINE_INLINED,
			};
		}
		if (profile_add_loc(l->p, address, (uint32_t)mapping, (enum loc_kind)kind, lines,
				    (size_t)nlines) != i)
			return bad(l, "location %zu is a duplicate", i);
	}
	return l->err;
}

static int load_stacks(struct loader *l, struct rd *r)
{
	uint32_t *locs = NULL;
	size_t cap = 0, n = get_count(l, r, 1);

	/*
	 * profile_add_stack copies into the table even for an empty stack;
	 * a table that exists keeps that copy off a NULL pointer.
	 */
	l->p->stack_locs =
		xgrow(l->p->stack_locs, &l->p->cap_stack_locs, 1, sizeof(*l->p->stack_locs));

	for (size_t i = 0; i < n && !l->err; i++) {
		uint64_t depth = get_v(r);

		if (r->over || depth > rd_left(r)) {
			bad(l, "stack %zu truncated", i);
			break;
		}
		/* Never NULL: profile_add_stack copies from it even for no frames. */
		locs = xgrow(locs, &cap, depth ? (size_t)depth : 1, sizeof(*locs));
		for (size_t j = 0; j < depth && !l->err; j++) {
			uint64_t loc = get_v(r);

			if (entry_done(l, r, "stack", i))
				break;
			if (loc >= l->p->nlocs)
				bad(l, "stack %zu: location %llu out of range", i,
				    (unsigned long long)loc);
			locs[j] = (uint32_t)loc;
		}
		if (!l->err && profile_add_stack(l->p, locs, (size_t)depth) != i)
			bad(l, "stack %zu is a duplicate", i);
	}
	free(locs);
	return l->err;
}

static int load_threads(struct loader *l, struct rd *r)
{
	size_t n = get_count(l, r, 3);

	for (size_t i = 0; i < n && !l->err; i++) {
		int32_t pid = get_i32(l, r, "pid"), tid = get_i32(l, r, "tid");
		const char *name = get_str(l, r);

		if (entry_done(l, r, "thread", i))
			break;
		if (profile_add_thread(l->p, pid, tid, name) != i)
			return bad(l, "thread %zu is a duplicate", i);
	}
	return l->err;
}

static int load_procs(struct loader *l, struct rd *r)
{
	size_t n = get_count(l, r, 2);

	for (size_t i = 0; i < n && !l->err; i++) {
		int32_t pid = get_i32(l, r, "pid");
		const char *cmdline = get_str(l, r);

		if (entry_done(l, r, "process", i))
			break;
		if (profile_add_process(l->p, pid, cmdline) != i)
			return bad(l, "process %zu is a duplicate", i);
	}
	return l->err;
}

static int load_usage(struct loader *l, struct rd *r)
{
	struct prof_usage u = { 0 };
	size_t n = get_count(l, r, 4);

	for (size_t i = 0; i < n && !l->err; i++) {
		u.t_ns += (uint64_t)get_z(r);
		u.utime_ns += (uint64_t)get_z(r);
		u.stime_ns += (uint64_t)get_z(r);
		u.rss_bytes += (uint64_t)get_z(r);
		if (entry_done(l, r, "entry", i))
			break;
		profile_add_usage(l->p, &u);
	}
	return l->err;
}

static int load_samples(struct loader *l, struct rd *r)
{
	struct prof_sample s = { 0 };
	size_t n = get_count(l, r, 5);

	for (size_t i = 0; i < n && !l->err; i++) {
		uint64_t dt = get_v(r), thread = get_v(r), stack = get_v(r), state = get_v(r);
		int64_t sc = get_z(r);

		if (entry_done(l, r, "sample", i))
			break;
		if (s.t_ns + dt < s.t_ns)
			return bad(l, "sample %zu: time overflows", i);
		if (thread >= l->p->nthreads)
			return bad(l, "sample %zu: thread %llu out of range", i,
				   (unsigned long long)thread);
		if (stack >= l->p->nstacks)
			return bad(l, "sample %zu: stack %llu out of range", i,
				   (unsigned long long)stack);
		if (state > UINT8_MAX)
			return bad(l, "sample %zu: state %llu out of range", i,
				   (unsigned long long)state);
		if (sc < INT32_MIN || sc > INT32_MAX)
			return bad(l, "sample %zu: system call %lld out of range", i,
				   (long long)sc);
		s.t_ns += dt;
		s.thread = (uint32_t)thread;
		s.stack = (uint32_t)stack;
		s.state = (char)(uint8_t)state;
		s.syscall = (int32_t)sc;
		profile_add_sample(l->p, &s);
	}
	return l->err;
}

typedef int (*section_fn)(struct loader *l, struct rd *r);

static const section_fn section_loaders[] = {
	[SEC_STRINGS] = load_strings,	[SEC_META] = load_meta,	  [SEC_FUNCS] = load_funcs,
	[SEC_MAPPINGS] = load_mappings, [SEC_LOCS] = load_locs,	  [SEC_STACKS] = load_stacks,
	[SEC_THREADS] = load_threads,	[SEC_PROCS] = load_procs, [SEC_USAGE] = load_usage,
	[SEC_SAMPLES] = load_samples,
};

static int load_payload(struct loader *l, const uint8_t *d, size_t len)
{
	struct rd r = { d, d + len, false };
	uint64_t last = 0;

	while (rd_left(&r)) {
		uint64_t tag = get_v(&r), slen = get_v(&r);

		if (r.over || slen > rd_left(&r))
			return bad(l, "section %llu truncated", (unsigned long long)tag);

		struct rd body = { r.p, r.p + slen, false };

		r.p += slen;
		if (tag == 0)
			return bad(l, "section 0");
		if (tag > SEC_LAST)
			continue; /* a newer cprof's addition */
		if (tag <= last)
			return bad(l, "section %s out of order", section_names[tag]);
		if (tag != last + 1)
			return bad(l, "section %s missing", section_names[last + 1]);
		last = tag;
		l->sec = (enum section)tag;

		int err = section_loaders[tag](l, &body);

		if (err)
			return err;
		if (rd_left(&body))
			return bad(l, "%zu bytes left over", rd_left(&body));
		l->sec = 0;
	}
	if (last != SEC_LAST)
		return bad(l, "section %s missing", section_names[last + 1]);
	return 0;
}

static int inflate_payload(const uint8_t *src, size_t srclen, size_t rawlen, uint8_t **out,
			   struct loader *l)
{
	z_stream zs = { 0 };
	size_t fed = 0, have = 0;
	/* Grow with the output rather than trust the declared size up front. */
	size_t cap = MIN(rawlen + 1, srclen * 4 + 4096);
	uint8_t *buf = malloc(cap);
	int err = 0;

	if (!buf || inflateInit(&zs) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	for (;;) {
		if (!zs.avail_in && fed < srclen) {
			uInt n = srclen - fed > ZCHUNK ? ZCHUNK : (uInt)(srclen - fed);

			zs.next_in = src + fed;
			zs.avail_in = n;
			fed += n;
		}
		if (have == cap) {
			/* One byte beyond the declared size is enough to know it lied. */
			if (cap > rawlen) {
				err = bad(l, "payload inflates to more than %zu bytes", rawlen);
				break;
			}
			size_t ncap = cap > (rawlen + 1) / 2 ? rawlen + 1 : cap * 2;
			uint8_t *nb = realloc(buf, ncap);

			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		size_t room = MIN(cap - have, (size_t)ZCHUNK);

		zs.next_out = buf + have;
		zs.avail_out = (uInt)room;
		int zr = inflate(&zs, Z_NO_FLUSH);

		have += room - zs.avail_out;
		if (zr == Z_STREAM_END)
			break;
		if (zr == Z_BUF_ERROR && zs.avail_out && !zs.avail_in && fed == srclen) {
			err = bad(l, "compressed payload truncated");
			break;
		}
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			err = zr == Z_MEM_ERROR ? -ENOMEM
						: bad(l, "compressed payload: %s",
						      zs.msg ? zs.msg : "invalid data");
			break;
		}
	}
	if (!err && have != rawlen)
		err = bad(l, "payload is %zu bytes, not %zu", have, rawlen);
	if (!err && (zs.avail_in || fed < srclen))
		err = bad(l, "data after the compressed payload");
	inflateEnd(&zs);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

static int not_a_recording(struct loader *l, const uint8_t *d, size_t len)
{
	const char *what = NULL;

	/* Other cprof outputs are the likely mistake; say which. */
	switch (file_kind_of((const char *)d, len)) {
	case FILE_SVG: what = "an SVG file"; break;
	case FILE_JSON: what = "a JSON file"; break;
	case FILE_GZIP: what = "a gzip file (pprof?)"; break;
	case FILE_UNKNOWN: break;
	}
	if (!len)
		snprintf(l->why, l->whylen, "not a cprof recording (empty file)");
	else if (what)
		snprintf(l->why, l->whylen,
			 "not a cprof recording but %s (record with -o FILE" RECFILE_SUFFIX ")",
			 what);
	else
		snprintf(l->why, l->whylen, "not a cprof recording");
	return RECFILE_EBADFORMAT;
}

int recfile_parse(const uint8_t *data, size_t len, struct profile **out, char *why, size_t whylen)
{
	struct loader l = { .why = why, .whylen = whylen };
	uint8_t *inflated = NULL;
	const uint8_t *payload;
	uint32_t version, flags;
	uint64_t stored, raw;
	int err;

	*out = NULL;
	if (whylen)
		why[0] = '\0';
	if (len < sizeof(recfile_magic) || memcmp(data, recfile_magic, sizeof(recfile_magic)))
		return not_a_recording(&l, data, len);
	if (len < HEADER_LEN) {
		snprintf(why, whylen, "truncated recording (%zu bytes, the header alone is %d)",
			 len, HEADER_LEN);
		return RECFILE_EBADFORMAT;
	}
	version = get_le32(data + 8);
	flags = get_le32(data + 12);
	stored = get_le64(data + 16);
	raw = get_le64(data + 24);
	if (version > RECFILE_VERSION) {
		snprintf(why, whylen,
			 "recording from a newer cprof (format version %u; this cprof reads up "
			 "to %d)",
			 version, RECFILE_VERSION);
		return RECFILE_EBADFORMAT;
	}
	if (version == 0)
		return bad(&l, "format version 0");
	size_t body = len - HEADER_LEN;

	if (body < TRAILER_LEN || stored > body - TRAILER_LEN) {
		if (stored > UINT64_MAX - HEADER_LEN - TRAILER_LEN)
			return bad(&l, "payload of %llu bytes", (unsigned long long)stored);
		snprintf(why, whylen, "truncated recording (%zu of %llu bytes)", len,
			 (unsigned long long)(stored + HEADER_LEN + TRAILER_LEN));
		return RECFILE_EBADFORMAT;
	}
	if (stored < body - TRAILER_LEN)
		return bad(&l, "%llu bytes after its end",
			   (unsigned long long)(body - TRAILER_LEN - stored));
	if (crc_of((uint32_t)crc32(0, NULL, 0), data, len - TRAILER_LEN) !=
	    get_le32(data + len - TRAILER_LEN))
		return bad(&l, "checksum mismatch");
	if (flags & ~FLAG_DEFLATE) {
		snprintf(why, whylen,
			 "recording uses features this cprof does not know (flags %#x)", flags);
		return RECFILE_EBADFORMAT;
	}
	payload = data + HEADER_LEN;
	if (flags & FLAG_DEFLATE) {
		if (raw >= SIZE_MAX)
			return bad(&l, "payload of %llu bytes", (unsigned long long)raw);
		err = inflate_payload(payload, (size_t)stored, (size_t)raw, &inflated, &l);
		if (err)
			return err;
		payload = inflated;
	} else if (raw != stored) {
		return bad(&l, "payload is %llu bytes, not %llu", (unsigned long long)stored,
			   (unsigned long long)raw);
	}
	l.p = profile_new();
	err = load_payload(&l, payload, (size_t)raw);
	free(inflated);
	free(l.strs);
	if (err) {
		profile_free(l.p);
		return err;
	}
	*out = l.p;
	return 0;
}

int recfile_load(const char *path, struct profile **out, char *why, size_t whylen)
{
	char *data = NULL;
	size_t len = 0;
	int err;

	*out = NULL;
	err = read_path(path, SIZE_MAX, &data, &len);
	if (err) {
		snprintf(why, whylen, "%s", strerror(-err));
		return err;
	}
	err = recfile_parse((const uint8_t *)data, len, out, why, whylen);
	if (err && err != RECFILE_EBADFORMAT)
		snprintf(why, whylen, "%s", strerror(-err));
	free(data);
	return err;
}
