#!/bin/bash
# Run the test suite: every unit test binary in $B/tests/unit, then every
# functional test tests/func/*.sh. `make check` builds everything first.
#
#   B=build tests/run-tests.sh [NAME...]
#
# NAMEs select tests whose name (e.g. "unit/test-maps", "func/dump-errors")
# contains one of them. Each test runs under a timeout (TEST_TIMEOUT, default
# 120 s) with its output in $B/test-logs/NAME.log, shown when it fails.
# Exit status of a test: 0 pass, 77 skip, anything else fail. The last line
# is "N passed, N failed, N skipped"; the script exits 1 if any failed.
set -eu

cd "$(dirname "$0")/.."
B=${B:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
export B
TIMEOUT=${TEST_TIMEOUT:-120}
logdir=$B/test-logs

passed=0
failed=0
skipped=0
failures=

# selected NAME: no NAMEs were given, or one is part of NAME.
selected() {
	local pat
	[ ${#patterns[@]} -eq 0 ] && return 0
	for pat in "${patterns[@]}"; do
		case $1 in *"$pat"*) return 0 ;; esac
	done
	return 1
}

now_ms() {
	date +%s%3N
}

# run_one NAME COMMAND...
run_one() {
	local name=$1 log rc start secs reason
	shift
	log=$logdir/$name.log
	mkdir -p "$(dirname "$log")"
	start=$(now_ms)
	rc=0
	timeout -k 10 "$TIMEOUT" "$@" >"$log" 2>&1 </dev/null || rc=$?
	secs=$(awk -v ms=$(($(now_ms) - start)) 'BEGIN { printf "%.1f", ms / 1000 }')
	case $rc in
	0)
		passed=$((passed + 1))
		printf 'PASS  %-28s %6ss\n' "$name" "$secs"
		;;
	77)
		skipped=$((skipped + 1))
		reason=$(grep -m1 '^SKIP: ' "$log" | sed 's/^SKIP: //' || true)
		printf 'SKIP  %-28s %6ss  %s\n' "$name" "$secs" "$reason"
		;;
	*)
		failed=$((failed + 1))
		failures="$failures $name"
		[ "$rc" -eq 124 ] && echo "(timed out after ${TIMEOUT}s)" >>"$log"
		printf 'FAIL  %-28s %6ss  (exit %d, log %s)\n' "$name" "$secs" "$rc" "$log"
		sed 's/^/    | /' "$log"
		;;
	esac
}

patterns=("$@")
mkdir -p "$logdir"

for t in "$B"/tests/unit/test-*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	selected "$name" || continue
	run_one "$name" "$t"
done

for t in tests/func/*.sh; do
	[ -f "$t" ] || continue
	name=func/$(basename "$t" .sh)
	[ "$name" = func/lib ] && continue
	selected "$name" || continue
	run_one "$name" bash "$t"
done

if [ "$failed" -gt 0 ]; then
	echo "failed:$failures"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
