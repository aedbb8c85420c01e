#!/bin/bash
# Inlined frames on t-inline (unwind.md P22): two always_inline functions
# inlined into inl_caller appear as frames marked "(inlined)", innermost
# first, sharing inl_caller's address, each with its own source line: the
# innermost the line executing, the others their call sites.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

src=$SRCDIR/tests/targets/t-inline.c
leaf_line=$(line_of "$src" "/* LEAF-LOOP */")
call_leaf=$(line_of "$src" "/* CALL-LEAF */")
call_middle=$(line_of "$src" "/* CALL-MIDDLE */")
call_caller=$(line_of "$src" 'x = inl_caller(1);')

for opt in $OPTS; do
	start_target t-inline "$opt"
	run_cprof dump --pid "$TARGET_PID"
	expect_rc 0 "dump of t-inline ($opt)"
	cp "$OUT" "$T/dump.$opt"
	thread_frames "$OUT" t-inline >"$T/frames"
	info "$opt: $(paste -sd' ' "$T/frames")"
	assert_stack "$OUT" t-inline inl_leaf inl_middle inl_caller main ...
	# Marks, files and lines, frame by frame.
	expect="inl_leaf|i|t-inline.c|$leaf_line
inl_middle|i|t-inline.c|$call_leaf
inl_caller||t-inline.c|$call_middle
main||t-inline.c|$call_caller"
	got=$(head -n 4 "$T/frames" | sed 's/|[^|]*\/\([^/|]*|[0-9]*\)$/|\1/')
	[ "$got" = "$expect" ] || {
		show "$T/dump.$opt"
		printf 'expected:\n%s\ngot:\n%s\n' "$expect" "$got"
		fail "inline frames of t-inline ($opt)"
	}
	# The three frames of one address share it; main has its own.
	addrs=$(grep -A4 '"t-inline"' "$OUT" | sed -n 's/^  #[0-9]* *\(0x[0-9a-f]*\) .*/\1/p')
	assert_eq "$(echo "$addrs" | head -n 3 | sort -u | wc -l)" 1 "one address for the inline chain"
	[ "$(echo "$addrs" | sed -n 4p)" != "$(echo "$addrs" | sed -n 1p)" ] ||
		fail "main shares the address of inl_caller"
	# Only inlined frames are marked.
	assert_eq "$(grep -c '(inlined)' "$OUT" | tr -d ' ')" \
		"$(thread_frames "$OUT" t-inline | grep -c '|i|')" "inlined marks"

	# JSON marks the same frames.
	if command -v python3 >/dev/null; then
		run_cprof dump --json --pid "$TARGET_PID"
		expect_rc 0 "dump --json of t-inline"
		python3 - "$OUT" <<'PY' || fail "JSON inline frames ($opt)"
import json, sys
doc = json.load(open(sys.argv[1]))
t = [t for t in doc["threads"] if t["name"] == "t-inline"][0]
got = [(f["function"], f["inlined"]) for f in t["frames"][:4]]
want = [("inl_leaf", True), ("inl_middle", True), ("inl_caller", False), ("main", False)]
if got != want:
    sys.exit("got %r, want %r" % (got, want))
if len({f["address"] for f in t["frames"][:3]}) != 1:
    sys.exit("inline chain addresses differ")
PY
	fi
	stop_target
done
