#!/bin/bash
# Demangled C++ names of split and cloned functions in a live process
# (unwind.md P27; dump-cxx.sh covers templates and lambdas). In
# t-sym-clones, GCC moved the unlikely part of sym::hot_or_cold to
# hot_or_cold.cold, and cloned Acc<unsigned long>::run, an anonymous-
# namespace member, into run.constprop.0.
#   - With DWARF, each part is named after its function, fully qualified
#     (DWARF itself calls the anonymous-namespace member just "run"), and
#     the .cold part has its source line.
#   - From the symbol table alone, the names carry GCC's clone suffixes.
. "$(dirname "$0")/lib.sh"

[ -x "$B/targets/O2/t-sym-clones" ] || skip "t-sym-clones is not built (no C++ compiler)"
skip_unless_ptrace

src=$SRCDIR/tests/targets/t-sym-clones.cc
spin='sym::spin_until_stop(unsigned long)'
hoc='sym::hot_or_cold(unsigned long)'
run='sym::(anonymous namespace)::Acc<unsigned long>::run(unsigned long, int)'

# 1. With DWARF.
bin=$B/targets/O2/t-sym-clones
start_target "$bin"
run_cprof dump --pid "$TARGET_PID"
expect_rc 0 "dump of t-sym-clones"
cp "$OUT" "$T/dump.dwarf"
info "DWARF: $(thread_funcs "$OUT" t-sym-clones | head -n 4 | paste -sd'|')"
assert_stack "$OUT" t-sym-clones "$spin" "$hoc" "$run" main ... _start
assert_grep "$OUT" "^  #1 +0x[0-9a-f]+ sym::hot_or_cold\\(unsigned long\\) at [^ ]*/t-sym-clones\\.cc:$(line_of "$src" '/* CALL-SPIN */') " \
	"line of the call in the .cold part"
assert_no_grep "$OUT" ' _Z|\[clone ' "mangled names or clone suffixes with DWARF"

# The case under test: frame 1 is in hot_or_cold.cold, frame 2 in run.constprop.0.
if command -v python3 >/dev/null && command -v nm >/dev/null; then
	run_cprof dump --json --pid "$TARGET_PID"
	expect_rc 0 "dump --json of t-sym-clones"
	nm -S "$bin" >"$T/nm"
	python3 - "$OUT" "$T/nm" <<'PY' || fail "frames not in the clones"
import json, sys
doc = json.load(open(sys.argv[1]))
frames = [t for t in doc["threads"] if t["name"] == "t-sym-clones"][0]["frames"]
syms = {}
for line in open(sys.argv[2]):
    f = line.split()
    if len(f) == 4:
        syms[f[3]] = (int(f[0], 16), int(f[1], 16))
def inside(frame, sym):
    lo, size = syms[sym]
    return lo <= int(frame["offset"], 16) < lo + size
if not inside(frames[1], "_ZN3sym11hot_or_coldEm.cold"):
    sys.exit("frame 1 (%s) is not in hot_or_cold.cold" % frames[1]["offset"])
clone = [s for s in syms if "AccImE3runEmi.constprop" in s]
if not clone or not inside(frames[2], clone[0]):
    sys.exit("frame 2 (%s) is not in run.constprop" % frames[2]["offset"])
PY
fi

run_cprof record -q -p "$TARGET_PID" -d 1 -o "$T/clones.folded"
expect_rc 0 "record of t-sym-clones"
assert_grep "$T/clones.folded" ";main;sym::\\(anonymous namespace\\)::Acc<unsigned long>::run\\(unsigned long, int\\);sym::hot_or_cold\\(unsigned long\\);sym::spin_until_stop\\(unsigned long\\) [0-9]+$" \
	"folded stack"
stop_target

# 2. Symbol table only.
start_target "$B/targets/O2/t-sym-clones-nodebug"
run_cprof dump --pid "$TARGET_PID"
expect_rc 0 "dump of t-sym-clones-nodebug"
cp "$OUT" "$T/dump.symtab"
info "symtab: $(thread_funcs "$OUT" t-sym-clones-no | head -n 4 | paste -sd'|')"
assert_stack "$OUT" t-sym-clones-no "$spin" "$hoc \\[clone .cold\\]" \
	"$run \\[clone .constprop.0\\]" main ... _start
assert_no_grep "$OUT" ' _Z' "mangled names"
stop_target
