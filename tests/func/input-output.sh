#!/bin/bash
# Output paths that cannot be written (record-errors.sh has the missing
# directory and other bad names):
#
#   checked first   a read-only file system, a directory nobody may write
#                   in or reach, a path through a file, a crash report in a
#                   missing directory: exit 2 and one "cprof: " line before
#                   anything runs, naming the reason
#   full disk       a tmpfs of 256 KiB, filled up: every output on it fails
#                   with "No space left on device", exit 1, while outputs
#                   elsewhere are written; the good files that were at
#                   those paths before are still there, byte for byte (the
#                   writes go to a temporary file renamed over the old one
#                   only when complete), and no temporary file is left
#                   behind. The same for cprof report -o.
#
# The file system cases need root (mount, setpriv); they are skipped
# otherwise.
. "$(dirname "$0")/lib.sh"

skip_unless_ptrace

MOUNTS=
NOBODY_DIR=
# shellcheck disable=SC2154 # m is the loop's, when the trap runs
trap 'for m in $MOUNTS; do umount "$m" 2>/dev/null; done; rm -rf "$NOBODY_DIR"; _cleanup' EXIT

# refused WHAT ERE ARGS...: cprof ARGS exits 2 with one line matching ERE.
refused() {
	local what=$1 ere=$2
	shift 2
	run_cprof "$@"
	expect_rc 2 "$what"
	expect_error_line "$ere" "$what"
}

# ---- checked before anything runs ----
refused "a path through a file" "-o '/etc/passwd/x.svg': directory '/etc/passwd' does not exist" \
	record -o /etc/passwd/x.svg -- touch "$T/ran"
refused "--on-crash in a missing directory" \
	"--on-crash '$T/missing/crash.txt': directory '$T/missing' does not exist" \
	record --on-crash "$T/missing/crash.txt" -- touch "$T/ran"
refused "--on-crash naming a directory" "--on-crash '$T': is a directory" \
	record --on-crash "$T" -- touch "$T/ran"
[ ! -e "$T/ran" ] || fail "the command ran although an output path was bad"

root=
[ "$(id -u)" = 0 ] && mkdir -p "$T/ro" && mount -t tmpfs -o ro,size=64k none "$T/ro" 2>/dev/null &&
	root=yes
if [ -n "$root" ]; then
	MOUNTS="$MOUNTS $T/ro"
	refused "a read-only file system" \
		"-o '$T/ro/x.svg': cannot write in directory '$T/ro': Read-only file system" \
		record -o "$T/ro/x.svg" -- touch "$T/ran"
	refused "a crash report on a read-only file system" \
		"--on-crash '$T/ro/c.txt': cannot write in directory '$T/ro': Read-only file system" \
		record --on-crash "$T/ro/c.txt" -- touch "$T/ran"
	[ ! -e "$T/ran" ] || fail "the command ran although an output path was bad"
else
	info "not root, or no tmpfs mounts here: read-only and full file systems not tested"
fi

if [ -n "$root" ] && command -v setpriv >/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CPROF" --version >/dev/null 2>&1; then
	NOBODY_DIR=$(mktemp -d /tmp/cprof-nobody.XXXXXX)
	chmod 755 "$NOBODY_DIR"
	mkdir -m 700 "$NOBODY_DIR/private"
	mkdir "$NOBODY_DIR/private/sub"
	as_nobody() {
		RC=0
		setpriv --reuid=65534 --regid=65534 --clear-groups "$CPROF" "$@" \
			>"$OUT" 2>"$ERR" </dev/null || RC=$?
	}
	as_nobody record -o "$NOBODY_DIR/x.folded" -- true
	expect_rc 2 "a directory nobody may not write in"
	expect_error_line "-o '$NOBODY_DIR/x.folded': cannot write in directory '$NOBODY_DIR': Permission denied" \
		"a directory nobody may not write in"
	as_nobody record -o "$NOBODY_DIR/private/sub/x.folded" -- true
	expect_rc 2 "a directory nobody may not reach"
	expect_error_line "-o '$NOBODY_DIR/private/sub/x.folded': cannot reach directory '$NOBODY_DIR/private/sub': Permission denied" \
		"a directory nobody may not reach"
else
	info "cannot run cprof as nobody: unwritable directories not tested"
fi

[ -n "$root" ] || exit 0

# ---- a full disk ----
FULL=$T/full
mkdir "$FULL"
mount -t tmpfs -o size=256k none "$FULL" || framework_failure "cannot mount a tmpfs"
MOUNTS="$FULL $MOUNTS"

# Good outputs first, from a short recording: kept aside and on the tmpfs.
start_target t-harm-busy O2 2 "$T/progress"
run_cprof record -q -p "$TARGET_PID" -d 0.5 -o "$T/good.svg" -o "$T/good.json" \
	-o "$T/good.folded" -o "$T/good.cprof"
expect_rc 0 "the first recording"
for f in svg json folded cprof; do
	[ -s "$T/good.$f" ] || fail "the first recording wrote no $f"
	cp "$T/good.$f" "$FULL/p.$f"
done
# Fill the rest.
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null || true
: >>"$FULL/filler2" 2>/dev/null || true
head -c 4096 /dev/zero >>"$FULL/filler2" 2>/dev/null &&
	framework_failure "the tmpfs is not full"

# intact LABEL: the old files are there as they were, and nothing else.
intact() {
	local f
	for f in svg json folded cprof; do
		cmp -s "$T/good.$f" "$FULL/p.$f" || fail "$1: the good $f was replaced"
	done
	if find "$FULL" -name '*.tmp.*' | grep -q .; then
		ls -la "$FULL"
		fail "$1: temporary files left behind"
	fi
}

run_cprof record -p "$TARGET_PID" -d 0.5 -o "$FULL/p.svg" -o "$FULL/p.json" \
	-o "$FULL/p.folded" -o "$FULL/p.cprof" -o "$T/elsewhere.folded"
expect_rc 1 "record onto a full disk"
for f in svg json folded cprof; do
	assert_grep "$ERR" "^cprof: cannot write '$FULL/p\.$f': No space left on device\$" \
		"record: the error for the $f output"
done
[ -s "$T/elsewhere.folded" ] || fail "record: the output on another file system was not written"
assert_grep "$ERR" "^cprof: wrote $T/elsewhere\.folded\$" "record: what was written"
intact record
stop_target

run_cprof report "$T/good.cprof" -o "$FULL/p.svg" -o "$FULL/p.folded"
expect_rc 1 "report onto a full disk"
assert_grep "$ERR" "^cprof: cannot write '$FULL/p\.svg': No space left on device\$" \
	"report: the error for the svg output"
intact report

# Space again: the same paths are written.
rm -f "$FULL/filler" "$FULL/filler2"
run_cprof report "$T/good.cprof" -o "$FULL/p.svg"
expect_rc 0 "report once there is space"
if command -v xmllint >/dev/null; then
	xmllint --noout "$FULL/p.svg" || fail "report once there is space: the SVG is not well-formed"
fi
