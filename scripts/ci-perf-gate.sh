#!/bin/bash
# ci-perf-gate.sh: fail a CI job when a benchmark's profile regresses.
#
#   ci-perf-gate.sh [--threshold PCT] [--update] [--rate HZ] [--out DIR]
#                   BASELINE.cprof -- COMMAND [ARGS...]
#
# Profiles COMMAND from its start to its exit (cprof record), then compares
# the recording with BASELINE.cprof (cprof diff --threshold PCT). Left in
# DIR for the CI artifacts:
#
#   new.cprof   the new recording
#   diff.svg    a differential flame graph: widths from the new run, red
#               where a function's share grew, blue where it shrank
#   diff.txt    the comparison, as printed
#
# With --update, or when BASELINE.cprof does not exist yet, the recording is
# stored as the baseline instead (commit it, or keep it as a CI cache).
#
#   --threshold PCT  fail if a function's total share of the samples grew by
#                    more than PCT percentage points (default 10)
#   --update         store the new recording as the baseline
#   --rate HZ        samples per second (default: cprof's, 100)
#   --out DIR        where the outputs go (default cprof-gate)
#
# Exit status: 0 no regression, or the baseline was stored; 5 a regression
# (cprof diff names the function and its growth on stderr); 1 the benchmark
# failed or could not be profiled or compared; 2 bad command line.
#
# Environment: CPROF, the cprof binary (default: cprof on the PATH, else the
# build/cprof of this source tree).
set -u

prog=ci-perf-gate

usage() {
	echo "usage: $prog [--threshold PCT] [--update] [--rate HZ] [--out DIR]" \
		"BASELINE.cprof -- COMMAND [ARGS...]"
}

usage_error() {
	echo "$prog: $*" >&2
	usage >&2
	exit 2
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

threshold=10
update=0
rate=
out="cprof-gate"

while [ $# -gt 0 ]; do
	case $1 in
	--threshold | --rate | --out)
		[ $# -ge 2 ] || usage_error "$1 needs a value"
		case $1 in
		--threshold) threshold=$2 ;;
		--rate) rate=$2 ;;
		--out) out=$2 ;;
		esac
		shift 2
		;;
	--threshold=*) threshold=${1#*=} && shift ;;
	--rate=*) rate=${1#*=} && shift ;;
	--out=*) out=${1#*=} && shift ;;
	--update) update=1 && shift ;;
	-h | --help)
		sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
		exit 0
		;;
	--) usage_error "the baseline comes before '--'" ;;
	-*) usage_error "unknown option '$1'" ;;
	*) break ;;
	esac
done
[ $# -ge 1 ] || usage_error "which baseline?"
baseline=$1
shift
[ "${1-}" = "--" ] || usage_error "expected '-- COMMAND' after the baseline"
shift
[ $# -ge 1 ] || usage_error "which command? (after '--')"

# Checked now, not after a long benchmark.
if ! [[ $threshold =~ ^[0-9]+(\.[0-9]+)?$ ]] ||
	! awk -v t="$threshold" 'BEGIN { exit !(t <= 100) }'; then
	usage_error "--threshold: '$threshold' is not a number of percentage points (0 to 100)"
fi
[ -z "$rate" ] || [[ $rate =~ ^[1-9][0-9]*$ ]] ||
	usage_error "--rate: '$rate' is not a number of samples per second"
[ -n "$out" ] || usage_error "--out: empty directory name"

if [ -n "${CPROF:-}" ]; then
	cprof=$CPROF
elif command -v cprof >/dev/null 2>&1; then
	cprof=cprof
elif [ -x "$(dirname "$0")/../build/cprof" ]; then
	cprof=$(dirname "$0")/../build/cprof
else
	die "cprof not found: put it on the PATH or set CPROF"
fi

mkdir -p "$out" || die "cannot make directory '$out'"
new=$out/new.cprof
rm -f "$new" "$out/diff.svg" "$out/diff.txt"

record=(record -o "$new")
[ -z "$rate" ] || record+=(-r "$rate")
"$cprof" "${record[@]}" -- "$@"
rc=$?
if [ "$rc" -ne 0 ] || [ ! -s "$new" ]; then
	die "profiling '$*' failed (cprof record exited with $rc)"
fi

# A benchmark that failed says nothing about performance.
how=$("$cprof" report "$new" | sed -n 's/^Exit: *//p')
case $how in
"" | "exited with status 0") ;;
*) die "the benchmark $how; not comparing" ;;
esac

if [ "$update" = 1 ] || [ ! -e "$baseline" ]; then
	why="--update"
	[ -e "$baseline" ] || why="no baseline yet"
	if ! mkdir -p "$(dirname "$baseline")" || ! cp "$new" "$baseline.tmp.$$" ||
		! mv -f "$baseline.tmp.$$" "$baseline"; then
		rm -f "$baseline.tmp.$$"
		die "cannot store the baseline '$baseline'"
	fi
	echo "$prog: stored the new recording as the baseline $baseline ($why)"
	exit 0
fi

rc=0
"$cprof" diff --threshold "$threshold" -o "$out/diff.svg" "$baseline" "$new" >"$out/diff.txt" ||
	rc=$?
cat "$out/diff.txt"
case $rc in
0)
	echo "$prog: passed: no function's total share grew by more than $threshold points" \
		"(flame graph: $out/diff.svg)"
	;;
5)
	echo "$prog: FAILED: performance regression; see $out/diff.svg" >&2
	exit 5
	;;
*) die "cprof diff failed (exit status $rc)" ;;
esac
