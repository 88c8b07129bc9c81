"""test_emulator_faults.py - every fault mode of POST /_emu/fault, raw sockets and
http.client; plus the process-level behaviour (SIGTERM, bad config).
Run through test_emulator.py, which sets S to the shared stack.
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import unittest

import emu_testlib as L

S = None  # set by test_emulator.main()


def raw_exchange(assertion, timeout=10):
    """Send the golden request over a raw socket; returns every byte received."""
    body = json.dumps({"grant_type": L.GRANT, "assertion": assertion, "federation_rule_id": "fdrl_main",
                       "organization_id": L.ORG}).encode()
    s = socket.create_connection(("127.0.0.1", S.port), timeout=timeout)
    try:
        s.sendall(b"POST /v1/oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return chunks
    finally:
        s.close()


class Faults(unittest.TestCase):
    def setUp(self):
        self.assertEqual(S.post("/_emu/reset").status, 200)

    def fault(self, **f):
        r = S.post("/_emu/fault", f)
        self.assertEqual(r.status, 200, r.data)
        return r.json()["queued"]

    def assert_jti_unconsumed(self, a, mode):
        """A faulted request never reached validation: the same JWT still works."""
        r = S.exchange(a)
        self.assertEqual(r.status, 200, r.data)
        st = S.get("/_emu/stats")
        self.assertEqual(st["faults_served"], {mode: 1})
        self.assertEqual(st["exchanges"]["faulted"], 1)
        self.assertEqual(st["faults_pending"], [])

    def test_refuse(self):
        self.fault(mode="refuse")
        a = S.mint()
        self.assertEqual(raw_exchange(a), [], "closed without a byte")
        self.assert_jti_unconsumed(a, "refuse")

    def test_hang_bounded_by_delay(self):
        self.fault(mode="hang", delay_ms=300)
        a = S.mint()
        self.assertEqual(raw_exchange(a), [])
        self.assert_jti_unconsumed(a, "hang")

    def test_hang_client_timeout_then_reset_releases(self):
        self.fault(mode="hang")
        a = S.mint()
        with self.assertRaises(socket.timeout):
            raw_exchange(a, timeout=0.5)
        S.post("/_emu/reset")
        self.assertEqual(S.exchange(a).status, 200)

    def test_slow(self):
        self.fault(mode="slow", delay_ms=20, chunk=16)
        a = S.mint()
        chunks = raw_exchange(a)
        data = b"".join(chunks)
        head, _, body = data.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"))
        self.assertGreater(len(chunks), 3, "the body arrived dribbled")
        tok = json.loads(body)
        self.assertTrue(tok["access_token"].startswith("sk-ant-oat01-"))
        self.assert_jti_unconsumed(a, "slow")

    def test_status_modes(self):
        for status, etype in ((500, "api_error"), (503, "api_error"), (529, "overloaded_error"),
                              (408, "api_error"), (504, "timeout_error")):
            with self.subTest(status=status):
                S.post("/_emu/reset")
                self.fault(mode="status", status=status)
                a = S.mint()
                r = S.exchange(a)
                self.assertEqual(r.status, status)
                body = r.json()
                self.assertEqual((body["type"], body["error"]["type"]), ("error", etype))
                self.assertEqual(body["request_id"], r.header("request-id"))
                self.assertIsNone(r.header("retry-after"))
                self.assert_jti_unconsumed(a, "status")

    def test_status_with_retry_headers(self):
        self.fault(mode="status", status=503, retry_after=2, retry_after_ms=1500, should_retry=False)
        r = S.exchange()
        self.assertEqual((r.status, r.header("retry-after"), r.header("retry-after-ms"), r.header("x-should-retry")),
                         (503, "2", "1500", "false"))

    def test_429(self):
        self.fault(mode="429", retry_after=7)
        a = S.mint()
        r = S.exchange(a)
        self.assertEqual((r.status, r.header("retry-after")), (429, "7"))
        self.assertEqual(r.json()["error"]["type"], "rate_limit_error")
        self.assert_jti_unconsumed(a, "429")

    def test_truncated(self):
        self.fault(mode="truncated")
        a = S.mint()
        c = http.client.HTTPConnection("127.0.0.1", S.port, timeout=10)
        c.request("POST", "/v1/oauth/token", json.dumps({"grant_type": L.GRANT, "assertion": a}),
                  {"Content-Type": "application/json"})
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        declared = int(r.getheader("Content-Length"))
        with self.assertRaises(http.client.IncompleteRead) as cm:
            r.read()
        self.assertLess(len(cm.exception.partial), declared)
        c.close()
        self.assert_jti_unconsumed(a, "truncated")

    def test_oversized(self):
        self.fault(mode="oversized")
        a = S.mint()
        r = S.exchange(a)
        self.assertEqual((r.status, len(r.data), int(r.header("content-length"))), (200, 2 << 20, 2 << 20))
        self.assertTrue(r.json()["access_token"].startswith("sk-ant-oat01-"), "valid JSON when read in full")
        self.assert_jti_unconsumed(a, "oversized")

    def test_notjson(self):
        self.fault(mode="notjson")
        a = S.mint()
        r = S.exchange(a)
        self.assertEqual((r.status, r.header("content-type")), (200, "text/html"))
        with self.assertRaises(ValueError):
            r.json()
        self.assert_jti_unconsumed(a, "notjson")

    def test_missing_fields(self):
        self.fault(mode="missing_fields")
        a = S.mint()
        body = S.exchange(a).json()
        self.assertNotIn("access_token", body)
        self.assertNotIn("expires_in", body)
        self.assert_jti_unconsumed(a, "missing_fields")
        self.fault(mode="missing_fields", omit="expires_in")
        body = S.exchange().json()
        self.assertEqual(sorted(body), ["access_token", "scope", "token_type"])

    def test_bad_token_type(self):
        self.fault(mode="bad_token_type")
        a = S.mint()
        body = S.exchange(a).json()
        self.assertEqual(body["token_type"], "mac")
        self.assert_jti_unconsumed(a, "bad_token_type")

    def test_redirect(self):
        self.fault(mode="redirect")
        a = S.mint()
        r = S.exchange(a)
        self.assertEqual(r.status, 307)
        loc = r.header("location")
        self.assertEqual(loc, "http://127.0.0.1:%d/_emu/redirect-target" % S.port)
        self.assertEqual(S.get("/_emu/stats")["redirects_followed"], 0)
        S.request("POST", "/_emu/redirect-target", {"assertion": a}, {"Content-Type": "application/json"})
        self.assertEqual(S.get("/_emu/stats")["redirects_followed"], 1, "a client that follows is seen")
        S.post("/_emu/reset")
        self.fault(mode="redirect")
        S.exchange(a)
        self.assert_jti_unconsumed(a, "redirect")

    def test_count_queue_and_forever(self):
        self.fault(mode="status", status=500, count=2)
        self.fault(mode="429")
        self.assertEqual([S.exchange().status for _ in range(4)], [500, 500, 429, 200])
        self.fault(mode="status", status=503, count=-1)
        self.assertEqual([S.exchange().status for _ in range(3)], [503, 503, 503])
        self.assertEqual(S.get("/_emu/stats")["faults_pending"][0]["count"], -1)
        S.post("/_emu/reset")
        self.assertEqual(S.exchange().status, 200)

    def test_faults_only_on_token_endpoint(self):
        self.fault(mode="status", status=500)
        self.assertEqual(S.request("GET", "/_emu/stats").status, 200)
        r = S.request("POST", "/v1/messages", {"model": "m", "max_tokens": 1, "messages": [1]},
                      {"Authorization": "Bearer sk-ant-oat01-x", "Content-Type": "application/json"})
        self.assertEqual(r.status, 401)
        self.assertEqual(S.exchange().status, 500)

    def test_bad_fault_requests(self):
        for bad in ({"mode": "explode"}, {"mode": "status", "count": 0}, {"mode": "status", "status": 9},
                    {"mode": "hang", "delay_ms": 10 ** 9}, {"mode": "missing_fields", "omit": "scope"}):
            with self.subTest(bad=bad):
                r = S.post("/_emu/fault", bad)
                self.assertEqual(r.status, 400)
        self.assertEqual(S.get("/_emu/stats")["faults_pending"], [])

    def test_faulted_request_recorded(self):
        self.fault(mode="notjson")
        S.exchange()
        self.assertEqual(S.get("/_emu/requests")[0]["fault"], "notjson")


class Process(unittest.TestCase):
    def test_sigterm_exits_cleanly(self):
        p, port = S.start_emulator(S.config, "sigterm")
        r = S.request("GET", "/_emu/stats", port=port)
        self.assertEqual(r.status, 200)
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)

    def test_sigterm_with_a_hung_request(self):
        p, port = S.start_emulator(S.config, "sigterm2")
        self.assertEqual(S.request("POST", "/_emu/fault", {"mode": "hang"}, port=port).status, 200)
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        body = b'{"grant_type":"x"}'
        s.sendall(b"POST /v1/oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
        S.request("GET", "/_emu/stats", port=port)  # the hung request has been taken in
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(10), 0)
        s.close()

    def test_bad_config_refused(self):
        bad = os.path.join(S.dir, "bad.json")
        with open(bad, "w") as f:
            json.dump({"issuers": [{"issuer_url": L.ISS_A, "jwks": {"keys": []}}],
                       "rules": [{"id": "fdrl_x", "organization_id": L.ORG, "service_account_id": "svac_x",
                                  "issuer_url": L.ISS_A, "match": {"audience": L.AUD}}]}, f)
        r = subprocess.run([L.PY, os.path.join(L.HERE, "anthropic_emulator.py"), "--config", bad,
                            "--port-file", os.path.join(S.dir, "bad.port")], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"audience alone is rejected", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(S.dir, "bad.port")))

    def test_explicit_discovery_and_conflicting_key_sources(self):
        iss_b = S.iss["b"]
        good = os.path.join(S.dir, "disc.json")
        with open(good, "w") as f:
            json.dump({"issuers": [{"issuer_url": iss_b, "discovery": True}],
                       "rules": [{"id": "fdrl_disc", "organization_id": L.ORG, "service_account_id": "svac_x",
                                  "issuer_url": iss_b, "match": {"audience": L.AUD, "subject_prefix": "demo:*"}}]}, f)
        p, port = S.start_emulator(good, "disc")
        try:
            body = {"grant_type": L.GRANT, "assertion": S.mint("b"), "federation_rule_id": "fdrl_disc",
                    "organization_id": L.ORG}
            r = S.request("POST", "/v1/oauth/token", body, {"Content-Type": "application/json"}, port=port)
            self.assertEqual(r.status, 200, r.data)
            self.assertEqual(S.request("GET", "/_emu/stats", port=port).json()["jwks_fetches"], 1)
        finally:
            p.terminate()
            p.wait(10)
        bad = os.path.join(S.dir, "disc_bad.json")
        with open(bad, "w") as f:
            json.dump({"issuers": [{"issuer_url": iss_b, "discovery": True, "jwks_url": iss_b + "/jwks.json"}],
                       "rules": []}, f)
        r = subprocess.run([L.PY, os.path.join(L.HERE, "anthropic_emulator.py"), "--config", bad,
                            "--port-file", os.path.join(S.dir, "disc_bad.port")], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"give one of jwks, jwks_url", r.stderr)

    def test_remote_jwks_refused_off_loopback(self):
        bad = os.path.join(S.dir, "bad2.json")
        with open(bad, "w") as f:
            json.dump({"issuers": [{"issuer_url": "https://issuer.example.com"}], "rules": []}, f)
        r = subprocess.run([L.PY, os.path.join(L.HERE, "anthropic_emulator.py"), "--config", bad,
                            "--port-file", os.path.join(S.dir, "bad2.port")], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"loopback only", r.stderr)
