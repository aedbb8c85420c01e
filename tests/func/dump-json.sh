#!/bin/bash
# cprof dump --json: one valid JSON document with the documented fields,
# the same threads and stacks as the text output.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is needed to parse JSON"
skip_unless_ptrace

start_target t-threads O2
run_cprof dump --json --pid "$TARGET_PID"
expect_rc 0 "dump --json"
cp "$OUT" "$T/dump.json"
find /proc/"$TARGET_PID"/task -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n >"$T/tids"

python3 - "$T/dump.json" "$TARGET_PID" "$T/tids" <<'PY' || { show "$T/dump.json"; fail "JSON checks"; }
import json, sys

doc = json.load(open(sys.argv[1]))
pid = int(sys.argv[2])
tids = [int(x) for x in open(sys.argv[3]).read().split()]
errors = []

def check(cond, what):
    if not cond:
        errors.append(what)

check(doc.get("pid") == pid, "pid is %r, expected %d" % (doc.get("pid"), pid))
check(isinstance(doc.get("cmdline"), str) and "t-threads" in doc["cmdline"], "cmdline")
threads = doc.get("threads")
check(isinstance(threads, list), "threads is a list")
threads = threads or []
check(sorted(t.get("tid") for t in threads) == tids,
      "tids %r vs /proc %r" % (sorted(t.get("tid") for t in threads), tids))
by_name = {}
for t in threads:
    for key, typ in (("tid", int), ("name", str), ("state", str), ("state_code", str),
                     ("truncated", bool), ("frames", list)):
        check(isinstance(t.get(key), typ), "thread %r: %s is %r" % (t.get("tid"), key, t.get(key)))
    check("syscall" in t and (t["syscall"] is None or isinstance(t["syscall"], str)),
          "thread %r: syscall" % t.get("tid"))
    check("error" not in t, "thread %r: error %r" % (t.get("tid"), t.get("error")))
    check(len(t.get("state_code", "")) == 1, "state_code is one letter")
    for f in t.get("frames", []):
        check(isinstance(f.get("address"), str) and f["address"].startswith("0x"), "address %r" % f)
        int(f["address"], 16)
        check(isinstance(f.get("function"), str) and f["function"], "function %r" % f)
        check(isinstance(f.get("inlined"), bool), "inlined %r" % f)
        check(f.get("kind") in ("native", "jit", "unknown"), "kind %r" % f)
        if "file" in f:
            check(isinstance(f["file"], str) and isinstance(f.get("line"), int), "file/line %r" % f)
        if "module" in f:
            check(f["module"].startswith("/") or f["module"].startswith("["), "module %r" % f)
        if f.get("kind") == "native" and f.get("module", "").startswith("/"):
            check(isinstance(f.get("offset"), str) and f["offset"].startswith("0x"),
                  "offset of a frame in a binary: %r" % f)
    by_name[t.get("name")] = t

def funcs(name):
    return [f["function"] for f in by_name.get(name, {}).get("frames", [])]

check(funcs("worker_a")[:5] == ["spin_a", "level_a2", "level_a1", "worker_a", "start_thread"],
      "worker_a frames %r" % funcs("worker_a"))
check(by_name.get("worker_a", {}).get("state") == "running", "worker_a state")
check(by_name.get("worker_a", {}).get("syscall") is None, "worker_a syscall is null")
s = by_name.get("sleeper", {})
check(s.get("state_code") == "S" and s.get("syscall") in ("clock_nanosleep", "nanosleep"),
      "sleeper state %r syscall %r" % (s.get("state_code"), s.get("syscall")))
check(by_name.get("reader", {}).get("syscall") == "read", "reader syscall")
main = by_name.get("t-threads", {}).get("frames", [])
names = [f["function"] for f in main]
check("main" in names and "wait_for_stop" in names
      and names.index("wait_for_stop") + 1 == names.index("main"), "main frames %r" % names)
ours = [f for f in main if f["function"] == "main"]
check(ours and ours[0].get("file", "").endswith("t-threads.c") and ours[0].get("line", 0) > 0,
      "main has file and line: %r" % ours)
check(ours and ours[0].get("module", "").endswith("/t-threads"), "main's module: %r" % ours)

if errors:
    print("\n".join(errors))
    sys.exit(1)
PY

# The JSON and text outputs agree on the stacks (function names per thread).
run_cprof dump --pid "$TARGET_PID"
expect_rc 0 "dump (text)"
for name in worker_a worker_b sleeper reader; do
	thread_funcs "$OUT" "$name" >"$T/text.$name"
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
t = [t for t in doc["threads"] if t["name"] == sys.argv[2]][0]
print("\n".join(f["function"] for f in t["frames"]))' "$T/dump.json" "$name" >"$T/json.$name"
	# The leaf of a spinning thread moves between the two dumps.
	tail -n +2 "$T/text.$name" >"$T/a"
	tail -n +2 "$T/json.$name" >"$T/b"
	cmp -s "$T/a" "$T/b" || { diff "$T/a" "$T/b" || true; fail "$name: text and JSON stacks differ"; }
done
stop_target
