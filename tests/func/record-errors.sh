#!/bin/bash
# cprof record's own bad input: each case exits with the status documented
# in cprof-record(1) (src/cprof.h: 2 bad command line or output path, 3 no
# such process or command) and prints exactly one "cprof: " line on stderr
# naming the problem, nothing on stdout; nothing is written, no command is
# run, and a target given with --pid is left alone.
. "$(dirname "$0")/lib.sh"

[ -x "$CPROF" ] || framework_failure "$CPROF is not built"

# refused STATUS ERE ARGS...: cprof record ARGS fails so.
refused() {
	local status=$1 ere=$2
	shift 2
	run_cprof record "$@"
	expect_rc "$status" "record $*"
	expect_error_line "$ere" "record $*"
	[ ! -s "$OUT" ] || {
		show "$OUT"
		fail "record $*: output on stdout"
	}
}

# A live process to point --pid at, which none of this may touch.
start_target t-idle O2
P=$TARGET_PID
cd "$T" || framework_failure "cd $T"
mkdir out
O=$T/out/x.svg

# What to profile.
refused 2 'nothing to profile' -o "$O"
refused 2 'either --pid or a command' -p "$P" -o "$O" -- "$B/targets/O2/t-idle"
refused 2 "--pid: 'x' is not a number" -p x
refused 2 "option '-p' requires an argument" -p
refused 3 'no process with pid 999999999' -p 999999999 -o "$O"
refused 3 "cannot run '$T/missing': No such file or directory" -o "$O" -- "$T/missing"
refused 3 "cannot run 'cprof-no-such-command': No such file or directory" -o "$O" -- cprof-no-such-command
touch "$T/not-executable"
refused 3 "cannot run '$T/not-executable': Permission denied" -o "$O" -- "$T/not-executable"

# Sampling options.
refused 2 '--rate: 0 is out of range \(1\.\.10000\)' -p "$P" -r 0 -o "$O"
refused 2 '--rate: 10001 is out of range' -p "$P" --rate 10001 -o "$O"
refused 2 "--rate: 'fast' is not a number" -p "$P" -r fast -o "$O"
refused 2 "--rate: '-5' is not a number" -p "$P" -r -5 -o "$O"
refused 2 "--duration: '0' is too short \(at least 1ms\)" -p "$P" -d 0 -o "$O"
refused 2 "--duration: '0.5ms' is too short" -p "$P" --duration 0.5ms -o "$O"
refused 2 "--duration: '9000h' is too long \(at most a year\)" -p "$P" -d 9000h -o "$O"
refused 2 "--duration: '5x' is not a duration" -p "$P" -d 5x -o "$O"
refused 2 "--duration: '-1' is not a duration" -p "$P" -d -1 -o "$O"
refused 2 "--tid: 'abc' is not a list of thread ids" -p "$P" --tid abc -o "$O"
refused 2 "--tid: '5-3' is not a list of thread ids" -p "$P" --tid 5-3 -o "$O"
refused 2 "--tid: '1,,2' is not a list of thread ids" -p "$P" --tid 1,,2 -o "$O"
refused 2 '--tid: empty thread list' -p "$P" --tid '' -o "$O"
# Ids that are no thread of the target: a mistyped id, not an empty profile.
refused 3 "--tid: no thread of pid $P has one of the listed ids" -p "$P" --tid 1-5 -o "$O"
# With --on-crash too, a launched command is found before it is held.
refused 3 "cannot run 'cprof-no-such-command': No such file or directory" \
	--on-crash "$T/crash.txt" -o "$O" -- cprof-no-such-command
refused 2 "--thread-name: '\(' is not a valid regular expression" -p "$P" --thread-name '(' -o "$O"
refused 2 "unknown option '--bogus'" -p "$P" --bogus -o "$O"

# Outputs.
refused 2 "--format: unknown format 'bogus' \(known: svg, speedscope, pprof, folded, cprof\)" \
	-p "$P" --format bogus -o "$O"
refused 2 "-o '$T/out/x.bogus': cannot tell the format from the extension '.bogus'" -p "$P" -o "$T/out/x.bogus"
refused 2 "-o '$T/out/noext': cannot tell the format from a name without extension" -p "$P" -o "$T/out/noext"
refused 2 "-o '$T/out': is a directory" -p "$P" -f folded -o "$T/out"
refused 2 "-o '$T/missing/x.svg': directory '$T/missing' does not exist" -p "$P" -o "$T/missing/x.svg"
refused 2 '-o: empty file name' -p "$P" -o ''
refused 2 "option '-o' requires an argument" -p "$P" -o
# One bad output among good ones: none is written, the command never runs.
refused 2 "-o '$T/missing/x.json': directory '$T/missing' does not exist" \
	-o "$T/out/a.svg" -o "$T/missing/x.json" -- touch "$T/ran"
[ ! -e "$T/ran" ] || fail "the command ran although an output path was bad"

ls -A "$T/out" >"$T/out.ls"
assert_lines "$T/out.ls" 0 "files written by refused recordings"
ls "$T"/cprof-* >/dev/null 2>&1 && fail "a refused recording wrote a default output: $(ls "$T"/cprof-*)"
cd "$SRCDIR" || framework_failure "cd $SRCDIR"
stop_target
assert_eq "$TARGET_STATUS" 143 "t-idle, killed by SIGTERM only at the end"
