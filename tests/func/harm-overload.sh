#!/bin/bash
# Overload (unwind.md P29): eight spinning threads on a small machine,
# sampled at 2000 Hz, more than cprof can capture. cprof must degrade by
# skipping threads and ticks, and say so in its summary, never by holding
# the target up: the target's progress counter advances between every two
# looks during the recording, and its rate stays within a generous factor
# of the rate measured just before, without cprof. Plain and attached
# (--on-crash).
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

PROGRESS=$T/progress

progress() {
	awk '{ print $2 }' "$PROGRESS"
}

now_ns() {
	date +%s%N
}

state_of() {
	sed -n 's/.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null || true
}

# rate_over SECONDS: progress per second over about SECONDS.
rate_over() {
	local p0 t0 p1 t1
	p0=$(progress)
	t0=$(now_ns)
	sleep "$1"
	p1=$(progress)
	t1=$(now_ns)
	echo $(((p1 - p0) * 1000000000 / (t1 - t0 + 1)))
}

for mode in plain attached; do
	extra=()
	[ $mode = attached ] && extra=(--on-crash "$T/crash.txt")
	info "$mode"
	start_target t-harm-busy O2 8 "$PROGRESS"
	base=$(rate_over 1)
	[ "$base" -gt 0 ] || framework_failure "$mode: the target makes no progress on its own"

	"$CPROF" record -p "$TARGET_PID" -r 2000 -d 4 -o "$T/$mode.folded" "${extra[@]}" \
		>"$OUT" 2>"$ERR" </dev/null &
	rec=$!
	# Wait for the sampling thread, then watch the counter.
	for ((i = 0; i < 200; i++)); do
		[ "$(find "/proc/$rec/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)" -ge 2 ] && break
		sleep 0.05
	done
	prev=$(progress)
	p0=$prev
	t0=$(now_ns)
	looks=0
	for ((k = 0; k < 6; k++)); do
		sleep 0.4
		case $(state_of "$rec") in Z | "") break ;; esac
		cur=$(progress)
		[ "$cur" -gt "$prev" ] || {
			show "$ERR"
			fail "$mode: no progress in 0.4 s while cprof sampled ($prev, then $cur)"
		}
		prev=$cur
		looks=$((looks + 1))
	done
	during=$(((prev - p0) * 1000000000 / ($(now_ns) - t0 + 1)))
	RC=0
	wait "$rec" || RC=$?
	expect_rc 0 "$mode: cprof record at 2000 Hz"
	info "$mode: progress $base/s alone, $during/s while sampled ($looks looks)"
	[ "$looks" -ge 2 ] || info "$mode: the recording ended before the counter could be watched twice"
	# Stopped for every sample, the target would crawl; 10% is generous.
	[ $((during * 10)) -ge "$base" ] || {
		show "$ERR"
		fail "$mode: progress fell from $base/s to $during/s while sampled"
	}
	# The overload shows in the summary.
	late=$(sed -n 's/^cprof: lost [0-9]* samples ([^)]*), \([0-9]*\) late ticks, \([0-9]*\) threads skipped.*/\1 \2/p' "$ERR")
	[ -n "$late" ] || {
		show "$ERR"
		fail "$mode: no summary of late ticks and skipped threads"
	}
	read -r nlate nskipped <<<"$late"
	info "$mode: $nlate late ticks, $nskipped threads skipped"
	[ $((nlate + nskipped)) -gt 0 ] || {
		show "$ERR"
		fail "$mode: 8 threads at 2000 Hz, and no tick was late, no thread skipped"
	}
	samples=$(awk '{ n += $NF } END { print n + 0 }' "$T/$mode.folded")
	[ "$samples" -gt 0 ] || fail "$mode: no samples"
	stop_target
done
[ ! -e "$T/crash.txt" ] || fail "a crash report without a crash"
