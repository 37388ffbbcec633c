#!/usr/bin/env bash
# sbx-evald: the HTTP API and its errors, hostile programs, files in and out,
# packages, truncation, the pool (nothing shared between two requests; its
# jails made by the zygote, which never sees a request), sandbox.so's
# sbx_enter() from python (what the zygote's copies call), load
# with back-pressure, disconnects, drain on SIGTERM, nothing left behind.
#
# The servers listen on 127.0.0.1 on a port the kernel picks (--listen
# 127.0.0.1:0; the port is read from the "listening on" line), or on a unix
# socket, and are stopped by a trap. The jail policy is the shipped one with a
# 2 s wall time, so the hostile programs end quickly.
#
# EVALD_TEST_UNJAILED=1 runs the same checks against --unsafe-no-jail (to
# see the isolation checks fail; the hostile programs are skipped there).
. "$(dirname "$0")/../lib.sh"

if [ ! -x "$TOP/sbx-evald" ]; then
	skip build "sbx-evald not built"
	exit 0
fi
cp "$TOP/sbx-evald" "$T/"
cp "$TOP/tests/helpers/evald_client.py" "$T/client.py"
cp "$TOP/tests/helpers/evald_zygote.py" "$T/zygote.py"
cp "$TOP/scripts/evald-install-packages.sh" "$T/install-packages.sh"
chmod -R a+rX "$T"
CLIENT=("$PY" "$T/client.py")
UNJAILED=${EVALD_TEST_UNJAILED:-0}
JAILFLAG=()
[ "$UNJAILED" = 1 ] && JAILFLAG=(--unsafe-no-jail)

# The shipped policy, with a short wall time.
sed 's/^wall_time = 6 .*/wall_time = 2/' "$TOP/evald/evald-policy.ini" > "$T/policy.ini"
chmod 644 "$T/policy.ini"

# What our servers leave, told apart from what other tests running at the same
# time have: our jails carry "sbx-evald:$T/..." (the state directory) in their
# command line; a cgroup sbx-PID-* is a leak when it is new and PID is gone.
# (The memory hierarchy may nest sbx-* under the caller's own cgroup.)
cgroups_now() { find /sys/fs/cgroup/memory /sys/fs/cgroup/pids -maxdepth 4 -type d -name 'sbx-*' 2>/dev/null | sort; }
CGROUPS_BEFORE=$(cgroups_now)
cgroups_leaked() {
	local d pid
	for d in $(cgroups_now); do
		grep -qxF "$d" <<< "$CGROUPS_BEFORE" && continue
		pid=${d##*/sbx-}
		pid=${pid%%-*}
		kill -0 "$pid" 2>/dev/null && continue
		echo "$d"
	done
}
our_procs() { grep -l "sbx-evald:$T/state-[a-z]*/sbx-evald[.]" /proc/[0-9]*/cmdline 2>/dev/null | wc -l; } # [.]: not grep itself

SERVERS=()
AS=() # a command to start the server as (setpriv ...)
stop_servers() {
	local pid
	for pid in "${SERVERS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${SERVERS[@]}"; do
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null
	done
	SERVERS=()
}
trap 'stop_servers; cleanup_tmp' EXIT

# start NAME ARGS...: start a server, logging to $T/NAME.log; sets ADDR and PID.
start() {
	local name=$1; shift
	mkdir -p "$T/state-$name"
	chmod 1777 "$T/state-$name"
	"${AS[@]}" "$T/sbx-evald" "${JAILFLAG[@]}" --listen 127.0.0.1:0 --sandbox "$SO" --policy "$T/policy.ini" \
		--set eval.state_dir="$T/state-$name" "$@" 2> "$T/$name.log" &
	PID=$!
	SERVERS+=("$PID")
	ADDR=
	for _ in $(seq 200); do
		ADDR=$(sed -n 's/.*listening on \(http:\/\/\)\{0,1\}\([^ ]*\) .*/\2/p' "$T/$name.log")
		[ -n "$ADDR" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "server $name did not start: $(head -c 600 "$T/$name.log")"
	return 1
}

# post NAME JSON: POST /eval; status in $T/NAME.status, body in $T/NAME.json.
post() {
	printf '%s' "$2" > "$T/$1.req"
	"${CLIENT[@]}" "$ADDR" req POST /eval "$T/$1.req" > "$T/$1.raw" 2>&1
	head -1 "$T/$1.raw" > "$T/$1.status"
	sed '1,/^$/d' "$T/$1.raw" > "$T/$1.json"
}
# code NAME PYTHON: post {"input": PYTHON}.
code() { post "$1" "$("$PY" -c 'import json,sys; print(json.dumps({"input": sys.argv[1]}))' "$2")"; }
# get NAME FIELD-EXPRESSION: a value of the answer, e.g. get x 'd["stdout"]'.
get() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/$1.json" "$2" 2>/dev/null; }
status() { cat "$T/$1.status"; }
b64() { printf '%s' "$1" | base64 -w0; }
brief() { echo "status=$(status "$1") $(head -c 400 "$T/$1.json" | tr '\n' '|')"; }
# check NAME CONDITION...: pass if the command succeeds, else fail with the answer.
check() { local n=$1 r=$2; shift 2; if "$@"; then pass "$n"; else fail "$n" "$(brief "$r")"; fi; }
# pycheck NAME RESPONSE CODE: python asserts on the answer d (and its stdout out).
pycheck() {
	local why
	if why=$("$PY" -c 'import json, sys
d = json.load(open(sys.argv[1])); out = d.get("stdout", "")
exec(sys.argv[2])' "$T/$2.json" "$3" 2>&1); then
		pass "$1"
	else
		fail "$1" "$(echo "$why" | tail -1) $(brief "$2")"
	fi
}

# ---- configuration: the shipped example, errors with file:line, the systemd unit ----
if "$T/sbx-evald" --config "$TOP/evald/evald.ini" --print-policy > "$T/effective.ini" 2> "$T/cfg.err" &&
	grep -q '^rw = ./home:/home/sandbox' "$T/effective.ini" && grep -q '^wall_time = 0' "$T/effective.ini"; then
	pass config-example
else
	fail config-example "$(cat "$T/cfg.err")"
fi
printf '[server]\nworkers = 2\nqueue = lots\n' > "$T/bad.ini"
"$T/sbx-evald" --config "$T/bad.ini" --print-policy > /dev/null 2> "$T/cfg.err"
rc=$?
grep -q "bad.ini:3: server.queue: expected a whole number" "$T/cfg.err" && [ $rc = 2 ] &&
	pass config-error-names-line || fail config-error-names-line "rc=$rc $(cat "$T/cfg.err")"
printf '[sandbox]\ncwd = /tmp\n' > "$T/owned.ini"
"$T/sbx-evald" --policy "$T/owned.ini" --print-policy > /dev/null 2> "$T/cfg.err"
grep -q "sandbox.cwd is set by sbx-evald" "$T/cfg.err" && pass policy-owned-key ||
	fail policy-owned-key "$(cat "$T/cfg.err")"
printf '[limits]\nmemory = lots\n' > "$T/badpol.ini"
"$T/sbx-evald" --policy "$T/badpol.ini" --print-policy > /dev/null 2> "$T/cfg.err"
grep -q "badpol.ini:2" "$T/cfg.err" && pass policy-error-names-line ||
	fail policy-error-names-line "$(cat "$T/cfg.err")"
if command -v systemd-analyze > /dev/null; then
	# verify wants the ExecStart binary to exist: point it at ours.
	sed "s|/usr/local/bin/sbx-evald|$T/sbx-evald|" "$TOP/deploy/sbx-evald.service" > "$T/unit.service"
	systemd-analyze verify "$T/unit.service" > "$T/verify.out" 2>&1 &&
		pass systemd-unit-verifies || fail systemd-unit-verifies "$(head -3 "$T/verify.out")"
else
	skip systemd-unit-verifies "no systemd-analyze"
fi

# ---- sandbox.so's sbx_enter(): the constructor's work, called from a running python ----
ZYG=("$PY" "$T/zygote.py")
mkdir -p "$T/enter"
chmod 755 "$T/enter"
(cd "$T/enter" && EVALD_TEST_CANARY=secret SBX_NO_CONSTRUCTOR=1 "${ZYG[@]}" enter "$SO" -) > "$T/enter.out" 2>&1
if grep -q '^before pid1=False seccomp=0$' "$T/enter.out" &&
	grep -q '^after rc=0 pid=2 seccomp=2 nonewprivs=1 canary=None$' "$T/enter.out"; then
	pass enter-jails-python
else
	fail enter-jails-python "$(tr '\n' '|' < "$T/enter.out")"
fi
rc=0
(cd "$T/enter" && SBX_NO_CONSTRUCTOR=1 "${ZYG[@]}" enter "$SO" "$T/no-such-policy.ini") > "$T/enter.out" 2>&1 || rc=$?
[ "$rc" = 125 ] && grep -q '^sbx: policy: ' "$T/enter.out" && ! grep -q '^after' "$T/enter.out" &&
	pass enter-bad-policy-125 || fail enter-bad-policy-125 "rc=$rc $(tr '\n' '|' < "$T/enter.out")"
rc=0
(cd "$T/enter" && SBX_NO_CONSTRUCTOR=1 LD_PRELOAD=$SO /bin/true) > "$T/enter.out" 2>&1 || rc=$?
[ "$rc" = 125 ] && grep -q '^sbx: setup: SBX_NO_CONSTRUCTOR=1 is set, but LD_PRELOAD names' "$T/enter.out" &&
	pass no-constructor-refused-when-preloaded || fail no-constructor-refused-when-preloaded "rc=$rc $(cat "$T/enter.out")"

# ---- sandbox.so's sbx_zygote(): jailed copies of a running python, one per word ----
(cd "$T/enter" && SBX_NO_CONSTRUCTOR=1 "${ZYG[@]}" zygote "$SO" -) > "$T/zyg.out" 2>&1
if grep -q '^no-fds answer=-EINVAL$' "$T/zyg.out" && grep -q '^copy-child-of-caller=yes status=0$' "$T/zyg.out" &&
	grep -q "^copy rc=0 pid=2 cwd=$T/enter seccomp=2 env-as-told=True late=False usr1=ignored\$" "$T/zyg.out" &&
	grep -q '^zygote-ended status=0$' "$T/zyg.out"; then
	pass zygote-api
else
	fail zygote-api "$(tr '\n' '|' < "$T/zyg.out")"
fi
# A variable set after sbx_zygote_prepare() reaches the copy (keep_env), which is told so (2).
printf '[sandbox]\nkeep_env = yes\n' > "$T/keep-env.ini"
(cd "$T/enter" && SBX_NO_CONSTRUCTOR=1 "${ZYG[@]}" zygote "$SO" "$T/keep-env.ini" late) > "$T/zyg.out" 2>&1
grep -q '^copy rc=2 pid=2 .* env-as-told=False late=True ' "$T/zyg.out" &&
	pass zygote-environment-changed || fail zygote-environment-changed "$(tr '\n' '|' < "$T/zyg.out")"

EVALD_TEST_CANARY=secret start main --workers 3 --queue 16 --pool 3 --set server.max_body=256K \
	--set server.connection_timeout=2 || { fail start "$(cat "$T/main.log")"; exit 1; }
MAIN_PID=$PID
MAIN_ADDR=$ADDR

# ---- the API ----
"${CLIENT[@]}" "$ADDR" req GET /health > "$T/health.raw"
grep -q '"status":"ok"' "$T/health.raw" && head -1 "$T/health.raw" | grep -q 200 &&
	pass health || fail health "$(cat "$T/health.raw")"

code legacy 'print(1+1)'
check legacy-input legacy test "$(status legacy)" = 200 -a "$(get legacy 'd["stdout"]')" = 2 \
	-a "$(get legacy 'd["returncode"]')" = 0 -a "$(get legacy 'd["reason"]')" = exit
check answer-fields legacy test "$(get legacy 'sorted(d)')" = \
	"['files', 'files_truncated', 'reason', 'returncode', 'stdout', 'truncated', 'wall_s']"

post args '{"args": ["-c", "import sys; print(sys.argv)", "x", "y"]}'
check args-c args test "$(get args 'd["stdout"].strip()')" = "['-c', 'x', 'y']"

code order 'import sys
print("a"); print("b", file=sys.stderr); print("c")'
check stdout-stderr-in-order order test "$(get order 'd["stdout"]')" = "$(printf 'a\nb\nc')"

code exit3 'import sys; sys.exit(3)'
check returncode exit3 test "$(get exit3 'd["returncode"]')" = 3

code raise 'def f():
    raise ValueError("boom")
f()'
pycheck traceback raise 'assert d["returncode"] == 1
assert out.startswith("Traceback (most recent call last):\n  File \"<string>\", line 3, in <module>"), out
assert out.endswith("ValueError: boom\n") and "_run" not in out, out'

code syntax 'x = ('
pycheck syntax-error syntax 'assert d["returncode"] == 1 and "SyntaxError" in out and "Traceback" not in out, out'

MAIN=$(b64 'import sys, os
data = open("data/in.txt").read()
import helper
print(helper.twice(data), sys.argv[1:], os.getcwd(), os.environ["HOME"])
os.makedirs("out/deep", exist_ok=True)
open("out/deep/result.bin", "wb").write(bytes(range(256)))
open("data/in.txt", "a").write("!")')
post files "{\"args\": [\"main.py\", \"arg1\"], \"files\": [
	{\"path\": \"main.py\", \"content\": \"$MAIN\"},
	{\"path\": \"helper.py\", \"content\": \"$(b64 'def twice(s): return s * 2')\"},
	{\"path\": \"data/in.txt\", \"content\": \"$(b64 'ab')\"},
	{\"path\": \"empty\"}]}"
HOMEDIR=/home/sandbox
[ "$UNJAILED" = 1 ] && HOMEDIR=$(get files 'd["stdout"].split()[-1]')
check files-in files test "$(get files 'd["stdout"].strip()')" = "abab ['arg1'] $HOMEDIR $HOMEDIR"
check files-out files test "$(get files '[(f["path"], f["size"]) for f in d["files"]]')" = \
	"[('data/in.txt', 3), ('out/deep/result.bin', 256)]"
check files-out-content files test "$(get files '__import__("base64").b64decode(d["files"][1]["content"]) == bytes(range(256))')" = True

code link 'import os
os.symlink("/etc/passwd", "passwd")
os.symlink("/", "root")
open("real", "w").write("x")'
check files-out-no-symlinks link test "$(get link '[f["path"] for f in d["files"]]')" = "['real']"

code manyfiles 'for i in range(150): open("f%03d" % i, "w").write("x")'
check files-out-bounded manyfiles test "$(get manyfiles 'len(d["files"]), d["files_truncated"]')" = "(100, True)"

# ---- errors: 4xx with a JSON error naming the field ----
err_case() { # NAME STATUS FIELD BODY
	post "$1" "$4"
	local got_field
	got_field=$(get "$1" 'd.get("field", "")')
	if [ "$(status "$1")" = "$2" ] && [ "$got_field" = "$3" ] && [ -n "$(get "$1" 'd["error"]')" ]; then
		pass "error-$1"
	else
		fail "error-$1" "want $2 field '$3': $(brief "$1")"
	fi
}
err_case notjson 400 "" '{"input": '
err_case notobject 400 "" '["print(1)"]'
err_case missing 400 args '{"files": []}'
err_case argstype 400 args '{"args": "print(1)"}'
err_case argitem 400 'args[1]' '{"args": ["-c", 5]}'
err_case inputtype 400 input '{"input": ["x"]}'
err_case filestype 400 files '{"args": ["main.py"], "files": {"path": "main.py"}}'
err_case filepath 400 'files[0].path' '{"args": ["main.py"], "files": [{"content": ""}]}'
err_case dotdot 400 'files[0].path' '{"args": ["x"], "files": [{"path": "../x", "content": ""}]}'
err_case absolute 400 'files[0].path' '{"args": ["x"], "files": [{"path": "/etc/x", "content": ""}]}'
err_case base64 400 'files[1].content' '{"args": ["x"], "files": [{"path": "a", "content": ""}, {"path": "b", "content": "not base64!"}]}'
err_case duplicate 400 'files[1].path' '{"args": ["x"], "files": [{"path": "a"}, {"path": "a"}]}'
err_case clash 400 files '{"args": ["x"], "files": [{"path": "a"}, {"path": "a/b"}]}'

head -c 300000 /dev/zero | tr '\0' 'x' > "$T/big.body"
"${CLIENT[@]}" "$ADDR" req POST /eval "$T/big.body" > "$T/big.raw" 2>&1
head -1 "$T/big.raw" | grep -q 413 && grep -q '"error"' "$T/big.raw" &&
	pass error-413 || fail error-413 "$(head -c 300 "$T/big.raw")"

"${CLIENT[@]}" "$ADDR" req GET /eval > "$T/m.raw"
head -1 "$T/m.raw" | grep -q 405 && grep -q '^Allow: POST' "$T/m.raw" &&
	pass error-405 || fail error-405 "$(head -c 300 "$T/m.raw")"
"${CLIENT[@]}" "$ADDR" req POST /health "$T/big.body" > "$T/m2.raw"
head -1 "$T/m2.raw" | grep -q 405 && pass error-405-health || fail error-405-health "$(head -c 300 "$T/m2.raw")"
"${CLIENT[@]}" "$ADDR" req GET /nope > "$T/nf.raw"
head -1 "$T/nf.raw" | grep -q 404 && grep -q '"error"' "$T/nf.raw" &&
	pass error-404 || fail error-404 "$(head -c 300 "$T/nf.raw")"

out=$("${CLIENT[@]}" "$ADDR" stall 6)
case $out in "closed after"*) pass stalled-client-timed-out ;; *) fail stalled-client-timed-out "$out" ;; esac

"${CLIENT[@]}" "$ADDR" req GET /metrics > "$T/metrics.raw"
grep -q '^sbx_evald_evaluations_total{reason="exit"} [1-9]' "$T/metrics.raw" &&
	grep -q '^sbx_evald_evaluation_seconds_bucket{le="+Inf"}' "$T/metrics.raw" &&
	grep -q '^sbx_evald_queue_depth ' "$T/metrics.raw" && grep -q '^sbx_evald_pool_ready ' "$T/metrics.raw" &&
	grep -q '^sbx_evald_requests_total{code="400"} [1-9]' "$T/metrics.raw" &&
	pass metrics || fail metrics "$(head -c 400 "$T/metrics.raw")"

# ---- truncation ----
code big 'import sys; sys.stdout.write("x" * 3_000_000); print("never")'
pycheck truncated big 'assert d["truncated"] is True and d["reason"] == "output_limit", d["reason"]
assert out.startswith("x" * 1048576) and "output truncated" in out[1048576:], len(out)
assert len(out) < 1048576 + 200 and "never" not in out'

code utf8 'import sys; sys.stdout.buffer.write(b"ok \xff\xfe end\n")'
check invalid-utf8-replaced utf8 test "$(get utf8 'd["stdout"]')" = "ok �� end"

# ---- the pool: nothing passes from one request to the next ----
for i in 1 2 3; do
	code "share1-$i" 'import os, json, builtins, sys
open("left-behind", "w").write("1")
open("/tmp/left-behind", "w").write("1")
os.environ["EVALD_LEFT"] = "1"
json.EVALD_LEFT = 1
builtins.EVALD_LEFT = 1
sys.modules["evald_left"] = json
print("set")'
	code "share2-$i" 'import os, json, builtins, sys
seen = [n for n, v in [("file", os.path.exists("left-behind")), ("tmp", os.path.exists("/tmp/left-behind")),
	("env", "EVALD_LEFT" in os.environ), ("module", hasattr(json, "EVALD_LEFT")),
	("builtin", hasattr(builtins, "EVALD_LEFT")), ("sys.modules", "evald_left" in sys.modules)] if v]
print(seen)'
	if [ "$(get "share1-$i" 'd["stdout"]')" = set ] && [ "$(get "share2-$i" 'd["stdout"]')" = "[]" ]; then
		pass "pool-nothing-shared-$i"
	else
		fail "pool-nothing-shared-$i" "$(brief "share2-$i")"
	fi
done
rm -f /tmp/left-behind # only there if a run was not jailed

# ---- the zygote: makes the pool's jails, never sees a request ----
if [ "$UNJAILED" = 1 ]; then
	skip zygote "no zygote without the jail"
elif ZPID=$("${ZYG[@]}" find "$MAIN_PID" 2> "$T/zyg.err"); then
	pass zygote-running
	tr '\0' '\n' < "/proc/$ZPID/environ" > "$T/zyg.env"
	if grep -q '^SBX_NO_CONSTRUCTOR=1$' "$T/zyg.env" && grep -q '^HOME=/home/sandbox$' "$T/zyg.env" &&
		! grep -q EVALD_TEST_CANARY "$T/zyg.env" && ! grep -q '^PATH=' "$T/zyg.env" &&
		grep -q '^Seccomp:[[:space:]]*0' "/proc/$ZPID/status"; then
		pass zygote-environment-not-the-services
	else
		fail zygote-environment-not-the-services "$(tr '\n' ' ' < "$T/zyg.env")"
	fi
	# Two jails of the zygote: each its own namespaces, none the zygote's.
	NSCODE='import os
print(" ".join(os.readlink("/proc/self/ns/" + n) for n in ("user", "mnt", "pid", "net", "ipc", "uts", "cgroup")))'
	code ns1 "$NSCODE"
	code ns2 "$NSCODE"
	zns=$(for n in user mnt pid net ipc uts cgroup; do readlink "/proc/$ZPID/ns/$n"; done)
	shared=$(printf '%s\n' $(get ns1 'd["stdout"]') $(get ns2 'd["stdout"]') $zns | sort | uniq -d)
	if [ "$(get ns1 'len(d["stdout"].split())')" = 7 ] && [ -z "$shared" ]; then
		pass zygote-jails-own-namespaces
	else
		fail zygote-jails-own-namespaces "shared: $shared; $(brief ns1)"
	fi
	# The code and its output never reach the zygote's memory; the runner's
	# text, which it did read, is found there (the scan can see).
	TOKEN=zyg$RANDOM$RANDOM$RANDOM
	code token "print('$TOKEN' + 'out')"
	scan=$("${ZYG[@]}" scan "$ZPID" "$TOKEN" "${TOKEN}out" "sbx-evald-ready" 2>&1)
	if [ "$(get token 'd["stdout"]')" = "${TOKEN}out" ] &&
		[ "$scan" = "$(printf '%s no\n%s no\nsbx-evald-ready yes' "$TOKEN" "${TOKEN}out")" ]; then
		pass zygote-never-sees-a-request
	else
		fail zygote-never-sees-a-request "$scan $(brief token)"
	fi
	# A zygote that dies is started again; requests go on.
	kill -KILL "$ZPID"
	code afterzyg 'print("after")'
	for _ in $(seq 50); do ZPID2=$("${ZYG[@]}" find "$MAIN_PID" 2>/dev/null) && break; sleep 0.1; done
	code afterzyg2 'print("after")'
	if [ "$(get afterzyg2 'd["stdout"]')" = after ] && [ -n "${ZPID2:-}" ] && [ "$ZPID2" != "$ZPID" ]; then
		pass zygote-restarted
	else
		fail zygote-restarted "zygote ${ZPID2:-none} $(brief afterzyg2) $(tail -3 "$T/main.log")"
	fi
else
	fail zygote-running "$(cat "$T/zyg.err")"
fi

code isolated 'import os, socket, errno
print(os.getpid() != 1, os.path.exists("/etc/passwd"), os.path.exists("/root"), socket.gethostname())
try:
    socket.create_connection(("127.0.0.1", 1), timeout=1)
    print("connected")
except OSError as e:
    print(errno.errorcode.get(e.errno, e.errno))  # no interface up: ENETUNREACH, not ECONNREFUSED'
check jailed isolated test "$(get isolated 'd["stdout"].split()')" = "['True', 'False', 'False', 'sbx-evald', 'ENETUNREACH']"

# ---- hostile programs: a normal answer each, while others are served ----
if [ "$UNJAILED" = 1 ]; then
	skip hostile "not without the jail"
else
	HPIDS=()
	hostile() { # NAME CODE: in the background
		code "$1" "$2" &
		HPIDS+=($!)
	}
	# Wait for the hostile requests only (a bare `wait` would wait for the servers too).
	wait_hostile() { wait "${HPIDS[@]}"; HPIDS=(); }
	hostile sleeper 'import time; time.sleep(3600)'
	hostile spinner 'while True: pass'
	sleep 0.3
	code during 'print("served")'
	if [ "$(get during 'd["stdout"]')" = served ] && [ ! -s "$T/sleeper.json" ]; then
		pass served-while-hostile-run
	else
		fail served-while-hostile-run "$(brief during)"
	fi
	wait_hostile
	check sleep-forever sleeper test "$(get sleeper 'd["reason"], d["returncode"]')" = "('wall_time', 124)"
	check infinite-loop spinner test "$(get spinner 'd["reason"]')" = wall_time
	check wall-time-message sleeper test "$(get sleeper 'repr(d["stdout"])')" = "'sbx: wall time limit (2 s) exceeded\\n'"

	hostile forkbomb 'import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)'
	hostile membomb 'x = bytearray(2 << 30)
print("allocated")'
	hostile flood 'import sys
while True: sys.stdout.write("y" * 65536)'
	wait_hostile
	check fork-bomb forkbomb test "$(status forkbomb)" = 200 -a -n "$(get forkbomb 'd["reason"]')"
	check memory-bomb membomb test "$(get membomb 'd["reason"], d["returncode"]')" = "('memory', 137)"
	check output-flood flood test "$(get flood 'd["truncated"], d["reason"]')" = "(True, 'output_limit')"

	hostile closer 'import os
os.close(1); os.close(2)
import time; time.sleep(0.2)'
	hostile parent 'import os, signal
os.kill(os.getppid(), signal.SIGKILL)
print("alive")'
	hostile everyone 'import os, signal
os.kill(-1, signal.SIGKILL)
print("alive")'
	hostile daemon 'import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(3600)
print("parent done")'
	wait_hostile
	check closes-stdout closer test "$(status closer)" = 200 -a "$(get closer 'd["reason"]')" = exit
	check kills-parent parent test "$(status parent)" = 200 -a -n "$(get parent 'd["reason"]')"
	check kills-everyone everyone test "$(status everyone)" = 200 -a -n "$(get everyone 'd["reason"]')"
	check leaves-a-daemon daemon test "$(get daemon 'd["stdout"]')" = "parent done"
	code after 'print("still fine")'
	check served-after-hostile after test "$(get after 'd["stdout"]')" = "still fine"
fi

# ---- a client that leaves cancels its evaluation ----
cancelled() { sed -n 's/^sbx_evald_cancelled_total //p' <("${CLIENT[@]}" "$ADDR" req GET /metrics); }
before=$(cancelled)
"${CLIENT[@]}" "$ADDR" abandon 0.5 'import time; time.sleep(3600)' > /dev/null
for _ in $(seq 50); do [ "$(cancelled)" -gt "$before" ] && break; sleep 0.1; done
if [ "$(cancelled)" -gt "$before" ] && grep -q ' cancelled ' "$T/main.log"; then
	pass disconnect-cancels
else
	fail disconnect-cancels "cancelled_total $before -> $(cancelled)"
fi

# ---- back-pressure: a full queue answers 503 with Retry-After; a queued job whose client left is dropped ----
start shed --workers 1 --queue 1 --pool 1 || fail shed-start "$(cat "$T/shed.log")"
health_is() { # FIELD VALUE: wait (up to 5 s) until /health says so
	local i
	for i in $(seq 100); do
		"${CLIENT[@]}" "$ADDR" req GET /health | grep -q "\"$1\":$2[,}]" && return 0
		sleep 0.05
	done
	return 1
}
metric() { "${CLIENT[@]}" "$ADDR" req GET /metrics | sed -n "s/^$1 //p"; }
code shedsleep 'import time; time.sleep(1); print("slept")' &
SLEEPER=$!
health_is running 1
"${CLIENT[@]}" "$ADDR" abandon 0.5 'print("never run")' > /dev/null &
ABANDON=$!
health_is queued 1
"${CLIENT[@]}" "$ADDR" req POST /eval <(echo '{"input": "print(1)"}') > "$T/full.raw" 2>&1
if head -1 "$T/full.raw" | grep -q 503 && grep -q '^Retry-After: [1-9]' "$T/full.raw"; then
	pass queue-full-503-retry-after
else
	fail queue-full-503-retry-after "$(head -c 300 "$T/full.raw" | tr '\n' '|')"
fi
wait "$SLEEPER" "$ABANDON"
for _ in $(seq 60); do [ "$(metric sbx_evald_cancelled_total)" = 1 ] && break; sleep 0.05; done
ran=$(metric 'sbx_evald_evaluations_total{reason="exit"}')
killed=$(metric 'sbx_evald_evaluations_total{reason="cancelled"}')
if [ "$(get shedsleep 'd["stdout"]')" = slept ] && [ "$(metric sbx_evald_cancelled_total)" = 1 ] &&
	[ "$ran" = 1 ] && [ "$killed" = 0 ]; then
	pass queued-disconnect-dropped
else
	fail queued-disconnect-dropped "cancelled=$(metric sbx_evald_cancelled_total) ran=$ran killed=$killed $(brief shedsleep)"
fi

# ---- packages: a read-only user base ----
mkdir -p "$T/pkgsrc/evald_testpkg"
printf 'VALUE = 42\n' > "$T/pkgsrc/evald_testpkg/__init__.py"
printf '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n[project]\nname = "evald-testpkg"\nversion = "1.0"\n' > "$T/pkgsrc/pyproject.toml"
if bash "$T/install-packages.sh" "$T/userbase" "$T/pkgsrc" --no-index > "$T/install.log" 2>&1; then
	pass packages-install
else
	fail packages-install "$(tail -5 "$T/install.log" | tr '\n' '|')"
fi
chmod -R a+rX "$T/userbase" 2>/dev/null
start pkgs --pool 1 --user-base "$T/userbase" --set server.max_buffered=2K ||
	fail pkgs-start "$(cat "$T/pkgs.log")"
# Bodies being received share max_buffered: over it, 503 (not memory without bound).
"$PY" -c 'import json; print(json.dumps({"input": "#" + "x" * 3000}))' > "$T/3k.body"
"${CLIENT[@]}" "$ADDR" req POST /eval "$T/3k.body" > "$T/3k.raw" 2>&1
head -1 "$T/3k.raw" | grep -q 503 && pass max-buffered-503 || fail max-buffered-503 "$(head -c 300 "$T/3k.raw")"
code pkg 'import evald_testpkg, os
print(evald_testpkg.VALUE)
try:
    open(os.path.join(os.environ["PYTHONUSERBASE"], "x"), "w")
    print("writable")
except OSError:
    print("read-only")'
check packages pkg test "$(get pkg 'd["stdout"].split()')" = "['42', 'read-only']"
# A jail from the zygote starts as a cold one would: the same path, environment, flags,
# and signal dispositions (python's, which sbx_zygote() puts back in the program).
STARTUP='import os, sys
sig = [l for l in open("/proc/self/status") if l.startswith(("SigBlk", "SigIgn", "SigCgt"))]
print(sys.path, sorted(os.environ.items()), sys.flags, sys.argv, os.getcwd(), sys.stdout.encoding, sig)'
code startup-pool "$STARTUP"
PKGS_ADDR=$ADDR
start pkgscold --pool 0 --user-base "$T/userbase" || fail pkgscold-start "$(cat "$T/pkgscold.log")"
code startup-cold "$STARTUP"
if [ -n "$(get startup-cold 'd["stdout"]')" ] && [ "$(get startup-pool 'd["stdout"]')" = "$(get startup-cold 'd["stdout"]')" ]; then
	pass zygote-startup-as-cold
else
	fail zygote-startup-as-cold "pool: $(get startup-pool 'd["stdout"]') cold: $(get startup-cold 'd["stdout"]')"
fi
ADDR=$PKGS_ADDR

# ---- pool off, on a unix socket ----
start cold --pool 0 --listen "unix:$T/evald.sock" || fail cold-start "$(cat "$T/cold.log")"
COLD_PID=$PID
mode=$(stat -c %a "$T/evald.sock")
[ "$mode" = 660 ] && pass unix-socket-mode || fail unix-socket-mode "mode $mode"
code cold 'print("cold")'
check pool-off-unix-socket cold test "$(get cold 'd["stdout"]')" = cold

# ---- SIGKILL to the service: its jails end with it; the next start cleans up ----
code killed 'import time; time.sleep(30)' &
KILLED_CLIENT=$!
health_is running 1
disown "$COLD_PID" # no "Killed" line from bash
kill -KILL "$COLD_PID"
for _ in $(seq 50); do kill -0 "$COLD_PID" 2>/dev/null || break; sleep 0.05; done
wait "$KILLED_CLIENT" 2>/dev/null
for _ in $(seq 50); do
	[ "$(grep -l "sbx-evald:$T/state-cold/sbx-evald[.]" /proc/[0-9]*/cmdline 2>/dev/null | wc -l)" = 0 ] && break
	sleep 0.1
done
n=$(grep -l "sbx-evald:$T/state-cold/sbx-evald[.]" /proc/[0-9]*/cmdline 2>/dev/null | wc -l)
[ "$n" = 0 ] && pass no-jail-outlives-the-service || fail no-jail-outlives-the-service "$n jail processes"
start cold2 --pool 0 --set eval.state_dir="$T/state-cold" || fail cold2-start "$(cat "$T/cold2.log")"
if grep -q 'left by an earlier run' "$T/cold2.log" && [ "$(ls "$T/state-cold" | wc -l)" = 1 ]; then
	pass stale-state-removed
else
	fail stale-state-removed "$(ls "$T/state-cold") $(cat "$T/cold2.log")"
fi

# ---- as an unprivileged user: the jail maps to that user ----
if [ "$(id -u)" = 0 ]; then
	AS=("${NOBODY[@]}")
	if start nobody --pool 1; then
		code nobody 'import os; print(os.getuid(), open("/proc/self/uid_map").read().split()[1])'
		check as-unprivileged-user nobody test "$(get nobody 'd["stdout"]')" = "65534 65534"
	else
		fail as-unprivileged-user "$(cat "$T/nobody.log")"
	fi
	AS=()
fi
# ---- load: 1000 requests from 32 clients; 503s by design, nothing else ----
ADDR=$MAIN_ADDR
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$MAIN_PID/status"; }
"${CLIENT[@]}" "$ADDR" load 200 8 > /dev/null
rss_before=$(rss)
load=$("${CLIENT[@]}" "$ADDR" load 1000 32)
rss_after=$(rss)
echo "   load: $load; server RSS ${rss_before} -> ${rss_after} kB"
case $load in
*" other=0 "*unexpected=-) pass load-1000x32 ;;
*) fail load-1000x32 "$load" ;;
esac
if [ $((rss_after - rss_before)) -lt 4096 ]; then
	pass rss-flat
else
	fail rss-flat "RSS grew from $rss_before to $rss_after kB"
fi
# Idle: only the pool's ready jails (3) have directories.
runs() { ls -d "$T"/state-main/sbx-evald.*/run.* 2>/dev/null | wc -l; }
for _ in $(seq 50); do [ "$(runs)" -le 3 ] && break; sleep 0.1; done
[ "$(runs)" -le 3 ] && pass no-run-dirs-left-while-idle || fail no-run-dirs-left-while-idle "$(runs) run directories"

# ---- SIGTERM drains: what runs finishes, then exit 0 ----
code drained 'import time; time.sleep(1); print("finished")' &
CLIENT_PID=$!
sleep 0.4
kill -TERM "$MAIN_PID"
wait "$CLIENT_PID"
rc=0
wait "$MAIN_PID" || rc=$?
if [ "$rc" = 0 ] && [ "$(get drained 'd["stdout"]')" = finished ]; then
	pass sigterm-drains
else
	fail sigterm-drains "server exit $rc; $(brief drained)"
fi
"${CLIENT[@]}" "$ADDR" req GET /health > /dev/null 2>&1 && fail stops-listening "still answers" ||
	pass stops-listening

# ---- nothing left behind ----
stop_servers
sleep 0.2
left=$(ls -d "$T"/state-*/* 2>/dev/null)
[ -z "$left" ] && pass no-temp-dirs-left || fail no-temp-dirs-left "$left"
[ "$(our_procs)" = 0 ] && pass no-processes-left || fail no-processes-left "$(our_procs) jail processes"
for _ in $(seq 20); do [ -z "$(cgroups_leaked)" ] && break; sleep 0.1; done
[ -z "$(cgroups_leaked)" ] && pass no-cgroups-left ||
	fail no-cgroups-left "$(cgroups_leaked | head -3 | tr '\n' ' ')"
grep -q "$T" /proc/self/mountinfo && fail no-mounts-left "$(grep "$T" /proc/self/mountinfo | head -2)" ||
	pass no-mounts-left
grep -c ' /eval ' "$T/main.log" > /dev/null && pass one-log-line-per-request ||
	fail one-log-line-per-request "$(tail -3 "$T/main.log")"
