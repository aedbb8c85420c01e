#!/bin/bash
# Stacks across a signal frame (unwind.md P8): a thread interrupted by
# SIGALRM, spinning in the handler, reads handler_spin ← alarm_handler ←
# __restore_rt ← interrupted_fn ← main. The trampoline and the interrupted
# frame have exact pcs, not return addresses, so both name the right
# function, and main's line is the line of its call. With a sigaltstack
# the handler's frames must still come out.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

src=$SRCDIR/tests/targets/t-signal.c
call_line=$(line_of "$src" 'interrupted_fn(1);')

for opt in $OPTS; do
	start_target t-signal "$opt"
	run_cprof dump --pid "$TARGET_PID"
	expect_rc 0 "dump of t-signal ($opt)"
	assert_stack "$OUT" t-signal handler_spin alarm_handler __restore_rt interrupted_fn main \
		'*libc_start*' ... _start
	assert_grep "$OUT" '^  #2 +0x[0-9a-f]+ __restore_rt \[libc\.so\.6\]$' "__restore_rt frame ($opt)"
	assert_grep "$OUT" " main at [^ ]*t-signal\\.c:$call_line \\[" "main's line is its call ($opt)"
	# Still spinning in the handler: the dump did not end the signal.
	run_cprof dump --pid "$TARGET_PID"
	expect_rc 0 "second dump of t-signal ($opt)"
	assert_stack "$OUT" t-signal handler_spin alarm_handler __restore_rt interrupted_fn main ...
	stop_target

	# On a sigaltstack: the handler's frames at least, and no crash.
	# Whether the walk crosses back to the thread's stack is not required.
	start_target t-signal "$opt" altstack
	run_cprof dump --pid "$TARGET_PID"
	expect_rc 0 "dump of t-signal altstack ($opt)"
	assert_stack "$OUT" t-signal handler_spin alarm_handler ...
	info "altstack $opt: $(thread_funcs "$OUT" t-signal | paste -sd' ')"
	stop_target
done
