#!/usr/bin/python3
"""idp_emulator.py - loopback emulators of three identity platforms, for the
gcp, github and k8s providers, minting JWTs with the demo issuer's key (so
the Anthropic emulator, which trusts that issuer, accepts them).

  idp_emulator.py --issuer-dir DIR --iss URL --port-file F
                  [--tls-dir D --tls-port-file F2] [--record FILE.jsonl]
                  [--github-request-token T] [--k8s-bearer-token T]

Plain HTTP on 127.0.0.1 (GCP metadata server, GitHub Actions OIDC) and,
with --tls-dir, HTTPS on 127.0.0.1 for the Kubernetes API (a CA and a
server certificate for 127.0.0.1/localhost are made in D: ca.crt).

GCP   GET /computeMetadata/v1/instance/service-accounts/{default|EMAIL}/identity
      ?audience=A[&format=full|standard][&licenses=TRUE|FALSE]
      needs Metadata-Flavor: Google (403 otherwise, as the real server), refuses
      X-Forwarded-For (403), answers text/html with the raw JWT and
      Metadata-Flavor: Google.  Also /computeMetadata/v1/project/project-id,
      .../instance/service-accounts/default/email and the / root.
GitHub GET /_apis/token/idtoken?api-version=2.0&audience=A with
      Authorization: Bearer <github-request-token>; {"count":1,"value":JWT}.
K8s   POST /api/v1/namespaces/NS/serviceaccounts/SA/token (HTTPS) with
      Authorization: Bearer <k8s-bearer-token> and a TokenRequest; 201 with
      status.token / status.expirationTimestamp; errors as Status objects.

Azure IMDS  GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=R
      [&client_id=|&object_id=|&msi_res_id=] with Metadata: true; the VM's one
      user-assigned identity is client_id "mi-client-1" / object_id
      "mi-object-1"; a resource that is not api://... -> AADSTS500011.  Numbers
      as strings, as IMDS sends them.
Azure App Service  GET /msi/token?api-version=2019-08-01&resource=R with
      X-IDENTITY-HEADER: <azure-identity-header>.
Entra (HTTPS)  GET /{tenant}/v2.0/.well-known/openid-configuration and
      POST /{tenant}/oauth2/v2.0/token: client_credentials with a client
      assertion that must be a JWT from --iss (verified with the demo issuer's
      key by PyJWT) for aud api://AzureADTokenExchange and sub
      system:serviceaccount:team-a:app (the federated credential), client_id
      "wi-client-1"; AADSTS70021 otherwise.

AWS STS  POST / (Query protocol, form body): GetWebIdentityToken, SigV4
      verified by recomputing the signature with botocore (credentials
      AKIDSTATIC/static-secret, AKIDNOPERM -> AccessDenied, AKIDDISABLED ->
      OutboundWebIdentityFederationDisabledException, plus the temporary ones
      issued below), +-5 min clock skew, Audience.member.N, SigningAlgorithm
      (RS256; ES384 is refused by this emulator), DurationSeconds 60..3600,
      Tags; and AssumeRoleWithWebIdentity (unsigned; a JWT from --iss).
      XML answers and ErrorResponse as STS sends them.
AWS IMDSv2  PUT /latest/api/token (X-aws-ec2-metadata-token-ttl-seconds),
      GET /latest/meta-data/iam/security-credentials/[role] with the token.
AWS container credentials  GET /v2/credentials/ID with Authorization:
      <aws-container-token>.

Control (HTTP port): GET /_idp/requests, GET /_idp/stats, POST /_idp/reset,
POST /_idp/fault {"role": "gcp|github|k8s", "status": 503, "count": 2}
(or "hang_ms": N, or "body": "...", "headers": {...}).
"""
import datetime
import json
import os
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_issuer  # noqa: E402  (the signing code, shared)

GCP_PREFIX = "/computeMetadata/v1/"
K8S_RESERVED = ("default", "kube-system")


def now():
    return int(time.time())


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.key = demo_issuer.load_key(args["issuer-dir"])
        self.iss = args["iss"]
        self.gh_token = args.get("github-request-token", "gh-request-token")
        self.k8s_token = args.get("k8s-bearer-token", "k8s-bearer-token")
        self.record = args.get("record")
        self.requests = []
        self.stats = {"gcp": 0, "github": 0, "k8s": 0, "azure": 0, "aws": 0}
        self.aws_token = args.get("aws-container-token", "aws-container-token")
        self.aws_creds = {"AKIDSTATIC": ("static-secret", None), "AKIDNOPERM": ("static-secret", None),
                          "AKIDDISABLED": ("static-secret", None)}
        self.imds_tokens = set()
        self.az_header = args.get("azure-identity-header", "azure-identity-header")
        with open(os.path.join(args["issuer-dir"], demo_issuer.JWKS_FILE)) as f:
            self.jwks = json.load(f)
        self.tls_base = None
        self.faults = {}

    def log(self, entry):
        with self.lock:
            self.requests.append(entry)
            if entry["role"] in self.stats:
                self.stats[entry["role"]] += 1
            if self.record:
                with open(self.record, "a") as f:
                    f.write(json.dumps(entry) + "\n")

    def take_fault(self, role):
        with self.lock:
            f = self.faults.get(role)
            if not f:
                return None
            f["count"] = f.get("count", 1) - 1
            if f["count"] <= 0:
                del self.faults[role]
            return dict(f)

    def mint(self, sub, aud, ttl, claims):
        return demo_issuer.mint(self.key, self.iss, sub, [aud] if isinstance(aud, str) else aud,
                                ttl=ttl, claims=claims)


def make_handler(st, role_of_port):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "wif-idp-emulator/1"
        timeout = 30

        def log_message(self, fmt, *args):
            pass

        def send(self, code, body, ctype="application/json", headers=None):
            if isinstance(body, str):
                body = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def record(self, role, body=b""):
            u = urllib.parse.urlsplit(self.path)
            st.log({"role": role, "method": self.command, "path": u.path, "query": u.query,
                    "headers": {k: v for k, v in self.headers.items()},
                    "body": body.decode("utf-8", "replace")})

        def fault(self, role):
            f = st.take_fault(role)
            if f is None:
                return False
            if f.get("hang_ms"):
                time.sleep(f["hang_ms"] / 1000.0)
            self.send(f.get("status", 200), f.get("body", "fault"), f.get("ctype", "text/plain"),
                      f.get("headers"))
            return True

        # ---------------------------------------------------------------- control
        def control(self):
            if self.path == "/_idp/requests" and self.command == "GET":
                with st.lock:
                    return self.send(200, json.dumps(st.requests))
            if self.path == "/_idp/stats" and self.command == "GET":
                with st.lock:
                    return self.send(200, json.dumps(st.stats))
            if self.path == "/_idp/reset" and self.command == "POST":
                self.body()
                with st.lock:
                    st.requests.clear()
                    st.faults.clear()
                    for k in st.stats:
                        st.stats[k] = 0
                return self.send(200, "{}")
            if self.path == "/_idp/fault" and self.command == "POST":
                f = json.loads(self.body() or b"{}")
                with st.lock:
                    st.faults[f["role"]] = f
                return self.send(200, "{}")
            return self.send(404, '{"error":"unknown control path"}')

        # ---------------------------------------------------------------- GCP
        def gcp(self):
            self.record("gcp")
            if self.fault("gcp"):
                return
            flavor = {"Metadata-Flavor": "Google"}
            if self.headers.get("X-Forwarded-For") is not None:
                return self.send(403, "Request denied: X-Forwarded-For header present.",
                                 "text/html", flavor)
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.send(403, "Missing required header: Metadata-Flavor",
                                 "text/html", flavor)
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            rest = u.path[len(GCP_PREFIX):]
            if rest in ("", "/"):
                return self.send(200, "instance/\nproject/\n", "application/text", flavor)
            if rest == "project/project-id":
                return self.send(200, "demo-project", "application/text", flavor)
            parts = rest.split("/")
            if (len(parts) == 4 and parts[:2] == ["instance", "service-accounts"]
                    and parts[3] in ("identity", "email")):
                sa = parts[2]
                email = "app@demo-project.iam.gserviceaccount.com"
                if sa not in ("default", email):
                    return self.send(404, "Not Found", "text/html", flavor)
                if parts[3] == "email":
                    return self.send(200, email, "application/text", flavor)
                aud = q.get("audience", [""])[0]
                if not aud:
                    return self.send(400, "non-empty audience parameter required",
                                     "text/html", flavor)
                fmt = q.get("format", ["standard"])[0]
                claims = {"azp": "104211115114116", "email": email, "email_verified": True}
                if fmt == "full":
                    claims["google"] = {"compute_engine": {
                        "project_id": "demo-project", "project_number": 123456789012,
                        "zone": "europe-west1-b", "instance_id": "4711",
                        "instance_name": "app-1", "instance_creation_timestamp": 1700000000}}
                tok = st.mint("demo:gcp:104211115114116", aud, 3600, claims)
                return self.send(200, tok, "text/html", flavor)
            return self.send(404, "Not Found", "text/html", flavor)

        # ---------------------------------------------------------------- GitHub
        def github(self):
            self.record("github")
            if self.fault("github"):
                return
            if self.headers.get("Authorization") != "Bearer " + st.gh_token:
                return self.send(401, json.dumps({"message": "Bad credentials"}))
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            if q.get("api-version") != ["2.0"]:
                return self.send(400, json.dumps({"message": "api-version 2.0 required"}))
            aud = q.get("audience", ["https://github.com/octo-org"])[0]
            claims = {"repository": "octo-org/octo-repo", "repository_owner": "octo-org",
                      "ref": "refs/heads/main", "workflow": "ci", "event_name": "push",
                      "nbf": now() - 5, "actor": "octocat",
                      "job_workflow_ref": "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main"}
            # the sub is GitHub's form; "demo:" marks it for the emulator's rule
            tok = st.mint("demo:github:repo:octo-org/octo-repo:ref:refs/heads/main", aud, 300, claims)
            return self.send(200, json.dumps({"count": 1, "value": tok}))

        # ---------------------------------------------------------------- Kubernetes
        def status(self, code, reason, message):
            return self.send(code, json.dumps({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code}))

        def k8s(self):
            body = self.body()
            self.record("k8s", body)
            if self.fault("k8s"):
                return
            if self.headers.get("Authorization") != "Bearer " + st.k8s_token:
                return self.status(401, "Unauthorized", "Unauthorized")
            parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
            if (self.command != "POST" or len(parts) != 7 or parts[:3] != ["api", "v1", "namespaces"]
                    or parts[4] != "serviceaccounts" or parts[6] != "token"):
                return self.status(404, "NotFound", "the server could not find the requested resource")
            ns, sa = parts[3], parts[5]
            if ns in K8S_RESERVED or sa == "nobody":
                return self.status(404, "NotFound", 'serviceaccounts "%s" not found' % sa)
            if sa == "forbidden":
                return self.status(403, "Forbidden", 'serviceaccounts "%s" is forbidden: User '
                                   '"system:serviceaccount:%s:%s" cannot create resource '
                                   '"serviceaccounts/token" in API group "" in the namespace "%s"'
                                   % (sa, ns, sa, ns))
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
            if ctype not in ("application/json", "application/yaml",
                             "application/vnd.kubernetes.protobuf"):
                return self.status(415, "UnsupportedMediaType",
                                   'the body of the request was in an unknown format - accepted '
                                   'media types include: application/json, application/yaml, '
                                   'application/vnd.kubernetes.protobuf')
            try:
                tr = json.loads(body)
                spec = tr.get("spec") or {}
                auds = spec.get("audiences") or []
                exp = int(spec.get("expirationSeconds", 3600))
            except (ValueError, TypeError, AttributeError):
                return self.status(400, "BadRequest", "the request body is not a TokenRequest")
            # like kube-apiserver: absent kind/apiVersion default from the URL
            if (tr.get("kind") not in (None, "TokenRequest") or
                    tr.get("apiVersion") not in (None, "authentication.k8s.io/v1")):
                return self.status(400, "BadRequest", "expected authentication.k8s.io/v1 TokenRequest")
            tr["kind"], tr["apiVersion"] = "TokenRequest", "authentication.k8s.io/v1"
            if exp < 600:
                return self.status(422, "Invalid", 'TokenRequest.authentication.k8s.io "%s" is invalid: '
                                   'spec.expirationSeconds: Invalid value: %d: may not specify a '
                                   'duration less than 10 minutes' % (sa, exp))
            if not auds:
                auds = ["https://kubernetes.default.svc"]
            iat = now()
            claims = {"kubernetes.io": {"namespace": ns, "serviceaccount": {
                "name": sa, "uid": "6d3f1c2a-0000-4000-8000-00000000%04d" % (len(sa) % 10000)}}}
            # sub in Kubernetes' form behind the emulator rule's "demo:" prefix
            tok = st.mint("demo:k8s:system:serviceaccount:%s:%s" % (ns, sa), auds, exp, claims)
            ts = datetime.datetime.fromtimestamp(iat + exp, datetime.timezone.utc)
            tr["status"] = {"token": tok, "expirationTimestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ")}
            tr.setdefault("metadata", {})["name"] = sa
            tr["metadata"]["namespace"] = ns
            tr["metadata"]["creationTimestamp"] = None
            return self.send(201, json.dumps(tr))

        # ---------------------------------------------------------------- Azure
        def az_token(self, resource, subject, extra):
            iat = now()
            claims = {"tid": "00000000-aaaa-4bbb-8ccc-000000000001", "ver": "1.0",
                      "appid": extra.get("client_id", "mi-client-1")}
            # v1.0 tokens: aud is the resource as asked for
            return st.mint(subject, resource, 3600, claims), iat

        def imds(self):
            self.record("azure")
            if self.fault("azure"):
                return
            u = urllib.parse.urlsplit(self.path)
            q = urllib.parse.parse_qs(u.query)
            if self.headers.get("Metadata") != "true":
                return self.send(400, json.dumps({"error": "invalid_request",
                                 "error_description": "Required metadata header not specified"}))
            if self.headers.get("X-Forwarded-For") is not None:
                return self.send(400, json.dumps({"error": "invalid_request",
                                 "error_description": "Request not allowed: X-Forwarded-For"}))
            if q.get("api-version") != ["2018-02-01"]:
                return self.send(400, json.dumps({"error": "invalid_request",
                                 "error_description": "Invalid api-version"}))
            return self.mi_answer(q)

        def mi_answer(self, q):
            res = q.get("resource", [""])[0]
            if not res:
                return self.send(400, json.dumps({"error": "invalid_request",
                                 "error_description": "Required audience parameter not specified"}))
            ident = {"client_id": "mi-client-1", "object_id": "mi-object-1", "principal_id": "mi-object-1",
                     "msi_res_id": "/subscriptions/s/resourcegroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi1",
                     "mi_res_id": "/subscriptions/s/resourcegroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/mi1"}
            for k, v in ident.items():
                if k in q and q[k] != [v]:
                    return self.send(400, json.dumps({"error": "invalid_request",
                                     "error_description": "Identity not found"}))
            if not res.startswith("api://"):
                return self.send(400, json.dumps({"error": "invalid_resource",
                                 "error_description": "AADSTS500011: The resource principal named %s was not "
                                 "found in the tenant." % res}))
            tok, iat = self.az_token(res, "demo:azure:mi-object-1", {})
            return self.send(200, json.dumps({
                "access_token": tok, "client_id": "mi-client-1", "expires_in": "3599",
                "expires_on": str(iat + 3600), "ext_expires_in": "3599", "not_before": str(iat),
                "resource": res, "token_type": "Bearer"}))

        def app_service(self):
            self.record("azure")
            if self.fault("azure"):
                return
            if self.headers.get("X-IDENTITY-HEADER") != st.az_header:
                return self.send(401, json.dumps({"statusCode": 401,
                                 "message": "Unauthorized: X-IDENTITY-HEADER missing or wrong"}))
            q = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            if q.get("api-version") != ["2019-08-01"]:
                return self.send(400, json.dumps({"statusCode": 400, "message": "api-version 2019-08-01 required"}))
            return self.mi_answer(q)

        def entra(self):
            body = self.body()
            self.record("azure", body)
            if self.fault("azure"):
                return
            parts = urllib.parse.urlsplit(self.path).path.strip("/").split("/")
            base = "https://%s" % self.headers.get("Host", "127.0.0.1")
            if len(parts) == 4 and parts[1:] == ["v2.0", ".well-known", "openid-configuration"]:
                t = parts[0]
                return self.send(200, json.dumps({
                    "issuer": "%s/%s/v2.0" % (base, t),
                    "token_endpoint": "%s/%s/oauth2/v2.0/token" % (base, t),
                    "authorization_endpoint": "%s/%s/oauth2/v2.0/authorize" % (base, t),
                    "jwks_uri": "%s/%s/discovery/v2.0/keys" % (base, t),
                    "response_types_supported": ["code", "id_token", "token"],
                    "subject_types_supported": ["pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt",
                                                              "client_secret_basic"],
                    "tenant_region_scope": "EU"}))
            if self.command != "POST" or len(parts) != 4 or parts[1:] != ["oauth2", "v2.0", "token"]:
                return self.send(404, json.dumps({"error": "not_found"}))
            f = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
            err = lambda code, e, d: self.send(code, json.dumps({
                "error": e, "error_description": d, "error_codes": [int(d[6:11]) if d.startswith("AADSTS") else 0]}))
            if f.get("grant_type") != "client_credentials":
                return err(400, "unsupported_grant_type", "AADSTS70003: grant_type not supported")
            if f.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                return err(400, "invalid_request", "AADSTS900144: The request body must contain client_assertion_type")
            scope = f.get("scope", "")
            if not scope.endswith("/.default"):
                return err(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid. "
                           "Client credential flows must have a scope value with /.default suffixed")
            if f.get("client_id") != "wi-client-1":
                return err(400, "unauthorized_client", "AADSTS700016: Application with identifier '%s' was "
                           "not found in the directory" % f.get("client_id"))
            import jwt as pyjwt
            try:
                keys = {k["kid"]: k for k in st.jwks["keys"]}
                kid = pyjwt.get_unverified_header(f.get("client_assertion", ""))["kid"]
                key = pyjwt.PyJWK(keys[kid]).key
                c = pyjwt.decode(f["client_assertion"], key, algorithms=["RS256", "ES256"],
                                 audience="api://AzureADTokenExchange", issuer=st.iss)
                if c.get("sub") != "system:serviceaccount:team-a:app":
                    raise ValueError("subject")
            except Exception:
                return err(400, "invalid_client", "AADSTS70021: No matching federated identity record found "
                           "for presented assertion.")
            res = scope[:-len("/.default")]
            tok, _ = self.az_token(res, "demo:azure:wi-object-1", {"client_id": "wi-client-1"})
            return self.send(200, json.dumps({"token_type": "Bearer", "expires_in": 3599,
                                              "ext_expires_in": 3599, "access_token": tok}))

        # ---------------------------------------------------------------- AWS
        def aws_xml(self, code, body):
            return self.send(code, body, "text/xml")

        def aws_err(self, code, typ, ecode, msg):
            return self.aws_xml(code, '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                                '<Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>'
                                '<RequestId>%s</RequestId></ErrorResponse>'
                                % (typ, ecode, msg.replace("&", "&amp;").replace("<", "&lt;"),
                                   os.urandom(16).hex()))

        def aws_verify(self, body):
            """The caller's SigV4, recomputed with botocore: the akid or None."""
            import botocore.auth
            from botocore.awsrequest import AWSRequest
            from botocore.credentials import Credentials
            auth = self.headers.get("Authorization", "")
            if not auth.startswith("AWS4-HMAC-SHA256 "):
                return None, "MissingAuthenticationToken", "Request is missing Authentication Token"
            try:
                parts = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
                akid, date, region, service, _ = parts["Credential"].split("/")
                signed = parts["SignedHeaders"].split(";")
            except (ValueError, KeyError):
                return None, "IncompleteSignature", "Authorization header is malformed"
            with st.lock:
                cred = st.aws_creds.get(akid)
            if cred is None:
                return None, "InvalidClientTokenId", "The security token included in the request is invalid."
            secret, token = cred
            if token is not None and self.headers.get("X-Amz-Security-Token") != token:
                return None, "InvalidClientTokenId", "The security token included in the request is invalid."
            amz = self.headers.get("X-Amz-Date", "")
            try:
                t = datetime.datetime.strptime(amz, "%Y%m%dT%H%M%SZ")
            except ValueError:
                return None, "IncompleteSignature", "X-Amz-Date is missing or malformed"
            skew = abs((datetime.datetime.utcnow() - t).total_seconds())
            if skew > 300:
                return None, "SignatureDoesNotMatch", "Signature expired: %s is now earlier than the allowed time" % amz
            if service != "sts" or date != amz[:8]:
                return None, "SignatureDoesNotMatch", "Credential should be scoped to a valid service/date"
            req = AWSRequest(method=self.command, url="http://%s%s" % (self.headers.get("Host"), self.path),
                             data=body)
            for name in signed:
                for v in self.headers.get_all(name) or []:
                    req.headers.add_header(name, v)

            class Fixed(datetime.datetime):
                @classmethod
                def utcnow(cls):
                    return t
            real = botocore.auth.datetime.datetime
            botocore.auth.datetime.datetime = Fixed
            try:
                botocore.auth.SigV4Auth(Credentials(akid, secret, token), "sts", region).add_auth(req)
            finally:
                botocore.auth.datetime.datetime = real
            if req.headers["Authorization"].split("Signature=")[1] != parts.get("Signature"):
                return None, "SignatureDoesNotMatch", ("The request signature we calculated does not match "
                                                       "the signature you provided.")
            return akid, None, None

        def sts(self):
            body = self.body()
            self.record("aws", body)
            if self.fault("aws"):
                return
            f = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            f = {k: v[0] for k, v in f.items()}
            action = f.get("Action")
            if f.get("Version") != "2011-06-15":
                return self.aws_err(400, "Sender", "InvalidAction", "Could not find operation %s for version %s"
                                    % (action, f.get("Version")))
            if action == "AssumeRoleWithWebIdentity":
                import jwt as pyjwt
                try:
                    keys = {k["kid"]: k for k in st.jwks["keys"]}
                    kid = pyjwt.get_unverified_header(f.get("WebIdentityToken", ""))["kid"]
                    pyjwt.decode(f["WebIdentityToken"], pyjwt.PyJWK(keys[kid]).key, algorithms=["RS256", "ES256"],
                                 audience="sts.amazonaws.com", issuer=st.iss)
                except Exception as e:  # noqa: BLE001
                    return self.aws_err(400, "Sender", "InvalidIdentityToken", "Couldn't validate the web identity "
                                        "token: %s" % type(e).__name__)
                if not f.get("RoleArn", "").startswith("arn:aws:iam::") or not f.get("RoleSessionName"):
                    return self.aws_err(400, "Sender", "ValidationError", "RoleArn and RoleSessionName are required")
                akid = "ASIAWEB" + os.urandom(6).hex().upper()
                secret, token = os.urandom(20).hex(), "FwoGZXIvYXdzEWEB" + os.urandom(40).hex()
                with st.lock:
                    st.aws_creds[akid] = (secret, token)
                exp = datetime.datetime.utcnow() + datetime.timedelta(hours=1)
                return self.aws_xml(200, (
                    '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                    '<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>x</SubjectFromWebIdentityToken>'
                    '<AssumedRoleUser><Arn>%s/%s</Arn><AssumedRoleId>AROA:x</AssumedRoleId></AssumedRoleUser>'
                    '<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>'
                    '<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>'
                    '<Audience>sts.amazonaws.com</Audience></AssumeRoleWithWebIdentityResult>'
                    '<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>'
                    '</AssumeRoleWithWebIdentityResponse>') % (
                    f["RoleArn"], f["RoleSessionName"], akid, secret, token, exp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    os.urandom(16).hex()))
            if action != "GetWebIdentityToken":
                return self.aws_err(400, "Sender", "InvalidAction", "Could not find operation %s" % action)
            akid, ecode, emsg = self.aws_verify(body)
            if akid is None:
                return self.aws_err(403, "Sender", ecode, emsg)
            if akid == "AKIDNOPERM":
                return self.aws_err(403, "Sender", "AccessDenied", "User: arn:aws:iam::123456789012:user/x is "
                                    "not authorized to perform: sts:GetWebIdentityToken")
            if akid == "AKIDDISABLED":
                return self.aws_err(400, "Sender", "OutboundWebIdentityFederationDisabledException",
                                    "Outbound web identity federation is disabled for this account")
            auds = [f[k] for k in sorted(f) if k.startswith("Audience.member.")]
            if not 1 <= len(auds) <= 10:
                return self.aws_err(400, "Sender", "ValidationError", "Audience must have 1-10 members")
            alg = f.get("SigningAlgorithm")
            if alg not in ("RS256", "ES384"):
                return self.aws_err(400, "Sender", "ValidationError", "SigningAlgorithm must be RS256 or ES384")
            if alg == "ES384":
                return self.aws_err(400, "Sender", "ValidationError", "ES384 is not served by this emulator")
            dur = int(f.get("DurationSeconds", "300"))
            if not 60 <= dur <= 3600:
                return self.aws_err(400, "Sender", "ValidationError", "1 validation error detected: Value '%d' at "
                                    "'durationSeconds' failed to satisfy constraint" % dur)
            tags = {}
            i = 1
            while "Tags.member.%d.Key" % i in f:
                tags[f["Tags.member.%d.Key" % i]] = f.get("Tags.member.%d.Value" % i, "")
                i += 1
            role = "arn:aws:iam::123456789012:role/app"
            claims = {"https://sts.amazonaws.com/": {"aws_account": "123456789012", "org_id": "o-demo",
                                                     "principal_id": role, "source_region": "us-east-1",
                                                     "request_tags": tags}}
            tok = st.mint(role, auds, dur, claims)
            exp = datetime.datetime.utcnow() + datetime.timedelta(seconds=dur)
            return self.aws_xml(200, (
                '<GetWebIdentityTokenResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                '<GetWebIdentityTokenResult><WebIdentityToken>%s</WebIdentityToken>'
                '<Expiration>%s</Expiration></GetWebIdentityTokenResult>'
                '<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></GetWebIdentityTokenResponse>')
                % (tok, exp.strftime("%Y-%m-%dT%H:%M:%S.000Z"), os.urandom(16).hex()))

        def aws_temp_creds(self, prefix):
            akid = prefix + os.urandom(6).hex().upper()
            secret, token = os.urandom(20).hex(), "IQoJb3JpZ2luX2Vj" + os.urandom(40).hex()
            with st.lock:
                st.aws_creds[akid] = (secret, token)
            exp = datetime.datetime.utcnow() + datetime.timedelta(hours=6)
            return {"AccessKeyId": akid, "SecretAccessKey": secret, "Token": token,
                    "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}

        def ec2_imds(self):
            self.body()
            self.record("aws")
            if self.fault("aws"):
                return
            p = urllib.parse.urlsplit(self.path).path
            if p == "/latest/api/token":
                if self.command != "PUT":
                    return self.send(405, "", "text/plain")
                ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", "")
                if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                    return self.send(400, "", "text/plain")
                tok = "AQAEA" + os.urandom(24).hex()
                with st.lock:
                    st.imds_tokens.add(tok)
                return self.send(200, tok, "text/plain", {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
            with st.lock:
                ok = self.headers.get("X-aws-ec2-metadata-token") in st.imds_tokens
            if not ok:
                return self.send(401, "", "text/plain")  # IMDSv2 only: no token, no answer
            base = "/latest/meta-data/iam/security-credentials/"
            if p == base:
                return self.send(200, "app-instance-role", "text/plain")
            if p == base + "app-instance-role":
                c = self.aws_temp_creds("ASIAIMDS")
                c.update({"Code": "Success", "LastUpdated": c["Expiration"], "Type": "AWS-HMAC"})
                return self.send(200, json.dumps(c), "text/plain")
            return self.send(404, "", "text/plain")

        def ecs(self):
            self.record("aws")
            if self.fault("aws"):
                return
            if self.headers.get("Authorization") != st.aws_token:
                return self.send(401, json.dumps({"code": "AccessDeniedException",
                                                  "message": "Authorization header is invalid"}))
            c = self.aws_temp_creds("ASIACONT")
            c["RoleArn"] = "arn:aws:iam::123456789012:role/app"
            return self.send(200, json.dumps(c))

        def route(self):
            role = role_of_port
            if role == "k8s":
                if self.path.startswith("/api/"):
                    return self.k8s()
                return self.entra()
            if self.path.startswith("/_idp/"):
                return self.control()
            if self.path == "/" and self.command == "POST":
                return self.sts()
            if self.path.startswith(GCP_PREFIX) or self.path == "/":
                return self.gcp()
            if self.path.startswith("/_apis/token/idtoken"):
                return self.github()
            if self.path.startswith("/metadata/identity/oauth2/token"):
                return self.imds()
            if self.path.startswith("/latest/"):
                return self.ec2_imds()
            if self.path.startswith("/v2/credentials/"):
                return self.ecs()
            if self.path.startswith("/msi/token"):
                return self.app_service()
            self.body()
            return self.send(404, '{"error":"not found"}')

        do_GET = route
        do_POST = route
        do_PUT = route

    return Handler


def make_tls(d):
    """A CA and a server certificate for 127.0.0.1/localhost (openssl CLI)."""
    os.makedirs(d, exist_ok=True)
    run = lambda *a: subprocess.run(a, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    p = lambda n: os.path.join(d, n)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=wif-test-cluster-ca",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", p("server.key"), "-out", p("server.csr"), "-subj", "/CN=kube-apiserver")
    with open(p("ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
    run("openssl", "x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
        "-CAcreateserial", "-out", p("server.crt"), "-days", "2", "-extfile", p("ext.cnf"))
    return p("server.crt"), p("server.key")


def serve(server):
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    return t


def main(argv):
    args, i = {}, 0
    while i < len(argv):
        if not argv[i].startswith("--") or i + 1 >= len(argv):
            sys.exit(__doc__)
        args[argv[i][2:]] = argv[i + 1]
        i += 2
    for need in ("issuer-dir", "iss", "port-file"):
        if need not in args:
            sys.exit("idp_emulator.py: --%s is required" % need)
    st = State(args)
    http = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(st, "http"))
    http.daemon_threads = True
    servers = [http]
    if "tls-dir" in args:
        crt, key = make_tls(args["tls-dir"])
        tls = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(st, "k8s"))
        tls.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        tls.socket = ctx.wrap_socket(tls.socket, server_side=True)
        servers.append(tls)
        demo_issuer.write_atomic(args["tls-port-file"], str(tls.server_address[1]).encode(), 0o644)
    for s in servers[1:]:
        serve(s)
    demo_issuer.write_atomic(args["port-file"], str(http.server_address[1]).encode(), 0o644)
    try:
        http.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    sys.exit(main(sys.argv[1:]))
