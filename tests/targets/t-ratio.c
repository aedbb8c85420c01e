// SPDX-License-Identifier: MIT
/*
 * t-ratio: one thread alternating between two hot functions with a fixed
 * 3:1 split of its CPU time:  main → ratio_loop → hot_three / hot_one.
 *
 * The split is budgeted with the thread's own CPU clock, so time the thread
 * spends stopped by a profiler or preempted does not skew it. The slices
 * (150 µs and 50 µs) are far below a 10 ms sample period, so sampling at
 * any rate cannot alias with the alternation.
 *
 * Usage: t-ratio [SLICE_US]   (hot_one's slice, default 50; hot_three gets 3×)
 */
#include "target.h"

static volatile int stop;

static long long cpu_ns(void)
{
	return target_now_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* Burn CPU until the thread has used `budget` ns since `start`. */
NOINLINE static unsigned long hot_three(unsigned long x, long long start, long long budget)
{
	do {
		for (int i = 0; i < 200; i++) {
			x = x * 6364136223846793005UL + 3;
			OPAQUE(x);
		}
	} while (cpu_ns() - start < budget);
	return x;
}

NOINLINE static unsigned long hot_one(unsigned long x, long long start, long long budget)
{
	do {
		for (int i = 0; i < 200; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			OPAQUE(x);
		}
	} while (cpu_ns() - start < budget);
	return x;
}

NOINLINE static unsigned long ratio_loop(long long slice_ns)
{
	unsigned long x = 1;
	/*
	 * Each function runs until its running total reaches its target for
	 * the round, so the overshoot of one slice is taken off the next and
	 * the split stays 3:1 however long the program runs.
	 */
	long long three = 0, one = 0;

	for (long long round = 1; !stop; round++) {
		long long t0 = cpu_ns();

		x = hot_three(x, t0, 3 * round * slice_ns - three);
		long long t1 = cpu_ns();

		x = hot_one(x, t1, round * slice_ns - one);
		long long t2 = cpu_ns();

		three += t1 - t0;
		one += t2 - t1;
		if (round == 1)
			target_ready();
		BARRIER();
	}
	return x;
}

int main(int argc, char **argv)
{
	long slice_us = target_arg(argc, argv, 1, 50);

	target_init();
	if (slice_us < 1)
		slice_us = 1;
	ratio_loop(slice_us * 1000LL);
	return 0;
}
