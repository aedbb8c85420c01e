#!/bin/bash
# C++ names come out demangled (unwind.md P27): a template member, a
# template member function and a lambda inside it, in a namespace.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$B/targets/O2/t-cxx" ] || skip "t-cxx is not built (no C++ compiler)"
skip_unless_ptrace

for opt in $OPTS; do
	start_target t-cxx "$opt"
	run_cprof dump --no-lines --pid "$TARGET_PID"
	expect_rc 0 "dump of t-cxx ($opt)"
	assert_stack "$OUT" t-cxx \
		'cprof_test::Worker<int>::step<3>(unsigned long)::{lambda(unsigned long)#1}::operator()(unsigned long) const' \
		'unsigned long cprof_test::Worker<int>::step<3>(unsigned long)' \
		'cprof_test::Worker<int>::run(int)' \
		'cprof_test::run_all()' \
		main ...
	assert_no_grep "$OUT" ' _Z[A-Za-z0-9_]+' "no mangled names ($opt)"
	stop_target
done
