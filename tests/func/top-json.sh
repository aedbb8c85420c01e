#!/bin/bash
# cprof top --json: exactly N objects for -n N, each with the header fields
# and sorted rows; a launched command's exit ends the stream with an
# "exited" object, and its own output stays off stdout.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
skip_unless_ptrace

check() {
	python3 - "$OUT" "$@" <<'EOF'
import json, sys

path, want_n, first = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(path).read().splitlines()
if len(lines) != want_n:
    sys.exit(f"{len(lines)} lines of output, expected {want_n}")
keys = ["elapsed", "pid", "cmdline", "rate_hz", "mode", "samples", "window_samples",
        "window", "threads_sampled", "rss_bytes", "exited", "cprof", "view", "rows"]
for i, line in enumerate(lines, 1):
    o = json.loads(line)
    for k in keys:
        if k not in o:
            sys.exit(f"object {i}: no '{k}'")
    for k in ["pause_p50_ns", "pause_p99_ns", "pause_max_ns", "lost"]:
        if k not in o["cprof"]:
            sys.exit(f"object {i}: no cprof.{k}")
    if o["view"] != {"by": "function", "sort": "OwnTime", "thread": None}:
        sys.exit(f"object {i}: view is {o['view']}")
    if o["exited"]:
        sys.exit(f"object {i}: the target exited")
    rows = o["rows"]
    if not rows or o["window_samples"] <= 0:
        sys.exit(f"object {i}: no samples")
    if rows[0]["function"] != first:
        sys.exit(f"object {i}: first row is {rows[0]['function']}, not {first}")
    times = [r["own_time"] for r in rows]
    if times != sorted(times, reverse=True):
        sys.exit(f"object {i}: rows not sorted by own_time: {times}")
    own = sum(r["own_pct"] for r in rows)
    if not 99 <= own <= 100.5:
        sys.exit(f"object {i}: own_pct adds up to {own}")
    for r in rows:
        if not 0 <= r["own_pct"] <= r["total_pct"] + 0.01 <= 100.02:
            sys.exit(f"object {i}: bad shares in {r}")
        if r["own_samples"] > r["total_samples"]:
            sys.exit(f"object {i}: own > total in {r}")
    if i > 1 and o["elapsed"] <= prev:
        sys.exit(f"object {i}: elapsed went back")
    prev = o["elapsed"]
EOF
}

for opt in $OPTS; do
	info "t-threads ($opt): -n 3 gives three objects"
	start_target t-threads "$opt" 1
	run_cprof top --json -n 3 --delay 0.3 --rows 0 -p "$TARGET_PID"
	expect_rc 0 "top --json -n 3"
	check 3 spin_a || { show "$OUT" "$ERR"; fail "JSON output ($opt)"; }
	stop_target
done

info "launch mode: the end of the command ends the stream"
run_cprof top --json --delay 0.3 --rows 3 -- "$B/targets/O2/t-exit" 2500 3
expect_rc 0 "top --json -- t-exit"
python3 - "$OUT" <<'EOF' || { show "$OUT" "$ERR"; fail "JSON output of a launched command"; }
import json, sys

objs = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
# Usually several; on a loaded machine the first symbolization can take
# longer than the command runs, leaving only the last.
if not objs:
    sys.exit("no objects")
if any(o["exited"] for o in objs[:-1]) or not objs[-1]["exited"]:
    sys.exit("only the last object should say the target exited")
if "exited with status 3" not in objs[-1]["exit"]:
    sys.exit(f"exit is {objs[-1]['exit']!r}")
if not any(r["function"] == "busy_work" for o in objs for r in o["rows"]):
    sys.exit("busy_work never showed")
EOF
# The command printed "ready PID" on its stdout: that went to stderr.
assert_grep "$ERR" '^ready [0-9]+$' "the command's stdout on stderr"
assert_grep "$ERR" '^cprof: command exited with status 3 \(pid [0-9]+\)$' "exit line"
