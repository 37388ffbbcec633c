#!/usr/bin/python3
"""netprobe: what the jailed program of the egress tests does.

Usage: netprobe.py CHECK...   one line out per CHECK:
  tcp,ADDR,PORT     connect, send, read the echo:  "tcp,ADDR,PORT ok:TAG" or the errno name
  udp,ADDR,PORT     connect, send, read the echo (the same)
  resolve,NAME      getaddrinfo: "resolve,NAME 198.51.100.10 2001:db8:1::10" or the error
  flush             try to undo the filter as the jailed program can: nft flush ruleset,
                    nft list ruleset, ip route flush; prints each tool's status and message
  listen,PORT,SECS  listen on TCP PORT on every address for SECS seconds, print
                    "listen,PORT accepted N"
  cat,PATH          the file's lines, joined by "|"
  killself          SIGKILL itself (a program that dies by a signal)
  sleep,SECS        sleep
A check that gets no answer in 3 s prints "timeout": refusals must be fast, so a
test that sees "timeout" where it expects an errno fails.
"""
import errno
import os
import signal
import socket
import subprocess
import sys
import time

TIMEOUT = 3.0


def errname(e):
    if isinstance(e, socket.timeout):
        return "timeout"
    if e.errno:
        return errno.errorcode.get(e.errno, str(e.errno))
    return str(e)


def talk(kind, addr, port):
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.connect((addr, int(port)))
        s.send(b"ping")
        return "ok:" + s.recv(200).decode(errors="replace").split(":")[0]
    except OSError as e:
        return errname(e)
    finally:
        s.close()


def resolve(name):
    try:
        found = []
        for ai in socket.getaddrinfo(name, 7, proto=socket.IPPROTO_TCP):
            if ai[4][0] not in found:
                found.append(ai[4][0])
        return " ".join(sorted(found))
    except socket.gaierror as e:
        return "gaierror:" + str(e.errno)


def run(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        msg = (p.stderr or p.stdout).strip().splitlines()
        return "rc=%d %s" % (p.returncode, msg[0] if msg else "")
    except OSError as e:
        return "cannot run: " + errname(e)


def listen(port, secs):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(port)))
    s.listen(8)
    s.settimeout(0.1)
    print("listening", flush=True)
    n, end = 0, time.time() + float(secs)
    while time.time() < end:
        try:
            c, _ = s.accept()
            n += 1
            c.close()
        except socket.timeout:
            pass
    return "accepted %d" % n


def main():
    for check in sys.argv[1:]:
        parts = check.split(",")
        kind = parts[0]
        if kind in ("tcp", "udp"):
            out = talk(kind, parts[1], parts[2])
        elif kind == "resolve":
            out = resolve(parts[1])
        elif kind == "flush":
            for argv in (["/usr/sbin/nft", "flush", "ruleset"], ["/usr/sbin/nft", "list", "ruleset"],
                         ["/usr/bin/ip", "route", "flush", "table", "main"]):
                print("flush %s %s" % (os.path.basename(argv[0]) + " " + argv[1], run(argv)), flush=True)
            continue
        elif kind == "listen":
            out = listen(parts[1], parts[2])
            check = "listen," + parts[1]
        elif kind == "cat":
            try:
                with open(parts[1]) as f:
                    out = "|".join(line.strip() for line in f if not line.startswith("#"))
            except OSError as e:
                out = errname(e)
        elif kind == "killself":
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        elif kind == "sleep":
            time.sleep(float(parts[1]))
            continue
        else:
            out = "unknown check"
        print(check, out, flush=True)


if __name__ == "__main__":
    main()
