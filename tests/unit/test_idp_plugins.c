/*
 * test_idp_plugins.c - the github, gcp, okta, k8s and spiffe provider plugins,
 * dlopen()ed from the build tree and driven through the core's real host
 * services with scripted HTTP (fakehost.h): the exact request each sends
 * (URL, encoding, headers, body, CA), how each answer or failure is read,
 * config validation, detect(), and that no error or log line carries a
 * token or secret.  The real peers (official clients, oidc-provider) are in
 * tests/integration/idp_plugins.sh.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "cutest.h"
#include "fakehost.h"
#include "json.h"

static const struct wif_provider *GH, *GCP, *OKTA, *K8S, *SPF, *AZ, *AWS;
static char dir[PATH_MAX - 128];

/* A compact JWT with the given payload and a fixed signature marker. */
#define SIGMARK "U0lHTkFUVVJFX01BUktFUg"
static char *
mkjwt(const char *payload)
{
	static char out[16][4096]; /* a ring: callers hold a few at once */
	static int k;
	char *h = NULL, *p = NULL, *o = out[k++ % 16];

	wif_base64url_encode("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k\"}",
	    37, &h);
	wif_base64url_encode(payload, strlen(payload), &p);
	snprintf(o, 4096, "%s.%s.%s", h, p, SIGMARK);
	wif_secmem_free(h);
	wif_secmem_free(p);
	return o;
}

static char *
path_in(const char *name)
{
	static char p[32][PATH_MAX]; /* a ring: callers hold a few at once */
	static int k;
	char *o = p[k++ % 32];

	snprintf(o, PATH_MAX, "%s/%s", dir, name);
	return o;
}

static void
put(const char *name, const char *text, mode_t mode)
{
	char tmp[PATH_MAX];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path_in(name));
	f = fopen(tmp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
	chmod(tmp, mode);
	CU_ASSERT_EQUAL(rename(tmp, path_in(name)), 0);
}

struct run {
	int init_rc, rc;
	char *jwt;
	char err[2048];
};

/* init, fetch (with req), destroy. */
static void
drive(const struct wif_provider *p, const char *const *kv,
      struct wif_fetch_request *req, struct run *o)
{
	const struct wif_host *h = fh_host(p->name, kv);
	struct wif_fetch_request def;
	void *st = NULL;

	memset(o, 0, sizeof(*o));
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	if (h == NULL)
		return;
	if (req == NULL) {
		fh_req_init(&def);
		req = &def;
	}
	wif_err_clear();
	o->init_rc = p->init(h, &st);
	if (o->init_rc != WIF_OK) {
		o->rc = o->init_rc;
		snprintf(o->err, sizeof(o->err), "%s", wif_err_detail());
		CU_ASSERT_PTR_NULL(st);
		CU_ASSERT(o->err[0] != '\0');
		return;
	}
	wif_err_clear();
	o->rc = p->fetch_identity_token(st, req, &o->jwt);
	snprintf(o->err, sizeof(o->err), "%s", wif_err_detail());
	if (o->rc != WIF_OK) {
		CU_ASSERT_PTR_NULL(o->jwt);
		CU_ASSERT(o->err[0] != '\0');
	}
	p->destroy(st);
}

static void
run_free(struct run *o)
{
	wif_secmem_free(o->jwt);
	o->jwt = NULL;
}

#define HAS(hay, needle) CU_ASSERT(strstr((hay), (needle)) != NULL)
#define LACKS(hay, needle) CU_ASSERT(strstr((hay), (needle)) == NULL)

static void
check_no_secret(const struct run *o, const char *secret)
{
	LACKS(o->err, SIGMARK);
	LACKS(FH.log, SIGMARK);
	if (secret != NULL) {
		LACKS(o->err, secret);
		LACKS(FH.log, secret);
	}
}

/* ---- github ------------------------------------------------------------ */

static void
gh_env(const char *url, const char *tok, const char *actions)
{
	unsetenv("ACTIONS_ID_TOKEN_REQUEST_URL");
	unsetenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
	unsetenv("GITHUB_ACTIONS");
	if (url)
		setenv("ACTIONS_ID_TOKEN_REQUEST_URL", url, 1);
	if (tok)
		setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", tok, 1);
	if (actions)
		setenv("GITHUB_ACTIONS", actions, 1);
}

static void
test_github_request(void)
{
	const char *kv[] = { NULL };
	char body[4200];
	const char *jwt = mkjwt("{\"sub\":\"repo:o/r:ref:refs/heads/main\"}");
	struct run o;

	fh_reset();
	gh_env("https://pipelines.example/idtoken?api-version=2.0",
	    "REQTOKEN-sekrit", "true");
	snprintf(body, sizeof(body), "{\"count\":1,\"value\":\"%s\"}", jwt);
	fh_push(WIF_OK, 200, body, "Content-Type: application/json");
	drive(GH, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, jwt) == 0);
	CU_ASSERT_EQUAL(FH.n_req, 1);
	CU_ASSERT_STRING_EQUAL(FH.req[0].method, "GET");
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "https://pipelines.example/"
	    "idtoken?api-version=2.0&audience=https%3A%2F%2Fapi.anthropic.com");
	HAS(FH.req[0].headers, "Authorization: Bearer REQTOKEN-sekrit\n");
	HAS(FH.req[0].headers, "Accept: application/json\n");
	CU_ASSERT(FH.req[0].flags & WIF_HTTP_RETRY);
	run_free(&o);

	/* a URL without a query, and an audience of our own */
	{
		const char *kv2[] = { "audience", "api://my app", NULL };

		fh_reset();
		gh_env("http://127.0.0.1:9/t", "T", "true");
		fh_push(WIF_OK, 200, body, NULL);
		drive(GH, kv2, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_OK);
		CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://127.0.0.1:9/t?"
		    "audience=api%3A%2F%2Fmy%20app");
		run_free(&o);
	}
}

static void
test_github_errors(void)
{
	const char *kv[] = { NULL };
	struct run o;

	/* id-token: write missing */
	fh_reset();
	gh_env(NULL, NULL, "true");
	drive(GH, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "permissions: id-token: write");
	CU_ASSERT_EQUAL(FH.n_req, 0);
	/* not GitHub at all */
	gh_env(NULL, NULL, NULL);
	drive(GH, kv, NULL, &o);
	HAS(o.err, "not a GitHub Actions job");
	gh_env("https://x.example/t?a=1", NULL, "true");
	drive(GH, kv, NULL, &o);
	HAS(o.err, "ACTIONS_ID_TOKEN_REQUEST_TOKEN is not set");

	/* the server refuses */
	fh_reset();
	gh_env("https://x.example/t?a=1", "REQTOKEN-sekrit", "true");
	fh_push(WIF_OK, 403, "{\"message\":\"Unable to get ACTIONS_ID_TOKEN\"}", NULL);
	drive(GH, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "HTTP 403: Unable to get ACTIONS_ID_TOKEN");
	HAS(o.err, "id-token: write");
	check_no_secret(&o, "REQTOKEN-sekrit");
	/* transport failure after the host's retries */
	fh_reset();
	fh_push(WIF_E_TIMEOUT, 0, NULL, NULL);
	drive(GH, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_TIMEOUT);
	HAS(o.err, "GitHub OIDC token request");
	/* answers that are not a token */
	fh_reset();
	fh_push(WIF_OK, 200, "<html>proxy</html>", NULL);
	fh_push(WIF_OK, 200, "{\"count\":1}", NULL);
	fh_push(WIF_OK, 200, "{\"value\":\"not-a-jwt\"}", NULL);
	fh_push(WIF_OK, 200, "{\"value\":42}", NULL);
	drive(GH, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	drive(GH, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	drive(GH, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	drive(GH, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	/* config: an empty audience */
	{
		const char *bad[] = { "audience", "", NULL };

		drive(GH, bad, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	}
	/* detect: GITHUB_ACTIONS=true only */
	gh_env(NULL, NULL, "true");
	CU_ASSERT_EQUAL(GH->detect(fh_host("github", kv)), 1);
	gh_env(NULL, NULL, "false");
	CU_ASSERT_EQUAL(GH->detect(fh_host("github", kv)), 0);
	gh_env(NULL, NULL, NULL);
}

/* ---- gcp ----------------------------------------------------------------- */

static void
test_gcp_request(void)
{
	const char *kv[] = { NULL };
	const char *jwt = mkjwt("{\"sub\":\"1234\",\"email\":\"sa@p.iam\"}");
	char body[4200];
	struct run o;

	fh_reset();
	unsetenv("GCE_METADATA_IP");
	setenv("GCE_METADATA_HOST", "127.0.0.1:8088", 1);
	snprintf(body, sizeof(body), "%s\n", jwt);
	fh_push(WIF_OK, 200, body, "Metadata-Flavor: Google\nContent-Type: text/html");
	drive(GCP, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, jwt) == 0); /* newline trimmed */
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://127.0.0.1:8088/"
	    "computeMetadata/v1/instance/service-accounts/default/identity?"
	    "format=full&audience=https%3A%2F%2Fapi.anthropic.com");
	CU_ASSERT_STRING_EQUAL(FH.req[0].headers, "Metadata-Flavor: Google\n");
	CU_ASSERT(FH.req[0].flags & WIF_HTTP_RETRY);
	run_free(&o);

	/* the host key wins; another account; standard format */
	{
		const char *kv2[] = { "host", "127.0.0.2:8089",
		    "service_account", "app@p.iam.gserviceaccount.com",
		    "format", "standard", NULL };

		fh_reset();
		fh_push(WIF_OK, 200, body, "metadata-flavor: Google");
		drive(GCP, kv2, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_OK);
		CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://127.0.0.2:8089"
		    "/computeMetadata/v1/instance/service-accounts/"
		    "app@p.iam.gserviceaccount.com/identity?format=standard&"
		    "audience=https%3A%2F%2Fapi.anthropic.com");
		run_free(&o);
	}
	/* with no setting at all: the link-local default (the fake sends nothing) */
	unsetenv("GCE_METADATA_HOST");
	fh_reset();
	fh_push(WIF_OK, 200, body, "Metadata-Flavor: Google");
	drive(GCP, kv, NULL, &o);
	CU_ASSERT(strncmp(FH.req[0].url, "http://169.254.169.254/", 23) == 0);
	run_free(&o);
}

static void
test_gcp_errors(void)
{
	const char *kv[] = { NULL };
	struct run o;

	setenv("GCE_METADATA_HOST", "127.0.0.1:8088", 1);
	fh_reset();
	fh_push(WIF_OK, 200, mkjwt("{\"sub\":\"1\"}"), NULL);
	drive(GCP, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "not a GCP metadata server");
	check_no_secret(&o, NULL);
	fh_reset();
	fh_push(WIF_OK, 200, "x", "Metadata-Flavor: Other");
	drive(GCP, kv, NULL, &o);
	HAS(o.err, "not a GCP metadata server");
	fh_reset();
	fh_push(WIF_OK, 404, "Not Found", "Metadata-Flavor: Google");
	drive(GCP, kv, NULL, &o);
	HAS(o.err, "HTTP 404");
	HAS(o.err, "no such service account");
	fh_reset();
	fh_push(WIF_OK, 200, "<html>captive portal</html>", "Metadata-Flavor: Google");
	drive(GCP, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	fh_reset();
	fh_push(WIF_E_HTTP, 0, NULL, NULL);
	drive(GCP, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_HTTP);
	HAS(o.err, "127.0.0.1:8088 (from GCE_METADATA_HOST) did not answer");
	/* a bad GCE_METADATA_HOST never becomes a URL */
	setenv("GCE_METADATA_HOST", "evil.example/x?", 1);
	fh_reset();
	drive(GCP, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_CONFIG);
	CU_ASSERT_EQUAL(FH.n_req, 0);
	unsetenv("GCE_METADATA_HOST");
	/* config */
	{
		const char *b1[] = { "host", "http://127.0.0.1:8088", NULL };
		const char *b2[] = { "format", "jwt", NULL };
		const char *b3[] = { "service_account", "../../token", NULL };

		drive(GCP, b1, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
		HAS(o.err, "no scheme");
		drive(GCP, b2, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
		drive(GCP, b3, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	}
	/* detect from the environment, never the network */
	fh_reset();
	setenv("K_SERVICE", "svc", 1);
	CU_ASSERT_EQUAL(GCP->detect(fh_host("gcp", kv)), 1);
	unsetenv("K_SERVICE");
	setenv("GCE_METADATA_HOST", "127.0.0.1:1", 1);
	CU_ASSERT_EQUAL(GCP->detect(fh_host("gcp", kv)), 1);
	unsetenv("GCE_METADATA_HOST");
	CU_ASSERT_EQUAL(FH.n_req, 0);
}

/* ---- okta ------------------------------------------------------------------ */
#define TOKEN_URL "https://example.okta.com/oauth2/default/v1/token"

static void
test_okta_config(void)
{
	struct run o;
	char *sec = path_in("secret");
	const char *org[] = { "token_url", "https://example.okta.com/oauth2/v1/token",
	    "client_id", "c", "scope", "s", "client_secret_file", sec, NULL };
	const char *noscope[] = { "token_url", TOKEN_URL, "client_id", "c",
	    "scope", " ", "client_secret_file", sec, NULL };
	const char *both[] = { "token_url", TOKEN_URL, "client_id", "c",
	    "scope", "s", "client_secret_file", sec, "private_key_file", sec,
	    NULL };
	const char *nothing[] = { "token_url", TOKEN_URL, "client_id", "c",
	    "scope", "s", NULL };
	const char *badalg[] = { "token_url", TOKEN_URL, "client_id", "c",
	    "scope", "s", "private_key_file", sec, "signing_alg", "HS256", NULL };
	const char *life[] = { "token_url", TOKEN_URL, "client_id", "c",
	    "scope", "s", "private_key_file", sec, "assertion_lifetime", "7200",
	    NULL };
	const char *method[] = { "token_url", TOKEN_URL, "client_id", "c",
	    "scope", "s", "auth_method", "client_secret_jwt",
	    "client_secret_file", sec, NULL };
	const char *query[] = { "token_url", TOKEN_URL "?x=1", "client_id", "c",
	    "scope", "s", "client_secret_file", sec, NULL };

	fh_reset();
	drive(OKTA, org, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	HAS(o.err, "org authorization server");
	{
		/* other spellings of the org server are refused as well */
		static const char *const urls[] = {
			"https://example.okta.com/oauth2/v1/token/",
			"https://example.okta.com//oauth2//v1/token",
			"https://example.okta.com/OAuth2/V1/Token" };
		size_t i;

		for (i = 0; i < 3; i++) {
			const char *kvo[] = { "token_url", urls[i], "client_id",
			    "c", "scope", "s", "client_secret_file", sec, NULL };

			drive(OKTA, kvo, NULL, &o);
			CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
			HAS(o.err, "org authorization server");
		}
	}
	drive(OKTA, noscope, NULL, &o);
	HAS(o.err, "scope is required");
	drive(OKTA, both, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	drive(OKTA, nothing, NULL, &o);
	HAS(o.err, "client_secret_file");
	drive(OKTA, badalg, NULL, &o);
	HAS(o.err, "signing_alg \"HS256\"");
	drive(OKTA, life, NULL, &o);
	HAS(o.err, "assertion_lifetime 7200");
	drive(OKTA, method, NULL, &o);
	HAS(o.err, "auth_method \"client_secret_jwt\"");
	drive(OKTA, query, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	CU_ASSERT_EQUAL(FH.n_req, 0);
}

static void
test_okta_secrets(void)
{
	const char *jwt = mkjwt("{\"sub\":\"0oa1\",\"aud\":\"https://api.anthropic.com\"}");
	char *sec = path_in("secret");
	const char *basic[] = { "token_url", TOKEN_URL, "client_id", "0oa1+x",
	    "scope", "anthropic.access", "client_secret_file", sec, NULL };
	const char *post[] = { "token_url", TOKEN_URL, "client_id", "0oa1",
	    "scope", "anthropic.access other", "auth_method",
	    "client_secret_post", "client_secret_file", sec, NULL };
	char ok[4200], *b64 = NULL, want[256];
	struct run o;

	snprintf(ok, sizeof(ok), "{\"token_type\":\"Bearer\",\"expires_in\":3600,"
	    "\"access_token\":\"%s\",\"scope\":\"anthropic.access\"}", jwt);
	put("secret", "s3cr+t/=sekrit\n", 0600);
	fh_reset();
	fh_push(WIF_OK, 200, ok, NULL);
	drive(OKTA, basic, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, jwt) == 0);
	CU_ASSERT_STRING_EQUAL(FH.req[0].method, "POST");
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, TOKEN_URL);
	CU_ASSERT_STRING_EQUAL(FH.req[0].body,
	    "grant_type=client_credentials&scope=anthropic.access");
	HAS(FH.req[0].headers, "Content-Type: application/x-www-form-urlencoded\n");
	/* RFC 6749 2.3.1: both parts form-encoded, then base64 */
	wif_base64_encode("0oa1%2Bx:s3cr%2Bt%2F%3Dsekrit", 29, &b64);
	snprintf(want, sizeof(want), "Authorization: Basic %s\n", b64);
	wif_secmem_free(b64);
	HAS(FH.req[0].headers, want);
	run_free(&o);

	fh_reset();
	fh_push(WIF_OK, 200, ok, NULL);
	drive(OKTA, post, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(FH.req[0].body, "grant_type=client_credentials"
	    "&scope=anthropic.access%20other&client_id=0oa1"
	    "&client_secret=s3cr%2Bt%2F%3Dsekrit");
	LACKS(FH.req[0].headers, "Authorization");
	run_free(&o);

	/* a secret others may read is refused, and not sent */
	put("secret", "s3cr+t/=sekrit\n", 0644);
	fh_reset();
	drive(OKTA, basic, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PERM);
	HAS(o.err, "chmod 600");
	CU_ASSERT_EQUAL(FH.n_req, 0);
	put("secret", "s3cr+t/=sekrit\n", 0600);

	/* errors of the token endpoint */
	fh_reset();
	fh_push(WIF_OK, 401, "{\"error\":\"invalid_client\",\"error_description\":"
	    "\"Client authentication failed.\"}", NULL);
	fh_push(WIF_OK, 400, "{\"error\":\"invalid_scope\",\"error_description\":"
	    "\"The following scopes are not allowed: anthropic.access\"}", NULL);
	fh_push(WIF_OK, 400, "{\"error\":\"invalid_dpop_proof\",\"error_description\":"
	    "\"The DPoP proof JWT header is missing.\"}", NULL);
	fh_push(WIF_OK, 400, "{\"error\":\"use_dpop_nonce\"}", "DPoP-Nonce: abc");
	fh_push(WIF_OK, 200, "{\"token_type\":\"DPoP\",\"access_token\":\"x.y.z\"}", NULL);
	fh_push(WIF_OK, 200, "{\"token_type\":\"Bearer\",\"access_token\":\"opaque-token\"}", NULL);
	drive(OKTA, basic, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "HTTP 401 invalid_client: Client authentication failed.");
	HAS(o.err, "client_secret_file");
	check_no_secret(&o, "sekrit");
	drive(OKTA, basic, NULL, &o);
	HAS(o.err, "access policy rule");
	drive(OKTA, basic, NULL, &o);
	HAS(o.err, "demands DPoP");
	drive(OKTA, basic, NULL, &o);
	HAS(o.err, "demands DPoP");
	drive(OKTA, basic, NULL, &o);
	HAS(o.err, "DPoP-bound");
	drive(OKTA, basic, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	HAS(o.err, "custom authorization server");
}

/* The RSA key of a private_key_jwt client, made with the openssl CLI. */
static int
make_key(const char *name, const char *algo)
{
	char cmd[PATH_MAX * 2];

	snprintf(cmd, sizeof(cmd), "openssl genpkey %s -out '%s' 2>/dev/null && "
	    "chmod 600 '%s'", algo, path_in(name), path_in(name));
	return system(cmd);
}

static void
test_okta_private_key_jwt(void)
{
	const char *jwt = mkjwt("{\"sub\":\"0oa1\"}");
	char *key = path_in("rsa.pem");
	const char *kv[] = { "token_url", TOKEN_URL, "client_id", "0oa1",
	    "scope", "anthropic.access", "private_key_file", key, "key_id",
	    "kid-1", "assertion_lifetime", "120", NULL };
	char ok[4200], *a, *end, *seg = NULL;
	uint8_t *dec = NULL;
	size_t dlen = 0;
	struct run o;
	struct wif_json *doc = NULL;
	const char *s = NULL;
	int64_t iat = 0, exp = 0;

	CU_ASSERT_EQUAL_FATAL(make_key("rsa.pem", "-algorithm RSA -pkeyopt "
	    "rsa_keygen_bits:2048"), 0);
	snprintf(ok, sizeof(ok), "{\"token_type\":\"Bearer\",\"expires_in\":3600,"
	    "\"access_token\":\"%s\"}", jwt);
	fh_reset();
	fh_push(WIF_OK, 200, ok, NULL);
	drive(OKTA, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	run_free(&o);
	LACKS(FH.req[0].headers, "Authorization");
	CU_ASSERT(strncmp(FH.req[0].body, "grant_type=client_credentials&scope="
	    "anthropic.access&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth"
	    "%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=", 146) == 0);
	a = strstr(FH.req[0].body, "&client_assertion=");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	if (a == NULL)
		return;
	a += 18;
	/* header */
	end = strchr(a, '.');
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	if (end == NULL)
		return;
	CU_ASSERT_EQUAL(wif_base64url_decode(a, (size_t)(end - a), &dec, &dlen), WIF_OK);
	HAS((char *)dec, "\"alg\":\"RS256\"");
	HAS((char *)dec, "\"kid\":\"kid-1\"");
	wif_secmem_free(dec);
	/* claims */
	a = end + 1;
	end = strchr(a, '.');
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	if (end == NULL)
		return;
	CU_ASSERT_EQUAL(wif_base64url_decode(a, (size_t)(end - a), &dec, &dlen), WIF_OK);
	CU_ASSERT_EQUAL_FATAL(wif_json_parse((char *)dec, dlen, &doc), WIF_OK);
	CU_ASSERT(wif_json_get_string(doc, "/iss", &s) == WIF_OK && strcmp(s, "0oa1") == 0);
	CU_ASSERT(wif_json_get_string(doc, "/sub", &s) == WIF_OK && strcmp(s, "0oa1") == 0);
	CU_ASSERT(wif_json_get_string(doc, "/aud", &s) == WIF_OK && strcmp(s, TOKEN_URL) == 0);
	CU_ASSERT(wif_json_get_string(doc, "/jti", &s) == WIF_OK && strlen(s) == 32);
	CU_ASSERT_EQUAL(wif_json_get_int(doc, "/iat", &iat), WIF_OK);
	CU_ASSERT_EQUAL(wif_json_get_int(doc, "/exp", &exp), WIF_OK);
	CU_ASSERT_EQUAL(exp - iat, 120);
	CU_ASSERT(iat <= (int64_t)time(NULL) && iat >= (int64_t)time(NULL) - 5);
	wif_json_free(doc);
	wif_secmem_free(dec);
	(void)seg;

	/* a key of the wrong type for the alg */
	CU_ASSERT_EQUAL_FATAL(make_key("ec.pem", "-algorithm EC -pkeyopt "
	    "ec_paramgen_curve:P-256"), 0);
	{
		const char *kv2[] = { "token_url", TOKEN_URL, "client_id", "0oa1",
		    "scope", "anthropic.access", "private_key_file",
		    path_in("ec.pem"), "signing_alg", "RS256", NULL };
		const char *kv3[] = { "token_url", TOKEN_URL, "client_id", "0oa1",
		    "scope", "anthropic.access", "private_key_file",
		    path_in("ec.pem"), "signing_alg", "ES256", NULL };

		fh_reset();
		drive(OKTA, kv2, NULL, &o);
		CU_ASSERT_NOT_EQUAL(o.rc, WIF_OK);
		HAS(o.err, "cannot sign the client assertion with RS256");
		CU_ASSERT_EQUAL(FH.n_req, 0);
		fh_push(WIF_OK, 200, ok, NULL);
		drive(OKTA, kv3, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_OK);
		HAS(FH.req[0].body, "&client_assertion=");
		run_free(&o);
	}
}

/* ---- k8s -------------------------------------------------------------------- */

static void
test_k8s_file(void)
{
	const char *t1 = mkjwt("{\"sub\":\"system:serviceaccount:ns:app\","
	    "\"aud\":[\"https://api.anthropic.com\"]}");
	const char *def = mkjwt("{\"sub\":\"system:serviceaccount:ns:app\","
	    "\"aud\":[\"https://kubernetes.default.svc\"]}");
	char *tf = path_in("token");
	const char *kv[] = { "token_file", tf, NULL };
	struct run o;

	put("token", t1, 0644);
	fh_reset();
	drive(K8S, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, t1) == 0);
	CU_ASSERT_EQUAL(FH.log[0], '\0'); /* the right audience: no warning */
	run_free(&o);
	/* the default API-server token: served, but warned about */
	put("token", def, 0644);
	drive(K8S, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	HAS(FH.log, "aud \"https://kubernetes.default.svc\", not \"https://api.anthropic.com\"");
	check_no_secret(&o, NULL);
	run_free(&o);
	/* missing, empty, not a JWT */
	unlink(tf);
	drive(K8S, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_NOT_FOUND);
	HAS(o.err, "projected");
	put("token", "\n", 0644);
	drive(K8S, kv, NULL, &o);
	HAS(o.err, "is empty");
	put("token", "-----BEGIN PRIVATE KEY-----\n", 0644);
	drive(K8S, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	/* config */
	{
		const char *b1[] = { "mode", "projected", NULL };
		const char *b2[] = { "token_file", tf, "expiration_seconds", "600", NULL };
		const char *b3[] = { "mode", "token_request", "expiration_seconds", "60", NULL };
		const char *b4[] = { "mode", "token_request", "token_file", tf, NULL };
		const char *b5[] = { "mode", "token_request", "api_server", "http://10.0.0.1", NULL };

		drive(K8S, b1, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
		drive(K8S, b2, NULL, &o);
		HAS(o.err, "token_request\" only");
		drive(K8S, b3, NULL, &o);
		HAS(o.err, "expiration_seconds 60");
		drive(K8S, b4, NULL, &o);
		HAS(o.err, "\"file\" only");
		drive(K8S, b5, NULL, &o);
		HAS(o.err, "https://");
	}
}

struct rot {
	const struct wif_provider *p;
	void *st;
	const char *next;
	char seen[512];
};

/* Rotates the token file after 600 ms, as kubelet would (rename into
 * place), after looking at describe() while the fetch waits. */
static void *
rotator(void *arg)
{
	struct rot *r = arg;

	usleep(400 * 1000);
	if (r->p->describe(r->st, r->seen, sizeof(r->seen)) != WIF_OK)
		r->seen[0] = '\0';
	usleep(200 * 1000);
	put("token", r->next, 0644);
	return NULL;
}

static void
test_k8s_rotation(void)
{
	const char *t1 = mkjwt("{\"sub\":\"a\",\"aud\":\"https://api.anthropic.com\",\"n\":1}");
	const char *t2 = mkjwt("{\"sub\":\"a\",\"aud\":\"https://api.anthropic.com\",\"n\":2}");
	const char *kv[] = { "token_file", path_in("token"), "rotation_wait", "10", NULL };
	const char *kv1[] = { "token_file", path_in("token"), "rotation_wait", "1", NULL };
	struct wif_fetch_request req;
	const struct wif_host *h;
	struct rot r = { .p = K8S, .next = t2 };
	char *jwt = NULL, note[512];
	pthread_t th;
	void *st = NULL;
	int rc;

	put("token", t1, 0644);
	fh_reset();
	h = fh_host("k8s", kv);
	CU_ASSERT_EQUAL_FATAL(K8S->init(h, &st), WIF_OK);
	CU_ASSERT_EQUAL(K8S->describe(st, note, sizeof(note)), WIF_E_NOT_FOUND);
	fh_req_init(&req);
	wif_sha256(t1, strlen(t1), req.last_sha256); /* t1 was exchanged */
	r.st = st;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, rotator, &r), 0);
	rc = K8S->fetch_identity_token(st, &req, &jwt);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(rc, WIF_OK);
	CU_ASSERT(jwt && strcmp(jwt, t2) == 0);
	HAS(r.seen, "waiting for kubelet to rotate");
	HAS(FH.log, "rotated after");
	wif_secmem_free(jwt);
	jwt = NULL;
	K8S->destroy(st);

	/* never rotated: a clear error after rotation_wait */
	st = NULL;
	h = fh_host("k8s", kv1);
	CU_ASSERT_EQUAL_FATAL(K8S->init(h, &st), WIF_OK);
	wif_sha256(t2, strlen(t2), req.last_sha256);
	wif_err_clear();
	rc = K8S->fetch_identity_token(st, &req, &jwt);
	CU_ASSERT_EQUAL(rc, WIF_E_REPLAY);
	CU_ASSERT_PTR_NULL(jwt);
	HAS(wif_err_detail(), "still holds the token exchanged last");
	CU_ASSERT_EQUAL(K8S->describe(st, note, sizeof(note)), WIF_OK);
	HAS(note, "not rotated after");
	/* kubelet rotates at last: the note goes with the next good read */
	put("token", t1, 0644);
	CU_ASSERT_EQUAL(K8S->fetch_identity_token(st, &req, &jwt), WIF_OK);
	wif_secmem_free(jwt);
	jwt = NULL;
	CU_ASSERT_EQUAL(K8S->describe(st, note, sizeof(note)), WIF_E_NOT_FOUND);
	K8S->destroy(st);
}

static void
test_k8s_token_request(void)
{
	const char *sa = mkjwt("{\"sub\":\"system:serviceaccount:team-a:app\","
	    "\"aud\":[\"https://kubernetes.default.svc\"]}");
	const char *minted = mkjwt("{\"sub\":\"system:serviceaccount:team-a:app\","
	    "\"aud\":[\"https://api.anthropic.com\"]}");
	const char *kv[] = { "mode", "token_request", "api_server",
	    "https://127.0.0.1:6443/", "ca_file", path_in("ca.crt"),
	    "bearer_token_file", path_in("sa-token"), NULL };
	char ok[4200];
	struct run o;

	put("sa-token", sa, 0644);
	put("ca.crt", "x", 0644);
	snprintf(ok, sizeof(ok), "{\"kind\":\"TokenRequest\",\"apiVersion\":"
	    "\"authentication.k8s.io/v1\",\"status\":{\"token\":\"%s\","
	    "\"expirationTimestamp\":\"2026-11-22T12:00:00Z\"}}", minted);
	fh_reset();
	fh_push(WIF_OK, 201, ok, NULL);
	drive(K8S, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, minted) == 0);
	CU_ASSERT_STRING_EQUAL(FH.req[0].method, "POST");
	/* namespace and name from the pod token's sub (no namespace file here) */
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "https://127.0.0.1:6443/api/v1/"
	    "namespaces/team-a/serviceaccounts/app/token");
	CU_ASSERT_STRING_EQUAL(FH.req[0].body, "{\"apiVersion\":\"authentication."
	    "k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"audiences\":"
	    "[\"https://api.anthropic.com\"],\"expirationSeconds\":600}}");
	CU_ASSERT_STRING_EQUAL(FH.req[0].ca_file, path_in("ca.crt"));
	HAS(FH.req[0].headers, "Content-Type: application/json\n");
	CU_ASSERT(strstr(FH.req[0].headers, "Authorization: Bearer ") != NULL &&
	    strstr(FH.req[0].headers, sa) != NULL);
	run_free(&o);

	/* from the pod's environment, explicit names, IPv6 */
	{
		const char *kv2[] = { "mode", "token_request", "namespace", "ns2",
		    "service_account", "bot", "ca_file", path_in("ca.crt"),
		    "bearer_token_file", path_in("sa-token"),
		    "expiration_seconds", "900", NULL };

		setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
		setenv("KUBERNETES_SERVICE_PORT", "443", 1);
		fh_reset();
		fh_push(WIF_OK, 201, ok, NULL);
		drive(K8S, kv2, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_OK);
		CU_ASSERT_STRING_EQUAL(FH.req[0].url, "https://[fd00::1]:443/api/v1/"
		    "namespaces/ns2/serviceaccounts/bot/token");
		HAS(FH.req[0].body, "\"expirationSeconds\":900");
		run_free(&o);
		/* they become the URL's authority: nothing else gets in */
		{
			static const char *const bad[][2] = {
				{ "evil.test/x?", "443" }, { "h@evil.test", "443" },
				{ "10.0.0.1", "443/../x" }, { "10.0.0.1", "0" },
				{ "10.0.0.1", "65536" }, { "a b", "443" } };
			size_t i;

			for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
				setenv("KUBERNETES_SERVICE_HOST", bad[i][0], 1);
				setenv("KUBERNETES_SERVICE_PORT", bad[i][1], 1);
				fh_reset();
				drive(K8S, kv2, NULL, &o);
				CU_ASSERT_EQUAL(o.rc, WIF_E_CONFIG);
				HAS(o.err, "are not a host and a port");
				CU_ASSERT_EQUAL(FH.n_req, 0);
				run_free(&o);
			}
		}
		unsetenv("KUBERNETES_SERVICE_HOST");
		unsetenv("KUBERNETES_SERVICE_PORT");
	}
	/* refusals as Status objects */
	fh_reset();
	fh_push(WIF_OK, 403, "{\"kind\":\"Status\",\"message\":\"serviceaccounts "
	    "\\\"app\\\" is forbidden\",\"reason\":\"Forbidden\",\"code\":403}", NULL);
	fh_push(WIF_OK, 401, "{\"kind\":\"Status\",\"message\":\"Unauthorized\"}", NULL);
	fh_push(WIF_OK, 201, "{\"status\":{}}", NULL);
	drive(K8S, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "HTTP 403: serviceaccounts \"app\" is forbidden");
	HAS(o.err, "serviceaccounts/token");
	check_no_secret(&o, NULL);
	drive(K8S, kv, NULL, &o);
	HAS(o.err, "was refused");
	drive(K8S, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	/* no pod token */
	{
		const char *kv3[] = { "mode", "token_request", "api_server",
		    "https://127.0.0.1:6443", "bearer_token_file",
		    path_in("missing"), NULL };

		fh_reset();
		drive(K8S, kv3, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_E_NOT_FOUND);
		HAS(o.err, "automountServiceAccountToken");
		CU_ASSERT_EQUAL(FH.n_req, 0);
	}
	CU_ASSERT_EQUAL(K8S->flags & WIF_PROVIDER_THREAD_SAFE,
	    WIF_PROVIDER_THREAD_SAFE);
}

/* ---- spiffe ------------------------------------------------------------------ */
#include "../../plugins/spiffe/pb.h"

/* A gRPC-framed JWTSVIDResponse with the given (id, svid) pairs. */
static size_t
svid_response(uint8_t *out, size_t cap, const char *const *pairs)
{
	uint8_t msg[8192], one[4096];
	size_t len = 0, n, i;

	for (i = 0; pairs[i] != NULL; i += 2) {
		n = pb_put_string(one, sizeof(one), 0, 1, pairs[i]);
		n = pb_put_string(one, sizeof(one), n, 2, pairs[i + 1]);
		len = pb_put_varint(msg, sizeof(msg), len, (1 << 3) | 2);
		len = pb_put_varint(msg, sizeof(msg), len, n);
		memcpy(msg + len, one, n);
		len += n;
	}
	if (cap < len + 5)
		return 0;
	out[0] = 0;
	out[1] = (uint8_t)(len >> 24);
	out[2] = (uint8_t)(len >> 16);
	out[3] = (uint8_t)(len >> 8);
	out[4] = (uint8_t)len;
	memcpy(out + 5, msg, len);
	return len + 5;
}

static void
test_spiffe_request(void)
{
	const char *j1 = mkjwt("{\"sub\":\"spiffe://example.org/app\"}");
	const char *j2 = mkjwt("{\"sub\":\"spiffe://example.org/other\"}");
	const char *pairs[] = { "spiffe://example.org/app", j1,
	    "spiffe://example.org/other", j2, NULL };
	const char *kv[] = { "endpoint", "unix:///run/spire/agent.sock", NULL };
	const char *kv2[] = { "endpoint", "unix:/run/spire/agent.sock",
	    "spiffe_id", "spiffe://example.org/other", NULL };
	static const uint8_t want[] = { 0, 0, 0, 0, 27, 0x0a, 25, 'h', 't', 't',
	    'p', 's', ':', '/', '/', 'a', 'p', 'i', '.', 'a', 'n', 't', 'h', 'r',
	    'o', 'p', 'i', 'c', '.', 'c', 'o', 'm' };
	uint8_t body[8192];
	size_t n = svid_response(body, sizeof(body), pairs);
	struct run o;

	fh_reset();
	fh_push_bin(200, body, n, "content-type: application/grpc\ngrpc-status: 0");
	drive(SPF, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, j1) == 0); /* the first SVID */
	CU_ASSERT_STRING_EQUAL(FH.req[0].method, "POST");
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://localhost/SpiffeWorkloadAPI/FetchJWTSVID");
	CU_ASSERT_STRING_EQUAL(FH.req[0].unix_socket, "/run/spire/agent.sock");
	HAS(FH.req[0].headers, "Content-Type: application/grpc\n");
	HAS(FH.req[0].headers, "TE: trailers\n");
	HAS(FH.req[0].headers, "workload.spiffe.io: true\n");
	CU_ASSERT(FH.req[0].flags & WIF_HTTP_HTTP2);
	CU_ASSERT_EQUAL(FH.req[0].body_len, sizeof(want));
	CU_ASSERT(memcmp(FH.req[0].body, want, sizeof(want)) == 0);
	run_free(&o);

	/* spiffe_id: asked for, and picked */
	fh_reset();
	fh_push_bin(200, body, n, "grpc-status: 0");
	drive(SPF, kv2, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, j2) == 0);
	CU_ASSERT_EQUAL(FH.req[0].body[4], FH.req[0].body_len - 5);
	CU_ASSERT(memmem(FH.req[0].body, FH.req[0].body_len,
	    "\x12\x1aspiffe://example.org/other", 28) != NULL);
	run_free(&o);

	/* tcp endpoints, and the environment */
	{
		const char *t4[] = { "endpoint", "tcp://127.0.0.1:8081", NULL };
		const char *t6[] = { "endpoint", "tcp://[::1]:8081", NULL };
		const char *none[] = { NULL };

		fh_reset();
		fh_push_bin(200, body, n, "grpc-status: 0");
		fh_push_bin(200, body, n, "grpc-status: 0");
		fh_push_bin(200, body, n, "grpc-status: 0");
		drive(SPF, t4, NULL, &o);
		CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://127.0.0.1:8081/SpiffeWorkloadAPI/FetchJWTSVID");
		CU_ASSERT_STRING_EQUAL(FH.req[0].unix_socket, "");
		run_free(&o);
		drive(SPF, t6, NULL, &o);
		CU_ASSERT_STRING_EQUAL(FH.req[1].url, "http://[::1]:8081/SpiffeWorkloadAPI/FetchJWTSVID");
		run_free(&o);
		setenv("SPIFFE_ENDPOINT_SOCKET", "unix:///tmp/agent.sock", 1);
		drive(SPF, none, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_OK);
		CU_ASSERT_STRING_EQUAL(FH.req[2].unix_socket, "/tmp/agent.sock");
		run_free(&o);
		unsetenv("SPIFFE_ENDPOINT_SOCKET");
		drive(SPF, none, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_E_NOT_APPLICABLE);
		HAS(o.err, "SPIFFE_ENDPOINT_SOCKET");
	}
}

static void
test_spiffe_errors(void)
{
	const char *j1 = mkjwt("{\"sub\":\"spiffe://example.org/app\"}");
	const char *pairs[] = { "spiffe://example.org/app", j1, NULL };
	const char *bad[] = { "spiffe://example.org/app", "not-a-jwt", NULL };
	const char *kv[] = { "endpoint", "unix:///run/spire/agent.sock", NULL };
	const char *kvid[] = { "endpoint", "unix:///run/spire/agent.sock",
	    "spiffe_id", "spiffe://example.org/nope", NULL };
	uint8_t body[8192], nj[8192];
	size_t n = svid_response(body, sizeof(body), pairs);
	size_t m = svid_response(nj, sizeof(nj), bad);
	struct run o;

	fh_reset();
	fh_push_bin(200, "", 0, "grpc-status: 7\ngrpc-message: no%20identity%20issued");
	fh_push_bin(200, "", 0, "grpc-status: 3\ngrpc-message: security header missing from request");
	fh_push_bin(200, body, n, "content-type: application/grpc");
	fh_push_bin(404, "nope", 4, NULL);
	drive(SPF, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "PERMISSION_DENIED (7): no identity issued");
	HAS(o.err, "registration entry");
	drive(SPF, kv, NULL, &o);
	HAS(o.err, "INVALID_ARGUMENT (3): security header missing from request");
	drive(SPF, kv, NULL, &o);
	HAS(o.err, "without grpc-status");
	drive(SPF, kv, NULL, &o);
	HAS(o.err, "HTTP 404");
	/* framing and content */
	body[0] = 1; /* compressed */
	fh_reset();
	fh_push_bin(200, body, n, "grpc-status: 0");
	fh_push_bin(200, body + 1, n - 1, "grpc-status: 0");
	fh_push_bin(200, nj, m, "grpc-status: 0");
	fh_push_bin(200, "\0\0\0\0\0", 5, "grpc-status: 0");
	drive(SPF, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	drive(SPF, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	drive(SPF, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	drive(SPF, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "returned 0 JWT-SVID(s)");
	body[0] = 0;
	fh_reset();
	fh_push_bin(200, body, n, "grpc-status: 0");
	drive(SPF, kvid, NULL, &o);
	HAS(o.err, "none for spiffe://example.org/nope");
	/* transport */
	fh_reset();
	fh_push(WIF_E_HTTP, 0, NULL, NULL);
	drive(SPF, kv, NULL, &o);
	HAS(o.err, "is the SPIRE agent running");
	/* config */
	{
		const char *b1[] = { "endpoint", "http://127.0.0.1:8081", NULL };
		const char *b2[] = { "endpoint", "unix://relative/agent.sock", NULL };
		const char *b3[] = { "endpoint", "tcp://spire-agent:8081", NULL };
		const char *b4[] = { "spiffe_id", "example.org/app", NULL };

		drive(SPF, b1, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
		drive(SPF, b2, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
		drive(SPF, b3, NULL, &o);
		HAS(o.err, "IP address, not a name");
		drive(SPF, b4, NULL, &o);
		HAS(o.err, "spiffe://");
	}
}

/* pb.h on its own: varints at the edges, refusals. */
static void
test_spiffe_pb(void)
{
	uint8_t b[16];
	size_t pos = 0, n;
	uint64_t v = 0;
	struct pb_span sp;
	unsigned f, t;
	static const uint8_t overlong[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	    0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t group[] = { 0x0b };
	static const uint8_t longlen[] = { 0x0a, 0x05, 'a' };
	static const uint8_t field0[] = { 0x02, 0x00 };

	n = pb_put_varint(b, sizeof(b), 0, UINT64_MAX);
	CU_ASSERT_EQUAL(n, 10);
	CU_ASSERT_EQUAL(pb_varint(b, n, &pos, &v), 0);
	CU_ASSERT(v == UINT64_MAX);
	CU_ASSERT_EQUAL(pb_put_varint(b, 1, 0, 300), 0); /* no room */
	pos = 0;
	CU_ASSERT_EQUAL(pb_varint(overlong, sizeof(overlong), &pos, &v), -1);
	pos = 0;
	CU_ASSERT_EQUAL(pb_next(group, sizeof(group), &pos, &f, &t, &sp), -1);
	pos = 0;
	CU_ASSERT_EQUAL(pb_next(longlen, sizeof(longlen), &pos, &f, &t, &sp), -1);
	pos = 0;
	CU_ASSERT_EQUAL(pb_next(field0, sizeof(field0), &pos, &f, &t, &sp), -1);
	CU_ASSERT_EQUAL(pb_jwtsvid_request(b, sizeof(b), "https://api.anthropic.com", NULL), 0);
}

/* ---- azure ------------------------------------------------------------------- */
#define APPURI "api://11111111-2222-3333-4444-555555555555"
#define APPURI_PCT "api%3A%2F%2F11111111-2222-3333-4444-555555555555"

static void
az_env(const char *fed, const char *tenant, const char *client,
       const char *ep, const char *hdr)
{
	static const char *const vars[] = { "AZURE_FEDERATED_TOKEN_FILE",
	    "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "IDENTITY_ENDPOINT",
	    "IDENTITY_HEADER", "AZURE_AUTHORITY_HOST",
	    "AZURE_POD_IDENTITY_AUTHORITY_HOST" };
	const char *vals[] = { fed, tenant, client, ep, hdr, NULL, NULL };
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		if (vals[i] != NULL)
			setenv(vars[i], vals[i], 1);
		else
			unsetenv(vars[i]);
	}
}

static void
test_azure_imds(void)
{
	const char *jwt = mkjwt("{\"sub\":\"mi-object-1\",\"aud\":\"" APPURI "\"}");
	const char *kv[] = { "resource", APPURI, "client_id", "mi-client-1",
	    "imds_endpoint", "http://127.0.0.1:8077/", NULL };
	const char *kvo[] = { "resource", APPURI, "object_id", "o-1", NULL };
	char ok[4200];
	struct run o;

	az_env(NULL, NULL, NULL, NULL, NULL);
	/* IMDS's numbers are strings */
	snprintf(ok, sizeof(ok), "{\"access_token\":\"%s\",\"client_id\":\"mi-client-1\","
	    "\"expires_in\":\"3599\",\"expires_on\":\"1795370000\",\"resource\":\""
	    APPURI "\",\"token_type\":\"Bearer\"}", jwt);
	fh_reset();
	fh_push(WIF_OK, 200, ok, NULL);
	drive(AZ, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, jwt) == 0);
	CU_ASSERT_STRING_EQUAL(FH.req[0].method, "GET");
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://127.0.0.1:8077/metadata/identity/"
	    "oauth2/token?api-version=2018-02-01&resource=" APPURI_PCT "&client_id=mi-client-1");
	CU_ASSERT_STRING_EQUAL(FH.req[0].headers, "Metadata: true\n");
	CU_ASSERT(FH.req[0].flags & WIF_HTTP_RETRY);
	run_free(&o);
	/* the default host, object_id; AZURE_POD_IDENTITY_AUTHORITY_HOST */
	fh_reset();
	fh_push(WIF_OK, 200, ok, NULL);
	fh_push(WIF_OK, 200, ok, NULL);
	drive(AZ, kvo, NULL, &o);
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://169.254.169.254/metadata/identity/"
	    "oauth2/token?api-version=2018-02-01&resource=" APPURI_PCT "&object_id=o-1");
	run_free(&o);
	setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9", 1);
	drive(AZ, kvo, NULL, &o);
	CU_ASSERT(strncmp(FH.req[1].url, "http://127.0.0.1:9/metadata/", 28) == 0);
	run_free(&o);
	unsetenv("AZURE_POD_IDENTITY_AUTHORITY_HOST");
	/* Azure's retry guidance: 410 (IMDS updating) is retried */
	fh_reset();
	fh_push(WIF_OK, 410, "{}", NULL);
	fh_push(WIF_OK, 200, ok, NULL);
	drive(AZ, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_EQUAL(FH.n_req, 2);
	run_free(&o);
	/* refusals */
	fh_reset();
	fh_push(WIF_OK, 400, "{\"error\":\"invalid_request\",\"error_description\":"
	    "\"Identity not found\"}", NULL);
	fh_push(WIF_OK, 400, "{\"error\":\"invalid_resource\",\"error_description\":"
	    "\"AADSTS500011: The resource principal named x was not found\"}", NULL);
	fh_push(WIF_OK, 200, "{\"access_token\":\"opaque\"}", NULL);
	drive(AZ, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "no managed identity is assigned");
	drive(AZ, kv, NULL, &o);
	HAS(o.err, "app registration");
	drive(AZ, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	fh_reset();
	fh_push(WIF_E_HTTP, 0, NULL, NULL);
	drive(AZ, kv, NULL, &o);
	HAS(o.err, "is this an Azure VM with a managed identity");
}

static void
test_azure_app_service_and_workload(void)
{
	const char *jwt = mkjwt("{\"sub\":\"x\",\"aud\":\"" APPURI "\"}");
	const char *fed = mkjwt("{\"sub\":\"system:serviceaccount:team-a:app\","
	    "\"aud\":\"api://AzureADTokenExchange\"}");
	const char *kv[] = { "resource", APPURI, NULL };
	const char *kvo[] = { "resource", APPURI, "object_id", "o-1", NULL };
	const char *kvw[] = { "resource", APPURI, "mode", "workload_identity",
	    "authority_host", "https://login.example/", NULL };
	char ok[4200], want[8192];
	struct run o;

	snprintf(ok, sizeof(ok), "{\"access_token\":\"%s\",\"expires_on\":\"1795370000\","
	    "\"resource\":\"" APPURI "\",\"token_type\":\"Bearer\"}", jwt);
	/* App Service: the environment decides */
	az_env(NULL, NULL, NULL, "http://127.0.0.1:41741/msi/token", "HDR-secret");
	fh_reset();
	fh_push(WIF_OK, 200, ok, NULL);
	fh_push(WIF_OK, 200, ok, NULL);
	drive(AZ, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://127.0.0.1:41741/msi/token?"
	    "api-version=2019-08-01&resource=" APPURI_PCT);
	CU_ASSERT_STRING_EQUAL(FH.req[0].headers, "X-IDENTITY-HEADER: HDR-secret\n");
	run_free(&o);
	drive(AZ, kvo, NULL, &o);
	HAS(FH.req[1].url, "&principal_id=o-1");
	run_free(&o);
	fh_reset();
	fh_push(WIF_OK, 401, "{\"statusCode\":401,\"message\":\"Unauthorized\"}", NULL);
	drive(AZ, kv, NULL, &o);
	HAS(o.err, "IDENTITY_ENDPOINT) answered HTTP 401");
	check_no_secret(&o, "HDR-secret");

	/* workload identity: the webhook's variables win over App Service's */
	put("fed", fed, 0644);
	az_env(path_in("fed"), "tenant-1", "wi-client-1",
	    "http://127.0.0.1:41741/msi/token", "HDR-secret");
	fh_reset();
	snprintf(ok, sizeof(ok), "{\"token_type\":\"Bearer\",\"expires_in\":3599,"
	    "\"ext_expires_in\":3599,\"access_token\":\"%s\"}", jwt);
	fh_push(WIF_OK, 200, ok, NULL);
	drive(AZ, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(FH.req[0].method, "POST");
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "https://login.microsoftonline.com/"
	    "tenant-1/oauth2/v2.0/token");
	snprintf(want, sizeof(want), "client_assertion=%s&client_assertion_type="
	    "urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
	    "&client_id=wi-client-1&grant_type=client_credentials&scope=%s"
	    "%%2F.default", fed, APPURI_PCT);
	CU_ASSERT_STRING_EQUAL(FH.req[0].body, want);
	run_free(&o);
	/* explicit mode and authority; the Entra refusal */
	fh_reset();
	fh_push(WIF_OK, 400, "{\"error\":\"invalid_client\",\"error_description\":"
	    "\"AADSTS70021: No matching federated identity record found for "
	    "presented assertion.\"}", NULL);
	drive(AZ, kvw, NULL, &o);
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "https://login.example/tenant-1/oauth2/v2.0/token");
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	HAS(o.err, "AADSTS70021");
	HAS(o.err, "api://AzureADTokenExchange");
	check_no_secret(&o, NULL);
	/* workload identity without its variables */
	az_env(NULL, "tenant-1", NULL, NULL, NULL);
	fh_reset();
	drive(AZ, kvw, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_NOT_APPLICABLE);
	HAS(o.err, "AZURE_FEDERATED_TOKEN_FILE");
	HAS(o.err, "AZURE_CLIENT_ID");
	CU_ASSERT_EQUAL(FH.n_req, 0);
	az_env(NULL, NULL, NULL, NULL, NULL);
	/* config */
	{
		const char *b1[] = { "mode", "imds", NULL };
		const char *b2[] = { "resource", APPURI, "client_id", "a",
		    "object_id", "b", NULL };
		const char *b3[] = { "resource", APPURI, "authority_host",
		    "http://login.example", NULL };
		const char *b4[] = { "resource", APPURI, "mode", "vm", NULL };

		drive(AZ, b1, NULL, &o);
		HAS(o.err, "resource is required");
		drive(AZ, b2, NULL, &o);
		HAS(o.err, "give one");
		drive(AZ, b3, NULL, &o);
		HAS(o.err, "https://");
		drive(AZ, b4, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	}
	/* detect: the environment only */
	CU_ASSERT_EQUAL(AZ->detect(fh_host("azure", kv)), 0);
	setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:1/msi/token", 1);
	setenv("IDENTITY_HEADER", "h", 1);
	CU_ASSERT_EQUAL(AZ->detect(fh_host("azure", kv)), 1);
	az_env(NULL, NULL, NULL, NULL, NULL);
}

/* ---- aws ----------------------------------------------------------------------- */
#include "../../plugins/aws/xml.h"

static void
aws_env(const char *akid, const char *secret, const char *token)
{
	static const char *const vars[] = { "AWS_ACCESS_KEY_ID",
	    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
	    "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	    "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	    "AWS_EC2_METADATA_SERVICE_ENDPOINT" };
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	/* never the real instance metadata, even through the fake */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	if (akid)
		setenv("AWS_ACCESS_KEY_ID", akid, 1);
	if (secret)
		setenv("AWS_SECRET_ACCESS_KEY", secret, 1);
	if (token)
		setenv("AWS_SESSION_TOKEN", token, 1);
}

static char *
gwit_ok(const char *jwt)
{
	static char b[4400];

	snprintf(b, sizeof(b), "<GetWebIdentityTokenResponse xmlns=\"https://sts."
	    "amazonaws.com/doc/2011-06-15/\"><GetWebIdentityTokenResult>"
	    "<WebIdentityToken>%s</WebIdentityToken><Expiration>2026-11-22T"
	    "12:00:00.000Z</Expiration></GetWebIdentityTokenResult>"
	    "<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>"
	    "</GetWebIdentityTokenResponse>", jwt);
	return b;
}

static const char *
sts_err(const char *code, const char *msg)
{
	static char ring[4][1024]; /* several are queued at once */
	static int k;
	char *b = ring[k++ % 4];

	snprintf(b, sizeof(ring[0]), "<ErrorResponse xmlns=\"https://sts.amazonaws.com/"
	    "doc/2011-06-15/\"><Error><Type>Sender</Type><Code>%s</Code>"
	    "<Message>%s</Message></Error><RequestId>r</RequestId>"
	    "</ErrorResponse>", code, msg);
	return b;
}

static void
test_aws_request(void)
{
	const char *jwt = mkjwt("{\"sub\":\"arn:aws:iam::1:role/app\"}");
	const char *kv[] = { NULL };
	const char *kvt[] = { "region", "eu-west-3", "duration_seconds", "900",
	    "signing_algorithm", "ES384", "audience", "https://x.example/a b",
	    NULL };
	struct run o;
	const char *a;

	aws_env("AKIDEXAMPLE", "SECRET-sekrit", NULL);
	setenv("AWS_REGION", "us-east-1", 1);
	fh_reset();
	fh_push(WIF_OK, 200, gwit_ok(jwt), "Content-Type: text/xml");
	drive(AWS, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT(o.jwt && strcmp(o.jwt, jwt) == 0);
	CU_ASSERT_STRING_EQUAL(FH.req[0].method, "POST");
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "https://sts.us-east-1.amazonaws.com/");
	CU_ASSERT_STRING_EQUAL(FH.req[0].body, "Action=GetWebIdentityToken&"
	    "Version=2011-06-15&Audience.member.1=https%3A%2F%2Fapi.anthropic.com"
	    "&SigningAlgorithm=RS256&DurationSeconds=300");
	HAS(FH.req[0].headers, "Content-Type: application/x-www-form-urlencoded; charset=utf-8\n");
	HAS(FH.req[0].headers, "X-Amz-Date: 20");
	a = strstr(FH.req[0].headers, "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/");
	CU_ASSERT_PTR_NOT_NULL(a);
	HAS(FH.req[0].headers, "/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=");
	LACKS(FH.req[0].headers, "X-Amz-Security-Token");
	LACKS(FH.req[0].headers, "SECRET-sekrit");
	run_free(&o);
	/* every knob; a session token is sent and signed */
	aws_env("ASIAEXAMPLE", "SECRET-sekrit", "SESSION-token");
	fh_reset();
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	drive(AWS, kvt, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "https://sts.eu-west-3.amazonaws.com/");
	CU_ASSERT_STRING_EQUAL(FH.req[0].body, "Action=GetWebIdentityToken&"
	    "Version=2011-06-15&Audience.member.1=https%3A%2F%2Fx.example%2Fa%20b"
	    "&SigningAlgorithm=ES384&DurationSeconds=900");
	HAS(FH.req[0].headers, "X-Amz-Security-Token: SESSION-token\n");
	HAS(FH.req[0].headers, "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,");
	run_free(&o);
	/* China partition */
	{
		const char *kc[] = { "region", "cn-north-1", NULL };

		fh_reset();
		fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
		drive(AWS, kc, NULL, &o);
		CU_ASSERT_STRING_EQUAL(FH.req[0].url, "https://sts.cn-north-1.amazonaws.com.cn/");
		run_free(&o);
	}
}

static void
test_aws_errors(void)
{
	const char *kv[] = { "region", "us-east-1", NULL };
	struct run o;
	char xml[1024];

	aws_env("AKIDEXAMPLE", "SECRET-sekrit", "SESSION-token");
	fh_reset();
	fh_push(WIF_OK, 403, sts_err("AccessDenied", "not authorized to perform: sts:GetWebIdentityToken"), NULL);
	fh_push(WIF_OK, 400, sts_err("OutboundWebIdentityFederationDisabledException", "disabled"), NULL);
	fh_push(WIF_OK, 403, sts_err("SignatureDoesNotMatch", "The request signature &amp; stuff"), NULL);
	drive(AWS, kv, NULL, &o);
	HAS(o.err, "HTTP 403 AccessDenied: not authorized");
	HAS(o.err, "the role needs sts:GetWebIdentityToken");
	check_no_secret(&o, "SECRET-sekrit");
	check_no_secret(&o, "SESSION-token");
	drive(AWS, kv, NULL, &o);
	HAS(o.err, "enable outbound identity federation");
	drive(AWS, kv, NULL, &o);
	HAS(o.err, "signature & stuff");
	HAS(o.err, "clock");
	/* XML that is refused or holds no token */
	snprintf(xml, sizeof(xml), "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>%s",
	    gwit_ok(mkjwt("{\"sub\":\"a\"}")));
	fh_reset();
	fh_push(WIF_OK, 200, xml, NULL);
	fh_push(WIF_OK, 200, "<GetWebIdentityTokenResponse/>", NULL);
	fh_push(WIF_OK, 200, gwit_ok("not-a-jwt"), NULL);
	drive(AWS, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	HAS(o.err, "a DTD");
	drive(AWS, kv, NULL, &o);
	HAS(o.err, "no WebIdentityToken");
	drive(AWS, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	/* regions and endpoints */
	{
		const char *none[] = { NULL };
		const char *glob[] = { "sts_endpoint", "https://sts.amazonaws.com", NULL };
		const char *ag[] = { "region", "aws-global", NULL };
		const char *d[] = { "region", "us-east-1", "duration_seconds", "30", NULL };
		const char *alg[] = { "region", "us-east-1", "signing_algorithm", "HS256", NULL };
		const char *tags[] = { "region", "us-east-1", "tags", "novalue", NULL };

		fh_reset();
		drive(AWS, none, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_E_CONFIG);
		HAS(o.err, "AWS_REGION");
		CU_ASSERT_EQUAL(FH.n_req, 0);
		drive(AWS, glob, NULL, &o);
		HAS(o.err, "global STS endpoint");
		drive(AWS, ag, NULL, &o);
		HAS(o.err, "regional STS endpoints only");
		drive(AWS, d, NULL, &o);
		HAS(o.err, "duration_seconds 30");
		drive(AWS, alg, NULL, &o);
		HAS(o.err, "RS256 or ES384");
		(void)tags;
	}
	/* no credentials anywhere (IMDS disabled): one clear error */
	aws_env(NULL, NULL, NULL);
	fh_reset();
	drive(AWS, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_NOT_APPLICABLE);
	HAS(o.err, "no AWS credentials");
	CU_ASSERT_EQUAL(FH.n_req, 0);
}

static void
test_aws_chain(void)
{
	const char *jwt = mkjwt("{\"sub\":\"arn:aws:iam::1:role/app\"}");
	const char *web = mkjwt("{\"sub\":\"system:serviceaccount:a:b\",\"aud\":\"sts.amazonaws.com\"}");
	const char *kv[] = { "region", "us-east-1", NULL };
	const char *kvi[] = { "region", "us-east-1", "credentials", "imds", NULL };
	char assume[2048];
	struct run o;
	const struct wif_host *h;
	struct wif_fetch_request req;
	void *st = NULL;
	char *tok = NULL;

	snprintf(assume, sizeof(assume), "<AssumeRoleWithWebIdentityResponse><Assume"
	    "RoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAWEB1</AccessKeyId>"
	    "<SecretAccessKey>websecret</SecretAccessKey><SessionToken>WEBTOKEN</SessionToken>"
	    "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
	    "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>");
	/* web identity: AssumeRoleWithWebIdentity (unsigned), then signed with its credentials */
	aws_env(NULL, NULL, NULL);
	put("irsa", web, 0644);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path_in("irsa"), 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/app", 1);
	setenv("AWS_ROLE_SESSION_NAME", "s1", 1);
	fh_reset();
	fh_push(WIF_OK, 200, assume, NULL);
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	h = fh_host("aws", kv);
	CU_ASSERT_EQUAL_FATAL(AWS->init(h, &st), WIF_OK);
	fh_req_init(&req);
	CU_ASSERT_EQUAL(AWS->fetch_identity_token(st, &req, &tok), WIF_OK);
	wif_secmem_free(tok);
	tok = NULL;
	HAS(FH.req[0].body, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn="
	    "arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fapp&RoleSessionName=s1&WebIdentityToken=");
	LACKS(FH.req[0].headers, "Authorization");
	HAS(FH.req[1].headers, "Credential=ASIAWEB1/");
	HAS(FH.req[1].headers, "X-Amz-Security-Token: WEBTOKEN\n");
	/* the credentials are kept: the next fetch is one request */
	CU_ASSERT_EQUAL(AWS->fetch_identity_token(st, &req, &tok), WIF_OK);
	CU_ASSERT_EQUAL(FH.n_req, 3);
	wif_secmem_free(tok);
	tok = NULL;
	{
		char note[200];

		CU_ASSERT_EQUAL(AWS->describe(st, note, sizeof(note)), WIF_OK);
		HAS(note, "web_identity");
	}
	AWS->destroy(st);
	st = NULL;

	/* container credentials with a token file */
	aws_env(NULL, NULL, NULL);
	put("ctok", "Bearer-ish-token\n", 0600);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/v2/credentials/x", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_in("ctok"), 1);
	fh_reset();
	fh_push(WIF_OK, 200, "{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"CTOKEN\",\"Expiration\":\"2099-01-01T00:00:00Z\"}", NULL);
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	drive(AWS, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://127.0.0.1:9/v2/credentials/x");
	CU_ASSERT_STRING_EQUAL(FH.req[0].headers, "Authorization: Bearer-ish-token\n");
	HAS(FH.req[1].headers, "Credential=ASIACONT/");
	run_free(&o);

	/* IMDSv2: session token, role, credentials */
	aws_env(NULL, NULL, NULL);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9/", 1);
	fh_reset();
	fh_push(WIF_OK, 200, "IMDSTOKEN", NULL);
	fh_push(WIF_OK, 200, "app-role\n", NULL);
	fh_push(WIF_OK, 200, "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAIMDS\","
	    "\"SecretAccessKey\":\"s\",\"Token\":\"ITOKEN\",\"Expiration\":\"2099-01-01T00:00:00Z\"}", NULL);
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	drive(AWS, kvi, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(FH.req[0].method, "PUT");
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://127.0.0.1:9/latest/api/token");
	CU_ASSERT_STRING_EQUAL(FH.req[0].headers, "X-aws-ec2-metadata-token-ttl-seconds: 21600\n");
	CU_ASSERT_STRING_EQUAL(FH.req[1].url, "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/");
	CU_ASSERT_STRING_EQUAL(FH.req[1].headers, "X-aws-ec2-metadata-token: IMDSTOKEN\n");
	CU_ASSERT_STRING_EQUAL(FH.req[2].url, "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/app-role");
	HAS(FH.req[3].headers, "X-Amz-Security-Token: ITOKEN\n");
	run_free(&o);
	/* IMDS without a token (IMDSv1 only, or a hop limit): says so */
	fh_reset();
	fh_push(WIF_OK, 401, "", NULL);
	drive(AWS, kvi, NULL, &o);
	HAS(o.err, "IMDSv2 disabled");
	aws_env(NULL, NULL, NULL);
}

/*
 * What a review found: credentials without Expiration kept for ever, refused
 * credentials kept after a 400, credentials with control characters sent as
 * headers, an unchecked region from the environment, a role-name check that
 * let anything with '+' through, an upper-case endpoint host signed in lower
 * case but sent as written.
 */
static void
test_aws_review(void)
{
	const char *jwt = mkjwt("{\"sub\":\"arn:aws:iam::1:role/app\"}");
	const char *kv[] = { "region", "us-east-1", "credentials", "container", NULL };
	const char *kvi[] = { "region", "us-east-1", "credentials", "imds", NULL };
	const char *kve[] = { "sts_endpoint", "http://STS.Local.Test:9/", NULL };
	const struct wif_host *h;
	struct wif_fetch_request req;
	struct run o;
	void *st = NULL;
	char *tok = NULL;

	/* container credentials without Expiration: refetched within 15 min */
	aws_env(NULL, NULL, NULL);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds", 1);
	fh_reset();
	FH.clock = 1800000000;
	fh_push(WIF_OK, 200, "{\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"T1\"}", NULL);
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	fh_push(WIF_OK, 200, "{\"AccessKeyId\":\"ASIA2\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"T2\"}", NULL);
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	h = fh_host("aws", kv);
	CU_ASSERT_EQUAL_FATAL(AWS->init(h, &st), WIF_OK);
	fh_req_init(&req);
	CU_ASSERT_EQUAL(AWS->fetch_identity_token(st, &req, &tok), WIF_OK);
	wif_secmem_free(tok);
	tok = NULL;
	FH.clock += 60; /* still kept a minute later */
	CU_ASSERT_EQUAL(AWS->fetch_identity_token(st, &req, &tok), WIF_OK);
	wif_secmem_free(tok);
	tok = NULL;
	CU_ASSERT_EQUAL(FH.n_req, 3);
	FH.clock += 15 * 60; /* not 15 minutes later */
	CU_ASSERT_EQUAL(AWS->fetch_identity_token(st, &req, &tok), WIF_OK);
	wif_secmem_free(tok);
	tok = NULL;
	CU_ASSERT_EQUAL(FH.n_req, 5);
	CU_ASSERT_STRING_EQUAL(FH.req[3].url, "http://127.0.0.1:9/creds");
	HAS(FH.req[4].headers, "Credential=ASIA2/");
	AWS->destroy(st);
	st = NULL;
	FH.clock = 0;

	/* ExpiredToken with HTTP 400: the credentials are fetched again */
	fh_reset();
	fh_push(WIF_OK, 200, "{\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"T1\",\"Expiration\":\"2099-01-01T00:00:00Z\"}", NULL);
	fh_push(WIF_OK, 400, sts_err("ExpiredToken", "The security token included in the request is expired"), NULL);
	fh_push(WIF_OK, 200, "{\"AccessKeyId\":\"ASIA2\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"T2\",\"Expiration\":\"2099-01-01T00:00:00Z\"}", NULL);
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	h = fh_host("aws", kv);
	CU_ASSERT_EQUAL_FATAL(AWS->init(h, &st), WIF_OK);
	CU_ASSERT_EQUAL(AWS->fetch_identity_token(st, &req, &tok), WIF_E_PROVIDER);
	CU_ASSERT_EQUAL(AWS->fetch_identity_token(st, &req, &tok), WIF_OK);
	wif_secmem_free(tok);
	tok = NULL;
	CU_ASSERT_EQUAL(FH.n_req, 4);
	HAS(FH.req[3].headers, "Credential=ASIA2/");
	AWS->destroy(st);
	st = NULL;

	/* a session token with a line break never becomes a header */
	fh_reset();
	fh_push(WIF_OK, 200, "{\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"T1\\r\\nX-Evil: 1\",\"Expiration\":\"2099-01-01T00:00:00Z\"}", NULL);
	drive(AWS, kv, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	HAS(o.err, "container credentials hold characters");
	CU_ASSERT_EQUAL(FH.n_req, 1);
	run_free(&o);
	/* nor does one cut short by \u0000 */
	fh_reset();
	fh_push(WIF_OK, 200, "{\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s\","
	    "\"Token\":\"T1\\u0000rest\",\"Expiration\":\"2099-01-01T00:00:00Z\"}", NULL);
	drive(AWS, kv, NULL, &o);
	CU_ASSERT_NOT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_EQUAL(FH.n_req, 1);
	run_free(&o);

	/* a region from the environment is checked like a configured one */
	aws_env("AKIDEXAMPLE", "SECRET-sekrit", NULL);
	setenv("AWS_REGION", "us-east-1/../x", 1);
	fh_reset();
	drive(AWS, kve, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_CONFIG);
	HAS(o.err, "from AWS_REGION");
	CU_ASSERT_EQUAL(FH.n_req, 0);
	run_free(&o);
	/* the endpoint's host is sent as it is signed: in lower case */
	setenv("AWS_REGION", "eu-west-1", 1);
	fh_reset();
	fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
	drive(AWS, kve, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(FH.req[0].url, "http://sts.local.test:9/");
	HAS(FH.req[0].headers, "/eu-west-1/sts/aws4_request");
	run_free(&o);

	/* IMDS role names: IAM's characters only */
	aws_env(NULL, NULL, NULL);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9/", 1);
	{
		static const char *const bad[] = { "a+../../x", "a=b/c", "..", ".",
		    "x y", "r%2f", "0123456789012345678901234567890123456789"
		    "01234567890123456789012345" };
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			fh_reset();
			fh_push(WIF_OK, 200, "IMDSTOKEN", NULL);
			fh_push(WIF_OK, 200, bad[i], NULL);
			drive(AWS, kvi, NULL, &o);
			if (o.rc != WIF_E_PARSE)
				fprintf(stderr, "\n  role name \"%s\": rc %d, %s\n",
				    bad[i], o.rc, o.err);
			CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
			HAS(o.err, "unusable role name");
			CU_ASSERT_EQUAL(FH.n_req, 2);
			run_free(&o);
		}
		fh_reset();
		fh_push(WIF_OK, 200, "IMDSTOKEN", NULL);
		fh_push(WIF_OK, 200, "Role+=,.@_-1", NULL);
		fh_push(WIF_OK, 200, "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAIMDS\","
		    "\"SecretAccessKey\":\"s\",\"Token\":\"ITOKEN\",\"Expiration\":\"2099-01-01T00:00:00Z\"}", NULL);
		fh_push(WIF_OK, 200, gwit_ok(jwt), NULL);
		drive(AWS, kvi, NULL, &o);
		CU_ASSERT_EQUAL(o.rc, WIF_OK);
		CU_ASSERT_STRING_EQUAL(FH.req[2].url, "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/Role%2B%3D%2C.%40_-1");
		run_free(&o);
	}
	aws_env(NULL, NULL, NULL);
}

/* xml.h on its own */
static void
test_aws_xml(void)
{
	char out[64];

	CU_ASSERT_EQUAL(xml_text("<a><b>x&amp;y&#65;&#x42;</b></a>", 32, "b", out, sizeof(out)), 5);
	CU_ASSERT_STRING_EQUAL(out, "x&yAB");
	CU_ASSERT_EQUAL(xml_text("<bb>1</bb><b x=\"1\">2</b>", 24, "b", out, sizeof(out)), 1);
	CU_ASSERT_STRING_EQUAL(out, "2");
	CU_ASSERT_EQUAL(xml_text("<b/>", 4, "b", out, sizeof(out)), 0);
	CU_ASSERT_EQUAL(xml_text("<b><c>1</c></b>", 15, "b", out, sizeof(out)), -1);
	CU_ASSERT_EQUAL(xml_text("<b>&e;</b>", 10, "b", out, sizeof(out)), -2);
	CU_ASSERT_EQUAL(xml_text("<b>&#0;</b>", 11, "b", out, sizeof(out)), -2);
	CU_ASSERT_EQUAL(xml_text("<!ENTITY x \"y\"><b>1</b>", 24, "b", out, sizeof(out)), -2);
	CU_ASSERT_EQUAL(xml_text("<b>0123456789</b>", 17, "b", out, 5), -2);
	CU_ASSERT_EQUAL(xml_text("<b>unterminated", 15, "b", out, sizeof(out)), -2);
	CU_ASSERT_EQUAL(xml_text("<c>1</c>", 8, "b", out, sizeof(out)), -1);
}

static int
suite_init(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/wif-idp-XXXXXX", t ? t : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	GH = fh_load("github");
	GCP = fh_load("gcp");
	OKTA = fh_load("okta");
	K8S = fh_load("k8s");
	SPF = fh_load("spiffe");
	AZ = fh_load("azure");
	AWS = fh_load("aws");
	return GH && GCP && OKTA && K8S && SPF && AZ && AWS ? 0 : -1;
}

static int
suite_clean(void)
{
	char cmd[PATH_MAX + 16];

	fh_done();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	static const struct cu_test tests[] = {
		{ "github: the request (URL, audience encoding, bearer, retry)", test_github_request },
		{ "github: missing permission, refusals, bad answers, detect", test_github_errors },
		{ "gcp: the request (host precedence, URL, Metadata-Flavor)", test_gcp_request },
		{ "gcp: not a metadata server, 404, bad host, config, detect", test_gcp_errors },
		{ "okta: config validation (org server, scope, methods, alg)", test_okta_config },
		{ "okta: client_secret_basic/_post, secret files, server errors, DPoP", test_okta_secrets },
		{ "okta: private_key_jwt assertion (claims, kid, alg, key type)", test_okta_private_key_jwt },
		{ "k8s: projected file, audience warning, errors, config", test_k8s_file },
		{ "k8s: waits for kubelet's rotation (inotify), describe, timeout", test_k8s_rotation },
		{ "k8s: TokenRequest (URL, body, CA, bearer, Status errors)", test_k8s_token_request },
		{ "spiffe: the gRPC request (path, headers, h2, protobuf bytes), SVID choice, endpoints", test_spiffe_request },
		{ "spiffe: gRPC statuses, framing, content, transport, config", test_spiffe_errors },
		{ "spiffe: protobuf varints and refusals (pb.h)", test_spiffe_pb },
		{ "azure: IMDS (query, Metadata header, string numbers, 410 retry, errors)", test_azure_imds },
		{ "azure: App Service, workload identity (assertion form), modes, config", test_azure_app_service_and_workload },
		{ "aws: GetWebIdentityToken request (body, SigV4 headers, token, partitions)", test_aws_request },
		{ "aws: STS errors with advice, refused XML, regions, config, no credentials", test_aws_errors },
		{ "aws: credential chain (web identity, container, IMDSv2), kept credentials", test_aws_chain },
		{ "aws: review fixes (no Expiration, refused credentials, control bytes, env region, host case, role names)", test_aws_review },
		{ "aws: xml.h (entities, DTD refused, markup, bounds)", test_aws_xml },
		{ NULL, NULL },
	};

	return cu_run("idp plugins", tests, suite_init, suite_clean);
}
