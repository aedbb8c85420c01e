// SPDX-License-Identifier: MIT
/* Command-line value parsers (src/options.h): boundaries, garbage, overflow. */
#include <limits.h>

#include "options.h"
#include "unit.h"

static char why[256];

TEST(pid_valid)
{
	pid_t pid = 0;

	CHECK_EQ_INT(parse_pid("1", &pid, why, sizeof(why)), 0);
	CHECK_EQ_INT(pid, 1);
	CHECK_EQ_INT(parse_pid("4194304", &pid, why, sizeof(why)), 0);
	CHECK_EQ_INT(pid, 4194304);
	CHECK_EQ_INT(parse_pid("2147483647", &pid, why, sizeof(why)), 0);
	CHECK_EQ_INT(pid, INT_MAX);
}

TEST(pid_invalid)
{
	static const char *const bad[] = {
		"", "abc", "12abc", "-1", "0", "2147483648", "99999999999999999999", " 12", "12 ",
		"+5", "0x10", "1.5",
	};
	pid_t pid = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (parse_pid(bad[i], &pid, why, sizeof(why)) != -EINVAL)
			FAIL_MSG("parse_pid(\"%s\") accepted", bad[i]);
		if (!why[0])
			FAIL_MSG("parse_pid(\"%s\") gave no reason", bad[i]);
	}
	CHECK_EQ_INT(pid, 42); /* untouched on failure */
	CHECK_EQ_INT(parse_pid(NULL, &pid, why, sizeof(why)), -EINVAL);
	parse_pid("abc", &pid, why, sizeof(why));
	CHECK_STRSTR(why, "abc");
	parse_pid("-3", &pid, why, sizeof(why));
	CHECK_STRSTR(why, "-3");
}

TEST(duration_units)
{
	uint64_t ns = 0;

	CHECK_EQ_INT(parse_duration("10", &ns, why, sizeof(why)), 0);
	CHECK_EQ_U64(ns, 10000000000ULL);
	CHECK_EQ_INT(parse_duration("1.5", &ns, why, sizeof(why)), 0);
	CHECK_EQ_U64(ns, 1500000000ULL);
	CHECK_EQ_INT(parse_duration("500ms", &ns, why, sizeof(why)), 0);
	CHECK_EQ_U64(ns, 500000000ULL);
	CHECK_EQ_INT(parse_duration("2s", &ns, why, sizeof(why)), 0);
	CHECK_EQ_U64(ns, 2000000000ULL);
	CHECK_EQ_INT(parse_duration("2m", &ns, why, sizeof(why)), 0);
	CHECK_EQ_U64(ns, 120000000000ULL);
	CHECK_EQ_INT(parse_duration("1h", &ns, why, sizeof(why)), 0);
	CHECK_EQ_U64(ns, 3600000000000ULL);
	CHECK_EQ_INT(parse_duration("1ms", &ns, why, sizeof(why)), 0);
	CHECK_EQ_U64(ns, 1000000ULL);
	CHECK_EQ_INT(parse_duration(".25", &ns, why, sizeof(why)), 0);
	CHECK_EQ_U64(ns, 250000000ULL);
}

TEST(duration_invalid)
{
	static const char *const bad[] = {
		"", "s", "abc", "-1", "0", "0.5ms", "10x", "10 s", "1e400", "nan", "inf",
		"400d", "9999h", "10sec",
	};
	uint64_t ns = 7;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (parse_duration(bad[i], &ns, why, sizeof(why)) != -EINVAL)
			FAIL_MSG("parse_duration(\"%s\") accepted: %" PRIu64, bad[i], ns);
		if (!why[0])
			FAIL_MSG("parse_duration(\"%s\") gave no reason", bad[i]);
	}
	CHECK_EQ_U64(ns, 7);
	parse_duration("0.5ms", &ns, why, sizeof(why));
	CHECK_STRSTR(why, "too short");
}

TEST(rate_bounds)
{
	unsigned int hz = 0;

	CHECK_EQ_INT(parse_rate("1", 1000, &hz, why, sizeof(why)), 0);
	CHECK_EQ_INT(hz, 1);
	CHECK_EQ_INT(parse_rate("1000", 1000, &hz, why, sizeof(why)), 0);
	CHECK_EQ_INT(hz, 1000);
	CHECK_EQ_INT(parse_rate("1001", 1000, &hz, why, sizeof(why)), -EINVAL);
	CHECK_STRSTR(why, "out of range");
	CHECK_EQ_INT(parse_rate("0", 1000, &hz, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_rate("-5", 1000, &hz, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_rate("99hz", 1000, &hz, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_rate("18446744073709551617", 1000, &hz, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(hz, 1000);
}

TEST(uint_and_double)
{
	unsigned long v = 0;
	double d = 0;

	CHECK_EQ_INT(parse_uint("0", 0, 10, &v, why, sizeof(why)), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(parse_uint("10", 0, 10, &v, why, sizeof(why)), 0);
	CHECK_EQ_INT(parse_uint("11", 0, 10, &v, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_uint("", 0, 10, &v, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_uint("18446744073709551616", 0, ULONG_MAX, &v, why, sizeof(why)),
		     -EINVAL);
	CHECK_EQ_INT(parse_double("0.25", 0, 1, &d, why, sizeof(why)), 0);
	CHECK(d == 0.25);
	CHECK_EQ_INT(parse_double("1.5", 0, 1, &d, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_double("nan", 0, 1, &d, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_double("inf", 0, 1e300, &d, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_double("", 0, 1, &d, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_double("0.5x", 0, 1, &d, why, sizeof(why)), -EINVAL);
}

TEST(tid_list)
{
	pid_t *v = NULL;
	size_t n = 0;

	REQUIRE_EQ_INT(parse_tid_list("12,34-36,5", &v, &n, why, sizeof(why)), 0);
	REQUIRE_EQ_INT(n, 5);
	CHECK_EQ_INT(v[0], 5);
	CHECK_EQ_INT(v[1], 12);
	CHECK_EQ_INT(v[2], 34);
	CHECK_EQ_INT(v[3], 35);
	CHECK_EQ_INT(v[4], 36);
	free(v);
	v = NULL;
	REQUIRE_EQ_INT(parse_tid_list("7", &v, &n, why, sizeof(why)), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(v[0], 7);
	free(v);
}

TEST(tid_list_invalid)
{
	static const char *const bad[] = {
		"", ",", "1,", ",1", "a", "1-", "-1", "5-3", "0", "1;2", "1 2", "1--2",
		"1-200000", "99999999999",
	};
	pid_t *v = NULL;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (parse_tid_list(bad[i], &v, &n, why, sizeof(why)) != -EINVAL)
			FAIL_MSG("parse_tid_list(\"%s\") accepted (%zu ids)", bad[i], n);
		if (!why[0])
			FAIL_MSG("parse_tid_list(\"%s\") gave no reason", bad[i]);
	}
	CHECK_NULL(v);
}

TEST(size_suffixes)
{
	uint64_t b = 0;

	CHECK_EQ_INT(parse_size("65536", 0, UINT64_MAX, &b, why, sizeof(why)), 0);
	CHECK_EQ_U64(b, 65536);
	CHECK_EQ_INT(parse_size("32K", 0, UINT64_MAX, &b, why, sizeof(why)), 0);
	CHECK_EQ_U64(b, 32768);
	CHECK_EQ_INT(parse_size("32kib", 0, UINT64_MAX, &b, why, sizeof(why)), 0);
	CHECK_EQ_U64(b, 32768);
	CHECK_EQ_INT(parse_size("1M", 0, UINT64_MAX, &b, why, sizeof(why)), 0);
	CHECK_EQ_U64(b, 1048576);
	CHECK_EQ_INT(parse_size("4K", 8192, 1 << 20, &b, why, sizeof(why)), -EINVAL);
	CHECK_STRSTR(why, "out of range");
	CHECK_EQ_INT(parse_size("2M", 8192, 1 << 20, &b, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_size("1G", 0, UINT64_MAX, &b, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_size("-1", 0, UINT64_MAX, &b, why, sizeof(why)), -EINVAL);
	CHECK_EQ_INT(parse_size("K", 0, UINT64_MAX, &b, why, sizeof(why)), -EINVAL);
	/* Overflow in the multiplication must not wrap into range. */
	CHECK_EQ_INT(parse_size("18014398509481984K", 0, UINT64_MAX, &b, why, sizeof(why)),
		     -EINVAL);
	CHECK_EQ_INT(parse_size("99999999999999999999", 0, UINT64_MAX, &b, why, sizeof(why)),
		     -EINVAL);
	CHECK_EQ_U64(b, 1048576);
}
