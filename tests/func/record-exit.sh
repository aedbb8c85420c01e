#!/bin/bash
# A command launched by cprof record ends the recording when it ends
# (harm-exit.sh covers targets attached with --pid, and the exit of a thread
# that is not main):
#
#   exit 3     t-exit exits with status 3 from main while two workers spin:
#              cprof exits 0, the summary says "command exited with status
#              3", and the outputs are written, valid, with main's stack
#              main;busy_for;busy_work and the workers' exit_worker
#   signal     t-exit raises SIGKILL: "command was killed by signal 9"
#   --duration t-threads launched with -d 1: cprof ends it with SIGTERM
#              (t-threads then prints its EINTR counts and exits), and a
#              command that ignores SIGTERM is killed: nothing is left
#              running either way
#
# cprof runs under `timeout`: a recording that does not end fails the test
# instead of hanging it.
. "$(dirname "$0")/lib.sh"

command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
command -v python3 >/dev/null || skip "python3 is not installed"
skip_unless_ptrace

# record_launch LABEL CPROF-ARGS...: cprof record, 60 s at most.
record_launch() {
	local label=$1
	shift
	RC=0
	timeout -k 5 60 "$CPROF" record "$@" >"$OUT" 2>"$ERR" </dev/null || RC=$?
	if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
		show "$OUT" "$ERR"
		fail "$label: cprof record did not end within 60 s"
	fi
	expect_rc 0 "$label: cprof record"
}

# valid_outputs LABEL: $T/LABEL.{svg,json,folded} exist and are valid.
valid_outputs() {
	local p=$T/$1
	assert_grep "$ERR" "^cprof: wrote $p.svg, $p.json, $p.folded\$" "$1: outputs written"
	xmllint --noout "$p.svg" || fail "$1: the SVG is not well-formed"
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["profiles"]' "$p.json" ||
		fail "$1: the speedscope JSON does not load"
	awk '!/^[^ ].* [1-9][0-9]*$/ { exit 1 }' "$p.folded" || {
		show "$p.folded"
		fail "$1: a bad folded line"
	}
}

# ready_pid: the pid the launched target announced on cprof's stdout.
ready_pid() {
	sed -n 's/^ready \([0-9]*\)$/\1/p' "$OUT" | head -n 1
}

# assert_gone PID WHAT: PID (launched by cprof, so not ours to wait for) has
# ended; if not, kill it and fail.
assert_gone() {
	[ -n "$1" ] || fail "$2: it never said it was ready"
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null || true
		fail "$2 (pid $1) still runs after cprof ended"
	fi
}

for opt in $OPTS; do
	l=exit3-$opt
	info "$l"
	record_launch "$l" -o "$T/$l.svg" -o "$T/$l.json" -o "$T/$l.folded" \
		-- "$B/targets/$opt/t-exit" 300 3 2
	assert_grep "$ERR" '^cprof: command exited with status 3$' "$l: the command's status"
	valid_outputs "$l"
	assert_grep "$T/$l.folded" '(^|;)main;busy_for;busy_work( |;)' "$l: main's samples"
	assert_grep "$T/$l.folded" '(^|;)exit_worker [0-9]+$' "$l: the workers' samples"
	assert_gone "$(ready_pid)" "$l: t-exit"
done

l=signal
info "$l"
record_launch "$l" -o "$T/$l.svg" -o "$T/$l.json" -o "$T/$l.folded" -- "$B/targets/O2/t-exit" 300 137
assert_grep "$ERR" '^cprof: command was killed by signal 9 ' "$l: the command's fate"
valid_outputs "$l"
assert_grep "$T/$l.folded" '(^|;)busy_work [0-9]+$' "$l: samples before the signal"

# --duration: the command is terminated when the time is up.
l=duration
info "$l"
record_launch "$l" -d 1 -o "$T/$l.svg" -o "$T/$l.json" -o "$T/$l.folded" -- "$B/targets/O2/t-threads"
valid_outputs "$l"
assert_gone "$(ready_pid)" "$l: t-threads"
assert_grep "$OUT" '^eintr sleeper=0 reader=0$' "$l: t-threads ended by SIGTERM"
assert_grep "$T/$l.folded" '(^|;)spin_a [0-9]+$' "$l: samples of the workers"

# One that ignores SIGTERM is killed (a second later, says the manual).
l=duration-kill
info "$l"
record_launch "$l" -d 0.5 -o "$T/$l.svg" -o "$T/$l.json" -o "$T/$l.folded" -- \
	sh -c 'trap "" TERM; exec "$0" 600000' "$B/targets/O2/t-exit"
valid_outputs "$l"
assert_gone "$(ready_pid)" "$l: t-exit, which ignores SIGTERM,"
