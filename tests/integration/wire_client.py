"""wire_client.py - speak (and misspeak) wifd's wire protocol v1 for tests.

    wire_client.py SOCKET request op=token profile=x   -> prints the reply fields
    wire_client.py SOCKET SCENARIO                     -> runs one fault scenario,
                                                          prints "ok: ..." or exits 1

Written from wifd(8) alone (a 4-byte big-endian length, then key=value lines),
so that it checks the documented protocol rather than the C implementation.
"""
import os
import resource
import socket
import struct
import sys
import time


def frame(fields):
    body = "".join("%s=%s\n" % kv for kv in [("wif", "1")] + fields).encode()
    return struct.pack(">I", len(body)) + body


def read_reply(s, timeout=30):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < 4:
        chunk = s.recv(4 - len(buf))
        if not chunk:
            raise EOFError("closed before a reply")
        buf += chunk
    n = struct.unpack(">I", buf)[0]
    if not 1 <= n <= 65536:
        raise ValueError("bad reply length %d" % n)
    body = b""
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            raise EOFError("closed mid-reply")
        body += chunk
    lines = body.decode().split("\n")
    assert lines[-1] == "", "reply does not end with a newline"
    fields = dict(l.split("=", 1) for l in lines[:-1])
    assert lines[0] == "wif=1", "reply is not version 1"
    return fields


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def closed(s, timeout=15):
    """True when the daemon closes the connection (EOF) within timeout."""
    s.settimeout(timeout)
    try:
        while True:
            if not s.recv(4096):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def must(cond, what):
    if not cond:
        print("FAIL: " + what)
        sys.exit(1)


def scenario(path, name):
    if name == "zero-length":
        s = connect(path)
        s.sendall(struct.pack(">I", 0))
        r = read_reply(s)
        must(r.get("status") == "error" and "frame length" in r.get("error", ""), "zero length refused: %r" % r)
        must(closed(s), "connection closed after a bad frame")
    elif name == "oversized":
        s = connect(path)
        s.sendall(struct.pack(">I", 65537) + b"x" * 100)
        r = read_reply(s)
        must(r.get("status") == "error" and r.get("rc") == "-29", "oversized frame refused: %r" % r)
        must(closed(s), "connection closed after an oversized frame")
    elif name == "max-size-garbage":
        # a whole 64 KiB frame of garbage: read fully, answered, not a crash
        s = connect(path)
        s.sendall(struct.pack(">I", 65536) + b"\xff" * 65536)
        r = read_reply(s)
        must(r.get("status") == "error", "64 KiB of garbage refused: %r" % r)
    elif name == "malformed":
        for body in (b"op=token\n", b"wif=1\nop\n", b"wif=1\nop=a\nop=b\n", b"wif=2\nop=ping\n",
                     b"wif=1\nop=token", b"wif=1\nop=to\x00ken\n", b"wif=1\nop=nosuchop\n",
                     b"wif=1\n"):
            s = connect(path)
            s.sendall(struct.pack(">I", len(body)) + body)
            r = read_reply(s)
            must(r.get("status") == "error" and r.get("rc", "").startswith("-"),
                 "malformed %r refused: %r" % (body, r))
            s.close()
    elif name == "truncated":
        # promise 100 bytes, send 10, hang up: the daemon must just drop it
        s = connect(path)
        s.sendall(struct.pack(">I", 100) + b"wif=1\nop=t")
        s.close()
    elif name == "disconnect-mid-request":
        for _ in range(50):
            s = connect(path)
            s.sendall(frame([("op", "token")])[:7])
            s.close()
    elif name == "byte-by-byte":
        s = connect(path)
        for b in frame([("op", "ping")]):
            s.sendall(bytes([b]))
            time.sleep(0.02)
        r = read_reply(s)
        must(r.get("status") == "ok" and "version" in r, "slow ping answered: %r" % r)
    elif name == "silent":
        # connect and say nothing: closed after the request timeout
        s = connect(path)
        must(closed(s, 20), "a silent client is disconnected")
    elif name == "pipelined":
        s = connect(path)
        s.sendall(frame([("op", "ping")]) + frame([("op", "ping")]))
        r = read_reply(s)
        must(r.get("status") == "error" and "one request" in r.get("error", ""), "pipelining refused: %r" % r)
    elif name == "keepalive":
        s = connect(path)
        for _ in range(3):
            s.sendall(frame([("op", "ping")]))
            must(read_reply(s).get("status") == "ok", "several requests on one connection")
    elif name.startswith("concurrent-"):
        n = int(name.split("-", 1)[1])
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
        socks = [connect(path) for _ in range(n)]
        for s in socks:
            s.sendall(frame([("op", "ping")]))
        ok = sum(1 for s in socks if read_reply(s).get("status") == "ok")
        must(ok == n, "%d of %d concurrent connections answered" % (ok, n))
        for s in socks:
            s.close()
    else:
        must(False, "unknown scenario " + name)
    print("ok: " + name)


def main():
    path = sys.argv[1]
    if sys.argv[2] == "request":
        s = connect(path)
        s.sendall(frame([tuple(a.split("=", 1)) for a in sys.argv[3:]]))
        for k, v in read_reply(s).items():
            print("%s=%s" % (k, v))
    else:
        scenario(path, sys.argv[2])


if __name__ == "__main__":
    main()
