#!/bin/bash
# cprof top in batch mode: plain-text snapshots with the hot function first,
# percentages that add up, the 3:1 split of t-ratio, --sort and --lines, and
# the automatic fallback to text when stdout is not a terminal.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

# The rows of snapshot N (1-based) of a text output: the lines after its
# column titles, up to the blank line that ends it.
rows_of() {
	awk -v want="$2" '
	/^cprof top / { n++; on = 0; next }
	n == want && /Function \(/ { on = 1; next }
	on && /^$/ { on = 0 }
	on { print }
	' "$1"
}

for opt in $OPTS; do
	info "t-threads ($opt), one spinning thread"
	start_target t-threads "$opt" 1
	# stdin is /dev/null and stdout a file: text snapshots without --batch.
	run_cprof top -n 2 --delay 0.5 --rows 0 -p "$TARGET_PID"
	expect_rc 0 "top -n 2"
	assert_eq "$(grep -c '^cprof top  pid '"$TARGET_PID" "$OUT")" 2 "snapshots printed"
	assert_no_grep "$OUT" $'\033' "escape sequences in text output"
	assert_grep "$OUT" '^ +%Own +%Total +\*OwnTime +TotalTime +Function \(file\)$' \
		"column titles with the sort marker"
	assert_grep "$OUT" '^Target  CPU [0-9]+% \(user [0-9]+%, sys [0-9]+%\)  RSS [0-9.]+ [KMG]iB$' \
		"target CPU and RSS in the header"
	assert_grep "$OUT" '^cprof   pause p50 [0-9.]+[mu]s p99 ' "pause statistics in the header"
	for n in 1 2; do
		rows_of "$OUT" "$n" >"$T/rows"
		[ -s "$T/rows" ] || { show "$OUT"; fail "snapshot $n has no rows"; }
		first=$(awk '{ print $5; exit }' "$T/rows")
		[ "$first" = spin_a ] || { show "$OUT"; fail "snapshot $n: first row is '$first', not spin_a"; }
		# Every sample has exactly one innermost frame: %Own adds up to 100.
		sum=$(awk '{ sub(/%/, "", $1); s += $1 } END { printf "%.1f", s }' "$T/rows")
		awk -v s="$sum" 'BEGIN { exit !(s >= 99 && s <= 100.6) }' ||
			{ show "$OUT"; fail "snapshot $n: %Own adds up to $sum"; }
		# No share above 100, and totals at least the own share.
		awk '{ o = $1; t = $2; sub(/%/, "", o); sub(/%/, "", t)
		       if (o + 0 > 100 || t + 0 > 100 || t + 0.05 < o + 0) exit 1 }' "$T/rows" ||
			{ show "$OUT"; fail "snapshot $n: a share is out of range"; }
	done
	# OwnTime is sorted, largest first.
	rows_of "$OUT" 2 | awk '{ t = $3; sub(/s$/, "", t); if (NR > 1 && t + 0 > prev + 0) exit 1; prev = t }' ||
		{ show "$OUT"; fail "rows are not sorted by OwnTime"; }

	run_cprof top --batch -n 1 --delay 0.5 --sort TotalTime --lines -p "$TARGET_PID"
	expect_rc 0 "top --sort TotalTime --lines"
	assert_grep "$OUT" '\*TotalTime +Function \(file:line\)$' "sorted by TotalTime, by line"
	assert_grep "$OUT" 'sorted by TotalTime$' "the view line names the sort"
	assert_grep "$OUT" ' spin_a \(t-threads\.c:[0-9]+\)$' "spin_a with its line"
	first=$(rows_of "$OUT" 1 | awk '{ print $2; exit }')
	assert_eq "$first" "100.0%" "%Total of the first row sorted by TotalTime"
	stop_target

	info "t-ratio ($opt): hot_three takes about three times hot_one's time"
	start_target t-ratio "$opt"
	run_cprof top --batch -n 2 --delay 1 --rows 0 -r 200 -p "$TARGET_PID"
	expect_rc 0 "top of t-ratio"
	rows_of "$OUT" 2 >"$T/rows"
	three=$(awk '$5 == "hot_three" { sub(/s$/, "", $4); print $4 }' "$T/rows")
	one=$(awk '$5 == "hot_one" { sub(/s$/, "", $4); print $4 }' "$T/rows")
	[ -n "$three" ] && [ -n "$one" ] || { show "$OUT"; fail "hot_three or hot_one missing"; }
	awk -v a="$three" -v b="$one" 'BEGIN { exit !(b > 0 && a / b >= 1.5 && a / b <= 6) }' ||
		{ show "$OUT"; fail "hot_three:hot_one TotalTime is $three:$one, not about 3:1"; }
	stop_target
done
