// SPDX-License-Identifier: MIT
/*
 * t-ratio: one thread alternating between two hot functions with a fixed
 * 3:1 split of its CPU time:  main → ratio_loop → hot_three / hot_one.
 *
 * Each function runs a plain loop for a number of rounds. Their speeds are
 * measured separately (code alignment alone can make them differ) every
 * second or so, and the rounds are sized from them so that hot_three gets
 * three times hot_one's CPU time, with no clock read in between.
 * hot_one's slice is about SLICE_US of CPU time; slices far below a 10 ms
 * sample period cannot alias with sampling at any rate.
 *
 * Usage: t-ratio [SLICE_US] [syscall]
 *   SLICE_US  hot_one's slice, default 50; hot_three gets 3×
 *   syscall   in_syscalls takes hot_one's place: a loop of getppid(2)
 *             calls, so that a thread spends a quarter of its time in
 *             short system calls between stretches of plain work.
 */
#include <stdbool.h>

#include "target.h"

static volatile int stop;

static long long cpu_ns(void)
{
	return target_now_ns(CLOCK_THREAD_CPUTIME_ID);
}

NOINLINE static unsigned long hot_three(unsigned long x, long n)
{
	for (long i = 0; i < n; i++) {
		x = x * 6364136223846793005UL + 3;
		OPAQUE(x);
	}
	return x;
}

NOINLINE static unsigned long hot_one(unsigned long x, long n)
{
	for (long i = 0; i < n; i++) {
		x = x * 6364136223846793005UL + 1;
		OPAQUE(x);
	}
	return x;
}

/* The cheapest of system calls, made through syscall(2) so that no libc
 * cache can answer it. */
NOINLINE static unsigned long in_syscalls(unsigned long x, long n)
{
	for (long i = 0; i < n; i++)
		x += (unsigned long)syscall(SYS_getppid);
	return x;
}

/* Rounds for `want_ns` at `per_ns` rounds per ns, at least one. */
static long rounds_for(double want_ns, double per_ns)
{
	double n = want_ns * per_ns;

	return n < 1 ? 1 : (long)n;
}

/* Rounds per ns of one of the two functions, measured over ~10 ms. */
static double measure_speed(unsigned long (*fn)(unsigned long, long), unsigned long *x)
{
	long n = 1 << 12;
	long long t0, spent;

	for (;;) {
		t0 = cpu_ns();
		*x = fn(*x, n);
		spent = cpu_ns() - t0;
		if (spent >= 10000000LL)
			return (double)n / (double)spent;
		n *= 2;
	}
}

NOINLINE static unsigned long ratio_loop(long long slice_ns,
					 unsigned long (*one)(unsigned long, long))
{
	unsigned long x = 1;
	/*
	 * Clock reads cost microseconds here (the thread CPU clock is a real
	 * system call), so the speeds are measured now and then, not per slice.
	 */
	for (bool ready = false; !stop; ready = true) {
		double per3 = measure_speed(hot_three, &x);
		double per1 = measure_speed(one, &x);
		long n3 = rounds_for(3.0 * (double)slice_ns, per3);
		long n1 = rounds_for((double)slice_ns, per1);

		if (!ready)
			target_ready();
		/* About a second of 3:1 before the next measurement. */
		for (long long round = 0; round < 1000000000LL / (4 * slice_ns) && !stop; round++) {
			x = hot_three(x, n3);
			x = one(x, n1);
			BARRIER();
		}
	}
	return x;
}

int main(int argc, char **argv)
{
	long slice_us = target_arg(argc, argv, 1, 50);
	bool syscalls = argc > 2 && !strcmp(argv[2], "syscall");

	target_init();
	if (slice_us < 1)
		slice_us = 1;
	ratio_loop(slice_us * 1000LL, syscalls ? in_syscalls : hot_one);
	return 0;
}
