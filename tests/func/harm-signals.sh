#!/bin/bash
# A target that takes about 1000 signals a second while cprof records it
# loses none (unwind.md P10). The signals are real-time ones sent with
# sigqueue(), which queue rather than merge, so the target must handle
# exactly as many as were sent, each sequence number once: in on-CPU mode
# (the target spins and is stopped for samples, often at the moment a
# signal arrives), with --idle (the target sleeps in sigsuspend and is
# stopped there), and with --on-crash (cprof stays attached, so every
# signal is a stop that cprof must hand back to the target).
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

N=1500

# state_of PID: the state letter of PID's main thread, "" once reaped.
state_of() {
	sed -n 's/.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null || true
}

# wait_exit PID SECONDS WHAT: wait for a child of ours to end, SECONDS at
# most; its status in WAIT_RC.
wait_exit() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		case $(state_of "$1") in
		Z | "")
			WAIT_RC=0
			wait "$1" 2>/dev/null || WAIT_RC=$?
			return 0
			;;
		esac
		sleep 0.05
	done
	fail "$3: pid $1 still running after $2 s"
}

# wait_sampling CPROF_PID [attached]: until cprof's sampling thread runs
# (or, attached, until it traces the target).
wait_sampling() {
	local i
	for ((i = 0; i < 400; i++)); do
		if [ "${2:-}" = attached ]; then
			grep -Eq '^TracerPid:[[:space:]]+[1-9]' "/proc/$TARGET_PID/status" 2>/dev/null &&
				return 0
		else
			[ "$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -ge 2 ] &&
				return 0
		fi
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	show "$ERR"
	fail "cprof did not start sampling"
}

# signals LABEL MODE CPROF-OPTIONS...: N signals to a target in MODE
# (spin or sleep) while cprof records it with the options.
signals() {
	local label=$1 mode=$2 rec sender
	shift 2
	info "$label"
	start_target t-harm-signals O2 recv "$N" "$mode"
	"$CPROF" record -p "$TARGET_PID" -o "$T/$label.folded" "$@" >"$OUT" 2>"$ERR" </dev/null &
	rec=$!
	if [[ " $* " == *" --on-crash "* ]]; then
		wait_sampling "$rec" attached
	else
		wait_sampling "$rec"
	fi
	"$B/targets/O2/t-harm-signals" send "$TARGET_PID" "$N" 1000 >"$T/sender.out" &
	sender=$!
	wait_exit "$sender" 60 "$label: the sender"
	assert_eq "$WAIT_RC" 0 "$label: sender's exit status"
	# Every signal is queued now; the target exits once it handled them all.
	for ((i = 0; i < 200; i++)); do
		case $(state_of "$TARGET_PID") in Z | "") break ;; esac
		sleep 0.05
	done
	if [ "$i" -ge 200 ]; then
		kill -TERM "$TARGET_PID"
		sleep 0.5
		show "$TARGET_OUT" "$ERR"
		fail "$label: the target did not get all $N signals within 10 s of the last"
	fi
	stop_target
	assert_eq "$TARGET_STATUS" 0 "$label: target's exit status"
	assert_grep "$TARGET_OUT" "^handled $N dupes 0 bad 0\$" "$label: signals handled"
	wait_exit "$rec" 10 "$label: cprof after the target exited"
	RC=$WAIT_RC
	expect_rc 0 "$label: cprof record"
	[ -s "$T/$label.folded" ] || {
		show "$ERR"
		fail "$label: no samples while the signals came"
	}
	info "$label: $(head -n 1 "$ERR")"
}

signals on-cpu spin
signals idle sleep --idle
signals on-crash spin --on-crash "$T/crash.txt"
signals on-crash-idle sleep --idle --on-crash "$T/crash.txt"
[ ! -e "$T/crash.txt" ] || fail "a crash report without a crash"
