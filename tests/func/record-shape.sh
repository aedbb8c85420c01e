#!/bin/bash
# The shape of record's stacks on t-threads, from its folded output:
#
#   --threads       every line starts with a root frame [thread TID NAME] of
#                   a real thread of the target (id and name); the SVG has
#                   the same root frames
#   worker stacks   at O2 (-fomit-frame-pointer: DWARF CFI) and O0, at least
#                   90% of each worker's samples read exactly
#                   ...;start_thread;...;worker_X;level_X1;level_X2;spin_X
#   --tid LIST      only the listed threads are sampled
#   --thread-name   only threads whose name matches the regex
#   --idle          the sleeper and the reader, which never run, are
#                   sampled in their blocking calls:
#                   sleeper_main;sleep_forever;...nanosleep and
#                   reader_main;wait_pipe;...read; main in wait_for_stop
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

# tid_of NAME: the id of the target's thread called NAME.
tid_of() {
	local d
	for d in /proc/"$TARGET_PID"/task/*; do
		[ "$(cat "$d/comm" 2>/dev/null)" = "$1" ] && basename "$d" && return 0
	done
	fail "t-threads has no thread '$1'"
}

# roots FILE: the distinct root frames of a folded file.
roots() {
	sed 's/;.*//' "$1" | sort -u
}

# samples FILE ERE: the samples of the lines of FILE matching ERE.
samples() {
	RE=$2 awk '$0 ~ ENVIRON["RE"] { n += $NF } END { print n + 0 }' "$1"
}

check_shape() {
	local opt=$1
	local f=$T/shape-$1.folded svg=$T/shape-$1.svg x tid name all good d
	start_target t-threads "$opt"
	for d in /proc/"$TARGET_PID"/task/*; do
		echo "$(basename "$d") $(cat "$d/comm")"
	done >"$T/tasks.$opt"
	run_cprof record -p "$TARGET_PID" -t -d 1 -o "$f" -o "$svg"
	expect_rc 0 "record --threads t-threads ($opt)"
	stop_target

	# Every line has a thread root, each a thread of the target.
	assert_no_grep "$f" '^[^[]' "$opt: a line without a [thread ...] root frame"
	roots "$f" >"$T/roots"
	while IFS= read -r x; do
		[[ $x =~ ^\[thread\ ([0-9]+)\ (.+)\]$ ]] || fail "$opt: root frame '$x' is not [thread TID NAME]"
		tid=${BASH_REMATCH[1]}
		name=${BASH_REMATCH[2]}
		[ "$name" = "$(grep -x "$tid .*" "$T/tasks.$opt" | cut -d' ' -f2-)" ] || {
			show "$T/tasks.$opt"
			fail "$opt: root frame '$x' is not a thread of t-threads"
		}
		grep -qF "$x" "$svg" || fail "$opt: '$x' is not in the SVG"
	done <"$T/roots"

	for x in a b c; do
		tid=$(awk -v n="worker_$x" '$2 == n { print $1 }' "$T/tasks.$opt")
		all=$(samples "$f" "^\\[thread $tid worker_$x\\];")
		good=$(samples "$f" "^\\[thread $tid worker_$x\\];(.*;)?start_thread;(.*;)?worker_$x;level_${x}1;level_${x}2;spin_$x [0-9]+\$")
		info "$opt: worker_$x: $good of $all samples in the full stack"
		[ "$all" -ge 3 ] || {
			show "$f"
			fail "$opt: only $all samples of worker_$x"
		}
		[ $((good * 100)) -ge $((all * 90)) ] || {
			show "$f"
			fail "$opt: worker_$x: only $good of $all samples read start_thread;...;worker_$x;level_${x}1;level_${x}2;spin_$x"
		}
	done
}

check_idle() {
	local opt=$1
	local f=$T/idle-$1.folded ts tr tm
	start_target t-threads "$opt"
	ts=$(tid_of sleeper)
	tr=$(tid_of reader)
	tm=$TARGET_PID
	run_cprof record -p "$TARGET_PID" --idle -t -d 1 -o "$f"
	expect_rc 0 "record --idle t-threads ($opt)"
	stop_target
	assert_grep "$f" "^\\[thread $ts sleeper\\];(.*;)?start_thread;sleeper_main;sleep_forever;([^;]*;)*[^;]*nanosleep[^;]* [0-9]+\$" \
		"$opt: --idle: the sleeper in nanosleep"
	assert_grep "$f" "^\\[thread $tr reader\\];(.*;)?start_thread;reader_main;wait_pipe;([^;]*;)*[^;]*read[^;]* [0-9]+\$" \
		"$opt: --idle: the reader in read"
	assert_grep "$f" "^\\[thread $tm t-threads\\];(.*;)?main;wait_for_stop;([^;]*;)*[^;]*sig[^;]* [0-9]+\$" \
		"$opt: --idle: main in sigwait"
	# Blocked all along: never anywhere else.
	assert_no_grep "$f" "^\\[thread $ts [^]]*\\];(.*;)?(worker|spin|level|reader|wait_pipe)" \
		"$opt: --idle: the sleeper's stacks"
}

# filtered LABEL CPROF-OPTIONS... -- TID...: a recording with the options
# samples only the given threads (and at least one of them).
filtered() {
	local label=$1 f=$T/filtered.folded x tid ok
	shift
	local opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	run_cprof record -p "$TARGET_PID" -t -d 0.5 "${opts[@]}" -o "$f"
	expect_rc 0 "record $label"
	[ -s "$f" ] || {
		show "$ERR"
		fail "$label: no samples"
	}
	roots "$f" >"$T/roots"
	while IFS= read -r x; do
		ok=0
		for tid in "$@"; do
			case $x in "[thread $tid "*) ok=1 ;; esac
		done
		[ $ok = 1 ] || {
			show "$f"
			fail "$label: a sample of $x, not one of the threads asked for ($*)"
		}
	done <"$T/roots"
	info "$label: $(paste -sd' ' "$T/roots")"
}

for opt in $OPTS; do
	check_shape "$opt"
	check_idle "$opt"
done

start_target t-threads O2
a=$(tid_of worker_a)
b=$(tid_of worker_b)
c=$(tid_of worker_c)
filtered "--tid $b" --tid "$b" -- "$b"
filtered "--tid $a,$c" --tid "$a,$c" -- "$a" "$c"
filtered "--thread-name '^worker_[bc]\$'" --thread-name '^worker_[bc]$' -- "$b" "$c"
stop_target
