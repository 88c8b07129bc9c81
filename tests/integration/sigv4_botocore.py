#!/usr/bin/python3
"""sigv4_botocore.py SIGV4_CASES [N] - differential test of wif's SigV4
(plugins/aws/sigv4.h, run through tests/unit/sigv4_cases) against botocore's
SigV4Auth (python3-botocore), the reference implementation: the same
method, URL, headers, body, credentials, region, service and fixed date must
give the same Authorization header.  Cases: the STS requests the aws
provider makes, edge cases (dot segments, double slashes, encoded and
reserved characters in the path, repeated/valueless/empty query pairs,
repeated headers, whitespace runs, blacklisted headers, explicit and
default ports, IPv6, upper-case hosts, empty and binary bodies, session
tokens) and N random ones (seeded; the seed is printed).  Exit 1 on any
difference, printing the case."""
import datetime
import json
import os
import random
import subprocess
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

harness = sys.argv[1]
n_random = int(sys.argv[2]) if len(sys.argv) > 2 else 500
seed = int(os.environ.get("SIGV4_SEED", random.SystemRandom().randrange(1 << 30)))
rng = random.Random(seed)


class FixedDatetime(datetime.datetime):
    now_value = None

    @classmethod
    def utcnow(cls):
        return cls.now_value


def botocore_sign(c):
    creds = Credentials(c["akid"], c["secret"], c.get("token"))
    req = AWSRequest(method=c["method"], url=c["url"], data=bytes.fromhex(c["body_hex"]))
    for name, value in c["headers"]:
        req.headers.add_header(name, value) if hasattr(req.headers, "add_header") else None
    # HTTPHeaders (email.message based) keeps repeated names
    FixedDatetime.now_value = datetime.datetime.strptime(c["amz_date"], "%Y%m%dT%H%M%SZ")
    real = botocore.auth.datetime.datetime
    botocore.auth.datetime.datetime = FixedDatetime
    try:
        botocore.auth.SigV4Auth(creds, c["service"], c["region"]).add_auth(req)
    finally:
        botocore.auth.datetime.datetime = real
    return req.headers["Authorization"]


def with_amz_headers(c):
    """wif sends X-Amz-Date (and the token) itself; botocore adds them."""
    hs = list(c["headers"]) + [["X-Amz-Date", c["amz_date"]]]
    if c.get("token"):
        hs.append(["X-Amz-Security-Token", c["token"]])
    d = dict(c)
    d["headers"] = hs
    return d


def case(method="POST", url="https://sts.us-east-1.amazonaws.com/", headers=None, body=b"",
         region="us-east-1", service="sts", date="20261122T102445Z", akid="AKIDEXAMPLE",
         secret="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token=None):
    return {"method": method, "url": url, "headers": headers or [], "body_hex": body.hex(),
            "region": region, "service": service, "amz_date": date, "akid": akid,
            "secret": secret, "token": token}


FORM = [["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"]]
cases = [
    case(headers=FORM, body=b"Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1="
         b"https%3A%2F%2Fapi.anthropic.com&SigningAlgorithm=RS256&DurationSeconds=300"),
    case(headers=FORM, body=b"Action=GetWebIdentityToken&Version=2011-06-15", token="FQoGZXIvYXdzE" + "A" * 300),
    case(url="https://sts.eu-west-3.amazonaws.com/", region="eu-west-3", headers=FORM,
         body=b"Action=AssumeRoleWithWebIdentity"),
    case(url="http://127.0.0.1:8080/", headers=FORM, body=b"x=1"),
    case(url="https://127.0.0.1:443/", body=b""),
    case(url="http://127.0.0.1:80/a", method="get"),
    case(url="https://STS.US-EAST-1.AMAZONAWS.COM/"),
    case(url="https://[::1]:8443/p"),
    case(url="https://host/a/./b/../c//d/", method="GET"),
    case(url="https://host/%41%2F b+c;d=e/~x_y.z-", method="GET"),
    case(url="https://host/..", method="GET"),
    case(url="https://host", method="GET"),
    case(url="https://host/?", method="GET"),
    case(url="https://host/?b=2&a=1&a=0&c&=x&&d=", method="GET"),
    case(url="https://host/?a=%2F&a=%20&b=%7e", method="GET"),
    case(url="https://host/x#frag?y", method="GET"),
    case(url="https://user:pw@host:9000/x", method="GET"),
    case(headers=[["X-Multi", "a"], ["x-multi", "  b   c "], ["X-Empty", ""], ["X-Tab", "\tq\t\tr\t"]]),
    case(headers=[["User-Agent", "aws-cli"], ["Expect", "100-continue"], ["X-Amzn-Trace-Id", "t"], ["Accept", "*/*"]]),
    case(headers=[["Host", "other.example"]]),
    case(body=bytes(range(256))),
    case(secret="s" * 100, akid="A" * 20, region="ap-southeast-2", service="iam"),
]
alphabet_path = "abcXYZ019-_.~!$&'()*+,;=:@%/ "
alphabet_q = "abcXYZ019-_.~%+/=:@ "
for _ in range(n_random):
    path = "/" + "".join(rng.choice(alphabet_path) for _ in range(rng.randrange(0, 25)))
    path = path.replace("#", "").replace("?", "")
    q = "&".join("".join(rng.choice(alphabet_q.replace("&", "")) for _ in range(rng.randrange(0, 8)))
                 for _ in range(rng.randrange(0, 5)))
    url = "%s://%s%s%s%s" % (rng.choice(["https", "http"]), rng.choice(["sts.us-east-1.amazonaws.com", "127.0.0.1", "Example.COM"]),
                             rng.choice(["", ":443", ":80", ":8443"]), path.replace(" ", "%20"),
                             ("?" + q) if rng.random() < 0.7 else "")
    hs = []
    for _ in range(rng.randrange(0, 6)):
        name = rng.choice(["X-Amz-Target", "Content-Type", "x-custom", "X-CUSTOM", "Accept", "user-agent", "X-Dup"])
        val = "".join(rng.choice("ab c\t=;/,") for _ in range(rng.randrange(0, 12)))
        hs.append([name, val])
    body = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 200)))
    cases.append(case(method=rng.choice(["GET", "POST", "PUT", "DELETE"]), url=url, headers=hs, body=body,
                      region=rng.choice(["us-east-1", "eu-central-1", "cn-north-1"]),
                      service=rng.choice(["sts", "iam", "execute-api"]),
                      date="2026%02d%02dT%02d%02d%02dZ" % (rng.randrange(1, 13), rng.randrange(1, 29),
                                                          rng.randrange(24), rng.randrange(60), rng.randrange(60)),
                      token=rng.choice([None, "TOKEN" + str(rng.randrange(1 << 30))])))

inp = "".join(json.dumps(with_amz_headers(c)) + "\n" for c in cases)
res = subprocess.run([harness], input=inp.encode(), capture_output=True, check=False)
ours = res.stdout.decode().splitlines()
if res.returncode != 0 or len(ours) != len(cases):
    print("not ok - the harness failed (rc %d, %d of %d lines): %s" % (res.returncode, len(ours), len(cases),
                                                                      res.stderr.decode()[:500]))
    sys.exit(1)
bad = 0
for c, mine in zip(cases, ours):
    ref = botocore_sign(c)
    if mine != ref:
        bad += 1
        if bad <= 5:
            print("differs:\n  case %s\n  botocore %s\n  wif      %s" % (json.dumps(c)[:600], ref, mine))
print("%d cases (%d fixed, %d random, seed %d): %d differ" % (len(cases), len(cases) - n_random, n_random, seed, bad))
sys.exit(1 if bad else 0)
