#!/usr/bin/python3
"""test_emulator.py - the emulator's own tests, raw HTTP only (http.client).

  EMU_TEST_DIR=<dir under the build tree> /usr/bin/python3 test_emulator.py

Runs this module and test_emulator_faults.py against one stack (emu_testlib);
the last line is `N passed, N failed`. § numbers refer to the design's PROTOCOL.md.
"""
import sys

sys.dont_write_bytecode = True

import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import unittest  # noqa: E402

import jwt  # noqa: E402

import emu_testlib as L  # noqa: E402

S = None


def start_stack():
    global S
    d = os.environ.get("EMU_TEST_DIR")
    if not d:
        raise RuntimeError("set EMU_TEST_DIR to a scratch directory (tests/integration/emulator_selftest.sh does)")
    S = L.Stack(d)


def stop_stack():
    if S:
        S.stop()


class Base(unittest.TestCase):
    def setUp(self):
        self.assertEqual(S.post("/_emu/reset").status, 200)

    def ok(self, r):
        self.assertEqual(r.status, 200, r.data[:300])
        return r.json()

    def denied(self, r, reason):
        """§2.2: every denial is the same 401; only the history knows why."""
        self.assertEqual(r.status, 401, r.data[:300])
        body = r.json()
        rid = r.header("request-id")
        self.assertTrue(rid and rid.startswith("req_"))
        self.assertEqual(body, {"type": "error", "error": {"type": "authentication_error",
                                                           "message": "Authentication failed"},
                                "request_id": rid})
        self.assertEqual(S.last_history()["reason"], reason)
        self.assertEqual(S.get("/_emu/stats")["denied_by_reason"].get(reason), 1)

    def invalid(self, r, word):
        """§2.2: 400 invalid_request_error whose message names the problem."""
        self.assertEqual(r.status, 400, r.data[:300])
        body = r.json()
        self.assertEqual(body["type"], "error")
        self.assertEqual(body["error"]["type"], "invalid_request_error")
        self.assertIn(word, body["error"]["message"])
        self.assertEqual(body["request_id"], r.header("request-id"))
        self.assertEqual(S.get("/_emu/history"), [], "a 400 writes no history entry")


class TestSuccess(Base):
    def test_good_assertion_accepted(self):
        r = S.exchange()
        body = self.ok(r)
        self.assertEqual(sorted(body), ["access_token", "expires_in", "scope", "token_type"])
        self.assertTrue(body["access_token"].startswith("sk-ant-oat01-"))
        self.assertGreater(len(body["access_token"]), 60)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["scope"], "workspace:developer")
        self.assertIsInstance(body["expires_in"], int)
        self.assertTrue(r.header("request-id").startswith("req_"))
        self.assertEqual(r.header("content-type"), "application/json")
        st = S.get("/_emu/stats")
        self.assertEqual(st["exchanges"], {"attempted": 1, "succeeded": 1, "denied": 0, "invalid": 0, "faulted": 0})
        self.assertEqual(S.last_history()["outcome"], "success")

    def test_lifetime_formula(self):
        # §2.1: max(60, min(rule lifetime, 2 * (exp - now)))
        self.assertEqual(self.ok(S.exchange(S.mint(ttl=3600)))["expires_in"], 600)
        self.assertIn(self.ok(S.exchange(S.mint(ttl=200)))["expires_in"], range(396, 401))
        self.assertEqual(self.ok(S.exchange(S.mint(ttl=20)))["expires_in"], 60)
        # exp 10 s in the past is inside the 30 s leeway: still the 60 s floor
        self.assertEqual(self.ok(S.exchange(S.mint(ttl=300, iat_offset=-310)))["expires_in"], 60)
        a = S.mint(sub="repo:acme/app:ref:refs/heads/main", ttl=1200, claims={"repository": "acme/app"})
        body = self.ok(S.exchange(a, federation_rule_id="fdrl_claims"))
        self.assertIn(body["expires_in"], range(2396, 2401))
        self.assertEqual(body["scope"], "workspace:inference")

    def test_scope_and_unknown_fields_ignored(self):
        self.ok(S.exchange(scope="org:admin", client_id="x", extra={"a": 1}))

    def test_optional_service_account_and_sole_workspace(self):
        self.ok(S.exchange(service_account_id=None, workspace_id=None))
        self.assertEqual(S.last_history()["workspace_id"], "wrkspc_one")

    def test_default_workspace_and_all_workspaces_rule(self):
        self.ok(S.exchange(workspace_id="default"))
        self.ok(S.exchange(federation_rule_id="fdrl_allws", workspace_id=None))
        self.assertEqual(S.last_history()["workspace_id"], "default")

    def test_audience_array(self):
        self.ok(S.exchange(S.mint(aud=("https://other.example", L.AUD))))

    def test_es256_by_discovery_cached(self):
        before = S.get("/_emu/stats")["jwks_fetches"]
        for _ in range(3):
            self.ok(S.exchange(S.mint("b"), federation_rule_id="fdrl_es"))
        after = S.get("/_emu/stats")["jwks_fetches"]
        self.assertGreaterEqual(after, 1)
        self.assertLessEqual(after - before, 1, "JWKS cached between exchanges")
        port = int(S.iss["b"].rsplit(":", 1)[1])
        served = S.request("GET", "/_issuer/stats", port=port).json()
        self.assertGreaterEqual(served["discovery"], 1, "found through discovery")

    def test_jwks_url_and_issuer_max_lifetime(self):
        self.ok(S.exchange(S.mint("c", ttl=900), federation_rule_id="fdrl_url"))
        self.denied(S.exchange(S.mint("c", ttl=901), federation_rule_id="fdrl_url"), "token_lifetime_too_long")

    def test_chunked_body_and_expect_continue(self):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", S.port, timeout=10)
        body = json.dumps({"grant_type": L.GRANT, "assertion": S.mint(), "federation_rule_id": "fdrl_main",
                           "organization_id": L.ORG}).encode()
        c.request("POST", "/v1/oauth/token", body=iter([body[:100], body[100:]]),
                  headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"},
                  encode_chunked=True)
        r = c.getresponse()
        self.assertEqual(r.status, 200, r.read())
        r.read()
        c.close()
        r = S.exchange(headers={"Expect": "100-continue"})
        self.ok(r)


class TestDenials(Base):
    def test_replay_jti_reused(self):
        a = S.mint()
        self.ok(S.exchange(a))
        self.denied(S.exchange(a), "jti_reused")

    def test_replay_same_jti_new_token(self):
        self.ok(S.exchange(S.mint(jti="fixed-jti-1")))
        self.denied(S.exchange(S.mint(jti="fixed-jti-1")), "jti_reused")

    def test_replay_without_jti_uses_assertion_hash(self):
        a, b = S.mint(jti=False), S.mint(jti=False, claims={"n": "2"})
        self.ok(S.exchange(a))
        self.ok(S.exchange(b))
        self.denied(S.exchange(a), "jti_reused")

    def test_expired(self):
        self.denied(S.exchange(S.mint(ttl=300, iat_offset=-400)), "token_expired")

    def test_future_iat(self):
        self.denied(S.exchange(S.mint(iat_offset=120)), "iat_in_future")

    def test_future_iat_inside_leeway(self):
        self.ok(S.exchange(S.mint(iat_offset=10)))

    def test_nbf_in_future(self):
        self.denied(S.exchange(S.mint(nbf_offset=120)), "token_not_yet_valid")

    def test_lifetime_too_long(self):
        self.ok(S.exchange(S.mint(ttl=3600)))
        self.denied(S.exchange(S.mint(ttl=3601)), "token_lifetime_too_long")

    def test_wrong_iss_trailing_slash(self):
        self.denied(S.exchange(S.mint(iss=L.ISS_A + "/")), "issuer_mismatch")

    def test_hs256(self):
        self.denied(S.exchange(S.mint(alg="HS256")), "unsupported_algorithm")

    def test_alg_none(self):
        self.denied(S.exchange(S.mint(alg="none")), "unsupported_algorithm")

    def test_missing_kid(self):
        self.denied(S.exchange(S.mint(kid=False)), "missing_kid")

    def test_unknown_kid(self):
        self.denied(S.exchange(S.mint(kid="kid-nope")), "unknown_kid")

    def test_bad_signature(self):
        h, p, s = S.mint().split(".")
        claims = json.loads(base64.urlsafe_b64decode(p + "=="))
        claims["sub"] = "demo:admin"
        p2 = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        self.denied(S.exchange(".".join((h, p2, s))), "invalid_signature")

    def test_signed_by_another_issuers_key(self):
        # issuer C's key, labelled with issuer A's kid and iss
        self.denied(S.exchange(S.mint("c", iss=L.ISS_A, kid="kid-a")), "invalid_signature")

    def test_wrong_audience(self):
        self.denied(S.exchange(S.mint(aud=("https://api.anthropic.com/",))), "audience_mismatch")

    def test_subject_mismatch(self):
        self.denied(S.exchange(S.mint(sub="prod:app")), "subject_mismatch")

    def test_subject_exact_not_prefix(self):
        a = S.mint(sub="repo:acme/app:ref:refs/heads/main-x", claims={"repository": "acme/app"})
        self.denied(S.exchange(a, federation_rule_id="fdrl_claims"), "subject_mismatch")

    def test_subject_prefix_case_sensitive(self):
        self.denied(S.exchange(S.mint(sub="Demo:app")), "subject_mismatch")

    def test_claims_mismatch(self):
        a = S.mint(sub="repo:acme/app:ref:refs/heads/main", claims={"repository": "acme/other"})
        self.denied(S.exchange(a, federation_rule_id="fdrl_claims"), "claims_mismatch")

    def test_claims_must_be_strings(self):
        a = S.mint(sub="repo:acme/app:ref:refs/heads/main", claims={"repository": ["acme/app"]})
        self.denied(S.exchange(a, federation_rule_id="fdrl_claims"), "claims_mismatch")

    def test_missing_claims(self):
        for claim in ("sub", "iat", "exp"):
            with self.subTest(claim=claim):
                S.post("/_emu/reset")
                self.denied(S.exchange(S.mint(omit=(claim,))), "missing_claim")

    def test_malformed_jwt(self):
        self.denied(S.exchange("not-a-jwt"), "malformed_jwt")

    def test_unknown_and_archived_rule(self):
        self.denied(S.exchange(federation_rule_id="fdrl_nosuchrule"), "rule_not_found")
        S.post("/_emu/reset")
        self.denied(S.exchange(federation_rule_id="fdrl_archived"), "rule_not_found")

    def test_organization_mismatch(self):
        self.denied(S.exchange(organization_id=L.ORG2), "organization_mismatch")

    def test_service_account_mismatch(self):
        self.denied(S.exchange(service_account_id="svac_other"), "service_account_mismatch")

    def test_workspace_required(self):
        self.denied(S.exchange(federation_rule_id="fdrl_multi", workspace_id=None), "workspace_id_required")
        self.ok(S.exchange(federation_rule_id="fdrl_multi", workspace_id="wrkspc_b"))

    def test_unknown_workspace(self):
        self.denied(S.exchange(workspace_id="wrkspc_zzz"), "workspace_not_enabled")

    def test_denial_does_not_consume_jti_of_a_later_valid_request(self):
        a = S.mint()
        self.denied(S.exchange(a, organization_id=L.ORG2), "organization_mismatch")
        self.ok(S.exchange(a))


class TestBadRequests(Base):
    def test_oversized_assertion(self):
        self.invalid(S.exchange("x" * (16 * 1024 + 1)), "assertion")
        self.denied(S.exchange("x" * (16 * 1024)), "malformed_jwt")  # at the limit: size passes

    def test_malformed_rule_id(self):
        for bad in ("fdrl-1", "rule_1", "fdrl_", "fdrl_a b"):
            with self.subTest(bad=bad):
                S.post("/_emu/reset")
                self.invalid(S.exchange(federation_rule_id=bad), "federation_rule_id")

    def test_organization_not_uuid(self):
        self.invalid(S.exchange(organization_id="org_123"), "organization_id")

    def test_malformed_workspace(self):
        for bad in ("ws1", "", "wrkspc_"):
            with self.subTest(bad=bad):
                S.post("/_emu/reset")
                self.invalid(S.exchange(workspace_id=bad), "workspace_id")

    def test_missing_fields(self):
        for f in ("grant_type", "assertion", "federation_rule_id", "organization_id"):
            with self.subTest(field=f):
                S.post("/_emu/reset")
                self.invalid(S.exchange(**{f: None}), f)

    def test_wrong_grant_type(self):
        self.invalid(S.exchange(grant_type="client_credentials"), "grant_type")

    def test_non_string_field(self):
        self.invalid(S.exchange(organization_id=1), "organization_id")

    def test_form_body_refused(self):
        r = S.exchange(raw="grant_type=" + L.GRANT, headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.invalid(r, "application/json")

    def test_not_json(self):
        self.invalid(S.exchange(raw="{nope"), "JSON")
        self.invalid(S.exchange(raw="[1,2]"), "JSON object")

    def test_body_cap(self):
        r = S.exchange(raw=json.dumps({"grant_type": L.GRANT, "pad": "x" * (64 * 1024)}))
        self.assertEqual(r.status, 413)
        self.assertEqual(r.json()["error"]["type"], "request_too_large")

    def test_rfc6749_error_style(self):
        self.assertEqual(S.post("/_emu/settings", {"error_style": "rfc6749"}).status, 200)
        a = S.mint()
        self.ok(S.exchange(a))
        r = S.exchange(a)
        self.assertEqual((r.status, r.json()), (400, {"error": "invalid_grant", "error_description": "Authentication failed"}))
        r = S.exchange(federation_rule_id="fdrl_multi", workspace_id=None)
        self.assertEqual((r.status, r.json()["error"]), (400, "invalid_request"))
        S.post("/_emu/reset")  # back to the configured (API) shape
        self.denied(S.exchange(organization_id=L.ORG2), "organization_mismatch")

    def test_reset_clears_replay_cache(self):
        a = S.mint()
        self.ok(S.exchange(a))
        S.post("/_emu/reset")
        self.ok(S.exchange(a))


class TestMessages(Base):
    def call(self, token=None, beta="oauth-2025-04-20", extra=None, body=None):
        h = {"Content-Type": "application/json", "anthropic-version": "2023-06-01"}
        if token:
            h["Authorization"] = "Bearer " + token
        if beta:
            h["anthropic-beta"] = beta
        h.update(extra or {})
        return S.request("POST", "/v1/messages", body if body is not None else
                         {"model": "claude-x", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}, h)

    def token(self):
        return self.ok(S.exchange())["access_token"]

    def test_message_ok(self):
        r = self.call(self.token(), beta="foo-2025-01-01, oauth-2025-04-20")
        m = self.ok(r)
        self.assertEqual((m["type"], m["role"], m["model"], m["stop_reason"]), ("message", "assistant", "claude-x", "end_turn"))
        self.assertEqual(m["content"], [{"type": "text", "text": "hello from the emulator"}])
        self.assertEqual(sorted(m["usage"]), ["input_tokens", "output_tokens"])
        self.assertTrue(r.header("request-id").startswith("req_"))
        self.assertEqual(S.get("/_emu/stats")["messages"]["succeeded"], 1)

    def check_401(self, r, reason):
        self.assertEqual(r.status, 401)
        self.assertEqual(r.json()["error"]["type"], "authentication_error")
        self.assertEqual(S.get("/_emu/stats")["messages_denied_by_reason"], {reason: 1})

    def test_no_token(self):
        self.check_401(self.call(), "missing_bearer")

    def test_unknown_token(self):
        self.check_401(self.call("sk-ant-oat01-forged"), "unknown_token")

    def test_no_oauth_beta(self):
        r = self.call(self.token(), beta="foo-2025-01-01")
        self.check_401(r, "missing_oauth_beta")
        self.assertIn("anthropic-beta header oauth-2025-04-20", r.json()["error"]["message"])

    def test_x_api_key_alongside(self):
        self.check_401(self.call(self.token(), extra={"x-api-key": "sk-ant-api03-x"}), "x_api_key_present")

    def test_revoked(self):
        t = self.token()
        self.ok(self.call(t))
        self.assertEqual(S.post("/_emu/revoke").json(), {"revoked": 1})
        self.check_401(self.call(t), "unknown_token")

    def test_expired_token(self):
        t = self.token()
        self.ok(self.call(t))
        self.assertEqual(S.post("/_emu/expire").json(), {"expired": 1})
        self.assertEqual(S.get("/_emu/stats")["tokens_active"], 0)
        self.check_401(self.call(t), "token_expired")

    def test_bad_request(self):
        t = self.token()
        r = self.call(t, body={"model": "m", "messages": []})
        self.assertEqual(r.status, 400)
        r = self.call(t, extra={"anthropic-version": ""})
        self.assertEqual(r.status, 400)


class TestControl(Base):
    def test_requests_recorded_redacted(self):
        a = S.mint()
        S.exchange(a, headers={"X-Custom": "Value"})
        S.exchange(a)
        recs = S.get("/_emu/requests")
        self.assertEqual(len(recs), 2)
        r = recs[0]
        self.assertEqual((r["method"], r["path"]), ("POST", "/v1/oauth/token"))
        names = [n for n, _ in r["headers"]]
        self.assertEqual(names, [n.lower() for n in names])
        self.assertLess(names.index("content-type"), names.index("anthropic-beta"))
        self.assertIn(["x-custom", "Value"], r["headers"])
        self.assertEqual(r["body_keys"], ["grant_type", "assertion", "federation_rule_id", "organization_id",
                                          "service_account_id", "workspace_id"])
        self.assertRegex(r["body"]["assertion"], r"^<redacted:sha256:[0-9a-f]{16}>$")
        self.assertEqual(r["body"]["organization_id"], L.ORG)
        self.assertEqual([x["outcome"] for x in recs], ["issued", "denied:jti_reused"])
        with open(S.record) as f:
            lines = [json.loads(x) for x in f]
        self.assertEqual(lines[-1]["request_id"], recs[1]["request_id"])

    def test_logs_hold_no_secrets(self):
        a = S.mint()
        t = self.ok(S.exchange(a))["access_token"]
        S.request("POST", "/v1/messages", {"model": "m", "max_tokens": 1, "messages": [1]},
                  {"Authorization": "Bearer " + t, "anthropic-beta": "oauth-2025-04-20", "anthropic-version": "x",
                   "Content-Type": "application/json"})
        for path in (S.record, S.log):
            with open(path) as f:
                text = f.read()
            self.assertNotIn(a.split(".")[2], text)
            self.assertNotIn(t[13:], text)
        self.assertNotIn(t[13:], json.dumps(S.get("/_emu/requests?endpoint=all")))

    def test_request_id_everywhere(self):
        for r in (S.request("GET", "/_emu/stats"), S.request("GET", "/nope"), S.post("/_emu/reset"),
                  S.request("GET", "/v1/oauth/token"), S.exchange(organization_id="x")):
            self.assertRegex(r.header("request-id") or "", r"^req_[A-Za-z0-9]{24}$")
        self.assertEqual(S.request("GET", "/v1/oauth/token").status, 405)
        self.assertEqual(S.request("GET", "/nope").json()["error"]["type"], "not_found_error")

    def test_request_id_on_http_server_errors(self):
        # errors raised by http.server itself (unknown method, oversized header line)
        import socket
        r = S.request("OPTIONS", "/v1/oauth/token")
        self.assertEqual(r.status, 501)
        self.assertEqual(r.json()["request_id"], r.header("request-id"))
        s = socket.create_connection(("127.0.0.1", S.port), timeout=10)
        try:
            s.sendall(b"GET /v1/oauth/token HTTP/1.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        finally:
            s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 431"), data[:80])
        self.assertRegex(data, rb"\r\nrequest-id: req_[A-Za-z0-9]{24}\r\n")

    def test_stats_shape(self):
        S.exchange(organization_id="bad")
        st = S.get("/_emu/stats")
        self.assertEqual(st["exchanges"]["invalid"], 1)
        self.assertEqual(st["invalid_by_reason"], {"organization_id": 1})
        for k in ("messages", "faults_served", "faults_pending", "denied_by_reason", "tokens_active"):
            self.assertIn(k, st)


class TestDemoIssuer(Base):
    def test_issued_tokens_verify_with_pyjwt(self):
        import subprocess
        out = os.path.join(S.dir, "tok.jwt")
        subprocess.run([L.PY, os.path.join(L.HERE, "demo_issuer.py"), "mint", os.path.join(S.dir, "a"),
                        "--iss", L.ISS_A, "--sub", "demo:x", "--aud", L.AUD, "--claim", "k=v", "--out", out], check=True)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o644)
        self.assertEqual(os.stat(os.path.join(S.dir, "a", demo_issuer_key())).st_mode & 0o777, 0o600)
        with open(out) as f:
            tok = f.read().strip()
        with open(os.path.join(S.dir, "a", "jwks.json")) as f:
            jwk = json.load(f)["keys"][0]
        self.assertNotIn("d", jwk)
        c = jwt.decode(tok, jwt.PyJWK(jwk).key, algorithms=["RS256"], audience=L.AUD, issuer=L.ISS_A)
        self.assertEqual((c["sub"], c["k"], c["exp"] - c["iat"]), ("demo:x", "v", 300))
        self.assertEqual(len(c["jti"]), 32)

    def test_served_endpoints(self):
        port = int(S.iss["b"].rsplit(":", 1)[1])
        disc = S.request("GET", "/.well-known/openid-configuration", port=port).json()
        self.assertEqual(disc["issuer"], S.iss["b"])
        tok = S.request("GET", "/token?aud=" + L.AUD + "&sub=demo:served", port=port).data.decode().strip()
        jwks = S.request("GET", "/jwks.json", port=port).json()
        c = jwt.decode(tok, jwt.PyJWK(jwks["keys"][0]).key, algorithms=["ES256"], audience=L.AUD, issuer=S.iss["b"])
        self.assertEqual(c["sub"], "demo:served")
        self.ok(S.exchange(tok, federation_rule_id="fdrl_es"))

    def test_serve_ipv6_loopback_and_refuses_other_hosts(self):
        import subprocess
        d = os.path.join(S.dir, "v6")
        subprocess.run([L.PY, os.path.join(L.HERE, "demo_issuer.py"), "init", d, "--alg", "ES256"], check=True,
                       stdout=subprocess.DEVNULL)
        pf = os.path.join(S.dir, "v6.port")
        p = S.spawn([L.PY, os.path.join(L.HERE, "demo_issuer.py"), "serve", d, "--host", "::1",
                     "--port", "0", "--port-file", pf, "--issuer-file", os.path.join(S.dir, "v6.url")])
        port = S.wait_port(pf, p)
        try:
            with open(os.path.join(S.dir, "v6.url")) as f:
                self.assertEqual(f.read().strip(), "http://[::1]:%d" % port)
            import http.client
            c = http.client.HTTPConnection("::1", port, timeout=10)
            c.request("GET", "/.well-known/openid-configuration")
            disc = json.loads(c.getresponse().read())
            c.close()
            self.assertEqual(disc["issuer"], "http://[::1]:%d" % port)
            self.assertEqual(disc["jwks_uri"], "http://[::1]:%d/jwks.json" % port)
        finally:
            p.terminate()
            self.assertEqual(p.wait(10), 0)
        r = subprocess.run([L.PY, os.path.join(L.HERE, "demo_issuer.py"), "serve", d, "--host", "0.0.0.0",
                            "--port", "0", "--port-file", os.path.join(S.dir, "any.port")],
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"loopback", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(S.dir, "any.port")))

    def test_usage_errors(self):
        import subprocess
        r = subprocess.run([L.PY, os.path.join(L.HERE, "demo_issuer.py"), "mint", os.path.join(S.dir, "a"),
                            "--iss", "x", "--sub", "s"], capture_output=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--aud", r.stderr)


def demo_issuer_key():
    import demo_issuer
    return demo_issuer.KEY_FILE


def main():
    import test_emulator_faults
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    suite.addTests(loader.loadTestsFromModule(sys.modules[__name__]))
    suite.addTests(loader.loadTestsFromModule(test_emulator_faults))
    start_stack()
    test_emulator_faults.S = S
    try:
        res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    finally:
        stop_stack()
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    print("%d passed, %d failed" % (res.testsRun - failed - len(res.skipped), failed))
    return 1 if failed or res.testsRun == 0 else 0


if __name__ == "__main__":
    sys.modules.setdefault("test_emulator", sys.modules[__name__])
    sys.exit(main())
