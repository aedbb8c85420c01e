#!/bin/bash
# A thread that wakes up after a long sleep is sampled again at once.
# On-CPU recording looks less often (up to every 64 ticks) at threads it
# keeps finding idle, which is what keeps 1000 sleeping threads cheap; the
# process's CPU clock tells it when a thread it did not look at has run,
# and then it looks at every thread. Among 300 sleeping threads, t-wake's
# late_worker:
#
#   long    sleeps 1.5 s, then spins for 1 s of CPU time
#   bursts  7 times over, sleeps 0.7 s and spins for 40 ms of CPU time:
#           short work after long idleness, as a pool's worker does. With
#           idle threads looked at every 8th tick and no clock, each burst
#           lost half or more of its samples.
#
# late_spin must get about one sample per 10 ms of its CPU time.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

# woken LABEL DURATION SLEEP_MS SPIN_MS BURSTS PERCENT: late_spin gets at
# least PERCENT% of 100 Hz over its CPU time.
woken() {
	local label=$1 duration=$2 percent=$6 cpu_ms samples wanted i
	info "$label"
	start_target t-wake O2 300 "$3" "$4" "$5"
	run_cprof record -p "$TARGET_PID" -d "$duration" -o "$T/$label.folded"
	expect_rc 0 "record t-wake ($label)"
	for ((i = 0; i < 100; i++)); do
		grep -q '^late_cpu_ms' "$TARGET_OUT" && break
		sleep 0.1
	done
	cpu_ms=$(sed -n 's/^late_cpu_ms \([0-9]*\)$/\1/p' "$TARGET_OUT")
	[ -n "$cpu_ms" ] || fail "$label: late_worker did not finish its work"
	stop_target
	samples=$(awk '/late_spin/ { n += $NF } END { print n + 0 }' "$T/$label.folded")
	wanted=$((cpu_ms / 10))
	info "$label: late_spin: $samples samples for $cpu_ms ms of CPU time (100 Hz: $wanted)"
	[ $((samples * 100)) -ge $((wanted * percent)) ] ||
		fail "$label: late_spin got $samples samples for $cpu_ms ms of CPU time, wanted about $wanted"
	# The sleepers were never stopped.
	assert_no_grep "$T/$label.folded" "sleeper_" "$label: a sample of a sleeping thread"
}

# Half leaves room for ticks a loaded machine makes late; an eighth fails.
woken long 4 1500 1000 1 50
# A burst spans about 4 ticks: missing its first leaves 75%; looking every
# 8th tick left 30-55%.
woken bursts 6 700 40 7 65
