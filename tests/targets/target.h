/* SPDX-License-Identifier: MIT */
#ifndef CPROF_TEST_TARGET_H
#define CPROF_TEST_TARGET_H

/*
 * Shared helpers of the test targets (tests/targets/t-*.c), the programs
 * the functional tests profile. Every target:
 *
 *   - calls target_init() first, which lets any process ptrace it
 *     (PR_SET_PTRACER_ANY), so tests work under Yama ptrace_scope 1 where
 *     cprof is not the target's ancestor;
 *   - names its threads and keeps its frames in noinline functions with
 *     distinctive names, so stacks are recognisable at -O0 and -O2;
 *   - prints "ready <pid>\n" on stdout (flushed) with target_ready() only
 *     once every thread is in its steady state. Tests wait for that line.
 *
 * Header-only and usable from C++ (t-cxx.cc).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/*
 * A function that keeps its own frame: never inlined, cloned, merged with
 * an identical function (ICF) or analysed across calls (so its callers do
 * not learn that it never returns).
 */
#if defined(__clang__)
#define NOINLINE __attribute__((noinline, used))
#else
#define NOINLINE __attribute__((noipa, used))
#endif

/* Keeps a call from becoming a tail call (a jump that leaves no frame). */
#define BARRIER() __asm__ __volatile__("" ::: "memory")

/* Something the compiler must compute but cannot predict. */
#define OPAQUE(x) __asm__ __volatile__("" : "+r"(x))

static inline void target_die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(99);
}

static inline void target_init(void)
{
	/* Not fatal: without Yama the call fails with EINVAL and is not needed. */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
}

/* Announce the steady state. Async-signal-safe (one write). */
static inline void target_ready(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "ready %d\n", (int)getpid());

	if (write(STDOUT_FILENO, buf, (size_t)n) != n)
		_exit(99);
}

static inline pid_t target_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static inline void target_name_thread(const char *name)
{
	pthread_setname_np(pthread_self(), name);
}

static inline long long target_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The state letter of one of our threads, from /proc (0 if unreadable). */
static inline char target_thread_state(pid_t tid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')) || p[1] != ' ')
		return 0;
	return p[2];
}

/*
 * Wait until thread `tid` is blocked in the kernel ('S'): until then it
 * may be anywhere on its way there. Gives up after 10 s.
 */
static inline void target_wait_blocked(pid_t tid)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 10000; i++) {
		if (target_thread_state(tid) == 'S')
			return;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "thread %d never blocked\n", (int)tid);
	exit(99);
}

/* Wait until *flag is set by another thread (10 s at most). */
static inline void target_wait_flag(volatile int *flag)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < 10000; i++) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "a thread never reached its steady state\n");
	exit(99);
}

static inline void target_set_flag(volatile int *flag)
{
	__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
}

/* Parse a non-negative integer argument or exit 2. */
static inline long target_arg(int argc, char **argv, int i, long dflt)
{
	char *end;
	long v;

	if (i >= argc)
		return dflt;
	v = strtol(argv[i], &end, 10);
	if (*end || v < 0) {
		fprintf(stderr, "bad argument '%s'\n", argv[i]);
		exit(2);
	}
	return v;
}

#endif
