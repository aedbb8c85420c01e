// SPDX-License-Identifier: MIT
/*
 * t-sym-lines: one stack with both real and inlined frames, the subject of
 * the symbolization tests that rebuild, strip, compress, copy or hide the
 * binary (tests/func/sym-*.sh):
 *
 *   main → lines_outer → lines_mid → lines_inl_a (inlined) → lines_inl_b (inlined)
 *
 * The main thread is named "sym-main" whatever the binary is called, and
 * spins on the line tagged LINES-LOOP. Lines tagged CALL-* are looked up by
 * the tests (grep -n): keep each tag on the line it names, and each call on
 * one line, so every compiler gives it the same line number.
 *
 * Built by gcc at -O0 and -O2 like every target, and by tests/targets/extra.mk
 * with clang, with zlib-compressed DWARF and without DWARF.
 */
#include "target.h"

static volatile int stop;
static volatile int spinning;

static inline __attribute__((always_inline)) unsigned long lines_inl_b(unsigned long x)
{
	target_set_flag(&spinning);
	while (!stop) { x = x * 2862933555777941757UL + 3037000493UL; OPAQUE(x); } /* LINES-LOOP */
	return x;
}

static inline __attribute__((always_inline)) unsigned long lines_inl_a(unsigned long x)
{
	x = lines_inl_b(x ^ 0x77); /* CALL-INL-B */
	BARRIER();
	return x + 5;
}

NOINLINE unsigned long lines_mid(unsigned long x)
{
	x = lines_inl_a(x + 3); /* CALL-INL-A */
	BARRIER();
	return x ^ 0x3c3c;
}

NOINLINE unsigned long lines_outer(unsigned long x)
{
	x = lines_mid(x * 7); /* CALL-MID */
	BARRIER();
	return x - 1;
}

/* Announces once main spins, then stays blocked, so the thread set is stable. */
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
	target_name_thread("sym-main");
	if (pthread_create(&th, NULL, announce, NULL))
		target_die("pthread_create");
	pthread_detach(th);
	x = lines_outer(1); /* CALL-OUTER */
	BARRIER();
	return (int)(x & 1);
}
