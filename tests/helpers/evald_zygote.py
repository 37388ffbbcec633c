#!/usr/bin/python3
"""Checks of sbx-evald's zygote and of sandbox.so's sbx_enter(), for tests/integration/evald.sh.

    evald_zygote.py find SERVER_PID     the zygote's pid (the oldest child of the
                                        server whose environment names SBX_EVALD_ZYGOTE)
    evald_zygote.py scan PID TEXT...    for each TEXT: "TEXT yes" if it is in PID's
                                        writable memory, else "TEXT no"
    evald_zygote.py enter SO POLICY     load SO (SBX_NO_CONSTRUCTOR=1 must be set),
                                        print what the process is before and after
                                        sbx_enter(POLICY); POLICY "-" = NULL
    evald_zygote.py zygote SO POLICY [late]
                                        sbx_zygote(): a word without descriptors,
                                        one copy, the end (SBX_NO_CONSTRUCTOR=1 set);
                                        late: a variable set after sbx_zygote_prepare()
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


def cmd_zygote(so, policy, late=False):
    # sandbox.so's sbx_zygote() on its own: a zygote child of ours serves a
    # socket; a word without descriptors is answered -EINVAL, a word with
    # three gets a copy (our child: CLONE_PARENT) that runs jailed in the
    # directory with the descriptors as stdio, and returns 0 there; closing
    # the socket ends the zygote (sbx_zygote returns 1).
    import array
    import ctypes
    import errno
    import signal
    import socket
    import struct

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)  # a disposition the copy must get back
    zpid = os.fork()
    if zpid == 0:
        ours.close()
        lib = ctypes.PyDLL(so)
        lib.sbx_zygote_prepare.restype = ctypes.POINTER(ctypes.c_char_p)
        env = lib.sbx_zygote_prepare(None if policy == "-" else policy.encode())
        told = []
        while env and env[len(told)] is not None:
            told.append(env[len(told)])
        if late:  # the environment changes after sbx_zygote_prepare(): rc 2
            os.putenv("ZYGOTE_TEST_LATE", "1")
        ctypes.pythonapi.PyOS_BeforeFork()
        rc = lib.sbx_zygote(theirs.fileno(), None if policy == "-" else policy.encode())
        if rc == 1:
            ctypes.pythonapi.PyOS_AfterFork_Parent()
            os._exit(0)
        ctypes.pythonapi.PyOS_AfterFork_Child()
        libc = ctypes.CDLL(None)
        environ = ctypes.POINTER(ctypes.c_char_p).in_dll(libc, "environ")
        now = []
        while environ[len(now)] is not None:
            now.append(environ[len(now)])
        print("copy rc=%d pid=%d cwd=%s seccomp=%s env-as-told=%s late=%s usr1=%s" % (
            rc, os.getpid(), os.getcwd(), status_line("Seccomp"), now == told,
            b"ZYGOTE_TEST_LATE=1" in now,
            "ignored" if signal.getsignal(signal.SIGUSR1) == signal.SIG_IGN else "other"))
        sys.stdout.flush()
        os._exit(0)
    theirs.close()
    ours.send(b"J")
    (answer,) = struct.unpack("i", ours.recv(4))
    print("no-fds answer=%s" % ("-EINVAL" if answer == -errno.EINVAL else answer))
    r, w = os.pipe()
    dfd = os.open(".", os.O_RDONLY | os.O_DIRECTORY)
    nul = os.open(os.devnull, os.O_RDONLY)
    ours.sendmsg([b"J"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [dfd, nul, w]))])
    (cpid,) = struct.unpack("i", ours.recv(4))
    for fd in (dfd, nul, w):
        os.close(fd)
    out = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(cpid, 0)  # ours: clone(2) CLONE_PARENT
    print("copy-child-of-caller=yes status=%d" % os.waitstatus_to_exitcode(status))
    sys.stdout.write(out.decode())
    ours.close()
    _, status = os.waitpid(zpid, 0)
    print("zygote-ended status=%d" % os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "find":
        cmd_find(sys.argv[2])
    elif cmd == "scan":
        cmd_scan(sys.argv[2], sys.argv[3:])
    elif cmd == "enter":
        cmd_enter(sys.argv[2], sys.argv[3])
    elif cmd == "zygote":
        cmd_zygote(sys.argv[2], sys.argv[3], sys.argv[4:] == ["late"])
    else:
        sys.exit(__doc__)
