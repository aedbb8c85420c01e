#!/bin/bash
# Line and inline information without .debug_aranges (unwind.md P21):
# clang emits none, and libdw 0.188 then finds no CU for any address. The
# clang build of t-sym-lines must read exactly like the gcc build: the same
# functions, inline marks, absolute source paths and lines, frame by frame.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

clang_bin=$B/targets/O2/t-sym-lines-clang
gcc_bin=$B/targets/O2/t-sym-lines
[ -x "$clang_bin" ] || skip "t-sym-lines-clang is not built (no clang)"
skip_unless_ptrace

# The case under test: clang's binary really has no aranges, gcc's has.
if command -v readelf >/dev/null; then
	readelf -S "$gcc_bin" | grep -q '\.debug_aranges' ||
		framework_failure "gcc's t-sym-lines has no .debug_aranges"
	if readelf -S "$clang_bin" | grep -q '\.debug_aranges'; then
		framework_failure "this clang emits .debug_aranges: nothing to test"
	fi
fi

for bin in "$gcc_bin" "$clang_bin"; do
	name=$(basename "$bin")
	start_target "$bin"
	sym_dump --pid "$TARGET_PID"
	expect_rc 0 "dump of $name"
	cp "$OUT" "$T/dump.$name"
	info "$name: $(thread_frames "$OUT" sym-main | head -n 5 | paste -sd' ')"
	sym_lines_check "$OUT" "$name"
	stop_target
done

# Identical, full paths included.
thread_frames "$T/dump.t-sym-lines" sym-main | head -n 5 >"$T/gcc.frames"
thread_frames "$T/dump.t-sym-lines-clang" sym-main | head -n 5 >"$T/clang.frames"
diff -u "$T/gcc.frames" "$T/clang.frames" || fail "gcc and clang builds read differently"

# The same through record: folded stacks with --lines.
start_target "$clang_bin"
run_cprof record -q -p "$TARGET_PID" -d 1 --lines -o "$T/clang.folded"
expect_rc 0 "record of t-sym-lines-clang"
stop_target
loop=$(line_of "$SYM_LINES_SRC" '/* LINES-LOOP */')
assert_grep "$T/clang.folded" \
	"main \\(t-sym-lines\\.c:[0-9]+\\);lines_outer \\(t-sym-lines\\.c:[0-9]+\\);lines_mid \\(t-sym-lines\\.c:[0-9]+\\);lines_inl_a \\(t-sym-lines\\.c:[0-9]+\\)_\\[i\\];lines_inl_b \\(t-sym-lines\\.c:$loop\\)_\\[i\\] [0-9]+$" \
	"folded inline stack of the clang build"
