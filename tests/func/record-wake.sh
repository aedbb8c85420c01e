#!/bin/bash
# A thread that wakes up after a long sleep is sampled again at once.
# On-CPU recording looks less often (up to every 8 ticks) at threads it
# keeps finding idle, which is what keeps 1000 sleeping threads cheap; one
# found to have run is looked at every tick again. t-wake's late_worker
# sleeps 1.5 s among 300 sleeping threads, then spins for 1 s of CPU time:
# late_spin must get about one sample per 10 ms of that. Were the worker
# still looked at only every 8th tick, it would get an eighth of them.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

start_target t-wake O2 300 1500 1000
run_cprof record -p "$TARGET_PID" -d 4 -o "$T/w.folded"
expect_rc 0 "record t-wake"
for ((i = 0; i < 100; i++)); do
	grep -q '^late_cpu_ms' "$TARGET_OUT" && break
	sleep 0.1
done
cpu_ms=$(sed -n 's/^late_cpu_ms \([0-9]*\)$/\1/p' "$TARGET_OUT")
[ -n "$cpu_ms" ] || fail "late_worker did not finish its work"
stop_target
samples=$(awk '/late_spin/ { n += $NF } END { print n + 0 }' "$T/w.folded")
wanted=$((cpu_ms / 10))
info "late_spin: $samples samples for $cpu_ms ms of CPU time (100 Hz: $wanted)"
# Half leaves room for ticks a loaded machine makes late; an eighth fails.
[ $((samples * 2)) -ge "$wanted" ] ||
	fail "late_spin got $samples samples for $cpu_ms ms of CPU time, wanted about $wanted"
# The sleepers were never stopped.
assert_no_grep "$T/w.folded" "sleeper_" "a sample of a sleeping thread"
