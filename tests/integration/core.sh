#!/usr/bin/env bash
# The jail itself: namespaces, ids, capabilities, environment, descriptors,
# exit statuses, signals and supervision. As root and as an unprivileged user.
. "$(dirname "$0")/../lib.sh"

nolimits=$(policy nolimits.ini <<'P'
[limits]
memory = 0
processes = 0
P
)

for who in root nobody; do
	run=jail
	[ $who = nobody ] && run=jail_nobody

	# PID namespace: the program is not PID 1 and sees no host process.
	$run -- $PY -c 'import os; print(os.getpid(), os.getppid(), len([p for p in os.listdir("/proc") if p.isdigit()]))'
	[ $rc = 0 ] && [ "$(out)" = "2 1 2" ] && pass "$who/pid-namespace" || fail "$who/pid-namespace" "$(why)"
	# Bare, the same program sees the host's processes: the check can fail.
	bare=$($PY -c 'import os; print(os.getpid(), os.getppid(), len([p for p in os.listdir("/proc") if p.isdigit()]))')
	[ "$bare" != "2 1 2" ] && pass "$who/pid-namespace-bare-differs" || fail "$who/pid-namespace-bare-differs" "$bare"

	# The user inside, no capability, no new privileges, seccomp filter on.
	$run -- $PY -c '
import os
s = dict(l.split(":\t", 1) for l in open("/proc/self/status").read().splitlines() if ":\t" in l)
print(os.getuid(), os.getgid(), s["CapEff"].strip(), s["CapPrm"].strip(), s["CapBnd"].strip(), s["CapAmb"].strip(), s["NoNewPrivs"].strip(), s["Seccomp"].strip())'
	[ $rc = 0 ] && [ "$(out)" = "65534 65534 0000000000000000 0000000000000000 0000000000000000 0000000000000000 1 2" ] &&
		pass "$who/ids-caps-nnp-seccomp" || fail "$who/ids-caps-nnp-seccomp" "$(why)"

	# The uid inside maps to nobody outside when the caller is root, to the caller otherwise.
	$run -- $PY -c 'print(open("/proc/self/uid_map").read().split())'
	want="['65534', '65534', '1']"
	[ $rc = 0 ] && [ "$(out)" = "$want" ] && pass "$who/uid-map" || fail "$who/uid-map" "$(why)"

	# Hostname and IPC namespace.
	$run -- $PY -c 'import socket; print(socket.gethostname())'
	[ $rc = 0 ] && [ "$(out)" = sandbox ] && pass "$who/hostname" || fail "$who/hostname" "$(why)"

	# No network: not even loopback answers.
	$run -- $PY -c '
import socket
s = socket.socket()
try:
    s.connect(("127.0.0.1", 22)); print("connected")
except OSError as e:
    print(e.errno)
print(sorted(n for i, n in socket.if_nameindex()))'
	[ $rc = 0 ] && [ "$(out)" = "$(printf '101\n%s' "['lo']")" ] && pass "$who/no-network" || fail "$who/no-network" "$(why)"

	# Environment: only the policy's variables; the caller's secret is not
	# readable, not through /proc/self/environ, not on the stack.
	rc=0
	(cd "$T" && if [ $who = nobody ]; then pre=("${NOBODY[@]}"); else pre=(); fi
	 "${pre[@]}" env SECRET_TOKEN=hunter2-sbx HF_HOME=/hf LD_PRELOAD=$SO $PY -c '
import os, sys
print(sorted(os.environ.items()))
env = open("/proc/self/environ", "rb").read()
secret = b"hunter2" + b"-sbx"  # never whole in this script, which sits in argv
print(secret in env, b"LD_PRELOAD" in env, b"HF_HOME=/hf" in env)
mem = open("/proc/self/mem", "rb")
found = False
for line in open("/proc/self/maps"):
    if "[stack]" in line:
        a, b = (int(x, 16) for x in line.split()[0].split("-"))
        mem.seek(a); found = secret in mem.read(b - a)
print(found)') > "$T/out" 2> "$T/err" < /dev/null || rc=$?
	[ $rc = 0 ] && [ "$(out)" = "$(printf "%s\nFalse False True\nFalse" "[('HF_HOME', '/hf'), ('LANG', 'C.UTF-8')]")" ] &&
		pass "$who/env-scrubbed" || fail "$who/env-scrubbed" "$(why)"

	# Descriptors above 2 are closed.
	rc=0
	(cd "$T" && exec 7< /dev/null && if [ $who = nobody ]; then "${NOBODY[@]}" env LD_PRELOAD=$SO $PY -c 'import os; print(sorted(int(f) for f in os.listdir("/proc/self/fd")))'; else LD_PRELOAD=$SO $PY -c 'import os; print(sorted(int(f) for f in os.listdir("/proc/self/fd")))'; fi) > "$T/out" 2> "$T/err" < /dev/null || rc=$?
	[ $rc = 0 ] && [ "$(out)" = "[0, 1, 2, 3]" ] && pass "$who/fds-closed" || fail "$who/fds-closed" "$(why)"

	# A new session: no controlling terminal to push keystrokes into.
	$run -- $PY -c 'import os; print(os.getsid(0) == os.getpid())'
	[ $rc = 0 ] && [ "$(out)" = True ] && pass "$who/new-session" || fail "$who/new-session" "$(why)"

	# Exit statuses.
	$run -- $PY -c 'import sys; sys.exit(7)'
	[ $rc = 7 ] && [ -z "$(quiet_err)" ] && pass "$who/exit-status" || fail "$who/exit-status" "$(why)"
	$run -- $PY -c 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'
	[ $rc = 139 ] && grep -qx 'sbx: killed by signal SIGSEGV' "$T/err" && pass "$who/killed-by-signal" || fail "$who/killed-by-signal" "$(why)"
	$run -- $PY -c 'import sys; sys.exit(125)'
	[ $rc = 125 ] && [ -z "$(quiet_err)" ] && pass "$who/program-own-125" || fail "$who/program-own-125" "$(why)"

	# Subprocesses, pipes and threads work inside, and inherit the jail.
	$run -- $PY -c '
import subprocess, threading
r = subprocess.run(["/bin/sh", "-c", "echo $$; cat /proc/self/status | grep ^Seccomp: | tr -d \"\\t\""], capture_output=True, text=True)
t = threading.Thread(target=lambda: None); t.start(); t.join()
print(r.stdout.split())'
	[ $rc = 0 ] && [ "$(out)" = "['3', 'Seccomp:2']" ] && pass "$who/subprocess-jailed" || fail "$who/subprocess-jailed" "$(why)"
done

# A bad policy: 125, one `sbx:` line naming file:line and the key, and the program never ran.
bad=$(policy bad.ini <<'P'
[limits]
wall_time = soon
P
)
jail "$bad" -- /bin/sh -c 'touch ran'
[ $rc = 125 ] && [ ! -e "$T/ran" ] && grep -q "^sbx: policy: .*bad.ini:2.*wall_time" "$T/err" && [ "$(wc -l < "$T/err")" = 1 ] &&
	pass bad-policy-125 || fail bad-policy-125 "$(why)"
jail "$T/missing.ini" -- /bin/sh -c 'touch ran'
[ $rc = 125 ] && [ ! -e "$T/ran" ] && grep -q "^sbx: policy: .*missing.ini" "$T/err" && pass missing-policy-125 || fail missing-policy-125 "$(why)"

# Wall time: the whole jail dies, even a program that ignores signals.
wt=$(policy wall.ini <<'P'
[limits]
wall_time = 0.5
P
)
jail "$wt" -- /bin/sh -c 'trap "" TERM INT HUP; sleep 30 & sleep 30'
[ $rc = 124 ] && grep -qx 'sbx: wall time limit (0.5 s) exceeded' "$T/err" && pass wall-time || fail wall-time "$(why)"

# SIGTERM to the supervisor ends the jail; it exits 128+15 and nothing is left.
marker=sbx-core-$$-$RANDOM
(cd "$T" && SBX_POLICY=$nolimits LD_PRELOAD=$SO exec $PY -c 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(30)' $marker) 2> "$T/err" &
sup=$!
sleep 0.5
kill -TERM $sup
rc=0; wait $sup || rc=$?
sleep 0.2
[ $rc = 143 ] && ! pgrep -f "$marker" > /dev/null && pass sigterm-supervisor || fail sigterm-supervisor "rc=$rc $(pgrep -af "$marker")"

# SIGKILL to the supervisor: no process of the jail outlives it.
marker=sbx-core-$$-$RANDOM
(cd "$T" && SBX_POLICY=$nolimits LD_PRELOAD=$SO exec $PY -c 'import subprocess, sys, time; subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", sys.argv[1]]); time.sleep(30)' $marker) 2> /dev/null &
sup=$!
sleep 0.5
pgrep -f "$marker" > /dev/null || fail sigkill-supervisor-setup "jail did not start"
kill -KILL $sup
wait $sup 2> /dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do pgrep -f "$marker" > /dev/null || break; sleep 0.1; done
! pgrep -f "$marker" > /dev/null && pass sigkill-supervisor || { fail sigkill-supervisor "$(pgrep -af "$marker")"; pkill -9 -f "$marker"; }

# A process that already runs threads is refused (user namespaces need one thread).
# The thread is started by a library's constructor, which runs before ours.
cat > "$T/libthr.c" <<'C'
#include <pthread.h>
#include <unistd.h>
static void *idle(void *a) { pause(); return a; }
__attribute__((constructor)) static void start(void) { pthread_t t; pthread_create(&t, 0, idle, 0); }
void thr_linked(void) {}
C
printf 'void thr_linked(void);\nint main(void) { thr_linked(); return 0; }\n' > "$T/threads.c"
if cc -shared -fPIC -o "$T/libthr.so" "$T/libthr.c" -lpthread &&
	cc -o "$T/threads" "$T/threads.c" -L"$T" -lthr -Wl,-rpath,"$T"; then
	jail -- "$T/threads"
	[ $rc = 125 ] && grep -q '^sbx: threads: ' "$T/err" && pass threads-refused || fail threads-refused "$(why)"
fi
