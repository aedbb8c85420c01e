#!/bin/bash
# cprof report on a wall-clock (--idle) recording of t-threads: the on-CPU
# vs off-CPU split, and off-CPU time classified by what the blocked threads
# wait in: the sleeper in sleep (nanosleep), the reader in I/O (read), main
# in a signal wait; the spinning workers are on a CPU.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

for opt in $OPTS; do
	start_target t-threads "$opt"
	rec=$T/idle.$opt.cprof
	run_cprof record -q --idle -p "$TARGET_PID" -d 2 -o "$rec"
	expect_rc 0 "record --idle ($opt)"
	stop_target
	assert_eq "$TARGET_STATUS" 0 "t-threads exit status"
	assert_grep "$TARGET_OUT" '^eintr sleeper=0 reader=0$' "no EINTR in the target"

	run_cprof report "$rec"
	expect_rc 0 "report ($opt)"
	out=$T/report.$opt.txt
	cp "$OUT" "$out"
	assert_grep "$out" '^Samples: .*wall-clock' "wall-clock in the header"
	assert_grep "$out" '^On-CPU vs off-CPU' "the split is shown"
	assert_grep "$out" '^  on-CPU +[0-9.]+% +[0-9]+ ' "on-CPU line"
	assert_grep "$out" '^  off-CPU +[0-9.]+% +[0-9]+ ' "off-CPU line"
	assert_grep "$out" '^    sleep +[0-9.]+% +[0-9]+ +(clock_)?nanosleep' "sleep class"
	assert_grep "$out" '^    read/recv/I-O +[0-9.]+% +[0-9]+ +read' "I/O class"
	assert_grep "$out" ' sleeper +[0-9]+ +[0-9.]+% +[0-9.]+% +waiting in sleep' "sleeper thread"
	assert_grep "$out" ' reader +[0-9]+ +[0-9.]+% +[0-9.]+% +waiting in read/recv/I-O' "reader thread"
	assert_grep "$out" ' worker_a +[0-9]+ +[0-9.]+% +[0-9.]+% +on a CPU' "worker thread"

	if command -v python3 >/dev/null; then
		run_cprof report "$rec" --json
		expect_rc 0 "report --json ($opt)"
		python3 - "$OUT" <<'PY' || { show "$OUT"; fail "JSON report ($opt)"; }
import json, sys
d = json.load(open(sys.argv[1]))
cpu = d["cpu"]
assert d["mode"] == "wall-clock" and cpu["off_cpu_sampled"], d["mode"]
assert cpu["on_cpu"] + cpu["off_cpu"] == d["samples"], cpu
w = cpu["waiting"]
assert sum(c["samples"] for c in w.values()) == cpu["off_cpu"], w
# Three spinners and three blocked threads: about half each.
assert 30 <= cpu["on_cpu_pct"] <= 70, cpu
assert w["sleep"]["samples"] > 0 and w["io"]["samples"] > 0, w
assert w["wait"]["samples"] > 0, w    # main in sigwait
threads = {t["name"]: t for t in d["threads"]}
assert threads["sleeper"]["bound"] == "sleep", threads["sleeper"]
assert threads["reader"]["bound"] == "io", threads["reader"]
for n in ("worker_a", "worker_b", "worker_c"):
    assert threads[n]["bound"] == "cpu", threads[n]
# The sleeper is classified whole: no sample of it left in "other".
assert threads["sleeper"]["waiting"]["other"]["samples"] == 0, threads["sleeper"]
names = {c["name"] for c in cpu["syscalls"]}
assert "read" in names and names & {"nanosleep", "clock_nanosleep"}, names
PY
	fi
done
