// SPDX-License-Identifier: MIT
/*
 * t-harm-exit: the ways a process can end or change under a profiler
 * (unwind.md P12-P14). Nothing ends before SIGUSR1, the "go" a test gives
 * once its profiler samples; from then busy phases are measured in CPU
 * time of the thread, so each gets about the same number of samples
 * however loaded the machine.
 *
 * Usage: t-harm-exit MODE [MS [ARG [untraced]]]      (MS default 300)
 *   exit         main spins in main_spin, the thread "worker" in
 *                worker_spin; MS ms after the go main calls exit(ARG)
 *   thread-exit  as exit, but the thread "exiter" (exiter_spin) calls
 *                exit(ARG): exit_group from a thread that is not the leader
 *   leader-exit  the thread "survivor" spins in survivor_spin; at the go
 *                main calls pthread_exit() (from then on the leader is a
 *                zombie and the process lives on), the survivor exits 0
 *                MS ms later
 *   exec         main and the thread "execer" spin in before_exec_spin; MS
 *                ms after the go the execer execs this program (from a
 *                thread that is not the leader), which spins in
 *                after_exec_spin for MS ms and exits 0. With ARG > 1 the
 *                new image spins 30 ms, then starts another execer, which
 *                execs again after 20 ms in before_exec_spin: ARG execs in
 *                all, each a chance for a profiler to have the execer
 *                seized just as its tid becomes the leader's. With a 4th
 *                argument "untraced", an image whose leader was traced
 *                for more than 80% of its spin exits 3: a sampling
 *                profiler must not stay attached
 *   churn        main spins in main_spin; at the go it starts ARG threads
 *                (default 2000), four at a time, each named "churn" and
 *                spinning in churn_spin for 200 us, then exits 0
 * "ready" comes once the first phase runs (not again after the exec).
 */
#include <fcntl.h>
#include <stdbool.h>

#include "target.h"

static volatile int spinning;
static volatile sig_atomic_t go;

/* Spin until this thread has used `ns` of CPU time; 0 means for ever. */
#define SPIN_FN(name)                                                         \
	NOINLINE static unsigned long name(unsigned long x, long long ns)     \
	{                                                                     \
		long long end = target_now_ns(CLOCK_THREAD_CPUTIME_ID) + ns;  \
		do {                                                          \
			for (int i = 0; i < 20000; i++) {                     \
				x = x * 6364136223846793005UL + __LINE__;     \
				OPAQUE(x);                                    \
			}                                                     \
		} while (!ns || target_now_ns(CLOCK_THREAD_CPUTIME_ID) < end); \
		return x;                                                     \
	}

SPIN_FN(main_spin)
SPIN_FN(worker_spin)
SPIN_FN(exiter_spin)
SPIN_FN(survivor_spin)
SPIN_FN(before_exec_spin)
SPIN_FN(after_exec_spin)
SPIN_FN(churn_spin)

static long ms_arg;
static long exit_arg;
static char *self_argv0;

/* Spin in fn until the go, then for MS ms more. */
static unsigned long until_go_then(unsigned long (*fn)(unsigned long, long long), unsigned long x)
{
	while (!go)
		x = fn(x, 1000000);
	return fn(x, ms_arg * 1000000LL);
}

static void on_go(int sig)
{
	(void)sig;
	go = 1;
}

/* Block until the go (SIGUSR1 blocked outside sigsuspend: no lost wakeup). */
static void wait_go(const sigset_t *unblocked)
{
	while (!go)
		sigsuspend(unblocked);
}

NOINLINE static void *worker(void *arg)
{
	unsigned long x;

	(void)arg;
	target_name_thread("worker");
	target_set_flag(&spinning);
	x = worker_spin(1, 0);
	return (void *)x;
}

NOINLINE static void *exiter(void *arg)
{
	unsigned long x;

	(void)arg;
	target_name_thread("exiter");
	target_set_flag(&spinning);
	x = until_go_then(exiter_spin, 1);
	OPAQUE(x);
	exit((int)exit_arg);
}

NOINLINE static void *survivor(void *arg)
{
	unsigned long x;

	(void)arg;
	target_name_thread("survivor");
	target_set_flag(&spinning);
	x = until_go_then(survivor_spin, 1);
	OPAQUE(x);
	exit(0);
}

static const char *untraced_arg;

static void exec_self(long execs_left)
{
	char ms[32], left[32];

	snprintf(ms, sizeof(ms), "%ld", ms_arg);
	snprintf(left, sizeof(left), "%ld", execs_left);
	execl("/proc/self/exe", self_argv0, "after-exec", ms, left, untraced_arg,
	      (char *)NULL);
	target_die("execl");
}

static bool traced_now(void)
{
	char buf[4096];
	const char *f;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	f = strstr(buf, "\nTracerPid:");
	return f && atol(f + 11) != 0;
}

/* The image after an exec: its leader spins `ms` ms in slices of 1 ms. */
static unsigned long after_exec(unsigned long x, long ms)
{
	long traced = 0;

	for (long i = 0; i < ms; i++) {
		x = after_exec_spin(x, 1000000);
		traced += traced_now();
	}
	if (untraced_arg && traced * 10 > ms * 8) {
		fprintf(stderr, "t-harm-exit: traced for %ld of %ld ms after an exec\n", traced,
			ms);
		exit(3);
	}
	return x;
}

NOINLINE static void *execer(void *arg)
{
	unsigned long x;

	(void)arg;
	target_name_thread("execer");
	target_set_flag(&spinning);
	x = until_go_then(before_exec_spin, 2);
	OPAQUE(x);
	exec_self(exit_arg > 1 ? exit_arg - 1 : 0);
	return NULL;
}

/* A later link of the exec chain: no go to wait for. */
NOINLINE static void *execer_again(void *arg)
{
	unsigned long x;

	(void)arg;
	target_name_thread("execer");
	target_set_flag(&spinning);
	x = before_exec_spin(3, 20 * 1000000LL);
	OPAQUE(x);
	exec_self(exit_arg - 1);
	return NULL;
}

NOINLINE static void *churner(void *arg)
{
	unsigned long x;

	target_name_thread("churn");
	x = churn_spin((unsigned long)arg, 200000);
	return (void *)x;
}

static void start(void *(*fn)(void *))
{
	pthread_t th;

	if (pthread_create(&th, NULL, fn, NULL))
		target_die("pthread_create");
	target_wait_flag(&spinning);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	struct sigaction sa;
	sigset_t usr1, unblocked;
	unsigned long x = 1;

	ms_arg = target_arg(argc, argv, 2, 300);
	exit_arg = target_arg(argc, argv, 3, 0);
	self_argv0 = argv[0];
	untraced_arg = argc > 4 && !strcmp(argv[4], "untraced") ? argv[4] : NULL;
	if (!strcmp(mode, "after-exec")) {
		if (exit_arg > 0) {
			x = after_exec(x, 30);
			start(execer_again);
			x = before_exec_spin(x, 0);
		}
		x = after_exec(x, ms_arg);
		OPAQUE(x);
		return 0;
	}
	target_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_go;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	/* Threads never take the go; main waits for it with sigsuspend. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &unblocked);
	if (!strcmp(mode, "exit")) {
		start(worker);
		pthread_sigmask(SIG_SETMASK, &unblocked, NULL);
		target_ready();
		x = until_go_then(main_spin, x);
		OPAQUE(x);
		exit((int)exit_arg);
	} else if (!strcmp(mode, "thread-exit")) {
		start(exiter);
		pthread_sigmask(SIG_SETMASK, &unblocked, NULL);
		target_ready();
		x = main_spin(x, 0);
	} else if (!strcmp(mode, "leader-exit")) {
		start(survivor);
		target_ready();
		wait_go(&unblocked);
		pthread_exit(NULL);
	} else if (!strcmp(mode, "exec")) {
		start(execer);
		pthread_sigmask(SIG_SETMASK, &unblocked, NULL);
		target_ready();
		x = before_exec_spin(x, 0);
	} else if (!strcmp(mode, "churn")) {
		long n = argc > 3 ? exit_arg : 2000;

		pthread_sigmask(SIG_SETMASK, &unblocked, NULL);
		target_ready();
		while (!go)
			x = main_spin(x, 1000000);
		for (long i = 0; i < n; i += 4) {
			pthread_t th[4];

			for (int k = 0; k < 4; k++)
				if (pthread_create(&th[k], NULL, churner, (void *)(i + k)))
					target_die("pthread_create");
			for (int k = 0; k < 4; k++)
				pthread_join(th[k], NULL);
		}
		return 0;
	} else {
		fprintf(stderr, "usage: t-harm-exit exit|thread-exit|leader-exit|exec|churn [MS [ARG "
				"[untraced]]]\n");
		return 2;
	}
	OPAQUE(x);
	return 0;
}
