# sbx-evald-runner: what each jail of sbx-evald runs. python3 -u -B -c BOOTSTRAP
# reads this text from stdin and runs it in __main__ (evald/jail.c).
#
# It does Python's startup (site, the user base) before any request exists,
# says so with one marker line, then blocks on stdin for the one request it
# will ever serve: python's arguments, each ended by a NUL byte, then EOF
# (no JSON: importing json costs more than the rest of a print(1)). The
# service has already written the request's files into the home directory
# (our cwd). Then it runs the code as `python3 ARGS...` would, in a fresh
# __main__, and exits with the code's status. The jail is then destroyed:
# nothing of this process reaches another request. _RUNNER keeps our own
# module (and so our globals) alive once __main__ is the program's.
import os
import sys


def _serve():
    import gc

    # The compiler's first use costs a millisecond or two: pay it now.
    compile("x = 1", "<warm-up>", "exec")
    # Startup's objects will never be garbage: keep them out of every later
    # collection (gc.freeze), so the one at exit looks at the program's only.
    gc.freeze()
    os.write(1, b"\x1esbx-evald-ready\n")
    chunks = []
    while True:
        chunk = os.read(0, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
    if not chunks:
        # The service closed our stdin without a request: the pool shrinks.
        os._exit(0)
    # Arguments are C strings: decoded as python decodes its own argv.
    args = [os.fsdecode(a) for a in b"".join(chunks).split(b"\0")[:-1]]
    # The code gets an empty stdin, as under the cold path.
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return args


def _fallback(args):
    # Options the runner does not interpret (-X, -W, -i, ...): let python do it.
    os.execv(sys.executable, [sys.executable, "-u", "-B"] + args)


def _fresh_main():
    main = type(sys)("__main__")  # types.ModuleType, without importing types
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    return main


def _strip(tb):
    # Frames of this runner and of runpy are ours, not the program's.
    import runpy

    ours = (globals(), runpy.__dict__)
    while tb is not None and any(tb.tb_frame.f_globals is g for g in ours):
        tb = tb.tb_next
    return tb


def _run(args):
    if args[0] == "-c" and len(args) >= 2:
        sys.argv = ["-c"] + args[2:]
        sys.path[0] = ""
        main = _fresh_main()
        code = compile(args[1], "<string>", "exec")
        exec(code, main.__dict__)
    elif args[0] == "-m" and len(args) >= 2:
        import runpy

        sys.argv = ["-m"] + args[2:]
        sys.path[0] = os.getcwd()
        runpy._run_module_as_main(args[1], alter_argv=True)
    elif args[0] != "-" and not args[0].startswith("-"):
        path = os.path.abspath(args[0])
        sys.argv = list(args)
        if os.path.isdir(path) or not os.path.isfile(path):
            # A directory or zip with __main__.py, or a missing file: python's own words.
            if not os.path.exists(path):
                sys.stderr.write(
                    "%s: can't open file %r: [Errno 2] No such file or directory\n"
                    % (sys.executable, path)
                )
                sys.exit(2)
            import runpy

            sys.path[0] = path
            runpy.run_path(path, run_name="__main__")
        else:
            sys.path[0] = os.path.dirname(os.path.realpath(path))
            with open(path, "rb") as f:
                source = f.read()
            main = _fresh_main()
            main.__dict__["__file__"] = path
            main.__dict__["__cached__"] = None
            code = compile(source, path, "exec")
            exec(code, main.__dict__)
    else:
        _fallback(args)


def _exit_code(e):
    # What python makes of SystemExit(code) (Python/pythonrun.c).
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except Exception:
        pass
    return 1


def _finish(status, main):
    # What the interpreter's shutdown does that a program can see: wait for
    # its threads, run its atexit functions, let its __main__ objects go
    # (an open file is flushed and closed), flush stdout and stderr. The rest
    # of Py_Finalize (tearing every module down, a few ms) serves no one: the
    # jail is destroyed next, so end here.
    try:
        if "threading" in sys.modules:
            sys.modules["threading"]._shutdown()
    except BaseException:
        pass
    import atexit

    atexit._run_exitfuncs()
    if main is not None:
        try:
            main.__dict__.clear()
        except BaseException:
            pass
    import gc

    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            # Python exits 120 when it cannot flush stdout at exit.
            status = status or 120
    os._exit(status)


def _main():
    args = _serve()
    status = 0
    try:
        _run(args)
    except SystemExit as e:
        status = _exit_code(e)
    except BaseException as e:
        tb = _strip(e.__traceback__)
        # The default hook prints e.__traceback__ when set: strip it there too.
        e.__traceback__ = tb
        sys.excepthook(type(e), e, tb)
        if isinstance(e, KeyboardInterrupt):
            import signal

            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
        status = 1
    main = sys.modules.get("__main__")
    _finish(status, main if main is not _RUNNER else None)


def _zygote(sandbox):
    # sbx-evald's zygote (evald/zygote.c): this interpreter, started outside
    # any jail with the jails' environment and its startup done, makes one
    # copy of itself per jail on the service's word and never runs request
    # code. Each word on the control socket (fd 3) carries three descriptors:
    # the jail's directory, its stdin and its stdout; the answer is the pid
    # of the copy (or -errno). The copy is a child of the service, not ours
    # (clone(2) CLONE_PARENT), so the service waits for it, signals it and
    # ties it to its own life exactly as a jail it started itself.
    import _socket
    import ctypes
    import gc
    import signal

    clone = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)
    if clone is None:
        os.write(2, b"sbx-evald: zygote: no clone(2) number for this machine\n")
        os._exit(1)
    clone_parent, sigchld = 0x00008000, int(signal.SIGCHLD)
    # PyDLL: the GIL stays held across the clone, as os.fork() holds it.
    libc = ctypes.PyDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    libc.syscall.argtypes = [ctypes.c_long] * 6
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                           ctypes.c_ulong]
    environ = ctypes.POINTER(ctypes.c_void_p).in_dll(libc, "environ")
    api = ctypes.pythonapi
    # SBX_NO_CONSTRUCTOR=1 is in our environment: loading does not jail us.
    enter = ctypes.PyDLL(sandbox).sbx_enter
    enter.argtypes = [ctypes.c_char_p]
    enter.restype = ctypes.c_int
    service = os.getppid()
    sock = _socket.socket(fileno=3)
    cmsg_space = _socket.CMSG_SPACE(3 * 4)
    compile("x = 1", "<warm-up>", "exec")
    # What we made so far is never garbage: no copy's collector walks it
    # (and so no copy writes to those pages).
    gc.collect()
    gc.freeze()
    while True:
        msg, anc, _, _ = sock.recvmsg(1, cmsg_space)
        if not msg:
            os._exit(0)  # the service closed its end
        fds = []
        for level, kind, data in anc:
            if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
                fds += [int.from_bytes(data[i:i + 4], sys.byteorder, signed=True)
                        for i in range(0, len(data) - len(data) % 4, 4)]
        pid, err = -1, 22  # EINVAL: not the three descriptors
        if len(fds) == 3:
            api.PyOS_BeforeFork()
            pid = libc.syscall(clone, clone_parent | sigchld, 0, 0, 0, 0)
            err = ctypes.get_errno()
            if pid == 0:
                api.PyOS_AfterFork_Child()
                _copy(fds, sock, service, libc, environ, enter, signal)
            api.PyOS_AfterFork_Parent()
        for fd in fds:
            os.close(fd)
        sock.send((pid if pid > 0 else -err).to_bytes(4, sys.byteorder, signed=True))


def _copy(fds, sock, service, libc, environ, enter, signal):
    # One copy of the zygote: make it what a jail started by the service
    # itself would be (stdin, stdout+stderr, the per-run directory as cwd,
    # its own session, default signal dispositions, SIGTERM when the
    # service dies, nothing else open), then jail it with sandbox.so as its
    # constructor would. We stay outside as the jail's supervisor; the
    # program goes on below, in the jail, in our copy of the interpreter.
    saved = {}
    try:
        dir_fd, in_fd, out_fd = fds
        os.dup2(in_fd, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.fchdir(dir_fd)
        sock.detach()
        os.closerange(3, 1 << 30)
        os.setsid()
        # python's own dispositions (SIGINT, SIGPIPE, SIGXFSZ) are put back
        # in the program; the supervisor and the jail's init get none of them.
        for sig in (signal.SIGINT, signal.SIGPIPE, signal.SIGXFSZ):
            saved[sig] = signal.signal(sig, signal.SIG_DFL)
        # prctl(2) PR_SET_PDEATHSIG: our parent is the service's thread that
        # started the zygote; had the service died already, no signal comes.
        if libc.prctl(1, int(signal.SIGTERM), 0, 0, 0) != 0 or os.getppid() != service:
            os._exit(127)
        # The zygote's last variable kept the host's user site out of its
        # startup (PYTHONUSERBASE under /dev/null, which holds nothing): it is
        # not the jail's. Wipe it and cut it off; sbx_enter() then replaces
        # and wipes the rest, as for any program.
        n = 0
        while environ[n]:
            n += 1
        last = _cstring(environ[n - 1]) if n else b""
        if last.startswith(b"PYTHONUSERBASE=/dev/null/"):
            _cwipe(environ[n - 1], len(last))
            environ[n - 1] = None
    except BaseException as e:
        os.write(2, ("sbx-evald: zygote copy: %r\n" % (e,)).encode())
        os._exit(127)
    # sbx_enter() returns only in the program, jailed; the supervisor and
    # init never return, and a failure exits 125 with `sbx: STEP: REASON`.
    enter(None)
    for sig, handler in saved.items():
        signal.signal(sig, handler)
    _jailed_environment(environ)
    _main()


def _cstring(address):
    import ctypes

    return ctypes.string_at(address)


def _cwipe(address, n):
    import ctypes

    ctypes.memset(address, 0, n)


def _jailed_environment(environ):
    # python read the zygote's environment at its startup: os.environ (and
    # posix.environ, the same dict) and site's user base must be the jail's,
    # as the interpreter's startup inside the jail would have found them.
    import site

    data = os.environ._data
    data.clear()
    i = 0
    while environ[i]:
        key, eq, value = _cstring(environ[i]).partition(b"=")
        if eq and key not in data:  # the first wins, as at startup
            data[key] = value
        i += 1
    site.USER_BASE = site.USER_SITE = None
    if site.ENABLE_USER_SITE:
        user_site = site.getusersitepackages()
        if os.path.isdir(user_site):
            before = list(sys.path)
            site.addsitedir(user_site)
            added = sys.path[len(before):]
            del sys.path[len(before):]
            # Where startup puts it: before the system's site-packages.
            system = set(site.getsitepackages())
            at = next((i for i, p in enumerate(before) if p in system), len(before))
            sys.path[at:at] = added


_RUNNER = sys.modules["__main__"]
if os.environ.get("SBX_EVALD_ZYGOTE"):
    _zygote(os.environ["SBX_EVALD_ZYGOTE"])
else:
    _main()
