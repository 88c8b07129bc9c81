/*
 * gcp.c - the `gcp` provider: a Google-signed identity token from the
 * metadata server of GCE, GKE (Workload Identity), Cloud Run, Cloud
 * Functions and App Engine.
 *
 *   GET http://<host>/computeMetadata/v1/instance/service-accounts/<sa>/
 *       identity?format=full&audience=<aud>
 *   Metadata-Flavor: Google
 *
 * The body is the raw JWT.  The answer must carry Metadata-Flavor: Google
 * too (as gcp-metadata checks): anything else on that address is not a
 * metadata server.  <host> is the `host` key, else GCE_METADATA_HOST, else
 * GCE_METADATA_IP, else 169.254.169.254 (the host's HTTP policy lets plain
 * http reach only loopback and the metadata addresses).  Network errors,
 * 5xx and 429 are retried by the host within its budget (ARCHITECTURE.md
 * §5).  detect() looks at the environment and the DMI product name only.
 * PROTOCOL.md §7.2.
 */
#include <stdlib.h>
#include <string.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"
#include "../common/textbuf.h"

#define ANTHROPIC_AUDIENCE "https://api.anthropic.com"
#define DEFAULT_HOST "169.254.169.254"
#define DMI_PRODUCT "/sys/class/dmi/id/product_name"

struct gcp_state {
	const struct wif_host *h;
	const char *audience;        /* borrowed config values, or NULL */
	const char *host;
	const char *service_account;
	const char *format;
};

/* host[:port] only: no scheme, path, credentials or query. */
static int
host_ok(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || strlen(s) > 255)
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
		    *p == ':' || *p == '[' || *p == ']'))
			return 0;
	return 1;
}

static int
gcp_init(const struct wif_host *h, void **state)
{
	struct gcp_state *st;
	const char *aud = NULL, *host = NULL, *sa = NULL, *fmt = NULL;

	*state = NULL;
	if (h->config_string(h, "audience", &aud) == WIF_OK &&
	    (aud == NULL || aud[0] == '\0')) {
		h->set_error(h, "audience must not be empty (leave it out for "
		    "\"%s\")", ANTHROPIC_AUDIENCE);
		return WIF_E_CONFIG;
	}
	if (h->config_string(h, "host", &host) == WIF_OK && !host_ok(host)) {
		h->set_error(h, "host \"%s\" must be a host name or address with "
		    "an optional :port (no scheme or path), e.g. "
		    "\"metadata.google.internal\" or \"127.0.0.1:8080\"",
		    host ? host : "");
		return WIF_E_CONFIG;
	}
	if (h->config_string(h, "service_account", &sa) == WIF_OK &&
	    !tb_segment_ok(sa)) {
		h->set_error(h, "service_account \"%s\" must be \"default\" or "
		    "a service account e-mail address", sa ? sa : "");
		return WIF_E_CONFIG;
	}
	if (h->config_string(h, "format", &fmt) == WIF_OK &&
	    (fmt == NULL || (strcmp(fmt, "full") != 0 &&
	    strcmp(fmt, "standard") != 0))) {
		h->set_error(h, "format \"%s\" must be \"full\" (adds email and "
		    "the instance's project/zone, which federation rules "
		    "usually match) or \"standard\"", fmt ? fmt : "");
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	st->audience = aud;
	st->host = host;
	st->service_account = sa ? sa : "default";
	st->format = fmt ? fmt : "full";
	*state = st;
	return WIF_OK;
}

/* Where the metadata server is, and which setting said so. */
static const char *
metadata_host(struct gcp_state *st, const char **why)
{
	const struct wif_host *h = st->h;
	const char *v;

	if (st->host != NULL) {
		*why = "the host key";
		return st->host;
	}
	if ((v = h->getenv(h, "GCE_METADATA_HOST")) != NULL && v[0]) {
		*why = "GCE_METADATA_HOST";
		return v;
	}
	if ((v = h->getenv(h, "GCE_METADATA_IP")) != NULL && v[0]) {
		*why = "GCE_METADATA_IP";
		return v;
	}
	*why = "the default";
	return DEFAULT_HOST;
}

static int
gcp_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct gcp_state *st = state;
	const struct wif_host *h = st->h;
	const char *aud, *host, *why, *flavor;
	const char *headers[] = { "Metadata-Flavor: Google", NULL };
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct textbuf u;
	char *body = NULL, *tok;
	size_t len;
	int r;

	*jwt = NULL;
	aud = st->audience ? st->audience : req->audience && req->audience[0] ?
	    req->audience : ANTHROPIC_AUDIENCE;
	host = metadata_host(st, &why);
	if (!host_ok(host)) {
		h->set_error(h, "metadata host from %s is not a host[:port]: "
		    "fix it", why);
		return WIF_E_CONFIG;
	}
	tb_init(&u, h);
	tb_add(&u, "http://");
	tb_add(&u, host);
	tb_add(&u, "/computeMetadata/v1/instance/service-accounts/");
	tb_add(&u, st->service_account);
	/* google-auth-library's order; the audience percent-encoded */
	tb_add(&u, "/identity?format=");
	tb_add(&u, st->format);
	tb_add(&u, "&audience=");
	tb_add_pct(&u, aud);
	if (u.failed) {
		tb_free(&u);
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	memset(&hr, 0, sizeof(hr));
	hr.struct_size = sizeof(hr);
	hr.abi_major = WIF_PROVIDER_ABI_MAJOR;
	hr.abi_minor = WIF_PROVIDER_ABI_MINOR;
	hr.method = "GET";
	hr.url = u.p;
	hr.headers = headers;
	hr.max_body = 16 * 1024;
	hr.flags = WIF_HTTP_RETRY;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "GCP metadata server %s (from %s) did not answer: "
		    "%s; is this a GCP instance, Cloud Run service or GKE pod "
		    "with Workload Identity? Elsewhere set host or "
		    "GCE_METADATA_HOST, or use another source", host, why,
		    h->strerror(r));
		goto out;
	}
	flavor = h->http_header(h, resp, "Metadata-Flavor");
	if (flavor == NULL || strcmp(flavor, "Google") != 0) {
		h->set_error(h, "%s (from %s) answered HTTP %ld without "
		    "\"Metadata-Flavor: Google\": it is not a GCP metadata "
		    "server", host, why, resp->status);
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (resp->status != 200) {
		h->set_error(h, "GCP metadata server %s answered HTTP %ld for "
		    "service account \"%s\"%s", host, resp->status,
		    st->service_account, resp->status == 404 ?
		    ": no such service account on this instance (is one "
		    "attached? on GKE, is the Kubernetes service account bound "
		    "with iam.gke.io/gcp-service-account?)" :
		    resp->status == 403 ? ": refused (the metadata server "
		    "refuses proxied requests)" : "");
		r = WIF_E_PROVIDER;
		goto out;
	}
	if ((body = h->secure_strndup(h, resp->body, resp->body_len)) == NULL) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	/* The copy stops at a NUL inside the body (found by fuzzing): trim
	 * what was copied, not body_len bytes. */
	len = strlen(body);
	tok = jwtshape_trim(body, &len);
	if (len == 0 || !jwtshape_ok(h, tok, len)) {
		h->set_error(h, "GCP metadata server %s answered HTTP 200 but "
		    "the body (%zu bytes) is not a JWT", host, resp->body_len);
		r = WIF_E_JWT;
		goto out;
	}
	if ((*jwt = h->secure_strndup(h, tok, len)) == NULL) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	r = WIF_OK;
out:
	h->secure_free(h, body);
	if (resp != NULL)
		h->http_free(h, resp);
	tb_free(&u);
	return r;
}

static void
gcp_destroy(void *state)
{
	free(state);
}

/* Local evidence only: the variables Google's runtimes set, an explicit
 * metadata host, or a "Google ..." DMI product name (GCE, GKE nodes). */
static int
gcp_detect(const struct wif_host *h)
{
	static const char *const vars[] = { "GCE_METADATA_HOST",
	    "GCE_METADATA_IP", "K_SERVICE", "FUNCTION_TARGET",
	    "GAE_APPLICATION", NULL };
	const char *host = NULL;
	char *dmi = NULL;
	size_t i, len = 0;
	int yes = 0;

	if (h->config_string(h, "host", &host) == WIF_OK && host != NULL)
		return 1;
	for (i = 0; vars[i] != NULL; i++)
		if (h->getenv(h, vars[i]) != NULL)
			return 1;
	if (h->read_file(h, DMI_PRODUCT, 256, 0, &dmi, &len) == WIF_OK) {
		yes = len >= 6 && strncmp(dmi, "Google", 6) == 0;
		h->secure_free(h, dmi);
	}
	return yes;
}

static const struct wif_option gcp_options[] = {
	{ "audience", WIF_OPT_STRING, 0,
	  "the aud to request (default: the exchange's, https://api.anthropic.com)" },
	{ "host", WIF_OPT_STRING, 0,
	  "metadata server host[:port] (default: $GCE_METADATA_HOST, then 169.254.169.254)" },
	{ "service_account", WIF_OPT_STRING, 0,
	  "\"default\" (the default) or the e-mail of an attached service account" },
	{ "format", WIF_OPT_STRING, 0,
	  "\"full\" (the default: email and instance claims) or \"standard\"" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider gcp_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "gcp",
	.description = "a Google-signed identity token from the GCP metadata server",
	.version = "1",
	.flags = 0,
	.options = gcp_options,
	.init = gcp_init,
	.fetch_identity_token = gcp_fetch,
	.destroy = gcp_destroy,
	.detect = gcp_detect,
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
	*out = &gcp_provider;
	return WIF_OK;
}
