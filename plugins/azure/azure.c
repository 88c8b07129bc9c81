/*
 * azure.c - the `azure` provider: a Microsoft Entra ID access token (a JWT)
 * for a managed identity or a workload identity, PROTOCOL.md §7.3.
 *
 * Three sources, chosen by `mode` or, with mode "auto" (the default), by
 * what the platform put in the environment:
 *   workload_identity  AKS Entra Workload Identity: the webhook's
 *                      AZURE_FEDERATED_TOKEN_FILE, AZURE_CLIENT_ID,
 *                      AZURE_TENANT_ID (and AZURE_AUTHORITY_HOST) ->
 *                      POST {authority}/{tenant}/oauth2/v2.0/token,
 *                      client_credentials with the file as client
 *                      assertion, scope {resource}/.default.  The file is
 *                      re-read each time.
 *   app_service        App Service, Functions, Container Apps:
 *                      GET $IDENTITY_ENDPOINT?api-version=2019-08-01&
 *                      resource=... with X-IDENTITY-HEADER: $IDENTITY_HEADER.
 *   imds               VMs and scale sets: GET http://169.254.169.254/metadata/
 *                      identity/oauth2/token?api-version=2018-02-01&resource=
 *                      ... with Metadata: true (the host from imds_endpoint
 *                      or AZURE_POD_IDENTITY_AUTHORITY_HOST).  Azure's retry
 *                      guidance: 404 (identity not there yet), 410 (IMDS
 *                      updating), 429 and 5xx are retried with exponential
 *                      backoff within the fetch's deadline.
 * Numbers in the managed-identity answers arrive as strings
 * ("expires_in":"3599"); only access_token is used (the core reads the
 * JWT's exp).  The audience is the app registration's `resource`
 * (api://<APP_ID>): https://api.anthropic.com cannot be registered in Entra.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"
#include "../common/textbuf.h"

#define DEFAULT_IMDS "http://169.254.169.254"
#define DEFAULT_AUTHORITY "https://login.microsoftonline.com"

enum mode { MODE_AUTO, MODE_IMDS, MODE_APP_SERVICE, MODE_WORKLOAD };
static const char *const mode_names[] = { "auto", "imds", "app_service",
	"workload_identity" };

struct azure_state {
	const struct wif_host *h;
	enum mode mode;
	const char *resource;        /* borrowed config values */
	const char *client_id, *object_id, *msi_res_id;
	const char *tenant_id, *authority_host, *token_file, *imds_endpoint;
	const char *ca_file;
};

static int
azure_init(const struct wif_host *h, void **state)
{
	struct azure_state *st;
	const char *mode = NULL, *res = NULL, *cid = NULL, *oid = NULL;
	const char *mri = NULL, *tid = NULL, *auth = NULL, *tf = NULL;
	const char *imds = NULL, *ca = NULL;
	enum mode m = MODE_AUTO;
	size_t i;

	*state = NULL;
	h->config_string(h, "mode", &mode);
	h->config_string(h, "resource", &res);
	h->config_string(h, "client_id", &cid);
	h->config_string(h, "object_id", &oid);
	h->config_string(h, "msi_res_id", &mri);
	h->config_string(h, "tenant_id", &tid);
	h->config_string(h, "authority_host", &auth);
	h->config_string(h, "federated_token_file", &tf);
	h->config_string(h, "imds_endpoint", &imds);
	h->config_string(h, "ca_file", &ca);
	if (ca != NULL && h->abi_minor < 2) {
		h->set_error(h, "ca_file needs a wif core with provider ABI 1.2 "
		    "or later");
		return WIF_E_UNSUPPORTED;
	}
	if (mode != NULL) {
		for (i = 0; i < 4 && strcmp(mode, mode_names[i]) != 0; i++)
			;
		if (i == 4) {
			h->set_error(h, "mode \"%s\" must be auto, imds, "
			    "app_service or workload_identity", mode);
			return WIF_E_CONFIG;
		}
		m = (enum mode)i;
	}
	if (res == NULL || res[0] == '\0') {
		h->set_error(h, "resource is required: the Application ID URI of "
		    "the app registration that is the token's audience, e.g. "
		    "\"api://00000000-0000-0000-0000-000000000000\" "
		    "(https://api.anthropic.com cannot be registered in Entra)");
		return WIF_E_CONFIG;
	}
	if ((cid != NULL) + (oid != NULL) + (mri != NULL) > 1) {
		h->set_error(h, "client_id, object_id and msi_res_id each name "
		    "the managed identity: give one");
		return WIF_E_CONFIG;
	}
	if (m == MODE_WORKLOAD && (oid != NULL || mri != NULL)) {
		h->set_error(h, "workload_identity names the identity by "
		    "client_id (or AZURE_CLIENT_ID), not object_id/msi_res_id");
		return WIF_E_CONFIG;
	}
	if (auth != NULL && strncmp(auth, "https://", 8) != 0) {
		h->set_error(h, "authority_host \"%s\" must be an https:// URL",
		    auth);
		return WIF_E_CONFIG;
	}
	if (imds != NULL && strncmp(imds, "http://", 7) != 0) {
		h->set_error(h, "imds_endpoint \"%s\" must be an http:// URL "
		    "(e.g. http://169.254.169.254)", imds);
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	st->mode = m;
	st->resource = res;
	st->client_id = cid;
	st->object_id = oid;
	st->msi_res_id = mri;
	st->tenant_id = tid;
	st->authority_host = auth;
	st->token_file = tf;
	st->imds_endpoint = imds;
	st->ca_file = ca;
	*state = st;
	return WIF_OK;
}

static const char *
env(const struct wif_host *h, const char *name)
{
	const char *v = h->getenv(h, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static enum mode
pick_mode(const struct azure_state *st)
{
	const struct wif_host *h = st->h;

	if (st->mode != MODE_AUTO)
		return st->mode;
	if ((st->token_file || env(h, "AZURE_FEDERATED_TOKEN_FILE")) &&
	    (st->tenant_id || env(h, "AZURE_TENANT_ID")) &&
	    (st->client_id || env(h, "AZURE_CLIENT_ID")))
		return MODE_WORKLOAD;
	if (env(h, "IDENTITY_ENDPOINT") && env(h, "IDENTITY_HEADER"))
		return MODE_APP_SERVICE;
	return MODE_IMDS;
}

/* Printable ASCII, at most 240 characters. */
static void
clean(const char *in, char *out, size_t len)
{
	size_t i, n = 0;

	for (i = 0; in != NULL && in[i] != '\0' && n + 1 < len && i < 240; i++)
		out[n++] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[n] = '\0';
}

/* An Entra / managed-identity error answer as advice. */
static int
server_error(struct azure_state *st, const char *what,
             const struct wif_http_response *resp)
{
	const struct wif_host *h = st->h;
	struct wif_json *doc = NULL;
	const char *err = NULL, *desc = NULL, *advice = "";
	char e[64], d[256];

	if (resp->body_len > 0 &&
	    h->json_parse(h, resp->body, resp->body_len, &doc) == WIF_OK) {
		if (h->json_get_string(h, doc, "/error", &err) != WIF_OK)
			h->json_get_string(h, doc, "/error/code", &err);
		if (h->json_get_string(h, doc, "/error_description", &desc) !=
		    WIF_OK)
			h->json_get_string(h, doc, "/error/message", &desc);
	}
	clean(err, e, sizeof(e));
	clean(desc, d, sizeof(d));
	if (desc != NULL && strstr(desc, "AADSTS500011") != NULL)
		advice = " (no app registration has that identifier URI: create "
		    "one and set resource to its api://<APP_ID>)";
	else if (desc != NULL && (strstr(desc, "AADSTS70021") != NULL ||
	    strstr(desc, "AADSTS700211") != NULL))
		advice = " (the managed identity or app has no federated "
		    "credential matching this token's issuer and subject, with "
		    "audience api://AzureADTokenExchange)";
	else if (desc != NULL && strstr(desc, "Identity not found") != NULL)
		advice = " (no managed identity is assigned to this resource, or "
		    "client_id/object_id/msi_res_id names one that is not)";
	h->set_error(h, "%s answered HTTP %ld%s%s%s%s%s", what, resp->status,
	    e[0] ? " " : "", e, d[0] ? ": " : "", d, advice);
	if (doc != NULL)
		h->json_free(h, doc);
	return WIF_E_PROVIDER;
}

/* access_token out of a 200 answer. */
static int
take_token(struct azure_state *st, const char *what,
           const struct wif_http_response *resp, char **jwt)
{
	const struct wif_host *h = st->h;
	struct wif_json *doc = NULL;
	const char *tok = NULL;
	int r;

	if (h->json_parse(h, resp->body, resp->body_len, &doc) != WIF_OK ||
	    h->json_get_string(h, doc, "/access_token", &tok) != WIF_OK ||
	    tok == NULL) {
		h->set_error(h, "%s answered HTTP 200 without a string "
		    "access_token", what);
		r = WIF_E_PARSE;
	} else if (!jwtshape_ok(h, tok, strlen(tok))) {
		h->set_error(h, "%s: the access_token is not a JWT", what);
		r = WIF_E_JWT;
	} else if ((*jwt = h->secure_strndup(h, tok, strlen(tok))) == NULL) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
	} else
		r = WIF_OK;
	if (doc != NULL)
		h->json_free(h, doc);
	return r;
}

static void
http_init(struct wif_http_request *hr)
{
	memset(hr, 0, sizeof(*hr));
	hr->struct_size = sizeof(*hr);
	hr->abi_major = WIF_PROVIDER_ABI_MAJOR;
	hr->abi_minor = WIF_PROVIDER_ABI_MINOR;
	hr->max_body = 64 * 1024;
	hr->flags = WIF_HTTP_RETRY;
}

/* ?...&resource=...[&id=...] for the managed-identity endpoints. */
static void
mi_query(struct azure_state *st, struct textbuf *u, const char *api,
         int app_service)
{
	tb_add(u, "api-version=");
	tb_add(u, api);
	tb_add(u, "&resource=");
	tb_add_pct(u, st->resource);
	if (st->client_id != NULL) {
		tb_add(u, "&client_id=");
		tb_add_pct(u, st->client_id);
	} else if (st->object_id != NULL) {
		tb_add(u, app_service ? "&principal_id=" : "&object_id=");
		tb_add_pct(u, st->object_id);
	} else if (st->msi_res_id != NULL) {
		tb_add(u, app_service ? "&mi_res_id=" : "&msi_res_id=");
		tb_add_pct(u, st->msi_res_id);
	}
}

static int
fetch_imds(struct azure_state *st, const struct wif_fetch_request *req,
           char **jwt)
{
	const struct wif_host *h = st->h;
	const char *headers[] = { "Metadata: true", NULL };
	const char *base = st->imds_endpoint ? st->imds_endpoint :
	    env(h, "AZURE_POD_IDENTITY_AUTHORITY_HOST") ?
	    env(h, "AZURE_POD_IDENTITY_AUTHORITY_HOST") : DEFAULT_IMDS;
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct textbuf u;
	int64_t wait_ms = 1000;
	int r, attempt;

	tb_init(&u, h);
	tb_add(&u, base);
	if (u.len > 0 && u.p[u.len - 1] == '/')
		u.p[--u.len] = '\0';
	tb_add(&u, "/metadata/identity/oauth2/token?");
	mi_query(st, &u, "2018-02-01", 0);
	if (u.failed) {
		tb_free(&u);
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	http_init(&hr);
	hr.method = "GET";
	hr.url = u.p;
	hr.headers = headers;
	for (attempt = 0;; attempt++) {
		if (resp != NULL)
			h->http_free(h, resp);
		resp = NULL;
		if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
			h->set_error(h, "Azure IMDS at %s did not answer: %s; is "
			    "this an Azure VM with a managed identity? (set mode or "
			    "imds_endpoint otherwise)", base, h->strerror(r));
			goto out;
		}
		/* 404: the identity is not there yet; 410: IMDS is updating
		 * (Azure says: retry for up to 70 s).  429/5xx: the host. */
		if ((resp->status != 404 && resp->status != 410) ||
		    attempt >= 6 || (req->deadline_ms > 0 &&
		    h->monotonic_ms(h) + wait_ms >= req->deadline_ms))
			break;
		usleep((useconds_t)(wait_ms * 1000));
		wait_ms *= 2;
	}
	if (resp->status != 200) {
		r = server_error(st, "Azure IMDS", resp);
		goto out;
	}
	r = take_token(st, "Azure IMDS", resp, jwt);
out:
	if (resp != NULL)
		h->http_free(h, resp);
	tb_free(&u);
	return r;
}

static int
fetch_app_service(struct azure_state *st, char **jwt)
{
	const struct wif_host *h = st->h;
	const char *ep = env(h, "IDENTITY_ENDPOINT"), *hdr = env(h,
	    "IDENTITY_HEADER");
	const char *headers[2];
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct textbuf u, x;
	int r;

	if (ep == NULL || hdr == NULL) {
		h->set_error(h, "IDENTITY_ENDPOINT and IDENTITY_HEADER are not "
		    "set: enable a managed identity on the App Service, Function "
		    "or Container App");
		return WIF_E_NOT_APPLICABLE;
	}
	tb_init(&u, h);
	tb_init(&x, h);
	tb_add(&u, ep);
	tb_add(&u, strchr(ep, '?') ? "&" : "?");
	mi_query(st, &u, "2019-08-01", 1);
	tb_add(&x, "X-IDENTITY-HEADER: ");
	tb_add(&x, hdr);
	if (u.failed || x.failed) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	headers[0] = x.p;
	headers[1] = NULL;
	http_init(&hr);
	hr.method = "GET";
	hr.url = u.p;
	hr.headers = headers;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "the managed identity endpoint "
		    "(IDENTITY_ENDPOINT) did not answer: %s", h->strerror(r));
		goto out;
	}
	if (resp->status != 200)
		r = server_error(st, "the managed identity endpoint "
		    "(IDENTITY_ENDPOINT)", resp);
	else
		r = take_token(st, "the managed identity endpoint", resp, jwt);
out:
	if (resp != NULL)
		h->http_free(h, resp);
	tb_free(&u);
	tb_free(&x);
	return r;
}

static int
fetch_workload(struct azure_state *st, char **jwt)
{
	const struct wif_host *h = st->h;
	const char *tf = st->token_file ? st->token_file :
	    env(h, "AZURE_FEDERATED_TOKEN_FILE");
	const char *tid = st->tenant_id ? st->tenant_id : env(h,
	    "AZURE_TENANT_ID");
	const char *cid = st->client_id ? st->client_id : env(h,
	    "AZURE_CLIENT_ID");
	const char *auth = st->authority_host ? st->authority_host :
	    env(h, "AZURE_AUTHORITY_HOST") ? env(h, "AZURE_AUTHORITY_HOST") :
	    DEFAULT_AUTHORITY;
	const char *headers[] = { "Content-Type: application/x-www-form-"
	    "urlencoded", "Accept: application/json", NULL };
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct textbuf u, b;
	char *file = NULL, *assertion;
	size_t len = 0, rl;
	int r;

	if (tf == NULL || tid == NULL || cid == NULL) {
		h->set_error(h, "workload identity needs %s%s%s (the AKS "
		    "workload identity webhook sets them for a pod whose "
		    "service account is annotated with the client ID)",
		    tf ? "" : "AZURE_FEDERATED_TOKEN_FILE ",
		    tid ? "" : "AZURE_TENANT_ID ", cid ? "" : "AZURE_CLIENT_ID");
		return WIF_E_NOT_APPLICABLE;
	}
	if (strncmp(auth, "https://", 8) != 0 || !tb_segment_ok(tid)) {
		h->set_error(h, "authority %s / tenant %s: the authority must be "
		    "https:// and the tenant an ID or domain name", auth, tid);
		return WIF_E_CONFIG;
	}
	if ((r = h->read_file(h, tf, 16384, 0, &file, &len)) != WIF_OK) {
		h->set_error(h, "cannot read the federated token file %s: %s",
		    tf, h->strerror(r));
		return r;
	}
	assertion = jwtshape_trim(file, &len);
	if (len == 0 || !jwtshape_ok(h, assertion, len)) {
		h->secure_free(h, file);
		h->set_error(h, "the federated token file %s does not hold a JWT",
		    tf);
		return WIF_E_JWT;
	}
	tb_init(&u, h);
	tb_init(&b, h);
	tb_add(&u, auth);
	if (u.len > 0 && u.p[u.len - 1] == '/')
		u.p[--u.len] = '\0';
	tb_add(&u, "/");
	tb_add(&u, tid);
	tb_add(&u, "/oauth2/v2.0/token");
	tb_add(&b, "client_assertion=");
	tb_add(&b, assertion); /* base64url and dots */
	tb_add(&b, "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3A"
	    "client-assertion-type%3Ajwt-bearer&client_id=");
	tb_add_pct(&b, cid);
	tb_add(&b, "&grant_type=client_credentials&scope=");
	tb_add_pct(&b, st->resource);
	rl = strlen(st->resource);
	if (rl < 9 || strcmp(st->resource + rl - 9, "/.default") != 0)
		tb_add(&b, "%2F.default");
	h->secure_free(h, file);
	if (u.failed || b.failed) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	http_init(&hr);
	hr.method = "POST";
	hr.url = u.p;
	hr.headers = headers;
	hr.body = b.p;
	hr.body_len = b.len;
	hr.ca_file = st->ca_file;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "Entra token endpoint %s: %s", u.p,
		    h->strerror(r));
		goto out;
	}
	if (resp->status != 200)
		r = server_error(st, "the Entra token endpoint", resp);
	else
		r = take_token(st, "the Entra token endpoint", resp, jwt);
out:
	if (resp != NULL)
		h->http_free(h, resp);
	tb_free(&u);
	tb_free(&b);
	return r;
}

static int
azure_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct azure_state *st = state;

	*jwt = NULL;
	switch (pick_mode(st)) {
	case MODE_WORKLOAD:
		return fetch_workload(st, jwt);
	case MODE_APP_SERVICE:
		return fetch_app_service(st, jwt);
	default:
		return fetch_imds(st, req, jwt);
	}
}

static int
azure_describe(void *state, char *buf, size_t len)
{
	struct azure_state *st = state;

	snprintf(buf, len, "%s%s", mode_names[pick_mode(st)],
	    st->mode == MODE_AUTO ? " (chosen from the environment)" : "");
	return WIF_OK;
}

static void
azure_destroy(void *state)
{
	free(state);
}

/* The environment of one of the three platforms (IMDS needs a probe, which
 * detect must not make: only an explicit mode or endpoint says "VM"). */
static int
azure_detect(const struct wif_host *h)
{
	const char *mode = NULL, *imds = NULL;

	if ((h->config_string(h, "mode", &mode) == WIF_OK && mode != NULL &&
	    strcmp(mode, "auto") != 0) ||
	    (h->config_string(h, "imds_endpoint", &imds) == WIF_OK &&
	    imds != NULL))
		return 1;
	return env(h, "AZURE_FEDERATED_TOKEN_FILE") != NULL ||
	    (env(h, "IDENTITY_ENDPOINT") != NULL &&
	    env(h, "IDENTITY_HEADER") != NULL) ||
	    env(h, "AZURE_POD_IDENTITY_AUTHORITY_HOST") != NULL;
}

static const struct wif_option azure_options[] = {
	{ "mode", WIF_OPT_STRING, 0,
	  "auto (default), imds, app_service or workload_identity" },
	{ "resource", WIF_OPT_STRING, WIF_OPT_REQUIRED,
	  "the audience app's Application ID URI, api://<APP_ID>" },
	{ "client_id", WIF_OPT_STRING, 0,
	  "the managed identity's (or workload identity app's) client ID" },
	{ "object_id", WIF_OPT_STRING, 0,
	  "the managed identity's object (principal) ID" },
	{ "msi_res_id", WIF_OPT_STRING, 0,
	  "the managed identity's Azure resource ID" },
	{ "tenant_id", WIF_OPT_STRING, 0,
	  "workload_identity: default $AZURE_TENANT_ID" },
	{ "authority_host", WIF_OPT_STRING, 0,
	  "workload_identity: default $AZURE_AUTHORITY_HOST, then login.microsoftonline.com" },
	{ "federated_token_file", WIF_OPT_STRING, WIF_OPT_PATH,
	  "workload_identity: default $AZURE_FEDERATED_TOKEN_FILE" },
	{ "imds_endpoint", WIF_OPT_STRING, 0,
	  "imds: default $AZURE_POD_IDENTITY_AUTHORITY_HOST, then http://169.254.169.254" },
	{ "ca_file", WIF_OPT_STRING, WIF_OPT_PATH,
	  "workload_identity: CA bundle for a private authority (replaces the system's)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider azure_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "azure",
	.description = "a Microsoft Entra token for a managed or workload identity",
	.version = "1",
	.flags = 0,
	.options = azure_options,
	.init = azure_init,
	.fetch_identity_token = azure_fetch,
	.destroy = azure_destroy,
	.detect = azure_detect,
	.describe = azure_describe,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	if (out == NULL)
		return WIF_E_INVALID_ARG;
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &azure_provider;
	return WIF_OK;
}
