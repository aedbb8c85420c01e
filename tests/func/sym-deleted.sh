#!/bin/bash
# Deleted binaries (unwind.md P19): a copy of t-sym-lines, and a copy of a
# library loaded by t-sym-dlswap, are removed while they run. Their maps
# lines say "(deleted)" and the paths lead nowhere; cprof reads the mapped
# files through /proc/PID/map_files (root) and names every frame, in dump
# and in record. Without the privilege map_files needs (CAP_SYS_ADMIN or
# CAP_CHECKPOINT_RESTORE), the main program is still read through
# /proc/PID/exe, and the deleted library's frames fall back on
# MODULE+0xOFFSET, without an error.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

skip_unless_ptrace

# A command prefix dropping CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE, if
# possible (a word list: used unquoted).
unprivileged=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	setpriv --inh-caps=-sys_admin,-checkpoint_restore \
		--bounding-set=-sys_admin,-checkpoint_restore true 2>/dev/null; then
	unprivileged="setpriv --inh-caps=-sys_admin,-checkpoint_restore --bounding-set=-sys_admin,-checkpoint_restore"
fi

# 1. The main program.
cp "$B/targets/O2/t-sym-lines" "$T/t-sym-del"
start_target "$T/t-sym-del"
rm "$T/t-sym-del"
grep -q "$T/t-sym-del (deleted)" /proc/"$TARGET_PID"/maps ||
	framework_failure "the maps do not show the program deleted"
sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump of the deleted program"
cp "$OUT" "$T/dump.exe"
sym_lines_check "$OUT" "deleted program"
assert_grep "$OUT" '^  #0 .* lines_inl_b .*\[t-sym-del\]$' "module name without (deleted)"

run_cprof record -q -p "$TARGET_PID" -d 1 -o "$T/exe.folded"
expect_rc 0 "record of the deleted program"
assert_grep "$T/exe.folded" ';main;lines_outer;lines_mid;lines_inl_a_\[i\];lines_inl_b_\[i\] [0-9]+$' \
	"recorded stack of the deleted program"

if [ -n "$unprivileged" ]; then
	RC=0
	$unprivileged "$CPROF" dump --pid "$TARGET_PID" >"$OUT" 2>"$ERR" </dev/null || RC=$?
	expect_rc 0 "unprivileged dump of the deleted program"
	cp "$OUT" "$T/dump.exe.unpriv"
	sym_lines_check "$OUT" "deleted program, read through /proc/PID/exe"
fi
stop_target

# 2. A library.
cp "$B/targets/O2/libsym-a.so" "$T/libsym-del.so"
start_target t-sym-dlswap O2 "$T/libsym-del.so" "$B/targets/O2/libsym-b.so"
rm "$T/libsym-del.so"
grep -q "$T/libsym-del.so (deleted)" /proc/"$TARGET_PID"/maps ||
	framework_failure "the maps do not show the library deleted"
if [ "$(id -u)" = 0 ]; then
	sym_dump --pid "$TARGET_PID"
	expect_rc 0 "dump with a deleted library"
	cp "$OUT" "$T/dump.lib"
	assert_stack "$OUT" t-sym-dlswap a_leaf a_hot phase_a main ... _start
	assert_grep "$OUT" '^  #0 .* a_leaf at [^ ]*/dlhot\.c:[0-9]+ \[libsym-del\.so\]$' \
		"deleted library frame with its line"
else
	info "not root: no /proc/PID/map_files, deleted library not checked by name"
fi
if [ -n "$unprivileged" ]; then
	# phase_a spends nearly all its time in the library, not all: a dump
	# may catch it in between. Look again until the top frame is there.
	for try in 1 2 3 4 5 6 7 8; do
		RC=0
		$unprivileged "$CPROF" dump --pid "$TARGET_PID" >"$OUT" 2>"$ERR" </dev/null || RC=$?
		expect_rc 0 "unprivileged dump with a deleted library"
		grep -q '^  #0 .*libsym-del\.so' "$OUT" && break
		info "try $try: the thread was outside the library, dumping again"
	done
	cp "$OUT" "$T/dump.lib.unpriv"
	info "unprivileged: $(thread_funcs "$OUT" t-sym-dlswap | paste -sd' ')"
	assert_stack "$OUT" t-sym-dlswap 'libsym-del.so+0x*' ...
	assert_no_grep "$OUT" 'a_leaf|a_hot' "names of an unreadable library"
	[ -s "$ERR" ] && { show "$ERR"; fail "messages on stderr"; }
fi
stop_target
