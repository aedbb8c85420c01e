// SPDX-License-Identifier: MIT
/*
 * The flame tree (src/flame.c) and the SVG writer (src/output-svg.c), fed
 * hand-built profiles: merging and layout, escaping, label fitting, pruning,
 * the render window, thread and process roots, frame colours, differential
 * mode, empty profiles and write errors.
 */
#include <stdio.h>

#include "flame.h"
#include "output.h"
#include "profile.h"
#include "unit.h"

/* ---- building profiles ---- */

static uint64_t now_ns;

static uint32_t loc_kind(struct profile *p, const char *name, enum loc_kind kind, bool inlined)
{
	struct prof_line l = { .func = profile_add_func(p, name, NULL, 0), .inlined = inlined };

	return profile_add_loc(p, 0, 0, kind, &l, 1);
}

/* A stack from "root;...;leaf". A "!" suffix marks an inlined frame. */
static uint32_t stack_of(struct profile *p, const char *path, enum loc_kind kind)
{
	uint32_t locs[64];
	size_t n = 0;
	char buf[4096], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *tok = strtok_r(buf, ";", &save); tok && n < 64;
	     tok = strtok_r(NULL, ";", &save)) {
		size_t len = strlen(tok);
		bool inl = len && tok[len - 1] == '!';

		if (inl)
			tok[len - 1] = '\0';
		locs[n++] = loc_kind(p, tok, kind, inl);
	}
	/* Stacks are stored leaf first. */
	for (size_t i = 0; i < n / 2; i++) {
		uint32_t t = locs[i];

		locs[i] = locs[n - 1 - i];
		locs[n - 1 - i] = t;
	}
	return profile_add_stack(p, locs, n);
}

static void add_stack(struct profile *p, uint32_t thread, uint32_t stack, int count)
{
	for (int i = 0; i < count; i++) {
		struct prof_sample s = {
			.t_ns = now_ns,
			.thread = thread,
			.stack = stack,
			.state = 'R',
			.syscall = -1,
		};

		profile_add_sample(p, &s);
		now_ns += 10000000;
	}
}

static void add(struct profile *p, uint32_t thread, const char *path, int count)
{
	add_stack(p, thread, stack_of(p, path, LOC_NATIVE), count);
}

static struct profile *new_profile(uint32_t *thread)
{
	struct profile *p = profile_new();

	now_ns = 0;
	p->meta.cmdline = profile_str(p, "prog --x");
	p->meta.pid = 42;
	p->meta.rate_hz = 100;
	p->meta.duration_ns = 2000000000;
	profile_add_process(p, 42, "prog --x");
	*thread = profile_add_thread(p, 42, 42, "prog");
	return p;
}

/* ---- rendering ---- */

static char *render(const struct profile *p, const struct render_opts *o, int *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	*err = output_svg.write(f, p, o);
	fclose(f);
	return buf;
}

static char *render_ok(const struct profile *p, const struct render_opts *o)
{
	int err = 1;
	char *svg = render(p, o, &err);

	if (!svg || err) {
		FAIL_MSG("render failed: %d", err);
		UNIT_END_CASE();
	}
	return svg;
}

/*
 * A cheap well-formedness check: outside CDATA sections every '&' starts a
 * predefined or numeric entity, every '<' starts markup, there are no control
 * characters but tab and newline, and elements open and close in pairs.
 */
static bool xml_sane(const char *s, char *why, size_t len)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&apos;" };
	int depth = 0;

	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t') {
			snprintf(why, len, "control character 0x%02x at %zu", *c, (size_t)(c - s));
			return false;
		}
		if (!strncmp(c, "<![CDATA[", 9)) {
			const char *end = strstr(c, "]]>");

			if (!end) {
				snprintf(why, len, "unterminated CDATA");
				return false;
			}
			c = end + 2;
		} else if (*c == '&') {
			bool ok = false;

			for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
				ok = ok || !strncmp(c, ents[i], strlen(ents[i]));
			if (!ok) {
				snprintf(why, len, "bare '&' at %zu: %.20s", (size_t)(c - s), c);
				return false;
			}
		} else if (*c == '<') {
			const char *end = strchr(c, '>');

			if (!end) {
				snprintf(why, len, "unterminated tag at %zu", (size_t)(c - s));
				return false;
			}
			if (c[1] == '/')
				depth--;
			else if (c[1] != '?' && c[1] != '!' && end[-1] != '/')
				depth++;
			if (depth < 0) {
				snprintf(why, len, "unbalanced close tag at %zu", (size_t)(c - s));
				return false;
			}
			/* Attribute values must not hold '<' either. */
			if (memchr(c + 1, '<', (size_t)(end - c - 1))) {
				snprintf(why, len, "'<' inside a tag at %zu", (size_t)(c - s));
				return false;
			}
			c = end;
		} else if (*c == '>') {
			snprintf(why, len, "stray '>' at %zu", (size_t)(c - s));
			return false;
		}
	}
	if (depth) {
		snprintf(why, len, "%d unclosed elements", depth);
		return false;
	}
	return true;
}

#define CHECK_XML(svg)                                                                             \
	do {                                                                                       \
		char why_[256];                                                                    \
		if (!xml_sane((svg), why_, sizeof(why_)))                                          \
			FAIL_MSG("not well-formed: %s", why_);                                     \
	} while (0)

/* The frame whose tooltip starts with `title`, as text from "<g" to "</g>". */
static char *frame(const char *svg, const char *title)
{
	char key[1024];
	const char *t, *g, *end;

	snprintf(key, sizeof(key), "<title>%s", title);
	t = strstr(svg, key);
	if (!t)
		return NULL;
	for (g = t; g > svg && strncmp(g, "<g ", 3); g--)
		;
	end = strstr(t, "</g>");
	if (!end)
		return NULL;
	return strndup(g, (size_t)(end - g + 4));
}

static bool fill_of(const char *svg, const char *title, unsigned int *r, unsigned int *g,
		    unsigned int *b)
{
	char *fr = frame(svg, title);
	const char *c = fr ? strstr(fr, "fill=\"rgb(") : NULL;
	bool ok = c && sscanf(c, "fill=\"rgb(%u,%u,%u)", r, g, b) == 3;

	free(fr);
	return ok;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *c = strstr(s, needle); c; c = strstr(c + 1, needle))
		n++;
	return n;
}

/* ---- the tree ---- */

TEST(tree_merges_and_orders)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };
	struct flame fl;

	add(p, th, "main;b", 3);
	add(p, th, "other", 4);
	add(p, th, "main;a", 2);
	add(p, th, "main;b;d", 1);
	add(p, th, "main;b", 1);
	REQUIRE_EQ_INT(flame_build(&fl, p, &o), 0);
	CHECK_EQ_U64(fl.nodes[0].count, 11);
	CHECK_EQ_INT(fl.max_depth, 3);

	uint32_t main_ = flame_child(&fl, 0, "main", FLAME_NATIVE);
	uint32_t other = flame_child(&fl, 0, "other", FLAME_NATIVE);

	REQUIRE(main_ != FLAME_NONE && other != FLAME_NONE);
	uint32_t a = flame_child(&fl, main_, "a", FLAME_NATIVE);
	uint32_t b = flame_child(&fl, main_, "b", FLAME_NATIVE);

	REQUIRE(a != FLAME_NONE && b != FLAME_NONE);
	uint32_t d = flame_child(&fl, b, "d", FLAME_NATIVE);

	REQUIRE(d != FLAME_NONE);
	CHECK(flame_child(&fl, main_, "b", FLAME_INLINE) == FLAME_NONE);
	/* Name order, each child starting where its left sibling ends. */
	CHECK_EQ_INT(fl.nodes[0].first_child, main_);
	CHECK_EQ_INT(fl.nodes[main_].next_sibling, other);
	CHECK_EQ_INT(fl.nodes[main_].first_child, a);
	CHECK_EQ_INT(fl.nodes[a].next_sibling, b);
	CHECK_EQ_U64(fl.nodes[main_].count, 7);
	CHECK_EQ_U64(fl.nodes[other].count, 4);
	CHECK_EQ_U64(fl.nodes[other].start, 7);
	CHECK_EQ_U64(fl.nodes[a].start, 0);
	CHECK_EQ_U64(fl.nodes[a].count, 2);
	CHECK_EQ_U64(fl.nodes[b].start, 2);
	CHECK_EQ_U64(fl.nodes[b].count, 5);
	CHECK_EQ_U64(fl.nodes[d].start, 2);
	CHECK_EQ_U64(fl.nodes[d].depth, 3);

	/* Pre-order walk visits every node once. */
	size_t seen = 0;

	for (uint32_t n = 0; n != FLAME_NONE; n = flame_next(&fl, n, false))
		seen++;
	CHECK_EQ_INT(seen, fl.nnodes);
	flame_release(&fl);
	profile_free(p);
}

TEST(tree_inline_is_a_distinct_frame)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };
	struct flame fl;

	add(p, th, "main;f", 2);
	add(p, th, "main;f!", 3);
	REQUIRE_EQ_INT(flame_build(&fl, p, &o), 0);
	uint32_t m = flame_child(&fl, 0, "main", FLAME_NATIVE);

	REQUIRE(m != FLAME_NONE);
	CHECK(flame_child(&fl, m, "f", FLAME_NATIVE) != FLAME_NONE);
	CHECK(flame_child(&fl, m, "f", FLAME_INLINE) != FLAME_NONE);
	flame_release(&fl);
	profile_free(p);
}

/* ---- the document ---- */

TEST(svg_frames_and_geometry)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };

	add(p, th, "main;b", 6);
	add(p, th, "main;a", 2);
	add(p, th, "main;b;d", 2);
	char *svg = render_ok(p, &o);

	CHECK_XML(svg);
	CHECK(!strncmp(svg, "<?xml ", 6));
	CHECK_STRSTR(svg, "width=\"1200\"");
	CHECK_STRSTR(svg, "<title>cprof: prog --x</title>");
	CHECK_STRSTR(svg,
		     "fl:s=\"0\" fl:n=\"10\" fl:d=\"0\"><title>all (10 samples, 100.00%)</title>");
	CHECK_STRSTR(svg, "fl:s=\"2\" fl:n=\"8\" fl:d=\"2\"><title>b (8 samples, 80.00%)</title>");
	CHECK_STRSTR(svg, "fl:s=\"2\" fl:n=\"2\" fl:d=\"3\"><title>d (2 samples, 20.00%)</title>");
	/* 1180 px for 10 samples: "b" starts at 10 + 2 * 118. */
	CHECK_STRSTR(svg, "<rect x=\"246.0\" y=");
	CHECK_STRSTR(svg, "width=\"944.0\"");
	CHECK_EQ_INT(count(svg, "<g fl:s="), 5);
	/* Interactive parts. */
	CHECK_STRSTR(svg, "<script type=\"text/ecmascript\"><![CDATA[");
	CHECK_STRSTR(svg, "id=\"unzoom\"");
	CHECK_STRSTR(svg, "Reset Zoom");
	CHECK_STRSTR(svg, "id=\"search\"");
	CHECK_STRSTR(svg, "id=\"details\"");
	CHECK_STRSTR(svg, "id=\"matched\"");
	CHECK(!strstr(svg, "href"));	    /* nothing external */
	CHECK_EQ_INT(count(svg, "]]>"), 2); /* style and script, nothing in between */
	free(svg);
	profile_free(p);
}

TEST(svg_subtitle)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };

	add(p, th, "main", 1234);
	char *svg = render_ok(p, &o);

	CHECK_STRSTR(svg, ">prog --x (pid 42) \xc2\xb7 2.00 s \xc2\xb7 1,234 samples at 100 Hz "
			  "\xc2\xb7 on-CPU</text>");
	free(svg);
	p->meta.wall_clock = true;
	o.title = "My <title> & more";
	svg = render_ok(p, &o);
	CHECK_STRSTR(svg, "wall-clock</text>");
	CHECK_STRSTR(svg, "<title>My &lt;title&gt; &amp; more</title>");
	CHECK_STRSTR(svg,
		     "<text id=\"title\" x=\"600.0\" y=\"24\">My &lt;title&gt; &amp; more</text>");
	CHECK_XML(svg);
	free(svg);
	profile_free(p);
}

TEST(svg_deterministic)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };

	add(p, th, "main;x;leaf", 5);
	add(p, th, "main;y;leaf", 5);
	add(p, th, "main;z", 1);
	char *one = render_ok(p, &o), *two = render_ok(p, &o);

	CHECK_STREQ(one, two);
	/* Colours follow the name, wherever the frame is. */
	unsigned int r1, g1, b1, r2, g2, b2;
	const char *second = strstr(one, "<title>leaf");

	REQUIRE_NOT_NULL(second);
	REQUIRE(fill_of(one, "leaf", &r1, &g1, &b1));
	REQUIRE(fill_of(second + 1, "leaf", &r2, &g2, &b2));
	CHECK(strstr(second + 1, "<title>leaf") != NULL);
	CHECK(r1 == r2 && g1 == g2 && b1 == b2);
	free(one);
	free(two);
	profile_free(p);
}

TEST(svg_escapes_names)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };

	add(p, th, "main;std::vector<int, std::allocator<int> >::push_back", 3);
	add(p, th, "main;a&b", 3);
	add(p, th, "main;q\"uo'te", 3);
	add(p, th, "main;ctl\x01\x1f\x7fx", 3);
	add(p, th, "main;bad\xff\xfeutf", 3);
	add(p, th, "main;caf\xc3\xa9", 3);
	char *svg = render_ok(p, &o);

	CHECK_XML(svg);
	CHECK_STRSTR(svg, "<title>std::vector&lt;int, std::allocator&lt;int&gt; &gt;::push_back (3 "
			  "samples, 16.67%)</title>");
	/* Labels are cut by characters, not by bytes of escapes. */
	CHECK_STRSTR(svg, ">std::vector&lt;int, std::al..</text>");
	CHECK_STRSTR(svg, "<title>a&amp;b (");
	CHECK_STRSTR(svg, "<title>q&quot;uo&#39;te (");
	CHECK_STRSTR(svg, "<title>ctlx (");
	CHECK_STRSTR(svg, "<title>bad\xef\xbf\xbd\xef\xbf\xbdutf (");
	CHECK_STRSTR(svg, "<title>caf\xc3\xa9 (");
	free(svg);
	profile_free(p);
}

TEST(svg_label_fits_frame)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { .width = 200 };
	const char *name = "a_rather_long_function_name_that_cannot_fit_in_the_frame";

	char path[256];

	snprintf(path, sizeof(path), "%s;tiny", name);
	add(p, th, path, 100);
	add(p, th, "x", 1);
	char *svg = render_ok(p, &o);
	char *fr = frame(svg, name);

	REQUIRE_NOT_NULL(fr);
	/* 180 px * 100/101 = 178.2 px: (178.2 - 6) / 7.08 = 24 characters, ".." included. */
	CHECK_STRSTR(fr, ">a_rather_long_function..</text>");
	free(fr);
	/* Too narrow for three characters: no label at all, but still a tooltip. */
	fr = frame(svg, "x (");
	REQUIRE_NOT_NULL(fr);
	CHECK_STRSTR(fr, "\"></text></g>");
	free(fr);
	free(svg);
	profile_free(p);

	/* Multi-byte characters are cut whole. */
	p = new_profile(&th);
	add(p, th,
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    10);
	add(p, th, "z", 2);
	svg = render_ok(p, &o);
	/* 180 * 10/12 = 150 px: (150 - 6) / 7.08 = 20 characters, 18 of the name. */
	CHECK_STRSTR(svg,
		     "\">\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9..</"
		     "text>");
	free(svg);
	profile_free(p);
}

TEST(svg_minwidth_prunes)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };

	add(p, th, "main;big", 10000);
	add(p, th, "main;tiny;below", 1);
	/* 1180 px / 10001 samples = 0.118 px per sample. */
	char *svg = render_ok(p, &o);

	CHECK_STRSTR(svg, "<title>tiny (");
	CHECK_STRSTR(svg, "<title>below (");
	free(svg);
	o.minwidth = 1;
	svg = render_ok(p, &o);
	CHECK(!strstr(svg, "<title>tiny ("));
	CHECK(!strstr(svg, "<title>below ("));
	CHECK_STRSTR(svg, "<title>big (");
	/* The pruned depth does not count toward the height. */
	CHECK_STRSTR(svg, "height=\"142\"");
	CHECK_XML(svg);
	free(svg);
	profile_free(p);
}

TEST(svg_window)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };

	add(p, th, "early", 10); /* t = 0 .. 90 ms */
	add(p, th, "late", 10);	 /* t = 100 .. 190 ms */
	o.t_from = 100000000;
	char *svg = render_ok(p, &o);

	CHECK_STRSTR(svg, "<title>all (10 samples, 100.00%)</title>");
	CHECK(!strstr(svg, "<title>early"));
	CHECK_STRSTR(svg, "0.10\xe2\x80\x93"
			  "2.00 s");
	free(svg);
	o.t_from = 0;
	o.t_until = 50000000;
	svg = render_ok(p, &o);
	CHECK_STRSTR(svg, "<title>all (5 samples, 100.00%)</title>");
	CHECK(!strstr(svg, "<title>late"));
	free(svg);
	profile_free(p);
}

TEST(svg_thread_and_process_roots)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { .threads = true, .processes = true };
	uint32_t other = profile_add_thread(p, 42, 43, "worker");
	uint32_t child = profile_add_thread(p, 50, 50, "child");

	profile_add_process(p, 50, "child --y");
	add(p, th, "main;f", 2);
	add(p, other, "start;g", 3);
	add(p, child, "main;h", 4);
	char *svg = render_ok(p, &o);
	unsigned int r, g, b, r2, g2, b2;

	CHECK_XML(svg);
	CHECK_STRSTR(svg, "fl:d=\"1\"><title>[process 42 prog --x] (5 samples");
	CHECK_STRSTR(svg, "fl:d=\"1\"><title>[process 50 child --y] (4 samples");
	CHECK_STRSTR(svg, "fl:d=\"2\"><title>[thread 42 prog] (2 samples");
	CHECK_STRSTR(svg, "fl:d=\"2\"><title>[thread 43 worker] (3 samples");
	CHECK_STRSTR(svg, "fl:d=\"2\"><title>[thread 50 child] (4 samples");
	CHECK_STRSTR(svg, "fl:d=\"3\"><title>main (2 samples");
	REQUIRE(fill_of(svg, "[thread 43", &r, &g, &b));
	REQUIRE(fill_of(svg, "[process 50", &r2, &g2, &b2));
	CHECK(r != r2 || g != g2 || b != b2);
	CHECK_GT_INT(b2, r2); /* process roots are blue */
	free(svg);

	/* Threads alone: no process level. */
	o.processes = false;
	svg = render_ok(p, &o);
	CHECK_STRSTR(svg, "fl:d=\"1\"><title>[thread 43 worker] (3 samples");
	CHECK(!strstr(svg, "[process"));
	free(svg);
	profile_free(p);
}

TEST(svg_kind_colours)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };
	unsigned int r, g, b;
	uint32_t locs[2];

	add(p, th, "main;native", 2);
	add(p, th, "main;inl!", 2);
	add_stack(p, th, stack_of(p, "jitted", LOC_JIT), 2);
	add_stack(p, th, stack_of(p, "[unknown] libfoo.so+0x12", LOC_UNKNOWN), 2);
	locs[0] = loc_kind(p, "main", LOC_NATIVE, false);
	locs[1] = loc_kind(p, "[truncated]", LOC_TRUNCATED, false);
	add_stack(p, th, profile_add_stack(p, locs, 2), 2);
	char *svg = render_ok(p, &o);

	REQUIRE(fill_of(svg, "native (", &r, &g, &b));
	CHECK(r >= 205 && b <= 55);
	REQUIRE(fill_of(svg, "inl (inlined, 2 samples", &r, &g, &b));
	CHECK(r <= 110 && g >= 165 && b >= 180);
	REQUIRE(fill_of(svg, "jitted (JIT, 2 samples", &r, &g, &b));
	CHECK(r <= 110 && g >= 190 && b <= 110);
	REQUIRE(fill_of(svg, "[unknown] libfoo.so+0x12 (no symbol, ", &r, &g, &b));
	CHECK(r == g && g == b);
	REQUIRE(fill_of(svg, "[truncated] (", &r, &g, &b));
	CHECK(b > r && b > g && r > g);
	free(svg);
	profile_free(p);
}

TEST(svg_lines_labels)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { .lines = true };
	struct prof_line l = { .func = profile_add_func(p, "work", "/src/w.c", 10),
			       .line = 17,
			       .file = "/src/w.c" };
	uint32_t loc = profile_add_loc(p, 0x1000, 0, LOC_NATIVE, &l, 1);

	add_stack(p, th, profile_add_stack(p, &loc, 1), 3);
	char *svg = render_ok(p, &o);

	CHECK_STRSTR(svg, "<title>work (w.c:17) (3 samples, 100.00%)</title>");
	free(svg);
	profile_free(p);
}

TEST(svg_differential)
{
	uint32_t th, bth;
	struct profile *p = new_profile(&th), *base = new_profile(&bth);
	struct render_opts o = { 0 };
	unsigned int r, g, b;

	add(base, bth, "main;grew", 5);
	add(base, bth, "main;shrank", 5);
	add(base, bth, "main;same", 10);
	add(p, th, "main;grew", 18);
	add(p, th, "main;shrank", 2);
	add(p, th, "main;same", 20);
	add(p, th, "main;new", 10);
	o.base = base;
	char *svg = render_ok(p, &o);

	CHECK_XML(svg);
	/* Widths follow the current profile; tooltips carry the change of share. */
	CHECK_STRSTR(svg, "<title>grew (18 samples, 36.00%; base 25.00%, +11.00%)</title>");
	CHECK_STRSTR(svg, "<title>shrank (2 samples, 4.00%; base 25.00%, -21.00%)</title>");
	CHECK_STRSTR(svg, "<title>same (20 samples, 40.00%; base 50.00%, -10.00%)</title>");
	CHECK_STRSTR(svg, "<title>new (10 samples, 20.00%; base 0.00%, +20.00%)</title>");
	CHECK_STRSTR(svg, "vs base of 20");
	REQUIRE(fill_of(svg, "grew (", &r, &g, &b));
	CHECK(r == 255 && g == b && g < 235);
	unsigned int grew_g = g;

	REQUIRE(fill_of(svg, "new (", &r, &g, &b));
	CHECK(r == 255 && g < grew_g); /* a bigger change is more saturated */
	REQUIRE(fill_of(svg, "shrank (", &r, &g, &b));
	CHECK(b == 255 && r == g && r < 235);
	REQUIRE(fill_of(svg, "all (", &r, &g, &b));
	CHECK(r == 235 && g == 235 && b == 235); /* 100% in both */
	free(svg);
	profile_free(p);
	profile_free(base);
}

TEST(svg_empty_profile)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };
	char *svg = render_ok(p, &o);

	CHECK_XML(svg);
	CHECK_STRSTR(svg, "No samples collected");
	CHECK_STRSTR(svg, "</svg>\n");
	CHECK(!strstr(svg, "<g fl:"));
	free(svg);

	/* Samples, but none inside the window. */
	add(p, th, "main", 3);
	o.t_from = 1000000000;
	svg = render_ok(p, &o);
	CHECK_STRSTR(svg, "No samples collected");
	free(svg);
	profile_free(p);
}

TEST(svg_write_error)
{
	uint32_t th;
	struct profile *p = new_profile(&th);
	struct render_opts o = { 0 };
	FILE *f = fopen("/dev/full", "w");

	if (!f) {
		profile_free(p);
		return; /* no /dev/full here: nothing to test */
	}
	add(p, th, "main;f", 3);
	CHECK_EQ_INT(output_svg.write(f, p, &o), -EIO);
	fclose(f);
	profile_free(p);
}

TEST(svg_registered)
{
	CHECK(output_find("svg") == &output_svg);
	CHECK(output_for_path("/tmp/x.SVG") == &output_svg);
	CHECK_NOT_NULL(output_svg.description);
}
