// SPDX-License-Identifier: MIT
/*
 * t-vfork: a process whose only thread cannot stop for a while. main
 * vforks; until the child exits, the parent waits in the kernel in a state
 * that ptrace cannot interrupt (D), so a dump cannot stop it.
 *
 *   main → vfork_wait (in vfork); the child sleeps SECONDS and exits.
 *   Then main → idle_after (pause) for good.
 *
 * Usage: t-vfork SECONDS
 */
#include "target.h"

NOINLINE static void idle_after(void)
{
	for (;;) {
		pause();
		BARRIER();
	}
}

NOINLINE static void vfork_wait(unsigned int secs)
{
	/* The child only sleeps and exits: all vfork allows. */
	pid_t pid = vfork();

	if (pid == 0) {
		sleep(secs);
		_exit(0);
	}
	if (pid < 0)
		target_die("vfork");
}

int main(int argc, char **argv)
{
	long secs = target_arg(argc, argv, 1, 3);

	target_init();
	target_ready();
	vfork_wait((unsigned int)secs);
	printf("vfork done\n");
	fflush(stdout);
	idle_after();
	return 0;
}
