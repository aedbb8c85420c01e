#!/bin/bash
# record --rotate and SIGUSR1:
#
#   rotate    --rotate 2s over 5 s: per output at least 2 files named
#             NAME-YYYYmmddTHHMMSSZ.EXT, the same stamps for every output,
#             their folded counts adding up to the samples recorded; the -o
#             paths themselves are not written; every SVG is well-formed
#   usr1      SIGUSR1 writes the outputs so far and the recording goes on: a
#             second signal writes more samples, Ctrl-C the final profile
#   usr1-rot  with --rotate, SIGUSR1 ends the current interval at once
#   usage     --rotate below a second, or not a time: exit 2
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

STAMP='[0-9]{8}T[0-9]{6}Z'

folded_total() { cat "$@" | awk '{ n += $NF } END { print n + 0 }'; }
recorded() { sed -n 's/^cprof: recorded \([0-9]*\) samples.*/\1/p' "$ERR"; }

# The rotated files of NAME.EXT in $T, in order.
rotated() {
	(cd "$T" && ls | grep -E "^$1-$STAMP(-[0-9]+)?\.$2\$" || true)
}

start_target t-ratio O2

info "rotate"
run_cprof record -p "$TARGET_PID" -d 5 -i --rotate 2s -o "$T/r.folded" -o "$T/r.svg" \
	-o "$T/r.json"
expect_rc 0 "rotate"
for f in r.folded r.svg r.json; do
	[ ! -e "$T/$f" ] || fail "rotate: $f written although rotating"
done
mapfile -t files < <(rotated r folded)
[ ${#files[@]} -ge 2 ] || fail "rotate: ${#files[@]} rotated folded files: $(ls "$T")"
assert_eq "$(rotated r svg | sed 's/\.svg$//')" "$(rotated r folded | sed 's/\.folded$//')" \
	"rotate: the same intervals in svg"
assert_eq "$(rotated r json | sed 's/\.json$//')" "$(rotated r folded | sed 's/\.folded$//')" \
	"rotate: the same intervals in speedscope"
total=$(cd "$T" && folded_total "${files[@]}")
assert_eq "$total" "$(recorded)" "rotate: samples in the rotated files"
# Intervals end on even seconds: only the first and the last are partial
# (the recording may take longer than 5 s on a loaded machine).
secs=$(sed -n 's/^cprof: recorded .* in \([0-9]*\).* s at .*/\1/p' "$ERR")
[ ${#files[@]} -le $((${secs:-5} / 2 + 2)) ] || fail "rotate: ${#files[@]} files for ${secs:-?} s"
assert_grep "$ERR" "^cprof: wrote .*/r-$STAMP\.folded … .*/r-$STAMP\.folded \(${#files[@]} files\)" \
	"rotate: summary"
if command -v xmllint >/dev/null; then
	for f in "$T"/r-*.svg; do
		xmllint --noout "$f" || fail "rotate: $f is not well-formed"
	done
fi

info "usr1"
RC=0
"$CPROF" record -p "$TARGET_PID" -i -o "$T/u.folded" -o "$T/u.svg" >"$OUT" 2>"$ERR" </dev/null &
rec=$!
sleep 1.5
kill -USR1 $rec
wait_for_secs 20 "usr1: no message after SIGUSR1" \
	grep -Eq "^cprof: wrote .*/u\.folded, .*/u\.svg \([0-9.]+ s so far; still recording\)$" "$ERR"
[ -s "$T/u.svg" ] || fail "usr1: no svg"
first=$(folded_total "$T/u.folded")
[ "$first" -gt 50 ] || fail "usr1: $first samples after 1.5 s"
kill -0 $rec || fail "usr1: cprof stopped on SIGUSR1"
sleep 1
rm "$T/u.folded"
kill -USR1 $rec
wait_for_secs 20 "usr1: no output after a second SIGUSR1" test -e "$T/u.folded"
second=$(folded_total "$T/u.folded")
[ "$second" -gt "$first" ] || fail "usr1: $second samples after $first"
sleep 0.5
kill -INT $rec
wait $rec || RC=$?
expect_rc 0 "usr1: Ctrl-C"
final=$(folded_total "$T/u.folded")
assert_eq "$final" "$(recorded)" "usr1: samples in the final output"
[ "$final" -gt "$second" ] || fail "usr1: final $final samples, $second before"

info "usr1-rot"
RC=0
"$CPROF" record -p "$TARGET_PID" -i --rotate 1h -o "$T/h.folded" >"$OUT" 2>"$ERR" </dev/null &
rec=$!
sleep 1.5
kill -USR1 $rec
has_rotated() { [ -n "$(rotated h folded)" ]; }
wait_for_secs 20 "usr1-rot: no file after SIGUSR1" has_rotated
kill -0 $rec || fail "usr1-rot: cprof stopped on SIGUSR1"
sleep 1
kill -INT $rec
wait $rec || RC=$?
expect_rc 0 "usr1-rot: Ctrl-C"
mapfile -t files < <(rotated h folded)
assert_eq "${#files[@]}" 2 "usr1-rot: files"
assert_eq "$(cd "$T" && folded_total "${files[@]}")" "$(recorded)" "usr1-rot: samples in the files"

info "usage"
for bad in 500ms 0 x -1s; do
	run_cprof record -p "$TARGET_PID" --rotate "$bad" -o "$T/x.svg"
	expect_rc 2 "--rotate $bad"
	expect_error_line "^cprof: --rotate: " "--rotate $bad"
done

stop_target
