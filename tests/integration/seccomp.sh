#!/usr/bin/env bash
# seccomp: the syscall filter under the whole jail, judged by the status, the
# message and what the call returned (shared/contract/policy.md: a forbidden
# syscall gives status 159 and `sbx: blocked syscall NAME`, or EPERM with
# action = errno).
#
# The helpers come from tests/helpers (make helpers): try_syscall NAME, int80,
# x32, tiocsti. The "bare" cases run them without the jail first and check
# the calls work there, so every jailed case below is shown able to fail.
. "$(dirname "$0")/../lib.sh"

H=$T/h
if [ ! -x "$H/try_syscall" ] || [ ! -x "$H/int80" ] || [ ! -x "$H/x32" ] || [ ! -x "$H/tiocsti" ]; then
	skip helpers "build them first: make BUILD=$BUILD helpers"
	exit 0
fi

# blocked NAME: the run ended as the contract says for a killed syscall.
blocked() {
	[ "$rc" = 159 ] && grep -q "^sbx: blocked syscall $1\\b" "$T/err"
}

# bare NAME CMD...: CMD works outside the jail (exit 0).
bare() {
	local name=$1; shift
	rc=0
	(cd "$T" && "$@") > "$T/out" 2> "$T/err" < /dev/null || rc=$?
	if [ "$rc" = 0 ]; then pass "bare_$name"; else fail "bare_$name" "$(why)"; fi
}

# ---- without the jail: the calls reach the kernel ----
bare ptrace "$H/try_syscall" ptrace
bare getppid "$H/try_syscall" getppid
# Some machines have no i386 entry at all (a paravirtualized guest kernel can
# answer int 0x80 with SIGSEGV): then there is no foreign ABI to filter.
rc=0; (cd "$T" && "$H/int80") > "$T/out" 2> "$T/err" < /dev/null || rc=$?
INT80=yes
if [ "$rc" = 0 ]; then pass bare_int80
elif [ "$rc" = 139 ]; then INT80=; skip bare_int80 "int 0x80 is SIGSEGV without the jail: this kernel has no i386 entry"
else fail bare_int80 "$(why)"; fi
bare x32 "$H/x32"
rc=0; (cd "$T" && "$H/try_syscall" clone3) > "$T/out" 2> "$T/err" || rc=$?
if grep -q EFAULT "$T/out"; then pass bare_clone3; else fail bare_clone3 "$(why)"; fi
bare tiocsti "$H/tiocsti"

# ---- the default policy (preset = default, action = kill) ----
for name in ptrace unshare clone mount bpf keyctl io_uring_setup userfaultfd perf_event_open \
	personality setns; do
	jail -- "$H/try_syscall" "$name"
	if blocked "$name"; then pass "default_$name"; else fail "default_$name" "$(why)"; fi
done

jail -- "$H/tiocsti"
if blocked ioctl; then pass default_tiocsti; else fail default_tiocsti "$(why)"; fi
jail -- "$H/tiocsti" --high
if blocked ioctl; then pass default_tiocsti_high_bits; else fail default_tiocsti_high_bits "$(why)"; fi

# Foreign ABIs: the kernel kills with SIGSYS itself (no notification).
if [ -n "$INT80" ]; then
	jail -- "$H/int80"
	if [ "$rc" = 159 ] && grep -q '^sbx: ' "$T/err"; then pass default_int80; else fail default_int80 "$(why)"; fi
else
	skip default_int80 "no i386 entry on this kernel (bare_int80)"
fi
jail -- "$H/x32"
if [ "$rc" = 159 ] && grep -q '^sbx: ' "$T/err"; then pass default_x32; else fail default_x32 "$(why)"; fi

# clone3 gets ENOSYS so that libc falls back to clone, whose flags the
# filter can read; plain fork, threads, unshare(CLONE_FILES) stay allowed.
jail -- "$H/try_syscall" clone3
if [ "$rc" = 1 ] && grep -q ENOSYS "$T/out"; then pass default_clone3_enosys; else fail default_clone3_enosys "$(why)"; fi
for name in getpid fork unshare_files personality_query; do
	jail -- "$H/try_syscall" "$name"
	if [ "$rc" = 0 ] && grep -q ': ok' "$T/out"; then pass "default_allows_$name"; else fail "default_allows_$name" "$(why)"; fi
done
jail -- "$H/tiocsti" --tcgets
if ! grep -q 'blocked syscall' "$T/err" && [ "$rc" != 159 ]; then pass default_allows_tcgets; else fail default_allows_tcgets "$(why)"; fi

# What a user runs: python3 with threads, multiprocessing, subprocess, pipes; /bin/sh.
cat > "$T/prog.py" <<'EOF'
import os, subprocess, threading, multiprocessing
t = threading.Thread(target=lambda: None); t.start(); t.join()
with multiprocessing.Pool(2) as p:
    assert p.map(abs, [-1, -2]) == [1, 2]
out = subprocess.run(['/bin/sh', '-c', 'echo hi | cat'], capture_output=True, check=True).stdout
assert out == b'hi\n', out
r, w = os.pipe(); os.write(w, b'x'); assert os.read(r, 1) == b'x'
print('ok')
EOF
chmod 644 "$T/prog.py"
jail -- "$PY" prog.py
if [ "$rc" = 0 ] && [ "$(out)" = ok ]; then pass default_python_threads_multiprocessing; else fail default_python_threads_multiprocessing "$(why)"; fi
jail -- /bin/sh -c 'echo a | cat; (true &); wait; x=$(echo b); [ "$x" = b ]'
if [ "$rc" = 0 ] && [ "$(out)" = a ]; then pass default_sh; else fail default_sh "$(why)"; fi

# As nobody, the same.
jail_nobody -- "$H/try_syscall" ptrace
if blocked ptrace; then pass nobody_ptrace; else fail nobody_ptrace "$(why)"; fi

# ---- action = errno ----
pol=$(policy errno.ini <<'EOF'
[seccomp]
action = errno
EOF
)
jail "$pol" -- "$H/try_syscall" ptrace
if [ "$rc" = 1 ] && grep -q EPERM "$T/out"; then pass errno_ptrace_eperm; else fail errno_ptrace_eperm "$(why)"; fi
jail "$pol" -- "$H/try_syscall" unshare
if [ "$rc" = 1 ] && grep -q EPERM "$T/out"; then pass errno_unshare_eperm; else fail errno_unshare_eperm "$(why)"; fi
jail "$pol" -- "$H/x32"
if [ "$rc" = 159 ]; then pass errno_x32_still_killed; else fail errno_x32_still_killed "$(why)"; fi

# ---- allow takes a name out of the preset; deny adds one ----
pol=$(policy allow.ini <<'EOF'
[seccomp]
allow = ptrace
EOF
)
jail "$pol" -- "$H/try_syscall" ptrace
if [ "$rc" = 0 ] && grep -q ': ok' "$T/out"; then pass allow_ptrace; else fail allow_ptrace "$(why)"; fi
jail "$pol" -- "$H/try_syscall" process_vm_readv
if blocked process_vm_readv; then pass allow_keeps_rest; else fail allow_keeps_rest "$(why)"; fi

pol=$(policy deny.ini <<'EOF'
[seccomp]
deny = getppid
EOF
)
jail "$pol" -- "$H/try_syscall" getppid
if blocked getppid; then pass deny_getppid; else fail deny_getppid "$(why)"; fi
if grep -q 'deny.ini:2' "$T/err"; then pass deny_names_its_line; else fail deny_names_its_line "$(why)"; fi

# ---- preset = none: no built-in list, foreign ABIs still killed ----
pol=$(policy none.ini <<'EOF'
[seccomp]
preset = none
EOF
)
jail "$pol" -- "$H/try_syscall" ptrace
if [ "$rc" = 0 ] && grep -q ': ok' "$T/out"; then pass none_ptrace; else fail none_ptrace "$(why)"; fi
jail "$pol" -- "$H/x32"
if [ "$rc" = 159 ]; then pass none_x32_killed; else fail none_x32_killed "$(why)"; fi

# ---- the report names the syscall ----
pol=$(policy report.ini <<EOF
[sandbox]
report = $T/report.json
EOF
)
jail "$pol" -- "$H/try_syscall" keyctl
if [ "$rc" = 159 ] && "$PY" - "$T/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == 159 and r["reason"] == "seccomp" and r["syscall"] == "keyctl", r
EOF
then pass report_names_syscall; else fail report_names_syscall "$(why) report=$(head -c 300 "$T/report.json" 2>/dev/null)"; fi
