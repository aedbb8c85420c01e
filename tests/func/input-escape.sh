#!/bin/bash
# Function names are data, not markup. t-harm-jit runs two JIT functions
# whose names, from its /tmp/perf-PID.map, are
#   <script>alert("x&y")</script> & 'q' ]]> -->
#   ctl\x01\x1b[31m tab\there bad-utf8 \xff\xfe\xc3 end
# One recording writes SVG, speedscope JSON, folded, pprof and .cprof:
#   - the SVG is well-formed XML (xmllint) and, parsed, has the first name
#     as text, exactly, and no element that came from it;
#   - the speedscope JSON parses, with the first name exactly and the
#     second as valid UTF-8 text (bad bytes replaced, nothing dropped
#     around them);
#   - the folded line keeps the first name byte for byte;
#   - cprof report --json of the .cprof, and cprof dump --json of the live
#     target, parse too and hold the first name.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace
command -v xmllint >/dev/null || skip "xmllint is not installed"

NAME1='<script>alert("x&y")</script> & '"'"'q'"'"' ]]> -->'

start_target t-harm-jit O2
MAP=/tmp/perf-$TARGET_PID.map
trap 'rm -f "$MAP"; _cleanup' EXIT
[ -s "$MAP" ] || framework_failure "t-harm-jit wrote no $MAP"

run_cprof record -q -p "$TARGET_PID" -d 1 -o "$T/p.svg" -o "$T/p.json" -o "$T/p.folded" \
	-o "$T/p.pb.gz" -o "$T/p.cprof"
expect_rc 0 "record of t-harm-jit"
grep -qF ";$NAME1" "$T/p.folded" || {
	show "$T/p.folded"
	fail "folded: the markup name is not there byte for byte"
}

xmllint --noout "$T/p.svg" || fail "the SVG is not well-formed"
python3 - "$T/p.svg" "$NAME1" <<'PY' || fail "SVG: names as text"
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
name = sys.argv[2]
texts = [(e.text or "") for e in root.iter()]
assert any(name in t for t in texts), "the name is in no element's text"
tags = {e.tag.split("}")[-1] for e in root.iter()}
# The flame graph has its own <script>; none may hold the name's markup.
for e in root.iter():
    if e.tag.split("}")[-1] == "script":
        assert "alert(" not in (e.text or ""), "the name became a script"
assert not any(t.startswith("alert") for t in tags)
PY

python3 - "$T/p.json" "$NAME1" <<'PY' || fail "speedscope JSON: names"
import json, sys

d = json.load(open(sys.argv[1], encoding="utf-8"))
names = [f["name"] for f in d["shared"]["frames"]]
assert sys.argv[2] in names, names
odd = [n for n in names if n.startswith("ctl")]
assert len(odd) == 1 and odd[0].endswith(" end"), odd
assert "bad-utf8" in odd[0], odd
PY

run_cprof report --json "$T/p.cprof"
expect_rc 0 "report --json"
python3 - "$OUT" "$NAME1" <<'PY' || fail "report --json: names"
import json, sys

def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)

d = json.load(open(sys.argv[1], encoding="utf-8"))
assert sys.argv[2] in strings(d)
PY

# A dump is one moment: main may be in either JIT function, or between.
for ((i = 0; i < 20; i++)); do
	run_cprof dump --json -p "$TARGET_PID"
	expect_rc 0 "dump --json"
	python3 -c 'import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$OUT" ||
		fail "dump --json does not parse"
	python3 - "$OUT" "$NAME1" <<'PY' && break
import json, sys

def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)

d = json.load(open(sys.argv[1], encoding="utf-8"))
sys.exit(0 if sys.argv[2] in strings(d) else 1)
PY
done
[ "$i" -lt 20 ] || fail "dump --json: the markup name in none of 20 dumps"

# Text for terminals: the name's ESC and other control bytes never reach
# them (they could recolour or rewrite the screen).
run_cprof record -d 0.5 -o "$T/t.cprof" -p "$TARGET_PID"
expect_rc 0 "record for the text outputs"
run_cprof report "$T/t.cprof"
expect_rc 0 "report (text)"
if LC_ALL=C grep -q "$(printf '\033')" "$OUT"; then
	fail "report text carries an ESC byte from a function name"
fi
assert_grep "$OUT" 'ctl\?\?\[31m tab\?here' "control bytes shown as '?' in report text"
for i in 1 2 3 4 5; do
	run_cprof dump -p "$TARGET_PID"
	expect_rc 0 "dump (text)"
	if LC_ALL=C grep -q "$(printf '\033')" "$OUT"; then
		fail "dump text carries an ESC byte from a function name"
	fi
done
stop_target
