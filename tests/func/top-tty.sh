#!/bin/bash
# The full-screen view of cprof top, driven through tmux: the hot function
# at the top, keys that re-sort, switch to lines, filter a thread and show
# the help, and a terminal restored (settings, cursor, normal screen) after
# q and after SIGTERM, SIGINT and SIGHUP.
. "$(dirname "$0")/lib.sh"

command -v tmux >/dev/null || skip "tmux is not installed"
skip_unless_ptrace

SOCK=$T/tmux.sock
tm() {
	tmux -S "$SOCK" "$@"
}
trap 'tm kill-server 2>/dev/null || true; _cleanup' EXIT

PROMPT='top-test$ '
PROMPT_RE='^top-test\$'
tm -f /dev/null new-session -d -x 120 -y 40 -s top \
	"env PS1='$PROMPT' HOME='$T' HISTFILE=/dev/null bash --norc --noprofile"

screen() {
	tm capture-pane -p -t top
}

# wait_screen ERE WHAT: until some line of the screen matches (15 s at most).
wait_screen() {
	local i
	for ((i = 0; i < 150; i++)); do
		screen >"$T/screen"
		grep -Eq -- "$1" "$T/screen" && return 0
		sleep 0.1
	done
	show "$T/screen"
	fail "$2: the screen never showed /$1/"
}

# The first row of the table: the line after the column titles. The whole
# screen is left in $T/screen.
first_row() {
	screen >"$T/screen"
	awk '/Function \(/ { getline; print; exit }' "$T/screen"
}

# wait_first ERE WHAT: until the first row of the table matches.
wait_first() {
	local i
	for ((i = 0; i < 150; i++)); do
		first_row >"$T/row"
		grep -Eq -- "$1" "$T/row" && return 0
		sleep 0.1
	done
	show "$T/screen"
	fail "$2: the first row never matched /$1/"
}

# wait_file FILE WHAT: until FILE exists and is not empty (15 s at most).
wait_file() {
	local i
	for ((i = 0; i < 150; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	screen >"$T/screen"
	show "$T/screen"
	fail "$2"
}

# The terminal is back as it was: shell prompt, normal screen, cursor shown,
# the same stty settings.
assert_restored() {
	wait_screen "$PROMPT_RE" "$1: shell prompt"
	assert_eq "$(tm display -p -t top '#{alternate_on}')" 0 "$1: alternate screen left"
	assert_eq "$(tm display -p -t top '#{cursor_flag}')" 1 "$1: cursor shown"
	rm -f "$T/stty.after"
	tm send-keys -t top "stty -a >'$T/stty.after'" Enter
	wait_file "$T/stty.after" "$1: stty did not run"
	sleep 0.2
	diff "$T/stty.before" "$T/stty.after" >"$T/stty.diff" ||
		{ show "$T/stty.diff"; fail "$1: terminal settings changed"; }
}

wait_screen "$PROMPT_RE" "the shell in tmux"
tm send-keys -t top "stty -a >'$T/stty.before'" Enter
wait_file "$T/stty.before" "stty did not run"

start_target t-threads O2 1
ROW='^ +[0-9.]+% +[0-9.]+% +[0-9.]+s +[0-9.]+s  '

info "keys"
tm send-keys -t top "'$CPROF' top --delay 0.3 -p $TARGET_PID; echo \"rc=\$?\" >'$T/rc'" Enter
wait_first "${ROW}spin_a \(t-threads\.c\)$" "spin_a first by OwnTime"
assert_grep "$T/screen" '\*OwnTime +TotalTime +Function \(file\)' "OwnTime marked as the sort"
assert_eq "$(tm display -p -t top '#{alternate_on}')" 1 "alternate screen in use"

tm send-keys -t top 2
wait_screen '\*%Total +OwnTime' "the marker moved to %Total"
assert_grep "$T/screen" 'sorted by %Total' "the view line names %Total"
wait_first "^ +[0-9.]+% +100\.0% " "a 100% caller first by %Total"
first_row | grep -q ' spin_a ' && fail "spin_a still first when sorted by %Total"

tm send-keys -t top L
wait_screen 'Function \(file:line\)' "L: by line"
wait_first "${ROW}.* \([^ ]+:[0-9]+\)$" "rows with file:line"

tm send-keys -t top 3 t
wait_screen 'View +by line, thread [0-9]+ worker_a, sorted by OwnTime' "t: one thread"
wait_first "${ROW}spin_a \(t-threads\.c:[0-9]+\)$" "spin_a first in its thread"

tm send-keys -t top '?'
wait_screen '^Keys$' "? shows the help"
tm send-keys -t top x
wait_screen 'Function \(file:line\)' "any key closes the help"

tm send-keys -t top ' '
wait_screen 'PAUSED' "space pauses"

tm send-keys -t top q
wait_file "$T/rc" "q did not end cprof top"
assert_eq "$(cat "$T/rc")" "rc=0" "exit status after q"
assert_restored "after q"
assert_running "$TARGET_PID"

for sig in TERM INT HUP; do
	info "SIG$sig"
	rm -f "$T/rc" "$T/pid"
	# exec keeps cprof in the foreground with a pid we know.
	tm send-keys -t top "clear; sh -c 'echo \$\$ >\"$T/pid\"; exec \"$CPROF\" top --delay 0.3 -p $TARGET_PID'; echo \"rc=\$?\" >'$T/rc'" Enter
	wait_first "${ROW}spin_a " "spin_a first before SIG$sig"
	kill -"$sig" "$(cat "$T/pid")"
	wait_file "$T/rc" "cprof top did not end on SIG$sig"
	assert_eq "$(cat "$T/rc")" "rc=0" "exit status after SIG$sig"
	assert_restored "after SIG$sig"
	assert_running "$TARGET_PID"
done
stop_target
