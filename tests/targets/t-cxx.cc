// SPDX-License-Identifier: MIT
/*
 * t-cxx: C++ frames whose names must come out demangled.
 *
 *   main → cprof_test::run_all() → cprof_test::Worker<int>::run(int)
 *        → cprof_test::Worker<int>::step<3>(unsigned long) → {lambda}
 *
 * Prints "ready" once the main thread spins in the innermost function.
 */
#include "target.h"

namespace cprof_test {

static volatile int stop;
static volatile int spinning;

template <typename T> struct Worker {
	T seed;

	template <int N> NOINLINE unsigned long step(unsigned long x)
	{
		auto spin = [](unsigned long v) NOINLINE {
			target_set_flag(&spinning);
			while (!stop) {
				v = v * 6364136223846793005UL + N;
				OPAQUE(v);
			}
			return v;
		};
		x = spin(x + N);
		BARRIER();
		return x;
	}

	NOINLINE unsigned long run(T n)
	{
		unsigned long x = step<3>((unsigned long)n + (unsigned long)seed);
		BARRIER();
		return x;
	}
};

NOINLINE unsigned long run_all()
{
	Worker<int> w{ 1 };
	unsigned long x = w.run(2);

	BARRIER();
	return x;
}

} // namespace cprof_test

static void *announce(void *)
{
	target_name_thread("announcer");
	target_wait_flag(&cprof_test::spinning);
	target_ready();
	for (;;)
		pause();
	return nullptr;
}

int main()
{
	pthread_t th;

	target_init();
	if (pthread_create(&th, nullptr, announce, nullptr))
		target_die("pthread_create");
	return (int)(cprof_test::run_all() & 1);
}
