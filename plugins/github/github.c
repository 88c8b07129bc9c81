/*
 * github.c - the `github` provider: a GitHub Actions OIDC token for the job.
 *
 * The runner gives a job with `permissions: id-token: write` two variables:
 * ACTIONS_ID_TOKEN_REQUEST_URL (already carrying a query, so the audience is
 * appended with '&') and ACTIONS_ID_TOKEN_REQUEST_TOKEN (a bearer token for
 * that URL).  GET <url>&audience=<percent-encoded>, with the bearer and
 * Accept: application/json, answers {"value":"<jwt>", ...}; the JWT lives
 * about 5 minutes and the URL stays valid for the whole job, so every fetch
 * asks anew (assertions are single-use).  5xx, 408, 429 and network errors
 * are retried by the host (WIF_HTTP_RETRY).  PROTOCOL.md §7.4.
 */
#include <stdlib.h>
#include <string.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"
#include "../common/textbuf.h"

#define ANTHROPIC_AUDIENCE "https://api.anthropic.com"

struct gh_state {
	const struct wif_host *h;
	const char *audience; /* borrowed from the config, or NULL */
};

static int
gh_init(const struct wif_host *h, void **state)
{
	struct gh_state *st;
	const char *aud = NULL;

	*state = NULL;
	if (h->config_string(h, "audience", &aud) == WIF_OK &&
	    (aud == NULL || aud[0] == '\0')) {
		h->set_error(h, "audience must not be empty (leave it out for "
		    "\"%s\")", ANTHROPIC_AUDIENCE);
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	st->audience = aud;
	*state = st;
	return WIF_OK;
}

/* The one line of advice for a missing variable. */
static int
missing_vars(const struct wif_host *h, const char *which)
{
	const char *ga = h->getenv(h, "GITHUB_ACTIONS");

	if (ga == NULL || strcmp(ga, "true") != 0)
		h->set_error(h, "%s is not set and GITHUB_ACTIONS is not "
		    "\"true\": this is not a GitHub Actions job; use another "
		    "source here", which);
	else
		h->set_error(h, "%s is not set: the job cannot request an OIDC "
		    "token; add `permissions: id-token: write` to the workflow "
		    "or job (pull requests from forks never get one)", which);
	return WIF_E_PROVIDER;
}

/* A short, secret-free reason from an error body: GitHub answers
 * {"message": "..."} (or plain text); the host redacts token-like runs. */
static void
body_reason(const struct wif_host *h, const struct wif_http_response *resp,
            char *out, size_t len)
{
	struct wif_json *doc = NULL;
	const char *msg = NULL;
	size_t i, n = 0;

	out[0] = '\0';
	if (resp->body_len == 0 ||
	    h->json_parse(h, resp->body, resp->body_len, &doc) != WIF_OK ||
	    h->json_get_string(h, doc, "/message", &msg) != WIF_OK ||
	    msg == NULL) {
		if (doc != NULL)
			h->json_free(h, doc);
		return;
	}
	for (i = 0; msg[i] != '\0' && n + 1 < len && i < 200; i++)
		out[n++] = (msg[i] >= 0x20 && msg[i] < 0x7f) ? msg[i] : '?';
	out[n] = '\0';
	h->json_free(h, doc);
}

static int
gh_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct gh_state *st = state;
	const struct wif_host *h = st->h;
	const char *url, *tok, *aud, *value = NULL;
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct wif_json *doc = NULL;
	struct textbuf u, auth;
	const char *headers[3];
	char reason[256];
	int r;

	*jwt = NULL;
	aud = st->audience ? st->audience : req->audience && req->audience[0] ?
	    req->audience : ANTHROPIC_AUDIENCE;
	if ((url = h->getenv(h, "ACTIONS_ID_TOKEN_REQUEST_URL")) == NULL ||
	    url[0] == '\0')
		return missing_vars(h, "ACTIONS_ID_TOKEN_REQUEST_URL");
	if ((tok = h->getenv(h, "ACTIONS_ID_TOKEN_REQUEST_TOKEN")) == NULL ||
	    tok[0] == '\0')
		return missing_vars(h, "ACTIONS_ID_TOKEN_REQUEST_TOKEN");

	tb_init(&u, h);
	tb_add(&u, url);
	tb_add(&u, strchr(url, '?') ? "&audience=" : "?audience=");
	tb_add_pct(&u, aud);
	tb_init(&auth, h);
	tb_add(&auth, "Authorization: Bearer ");
	tb_add(&auth, tok);
	if (u.failed || auth.failed) {
		h->set_error(h, "out of memory building the OIDC token request");
		r = WIF_E_NOMEM;
		goto out;
	}
	headers[0] = auth.p;
	headers[1] = "Accept: application/json";
	headers[2] = NULL;
	memset(&hr, 0, sizeof(hr));
	hr.struct_size = sizeof(hr);
	hr.abi_major = WIF_PROVIDER_ABI_MAJOR;
	hr.abi_minor = WIF_PROVIDER_ABI_MINOR;
	hr.method = "GET";
	hr.url = u.p;
	hr.headers = headers;
	hr.max_body = 64 * 1024;
	hr.flags = WIF_HTTP_RETRY;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "GitHub OIDC token request "
		    "(ACTIONS_ID_TOKEN_REQUEST_URL) failed: %s", h->strerror(r));
		goto out;
	}
	if (resp->status != 200) {
		body_reason(h, resp, reason, sizeof(reason));
		h->set_error(h, "GitHub OIDC token request answered HTTP %ld%s%s"
		    "%s", resp->status, reason[0] ? ": " : "", reason,
		    resp->status == 401 || resp->status == 403 ?
		    " (the request token is valid only while the job runs, and "
		    "only with `permissions: id-token: write`)" : "");
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (h->json_parse(h, resp->body, resp->body_len, &doc) != WIF_OK ||
	    h->json_get_string(h, doc, "/value", &value) != WIF_OK ||
	    value == NULL) {
		h->set_error(h, "GitHub OIDC token response is not JSON with a "
		    "string \"value\" (HTTP 200, %zu bytes)", resp->body_len);
		r = WIF_E_PARSE;
		goto out;
	}
	if (!jwtshape_ok(h, value, strlen(value))) {
		h->set_error(h, "GitHub OIDC token response: \"value\" is not a "
		    "JWT");
		r = WIF_E_JWT;
		goto out;
	}
	if ((*jwt = h->secure_strndup(h, value, strlen(value))) == NULL) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	r = WIF_OK;
out:
	if (doc != NULL)
		h->json_free(h, doc);
	if (resp != NULL)
		h->http_free(h, resp);
	tb_free(&u);
	tb_free(&auth);
	return r;
}

static void
gh_destroy(void *state)
{
	free(state);
}

/* GitHub's runner sets GITHUB_ACTIONS=true in every step. */
static int
gh_detect(const struct wif_host *h)
{
	const char *ga = h->getenv(h, "GITHUB_ACTIONS");

	return ga != NULL && strcmp(ga, "true") == 0;
}

static const struct wif_option gh_options[] = {
	{ "audience", WIF_OPT_STRING, 0,
	  "the aud to request (default: the exchange's, https://api.anthropic.com)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider gh_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "github",
	.description = "a GitHub Actions OIDC token for the running job",
	.version = "1",
	.flags = 0,
	.options = gh_options,
	.init = gh_init,
	.fetch_identity_token = gh_fetch,
	.destroy = gh_destroy,
	.detect = gh_detect,
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
	*out = &gh_provider;
	return WIF_OK;
}
