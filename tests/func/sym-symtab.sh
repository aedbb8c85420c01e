#!/bin/bash
# Fallbacks without DWARF. t-sym-lines built with -g0 still has a .symtab:
# frames are named by function, without lines or inline frames. Stripped
# of its symbols too, its frames read MODULE+0xOFFSET, where OFFSET is the
# link-time address, so that the symbols of the unstripped file name them.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

bin=$B/targets/O2/t-sym-lines-nodebug
skip_unless_ptrace

if command -v readelf >/dev/null; then
	readelf -S "$bin" | grep -q '\.debug_info' && framework_failure "$bin has DWARF"
	readelf -S "$bin" | grep -q '\.symtab' || framework_failure "$bin has no .symtab"
fi

# 1. Symbol table only.
start_target "$bin"
sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump of the -g0 build"
cp "$OUT" "$T/dump.symtab"
info "symtab: $(thread_frames "$OUT" sym-main | head -n 4 | paste -sd' ')"
sym_lines_check_symtab "$OUT" "-g0 build"
stop_target

# 2. No symbols at all.
command -v objcopy >/dev/null || skip "objcopy (binutils) is not installed (the -g0 case passed)"
command -v nm >/dev/null || skip "nm (binutils) is not installed (the -g0 case passed)"
objcopy --strip-all "$bin" "$T/t-sym-stripped"
start_target "$T/t-sym-stripped"
sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump of the stripped build"
cp "$OUT" "$T/dump.stripped"
info "stripped: $(thread_frames "$OUT" sym-main | paste -sd' ')"
assert_stack "$OUT" sym-main 't-sym-stripped+0x*' 't-sym-stripped+0x*' 't-sym-stripped+0x*' \
	'*libc_start*' ... 't-sym-stripped+0x*'
stop_target

# The offsets are addresses in the unstripped file: inside lines_mid,
# lines_outer and main, in that order.
thread_funcs "$T/dump.stripped" sym-main | head -n 3 | sed 's/^t-sym-stripped+//' >"$T/offsets"
nm --defined-only -S "$bin" >"$T/nm"
# func_at OFFSET: the sized text symbol of the unstripped file covering OFFSET
func_at() {
	local a=$(($1)) addr size type name
	while read -r addr size type name; do
		case $type in t | T) ;; *) continue ;; esac
		[ -n "$name" ] || continue
		if [ "$a" -ge $((16#$addr)) ] && [ "$a" -lt $((16#$addr + 16#$size)) ]; then
			echo "$name"
			return
		fi
	done <"$T/nm"
	echo "?"
}
got=$(while read -r off; do func_at "$off"; done <"$T/offsets" | paste -sd' ')
assert_eq "$got" "lines_mid lines_outer main" "functions at the offsets of the stripped frames"
