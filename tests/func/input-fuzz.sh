#!/bin/bash
# The fuzzing corpus as a regression test. tests/fuzz/corpus/NAME holds the
# inputs `make fuzz` found interesting for the libFuzzer harness
# tests/fuzz/fuzz-NAME.c (.cprof recordings, folded stacks, ELF files),
# among them every input that once crashed a reader. `make build-tests`
# builds each harness with the normal compiler and flags and a main() that
# replays files (B/fuzz/replay-NAME); each must get through its whole
# corpus: no crash, and, in a SAN=address,undefined build, no report.
. "$(dirname "$0")/lib.sh"

CORPUS=$SRCDIR/tests/fuzz/corpus
n=0
for dir in "$CORPUS"/*/; do
	name=$(basename "$dir")
	bin=$B/fuzz/replay-$name
	[ -x "$bin" ] || framework_failure "$bin is not built (make build-tests)"
	count=$(find "$dir" -type f | wc -l)
	[ "$count" -gt 0 ] || fail "$name: empty corpus"
	RC=0
	"$bin" "$dir" >"$OUT" 2>"$ERR" </dev/null || RC=$?
	[ "$RC" -eq 0 ] || {
		show "$OUT" "$ERR"
		fail "replay-$name on its corpus exited with $RC"
	}
	assert_grep "$OUT" "^$count inputs\$" "replay-$name: inputs replayed"
	# Sanitizer reports go to stderr; with halt_on_error off they would not fail.
	assert_no_grep "$ERR" 'runtime error|ERROR: AddressSanitizer|LeakSanitizer' \
		"replay-$name: a sanitizer report"
	info "$name: $count inputs"
	n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "only $n corpora in $CORPUS"
