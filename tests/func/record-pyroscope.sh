#!/bin/bash
# record --pyroscope against tests/tools/ingest-server.py, a local server that
# checks every request the way Pyroscope reads it and logs what it accepted:
#
#   push      the union of the pushed stacks equals the -o .folded of the same
#             run, stack by stack; ranges in whole seconds that do not
#             overlap; labels, sampleRate, token and tenant headers as given
#   basic     Basic auth from PYROSCOPE_BASIC_AUTH_USER/_PASSWORD; --idle
#             pushes a .wall profile
#   usage     bad URL, app, tag or environment: one line, exit 2
#   late      server down at first, up later: retries deliver everything
#   down      server never up: backlog bounded, drops reported, exit 1,
#             sampling keeps pace
#   slow      server takes 5 s per request: sampling keeps pace, the exit
#             waits 10 s at most for the queue
#   refused   HTTP 400: intervals discarded, not retried, told once
#
# Sampling "keeps pace" when a wall-clock profile has at least 60% of
# rate x duration samples: a sampler waiting for the network would fall far
# below, and a loaded machine costs a few.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "no python3 for the ingest server"
skip_unless_ptrace

SERVER=$SRCDIR/tests/tools/ingest-server.py
RATE=100
LOG=$T/ingest.jsonl
SRV_PID=

# start_server [ARGS...]: start the server (ARGS go to it); sets PORT.
start_server() {
	local i
	rm -f "$T/port"
	python3 "$SERVER" --log "$LOG" --port-file "$T/port" --rate $RATE "$@" &
	SRV_PID=$!
	for ((i = 0; i < 200; i++)); do
		[ -s "$T/port" ] && break
		kill -0 $SRV_PID 2>/dev/null || framework_failure "the ingest server died"
		sleep 0.05
	done
	[ -s "$T/port" ] || framework_failure "the ingest server did not start"
	PORT=$(cat "$T/port")
}

stop_server() {
	[ -n "$SRV_PID" ] || return 0
	kill $SRV_PID 2>/dev/null || true
	wait $SRV_PID 2>/dev/null || true
	SRV_PID=
}
trap 'stop_server; _cleanup' EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# check MODE ARGS...: assertions over the server's log.
cat >"$T/check.py" <<'EOF'
import json, os, sys

mode, log = sys.argv[1], sys.argv[2]
recs = [json.loads(l) for l in open(log)] if os.path.exists(log) else []
ok = [r["ok"] for r in recs if "ok" in r]
errors = [r for r in recs if "error" in r]
bad = []

def folded(path):
    d = {}
    for line in open(path):
        s, c = line.rstrip("\n").rsplit(" ", 1)
        d[s] = d.get(s, 0) + int(c)
    return d

if errors:
    bad.append("the server rejected requests: %s" % errors[:3])
if mode == "union":
    # union LOG FOLDED: every sample pushed once, stack for stack.
    local, pushed = folded(sys.argv[3]), {}
    for r in ok:
        for s, c in r["stacks"].items():
            pushed[s] = pushed.get(s, 0) + c
    if pushed != local:
        diff = [(s, pushed.get(s, 0), local.get(s, 0)) for s in set(pushed) | set(local)
                if pushed.get(s, 0) != local.get(s, 0)]
        bad.append("pushed %d samples, the local output has %d; (stack, pushed, local): %s"
                   % (sum(pushed.values()), sum(local.values()), diff[:5]))
    ranges = sorted((r["from"], r["until"]) for r in ok)
    for a, b in zip(ranges, ranges[1:]):
        if b[0] < a[1]:
            bad.append("ranges overlap: %s %s" % (a, b))
elif mode == "count":
    print(len(ok))
elif mode == "field":
    # field LOG KEY JSON: every accepted request has KEY == JSON
    key, want = sys.argv[3], json.loads(sys.argv[4])
    for r in ok:
        if r[key] != want:
            bad.append("%s = %r, expected %r" % (key, r[key], want))
            break
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
EOF
check() {
	python3 "$T/check.py" "$@" || fail "${*:1:1} ${*:3}: see above"
}

# record_env [VAR=VALUE...] -- ARGS...: cprof record ARGS on the target with
# these variables; like run_cprof.
record_env() {
	local -a vars=()
	while [ "$1" != -- ]; do
		vars+=("$1")
		shift
	done
	shift
	RC=0
	env "${vars[@]}" "$CPROF" record -p "$TARGET_PID" -r $RATE "$@" >"$OUT" 2>"$ERR" \
		</dev/null || RC=$?
}

# Whether the last recording (-o $T/local.folded) kept pace: a sampler held
# up by the uploads would lose every tick from the first push on, keeping
# at most a third of them in "slow". 45% leaves room for a loaded machine
# (58% was seen with two CPU hogs beside the suite on 2 CPUs).
kept_pace() {
	local n secs
	n=$(awk '{ n += $NF } END { print n + 0 }' "$T/local.folded")
	secs=$(sed -n 's/^cprof: recorded .* in \([0-9.]*\) s at .*/\1/p' "$ERR")
	awk -v n="$n" -v s="${secs:-0}" -v r=$RATE 'BEGIN { exit !(s > 0 && n >= 0.45 * r * s) }' ||
		{ show "$ERR"; fail "$1: $n samples in ${secs:-?} s at $RATE Hz"; }
}

start_target t-ratio O2

info "push"
start_server
record_env PYROSCOPE_AUTH_TOKEN=tok-123 PYROSCOPE_TENANT_ID=tenant-7 -- -d 4.5 \
	--pyroscope "http://127.0.0.1:$PORT" --app t.app --tag env=test --tag region=eu-1 \
	--upload-interval 1s -o "$T/local.folded"
stop_server
expect_rc 0 "push"
check union "$LOG" "$T/local.folded"
n=$(python3 "$T/check.py" count "$LOG")
[ "$n" -ge 4 ] || fail "push: only $n pushes in 4.5 s at 1 s intervals"
check field "$LOG" app '"t.app.cpu"'
check field "$LOG" labels '{"env": "test", "region": "eu-1"}'
check field "$LOG" sampleRate $RATE
check field "$LOG" authorization '"Bearer tok-123"'
check field "$LOG" tenant '"tenant-7"'
check field "$LOG" user_agent '"cprof/'"$($CPROF --version | awk '{ print $NF }')"'"'
assert_grep "$ERR" "^cprof: pushed $n intervals to http://127.0.0.1:$PORT as t.app.cpu\{env=test,region=eu-1\}: 0 failed, 0 dropped$" \
	"push: summary"
assert_no_grep "$ERR" "tok-123" "push: the token is never printed"
assert_no_grep "$ERR" "warning" "push: no warning"

info "basic"
rm -f "$LOG"
start_server
record_env PYROSCOPE_BASIC_AUTH_USER=123456 'PYROSCOPE_BASIC_AUTH_PASSWORD=glc_x:y=' -- -d 1.5 -i \
	--pyroscope "http://127.0.0.1:$PORT/" --app basic -o "$T/local.folded"
stop_server
expect_rc 0 "basic"
check union "$LOG" "$T/local.folded"
check field "$LOG" basic '"123456:glc_x:y="'
check field "$LOG" tenant null
check field "$LOG" app '"basic.wall"'

info "usage"
# usage ERE [VAR=VALUE...] -- ARGS...: exit 2 with one line matching ERE.
usage() {
	local want=$1
	shift
	record_env "$@"
	expect_rc 2 "usage: ${*: -1}"
	expect_error_line "$want" "usage"
}
p="--pyroscope http://localhost:4040"
usage "^cprof: --tag: 'env' has no '=': give KEY=VALUE$" -- $p --app a --tag env
usage "^cprof: --tag: 'a b': keys may have letters, digits, _ and \. only$" -- $p --app a --tag 'a b=c'
usage "^cprof: --tag: 'x=a,b': values cannot contain" -- $p --app a --tag x=a,b
usage "^cprof: --tag: '__name__': keys starting with __ are reserved" -- $p --app a --tag __name__=x
usage "^cprof: --tag: 'env' is given twice$" -- $p --app a --tag env=a --tag env=b
usage "^cprof: --tag: 'env=': empty value$" -- $p --app a --tag env=
usage "^cprof: --app: 'my app': ' ' is not allowed" -- $p --app 'my app'
usage "^cprof: --app: 'app\.': dots" -- $p --app app.
usage "^cprof: --pyroscope: 'localhost:4040' is not an http:// or https:// URL$" -- \
	--pyroscope localhost:4040 --app a
usage "^cprof: --pyroscope: credentials in the URL" -- --pyroscope http://u:p@h:4040 --app a
usage "^cprof: --pyroscope: give the server's base URL" -- --pyroscope 'http://h:4040/?x=1' --app a
usage "^cprof: --pyroscope: 'http://h:99999': bad port$" -- --pyroscope http://h:99999 --app a
usage "^cprof: --pyroscope: give the application's name with --app NAME$" -- $p
usage "^cprof: --tag: only with --pyroscope URL$" -- --tag a=b
usage "^cprof: --app: only with --pyroscope URL$" -- --app a
usage "^cprof: --upload-interval: '500ms' is too short \(1s at least\)$" -- $p --app a \
	--upload-interval 500ms
usage "^cprof: PYROSCOPE_BASIC_AUTH_USER is set but PYROSCOPE_BASIC_AUTH_PASSWORD is not$" \
	PYROSCOPE_BASIC_AUTH_USER=u -- $p --app a
usage "^cprof: set either PYROSCOPE_AUTH_TOKEN or" PYROSCOPE_AUTH_TOKEN=t \
	PYROSCOPE_BASIC_AUTH_USER=u PYROSCOPE_BASIC_AUTH_PASSWORD=p -- $p --app a
usage "^cprof: PYROSCOPE_TENANT_ID contains control characters$" \
	"PYROSCOPE_TENANT_ID=$(printf 'a\nX-Evil: 1')" -- $p --app a

info "late"
rm -f "$LOG"
PORT=$(free_port)
RC=0
"$CPROF" record -p "$TARGET_PID" -r $RATE -d 6 --pyroscope "http://127.0.0.1:$PORT" --app late \
	--upload-interval 1s -o "$T/local.folded" >"$OUT" 2>"$ERR" </dev/null &
rec=$!
# The server comes up once cprof has found it down.
for ((i = 0; i < 300; i++)); do
	grep -q "will retry" "$ERR" && break
	sleep 0.05
done
assert_grep "$ERR" "^cprof: warning: pyroscope: push failed: .*Couldn't connect to server; will retry$" \
	"late: warning about the outage"
start_server --port "$PORT"
wait $rec || RC=$?
stop_server
expect_rc 0 "late"
assert_grep "$ERR" "^cprof: pyroscope: pushes are getting through again$" "late: recovery"
assert_grep "$ERR" "^cprof: pushed [0-9]+ intervals to .*: 0 failed, 0 dropped, [1-9][0-9]* requests? failed$" \
	"late: summary"
check union "$LOG" "$T/local.folded"

info "down"
PORT=$(free_port)
# 7 intervals into a backlog of 3: the oldest must go.
record_env CPROF_TEST_UPLOAD_BACKLOG=3 -- -d 6 -i --pyroscope "http://127.0.0.1:$PORT" \
	--app down --upload-interval 1s -o "$T/local.folded"
expect_rc 1 "down: nothing got through"
line=$(grep "^cprof: pushed" "$ERR") || { show "$ERR"; fail "down: no summary"; }
dropped=$(sed -n 's/.* \([0-9]*\) dropped.*/\1/p' <<<"$line")
failed=$(sed -n 's/.*: \([0-9]*\) failed.*/\1/p' <<<"$line")
[ "${dropped:-0}" -ge 2 ] || fail "down: too few dropped: $line"
[ "${failed:-0}" -le 3 ] || fail "down: more failed than the backlog holds: $line"
assert_grep "$ERR" "^cprof: warning: pyroscope: backlog full: dropped the oldest [0-9]+ intervals?$" \
	"down: backlog warning"
[ "$(grep -c "backlog full" "$ERR")" = 1 ] || fail "down: the backlog warning is repeated"
assert_grep "$ERR" "^cprof: warning: pyroscope: $((dropped + failed)) of $((dropped + failed)) intervals did not reach the server; last error: " \
	"down: final warning"
kept_pace down

info "slow"
rm -f "$LOG"
start_server --sleep 5
start=$(date +%s)
record_env -- -d 3 -i --pyroscope "http://127.0.0.1:$PORT" --app slow --upload-interval 1s \
	-o "$T/local.folded"
took=$(($(date +%s) - start))
stop_server
expect_rc 0 "slow"
kept_pace slow
secs=$(sed -n 's/^cprof: recorded .* in \([0-9]*\).* s at .*/\1/p' "$ERR")
[ "$took" -le $((${secs:-3} + 10 + 3)) ] || fail "slow: took $took s for a ${secs:-?} s recording"
assert_grep "$ERR" "^cprof: pushed [1-9][0-9]* intervals? " "slow: some pushes"

info "refused"
rm -f "$LOG"
start_server --fail-first 1000 --fail-status 400
record_env -- -d 2.5 --pyroscope "http://127.0.0.1:$PORT" --app refused --upload-interval 1s \
	-o "$T/local.folded"
stop_server
expect_rc 1 "refused"
assert_grep "$ERR" "^cprof: warning: pyroscope: push failed: HTTP 400: failing on purpose; interval discarded$" \
	"refused: warning"
[ "$(grep -c "push failed" "$ERR")" = 1 ] || { show "$ERR"; fail "refused: told more than once"; }
n=$(grep -c failed_on_purpose "$LOG")
assert_grep "$ERR" "^cprof: pushed 0 intervals .*: $n failed, 0 dropped, $n requests? failed$" \
	"refused: $n requests, each one interval, none retried"

stop_target
