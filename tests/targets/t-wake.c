// SPDX-License-Identifier: MIT
/*
 * t-wake: a thread that sleeps long, then works. cprof looks less often at
 * threads it keeps finding idle; this checks that one which wakes up is
 * sampled again at once.
 *
 *   sleeper_N (N sleepers): blocked on a condition variable for good
 *   late_worker: sleeps SLEEP_MS, then late_spin for SPIN_MS of CPU time,
 *                BURSTS times over; then prints "late_cpu_ms <the CPU time
 *                of its bursts>" and blocks
 *
 * Usage: t-wake SLEEPERS SLEEP_MS SPIN_MS [BURSTS]     (BURSTS default 1)
 */
#include <stdint.h>

#include "target.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;
static long sleep_ms, spin_ms, bursts;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void *sleeper(void *arg)
{
	char name[16];

	snprintf(name, sizeof(name), "sleeper_%ld", (long)arg);
	target_name_thread(name);
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

NOINLINE static unsigned long late_spin(uint64_t until_ns)
{
	unsigned long x = 1;

	while (thread_cpu_ns() < until_ns) {
		for (int i = 0; i < 20000; i++) {
			x = x * 6364136223846793005UL + 13;
			OPAQUE(x);
		}
	}
	return x;
}

static void *late_worker(void *arg)
{
	struct timespec ts = { sleep_ms / 1000, (sleep_ms % 1000) * 1000000L };
	uint64_t busy_ns = 0;

	(void)arg;
	target_name_thread("late_worker");
	for (long b = 0; b < bursts; b++) {
		uint64_t start;

		nanosleep(&ts, NULL);
		start = thread_cpu_ns();
		late_spin(start + (uint64_t)spin_ms * 1000000ULL);
		busy_ns += thread_cpu_ns() - start;
	}
	printf("late_cpu_ms %llu\n", (unsigned long long)(busy_ns / 1000000));
	fflush(stdout);
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&never, &lock);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = target_arg(argc, argv, 1, 100);
	pthread_t th;

	sleep_ms = target_arg(argc, argv, 2, 1000);
	spin_ms = target_arg(argc, argv, 3, 1000);
	bursts = target_arg(argc, argv, 4, 1);
	target_init();
	for (long k = 0; k < n; k++)
		if (pthread_create(&th, NULL, sleeper, (void *)k))
			target_die("pthread_create");
	if (pthread_create(&th, NULL, late_worker, NULL))
		target_die("pthread_create");
	target_ready();
	for (;;)
		pause();
	return 0;
}
