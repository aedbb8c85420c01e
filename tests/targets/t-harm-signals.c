// SPDX-License-Identifier: MIT
/*
 * t-harm-signals: count queued signals, to show that profiling loses none
 * (unwind.md P10). Real-time signals queue instead of merging, so every
 * sigqueue() of the sender is exactly one handler call here, with or
 * without cprof.
 *
 *   t-harm-signals recv N spin|sleep
 *	takes SIGRTMIN, each carrying a sequence number 1..N in si_value,
 *	and exits 0 once all N arrived, printing "handled N dupes 0 bad 0".
 *	  spin   main spins in sig_spin (on a CPU: on-CPU sampling stops it)
 *	  sleep  main waits in sigsuspend (sampled with --idle)
 *	On SIGTERM it prints "handled C dupes D bad B" and exits 3.
 *
 *   t-harm-signals send PID N RATE
 *	sigqueue()s SIGRTMIN with values 1..N to PID, RATE per second,
 *	retrying while the queue is full; prints "sent N".
 */
#include <stdint.h>

#include "target.h"

#define MAX_N 100000

static volatile int expected;
static volatile int handled, dupes, bad;
static uint8_t seen[MAX_N + 1];

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	int v = si->si_value.sival_int;

	(void)sig;
	(void)uc;
	if (v < 1 || v > expected)
		bad++;
	else if (seen[v]++)
		dupes++;
	handled++;
}

static void report(void)
{
	char buf[96];
	int n = snprintf(buf, sizeof(buf), "handled %d dupes %d bad %d\n", handled, dupes, bad);

	if (write(STDOUT_FILENO, buf, (size_t)n) != n)
		_exit(99);
}

static void on_term(int sig)
{
	(void)sig;
	report();
	_exit(3);
}

NOINLINE static unsigned long sig_spin(unsigned long x)
{
	while (__atomic_load_n(&handled, __ATOMIC_RELAXED) < expected) {
		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005UL + 11;
			OPAQUE(x);
		}
	}
	return x;
}

NOINLINE static void sig_sleep(const sigset_t *unblocked)
{
	while (__atomic_load_n(&handled, __ATOMIC_RELAXED) < expected) {
		sigsuspend(unblocked); /* returns after each handler: normal */
		BARRIER();
	}
}

static int recv_main(long n, const char *mode)
{
	struct sigaction sa;
	sigset_t rt, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_rt;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	expected = (int)n;
	if (sigaction(SIGRTMIN, &sa, NULL))
		target_die("sigaction");
	signal(SIGTERM, on_term);
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN);
	/* Blocked outside sigsuspend, so none arrives between test and wait. */
	if (!strcmp(mode, "sleep"))
		sigprocmask(SIG_BLOCK, &rt, &old);
	target_ready();
	if (!strcmp(mode, "sleep")) {
		sig_sleep(&old);
	} else {
		unsigned long x = sig_spin(1);

		OPAQUE(x);
	}
	report();
	return dupes || bad ? 1 : 0;
}

static int send_main(pid_t pid, long n, long rate)
{
	struct timespec gap = { 0, 1000000000L / (rate > 0 ? rate : 1) };
	struct timespec full = { 0, 1000000 };

	for (long i = 1; i <= n; i++) {
		union sigval v = { .sival_int = (int)i };

		while (sigqueue(pid, SIGRTMIN, v)) {
			if (errno != EAGAIN)
				target_die("sigqueue");
			nanosleep(&full, NULL);
		}
		nanosleep(&gap, NULL);
	}
	printf("sent %ld\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "recv")) {
		long n = target_arg(argc, argv, 2, 0);

		if (n < 1 || n > MAX_N) {
			fprintf(stderr, "N must be 1..%d\n", MAX_N);
			return 2;
		}
		target_init();
		return recv_main(n, argv[3]);
	}
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_main((pid_t)target_arg(argc, argv, 2, 0), target_arg(argc, argv, 3, 0),
				 target_arg(argc, argv, 4, 1000));
	fprintf(stderr, "usage: t-harm-signals recv N spin|sleep | send PID N RATE\n");
	return 2;
}
