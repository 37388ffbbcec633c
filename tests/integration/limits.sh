#!/usr/bin/env bash
# [limits], supervision and the run report: every limit holds for the whole
# jail and every way a run can end reads as such (status, `sbx:` line, report).
. "$(dirname "$0")/../lib.sh"

report_field() { # FILE FIELD: print one field of a JSON report
	$PY -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print("null" if v is None else v)' "$1" "$2"
}

# --- cpu_time: SIGXCPU at the soft limit; SIGKILL one second later if ignored.
p=$(policy cpu.ini <<P
[sandbox]
report = $T/cpu.json
[limits]
cpu_time = 1
wall_time = 10
P
)
jail "$p" -- $PY -c 'while True: pass'
[ $rc = 152 ] && grep -qx 'sbx: cpu time limit (1 s) exceeded' "$T/err" && [ "$(report_field "$T/cpu.json" reason)" = cpu_time ] &&
	pass cpu-time || fail cpu-time "$(why)"
jail "$p" -- $PY -c '
import signal
signal.signal(signal.SIGXCPU, signal.SIG_IGN)
while True: pass'
[ $rc = 137 ] && grep -qx 'sbx: cpu time limit (1 s) exceeded' "$T/err" && pass cpu-time-sigxcpu-ignored || fail cpu-time-sigxcpu-ignored "$(why)"
# Control: without the limit the same loop is ended only by the wall time.
p=$(policy cpu0.ini <<P
[limits]
cpu_time = 0
wall_time = 1.5
P
)
jail "$p" -- $PY -c 'while True: pass'
[ $rc = 124 ] && pass cpu-time-control || fail cpu-time-control "$(why)"

# --- memory: the whole jail in one cgroup (root here: cgroup v1); the kill reads as memory.
p=$(policy mem.ini <<P
[sandbox]
report = $T/mem.json
[limits]
memory = 64M
P
)
if [ "$(id -u)" = 0 ] && [ -w /sys/fs/cgroup/memory ] || [ -w /sys/fs/cgroup/memory.max ]; then
	jail "$p" -- $PY -c 'x = bytearray(200 * 1024 * 1024); print(len(x))'
	[ $rc = 137 ] && grep -qx 'sbx: memory limit (64M) exceeded' "$T/err" && [ "$(report_field "$T/mem.json" reason)" = memory ] &&
		[ "$(report_field "$T/mem.json" peak_memory_bytes)" -ge 60000000 ] && pass memory-cgroup || fail memory-cgroup "$(why)"
	# Whole jail: two processes of 40M each exceed 64M together, not alone;
	# the kernel's OOM killer picks one of them.
	jail "$p" -- $PY -c '
import os, time
pid = os.fork()
x = b"x" * (40 * 1024 * 1024)  # touched, so it is really used
time.sleep(0.5)
if pid:
    _, st = os.waitpid(pid, 0)
    print("both fit" if st == 0 else "child killed")'
	{ [ $rc = 137 ] || [ "$(out)" = "child killed" ]; } && pass memory-whole-jail || fail memory-whole-jail "$(why)"
	jail "$p" -- $PY -c 'x = bytearray(30 * 1024 * 1024); print("fits")'
	[ $rc = 0 ] && [ "$(out)" = fits ] && pass memory-under-limit || fail memory-under-limit "$(why)"
else
	skip memory-cgroup "no writable memory cgroup"
fi
# nobody: no cgroup here; the limit falls back to RLIMIT_AS per process, said once at warn.
jail_nobody "$p" -- $PY -c '
try:
    x = bytearray(200 * 1024 * 1024); print("allocated")
except MemoryError:
    print("MemoryError")'
if grep -q '^sbx: cgroup: no memory cgroup' "$T/err"; then
	[ $rc = 0 ] && [ "$(out)" = MemoryError ] && [ "$(grep -c '^sbx: cgroup' "$T/err")" = 1 ] &&
		pass nobody-memory-fallback || fail nobody-memory-fallback "$(why)"
	# require_cgroup = yes: no silent downgrade, the run fails.
	p2=$(policy req.ini <<P
[limits]
memory = 64M
require_cgroup = yes
P
)
	jail_nobody "$p2" -- /bin/sh -c 'echo ran'
	[ $rc = 125 ] && [ ! -s "$T/out" ] && grep -q '^sbx: cgroup: ' "$T/err" && pass require-cgroup || fail require-cgroup "$(why)"
else
	[ $rc = 137 ] && pass nobody-memory-cgroup || fail nobody-memory-cgroup "$(why)"
fi

# --- processes: a fork loop stops at the limit, as root (pids cgroup) and as nobody (RLIMIT_NPROC).
p=$(policy procs.ini <<P
[limits]
processes = 8
wall_time = 10
P
)
forks='
import os, time
n = 0
try:
    while n < 100:
        if os.fork() == 0:
            time.sleep(3); os._exit(0)
        n += 1
except OSError as e:
    print("stopped", n, e.errno)'
for who in root nobody; do
	run=jail; [ $who = nobody ] && run=jail_nobody
	$run "$p" -- $PY -c "$forks"
	n=$(out | awk '/^stopped/ {print $2}')
	[ $rc = 0 ] && [ -n "$n" ] && [ "$n" -lt 8 ] && [ "$n" -ge 4 ] && pass "$who/processes-limit" || fail "$who/processes-limit" "$(why)"
done
# Control: without it the same loop makes its 100 processes.
p0=$(policy procs0.ini <<P
[limits]
processes = 0
wall_time = 10
P
)
jail "$p0" -- $PY -c "$forks"
[ $rc = 0 ] && [ -z "$(out)" ] && pass processes-control || fail processes-control "$(why)"

# RLIMIT_NPROC counts per user namespace (Linux 5.14+): two jails of the same
# outside user each get their own budget.
marker=sbx-limits-$$-$RANDOM
(cd "$T" && exec "${NOBODY[@]}" env SBX_POLICY=$p LD_PRELOAD=$SO $PY -c 'import os, sys, time
for _ in range(5):
    if os.fork() == 0: time.sleep(4); os._exit(0)
time.sleep(4)' $marker > /dev/null 2>&1 &)
sleep 1
jail_nobody "$p" -- $PY -c "$forks"
n=$(out | awk '/^stopped/ {print $2}')
[ -n "$n" ] && [ "$n" -ge 4 ] && pass nproc-per-user-namespace || fail nproc-per-user-namespace "$(why)"
pkill -KILL -f "$marker" 2> /dev/null

# A fork bomb ends inside wall_time and leaves nothing running on the host.
marker=sbx-bomb-$$-$RANDOM
p=$(policy bomb.ini <<P
[limits]
processes = 32
wall_time = 2
P
)
for who in root nobody; do
	run=jail; [ $who = nobody ] && run=jail_nobody
	$run "$p" -- $PY -c '
import os, sys
while True:
    try:
        os.fork()
    except OSError:
        pass' $marker
	sleep 0.3
	[ $rc = 124 ] && ! pgrep -f "$marker" > /dev/null && pass "$who/fork-bomb" || { fail "$who/fork-bomb" "$(why) $(pgrep -f "$marker" | wc -l) left"; pkill -KILL -f "$marker"; }
done

# --- file_size, open_files, address_space: rlimits; tmpfs sizes hold (ENOSPC, not the host's disk).
p=$(policy rl.ini <<P
[limits]
file_size = 1M
open_files = 64
address_space = 300M
[fs]
tmpfs = /tmp:2M
P
)
jail "$p" -- $PY -c '
import errno, os
def attempt(f):
    try:
        f(); return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
    except MemoryError:
        return "MemoryError"
def big():
    with open("/tmp/big", "wb") as f: f.write(b"x" * 1500000)
def many():
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(100)]
def fill():
    for i in range(3):
        with open(f"/tmp/fill{i}", "wb") as f: f.write(b"x" * 900000)
def alloc():
    x = bytearray(400 * 1024 * 1024)
print(attempt(big), attempt(alloc))
os.unlink("/tmp/big")
print(attempt(fill), attempt(many))'
[ $rc = 0 ] && [ "$(out)" = "$(printf 'EFBIG MemoryError\nENOSPC EMFILE')" ] && pass rlimits-and-tmpfs-size || fail rlimits-and-tmpfs-size "$(why)"

# --- the report: one JSON object, every field, for each way a run ends.
p=$(policy rep.ini <<P
[sandbox]
report = ./rep.json
[limits]
wall_time = 1
P
)
jail "$p" -- $PY -c 'import sys; sys.exit(3)'
$PY - "$T/rep.json" "$p" <<'PY' > "$T/check" 2>&1 && pass report-exit || fail report-exit "$(cat "$T/check")"
import json, sys
r = json.load(open(sys.argv[1]))
want = {"status": 3, "reason": "exit", "signal": None, "syscall": None, "policy": sys.argv[2]}
for k, v in want.items():
    assert r[k] == v, (k, r[k], v)
for k in ("wall_s", "cpu_user_s", "cpu_sys_s"):
    assert isinstance(r[k], (int, float)) and r[k] >= 0, k
assert r["peak_memory_bytes"] is None or isinstance(r["peak_memory_bytes"], int)
PY
ls "$T" | grep -q 'rep.json.' && fail report-atomic "temp file left: $(ls "$T")" || pass report-atomic
jail "$p" -- $PY -c 'import time; time.sleep(5)'
[ $rc = 124 ] && [ "$(report_field "$T/rep.json" reason)" = wall_time ] && pass report-wall-time || fail report-wall-time "$(why)"
jail "$p" -- $PY -c 'import os; os.kill(os.getpid(), 9)'
[ $rc = 137 ] && [ "$(report_field "$T/rep.json" reason)" = signal ] && [ "$(report_field "$T/rep.json" signal)" = SIGKILL ] &&
	grep -qx 'sbx: killed by signal SIGKILL' "$T/err" && pass report-signal || fail report-signal "$(why)"
jail "$p" -- $PY -c 'import ctypes; ctypes.CDLL(None).syscall(101, 0, 0, 0, 0)'
[ $rc = 159 ] && [ "$(report_field "$T/rep.json" reason)" = seccomp ] && [ "$(report_field "$T/rep.json" syscall)" = ptrace ] &&
	pass report-seccomp || fail report-seccomp "$(why)"
p=$(policy repsetup.ini <<P
[sandbox]
report = ./rep.json
[fs]
ro = /nonexistent-sbx-source
P
)
jail "$p" -- /bin/sh -c 'touch ran'
[ $rc = 125 ] && [ ! -e "$T/ran" ] && [ "$(report_field "$T/rep.json" reason)" = setup ] &&
	report_field "$T/rep.json" setup_error | grep -q 'nonexistent-sbx-source' && pass report-setup || fail report-setup "$(why)"

# --- 20 runs in parallel leave no mount, cgroup, temp directory or process behind.
mounts_before=$(wc -l < /proc/self/mountinfo)
tmp_before=$(ls /tmp | wc -l)
marker=sbx-par-$$-$RANDOM
p=$(policy par.ini <<P
[limits]
wall_time = 5
P
)
pids=()
for i in $(seq 20); do
	(cd "$T" && SBX_POLICY=$p LD_PRELOAD=$SO exec $PY -c 'import os, subprocess, sys; subprocess.Popen(["/bin/sleep", "0.3"]); print(os.getpid())' $marker > "$T/run-$i.out" 2>&1) &
	pids+=($!)
done
ok=1
for pid in "${pids[@]}"; do wait "$pid" || ok=0; done
sleep 0.5
# Each supervisor names its cgroups sbx-PID-*: none of ours may be left.
left=0
for pid in "${pids[@]}"; do
	ls /sys/fs/cgroup/memory /sys/fs/cgroup/pids /sys/fs/cgroup/unified 2> /dev/null | grep -q "^sbx-$pid-" && left=$((left + 1))
done
[ $ok = 1 ] && [ "$(cat "$T"/run-*.out | sort -u)" = 2 ] && pass parallel-20-runs || fail parallel-20-runs "$(cat "$T"/run-*.out | sort | uniq -c)"
! pgrep -f "$marker" > /dev/null && [ $left = 0 ] && [ "$(wc -l < /proc/self/mountinfo)" = "$mounts_before" ] &&
	[ "$(ls /tmp | wc -l)" -le "$tmp_before" ] && pass parallel-nothing-left ||
	fail parallel-nothing-left "cgroups left $left, procs $(pgrep -f "$marker" | wc -l), tmp $tmp_before->$(ls /tmp | wc -l)"
