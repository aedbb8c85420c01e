// SPDX-License-Identifier: MIT
/*
 * t-sym-vdso: a thread that spends its time in the vDSO (unwind.md P3):
 *
 *   main → vdso_spin → clock_gettime → __vdso_clock_gettime [vdso]
 *
 * Unwinding out of the vDSO needs its CFI, which only a copy of the vDSO
 * image provides: every sample should still reach main.
 */
#include "target.h"

NOINLINE static long long vdso_spin(void)
{
	struct timespec ts;
	long long sum = 0;

	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		sum += ts.tv_nsec;
		clock_gettime(CLOCK_REALTIME, &ts);
		sum ^= ts.tv_sec;
		OPAQUE(sum);
	}
	return sum;
}

int main(void)
{
	target_init();
	target_ready();
	return (int)(vdso_spin() & 1);
}
