// SPDX-License-Identifier: MIT
/*
 * t-sym-exec: a process that replaces its image (unwind.md P14, light).
 *
 *   t-sym-exec        main → pre_exec_hot, until SIGUSR1; then it execs
 *                     itself with the argument "post"
 *   t-sym-exec post   main → post_exec_hot, forever; prints "post PID"
 *
 * The pid stays, the image is mapped anew (at another address: ASLR), so
 * a profiler must drop what it knew of the old one.
 */
#include "target.h"

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

NOINLINE static unsigned long pre_exec_hot(unsigned long x)
{
	while (!go) {
		x = x * 6364136223846793005UL + 1;
		OPAQUE(x);
	}
	return x;
}

NOINLINE static unsigned long post_exec_hot(unsigned long x)
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
	char self[4096];
	ssize_t n;

	target_init();
	if (argc > 1 && !strcmp(argv[1], "post")) {
		printf("post %d\n", (int)getpid());
		fflush(stdout);
		return (int)(post_exec_hot(1) & 1);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		target_die("sigaction");
	/* By its path, not /proc/self/exe: that would rename the process "exe". */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		target_die("readlink /proc/self/exe");
	self[n] = '\0';
	target_ready();
	pre_exec_hot(1);
	execl(self, argv[0], "post", (char *)NULL);
	target_die("execl");
	return 99;
}
