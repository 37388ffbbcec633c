"""Run me under sandbox.so: I show what the jail looks like from inside.

    LD_PRELOAD=./sandbox.so python3 examples/jailed.py
"""
import os
import socket


def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return "?"


def can_connect():
    try:
        socket.create_connection(("127.0.0.1", 22), timeout=1).close()
        return "yes"
    except OSError as e:
        return f"no ({e.strerror})"


print(f"pid {os.getpid()} (parent {os.getppid()}), uid {os.getuid()}, gid {os.getgid()}")
print(f"hostname {socket.gethostname()}")
print(f"processes visible: {sorted(int(p) for p in os.listdir('/proc') if p.isdigit())}")
print(f"/ holds: {sorted(os.listdir('/'))}")
print(f"/home visible: {os.path.exists('/home')}, /etc/passwd visible: {os.path.exists('/etc/passwd')}")
print(f"network: interfaces {[n for _, n in socket.if_nameindex()]}, can connect to 127.0.0.1:22: {can_connect()}")
print(f"CapEff {status('CapEff')}, NoNewPrivs {status('NoNewPrivs')}, Seccomp {status('Seccomp')}")
print(f"environment: {dict(os.environ)}")
try:
    open("jailed-write-test", "w")
    print("the working directory is writable")
except OSError as e:
    print(f"the working directory is read-only: {e.strerror}")
