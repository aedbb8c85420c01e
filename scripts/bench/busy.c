// SPDX-License-Identifier: MIT
/*
 * busy: the benchmark target. One thread hashes a small buffer a fixed
 * number of times, a few calls deep so that every sample has a real stack
 * to copy and unwind, and reports its own wall-clock and CPU time.
 *
 *   busy -c SECONDS        calibrate: print how many iterations run per CPU second
 *   busy -n N [-w]         do N iterations (0: until killed) and report
 *
 * It never runs longer than 10 minutes and dies with its parent.
 *
 * With -w it prints "ready PID" and waits for a line on stdin before it
 * starts, so a profiler can attach first. Output, one line each:
 *   ready PID
 *   done iters=N wall_ns=W cpu_ns=C wait_ns=R hash=H
 *
 * wait_ns is the time the thread was runnable but waiting for a CPU
 * (/proc/self/schedstat): wall - cpu - wait is the time it was neither
 * running nor runnable, i.e. stopped by a profiler.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define BUF_WORDS 512 /* 4 KiB: stays in L1, so the loop is CPU-bound */
#define CHUNK 64      /* iterations per descent */
#define DEPTH 12      /* calls between main and the hash loop */

static uint64_t buf[BUF_WORDS];
static volatile uint64_t sink;

/* Time spent waiting on a runqueue, from /proc/self/schedstat (0 if unknown). */
static uint64_t run_delay_ns(void)
{
	unsigned long long run = 0, wait = 0;
	FILE *f = fopen("/proc/self/schedstat", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static __attribute__((noinline)) uint64_t hash_buf(uint64_t h)
{
	for (int i = 0; i < BUF_WORDS; i++) {
		h ^= buf[i];
		h *= 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h;
}

/* Recursion that the compiler may not flatten: work happens at the bottom. */
static __attribute__((noinline)) uint64_t descend(int depth, uint64_t h, long n)
{
	if (depth == 0) {
		for (long i = 0; i < n; i++)
			h = hash_buf(h + (uint64_t)i);
		return h;
	}
	h = descend(depth - 1, h, n);
	sink = h;
	return h + 1;
}

static uint64_t run(long iters, uint64_t deadline_ns, long *done)
{
	uint64_t h = 0x243f6a8885a308d3ULL;
	long k = 0;

	for (;;) {
		long n = CHUNK;

		if (iters > 0) {
			if (k >= iters)
				break;
			if (iters - k < n)
				n = iters - k;
		}
		if (deadline_ns && now_ns(CLOCK_PROCESS_CPUTIME_ID) >= deadline_ns)
			break;
		h = descend(DEPTH, h, n);
		k += n;
	}
	*done = k;
	return h;
}

static void usage(void)
{
	fputs("usage: busy -c SECONDS | busy -n ITERATIONS [-w]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	double calibrate = 0;
	long iters = -1, done = 0;
	int wait_go = 0, c;

	while ((c = getopt(argc, argv, "c:n:w")) != -1) {
		switch (c) {
		case 'c':
			calibrate = strtod(optarg, NULL);
			break;
		case 'n':
			iters = strtol(optarg, NULL, 10);
			break;
		case 'w':
			wait_go = 1;
			break;
		default:
			usage();
		}
	}
	if ((calibrate <= 0 && iters < 0) || optind != argc)
		usage();
	for (int i = 0; i < BUF_WORDS; i++)
		buf[i] = (uint64_t)i * 0x2545f4914f6cdd1dULL + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Never outlive the benchmark, nor spin for ever if it forgets us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(600);
	/* With Yama ptrace_scope=1 the profilers, our siblings, may attach. */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);

	if (calibrate > 0) {
		/* CPU time, not wall time: other load must not skew the result. */
		uint64_t t0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
		uint64_t h = run(0, t0 + (uint64_t)(calibrate * 1e9), &done);
		double secs = (double)(now_ns(CLOCK_PROCESS_CPUTIME_ID) - t0) / 1e9;

		sink = h;
		printf("iters_per_sec=%.0f\n", (double)done / secs);
		return 0;
	}
	if (wait_go) {
		char line[64];

		printf("ready %d\n", (int)getpid());
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	uint64_t r0 = run_delay_ns();
	uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t h = run(iters, 0, &done);
	uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t r1 = run_delay_ns();

	printf("done iters=%ld wall_ns=%" PRIu64 " cpu_ns=%" PRIu64 " wait_ns=%" PRIu64
	       " hash=%016" PRIx64 "\n",
	       done, w1 - w0, c1 - c0, r1 - r0, h);
	return 0;
}
