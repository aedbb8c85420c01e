// SPDX-License-Identifier: MIT
/*
 * t-harm-busy: spinning threads with a progress counter that a test can
 * watch, to tell a target that runs from one that is held up.
 *
 *   busy_N (N = 0..NTHREADS-1): busy_worker → busy_spin, each adding to
 *   its own counter after every round of work
 *   main: every 20 ms writes the sum of the counters to PROGRESS_FILE, as
 *   one line "progress <sum>" rewritten in place (a reader sees the old or
 *   the new line, never a mix, as both have the same length)
 *
 * Usage: t-harm-busy NTHREADS PROGRESS_FILE   (1..64 threads)
 * "ready" comes once every worker has done a round and the file exists.
 */
#include <fcntl.h>

#include "target.h"

#define MAX_THREADS 64

struct counter {
	unsigned long n;
	char pad[56];
};

static struct counter counters[MAX_THREADS];

NOINLINE static unsigned long busy_spin(unsigned long x, struct counter *c)
{
	for (;;) {
		for (int i = 0; i < 10000; i++) {
			x = x * 6364136223846793005UL + 13;
			OPAQUE(x);
		}
		__atomic_add_fetch(&c->n, 1, __ATOMIC_RELAXED);
	}
	return x;
}

NOINLINE static void *busy_worker(void *arg)
{
	long k = (long)arg;
	char name[16];
	unsigned long x;

	snprintf(name, sizeof(name), "busy_%ld", k);
	target_name_thread(name);
	x = busy_spin((unsigned long)k, &counters[k]);
	BARRIER();
	return (void *)x;
}

static unsigned long total(long n)
{
	unsigned long sum = 0;

	for (long k = 0; k < n; k++)
		sum += __atomic_load_n(&counters[k].n, __ATOMIC_RELAXED);
	return sum;
}

int main(int argc, char **argv)
{
	long n = target_arg(argc, argv, 1, 1);
	struct timespec tick = { 0, 20000000 };
	pthread_t th;
	int fd;

	if (argc != 3 || n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "usage: t-harm-busy NTHREADS PROGRESS_FILE\n");
		return 2;
	}
	target_init();
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		target_die(argv[2]);
	for (long k = 0; k < n; k++)
		if (pthread_create(&th, NULL, busy_worker, (void *)k))
			target_die("pthread_create");
	for (long k = 0; k < n; k++)
		while (!__atomic_load_n(&counters[k].n, __ATOMIC_RELAXED))
			nanosleep(&tick, NULL);
	for (int first = 1;; first = 0) {
		char line[64];
		int len = snprintf(line, sizeof(line), "progress %20lu\n", total(n));

		if (pwrite(fd, line, (size_t)len, 0) != len)
			target_die("pwrite");
		if (first)
			target_ready();
		nanosleep(&tick, NULL);
	}
}
