// SPDX-License-Identifier: MIT
/*
 * t-crash: run busy for a while, then die of a fatal signal in a known place.
 *
 *   main → busy_before_crash → crash_work        (for MS milliseconds)
 *   main → crash_in_known_function → write_through   (the fault)
 *   sleeper thread "crash_sleeper": sleeper_wait → nanosleep
 *
 * Usage: t-crash MODE [MS]
 *   segv     write through a null pointer (SIGSEGV, address 0)
 *   abort    abort() (SIGABRT)
 *   fpe      integer division by zero (SIGFPE)
 *   handled  a SIGSEGV that the program's own handler recovers from, then
 *            exit 0: not a crash
 * "ready" is printed once the sleeper sleeps and main is busy.
 */
#include <setjmp.h>

#include "target.h"

static int *volatile null_pointer;
static volatile int zero;
static sigjmp_buf recover;

NOINLINE static void write_through(int *p)
{
	*p = 42; /* the crash line */
	BARRIER();
}

NOINLINE static int divide(int a, int b)
{
	int q = a / b;

	BARRIER();
	return q;
}

NOINLINE static void crash_in_known_function(const char *mode)
{
	if (!strcmp(mode, "abort"))
		abort();
	else if (!strcmp(mode, "fpe"))
		printf("%d\n", divide(1, zero));
	else
		write_through(null_pointer);
	BARRIER();
}

NOINLINE static unsigned long crash_work(unsigned long x, long long until)
{
	while (target_now_ns(CLOCK_MONOTONIC) < until) {
		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005UL + 1;
			OPAQUE(x);
		}
	}
	return x;
}

NOINLINE static void busy_before_crash(long ms)
{
	unsigned long x = crash_work(1, target_now_ns(CLOCK_MONOTONIC) + ms * 1000000LL);

	OPAQUE(x);
}

static volatile int sleeping_tid;

NOINLINE static void sleeper_wait(void)
{
	for (;;) {
		struct timespec ts = { 10, 0 };

		nanosleep(&ts, NULL);
	}
}

static void *sleeper(void *arg)
{
	(void)arg;
	target_name_thread("crash_sleeper");
	sleeping_tid = target_gettid();
	sleeper_wait();
	return NULL;
}

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(recover, 1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "segv";
	long ms = target_arg(argc, argv, 2, 300);
	pthread_t t;

	target_init();
	if (strcmp(mode, "segv") && strcmp(mode, "abort") && strcmp(mode, "fpe") &&
	    strcmp(mode, "handled")) {
		fprintf(stderr, "unknown mode '%s'\n", mode);
		return 2;
	}
	if (pthread_create(&t, NULL, sleeper, NULL))
		target_die("pthread_create");
	while (!sleeping_tid)
		sched_yield();
	target_wait_blocked(sleeping_tid);
	target_ready();
	busy_before_crash(ms);
	if (!strcmp(mode, "handled")) {
		struct sigaction sa = { .sa_handler = on_segv };

		sigaction(SIGSEGV, &sa, NULL);
		if (!sigsetjmp(recover, 1))
			write_through(null_pointer);
		printf("recovered\n");
		fflush(stdout);
		busy_before_crash(ms);
		return 0;
	}
	crash_in_known_function(mode);
	return 0;
}
