// SPDX-License-Identifier: MIT
/* String interning (src/strtab.h). */
#include "strtab.h"
#include "unit.h"

TEST(equal_strings_share_a_pointer)
{
	struct strtab *t = strtab_new();
	char a[] = "worker_a", b[] = "worker_a";
	const char *x = strtab_intern(t, a), *y = strtab_intern(t, b);

	CHECK(x == y);
	CHECK(x != a); /* a copy, not the caller's buffer */
	CHECK_STREQ(x, "worker_a");
	CHECK_EQ_INT(strtab_count(t), 1);
	a[0] = 'X'; /* the interned copy does not change with the source */
	CHECK_STREQ(x, "worker_a");
	CHECK(strtab_intern(t, "worker_b") != x);
	CHECK_EQ_INT(strtab_count(t), 2);
	strtab_free(t);
}

TEST(intern_len_takes_a_prefix)
{
	struct strtab *t = strtab_new();
	const char *full = strtab_intern(t, "main");
	const char *pre = strtab_intern_len(t, "mainly", 4);
	const char *pre2 = strtab_intern_len(t, "mai", 3);

	CHECK(full == pre);
	CHECK_STREQ(pre2, "mai");
	CHECK(pre2 != full);
	CHECK_EQ_INT(strtab_count(t), 2);
	/* The empty string is a string like any other. */
	CHECK(strtab_intern(t, "") == strtab_intern_len(t, "xyz", 0));
	CHECK_STREQ(strtab_intern(t, ""), "");
	strtab_free(t);
}

TEST(survives_growth)
{
	/* Far past the initial table and one storage chunk. */
	enum { N = 50000 };
	struct strtab *t = strtab_new();
	static const char *ptrs[N];
	char buf[64];

	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "function_%d_%x", i, i * 2654435761u);
		ptrs[i] = strtab_intern(t, buf);
	}
	CHECK_EQ_INT(strtab_count(t), N);
	for (int i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "function_%d_%x", i, i * 2654435761u);
		if (strtab_intern(t, buf) != ptrs[i] || strcmp(ptrs[i], buf)) {
			FAIL_MSG("string %d moved or changed: \"%s\"", i, ptrs[i]);
			break;
		}
	}
	CHECK_EQ_INT(strtab_count(t), N);
	strtab_free(t);
}

TEST(long_strings)
{
	/* Longer than a storage chunk (64 KiB). */
	size_t len = 200000;
	char *big = malloc(len + 1);
	struct strtab *t = strtab_new();

	REQUIRE_NOT_NULL(big);
	memset(big, 'x', len);
	big[len] = '\0';
	const char *a = strtab_intern(t, big);
	const char *b = strtab_intern(t, "short");

	CHECK_EQ_INT(strlen(a), len);
	CHECK(strtab_intern(t, big) == a);
	CHECK_STREQ(b, "short");
	free(big);
	strtab_free(t);
}

TEST(hash_is_stable)
{
	/* FNV-1a: outputs must be identical across runs and machines. */
	CHECK_EQ_U64(hash_bytes("", 0), 0xcbf29ce484222325ULL);
	CHECK_EQ_U64(hash_bytes("a", 1), 0xaf63dc4c8601ec8cULL);
	CHECK_EQ_U64(hash_bytes("foobar", 6), 0x85944171f73967e8ULL);
	CHECK_NE_U64(hash_mix(1, 2), hash_mix(2, 1));
}
