// SPDX-License-Identifier: MIT
/*
 * t-signal: stacks that cross a signal frame.
 *
 *   main → interrupted_fn (spinning) ← SIGALRM
 *        → __restore_rt → alarm_handler → handler_spin
 *
 * Usage: t-signal [periodic|altstack]
 *   default   one SIGALRM arrives; its handler spins forever, so every
 *             stack of main reads handler_spin ← alarm_handler ←
 *             __restore_rt ← interrupted_fn ← main. The handler prints
 *             "ready".
 *   periodic  SIGALRM every 2 ms, each handler spinning ~1 ms of CPU, so
 *             about half the samples land in the handler.
 *   altstack  as the default, but the handler runs on a sigaltstack in
 *             the heap, away from the thread's stack.
 */
#include <sys/time.h>

#include "target.h"

static volatile int periodic;
static volatile int announced;
static volatile unsigned long handled;

NOINLINE static unsigned long handler_spin(unsigned long x)
{
	long long until = target_now_ns(CLOCK_THREAD_CPUTIME_ID) + 1000000;

	if (!announced) {
		announced = 1;
		target_ready(); /* one write(2): async-signal-safe */
	}
	/*
	 * The clock is read about every 20 us of work. A clock read every
	 * microsecond drew nearly every sample onto the read's syscall exit,
	 * which is where a ptrace stop lands once the thread is in a syscall
	 * before the interrupt's IPI reaches it.
	 */
	do {
		for (int i = 0; i < 10000; i++) {
			x = x * 6364136223846793005UL + 7;
			OPAQUE(x);
		}
	} while (!periodic || target_now_ns(CLOCK_THREAD_CPUTIME_ID) < until);
	return x;
}

NOINLINE static void alarm_handler(int sig)
{
	int saved = errno;

	handler_spin((unsigned long)sig);
	handled++;
	BARRIER();
	errno = saved;
}

NOINLINE static unsigned long interrupted_fn(unsigned long x)
{
	for (;;) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		OPAQUE(x);
	}
	return x;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct itimerval it = { { 0, 0 }, { 0, 10000 } };

	target_init();
	periodic = argc > 1 && !strcmp(argv[1], "periodic");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = alarm_handler;
	sa.sa_flags = SA_RESTART;
	if (argc > 1 && !strcmp(argv[1], "altstack")) {
		stack_t ss = { .ss_size = 256 * 1024 };

		ss.ss_sp = malloc(ss.ss_size);
		if (!ss.ss_sp || sigaltstack(&ss, NULL))
			target_die("sigaltstack");
		sa.sa_flags |= SA_ONSTACK;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL))
		target_die("sigaction");
	if (periodic)
		it.it_interval.tv_usec = 2000;
	if (setitimer(ITIMER_REAL, &it, NULL))
		target_die("setitimer");
	interrupted_fn(1);
	return 0;
}
