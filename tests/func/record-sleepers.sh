#!/bin/bash
# On-CPU recording never stops a sleeping thread. t-threads' sleeper
# (nanosleep) and reader (read on a pipe) block for good before the target
# says it is ready; it counts the EINTRs they see and prints them on
# SIGTERM. After a recording at 500 Hz:
#
#   --pid      both counts are zero, and neither thread is in the samples:
#              no [thread TID ...] root of theirs in the folded output, no
#              profile of theirs in the speedscope JSON, while every worker
#              is there
#   launched   cprof ends the command at the end of --duration: the counts
#              it prints then are zero (the two threads run briefly at
#              start-up, so they may have samples from then)
#
# harm-eintr.sh covers the system calls that do fail with EINTR under a
# ptrace stop; these two are restarted by the kernel, so a stop would not
# show here: the samples are the evidence that they were not stopped.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
skip_unless_ptrace

tid_of() {
	local d
	for d in /proc/"$TARGET_PID"/task/*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && basename "$d" && return 0
	done
	fail "t-threads has no thread '$1'"
}

# Attached.
start_target t-threads O2
ts=$(tid_of sleeper)
tr=$(tid_of reader)
workers=()
for w in worker_a worker_b worker_c; do
	workers+=("$(tid_of $w)")
done
run_cprof record -p "$TARGET_PID" -r 500 -d 1 -t -o "$T/p.folded" -o "$T/p.json"
expect_rc 0 "record t-threads"
stop_target
assert_eq "$TARGET_STATUS" 0 "t-threads' exit status"
assert_grep "$TARGET_OUT" '^eintr sleeper=0 reader=0$' "EINTR counts of the sleeping threads"
for tid in $ts $tr; do
	assert_no_grep "$T/p.folded" "^\\[thread ${tid}[] ]" "a sample of sleeping thread $tid"
done
for tid in "${workers[@]}"; do
	assert_grep "$T/p.folded" "^\\[thread $tid worker_[abc]\\];" "samples of worker $tid"
done
python3 - "$T/p.json" "$ts" "$tr" "${workers[@]}" <<'PY' || fail "speedscope profiles of the sleeping threads"
import json, re, sys
d = json.load(open(sys.argv[1]))
tids = set()
for p in d["profiles"]:
    m = re.match(r'Thread (\d+) "', p["name"])
    tids.add(m.group(1))
for t in sys.argv[2:4]:
    if t in tids:
        sys.exit("a profile of sleeping thread %s" % t)
for t in sys.argv[4:]:
    if t not in tids:
        sys.exit("no profile of worker %s" % t)
PY
info "attached: $(awk '{ n += $NF } END { print n }' "$T/p.folded") samples, none of $ts or $tr"

# Launched: the command's output is cprof's.
run_cprof record -r 500 -d 1 -o "$T/l.folded" -- "$B/targets/O2/t-threads"
expect_rc 0 "record a launched t-threads"
assert_grep "$OUT" '^eintr sleeper=0 reader=0$' "launched: EINTR counts of the sleeping threads"
