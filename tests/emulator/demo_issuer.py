#!/usr/bin/python3
"""demo_issuer.py - a loopback OIDC issuer for the wif demo and tests.

  init  DIR [--alg RS256|ES256] [--kid K]
  mint  DIR --iss URL --sub S --aud A [--aud A2 ...] [--ttl 300] [--claim k=v ...]
        [--claim-json k=JSON ...] [--iat-offset N] [--nbf-offset N] [--no-kid]
        [--kid K] [--jti J | --no-jti] [--omit CLAIM ...] [--alg HS256|none]
        [--out FILE]
  serve DIR --port 0 --port-file F [--issuer-file F] [--host 127.0.0.1|::1|localhost]

`mint` runs once per token exchange (the demo's `exec` provider), so it starts
fast: RS256 is signed with the standard library alone (RSA-CRT over the private
JWK), and cryptography is imported only for ES256. Argument parsing is done by
hand for the same reason (argparse costs ~10 ms). What `mint` signs is verified
by PyJWT in the emulator, an independent implementation.
"""
import base64
import hashlib
import json
import os
import sys
import time

KEY_FILE = "private_key.json"
JWKS_FILE = "jwks.json"
ISSUER_URL_FILE = "issuer_url"
DEFAULT_TTL = 300
# DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2, note 1).
SHA256_DIGESTINFO = bytes.fromhex("3031300d060960864801650304020105000420")
HS256_DEMO_SECRET = b"demo-issuer-hs256-secret (negative tests only)"


class UsageError(Exception):
    pass


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_int(s):
    return int.from_bytes(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)), "big")


def int_b64u(n, length=None):
    length = length or max(1, (n.bit_length() + 7) // 8)
    return b64u(n.to_bytes(length, "big"))


def write_atomic(path, data, mode):
    """Write via a unique temp file + rename so readers never see a partial file."""
    d = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(d, ".%s.%d.%s.tmp" % (os.path.basename(path), os.getpid(), os.urandom(4).hex()))
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.rename(tmp, path)
    except OSError:
        os.unlink(tmp)
        raise


def parse_opts(argv, spec):
    """spec: name -> 'value' | 'multi' | 'flag'. Returns (positional, dict)."""
    pos, opts = [], {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("--"):
            name = a[2:]
            val = None
            if "=" in name:
                name, val = name.split("=", 1)
            kind = spec.get(name)
            if kind is None:
                raise UsageError("unknown option --%s" % name)
            if kind == "flag":
                opts[name] = True
            else:
                if val is None:
                    i += 1
                    if i >= len(argv):
                        raise UsageError("--%s needs a value" % name)
                    val = argv[i]
                if kind == "multi":
                    opts.setdefault(name, []).append(val)
                else:
                    opts[name] = val
        else:
            pos.append(a)
        i += 1
    return pos, opts


def int_opt(opts, name, default):
    v = opts.get(name)
    if v is None:
        return default
    try:
        return int(v)
    except ValueError:
        raise UsageError("--%s wants an integer, got %r" % (name, v))


# ---------------------------------------------------------------- keys

def cmd_init(argv):
    pos, opts = parse_opts(argv, {"alg": "value", "kid": "value"})
    if len(pos) != 1:
        raise UsageError("init DIR [--alg RS256|ES256] [--kid K]")
    d = pos[0]
    alg = opts.get("alg", "RS256")
    kid = opts.get("kid") or "demo-" + os.urandom(6).hex()
    os.makedirs(d, mode=0o700, exist_ok=True)
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    if alg == "RS256":
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pn = k.private_numbers()
        pub = {"kty": "RSA", "n": int_b64u(pn.public_numbers.n), "e": int_b64u(pn.public_numbers.e)}
        priv = dict(pub, d=int_b64u(pn.d), p=int_b64u(pn.p), q=int_b64u(pn.q),
                    dp=int_b64u(pn.dmp1), dq=int_b64u(pn.dmq1), qi=int_b64u(pn.iqmp))
    elif alg == "ES256":
        k = ec.generate_private_key(ec.SECP256R1())
        pn = k.private_numbers()
        pub = {"kty": "EC", "crv": "P-256", "x": int_b64u(pn.public_numbers.x, 32),
               "y": int_b64u(pn.public_numbers.y, 32)}
        priv = dict(pub, d=int_b64u(pn.private_value, 32))
    else:
        raise UsageError("--alg must be RS256 or ES256")
    meta = {"kid": kid, "alg": alg, "use": "sig"}
    write_atomic(os.path.join(d, KEY_FILE), (json.dumps(dict(priv, **meta), indent=1) + "\n").encode(), 0o600)
    write_atomic(os.path.join(d, JWKS_FILE), (json.dumps({"keys": [dict(pub, **meta)]}, indent=1) + "\n").encode(), 0o644)
    print(os.path.join(d, JWKS_FILE))
    return 0


def load_key(d):
    with open(os.path.join(d, KEY_FILE), "rb") as f:
        return json.loads(f.read())


def sign_rs256(key, signing_input):
    n, p, q = b64u_int(key["n"]), b64u_int(key["p"]), b64u_int(key["q"])
    dp, dq, qi = b64u_int(key["dp"]), b64u_int(key["dq"]), b64u_int(key["qi"])
    k = (n.bit_length() + 7) // 8
    t = SHA256_DIGESTINFO + hashlib.sha256(signing_input).digest()
    em = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    m = int.from_bytes(em, "big")
    m1, m2 = pow(m, dp, p), pow(m, dq, q)
    s = m2 + ((qi * (m1 - m2)) % p) * q
    return s.to_bytes(k, "big")


def sign_es256(key, signing_input):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    pubn = ec.EllipticCurvePublicNumbers(b64u_int(key["x"]), b64u_int(key["y"]), ec.SECP256R1())
    priv = ec.EllipticCurvePrivateNumbers(b64u_int(key["d"]), pubn).private_key()
    r, s = decode_dss_signature(priv.sign(signing_input, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def sign(key, alg, signing_input):
    if alg == "none":
        return b""
    if alg == "HS256":
        import hmac
        return hmac.new(HS256_DEMO_SECRET, signing_input, hashlib.sha256).digest()
    if alg != key["alg"]:
        raise UsageError("this issuer's key is %s; cannot sign %s" % (key["alg"], alg))
    return sign_rs256(key, signing_input) if alg == "RS256" else sign_es256(key, signing_input)


def mint(key, iss, sub, aud, ttl=DEFAULT_TTL, claims=None, iat_offset=0, nbf_offset=None,
         kid=True, alg=None, jti=True, omit=()):
    """Return a compact JWT. kid: True (the key's), False (none) or a string."""
    alg = alg or key["alg"]
    now = int(time.time())
    iat = now + iat_offset
    payload = {"iss": iss, "sub": sub, "aud": aud if len(aud) != 1 else aud[0],
               "iat": iat, "exp": iat + ttl}
    if nbf_offset is not None:
        payload["nbf"] = now + nbf_offset
    if jti is True:
        payload["jti"] = os.urandom(16).hex()
    elif jti:
        payload["jti"] = jti
    payload.update(claims or {})
    for c in omit:
        payload.pop(c, None)
    header = {"alg": alg, "typ": "JWT"}
    if kid is True:
        header["kid"] = key["kid"]
    elif kid:
        header["kid"] = kid
    si = (b64u(json.dumps(header, separators=(",", ":")).encode()) + "." +
          b64u(json.dumps(payload, separators=(",", ":")).encode()))
    return si + "." + b64u(sign(key, alg, si.encode("ascii")))


def cmd_mint(argv):
    spec = {"iss": "value", "sub": "value", "aud": "multi", "ttl": "value", "claim": "multi",
            "claim-json": "multi", "iat-offset": "value", "nbf-offset": "value", "no-kid": "flag",
            "kid": "value", "jti": "value", "no-jti": "flag", "omit": "multi", "alg": "value",
            "out": "value"}
    pos, opts = parse_opts(argv, spec)
    if len(pos) != 1:
        raise UsageError("mint DIR --iss URL --sub S --aud A [options]")
    d = pos[0]
    iss = opts.get("iss")
    if iss is None:
        try:
            with open(os.path.join(d, ISSUER_URL_FILE)) as f:
                iss = f.read().strip()
        except OSError:
            raise UsageError("--iss is required (no %s in %s)" % (ISSUER_URL_FILE, d))
    if "sub" not in opts or "aud" not in opts:
        raise UsageError("--sub and --aud are required")
    claims = {}
    for c in opts.get("claim", []):
        k, sep, v = c.partition("=")
        if not sep or not k:
            raise UsageError("--claim wants k=v, got %r" % c)
        claims[k] = v
    for c in opts.get("claim-json", []):
        k, sep, v = c.partition("=")
        if not sep or not k:
            raise UsageError("--claim-json wants k=JSON, got %r" % c)
        try:
            claims[k] = json.loads(v)
        except ValueError as e:
            raise UsageError("--claim-json %s: %s" % (k, e))
    alg = opts.get("alg")
    if alg not in (None, "RS256", "ES256", "HS256", "none"):
        raise UsageError("--alg must be RS256, ES256, HS256 or none")
    kid = False if opts.get("no-kid") else opts.get("kid", True)
    jti = False if opts.get("no-jti") else opts.get("jti", True)
    nbf = opts.get("nbf-offset")
    tok = mint(load_key(d), iss, opts["sub"], opts["aud"], ttl=int_opt(opts, "ttl", DEFAULT_TTL),
               claims=claims, iat_offset=int_opt(opts, "iat-offset", 0),
               nbf_offset=None if nbf is None else int_opt(opts, "nbf-offset", 0),
               kid=kid, alg=alg, jti=jti, omit=opts.get("omit", []))
    if opts.get("out"):
        write_atomic(opts["out"], (tok + "\n").encode(), 0o644)
    else:
        sys.stdout.write(tok + "\n")
    return 0


# ---------------------------------------------------------------- serve

def cmd_serve(argv):
    import signal
    import threading
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import socket

    pos, opts = parse_opts(argv, {"port": "value", "port-file": "value", "issuer-file": "value",
                                  "host": "value"})
    if len(pos) != 1 or "port-file" not in opts:
        raise UsageError("serve DIR --port 0 --port-file F [--issuer-file F] [--host H]")
    host = opts.get("host", "127.0.0.1")
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise UsageError("--host must be a loopback address (127.0.0.1, ::1 or localhost)")
    d = pos[0]
    key = load_key(d)
    with open(os.path.join(d, JWKS_FILE), "rb") as f:
        jwks = f.read()
    stats = {"discovery": 0, "jwks": 0, "tokens": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "wif-demo-issuer/1"
        timeout = 30

        def log_message(self, fmt, *args):  # quiet: tokens may appear in URLs of callers
            pass

        def send(self, code, body, ctype="application/json"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def count(self, k):
            with lock:
                stats[k] += 1

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            issuer = self.server.issuer
            if u.path == "/.well-known/openid-configuration":
                self.count("discovery")
                doc = {"issuer": issuer, "jwks_uri": issuer + "/jwks.json",
                       "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                       "id_token_signing_alg_values_supported": [key["alg"]]}
                self.send(200, json.dumps(doc).encode())
            elif u.path in ("/jwks.json", "/.well-known/jwks.json"):
                self.count("jwks")
                self.send(200, jwks)
            elif u.path == "/token":
                q = urllib.parse.parse_qs(u.query)
                try:
                    ttl = int(q.get("ttl", [str(DEFAULT_TTL)])[0])
                except ValueError:
                    return self.send(400, b"ttl must be an integer\n", "text/plain")
                tok = mint(key, issuer, q.get("sub", ["demo:app"])[0],
                           q.get("aud", ["https://api.anthropic.com"]), ttl=ttl)
                self.count("tokens")
                self.send(200, (tok + "\n").encode(), "application/jwt")
            elif u.path == "/_issuer/stats":
                with lock:
                    body = json.dumps(stats).encode()
                self.send(200, body)
            else:
                self.send(404, b'{"error":"not_found"}')

        do_HEAD = do_GET

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        address_family = socket.AF_INET6 if host == "::1" else socket.AF_INET

    port = int_opt(opts, "port", 0)
    srv = Server(("127.0.0.1" if host == "localhost" else host, port), Handler)
    srv.issuer = "http://%s:%d" % ("[::1]" if host == "::1" else host, srv.server_address[1])
    write_atomic(os.path.join(d, ISSUER_URL_FILE), (srv.issuer + "\n").encode(), 0o644)
    if opts.get("issuer-file"):
        write_atomic(opts["issuer-file"], (srv.issuer + "\n").encode(), 0o644)
    write_atomic(opts["port-file"], ("%d\n" % srv.server_address[1]).encode(), 0o644)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=srv.shutdown).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=srv.shutdown).start())
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    return 0


def main(argv):
    cmds = {"init": cmd_init, "mint": cmd_mint, "serve": cmd_serve}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    try:
        return cmds[argv[1]](argv[2:])
    except UsageError as e:
        sys.stderr.write("demo_issuer %s: %s\n" % (argv[1], e))
        return 2
    except OSError as e:
        sys.stderr.write("demo_issuer %s: %s\n" % (argv[1], e))
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
