"""emu_faults.py - upstream failure modes served on POST /v1/oauth/token.

A fault answers before any validation, so it never consumes the assertion's
jti: the client may retry the same request. Fault bodies are synthetic; a
fault that looks like success (`slow`) issues a real, usable token without
looking at the request.
"""
import json

MODES = ("refuse", "hang", "slow", "status", "429", "truncated", "oversized", "notjson",
         "missing_fields", "bad_token_type", "redirect")
HANG_MAX_MS = 120000
OVERSIZED_BYTES = 2 * 1024 * 1024
STATUS_MESSAGES = {408: "Request timeout", 429: "Number of requests has exceeded your rate limit",
                   500: "Internal server error", 502: "Bad gateway", 503: "Service unavailable",
                   504: "Gateway timeout", 529: "Overloaded"}


def parse(obj):
    """Validate a POST /_emu/fault body; returns the queued fault (a dict)."""
    mode = str(obj.get("mode", ""))
    if mode not in MODES:
        raise ValueError("mode must be one of %s" % ", ".join(MODES))
    count = obj.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or (count < 1 and count != -1):
        raise ValueError("count must be a positive integer or -1 (until reset)")
    f = {"mode": mode, "count": count}
    for k, lo, hi in (("status", 100, 599), ("retry_after", 0, 86400), ("retry_after_ms", 0, 86400000),
                      ("delay_ms", 0, HANG_MAX_MS), ("chunk", 1, 65536)):
        if k in obj:
            v = obj[k]
            if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
                raise ValueError("%s must be an integer in %d..%d" % (k, lo, hi))
            f[k] = v
    if "should_retry" in obj:
        f["should_retry"] = bool(obj["should_retry"])
    if "location" in obj:
        f["location"] = str(obj["location"])
    if "omit" in obj:
        om = obj["omit"]
        om = [om] if isinstance(om, str) else om
        if not isinstance(om, list) or not all(x in ("access_token", "expires_in", "token_type") for x in om):
            raise ValueError("omit: access_token, expires_in and/or token_type")
        f["omit"] = om
    return f


def _wait(h, ms):
    """Sleep, but wake early on /_emu/reset or shutdown."""
    if ms > 0:
        h.st.release.wait(ms / 1000.0)


def _token_body(h, expires_in=600):
    tok = h.st.issue({"rule": None, "workspace_id": "default", "scope": "workspace:developer",
                      "service_account_id": None, "expires_in": expires_in, "sub": None})
    return {"access_token": tok, "token_type": "Bearer", "expires_in": expires_in,
            "scope": "workspace:developer"}


def serve(h, f):
    mode = f["mode"]
    delay = f.get("delay_ms", 0)
    if mode == "refuse":
        # Close without a byte of response: the client sees an empty reply.
        _wait(h, delay)
        h.close_connection = True
        return
    if mode == "hang":
        _wait(h, min(delay or HANG_MAX_MS, HANG_MAX_MS))
        h.close_connection = True
        return
    if mode != "slow":
        _wait(h, delay)
    if mode == "slow":
        body = json.dumps(_token_body(h)).encode()
        h.send_raw(200, b"", length=len(body))
        h.wfile.flush()
        step = f.get("chunk", 8)
        for i in range(0, len(body), step):
            _wait(h, delay or 200)
            h.wfile.write(body[i:i + step])
            h.wfile.flush()
        return
    if mode in ("status", "429"):
        status = f.get("status", 429 if mode == "429" else 500)
        headers = []
        if mode == "429" or "retry_after" in f:
            headers.append(("retry-after", str(f.get("retry_after", 1))))
        if "retry_after_ms" in f:
            headers.append(("retry-after-ms", str(f["retry_after_ms"])))
        if "should_retry" in f:
            headers.append(("x-should-retry", "true" if f["should_retry"] else "false"))
        return h.api_error(status, STATUS_MESSAGES.get(status, "Fault injected by the emulator"),
                           headers=headers)
    if mode == "truncated":
        body = json.dumps(_token_body(h)).encode()
        h.close_connection = True
        h.send_raw(200, b"", length=len(body) + 64)
        h.wfile.write(body[: len(body) // 2])
        h.wfile.flush()
        return
    if mode == "oversized":
        # Valid JSON when read in full, so only a client that caps the body
        # (the SDKs read at most 1 MiB) rejects it.
        head = json.dumps(_token_body(h))[:-1] + ', "padding": "'
        pad = OVERSIZED_BYTES - len(head) - 2
        return h.send_raw(200, head.encode() + b"x" * pad + b'"}')
    if mode == "notjson":
        return h.send_raw(200, b"<html><body>502 Bad Gateway</body></html>\n", ctype="text/html")
    if mode == "missing_fields":
        body = _token_body(h)
        for k in f.get("omit", ["access_token", "expires_in"]):
            body.pop(k, None)
        return h.send_json(200, body)
    if mode == "bad_token_type":
        body = _token_body(h)
        body["token_type"] = "mac"
        return h.send_json(200, body)
    if mode == "redirect":
        loc = f.get("location") or "http://127.0.0.1:%d/_emu/redirect-target" % h.st.port
        return h.send_raw(307, b"", headers=[("Location", loc)])
    raise AssertionError(mode)
