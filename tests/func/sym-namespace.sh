#!/bin/bash
# A target in its own mount and PID namespaces (unwind.md P18), started by
# 'unshare -mpf --mount-proc': its binary lies on a tmpfs mounted in its
# namespace only, and the same path outside holds another program (a
# decoy). cprof, outside, reads the binary through /proc/PID/map_files or,
# without the privilege map_files needs, /proc/PID/root, and names every
# frame. A stripped binary whose debug file exists only in the namespace's
# /usr/lib/debug/.build-id is symbolized through /proc/PID/root too, and
# so is JIT code named in the namespace's /tmp/perf-1.map (1 being the
# target's pid there), while /tmp/perf-PID.map outside names other code.
# shellcheck disable=SC2016 # ns_start scripts expand their own arguments
. "$(dirname "$0")/lib.sh"
. "$SRCDIR/tests/targets/sym/lib.sh"

command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
skip_unless_ptrace
unshare -mpf --mount-proc true 2>/dev/null ||
	skip "unshare -mpf is not permitted here (needs CAP_SYS_ADMIN or user namespaces)"

# ns_start SCRIPT ARGS...: run 'sh -c SCRIPT sh ARGS' in new mount and PID
# namespaces (mounts private); SCRIPT ends by exec'ing a target. Waits for
# its "ready" line; NS_PID is its pid outside. (SCRIPTs are single-quoted:
# their $1... are ARGS.)
NS_N=0
ns_start() {
	local script=$1 i
	shift
	NS_N=$((NS_N + 1))
	NS_OUT=$T/ns.$NS_N.out
	nice -n "$TARGET_NICE" unshare -mpf --mount-proc --propagation private \
		sh -c "$script" sh "$@" >"$NS_OUT" 2>"$T/ns.$NS_N.err" </dev/null &
	NS_UNSHARE=$!
	TARGET_PIDS="$TARGET_PIDS $NS_UNSHARE"
	NS_PID=
	for ((i = 0; i < READY_TIMEOUT * 100; i++)); do
		[ -z "$NS_PID" ] && NS_PID=$(pgrep -P "$NS_UNSHARE" | head -n 1)
		[ -n "$NS_PID" ] && grep -q '^ready ' "$NS_OUT" && break
		kill -0 "$NS_UNSHARE" 2>/dev/null || break
		sleep 0.01
	done
	if [ -z "$NS_PID" ] || ! grep -q '^ready ' "$NS_OUT"; then
		show "$NS_OUT" "$T/ns.$NS_N.err"
		framework_failure "the target in the namespace did not start"
	fi
	TARGET_PIDS="$TARGET_PIDS $NS_PID"
	# Its own pid there is 1.
	grep -Eq "^NSpid:[[:space:]]+${NS_PID}[[:space:]]+1$" /proc/"$NS_PID"/status ||
		framework_failure "pid $NS_PID is not pid 1 of a new PID namespace"
}

# ns_stop: pid 1 of a namespace ignores SIGTERM; SIGKILL ends the namespace.
ns_stop() {
	assert_running "$NS_PID"
	kill -KILL "$NS_PID" 2>/dev/null || true
	wait "$NS_UNSHARE" 2>/dev/null || true
}

# The same with CAP_SYS_ADMIN and CAP_CHECKPOINT_RESTORE dropped (no
# map_files), if possible; a word list, used unquoted.
unprivileged=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	setpriv --inh-caps=-sys_admin,-checkpoint_restore \
		--bounding-set=-sys_admin,-checkpoint_restore true 2>/dev/null; then
	unprivileged="setpriv --inh-caps=-sys_admin,-checkpoint_restore --bounding-set=-sys_admin,-checkpoint_restore"
fi

# check_dump WHAT ARGS...: dump NS_PID, privileged and not, expect the full
# stack of t-sym-lines.
check_dump() {
	local what=$1
	shift
	sym_dump --pid "$NS_PID" "$@"
	expect_rc 0 "dump of $what"
	cp "$OUT" "$T/dump.$what"
	info "$what: $(thread_frames "$OUT" sym-main | head -n 5 | paste -sd' ')"
	sym_lines_check "$OUT" "$what"
	[ -n "$unprivileged" ] || return 0
	RC=0
	$unprivileged "$CPROF" dump --pid "$NS_PID" "$@" >"$OUT" 2>"$ERR" </dev/null || RC=$?
	expect_rc 0 "unprivileged dump of $what"
	cp "$OUT" "$T/dump.$what.unpriv"
	sym_lines_check "$OUT" "$what, without map_files"
}

# 1. The binary, on a tmpfs of the namespace, over a decoy.
mkdir -p "$T/ns"
cp "$B/targets/O2/t-sym-lines-nodebug" "$T/ns/t-sym-ns"
ns_start 'mount -t tmpfs cprof-test "$1" && cp "$2" "$1/t-sym-ns" && exec "$1/t-sym-ns"' \
	"$T/ns" "$B/targets/O2/t-sym-lines"
cmp -s "$T/ns/t-sym-ns" "$B/targets/O2/t-sym-lines-nodebug" ||
	framework_failure "the namespace's tmpfs is visible outside"
check_dump hidden-binary
run_cprof record -q -p "$NS_PID" -d 1 -o "$T/ns.folded"
expect_rc 0 "record of the target in the namespace"
assert_grep "$T/ns.folded" ';main;lines_outer;lines_mid;lines_inl_a_\[i\];lines_inl_b_\[i\] [0-9]+$' \
	"recorded stack of the target in the namespace"
ns_stop

# 2. A stripped binary, its debug file in the namespace's /usr/lib/debug.
command -v objcopy >/dev/null || skip "objcopy (binutils) is not installed (case 1 passed)"
[ -d /usr/lib/debug ] || skip "no /usr/lib/debug to mount over (case 1 passed)"
id=$(readelf -n "$B/targets/O2/t-sym-lines" | sed -n 's/^ *Build ID: *\([0-9a-f]*\)$/\1/p')
[ ${#id} -ge 4 ] || framework_failure "t-sym-lines has no build-id"
[ ! -e "/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" ] ||
	framework_failure "t-sym-lines has a debug file in this system's /usr/lib/debug"
objcopy --only-keep-debug "$B/targets/O2/t-sym-lines" "$T/t-sym-ns.debug"
objcopy --strip-all "$B/targets/O2/t-sym-lines" "$T/t-sym-stripped"
ns_start 'mount -t tmpfs cprof-test /usr/lib/debug &&
	mkdir -p "/usr/lib/debug/.build-id/$1" &&
	cp "$2" "/usr/lib/debug/.build-id/$1/$3.debug" && exec "$4"' \
	"${id:0:2}" "$T/t-sym-ns.debug" "${id:2}" "$T/t-sym-stripped"
check_dump container-debug-file
ns_stop

# 3. A perf map in the namespace's own /tmp, under its pid there. The
# binary is copied there too, from a descriptor opened before the mount.
ns_start 'exec 3<"$1" && mount -t tmpfs cprof-test /tmp && cat <&3 >/tmp/t-sym-jit &&
	exec 3<&- && chmod +x /tmp/t-sym-jit && exec /tmp/t-sym-jit' "$B/targets/O2/t-sym-jit"
decoy=/tmp/perf-$NS_PID.map
trap 'rm -f "$decoy"; _cleanup' EXIT
[ -e "$decoy" ] && framework_failure "$decoy exists"
addr=$(grep -m1 'r[w-]xp 00000000 00:00 0 *$' /proc/"$NS_PID"/maps | cut -d- -f1)
[ -n "$addr" ] || framework_failure "no anonymous code mapping in the target"
printf '%s 1000 decoy from outside\n' "$addr" >"$decoy"
for priv in privileged unprivileged; do
	if [ $priv = privileged ]; then
		sym_dump --pid "$NS_PID"
	else
		[ -n "$unprivileged" ] || continue
		RC=0
		$unprivileged "$CPROF" dump --pid "$NS_PID" >"$OUT" 2>"$ERR" </dev/null || RC=$?
	fi
	expect_rc 0 "dump of t-sym-jit in the namespace ($priv)"
	cp "$OUT" "$T/dump.jit.$priv"
	# (thread_funcs keeps the module of JIT frames, " [[jit]]": hence the '*'.)
	assert_stack "$OUT" t-sym-jit 'JIT hot loop \[tier 2\]*' jit_loop main ... _start
	assert_no_grep "$OUT" decoy "the map of another process"
done
ns_stop
