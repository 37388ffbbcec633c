#!/usr/bin/python3
"""netserve: the servers of the egress tests' private world, in one process.

Usage: netserve.py READY_FILE SPEC...
  SPEC is KIND,ADDRESS,PORT[,EXTRA]:
    tcp,198.51.100.10,7,TAG   TCP echo: answers every read with TAG + ":" + data
    udp,198.51.100.10,7,TAG   UDP echo, the same for every datagram
    dns,198.51.100.10,53,NAME=ADDR+NAME=ADDR...
                              a tiny DNS server (UDP and TCP) that knows only
                              the names given: A for IPv4 ADDRs, AAAA for IPv6;
                              NXDOMAIN for any other name
READY_FILE is written once every socket listens, so the caller can wait on it.
The tags tell the test which server answered (the internet, or a host address
that the jail must never reach).
"""
import ipaddress
import os
import selectors
import socket
import struct
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def dns_answer(query, names):
    """Build the reply to one DNS query (RFC 1035 section 4.1), or None."""
    if len(query) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qdcount != 1:
        return None
    pos, labels = 12, []
    while pos < len(query) and query[pos] != 0:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode("ascii", "replace").lower())
        pos += 1 + n
    pos += 1
    if pos + 4 > len(query):
        return None
    qtype, qclass = struct.unpack("!HH", query[pos:pos + 4])
    question = query[12:pos + 4]
    name = ".".join(labels)
    answers = []
    if name in names:
        rcode = 0
        for addr in names[name]:
            ip = ipaddress.ip_address(addr)
            rtype = 1 if ip.version == 4 else 28
            if rtype == qtype:
                # A name pointer to the question (0xc00c), type, class IN, TTL 60.
                answers.append(struct.pack("!HHHIH", 0xC00C, rtype, 1, 60, len(ip.packed)) + ip.packed)
    else:
        rcode = 3  # NXDOMAIN
    rd = flags & 0x0100
    header = struct.pack("!HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 | rcode, 1, len(answers), 0, 0)
    return header + question + b"".join(answers)


def main():
    ready, specs = sys.argv[1], sys.argv[2:]
    sel = selectors.DefaultSelector()
    for spec in specs:
        kind, addr, port, extra = (spec.split(",", 3) + [""])[:4]
        fam = family(addr)
        if kind == "dns":
            names = {}
            for pair in filter(None, extra.split("+")):
                n, a = pair.split("=", 1)
                names.setdefault(n.lower(), []).append(a)
            protos = [("dnsu", socket.SOCK_DGRAM), ("dnst", socket.SOCK_STREAM)]
        else:
            names = extra.encode()
            protos = [(kind, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)]
        for role, stype in protos:
            s = socket.socket(fam, stype)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if fam == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            # Addresses may still be tentative (IPv6 DAD): bind anyway.
            s.setsockopt(socket.SOL_IP, 15, 1)  # IP_FREEBIND
            s.bind((addr, int(port)))
            if stype == socket.SOCK_STREAM:
                s.listen(16)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, (role + "-listen", names))
    with open(ready + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(ready + ".tmp", ready)

    while True:
        for key, _ in sel.select():
            s, (role, data) = key.fileobj, key.data
            try:
                if role in ("tcp-listen", "dnst-listen"):
                    c, _ = s.accept()
                    c.setblocking(False)
                    sel.register(c, selectors.EVENT_READ, (role[:-7], [data, b""]))
                elif role == "udp-listen":
                    msg, peer = s.recvfrom(65535)
                    s.sendto(data + b":" + msg, peer)
                elif role == "dnsu-listen":
                    msg, peer = s.recvfrom(65535)
                    reply = dns_answer(msg, data)
                    if reply:
                        s.sendto(reply, peer)
                elif role == "tcp":
                    msg = s.recv(65535)
                    if not msg:
                        sel.unregister(s)
                        s.close()
                    else:
                        s.sendall(data[0] + b":" + msg)
                elif role == "dnst":
                    msg = s.recv(65535)
                    if not msg:
                        sel.unregister(s)
                        s.close()
                        continue
                    data[1] += msg
                    while len(data[1]) >= 2:
                        n = struct.unpack("!H", data[1][:2])[0]
                        if len(data[1]) < 2 + n:
                            break
                        reply = dns_answer(data[1][2:2 + n], data[0])
                        data[1] = data[1][2 + n:]
                        if reply:
                            s.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                if role in ("tcp", "dnst"):
                    sel.unregister(s)
                    s.close()


if __name__ == "__main__":
    main()
