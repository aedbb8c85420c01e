#!/bin/bash
# cprof dump options: --no-inline and --no-lines change the output as the
# manual says, a thread id selects its process, --debug-dir finds separate
# debug files by build-id (unwind.md P24), --help goes to stdout.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

src=$SRCDIR/tests/targets/t-inline.c
leaf_line=$(line_of "$src" "/* LEAF-LOOP */")
call_middle=$(line_of "$src" "/* CALL-MIDDLE */")
call_caller=$(line_of "$src" 'x = inl_caller(1);')

start_target t-inline O2
pid=$TARGET_PID

# Reference: inline frames and lines.
run_cprof dump --pid "$pid"
expect_rc 0 "dump"
cp "$OUT" "$T/full"
assert_grep "$T/full" '\(inlined\)' "inline frames by default"
assert_grep "$T/full" ' at [^ ]+:[0-9]+ \[' "file:line by default"

# --no-inline: what was inlined is shown as the function it is in, at the
# line executing.
run_cprof dump --no-inline --pid "$pid"
expect_rc 0 "dump --no-inline"
cp "$OUT" "$T/noinl"
assert_no_grep "$T/noinl" '\(inlined\)' "--no-inline marks no frame"
assert_no_grep "$T/noinl" ' (inl_leaf|inl_middle) ' "--no-inline hides inlined functions"
assert_stack "$T/noinl" t-inline inl_caller main ...
got=$(thread_frames "$T/noinl" t-inline | head -n 2 | sed 's/|[^|]*\/\([^/|]*|[0-9]*\)$/|\1/')
assert_eq "$(echo "$got" | paste -sd' ')" \
	"inl_caller||t-inline.c|$leaf_line main||t-inline.c|$call_caller" "--no-inline frames"
# One frame less per inlined function, nothing else changes.
assert_eq "$(grep -c '^  #' "$T/noinl")" \
	"$(($(grep -c '^  #' "$T/full") - $(grep -c '(inlined)' "$T/full")))" "--no-inline frame count"

# --no-lines: no file or line anywhere; names, marks and modules stay.
run_cprof dump --no-lines --pid "$pid"
expect_rc 0 "dump --no-lines"
cp "$OUT" "$T/nolines"
assert_no_grep "$T/nolines" '^  #.* at ' "--no-lines prints no file:line"
assert_stack "$T/nolines" t-inline inl_leaf inl_middle inl_caller main ...
assert_grep "$T/nolines" '^  #0 +0x[0-9a-f]+ inl_leaf \(inlined\) \[t-inline\]$' "--no-lines frame"
assert_eq "$(grep -c '^  #' "$T/nolines")" "$(grep -c '^  #' "$T/full")" "--no-lines frame count"
# Both, with short options spelled out.
run_cprof dump --no-lines --no-inline -p "$pid"
expect_rc 0 "dump --no-lines --no-inline"
assert_grep "$OUT" '^  #0 +0x[0-9a-f]+ inl_caller \[t-inline\]$' "--no-lines --no-inline frame"
if command -v python3 >/dev/null; then
	run_cprof dump -j --no-lines --pid "$pid"
	expect_rc 0 "dump -j --no-lines"
	python3 -c '
import json, sys
doc = json.load(open(sys.argv[1]))
bad = [f for t in doc["threads"] for f in t["frames"] if "file" in f or "line" in f]
sys.exit("frames with file/line: %r" % bad[:3] if bad else 0)' "$OUT" || fail "JSON --no-lines"
fi

# A thread id selects the process the thread belongs to.
tid=$(find /proc/"$pid"/task -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -n 1)
[ "$tid" != "$pid" ] || framework_failure "t-inline has one thread"
run_cprof dump --pid "$tid"
expect_rc 0 "dump --pid TID"
assert_grep "$OUT" "^Process $pid: " "a thread id dumps its process"
assert_eq "$(grep -c '^Thread ' "$OUT")" 2 "threads of t-inline"
stop_target

# --help: usage on stdout, status 0, every documented option listed.
run_cprof dump --help
expect_rc 0 "dump --help"
for o in --pid --json --no-inline --no-lines --debug-dir --verbose --help; do
	assert_grep "$OUT" -- "$o" "--help mentions $o"
done
[ ! -s "$ERR" ] || fail "--help wrote to stderr"

# --debug-dir: a stripped copy whose debug file lives in DIR/.build-id/.
if command -v objcopy >/dev/null; then
	bin=$T/t-inline-stripped
	cp "$B/targets/O2/t-inline" "$bin"
	id=$(readelf -n "$bin" 2>/dev/null | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
	[ -n "$id" ] || framework_failure "t-inline has no build-id"
	mkdir -p "$T/debug/.build-id/${id:0:2}"
	objcopy --only-keep-debug "$bin" "$T/debug/.build-id/${id:0:2}/${id:2}.debug"
	objcopy --strip-debug "$bin"
	start_target "$bin"
	run_cprof dump --pid "$TARGET_PID"
	expect_rc 0 "dump of a stripped binary"
	assert_no_grep "$OUT" 'inl_caller at ' "no lines without the debug file"
	assert_grep "$OUT" ' inl_caller \[' "symbols from .symtab"
	run_cprof dump --debug-dir "$T/nowhere" --debug-dir "$T/debug" --pid "$TARGET_PID"
	expect_rc 0 "dump --debug-dir"
	assert_stack "$OUT" t-inline-stripp inl_leaf inl_middle inl_caller main ...
	assert_grep "$OUT" " inl_caller at [^ ]*t-inline\.c:$call_middle " "lines from the debug file"
	stop_target
else
	info "objcopy missing: --debug-dir not tested"
fi
