#!/usr/bin/python3
"""A small client and load generator for sbx-evald's tests and bench.

    evald_client.py ADDR req METHOD PATH [BODY_FILE]  print "STATUS" then the body
    evald_client.py ADDR code CODE                    POST {"input": CODE}; print the body
    evald_client.py ADDR load N CONCURRENCY [CODE]    N requests from CONCURRENCY threads
    evald_client.py ADDR stall SECONDS                send half a request; say when closed
    evald_client.py ADDR abandon SECONDS CODE         POST CODE, hang up after SECONDS
    evald_client.py ADDR raw FILE                     send FILE's bytes; print the reply
    evald_client.py ADDR paced N GAP_MS [CODE]        N requests one at a time, GAP_MS apart

ADDR is HOST:PORT or unix:PATH. Only the standard library, so it runs
anywhere python3 does. `load` prints one line: counts by status, latency
percentiles (ms), requests/s, and the first unexpected answer if any.
"""
import http.client
import json
import socket
import sys
import threading
import time


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


def connection(addr, timeout=60):
    if addr.startswith("unix:"):
        return UnixHTTPConnection(addr[5:], timeout)
    host, port = addr.rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=timeout)


def raw_socket(addr):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    return s


def request(addr, method, path, body=None, headers=None):
    c = connection(addr)
    hdrs = {"Content-Type": "application/json"} if body is not None else {}
    hdrs.update(headers or {})
    c.request(method, path, body=body, headers=hdrs)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def cmd_req(addr, method, path, body_file=None):
    body = open(body_file, "rb").read() if body_file else None
    status, headers, data = request(addr, method, path, body)
    print(status)
    for k in ("Allow", "Retry-After", "Content-Type"):
        if k in headers:
            print("%s: %s" % (k, headers[k]))
    print()
    sys.stdout.write(data.decode("utf-8", "replace"))
    print()


def cmd_code(addr, code):
    status, _, data = request(addr, "POST", "/eval", json.dumps({"input": code}))
    if status != 200:
        print("HTTP %d %s" % (status, data.decode("utf-8", "replace")))
        sys.exit(1)
    sys.stdout.write(data.decode("utf-8"))
    print()


def cmd_load(addr, n, conc, code="print(1)"):
    n, conc = int(n), int(conc)
    body = json.dumps({"input": code}).encode()
    counts = {}
    latencies = []
    unexpected = []
    lock = threading.Lock()
    left = [n]

    def worker():
        c = None
        while True:
            with lock:
                if left[0] == 0:
                    break
                left[0] -= 1
            t0 = time.monotonic()
            try:
                if c is None:
                    c = connection(addr)
                c.request("POST", "/eval", body=body,
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    c.close()
                    c = None
            except Exception as e:  # a failure of the service, counted
                status, data = "error", repr(e).encode()
                if c is not None:
                    c.close()
                c = None
            dt = (time.monotonic() - t0) * 1e3
            with lock:
                counts[status] = counts.get(status, 0) + 1
                if status == 200:
                    latencies.append(dt)
                    ok = False
                    try:
                        ans = json.loads(data)
                        ok = ans["returncode"] == 0 and ans["reason"] == "exit"
                    except ValueError:
                        pass
                    if not ok and not unexpected:
                        unexpected.append(data[:300])
                elif status != 503 and not unexpected:
                    unexpected.append(("%s " % status).encode() + data[:300])
            if status == 503:
                time.sleep(0.25)  # back off, as Retry-After asks (shorter: a test)
        if c is not None:
            c.close()

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(conc)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    latencies.sort()

    def pct(p):
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))]

    print("ok=%d shed=%d other=%d p50=%.1f p99=%.1f rps=%.1f unexpected=%s" % (
        counts.get(200, 0), counts.get(503, 0),
        sum(v for k, v in counts.items() if k not in (200, 503)),
        pct(50), pct(99), counts.get(200, 0) / took,
        unexpected[0].decode("utf-8", "replace").replace("\n", "|") if unexpected else "-"))


def cmd_stall(addr, seconds):
    # Headers, then half a body, then nothing: the server must hang up.
    s = raw_socket(addr)
    s.sendall(b"POST /eval HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 100\r\n\r\n{\"input\":")
    s.settimeout(float(seconds))
    t0 = time.monotonic()
    try:
        while True:
            data = s.recv(4096)
            if not data:
                print("closed after %.1f s" % (time.monotonic() - t0))
                return
    except socket.timeout:
        print("still open after %s s" % seconds)
    except ConnectionResetError:
        print("closed after %.1f s" % (time.monotonic() - t0))


def cmd_abandon(addr, seconds, code):
    s = raw_socket(addr)
    body = json.dumps({"input": code}).encode()
    s.sendall(b"POST /eval HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % len(body) + body)
    time.sleep(float(seconds))
    s.close()
    print("hung up")


def cmd_raw(addr, path):
    s = raw_socket(addr)
    s.sendall(open(path, "rb").read())
    s.settimeout(10)
    out = b""
    try:
        while True:
            data = s.recv(65536)
            if not data:
                break
            out += data
            if b"\r\n\r\n" in out:
                head, _, rest = out.partition(b"\r\n\r\n")
                length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:")]
                if length and len(rest) >= length[0]:
                    break
    except (socket.timeout, ConnectionResetError):
        pass
    sys.stdout.write(out.decode("utf-8", "replace"))


def cmd_paced(addr, n, gap_ms, code="print(1)"):
    # Concurrency 1 with think time: what one user at a time sees while the
    # pool keeps up (a closed loop measures the refill rate instead).
    body = json.dumps({"input": code}).encode()
    c = connection(addr)
    lat, walls = [], []
    for _ in range(int(n)):
        t0 = time.monotonic()
        c.request("POST", "/eval", body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        d = json.loads(r.read())
        lat.append((time.monotonic() - t0) * 1e3)
        walls.append(d["wall_s"] * 1e3)
        time.sleep(float(gap_ms) / 1e3)
    c.close()
    lat.sort()
    walls.sort()
    print("p50=%.1f p99=%.1f wall_p50=%.1f" % (
        lat[len(lat) // 2], lat[min(len(lat) - 1, len(lat) * 99 // 100)], walls[len(walls) // 2]))


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        sys.exit(2)
    addr, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    {"req": cmd_req, "code": cmd_code, "load": cmd_load, "stall": cmd_stall,
     "abandon": cmd_abandon, "raw": cmd_raw, "paced": cmd_paced}[cmd](addr, *args)


if __name__ == "__main__":
    main()
