# shellcheck shell=bash
# shellcheck disable=SC2034 # variables set here are for the tests
# Helpers for the functional tests (tests/func/*.sh). Source it first:
#
#	. "$(dirname "$0")/lib.sh"
#
# Exit codes follow automake: 0 pass, 1 fail, 77 skip, 99 the test itself
# could not run (framework failure). Every test gets a temporary directory
# $T, removed on exit together with any target still running.
#
# Environment: B (build directory, default build), CPROF (the binary,
# default $B/cprof), OPTS (target builds to loop over, default "O0 O2"),
# TARGET_NICE (niceness of targets, default 10: spinning targets then leave
# CPU time to cprof on a small machine, which keeps the suite fast).

set -eu

B=${B:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
CPROF=${CPROF:-$B/cprof}
OPTS=${OPTS:-O0 O2}
READY_TIMEOUT=${READY_TIMEOUT:-10}
TARGET_NICE=${TARGET_NICE:-10}
TEST_NAME=$(basename "$0" .sh)

T=$(mktemp -d "${TMPDIR:-/tmp}/cprof-$TEST_NAME.XXXXXX")
TARGET_PIDS=
TARGET_N=0

_cleanup() {
	local pid
	for pid in $TARGET_PIDS; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# ---- results ----------------------------------------------------------------

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

framework_failure() {
	echo "ERROR: $*" >&2
	exit 99
}

info() {
	echo "# $*"
}

# Show a file in the log, indented, to explain a failure.
show() {
	local f
	for f in "$@"; do
		echo "---- $f"
		sed 's/^/    /' "$f" 2>/dev/null || true
	done
}

# ---- assertions -------------------------------------------------------------

# assert_eq ACTUAL EXPECTED WHAT
assert_eq() {
	[ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"
}

# assert_match TEXT ERE WHAT
assert_match() {
	printf '%s\n' "$1" | grep -Eq -- "$2" || fail "$3: '$1' does not match /$2/"
}

# assert_grep FILE ERE WHAT: some line of FILE matches
assert_grep() {
	grep -Eq -- "$2" "$1" || {
		show "$1"
		fail "$3: no line of $(basename "$1") matches /$2/"
	}
}

# assert_no_grep FILE ERE WHAT: no line of FILE matches
assert_no_grep() {
	if grep -Eq -- "$2" "$1"; then
		show "$1"
		fail "$3: $(basename "$1") has a line matching /$2/"
	fi
}

# assert_lines FILE N WHAT: FILE has exactly N lines
assert_lines() {
	local n
	n=$(wc -l <"$1")
	[ "$n" -eq "$2" ] || {
		show "$1"
		fail "$3: $n lines in $(basename "$1"), expected $2"
	}
}

# ---- running cprof ------------------------------------------------------------

# run_cprof ARGS...: run cprof with stdout in $OUT, stderr in $ERR and the
# exit status in $RC; never fails by itself.
OUT=$T/cprof.out
ERR=$T/cprof.err
RC=0
run_cprof() {
	RC=0
	"$CPROF" "$@" >"$OUT" 2>"$ERR" </dev/null || RC=$?
}

# expect_rc N WHAT: the last run_cprof exited with N
expect_rc() {
	[ "$RC" -eq "$1" ] || {
		show "$OUT" "$ERR"
		fail "$2: cprof exited with $RC, expected $1"
	}
}

# expect_error_line ERE WHAT: stderr is exactly one line, "cprof: ..." matching ERE
expect_error_line() {
	local n line
	n=$(wc -l <"$ERR")
	line=$(head -n 1 "$ERR")
	[ "$n" -eq 1 ] || {
		show "$ERR"
		fail "$2: $n lines on stderr, expected one"
	}
	case $line in
	"cprof: "*) ;;
	*) fail "$2: stderr '$line' does not start with 'cprof: '" ;;
	esac
	assert_match "$line" "$1" "$2"
}

# expect_failure STATUS ERE WHAT ARGS...: cprof ARGS fails as described,
# with nothing on stdout.
expect_failure() {
	local status=$1 ere=$2 what=$3
	shift 3
	run_cprof "$@"
	expect_rc "$status" "$what"
	expect_error_line "$ere" "$what"
	[ ! -s "$OUT" ] || {
		show "$OUT"
		fail "$what: output on stdout"
	}
}

# wait_for_secs SECS WHAT COMMAND...: poll COMMAND for up to SECS seconds;
# fail with WHAT, showing cprof's outputs.
wait_for_secs() {
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	show "$OUT" "$ERR"
	fail "$what: not after $secs s"
}

# wait_for WHAT COMMAND...: wait_for_secs for up to 10 s.
wait_for() {
	wait_for_secs 10 "$@"
}

# ---- targets ----------------------------------------------------------------

# start_target NAME [OPT [ARGS...]]: start $B/targets/OPT/NAME (OPT defaults
# to O2; a NAME with a slash is a path and OPT is ignored) in the background
# and wait for its "ready PID" line. Sets TARGET_PID, TARGET_OUT and
# TARGET_ERR (the target's stdout and stderr).
start_target() {
	local name=$1 opt=${2:-O2} bin i
	shift
	[ $# -gt 0 ] && shift
	case $name in
	*/*)
		bin=$name
		name=$(basename "$name")
		;;
	*) bin=$B/targets/$opt/$name ;;
	esac
	[ -x "$bin" ] || framework_failure "$bin is not built (make build-tests)"
	TARGET_N=$((TARGET_N + 1))
	TARGET_OUT=$T/$name.$TARGET_N.out
	TARGET_ERR=$T/$name.$TARGET_N.err
	# nice execs the target, so $! is the target's pid.
	nice -n "$TARGET_NICE" "$bin" "$@" >"$TARGET_OUT" 2>"$TARGET_ERR" </dev/null &
	TARGET_PID=$!
	TARGET_PIDS="$TARGET_PIDS $TARGET_PID"
	# Poll for the line: the target prints it once in its steady state.
	# (A target may print it and exit at once: look at the output after
	# finding the process gone, not before.)
	local alive=1 pid
	for ((i = 0; i < READY_TIMEOUT * 100; i++)); do
		kill -0 "$TARGET_PID" 2>/dev/null || alive=0
		if grep -q '^ready ' "$TARGET_OUT" 2>/dev/null; then
			pid=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$TARGET_OUT" | head -n 1)
			[ "$pid" = "$TARGET_PID" ] ||
				framework_failure "$name announced pid '$pid', started as $TARGET_PID"
			return 0
		fi
		if [ "$alive" = 0 ]; then
			show "$TARGET_OUT" "$TARGET_ERR"
			framework_failure "$name exited before it was ready"
		fi
		sleep 0.01
	done
	show "$TARGET_OUT" "$TARGET_ERR"
	framework_failure "$name did not print 'ready' within ${READY_TIMEOUT}s"
}

# State letters of every thread of PID ("" once it is gone).
thread_states() {
	local f
	for f in /proc/"$1"/task/*/stat; do
		[ -r "$f" ] || continue
		# The state follows the last ')': comm may hold spaces and parens.
		sed -n 's/.*) \(.\) .*/\1/p' "$f" 2>/dev/null || true
	done
}

# assert_running PID: no thread of PID is stopped or traced.
assert_running() {
	local pid=${1:-$TARGET_PID} states f
	states=$(thread_states "$pid" | tr -d '\n')
	case $states in
	*[Tt]*) fail "pid $pid was left stopped: thread states '$states'" ;;
	esac
	for f in /proc/"$pid"/task/*/status; do
		[ -r "$f" ] || continue
		if grep -Eq '^TracerPid:[[:space:]]+[1-9]' "$f" 2>/dev/null; then
			fail "pid $pid: a thread is still traced ($(grep TracerPid "$f"))"
		fi
	done
}

# shellcheck disable=SC2120 # PID is optional
# stop_target [PID]: check the target was not left stopped, end it with
# SIGTERM and wait. Sets TARGET_STATUS.
stop_target() {
	local pid=${1:-$TARGET_PID} p rest=
	if kill -0 "$pid" 2>/dev/null; then
		assert_running "$pid"
		kill -TERM "$pid" 2>/dev/null || true
	fi
	TARGET_STATUS=0
	wait "$pid" 2>/dev/null || TARGET_STATUS=$?
	for p in $TARGET_PIDS; do
		[ "$p" = "$pid" ] || rest="$rest $p"
	done
	TARGET_PIDS=$rest
}

# ---- environment ---------------------------------------------------------------

# skip_unless_ptrace: exit 77, saying why, if this system forbids what the
# tests need: tracing a process that allows it (PR_SET_PTRACER_ANY).
skip_unless_ptrace() {
	local scope=
	[ -x "$CPROF" ] || framework_failure "$CPROF is not built"
	if [ -r /proc/sys/kernel/yama/ptrace_scope ]; then
		scope=$(cat /proc/sys/kernel/yama/ptrace_scope)
		[ "$scope" -ge 3 ] && skip "ptrace is disabled (kernel.yama.ptrace_scope = $scope)"
		[ "$scope" -ge 2 ] && [ "$(id -u)" != 0 ] &&
			skip "kernel.yama.ptrace_scope = $scope needs CAP_SYS_PTRACE; run as root"
	fi
	start_target t-idle O2
	run_cprof dump --pid "$TARGET_PID"
	stop_target "$TARGET_PID"
	case $RC in
	0) ;;
	4) skip "ptrace is not permitted here: $(head -n 1 "$ERR")" ;;
	*)
		show "$OUT" "$ERR"
		fail "a trivial 'cprof dump' of t-idle failed with $RC"
		;;
	esac
}

# ---- reading dump output -----------------------------------------------------------

# thread_frames FILE NAME: the frames of the first thread called NAME in the
# text of 'cprof dump', leaf first, one per line as "FUNC|FLAGS|FILE|LINE"
# (FLAGS "i" for an inlined frame).
thread_frames() {
	awk -v want="$2" '
	/^Thread [0-9]+ "/ {
		name = $0
		sub(/^Thread [0-9]+ "/, "", name)
		sub(/" \(.*$/, "", name)
		if (done) exit
		on = (name == want)
		if (on) found = 1
		next
	}
	on && /^  #[0-9]+ / {
		line = $0
		sub(/^  #[0-9]+ +0x[0-9a-f]+ /, "", line)
		sub(/ \[[^]]*\]$/, "", line)          # [module]
		file = ""; ln = ""
		if (match(line, / at [^ ]+:[0-9]+$/)) {
			loc = substr(line, RSTART + 4)
			line = substr(line, 1, RSTART - 1)
			file = loc; sub(/:[0-9]+$/, "", file)
			ln = loc; sub(/^.*:/, "", ln)
		}
		flags = ""
		if (sub(/ \(inlined\)$/, "", line)) flags = "i"
		print line "|" flags "|" file "|" ln
		next
	}
	on && /^$/ { if (found) done = 1 }
	' "$1"
}

# thread_funcs FILE NAME: just the function names of thread_frames.
thread_funcs() {
	thread_frames "$1" "$2" | cut -d'|' -f1
}

# stack_matches PATTERN... <FRAMES: the frames (one name per line, leaf
# first) match PATTERN, a list of shell globs for successive frames where
# "..." stands for any number of frames, e.g.
#	spin_a level_a2 level_a1 worker_a start_thread ...
stack_matches() {
	local -a fr=() pat=("$@")
	local l
	while IFS= read -r l; do fr+=("$l"); done
	_stack_match() {
		local i=$1 j=$2 k
		if [ "$j" -ge "${#pat[@]}" ]; then
			[ "$i" -ge "${#fr[@]}" ]
			return
		fi
		if [ "${pat[$j]}" = "..." ]; then
			for ((k = i; k <= ${#fr[@]}; k++)); do
				_stack_match "$k" $((j + 1)) && return 0
			done
			return 1
		fi
		# shellcheck disable=SC2053 # the pattern is a glob on purpose
		[ "$i" -lt "${#fr[@]}" ] && [[ ${fr[$i]} == ${pat[$j]} ]] &&
			_stack_match $((i + 1)) $((j + 1))
	}
	_stack_match 0 0
}

# assert_stack FILE THREAD PATTERN...: the thread's stack in a dump matches.
assert_stack() {
	local file=$1 thread=$2
	shift 2
	thread_funcs "$file" "$thread" >"$T/stack.txt"
	[ -s "$T/stack.txt" ] || {
		show "$file"
		fail "no thread '$thread' with frames in $(basename "$file")"
	}
	stack_matches "$@" <"$T/stack.txt" || {
		show "$file"
		fail "thread '$thread': stack $(paste -sd' ' "$T/stack.txt") does not match: $*"
	}
}

# line_of FILE TAG: the line number of the first line of FILE containing TAG.
line_of() {
	grep -n -F -- "$2" "$1" | head -n 1 | cut -d: -f1
}

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
