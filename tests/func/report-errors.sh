#!/bin/bash
# cprof report on files that are not good recordings: truncated at many
# offsets, bytes flipped, other formats, missing files; and bad command
# lines. Each fails with the documented status and one 'cprof: ' line on
# stderr, nothing on stdout, and never crashes. Runs the binary in $CPROF,
# so `CPROF=build-asan/cprof` checks it under the sanitizers.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 is not installed"
skip_unless_ptrace

start_target t-threads O2
good=$T/good.cprof
run_cprof record -q --idle -p "$TARGET_PID" -d 1 -o "$good" -o "$T/good.svg"
expect_rc 0 "record"
stop_target
size=$(stat -c %s "$good")
info "recording of $size bytes"

# refused FILE WHAT [ERE]: report fails with 1 and one message line
refused() {
	run_cprof report "$1"
	expect_rc 1 "$2"
	expect_error_line "^cprof: cannot read '.*': ${3:-.*}" "$2"
	[ -s "$OUT" ] && { show "$OUT"; fail "$2: output on stdout"; }
	return 0
}

# Truncated: every offset of the header, then about 60 more (the unit
# tests cover every offset).
step=$(( size / 60 + 1 ))
for ((n = 0; n < size; n += (n < 40 ? 1 : step))); do
	head -c "$n" "$good" >"$T/cut.cprof"
	if [ "$n" -lt 8 ]; then
		refused "$T/cut.cprof" "truncated to $n bytes" 'not a cprof recording'
	else
		refused "$T/cut.cprof" "truncated to $n bytes" 'truncated recording'
	fi
done

# Flipped bytes: everywhere the checksum covers, a few ways each.
python3 - "$good" "$T/flip" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
step = max(1, len(data) // 50)
n = 0
for i in list(range(8, min(len(data), 40))) + list(range(40, len(data), step)):
    for x in (0x01, 0xff):
        d = bytearray(data)
        d[i] ^= x
        open(f"{sys.argv[2]}.{n}.cprof", "wb").write(d)
        n += 1
PY
for f in "$T"/flip.*.cprof; do
	refused "$f" "$(basename "$f")"
done

# Damage behind a valid checksum is the unit tests' job (test-recfile);
# here: a newer format version, with the checksum fixed up.
python3 - "$good" "$T/newer.cprof" <<'PY'
import struct, sys, zlib
d = bytearray(open(sys.argv[1], "rb").read())
d[8:12] = struct.pack("<I", 99)
d[-4:] = struct.pack("<I", zlib.crc32(bytes(d[:-4])))
open(sys.argv[2], "wb").write(d)
PY
refused "$T/newer.cprof" "newer version" 'recording from a newer cprof \(format version 99'

# Other files.
refused "$T/good.svg" "an SVG file" 'not a cprof recording but an SVG file'
: >"$T/empty.cprof"
refused "$T/empty.cprof" "an empty file" 'not a cprof recording \(empty file\)'
refused "$T/nonexistent.cprof" "a missing file" 'No such file or directory'
refused "$T" "a directory" 'Is a directory'

# Command lines.
usage() {
	run_cprof report "$@"
	expect_rc 2 "report $*"
	expect_error_line "^cprof: " "report $*"
}
usage
usage "$good" "$good"
usage "$good" --top x
usage "$good" --by file
usage "$good" --sort name
usage "$good" --json -o "$T/x.svg"
usage "$good" --format svg
usage "$good" --threads
usage "$good" -o "$T/x.unknown"
usage "$good" -o "$T/nodir/x.svg"

run_cprof report --help
expect_rc 0 "report --help"
assert_grep "$OUT" '^usage: cprof report' "help text"

# And the good file still reads.
run_cprof report "$good" --json
expect_rc 0 "report of the good recording"
