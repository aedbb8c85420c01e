#!/bin/bash
# cprof ends abruptly, or stalls, while it records t-harm-busy (spinning
# threads and a progress counter); the target must never be left stopped
# or traced (unwind.md P15, P16):
#
#   signals   SIGINT, SIGTERM and SIGHUP: cprof writes every output (valid
#             SVG and JSON), says the recording was cut short, exits 0
#   kill -9   at random moments, plain and attached (--on-crash): the
#             kernel detaches the target, which runs on (state not T/t,
#             TracerPid 0, progress)
#   stopped   kill -9 while a thread is held stopped (the test hook
#             CPROF_TEST_STALL_MS keeps cprof inside the stop, the watchdog
#             off): the thread runs again
#   watchdog  the same stall with the watchdog on (CPROF_WATCHDOG_MS): it
#             releases each stopped thread, so a recording meant to stall
#             for a minute per sample ends on time, the target makes
#             progress meanwhile, and the summary counts the lost samples
#
# No assertion depends on how fast the machine is: the bounds (10-20 s)
# are far from both the normal case and the failure (a minute's stall).
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace
command -v xmllint >/dev/null || skip "xmllint is not installed"

PROGRESS=$T/progress

progress() {
	awk '{ print $2 }' "$PROGRESS"
}

state_of() {
	sed -n 's/.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null || true
}

gone() {
	case $(state_of "$1") in Z | "") return 0 ;; esac
	return 1
}

advanced() {
	[ "$(progress)" -gt "$1" ]
}

# untraced_running PID: no thread stopped or traced (lib.sh's
# assert_running, as a condition to wait for).
untraced_running() {
	local f
	case $(thread_states "$1" | tr -d '\n') in *[Tt]*) return 1 ;; esac
	for f in /proc/"$1"/task/*/status; do
		grep -Eq '^TracerPid:[[:space:]]+[1-9]' "$f" 2>/dev/null && return 1
	done
	return 0
}

# some_thread_held PID: a thread of PID sits in a ptrace stop.
some_thread_held() {
	case $(thread_states "$1" | tr -d '\n') in *t*) return 0 ;; esac
	return 1
}

cprof_sampling() {
	[ "$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -ge 2 ]
}

traced() {
	grep -Eq '^TracerPid:[[:space:]]+[1-9]' "/proc/$TARGET_PID/status"
}

catches_usr1() {
	local cgt
	# Before its exec the child is a copy of this shell, which may catch it.
	[ "/proc/$1/exe" -ef "$CPROF" ] || return 1
	cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
	[ -n "$cgt" ] && (((0x$cgt >> 9) & 1))
}

# has_samples CPROF_PID FOLDED: SIGUSR1 writes the outputs so far; any?
has_samples() {
	local j
	rm -f "$2"
	kill -USR1 "$1" || fail "cprof is gone"
	for ((j = 0; j < 100; j++)); do
		[ -e "$2" ] && break
		sleep 0.05
	done
	[ -s "$2" ]
}

# the target runs on, untraced, after cprof is gone
target_survived() {
	local p0
	wait_for "$1: the target was left stopped or traced" untraced_running "$TARGET_PID"
	p0=$(progress)
	wait_for "$1: the target makes no progress" advanced "$p0"
}

# ---- signals ----
for sig in INT TERM HUP; do
	for mode in plain attached; do
		label=$sig-$mode
		extra=()
		[ $mode = attached ] && extra=(--on-crash "$T/crash.txt")
		info "$label"
		start_target t-harm-busy O2 2 "$PROGRESS"
		"$CPROF" record -p "$TARGET_PID" -o "$T/$label.svg" -o "$T/$label.json" \
			-o "$T/$label.folded" "${extra[@]}" >"$OUT" 2>"$ERR" </dev/null &
		rec=$!
		wait_for "$label: cprof does not catch SIGUSR1" catches_usr1 "$rec"
		wait_for "$label: no samples" has_samples "$rec" "$T/$label.folded"
		kill -"$sig" "$rec"
		wait_for "$label: cprof did not exit on SIG$sig" gone "$rec"
		RC=0
		wait "$rec" || RC=$?
		expect_rc 0 "$label: cprof ended by SIG$sig"
		assert_grep "$ERR" '^cprof: recorded [0-9]+ samples .*, cut short by a signal$' \
			"$label: summary"
		assert_grep "$ERR" "^cprof: wrote .*$label\.svg" "$label: outputs named"
		[ -s "$T/$label.folded" ] || fail "$label: empty folded output"
		xmllint --noout "$T/$label.svg" || fail "$label: the SVG is not well-formed"
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/$label.json" ||
			fail "$label: the JSON does not parse"
		target_survived "$label"
		stop_target
	done
done

# ---- kill -9 at random moments ----
for mode in plain attached plain attached; do
	extra=()
	[ $mode = attached ] && extra=(--on-crash "$T/crash.txt")
	delay=$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", r % 60 / 100 }')
	label="kill-9-$mode-after-${delay}s"
	info "$label"
	start_target t-harm-busy O2 3 "$PROGRESS"
	"$CPROF" record -q -p "$TARGET_PID" -r 1000 -o "$T/k.folded" "${extra[@]}" \
		>"$OUT" 2>"$ERR" </dev/null &
	rec=$!
	wait_for "$label: cprof did not start" cprof_sampling "$rec"
	[ $mode = attached ] && wait_for "$label: cprof did not attach" traced
	sleep "$delay"
	kill -KILL "$rec"
	wait "$rec" 2>/dev/null || true
	target_survived "$label"
	stop_target
done

# ---- kill -9 while a thread is stopped ----
for mode in plain attached; do
	extra=()
	[ $mode = attached ] && extra=(--on-crash "$T/crash.txt")
	label=stopped-$mode
	info "$label"
	start_target t-harm-busy O2 2 "$PROGRESS"
	CPROF_TEST_STALL_MS=60000 CPROF_WATCHDOG_MS=0 \
		"$CPROF" record -q -p "$TARGET_PID" -o "$T/s.folded" "${extra[@]}" \
		>"$OUT" 2>"$ERR" </dev/null &
	rec=$!
	wait_for "$label: no thread was ever held stopped" some_thread_held "$TARGET_PID"
	kill -KILL "$rec"
	wait "$rec" 2>/dev/null || true
	target_survived "$label"
	stop_target
done

# ---- the watchdog ----
for mode in plain attached; do
	extra=()
	[ $mode = attached ] && extra=(--on-crash "$T/crash.txt")
	label=watchdog-$mode
	info "$label"
	start_target t-harm-busy O2 1 "$PROGRESS"
	CPROF_TEST_STALL_MS=60000 CPROF_WATCHDOG_MS=200 \
		"$CPROF" record -p "$TARGET_PID" -d 3 -o "$T/w.folded" "${extra[@]}" \
		>"$OUT" 2>"$ERR" </dev/null &
	rec=$!
	wait_for "$label: no thread was ever held stopped" some_thread_held "$TARGET_PID"
	p0=$(progress)
	# Held for a minute per sample without the watchdog.
	wait_for "$label: the target made no progress while cprof stalled" advanced "$p0"
	for ((i = 0; i < 400; i++)); do
		gone "$rec" && break
		sleep 0.05
	done
	gone "$rec" || fail "$label: a 3 s recording still runs after 20 s"
	RC=0
	wait "$rec" || RC=$?
	expect_rc 0 "$label: cprof record"
	lost=$(sed -n 's/^cprof: lost \([0-9]*\) samples.*/\1/p' "$ERR")
	[ "${lost:-0}" -gt 0 ] || {
		show "$ERR"
		fail "$label: the summary counts no lost samples"
	}
	info "$label: $lost samples lost to the watchdog"
	target_survived "$label"
	stop_target
done
# ---- the watchdog, several threads stopped at once ----
# Threads are interrupted together and copied one after the other: while
# cprof stalls in one copy, the others that have stopped wait on it too.
# The watchdog must let them all go, not only the one being copied. Done
# one by one, the eighth would be held 8 x 200 ms.

# longest_held PID SECONDS: the longest any thread of PID was seen in a
# ptrace stop without a break, in polls about 50 ms apart. The threads do
# not change meanwhile, so their order in /proc is the same at every poll.
longest_held() {
	local pid=$1 polls=$(($2 * 20)) i k st worst=0
	local -a run=()
	for ((i = 0; i < polls; i++)); do
		k=0
		for st in $(cat /proc/"$pid"/task/*/stat 2>/dev/null | sed 's/.*) \(.\) .*/\1/'); do
			if [ "$st" = t ]; then
				run[k]=$((${run[k]:-0} + 1))
				[ "${run[k]}" -gt "$worst" ] && worst=${run[k]}
			else
				run[k]=0
			fi
			k=$((k + 1))
		done
		sleep 0.05
	done
	echo "$worst"
}

label=watchdog-threads
info "$label"
start_target t-harm-busy O2 8 "$PROGRESS"
CPROF_TEST_STALL_MS=60000 CPROF_WATCHDOG_MS=200 \
	"$CPROF" record -p "$TARGET_PID" -d 4 -o "$T/w.folded" >"$OUT" 2>"$ERR" </dev/null &
rec=$!
wait_for "$label: no thread was ever held stopped" some_thread_held "$TARGET_PID"
worst=$(longest_held "$TARGET_PID" 2)
info "$label: longest stop seen: $worst polls of 50 ms"
# 200 ms and the watchdog's own period make 5-6 polls; 16 leaves room for a
# loaded machine and still fails if threads wait for each other's copies.
[ "$worst" -le 16 ] || fail "$label: a thread stayed stopped for $worst polls of 50 ms"
for ((i = 0; i < 400; i++)); do
	gone "$rec" && break
	sleep 0.05
done
gone "$rec" || fail "$label: a 4 s recording still runs after 20 s"
wait "$rec" || true
target_survived "$label"
stop_target

[ ! -e "$T/crash.txt" ] || fail "a crash report without a crash"
