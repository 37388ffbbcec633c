#!/usr/bin/python3
"""Checks of sbx-evald's zygote and of sandbox.so's sbx_enter(), for tests/integration/evald.sh.

    evald_zygote.py find SERVER_PID     the zygote's pid (the oldest child of the
                                        server whose environment names SBX_EVALD_ZYGOTE)
    evald_zygote.py scan PID TEXT...    for each TEXT: "TEXT yes" if it is in PID's
                                        writable memory, else "TEXT no"
    evald_zygote.py enter SO POLICY     load SO (SBX_NO_CONSTRUCTOR=1 must be set),
                                        print what the process is before and after
                                        sbx_enter(POLICY); POLICY "-" = NULL
"""
import os
import sys


def children(ppid):
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == ppid:
            yield int(name), int(fields[19])  # pid, start time


def cmd_find(server):
    found = []
    for pid, start in children(int(server)):
        try:
            with open("/proc/%d/environ" % pid, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if any(e.startswith(b"SBX_EVALD_ZYGOTE=") for e in env):
            found.append((start, pid))
    if not found:
        sys.exit("no zygote among the children of %s" % server)
    print(min(found)[1])


def cmd_scan(pid, texts):
    found = {t: False for t in texts}
    with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            if parts[1][:2] != "rw":
                continue
            start, end = (int(x, 16) for x in parts[0].split("-"))
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, ValueError, OverflowError):
                continue
            for t in texts:
                found[t] = found[t] or t.encode() in data
    for t in texts:
        print(t, "yes" if found[t] else "no")


def status_line(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split()[1]


def cmd_enter(so, policy):
    import ctypes

    lib = ctypes.CDLL(so)
    libc = ctypes.CDLL(None)
    libc.getenv.restype = ctypes.c_char_p
    print("before pid1=%s seccomp=%s" % (os.getpid() == 1 or os.getpid() == 2, status_line("Seccomp")))
    sys.stdout.flush()
    rc = lib.sbx_enter(None if policy == "-" else policy.encode())
    print("after rc=%d pid=%d seccomp=%s nonewprivs=%s canary=%s" % (
        rc, os.getpid(), status_line("Seccomp"), status_line("NoNewPrivs"),
        libc.getenv(b"EVALD_TEST_CANARY")))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "find":
        cmd_find(sys.argv[2])
    elif cmd == "scan":
        cmd_scan(sys.argv[2], sys.argv[3:])
    elif cmd == "enter":
        cmd_enter(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
