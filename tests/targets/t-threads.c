// SPDX-License-Identifier: MIT
/*
 * t-threads: named threads in distinct, recognisable states.
 *
 *   main          main → wait_for_stop → sigwait (blocked)
 *   worker_a/b/c  worker_X → level_X1 → level_X2 → spin_X (on CPU)
 *   sleeper       sleeper_main → sleep_forever → nanosleep (blocked)
 *   reader        reader_main → wait_pipe → read (blocked on a pipe)
 *
 * The blocked threads count EINTR returns, which a profiler must never
 * cause. On SIGTERM or SIGINT the program prints
 *   eintr sleeper=N reader=M
 * and exits 0; any other way out is an error.
 *
 * Usage: t-threads [NSPINNERS]   (0..3 spinning workers, default 3)
 */
#include "target.h"

static volatile int spinning[3];
static volatile int stop;
static int pipefd[2];
static volatile int eintr_sleeper, eintr_reader;
static volatile pid_t sleeper_tid, reader_tid;

/* Three different bodies, so identical-code folding cannot merge them. */
NOINLINE static unsigned long spin_a(unsigned long x)
{
	target_set_flag(&spinning[0]);
	while (!stop) {
		x = x * 6364136223846793005UL + 1;
		OPAQUE(x);
	}
	return x;
}

NOINLINE static unsigned long spin_b(unsigned long x)
{
	target_set_flag(&spinning[1]);
	while (!stop) {
		x ^= x << 13;
		x ^= x >> 7;
		OPAQUE(x);
	}
	return x;
}

NOINLINE static unsigned long spin_c(unsigned long x)
{
	target_set_flag(&spinning[2]);
	while (!stop) {
		x += 0x9e3779b97f4a7c15UL;
		x = (x >> 3) | (x << 61);
		OPAQUE(x);
	}
	return x;
}

NOINLINE static unsigned long level_a2(unsigned long x)
{
	x = spin_a(x + 2);
	BARRIER();
	return x + 1;
}

NOINLINE static unsigned long level_a1(unsigned long x)
{
	x = level_a2(x + 1);
	BARRIER();
	return x + 1;
}

NOINLINE static void *worker_a(void *arg)
{
	unsigned long x;

	target_name_thread("worker_a");
	x = level_a1((unsigned long)arg);
	BARRIER();
	return (void *)x;
}

NOINLINE static unsigned long level_b2(unsigned long x)
{
	x = spin_b(x + 3);
	BARRIER();
	return x + 2;
}

NOINLINE static unsigned long level_b1(unsigned long x)
{
	x = level_b2(x + 2);
	BARRIER();
	return x + 2;
}

NOINLINE static void *worker_b(void *arg)
{
	unsigned long x;

	target_name_thread("worker_b");
	x = level_b1((unsigned long)arg);
	BARRIER();
	return (void *)x;
}

NOINLINE static unsigned long level_c2(unsigned long x)
{
	x = spin_c(x + 4);
	BARRIER();
	return x + 3;
}

NOINLINE static unsigned long level_c1(unsigned long x)
{
	x = level_c2(x + 3);
	BARRIER();
	return x + 3;
}

NOINLINE static void *worker_c(void *arg)
{
	unsigned long x;

	target_name_thread("worker_c");
	x = level_c1((unsigned long)arg);
	BARRIER();
	return (void *)x;
}

NOINLINE static void sleep_forever(void)
{
	struct timespec ts = { 100000, 0 };

	while (!stop) {
		if (nanosleep(&ts, NULL) && errno == EINTR)
			eintr_sleeper++;
		BARRIER();
	}
}

NOINLINE static void *sleeper_main(void *arg)
{
	(void)arg;
	target_name_thread("sleeper");
	sleeper_tid = target_gettid();
	sleep_forever();
	BARRIER();
	return NULL;
}

NOINLINE static void wait_pipe(void)
{
	char c;

	while (!stop) {
		ssize_t n = read(pipefd[0], &c, 1);

		if (n < 0 && errno == EINTR)
			eintr_reader++;
		else if (n <= 0)
			break;
		BARRIER();
	}
}

NOINLINE static void *reader_main(void *arg)
{
	(void)arg;
	target_name_thread("reader");
	reader_tid = target_gettid();
	wait_pipe();
	BARRIER();
	return NULL;
}

NOINLINE static int wait_for_stop(const sigset_t *set)
{
	int sig = 0;

	/* glibc's sigwait retries on EINTR by itself. */
	if (sigwait(set, &sig))
		target_die("sigwait");
	BARRIER();
	return sig;
}

int main(int argc, char **argv)
{
	static void *(*const workers[3])(void *) = { worker_a, worker_b, worker_c };
	long nspin = target_arg(argc, argv, 1, 3);
	pthread_t th[5];
	sigset_t set;

	if (nspin > 3)
		nspin = 3;
	target_init();
	/* Only main takes SIGTERM/SIGINT: block them before creating threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pipe(pipefd))
		target_die("pipe");
	for (long i = 0; i < nspin; i++)
		if (pthread_create(&th[i], NULL, workers[i], (void *)(i + 1)))
			target_die("pthread_create");
	if (pthread_create(&th[3], NULL, sleeper_main, NULL) ||
	    pthread_create(&th[4], NULL, reader_main, NULL))
		target_die("pthread_create");
	for (long i = 0; i < nspin; i++)
		target_wait_flag(&spinning[i]);
	while (!sleeper_tid || !reader_tid)
		sched_yield();
	target_wait_blocked(sleeper_tid);
	target_wait_blocked(reader_tid);
	target_ready();

	wait_for_stop(&set);
	printf("eintr sleeper=%d reader=%d\n", eintr_sleeper, eintr_reader);
	fflush(stdout);
	return 0;
}
