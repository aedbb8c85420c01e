// SPDX-License-Identifier: MIT
/*
 * t-idle: the smallest target. One thread blocked for ever:
 *
 *   main → idle_wait → pause
 *
 * Tests use it to check that ptrace works at all, and as a target that
 * costs no CPU.
 */
#include "target.h"

NOINLINE static void idle_wait(void)
{
	for (;;) {
		pause();
		BARRIER();
	}
}

int main(void)
{
	target_init();
	/* The thread is about to block; a dump a moment early sees it in write(). */
	target_ready();
	idle_wait();
	return 0;
}
