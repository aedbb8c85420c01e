// SPDX-License-Identifier: MIT
/*
 * t-sym-clones: C++ functions that GCC splits or clones (unwind.md P27),
 * for demangled names in a live process:
 *
 *   main → sym::(anonymous namespace)::Acc<unsigned long>::run(unsigned long, int)
 *            [clone .constprop.0]     (k is always 5: propagated into a clone)
 *        → sym::hot_or_cold(unsigned long) [clone .cold]
 *            (the unlikely path, which ends in a cold call, is moved out)
 *        → sym::spin_until_stop(unsigned long)
 *
 * Built by tests/targets/extra.mk at -O2, with DWARF and without (-g0): the
 * clone suffixes only exist in the symbol table; DWARF names each part
 * after its function. Prints "ready" once spinning.
 */
#include "target.h"

namespace sym {

static volatile int stop;
static volatile int spinning;
static volatile int rare = 1;
static volatile unsigned long sink;

__attribute__((noinline)) unsigned long spin_until_stop(unsigned long x)
{
	target_set_flag(&spinning);
	while (!stop) {
		x = x * 6364136223846793005UL + 1;
		OPAQUE(x);
	}
	return x;
}

__attribute__((cold, noinline)) void cold_report(unsigned long x)
{
	sink = x;
}

/*
 * noinline but not noipa: GCC may still split it and clone its callers.
 * The block after the cold call is moved to hot_or_cold.cold with it.
 */
__attribute__((noinline)) unsigned long hot_or_cold(unsigned long x)
{
	for (int i = 0; i < 10; i++) {
		x = x * 7 + (x >> 3);
		OPAQUE(x);
	}
	if (__builtin_expect(rare, 0)) {
		cold_report(x);
		x = spin_until_stop(x) + x; /* CALL-SPIN */
		cold_report(x);
	}
	return x + 1;
}

namespace {

template <typename T> struct Acc {
	T v;

	__attribute__((noinline)) T run(T x, int k)
	{
		for (int i = 0; i < k; i++) {
			x = hot_or_cold(x) * 3 + v;
			OPAQUE(x);
		}
		return x;
	}
};

} // namespace

} // namespace sym

static void *announce(void *)
{
	target_name_thread("announcer");
	target_wait_flag(&sym::spinning);
	target_ready();
	for (;;)
		pause();
	return nullptr;
}

int main(int argc, char **argv)
{
	pthread_t th;
	sym::Acc<unsigned long> a{ (unsigned long)argc };
	unsigned long x;

	target_init();
	if (pthread_create(&th, nullptr, announce, nullptr))
		target_die("pthread_create");
	x = a.run(1, 5);
	x += a.run((unsigned long)argv, 5);
	return (int)(x & 1);
}
