#!/bin/bash
# cprof dump on t-threads: every thread's stack reads from its leaf down to
# start_thread or main, in order, at -O0 with frame pointers and at -O2
# without them (DWARF CFI), and for a binary linked by lld, whose segments
# share file pages (unwind.md U6). Catches unwind.md P2 (snapshot/accessor
# bias bugs) for live stacks.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

check_threads() {
	local opt=$1 bin=${2:-t-threads} out
	start_target "$bin" "$opt"
	out=$T/dump.$bin.$opt.txt
	run_cprof dump --pid "$TARGET_PID"
	cp "$OUT" "$out"
	expect_rc 0 "dump of $bin ($opt)"
	info "$bin $opt: $(grep -c '^Thread ' "$out") threads"
	assert_grep "$out" "^Process $TARGET_PID: .*$bin" "header"
	assert_eq "$(grep -c '^Thread ' "$out")" 6 "threads in the dump of $bin ($opt)"
	assert_eq "$(grep -c '^Thread ' "$out")" "$(find /proc/"$TARGET_PID"/task -mindepth 1 -maxdepth 1 | wc -l)" \
		"threads in the dump vs /proc"

	# Spinning workers: the exact chain from the leaf, then start_thread.
	assert_stack "$out" worker_a spin_a level_a2 level_a1 worker_a start_thread ...
	assert_stack "$out" worker_b spin_b level_b2 level_b1 worker_b start_thread ...
	assert_stack "$out" worker_c spin_c level_c2 level_c1 worker_c start_thread ...
	# Blocked threads: libc frames (in the syscall), then ours.
	assert_stack "$out" sleeper '*nanosleep*' ... sleep_forever sleeper_main start_thread ...
	assert_stack "$out" reader '*read*' ... wait_pipe reader_main start_thread ...
	assert_stack "$out" "$bin" '*sig*' ... wait_for_stop main ...
	# The main thread ends in the C runtime, as eu-stack shows it.
	assert_stack "$out" "$bin" ... main '*libc_start*' ... _start
	# States and syscalls of the header lines.
	assert_grep "$out" '^Thread [0-9]+ "worker_a" \(running\)$' "worker_a state"
	assert_grep "$out" '^Thread [0-9]+ "sleeper" \(sleeping in (clock_)?nanosleep\)$' "sleeper state"
	assert_grep "$out" '^Thread [0-9]+ "reader" \(sleeping in read\)$' "reader state"
	# Source positions of our own frames.
	assert_grep "$out" ' level_a1 at [^ ]*t-threads\.c:[0-9]+ \[' "level_a1 file:line"
	assert_no_grep "$out" '<' "no thread without a stack"
	stop_target
	assert_eq "$TARGET_STATUS" 0 "t-threads exit status"
}

for opt in $OPTS; do
	check_threads "$opt"
done
if [ -x "$B/targets/O2/t-threads-lld" ]; then
	check_threads O2 t-threads-lld
else
	info "t-threads-lld not built (no clang or ld.lld): skipped that part"
fi
