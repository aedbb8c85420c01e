#!/bin/sh
# Check that the manual pages document exactly the options --help lists.
#
#   scripts/check-man.sh [CPROF]
#
# CPROF is the binary to ask (default: $CPROF, else build/cprof).
#
# - Every command in `cprof --help` has a page man/cprof-CMD.1, every
#   man/cprof-*.1 belongs to a command, and man/cprof.1 lists every command
#   under COMMANDS.
# - The long options of the `cprof --help` usage line are the ones defined
#   in the OPTIONS section of man/cprof.1.
# - For each command, the options `cprof CMD --help` defines are the ones
#   the OPTIONS section of man/cprof-CMD.1 defines (each .TP tag there), with
#   the same short option and the same argument name.
#
# Exits 0 when everything matches, 1 listing every mismatch, 2 when the
# binary cannot be run.
set -eu

cprof=${1:-${CPROF:-build/cprof}}
case $cprof in
/*) ;;
*/*) cprof=$PWD/$cprof ;;
esac
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
fail=0

mismatch() {
	echo "check-man: $*" >&2
	fail=1
}

# Option definitions in --help text: "  -o, --output PATH   text" or
# "      --tid LIST   text" (continuation lines are indented further and
# never start with '-'). Prints "LONG SHORT ARG", '-' for none.
help_opts() {
	awk '
	match($0, /^ +-/) && RLENGTH <= 9 {
		line = $0
		sub(/^ +/, "", line)
		i = index(line, "  ")
		if (i)
			line = substr(line, 1, i - 1)
		gsub(/,/, " ", line)
		n = split(line, t, " ")
		long = ""; short = "-"; arg = "-"
		for (k = 1; k <= n; k++) {
			if (t[k] ~ /^--[A-Za-z0-9]/)
				long = t[k]
			else if (t[k] ~ /^-[^-]$/)
				short = t[k]
			else if (long != "" && arg == "-")
				arg = t[k]
		}
		if (long != "")
			print long, short, arg
	}' | sort
}

# Tags of the .TP paragraphs in the OPTIONS section of a man page, with
# font escapes, quotes and \- removed. Prints "LONG SHORT ARG".
man_opts() {
	awk '
	/^\.SH/ {
		sec = $0
		sub(/^\.SH +/, "", sec)
		gsub(/"/, "", sec)
		in_opts = (sec == "OPTIONS")
		tag = 0
		next
	}
	!in_opts { next }
	/^\.TP/ { tag = 1; next }
	/^\.\\"/ { next }
	tag {
		tag = 0
		line = $0
		sub(/^\.[A-Za-z]+[ \t]*/, "", line)
		gsub(/\\f\[[^]]*\]/, "", line)
		gsub(/\\f\(../, "", line)
		gsub(/\\f./, "", line)
		gsub(/\\-/, "-", line)
		gsub(/\\&/, "", line)
		gsub(/\\ /, " ", line)
		gsub(/[",]/, " ", line)
		n = split(line, t, " ")
		long = ""; short = "-"; arg = "-"
		for (k = 1; k <= n; k++) {
			if (t[k] ~ /^--[A-Za-z0-9]/)
				long = t[k]
			else if (t[k] ~ /^-[^-]$/)
				short = t[k]
			else if (long != "" && arg == "-")
				arg = t[k]
		}
		if (long != "")
			print long, short, arg
	}' "$1" | sort
}

# Compare two "LONG SHORT ARG" lists: $1 from --help, $2 from the page.
compare() {
	awk -v what="$3" -v page="$4" '
	FNR == NR { h[$1] = $2 " " $3; next }
	{ m[$1] = $2 " " $3 }
	END {
		for (o in h) {
			if (!(o in m)) {
				printf "check-man: %s: %s is in %s but not in the OPTIONS of %s\n", page, o, what, page
				bad = 1
				continue
			}
			split(h[o], a, " ")
			split(m[o], b, " ")
			if (a[1] != b[1]) {
				printf "check-man: %s: %s: short option %s in %s, %s in the page\n", page, o, a[1], what, b[1]
				bad = 1
			}
			if (a[2] != b[2]) {
				printf "check-man: %s: %s: argument %s in %s, %s in the page\n", page, o, a[2], what, b[2]
				bad = 1
			}
		}
		for (o in m) {
			if (!(o in h)) {
				printf "check-man: %s: %s is in the OPTIONS of %s but not in %s\n", page, o, page, what
				bad = 1
			}
		}
		exit bad
	}' "$1" "$2" >"$tmp/out" || true
	if [ -s "$tmp/out" ]; then
		sort "$tmp/out" >&2
		fail=1
	fi
}

if ! "$cprof" --help >"$tmp/main.help" 2>"$tmp/err"; then
	echo "check-man: cannot run '$cprof --help':" >&2
	cat "$tmp/err" >&2
	exit 2
fi

# ---- commands ----------------------------------------------------------

awk '/^Commands:/ { on = 1; next } on && /^$/ { on = 0 } on && NF { print $1 }' \
	"$tmp/main.help" | sort >"$tmp/commands"
if [ ! -s "$tmp/commands" ]; then
	mismatch "no commands found in '$cprof --help'"
	exit 1
fi

for page in man/cprof-*.1; do
	[ -e "$page" ] || continue
	cmd=${page#man/cprof-}
	cmd=${cmd%.1}
	grep -qx "$cmd" "$tmp/commands" ||
		mismatch "$page: '$cmd' is not a command in 'cprof --help'"
done

[ -f man/cprof.1 ] || mismatch "man/cprof.1 is missing"
if [ -f man/cprof.1 ]; then
	# Command names are the .TP tags of the COMMANDS section.
	awk '
	/^\.SH/ { on = ($0 ~ /^\.SH +"?COMMANDS"?$/); tag = 0; next }
	on && /^\.TP/ { tag = 1; next }
	on && tag { tag = 0; sub(/^\.[A-Za-z]+[ \t]*/, ""); gsub(/\\f.|"/, ""); print $1 }
	' man/cprof.1 | sort >"$tmp/man.commands"
	for cmd in $(comm -23 "$tmp/commands" "$tmp/man.commands"); do
		mismatch "man/cprof.1: command '$cmd' is not under COMMANDS"
	done
	for cmd in $(comm -13 "$tmp/commands" "$tmp/man.commands"); do
		mismatch "man/cprof.1: '$cmd' is under COMMANDS but is not a command in 'cprof --help'"
	done

	# Global options: the long options of the usage line.
	awk '/^usage:/ {
		s = $0
		while (match(s, /--[A-Za-z0-9][A-Za-z0-9-]*/)) {
			print substr(s, RSTART, RLENGTH)
			s = substr(s, RSTART + RLENGTH)
		}
	}' "$tmp/main.help" | sort -u >"$tmp/main.long"
	man_opts man/cprof.1 | awk '{ print $1 }' | sort -u >"$tmp/main.man"
	for o in $(comm -23 "$tmp/main.long" "$tmp/main.man"); do
		mismatch "man/cprof.1: $o is in 'cprof --help' but not in OPTIONS"
	done
	for o in $(comm -13 "$tmp/main.long" "$tmp/main.man"); do
		mismatch "man/cprof.1: $o is in OPTIONS but not in 'cprof --help'"
	done
fi

# ---- options of each command --------------------------------------------

while read -r cmd; do
	page=man/cprof-$cmd.1
	if [ ! -f "$page" ]; then
		mismatch "$page is missing (command '$cmd')"
		continue
	fi
	if ! "$cprof" "$cmd" --help >"$tmp/$cmd.help" 2>"$tmp/err"; then
		mismatch "'cprof $cmd --help' failed: $(cat "$tmp/err")"
		continue
	fi
	help_opts <"$tmp/$cmd.help" >"$tmp/$cmd.hopts"
	man_opts "$page" >"$tmp/$cmd.mopts"
	if [ ! -s "$tmp/$cmd.hopts" ]; then
		mismatch "no options found in 'cprof $cmd --help'"
		continue
	fi
	compare "$tmp/$cmd.hopts" "$tmp/$cmd.mopts" "'cprof $cmd --help'" "$page"
done <"$tmp/commands"

if [ "$fail" = 0 ]; then
	echo "check-man: man pages match --help ($(tr '\n' ' ' <"$tmp/commands" | sed 's/ $//'))"
fi
exit "$fail"
