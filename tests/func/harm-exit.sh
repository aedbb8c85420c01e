#!/bin/bash
# The target ends or changes while cprof records it (unwind.md P12-P14):
#
#   exit         exit() from main, with worker threads running
#   thread-exit  exit_group from a thread that is not the leader
#   sigkill      kill -9 of the target
#   leader-exit  the leader calls pthread_exit during the recording; the
#                process lives on in another thread (its leader a zombie),
#                untouched and still sampled, until that thread exits
#   churn        2000 short-lived threads: no crash, new threads sampled,
#                and no made-up frames for threads caught in clone3
#   exec         a thread that is not the leader execs, 20 times over: samples
#                before and after, each named from its own image; without
#                --on-crash the new leader must not stay traced (a thread
#                seized just as its exec made it the leader once did)
#
# each with cprof recording --pid, and again attached (--on-crash); then
# exit_group and exec of a command cprof launched. cprof must end within
# 10 s of the target (a generous bound: it polls every tick), exit 0 and
# write every output, valid (SVG for xmllint, JSON for python); the target's
# parent (this shell) reaps it with the status it exited with.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace
command -v xmllint >/dev/null || skip "xmllint is not installed"

state_of() {
	sed -n 's/.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null || true
}

# wait_gone PID SECONDS WHAT: until PID has exited (zombie or reaped).
wait_gone() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		case $(state_of "$1") in Z | "") return 0 ;; esac
		sleep 0.05
	done
	show "$ERR"
	fail "$3: pid $1 still there after $2 s"
}

# catches_usr1 PID: PID has a handler for SIGUSR1 (bit 10 of SigCgt).
catches_usr1() {
	local cgt
	# Before its exec the child is a copy of this shell, which may catch it.
	[ "/proc/$1/exe" -ef "$CPROF" ] || return 1
	cgt=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null)
	[ -n "$cgt" ] && (((0x$cgt >> 9) & 1))
}

# check_outputs LABEL: the three outputs of a run exist and are valid.
check_outputs() {
	local f
	for f in svg json folded; do
		[ -s "$T/$1.$f" ] || {
			show "$ERR"
			fail "$1: no $f output"
		}
	done
	xmllint --noout "$T/$1.svg" || fail "$1: the SVG is not well-formed"
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/$1.json" ||
		fail "$1: the JSON does not parse"
	awk 'NF < 2 || $NF !~ /^[0-9]+$/ { exit 1 }' "$T/$1.folded" ||
		fail "$1: the folded output has a bad line"
}

has_frame() {
	grep -Eq "(^|;)$2( |;)" "$T/$1.folded"
}

# ended LABEL STATUS ACTION CPROF-OPTIONS... -- TARGET ARGS...: record
# TARGET with the options; once cprof samples, ACTION: "go" sends the
# target SIGUSR1 (t-harm-exit starts to end), "kill" SIGKILL. The target
# must exit with STATUS.
ended() {
	local label=$1 status=$2 action=$3 rec opts=() p rest=
	shift 3
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	info "$label"
	start_target "$@"
	"$CPROF" record -p "$TARGET_PID" -o "$T/$label.svg" -o "$T/$label.json" \
		-o "$T/$label.folded" "${opts[@]}" >"$OUT" 2>"$ERR" </dev/null &
	rec=$!
	# Until cprof has samples: SIGUSR1 makes it write what it has (once
	# it has a handler for it, or it would die of it).
	for ((i = 0; i < 200; i++)); do
		catches_usr1 "$rec" && break
		sleep 0.05
	done
	catches_usr1 "$rec" || fail "$label: cprof does not catch SIGUSR1"
	for ((i = 0; i < 100; i++)); do
		sleep 0.1
		rm -f "$T/$label.folded"
		kill -USR1 "$rec" || fail "$label: cprof is gone"
		for ((j = 0; j < 100; j++)); do
			[ -e "$T/$label.folded" ] && break
			sleep 0.05
		done
		[ -s "$T/$label.folded" ] && break
	done
	[ -s "$T/$label.folded" ] || {
		show "$ERR"
		fail "$label: cprof took no samples"
	}
	case $action in
	kill) kill -KILL "$TARGET_PID" ;;
	go) kill -USR1 "$TARGET_PID" ;;
	go-leader)
		# Once the leader is a zombie, the samples so far; more must come.
		kill -USR1 "$TARGET_PID"
		for ((i = 0; i < 200; i++)); do
			[ "$(state_of "$TARGET_PID")" = Z ] && break
			sleep 0.05
		done
		rm -f "$T/$label.folded"
		kill -USR1 "$rec" || fail "$label: cprof ended with the leader"
		for ((j = 0; j < 200; j++)); do
			[ -e "$T/$label.folded" ] && break
			sleep 0.05
		done
		LEADER_GONE_SAMPLES=$(awk '{ n += $NF } END { print n + 0 }' "$T/$label.folded")
		;;
	esac
	wait_gone "$TARGET_PID" 60 "$label: the target"
	wait_gone "$rec" 10 "$label: cprof after the target exited"
	RC=0
	wait "$rec" || RC=$?
	expect_rc 0 "$label: cprof record"
	TARGET_STATUS=0
	wait "$TARGET_PID" || TARGET_STATUS=$?
	for p in $TARGET_PIDS; do
		[ "$p" = "$TARGET_PID" ] || rest="$rest $p"
	done
	TARGET_PIDS=$rest
	assert_eq "$TARGET_STATUS" "$status" "$label: exit status of the target, as its parent sees it"
	check_outputs "$label"
}

for mode in plain attached; do
	extra=()
	[ $mode = attached ] && extra=(--on-crash "$T/crash.txt")
	p=$mode-

	ended "${p}exit" 7 go "${extra[@]}" -- t-harm-exit O2 exit 300 7

	ended "${p}thread-exit" 9 go "${extra[@]}" -- t-harm-exit O2 thread-exit 300 9
	has_frame "${p}thread-exit" exiter_spin || fail "${p}thread-exit: no sample of the exiting thread"

	ended "${p}sigkill" 137 kill "${extra[@]}" -- t-harm-busy O2 2 "$T/progress"

	# The leader is a zombie for a while, the process alive: the
	# survivor must get through its work and exit 0, sampled meanwhile.
	ended "${p}leader-exit" 0 go-leader "${extra[@]}" -- t-harm-exit O2 leader-exit 300

	n=$(awk '{ n += $NF } END { print n + 0 }' "$T/${p}leader-exit.folded")
	info "${p}leader-exit: $LEADER_GONE_SAMPLES samples when the leader exited, $n in all"
	[ "$n" -gt "$LEADER_GONE_SAMPLES" ] ||
		fail "${p}leader-exit: no samples after the leader exited ($n in all)"

	ended "${p}churn" 0 go -t -r 1000 "${extra[@]}" -- t-harm-exit O2 churn 0 2000
	n=$(grep -E '^\[thread [0-9]+ churn\];.*;churn_spin[; ]' "$T/${p}churn.folded" |
		sed 's/^\[thread \([0-9]*\).*/\1/' | sort -u | wc -l)
	info "${p}churn: $n of the 2000 threads sampled"
	[ "$n" -ge 3 ] || fail "${p}churn: only $n short-lived threads were sampled"
	# A thread caught inside clone3 has no CFI to unwind with: its stack
	# ends there, never in a tower of made-up frames.
	assert_no_grep "$T/${p}churn.folded" '\[unknown\];\[unknown\];\[unknown\]' \
		"${p}churn: garbage frames"

	untraced=untraced
	[ $mode = attached ] && untraced=
	ended "${p}exec" 0 go -r 1000 "${extra[@]}" -- t-harm-exit O2 exec 300 20 $untraced
	has_frame "${p}exec" before_exec_spin || fail "${p}exec: no samples before the exec"
	has_frame "${p}exec" after_exec_spin || fail "${p}exec: no samples after the exec, by name"
	# A sample of the tick an exec happened in, unwound with the other
	# image's maps, or one in a library the loader had just mapped.
	[ $mode = attached ] ||
		assert_no_grep "$T/${p}exec.folded" 'unknown|\+0x' "${p}exec: unnamed frames"
	[ ! -e "$T/crash.txt" ] || fail "$mode: a crash report without a crash"
done

# A command cprof launched: cprof is its parent and reports its status.
# launched LABEL STATUS MODE ARGS...: t-harm-exit MODE under cprof, given
# its go once it runs.
launched() {
	local label=$1 status=$2 rec child=
	shift 2
	info "$label"
	"$CPROF" record -o "$T/$label.folded" -- "$B/targets/O2/t-harm-exit" "$@" \
		>"$OUT" 2>"$ERR" </dev/null &
	rec=$!
	for ((i = 0; i < 200; i++)); do
		child=$(cat /proc/"$rec"/task/*/children 2>/dev/null | tr -s ' \n' ' ' | awk '{ print $1 }')
		# "ready" (on cprof's stdout) once it has its SIGUSR1 handler
		[ -n "$child" ] && grep -q '^ready ' "$OUT" && break
		child=
		sleep 0.05
	done
	[ -n "$child" ] || fail "$label: the command did not start"
	kill -USR1 "$child"
	wait_gone "$rec" 60 "$label: cprof"
	RC=0
	wait "$rec" || RC=$?
	expect_rc 0 "$label"
	assert_grep "$ERR" "command exited with status $status" "$label: the status"
}

launched launched-thread-exit 9 thread-exit 300 9
grep -q exiter_spin "$T/launched-thread-exit.folded" ||
	fail "launched thread-exit: no samples of the exiting thread"
launched launched-exec 0 exec 300 20 untraced
grep -q after_exec_spin "$T/launched-exec.folded" || fail "launched exec: no samples after the exec"
