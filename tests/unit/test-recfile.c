// SPDX-License-Identifier: MIT
/*
 * The .cprof recording (src/recfile.c): a round trip keeps every table and
 * field, outputs rendered from a loaded recording are identical, and
 * damaged or hostile files are refused with a message, never a crash.
 */
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <unistd.h>
#include <zlib.h>

#include "analyze.h"
#include "output.h"
#include "profile.h"
#include "recfile.h"
#include "unit.h"
#include "xalloc.h"

#define HDR 32

/* A profile that uses every part of the model. */
static struct profile *build_n(uint32_t nsamples)
{
	struct profile *p = profile_new();
	uint32_t f_main = profile_add_func(p, "main", "/src/t.c", 30);
	uint32_t f_start = profile_add_func(p, "start_thread", NULL, 0);
	uint32_t f_spin = profile_add_func(p, "spin_a", "/src/t.c", -1);
	uint32_t f_inl = profile_add_func(p, "inl_leaf", "/src/inl.h", 3);
	uint32_t f_caller = profile_add_func(p, "inl_caller", "/src/t.c", 20);
	uint32_t f_jit = profile_add_func(p, "jitted \xff\xfe", NULL, 0);
	uint32_t f_trunc = profile_add_func(p, "[truncated]", NULL, 0);
	uint32_t m_exe = profile_add_mapping(p, "/usr/bin/t", "0123abcd", 0x400000, 0x401000, 0);
	uint32_t m_lib = profile_add_mapping(p, "/lib/libc.so.6", NULL, 0x7f0000000000ULL,
					     UINT64_MAX, 0x1000);
	struct prof_line l;
	uint32_t L_main, L_start, L_spin, L_inl, L_jit, L_trunc, L_unknown;

	l = (struct prof_line){ .func = f_main, .line = 33, .file = "/src/t.c" };
	L_main = profile_add_loc(p, 0x400100, m_exe, LOC_NATIVE, &l, 1);
	l = (struct prof_line){ .func = f_start, .line = 0, .file = NULL };
	L_start = profile_add_loc(p, 0x7f0000001234ULL, m_lib, LOC_NATIVE, &l, 1);
	l = (struct prof_line){ .func = f_spin, .line = INT32_MAX, .file = "/src/t.c" };
	L_spin = profile_add_loc(p, UINT64_MAX, m_exe, LOC_NATIVE, &l, 1);
	l = (struct prof_line){ .func = f_jit, .line = -5, .file = "jit" };
	L_jit = profile_add_loc(p, 0x1000, 0, LOC_JIT, &l, 1);
	l = (struct prof_line){ .func = f_trunc };
	L_trunc = profile_add_loc(p, 0, 0, LOC_TRUNCATED, &l, 1);
	L_unknown = profile_add_loc(p, 0xdead, 0, LOC_UNKNOWN, NULL, 0);

	struct prof_line chain[3] = {
		{ .func = f_inl, .line = 4, .file = "/src/inl.h", .inlined = true },
		{ .func = f_inl, .line = 7, .file = "/src/inl.h", .inlined = true },
		{ .func = f_caller, .line = 22, .file = "/src/t.c" },
	};
	L_inl = profile_add_loc(p, 0x400200, m_exe, LOC_NATIVE, chain, 3);

	uint32_t A[] = { L_spin, L_main, L_start };
	uint32_t B[] = { L_inl, L_main };
	uint32_t C[] = { L_jit, L_unknown, L_main, L_trunc };
	uint32_t sA = profile_add_stack(p, A, 3), sB = profile_add_stack(p, B, 2);
	uint32_t sC = profile_add_stack(p, C, 4), sE = profile_add_stack(p, A, 0);
	uint32_t t0 = profile_add_thread(p, 50, 50, "t-threads");
	uint32_t t1 = profile_add_thread(p, 50, 51, "");
	uint32_t t2 = profile_add_thread(p, 60, 61, "child \"x\"");

	profile_add_process(p, 50, "./t-threads --flag");
	profile_add_process(p, 60, "");
	for (uint32_t i = 0; i < nsamples; i++) {
		static const char states[] = "RSDRRt";
		uint32_t stacks[] = { sA, sB, sC, sE };
		struct prof_sample s = {
			.t_ns = (uint64_t)i * 1000003 + (i % 7 == 0 ? 0 : 17),
			.thread = i % 5 == 0 ? t2 : i % 2 ? t1 : t0,
			.stack = stacks[i % 4],
			.state = states[i % 6],
			.syscall = i % 3 == 0 ? -1 : (int32_t)(i % 400),
		};

		profile_add_sample(p, &s);
	}
	/* A usage series with counters that go up and down. */
	for (uint64_t i = 0; i < 50; i++) {
		struct prof_usage u = {
			.t_ns = i * 250000000ULL,
			.utime_ns = i * 10000000ULL,
			.stime_ns = (50 - i) * 1000,
			.rss_bytes = i % 2 ? UINT64_MAX - i : i * 4096,
		};

		profile_add_usage(p, &u);
	}
	struct prof_meta *m = &p->meta;

	m->version = profile_str(p, "0.1.0");
	m->cmdline = profile_str(p, "./t-threads --flag");
	m->host = profile_str(p, "box");
	m->pid = 50;
	m->rate_hz = 997;
	m->wall_clock = true;
	m->start_unix_ns = 1700000000123456789ULL;
	m->duration_ns = 9000000000ULL;
	m->ticks = 1;
	m->late_ticks = 2;
	m->skipped = 3;
	m->lost = 4;
	m->unwind_errors = 5;
	m->truncated = UINT64_MAX;
	m->pause_p50_ns = 6;
	m->pause_p99_ns = 7;
	m->pause_max_ns = 8;
	m->overhead_pct = 1.0 / 3;
	m->exit_status = 0x8b; /* killed by SIGSEGV with a core */
	m->cut_short = true;
	m->title = NULL;
	m->minwidth = 0.25;
	m->threads = true;
	m->processes = false;
	m->lines = true;
	return p;
}

/* More samples than one timeline chunk holds. */
static struct profile *build(void)
{
	return build_n(9000);
}

static void same_str(const char *a, const char *b, int line)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		unit_fail(__FILE__, line, "\"%s\" vs \"%s\"", unit_str(a), unit_str(b));
}

#define SAME_STR(a, b) same_str((a), (b), __LINE__)

static void check_same(const struct profile *a, const struct profile *b)
{
	REQUIRE_EQ_INT(a->nfuncs, b->nfuncs);
	for (size_t i = 0; i < a->nfuncs; i++) {
		SAME_STR(a->funcs[i].name, b->funcs[i].name);
		SAME_STR(a->funcs[i].file, b->funcs[i].file);
		CHECK_EQ_INT(a->funcs[i].start_line, b->funcs[i].start_line);
	}
	REQUIRE_EQ_INT(a->nlines, b->nlines);
	for (size_t i = 0; i < a->nlines; i++) {
		CHECK_EQ_INT(a->lines[i].func, b->lines[i].func);
		CHECK_EQ_INT(a->lines[i].line, b->lines[i].line);
		SAME_STR(a->lines[i].file, b->lines[i].file);
		CHECK_EQ_INT(a->lines[i].inlined, b->lines[i].inlined);
	}
	REQUIRE_EQ_INT(a->nmappings, b->nmappings);
	for (size_t i = 0; i < a->nmappings; i++) {
		SAME_STR(a->mappings[i].path, b->mappings[i].path);
		SAME_STR(a->mappings[i].build_id, b->mappings[i].build_id);
		CHECK_EQ_U64(a->mappings[i].start, b->mappings[i].start);
		CHECK_EQ_U64(a->mappings[i].limit, b->mappings[i].limit);
		CHECK_EQ_U64(a->mappings[i].offset, b->mappings[i].offset);
	}
	REQUIRE_EQ_INT(a->nlocs, b->nlocs);
	for (size_t i = 0; i < a->nlocs; i++) {
		CHECK_EQ_U64(a->locs[i].address, b->locs[i].address);
		CHECK_EQ_INT(a->locs[i].mapping, b->locs[i].mapping);
		CHECK_EQ_INT(a->locs[i].first_line, b->locs[i].first_line);
		CHECK_EQ_INT(a->locs[i].nlines, b->locs[i].nlines);
		CHECK_EQ_INT(a->locs[i].kind, b->locs[i].kind);
	}
	REQUIRE_EQ_INT(a->nstacks, b->nstacks);
	REQUIRE_EQ_INT(a->nstack_locs, b->nstack_locs);
	for (size_t i = 0; i < a->nstacks; i++) {
		CHECK_EQ_INT(a->stacks[i].first, b->stacks[i].first);
		CHECK_EQ_INT(a->stacks[i].n, b->stacks[i].n);
	}
	for (size_t i = 0; i < a->nstack_locs; i++)
		CHECK_EQ_INT(a->stack_locs[i], b->stack_locs[i]);
	REQUIRE_EQ_INT(a->nthreads, b->nthreads);
	for (size_t i = 0; i < a->nthreads; i++) {
		CHECK_EQ_INT(a->threads[i].pid, b->threads[i].pid);
		CHECK_EQ_INT(a->threads[i].tid, b->threads[i].tid);
		SAME_STR(a->threads[i].name, b->threads[i].name);
		CHECK_EQ_U64(a->threads[i].samples, b->threads[i].samples);
	}
	REQUIRE_EQ_INT(a->nprocs, b->nprocs);
	for (size_t i = 0; i < a->nprocs; i++) {
		CHECK_EQ_INT(a->procs[i].pid, b->procs[i].pid);
		SAME_STR(a->procs[i].cmdline, b->procs[i].cmdline);
	}
	REQUIRE_EQ_INT(a->nusage, b->nusage);
	if (a->nusage)
		CHECK_MEMEQ(a->usage, b->usage, a->nusage * sizeof(*a->usage));

	struct prof_iter ia, ib;
	struct prof_sample sa, sb;

	REQUIRE_EQ_U64(a->nsamples, b->nsamples);
	profile_iter_init(&ia);
	profile_iter_init(&ib);
	while (profile_iter_next(a, &ia, &sa)) {
		REQUIRE(profile_iter_next(b, &ib, &sb));
		if (sa.t_ns != sb.t_ns || sa.thread != sb.thread || sa.stack != sb.stack ||
		    sa.state != sb.state || sa.syscall != sb.syscall) {
			FAIL_MSG("sample at %" PRIu64 " differs", sa.t_ns);
			break;
		}
	}
	CHECK(!profile_iter_next(b, &ib, &sb));

	const struct prof_meta *x = &a->meta, *y = &b->meta;

	SAME_STR(x->version, y->version);
	SAME_STR(x->cmdline, y->cmdline);
	SAME_STR(x->host, y->host);
	SAME_STR(x->title, y->title);
	CHECK_EQ_INT(x->pid, y->pid);
	CHECK_EQ_INT(x->rate_hz, y->rate_hz);
	CHECK_EQ_INT(x->wall_clock, y->wall_clock);
	CHECK_EQ_U64(x->start_unix_ns, y->start_unix_ns);
	CHECK_EQ_U64(x->duration_ns, y->duration_ns);
	CHECK_EQ_U64(x->ticks, y->ticks);
	CHECK_EQ_U64(x->late_ticks, y->late_ticks);
	CHECK_EQ_U64(x->skipped, y->skipped);
	CHECK_EQ_U64(x->lost, y->lost);
	CHECK_EQ_U64(x->unwind_errors, y->unwind_errors);
	CHECK_EQ_U64(x->truncated, y->truncated);
	CHECK_EQ_U64(x->pause_p50_ns, y->pause_p50_ns);
	CHECK_EQ_U64(x->pause_p99_ns, y->pause_p99_ns);
	CHECK_EQ_U64(x->pause_max_ns, y->pause_max_ns);
	CHECK(x->overhead_pct == y->overhead_pct);
	CHECK_EQ_INT(x->exit_status, y->exit_status);
	CHECK_EQ_INT(x->cut_short, y->cut_short);
	CHECK(x->minwidth == y->minwidth);
	CHECK_EQ_INT(x->threads, y->threads);
	CHECK_EQ_INT(x->processes, y->processes);
	CHECK_EQ_INT(x->lines, y->lines);
}

static void encode(const struct profile *p, bool compress, uint8_t **d, size_t *n)
{
	REQUIRE_EQ_INT(recfile_encode(p, NULL, compress, d, n), 0);
	REQUIRE_GE_INT(*n, HDR + 4);
}

static struct profile *parse_ok(const uint8_t *d, size_t n)
{
	struct profile *q = NULL;
	char why[256];
	int err = recfile_parse(d, n, &q, why, sizeof(why));

	if (err)
		FAIL_MSG("parse failed: %d %s", err, why);
	REQUIRE_NOT_NULL(q);
	return q;
}

/* Must be refused: the format error, a message, no profile. */
static void parse_bad(const uint8_t *d, size_t n, const char *expect, int line)
{
	struct profile *q = (struct profile *)1;
	char why[256] = "";
	int err = recfile_parse(d, n, &q, why, sizeof(why));

	if (err != RECFILE_EBADFORMAT)
		unit_fail(__FILE__, line, "parse of %zu bytes returned %d, not EBADMSG (%s)", n,
			  err, why);
	if (q)
		unit_fail(__FILE__, line, "a profile came back from a refused file");
	if (!why[0] || strchr(why, '\n'))
		unit_fail(__FILE__, line, "no one-line message: \"%s\"", why);
	if (expect && !strstr(why, expect))
		unit_fail(__FILE__, line, "message \"%s\" lacks \"%s\"", why, expect);
}

#define PARSE_BAD(d, n, expect) parse_bad((d), (n), (expect), __LINE__)

static void put_le(uint8_t *d, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		d[i] = (uint8_t)(v >> (8 * i));
}

/* After editing an uncompressed recording: set its lengths and checksum again. */
static void reseal(uint8_t *d, size_t n)
{
	uint32_t crc = (uint32_t)crc32(0, d, 0);

	put_le(d + 16, n - HDR - 4, 8);
	put_le(d + 24, n - HDR - 4, 8);
	crc = (uint32_t)crc32(crc, d, (uInt)(n - 4));
	put_le(d + n - 4, crc, 4);
}

static char *render(const struct output_format *fmt, const struct profile *p)
{
	struct render_opts o = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	render_opts_from_meta(&o, p);
	REQUIRE_EQ_INT(fmt->write(f, p, &o), 0);
	fclose(f);
	return buf;
}

/* Whatever a file held, a profile that loaded is safe to render and analyze. */
static void render_all(const struct profile *q)
{
	const struct output_format *fmts[] = { &output_folded, &output_speedscope, &output_svg,
					       &output_pprof };
	struct analyze_opts ao = { .by = ANALYZE_BY_LINE };
	struct report_opts ro = { .top = 5 };
	FILE *null = fopen("/dev/null", "w");

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		free(render(fmts[i], q));
	report_write_text(null, q, &ao, &ro);
	report_write_json(null, q, &ao, &ro);
	fclose(null);
}

TEST(round_trip_keeps_everything)
{
	struct profile *p = build();

	for (int compress = 0; compress < 2; compress++) {
		uint8_t *d, *d2;
		size_t n, n2;

		encode(p, compress, &d, &n);
		struct profile *q = parse_ok(d, n);

		check_same(p, q);
		/* Encoding is canonical: the loaded profile encodes to the same bytes. */
		encode(q, compress, &d2, &n2);
		CHECK_EQ_INT(n, n2);
		if (n == n2)
			CHECK_MEMEQ(d, d2, n);
		profile_free(q);
		free(d);
		free(d2);
	}
	profile_free(p);
}

TEST(outputs_render_identically)
{
	const struct output_format *fmts[] = { &output_folded, &output_speedscope, &output_svg,
					       &output_pprof, &output_cprof };
	struct profile *p = build();
	uint8_t *d;
	size_t n;

	encode(p, true, &d, &n);
	struct profile *q = parse_ok(d, n);

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char *a = render(fmts[i], p), *b = render(fmts[i], q);

		if (strcmp(a, b))
			FAIL_MSG("%s output differs after a round trip", fmts[i]->name);
		free(a);
		free(b);
	}
	profile_free(q);
	profile_free(p);
	free(d);
}

TEST(empty_profile)
{
	struct profile *p = profile_new();
	uint8_t *d;
	size_t n;

	encode(p, true, &d, &n);
	struct profile *q = parse_ok(d, n);

	check_same(p, q);
	CHECK_EQ_INT(q->meta.exit_status, -1);
	CHECK_NULL(q->meta.version);
	profile_free(q);
	profile_free(p);
	free(d);
}

TEST(render_options_are_recorded)
{
	struct profile *p = build();
	struct render_opts o = { .title = "my title", .minwidth = 2.5, .processes = true };
	uint8_t *d;
	size_t n;

	REQUIRE_EQ_INT(recfile_encode(p, &o, true, &d, &n), 0);
	struct profile *q = parse_ok(d, n);

	CHECK_STREQ(q->meta.title, "my title");
	CHECK(q->meta.minwidth == 2.5);
	CHECK(q->meta.processes);
	CHECK(q->meta.threads); /* from the profile; options only add */
	profile_free(q);
	profile_free(p);
	free(d);
}

TEST(writer_output_format)
{
	CHECK(output_for_path("run.cprof") == &output_cprof);
	CHECK(output_for_path("RUN.CPROF") == &output_cprof);
	CHECK(output_find("cprof") == &output_cprof);

	/* The FILE writer produces what recfile_encode does. */
	struct profile *p = build();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint8_t *d;
	size_t n;

	REQUIRE_EQ_INT(output_cprof.write(f, p, NULL), 0);
	fclose(f);
	encode(p, true, &d, &n);
	CHECK_EQ_INT(len, n);
	if (len == n)
		CHECK_MEMEQ(buf, d, n);
	free(buf);
	free(d);
	profile_free(p);
}

TEST(truncated_anywhere)
{
	struct profile *p = build();
	uint8_t *d;
	size_t n;

	encode(p, true, &d, &n);
	for (size_t cut = 0; cut < n; cut++)
		PARSE_BAD(d, cut, cut < 8 ? "not a cprof recording" : "truncated");
	free(d);
	profile_free(p);
}

TEST(flipped_bytes_fail_the_checksum)
{
	struct profile *p = build();
	uint8_t *d;
	size_t n;

	encode(p, true, &d, &n);
	for (size_t i = 8; i < n; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			d[i] ^= (uint8_t)(1 << bit);
			PARSE_BAD(d, n, NULL);
			d[i] ^= (uint8_t)(1 << bit);
		}
	}
	struct profile *q = parse_ok(d, n);

	profile_free(q);
	free(d);
	profile_free(p);
}

/*
 * Behind a valid checksum: the payload parser itself must hold against every
 * truncation and flipped byte (an uncompressed recording, resealed).
 */
TEST(payload_damage_behind_a_valid_checksum)
{
	struct profile *p = build_n(200);
	uint8_t *d, *e;
	size_t n;

	encode(p, false, &d, &n);
	e = malloc(n);
	/* Every truncation of the payload. */
	for (size_t cut = HDR; cut < n - 4; cut++) {
		memcpy(e, d, cut);
		memcpy(e + cut, d + n - 4, 4);
		reseal(e, cut + 4);
		PARSE_BAD(e, cut + 4, "corrupt recording");
	}
	/* Every byte of the tables a few ways, and every third of the timeline. */
	unsigned int seed = 1;

	for (size_t i = HDR; i < n - 4; i += i < HDR + 700 ? 1 : 3) {
		static const uint8_t xor[] = { 0x01, 0x80, 0xff, 0x7f, 0x40 };

		for (size_t k = 0; k < sizeof(xor); k++) {
			struct profile *q = NULL;
			char why[256];

			memcpy(e, d, n);
			e[i] ^= xor[k];
			if (k == 4)
				e[i] = (uint8_t)rand_r(&seed);
			reseal(e, n);
			int err = recfile_parse(e, n, &q, why, sizeof(why));

			/* Some changes stay valid (a time, a name); the rest must be refused. */
			if (err) {
				CHECK_EQ_INT(err, RECFILE_EBADFORMAT);
				CHECK_NULL(q);
				CHECK(why[0] != '\0');
			} else {
				REQUIRE_NOT_NULL(q);
				/* Every writer on some of them; all of them would take minutes. */
				if (k == 4)
					render_all(q);
				else
					free(render(&output_folded, q));
				profile_free(q);
			}
		}
	}
	free(e);
	free(d);
	profile_free(p);
}

TEST(garbage_payloads)
{
	unsigned int seed = 7;
	uint8_t buf[HDR + 512 + 4];
	struct profile *p = build();
	uint8_t *d;
	size_t n;

	encode(p, false, &d, &n);
	for (int round = 0; round < 3000; round++) {
		size_t len = HDR + (size_t)(rand_r(&seed) % 512) + 4;
		struct profile *q = NULL;
		char why[256];

		memcpy(buf, d, HDR);
		for (size_t i = HDR; i < len - 4; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		/* Half the time start with a plausible section header. */
		if (round % 2) {
			buf[HDR] = 1;
			buf[HDR + 1] = (uint8_t)(rand_r(&seed) % 128);
		}
		reseal(buf, len);
		if (recfile_parse(buf, len, &q, why, sizeof(why)) == 0) {
			render_all(q);
			profile_free(q);
		}
	}
	/* Compressed garbage too. */
	for (int round = 0; round < 1000; round++) {
		size_t len = HDR + (size_t)(rand_r(&seed) % 512) + 4;
		struct profile *q = NULL;
		char why[256];

		memcpy(buf, d, HDR);
		put_le(buf + 12, 1, 4);
		for (size_t i = HDR; i < len - 4; i++)
			buf[i] = (uint8_t)rand_r(&seed);
		reseal(buf, len);
		put_le(buf + 24, (uint64_t)rand_r(&seed) % 100000, 8);
		put_le(buf + len - 4, (uint32_t)crc32(0, buf, (uInt)(len - 4)), 4);
		CHECK_NE_INT(recfile_parse(buf, len, &q, why, sizeof(why)), 0);
	}
	free(d);
	profile_free(p);
}

TEST(header_checks)
{
	struct profile *p = build();
	uint8_t *d;
	size_t n;

	encode(p, true, &d, &n);
	/* A newer format version is refused by name. */
	put_le(d + 8, 2, 4);
	put_le(d + n - 4, (uint32_t)crc32(0, d, (uInt)(n - 4)), 4);
	PARSE_BAD(d, n, "newer cprof");
	/* Unknown flags. */
	put_le(d + 8, 1, 4);
	put_le(d + 12, 3, 4);
	put_le(d + n - 4, (uint32_t)crc32(0, d, (uInt)(n - 4)), 4);
	PARSE_BAD(d, n, "flags");
	put_le(d + 12, 1, 4);
	/* Declared sizes that lie. */
	put_le(d + 24, 5, 8);
	put_le(d + n - 4, (uint32_t)crc32(0, d, (uInt)(n - 4)), 4);
	PARSE_BAD(d, n, "inflates to more");
	put_le(d + 24, UINT64_MAX - 1, 8);
	put_le(d + n - 4, (uint32_t)crc32(0, d, (uInt)(n - 4)), 4);
	PARSE_BAD(d, n, "corrupt");
	put_le(d + 16, UINT64_MAX - 2, 8);
	PARSE_BAD(d, n, NULL);
	free(d);

	/* Trailing bytes. */
	encode(p, true, &d, &n);
	d = realloc(d, n + 3);
	memset(d + n, 0, 3);
	PARSE_BAD(d, n + 3, "after its end");
	free(d);
	profile_free(p);
}

TEST(other_files_are_named)
{
	static const char svg[] = "<?xml version=\"1.0\"?>\n<svg>";
	static const char json[] = "\n {\"$schema\":1}";
	static const uint8_t gz[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };

	PARSE_BAD((const uint8_t *)svg, sizeof(svg) - 1, "SVG");
	PARSE_BAD((const uint8_t *)json, sizeof(json) - 1, "JSON");
	PARSE_BAD(gz, sizeof(gz), "gzip");
	PARSE_BAD((const uint8_t *)"", 0, "empty");
	PARSE_BAD((const uint8_t *)"hello world, this is text", 25, "not a cprof recording");
}

static size_t get_varint(const uint8_t *d, size_t *off)
{
	size_t v = 0;

	for (int shift = 0;; shift += 7) {
		uint8_t b = d[(*off)++];

		v |= (size_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
}

static size_t put_varint(uint8_t *d, size_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		d[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	d[n++] = (uint8_t)v;
	return n;
}

/*
 * Rebuild an uncompressed recording with `extra` appended to the body of
 * section `tag` and an unknown section placed first. Returns the length.
 */
static size_t extend(const uint8_t *d, size_t n, unsigned int tag, const uint8_t *extra,
		     size_t elen, uint8_t *out)
{
	static const uint8_t unknown[] = { 77, 2, 0xaa, 0xbb };
	size_t off = HDR, w = HDR;

	memcpy(out, d, HDR);
	memcpy(out + w, unknown, sizeof(unknown));
	w += sizeof(unknown);
	while (off < n - 4) {
		size_t t = get_varint(d, &off), len = get_varint(d, &off);
		bool grow = t == tag;

		w += put_varint(out + w, t);
		w += put_varint(out + w, len + (grow ? elen : 0));
		memcpy(out + w, d + off, len);
		w += len;
		off += len;
		if (grow) {
			memcpy(out + w, extra, elen);
			w += elen;
		}
	}
	w += 4;
	reseal(out, w);
	return w;
}

/* Sections and metadata fields a reader does not know are skipped, so formats can grow. */
TEST(unknown_sections_and_fields_are_skipped)
{
	/* Field 500 as varint, fixed64 and bytes: keys 500 << 3 | type. */
	static const uint8_t fields[] = {
		0xa0, 0x1f, 0x05,			  /* varint 5 */
		0xa1, 0x1f, 1, 2, 3, 4, 5, 6, 7, 8,	  /* fixed64 */
		0xa2, 0x1f, 3, 'a', 'b', 'c',		  /* 3 bytes */
	};
	struct profile *p = build();
	uint8_t *d, *e;
	size_t n, m;

	encode(p, false, &d, &n);
	e = malloc(n + 256);
	m = extend(d, n, 2, fields, sizeof(fields), e);
	struct profile *q = parse_ok(e, m);

	check_same(p, q);
	profile_free(q);

	/* A known field with the wrong wire type is an error, not a guess. */
	static const uint8_t wrong[] = { (4 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8 };

	m = extend(d, n, 2, wrong, sizeof(wrong), e);
	PARSE_BAD(e, m, "wire type");
	/* An entry too many in a table: the section has bytes left over, or fails. */
	static const uint8_t junk[] = { 0x01 };

	m = extend(d, n, 3, junk, sizeof(junk), e);
	PARSE_BAD(e, m, "left over");
	free(e);
	free(d);
	profile_free(p);
}

TEST(duplicates_are_refused)
{
	struct profile *p = profile_new();
	uint8_t *d;
	size_t n, off, len;

	profile_add_thread(p, 1, 1, "a");
	profile_add_thread(p, 1, 2, "a");
	encode(p, false, &d, &n);
	/* Find the threads section (7) and make the second thread the first one. */
	off = HDR;
	for (;;) {
		size_t t = get_varint(d, &off);

		len = get_varint(d, &off);
		if (t == 7)
			break;
		off += len;
	}
	/* count, then (pid, tid, name) zigzag-coded: tids 1 and 2 are 2 and 4. */
	REQUIRE_EQ_INT(d[off], 2);
	REQUIRE_EQ_INT(d[off + 2], 2);
	REQUIRE_EQ_INT(d[off + 5], 4);
	d[off + 5] = 2;
	reseal(d, n);
	PARSE_BAD(d, n, "thread 1 is a duplicate");
	free(d);
	profile_free(p);
}

TEST(load_errors)
{
	struct profile *q = (struct profile *)1;
	char why[256] = "", path[] = "/tmp/cprof-test-recfile-XXXXXX";
	int fd;

	CHECK_EQ_INT(recfile_load("/nonexistent/x.cprof", &q, why, sizeof(why)), -ENOENT);
	CHECK_NULL(q);
	CHECK_STREQ(why, strerror(ENOENT));
	CHECK_EQ_INT(recfile_load("/", &q, why, sizeof(why)), -EISDIR);

	/* A file on disk loads like the same bytes in memory. */
	struct profile *p = build();
	uint8_t *d;
	size_t n;

	encode(p, true, &d, &n);
	fd = mkstemp(path);
	REQUIRE(fd >= 0);
	REQUIRE_EQ_INT(write(fd, d, n), n);
	close(fd);
	REQUIRE_EQ_INT(recfile_load(path, &q, why, sizeof(why)), 0);
	check_same(p, q);
	profile_free(q);
	/* And a truncated one is refused. */
	REQUIRE_EQ_INT(truncate(path, (off_t)n - 1), 0);
	CHECK_EQ_INT(recfile_load(path, &q, why, sizeof(why)), RECFILE_EBADFORMAT);
	CHECK_STRSTR(why, "truncated");
	unlink(path);
	free(d);
	profile_free(p);
}

/* A recording whose only stack is empty (a sample where unwinding found nothing). */
TEST(only_an_empty_stack)
{
	struct profile *p = profile_new();
	uint32_t t = profile_add_thread(p, 1, 1, "x");
	uint32_t s;

	/* As the loader does: profile_add_stack would copy to a NULL table. */
	p->stack_locs = xgrow(p->stack_locs, &p->cap_stack_locs, 1, sizeof(*p->stack_locs));
	s = profile_add_stack(p, &t, 0);
	struct prof_sample smp = { .thread = t, .stack = s, .state = 'R', .syscall = -1 };
	uint8_t *d;
	size_t n;

	profile_add_sample(p, &smp);
	encode(p, true, &d, &n);
	struct profile *q = parse_ok(d, n);

	check_same(p, q);
	free(render(&output_folded, q));
	profile_free(q);
	free(d);
	profile_free(p);
}
