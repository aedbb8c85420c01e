#!/bin/bash
# After cprof dump the target runs on: no thread is left stopped or traced,
# spinning threads keep making progress, and blocked threads never see
# EINTR: nanosleep and read restart transparently (unwind.md P9, P15).
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

# Total CPU time (ns) a thread has run, from schedstat.
runtime() {
	cut -d' ' -f1 "/proc/$1/task/$2/schedstat" 2>/dev/null || echo 0
}

# Wait up to 5 s for every listed thread to run again.
assert_progress() {
	local pid=$1 tid i
	shift
	declare -A before
	for tid in "$@"; do
		before[$tid]=$(runtime "$pid" "$tid")
	done
	for tid in "$@"; do
		for ((i = 0; i < 500; i++)); do
			[ "$(runtime "$pid" "$tid")" -gt "${before[$tid]}" ] && break
			sleep 0.01
		done
		[ "$i" -lt 500 ] || fail "thread $tid of $pid made no progress after the dump"
	done
}

for opt in $OPTS; do
	start_target t-threads "$opt"
	pid=$TARGET_PID
	workers=$(grep -l '^worker_' /proc/"$pid"/task/*/comm | sed 's|.*/task/\([0-9]*\)/comm|\1|')
	[ "$(echo "$workers" | wc -w)" -eq 3 ] || framework_failure "t-threads has no 3 workers"
	for i in 1 2 3 4; do
		run_cprof dump --pid "$pid"
		expect_rc 0 "dump $i ($opt)"
		assert_running "$pid"
	done
	run_cprof dump --json --no-inline --pid "$pid"
	expect_rc 0 "dump --json ($opt)"
	assert_running "$pid"
	# shellcheck disable=SC2086
	assert_progress "$pid" $workers
	# The blocked threads are still blocked where they were.
	assert_eq "$(cat /proc/"$pid"/task/*/stat | grep -c ') S ')" 3 "sleeping threads after dumps"
	stop_target
	assert_eq "$TARGET_STATUS" 0 "t-threads exit status"
	assert_grep "$TARGET_OUT" '^eintr sleeper=0 reader=0$' "blocked threads saw no EINTR ($opt)"
done

# A single-threaded target blocked in pause() stays blocked, untraced.
start_target t-idle O2
run_cprof dump --pid "$TARGET_PID"
expect_rc 0 "dump of t-idle"
assert_running
assert_eq "$(thread_states "$TARGET_PID")" S "t-idle state after the dump"
stop_target
