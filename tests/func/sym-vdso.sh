#!/bin/bash
# Stacks out of the vDSO (unwind.md P3): t-sym-vdso spends most of its time
# in __vdso_clock_gettime. At least 90% of all samples, and of the samples
# in the vDSO, must unwind through clock_gettime and vdso_spin to main.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

skip_unless_ptrace

for opt in $OPTS; do
	start_target t-sym-vdso "$opt"
	sym_dump --pid "$TARGET_PID"
	expect_rc 0 "dump of t-sym-vdso ($opt)"
	cp "$OUT" "$T/dump.$opt"
	assert_stack "$OUT" t-sym-vdso ... vdso_spin main ... _start

	folded=$T/vdso.$opt.folded
	rec_start "$folded" -p "$TARGET_PID" -r 200
	rec_wait '__vdso_clock_gettime [0-9]+$' 150
	rec_stop
	stop_target

	total=$(rec_count '.')
	vdso=$(rec_count '__vdso_clock_gettime [0-9]+$')
	vdso_main=$(rec_count ';main;vdso_spin;([^;]*;)?[^;]*clock_gettime;__vdso_clock_gettime [0-9]+$')
	all_main=$(rec_count ';main;')
	info "$opt: $total samples, $vdso in the vDSO ($vdso_main of them reach main), $all_main reach main"
	awk -v a="$vdso" -v t="$total" 'BEGIN { exit !(a * 2 >= t) }' || {
		show "$folded"
		fail "only $vdso of $total samples in the vDSO ($opt): not the case under test"
	}
	awk -v m="$vdso_main" -v a="$vdso" -v mm="$all_main" -v t="$total" \
		'BEGIN { exit !(m * 10 >= a * 9 && mm * 10 >= t * 9) }' || {
		show "$folded"
		fail "fewer than 90% of the samples reach main ($opt)"
	}
done
