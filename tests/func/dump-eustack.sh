#!/bin/bash
# Differential test against eu-stack (elfutils), an independent unwinder and
# symbolizer: for every thread, the same frames (addresses) and the same
# function names, ignoring frames eu-stack cannot name (unwind.md P2, P8).
#
# Names of our own code must be identical. In libc, cprof names a frame by
# its DWARF subprogram (__GI___libc_read, __libc_start_main_impl) where
# eu-stack picks an ELF alias (read, __libc_start_main@@GLIBC_2.34), so
# there the names must agree once the prefixes and version are stripped,
# one containing the other.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

command -v eu-stack >/dev/null || skip "eu-stack (elfutils) is not installed"
command -v python3 >/dev/null || skip "python3 is needed"
skip_unless_ptrace

compare() {
	local what=$1
	run_cprof dump --no-inline --no-lines --pid "$TARGET_PID"
	expect_rc 0 "dump of $what"
	cp "$OUT" "$T/cprof.$what"
	eu-stack -p "$TARGET_PID" >"$T/eu.$what" 2>"$T/eu.err.$what" ||
		{ show "$T/eu.err.$what"; framework_failure "eu-stack -p failed"; }
	python3 - "$T/cprof.$what" "$T/eu.$what" "$(basename "$1")" <<'PY' ||
import re, sys

def parse_cprof(path):
    threads, cur = {}, None
    for line in open(path):
        m = re.match(r'^Thread (\d+) "(.*)" \((\S+)', line)
        if m:
            cur = threads.setdefault(int(m.group(1)), {"state": m.group(3).rstrip(")"), "frames": []})
            continue
        m = re.match(r'^  #\d+ +(0x[0-9a-f]+) (.*?)(?: \[([^]]*)\])?$', line)
        if m and cur is not None:
            cur["frames"].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return threads

def parse_eu(path):
    threads, cur = {}, None
    for line in open(path):
        m = re.match(r'^TID (\d+):', line)
        if m:
            cur = threads.setdefault(int(m.group(1)), [])
            continue
        m = re.match(r'^#\d+ +(0x[0-9a-f]+)(?: +(.*))?$', line.rstrip("\n"))
        if m and cur is not None:
            cur.append((int(m.group(1), 16), m.group(2) or None))
    return threads

def norm(name):
    name = re.sub(r'@.*$', '', name)
    if name.startswith("__GI_"):
        name = name[5:]
    return name.lstrip("_")

cp, eu = parse_cprof(sys.argv[1]), parse_eu(sys.argv[2])
module = sys.argv[3][:15]
errors = []
if sorted(cp) != sorted(eu):
    errors.append("threads: cprof %r, eu-stack %r" % (sorted(cp), sorted(eu)))
for tid in sorted(set(cp) & set(eu)):
    a, b = cp[tid]["frames"], eu[tid]
    if len(a) != len(b):
        errors.append("thread %d: %d frames, eu-stack %d" % (tid, len(a), len(b)))
    for i, ((pc, name, mod), (epc, ename)) in enumerate(zip(a, b)):
        # The leaf of a running thread moves between the two captures.
        if pc != epc and not (i == 0 and cp[tid]["state"] == "running"):
            errors.append("thread %d #%d: 0x%x, eu-stack 0x%x" % (tid, i, pc, epc))
        if ename is None:
            continue
        if mod == module or mod is None:
            ok = name == ename
        else:
            x, y = norm(name), norm(ename)
            ok = x == y or (x and y and (x in y or y in x))
        if not ok:
            errors.append("thread %d #%d: %s, eu-stack %s" % (tid, i, name, ename))
if errors:
    print("\n".join(errors))
    sys.exit(1)
print("%d threads, %d frames agree" % (len(cp), sum(len(t["frames"]) for t in cp.values())))
PY
	{
		show "$T/cprof.$what" "$T/eu.$what"
		fail "cprof dump and eu-stack disagree on $what"
	}
}

for opt in $OPTS; do
	start_target t-threads "$opt"
	compare "t-threads.$opt"
	stop_target
	# Signal frames: handler ← __restore_rt ← interrupted function.
	start_target t-signal "$opt"
	compare "t-signal.$opt"
	stop_target
	if [ -x "$B/targets/$opt/t-cxx" ]; then
		start_target t-cxx "$opt"
		compare "t-cxx.$opt"
		stop_target
	fi
done
if [ -x "$B/targets/O2/t-threads-lld" ]; then
	start_target t-threads-lld O2
	compare t-threads-lld
	stop_target
fi
