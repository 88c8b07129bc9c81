"""emu_testlib.py - fixture and raw-HTTP helpers for the emulator's own tests.

One stack per test run (setUpModule): three issuers - A (RS256, inline JWKS,
never contacted), B (ES256, served, found by OIDC discovery), C (RS256, served,
explicit jwks_url) - and an emulator with rules covering every match feature.
Everything lives in $EMU_TEST_DIR (a directory under the build tree).
"""
import sys

sys.dont_write_bytecode = True

import http.client  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import demo_issuer  # noqa: E402

PY = "/usr/bin/python3"
ORG = "00000000-0000-4000-8000-000000000001"
ORG2 = "00000000-0000-4000-8000-000000000002"
AUD = "https://api.anthropic.com"
ISS_A = "https://issuer-a.example.test"
GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
BETAS = "oauth-2025-04-20,oidc-federation-2026-04-01"
MINT = object()


class Stack:
    def __init__(self, d):
        self.dir = d
        self.procs = []
        os.makedirs(d, exist_ok=True)
        for name, alg in (("a", "RS256"), ("b", "ES256"), ("c", "RS256")):
            subprocess.run([PY, os.path.join(HERE, "demo_issuer.py"), "init", os.path.join(d, name),
                            "--alg", alg, "--kid", "kid-" + name], check=True, stdout=subprocess.DEVNULL)
        self.keys = {n: demo_issuer.load_key(os.path.join(d, n)) for n in "abc"}
        self.iss = {"a": ISS_A}
        for n in "bc":
            pf = os.path.join(d, n + ".port")
            self.spawn([PY, os.path.join(HERE, "demo_issuer.py"), "serve", os.path.join(d, n),
                        "--port", "0", "--port-file", pf])
            self.iss[n] = "http://127.0.0.1:%d" % self.wait_port(pf)
        with open(os.path.join(d, "a", "jwks.json")) as f:
            jwks_a = json.load(f)
        rule = {"organization_id": ORG, "service_account_id": "svac_main", "issuer_url": ISS_A,
                "match": {"audience": AUD, "subject_prefix": "demo:*"}, "token_lifetime_seconds": 600,
                "workspace_ids": ["wrkspc_one"], "oauth_scope": "workspace:developer"}
        cfg = {"issuers": [{"issuer_url": ISS_A, "jwks": jwks_a, "max_jwt_lifetime_seconds": 3600},
                           {"issuer_url": self.iss["b"]},
                           {"issuer_url": self.iss["c"], "jwks_url": self.iss["c"] + "/jwks.json",
                            "max_jwt_lifetime_seconds": 900}],
               "rules": [dict(rule, id="fdrl_main"),
                         dict(rule, id="fdrl_multi", workspace_ids=["wrkspc_a", "wrkspc_b"]),
                         dict(rule, id="fdrl_allws", workspace_ids=[]),
                         dict(rule, id="fdrl_archived", archived=True),
                         dict(rule, id="fdrl_claims", token_lifetime_seconds=3600, oauth_scope="workspace:inference",
                              match={"subject_prefix": "repo:acme/app:ref:refs/heads/main",
                                     "claims": {"repository": "acme/app"}}),
                         dict(rule, id="fdrl_es", issuer_url=self.iss["b"]),
                         dict(rule, id="fdrl_url", issuer_url=self.iss["c"])]}
        self.config = os.path.join(d, "emu.json")
        with open(self.config, "w") as f:
            json.dump(cfg, f)
        self.record = os.path.join(d, "record.jsonl")
        self.log = os.path.join(d, "emu.log")
        self.emu = self.start_emulator(self.config, "emu", ["--record", self.record, "--log", self.log])
        self.port = self.emu[1]

    def spawn(self, argv):
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(self.dir, "stderr.log"), "ab"))
        self.procs.append(p)
        return p

    def start_emulator(self, config, name, extra=()):
        pf = os.path.join(self.dir, name + ".port")
        if os.path.exists(pf):
            os.unlink(pf)
        p = self.spawn([PY, os.path.join(HERE, "anthropic_emulator.py"), "--config", config,
                        "--port", "0", "--port-file", pf] + list(extra))
        return p, self.wait_port(pf, p)

    @staticmethod
    def wait_port(pf, proc=None):
        for _ in range(400):
            try:
                with open(pf) as f:
                    txt = f.read().strip()
                if txt:
                    return int(txt)
            except OSError:
                pass
            if proc is not None and proc.poll() is not None:
                raise RuntimeError("server exited with %s" % proc.returncode)
            time.sleep(0.025)
        raise RuntimeError("no port in %s" % pf)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    # ------------------------------------------------------------ tokens

    def mint(self, issuer="a", sub="demo:app", aud=(AUD,), **kw):
        kw.setdefault("ttl", 300)
        iss = kw.pop("iss", self.iss[issuer])
        return demo_issuer.mint(self.keys[issuer], iss, sub, list(aud), **kw)

    # ------------------------------------------------------------ HTTP

    def request(self, method, path, body=None, headers=None, timeout=10, port=None):
        c = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
            elif isinstance(body, str):
                body = body.encode()
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return Resp(r.status, r.getheaders(), data)
        finally:
            c.close()

    def exchange(self, assertion=MINT, headers=None, raw=None, **fields):
        """POST /v1/oauth/token with the golden body (a fresh JWT unless given);
        a field (the assertion too) given as None is left out."""
        body = {"grant_type": GRANT, "assertion": self.mint() if assertion is MINT else assertion,
                "federation_rule_id": "fdrl_main", "organization_id": ORG,
                "service_account_id": "svac_main", "workspace_id": "wrkspc_one"}
        for k, v in list(fields.items()) + [("assertion", body["assertion"])]:
            if v is None:
                body.pop(k, None)
            else:
                body[k] = v
        h = {"Content-Type": "application/json", "anthropic-beta": BETAS, "User-Agent": "emu-test/1"}
        h.update(headers or {})
        return self.request("POST", "/v1/oauth/token", raw if raw is not None else body, h)

    def get(self, path):
        return self.request("GET", path).json()

    def post(self, path, obj=None):
        return self.request("POST", path, obj if obj is not None else {})

    def last_history(self):
        h = self.get("/_emu/history")
        return h[-1] if h else None


class Resp:
    def __init__(self, status, headers, data):
        self.status = status
        self.headers = headers
        self.data = data

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def json(self):
        return json.loads(self.data)
