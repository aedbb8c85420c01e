#!/bin/bash
# The CI performance gate (scripts/ci-perf-gate.sh) and cprof diff on live
# recordings of t-gate, whose three steps share its time equally unless
# hot_path is made 4x slower (then it takes two thirds):
#
#   - no baseline yet: the run is stored as the baseline, exit 0;
#   - the same workload again: exit 0 at --threshold 10;
#   - hot_path 4x slower: exit 5, hot_path named, its share up by some 30
#     points in the report and red in the differential flame graph;
#   - --update stores a run as the baseline; a benchmark that fails is an
#     error (exit 1), a bad command line exit 2.
#
# Only shares are compared, and the changes looked for are ten times the
# sampling noise, so the machine's speed or load does not matter.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

GATE=$SRCDIR/scripts/ci-perf-gate.sh
RATE=400
CPU_MS=1500
export CPROF

# run_gate ARGS...: the gate with stdout in $OUT, stderr in $ERR, status in $RC
run_gate() {
	RC=0
	# shellcheck disable=SC2034 # RC is read by expect_rc
	"$GATE" "$@" >"$OUT" 2>"$ERR" </dev/null || RC=$?
}

# delta FILE.json FUNCTION: the change of FUNCTION's total share in a JSON diff
delta() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(next((r["delta_total_pct"] for r in d["changes"] if r["function"] == sys.argv[2]), "none"))
' "$1" "$2"
}

for opt in $OPTS; do
	bin=$B/targets/$opt/t-gate
	[ -x "$bin" ] || framework_failure "$bin is not built (make build-tests)"
	d=$T/$opt
	base=$d/baseline/t-gate.cprof

	run_gate --rate "$RATE" --out "$d/1" "$base" -- "$bin" 1 "$CPU_MS"
	expect_rc 0 "first run, no baseline ($opt)"
	assert_grep "$OUT" "^ci-perf-gate: stored the new recording as the baseline .*t-gate\.cprof \(no baseline yet\)$" \
		"baseline stored ($opt)"
	[ -s "$base" ] || fail "no baseline written ($opt)"
	cmp -s "$base" "$d/1/new.cprof" || fail "the baseline is not the recording ($opt)"

	# The same workload: shares within noise of each other.
	run_gate --threshold 10 --rate "$RATE" --out "$d/2" "$base" -- "$bin" 1 "$CPU_MS"
	info "$opt, same workload: $(grep -E ' (hot_path|parse_input|checksum)$' "$d/2/diff.txt" | tr -s ' ' | paste -sd'|')"
	expect_rc 0 "the same workload against its baseline ($opt)"
	assert_grep "$OUT" '^Threshold 10 points: no total share grew by more$' "passed ($opt)"
	assert_grep "$OUT" '^ci-perf-gate: passed' "gate passed ($opt)"
	[ -s "$d/2/diff.svg" ] || fail "no diff.svg ($opt)"
	cmp -s "$OUT" /dev/null && fail "nothing printed ($opt)"

	# hot_path 4x slower.
	run_gate --threshold 10 --rate "$RATE" --out "$d/3" "$base" -- "$bin" 4 "$CPU_MS"
	info "$opt, hot_path 4x: $(grep -E ' (hot_path|parse_input|checksum)$' "$d/3/diff.txt" | tr -s ' ' | paste -sd'|')"
	expect_rc 5 "hot_path 4x slower ($opt)"
	assert_grep "$ERR" '^cprof: regression: hot_path grew by \+[0-9.]+ points of total share' \
		"the regression names hot_path ($opt)"
	assert_grep "$ERR" '^ci-perf-gate: FAILED: performance regression; see .*/3/diff\.svg$' \
		"gate failed ($opt)"
	assert_grep "$OUT" '^Threshold 10 points: exceeded; hot_path grew by' "report names hot_path ($opt)"
	svg=$d/3/diff.svg
	if command -v xmllint >/dev/null; then
		xmllint --noout "$svg" || fail "diff.svg is not well-formed ($opt)"
	fi
	assert_grep "$svg" 'red grew, blue shrank' "a differential flame graph ($opt)"
	fill=$(grep -m1 '<title>hot_path ' "$svg" | sed 's/.*fill="\([^"]*\)".*/\1/')
	assert_match "$fill" '^rgb\(255,[0-9]+,[0-9]+\)$' "hot_path is red ($opt)"
	fill=$(grep -m1 '<title>parse_input ' "$svg" | sed 's/.*fill="\([^"]*\)".*/\1/')
	assert_match "$fill" '^rgb\([0-9]+,[0-9]+,255\)$' "parse_input is blue ($opt)"

	# The same comparison with cprof diff directly, in numbers.
	if command -v python3 >/dev/null; then
		run_cprof diff --json "$base" "$d/3/new.cprof"
		expect_rc 0 "diff --json of the recordings ($opt)"
		cp "$OUT" "$d/slow.json"
		hot=$(delta "$d/slow.json" hot_path)
		parse=$(delta "$d/slow.json" parse_input)
		sum=$(delta "$d/slow.json" checksum)
		info "$opt: hot_path $hot, parse_input $parse, checksum $sum points"
		# 1/3 -> 2/3 (+33); 1/3 -> 1/6 (-17) each.
		awk -v h="$hot" -v p="$parse" -v c="$sum" \
			'BEGIN { exit !(h > 20 && h < 45 && p < -8 && c < -8) }' ||
			fail "shares did not move as the workload did ($opt): $hot $parse $sum"
		run_cprof diff --json "$base" "$d/2/new.cprof"
		hot=$(delta "$OUT" hot_path)
		awk -v h="$hot" 'BEGIN { exit !(h > -10 && h < 10) }' ||
			fail "the same workload moved hot_path by $hot points ($opt)"
	fi

	# A recording and its own folded stacks: nothing changed, to the sample.
	run_cprof report "$base" -o "$d/base.folded"
	expect_rc 0 "report -o folded ($opt)"
	run_cprof report --threads "$base" -o "$d/threads.folded"
	expect_rc 0 "report --threads -o folded ($opt)"
	for f in base.folded threads.folded; do
		run_cprof diff --threshold 0 --top 0 "$base" "$d/$f"
		expect_rc 0 "a recording against its $f ($opt)"
		n=$(sed -n 's/^Base: .*, \([0-9]*\) samples$/\1/p' "$OUT")
		assert_grep "$OUT" "^New: +.*, $n samples$" "same sample count in $f ($opt)"
		awk '/%/ && ($5 != "+0.0" || $6 != "+0.0")' "$OUT" >"$T/changed"
		[ -s "$T/changed" ] && { show "$OUT"; fail "changes against $f ($opt)"; }
		if command -v python3 >/dev/null; then
			run_cprof diff --json --top 0 "$base" "$d/$f"
			python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["base"]["samples"] == d["new"]["samples"] > 0, d
for r in d["changes"]:
    assert r["base"]["self"] == r["new"]["self"] and r["base"]["total"] == r["new"]["total"], r
' "$OUT" || { show "$OUT"; fail "counts differ against $f ($opt)"; }
		fi
	done

	# --update replaces the baseline.
	run_gate --update --rate "$RATE" --out "$d/4" "$base" -- "$bin" 4 300
	expect_rc 0 "--update ($opt)"
	assert_grep "$OUT" 'stored the new recording as the baseline .* \(--update\)$' "--update ($opt)"
	cmp -s "$base" "$d/4/new.cprof" || fail "--update did not store the recording ($opt)"
done

# A benchmark that fails is not compared.
run_gate --out "$T/fail" "$T/fail/base.cprof" -- "$B/targets/O2/t-gate" not-a-number
expect_rc 1 "a failing benchmark"
assert_grep "$ERR" '^ci-perf-gate: the benchmark exited with status 2; not comparing$' "failure named"

# Bad command lines, before anything runs.
for args in "x.cprof" "x.cprof true" "--threshold abc x.cprof -- true" "--threshold 101 x.cprof -- true" \
	"--rate 0 x.cprof -- true" "--bogus x.cprof -- true" "-- true" "x.cprof --"; do
	# shellcheck disable=SC2086 # split on purpose
	run_gate $args
	expect_rc 2 "ci-perf-gate $args"
	assert_grep "$ERR" '^usage: ci-perf-gate ' "usage after 'ci-perf-gate $args'"
done
run_gate --help
expect_rc 0 "--help"
assert_grep "$OUT" 'Exit status: 0 no regression' "--help text"
