#!/bin/bash
# cprof dump error paths: each ends with the documented exit status and one
# line on stderr, starting "cprof: ", and nothing on stdout.
#   2  bad command line      3  no such target      4  permission denied
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$CPROF" ] || framework_failure "$CPROF is not built"

# ---- bad command lines: 2 ----
expect_failure 2 "--pid: 'abc' is not a number" "--pid abc" dump --pid abc
expect_failure 2 "--pid is required" "no --pid" dump
expect_failure 2 "unknown option '--bogus'" "unknown long option" dump --bogus --pid 1
expect_failure 2 "unknown option '-x'" "unknown short option" dump -x
expect_failure 2 "'--pid' requires an argument" "--pid without a value" dump --pid
expect_failure 2 "takes no argument" "--json=yes" dump --json=yes --pid 1
expect_failure 2 "0 is not a valid pid" "--pid 0" dump --pid 0
expect_failure 2 "'-5' is not a valid pid" "--pid -5" dump --pid -5
expect_failure 2 "'99999999999' is not a number|out of range" "--pid too large" dump --pid 99999999999
expect_failure 2 "unexpected argument 'extra'" "extra argument" dump --pid 1 extra
expect_failure 2 "'frobnicate' is not a cprof command" "unknown command" frobnicate

# ---- no such target: 3 ----
# A pid that cannot exist: pid_max itself is never handed out.
pid_max=$(cat /proc/sys/kernel/pid_max)
expect_failure 3 "no process with pid $pid_max" "pid_max" dump --pid "$pid_max"
# A pid that existed a moment ago.
sh -c 'exit 0' &
gone=$!
wait "$gone"
if [ ! -e "/proc/$gone" ]; then
	expect_failure 3 "no process with pid $gone\$" "an exited process" dump --pid "$gone"
fi
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
	expect_failure 3 "zombie|exited" "a zombie" dump --pid "$zombie"
else
	info "no zombie appeared: zombie case not tested"
fi
kill "$parent" 2>/dev/null || true

# A kernel thread: kthreadd is pid 2 outside a pid namespace.
if [ "$(cat /proc/2/comm 2>/dev/null)" = kthreadd ]; then
	expect_failure 3 "pid 2 \(kthreadd\): it is a kernel thread" "kthreadd" dump --pid 2
	# Any other kernel thread (a child of kthreadd).
	kt=$(ps -o pid= --ppid 2 | tr -d ' ' | head -n 1)
	[ -z "$kt" ] || expect_failure 3 "it is a kernel thread" "kernel thread $kt" dump --pid "$kt"
else
	info "pid 2 is not kthreadd (pid namespace): kernel thread case not tested"
fi

# cprof itself: exec keeps the shell's pid.
run_cprof_self() {
	RC=0
	# shellcheck disable=SC2016 # $$ is for the inner shell
	sh -c 'exec "$0" dump --pid $$' "$CPROF" >"$OUT" 2>"$ERR" </dev/null || RC=$?
}
run_cprof_self
expect_rc 3 "dump of itself"
expect_error_line "it is cprof itself" "dump of itself"

# ---- permission denied: 4 ----
# A process cprof may not trace. As root, run cprof as nobody against a
# root process; otherwise pick a user process of root (not a kernel thread).
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CPROF" --version >/dev/null 2>&1; then
		# sleep does not call PR_SET_PTRACER: only CAP_SYS_PTRACE may trace it.
		sleep 100 &
		victim=$!
		TARGET_PIDS="$TARGET_PIDS $victim"
		# shellcheck disable=SC2034 # RC is read by expect_rc
		RC=0
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$CPROF" dump --pid "$victim" >"$OUT" 2>"$ERR" </dev/null || RC=$?
		expect_rc 4 "dump of a root process as nobody"
		expect_error_line "cannot trace pid $victim \(sleep\): Operation not permitted; .*(ptrace_scope|CAP_SYS_PTRACE)" \
			"dump of a root process as nobody"
		[ ! -s "$OUT" ] || fail "permission denied: output on stdout"
		assert_running "$victim"
		kill "$victim"
	else
		info "cannot run $CPROF as nobody (setpriv missing or $CPROF unreadable): EPERM not tested"
	fi
else
	# The oldest first (pid 1 if it is root's): it will not exit meanwhile.
	victim=$(ps -o pid= -u 0 -U 0 --sort=start_time | tr -d ' ' | while read -r p; do
		# Readable maps mean we may trace it (the mode bits say nothing).
		head -c 1 "/proc/$p/maps" >/dev/null 2>&1 && continue
		grep -q '^PPid:[[:space:]]*2$' "/proc/$p/status" 2>/dev/null && continue
		[ "$p" = 2 ] && continue
		echo "$p"
		break
	done)
	if [ -n "$victim" ]; then
		expect_failure 4 "Operation not permitted; .*(ptrace_scope|CAP_SYS_PTRACE)" \
			"dump of root's pid $victim" dump --pid "$victim"
	else
		info "no root process found: EPERM not tested"
	fi
fi

# ---- a live process whose threads cannot stop in time: 1, not "exited" ----
# t-vfork's only thread waits in vfork for 3 s, where ptrace cannot stop it.
start_target t-vfork O2 3
sleep 0.2
expect_failure 1 "no thread of pid $TARGET_PID stopped within 1000 ms: the machine may be too busy; try again" \
	"dump of a process that cannot stop" dump --pid "$TARGET_PID"
for ((i = 0; i < 100; i++)); do
	grep -q '^vfork done' "$TARGET_OUT" && break
	sleep 0.1
done
grep -q '^vfork done' "$TARGET_OUT" || fail "t-vfork never got past its vfork"
assert_running "$TARGET_PID"
stop_target
