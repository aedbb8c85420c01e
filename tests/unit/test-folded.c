// SPDX-License-Identifier: MIT
/* The folded-stacks writer (src/output-folded.c) on a hand-built profile. */
#include "output.h"
#include "profile.h"
#include "unit.h"

/*
 * Stacks, leaf first:
 *   A: spin_a ← level_a1 ← worker_a ← start_thread        (thread 1, 3 samples)
 *   B: inl_leaf(inlined) ← inl_caller ← main                (thread 0, 2 samples)
 *   C: "op;er<a;b>" ← main                                   (thread 0, 1 sample)
 *   D: jitted ← main                                          (thread 1, 1 sample)
 *   E: (empty)                                                (thread 0, 1 sample)
 */
static struct profile *build(void)
{
	struct profile *p = profile_new();
	uint32_t f_main = profile_add_func(p, "main", "/src/t.c", 30);
	uint32_t f_start = profile_add_func(p, "start_thread", NULL, 0);
	uint32_t f_worker = profile_add_func(p, "worker_a", "/src/t.c", 10);
	uint32_t f_level = profile_add_func(p, "level_a1", "/src/t.c", 12);
	uint32_t f_spin = profile_add_func(p, "spin_a", "/src/t.c", 14);
	uint32_t f_inl = profile_add_func(p, "inl_leaf", "/src/inl.h", 3);
	uint32_t f_caller = profile_add_func(p, "inl_caller", "/src/t.c", 20);
	uint32_t f_semi = profile_add_func(p, "op;er<a;b>", NULL, 0);
	uint32_t f_jit = profile_add_func(p, "jitted", NULL, 0);
	struct prof_line l;
	uint32_t L_main, L_start, L_worker, L_level, L_spin, L_inl, L_semi, L_jit;

#define LOC(var, addr, fn, ln, kind)                                                    \
	l = (struct prof_line){ .func = fn, .line = ln, .file = p->funcs[fn].file };    \
	var = profile_add_loc(p, addr, 0, kind, &l, 1)
	LOC(L_main, 0x100, f_main, 33, LOC_NATIVE);
	LOC(L_start, 0x200, f_start, 0, LOC_NATIVE);
	LOC(L_worker, 0x300, f_worker, 11, LOC_NATIVE);
	LOC(L_level, 0x400, f_level, 13, LOC_NATIVE);
	LOC(L_spin, 0x500, f_spin, 15, LOC_NATIVE);
	LOC(L_semi, 0x600, f_semi, 0, LOC_NATIVE);
	LOC(L_jit, 0x700, f_jit, 0, LOC_JIT);
#undef LOC
	struct prof_line chain[2] = {
		{ .func = f_inl, .line = 4, .file = "/src/inl.h", .inlined = true },
		{ .func = f_caller, .line = 22, .file = "/src/t.c" },
	};
	L_inl = profile_add_loc(p, 0x800, 0, LOC_NATIVE, chain, 2);

	uint32_t A[] = { L_spin, L_level, L_worker, L_start };
	uint32_t B[] = { L_inl, L_main };
	uint32_t C[] = { L_semi, L_main };
	uint32_t D[] = { L_jit, L_main };
	uint32_t sA = profile_add_stack(p, A, 4), sB = profile_add_stack(p, B, 2);
	uint32_t sC = profile_add_stack(p, C, 2), sD = profile_add_stack(p, D, 2);
	uint32_t sE = profile_add_stack(p, NULL, 0);
	uint32_t t0 = profile_add_thread(p, 50, 50, "t-threads");
	uint32_t t1 = profile_add_thread(p, 50, 51, "worker_a");
	struct {
		uint32_t thread, stack;
	} seq[] = {
		{ t1, sA }, { t0, sB }, { t1, sA }, { t0, sC }, { t1, sD },
		{ t0, sE }, { t0, sB }, { t1, sA },
	};

	profile_add_process(p, 50, "./t-threads");
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct prof_sample s = {
			.t_ns = (uint64_t)i * 1000, .thread = seq[i].thread, .stack = seq[i].stack,
			.state = 'R', .syscall = -1,
		};

		profile_add_sample(p, &s);
	}
	return p;
}

static char *render(const struct profile *p, const struct render_opts *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (output_folded.write(f, p, o))
		FAIL_MSG("folded write failed");
	fclose(f);
	return buf;
}

TEST(root_first_sorted_counted)
{
	struct profile *p = build();
	struct render_opts o = { 0 };
	char *out = render(p, &o);

	CHECK_STREQ(out, "[empty] 1\n"
			 "main;inl_caller;inl_leaf_[i] 2\n"
			 "main;jitted_[j] 1\n"
			 "main;op:er<a:b> 1\n"
			 "start_thread;worker_a;level_a1;spin_a 3\n");
	free(out);
	profile_free(p);
}

TEST(threads_root_frames)
{
	struct profile *p = build();
	struct render_opts o = { .threads = true };
	char *out = render(p, &o);

	/* An empty stack is the thread frame alone. */
	CHECK_STREQ(out, "[thread 50 t-threads] 1\n"
			 "[thread 50 t-threads];main;inl_caller;inl_leaf_[i] 2\n"
			 "[thread 50 t-threads];main;op:er<a:b> 1\n"
			 "[thread 51 worker_a];main;jitted_[j] 1\n"
			 "[thread 51 worker_a];start_thread;worker_a;level_a1;spin_a 3\n");
	free(out);
	o.threads = false;
	o.processes = true;
	out = render(p, &o);
	CHECK_STRSTR(out, "[process 50 ./t-threads];start_thread;worker_a;level_a1;spin_a 3\n");
	free(out);
	profile_free(p);
}

TEST(lines_labels)
{
	struct profile *p = build();
	struct render_opts o = { .lines = true };
	char *out = render(p, &o);

	CHECK_STRSTR(out, "main (t.c:33);inl_caller (t.c:22);inl_leaf (inl.h:4)_[i] 2\n");
	CHECK_STRSTR(out, "start_thread;worker_a (t.c:11);level_a1 (t.c:13);spin_a (t.c:15) 3\n");
	free(out);
	profile_free(p);
}

TEST(time_window)
{
	struct profile *p = build();
	/* Samples 2..4: A, C, D. */
	struct render_opts o = { .t_from = 2000, .t_until = 5000 };
	char *out = render(p, &o);

	CHECK_STREQ(out, "main;jitted_[j] 1\n"
			 "main;op:er<a:b> 1\n"
			 "start_thread;worker_a;level_a1;spin_a 1\n");
	free(out);
	profile_free(p);
}

TEST(same_text_merges)
{
	/* Two locations that print alike (different addresses) give one line. */
	struct profile *p = profile_new();
	uint32_t f = profile_add_func(p, "spin", NULL, 0);
	struct prof_line l = { .func = f };
	uint32_t a = profile_add_loc(p, 0x10, 0, LOC_NATIVE, &l, 1);
	uint32_t b = profile_add_loc(p, 0x20, 0, LOC_NATIVE, &l, 1);
	uint32_t sa = profile_add_stack(p, &a, 1), sb = profile_add_stack(p, &b, 1);
	struct prof_sample s = { .state = 'R', .syscall = -1 };
	struct render_opts o = { 0 };

	profile_add_thread(p, 1, 1, "x");
	CHECK_NE_INT(sa, sb);
	s.stack = sa;
	profile_add_sample(p, &s);
	s.stack = sb;
	profile_add_sample(p, &s);
	profile_add_sample(p, &s);

	char *out = render(p, &o);

	CHECK_STREQ(out, "spin 3\n");
	free(out);
	profile_free(p);
}

TEST(empty_profile)
{
	struct profile *p = profile_new();
	struct render_opts o = { 0 };
	char *out = render(p, &o);

	CHECK_STREQ(out, "");
	free(out);
	profile_free(p);
}
