#!/bin/bash
# SIGINT or SIGTERM to cprof record in the middle of a recording of a
# command it launched (t-threads), with no --duration (harm-cprof-dies.sh
# does the same for targets attached with --pid):
#
#   - cprof exits 0, its summary says the recording was "cut short by a
#     signal", and every output is written with every sample (the folded
#     total is the summary's count) and valid: the SVG for xmllint, the
#     speedscope JSON for python, the folded lines "STACK COUNT";
#   - cprof ends the command: t-threads exits on SIGTERM, printing its
#     EINTR counts, which must be zero, and nothing is left running.
#
# cprof is known to be sampling when SIGUSR1 (write the outputs so far) has
# produced a folded file with samples in it: no fixed delays.
. "$(dirname "$0")/lib.sh"

command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
command -v python3 >/dev/null || skip "python3 is not installed"
skip_unless_ptrace

REC=

threads_of() {
	[ "$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -ge "$2" ]
}

# Ask cprof for the outputs so far; true once the folded one has samples.
has_samples() {
	kill -USR1 "$REC" 2>/dev/null || return 1
	sleep 0.1
	[ -s "$1" ]
}

gone() {
	! kill -0 "$1" 2>/dev/null
}

# forget PID: not ours to kill at the end any more.
forget() {
	local p rest=
	for p in $TARGET_PIDS; do
		[ "$p" = "$1" ] || rest="$rest $p"
	done
	TARGET_PIDS=$rest
}

# cprof_running CPROF-ARGS...: start cprof record in the background, $REC.
cprof_running() {
	"$CPROF" record "$@" >"$OUT" 2>"$ERR" </dev/null &
	REC=$!
	TARGET_PIDS="$TARGET_PIDS $REC"
	# Its signal handlers are set before its sampling thread starts.
	wait_for_secs 20 "cprof's sampling thread" threads_of "$REC" 2
}

# stop_cprof SIG LABEL: send SIG, wait for cprof to exit, check what it says
# and the outputs $T/LABEL.*.
stop_cprof() {
	local sig=$1 label=$2 p=$T/$2 n total
	kill -"$sig" "$REC"
	wait_for_secs 20 "$label: cprof's exit after SIG$sig" gone "$REC"
	RC=0
	wait "$REC" || RC=$?
	forget "$REC"
	expect_rc 0 "$label: cprof record stopped by SIG$sig"
	assert_grep "$ERR" '^cprof: recorded [0-9]+ samples .*, cut short by a signal$' "$label: summary"
	assert_grep "$ERR" "^cprof: wrote $p.svg, $p.json, $p.folded\$" "$label: outputs written"
	xmllint --noout "$p.svg" || fail "$label: the SVG is not well-formed"
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["profiles"]' "$p.json" ||
		fail "$label: the speedscope JSON does not load"
	awk '!/^[^ ].* [1-9][0-9]*$/ { exit 1 }' "$p.folded" || {
		show "$p.folded"
		fail "$label: a bad folded line"
	}
	total=$(awk '{ n += $NF } END { print n + 0 }' "$p.folded")
	n=$(sed -n 's/^cprof: recorded \([0-9]*\) samples.*/\1/p' "$ERR")
	assert_eq "$total" "$n" "$label: samples in the folded output vs the summary"
	grep -q ';spin_[abc] ' "$p.folded" || fail "$label: no samples of the workers"
	info "$label: $n samples"
}

launched() {
	local sig=$1 label=launch-$1 pid
	cprof_running -o "$T/$label.svg" -o "$T/$label.json" -o "$T/$label.folded" \
		-- "$B/targets/O2/t-threads"
	# The command writes to cprof's standard output.
	wait_for_secs 20 "$label: t-threads ready" grep -q '^ready ' "$OUT"
	pid=$(sed -n 's/^ready //p' "$OUT")
	TARGET_PIDS="$TARGET_PIDS $pid"
	wait_for_secs 20 "$label: samples" has_samples "$T/$label.folded"
	stop_cprof "$sig" "$label"
	gone "$pid" || fail "$label: the command (pid $pid) still runs after cprof exited"
	forget "$pid"
	assert_grep "$OUT" '^eintr sleeper=0 reader=0$' "$label: t-threads ended by SIGTERM, no EINTR"
}

for sig in INT TERM; do
	launched $sig
done
