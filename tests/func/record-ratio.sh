#!/bin/bash
# record on t-ratio, whose one thread splits its CPU time 3:1 between
# hot_three and hot_one (called from ratio_loop): in the folded output,
# hot_three has 75 +- 8 % of the samples of the two, at O0 and O2.
#
# t-ratio also measures the two functions' speeds now and then (equal time
# in each, under measure_speed): those samples are not part of the 3:1
# split and are left out. The recording goes on, a second and a half at a
# time, until the split rests on at least MIN samples, so that a loaded
# machine gives fewer samples but not a looser test (with 250 samples, 8
# points is over three standard deviations).
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

MIN=250

check_ratio() {
	local opt=$1
	local f=$T/ratio-$1.folded three=0 one=0 n pct i
	start_target t-ratio "$opt"
	: >"$f"
	for ((i = 0; i < 6 && three + one < MIN; i++)); do
		run_cprof record -p "$TARGET_PID" -r 200 -d 1.5 -o "$T/part.folded"
		expect_rc 0 "record t-ratio ($opt)"
		cat "$T/part.folded" >>"$f"
		three=$(awk '/;ratio_loop;hot_three [0-9]+$/ { n += $NF } END { print n + 0 }' "$f")
		one=$(awk '/;ratio_loop;hot_one [0-9]+$/ { n += $NF } END { print n + 0 }' "$f")
	done
	stop_target
	n=$((three + one))
	[ "$n" -ge "$MIN" ] || {
		show "$f"
		fail "$opt: only $n samples in hot_three and hot_one after $i recordings"
	}
	# Rounded to a tenth of a point.
	pct=$(((1000 * three + n / 2) / n))
	info "$opt: hot_three $three, hot_one $one: $((pct / 10)).$((pct % 10)) %"
	if [ "$pct" -lt 670 ] || [ "$pct" -gt 830 ]; then
		show "$f"
		fail "$opt: hot_three has $((pct / 10)).$((pct % 10)) % of the samples, expected 75 +- 8 %"
	fi
	# The two sit where t-ratio calls them: main;ratio_loop;hot_X.
	assert_grep "$f" '(^|;)main;ratio_loop;hot_three [0-9]+$' "$opt: the stack of hot_three"
	assert_grep "$f" '(^|;)main;ratio_loop;hot_one [0-9]+$' "$opt: the stack of hot_one"
}

for opt in $OPTS; do
	check_ratio "$opt"
done
