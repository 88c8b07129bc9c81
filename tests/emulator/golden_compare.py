#!/usr/bin/python3
"""golden_compare.py - compare a recorded token-exchange request with the golden one.

  golden_compare.py normalise RECORDED.json           print the normalised form
  golden_compare.py compare GOLDEN.json RECORDED.json [--user-agent]

RECORDED is one entry of the emulator's GET /_emu/requests (or a line of its
--record file); a JSON list is read as its last entry. The golden file
(golden/sdk_exchange_request.json) is what the official SDK sent, normalised.

`compare` checks the wire contract of PROTOCOL.md §1: method, path,
content-type, anthropic-beta, no authorization / x-api-key / anthropic-version,
the body's key order and every body value except the assertion (which must be
present). Transport headers (host, accept, connection, ...) and, unless
--user-agent is given, the User-Agent are free to differ. Exit 0 when equal,
1 with one line per difference otherwise.
"""
import json
import re
import sys

CONTRACT_HEADERS = ("content-type", "anthropic-beta")
FORBIDDEN_HEADERS = ("authorization", "x-api-key", "anthropic-version")


def load(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        obj = json.loads(text)
    except ValueError:
        obj = json.loads(text.strip().splitlines()[-1])  # a --record JSON-lines file
    if isinstance(obj, list):
        if not obj:
            raise ValueError("%s: no recorded request" % path)
        obj = obj[-1]
    return obj


def normalise(rec):
    out = {"method": rec["method"], "path": rec["path"], "headers": []}
    for name, value in rec["headers"]:
        if name == "host":
            value = re.sub(r":\d+$", ":<port>", value)
        elif name == "content-length":
            value = "<n>"
        out["headers"].append([name, value])
    out["body_keys"] = rec.get("body_keys")
    body = dict(rec.get("body") or {})
    if "assertion" in body:
        body["assertion"] = "<redacted>"
    out["body"] = body
    return out


def header_values(rec, name):
    return [v for n, v in rec["headers"] if n == name]


def compare(golden, rec, user_agent=False):
    g, r = normalise(golden), normalise(rec)
    diffs = []
    for k in ("method", "path", "body_keys", "body"):
        if g[k] != r[k]:
            diffs.append("%s: golden %s, got %s" % (k, json.dumps(g[k]), json.dumps(r[k])))
    names = CONTRACT_HEADERS + (("user-agent",) if user_agent else ())
    for name in names:
        gv, rv = header_values(g, name), header_values(r, name)
        if gv != rv:
            diffs.append("header %s: golden %s, got %s" % (name, json.dumps(gv), json.dumps(rv)))
    for name in FORBIDDEN_HEADERS:
        if header_values(r, name):
            diffs.append("header %s: must not be sent on the exchange" % name)
    if "assertion" not in (rec.get("body") or {}):
        diffs.append("body: no assertion")
    return diffs


def dumps(n):
    """Readable and diff-friendly: one header per line."""
    hdrs = ",\n".join("  " + json.dumps(h) for h in n["headers"])
    return ('{\n "method": %s,\n "path": %s,\n "headers": [\n%s\n ],\n "body_keys": %s,\n "body": %s\n}'
            % (json.dumps(n["method"]), json.dumps(n["path"]), hdrs, json.dumps(n["body_keys"]),
               json.dumps(n["body"], indent=2).replace("\n", "\n ")))


def main(argv):
    if len(argv) == 3 and argv[1] == "normalise":
        print(dumps(normalise(load(argv[2]))))
        return 0
    if len(argv) in (4, 5) and argv[1] == "compare":
        ua = len(argv) == 5
        if ua and argv[4] != "--user-agent":
            sys.stderr.write(__doc__)
            return 2
        diffs = compare(load(argv[2]), load(argv[3]), ua)
        for d in diffs:
            print("golden mismatch: " + d)
        return 1 if diffs else 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
