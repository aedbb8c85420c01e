// SPDX-License-Identifier: MIT
/* Symbol demangling (src/demangle.h). */
#include "demangle.h"
#include "unit.h"

static char buf[1024];

#define CHECK_DEMANGLE(in, want) CHECK_STREQ(demangle(in, buf, sizeof(buf)), want)

TEST(cxx_functions_and_templates)
{
	CHECK_DEMANGLE("_Z3fooi", "foo(int)");
	CHECK_DEMANGLE("_ZN10cprof_test6WorkerIiE3runEi", "cprof_test::Worker<int>::run(int)");
	CHECK_DEMANGLE("_ZNSt6vectorIiSaIiEE9push_backERKi",
		       "std::vector<int, std::allocator<int> >::push_back(int const&)");
	CHECK_DEMANGLE("_ZN10cprof_test4spinILi3EEEvPv", "void cprof_test::spin<3>(void*)");
	CHECK_DEMANGLE("_ZZ4mainENKUlvE_clEv", "main::{lambda()#1}::operator()() const");
}

TEST(cxx_clones)
{
	/* GCC's .cold/.constprop/.isra clones keep their suffix, readably. */
	CHECK_DEMANGLE("_Z3fooi.cold", "foo(int) [clone .cold]");
	CHECK_DEMANGLE("_Z3bari.constprop.0", "bar(int) [clone .constprop.0]");
	CHECK_DEMANGLE("_ZN1A1fEv.isra.0", "A::f() [clone .isra.0]");
}

TEST(rust_legacy_hash_is_stripped)
{
	CHECK_DEMANGLE("_ZN4core3ptr13drop_in_place17h1234567890abcdefE", "core::ptr::drop_in_place");
	CHECK_DEMANGLE("_ZN3std2rt10lang_start17h0123456789ABCDEFE", "std::rt::lang_start");
	/* Not a hash: 15 digits, or no 'h'. */
	CHECK_DEMANGLE("_ZN3foo16h123456789abcdefE", "foo::h123456789abcdef");
	CHECK_DEMANGLE("_ZN3foo17x1234567890abcdefE", "foo::x1234567890abcdef");
	/* A hash that is the whole name is kept rather than emptied. */
	CHECK_DEMANGLE("_ZN17h1234567890abcdefE", "h1234567890abcdef");
}

TEST(plain_names_unchanged)
{
	static const char *const names[] = {
		"main", "spin_a", "_start", "__libc_start_main", "start_thread", "level_a1.cold",
		"hot_three.constprop.0", "_Zfoo", "_Z", "_", "", "_RNvCs1234_7mycrate3foo",
		"__GI___clock_nanosleep",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *out = demangle(names[i], buf, sizeof(buf));

		if (out != names[i])
			FAIL_MSG("\"%s\" was changed to \"%s\"", names[i], out);
	}
	CHECK_NULL(demangle(NULL, buf, sizeof(buf)));
}

TEST(small_buffer_truncates)
{
	char small[8];
	const char *out = demangle("_ZN10cprof_test6WorkerIiE3runEi", small, sizeof(small));

	CHECK(out == small);
	CHECK_STREQ(out, "cprof_t");
	/* A zero-size buffer cannot hold anything: the name comes back. */
	CHECK_STREQ(demangle("_Z3fooi", small, 0), "_Z3fooi");
}
