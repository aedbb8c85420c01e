# shellcheck shell=bash
# Helpers of the symbolization tests (tests/func/sym-*.sh): what t-sym-lines
# looks like in 'cprof dump', and a recording in the background that the
# test watches grow. Source it after tests/func/lib.sh.

SYM_LINES_SRC=$SRCDIR/tests/targets/t-sym-lines.c

# The five frames of thread sym-main as thread_frames prints them, with the
# file reduced to its name: inline chain, real frames, lines of each call.
sym_lines_expect() {
	local s=$SYM_LINES_SRC
	printf '%s\n' \
		"lines_inl_b|i|t-sym-lines.c|$(line_of "$s" '/* LINES-LOOP */')" \
		"lines_inl_a|i|t-sym-lines.c|$(line_of "$s" '/* CALL-INL-B */')" \
		"lines_mid||t-sym-lines.c|$(line_of "$s" '/* CALL-INL-A */')" \
		"lines_outer||t-sym-lines.c|$(line_of "$s" '/* CALL-MID */')" \
		"main||t-sym-lines.c|$(line_of "$s" '/* CALL-OUTER */')"
}

# sym_lines_got DUMP: the first five frames of sym-main in DUMP, with the
# file reduced to its name when it is the absolute path of the source (as
# DWARF gives it, relative to the compilation directory or not).
sym_lines_got() {
	thread_frames "$1" sym-main | head -n 5 | awk -F'|' -v OFS='|' '
		$3 ~ /^\/(.*\/)?tests\/targets\/t-sym-lines[.]c$/ { $3 = "t-sym-lines.c" }
		{ print }'
}

# sym_lines_check DUMP WHAT: full DWARF symbolization, inline frames and
# lines included.
sym_lines_check() {
	local got want
	got=$(sym_lines_got "$1")
	want=$(sym_lines_expect)
	[ "$got" = "$want" ] || {
		show "$1"
		printf 'expected:\n%s\ngot:\n%s\n' "$want" "$got"
		fail "$2: frames of sym-main"
	}
	assert_stack "$1" sym-main lines_inl_b lines_inl_a lines_mid lines_outer main ... _start
}

# sym_lines_check_symtab DUMP WHAT: names from the symbol table only: no
# inline frames, no source lines for the program's own frames.
sym_lines_check_symtab() {
	assert_stack "$1" sym-main lines_mid lines_outer main ... _start
	thread_frames "$1" sym-main | head -n 3 >"$T/symtab-frames"
	if grep -v '^[a-z_]*|||$' "$T/symtab-frames" >/dev/null; then
		show "$1"
		fail "$2: frames with inline marks or lines without DWARF: $(paste -sd' ' "$T/symtab-frames")"
	fi
}

# sym_dump ARGS...: run_cprof dump ARGS, again (up to 5 times) while a
# thread "did not stop in time": on a loaded machine a niced spinning
# target may wait long for a CPU, and these tests are about names.
sym_dump() {
	local i
	for i in 1 2 3 4 5; do
		run_cprof dump "$@"
		[ "$RC" -eq 0 ] && grep -q '<did not stop in time>' "$OUT" || return 0
		info "a thread did not stop in time (try $i), dumping again"
	done
}

# ---- a recording in the background ---------------------------------------

REC_WAIT=${REC_WAIT:-30} # seconds to wait for the samples a test needs

# rec_start FOLDED ARGS...: start 'cprof record -q ARGS -o FOLDED' in the
# background (REC_PID) and wait until it handles SIGUSR1, which before
# that would kill it.
rec_start() {
	local out=$1 i cgt
	shift
	REC_FOLDED=$out
	"$CPROF" record -q "$@" -o "$out" >"$T/record.out" 2>"$T/record.err" </dev/null &
	REC_PID=$!
	# Until the exec, REC_PID is a copy of this shell, which catches
	# SIGUSR1 too (bash does, with an EXIT trap): check the name as well.
	for ((i = 0; i < REC_WAIT * 20; i++)); do
		if [ "$(sed -n 's/^Name:[[:space:]]*//p' /proc/"$REC_PID"/status 2>/dev/null)" = cprof ]; then
			cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' /proc/"$REC_PID"/status 2>/dev/null)
			[ -n "$cgt" ] && [ $((16#$cgt & 0x200)) -ne 0 ] && return 0
		fi
		sleep 0.05
	done
	show "$T/record.err"
	framework_failure "record did not start"
}

# rec_count ERE: samples of the stacks in the last snapshot matching ERE.
rec_count() {
	grep -E -- "$1" "$REC_FOLDED" 2>/dev/null | awk '{ n += $NF } END { print n + 0 }'
}

# rec_wait ERE N: ask for snapshots (SIGUSR1: record rewrites its outputs,
# atomically) until they hold N samples of stacks matching ERE.
rec_wait() {
	local i
	for ((i = 0; i < REC_WAIT * 5; i++)); do
		if ! kill -0 "$REC_PID" 2>/dev/null || [ -s "$T/record.err" ]; then
			show "$T/record.err"
			fail "record stopped early"
		fi
		kill -USR1 "$REC_PID"
		sleep 0.2
		[ "$(rec_count "$1")" -ge "$2" ] && return 0
	done
	show "$REC_FOLDED" "$T/record.err"
	fail "fewer than $2 samples of /$1/ after ${REC_WAIT}s"
}

# rec_stop: end the recording (SIGINT), which writes the final outputs.
rec_stop() {
	kill -INT "$REC_PID"
	wait "$REC_PID" || {
		show "$T/record.err"
		fail "record failed"
	}
}
