#!/usr/bin/python3
"""anthropic_emulator.py - a loopback emulator of Anthropic's WIF token endpoint.

  anthropic_emulator.py --config emu.json --port 0 --port-file F
                        [--record FILE] [--log FILE] [--error-style api|rfc6749]

Serves POST /v1/oauth/token (PROTOCOL.md §1, §2, §8), POST /v1/messages (§3)
and a control API under /_emu/ for tests (faults, stats, recorded requests).
See README.md next to this file. Logs and records never hold an assertion or
a token: only a SHA-256 prefix of either.
"""
import sys

sys.dont_write_bytecode = True  # the source tree may be read-only (distcheck)

import argparse  # noqa: E402
import collections  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emu_faults  # noqa: E402
import emu_verify as V  # noqa: E402

OAUTH_BETA = "oauth-2025-04-20"
MAX_THREADS = 64
MAX_RECORDS = 1000
MAX_TOKENS = 100000
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
               403: "permission_error", 404: "not_found_error", 405: "invalid_request_error",
               413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
               504: "timeout_error", 529: "overloaded_error"}
# The first sentence is what the real API answers to a bearer token without the
# beta; the second names the fix.
MESSAGE_DENIALS = {
    "missing_oauth_beta": "OAuth authentication is currently not supported. "
                          "OAuth authentication requires the anthropic-beta header %s." % OAUTH_BETA,
    "x_api_key_present": "invalid x-api-key: do not send x-api-key together with an OAuth bearer token",
}
SECRET_HEADERS = ("authorization", "x-api-key", "proxy-authorization", "cookie")
TOKEN_PREFIX_RE = re.compile(r"^(sk-ant-[a-z]+[0-9]*-)")


def rand_id(prefix, n=24):
    return prefix + "".join(secrets.choice(ALNUM) for _ in range(n))


def redact_secret(value):
    """'Bearer sk-ant-oat01-XYZ' -> 'Bearer sk-ant-oat01-<redacted:sha256:…>'."""
    scheme, sep, cred = value.partition(" ")
    if not sep:
        scheme, cred = "", value
    m = TOKEN_PREFIX_RE.match(cred)
    red = (m.group(1) if m else "") + "<redacted:sha256:%s>" % V.assertion_digest(cred)[:16]
    return (scheme + " " + red) if sep else red


class State:
    """Everything the handlers share; one lock guards the mutable parts."""

    def __init__(self, cfg, record_path, log_path, error_style):
        self.cfg = cfg
        self.default_error_style = error_style or cfg.error_style
        self.ex = V.Exchanger(cfg)
        self.lock = threading.Lock()
        self.release = threading.Event()  # set on reset/shutdown: frees hung requests
        self.record_f = open(record_path, "a", encoding="utf-8") if record_path else None
        self.log_f = open(log_path, "a", encoding="utf-8") if log_path else None
        self.io_lock = threading.Lock()
        self.port = 0
        self.token_lifetime = None  # --token-lifetime: every token's expires_in
        self._clear()

    def _clear(self):
        self.error_style = self.default_error_style
        self.tokens = {}
        self.faults = collections.deque()
        self.records = collections.deque(maxlen=MAX_RECORDS)
        self.msg_records = collections.deque(maxlen=MAX_RECORDS)
        self.history = collections.deque(maxlen=MAX_RECORDS)
        self.stats = {
            "exchanges": {"attempted": 0, "succeeded": 0, "denied": 0, "invalid": 0, "faulted": 0},
            "denied_by_reason": {}, "invalid_by_reason": {},
            "messages": {"attempted": 0, "succeeded": 0, "denied": 0, "invalid": 0},
            "messages_denied_by_reason": {}, "faults_served": {}, "redirects_followed": 0,
        }

    def reset(self):
        with self.lock:
            old = self.release
            self.release = threading.Event()
            self._clear()
        old.set()
        self.ex.reset()

    def bump(self, section, key, n=1):
        with self.lock:
            d = self.stats[section]
            d[key] = d.get(key, 0) + n

    def snapshot(self):
        with self.lock:
            s = json.loads(json.dumps(self.stats))
            now = time.time()
            s["tokens_active"] = sum(1 for t in self.tokens.values() if t["expires_at"] > now)
            s["faults_pending"] = [dict(f) for f in self.faults]
            s["error_style"] = self.error_style
        s["jwks_fetches"] = sum(i.fetches for i in self.cfg.issuers.values())
        return s

    def next_fault(self):
        with self.lock:
            if not self.faults:
                return None
            f = self.faults[0]
            if f["count"] > 0:
                f["count"] -= 1
                if f["count"] == 0:
                    self.faults.popleft()
            return dict(f)

    def issue(self, info):
        tok = "sk-ant-oat01-" + secrets.token_urlsafe(72)
        now = time.time()
        with self.lock:
            if len(self.tokens) >= MAX_TOKENS:
                for k in [k for k, v in self.tokens.items() if v["expires_at"] <= now]:
                    del self.tokens[k]
            self.tokens[tok] = dict(info, expires_at=now + info["expires_in"])
        return tok

    def record(self, rec, kind):
        with self.lock:
            (self.records if kind == "exchange" else self.msg_records).append(rec)
        if kind == "exchange" and self.record_f:
            with self.io_lock:
                self.record_f.write(json.dumps(rec) + "\n")
                self.record_f.flush()

    def log(self, rid, method, path, status, note):
        if not self.log_f:
            return
        line = "%s %s %s %s %d %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), rid,
                                        method, path.split("?", 1)[0], status, note)
        with self.io_lock:
            self.log_f.write(line)
            self.log_f.flush()


class TooLarge(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "wif-anthropic-emulator/1"
    sys_version = ""
    timeout = 30  # idle keep-alive connections are closed after this

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        pass  # our own log (--log) never holds secrets; http.server's would hold paths only, but stay quiet

    @property
    def st(self):
        return self.server.state

    # ------------------------------------------------------------ plumbing

    def setup(self):
        super().setup()
        self.rid = rand_id("req_")
        self.note = ""

    def handle_expect_100(self):
        # Refuse an oversized body before the client sends it, as a real front end does.
        try:
            n = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            n = 0
        if n > self.st.cfg.max_body:
            self.close_connection = True
            self.api_error(413, "Request body exceeds the %d byte limit" % self.st.cfg.max_body)
            return False
        return super().handle_expect_100()

    def read_body(self):
        cap = self.st.cfg.max_body
        te = self.headers.get("Transfer-Encoding", "").lower()
        if "chunked" in te:
            out = bytearray()
            while True:
                line = self.rfile.readline(1024)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                if len(out) + size > cap:
                    raise TooLarge()
                out += self.rfile.read(size)
                self.rfile.readline(16)
        n = int(self.headers.get("Content-Length", "0") or "0")
        if n > cap:
            raise TooLarge()
        return self.rfile.read(n) if n > 0 else b""

    def send_error(self, code, message=None, explain=None):
        # http.server's own errors (bad request line, unknown method) in the API
        # shape, with a request-id like every other answer.
        self.close_connection = True
        try:
            self.api_error(code, message or "Bad request")
        finally:
            self.finish_log()

    def send_raw(self, status, body, ctype="application/json", headers=(), length=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("request-id", self.rid)
        for k, v in headers:
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
        self.status_sent = status

    def send_json(self, status, obj, headers=()):
        self.send_raw(status, json.dumps(obj, separators=(",", ":")).encode(), headers=headers)

    def api_error(self, status, message, etype=None, headers=()):
        self.send_json(status, {"type": "error", "error": {"type": etype or ERROR_TYPES.get(status, "api_error"),
                                                           "message": message}, "request_id": self.rid},
                       headers=headers)

    def finish_log(self):
        self.st.log(self.rid, self.command or "-", getattr(self, "path", "") or "-",
                    getattr(self, "status_sent", 0), self.note)

    def route(self, table):
        path = urllib.parse.urlsplit(self.path).path
        fn = table.get(path)
        try:
            if fn is None:
                known = path in ROUTES_GET or path in ROUTES_POST
                self.api_error(405 if known else 404, "Method not allowed" if known else "Not found")
            else:
                fn(self)
        finally:
            self.finish_log()

    def do_GET(self):
        self.route(ROUTES_GET)

    def do_POST(self):
        self.route(ROUTES_POST)

    def do_PUT(self):
        self.route({})

    do_DELETE = do_PATCH = do_PUT

    # ------------------------------------------------------------ recording

    def record_request(self, kind, raw, parsed):
        rec = {"request_id": self.rid, "time": time.time(), "method": self.command, "path": self.path,
               "headers": [[k.lower(), redact_secret(v) if k.lower() in SECRET_HEADERS else v]
                           for k, v in self.headers.items()]}
        if isinstance(parsed, dict):
            rec["body_keys"] = list(parsed.keys())
            body = {}
            for k, v in parsed.items():
                if k == "assertion" and isinstance(v, str):
                    body[k] = V.redact_assertion(v)
                elif kind == "messages" and k == "messages":
                    body[k] = "<%d messages>" % len(v) if isinstance(v, list) else "<invalid>"
                else:
                    body[k] = v
            rec["body"] = body
        else:
            rec["body_keys"] = None
            rec["body"] = "<%d bytes, not a JSON object, sha256:%s>" % (len(raw), V.assertion_digest(
                raw.decode("latin-1"))[:16])
        return rec

    # ------------------------------------------------------------ token endpoint

    def h_token(self):
        st = self.st
        st.bump("exchanges", "attempted")
        try:
            raw = self.read_body()
        except (TooLarge, ValueError):
            self.close_connection = True
            st.bump("exchanges", "invalid")
            st.bump("invalid_by_reason", "body_too_large")
            self.note = "invalid body_too_large"
            return self.api_error(413, "Request body exceeds the %d byte limit" % st.cfg.max_body)
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        rec = self.record_request("exchange", raw, parsed)
        fault = st.next_fault()
        if fault:
            rec["fault"] = fault["mode"]
            st.record(rec, "exchange")
            st.bump("exchanges", "faulted")
            st.bump("faults_served", fault["mode"])
            self.note = "fault " + fault["mode"]
            return emu_faults.serve(self, fault)
        try:
            ctype = self.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
            if ctype != "application/json":
                raise V.BadRequest("content-type: the body must be application/json", "content_type")
            if parsed is None:
                raise V.BadRequest("body: not valid JSON", "not_json")
            body = V.check_request(st.cfg, parsed)
            info = st.ex.exchange(body)
            if st.token_lifetime is not None:
                info = dict(info, expires_in=st.token_lifetime)
        except V.BadRequest as e:
            rec["outcome"] = "invalid:" + e.code
            st.record(rec, "exchange")
            st.bump("exchanges", "invalid")
            st.bump("invalid_by_reason", e.code)
            self.note = "invalid " + e.code
            if st.error_style == "rfc6749":
                return self.send_json(400, {"error": "invalid_request", "error_description": str(e)})
            return self.api_error(400, str(e))
        except V.Denied as e:
            rec["outcome"] = "denied:" + e.reason
            st.record(rec, "exchange")
            st.bump("exchanges", "denied")
            st.bump("denied_by_reason", e.reason)
            with st.lock:
                st.history.append({"time": int(time.time()), "request_id": self.rid, "outcome": "denied",
                                   "reason": e.reason, "detail": e.detail,
                                   "federation_rule_id": parsed.get("federation_rule_id")})
            self.note = "denied " + e.reason
            if st.error_style == "rfc6749":
                # The May-2026 contract (PROTOCOL.md §9.5): 400 invalid_request for a
                # missing workspace, 400 invalid_grant for every other denial.
                if e.reason == "workspace_id_required":
                    return self.send_json(400, {"error": "invalid_request",
                                                "error_description": "workspace_id is required for this rule"})
                return self.send_json(400, {"error": "invalid_grant", "error_description": "Authentication failed"})
            return self.api_error(401, "Authentication failed")
        tok = st.issue(info)
        rec["outcome"] = "issued"
        st.record(rec, "exchange")
        st.bump("exchanges", "succeeded")
        with st.lock:
            st.history.append({"time": int(time.time()), "request_id": self.rid, "outcome": "success",
                               "federation_rule_id": info["rule"], "sub": info["sub"],
                               "workspace_id": info["workspace_id"], "expires_in": info["expires_in"]})
        self.note = "issued expires_in=%d" % info["expires_in"]
        self.send_json(200, {"access_token": tok, "token_type": "Bearer", "expires_in": info["expires_in"],
                             "scope": info["scope"]}, headers=[("Cache-Control", "no-store")])

    # ------------------------------------------------------------ messages

    def deny_message(self, reason, status=401, message=None):
        self.st.bump("messages", "denied" if status == 401 else "invalid")
        self.st.bump("messages_denied_by_reason", reason)
        self.note = "denied " + reason
        self.api_error(status, message or MESSAGE_DENIALS.get(reason, "Authentication failed"))

    def h_messages(self):
        st = self.st
        st.bump("messages", "attempted")
        try:
            raw = self.read_body()
        except (TooLarge, ValueError):
            self.close_connection = True
            return self.deny_message("body_too_large", 413, "Request body too large")
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        st.record(self.record_request("messages", raw, parsed), "messages")
        if self.headers.get("x-api-key") is not None:
            return self.deny_message("x_api_key_present")
        auth = self.headers.get("Authorization", "")
        scheme, _, tok = auth.partition(" ")
        if scheme.lower() != "bearer" or not tok.strip():
            return self.deny_message("missing_bearer")
        with st.lock:
            info = st.tokens.get(tok.strip())
        if info is None:
            return self.deny_message("unknown_token")
        if info["expires_at"] <= time.time():
            return self.deny_message("token_expired")
        betas = [b.strip() for h in self.headers.get_all("anthropic-beta") or [] for b in h.split(",")]
        if OAUTH_BETA not in betas:
            return self.deny_message("missing_oauth_beta")
        if not self.headers.get("anthropic-version"):
            return self.deny_message("missing_anthropic_version", 400, "anthropic-version: header is required")
        if not isinstance(parsed, dict):
            return self.deny_message("not_json", 400, "body: not a JSON object")
        model, mt, msgs = parsed.get("model"), parsed.get("max_tokens"), parsed.get("messages")
        if not isinstance(model, str) or not model:
            return self.deny_message("model", 400, "model: field required")
        if isinstance(mt, bool) or not isinstance(mt, int) or mt < 1:
            return self.deny_message("max_tokens", 400, "max_tokens: field required")
        if not isinstance(msgs, list) or not msgs:
            return self.deny_message("messages", 400, "messages: at least one message is required")
        st.bump("messages", "succeeded")
        self.note = "message workspace=%s" % info["workspace_id"]
        self.send_json(200, {
            "id": rand_id("msg_emu_"), "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": "hello from the emulator"}],
            "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": max(1, len(raw) // 4), "output_tokens": 5}})

    # ------------------------------------------------------------ control

    def read_control_json(self):
        try:
            raw = self.read_body()
            obj = json.loads(raw) if raw.strip() else {}
            if not isinstance(obj, dict):
                raise ValueError("not an object")
            return obj
        except (TooLarge, ValueError) as e:
            self.close_connection = True
            self.api_error(400, "control body: %s" % e)
            return None

    def h_stats(self):
        self.send_json(200, self.st.snapshot())

    def h_requests(self):
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        which = q.get("endpoint", ["exchange"])[0]
        with self.st.lock:
            recs = list(self.st.records) if which in ("exchange", "all") else []
            if which in ("messages", "all"):
                recs += list(self.st.msg_records)
        self.send_json(200, recs)

    def h_history(self):
        with self.st.lock:
            h = list(self.st.history)
        self.send_json(200, h)

    def h_fault(self):
        obj = self.read_control_json()
        if obj is None:
            return
        try:
            fault = emu_faults.parse(obj)
        except ValueError as e:
            return self.api_error(400, str(e))
        with self.st.lock:
            self.st.faults.append(fault)
        self.send_json(200, {"queued": fault})

    def h_reset(self):
        if self.read_control_json() is None:
            return
        self.st.reset()
        self.send_json(200, {"reset": True})

    def h_revoke(self):
        if self.read_control_json() is None:
            return
        with self.st.lock:
            n = len(self.st.tokens)
            self.st.tokens.clear()
        self.send_json(200, {"revoked": n})

    def h_expire(self):
        # Ages every issued token past its expiry (the API then answers 401).
        if self.read_control_json() is None:
            return
        with self.st.lock:
            for t in self.st.tokens.values():
                t["expires_at"] = time.time() - 1
            n = len(self.st.tokens)
        self.send_json(200, {"expired": n})

    def h_settings(self):
        obj = self.read_control_json()
        if obj is None:
            return
        style = obj.get("error_style")
        if style not in ("api", "rfc6749"):
            return self.api_error(400, "error_style must be api or rfc6749")
        with self.st.lock:
            self.st.error_style = style
        self.send_json(200, {"error_style": style})

    def h_redirect_target(self):
        # Reached only by a client that followed the `redirect` fault (it should not).
        try:
            self.read_body()
        except (TooLarge, ValueError):
            self.close_connection = True
        with self.st.lock:
            self.st.stats["redirects_followed"] += 1
        self.send_json(200, {"access_token": "sk-ant-oat01-followed-a-redirect", "token_type": "Bearer",
                             "expires_in": 600})


ROUTES_GET = {"/_emu/stats": Handler.h_stats, "/_emu/requests": Handler.h_requests,
              "/_emu/history": Handler.h_history}
ROUTES_POST = {"/v1/oauth/token": Handler.h_token, "/v1/messages": Handler.h_messages,
               "/_emu/fault": Handler.h_fault, "/_emu/reset": Handler.h_reset,
               "/_emu/revoke": Handler.h_revoke, "/_emu/expire": Handler.h_expire, "/_emu/settings": Handler.h_settings,
               "/_emu/redirect-target": Handler.h_redirect_target}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, state):
        self.state = state
        self.slots = threading.BoundedSemaphore(MAX_THREADS)
        super().__init__(addr, Handler)

    def process_request(self, request, client_address):
        self.slots.acquire()  # back-pressure: at most MAX_THREADS requests in flight
        try:
            super().process_request(request, client_address)
        except Exception:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def write_atomic(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--record")
    ap.add_argument("--log")
    ap.add_argument("--error-style", choices=("api", "rfc6749"))
    ap.add_argument("--token-lifetime", type=int, metavar="S",
                    help="issue every token for S seconds (1..86400), ignoring the rule and the "
                         "60 s minimum: for tests of refresh timing; default: the rule's lifetime")
    a = ap.parse_args(argv)
    if a.token_lifetime is not None and not 1 <= a.token_lifetime <= 86400:
        sys.stderr.write("anthropic_emulator: --token-lifetime must be 1..86400\n")
        return 2
    try:
        cfg = V.load_config(a.config)
    except (OSError, V.ConfigError, ValueError, TypeError, KeyError) as e:
        sys.stderr.write("anthropic_emulator: config %s: %s\n" % (a.config, e))
        return 2
    state = State(cfg, a.record, a.log, a.error_style)
    state.token_lifetime = a.token_lifetime
    srv = Server(("127.0.0.1", a.port), state)
    state.port = srv.server_address[1]

    def stop(*_):
        state.release.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    write_atomic(a.port_file, "%d\n" % state.port)
    srv.serve_forever(poll_interval=0.2)
    srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
