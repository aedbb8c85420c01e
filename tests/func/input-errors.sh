#!/bin/bash
# cprof record and cprof top refuse bad targets and bad option values with
# the documented exit status (cprof(1), src/cprof.h) and one line on
# stderr starting "cprof: ", nothing on stdout, and nothing left running:
#   2  bad command line      3  no such target      4  permission denied
# (dump-errors.sh does the same for cprof dump, record-errors.sh for more
# of record's options and its output paths.) Here: every kind of bad
# target for both commands, top's option values, and EPERM with its hint.
. "$(dirname "$0")/lib.sh"

[ -x "$CPROF" ] || framework_failure "$CPROF is not built"

# Both commands, with the arguments that select them; top in batch mode.
each() {
	local status=$1 ere=$2 what=$3
	shift 3
	expect_failure "$status" "$ere" "record $what" record -o "$T/out.folded" "$@"
	expect_failure "$status" "$ere" "top $what" top -b -n 1 "$@"
}

pid_max=$(cat /proc/sys/kernel/pid_max)

# ---- the target: 2 when it is not a pid at all, 3 when there is none ----
each 2 "--pid: 0 is not a valid pid" "--pid 0" --pid 0
each 2 "--pid: '-5' is not a valid pid" "--pid -5" --pid -5
each 2 "--pid: '-0' is not a valid pid" "--pid -0" --pid -0
each 2 "--pid: 'abc' is not a number" "--pid abc" --pid abc
each 2 "--pid: '' is not a number" "--pid ''" --pid ''
each 2 "--pid: '12x' is not a number" "--pid 12x" --pid 12x
each 2 "'99999999999' is not a number|out of range" "--pid too large" --pid 99999999999
each 2 "nothing to profile" "no target" -r 10
each 2 "either --pid or a command" "--pid and a command" --pid 1 -- true
each 3 "no process with pid $pid_max\$" "pid_max" --pid "$pid_max"
each 3 "cannot run '/nonexistent/cmd': No such file or directory" "a missing command" \
	-- /nonexistent/cmd

# A process that has just exited.
sh -c 'exit 0' &
gone=$!
wait "$gone"
[ -e "/proc/$gone" ] || each 3 "no process with pid $gone\$" "an exited process" --pid "$gone"

# A zombie: the child of a process that does not reap it.
sh -c 'sleep 0 & exec sleep 30' &
parent=$!
TARGET_PIDS="$TARGET_PIDS $parent"
zombie=
for ((i = 0; i < 500; i++)); do
	zombie=$(ps -o pid= --ppid "$parent" 2>/dev/null | tr -d ' ' | head -n 1)
	[ -n "$zombie" ] && [ "$(thread_states "$zombie")" = Z ] && break
	zombie=
	sleep 0.01
done
if [ -n "$zombie" ]; then
	each 3 "pid $zombie \(sleep\): the process has exited \(zombie\)" "a zombie" --pid "$zombie"
else
	info "no zombie appeared: zombie case not tested"
fi
kill "$parent" 2>/dev/null || true

# A live process whose main thread has exited (pthread_exit): its memory
# map cannot be read any more.
start_target t-harm-exit O2 leader-exit 60000
kill -USR1 "$TARGET_PID"
for ((i = 0; i < 500; i++)); do
	[ "$(sed -n 's/.*) \(.\) .*/\1/p' "/proc/$TARGET_PID/stat")" = Z ] && break
	sleep 0.02
done
each 3 "pid $TARGET_PID \(t-harm-exit\): its main thread has exited" "a zombie leader" \
	--pid "$TARGET_PID"
kill -KILL "$TARGET_PID"

# Kernel threads: kthreadd (pid 2 outside a pid namespace) and a child of it.
if [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ]; then
	each 3 "pid 2 \(kthreadd\): it is a kernel thread" "kthreadd" --pid 2
	kt=$(ps -o pid= --ppid 2 | tr -d ' ' | head -n 1)
	[ -z "$kt" ] || each 3 "it is a kernel thread" "kernel thread $kt" --pid "$kt"
else
	info "pid 2 is not kthreadd (pid namespace): kernel thread case not tested"
fi

# cprof itself: exec keeps the shell's pid.
for cmd in "record -o $T/self.folded" "top -b -n 1"; do
	RC=0
	# shellcheck disable=SC2016,SC2086 # $$ is the inner shell's; cmd splits
	sh -c 'exec "$0" "$@" --pid $$' "$CPROF" $cmd >"$OUT" 2>"$ERR" </dev/null || RC=$?
	expect_rc 3 "$cmd of itself"
	expect_error_line "it is cprof itself" "$cmd of itself"
done

# ---- option values: 2 ----
# A live target, so that only the option can be at fault.
start_target t-idle O2
P=$TARGET_PID
top_refuses() {
	expect_failure "$1" "$2" "top $3" top -b -n 1 -p "$P" "${@:4}"
}
top_refuses 2 "--rate: 0 is out of range \(1\.\.10000\)" "--rate 0" --rate 0
top_refuses 2 "--rate: 10001 is out of range" "--rate 10001" --rate 10001
top_refuses 2 "--rate: '-1' is not a number" "--rate -1" --rate -1
top_refuses 2 "--rate: '1e3' is not a number" "--rate 1e3" --rate 1e3
top_refuses 2 "--tid: 'abc' is not a list of thread ids" "--tid abc" --tid abc
top_refuses 2 "--tid: '0' is not a list of thread ids" "--tid 0" --tid 0
top_refuses 2 "--tid: '9-5' is not a list of thread ids" "--tid 9-5" --tid 9-5
top_refuses 2 "--thread-name: '\(' is not a valid regular expression" "--thread-name (" --thread-name '('
top_refuses 2 "unknown option '--bogus'" "unknown option" --bogus
top_refuses 2 "'--rate' requires an argument" "--rate without a value" --rate
for d in 0 -1 5x 1.5.2 '' ms; do
	top_refuses 2 "--delay: '$d' is (not a duration|too short)" "--delay '$d'" --delay "$d"
done
top_refuses 2 "--iterations: 0 is out of range" "-n 0" -n 0
top_refuses 2 "--iterations: 'x' is not a number" "-n x" -n x
# Session options that record-errors.sh leaves out, for both commands.
each 2 "--max-depth: 0 is out of range" "--max-depth 0" -p "$P" --max-depth 0
each 2 "--stack-size: " "--stack-size 1" -p "$P" --stack-size 1
each 2 "--tid: '-3' is not a list of thread ids" "--tid -3" -p "$P" --tid -3
expect_failure 2 "--on-crash: the file name is empty" "record --on-crash ''" \
	record -p "$P" --on-crash ''
# Nothing was started or left behind by any of these.
assert_running "$P"
[ -z "$(find "$T" -maxdepth 1 -name 'out.folded*')" ] ||
	fail "a refused command wrote a file: $(ls "$T")"
stop_target

# ---- permission denied: 4 ----
if [ "$(id -u)" != 0 ]; then
	info "not root: permission cases need setpriv as root"
elif ! command -v setpriv >/dev/null ||
	! setpriv --reuid=65534 --regid=65534 --clear-groups "$CPROF" --version >/dev/null 2>&1; then
	info "cannot run $CPROF as nobody (setpriv missing or $CPROF unreadable): EPERM not tested"
else
	# sleep does not call PR_SET_PTRACER: only CAP_SYS_PTRACE may trace it.
	sleep 100 &
	victim=$!
	TARGET_PIDS="$TARGET_PIDS $victim"
	# The hint names what would help here: ptrace_scope with Yama, else
	# CAP_SYS_PTRACE / root.
	hint="cannot trace pid $victim \(sleep\): Operation not permitted; .*(ptrace_scope|CAP_SYS_PTRACE)"
	for cmd in "record -o /tmp/cprof-never-written.folded -d 1" "top -b -n 1" \
		"record --on-crash /tmp/cprof-never-written.txt -d 1"; do
		RC=0
		# shellcheck disable=SC2086 # cmd splits into words
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$CPROF" $cmd --pid "$victim" >"$OUT" 2>"$ERR" </dev/null || RC=$?
		expect_rc 4 "$cmd of a root process as nobody"
		expect_error_line "$hint" "$cmd of a root process as nobody"
		[ ! -s "$OUT" ] || fail "$cmd: permission denied, and output on stdout"
	done
	[ ! -e /tmp/cprof-never-written.folded ] || fail "permission denied, and an output written"
	assert_running "$victim"
	kill "$victim"
fi
