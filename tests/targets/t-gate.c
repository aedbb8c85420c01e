// SPDX-License-Identifier: MIT
/*
 * t-gate: a benchmark for the CI performance gate (scripts/ci-perf-gate.sh,
 * tests/func/diff-gate.sh). Rounds of three steps of equal work,
 *
 *	main → run_bench → parse_input / hot_path / checksum
 *
 * where SLOWDOWN multiplies the work of hot_path alone, as a regression in
 * it would: at 1 each step takes a third of the time, at 4 hot_path takes
 * two thirds (4 / (1 + 4 + 1)) and the other two a sixth each.
 *
 * The run ends when the thread has used CPU_MS of CPU time rather than after
 * a number of rounds, so a recording has about as many samples however fast
 * or loaded the machine is; a round is far shorter than a sample period, so
 * sampling cannot alias with it. Prints "ready PID" after the first round
 * and "rounds N" at the end.
 *
 * Usage: t-gate [SLOWDOWN [CPU_MS]]   (defaults 1 and 2000)
 */
#include "target.h"

#define STEP_WORK	20000 /* iterations of a step at SLOWDOWN 1 */
#define CLOCK_EVERY	256   /* rounds between reads of the CPU clock */

static long long cpu_ns(void)
{
	return target_now_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* The same loop in each step, so equal work costs equal time. */
#define STEP_LOOP(x, n)                                  \
	do {                                             \
		for (long i_ = 0; i_ < (n); i_++) {      \
			(x) = (x) * 6364136223846793005UL + 1442695040888963407UL; \
			OPAQUE(x);                       \
		}                                        \
	} while (0)

NOINLINE static unsigned long parse_input(unsigned long x)
{
	STEP_LOOP(x, STEP_WORK);
	return x;
}

NOINLINE static unsigned long hot_path(unsigned long x, long slowdown)
{
	STEP_LOOP(x, STEP_WORK * slowdown);
	return x;
}

NOINLINE static unsigned long checksum(unsigned long x)
{
	STEP_LOOP(x, STEP_WORK);
	return x;
}

NOINLINE static long run_bench(long slowdown, long long budget_ns)
{
	long long start = cpu_ns();
	unsigned long x = 1;
	long rounds = 0;

	do {
		x = parse_input(x);
		x = hot_path(x, slowdown);
		x = checksum(x);
		if (++rounds == 1)
			target_ready();
		BARRIER();
		/*
		 * The clock is a system call, where a loaded machine preempts
		 * the thread: read it seldom, or its share would vary.
		 */
	} while (rounds % CLOCK_EVERY || cpu_ns() - start < budget_ns);
	OPAQUE(x);
	return rounds;
}

int main(int argc, char **argv)
{
	long slowdown = target_arg(argc, argv, 1, 1);
	long cpu_ms = target_arg(argc, argv, 2, 2000);
	long rounds;

	target_init();
	if (slowdown < 1)
		slowdown = 1;
	rounds = run_bench(slowdown, cpu_ms * 1000000LL);
	printf("rounds %ld\n", rounds);
	return 0;
}
