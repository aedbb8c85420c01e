#!/bin/bash
# No EINTR in the target (unwind.md P9). t-harm-eintr has threads blocked
# for good in epoll_wait, sigwaitinfo, semop and recv with SO_RCVTIMEO,
# which a ptrace stop makes fail with EINTR (signal(7)), and in poll,
# nanosleep and read, which the kernel restarts; each counts its EINTRs.
#
#   on-CPU     record (at 500 Hz, for many chances) stops only threads that
#              run, so none of the blocked threads sees an EINTR; the same
#              for top, and for record --on-crash, which stays attached and
#              must also let go of the threads without stopping them.
#   --idle     stops sleeping threads too, and cprof-record(1) says so: the
#              first four calls may fail with EINTR (counted, not asserted),
#              the restarted ones never do.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

# eintr_after LABEL CPROF-ARGS...: run cprof on a fresh t-harm-eintr (@PID@
# in the arguments is its pid), then end the target; its counts go to
# $T/LABEL.counts ("name=N" lines).
eintr_after() {
	local label=$1
	shift
	start_target t-harm-eintr O2
	run_cprof "${@//@PID@/$TARGET_PID}"
	expect_rc 0 "$label"
	stop_target
	assert_eq "$TARGET_STATUS" 0 "$label: target's exit status"
	assert_grep "$TARGET_OUT" '^eintr ' "$label: the target's counts"
	grep '^eintr ' "$TARGET_OUT" | tr ' ' '\n' | grep -F '=' >"$T/$label.counts"
	info "$label: $(grep '^eintr ' "$TARGET_OUT")"
}

# count LABEL NAME
count() {
	sed -n "s/^$2=//p" "$T/$1.counts"
}

# no_eintr LABEL NAME...: none of these calls saw EINTR, nor anything else.
no_eintr() {
	local label=$1 name
	shift
	for name in "$@" other; do
		assert_eq "$(count "$label" "$name")" 0 "$label: EINTR (or other returns) in $name"
	done
}

ALL=(epoll sigwait semop recv poll nanosleep read)

eintr_after record record -q -p @PID@ -d 2 -r 500 -o "$T/record.folded"
[ -s "$T/record.folded" ] || fail "record: no samples of the spinning thread"
no_eintr record "${ALL[@]}"

eintr_after top top -b -n 3 -d 0.5 -r 500 -p @PID@
no_eintr top "${ALL[@]}"

eintr_after on-crash record -q -p @PID@ -d 2 -r 500 --on-crash "$T/crash.txt" -o "$T/crash.folded"
no_eintr on-crash "${ALL[@]}"
[ ! -e "$T/crash.txt" ] || fail "on-crash: a crash report without a crash"

eintr_after idle record -q -p @PID@ -d 1 -r 500 --idle -o "$T/idle.folded"
no_eintr idle poll nanosleep read
# What the manual warns about: the calls that a stop interrupts.
for call in epoll_wait semop sigwaitinfo SO_RCVTIMEO; do
	grep -q "$call" "$SRCDIR/man/cprof-record.1" ||
		fail "cprof-record(1) does not name $call among the calls --idle may interrupt"
done
