#!/bin/bash
# Run cprof under valgrind (memcheck) through a few functional scenarios:
# every memory error, and every definite leak, fails the run.
#
#   scripts/valgrind-check.sh [BUILD_DIR]     (default: build; make build-tests first)
#
# Scenarios: dump (text and JSON) of t-threads; record --pid with every
# output format, --idle --threads --lines; report of the recording (text,
# JSON, re-rendered outputs); record --on-crash of a command that dies of
# SIGSEGV; top in batch mode; diff of two folded files. Only cprof runs
# under valgrind, not the targets. Logs go to BUILD_DIR/valgrind/. Exit 0
# when every scenario is clean, 1 otherwise, 77 when valgrind is missing.
set -u

cd "$(dirname "$0")/.." || exit 1
B=${1:-${B:-build}}
case $B in /*) ;; *) B=$PWD/$B ;; esac
CPROF=$B/cprof
T=$B/valgrind
command -v valgrind >/dev/null || {
	echo "valgrind-check: valgrind is not installed (apt-get install valgrind)" >&2
	exit 77
}
if [ ! -x "$CPROF" ] || [ ! -x "$B/targets/O2/t-threads" ]; then
	echo "valgrind-check: build first: make B=$B build-tests" >&2
	exit 1
fi
rm -rf "$T"
mkdir -p "$T"

VG=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
	--show-leak-kinds=definite --errors-for-leak-kinds=definite --num-callers=30
	--trace-children=no --child-silent-after-fork=yes)
failed=0
PIDS=

cleanup() {
	local p
	for p in $PIDS; do kill -KILL "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

# start NAME ARGS...: a target in the background, once it says "ready".
start() {
	local i
	"$B/targets/O2/$1" "${@:2}" >"$T/$1.out" 2>&1 </dev/null &
	TPID=$!
	PIDS="$PIDS $TPID"
	for ((i = 0; i < 1000; i++)); do
		grep -q '^ready ' "$T/$1.out" 2>/dev/null && return 0
		sleep 0.01
	done
	echo "valgrind-check: $1 did not start" >&2
	exit 1
}

# check NAME EXPECTED-STATUS CPROF-ARGS...: cprof under valgrind.
check() {
	local name=$1 want=$2 rc=0
	shift 2
	"${VG[@]}" --log-file="$T/$name.vg" "$CPROF" "$@" >"$T/$name.stdout" 2>"$T/$name.stderr" \
		</dev/null || rc=$?
	if [ "$rc" -eq 99 ] || ! grep -q 'ERROR SUMMARY: 0 errors' "$T/$name.vg"; then
		echo "FAIL  $name: valgrind found errors (exit $rc), see $T/$name.vg"
		grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall param|Mismatched|.*definitely lost)' \
			"$T/$name.vg" | head -n 10
		failed=1
	elif [ "$rc" -ne "$want" ]; then
		echo "FAIL  $name: cprof exited with $rc, expected $want (see $T/$name.stderr)"
		tail -n 5 "$T/$name.stderr"
		failed=1
	else
		echo "PASS  $name"
	fi
}

start t-threads
check dump 0 dump --pid "$TPID"
check dump-json 0 dump --json --pid "$TPID"
check record 0 record -p "$TPID" -d 2 --idle --threads --lines -o "$T/r.svg" -o "$T/r.json" \
	-o "$T/r.folded" -o "$T/r.pb.gz" -o "$T/r.cprof"
check top 0 top -b -n 2 -d 0.5 -p "$TPID"
kill "$TPID"

check report 0 report "$T/r.cprof"
check report-json 0 report --json "$T/r.cprof"
check report-outputs 0 report "$T/r.cprof" -o "$T/re.svg" -o "$T/re.folded" -o "$T/re.json"
check crash 0 record --on-crash "$T/crash.txt" -o "$T/c.folded" -- "$B/targets/O2/t-crash" segv 5000
[ -s "$T/crash.txt" ] || {
	echo "FAIL  crash: no crash report"
	failed=1
}
if "$CPROF" diff --help >/dev/null 2>&1; then
	sed 's/ \([0-9]*\)$/ 1\1/' "$T/r.folded" >"$T/r2.folded"
	rc=0
	"$CPROF" diff "$T/r.folded" "$T/r2.folded" >/dev/null 2>&1 || rc=$?
	check diff "$rc" diff "$T/r.folded" "$T/r2.folded"
fi

if [ "$failed" -ne 0 ]; then
	echo "valgrind-check: FAILED (logs in $T)"
	exit 1
fi
echo "valgrind-check: all clean"
