// SPDX-License-Identifier: MIT
/*
 * cprof diff's parts: the folded-stacks reader (src/folded-load.c) and the
 * comparison (src/diffcalc.c), on constructed profiles with known changes.
 */
#include <cjson/cJSON.h>
#include <math.h>

#include "diffcalc.h"
#include "folded-load.h"
#include "output.h"
#include "profile.h"
#include "unit.h"

static char why[512];

static struct profile *parse(const char *text)
{
	struct profile *p = NULL;
	int err = folded_parse(text, strlen(text), &p, why, sizeof(why));

	if (err) {
		FAIL_MSG("folded_parse failed (%d): %s", err, why);
		UNIT_END_CASE();
	}
	return p;
}

/* The parse error of text, "" if it parsed. */
static const char *parse_error(const char *text, size_t len)
{
	struct profile *p = NULL;
	int err = folded_parse(text, len, &p, why, sizeof(why));

	profile_free(p);
	if (!err)
		return "";
	CHECK_EQ_INT(err, FOLDED_EBADFORMAT);
	return why;
}

/* The profile as the folded writer prints it, lines joined by '\n'. */
static char *folded_text(const struct profile *p, bool roots)
{
	struct render_opts o = { .threads = roots, .processes = roots };
	struct folded_line *lines;
	size_t n, len = 0;
	char *out = malloc(1);

	out[0] = '\0';
	folded_collect(p, &o, &lines, &n);
	for (size_t i = 0; i < n; i++) {
		size_t add = strlen(lines[i].text) + 32;

		out = realloc(out, len + add);
		len += (size_t)snprintf(out + len, add, "%s %llu\n", lines[i].text,
					(unsigned long long)lines[i].count);
	}
	folded_lines_free(lines, n);
	return out;
}

static const struct diff_row *row(const struct diff *d, const char *label)
{
	for (size_t i = 0; i < d->nrows; i++)
		if (!strcmp(d->rows[i].label, label))
			return &d->rows[i];
	FAIL_MSG("no row '%s'", label);
	UNIT_END_CASE();
	return NULL;
}

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

#define CHECK_NEAR(a, b)                                                                   \
	do {                                                                               \
		double unit_x_ = (a), unit_y_ = (b);                                       \
		if (!near(unit_x_, unit_y_))                                               \
			FAIL_MSG("%s == %s failed: %.12g vs %.12g", #a, #b, unit_x_, unit_y_); \
	} while (0)

/* ---- the reader ---- */

TEST(folded_basic)
{
	struct profile *p = parse("main;work;hot 30\n"
				  "main;work 10\n"
				  "\n"
				  "main;other\t60\r\n"
				  "   \n");

	CHECK_EQ_U64(p->nsamples, 100);
	CHECK_EQ_U64(p->nstacks, 3);
	CHECK_EQ_U64(p->nfuncs, 4); /* main, work, hot, other */
	CHECK_EQ_U64(p->nlocs, 4);
	CHECK_EQ_U64(p->nthreads, 1);
	CHECK(!p->meta.threads && !p->meta.processes);

	/* Stacks are leaf first. */
	uint32_t s0 = 0;
	const uint32_t *locs = profile_stack_locs(p, s0);

	REQUIRE_EQ_INT(p->stacks[s0].n, 3);
	CHECK_STREQ(p->funcs[profile_loc_lines(p, locs[0])[0].func].name, "hot");
	CHECK_STREQ(p->funcs[profile_loc_lines(p, locs[2])[0].func].name, "main");

	char *t = folded_text(p, false);

	CHECK_STREQ(t, "main;other 60\nmain;work 10\nmain;work;hot 30\n");
	free(t);
	profile_free(p);
}

TEST(folded_equal_lines_add_up)
{
	struct profile *p = parse("a;b 1\na;b 2\nname with spaces;x 4\n");
	char *t = folded_text(p, false);

	CHECK_EQ_U64(p->nsamples, 7);
	CHECK_EQ_U64(p->nstacks, 2);
	CHECK_STREQ(t, "a;b 3\nname with spaces;x 4\n");
	free(t);
	profile_free(p);
}

TEST(folded_annotations)
{
	struct profile *p = parse("main;caller;inl_leaf_[i];deeper_[i] 2\n"
				  "main;jitted_[j] 3\n"
				  "main;do_syscall_[k] 1\n"
				  "_[i] 1\n");
	const uint32_t *locs;

	CHECK_EQ_U64(p->nsamples, 7);
	/* Inlined frames share the location of the frame they were inlined into. */
	locs = profile_stack_locs(p, 0);
	REQUIRE_EQ_INT(p->stacks[0].n, 2);
	REQUIRE_EQ_INT(p->locs[locs[0]].nlines, 3);

	const struct prof_line *l = profile_loc_lines(p, locs[0]);

	CHECK_STREQ(p->funcs[l[0].func].name, "deeper");
	CHECK(l[0].inlined);
	CHECK_STREQ(p->funcs[l[1].func].name, "inl_leaf");
	CHECK(l[1].inlined);
	CHECK_STREQ(p->funcs[l[2].func].name, "caller");
	CHECK(!l[2].inlined);
	/* JIT frames keep their kind; kernel annotations are dropped. */
	locs = profile_stack_locs(p, 1);
	CHECK_EQ_INT(p->locs[locs[0]].kind, LOC_JIT);
	CHECK_STREQ(p->funcs[profile_loc_lines(p, locs[0])[0].func].name, "jitted");
	locs = profile_stack_locs(p, 2);
	CHECK_STREQ(p->funcs[profile_loc_lines(p, locs[0])[0].func].name, "do_syscall");
	/* A bare annotation is a name. */
	locs = profile_stack_locs(p, 3);
	CHECK_STREQ(p->funcs[profile_loc_lines(p, locs[0])[0].func].name, "_[i]");

	/* Written back the way it was read (but for the kernel annotation). */
	char *t = folded_text(p, false);

	CHECK_STREQ(t, "_[i] 1\n"
		       "main;caller;inl_leaf_[i];deeper_[i] 2\n"
		       "main;do_syscall 1\n"
		       "main;jitted_[j] 3\n");
	free(t);
	profile_free(p);
}

TEST(folded_inline_first_and_long_chains)
{
	/* An inlined frame with nothing to be inlined into, and a chain longer than a location holds. */
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof(text), "orphan_[i];main");

	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ";in%d_[i]", i);
	snprintf(text + n, sizeof(text) - n, " 5\n");

	struct profile *p = parse(text);
	struct render_opts o = { 0 };
	struct folded_line *lines;
	size_t nl;

	CHECK_EQ_U64(p->nsamples, 5);
	folded_collect(p, &o, &lines, &nl);
	REQUIRE_EQ_INT(nl, 1);
	text[n] = '\0';
	CHECK_STREQ(lines[0].text, text);
	folded_lines_free(lines, nl);
	profile_free(p);
}

TEST(folded_roots)
{
	struct profile *p = parse("[process 10 ./srv --port 1];[thread 11 worker];main;a 2\n"
				  "[process 10 ./srv --port 1];[thread 12];main;b 3\n"
				  "[process 20];main;c 4\n"
				  "[thread 5 x y];[empty] 1\n"
				  "plain;d 6\n"
				  "[thread oops];e 1\n"
				  "[process 1];[thread 2]] 1\n");

	CHECK_EQ_U64(p->nsamples, 18);
	CHECK(p->meta.threads);
	CHECK(p->meta.processes);
	REQUIRE_EQ_INT(p->nprocs, 3);
	CHECK_EQ_INT(p->procs[0].pid, 10);
	CHECK_STREQ(p->procs[0].cmdline, "./srv --port 1");
	CHECK_EQ_INT(p->procs[1].pid, 20);

	uint32_t t;

	REQUIRE((t = profile_find_thread(p, 10, 11)) != UINT32_MAX);
	CHECK_STREQ(p->threads[t].name, "worker");
	CHECK_EQ_U64(p->threads[t].samples, 2);
	REQUIRE((t = profile_find_thread(p, 10, 12)) != UINT32_MAX);
	CHECK_STREQ(p->threads[t].name, "");
	REQUIRE((t = profile_find_thread(p, 20, 20)) != UINT32_MAX);
	CHECK_EQ_U64(p->threads[t].samples, 4);
	REQUIRE((t = profile_find_thread(p, 0, 5)) != UINT32_MAX);
	CHECK_STREQ(p->threads[t].name, "x y");
	/* Lines without roots, and what only looks like a root, are in thread 0. */
	REQUIRE((t = profile_find_thread(p, 0, 0)) != UINT32_MAX);
	CHECK_EQ_U64(p->threads[t].samples, 7);
	REQUIRE((t = profile_find_thread(p, 1, 1)) != UINT32_MAX);
	CHECK_EQ_U64(p->threads[t].samples, 1);

	/* "[empty]" is a sample without frames. */
	bool empty_seen = false;

	for (size_t i = 0; i < p->nstacks; i++)
		empty_seen |= p->stacks[i].n == 0;
	CHECK(empty_seen);
	profile_free(p);
}

TEST(folded_roundtrip_with_roots)
{
	const char *text = "[process 10 ./srv];[thread 11 worker];main;a 2\n"
			   "[process 10 ./srv];[thread 12 io];[truncated];x 1\n"
			   "[process 10 ./srv];[thread 12 io];main;[unknown] 1\n"
			   "[process 10 ./srv];[thread 12 io];main;b_[i] 3\n"
			   "[process 10 ./srv];[thread 13 idle] 4\n";
	struct profile *p = parse(text);
	char *t = folded_text(p, true);

	CHECK_STREQ(t, text);
	free(t);
	profile_free(p);

	/* A sample without frames, spelt the other way. */
	p = parse("[process 10 ./srv];[thread 13 idle];[empty] 4\n");
	t = folded_text(p, true);
	CHECK_STREQ(t, "[process 10 ./srv];[thread 13 idle] 4\n");
	free(t);
	t = folded_text(p, false);
	CHECK_STREQ(t, "[empty] 4\n");
	free(t);
	profile_free(p);
	CHECK_STRSTR(parse_error("[thread 13 idle]; 4", 19), "line 1: frame 1 is empty");
}

TEST(folded_kinds)
{
	struct profile *p = parse("[truncated];main;[unknown] 1\n");
	const uint32_t *locs = profile_stack_locs(p, 0);

	REQUIRE_EQ_INT(p->stacks[0].n, 3);
	CHECK_EQ_INT(p->locs[locs[0]].kind, LOC_UNKNOWN);
	CHECK_EQ_INT(p->locs[locs[1]].kind, LOC_NATIVE);
	CHECK_EQ_INT(p->locs[locs[2]].kind, LOC_TRUNCATED);
	profile_free(p);
}

TEST(folded_empty_input)
{
	struct profile *p = parse("");

	CHECK_EQ_U64(p->nsamples, 0);
	profile_free(p);
	p = parse("\n\n  \n");
	CHECK_EQ_U64(p->nsamples, 0);
	profile_free(p);
	/* A count of zero is a stack without samples. */
	p = parse("a;b 0\n");
	CHECK_EQ_U64(p->nsamples, 0);
	profile_free(p);
}

TEST(folded_errors)
{
	const char *e;

	e = parse_error("a 1\nmain;work\n", 14);
	CHECK_STREQ(e, "line 2: no sample count after the stack (expected 'frame;frame;... COUNT')");
	e = parse_error("a 1\n\nb 1\nmain;work 1.5\n", 23);
	CHECK_STREQ(e, "line 4: sample count '1.5' is not a whole number");
	CHECK_STRSTR(parse_error("a -3", 4), "line 1: sample count '-3' is not a whole number");
	CHECK_STRSTR(parse_error("a 0x10", 6), "not a whole number");
	CHECK_STRSTR(parse_error("a 1e3", 5), "not a whole number");
	CHECK_STRSTR(parse_error("a;;b 3", 6), "line 1: frame 2 is empty");
	CHECK_STRSTR(parse_error(";a 3", 4), "line 1: frame 1 is empty");
	CHECK_STRSTR(parse_error("a; 3", 4), "line 1: frame 2 is empty");
	CHECK_STRSTR(parse_error("   7", 4), "line 1: no frames before the sample count");
	CHECK_STRSTR(parse_error("12", 2), "line 1: no sample count");
	CHECK_STRSTR(parse_error("main;work 3 5", 13), "line 1: two sample counts (3 and 5)");
	CHECK_STRSTR(parse_error("main;a\0b 1", 10), "line 1: a NUL byte");
	CHECK_STRSTR(parse_error("a 1\r\nb x\r\n", 10), "line 2: sample count 'x'");
	/* A frame of digits alone is a name, not a second count. */
	CHECK_STREQ(parse_error("main;12 5", 9), "");
	CHECK_STREQ(parse_error("12 5", 4), "");
}

TEST(folded_error_messages_are_printable)
{
	const char bad[] = "a 1\x01\x1b[31m\xff\xfe"
			   "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	const char *e = parse_error(bad, sizeof(bad) - 1);

	CHECK_STRSTR(e, "not a whole number");
	for (const char *c = e; *c; c++)
		CHECK((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f);
	CHECK(strlen(e) < 200);
}

TEST(folded_limits)
{
	char text[256];

	snprintf(text, sizeof(text), "a %llu\n", FOLDED_MAX_SAMPLES + 1);
	CHECK_STRSTR(parse_error(text, strlen(text)), "line 1: sample count");
	CHECK_STRSTR(parse_error(text, strlen(text)), "too large");
	CHECK_STRSTR(parse_error("a 99999999999999999999999999999999", 34), "too large");
	snprintf(text, sizeof(text), "a %llu\nb %llu\n", FOLDED_MAX_SAMPLES / 2 + 1,
		 FOLDED_MAX_SAMPLES / 2 + 1);
	CHECK_STRSTR(parse_error(text, strlen(text)), "line 2: the sample counts add up");

	/* Too deep. */
	size_t n = 2 * (FOLDED_MAX_DEPTH + 1) + 8;
	char *deep = malloc(n);
	size_t len = 0;

	for (int i = 0; i <= FOLDED_MAX_DEPTH; i++) {
		deep[len++] = 'f';
		deep[len++] = ';';
	}
	len--;
	memcpy(deep + len, " 1", 2);
	len += 2;
	CHECK_STRSTR(parse_error(deep, len), "line 1: more than 65536 frames");
	free(deep);
}

/* Folded text mangled at random never crashes the reader, and fails with a line number. */
TEST(folded_fuzz)
{
	static const char seed[] = "[process 1 x];[thread 2 y];main;a_[i];b_[j] 10\n"
				   "main;work;hot 3\r\n\n[empty] 2\nmain;c_[k] 1\n";
	static const char alphabet[] = ";_[]ijkw 0123456789\n\r\t\0-.xe";
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	char buf[256];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = sizeof(seed) - 1;

		memcpy(buf, seed, len);
		int edits = 1 + iter % 8;

		for (int e = 0; e < edits; e++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			size_t at = rng % (len + 1);
			char c = (rng >> 32) & 1 ? alphabet[(rng >> 40) % (sizeof(alphabet) - 1)]
						 : (char)(rng >> 48);

			switch ((rng >> 20) % 3) {
			case 0: /* replace */
				if (at < len)
					buf[at] = c;
				break;
			case 1: /* insert */
				if (len < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = c;
					len++;
				}
				break;
			default: /* delete */
				if (at < len) {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
				break;
			}
		}
		struct profile *p = NULL;
		int err = folded_parse(buf, len, &p, why, sizeof(why));

		if (err) {
			CHECK(p == NULL);
			if (strncmp(why, "line ", 5)) {
				FAIL_MSG("error without a line number: %s", why);
				break;
			}
		} else {
			REQUIRE_NOT_NULL(p);
			/* Whatever was read can be written and compared. */
			struct diff d;

			diff_compute(p, p, ANALYZE_BY_FUNCTION, &d);
			CHECK_NULL(diff_regression(&d, 0));
			diff_release(&d);
			free(folded_text(p, true));
			profile_free(p);
		}
	}
}

/* ---- the comparison ---- */

/*
 * Base, 400 samples:                 New, 1000 samples:
 *   main;parse       100  25%          main;parse       250  25%
 *   main;work;hot    100  25%          main;work;hot    400  40%
 *   main;work         50  12.5%        main;work         50   5%
 *   main;other       150  37.5%        main;other       200  20%
 *                                      main;wrap;newfn  100  10%
 */
static const char base_text[] = "main;parse 100\nmain;work;hot 100\nmain;work 50\nmain;other 150\n";
static const char new_text[] = "main;parse 250\nmain;work;hot 400\nmain;work 50\nmain;other 200\n"
			       "main;wrap;newfn 100\n";

TEST(diff_shares_normalised)
{
	struct profile *b = parse(base_text), *n = parse(new_text);
	struct diff d;
	const struct diff_row *r;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	CHECK_EQ_U64(d.samples[DIFF_BASE], 400);
	CHECK_EQ_U64(d.samples[DIFF_NEW], 1000);
	CHECK_EQ_INT(d.nrows, 7);

	r = row(&d, "hot");
	CHECK_EQ_U64(r->self[DIFF_BASE], 100);
	CHECK_EQ_U64(r->self[DIFF_NEW], 400);
	CHECK_NEAR(r->self_pct[DIFF_BASE], 25);
	CHECK_NEAR(r->total_pct[DIFF_NEW], 40);
	CHECK_NEAR(r->d_self, 15);
	CHECK_NEAR(r->d_total, 15);

	/* More samples, same share: no change. */
	r = row(&d, "parse");
	CHECK_NEAR(r->d_total, 0);
	CHECK_NEAR(r->d_self, 0);

	r = row(&d, "work");
	CHECK_EQ_U64(r->total[DIFF_BASE], 150);
	CHECK_EQ_U64(r->total[DIFF_NEW], 450);
	CHECK_NEAR(r->d_self, -7.5);
	CHECK_NEAR(r->d_total, 7.5);

	/* Only in one profile: 0% in the other. */
	r = row(&d, "newfn");
	CHECK_EQ_U64(r->total[DIFF_BASE], 0);
	CHECK_NEAR(r->total_pct[DIFF_NEW], 10);
	CHECK_NEAR(r->d_total, 10);
	r = row(&d, "wrap");
	CHECK_NEAR(r->d_self, 0);
	CHECK_NEAR(r->d_total, 10);

	r = row(&d, "main");
	CHECK_NEAR(r->total_pct[DIFF_BASE], 100);
	CHECK_NEAR(r->total_pct[DIFF_NEW], 100);
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

TEST(diff_order)
{
	struct profile *b = parse(base_text), *n = parse(new_text);
	static const char *const want[] = { "other", "hot", "newfn", "wrap", "work", "main", "parse" };
	struct diff d;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	/*
	 * |delta total|, then |delta self| (newfn and wrap both grew 10 points of
	 * total, newfn also of self), then the larger total now (main, parse).
	 */
	REQUIRE_EQ_INT(d.nrows, 7);
	for (size_t i = 0; i < 7; i++)
		CHECK_STREQ(d.rows[i].label, want[i]);
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

TEST(diff_threshold_boundaries)
{
	struct profile *b = parse(base_text), *n = parse(new_text);
	const struct diff_row *r;
	struct diff d;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	/* hot grew by exactly 15 points: that is not more than 15. */
	CHECK_NULL(diff_regression(&d, 15));
	CHECK_NULL(diff_regression(&d, 100));
	r = diff_regression(&d, 14.999999);
	REQUIRE_NOT_NULL(r);
	CHECK_STREQ(r->label, "hot");
	r = diff_regression(&d, 0);
	REQUIRE_NOT_NULL(r);
	CHECK_STREQ(r->label, "hot");
	/* Below hot's growth, the worst is still hot; newfn and wrap are next. */
	r = diff_regression(&d, 10);
	REQUIRE_NOT_NULL(r);
	CHECK_STREQ(r->label, "hot");
	diff_release(&d);

	/* Shrinking is never a regression. */
	diff_compute(n, b, ANALYZE_BY_FUNCTION, &d);
	r = diff_regression(&d, 0);
	REQUIRE_NOT_NULL(r);
	CHECK_STREQ(r->label, "other"); /* 20% -> 37.5% */
	CHECK_NULL(diff_regression(&d, 17.5));
	CHECK_NOT_NULL(diff_regression(&d, 17.49));
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

TEST(diff_threshold_exact_decimals)
{
	/* 10.0% -> 10.1%: 0.1 points, which doubles cannot hold exactly. */
	struct profile *b = parse("main;f 100\nmain 900\n");
	struct profile *n = parse("main;f 101\nmain 899\n");
	struct diff d;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	CHECK_NULL(diff_regression(&d, 0.1));
	CHECK_NOT_NULL(diff_regression(&d, 0.099999));
	diff_release(&d);
	profile_free(b);
	profile_free(n);

	/* 1/3 -> 2/3 of different totals: 33.333...  points. */
	b = parse("main;f 1\nmain 2\n");
	n = parse("main;f 4\nmain 2\n");
	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	CHECK_NOT_NULL(diff_regression(&d, 33.333333));
	CHECK_NULL(diff_regression(&d, 33.333334));
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

TEST(diff_no_change)
{
	struct profile *b = parse(base_text);
	struct profile *n = parse("main;other 300\nmain;work 100\nmain;work;hot 200\nmain;parse 200\n");
	struct diff d;

	/* Twice the samples in the same proportions. */
	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	for (size_t i = 0; i < d.nrows; i++) {
		CHECK_NEAR(d.rows[i].d_self, 0);
		CHECK_NEAR(d.rows[i].d_total, 0);
	}
	CHECK_NULL(diff_regression(&d, 0));
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

TEST(diff_recursion_counts_once)
{
	struct profile *b = parse("main;rec;rec;rec 2\nmain;x 2\n");
	struct profile *n = parse("main;rec;rec 3\nmain;x 1\n");
	struct diff d;
	const struct diff_row *r;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	r = row(&d, "rec");
	CHECK_EQ_U64(r->total[DIFF_BASE], 2);
	CHECK_EQ_U64(r->total[DIFF_NEW], 3);
	CHECK_NEAR(r->total_pct[DIFF_BASE], 50);
	CHECK_NEAR(r->d_total, 25);
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

/* A recording-like profile: functions with files and lines, one inlined. */
static struct profile *recording(int hot_samples)
{
	struct profile *p = profile_new();
	uint32_t f_main = profile_add_func(p, "main", "/src/m.c", 1);
	uint32_t f_hot = profile_add_func(p, "hot", "/src/m.c", 10);
	uint32_t f_inl = profile_add_func(p, "inl", "/src/i.h", 3);
	struct prof_line l;
	uint32_t t = profile_add_thread(p, 1, 1, "main");

	l = (struct prof_line){ .func = f_main, .line = 5, .file = "/src/m.c" };
	uint32_t L_main = profile_add_loc(p, 0x10, 0, LOC_NATIVE, &l, 1);

	l = (struct prof_line){ .func = f_hot, .line = 12, .file = "/src/m.c" };
	uint32_t L_hot12 = profile_add_loc(p, 0x20, 0, LOC_NATIVE, &l, 1);

	l = (struct prof_line){ .func = f_hot, .line = 13, .file = "/src/m.c" };
	uint32_t L_hot13 = profile_add_loc(p, 0x24, 0, LOC_NATIVE, &l, 1);
	struct prof_line chain[2] = {
		{ .func = f_inl, .line = 4, .file = "/src/i.h", .inlined = true },
		{ .func = f_main, .line = 6, .file = "/src/m.c" },
	};
	uint32_t L_inl = profile_add_loc(p, 0x30, 0, LOC_NATIVE, chain, 2);
	uint32_t A[] = { L_hot12, L_main }, B[] = { L_hot13, L_main }, C[] = { L_inl };
	uint32_t sa = profile_add_stack(p, A, 2), sb = profile_add_stack(p, B, 2);
	uint32_t sc = profile_add_stack(p, C, 1);
	struct prof_sample s = { .thread = t, .state = 'R', .syscall = -1 };

	for (int i = 0; i < hot_samples; i++) {
		s.stack = i % 2 ? sb : sa;
		profile_add_sample(p, &s);
	}
	s.stack = sc;
	for (int i = 0; i < 10; i++)
		profile_add_sample(p, &s);
	return p;
}

TEST(diff_by_line)
{
	struct profile *b = recording(10), *n = recording(30);
	struct diff d;
	const struct diff_row *r;

	diff_compute(b, n, ANALYZE_BY_LINE, &d);
	CHECK_EQ_U64(d.samples[DIFF_BASE], 20);
	CHECK_EQ_U64(d.samples[DIFF_NEW], 40);
	r = row(&d, "hot (m.c:12)");
	CHECK_STREQ(r->name, "hot");
	CHECK_STREQ(r->file, "/src/m.c");
	CHECK_EQ_INT(r->line, 12);
	CHECK_NEAR(r->total_pct[DIFF_BASE], 25);
	CHECK_NEAR(r->total_pct[DIFF_NEW], 37.5);
	r = row(&d, "inl (i.h:4)");
	CHECK_NEAR(r->self_pct[DIFF_BASE], 50);
	CHECK_NEAR(r->d_self, -25);
	r = row(&d, "main (m.c:6)");
	CHECK_NEAR(r->self_pct[DIFF_BASE], 0);
	CHECK_NEAR(r->d_total, -25);
	diff_release(&d);

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	r = row(&d, "hot");
	CHECK_STREQ(r->file, "/src/m.c");
	CHECK_EQ_INT(r->line, 10);
	CHECK_NEAR(r->d_total, 25);
	r = row(&d, "main");
	CHECK_NEAR(r->d_total, 0);
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

TEST(diff_recording_against_folded)
{
	/* Matched by name: a recording and folded stacks of the same program compare. */
	struct profile *b = recording(10);
	struct profile *n = parse("main;hot 30\nmain;inl_[i] 10\n");
	struct diff d;
	const struct diff_row *r;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	CHECK_EQ_INT(d.nrows, 3);
	r = row(&d, "hot");
	CHECK_NEAR(r->d_total, 25);
	CHECK_STREQ(r->file, "/src/m.c"); /* from the side that knows it */
	r = row(&d, "inl");
	CHECK_NEAR(r->d_self, -25);
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

TEST(diff_empty_sides)
{
	struct profile *b = parse(""), *n = parse("main;f 3\n");
	struct diff d;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	CHECK_EQ_U64(d.samples[DIFF_BASE], 0);
	CHECK_EQ_INT(d.nrows, 2);
	CHECK_NEAR(row(&d, "f")->d_total, 100);
	CHECK_NOT_NULL(diff_regression(&d, 99.9));
	diff_release(&d);
	diff_compute(n, b, ANALYZE_BY_FUNCTION, &d);
	CHECK_NEAR(row(&d, "f")->d_total, -100);
	CHECK_NULL(diff_regression(&d, 0));
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

static char *report(const struct diff *d, const struct diff_report_opts *o, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	REQUIRE_NOT_NULL(f);
	CHECK_EQ_INT(json ? diff_write_json(f, d, o) : diff_write_text(f, d, o), 0);
	fclose(f);
	return buf;
}

TEST(diff_text_report)
{
	struct profile *b = parse(base_text), *n = parse(new_text);
	struct diff_report_opts o = { .base_name = "base.folded", .new_name = "new.folded",
				      .top = 3, .have_threshold = true, .threshold = 12.5 };
	struct diff d;
	char *t;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	t = report(&d, &o, false);
	CHECK_STRSTR(t, "Base: base.folded, 400 samples\nNew:  new.folded, 1000 samples\n");
	CHECK_STRSTR(t, "Changes by function, top 3 of 7");
	CHECK_STRSTR(t, "\n   37.5%   37.5%    20.0%   20.0%   -17.5   -17.5  other\n"
			"   25.0%   25.0%    40.0%   40.0%   +15.0   +15.0  hot\n"
			"    0.0%    0.0%    10.0%   10.0%   +10.0   +10.0  newfn\n\n");
	CHECK_STRSTR(t, "Threshold 12.5 points: exceeded; hot grew by +15.0 points of total "
			"(25.0% -> 40.0%)\n");
	free(t);
	o.threshold = 15;
	t = report(&d, &o, false);
	CHECK_STRSTR(t, "Threshold 15 points: no total share grew by more\n");
	free(t);
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}

TEST(diff_json_report)
{
	struct profile *b = parse(base_text), *n = parse("main;\xff\xfe 5\nmain;work 5\n");
	struct diff_report_opts o = { .base_name = "b", .new_name = "n", .have_threshold = true,
				      .threshold = 40 };
	struct diff d;
	char *t;

	diff_compute(b, n, ANALYZE_BY_FUNCTION, &d);
	t = report(&d, &o, true);

	cJSON *root = cJSON_Parse(t);

	REQUIRE_NOT_NULL(root);
	CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(root, "base"), "samples")->valuedouble,
		     400);
	CHECK_STREQ(cJSON_GetObjectItem(root, "by")->valuestring, "function");
	CHECK_EQ_INT(cJSON_GetObjectItem(root, "threshold")->valuedouble, 40);

	/* The invalid UTF-8 name grew from 0 to 50%. */
	cJSON *reg = cJSON_GetObjectItem(root, "regression");

	REQUIRE(cJSON_IsObject(reg));
	CHECK_STREQ(cJSON_GetObjectItem(reg, "function")->valuestring, "\xef\xbf\xbd\xef\xbf\xbd");
	CHECK_EQ_INT(cJSON_GetObjectItem(reg, "delta_total_pct")->valuedouble, 50);

	cJSON *rows = cJSON_GetObjectItem(root, "changes");

	CHECK_EQ_INT(cJSON_GetArraySize(rows), (int)d.nrows);
	cJSON *first = cJSON_GetArrayItem(rows, 0);

	CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(first, "new"), "total")->valuedouble,
		     5);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(first, "file")));
	cJSON_Delete(root);
	free(t);
	diff_release(&d);
	profile_free(b);
	profile_free(n);
}
