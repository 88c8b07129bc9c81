/*
 * okta.c - the `okta` provider: an access token (a JWT) from an Okta custom
 * authorization server by the OAuth 2.0 client_credentials grant, for a
 * service app (RFC 6749 §4.4; PROTOCOL.md §7.7).
 *
 *   POST https://<org>.okta.com/oauth2/<authServerId>/v1/token
 *   Content-Type: application/x-www-form-urlencoded
 *   grant_type=client_credentials&scope=<scope> + client authentication
 *
 * Client authentication (token_endpoint_auth_method):
 *   private_key_jwt      client_assertion_type + client_assertion, a JWT
 *                        (RFC 7523 §2.2) signed with the app's key:
 *                        iss = sub = client_id, aud = the token URL,
 *                        iat, exp = iat + assertion_lifetime, random jti,
 *                        kid in the header (host->jws_sign, RS256/ES256..)
 *   client_secret_basic  Authorization: Basic base64(id:secret), both
 *                        form-encoded first (RFC 6749 §2.3.1)
 *   client_secret_post   client_id + client_secret in the body
 * Secrets and keys are read from files on every fetch (so rotation needs no
 * restart) through the host's secret read, which refuses files that others
 * may read.  Okta's org authorization server (/oauth2/v1/token) is refused:
 * its keys are not published, so its tokens cannot be federated.  A server
 * that demands DPoP gets a clear error: wif sends no DPoP proofs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"
#include "../common/textbuf.h"

enum auth { AUTH_PKJWT, AUTH_BASIC, AUTH_POST };

struct okta_state {
	const struct wif_host *h;
	const char *token_url;       /* borrowed config values */
	const char *client_id;
	const char *scope;
	const char *secret_file;
	const char *key_file;
	const char *key_id;
	const char *alg;
	int64_t lifetime;
	enum auth auth;
};

static const char *const auth_names[] = { "private_key_jwt",
	"client_secret_basic", "client_secret_post" };

/* https://host/oauth2/<id>/v1/token (http only for loopback: the host's
 * policy decides), and not the org server's /oauth2/v1/token. */
static int
check_token_url(const struct wif_host *h, const char *u)
{
	const char *p, *path;

	if (strncmp(u, "https://", 8) == 0)
		p = u + 8;
	else if (strncmp(u, "http://", 7) == 0)
		p = u + 7;
	else {
		h->set_error(h, "token_url \"%s\" must be an https:// URL", u);
		return WIF_E_CONFIG;
	}
	if ((path = strchr(p, '/')) == NULL || strchr(u, '?') != NULL ||
	    strchr(u, '#') != NULL) {
		h->set_error(h, "token_url \"%s\" must be the token endpoint of "
		    "a custom authorization server, e.g. "
		    "https://example.okta.com/oauth2/default/v1/token", u);
		return WIF_E_CONFIG;
	}
	/* the org server under any spelling a server would route to it:
	 * a trailing slash, doubled slashes, any case */
	{
		char norm[64];
		size_t n = 0;
		const char *q;

		for (q = path; *q && n + 1 < sizeof(norm); q++) {
			if (*q == '/' && n > 0 && norm[n - 1] == '/')
				continue;
			norm[n++] = (char)(*q >= 'A' && *q <= 'Z' ?
			    *q - 'A' + 'a' : *q);
		}
		norm[n] = '\0';
		if (n > 1 && norm[n - 1] == '/')
			norm[--n] = '\0';
		if (strcmp(norm, "/oauth2/v1/token") == 0)
			path = "/oauth2/v1/token";
	}
	if (strcmp(path, "/oauth2/v1/token") == 0) {
		h->set_error(h, "token_url \"%s\" is Okta's org authorization "
		    "server, whose signing keys are not published: its tokens "
		    "cannot be verified by Anthropic. Use a custom authorization "
		    "server (\"default\" is one): "
		    "https://<org>.okta.com/oauth2/default/v1/token", u);
		return WIF_E_CONFIG;
	}
	return WIF_OK;
}

static int
okta_init(const struct wif_host *h, void **state)
{
	struct okta_state *st;
	const char *url = NULL, *cid = NULL, *scope = NULL, *method = NULL;
	const char *sec = NULL, *key = NULL, *kid = NULL, *alg = NULL;
	int64_t life = 300;
	enum auth auth;
	size_t i;

	*state = NULL;
	h->config_string(h, "token_url", &url);
	h->config_string(h, "client_id", &cid);
	h->config_string(h, "scope", &scope);
	h->config_string(h, "auth_method", &method);
	h->config_string(h, "client_secret_file", &sec);
	h->config_string(h, "private_key_file", &key);
	h->config_string(h, "key_id", &kid);
	h->config_string(h, "signing_alg", &alg);
	h->config_int(h, "assertion_lifetime", &life);
	if (url == NULL || check_token_url(h, url) != WIF_OK) {
		if (url == NULL)
			h->set_error(h, "token_url is required: the token "
			    "endpoint of the custom authorization server, e.g. "
			    "https://example.okta.com/oauth2/default/v1/token");
		return WIF_E_CONFIG;
	}
	if (cid == NULL || cid[0] == '\0') {
		h->set_error(h, "client_id is required: the service app's "
		    "client ID");
		return WIF_E_CONFIG;
	}
	if (scope == NULL || scope[0] == '\0' || strspn(scope, " ") ==
	    strlen(scope)) {
		h->set_error(h, "scope is required: Okta refuses a "
		    "client_credentials request without a granted custom scope "
		    "(e.g. \"anthropic.access\")");
		return WIF_E_CONFIG;
	}
	if (method == NULL)
		auth = key != NULL ? AUTH_PKJWT : AUTH_BASIC;
	else {
		for (i = 0; i < 3 && strcmp(method, auth_names[i]) != 0; i++)
			;
		if (i == 3) {
			h->set_error(h, "auth_method \"%s\" must be "
			    "private_key_jwt, client_secret_basic or "
			    "client_secret_post", method);
			return WIF_E_CONFIG;
		}
		auth = (enum auth)i;
	}
	if (auth == AUTH_PKJWT && (key == NULL || sec != NULL)) {
		h->set_error(h, "auth_method private_key_jwt needs "
		    "private_key_file (the PEM private key registered on the "
		    "app) and no client_secret_file");
		return WIF_E_CONFIG;
	}
	if (auth != AUTH_PKJWT && (sec == NULL || key != NULL)) {
		h->set_error(h, "auth_method %s needs client_secret_file (a file "
		    "holding the client secret, mode 0600) and no "
		    "private_key_file%s", auth_names[auth], method == NULL ?
		    " (set private_key_file for private_key_jwt, Okta's "
		    "recommended method)" : "");
		return WIF_E_CONFIG;
	}
	if (auth != AUTH_PKJWT && (kid != NULL || alg != NULL)) {
		h->set_error(h, "key_id and signing_alg apply to "
		    "private_key_jwt only");
		return WIF_E_CONFIG;
	}
	if (alg != NULL && strcmp(alg, "RS256") != 0 &&
	    strcmp(alg, "RS384") != 0 && strcmp(alg, "RS512") != 0 &&
	    strcmp(alg, "ES256") != 0 && strcmp(alg, "ES384") != 0 &&
	    strcmp(alg, "PS256") != 0) {
		h->set_error(h, "signing_alg \"%s\" must be one of RS256 (the "
		    "default), RS384, RS512, ES256, ES384, PS256", alg);
		return WIF_E_CONFIG;
	}
	if (life < 30 || life > 3600) {
		h->set_error(h, "assertion_lifetime %lld must be between 30 and "
		    "3600 seconds (Okta refuses longer)", (long long)life);
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	st->token_url = url;
	st->client_id = cid;
	st->scope = scope;
	st->secret_file = sec;
	st->key_file = key;
	st->key_id = kid;
	st->alg = alg ? alg : "RS256";
	st->lifetime = life;
	st->auth = auth;
	*state = st;
	return WIF_OK;
}

/* A secret file, trimmed, in secure memory. */
static int
read_secret(struct okta_state *st, const char *key, const char *path,
            char **out)
{
	const struct wif_host *h = st->h;
	char *buf = NULL, *s;
	size_t len = 0;
	int r;

	*out = NULL;
	r = h->read_file(h, path, 64 * 1024, WIF_READ_SECRET, &buf, &len);
	if (r != WIF_OK) {
		if (r == WIF_E_PERM)
			h->set_error(h, "%s %s must be a regular file owned by "
			    "root or the running user and readable by no one "
			    "else (chmod 600)", key, path);
		else
			h->set_error(h, "cannot read %s %s: %s", key, path,
			    h->strerror(r));
		return r;
	}
	s = jwtshape_trim(buf, &len);
	if (len == 0) {
		h->secure_free(h, buf);
		h->set_error(h, "%s %s is empty", key, path);
		return WIF_E_CONFIG;
	}
	*out = h->secure_strndup(h, s, len);
	h->secure_free(h, buf);
	if (*out == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	return WIF_OK;
}

/* The RFC 7523 client assertion. */
static int
make_assertion(struct okta_state *st, char **out)
{
	const struct wif_host *h = st->h;
	struct textbuf pl;
	uint8_t rnd[16];
	char jti[33], num[32], *key = NULL;
	int64_t now = h->now(h);
	size_t i;
	int r;

	*out = NULL;
	if ((r = h->random_bytes(h, rnd, sizeof(rnd))) != WIF_OK) {
		h->set_error(h, "no randomness for the assertion's jti");
		return r;
	}
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
	tb_init(&pl, h);
	tb_add(&pl, "{\"iss\":");
	tb_add_json_str(&pl, st->client_id);
	tb_add(&pl, ",\"sub\":");
	tb_add_json_str(&pl, st->client_id);
	tb_add(&pl, ",\"aud\":");
	tb_add_json_str(&pl, st->token_url);
	snprintf(num, sizeof(num), ",\"iat\":%lld", (long long)now);
	tb_add(&pl, num);
	snprintf(num, sizeof(num), ",\"exp\":%lld",
	    (long long)(now + st->lifetime));
	tb_add(&pl, num);
	tb_add(&pl, ",\"jti\":\"");
	tb_add(&pl, jti);
	tb_add(&pl, "\"}");
	if (pl.failed) {
		tb_free(&pl);
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	if ((r = read_secret(st, "private_key_file", st->key_file, &key)) ==
	    WIF_OK &&
	    (r = h->jws_sign(h, st->alg, key, strlen(key), st->key_id, pl.p,
	    out)) != WIF_OK)
		h->set_error(h, "cannot sign the client assertion with %s "
		    "(private_key_file %s): %s; is it a PEM private key of the "
		    "type signing_alg needs (RSA for RS*/PS*, P-256/P-384 for "
		    "ES256/ES384)?", st->alg, st->key_file, h->strerror(r));
	h->secure_free(h, key);
	tb_free(&pl);
	return r;
}

/* Build the form body and the Authorization header (basic). */
static int
build_request(struct okta_state *st, struct textbuf *body,
              struct textbuf *auth)
{
	const struct wif_host *h = st->h;
	struct textbuf pair;
	char *secret = NULL, *assertion = NULL, *b64 = NULL;
	int r;

	tb_add(body, "grant_type=client_credentials&scope=");
	tb_add_pct(body, st->scope);
	switch (st->auth) {
	case AUTH_PKJWT:
		if ((r = make_assertion(st, &assertion)) != WIF_OK)
			return r;
		tb_add(body, "&client_assertion_type=urn%3Aietf%3Aparams%3A"
		    "oauth%3Aclient-assertion-type%3Ajwt-bearer"
		    "&client_assertion=");
		tb_add(body, assertion); /* base64url and dots: nothing to encode */
		h->secure_free(h, assertion);
		break;
	case AUTH_POST:
		if ((r = read_secret(st, "client_secret_file", st->secret_file,
		    &secret)) != WIF_OK)
			return r;
		tb_add(body, "&client_id=");
		tb_add_pct(body, st->client_id);
		tb_add(body, "&client_secret=");
		tb_add_pct(body, secret);
		h->secure_free(h, secret);
		break;
	case AUTH_BASIC:
		if ((r = read_secret(st, "client_secret_file", st->secret_file,
		    &secret)) != WIF_OK)
			return r;
		tb_init(&pair, h);
		tb_add_pct(&pair, st->client_id);
		tb_add(&pair, ":");
		tb_add_pct(&pair, secret);
		h->secure_free(h, secret);
		if (pair.failed || h->base64_encode(h, pair.p, pair.len,
		    &b64) != WIF_OK) {
			tb_free(&pair);
			h->set_error(h, "out of memory");
			return WIF_E_NOMEM;
		}
		tb_free(&pair);
		tb_add(auth, "Authorization: Basic ");
		tb_add(auth, b64);
		h->secure_free(h, b64);
		break;
	}
	if (body->failed || auth->failed) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	return WIF_OK;
}

/* Printable ASCII, at most 200 characters. */
static void
clean(const char *in, char *out, size_t len)
{
	size_t i, n = 0;

	for (i = 0; in != NULL && in[i] != '\0' && n + 1 < len && i < 200; i++)
		out[n++] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
	out[n] = '\0';
}

/* A token-endpoint error (RFC 6749 §5.2) as advice. */
static int
server_error(struct okta_state *st, const struct wif_http_response *resp)
{
	const struct wif_host *h = st->h;
	struct wif_json *doc = NULL;
	const char *err = NULL, *desc = NULL, *advice = "";
	char e[64], d[256];

	if (resp->body_len > 0 &&
	    h->json_parse(h, resp->body, resp->body_len, &doc) == WIF_OK) {
		h->json_get_string(h, doc, "/error", &err);
		h->json_get_string(h, doc, "/error_description", &desc);
	}
	clean(err, e, sizeof(e));
	clean(desc, d, sizeof(d));
	if (h->http_header(h, resp, "DPoP-Nonce") != NULL ||
	    (err != NULL && (strcmp(err, "invalid_dpop_proof") == 0 ||
	    strcmp(err, "use_dpop_nonce") == 0)) ||
	    (desc != NULL && strstr(desc, "DPoP") != NULL)) {
		h->set_error(h, "the authorization server at %s demands DPoP "
		    "(HTTP %ld%s%s%s%s): wif does not send DPoP proofs; turn off "
		    "\"Require Demonstrating Proof of Possession (DPoP) header "
		    "in token requests\" on the Okta app", st->token_url,
		    resp->status, e[0] ? " " : "", e, d[0] ? ": " : "", d);
		if (doc != NULL)
			h->json_free(h, doc);
		return WIF_E_PROVIDER;
	}
	if (err != NULL && strcmp(err, "invalid_client") == 0)
		advice = st->auth == AUTH_PKJWT ? " (check client_id, and that "
		    "the app's registered public key matches private_key_file, "
		    "key_id and signing_alg)" : " (check client_id and the "
		    "secret in client_secret_file, and that the app's client "
		    "authentication method matches auth_method)";
	else if (err != NULL && strcmp(err, "invalid_scope") == 0)
		advice = " (the scope must exist on the authorization server and "
		    "an access policy rule must grant it to this app)";
	else if (err != NULL && strcmp(err, "unauthorized_client") == 0)
		advice = " (enable the Client Credentials grant on the app)";
	else if (err != NULL && strcmp(err, "invalid_grant") == 0)
		advice = " (is the Client Credentials grant allowed by the "
		    "authorization server's access policy? an app that requires "
		    "DPoP is refused this way by some servers: wif sends no DPoP "
		    "proofs)";
	h->set_error(h, "token endpoint %s answered HTTP %ld%s%s%s%s%s",
	    st->token_url, resp->status, e[0] ? " " : "", e, d[0] ? ": " : "",
	    d, advice);
	if (doc != NULL)
		h->json_free(h, doc);
	return WIF_E_PROVIDER;
}

static int
okta_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct okta_state *st = state;
	const struct wif_host *h = st->h;
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct wif_json *doc = NULL;
	struct textbuf body, auth;
	const char *headers[4], *tok = NULL, *type = NULL;
	size_t n = 0;
	int r;

	(void)req; /* the audience is the authorization server's setting */
	*jwt = NULL;
	tb_init(&body, h);
	tb_init(&auth, h);
	if ((r = build_request(st, &body, &auth)) != WIF_OK)
		goto out;
	headers[n++] = "Content-Type: application/x-www-form-urlencoded";
	headers[n++] = "Accept: application/json";
	if (auth.p != NULL)
		headers[n++] = auth.p;
	headers[n] = NULL;
	memset(&hr, 0, sizeof(hr));
	hr.struct_size = sizeof(hr);
	hr.abi_major = WIF_PROVIDER_ABI_MAJOR;
	hr.abi_minor = WIF_PROVIDER_ABI_MINOR;
	hr.method = "POST";
	hr.url = st->token_url;
	hr.headers = headers;
	hr.body = body.p;
	hr.body_len = body.len;
	hr.max_body = 64 * 1024;
	hr.flags = WIF_HTTP_RETRY;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "token endpoint %s: %s", st->token_url,
		    h->strerror(r));
		goto out;
	}
	if (resp->status != 200) {
		r = server_error(st, resp);
		goto out;
	}
	if (h->json_parse(h, resp->body, resp->body_len, &doc) != WIF_OK ||
	    h->json_get_string(h, doc, "/access_token", &tok) != WIF_OK ||
	    tok == NULL) {
		h->set_error(h, "token endpoint %s answered HTTP 200 without a "
		    "string access_token in a JSON object", st->token_url);
		r = WIF_E_PARSE;
		goto out;
	}
	if (h->json_get_string(h, doc, "/token_type", &type) == WIF_OK &&
	    type != NULL && strcasecmp(type, "DPoP") == 0) {
		h->set_error(h, "token endpoint %s issued a DPoP-bound token, "
		    "which cannot be federated: turn off DPoP on the Okta app",
		    st->token_url);
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (!jwtshape_ok(h, tok, strlen(tok))) {
		h->set_error(h, "the access token from %s is not a JWT: only a "
		    "custom authorization server issues JWT access tokens",
		    st->token_url);
		r = WIF_E_JWT;
		goto out;
	}
	if ((*jwt = h->secure_strndup(h, tok, strlen(tok))) == NULL) {
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
	tb_free(&body);
	tb_free(&auth);
	return r;
}

static void
okta_destroy(void *state)
{
	free(state);
}

static const struct wif_option okta_options[] = {
	{ "token_url", WIF_OPT_STRING, WIF_OPT_REQUIRED,
	  "https://<org>.okta.com/oauth2/<authServerId>/v1/token" },
	{ "client_id", WIF_OPT_STRING, WIF_OPT_REQUIRED,
	  "the service app's client ID (the token's sub)" },
	{ "scope", WIF_OPT_STRING, WIF_OPT_REQUIRED,
	  "the granted custom scope(s), space-separated, e.g. anthropic.access" },
	{ "auth_method", WIF_OPT_STRING, 0,
	  "private_key_jwt | client_secret_basic | client_secret_post" },
	{ "client_secret_file", WIF_OPT_STRING, WIF_OPT_SECRET_PATH,
	  "file holding the client secret (client_secret_basic/_post)" },
	{ "private_key_file", WIF_OPT_STRING, WIF_OPT_SECRET_PATH,
	  "PEM private key registered on the app (private_key_jwt)" },
	{ "key_id", WIF_OPT_STRING, 0,
	  "kid of the registered public key (private_key_jwt)" },
	{ "signing_alg", WIF_OPT_STRING, 0,
	  "RS256 (default), RS384, RS512, ES256, ES384 or PS256 (private_key_jwt)" },
	{ "assertion_lifetime", WIF_OPT_INT, 0,
	  "seconds the client assertion is valid, 30..3600 (default 300)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider okta_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "okta",
	.description = "an Okta service app's access token (client_credentials)",
	.version = "1",
	.flags = 0,
	.options = okta_options,
	.init = okta_init,
	.fetch_identity_token = okta_fetch,
	.destroy = okta_destroy,
	.detect = NULL,
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
	*out = &okta_provider;
	return WIF_OK;
}
