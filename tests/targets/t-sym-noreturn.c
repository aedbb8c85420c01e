// SPDX-License-Identifier: MIT
/*
 * t-sym-noreturn: a call that is the last instruction of its function
 * (unwind.md P23):
 *
 *   main → nr_caller → nr_spin (noreturn: nothing follows the call)
 *
 * nr_caller and nr_next are not aligned (optimize("align-functions=1")) and
 * kept in source order (no_reorder), so nr_caller's return address is the
 * first byte of nr_next (GCC; the test reports it otherwise): looked up
 * as is, the caller's frame would be named nr_next. nr_spin prints "ra
 * ADDR next ADDR" (the return address and nr_next, as run-time addresses)
 * and "ready", then spins. The call is on the line tagged CALL-NORETURN.
 */
#include "target.h"

#if defined(__clang__)
#define TIGHT __attribute__((noinline, used))
#define IN_ORDER
#else
/* Emitted in source order, which -O2 does not keep otherwise. */
#define IN_ORDER __attribute__((no_reorder))
#define TIGHT __attribute__((noipa, used, no_reorder, optimize("align-functions=1")))
#endif

unsigned long nr_next(unsigned long x);

IN_ORDER __attribute__((noreturn, noinline, used)) void nr_spin(unsigned long x)
{
	printf("ra %p next %p\n", __builtin_return_address(0), (void *)nr_next);
	fflush(stdout);
	target_ready();
	for (;;) {
		x = x * 6364136223846793005UL + 1;
		OPAQUE(x);
	}
}

TIGHT void nr_caller(unsigned long x)
{
	x = x * 5 + 3;
	nr_spin(x); /* CALL-NORETURN */
}

TIGHT unsigned long nr_next(unsigned long x)
{
	return x * 7 + 1;
}

int main(int argc, char **argv)
{
	(void)argv;
	target_init();
	if (argc > 5)
		nr_next((unsigned long)argc);
	nr_caller((unsigned long)argc);
}
