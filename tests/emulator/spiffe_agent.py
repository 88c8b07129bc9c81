#!/usr/bin/python3
"""spiffe_agent.py SOCKET ISSUER_DIR ISS [--ready FILE] - a SPIFFE Workload
API server on a Unix socket: a real gRPC server (python3-grpcio, C core) with
the real protobuf runtime (python3-protobuf), serving
SpiffeWorkloadAPI/FetchJWTSVID as a SPIRE agent does, minting JWT-SVIDs with
the demo issuer's key.

Like go-spiffe's and SPIRE's servers, a call without the metadata
`workload.spiffe.io: true` is refused with INVALID_ARGUMENT ("security header
missing from request").  The workload has two identities,
spiffe://example.org/app (first) and spiffe://example.org/other; a request
naming spiffe_id gets only that one.  Behaviours chosen by the audience asked
for (tests): "no-identity" -> PERMISSION_DENIED "no identity issued",
"not-a-jwt" -> an SVID that is not a JWT, "unavailable" -> UNAVAILABLE.
Every call is appended to SOCKET.calls (JSON lines: metadata, audience,
spiffe_id) for the tests.
"""
import json
import os
import sys
import threading
from concurrent import futures

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import demo_issuer  # noqa: E402

IDS = ["spiffe://example.org/app", "spiffe://example.org/other"]


def messages():
    """The Workload API's messages, from a descriptor built at run time
    (the proto has no package), with the real protobuf runtime."""
    f = descriptor_pb2.FileDescriptorProto(name="workload.proto", syntax="proto3")
    S = descriptor_pb2.FieldDescriptorProto

    def msg(name, fields):
        m = f.message_type.add(name=name)
        for num, (fname, label, ftype, tname) in enumerate(fields, 1):
            fd = m.field.add(name=fname, number=num, label=label, type=ftype)
            if tname:
                fd.type_name = tname
    msg("JWTSVIDRequest", [("audience", S.LABEL_REPEATED, S.TYPE_STRING, None),
                           ("spiffe_id", S.LABEL_OPTIONAL, S.TYPE_STRING, None)])
    msg("JWTSVID", [("spiffe_id", S.LABEL_OPTIONAL, S.TYPE_STRING, None),
                    ("svid", S.LABEL_OPTIONAL, S.TYPE_STRING, None),
                    ("hint", S.LABEL_OPTIONAL, S.TYPE_STRING, None)])
    msg("JWTSVIDResponse", [("svids", S.LABEL_REPEATED, S.TYPE_MESSAGE, ".JWTSVID")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    get = getattr(message_factory, "GetMessageClass", None)
    if get is None:
        factory = message_factory.MessageFactory(pool)
        get = lambda d: factory.GetPrototype(d)  # noqa: E731
    return tuple(get(pool.FindMessageTypeByName(n))
                 for n in ("JWTSVIDRequest", "JWTSVID", "JWTSVIDResponse"))


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    sock, issuer_dir, iss = argv[:3]
    ready = argv[argv.index("--ready") + 1] if "--ready" in argv else None
    Req, Svid, Resp = messages()
    key = demo_issuer.load_key(issuer_dir)
    lock = threading.Lock()

    def fetch(request, context):
        md = {k: v for k, v in context.invocation_metadata()}
        with lock, open(sock + ".calls", "a") as f:
            f.write(json.dumps({"metadata": md, "audience": list(request.audience),
                                "spiffe_id": request.spiffe_id}) + "\n")
        if md.get("workload.spiffe.io") != "true":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "security header missing from request")
        aud = list(request.audience)
        if not aud:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "audience must be specified")
        if aud[0] == "no-identity":
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "no identity issued")
        if aud[0] == "unavailable":
            context.abort(grpc.StatusCode.UNAVAILABLE, "agent is not ready")
        ids = [i for i in IDS if not request.spiffe_id or i == request.spiffe_id]
        if not ids:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "no identity issued")
        out = Resp()
        for i in ids:
            tok = "not-a-jwt" if aud[0] == "not-a-jwt" else \
                demo_issuer.mint(key, iss, i, aud, ttl=300)
            out.svids.append(Svid(spiffe_id=i, svid=tok, hint="hint-" + i.rsplit("/", 1)[1]))
        return out

    handler = grpc.method_handlers_generic_handler("SpiffeWorkloadAPI", {
        "FetchJWTSVID": grpc.unary_unary_rpc_method_handler(
            fetch, request_deserializer=Req.FromString,
            response_serializer=Resp.SerializeToString)})
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers((handler,))
    if server.add_insecure_port("unix:" + sock) == 0:
        sys.exit("cannot listen on " + sock)
    server.start()
    if ready:
        demo_issuer.write_atomic(ready, b"ready\n", 0o644)
    import signal
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    stop.wait()
    server.stop(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
