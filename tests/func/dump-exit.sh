#!/bin/bash
# A target that exits while cprof dump captures it (unwind.md P12): cprof
# must neither crash nor hang. It prints what it captured (exit 0, threads
# that vanished shown as "<thread exited>") or, if nothing could be
# captured, says so on one line (exit 3).
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

outcomes=
n=0
for ms in 0 2 5 10 20 40; do
	for status in 0 137; do
		n=$((n + 1))
		# 16 spinning threads make the dump take longer than the exit.
		start_target t-exit O2 "$ms" "$status" 16
		RC=0
		timeout 30 "$CPROF" dump --pid "$TARGET_PID" >"$OUT" 2>"$ERR" </dev/null || RC=$?
		case $RC in
		0)
			assert_grep "$OUT" "^Process $TARGET_PID: " "dump $n header"
			;;
		3)
			expect_error_line "no thread of pid $TARGET_PID could be captured|no process with pid|has exited" \
				"dump $n of an exiting process"
			;;
		124) fail "dump $n hung (killed after 30 s)" ;;
		*)
			show "$OUT" "$ERR"
			fail "dump $n (target busy ${ms} ms, exit $status) ended with $RC"
			;;
		esac
		if [ "$RC" = 0 ] && grep -q '<thread exited>' "$OUT"; then
			outcomes="$outcomes mid"
		else
			outcomes="$outcomes $RC"
		fi
		stop_target
		# The target ended by itself, as it meant to.
		case $status in
		0) assert_eq "$TARGET_STATUS" 0 "t-exit status after dump $n" ;;
		137) assert_eq "$TARGET_STATUS" 137 "t-exit status after dump $n" ;;
		esac
	done
done
info "outcomes (exit status, or 'mid' for threads that vanished mid-dump):$outcomes"
