// SPDX-License-Identifier: MIT
/*
 * t-inline: inlined frames. Two always_inline functions are inlined into
 * a noinline caller at every optimisation level (GCC inlines always_inline
 * even at -O0 -fno-inline), so the spinning thread's innermost address is
 * in three functions at once:
 *
 *   main → inl_caller → inl_middle (inlined) → inl_leaf (inlined)
 *
 * The lines tagged CALL-MIDDLE, CALL-LEAF and LEAF-LOOP are looked up by
 * the tests (grep -n), so keep each tag on the line it names.
 */
#include "target.h"

static volatile int stop;
static volatile int spinning;

static inline __attribute__((always_inline)) unsigned long inl_leaf(unsigned long x)
{
	target_set_flag(&spinning);
	while (!stop) { x = x * 2862933555777941757UL + 3037000493UL; OPAQUE(x); } /* LEAF-LOOP */
	return x;
}

static inline __attribute__((always_inline)) unsigned long inl_middle(unsigned long x)
{
	x = inl_leaf(x + 1); /* CALL-LEAF */
	BARRIER();
	return x ^ 0x5555;
}

NOINLINE static unsigned long inl_caller(unsigned long x)
{
	x = inl_middle(x); /* CALL-MIDDLE */
	BARRIER();
	return x + 7;
}

/* Announces once main is spinning, then stays blocked, so the thread set is stable. */
static void *announce(void *arg)
{
	(void)arg;
	target_name_thread("announcer");
	target_wait_flag(&spinning);
	target_ready();
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t th;
	unsigned long x;

	target_init();
	if (pthread_create(&th, NULL, announce, NULL))
		target_die("pthread_create");
	pthread_detach(th);
	x = inl_caller(1);
	BARRIER();
	return (int)(x & 1);
}
