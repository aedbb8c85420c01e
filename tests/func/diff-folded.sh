#!/bin/bash
# cprof diff on folded files with known changes: the exact report (text and
# JSON) with profiles of different sample counts, --top and --by, the exit
# status at and around --threshold, the differential flame graph and the
# other -o outputs, standard input, and a one-line error (exit 1) for bad
# input or exit 2 for bad options.
# shellcheck source=tests/func/lib.sh
. "$(dirname "$0")/lib.sh"

# Base, 400 samples; new, 1000 samples. In shares of each:
#   other  37.5% -> 20%     hot  25% -> 40%     newfn, wrap  0 -> 10%
#   work   self 12.5% -> 5%, total 37.5% -> 45%  parse  25% -> 25%
cat >"$T/base.folded" <<'EOF'
main;parse 100
main;work;hot 100
main;work 50
main;other 150
EOF
cat >"$T/new.folded" <<'EOF'
main;parse 250
main;work;hot 400
main;work 50
main;other 200
main;wrap;newfn 100
EOF
cd "$T" || framework_failure "cannot enter $T"

run_cprof diff base.folded new.folded
expect_rc 0 "diff of two folded files"
cat >want.txt <<'EOF'
Base: base.folded, 400 samples
New:  new.folded, 1000 samples

Changes by function, top 7 of 7, largest change of total share first
(self: samples in it; total: in it and what it calls; change: new minus base,
in percentage points of each profile's samples)

  ---- Base ----    ---- New ----  --- Change ---
    Self   Total     Self   Total    Self   Total  Function
   37.5%   37.5%    20.0%   20.0%   -17.5   -17.5  other
   25.0%   25.0%    40.0%   40.0%   +15.0   +15.0  hot
    0.0%    0.0%    10.0%   10.0%   +10.0   +10.0  newfn
    0.0%    0.0%     0.0%   10.0%    +0.0   +10.0  wrap
   12.5%   37.5%     5.0%   45.0%    -7.5    +7.5  work
    0.0%  100.0%     0.0%  100.0%    +0.0    +0.0  main
   25.0%   25.0%    25.0%   25.0%    +0.0    +0.0  parse
EOF
diff -u want.txt "$OUT" || fail "the report differs from what the files say (above)"
[ -s "$ERR" ] && show "$ERR" && fail "diff printed on stderr"

run_cprof diff --top 2 --by line base.folded new.folded
expect_rc 0 "--top 2 --by line"
assert_grep "$OUT" '^Changes by line, top 2 of 7,' "--top/--by heading"
assert_eq "$(grep -c '%' "$OUT")" 2 "rows with --top 2"
assert_grep "$OUT" ' -17\.5 +-17\.5  other$' "first row with --top 2"

# ---- the threshold: more than PCT points, exactly ----

run_cprof diff --threshold 15 base.folded new.folded
expect_rc 0 "hot grew by exactly 15 points: not more than --threshold 15"
assert_grep "$OUT" '^Threshold 15 points: no total share grew by more$' "threshold line, passed"
[ -s "$ERR" ] && show "$ERR" && fail "stderr with no regression"

run_cprof diff --threshold 14.9 base.folded new.folded
expect_rc 5 "hot grew by 15 points, more than --threshold 14.9"
expect_error_line '^cprof: regression: hot grew by \+15\.0 points of total share \(25\.0% -> 40\.0%\), more than the threshold of 14\.9$' \
	"the regression line"
assert_grep "$OUT" '^Threshold 14\.9 points: exceeded; hot grew by \+15\.0 points' "threshold line, failed"

run_cprof diff --threshold 0 base.folded new.folded
expect_rc 5 "--threshold 0"
run_cprof diff --threshold 100 base.folded new.folded
expect_rc 0 "--threshold 100"

# The other way round, "other" grew by 17.5 points and hot shrank.
run_cprof diff --threshold 17.5 new.folded base.folded
expect_rc 0 "reversed, --threshold 17.5"
run_cprof diff --threshold 17.4 new.folded base.folded
expect_rc 5 "reversed, --threshold 17.4"
expect_error_line '^cprof: regression: other grew by \+17\.5 points' "reversed regression line"

# ---- JSON ----

if command -v python3 >/dev/null; then
	run_cprof diff --json --threshold 12 base.folded new.folded
	expect_rc 5 "--json with a regression"
	python3 - "$OUT" <<'PY' || { show "$OUT"; fail "JSON report"; }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["base"] == {"path": "base.folded", "samples": 400}, d["base"]
assert d["new"] == {"path": "new.folded", "samples": 1000}, d["new"]
assert d["by"] == "function" and d["distinct"] == 7 and d["threshold"] == 12, d
assert d["regression"]["function"] == "hot", d["regression"]
assert d["regression"]["delta_total_pct"] == 15, d["regression"]
rows = {r["function"]: r for r in d["changes"]}
assert [r["function"] for r in d["changes"]] == \
    ["other", "hot", "newfn", "wrap", "work", "main", "parse"], d["changes"]
w = rows["work"]
assert w["base"] == {"self": 50, "total": 150, "self_pct": 12.5, "total_pct": 37.5}, w
assert w["new"] == {"self": 50, "total": 450, "self_pct": 5, "total_pct": 45}, w
assert w["delta_self_pct"] == -7.5 and w["delta_total_pct"] == 7.5, w
assert w["file"] is None and w["line"] is None, w
PY
	run_cprof diff -j --top 1 base.folded new.folded
	expect_rc 0 "--json without a threshold"
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["threshold"] is None and d["regression"] is None, d
assert len(d["changes"]) == 1 and d["changes"][0]["function"] == "other", d
' "$OUT" || { show "$OUT"; fail "JSON with --top 1"; }
fi

# ---- outputs ----

run_cprof diff base.folded new.folded -o diff.svg -o new-out.folded -o new.cprof
expect_rc 0 "diff with -o"
if command -v xmllint >/dev/null; then
	xmllint --noout diff.svg || fail "the differential flame graph is not well-formed XML"
else
	info "no xmllint: the SVG is not validated"
fi
assert_grep diff.svg '<title>cprof diff: base\.folded vs new\.folded</title>' "default title"
assert_grep diff.svg 'vs base of 400: red grew, blue shrank' "subtitle"
# Widths from the new profile, shares compared with the base's.
assert_grep diff.svg '<title>hot \(400 samples, 40\.00%; base 25\.00%, \+15\.00%\)</title>' "hot's frame"
assert_grep diff.svg '<title>other \(200 samples, 20\.00%; base 37\.50%, -17\.50%\)</title>' "other's frame"
assert_grep diff.svg '<title>newfn \(100 samples, 10\.00%; base 0\.00%, \+10\.00%\)</title>' "a new frame"
assert_grep diff.svg 'fill="rgb\(255,[0-9]+,[0-9]+\)"' "red fills (grew)"
assert_grep diff.svg 'fill="rgb\([0-9]+,[0-9]+,255\)"' "blue fills (shrank)"
# Each frame's colour: hot (the most grown) saturated red, other saturated blue.
hot_fill=$(grep '<title>hot ' diff.svg | sed 's/.*fill="\([^"]*\)".*/\1/')
other_fill=$(grep '<title>other ' diff.svg | sed 's/.*fill="\([^"]*\)".*/\1/')
parse_fill=$(grep '<title>parse ' diff.svg | sed 's/.*fill="\([^"]*\)".*/\1/')
assert_match "$hot_fill" '^rgb\(255,([0-9]|[0-9][0-9]|1[0-9][0-9]),' "hot is red"
assert_eq "$other_fill" "rgb(60,60,255)" "other is the bluest"
assert_eq "$parse_fill" "rgb(235,235,235)" "parse, unchanged, is grey"
# Folded output is the new profile as it is.
sort new.folded >want.folded
diff -u want.folded new-out.folded || fail "folded output of a diff is not the new profile"

# A recording and folded stacks compare alike (content tells them apart).
run_cprof diff base.folded new.cprof
expect_rc 0 "diff against a .cprof made from folded stacks"
sed 's/new\.folded/new.cprof/' want.txt >want-cprof.txt
diff -u want-cprof.txt "$OUT" || fail "folded vs .cprof report"

# CR LF line ends and standard input.
sed 's/$/\r/' new.folded >crlf.folded
run_cprof diff base.folded crlf.folded
expect_rc 0 "CR LF"
diff -u <(sed 's/new\.folded/crlf.folded/' want.txt) "$OUT" || fail "CR LF report"
RC=0
# shellcheck disable=SC2034 # RC is read by expect_rc
"$CPROF" diff base.folded - <new.folded >"$OUT" 2>"$ERR" || RC=$?
expect_rc 0 "NEW from standard input"
diff -u <(sed 's/new\.folded/-/' want.txt) "$OUT" || fail "standard input report"

# ---- bad input: one line, exit 1 ----

bad_input() { # FILE ERE WHAT
	run_cprof diff "$1" new.folded
	expect_rc 1 "$3"
	expect_error_line "^cprof: cannot read '$1': $2" "$3"
	run_cprof diff base.folded "$1"
	expect_rc 1 "$3 (as NEW)"
	expect_error_line "^cprof: cannot read '$1': $2" "$3 (as NEW)"
}

printf 'main;a 1\nmain;b 2\nmain;c\n' >nocount.folded
bad_input nocount.folded 'line 3: no sample count' "a line without a count"
printf 'main;a 1\nmain;b 2.5\n' >float.folded
bad_input float.folded "line 2: sample count '2\\.5' is not a whole number" "a fractional count"
printf 'main;;a 1\n' >emptyframe.folded
bad_input emptyframe.folded 'line 1: frame 2 is empty' "an empty frame"
printf 'main;a 1 2\n' >twocounts.folded
bad_input twocounts.folded 'line 1: two sample counts \(1 and 2\)' "a differential line"
printf 'main;a 1\nma\0in 2\n' >nul.folded
bad_input nul.folded 'line 2: a NUL byte' "a NUL byte"
printf 'main;a 99999999999999999999\n' >huge.folded
bad_input huge.folded 'line 1: sample count 99999999999999999999 is too large' "a huge count"
bad_input diff.svg 'neither a cprof recording nor folded stacks, but an SVG file' "an SVG file"
gzip -c new.folded >new.folded.gz
bad_input new.folded.gz 'neither a cprof recording nor folded stacks, but gzip' "a gzip file"
head -c 40 new.cprof >truncated.cprof
bad_input truncated.cprof 'truncated' "a truncated recording"
head -c 4 new.cprof >stub.cprof
bad_input stub.cprof 'truncated recording \(4 bytes\)' "the start of a recording"
# One byte changed in the middle: the checksum catches it.
size=$(stat -c %s new.cprof)
cp new.cprof corrupt.cprof
printf '\x55' | dd of=corrupt.cprof bs=1 seek=$((size / 2)) conv=notrunc status=none
cmp -s new.cprof corrupt.cprof && printf '\xaa' |
	dd of=corrupt.cprof bs=1 seek=$((size / 2)) conv=notrunc status=none
bad_input corrupt.cprof '.+' "a damaged recording"
bad_input missing.folded 'No such file or directory' "a missing file"
mkdir adir
bad_input adir 'Is a directory' "a directory"
: >empty.folded
run_cprof diff base.folded empty.folded
expect_rc 1 "an empty file"
expect_error_line "^cprof: 'empty.folded' has no samples: nothing to compare$" "an empty file"

# ---- bad options: exit 2 ----

for t in abc -1 101 '' nan inf 5% 1e999; do
	run_cprof diff --threshold "$t" base.folded new.folded
	expect_rc 2 "--threshold '$t'"
	expect_error_line "^cprof: --threshold: " "--threshold '$t'"
done
run_cprof diff --top x base.folded new.folded
expect_rc 2 "--top x"
run_cprof diff --by file base.folded new.folded
expect_rc 2 "--by file"
expect_error_line "^cprof: --by: 'file' is neither 'function' nor 'line'$" "--by file"
run_cprof diff base.folded
expect_rc 2 "one profile"
expect_error_line '^cprof: diff: which profiles\?' "one profile"
run_cprof diff base.folded new.folded new.folded
expect_rc 2 "three profiles"
run_cprof diff - -
expect_rc 2 "both on standard input"
run_cprof diff -o out.nosuchformat base.folded new.folded
expect_rc 2 "an output of unknown format"
run_cprof diff --title x base.folded new.folded
expect_rc 2 "--title without -o"
run_cprof diff --no-such-option base.folded new.folded
expect_rc 2 "an unknown option"

run_cprof diff --help
expect_rc 0 "--help"
assert_grep "$OUT" '^usage: cprof diff \[options\] BASE NEW$' "usage line"
assert_grep "$OUT" '--threshold PCT' "--threshold in --help"
run_cprof --help
assert_grep "$OUT" '^  diff ' "diff in the command list"
