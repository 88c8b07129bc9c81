#!/usr/bin/python3
"""k8s_client.py URL CA_FILE BEARER NAMESPACE SA AUDIENCE SECONDS - the
official Kubernetes Python client (python3-kubernetes) asks the API server
at URL for a service-account token (TokenRequest) and prints it."""
import sys

from kubernetes import client

url, ca, bearer, ns, sa, aud, secs = sys.argv[1:8]
cfg = client.Configuration()
cfg.host = url
cfg.ssl_ca_cert = ca
cfg.verify_ssl = True
cfg.api_key = {"authorization": "Bearer " + bearer}
api = client.CoreV1Api(client.ApiClient(cfg))
body = client.AuthenticationV1TokenRequest(
    spec=client.V1TokenRequestSpec(audiences=[aud], expiration_seconds=int(secs)))
try:
    tr = api.create_namespaced_service_account_token(sa, ns, body)
except client.exceptions.ApiException as e:
    sys.stderr.write("ApiException %s: %s\n" % (e.status, e.body))
    sys.exit(3)
print(tr.status.token)
