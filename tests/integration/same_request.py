#!/usr/bin/python3
"""same_request.py [--raw-query|--ignore-query] [--json-body|--form-body]
[--ignore-trailing-slash] [--ignore-fields P1,P2] GOLDEN OURS HEADER... - two
requests recorded by tests/emulator/idp_emulator.py (one sent by a vendor's
official client, one by wif) are the same: method, path, query parameters
(decoded, order-free; byte for byte with --raw-query), the named headers
(case-insensitive names; Authorization compared by scheme and value), and,
with --json-body, the JSON body.  Prints the differences; exit 1 if any."""
import json
import sys
import urllib.parse

args = sys.argv[1:]
raw = "--raw-query" in args
jbody = "--json-body" in args
fbody = "--form-body" in args          # form fields, order-free
noquery = "--ignore-query" in args     # (MSAL adds a client-request-id)
slash = "--ignore-trailing-slash" in args
ignore = []
if "--ignore-fields" in args:
    i = args.index("--ignore-fields")
    ignore = args[i + 1].split(",")
    del args[i:i + 2]
args = [a for a in args if not a.startswith("--")]
g, o = (json.load(open(p)) for p in args[:2])
diffs = []


def hdr(r, name):
    for k, v in r.get("headers", {}).items():
        if k.lower() == name.lower():
            return v
    return None


if slash:
    for r in (g, o):
        r["path"] = r.get("path", "").rstrip("/")
for k in ("method", "path"):
    if g.get(k) != o.get(k):
        diffs.append("%s: official %r, wif %r" % (k, g.get(k), o.get(k)))
if noquery:
    pass
elif raw:
    if g.get("query") != o.get("query"):
        diffs.append("query: official %r, wif %r" % (g.get("query"), o.get("query")))
else:
    gq = sorted(urllib.parse.parse_qsl(g.get("query", ""), keep_blank_values=True))
    oq = sorted(urllib.parse.parse_qsl(o.get("query", ""), keep_blank_values=True))
    if gq != oq:
        diffs.append("query parameters: official %r, wif %r" % (gq, oq))
for h in args[2:]:
    if hdr(g, h) != hdr(o, h):
        diffs.append("header %s: official %r, wif %r" % (h, hdr(g, h), hdr(o, h)))
if jbody:
    try:
        gb, ob = json.loads(g.get("body") or "null"), json.loads(o.get("body") or "null")
    except ValueError as e:
        diffs.append("body is not JSON: %s" % e)
    else:
        # python3-kubernetes leaves out apiVersion/kind (the API server
        # defaults them from the URL); wif sends them: compare the spec
        if gb.get("spec") != ob.get("spec"):
            diffs.append("body spec: official %r, wif %r" % (gb.get("spec"), ob.get("spec")))
        for k in ("apiVersion", "kind"):
            if k in gb and gb[k] != ob.get(k):
                diffs.append("body %s: official %r, wif %r" % (k, gb[k], ob.get(k)))
if fbody:
    gb = sorted(urllib.parse.parse_qsl(g.get("body", ""), keep_blank_values=True))
    ob = sorted(urllib.parse.parse_qsl(o.get("body", ""), keep_blank_values=True))
    # the assertion is each one's own file read: compare the field names
    # and every other value
    # MSAL also puts its telemetry in the body (client-request-id,
    # x-client-*, x-ms-lib-capability): not OAuth fields, left out
    telemetry = lambda k: k == "client-request-id" or k.startswith("x-client-") or k.startswith("x-ms-")
    strip = lambda b: [(k, v if k != "client_assertion" else "<jwt>") for k, v in b
                       if not telemetry(k) and not any(k.startswith(p) for p in ignore)]
    if strip(gb) != strip(ob):
        diffs.append("form body: official %r, wif %r" % (strip(gb), strip(ob)))
for d in diffs:
    print("  differs: " + d)
sys.exit(1 if diffs else 0)
