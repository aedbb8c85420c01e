#!/bin/bash
# Signal frames in a recording (unwind.md P8; dump-signal.sh covers dump).
# t-signal periodic takes SIGALRM every 2 ms and spins ~1 ms of CPU in the
# handler, so samples land in the handler at arbitrary points of the
# interrupted function. Every sample in the handler must unwind through
# __restore_rt and the interrupted function to main, and no sample may
# stop short of main.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

skip_unless_ptrace

for opt in $OPTS; do
	start_target t-signal "$opt" periodic
	folded=$T/signal.$opt.folded
	rec_start "$folded" -p "$TARGET_PID" -r 200
	rec_wait ';alarm_handler;handler_spin [0-9]+$' 30
	rec_stop
	stop_target

	total=$(rec_count '.')
	handler=$(rec_count ';alarm_handler(;|_| )')
	through=$(rec_count '^_start;[^;]*libc_start[^;]*;([^;]*libc_start[^;]*;)?main;interrupted_fn;__restore_rt;alarm_handler(;| )')
	info "$opt: $total samples, $handler in the handler, $through through __restore_rt to main"
	assert_eq "$through" "$handler" "handler samples through __restore_rt, interrupted_fn, main ($opt)"
	assert_eq "$(rec_count ';main;')" "$total" "samples reaching main ($opt)"
done
