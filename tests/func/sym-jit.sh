#!/bin/bash
# JIT code named by a perf map (unwind.md P26). t-sym-jit runs code it
# copied into anonymous executable memory, named in /tmp/perf-PID.map:
#   - the name, spaces included, is frame 0 of dump (kind "jit" in JSON)
#     and of record, marked _[j] in folded stacks;
#   - of two entries for one address the later wins, also when the JIT
#     appends it during a recording, having put new code there;
#   - a map owned by someone other than the target's user or root is
#     ignored (checked as root, the target running as nobody).
# And, if node is installed, 'node --perf-basic-prof' shows the name of a
# hot JavaScript function.
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

skip_unless_ptrace

# Maps the targets leave behind (one whose owner was changed, node's).
MAPS=
trap 'rm -f $MAPS; _cleanup' EXIT

name2='JIT hot loop \[tier 2\]'
name3='JIT hot loop \[tier 3\]'

# 1. Names, newest first.
start_target t-sym-jit O2
map=/tmp/perf-$TARGET_PID.map
MAPS="$MAPS $map"
[ -s "$map" ] || framework_failure "t-sym-jit wrote no $map"
sym_dump --pid "$TARGET_PID"
expect_rc 0 "dump of t-sym-jit"
cp "$OUT" "$T/dump.jit"
# (thread_funcs keeps the module of JIT frames, " [[jit]]": hence the '*'.)
assert_stack "$OUT" t-sym-jit "$name2*" jit_loop main ... _start
assert_grep "$OUT" "^  #0 +0x[0-9a-f]+ $name2 \\[\\[jit\\]\\]$" "JIT frame"
assert_no_grep "$OUT" 'stale|never runs' "older or other entries"
if command -v python3 >/dev/null; then
	run_cprof dump --json --pid "$TARGET_PID"
	expect_rc 0 "dump --json of t-sym-jit"
	python3 - "$OUT" <<'PY' || { show "$OUT"; fail "JSON JIT frame"; }
import json, sys
doc = json.load(open(sys.argv[1]))
f = [t for t in doc["threads"] if t["name"] == "t-sym-jit"][0]["frames"]
if (f[0]["function"], f[0]["kind"]) != ("JIT hot loop [tier 2]", "jit"):
    sys.exit("frame 0: %r" % f[0])
if (f[1]["function"], f[1]["kind"]) != ("jit_loop", "native"):
    sys.exit("frame 1: %r" % f[1])
PY
fi

# One recording; the JIT puts tier 3 where tier 2 was, whose entry covers
# it too, and appends tier 3's name: from then on, only tier 3.
rec_start "$T/jit.folded" -p "$TARGET_PID"
rec_wait "$name2" 10
assert_grep "$T/jit.folded" "^_start;.*;main;jit_loop;${name2}_\\[j\\] [0-9]+$" "folded JIT frame"
kill -USR1 "$TARGET_PID"
for ((i = 0; i < REC_WAIT * 10; i++)); do
	grep -q '^swapped$' "$TARGET_OUT" && break
	sleep 0.1
done
grep -q '^swapped$' "$TARGET_OUT" || fail "t-sym-jit did not swap its code"
# Samples are symbolized in order: once one is named tier 3, all earlier
# ones were counted; any later tier 2 sample would be the new code.
rec_wait "$name3" 1
before=$(rec_count "$name2")
rec_wait "$name3" 30
rec_stop
after=$(rec_count "$name2")
info "tier 2: $before samples, then $after; tier 3: $(rec_count "$name3")"
assert_eq "$after" "$before" "samples of the new code named after the old entry"
assert_grep "$T/jit.folded" "^_start;.*;main;jit_loop;${name3}_\\[j\\] [0-9]+$" "folded tier 3 frame"
assert_no_grep "$T/jit.folded" 'stale|never runs' "older or other entries in the recording"
stop_target

# 2. Owners (as root: the target runs as nobody).
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! id -u nobody >/dev/null 2>&1; then
	info "not root (or no setpriv, no user nobody): map ownership not checked"
else
	printf '#!/bin/sh\nexec setpriv --reuid=nobody --regid=%s --clear-groups "$@"\n' \
		"$(id -g nobody)" >"$T/as-nobody"
	chmod +x "$T/as-nobody"
	start_target "$T/as-nobody" x "$B/targets/O2/t-sym-jit"
	map=/tmp/perf-$TARGET_PID.map
	MAPS="$MAPS $map"
	assert_eq "$(stat -c %u "$map")" "$(id -u nobody)" "owner of the map t-sym-jit wrote"
	# owned_by UID EXPECT: with the map owned by UID, frame 0 is EXPECT
	owned_by() {
		chown "$1" "$map"
		sym_dump --pid "$TARGET_PID"
		expect_rc 0 "dump with the map owned by $1"
		cp "$OUT" "$T/dump.owner-$1"
		assert_stack "$OUT" t-sym-jit "$2" jit_loop main ...
	}
	owned_by "$(id -u nobody)" "$name2*"
	owned_by 12345 '\[unknown\]'
	assert_no_grep "$OUT" 'JIT' "names from a map of another user"
	owned_by 0 "$name2*"
	stop_target
fi

# 3. node --perf-basic-prof.
command -v node >/dev/null || skip "node is not installed (the t-sym-jit cases passed)"
cat >"$T/hot.js" <<'JS'
function hotJsLoop(n) {
	let x = 0;
	for (let i = 0; i < n; i++)
		x = (x * 31 + i) | 0;
	return x;
}
let acc = 0;
for (let k = 0; k < 200; k++)
	acc += hotJsLoop(1e5);
process.stdout.write(`ready ${process.pid}\n`);
for (;;)
	acc += hotJsLoop(1e6);
JS
# V8 leaves an isolate-*.log in its working directory.
cd "$T"
start_target "$(command -v node)" x --perf-basic-prof "$T/hot.js"
cd - >/dev/null
MAPS="$MAPS /tmp/perf-$TARGET_PID.map"
rec_start "$T/node.folded" -p "$TARGET_PID"
rec_wait 'hotJsLoop[^;]*_\[j\] [0-9]+$' 10
rec_stop
stop_target
info "node: $(grep -o '[^;]*hotJsLoop[^;]*_\[j\]' "$T/node.folded" | sort -u | paste -sd' ')"
assert_grep "$T/node.folded" ";JS:[*~^]?hotJsLoop [^;]*hot\\.js:[0-9]+:[0-9]+_\\[j\\] [0-9]+$" \
	"folded frame of the JavaScript function"
