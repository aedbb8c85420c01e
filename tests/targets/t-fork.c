// SPDX-License-Identifier: MIT
/*
 * t-fork: a parent and the children it forks, each busy in its own function.
 *
 *   parent: main → parent_work
 *   child:  main → run_child → child_work            (plain fork)
 *   child:  main → exec_child_main → exec_child_work (fork + exec of itself)
 *
 * Usage: t-fork MS [exec]
 *   MS    milliseconds every process stays busy (default 1000)
 *   exec  the child execs this program again instead of running on
 * "ready" is printed by the parent once the child runs. Parent exits 0 after
 * reaping the child.
 */
#include <stdbool.h>
#include <sys/wait.h>

#include "target.h"

NOINLINE static unsigned long spin_until(unsigned long x, long long until)
{
	while (target_now_ns(CLOCK_MONOTONIC) < until) {
		for (int i = 0; i < 1000; i++) {
			x = x * 6364136223846793005UL + 1;
			OPAQUE(x);
		}
	}
	return x;
}

NOINLINE static void parent_work(long ms)
{
	unsigned long x = spin_until(1, target_now_ns(CLOCK_MONOTONIC) + ms * 1000000LL);

	OPAQUE(x);
	BARRIER();
}

NOINLINE static void child_work(long ms)
{
	unsigned long x = spin_until(2, target_now_ns(CLOCK_MONOTONIC) + ms * 1000000LL);

	OPAQUE(x);
	BARRIER();
}

NOINLINE static void exec_child_work(long ms)
{
	unsigned long x = spin_until(3, target_now_ns(CLOCK_MONOTONIC) + ms * 1000000LL);

	OPAQUE(x);
	BARRIER();
}

NOINLINE static int run_child(long ms, int ready_fd)
{
	char c = 1;

	if (write(ready_fd, &c, 1) != 1)
		return 99;
	child_work(ms);
	BARRIER();
	return 0;
}

NOINLINE static int exec_child_main(long ms, int ready_fd)
{
	char c = 1;

	if (write(ready_fd, &c, 1) != 1)
		return 99;
	exec_child_work(ms);
	BARRIER();
	return 0;
}

int main(int argc, char **argv)
{
	long ms = target_arg(argc, argv, 1, 1000);
	bool exec_mode = argc > 2 && !strcmp(argv[2], "exec");
	int fds[2];
	char c;
	pid_t kid;

	target_init();
	if (argc > 3 && !strcmp(argv[2], "exec-child"))
		return exec_child_main(ms, atoi(argv[3]));
	if (pipe(fds))
		target_die("pipe");
	kid = fork();
	if (kid < 0)
		target_die("fork");
	if (!kid) {
		close(fds[0]);
		if (exec_mode) {
			char msbuf[32], fdbuf[16];

			snprintf(msbuf, sizeof(msbuf), "%ld", ms);
			snprintf(fdbuf, sizeof(fdbuf), "%d", fds[1]);
			execl("/proc/self/exe", argv[0], msbuf, "exec-child", fdbuf, (char *)NULL);
			_exit(98);
		}
		_exit(run_child(ms, fds[1]));
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1)
		target_die("child never started");
	target_ready();
	parent_work(ms);
	int status;

	if (waitpid(kid, &status, 0) != kid)
		target_die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
