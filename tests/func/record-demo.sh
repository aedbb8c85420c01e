#!/bin/bash
# `make demo`: scripts/demo.sh, run from an empty directory with the demo
# program built by the Makefile's own rule ($B/demo if `make demo` built it
# already), records the demo for 2 s and leaves demo.svg, demo.json and
# demo.folded there:
#
#   - the SVG is well-formed (xmllint) and carries the demo's title;
#   - the folded stacks have a [thread TID NAME] root for each of the
#     threads ingest, compress and index, with their functions under them
#     (ingest_batch/parse_record, compress_block/checksum,
#     build_index/quicksort/partition);
#   - the speedscope JSON has a profile per thread; where the speedscope
#     npm package is installed, check-speedscope.js validates it and finds
#     the folded stacks to be its samples.
. "$(dirname "$0")/lib.sh"

command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
command -v python3 >/dev/null || skip "python3 is not installed"
skip_unless_ptrace

# demo.sh runs $1/cprof and $1/demo.
mkdir -p "$T/b" "$T/run"
ln -s "$CPROF" "$T/b/cprof"
if [ -x "$B/demo" ] && [ "$B/demo" -nt "$SRCDIR/tests/targets/demo.c" ]; then
	ln -s "$B/demo" "$T/b/demo"
else
	command -v make >/dev/null || skip "make is not installed"
	make -s -C "$SRCDIR" B="$T/b" "$T/b/demo" >"$T/make.log" 2>&1 || {
		show "$T/make.log"
		fail "the Makefile cannot build the demo program"
	}
fi

cd "$T/run" || framework_failure "cd $T/run"
RC=0
timeout -k 5 60 sh "$SRCDIR/scripts/demo.sh" "$T/b" 2 >"$OUT" 2>"$ERR" </dev/null || RC=$?
cd "$SRCDIR" || framework_failure "cd $SRCDIR"
expect_rc 0 "scripts/demo.sh"
assert_grep "$ERR" '^cprof: command exited with status 0$' "the demo's exit"
assert_grep "$ERR" '^cprof: wrote demo.svg, demo.json, demo.folded$' "the files written"
assert_grep "$OUT" 'Open demo.svg' "demo.sh's closing words"
ls "$T/run" >"$T/run.ls"
assert_eq "$(paste -sd' ' "$T/run.ls")" "demo.folded demo.json demo.svg" "files left by the demo"

D=$T/run
xmllint --noout "$D/demo.svg" || fail "demo.svg is not well-formed"
assert_grep "$D/demo.svg" 'cprof demo' "the title in demo.svg"
for f in ingest_batch compress_block build_index; do
	assert_grep "$D/demo.svg" "$f" "$f in demo.svg"
done

# thread_has NAME FUNC...: a stack of thread NAME has each FUNC, in order.
thread_has() {
	local name=$1 re
	shift
	re="^\\[thread [0-9]+ $name\\];(.*;)?$(printf '%s;(.*;)?' "$@")"
	re=${re%;(.*;)?}
	assert_grep "$D/demo.folded" "$re( |;)" "$name: $*"
}
thread_has ingest ingest ingest_batch parse_record parse_field
thread_has compress compress compress_block checksum
thread_has compress compress compress_block rle_encode
thread_has index indexer build_index quicksort partition
awk '!/^\[thread [0-9]+ [^]]+\];[^ ].* [1-9][0-9]*$/ { exit 1 }' "$D/demo.folded" || {
	show "$D/demo.folded"
	fail "a folded line without a thread root or count"
}

python3 - "$D/demo.json" <<'PY' || fail "demo.json"
import json, re, sys
d = json.load(open(sys.argv[1]))
assert d["name"] == "cprof demo", d["name"]
names = {re.match(r'Thread \d+ "(.*)"$', p["name"]).group(1) for p in d["profiles"]}
assert {"ingest", "compress", "index"} <= names, names
PY

NPM=
for d in "$B/npm/node_modules" "$SRCDIR/build/npm/node_modules"; do
	if [ -f "$d/speedscope/dist/release/file-format-schema.json" ] && [ -d "$d/ajv" ]; then
		NPM=$d
		break
	fi
done
if [ -n "$NPM" ] && command -v node >/dev/null; then
	node "$SRCDIR/tests/tools/check-speedscope.js" --npm "$NPM" --rate 100 --folded "$D/demo.folded" \
		--thread-roots "$D/demo.json" >"$T/ss.txt" 2>"$T/ss.err" || {
		show "$T/ss.err"
		fail "demo.json / demo.folded: $(head -n 1 "$T/ss.err")"
	}
else
	info "no speedscope npm package or node: demo.json not checked against the schema"
fi
info "demo: $(awk '{ n += $NF } END { print n }' "$D/demo.folded") samples"
