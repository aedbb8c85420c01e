#!/bin/bash
# record -o x.svg -o x.json -o x.folded -o x.txt: one recording of t-threads
# (O0 and O2) in every text format, each checked by a reader that is not
# cprof's:
#
#   speedscope  validates against the official schema shipped in the
#               speedscope npm package (ajv); speedscope's own importer reads
#               it; one sampled profile per thread, named Thread TID "NAME"
#               with the target's real thread ids and names, a profile for
#               each worker; frames of t-threads.c carry its file and the
#               line where the function is defined; stacks root first
#               (clone3/start_thread first, spin_X last); every weight one
#               period, endValue their sum (tests/tools/check-speedscope.js)
#   folded      strict parse (tests/tools/parse-folded.js) and speedscope's
#               collapsed-stack importer agree on every stack and count, and
#               those are the speedscope samples, stack for stack; .txt is
#               the same bytes; the total is the summary's sample count
#   svg         well-formed for xmllint, names the workers' functions
#
# --format overrides the extension (-f speedscope -o a.svg -o b.folded gives
# two speedscope files) and names the default output (cprof-PID-DATE-TIME.folded).
. "$(dirname "$0")/lib.sh"

command -v xmllint >/dev/null || skip "xmllint is not installed (libxml2-utils)"
command -v node >/dev/null || skip "node is not installed"
NPM=
for d in "$B/npm/node_modules" "$SRCDIR/build/npm/node_modules"; do
	if [ -f "$d/speedscope/dist/release/file-format-schema.json" ] && [ -d "$d/ajv" ]; then
		NPM=$d
		break
	fi
done
[ -n "$NPM" ] || skip "the speedscope and ajv npm packages are not installed (B=$B scripts/install-deps.sh test)"
skip_unless_ptrace

RATE=100
TOOLS=$SRCDIR/tests/tools
SRC=$SRCDIR/tests/targets/t-threads.c

# check_speedscope JSON [ARGS...]: check-speedscope.js, listing in $T/ss.txt.
check_speedscope() {
	local json=$1
	shift
	node "$TOOLS/check-speedscope.js" --npm "$NPM" "$@" "$json" >"$T/ss.txt" 2>"$T/ss.err" || {
		show "$T/ss.err"
		fail "$(basename "$json"): $(head -n 1 "$T/ss.err")"
	}
	if grep -q '^note' "$T/ss.txt"; then
		info "$(grep '^note' "$T/ss.txt" | cut -f2-)"
	fi
}

# The thread ids and names of the target, "TID NAME" per line, in $T/tasks.
list_tasks() {
	local d
	: >"$T/tasks"
	for d in /proc/"$1"/task/*; do
		echo "$(basename "$d") $(cat "$d/comm")" >>"$T/tasks"
	done
}

check_formats() {
	local opt=$1 x=$T/$1/x name tid w f line total n
	mkdir -p "$T/$opt"
	start_target t-threads "$opt"
	list_tasks "$TARGET_PID"
	run_cprof record -p "$TARGET_PID" -r $RATE -d 1 -o "$x.svg" -o "$x.json" -o "$x.folded" -o "$x.txt"
	expect_rc 0 "record t-threads ($opt)"
	stop_target
	assert_grep "$ERR" "wrote $x.svg, $x.json, $x.folded, $x.txt\$" "the summary names every output"

	xmllint --noout "$x.svg" || fail "$opt: the SVG is not well-formed XML"
	for f in spin_a spin_b spin_c; do
		grep -q "$f" "$x.svg" || fail "$opt: $f is not in the SVG"
	done
	cmp -s "$x.folded" "$x.txt" || fail "$opt: .folded and .txt outputs of one recording differ"

	check_speedscope "$x.json" --rate $RATE --folded "$x.folded"
	cp "$T/ss.txt" "$T/$opt/ss.txt"

	# Profiles: real threads of the target, by id and name; each worker.
	awk -F'\t' '$1 == "profile" { print $2, $3 }' "$T/ss.txt" >"$T/profiles"
	while read -r tid name; do
		grep -qx "$tid $name" "$T/tasks" || {
			show "$T/tasks" "$T/profiles"
			fail "$opt: profile 'Thread $tid \"$name\"' is not a thread of the target"
		}
	done <"$T/profiles"
	for w in a b c; do
		tid=$(awk -v n="worker_$w" '$2 == n { print $1 }' "$T/tasks")
		grep -qx "$tid worker_$w" "$T/profiles" || {
			show "$T/profiles"
			fail "$opt: no profile for worker_$w (tid $tid)"
		}
	done

	# Frames of the target: its source file, and the line that defines them.
	for f in worker_a level_a1 level_a2 spin_a worker_b level_b1 level_b2 spin_b \
		worker_c level_c1 level_c2 spin_c; do
		line=$(awk -F'\t' -v f="$f" '$1 == "frame" && $2 == f && $3 ~ /\/t-threads\.c$/ { print $4; exit }' \
			"$T/ss.txt")
		[ -n "$line" ] || {
			show "$T/ss.txt"
			fail "$opt: no frame $f with file t-threads.c and a line"
		}
		sed -n "${line}p" "$SRC" | grep -q "[ *]$f(" ||
			fail "$opt: frame $f says t-threads.c:$line, which is '$(sed -n "${line}p" "$SRC")'"
	done

	# Root first: a worker's stacks start in clone3/start_thread and go
	# down in call order; those in spin_X end there.
	awk -F'\t' '$1 == "stack" {
		n = split($4, fr, ";")
		delete pos
		for (i = 1; i <= n; i++) pos[fr[i]] = i
		for (w = 0; w < 3; w++) {
			x = substr("abc", w + 1, 1)
			if (!(("worker_" x) in pos)) continue
			if (fr[1] !~ /^(__)?(GI_+)?(clone3?|start_thread)$/) { print "root " $4; bad = 1 }
			chain = "start_thread worker_" x " level_" x "1 level_" x "2 spin_" x
			m = split(chain, c, " ")
			for (i = 2; i <= m; i++)
				if ((c[i - 1] in pos) && (c[i] in pos) && pos[c[i - 1]] >= pos[c[i]]) {
					print "order " $4; bad = 1
				}
			if (("spin_" x) in pos && pos["spin_" x] != n) { print "leaf " $4; bad = 1 }
			if (("spin_" x) in pos) leaf++
		}
	}
	END { exit bad || !leaf }' "$T/ss.txt" >"$T/order" || {
		show "$T/order"
		fail "$opt: speedscope stacks are not root first (or none ends in spin_X)"
	}

	# Totals: speedscope samples = folded counts (checked stack by stack
	# above) = the summary's count.
	total=$(awk -F'\t' '$1 == "profile" { n += $4 } END { print n + 0 }' "$T/ss.txt")
	assert_eq "$(awk -F'\t' '$1 == "folded" { print $3 }' "$T/ss.txt")" "$total" \
		"$opt: folded total vs speedscope samples"
	n=$(sed -n 's/^cprof: recorded \([0-9]*\) samples.*/\1/p' "$ERR")
	assert_eq "$total" "$n" "$opt: speedscope samples vs the summary"
	[ "$total" -gt 0 ] || fail "$opt: no samples"
	info "$opt: $(wc -l <"$T/profiles") profiles, $total samples"
}

check_override() {
	local pid d=$T/default
	start_target t-threads O2
	pid=$TARGET_PID
	run_cprof record -p "$pid" -r $RATE -d 0.5 -f speedscope -o "$T/fa.svg" -o "$T/fb.folded"
	expect_rc 0 "record --format speedscope"
	for f in fa.svg fb.folded; do
		check_speedscope "$T/$f" --rate $RATE
	done

	# Without -o: the default name gets the format's extension.
	mkdir -p "$d"
	cd "$d" || framework_failure "cd $d"
	run_cprof record -p "$pid" -r $RATE -d 0.5 --format folded
	cd "$SRCDIR" || framework_failure "cd $SRCDIR"
	expect_rc 0 "record --format folded without -o"
	stop_target
	ls "$d" >"$T/default.ls"
	assert_lines "$T/default.ls" 1 "--format folded without -o: files written"
	assert_grep "$T/default.ls" "^cprof-$pid-[0-9]{8}-[0-9]{6}\\.folded\$" "the default output's name"
	node "$TOOLS/parse-folded.js" "$d"/cprof-*.folded >"$T/pf.out" 2>&1 || {
		show "$T/pf.out"
		fail "the default output is not folded stacks"
	}
	assert_grep "$ERR" "wrote cprof-$pid-.*\\.folded\$" "the summary names the default output"
}

for opt in $OPTS; do
	check_formats "$opt"
done
check_override
