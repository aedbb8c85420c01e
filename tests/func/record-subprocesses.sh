#!/bin/bash
# record --subprocesses: children forked (and exec'ed) by the target are
# sampled too, each process a root frame of its own.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

for opt in $OPTS; do
	for mode in fork exec; do
		arg=
		[ "$mode" = exec ] && arg=exec
		run_cprof record --subprocesses -o "$T/$mode.folded" -o "$T/$mode.json" -- \
			"$B/targets/$opt/t-fork" 1500 $arg
		expect_rc 0 "$opt/$mode: record --subprocesses"
		parent=$(grep -c '^\[process [0-9]* [^;]*\];.*parent_work' "$T/$mode.folded" || true)
		[ "$parent" -gt 0 ] || { show "$T/$mode.folded"; fail "$opt/$mode: no parent samples"; }
		child=child_work
		[ "$mode" = exec ] && child=exec_child_work
		assert_grep "$T/$mode.folded" "^\[process [0-9]+ [^;]*\];.*;$child;spin_until [0-9]+$" \
			"$opt/$mode: the child's hot function"
		# Two different process roots.
		roots=$(sed -n 's/^\[process \([0-9]*\) .*/\1/p' "$T/$mode.folded" | sort -u | wc -l)
		[ "$roots" -ge 2 ] || fail "$opt/$mode: $roots process roots, expected 2"
		# The child is busy as long as the parent: a fair share of samples.
		n_child=$(awk -v f=";$child;" 'index($0, f) { n += $NF } END { print n + 0 }' "$T/$mode.folded")
		[ "$n_child" -ge 20 ] || fail "$opt/$mode: only $n_child samples of the child"
	done
done

# Without the option the child is not profiled.
run_cprof record -o "$T/plain.folded" -- "$B/targets/O2/t-fork" 500
expect_rc 0 "record without --subprocesses"
assert_no_grep "$T/plain.folded" "child_work" "child samples without --subprocesses"
