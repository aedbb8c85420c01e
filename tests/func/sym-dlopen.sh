#!/bin/bash
# Code unloaded and other code loaded in its place (unwind.md P4):
# t-sym-dlswap runs a_hot/a_leaf from libsym-a.so, then, on SIGUSR1,
# dlcloses it and dlopens libsym-b.so, usually at the same address, and
# runs b_hot/b_leaf at the same offsets. One recording over both phases
# names both, and never b's code after a (stale maps, symbols or unwind
# tables). The sampler reads the maps again soon after the process takes
# page faults, which new code cannot run without.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

skip_unless_ptrace

lib_a=$B/targets/O2/libsym-a.so
lib_b=$B/targets/O2/libsym-b.so
folded=$T/swap.folded

start_target t-sym-dlswap O2 "$lib_a" "$lib_b"
addr_a=$(sed -n 's/^lib a //p' "$TARGET_OUT")

sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump in phase a"
cp "$OUT" "$T/dump.a"
assert_stack "$OUT" t-sym-dlswap a_leaf a_hot phase_a main ...

# A high rate, for many samples just after the swap, where stale maps show.
rec_start "$folded" -p "$TARGET_PID" -r "${RATE:-1000}"
rec_wait ';phase_a;' 20
kill -USR1 "$TARGET_PID"
for ((i = 0; i < REC_WAIT * 10; i++)); do
	grep -q '^swapped$' "$TARGET_OUT" && break
	sleep 0.1
done
grep -q '^swapped$' "$TARGET_OUT" || { show "$TARGET_OUT" "$TARGET_ERR"; fail "the target did not swap"; }
addr_b=$(sed -n 's/^lib b //p' "$TARGET_OUT")
if [ "$addr_a" = "$addr_b" ]; then
	info "libsym-b.so loaded at libsym-a.so's address $addr_a"
else
	info "libsym-b.so loaded at $addr_b, not at libsym-a.so's $addr_a"
fi
rec_wait ';phase_b;' 50
rec_stop

sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump in phase b"
cp "$OUT" "$T/dump.b"
assert_stack "$OUT" t-sym-dlswap b_leaf b_hot phase_b main ...
stop_target

info "phase a: $(rec_count ';phase_a;') samples, phase b: $(rec_count ';phase_b;')"
# Below phase_b, only libsym-b.so's functions: code of the new library is
# never named after the old one (stale maps, symbols or unwind tables), and
# no frame is left unnamed. (The leaf may also be a call in flight, such as
# a PLT stub.)
awk '
	{
		n = split($0, f, ";")
		sub(/ [0-9]+$/, "", f[n])
		for (i = 1; i <= n && f[i] != "phase_b"; i++)
			;
		for (j = i + 1; j <= n; j++) {
			if (f[j] ~ /^a_(hot|leaf)$/) { print "old library: " $0; bad = 1 }
			if (f[j] ~ /unknown|\+0x/) { print "unnamed frame: " $0; bad = 1 }
		}
	}
	END { exit bad }' "$folded" || { show "$folded"; fail "libsym-b.so's code named after libsym-a.so"; }
# Below phase_a, libsym-a.so's. The sampler reads the maps after its
# captures, so a swap completed in between names a sample of the old code
# after the new library: rare, and only reported.
if grep -E ';phase_a;(.*;)?b_(hot|leaf)( |;)' "$folded" >"$T/early"; then
	info "samples of libsym-a.so named after libsym-b.so (maps read after the swap):"
	sed 's/^/#   /' "$T/early"
fi
assert_no_grep "$folded" ';phase_a;.*(unknown|\+0x)' "unnamed frames in phase a"
assert_grep "$folded" ';main;phase_a;a_hot;a_leaf [0-9]+$' "phase a stack"
assert_grep "$folded" ';main;phase_b;b_hot;b_leaf [0-9]+$' "phase b stack"
