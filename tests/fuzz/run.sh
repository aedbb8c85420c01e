#!/bin/bash
# Run the libFuzzer harnesses (make fuzz builds them and calls this):
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS NAME...
#
# Each BUILD_DIR/fuzz-NAME runs SECONDS on BUILD_DIR/corpus-NAME, a working
# corpus seeded from tests/fuzz/corpus/NAME, which it grows. Crashes, leaks
# and timeouts are written as BUILD_DIR/crash-NAME-*; the script ends 1 if
# any harness found one. To keep what was learned, merge the working
# corpus into the repository's, which adds only inputs with new coverage:
#
#   BUILD_DIR/fuzz-NAME -merge=1 tests/fuzz/corpus/NAME BUILD_DIR/corpus-NAME
#
# (and keep it to a few dozen small files: it is replayed by make check).
set -u

cd "$(dirname "$0")/../.." || exit 1
dir=$1
secs=$2
shift 2
failed=

for name in "$@"; do
	bin=$dir/fuzz-$name
	work=$dir/corpus-$name
	mkdir -p "$work"
	cp -n tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
	echo "fuzz-$name: ${secs}s, corpus $(find "$work" -type f | wc -l) files"
	# Leaks of the target's own libraries (libdw keeps caches) are not ours:
	# LSan still reports any leak with a frame of cprof's code in it.
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
		-print_final_stats=1 -artifact_prefix="$dir/crash-$name-" "$work" \
		>"$dir/fuzz-$name.log" 2>&1
	rc=$?
	tail -n 12 "$dir/fuzz-$name.log" | grep -E 'stat::number_of_executed_units|stat::new_units_added|ERROR|SUMMARY|Done' || true
	if [ "$rc" -ne 0 ]; then
		echo "fuzz-$name: FAILED (exit $rc), see $dir/fuzz-$name.log and $dir/crash-$name-*"
		failed="$failed $name"
	fi
done
[ -z "$failed" ] || {
	echo "failed:$failed"
	exit 1
}
