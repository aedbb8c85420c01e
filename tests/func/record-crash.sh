#!/bin/bash
# record --on-crash: a target dying of SIGSEGV, SIGABRT or SIGFPE in a known
# function yields a report naming that function and line, with the fault
# address and registers, in text and JSON; the target still dies of the
# signal, with the same wait status its parent would see without cprof. A
# SIGSEGV the program handles itself is not a crash.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

# crash MODE OPT SIG FUNC [DELAY_MS]: launch t-crash under cprof, check the report.
crash() {
	local mode=$1 opt=$2 sig=$3 func=$4 delay=${5:-200} line
	rm -f "$T/crash.txt" "$T/crash.txt.json"
	run_cprof record --on-crash "$T/crash.txt" -- "$B/targets/$opt/t-crash" "$mode" "$delay"
	expect_rc 0 "$mode/$opt: record of a crashing command"
	assert_grep "$ERR" "command was killed by signal $sig" "$mode/$opt: the command's fate"
	assert_grep "$ERR" "crash report written to $T/crash.txt and $T/crash.txt.json" \
		"$mode/$opt: report paths"
	[ -s "$T/crash.txt" ] || fail "$mode/$opt: no text report"
	assert_grep "$T/crash.txt" "^Process [0-9]+ .* received SIG" "$mode/$opt: report header"
	# The faulting thread's innermost frames, as they would read in gdb.
	sed -n '/crashed here/,/^$/p' "$T/crash.txt" >"$T/faulting"
	# abort() is libc's (__GI_abort with libc6-dbg); the others are ours.
	assert_grep "$T/faulting" " [_A-Za-z]*$func at " "$mode/$opt: faulting function"
	assert_grep "$T/faulting" " crash_in_known_function at .*t-crash\.c:[0-9]+" \
		"$mode/$opt: its caller, with file and line"
	assert_grep "$T/faulting" " main at " "$mode/$opt: main"
	assert_grep "$T/crash.txt" "^  rip +0x[0-9a-f]{16}" "$mode/$opt: registers"
	# The other thread, asleep when the signal came.
	assert_grep "$T/crash.txt" '^Thread [0-9]+ "crash_sleeper"' "$mode/$opt: sleeping thread"
	assert_grep "$T/crash.txt" " sleeper_wait at " "$mode/$opt: sleeping thread's stack"
	python3 - "$T/crash.txt.json" "$mode" "$func" <<'PY' || fail "$mode/$opt: JSON report"
import json, sys
d = json.load(open(sys.argv[1]))
mode, func = sys.argv[2], sys.argv[3]
want = {"segv": "SIGSEGV", "abort": "SIGABRT", "fpe": "SIGFPE"}[mode]
assert d["signal"] == want, d["signal"]
faulting = [t for t in d["threads"] if t["faulting"]]
assert len(faulting) == 1, faulting
t = faulting[0]
assert t["tid"] == d["tid"]
names = [f["function"] for f in t["frames"]]
assert any(n.endswith(func) for n in names) and "main" in names, names
assert int(t["registers"]["rip"], 16) != 0
if mode == "segv":
    assert d["address"] == "0x0", d["address"]
    line = [f for f in t["frames"] if f["function"] == func][0]
    assert not line["inlined"]
    assert line["file"].endswith("t-crash.c") and line["line"] > 0, line
assert any(th["name"] == "crash_sleeper" for th in d["threads"])
PY
}

# A launched command is held until cprof is attached: even a crash at once,
# on a machine too busy to attach within any delay, is caught.
crash segv O2 11 write_through 0

for opt in $OPTS; do
	crash segv "$opt" 11 write_through
	crash abort "$opt" 6 abort
	crash fpe "$opt" 8 divide
done

# A SIGSEGV with a handler installed is the program's business.
run_cprof record --on-crash "$T/handled.txt" -- "$B/targets/O2/t-crash" handled 100
expect_rc 0 "record of a program that handles SIGSEGV"
assert_grep "$ERR" "command exited with status 0" "handled SIGSEGV: exit status"
[ ! -e "$T/handled.txt" ] || fail "a handled SIGSEGV produced a crash report"

# Attached to a running process (not our child): its parent sees the SIGSEGV.
start_target t-crash O2 segv 1500
run_cprof record -q --on-crash "$T/pid.txt" --pid "$TARGET_PID"
expect_rc 0 "record --pid of a crashing process"
stop_target
assert_eq "$TARGET_STATUS" 139 "exit status of the crashed target, as its parent sees it"
assert_grep "$T/pid.txt" " write_through at " "--pid crash report"

# Ending the recording first leaves the target running and untraced.
start_target t-crash O2 handled 3000
run_cprof record -q -d 0.5 --on-crash "$T/none.txt" -o "$T/p.folded" --pid "$TARGET_PID"
expect_rc 0 "record --on-crash for a duration"
assert_running "$TARGET_PID"
[ ! -e "$T/none.txt" ] || fail "a crash report without a crash"
stop_target
