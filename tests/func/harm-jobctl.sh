#!/bin/bash
# Job control during a recording (unwind.md P11). t-harm-busy (two spinning
# threads and a progress counter) gets kill -STOP, then kill -CONT, while
# cprof records it:
#
#   - while stopped, every thread is stopped (T; t with --on-crash, where
#     cprof stays attached and threads in a group-stop show as traced) and
#     the progress counter stands still, samples or not;
#   - after SIGCONT every thread runs again and the counter advances;
#   - sampling goes on: SIGUSR1 makes cprof write the samples so far, and
#     there are more after the SIGCONT than before it;
#   - cprof ended while the target is stopped leaves it stopped, untraced,
#     and SIGCONT still resumes it.
#
# Everything waits for states and counts, never for a fixed time.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

PROGRESS=$T/progress

progress() {
	awk '{ print $2 }' "$PROGRESS"
}

# states_are PID ERE: every thread's state letter matches ERE.
states_are() {
	local s
	s=$(thread_states "$1" | tr -d '\n')
	[ -n "$s" ] && [[ $s =~ ^($2)+$ ]]
}

advanced() {
	[ "$(progress)" -gt "$1" ]
}

# flushed_samples CPROF_PID FILE: SIGUSR1, then the samples in the new FILE.
flushed_samples() {
	rm -f "$2"
	kill -USR1 "$1"
	wait_for "cprof wrote nothing on SIGUSR1" test -e "$2"
	awk '{ n += $NF } END { print n + 0 }' "$2"
}

cprof_sampling() {
	[ "$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -ge 2 ]
}

traced() {
	grep -Eq '^TracerPid:[[:space:]]+[1-9]' "/proc/$TARGET_PID/status"
}

# jobctl LABEL STOPPED-ERE CPROF-OPTIONS...
jobctl() {
	local label=$1 stopped=$2 rec before after p0 out
	shift 2
	info "$label"
	out=$T/$label.folded
	start_target t-harm-busy O2 2 "$PROGRESS"
	"$CPROF" record -p "$TARGET_PID" -o "$out" "$@" >"$OUT" 2>"$ERR" </dev/null &
	rec=$!
	wait_for "$label: cprof did not start" cprof_sampling "$rec"
	[[ " $* " != *" --on-crash "* ]] || wait_for "$label: cprof did not attach" traced

	kill -STOP "$TARGET_PID"
	wait_for "$label: not every thread stopped after SIGSTOP" states_are "$TARGET_PID" "$stopped"
	p0=$(progress)
	before=$(flushed_samples "$rec" "$out")
	# cprof sampled on meanwhile: the target must still be stopped.
	states_are "$TARGET_PID" "$stopped" ||
		fail "$label: threads ran while stopped: '$(thread_states "$TARGET_PID" | tr -d '\n')'"
	assert_eq "$(progress)" "$p0" "$label: progress while stopped"

	kill -CONT "$TARGET_PID"
	wait_for "$label: no progress after SIGCONT" advanced "$p0"
	wait_for "$label: threads still stopped after SIGCONT" states_are "$TARGET_PID" '[RSD]'
	for ((i = 0; i < 100; i++)); do
		after=$(flushed_samples "$rec" "$out")
		[ "$after" -gt "$before" ] && break
		sleep 0.1
	done
	[ "$after" -gt "$before" ] || fail "$label: no samples after SIGCONT ($before before, $after after)"
	info "$label: $before samples before SIGCONT, $after after"

	# Stopped again, then cprof ends: the target stays stopped, untraced.
	kill -STOP "$TARGET_PID"
	wait_for "$label: not stopped by the second SIGSTOP" states_are "$TARGET_PID" "$stopped"
	kill -INT "$rec"
	RC=0
	wait "$rec" || RC=$?
	expect_rc 0 "$label: cprof record ended by SIGINT"
	wait_for "$label: the target did not stay stopped once cprof ended" \
		states_are "$TARGET_PID" T
	traced && fail "$label: still traced after cprof ended"
	p0=$(progress)
	kill -CONT "$TARGET_PID"
	wait_for "$label: no progress after the last SIGCONT" advanced "$p0"
	stop_target
}

jobctl record T
jobctl idle T --idle
jobctl on-crash '[Tt]' --on-crash "$T/crash.txt"
[ ! -e "$T/crash.txt" ] || fail "a crash report without a crash"
