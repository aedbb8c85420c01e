// SPDX-License-Identifier: MIT
/*
 * busy: the benchmark target. One thread hashes a small buffer a fixed
 * number of times, a few calls deep so that every sample has a real stack
 * to copy and unwind, and reports its own wall-clock and CPU time.
 *
 *   busy -c SECONDS        calibrate: print how many iterations run per CPU second
 *   busy -n N [-w] [-t THREADS] [-s SLEEPERS] [-u BITS] [-a SECONDS]
 *                          do N iterations (0: until killed) and report
 *
 *   -t THREADS   that many busy threads, each doing N iterations (default 1:
 *                the main thread does the work, as before the option existed)
 *   -s SLEEPERS  that many extra threads blocked on a condition variable for
 *                the whole run (state S: a thread pool waiting for work)
 *   -u BITS      vary the stack: the BITS lowest of the 12 levels of the
 *                descent each take one of two functions, chosen per chunk by
 *                a hash, so up to 2^BITS distinct stacks (default 0: one stack)
 *   -a SECONDS   the safety alarm (default 600)
 *
 * It never runs longer than the alarm (-a, 10 minutes) and dies with its parent.
 *
 * With -w it prints "ready PID" and waits for a line on stdin before it
 * starts, so a profiler can attach first. Output, one line each:
 *   ready PID
 *   done iters=N wall_ns=W cpu_ns=C wait_ns=R hash=H threads=T twall_ns=TW tcpu_ns=TC
 *
 * wait_ns is the time the thread was runnable but waiting for a CPU
 * (/proc/self/schedstat): wall - cpu - wait is the time it was neither
 * running nor runnable, i.e. stopped by a profiler.
 *
 * With -t, every busy thread times itself from its own start (once the gate
 * opens and it runs) to its own end: twall_ns, tcpu_ns and wait_ns are the
 * sums over the busy threads (/proc/thread-self/schedstat), so twall - wait
 * is their CPU time plus the time they were stopped; wall_ns is the process's, from the start until
 * the last thread is done, and cpu_ns the process's CPU time. Without -t
 * (one thread) twall_ns = wall_ns and tcpu_ns = cpu_ns.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
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
static int vary_bits; /* -u */

/* Time spent waiting on a runqueue, from /proc/self/schedstat (0 if unknown). */
static uint64_t run_delay_ns_of(const char *path)
{
	unsigned long long run = 0, wait = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &run, &wait) != 2)
		wait = 0;
	fclose(f);
	return wait;
}

static uint64_t run_delay_ns(void)
{
	return run_delay_ns_of("/proc/self/schedstat");
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

/*
 * -u: the same descent, but each of the `bits` lowest levels goes through
 * vary_a or vary_b, as the bits of `path` say: up to 2^bits distinct stacks.
 */
static uint64_t vary_a(int depth, uint64_t h, long n, unsigned path);
static uint64_t vary_b(int depth, uint64_t h, long n, unsigned path);

static __attribute__((noinline)) uint64_t vary_step(int depth, uint64_t h, long n, unsigned path)
{
	if (depth == 0) {
		for (long i = 0; i < n; i++)
			h = hash_buf(h + (uint64_t)i);
		return h;
	}
	/* Above the lowest `vary_bits` levels, always the same function. */
	if (depth <= vary_bits && (path >> (depth - 1) & 1))
		h = vary_b(depth - 1, h, n, path);
	else
		h = vary_a(depth - 1, h, n, path);
	sink = h;
	return h + 1;
}

static __attribute__((noinline)) uint64_t vary_a(int depth, uint64_t h, long n, unsigned path)
{
	h = vary_step(depth, h, n, path);
	sink = h;
	return h + 3;
}

static __attribute__((noinline)) uint64_t vary_b(int depth, uint64_t h, long n, unsigned path)
{
	h = vary_step(depth, h, n, path);
	sink = h;
	return h + 5;
}

static uint64_t run(long iters, uint64_t deadline_ns, long *done)
{
	uint64_t h = 0x243f6a8885a308d3ULL;
	long k = 0;
	unsigned chunk = 0;

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
		if (vary_bits) {
			/* A different stack per chunk, in no particular order. */
			unsigned path = (chunk++ * 0x9e3779b9U) >> 7;

			h = vary_step(DEPTH, h, n, path & ((1U << vary_bits) - 1));
		} else {
			h = descend(DEPTH, h, n);
		}
		k += n;
	}
	*done = k;
	return h;
}

static void usage(void)
{
	fputs("usage: busy -c SECONDS | busy -n ITERATIONS [-w] [-t THREADS] [-s SLEEPERS] "
	      "[-u BITS] [-a SECONDS]\n", stderr);
	exit(2);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "busy: %s: %s\n", what, strerror(err));
	exit(1);
}

/* -t and -s: the threads, and the gate the busy ones wait at. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static int open_gate;
static uint64_t start_ns; /* CLOCK_MONOTONIC, set when the gate opens */

struct worker {
	pthread_t th;
	long iters, done;
	uint64_t hash, wall_ns, cpu_ns, wait_ns;
};

static void *sleeper(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock); /* until the process exits */
	return NULL;
}

static void *worker(void *arg)
{
	struct worker *w = arg;

	pthread_mutex_lock(&lock);
	while (!open_gate)
		pthread_cond_wait(&gate, &lock);
	pthread_mutex_unlock(&lock);
	uint64_t r0 = run_delay_ns_of("/proc/thread-self/schedstat");
	uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);

	w->hash = run(w->iters, 0, &w->done);
	w->cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	w->wall_ns = now_ns(CLOCK_MONOTONIC) - w0;
	w->wait_ns = run_delay_ns_of("/proc/thread-self/schedstat") - r0;
	return NULL;
}

static pthread_attr_t small_stack(void)
{
	pthread_attr_t a;

	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 256 * 1024);
	return a;
}

int main(int argc, char **argv)
{
	double calibrate = 0;
	long iters = -1, done = 0, nthreads = 0, nsleepers = 0;
	unsigned alarm_s = 600;
	int wait_go = 0, c;

	while ((c = getopt(argc, argv, "c:n:wt:s:u:a:")) != -1) {
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
		case 't':
			nthreads = strtol(optarg, NULL, 10);
			break;
		case 's':
			nsleepers = strtol(optarg, NULL, 10);
			break;
		case 'u':
			vary_bits = atoi(optarg);
			break;
		case 'a':
			alarm_s = (unsigned)strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if ((calibrate <= 0 && iters < 0) || optind != argc || nthreads < 0 || nthreads > 4096 ||
	    nsleepers < 0 || nsleepers > 100000 || vary_bits < 0 || vary_bits > DEPTH)
		usage();
	for (int i = 0; i < BUF_WORDS; i++)
		buf[i] = (uint64_t)i * 0x2545f4914f6cdd1dULL + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Never outlive the benchmark, nor spin for ever if it forgets us. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(alarm_s);
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
	pthread_attr_t attr = small_stack();
	struct worker *ws = NULL;

	for (long i = 0; i < nsleepers; i++) {
		pthread_t th;
		int err = pthread_create(&th, &attr, sleeper, NULL);

		if (err)
			die("pthread_create", err);
	}
	if (nthreads > 0) {
		ws = calloc((size_t)nthreads, sizeof(*ws));
		if (!ws)
			die("calloc", ENOMEM);
		for (long i = 0; i < nthreads; i++) {
			int err;

			ws[i].iters = iters;
			err = pthread_create(&ws[i].th, &attr, worker, &ws[i]);
			if (err)
				die("pthread_create", err);
		}
	}
	if (wait_go) {
		char line[64];

		printf("ready %d\n", (int)getpid());
		if (!fgets(line, sizeof(line), stdin))
			return 1;
	}
	if (nthreads > 0) {
		uint64_t c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), h = 0;
		uint64_t twall = 0, tcpu = 0, wait = 0;

		pthread_mutex_lock(&lock);
		start_ns = now_ns(CLOCK_MONOTONIC);
		open_gate = 1;
		pthread_cond_broadcast(&gate);
		pthread_mutex_unlock(&lock);
		for (long i = 0; i < nthreads; i++) {
			pthread_join(ws[i].th, NULL);
			done += ws[i].done;
			h += ws[i].hash;
			twall += ws[i].wall_ns;
			tcpu += ws[i].cpu_ns;
			wait += ws[i].wait_ns;
		}
		uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);

		printf("done iters=%ld wall_ns=%" PRIu64 " cpu_ns=%" PRIu64 " wait_ns=%" PRIu64
		       " hash=%016" PRIx64 " threads=%ld twall_ns=%" PRIu64 " tcpu_ns=%" PRIu64 "\n",
		       done, w1 - start_ns, c1 - c0, wait, h, nthreads, twall, tcpu);
		/* The sleepers never return: exit(), not a join. */
		exit(0);
	}
	uint64_t r0 = run_delay_ns();
	uint64_t w0 = now_ns(CLOCK_MONOTONIC), c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t h = run(iters, 0, &done);
	uint64_t w1 = now_ns(CLOCK_MONOTONIC), c1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	uint64_t r1 = run_delay_ns();

	printf("done iters=%ld wall_ns=%" PRIu64 " cpu_ns=%" PRIu64 " wait_ns=%" PRIu64
	       " hash=%016" PRIx64 " threads=1 twall_ns=%" PRIu64 " tcpu_ns=%" PRIu64 "\n",
	       done, w1 - w0, c1 - c0, r1 - r0, h, w1 - w0, c1 - c0);
	return 0;
}
