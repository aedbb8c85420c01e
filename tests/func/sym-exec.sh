#!/bin/bash
# A process that execs (unwind.md P14, light): t-sym-exec spins in
# pre_exec_hot, then, on SIGUSR1, execs itself with an argument that makes
# it spin in post_exec_hot. One recording over both images names both,
# each under main, and leaves no frame unnamed: nothing known of the old
# image (its load address, its symbols) is applied to the new one.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

skip_unless_ptrace

for opt in $OPTS; do
	start_target t-sym-exec "$opt"
	base_pre=$(grep -m1 't-sym-exec$' /proc/"$TARGET_PID"/maps | cut -d- -f1)
	folded=$T/exec.$opt.folded
	rec_start "$folded" -p "$TARGET_PID" -r 200
	rec_wait ';main;pre_exec_hot ' 20
	kill -USR1 "$TARGET_PID"
	for ((i = 0; i < REC_WAIT * 10; i++)); do
		grep -q "^post $TARGET_PID\$" "$TARGET_OUT" && break
		sleep 0.1
	done
	grep -q "^post $TARGET_PID\$" "$TARGET_OUT" || { show "$TARGET_OUT" "$TARGET_ERR"; fail "no exec"; }
	base_post=$(grep -m1 't-sym-exec$' /proc/"$TARGET_PID"/maps | cut -d- -f1)
	info "$opt: image at $base_pre before the exec, at $base_post after"
	rec_wait ';main;post_exec_hot ' 50
	rec_stop

	sym_dump --pid "$TARGET_PID"
	expect_rc 0 "dump after the exec ($opt)"
	assert_stack "$OUT" t-sym-exec post_exec_hot main ... _start
	stop_target

	info "$opt: pre_exec_hot $(rec_count ';pre_exec_hot ') samples, post_exec_hot $(rec_count ';post_exec_hot ')"
	assert_no_grep "$folded" 'unknown|\+0x' "unnamed frames ($opt)"
	# Both hot functions, only as leaves called by main, which libc called.
	assert_eq "$(rec_count '^_start;[^;]*libc_start[^;]*;([^;]*libc_start[^;]*;)?main;(pre|post)_exec_hot [0-9]+$')" \
		"$(rec_count '_exec_hot')" "stacks of the hot functions ($opt)"
done
