#!/bin/bash
# Compressed DWARF (unwind.md P25). With zlib (gcc -gz=zlib) it reads like
# uncompressed DWARF: the full stack of t-sym-lines, inline frames and
# lines. libelf 0.188 cannot decompress zstd sections, and this toolchain
# cannot write them, so the zlib build is recompressed with zstd by
# tests/targets/sym/zstd-sections.py: cprof must fall back on the symbol
# table (or, with a newer libelf, give the full stack), and not crash.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

zlib_bin=$B/targets/O2/t-sym-lines-zlib
skip_unless_ptrace

if command -v readelf >/dev/null; then
	readelf -t "$zlib_bin" | grep -q 'ZLIB' ||
		framework_failure "t-sym-lines-zlib has no zlib-compressed section"
fi

start_target "$zlib_bin"
sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump of the zlib build"
cp "$OUT" "$T/dump.zlib"
info "zlib: $(thread_frames "$OUT" sym-main | head -n 5 | paste -sd' ')"
sym_lines_check "$OUT" "zlib-compressed DWARF"
stop_target

command -v zstd >/dev/null || skip "zstd is not installed (the zlib case passed)"
command -v python3 >/dev/null || skip "python3 is not installed (the zlib case passed)"
python3 "$SRCDIR/tests/targets/sym/zstd-sections.py" "$zlib_bin" "$T/t-sym-lines-zstd" ||
	framework_failure "cannot recompress the sections with zstd"
chmod +x "$T/t-sym-lines-zstd"
if command -v readelf >/dev/null; then
	readelf -t "$T/t-sym-lines-zstd" | grep -q 'ZSTD' ||
		framework_failure "no zstd-compressed section after the conversion"
fi

start_target "$T/t-sym-lines-zstd"
sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump of the zstd build"
cp "$OUT" "$T/dump.zstd"
info "zstd: $(thread_frames "$OUT" sym-main | head -n 5 | paste -sd' ')"
if thread_frames "$OUT" sym-main | grep -q '^lines_inl_b|i|'; then
	info "this libelf reads zstd sections"
	sym_lines_check "$OUT" "zstd-compressed DWARF"
else
	sym_lines_check_symtab "$OUT" "zstd-compressed DWARF"
fi
assert_no_grep "$OUT" 't-sym-lines-zstd\+0x|\[unknown\]' "no unnamed frames of the program"

# record goes through the same symbolizer, in another thread.
run_cprof record -q -p "$TARGET_PID" -d 1 -o "$T/zstd.folded"
expect_rc 0 "record of the zstd build"
assert_grep "$T/zstd.folded" ';main;lines_outer;lines_mid[; ]' "folded stack of the zstd build"
stop_target
