"""emu_verify.py - the token-exchange decision of the Anthropic emulator.

Pure logic, no HTTP: config loading, the request checks that answer 400
(PROTOCOL.md §1.2, §2.2), and the assertion checks that answer 401
(§2.2, §2.3, §8). JOSE is PyJWT's (python3-jwt), an implementation
independent of both wif and demo_issuer.py.
"""
import hashlib
import json
import re
import threading
import time
import urllib.parse
import urllib.request

import jwt
from jwt import exceptions as jwx

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION = 16 * 1024
LEEWAY = 30
DEFAULT_MAX_JWT_LIFETIME = 3600
JWKS_CACHE_SECONDS = 60
ASYMMETRIC_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
RULE_ID_RE = re.compile(r"^fdrl_[A-Za-z0-9]{1,64}$")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
WORKSPACE_RE = re.compile(r"^wrkspc_[A-Za-z0-9]{1,64}$")
SVAC_RE = re.compile(r"^svac_[A-Za-z0-9]{1,64}$")
SCOPES = ("workspace:developer", "workspace:inference", "workspace:manage_tunnels", "org:admin")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class ConfigError(Exception):
    pass


class BadRequest(Exception):
    """400 invalid_request_error: the message names the problem (no history entry).
    .code is the short key counted in the emulator's stats."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code or message.split(":", 1)[0].strip().replace(" ", "_")


class Denied(Exception):
    """401 authentication_error; .reason is what Console's history would show."""

    def __init__(self, reason, detail=""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def assertion_digest(assertion):
    return hashlib.sha256(assertion.encode("utf-8", "surrogatepass")).hexdigest()


def redact_assertion(assertion):
    return "<redacted:sha256:%s>" % assertion_digest(assertion)[:16]


def _require_loopback(url, what):
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or (u.hostname or "") not in LOOPBACK_HOSTS:
        raise ConfigError("%s %r: the emulator fetches from loopback only" % (what, url))


def load_config(path):
    with open(path, "rb") as f:
        raw = f.read(1 << 20)
    try:
        cfg = json.loads(raw)
    except ValueError as e:
        raise ConfigError("%s: not JSON: %s" % (path, e))
    return Config(cfg)


class Issuer:
    def __init__(self, d):
        self.url = d.get("issuer_url")
        if not isinstance(self.url, str) or not self.url:
            raise ConfigError("issuer without issuer_url")
        self.max_lifetime = int(d.get("max_jwt_lifetime_seconds", DEFAULT_MAX_JWT_LIFETIME))
        self.inline = d.get("jwks")
        self.jwks_url = d.get("jwks_url")
        if self.inline is not None and not isinstance(self.inline.get("keys"), list):
            raise ConfigError("issuer %s: inline jwks needs a keys array" % self.url)
        discovery = d.get("discovery", False)
        if not isinstance(discovery, bool) or (discovery and (self.inline is not None or self.jwks_url)):
            raise ConfigError("issuer %s: give one of jwks, jwks_url or \"discovery\": true" % self.url)
        if self.inline is None:
            # Neither inline nor explicit URL: OIDC discovery, as the real
            # service's default `jwks.type = discovery` does.
            _require_loopback(self.jwks_url or self.url, "issuer %s jwks" % self.url)
        self._lock = threading.Lock()
        self._cache = None
        self._fetched = 0.0
        self.fetches = 0

    def _get(self, url):
        req = urllib.request.Request(url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.loads(r.read(1 << 20))

    def keys(self, force=False):
        """The JWKS key list; fetched ones are cached ~1 min like the real service."""
        if self.inline is not None:
            return self.inline["keys"]
        with self._lock:
            if self._cache is not None and not force and time.time() - self._fetched < JWKS_CACHE_SECONDS:
                return self._cache
            try:
                url = self.jwks_url
                if not url:
                    disc = self._get(self.url.rstrip("/") + "/.well-known/openid-configuration")
                    url = disc["jwks_uri"]
                    _require_loopback(url, "discovered jwks_uri")
                doc = self._get(url)
                self.fetches += 1
                keys = doc["keys"]
                if not isinstance(keys, list):
                    raise ValueError("keys is not an array")
            except Exception as e:  # any fetch/parse failure is a denial, not a crash
                raise Denied("jwks_unavailable", str(e))
            self._cache, self._fetched = keys, time.time()
            return keys


class Rule:
    def __init__(self, d, issuers):
        self.id = d.get("id", "")
        if not RULE_ID_RE.match(self.id):
            raise ConfigError("rule id %r is not fdrl_<alnum>" % self.id)
        self.org = d.get("organization_id", "")
        if not UUID_RE.match(self.org):
            raise ConfigError("rule %s: organization_id must be a UUID" % self.id)
        self.service_account = d.get("service_account_id", "")
        if not SVAC_RE.match(self.service_account):
            raise ConfigError("rule %s: service_account_id must be svac_<alnum>" % self.id)
        if d.get("issuer_url") not in issuers:
            raise ConfigError("rule %s: issuer_url %r is not a configured issuer" % (self.id, d.get("issuer_url")))
        self.issuer = issuers[d["issuer_url"]]
        m = d.get("match") or {}
        self.audience = m.get("audience")
        self.subject_prefix = m.get("subject_prefix")
        self.claims = m.get("claims") or {}
        if not self.subject_prefix and not self.claims:
            raise ConfigError("rule %s: match needs subject_prefix or claims (audience alone is rejected)" % self.id)
        self.lifetime = int(d.get("token_lifetime_seconds", 3600))
        if not 60 <= self.lifetime <= 86400:
            raise ConfigError("rule %s: token_lifetime_seconds must be 60..86400" % self.id)
        self.workspaces = list(d.get("workspace_ids") or [])
        for w in self.workspaces:
            if not WORKSPACE_RE.match(w):
                raise ConfigError("rule %s: workspace %r is not wrkspc_<alnum>" % (self.id, w))
        self.scope = d.get("oauth_scope", "workspace:developer")
        if self.scope not in SCOPES:
            raise ConfigError("rule %s: oauth_scope %r unknown" % (self.id, self.scope))
        self.archived = bool(d.get("archived", False))


class Config:
    def __init__(self, cfg):
        self.issuers = {}
        for i in cfg.get("issuers", []):
            iss = Issuer(i)
            self.issuers[iss.url] = iss
        self.rules = {}
        for r in cfg.get("rules", []):
            rule = Rule(r, self.issuers)
            self.rules[rule.id] = rule
        self.error_style = cfg.get("error_style", "api")
        if self.error_style not in ("api", "rfc6749"):
            raise ConfigError("error_style must be api or rfc6749")
        self.max_body = int(cfg.get("max_body_bytes", 64 * 1024))
        # A rule without match.audience: TS-RULES says the JWT's aud must still
        # be Anthropic's expected audience (PROTOCOL.md §8, §9.4). null disables.
        self.default_audience = cfg.get("default_audience", "https://api.anthropic.com")


def check_request(cfg, body):
    """§1.2 shape checks (400). Returns the parsed fields."""
    if not isinstance(body, dict):
        raise BadRequest("request body must be a JSON object")
    for k, v in body.items():
        if k in ("grant_type", "assertion", "federation_rule_id", "organization_id",
                 "service_account_id", "workspace_id") and not isinstance(v, str):
            raise BadRequest("%s: expected a string" % k)
    gt = body.get("grant_type")
    if not gt:
        raise BadRequest("grant_type: field required")
    if gt != GRANT_TYPE:
        raise BadRequest("grant_type: unsupported grant type")
    for k in ("assertion", "federation_rule_id", "organization_id"):
        if not body.get(k):
            raise BadRequest("%s: field required" % k)
    if len(body["assertion"].encode("utf-8", "surrogatepass")) > MAX_ASSERTION:
        raise BadRequest("assertion: exceeds the %d byte limit" % MAX_ASSERTION)
    if not RULE_ID_RE.match(body["federation_rule_id"]):
        raise BadRequest("federation_rule_id: malformed (expected fdrl_...)")
    if not UUID_RE.match(body["organization_id"]):
        raise BadRequest("organization_id: malformed (expected a UUID)")
    ws = body.get("workspace_id")
    if ws is not None and ws != "default" and not WORKSPACE_RE.match(ws):
        raise BadRequest("workspace_id: malformed (expected wrkspc_... or default)")
    return body


def _decode_segment(seg):
    import base64
    return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))


def _num(payload, name):
    v = payload.get(name)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise Denied("invalid_claim", "%s is not a number" % name)
    return v


class Exchanger:
    """Holds the config, the replay cache and the issued tokens; thread-safe."""

    MAX_JTIS = 100000

    def __init__(self, cfg, clock=time.time):
        self.cfg = cfg
        self.clock = clock
        self.lock = threading.Lock()
        self.jtis = {}  # (issuer, jti or assertion hash) -> forget-after time

    def reset(self):
        with self.lock:
            self.jtis.clear()

    def exchange(self, body):
        """body: the checked request. Returns a dict for the token store, or raises Denied."""
        rule = self.cfg.rules.get(body["federation_rule_id"])
        if rule is None or rule.archived:
            raise Denied("rule_not_found")
        if body["organization_id"].lower() != rule.org.lower():
            raise Denied("organization_mismatch")
        svac = body.get("service_account_id")
        if svac is not None and svac != rule.service_account:
            raise Denied("service_account_mismatch")
        ws = body.get("workspace_id")
        if ws is None:
            if len(rule.workspaces) > 1:
                raise Denied("workspace_id_required")
            ws = rule.workspaces[0] if rule.workspaces else "default"
        elif ws != "default" and ws not in rule.workspaces:
            raise Denied("workspace_not_enabled")
        claims = self.verify(rule, body["assertion"])
        now = self.clock()
        lifetime = int(max(60, min(rule.lifetime, 2 * (claims["exp"] - now))))
        return {"rule": rule.id, "workspace_id": ws, "scope": rule.scope,
                "service_account_id": rule.service_account, "expires_in": lifetime,
                "sub": claims["sub"]}

    def verify(self, rule, assertion):
        parts = assertion.split(".")
        if len(parts) != 3:
            raise Denied("malformed_jwt", "not a compact JWS")
        try:
            header = _decode_segment(parts[0])
            if not isinstance(header, dict):
                raise ValueError("header is not an object")
        except Exception as e:
            raise Denied("malformed_jwt", "header: %s" % e)
        alg = header.get("alg")
        if alg not in ASYMMETRIC_ALGS:
            raise Denied("unsupported_algorithm", repr(alg))
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Denied("missing_kid")
        issuer = rule.issuer
        jwk = self._find_key(issuer.keys(), kid)
        if jwk is None:
            # An unknown kid may be a freshly rotated key: refetch once.
            jwk = self._find_key(issuer.keys(force=True), kid) if issuer.inline is None else None
        if jwk is None:
            raise Denied("unknown_kid", kid)
        if jwk.get("alg") and jwk["alg"] != alg:
            raise Denied("algorithm_mismatch", "%s vs key %s" % (alg, jwk["alg"]))
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
        except Exception as e:
            raise Denied("jwks_unavailable", "key %s: %s" % (kid, e))
        try:
            claims = jwt.decode(
                assertion, key, algorithms=[alg], issuer=issuer.url, leeway=LEEWAY,
                options={"require": ["iss", "sub", "iat", "exp"], "verify_aud": False})
        except jwx.InvalidSignatureError:
            raise Denied("invalid_signature")
        except jwx.ExpiredSignatureError:
            raise Denied("token_expired")
        except jwx.ImmatureSignatureError as e:
            raise Denied("iat_in_future" if "(iat)" in str(e) else "token_not_yet_valid")
        except jwx.MissingRequiredClaimError as e:
            raise Denied("missing_claim", e.claim)
        except jwx.InvalidIssuerError:
            raise Denied("issuer_mismatch")
        except (jwx.PyJWTError, ValueError, TypeError) as e:
            raise Denied("malformed_jwt", str(e))
        exp, iat = _num(claims, "exp"), _num(claims, "iat")
        if not isinstance(claims["sub"], str):
            raise Denied("invalid_claim", "sub is not a string")
        if exp - iat > issuer.max_lifetime:
            raise Denied("token_lifetime_too_long", "%d > %d" % (exp - iat, issuer.max_lifetime))
        self._match(rule, claims, self.cfg.default_audience)
        self._consume(issuer.url, claims, assertion)
        return claims

    @staticmethod
    def _find_key(keys, kid):
        for k in keys:
            if isinstance(k, dict) and k.get("kid") == kid and k.get("kty") in ("RSA", "EC"):
                return k
        return None

    @staticmethod
    def _match(rule, claims, default_audience):
        sp = rule.subject_prefix
        if sp:
            sub = claims["sub"]
            ok = sub.startswith(sp[:-1]) if sp.endswith("*") else sub == sp
            if not ok:
                raise Denied("subject_mismatch")
        want = rule.audience if rule.audience is not None else default_audience
        if want is not None:
            aud = claims.get("aud")
            auds = aud if isinstance(aud, list) else [aud]
            if want not in [a for a in auds if isinstance(a, str)]:
                raise Denied("audience_mismatch")
        for k, v in rule.claims.items():
            if not isinstance(claims.get(k), str) or claims[k] != v:
                raise Denied("claims_mismatch", k)

    def _consume(self, issuer, claims, assertion):
        jti = claims.get("jti")
        key = (issuer, "jti:" + jti) if isinstance(jti, str) and jti else (issuer, "sha256:" + assertion_digest(assertion))
        now = self.clock()
        with self.lock:
            if len(self.jtis) >= self.MAX_JTIS:
                for k in [k for k, t in self.jtis.items() if t < now]:
                    del self.jtis[k]
            if key in self.jtis:
                raise Denied("jti_reused")
            # Once exp + leeway has passed the assertion is refused as expired anyway.
            self.jtis[key] = claims["exp"] + LEEWAY
