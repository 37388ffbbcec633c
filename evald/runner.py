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


def _warm_up(gc):
    # For a copy of the zygote waiting in the pool: what its request would
    # otherwise pay for on its way, paid before it comes. The compiler, the
    # eval loop, the text layer of stdout and the collector cost a copy the
    # pages they touch at their first use in it. Nothing is printed and
    # nothing is kept.
    code = compile("def f(n):\n    return [str(i) for i in range(n)]\nx = f(3)\n", "<warm-up>", "exec")
    exec(code, {"__builtins__": __builtins__})
    sys.stdout.write("")
    sys.stdout.flush()
    gc.collect()


def _serve(warm):
    import gc

    if warm:
        _warm_up(gc)
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


def _main(warm=False):
    args = _serve(warm)
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
    # code. sandbox.so's sbx_zygote() serves the control socket (fd 3): each
    # word carries the jail's directory, stdin and stdout, and the copy is a
    # child of the service (clone(2) CLONE_PARENT), which waits for it,
    # signals it and ties it to its own life as a jail it started itself.
    # The loop is C and runs no python: the zygote's pages stay as they are,
    # so a copy copies only the pages it writes itself.
    import ctypes
    import gc

    # PyDLL: the GIL stays held across the loop, as os.fork() holds it.
    libc = ctypes.PyDLL(None)
    environ = ctypes.POINTER(ctypes.c_void_p).in_dll(libc, "environ")
    api = ctypes.pythonapi
    # SBX_NO_CONSTRUCTOR=1 is in our environment: loading does not jail us.
    lib = ctypes.PyDLL(sandbox)
    serve = lib.sbx_zygote
    serve.argtypes = [ctypes.c_int, ctypes.c_char_p]
    serve.restype = ctypes.c_int
    prepare = lib.sbx_zygote_prepare
    prepare.argtypes = [ctypes.c_char_p]
    prepare.restype = ctypes.POINTER(ctypes.c_char_p)
    # The last variable kept the host's user site out of our startup
    # (PYTHONUSERBASE under /dev/null, which holds nothing): it is not the
    # jails'. Wipe it and cut it off; sbx_enter() replaces and wipes the rest.
    n = 0
    while environ[n]:
        n += 1
    last = _cstring(environ[n - 1]) if n else b""
    if last.startswith(b"PYTHONUSERBASE=/dev/null/"):
        _cwipe(environ[n - 1], len(last))
        environ[n - 1] = None
    # The policy is read once, here; it tells what every copy's environment
    # will be, so os.environ and site's user base are set once, here too:
    # a copy whose environment is that one (sbx_zygote returns 0) only
    # looks for the user site, which only the jail can see.
    import site

    jail_env = prepare(None)
    if jail_env:
        _set_environment(jail_env, site)
    compile("x = 1", "<warm-up>", "exec")
    # What we made so far is never garbage: no copy's collector walks it
    # (and so no copy writes to those pages).
    gc.collect()
    gc.freeze()
    after_child = api.PyOS_AfterFork_Child  # resolved here, not in each copy
    api.PyOS_BeforeFork()
    rc = serve(3, None)
    if rc == 1:
        api.PyOS_AfterFork_Parent()
        os._exit(0)  # the service closed its end
    # A copy, jailed: sbx_zygote() returned in the program (the supervisor
    # and init never return; a failure exited 125 with `sbx: STEP: REASON`).
    after_child()
    if rc != 0 or not jail_env:
        # Not the environment the zygote was told: read the jail's.
        cenv = ctypes.cast(ctypes.c_void_p.in_dll(libc, "environ").value,
                           ctypes.POINTER(ctypes.c_char_p))
        _set_environment(cenv, site)
    _add_user_site(site)
    # A copy waits in the pool: what the request would pay for at its
    # first use is paid now (a cold jail gets its request at once).
    _main(warm=True)


def _cstring(address):
    import ctypes

    return ctypes.string_at(address)


def _cwipe(address, n):
    import ctypes

    ctypes.memset(address, 0, n)


def _set_environment(entries, site):
    # python read the zygote's environment at its startup: os.environ (and
    # posix.environ, the same dict) and site's user base must be the jail's,
    # as the interpreter's startup inside the jail would have found them.
    # entries: an environ(7) array of bytes, None at its end.
    data = os.environ._data
    data.clear()
    i = 0
    while entries[i] is not None:
        key, eq, value = entries[i].partition(b"=")
        if eq and key not in data:  # the first wins, as at startup
            data[key] = value
        i += 1
    site.USER_BASE = site.USER_SITE = None
    if site.ENABLE_USER_SITE:
        site.getusersitepackages()


def _add_user_site(site):
    # The user site, where startup puts it (before the system's
    # site-packages), when it exists in the jail.
    if site.ENABLE_USER_SITE and site.USER_SITE and os.path.isdir(site.USER_SITE):
        before = list(sys.path)
        site.addsitedir(site.USER_SITE)
        added = sys.path[len(before):]
        del sys.path[len(before):]
        system = set(site.getsitepackages())
        at = next((i for i, p in enumerate(before) if p in system), len(before))
        sys.path[at:at] = added


_RUNNER = sys.modules["__main__"]
if os.environ.get("SBX_EVALD_ZYGOTE"):
    _zygote(os.environ["SBX_EVALD_ZYGOTE"])
else:
    _main()
