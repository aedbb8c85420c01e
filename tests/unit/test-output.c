// SPDX-License-Identifier: MIT
/*
 * The writers' number formatting (src/output.c): fmt_fixed and fmt_u64
 * stand in for printf's "%.Nf" and "%" PRIu64 in every output, which must
 * stay byte for byte what printf wrote (report -o re-renders a recording's
 * outputs exactly). Checked against snprintf on edge cases, ties, and many
 * pseudo-random values of the magnitudes the writers use.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "output.h"
#include "unit.h"

static void check_fixed(double v, int prec)
{
	char want[512], got[512];
	size_t n;

	snprintf(want, sizeof(want), "%.*f", prec, v);
	n = fmt_fixed(got, sizeof(got), v, prec);
	CHECK(n < sizeof(got));
	got[n] = '\0';
	CHECK_STREQ(got, want);
}

static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

TEST(fixed_edge_cases)
{
	static const double vals[] = {
		0.0,	-0.0,	 0.5,	  1.5,	   2.5,	    0.125,    0.375,   0.005,
		0.015,	0.025,	 0.045,	  1.005,   2.675,   99.995,   99.9949, 100.0,
		1e-300, 1e-9,	 123456789.125,	   4503599627370495.5,	       9007199254740993.0,
		1e300,	-1.25,	 -2.675,  -0.004,  1179.9999999,	       1e15,	1e22,
	};

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		for (int prec = 0; prec <= 2; prec++)
			check_fixed(vals[i], prec);
}

TEST(fixed_not_finite)
{
	for (int prec = 0; prec <= 2; prec++) {
		check_fixed(INFINITY, prec);
		check_fixed(-INFINITY, prec);
		check_fixed(NAN, prec);
	}
}

TEST(fixed_random_magnitudes)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL;

	for (int i = 0; i < 300000; i++) {
		uint64_t r = next(&s);
		/* Widths and x positions in pixels, percentages, ratios. */
		double v = (double)(r % 100000000) / (double)(1 + next(&s) % 100000);
		int prec = (int)(r >> 60) % 3;

		check_fixed(v, prec);
		/* Exact ties in binary: k/8, k/4, k/2. */
		check_fixed((double)(r % 100000) / 8.0, prec);
		if (unit_failures)
			return;
	}
}

TEST(u64_matches_printf)
{
	static const uint64_t vals[] = { 0, 1, 9, 10, 99, 100, 4294967295ULL, 4294967296ULL,
					 999999999999ULL, UINT64_MAX };
	uint64_t s = 12345;

	for (int i = 0; i < 100010; i++) {
		uint64_t v = i < 10 ? vals[i] : next(&s) >> (next(&s) % 64);
		char want[32], got[32];
		size_t n = fmt_u64(got, v);

		got[n] = '\0';
		snprintf(want, sizeof(want), "%" PRIu64, v);
		CHECK_STREQ(got, want);
		if (unit_failures)
			return;
	}
}
