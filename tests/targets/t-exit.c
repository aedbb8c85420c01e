// SPDX-License-Identifier: MIT
/*
 * t-exit: busy for a while, then exit with a given status.
 *
 *   main → busy_for → busy_work        (plus NTHREADS workers in exit_worker)
 *
 * Usage: t-exit MS [STATUS [NTHREADS]]
 *   MS        milliseconds of wall-clock time to stay busy (default 100)
 *   STATUS    exit status (default 0); 128+N means "die of signal N" instead
 *   NTHREADS  extra threads spinning until the exit (default 0, at most 64)
 *
 * "ready" is printed once the workers spin and the main thread is busy.
 */
#include "target.h"

static volatile int started;

NOINLINE static unsigned long busy_work(unsigned long x, long long until)
{
	while (target_now_ns(CLOCK_MONOTONIC) < until) {
		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005UL + 1;
			OPAQUE(x);
		}
	}
	return x;
}

NOINLINE static unsigned long busy_for(long ms)
{
	long long until = target_now_ns(CLOCK_MONOTONIC) + ms * 1000000LL;
	unsigned long x = busy_work(1, until);

	BARRIER();
	return x;
}

NOINLINE static void *exit_worker(void *arg)
{
	unsigned long x = (unsigned long)arg;

	target_name_thread("exit_worker");
	__atomic_add_fetch(&started, 1, __ATOMIC_RELEASE);
	for (;;) {
		x = x * 6364136223846793005UL + 1;
		OPAQUE(x);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long ms = target_arg(argc, argv, 1, 100);
	long status = target_arg(argc, argv, 2, 0);
	long nthreads = target_arg(argc, argv, 3, 0);
	pthread_t th;

	target_init();
	if (nthreads > 64)
		nthreads = 64;
	for (long i = 0; i < nthreads; i++)
		if (pthread_create(&th, NULL, exit_worker, (void *)i))
			target_die("pthread_create");
	while (__atomic_load_n(&started, __ATOMIC_ACQUIRE) < nthreads)
		sched_yield();
	target_ready();
	busy_for(ms);
	if (status > 128) {
		signal((int)(status - 128), SIG_DFL);
		raise((int)(status - 128));
	}
	/* exit_group from main ends the workers wherever they are. */
	exit((int)status);
}
