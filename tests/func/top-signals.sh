#!/bin/bash
# cprof top ended by SIGTERM, SIGINT or SIGHUP at a random moment: it exits
# 0, and the target is left running, untraced (state not T/t, TracerPid 0),
# with no system call of its sleeping threads interrupted. A launched
# command is ended with it. (The full-screen view: top-tty.sh.)
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

# wait_tracing PID: until a thread of PID is traced, which also means cprof
# has its signal handlers (a SIGINT before then would be ignored: the shell
# starts background jobs with SIGINT ignored).
wait_tracing() {
	local i f
	for ((i = 0; i < 1000; i++)); do
		for f in /proc/"$1"/task/*/status; do
			grep -Eq '^TracerPid:[[:space:]]+[1-9]' "$f" 2>/dev/null && return 0
		done
		sleep 0.01
	done
	framework_failure "pid $1 was never traced"
}

# wait_exit PID WHAT: cprof ends within 30 s; sets rc to its status.
wait_exit() {
	local i
	for ((i = 0; i < 3000; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.01
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1"
		fail "$2: cprof top still running 30 s after the signal"
	fi
	rc=0
	wait "$1" || rc=$?
}

for opt in $OPTS; do
	# Three spinning threads: a signal is likely to land mid-sample.
	start_target t-threads "$opt" 3
	for sig in TERM INT HUP; do
		info "t-threads ($opt): SIG$sig"
		"$CPROF" top --batch --delay 0.2 -r 500 --idle -p "$TARGET_PID" \
			>"$OUT" 2>"$ERR" </dev/null &
		top=$!
		wait_tracing "$TARGET_PID"
		sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
		kill -"$sig" "$top"
		wait_exit "$top" "SIG$sig"
		[ "$rc" = 0 ] || { show "$OUT" "$ERR"; fail "exit status $rc after SIG$sig"; }
		assert_running "$TARGET_PID"
	done
	stop_target
	# The target reports the EINTRs its sleeping threads saw, which the
	# stops of --idle must not cause for nanosleep and read.
	assert_grep "$TARGET_OUT" '^eintr sleeper=0 reader=0$' "no EINTR in the target"
done

info "launch mode: the command ends with cprof top"
"$CPROF" top --batch --delay 0.2 -- "$B/targets/O2/t-threads" 1 >"$OUT" 2>"$ERR" </dev/null &
top=$!
for ((i = 0; i < 500; i++)); do
	grep -q '^ready ' "$ERR" 2>/dev/null && break
	sleep 0.01
done
child=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$ERR")
[ -n "$child" ] || { show "$ERR"; framework_failure "t-threads did not start"; }
wait_tracing "$child"
sleep 0.3
kill -TERM "$top"
wait_exit "$top" "SIGTERM in launch mode"
assert_eq "$rc" 0 "exit status after SIGTERM"
for ((i = 0; i < 300; i++)); do
	kill -0 "$child" 2>/dev/null || break
	sleep 0.01
done
kill -0 "$child" 2>/dev/null && fail "the launched command $child is still running"
assert_grep "$ERR" '^eintr sleeper=0 reader=0$' "the command ended on SIGTERM"
