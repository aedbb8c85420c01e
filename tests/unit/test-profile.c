// SPDX-License-Identifier: MIT
/* The recording model (src/profile.h): deduplication and the timeline. */
#include "profile.h"
#include "strtab.h"
#include "unit.h"

TEST(strings_are_interned)
{
	struct profile *p = profile_new();
	char a[] = "main";

	CHECK_NULL(profile_str(p, NULL));
	CHECK(profile_str(p, a) == profile_str(p, "main"));
	CHECK(profile_str(p, a) != a);
	profile_free(p);
}

TEST(funcs_dedup)
{
	struct profile *p = profile_new();
	char name[] = "worker_a";
	uint32_t f1 = profile_add_func(p, "worker_a", "t.c", 10);
	uint32_t f2 = profile_add_func(p, name, "t.c", 10);

	CHECK_EQ_INT(f1, f2);
	CHECK_EQ_INT(p->nfuncs, 1);
	CHECK_NE_INT(profile_add_func(p, "worker_a", "t.c", 11), f1);
	CHECK_NE_INT(profile_add_func(p, "worker_a", NULL, 10), f1);
	CHECK_NE_INT(profile_add_func(p, "worker_b", "t.c", 10), f1);
	CHECK_EQ_INT(p->nfuncs, 4);
	CHECK_STREQ(p->funcs[f1].name, "worker_a");
	CHECK_STREQ(p->funcs[f1].file, "t.c");
	CHECK_EQ_INT(p->funcs[f1].start_line, 10);
	/* Many functions: the index grows and still finds every one. */
	for (int i = 0; i < 5000; i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "f%d", i);
		profile_add_func(p, buf, NULL, 0);
	}
	for (int i = 0; i < 5000; i += 499) {
		char buf[32];

		snprintf(buf, sizeof(buf), "f%d", i);
		CHECK_EQ_INT(profile_add_func(p, buf, NULL, 0), 4 + i);
	}
	CHECK_EQ_INT(p->nfuncs, 5004);
	profile_free(p);
}

TEST(mappings_dedup_one_based)
{
	struct profile *p = profile_new();
	uint32_t m1 = profile_add_mapping(p, "/lib/libc.so.6", "abcd", 0x1000, 0x2000, 0);
	uint32_t m2 = profile_add_mapping(p, "/lib/libc.so.6", "abcd", 0x1000, 0x2000, 0);

	CHECK_EQ_INT(m1, 1); /* 0 means "no mapping" */
	CHECK_EQ_INT(m2, 1);
	CHECK_EQ_INT(profile_add_mapping(p, "/lib/libc.so.6", "abcd", 0x1000, 0x2000, 0x1000), 2);
	CHECK_EQ_INT(profile_add_mapping(p, "/lib/libc.so.6", NULL, 0x1000, 0x2000, 0), 3);
	CHECK_EQ_INT(p->nmappings, 3);
	CHECK_STREQ(p->mappings[0].build_id, "abcd");
	profile_free(p);
}

TEST(locs_dedup_with_inline_chain)
{
	struct profile *p = profile_new();
	uint32_t leaf = profile_add_func(p, "inl_leaf", "t.c", 5);
	uint32_t caller = profile_add_func(p, "inl_caller", "t.c", 20);
	struct prof_line chain[2] = {
		{ .func = leaf, .line = 7, .file = "t.c", .inlined = true },
		{ .func = caller, .line = 22, .file = "t.c", .inlined = false },
	};
	char file[] = "t.c"; /* the same file name from another buffer */
	struct prof_line chain2[2] = {
		{ .func = leaf, .line = 7, .file = file, .inlined = true },
		{ .func = caller, .line = 22, .file = file, .inlined = false },
	};
	uint32_t l1 = profile_add_loc(p, 0x1234, 1, LOC_NATIVE, chain, 2);
	uint32_t l2 = profile_add_loc(p, 0x1234, 1, LOC_NATIVE, chain2, 2);

	CHECK_EQ_INT(l1, l2);
	CHECK_EQ_INT(p->nlocs, 1);
	CHECK_EQ_INT(p->nlines, 2);
	const struct prof_line *ls = profile_loc_lines(p, l1);

	CHECK_EQ_INT(p->locs[l1].nlines, 2);
	CHECK_EQ_INT(ls[0].func, leaf);
	CHECK(ls[0].inlined);
	CHECK_EQ_INT(ls[1].line, 22);
	CHECK(ls[0].file != chain[0].file); /* stored interned */
	CHECK_EQ_U64(p->locs[l1].address, 0x1234);

	/* Any difference makes a new location. */
	chain2[0].inlined = false;
	CHECK_NE_INT(profile_add_loc(p, 0x1234, 1, LOC_NATIVE, chain2, 2), l1);
	CHECK_NE_INT(profile_add_loc(p, 0x1234, 1, LOC_NATIVE, chain, 1), l1);
	CHECK_NE_INT(profile_add_loc(p, 0x1235, 1, LOC_NATIVE, chain, 2), l1);
	CHECK_NE_INT(profile_add_loc(p, 0x1234, 2, LOC_NATIVE, chain, 2), l1);
	CHECK_NE_INT(profile_add_loc(p, 0x1234, 1, LOC_JIT, chain, 2), l1);
	CHECK_EQ_INT(p->nlocs, 6);
	profile_free(p);
}

TEST(stacks_dedup)
{
	struct profile *p = profile_new();
	uint32_t a[] = { 3, 2, 1 }, b[] = { 3, 2, 1 }, c[] = { 1, 2, 3 }, d[] = { 3, 2 };
	uint32_t s1 = profile_add_stack(p, a, 3);

	CHECK_EQ_INT(profile_add_stack(p, b, 3), s1);
	CHECK_NE_INT(profile_add_stack(p, c, 3), s1);
	CHECK_NE_INT(profile_add_stack(p, d, 2), s1);
	uint32_t e = profile_add_stack(p, NULL, 0);

	CHECK_EQ_INT(profile_add_stack(p, NULL, 0), e);
	CHECK_EQ_INT(p->nstacks, 4);
	CHECK_EQ_INT(p->stacks[s1].n, 3);
	CHECK_MEMEQ(profile_stack_locs(p, s1), a, sizeof(a));
	CHECK_EQ_INT(p->stacks[e].n, 0);
	profile_free(p);
}

TEST(threads_and_processes)
{
	struct profile *p = profile_new();
	uint32_t t1 = profile_add_thread(p, 100, 100, "main");
	uint32_t t2 = profile_add_thread(p, 100, 101, "worker_a");

	CHECK_EQ_INT(profile_add_thread(p, 100, 100, "other"), t1);
	CHECK_STREQ(p->threads[t1].name, "main");
	CHECK_EQ_INT(profile_find_thread(p, 100, 101), t2);
	CHECK_EQ_U64(profile_find_thread(p, 100, 102), UINT32_MAX);
	CHECK_EQ_U64(profile_find_thread(p, 200, 101), UINT32_MAX);
	profile_set_thread_name(p, t2, "renamed");
	CHECK_STREQ(p->threads[t2].name, "renamed");
	CHECK_STREQ(p->threads[profile_add_thread(p, 100, 103, NULL)].name, "");

	uint32_t pr = profile_add_process(p, 100, "");

	CHECK_EQ_INT(profile_add_process(p, 100, "./t-threads -x"), pr);
	CHECK_STREQ(p->procs[pr].cmdline, "./t-threads -x");
	CHECK_EQ_INT(profile_add_process(p, 100, NULL), pr);
	CHECK_STREQ(p->procs[pr].cmdline, "./t-threads -x");
	CHECK_EQ_INT(p->nprocs, 1);
	profile_free(p);
}

static struct prof_sample sample_n(uint32_t i)
{
	static const char states[] = "RSDR";

	return (struct prof_sample){
		.t_ns = (uint64_t)i * 10000019ULL + (i % 7) * 3,
		.thread = i % 3,
		.stack = (i * 2654435761u) % 1000003u,
		.state = states[i % 4],
		.syscall = i % 5 == 0 ? -1 : (int32_t)(i % 450),
	};
}

TEST(timeline_round_trip)
{
	/* More than one chunk (4096 samples), with large values. */
	enum { N = 10000 };
	struct profile *p = profile_new();
	struct prof_iter it;
	struct prof_sample s;
	uint32_t n = 0;

	for (int i = 0; i < 3; i++)
		profile_add_thread(p, 1, 1 + i, NULL);
	profile_iter_init(&it);
	CHECK(!profile_iter_next(p, &it, &s)); /* empty */
	for (uint32_t i = 0; i < N; i++) {
		struct prof_sample x = sample_n(i);

		profile_add_sample(p, &x);
	}
	CHECK_EQ_U64(p->nsamples, N);
	CHECK_EQ_U64(p->threads[0].samples + p->threads[1].samples + p->threads[2].samples, N);
	CHECK_EQ_U64(p->threads[1].samples, N / 3);
	profile_iter_init(&it);
	while (profile_iter_next(p, &it, &s)) {
		struct prof_sample x = sample_n(n);

		if (s.t_ns != x.t_ns || s.thread != x.thread || s.stack != x.stack ||
		    s.state != x.state || s.syscall != x.syscall) {
			FAIL_MSG("sample %u: t %" PRIu64 "/%" PRIu64 " thread %u/%u stack %u/%u "
				 "state %c/%c syscall %d/%d",
				 n, s.t_ns, x.t_ns, s.thread, x.thread, s.stack, x.stack, s.state,
				 x.state, s.syscall, x.syscall);
			break;
		}
		n++;
	}
	CHECK_EQ_INT(n, N);
	CHECK(!profile_iter_next(p, &it, &s)); /* stays at the end */
	CHECK_GT_INT(profile_memory(p), 0);
	profile_free(p);
}

TEST(timeline_stays_monotonic)
{
	struct profile *p = profile_new();
	struct prof_sample a = { .t_ns = 5000, .state = 'R', .syscall = -1 };
	struct prof_sample b = { .t_ns = 4000, .state = 'S', .syscall = 7 };
	struct prof_sample c = { .t_ns = UINT64_C(1) << 62, .state = 'R', .syscall = 0 };
	struct prof_iter it;
	struct prof_sample s;

	profile_add_sample(p, &a);
	profile_add_sample(p, &b); /* earlier than a: clamped, not wrapped */
	profile_add_sample(p, &c);
	profile_iter_init(&it);
	REQUIRE(profile_iter_next(p, &it, &s));
	CHECK_EQ_U64(s.t_ns, 5000);
	REQUIRE(profile_iter_next(p, &it, &s));
	CHECK_EQ_U64(s.t_ns, 5000);
	CHECK_EQ_INT(s.state, 'S');
	CHECK_EQ_INT(s.syscall, 7);
	REQUIRE(profile_iter_next(p, &it, &s));
	CHECK_EQ_U64(s.t_ns, UINT64_C(1) << 62);
	CHECK_EQ_INT(s.syscall, 0);
	CHECK(!profile_iter_next(p, &it, &s));
	profile_free(p);
}
