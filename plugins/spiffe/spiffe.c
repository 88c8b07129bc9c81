/*
 * spiffe.c - the `spiffe` provider: a JWT-SVID from the SPIFFE Workload API
 * (a SPIRE agent, or any implementation), PROTOCOL.md §7.6.
 *
 * One unary gRPC call, FetchJWTSVID, over HTTP/2 cleartext (prior
 * knowledge) on the agent's Unix socket (or tcp://IP:port): POST
 * /SpiffeWorkloadAPI/FetchJWTSVID (the proto has no package), content-type
 * application/grpc, te: trailers, and the metadata every Workload API call
 * must carry, workload.spiffe.io: true.  The body is one gRPC message (flag
 * 0, 4-byte length) holding JWTSVIDRequest{audience, spiffe_id}; the answer
 * is JWTSVIDResponse{svids} and the status arrives in the grpc-status /
 * grpc-message trailers.  The first SVID is used, or the one whose SPIFFE ID
 * equals `spiffe_id`.  The protobuf and framing code is in pb.h (bounded,
 * fuzzed).  HTTP/2 and the socket are the host's (libcurl).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"
#include "pb.h"

#define ANTHROPIC_AUDIENCE "https://api.anthropic.com"
#define METHOD_PATH "/SpiffeWorkloadAPI/FetchJWTSVID"

struct spiffe_state {
	const struct wif_host *h;
	const char *endpoint;   /* borrowed config value, or NULL */
	const char *audience;
	const char *spiffe_id;
};

struct where {
	char socket[108];       /* unix: the path; else empty */
	char url[300];
};

/* unix:///abs, unix:/abs, or tcp://IP:port (an IP literal, no path). */
static int
parse_endpoint(const struct wif_host *h, const char *ep, const char *from,
               struct where *w)
{
	char host[64];
	const char *p, *colon;
	unsigned char addr[16];
	long port;
	char *end;

	memset(w, 0, sizeof(*w));
	if (strncmp(ep, "unix://", 7) == 0 || strncmp(ep, "unix:/", 6) == 0) {
		p = ep[5] == '/' && ep[6] == '/' ? ep + 7 : ep + 5;
		if (p[0] != '/' || strlen(p) >= sizeof(w->socket) ||
		    strchr(p, '?') != NULL || strchr(p, '#') != NULL) {
			h->set_error(h, "%s \"%s\": a unix endpoint is "
			    "unix:///absolute/path/to/agent.sock (at most %zu "
			    "bytes)", from, ep, sizeof(w->socket) - 1);
			return WIF_E_CONFIG;
		}
		snprintf(w->socket, sizeof(w->socket), "%s", p);
		snprintf(w->url, sizeof(w->url), "http://localhost" METHOD_PATH);
		return WIF_OK;
	}
	if (strncmp(ep, "tcp://", 6) == 0) {
		p = ep + 6;
		colon = strrchr(p, ':');
		if (colon == NULL || (size_t)(colon - p) >= sizeof(host)) {
			h->set_error(h, "%s \"%s\": a tcp endpoint is tcp://IP:port",
			    from, ep);
			return WIF_E_CONFIG;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - p), p);
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535 ||
		    (inet_pton(AF_INET, host, addr) != 1 &&
		    !(host[0] == '[' && host[strlen(host) - 1] == ']'))) {
			h->set_error(h, "%s \"%s\": a tcp endpoint is tcp://IP:port "
			    "with an IP address, not a name, and no path", from, ep);
			return WIF_E_CONFIG;
		}
		if (host[0] == '[') {
			char v6[64];

			snprintf(v6, sizeof(v6), "%.*s", (int)strlen(host) - 2,
			    host + 1);
			if (inet_pton(AF_INET6, v6, addr) != 1) {
				h->set_error(h, "%s \"%s\": not an IPv6 address",
				    from, ep);
				return WIF_E_CONFIG;
			}
		}
		snprintf(w->url, sizeof(w->url), "http://%s:%ld" METHOD_PATH,
		    host, port);
		return WIF_OK;
	}
	h->set_error(h, "%s \"%s\" must be unix:///path/to/agent.sock or "
	    "tcp://IP:port", from, ep);
	return WIF_E_CONFIG;
}

static int
spiffe_init(const struct wif_host *h, void **state)
{
	struct spiffe_state *st;
	const char *ep = NULL, *aud = NULL, *id = NULL;
	struct where w;
	int r;

	*state = NULL;
	h->config_string(h, "endpoint", &ep);
	h->config_string(h, "audience", &aud);
	h->config_string(h, "spiffe_id", &id);
	if (ep != NULL && (r = parse_endpoint(h, ep, "endpoint", &w)) != WIF_OK)
		return r;
	if (aud != NULL && aud[0] == '\0') {
		h->set_error(h, "audience must not be empty (leave it out for "
		    "\"%s\")", ANTHROPIC_AUDIENCE);
		return WIF_E_CONFIG;
	}
	if (id != NULL && strncmp(id, "spiffe://", 9) != 0) {
		h->set_error(h, "spiffe_id \"%s\" must be a SPIFFE ID "
		    "(spiffe://trust-domain/path)", id);
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	st->endpoint = ep;
	st->audience = aud;
	st->spiffe_id = id;
	*state = st;
	return WIF_OK;
}

/* gRPC status codes worth naming. */
static const char *
grpc_code(long c)
{
	static const char *const names[] = { "OK", "CANCELLED", "UNKNOWN",
	    "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
	    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
	    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED" };

	return c >= 0 && c <= 16 ? names[c] : "?";
}

/* grpc-message is percent-encoded; decode into printable ASCII. */
static void
grpc_message(const char *in, char *out, size_t len)
{
	size_t n = 0;
	unsigned v;

	for (; in != NULL && *in && n + 1 < len && n < 200; in++) {
		if (in[0] == '%' && in[1] && in[2] &&
		    sscanf(in + 1, "%2x", &v) == 1) {
			in += 2;
			out[n++] = v >= 0x20 && v < 0x7f ? (char)v : '?';
		} else
			out[n++] = *in >= 0x20 && *in < 0x7f ? *in : '?';
	}
	out[n] = '\0';
}

struct pick {
	const char *want;        /* spiffe_id filter or NULL */
	struct pb_svid found;
	int n;
};

static int
pick_svid(const struct pb_svid *s, void *arg)
{
	struct pick *pk = arg;

	pk->n++;
	if (pk->want == NULL || (s->spiffe_id.len == strlen(pk->want) &&
	    memcmp(s->spiffe_id.p, pk->want, s->spiffe_id.len) == 0)) {
		pk->found = *s;
		return 1;
	}
	return 0;
}

static int
spiffe_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct spiffe_state *st = state;
	const struct wif_host *h = st->h;
	const char *ep, *from, *aud, *gs, *gm;
	const char *headers[] = { "Content-Type: application/grpc",
	    "TE: trailers", "workload.spiffe.io: true", NULL };
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct pb_span msg;
	struct pick pk;
	struct where w;
	uint8_t body[4096];
	size_t blen;
	char text[256];
	long code;
	int r;

	*jwt = NULL;
	if (st->endpoint != NULL) {
		ep = st->endpoint;
		from = "endpoint";
	} else {
		ep = h->getenv(h, "SPIFFE_ENDPOINT_SOCKET");
		from = "SPIFFE_ENDPOINT_SOCKET";
		if (ep == NULL || ep[0] == '\0') {
			h->set_error(h, "no Workload API endpoint: set endpoint or "
			    "SPIFFE_ENDPOINT_SOCKET (e.g. "
			    "unix:///run/spire/sockets/agent.sock)");
			return WIF_E_NOT_APPLICABLE;
		}
	}
	if ((r = parse_endpoint(h, ep, from, &w)) != WIF_OK)
		return r;
	aud = st->audience ? st->audience : req->audience && req->audience[0] ?
	    req->audience : ANTHROPIC_AUDIENCE;
	if ((blen = pb_jwtsvid_request(body, sizeof(body), aud,
	    st->spiffe_id)) == 0) {
		h->set_error(h, "audience or spiffe_id too long");
		return WIF_E_CONFIG;
	}
	memset(&hr, 0, sizeof(hr));
	hr.struct_size = sizeof(hr);
	hr.abi_major = WIF_PROVIDER_ABI_MAJOR;
	hr.abi_minor = WIF_PROVIDER_ABI_MINOR;
	hr.method = "POST";
	hr.url = w.url;
	hr.headers = headers;
	hr.body = body;
	hr.body_len = blen;
	hr.unix_socket = w.socket[0] ? w.socket : NULL;
	hr.max_body = 64 * 1024;
	hr.flags = WIF_HTTP_HTTP2 | WIF_HTTP_RETRY;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "Workload API at %s (from %s) did not answer: %s; "
		    "is the SPIRE agent running, and may this user open its "
		    "socket?", ep, from, h->strerror(r));
		goto out;
	}
	gs = h->http_header(h, resp, "grpc-status");
	gm = h->http_header(h, resp, "grpc-message");
	if (resp->status != 200 || gs == NULL) {
		h->set_error(h, "%s answered HTTP %ld%s: not a gRPC Workload API",
		    ep, resp->status, gs == NULL ? " without grpc-status" : "");
		r = WIF_E_PROVIDER;
		goto out;
	}
	code = strtol(gs, NULL, 10);
	if (code != 0) {
		grpc_message(gm, text, sizeof(text));
		h->set_error(h, "Workload API at %s: FetchJWTSVID failed with %s "
		    "(%ld)%s%s%s", ep, grpc_code(code), code, text[0] ? ": " : "",
		    text, code == 7 ? " (the agent has no identity for this "
		    "workload: check its registration entry and selectors)" :
		    code == 3 ? " (the agent refused the request)" :
		    code == 14 ? " (the agent is not ready yet)" : "");
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (pb_grpc_message((const uint8_t *)resp->body, resp->body_len,
	    &msg) != 0) {
		h->set_error(h, "Workload API at %s: the answer is not one "
		    "uncompressed gRPC message (%zu bytes)", ep, resp->body_len);
		r = WIF_E_PARSE;
		goto out;
	}
	memset(&pk, 0, sizeof(pk));
	pk.want = st->spiffe_id;
	r = pb_svids_each(msg.p, msg.len, pick_svid, &pk);
	if (r < 0) {
		h->set_error(h, "Workload API at %s: malformed JWTSVIDResponse",
		    ep);
		r = WIF_E_PARSE;
		goto out;
	}
	if (r == 0) {
		h->set_error(h, "Workload API at %s returned %d JWT-SVID(s)%s%s",
		    ep, pk.n, st->spiffe_id ? ", none for " : "",
		    st->spiffe_id ? st->spiffe_id : "");
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (pk.found.svid.len == 0 ||
	    !jwtshape_ok(h, (const char *)pk.found.svid.p, pk.found.svid.len)) {
		h->set_error(h, "Workload API at %s: the JWT-SVID is not a JWT",
		    ep);
		r = WIF_E_JWT;
		goto out;
	}
	if ((*jwt = h->secure_strndup(h, (const char *)pk.found.svid.p,
	    pk.found.svid.len)) == NULL || strlen(*jwt) != pk.found.svid.len) {
		h->secure_free(h, *jwt);
		*jwt = NULL;
		h->set_error(h, "Workload API at %s: the JWT-SVID is not text", ep);
		r = WIF_E_JWT;
		goto out;
	}
	r = WIF_OK;
out:
	if (resp != NULL)
		h->http_free(h, resp);
	return r;
}

static void
spiffe_destroy(void *state)
{
	free(state);
}

/* An endpoint is known, and for a Unix socket the socket exists. */
static int
spiffe_detect(const struct wif_host *h)
{
	const char *ep = NULL;
	struct stat sb;
	struct where w;

	if (h->config_string(h, "endpoint", &ep) != WIF_OK || ep == NULL)
		ep = h->getenv(h, "SPIFFE_ENDPOINT_SOCKET");
	if (ep == NULL || parse_endpoint(h, ep, "endpoint", &w) != WIF_OK)
		return 0;
	return w.socket[0] == '\0' ||
	    (stat(w.socket, &sb) == 0 && S_ISSOCK(sb.st_mode));
}

static const struct wif_option spiffe_options[] = {
	{ "endpoint", WIF_OPT_STRING, 0,
	  "unix:///path/agent.sock or tcp://IP:port (default $SPIFFE_ENDPOINT_SOCKET)" },
	{ "audience", WIF_OPT_STRING, 0,
	  "the JWT-SVID audience (default https://api.anthropic.com)" },
	{ "spiffe_id", WIF_OPT_STRING, 0,
	  "the SPIFFE ID to use when the workload has several" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider spiffe_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "spiffe",
	.description = "a JWT-SVID from the SPIFFE Workload API (gRPC)",
	.version = "1",
	.flags = 0,
	.options = spiffe_options,
	.init = spiffe_init,
	.fetch_identity_token = spiffe_fetch,
	.destroy = spiffe_destroy,
	.detect = spiffe_detect,
	.describe = NULL,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	if (out == NULL)
		return WIF_E_INVALID_ARG;
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &spiffe_provider;
	return WIF_OK;
}
