#!/bin/bash
# Return addresses are looked up one byte back (unwind.md P23). In
# t-sym-noreturn, nr_caller ends with a call to a noreturn function, so its
# return address is the first byte of the next function, nr_next. The
# caller's frame must read nr_caller, at the line of the call, in dump and
# in record; nr_next must appear nowhere.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

skip_unless_ptrace

src=$SRCDIR/tests/targets/t-sym-noreturn.c
call_line=$(line_of "$src" '/* CALL-NORETURN */')

for opt in $OPTS; do
	start_target t-sym-noreturn "$opt"
	ra=$(sed -n 's/^ra \(0x[0-9a-f]*\) next .*/\1/p' "$TARGET_OUT")
	next=$(sed -n 's/^ra .* next \(0x[0-9a-f]*\)$/\1/p' "$TARGET_OUT")
	[ -n "$ra" ] || framework_failure "t-sym-noreturn printed no return address"
	if [ "$ra" = "$next" ]; then
		info "$opt: the return address $ra is nr_next's first byte"
	else
		info "$opt: the return address $ra is not nr_next ($next) in this build"
	fi

	sym_dump --pid "$TARGET_PID"
	expect_rc 0 "dump of t-sym-noreturn ($opt)"
	cp "$OUT" "$T/dump.$opt"
	assert_stack "$OUT" t-sym-noreturn nr_spin nr_caller main ... _start
	# Frame 1 shows the return address itself, named after the call.
	assert_grep "$OUT" "^  #1 +0x0*${ra#0x} nr_caller at [^ ]*/t-sym-noreturn\\.c:$call_line \\[t-sym-noreturn\\]$" \
		"caller frame at the line of the call ($opt)"
	assert_no_grep "$OUT" nr_next "the next function ($opt)"

	run_cprof record -q -p "$TARGET_PID" -d 1 -o "$T/noreturn.$opt.folded"
	expect_rc 0 "record of t-sym-noreturn ($opt)"
	assert_grep "$T/noreturn.$opt.folded" '^_start;.*;main;nr_caller;nr_spin [0-9]+$' "folded stack ($opt)"
	assert_no_grep "$T/noreturn.$opt.folded" 'nr_next|unknown|\+0x' "other frames ($opt)"
	stop_target
done
