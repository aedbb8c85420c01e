// SPDX-License-Identifier: MIT
/* Hotspot aggregation and the report writers (src/analyze.c). */
#include <cjson/cJSON.h>
#include <math.h>
#include <sys/syscall.h>

#include "analyze.h"
#include "profile.h"
#include "unit.h"

struct fixture {
	struct profile *p;
	uint32_t f_main, f_work, f_leaf, f_rec, f_inl, f_sleep, f_read;
	uint32_t s_leaf, s_work, s_rec, s_inl, s_sleep, s_read;
	uint32_t t_main, t_io;
};

static uint32_t loc1(struct profile *p, uint64_t addr, uint32_t func, int line)
{
	struct prof_line l = { .func = func, .line = line, .file = p->funcs[func].file };

	return profile_add_loc(p, addr, 0, LOC_NATIVE, &l, 1);
}

/*
 * Stacks (leaf first):
 *   leaf:  leaf ← work ← main
 *   work:  work(line 21) ← main
 *   rec:   rec ← rec ← rec ← main         (recursion)
 *   inl:   inl(inlined, line 5) + work(line 22) ← main
 *   sleep: __GI___clock_nanosleep ← main
 *   read:  __libc_read ← main
 */
static void build(struct fixture *x)
{
	struct profile *p = profile_new();

	x->p = p;
	x->f_main = profile_add_func(p, "main", "/src/m.c", 1);
	x->f_work = profile_add_func(p, "work", "/src/m.c", 20);
	x->f_leaf = profile_add_func(p, "leaf", "/src/m.c", 10);
	x->f_rec = profile_add_func(p, "rec", "/src/r.c", 1);
	x->f_inl = profile_add_func(p, "inl", "/src/i.h", 4);
	x->f_sleep = profile_add_func(p, "__GI___clock_nanosleep", NULL, 0);
	x->f_read = profile_add_func(p, "__libc_read", NULL, 0);

	uint32_t L_main = loc1(p, 0x10, x->f_main, 3), L_work = loc1(p, 0x20, x->f_work, 21);
	uint32_t L_leaf = loc1(p, 0x30, x->f_leaf, 11), L_rec = loc1(p, 0x40, x->f_rec, 2);
	uint32_t L_sleep = loc1(p, 0x50, x->f_sleep, 0), L_read = loc1(p, 0x60, x->f_read, 0);
	struct prof_line chain[2] = {
		{ .func = x->f_inl, .line = 5, .file = "/src/i.h", .inlined = true },
		{ .func = x->f_work, .line = 22, .file = "/src/m.c" },
	};
	uint32_t L_inl = profile_add_loc(p, 0x70, 0, LOC_NATIVE, chain, 2);
	uint32_t A[] = { L_leaf, L_work, L_main }, B[] = { L_work, L_main };
	uint32_t C[] = { L_rec, L_rec, L_rec, L_main }, D[] = { L_inl, L_main };
	uint32_t E[] = { L_sleep, L_main }, F[] = { L_read, L_main };

	x->s_leaf = profile_add_stack(p, A, 3);
	x->s_work = profile_add_stack(p, B, 2);
	x->s_rec = profile_add_stack(p, C, 4);
	x->s_inl = profile_add_stack(p, D, 2);
	x->s_sleep = profile_add_stack(p, E, 2);
	x->s_read = profile_add_stack(p, F, 2);
	x->t_main = profile_add_thread(p, 100, 100, "main");
	x->t_io = profile_add_thread(p, 100, 101, "io");
	p->meta.rate_hz = 100;
	p->meta.pid = 100;
	p->meta.wall_clock = true;
}

static uint64_t now;

static void sample(struct fixture *x, uint32_t thread, uint32_t stack, char state, int32_t sc,
		   int n)
{
	for (int i = 0; i < n; i++) {
		struct prof_sample s = {
			.t_ns = now,
			.thread = thread,
			.stack = stack,
			.state = state,
			.syscall = sc,
		};

		now += 1000;
		profile_add_sample(x->p, &s);
	}
}

static const struct hotspot *find(const struct analysis *a, const struct profile *p,
				  const char *name, int line)
{
	for (size_t i = 0; i < a->nspots; i++)
		if (!strcmp(p->funcs[a->spots[i].func].name, name) &&
		    (line < 0 || a->spots[i].line == line))
			return &a->spots[i];
	return NULL;
}

TEST(self_and_total_by_function)
{
	struct fixture x;
	struct analyze_opts o = { .by = ANALYZE_BY_FUNCTION };
	struct analysis a;

	build(&x);
	sample(&x, x.t_main, x.s_leaf, 'R', -1, 6);
	sample(&x, x.t_main, x.s_work, 'R', -1, 2);
	sample(&x, x.t_main, x.s_rec, 'R', -1, 1);
	sample(&x, x.t_main, x.s_inl, 'R', -1, 1);
	analyze_profile(x.p, &o, &a);
	CHECK_EQ_U64(a.samples, 10);
	CHECK_EQ_U64(a.on_cpu, 10);
	CHECK_EQ_U64(a.off_cpu, 0);

	const struct hotspot *h;

	REQUIRE_NOT_NULL(h = find(&a, x.p, "leaf", -1));
	CHECK_EQ_U64(h->self, 6);
	CHECK_EQ_U64(h->total, 6);
	CHECK_STREQ(h->file, "/src/m.c");
	CHECK_EQ_INT(h->line, 10);
	REQUIRE_NOT_NULL(h = find(&a, x.p, "work", -1));
	CHECK_EQ_U64(h->self, 2);
	CHECK_EQ_U64(h->total, 9); /* leaf, work and the inline stack */
	REQUIRE_NOT_NULL(h = find(&a, x.p, "rec", -1));
	CHECK_EQ_U64(h->self, 1);
	CHECK_EQ_U64(h->total, 1); /* recursion counts once */
	REQUIRE_NOT_NULL(h = find(&a, x.p, "inl", -1));
	CHECK_EQ_U64(h->self, 1); /* the innermost inlined function is the leaf */
	REQUIRE_NOT_NULL(h = find(&a, x.p, "main", -1));
	CHECK_EQ_U64(h->self, 0);
	CHECK_EQ_U64(h->total, 10);
	/* Sorted by self, then total. */
	REQUIRE_EQ_INT(a.nspots, 5);
	CHECK_STREQ(x.p->funcs[a.spots[0].func].name, "leaf");
	CHECK_STREQ(x.p->funcs[a.spots[1].func].name, "work");
	CHECK_STREQ(x.p->funcs[a.spots[4].func].name, "main");
	analysis_release(&a);

	o.sort = ANALYZE_SORT_TOTAL;
	analyze_profile(x.p, &o, &a);
	CHECK_STREQ(x.p->funcs[a.spots[0].func].name, "main");
	CHECK_STREQ(x.p->funcs[a.spots[1].func].name, "work");
	analysis_release(&a);
	profile_free(x.p);
}

TEST(by_line)
{
	struct fixture x;
	struct analyze_opts o = { .by = ANALYZE_BY_LINE };
	struct analysis a;
	const struct hotspot *h;

	build(&x);
	sample(&x, x.t_main, x.s_work, 'R', -1, 3);
	sample(&x, x.t_main, x.s_inl, 'R', -1, 2);
	analyze_profile(x.p, &o, &a);
	REQUIRE_NOT_NULL(h = find(&a, x.p, "work", 21));
	CHECK_EQ_U64(h->self, 3);
	CHECK_STREQ(h->file, "/src/m.c");
	REQUIRE_NOT_NULL(h = find(&a, x.p, "work", 22));
	CHECK_EQ_U64(h->self, 0);
	CHECK_EQ_U64(h->total, 2);
	REQUIRE_NOT_NULL(h = find(&a, x.p, "inl", 5));
	CHECK_EQ_U64(h->self, 2);
	CHECK_STREQ(h->file, "/src/i.h");
	analysis_release(&a);
	profile_free(x.p);
}

TEST(window)
{
	struct fixture x;
	struct analysis a;

	build(&x);
	now = 0;
	sample(&x, x.t_main, x.s_leaf, 'R', -1, 10); /* t = 0 .. 9000 */
	sample(&x, x.t_main, x.s_work, 'R', -1, 10); /* t = 10000 .. 19000 */
	struct analyze_opts o = { .t_from = 10000 };

	analyze_profile(x.p, &o, &a);
	CHECK_EQ_U64(a.samples, 10);
	CHECK_NULL(find(&a, x.p, "leaf", -1));
	analysis_release(&a);
	o = (struct analyze_opts){ .t_until = 5000 };
	analyze_profile(x.p, &o, &a);
	CHECK_EQ_U64(a.samples, 5);
	analysis_release(&a);
	profile_free(x.p);
}

TEST(wait_classes)
{
	CHECK_EQ_INT(wait_class_of(SYS_futex), WAIT_LOCK);
	CHECK_EQ_INT(wait_class_of(SYS_read), WAIT_IO);
	CHECK_EQ_INT(wait_class_of(SYS_recvfrom), WAIT_IO);
	CHECK_EQ_INT(wait_class_of(SYS_nanosleep), WAIT_SLEEP);
	CHECK_EQ_INT(wait_class_of(SYS_clock_nanosleep), WAIT_SLEEP);
	CHECK_EQ_INT(wait_class_of(SYS_epoll_wait), WAIT_POLL);
	CHECK_EQ_INT(wait_class_of(SYS_poll), WAIT_POLL);
	CHECK_EQ_INT(wait_class_of(SYS_wait4), WAIT_WAIT);
	CHECK_EQ_INT(wait_class_of(SYS_getpid), WAIT_OTHER);
	CHECK_EQ_INT(wait_class_of(-1), WAIT_OTHER);
	CHECK_EQ_INT(wait_class_of(100000), WAIT_OTHER);
	CHECK_STREQ(wait_class_name(WAIT_IO), "io");
	CHECK_STREQ(wait_class_label(WAIT_POLL), "poll/epoll/select");
	CHECK(state_on_cpu('R'));
	CHECK(!state_on_cpu('S'));
	CHECK(!state_on_cpu('D'));
}

TEST(off_cpu_split_and_resolution)
{
	struct fixture x;
	struct analyze_opts o = { 0 };
	struct analysis a;

	build(&x);
	sample(&x, x.t_main, x.s_leaf, 'R', -1, 4);
	/* A sleep: seen once with its call, then as restart_syscall after our stop. */
	sample(&x, x.t_main, x.s_sleep, 'S', SYS_clock_nanosleep, 1);
	sample(&x, x.t_main, x.s_sleep, 'S', SYS_restart_syscall, 2);
	/* Reused samples without a call: from the thread's last one at that stack. */
	sample(&x, x.t_io, x.s_read, 'S', SYS_read, 1);
	sample(&x, x.t_io, x.s_read, 'S', -1, 2);
	/* No earlier sample: the libc wrapper at the leaf says what it is. */
	sample(&x, x.t_main, x.s_leaf, 'R', -1, 1);
	sample(&x, x.t_main, x.s_sleep, 'S', SYS_restart_syscall, 1);
	sample(&x, x.t_io, x.s_work, 'D', -1, 1);
	analyze_profile(x.p, &o, &a);
	CHECK_EQ_U64(a.samples, 13);
	CHECK_EQ_U64(a.on_cpu, 5);
	CHECK_EQ_U64(a.off_cpu, 8);
	CHECK_EQ_U64(a.wait[WAIT_SLEEP], 4);
	CHECK_EQ_U64(a.wait[WAIT_IO], 3);
	CHECK_EQ_U64(a.wait[WAIT_OTHER], 1);
	REQUIRE_EQ_INT(a.nsyscalls, 3);
	CHECK_EQ_INT(a.syscalls[0].nr, SYS_clock_nanosleep);
	CHECK_EQ_U64(a.syscalls[0].samples, 4);
	CHECK_EQ_INT(a.syscalls[1].nr, SYS_read);
	CHECK_EQ_INT(a.syscalls[2].nr, -1);
	/* Threads, most samples first, with their own split. */
	REQUIRE_EQ_INT(a.nthreads, 2);
	CHECK_EQ_INT(a.threads[0].thread, x.t_main);
	CHECK_EQ_U64(a.threads[0].samples, 9);
	CHECK_EQ_U64(a.threads[0].on_cpu, 5);
	CHECK_EQ_U64(a.threads[1].wait[WAIT_IO], 3);
	CHECK_EQ_INT(analysis_bound(a.wait, a.on_cpu, a.off_cpu), WAIT_SLEEP);
	CHECK_EQ_INT(analysis_bound(a.threads[0].wait, 5, 4), WAIT_NCLASSES);
	CHECK_EQ_INT(analysis_bound(a.threads[1].wait, 0, 4), WAIT_IO);
	analysis_release(&a);
	profile_free(x.p);
}

TEST(usage_summary)
{
	struct fixture x;
	struct analyze_opts o = { 0 };
	struct usage_summary u;

	build(&x);
	analyze_usage(x.p, &o, &u);
	CHECK(!u.have_cpu);
	CHECK(!u.have_rss);
	for (uint64_t i = 0; i <= 4; i++) {
		struct prof_usage pu = {
			.t_ns = i * 500000000ULL,
			.utime_ns = i * 300000000ULL, /* 60% user */
			.stime_ns = i * 50000000ULL,  /* 10% system */
			.rss_bytes = (i == 2 ? 50 : 10 + i) << 20,
		};

		profile_add_usage(x.p, &pu);
	}
	analyze_usage(x.p, &o, &u);
	CHECK(u.have_cpu);
	CHECK(u.have_rss);
	CHECK(fabs(u.user_pct - 60) < 1e-9);
	CHECK(fabs(u.system_pct - 10) < 1e-9);
	CHECK(fabs(u.cpu_pct - 70) < 1e-9);
	CHECK(fabs(u.seconds - 2) < 1e-9);
	CHECK_EQ_U64(u.rss_start, 10 << 20);
	CHECK_EQ_U64(u.rss_peak, 50 << 20);
	CHECK_EQ_U64(u.rss_end, 14 << 20);
	CHECK(fabs(u.rss_growth - (double)(2 << 20)) < 1e-6);
	profile_free(x.p);
}

static char *capture(bool json, struct fixture *x, const struct analyze_opts *o, size_t top)
{
	struct report_opts ro = { .source = "x.cprof", .top = top };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (json)
		CHECK_EQ_INT(report_write_json(f, x->p, o, &ro), 0);
	else
		CHECK_EQ_INT(report_write_text(f, x->p, o, &ro), 0);
	fclose(f);
	return buf;
}

TEST(json_report)
{
	struct fixture x;
	struct analyze_opts o = { 0 };

	build(&x);
	x.p->meta.start_unix_ns = 1700000000123456789ULL;
	x.p->threads[x.t_io].name = profile_str(x.p, "bad \xff name");
	sample(&x, x.t_main, x.s_leaf, 'R', -1, 3);
	sample(&x, x.t_io, x.s_read, 'S', SYS_read, 1);

	char *text = capture(true, &x, &o, 2);
	cJSON *root = cJSON_Parse(text);

	REQUIRE_NOT_NULL(root);
	CHECK_EQ_INT(cJSON_GetObjectItem(root, "samples")->valueint, 4);
	CHECK_STREQ(cJSON_GetObjectItem(root, "start")->valuestring, "2023-11-14T22:13:20Z");
	CHECK_STRSTR(text, "\"start_unix_ns\":\t1700000000123456789");
	CHECK_STRSTR(text, "bad \xef\xbf\xbd name");

	cJSON *spots = cJSON_GetObjectItem(root, "hotspots");

	CHECK_EQ_INT(cJSON_GetArraySize(spots), 2);
	cJSON *first = cJSON_GetArrayItem(spots, 0);

	CHECK_STREQ(cJSON_GetObjectItem(first, "function")->valuestring, "leaf");
	CHECK(cJSON_GetObjectItem(first, "self_pct")->valuedouble == 75);

	cJSON *cpu = cJSON_GetObjectItem(root, "cpu");

	CHECK(cJSON_GetObjectItem(cpu, "on_cpu_pct")->valuedouble == 75);
	CHECK_STREQ(cJSON_GetObjectItem(cpu, "bound")->valuestring, "cpu");
	CHECK_EQ_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cpu, "waiting"),
							      "io"),
					 "samples")->valueint,
		     1);
	cJSON_Delete(root);
	free(text);
	profile_free(x.p);
}

TEST(text_report)
{
	struct fixture x;
	struct analyze_opts o = { 0 };

	build(&x);
	sample(&x, x.t_main, x.s_leaf, 'R', -1, 3);
	sample(&x, x.t_io, x.s_read, 'S', SYS_read, 1);

	char *text = capture(false, &x, &o, 20);

	CHECK_STRSTR(text, "Recording: x.cprof");
	CHECK_STRSTR(text, "Hotspots by function, top 4 of 4");
	CHECK_STRSTR(text, "  75.0%   75.0%        3  leaf");
	CHECK_STRSTR(text, "m.c:10\n");
	CHECK_STRSTR(text, "  __libc_read\n"); /* no location, no trailing blanks */
	CHECK_STRSTR(text, "On-CPU vs off-CPU");
	CHECK_STRSTR(text, "read/recv/I-O");
	free(text);

	/* Nothing recorded: still a report, no division by zero. */
	profile_free(x.p);
	build(&x);
	text = capture(false, &x, &o, 20);
	CHECK_STRSTR(text, "(no samples)");
	free(text);
	profile_free(x.p);
}
