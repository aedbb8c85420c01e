#!/bin/bash
# cprof record -o run.cprof, then cprof report -o: every format rendered from
# the recording is byte for byte what record wrote next to it, for a plain
# recording and one with --idle --threads --lines --title; a .cprof written
# by report renders the same again, '-' reads standard input, and report's
# own render options change what they should.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

FORMATS="svg json folded pb.gz"

# same A B WHAT: the files are identical
same() {
	cmp -s "$1" "$2" || {
		cmp "$1" "$2" || true
		fail "$3: $(basename "$2") differs from $(basename "$1")"
	}
}

round_trip() {
	local tag=$1 f outs=() again=()
	shift
	for f in $FORMATS; do
		outs+=(-o "$T/$tag.rec.$f")
		again+=(-o "$T/$tag.rep.$f")
	done
	run_cprof record -q -p "$TARGET_PID" -d 1.5 -o "$T/$tag.cprof" "${outs[@]}" "$@"
	expect_rc 0 "record ($tag)"
	[ -s "$T/$tag.cprof" ] || fail "record ($tag) wrote no .cprof"
	assert_grep "$T/$tag.rec.folded" 'spin_a' "folded output of the recording ($tag)"

	run_cprof report "$T/$tag.cprof" "${again[@]}"
	expect_rc 0 "report -o ($tag)"
	[ -s "$OUT" ] && { show "$OUT"; fail "report -o ($tag) printed on stdout"; }
	for f in $FORMATS; do
		same "$T/$tag.rec.$f" "$T/$tag.rep.$f" "report ($tag) .$f"
	done

	# A recording rewritten by report is the same recording.
	run_cprof report "$T/$tag.cprof" -o "$T/$tag.copy.cprof"
	expect_rc 0 "report -o .cprof ($tag)"
	run_cprof report "$T/$tag.copy.cprof" -o "$T/$tag.copy.svg" -o "$T/$tag.copy.folded"
	expect_rc 0 "report of the copy ($tag)"
	same "$T/$tag.rec.svg" "$T/$tag.copy.svg" "copy ($tag) .svg"
	same "$T/$tag.rec.folded" "$T/$tag.copy.folded" "copy ($tag) .folded"

	# Standard input, and --format for a name without a known extension.
	RC=0
	"$CPROF" report - --format folded -o "$T/$tag.stdin.out" <"$T/$tag.cprof" 2>"$ERR" || RC=$?
	expect_rc 0 "report - ($tag)"
	same "$T/$tag.rec.folded" "$T/$tag.stdin.out" "report from stdin ($tag)"
}

start_target t-threads O2

info "plain recording"
round_trip plain

info "--idle --threads --lines --title"
round_trip opts --idle --threads --lines --title "round trip" --minwidth 0.5
assert_grep "$T/opts.rep.folded" '^\[thread [0-9]+ sleeper\];' "--threads kept"
assert_grep "$T/opts.rep.folded" 'spin_a \(t-threads\.c:[0-9]+\)' "--lines kept"
assert_grep "$T/opts.rep.svg" 'round trip' "--title kept"

# report's own render options change the outputs of a plain recording.
run_cprof report "$T/plain.cprof" --threads --title "retitled" -o "$T/over.folded" -o "$T/over.json"
expect_rc 0 "report --threads --title"
assert_grep "$T/over.folded" '^\[thread [0-9]+ worker_a\];' "report --threads"
assert_no_grep "$T/plain.rec.folded" '^\[thread' "no thread roots without --threads"
assert_grep "$T/over.json" '"name":"retitled"' "report --title"

stop_target
assert_eq "$TARGET_STATUS" 0 "t-threads exit status"
