#!/bin/bash
# cprof report on t-ratio, whose CPU time splits 3:1 between hot_three and
# hot_one: the text and JSON reports show that split (within 8 points), the
# thread table and header are right, --by line points into t-ratio.c and
# --top limits the rows.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

# pct FILE FUNC COLUMN: a percentage column (1 self, 2 total) of FUNC's row
pct() {
	awk -v f="$2" -v c="$3" '$4 == f { v = $c; sub(/%/, "", v); print v; exit }' "$1"
}

# near VALUE WANT WHAT: VALUE is within 8 points of WANT
near() {
	awk -v v="$1" -v w="$2" 'BEGIN { exit !(v != "" && v >= w - 8 && v <= w + 8) }' ||
		fail "$3: $1%, expected $2% +- 8"
}

for opt in $OPTS; do
	start_target t-ratio "$opt"
	rec=$T/ratio.$opt.cprof
	run_cprof record -q -p "$TARGET_PID" -r 200 -d 3 -o "$rec"
	expect_rc 0 "record t-ratio ($opt)"
	stop_target

	run_cprof report "$rec"
	expect_rc 0 "report ($opt)"
	cp "$OUT" "$T/report.$opt.txt"
	out=$T/report.$opt.txt
	info "t-ratio $opt: hot_three $(pct "$out" hot_three 1)% self $(pct "$out" hot_three 2)% total," \
		"hot_one $(pct "$out" hot_one 1)% self $(pct "$out" hot_one 2)% total"
	assert_grep "$out" "^Command: +.*t-ratio" "command line in the header"
	assert_grep "$out" "^Pid: +$TARGET_PID( on .*)?$" "pid in the header"
	assert_grep "$out" '^Started: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "start time"
	assert_grep "$out" '^Duration: +[23]\.[0-9]+ s' "duration"
	assert_grep "$out" '^Samples: +[0-9]+ at 200 Hz, on-CPU' "samples and rate"
	assert_grep "$out" '^CPU: +[0-9.]+% of one CPU \(user [0-9.]+%, system [0-9.]+%\)$' "CPU use"
	assert_grep "$out" '^Memory: +RSS [0-9.]+ [KMG]?i?B at start' "memory use"
	assert_grep "$out" '^ +[0-9]+ +t-ratio +[0-9]+ +100\.0%$' "the one thread, with all samples"
	assert_grep "$out" '^On-CPU only' "no off-CPU split without --idle"

	# The split is by CPU time spent in each function and what it calls.
	near "$(pct "$out" hot_three 2)" 75 "hot_three total ($opt)"
	near "$(pct "$out" hot_one 2)" 25 "hot_one total ($opt)"
	# The two are leaves: their self time splits the same way.
	near "$(pct "$out" hot_three 1)" 75 "hot_three self ($opt)"
	near "$(pct "$out" hot_one 1)" 25 "hot_one self ($opt)"


	run_cprof report "$rec" --top 1
	expect_rc 0 "report --top 1"
	assert_grep "$OUT" 'top 1 of [0-9]+' "--top 1 heading"
	assert_eq "$(sed -n '/^ *Self/,/^$/p' "$OUT" | grep -c '%')" 1 "rows with --top 1"

	run_cprof report "$rec" --by line --top 0
	expect_rc 0 "report --by line"
	assert_grep "$OUT" 'Hotspots by line' "--by line heading"
	assert_grep "$OUT" ' hot_three +t-ratio\.c:[0-9]+$' "hot_three lines"

	if command -v python3 >/dev/null; then
		run_cprof report "$rec" --json
		expect_rc 0 "report --json"
		python3 - "$OUT" "$TARGET_PID" <<'PY' || { show "$OUT"; fail "JSON report ($opt)"; }
import json, sys
d = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
assert d["pid"] == pid, d["pid"]
assert d["rate_hz"] == 200 and d["mode"] == "on-cpu", (d["rate_hz"], d["mode"])
assert d["samples"] > 100, d["samples"]
assert d["by"] == "function" and len(d["hotspots"]) <= 20
spots = {h["function"]: h for h in d["hotspots"]}
for name, want in (("hot_three", 75), ("hot_one", 25)):
    h = spots[name]
    assert abs(h["total_pct"] - want) <= 8, (name, h)
    assert h["self"] <= h["total"] and h["file"].endswith("t-ratio.c"), h
    assert abs(h["self_pct"] - want) <= 8, (name, h)
selfs = [h["self"] for h in d["hotspots"]]
assert selfs == sorted(selfs, reverse=True), selfs
assert [t["tid"] for t in d["threads"]] == [pid], d["threads"]
assert d["threads"][0]["samples"] == d["samples"]
assert d["cpu"]["on_cpu"] == d["samples"] and d["cpu"]["bound"] is None, d["cpu"]
assert d["usage"]["cpu_pct"] > 0 and d["usage"]["rss_peak_bytes"] > 0, d["usage"]
assert d["start"].endswith("Z") and d["duration_s"] > 2, d
PY
	fi
done
