#!/bin/bash
# Separate debug information (unwind.md P24). A fully stripped copy of
# t-sym-lines (no DWARF, no .symtab) gets its names, lines and inline frames
# back from a debug file found
#   - by build-id, as DIR/.build-id/xx/yyyy.debug under --debug-dir DIR;
#   - by .gnu_debuglink, next to the binary;
#   - by .gnu_debuglink, as DIR/<binary's directory>/NAME or DIR/NAME under
#     --debug-dir DIR.
# The debug file of another build under the linked name is not used.
# Without the debug file, the same copy shows module+offset frames.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

command -v objcopy >/dev/null || skip "objcopy (binutils) is not installed"
command -v readelf >/dev/null || skip "readelf (binutils) is not installed"
skip_unless_ptrace

src_bin=$B/targets/O2/t-sym-lines
id=$(readelf -n "$src_bin" | sed -n 's/^ *Build ID: *\([0-9a-f]*\)$/\1/p')
[ ${#id} -ge 4 ] || framework_failure "t-sym-lines has no build-id"
objcopy --only-keep-debug "$src_bin" "$T/full.debug"

# stripped DIR [DEBUGLINK]: a fully stripped copy DIR/t-sym-lines, with a
# .gnu_debuglink to the file DEBUGLINK if given.
stripped() {
	mkdir -p "$1"
	if [ $# -gt 1 ]; then
		objcopy --strip-all --add-gnu-debuglink="$2" "$src_bin" "$1/t-sym-lines"
	else
		objcopy --strip-all "$src_bin" "$1/t-sym-lines"
	fi
	if readelf -S "$1/t-sym-lines" | grep -Eq '\.(symtab|debug_info)'; then
		framework_failure "objcopy --strip-all left symbols in $1/t-sym-lines"
	fi
}

# dump_check WHAT ARGS...: dump the running target with extra ARGS, expect
# the full stack.
dump_check() {
	local what=$1
	shift
	sym_dump --pid "$TARGET_PID" "$@"
	expect_rc 0 "dump ($what)"
	cp "$OUT" "$T/dump.$what"
	info "$what: $(thread_frames "$OUT" sym-main | head -n 5 | paste -sd' ')"
	sym_lines_check "$OUT" "$what"
}

# 1. By build-id under --debug-dir.
stripped "$T/a"
mkdir -p "$T/dbg/.build-id/${id:0:2}"
cp "$T/full.debug" "$T/dbg/.build-id/${id:0:2}/${id:2}.debug"
start_target "$T/a/t-sym-lines"
# Nothing to go on without the debug directory: file offsets, no names.
sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump of the stripped copy"
cp "$OUT" "$T/dump.none"
assert_stack "$OUT" sym-main 't-sym-lines+0x*' 't-sym-lines+0x*' 't-sym-lines+0x*' ...
dump_check build-id --debug-dir "$T/dbg"
# The debug file is found by build-id alone, not by the binary's name.
dump_check build-id-2 --debug-dir /nonexistent --debug-dir "$T/dbg"
stop_target

# 2. By .gnu_debuglink, the debug file next to the binary.
mkdir -p "$T/b"
cp "$T/full.debug" "$T/b/t-sym-lines.dbg"
stripped "$T/b" "$T/b/t-sym-lines.dbg"
start_target "$T/b/t-sym-lines"
dump_check debuglink-here
stop_target

# 3. By .gnu_debuglink, under --debug-dir as DIR/<directory of the binary>/NAME.
mkdir -p "$T/dbg2$T/c"
cp "$T/full.debug" "$T/dbg2$T/c/t-sym-lines.dbg"
stripped "$T/c" "$T/dbg2$T/c/t-sym-lines.dbg"
start_target "$T/c/t-sym-lines"
sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump of the copy whose debug file is elsewhere"
assert_stack "$OUT" sym-main 't-sym-lines+0x*' ...
dump_check debuglink-dir --debug-dir "$T/dbg2"
# 4. Or right in DIR.
mkdir -p "$T/dbg3"
cp "$T/full.debug" "$T/dbg3/t-sym-lines.dbg"
dump_check debuglink-flat --debug-dir "$T/dbg3"

# The debug file of another build (another build-id) under that name is
# not used: its addresses would be wrong.
objcopy --only-keep-debug "$B/targets/O0/t-sym-lines" "$T/dbg2$T/c/t-sym-lines.dbg"
sym_dump --pid "$TARGET_PID" --debug-dir "$T/dbg2"
expect_rc 0 "dump with the debug file of another build"
cp "$OUT" "$T/dump.other"
assert_stack "$OUT" sym-main 't-sym-lines+0x*' ...
stop_target
