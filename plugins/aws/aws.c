/*
 * aws.c - the `aws` provider: a JWT from AWS STS GetWebIdentityToken (IAM
 * outbound identity federation), PROTOCOL.md §7.1.
 *
 *   POST https://sts.<region>.amazonaws.com/       (regional only)
 *   Content-Type: application/x-www-form-urlencoded; charset=utf-8
 *   Action=GetWebIdentityToken&Version=2011-06-15&Audience.member.1=<aud>
 *   &SigningAlgorithm=RS256&DurationSeconds=300[&Tags.member.N.Key/Value]
 *
 * signed with SigV4 (sigv4.h, proven against botocore) by credentials from
 * the standard chain, tried in order (or pinned with `credentials`):
 *   env           AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY[, AWS_SESSION_TOKEN]
 *   web_identity  AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN ->
 *                 AssumeRoleWithWebIdentity (unsigned) on the same endpoint
 *   container     AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI
 *                 (169.254.170.2), Authorization from
 *                 AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or _TOKEN (ECS, EKS
 *                 Pod Identity)
 *   imds          IMDSv2: PUT /latest/api/token, then the role's
 *                 credentials (AWS_EC2_METADATA_SERVICE_ENDPOINT overrides
 *                 the address; AWS_EC2_METADATA_DISABLED=true skips it)
 * Temporary credentials are kept until 5 minutes before they expire.
 * Answers are XML (xml.h: bounded, no DTD, no entities beyond the five) or
 * JSON; STS errors become advice.  Secrets (keys, session tokens, the web
 * identity token, IMDS tokens) live in secure memory and never in a
 * message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"
#include "../common/textbuf.h"
#include "sigv4.h"
#include "xml.h"

#define ANTHROPIC_AUDIENCE "https://api.anthropic.com"
#define DEFAULT_IMDS "http://169.254.169.254"
#define ECS_BASE "http://169.254.170.2"
#define REFRESH_BEFORE 300      /* seconds before expiry */
#define MAX_TAGS 50

enum cred_src { SRC_AUTO, SRC_ENV, SRC_WEB, SRC_CONTAINER, SRC_IMDS };
static const char *const src_names[] = { "auto", "env", "web_identity",
	"container", "imds" };

struct creds {
	char *akid, *secret, *token;   /* secure memory */
	int64_t expires;               /* 0: does not expire (env) */
	enum cred_src from;
};

struct aws_state {
	const struct wif_host *h;
	const char *region_cfg, *audience, *alg, *endpoint, *session_name;
	char *endpoint_lc;             /* endpoint, host in lower case */
	int64_t duration;
	enum cred_src pinned;
	struct creds c;
	char last_src[32];
};

static void
creds_clear(const struct wif_host *h, struct creds *c)
{
	h->secure_free(h, c->akid);
	h->secure_free(h, c->secret);
	h->secure_free(h, c->token);
	memset(c, 0, sizeof(*c));
}

static const char *
env(const struct wif_host *h, const char *name)
{
	const char *v = h->getenv(h, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* "key=value" tags: key 1..128 chars, value 0..256 (STS limits). */
static int
tag_ok(const char *t)
{
	const char *eq = strchr(t, '=');

	return eq != NULL && eq > t && eq - t <= 128 && strlen(eq + 1) <= 256;
}

static int
aws_init(const struct wif_host *h, void **state)
{
	struct aws_state *st;
	const char *region = NULL, *aud = NULL, *alg = NULL, *ep = NULL;
	const char *cred = NULL, *sess = NULL, *tag = NULL;
	int64_t dur = 300;
	enum cred_src pin = SRC_AUTO;
	size_t i;

	*state = NULL;
	h->config_string(h, "region", &region);
	h->config_string(h, "audience", &aud);
	h->config_string(h, "signing_algorithm", &alg);
	h->config_string(h, "sts_endpoint", &ep);
	h->config_string(h, "credentials", &cred);
	h->config_string(h, "role_session_name", &sess);
	h->config_int(h, "duration_seconds", &dur);
	if (alg != NULL && strcmp(alg, "RS256") != 0 && strcmp(alg, "ES384") != 0) {
		h->set_error(h, "signing_algorithm \"%s\" must be RS256 or ES384 "
		    "(what GetWebIdentityToken offers)", alg);
		return WIF_E_CONFIG;
	}
	if (dur < 60 || dur > 3600) {
		h->set_error(h, "duration_seconds %lld must be between 60 and "
		    "3600", (long long)dur);
		return WIF_E_CONFIG;
	}
	if (aud != NULL && (aud[0] == '\0' || strlen(aud) > 1000)) {
		h->set_error(h, "audience must be 1 to 1000 characters");
		return WIF_E_CONFIG;
	}
	if (region != NULL && (!tb_segment_ok(region) ||
	    strcmp(region, "aws-global") == 0)) {
		h->set_error(h, "region \"%s\" must be a region such as "
		    "us-east-1: GetWebIdentityToken is served by regional STS "
		    "endpoints only", region);
		return WIF_E_CONFIG;
	}
	if (ep != NULL && (strncmp(ep, "https://", 8) != 0 &&
	    strncmp(ep, "http://", 7) != 0)) {
		h->set_error(h, "sts_endpoint \"%s\" must be an https:// URL (or "
		    "http:// to a loopback test server)", ep);
		return WIF_E_CONFIG;
	}
	if (ep != NULL && (strstr(ep, "://sts.amazonaws.com") != NULL)) {
		h->set_error(h, "sts_endpoint %s is the global STS endpoint, which "
		    "does not serve GetWebIdentityToken: use a regional one "
		    "(https://sts.<region>.amazonaws.com)", ep);
		return WIF_E_CONFIG;
	}
	if (cred != NULL) {
		for (i = 0; i < 5 && strcmp(cred, src_names[i]) != 0; i++)
			;
		if (i == 5) {
			h->set_error(h, "credentials \"%s\" must be auto, env, "
			    "web_identity, container or imds", cred);
			return WIF_E_CONFIG;
		}
		pin = (enum cred_src)i;
	}
	for (i = 0; h->config_list_string(h, "tags", i, &tag) == WIF_OK; i++)
		if (i >= MAX_TAGS || !tag_ok(tag)) {
			h->set_error(h, "tags: \"%s\" must be key=value (key 1-128, "
			    "value up to 256 characters; at most %d tags)",
			    tag ? tag : "", MAX_TAGS);
			return WIF_E_CONFIG;
		}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	st->region_cfg = region;
	st->audience = aud;
	st->alg = alg ? alg : "RS256";
	/* SigV4 signs the host in lower case; curl sends it as written, so
	 * the URL gets the signed spelling. */
	if (ep != NULL) {
		char *q;

		if ((st->endpoint_lc = strdup(ep)) == NULL) {
			free(st);
			h->set_error(h, "out of memory");
			return WIF_E_NOMEM;
		}
		for (q = strstr(st->endpoint_lc, "://") + 3; *q && *q != '/' &&
		    *q != '?'; q++)
			if (*q >= 'A' && *q <= 'Z')
				*q = (char)(*q - 'A' + 'a');
		ep = st->endpoint_lc;
	}
	st->endpoint = ep;
	st->session_name = sess;
	st->duration = dur;
	st->pinned = pin;
	*state = st;
	return WIF_OK;
}

static const char *
region_of(struct aws_state *st)
{
	const struct wif_host *h = st->h;

	if (st->region_cfg != NULL)
		return st->region_cfg;
	if (env(h, "AWS_REGION") != NULL)
		return env(h, "AWS_REGION");
	return env(h, "AWS_DEFAULT_REGION");
}

/* A region is a name of [A-Za-z0-9._@-]: it goes into the URL and into the
 * signature's credential scope as it is. */
static int
region_check(const struct wif_host *h, const char *region)
{
	if (region != NULL && (!tb_segment_ok(region) ||
	    strcmp(region, "aws-global") == 0)) {
		h->set_error(h, "region \"%.64s\" (from %s) is not a region such "
		    "as us-east-1: GetWebIdentityToken is served by regional "
		    "endpoints only", region, env(h, "AWS_REGION") != NULL ?
		    "AWS_REGION" : "AWS_DEFAULT_REGION");
		return WIF_E_CONFIG;
	}
	return WIF_OK;
}

/* The STS URL for region (or sts_endpoint), with a trailing '/'. */
static int
sts_url(struct aws_state *st, const char *region, struct textbuf *u)
{
	const struct wif_host *h = st->h;

	if (st->endpoint != NULL) {
		tb_add(u, st->endpoint);
		if (u->len == 0 || u->p[u->len - 1] != '/')
			tb_add(u, "/");
		return WIF_OK;
	}
	if (region == NULL) {
		h->set_error(h, "no region: set region, AWS_REGION or "
		    "AWS_DEFAULT_REGION (GetWebIdentityToken is regional)");
		return WIF_E_CONFIG;
	}
	tb_add(u, "https://sts.");
	tb_add(u, region);
	tb_add(u, strncmp(region, "cn-", 3) == 0 ? ".amazonaws.com.cn/" :
	    ".amazonaws.com/");
	return WIF_OK;
}

/* ISO 8601 UTC (2026-04-21T07:37:10.000Z or ...Z) to epoch seconds. */
static int64_t
iso8601(const char *s)
{
	struct tm tm;
	int y, mo, d, hh, mm, ss;

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &hh,
	    &mm, &ss) != 6)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	return (int64_t)timegm(&tm);
}

static void
http_init(struct wif_http_request *hr, const char *method, const char *url,
          const char *const *headers)
{
	memset(hr, 0, sizeof(*hr));
	hr->struct_size = sizeof(*hr);
	hr->abi_major = WIF_PROVIDER_ABI_MAJOR;
	hr->abi_minor = WIF_PROVIDER_ABI_MINOR;
	hr->method = method;
	hr->url = url;
	hr->headers = headers;
	hr->max_body = 64 * 1024;
	hr->flags = WIF_HTTP_RETRY;
}

/* An STS <ErrorResponse> as advice; WIF_E_PROVIDER. */
static int
sts_error(struct aws_state *st, const char *action,
          const struct wif_http_response *resp)
{
	const struct wif_host *h = st->h;
	char code[128] = "", msg[300] = "";
	const char *advice = "";
	size_t i;

	if (xml_text(resp->body, resp->body_len, "Code", code, sizeof(code)) < 0)
		code[0] = '\0';
	if (xml_text(resp->body, resp->body_len, "Message", msg, sizeof(msg)) < 0)
		msg[0] = '\0';
	for (i = 0; msg[i]; i++)
		if (msg[i] < 0x20 || msg[i] > 0x7e)
			msg[i] = '?';
	for (i = 0; code[i]; i++)
		if (code[i] < 0x20 || code[i] > 0x7e)
			code[i] = '?';
	if (strcmp(code, "OutboundWebIdentityFederationDisabledException") == 0)
		advice = " (enable outbound identity federation in the IAM "
		    "console: Account settings, or `aws iam "
		    "enable-outbound-web-identity-federation`)";
	else if (strcmp(code, "AccessDenied") == 0)
		advice = strcmp(action, "GetWebIdentityToken") == 0 ?
		    " (the role needs sts:GetWebIdentityToken, and any "
		    "sts:IdentityTokenAudience/sts:DurationSeconds conditions must "
		    "allow this request)" : " (the role's trust policy must allow "
		    "this web identity to sts:AssumeRoleWithWebIdentity)";
	else if (strcmp(code, "SignatureDoesNotMatch") == 0 ||
	    strcmp(code, "InvalidClientTokenId") == 0 ||
	    strcmp(code, "ExpiredToken") == 0)
		advice = " (the AWS credentials are wrong or expired, or the "
		    "clock is off by more than 5 minutes)";
	else if (strcmp(code, "SessionDurationEscalationException") == 0)
		advice = " (duration_seconds exceeds what the role allows)";
	h->set_error(h, "STS %s answered HTTP %ld%s%s%s%s%s", action,
	    resp->status, code[0] ? " " : "", code, msg[0] ? ": " : "", msg,
	    advice);
	return WIF_E_PROVIDER;
}

/* ---- the credential chain -------------------------------------------- */

static int
cred_text_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return n > 0;
}

static int
set_creds(struct aws_state *st, const char *akid, size_t al, const char *sec,
          size_t sl, const char *tok, size_t tl, int64_t exp,
          enum cred_src from)
{
	const struct wif_host *h = st->h;
	static const char *const src_what[] = { "", "the environment",
	    "AssumeRoleWithWebIdentity", "container credentials",
	    "instance metadata" };

	creds_clear(h, &st->c);
	/* They go into HTTP headers and the signature as they are: printable
	 * ASCII without spaces, or nothing (a header could be split). */
	if (!cred_text_ok(akid, al) || !cred_text_ok(sec, sl) ||
	    (tok != NULL && !cred_text_ok(tok, tl))) {
		h->set_error(h, "the AWS credentials from %s hold characters no "
		    "key or session token has (control characters, spaces or "
		    "non-ASCII)", src_what[from < 5 ? from : 0]);
		return WIF_E_PARSE;
	}
	/* Temporary credentials without a readable Expiration are kept a
	 * short while, never for ever. */
	if (from != SRC_ENV && exp <= 0)
		exp = h->now(h) + REFRESH_BEFORE + 600;
	st->c.akid = h->secure_strndup(h, akid, al);
	st->c.secret = h->secure_strndup(h, sec, sl);
	st->c.token = tok ? h->secure_strndup(h, tok, tl) : NULL;
	st->c.expires = exp;
	st->c.from = from;
	if (st->c.akid == NULL || st->c.secret == NULL ||
	    (tok != NULL && st->c.token == NULL)) {
		creds_clear(h, &st->c);
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	return WIF_OK;
}

static int
creds_env(struct aws_state *st)
{
	const struct wif_host *h = st->h;
	const char *a = env(h, "AWS_ACCESS_KEY_ID"), *s = env(h,
	    "AWS_SECRET_ACCESS_KEY"), *t = env(h, "AWS_SESSION_TOKEN");

	if (a == NULL || s == NULL)
		return WIF_E_NOT_APPLICABLE;
	if (t != NULL && t[0] == '\0')
		t = NULL; /* set but empty: no session token */
	return set_creds(st, a, strlen(a), s, strlen(s), t, t ? strlen(t) : 0,
	    0, SRC_ENV);
}

/* JSON {AccessKeyId, SecretAccessKey, Token, Expiration} (container, IMDS). */
static int
creds_from_json(struct aws_state *st, const char *what,
                const struct wif_http_response *resp, enum cred_src from)
{
	const struct wif_host *h = st->h;
	struct wif_json *doc = NULL;
	const char *a = NULL, *s = NULL, *t = NULL, *e = NULL, *code = NULL;
	int r;

	if (h->json_parse(h, resp->body, resp->body_len, &doc) != WIF_OK) {
		h->set_error(h, "%s: the answer is not JSON", what);
		return WIF_E_PARSE;
	}
	if (h->json_get_string(h, doc, "/Code", &code) == WIF_OK && code &&
	    strcmp(code, "Success") != 0) {
		h->set_error(h, "%s: Code %.64s", what, tb_segment_ok(code) ?
		    code : "(not printable)");
		h->json_free(h, doc);
		return WIF_E_PROVIDER;
	}
	/* absent is not an error for Token and Expiration; a value that is
	 * not a usable string is, for all four */
	if (h->json_get_string(h, doc, "/AccessKeyId", &a) == WIF_E_PARSE ||
	    h->json_get_string(h, doc, "/SecretAccessKey", &s) == WIF_E_PARSE ||
	    h->json_get_string(h, doc, "/Token", &t) == WIF_E_PARSE ||
	    h->json_get_string(h, doc, "/Expiration", &e) == WIF_E_PARSE) {
		h->set_error(h, "%s: AccessKeyId, SecretAccessKey, Token and "
		    "Expiration must be strings (without \\u0000)", what);
		h->json_free(h, doc);
		return WIF_E_PARSE;
	}
	if (a == NULL || s == NULL || a[0] == '\0' || s[0] == '\0') {
		h->set_error(h, "%s: no AccessKeyId/SecretAccessKey in the answer",
		    what);
		h->json_free(h, doc);
		return WIF_E_PARSE;
	}
	r = set_creds(st, a, strlen(a), s, strlen(s), t, t ? strlen(t) : 0,
	    iso8601(e), from);
	h->json_free(h, doc);
	return r;
}

static int
creds_web_identity(struct aws_state *st, const char *region)
{
	const struct wif_host *h = st->h;
	const char *tf = env(h, "AWS_WEB_IDENTITY_TOKEN_FILE"), *role = env(h,
	    "AWS_ROLE_ARN"), *sess = st->session_name ? st->session_name :
	    env(h, "AWS_ROLE_SESSION_NAME");
	const char *headers[] = { "Content-Type: application/x-www-form-"
	    "urlencoded; charset=utf-8", NULL };
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct textbuf u, b;
	char *file = NULL, *jwt, akid[256], *sec = NULL, *tok = NULL, exp[64];
	char defsess[64];
	size_t len = 0;
	long al;
	int r;

	if (tf == NULL || role == NULL)
		return WIF_E_NOT_APPLICABLE;
	if ((r = h->read_file(h, tf, 16384, 0, &file, &len)) != WIF_OK) {
		h->set_error(h, "cannot read AWS_WEB_IDENTITY_TOKEN_FILE %s: %s",
		    tf, h->strerror(r));
		return r;
	}
	jwt = jwtshape_trim(file, &len);
	if (sess == NULL) {
		snprintf(defsess, sizeof(defsess), "wif-%lld",
		    (long long)h->now(h));
		sess = defsess;
	}
	tb_init(&u, h);
	tb_init(&b, h);
	if ((r = sts_url(st, region, &u)) != WIF_OK)
		goto out;
	tb_add(&b, "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=");
	tb_add_pct(&b, role);
	tb_add(&b, "&RoleSessionName=");
	tb_add_pct(&b, sess);
	tb_add(&b, "&WebIdentityToken=");
	tb_add_pct(&b, jwt);
	if (u.failed || b.failed) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	http_init(&hr, "POST", u.p, headers);
	hr.body = b.p;
	hr.body_len = b.len;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "STS AssumeRoleWithWebIdentity at %s: %s", u.p,
		    h->strerror(r));
		goto out;
	}
	if (resp->status != 200) {
		r = sts_error(st, "AssumeRoleWithWebIdentity", resp);
		goto out;
	}
	sec = h->secure_alloc(h, 256);
	tok = h->secure_alloc(h, 8192);
	if (sec == NULL || tok == NULL) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	if ((al = xml_text(resp->body, resp->body_len, "AccessKeyId", akid,
	    sizeof(akid))) <= 0 ||
	    xml_text(resp->body, resp->body_len, "SecretAccessKey", sec, 256) <= 0 ||
	    xml_text(resp->body, resp->body_len, "SessionToken", tok, 8192) <= 0) {
		h->set_error(h, "STS AssumeRoleWithWebIdentity: no Credentials in "
		    "the answer");
		r = WIF_E_PARSE;
		goto out;
	}
	if (xml_text(resp->body, resp->body_len, "Expiration", exp,
	    sizeof(exp)) < 0)
		exp[0] = '\0';
	r = set_creds(st, akid, (size_t)al, sec, strlen(sec), tok, strlen(tok),
	    iso8601(exp), SRC_WEB);
out:
	if (resp != NULL)
		h->http_free(h, resp);
	h->secure_free(h, file);
	h->secure_free(h, sec);
	h->secure_free(h, tok);
	tb_free(&u);
	tb_free(&b);
	return r;
}

static int
creds_container(struct aws_state *st)
{
	const struct wif_host *h = st->h;
	const char *full = env(h, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *rel = env(h, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *tokf = env(h, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tokv = env(h, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *headers[2] = { NULL, NULL };
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct textbuf u, a;
	char *file = NULL, *t;
	size_t len = 0;
	int r;

	if (full == NULL && rel == NULL)
		return WIF_E_NOT_APPLICABLE;
	tb_init(&u, h);
	tb_init(&a, h);
	if (rel != NULL) {
		tb_add(&u, ECS_BASE);
		tb_add(&u, rel[0] == '/' ? "" : "/");
		tb_add(&u, rel);
	} else
		tb_add(&u, full);
	if (tokf != NULL) {
		if ((r = h->read_file(h, tokf, 16384, 0, &file, &len)) !=
		    WIF_OK) {
			h->set_error(h, "cannot read "
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s: %s", tokf,
			    h->strerror(r));
			goto out;
		}
		t = jwtshape_trim(file, &len);
		tb_add(&a, "Authorization: ");
		tb_add(&a, t);
	} else if (tokv != NULL) {
		tb_add(&a, "Authorization: ");
		tb_add(&a, tokv);
	}
	if (u.failed || a.failed || (a.p != NULL && strpbrk(a.p, "\r\n"))) {
		h->set_error(h, "the container credentials URL or authorization "
		    "token is unusable");
		r = WIF_E_CONFIG;
		goto out;
	}
	headers[0] = a.p;
	http_init(&hr, "GET", u.p, a.p ? headers : NULL);
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "container credentials endpoint %s: %s%s", u.p,
		    h->strerror(r), r == WIF_E_POLICY ? " (it must be the ECS/EKS "
		    "link-local address, loopback or https)" : "");
		goto out;
	}
	if (resp->status != 200) {
		h->set_error(h, "container credentials endpoint %s answered HTTP "
		    "%ld", u.p, resp->status);
		r = WIF_E_PROVIDER;
		goto out;
	}
	r = creds_from_json(st, "container credentials endpoint", resp,
	    SRC_CONTAINER);
out:
	if (resp != NULL)
		h->http_free(h, resp);
	h->secure_free(h, file);
	tb_free(&u);
	tb_free(&a);
	return r;
}

static int
creds_imds(struct aws_state *st)
{
	const struct wif_host *h = st->h;
	const char *dis = env(h, "AWS_EC2_METADATA_DISABLED");
	const char *base = env(h, "AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *put_hdr[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600",
	    NULL };
	const char *get_hdr[2] = { NULL, NULL };
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct textbuf u, th;
	char role[256], what[128];
	size_t n;
	int r;

	if (dis != NULL && strcasecmp(dis, "true") == 0)
		return WIF_E_NOT_APPLICABLE;
	if (base == NULL)
		base = DEFAULT_IMDS;
	snprintf(what, sizeof(what), "EC2 instance metadata (%s)", base);
	tb_init(&u, h);
	tb_init(&th, h);
	tb_add(&u, base);
	if (u.len > 0 && u.p[u.len - 1] == '/')
		u.p[--u.len] = '\0';
	n = u.len;
	tb_add(&u, "/latest/api/token");
	if (u.failed) {
		r = WIF_E_NOMEM;
		goto out;
	}
	http_init(&hr, "PUT", u.p, put_hdr);
	hr.timeout_ms = 2000;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "%s did not answer: %s; not an EC2 instance?",
		    what, h->strerror(r));
		goto out;
	}
	if (resp->status != 200 || resp->body_len == 0 ||
	    resp->body_len > 4096) {
		h->set_error(h, "%s: the session token request answered HTTP %ld "
		    "(IMDSv2 disabled, or a hop limit of 1 in a container?)",
		    what, resp->status);
		r = WIF_E_PROVIDER;
		goto out;
	}
	tb_add(&th, "X-aws-ec2-metadata-token: ");
	tb_addn(&th, resp->body, resp->body_len);
	h->http_free(h, resp);
	resp = NULL;
	if (th.failed || strpbrk(th.p, "\r\n") != NULL) {
		h->set_error(h, "%s: an unusable session token", what);
		r = WIF_E_PARSE;
		goto out;
	}
	get_hdr[0] = th.p;
	u.p[n] = '\0';
	u.len = n;
	tb_add(&u, "/latest/meta-data/iam/security-credentials/");
	http_init(&hr, "GET", u.p, get_hdr);
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "%s: %s", what, h->strerror(r));
		goto out;
	}
	if (resp->status != 200 || resp->body_len == 0) {
		h->set_error(h, "%s: no instance profile (HTTP %ld): attach an "
		    "IAM role to the instance", what, resp->status);
		r = WIF_E_PROVIDER;
		goto out;
	}
	n = strcspn(resp->body, "\r\n");
	if (n == 0 || n >= sizeof(role)) {
		h->set_error(h, "%s: an unusable role name", what);
		r = WIF_E_PARSE;
		goto out;
	}
	memcpy(role, resp->body, n);
	role[n] = '\0';
	h->http_free(h, resp);
	resp = NULL;
	/* IAM role names: 1-64 of [A-Za-z0-9+=,.@_-] */
	if (n > 64 || strspn(role, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklm"
	    "nopqrstuvwxyz0123456789+=,.@_-") != n || strcmp(role, ".") == 0 ||
	    strcmp(role, "..") == 0) {
		h->set_error(h, "%s: an unusable role name", what);
		r = WIF_E_PARSE;
		goto out;
	}
	tb_add_pct(&u, role);
	http_init(&hr, "GET", u.p, get_hdr);
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "%s: %s", what, h->strerror(r));
		goto out;
	}
	if (resp->status != 200) {
		h->set_error(h, "%s: the credentials of role %s answered HTTP %ld",
		    what, role, resp->status);
		r = WIF_E_PROVIDER;
		goto out;
	}
	r = creds_from_json(st, what, resp, SRC_IMDS);
out:
	if (resp != NULL)
		h->http_free(h, resp);
	tb_free(&u);
	tb_free(&th);
	return r;
}

/* Credentials valid for a while yet: kept ones, or the chain's first. */
static int
get_creds(struct aws_state *st, const char *region)
{
	const struct wif_host *h = st->h;
	int r;

	if (st->c.akid != NULL && (st->c.expires == 0 ||
	    st->c.expires - h->now(h) > REFRESH_BEFORE))
		return WIF_OK;
	creds_clear(h, &st->c);
	switch (st->pinned) {
	case SRC_ENV:
		r = creds_env(st);
		break;
	case SRC_WEB:
		r = creds_web_identity(st, region);
		break;
	case SRC_CONTAINER:
		r = creds_container(st);
		break;
	case SRC_IMDS:
		r = creds_imds(st);
		break;
	default:
		if ((r = creds_env(st)) == WIF_E_NOT_APPLICABLE &&
		    (r = creds_web_identity(st, region)) == WIF_E_NOT_APPLICABLE &&
		    (r = creds_container(st)) == WIF_E_NOT_APPLICABLE)
			r = creds_imds(st);
		break;
	}
	if (r == WIF_E_NOT_APPLICABLE)
		h->set_error(h, "no AWS credentials from %s: set "
		    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a web identity "
		    "(AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN), container "
		    "credentials, or run on EC2 with an instance profile",
		    src_names[st->pinned]);
	if (r == WIF_OK)
		snprintf(st->last_src, sizeof(st->last_src), "%s",
		    src_names[st->c.from]);
	return r;
}

/* Does an STS error say the signing credentials are bad or expired? */
static int
creds_refused(const struct wif_http_response *resp)
{
	char code[128];

	if (xml_text(resp->body, resp->body_len, "Code", code, sizeof(code)) < 0)
		return 0;
	return strcmp(code, "ExpiredToken") == 0 ||
	    strcmp(code, "InvalidClientTokenId") == 0 ||
	    strcmp(code, "SignatureDoesNotMatch") == 0 ||
	    strcmp(code, "UnrecognizedClientException") == 0;
}

/* ---- GetWebIdentityToken ----------------------------------------------- */

static int
aws_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct aws_state *st = state;
	const struct wif_host *h = st->h;
	const char *region = region_of(st), *aud, *tag = NULL;
	const char *hdrs[5];
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct textbuf u, b, dateh, tokh;
	char amz[20], num[40], *authz = NULL, *authh = NULL, *out = NULL;
	struct sigv4 sv;
	time_t now;
	struct tm tm;
	size_t i, nh = 0;
	long n;
	int r;

	*jwt = NULL;
	aud = st->audience ? st->audience : req->audience && req->audience[0] ?
	    req->audience : ANTHROPIC_AUDIENCE;
	tb_init(&u, h);
	tb_init(&b, h);
	tb_init(&dateh, h);
	tb_init(&tokh, h);
	/* the configured region was checked by init; the environment's now */
	if (st->region_cfg == NULL && (r = region_check(h, region)) != WIF_OK)
		goto out;
	if ((r = sts_url(st, region, &u)) != WIF_OK)
		goto out;
	if (region == NULL && st->endpoint != NULL) {
		h->set_error(h, "no region to sign for: set region (or "
		    "AWS_REGION) to the endpoint's region");
		r = WIF_E_CONFIG;
		goto out;
	}
	if ((r = get_creds(st, region)) != WIF_OK)
		goto out;
	tb_add(&b, "Action=GetWebIdentityToken&Version=2011-06-15"
	    "&Audience.member.1=");
	tb_add_pct(&b, aud);
	tb_add(&b, "&SigningAlgorithm=");
	tb_add(&b, st->alg);
	snprintf(num, sizeof(num), "&DurationSeconds=%lld",
	    (long long)st->duration);
	tb_add(&b, num);
	for (i = 0; h->config_list_string(h, "tags", i, &tag) == WIF_OK; i++) {
		const char *eq = strchr(tag, '=');
		char k[160];

		snprintf(num, sizeof(num), "&Tags.member.%zu.Key=", i + 1);
		tb_add(&b, num);
		snprintf(k, sizeof(k), "%.*s", (int)(eq - tag), tag);
		tb_add_pct(&b, k);
		snprintf(num, sizeof(num), "&Tags.member.%zu.Value=", i + 1);
		tb_add(&b, num);
		tb_add_pct(&b, eq + 1);
	}
	now = (time_t)h->now(h);
	gmtime_r(&now, &tm);
	strftime(amz, sizeof(amz), "%Y%m%dT%H%M%SZ", &tm);
	tb_add(&dateh, "X-Amz-Date: ");
	tb_add(&dateh, amz);
	hdrs[nh++] = "Content-Type: application/x-www-form-urlencoded; "
	    "charset=utf-8";
	hdrs[nh++] = dateh.p;
	if (st->c.token != NULL) {
		tb_add(&tokh, "X-Amz-Security-Token: ");
		tb_add(&tokh, st->c.token);
		hdrs[nh++] = tokh.p;
	}
	hdrs[nh] = NULL;
	if (u.failed || b.failed || dateh.failed || tokh.failed) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	memset(&sv, 0, sizeof(sv));
	sv.method = "POST";
	sv.url = u.p;
	sv.headers = hdrs;
	sv.body = b.p;
	sv.body_len = b.len;
	sv.region = region;
	sv.service = "sts";
	sv.amz_date = amz;
	sv.akid = st->c.akid;
	sv.secret = st->c.secret;
	if ((r = sigv4_sign(h, &sv, &authz)) != WIF_OK) {
		h->set_error(h, "cannot sign the STS request (SigV4): %s",
		    h->strerror(r));
		goto out;
	}
	{
		struct textbuf a;

		tb_init(&a, h);
		tb_add(&a, "Authorization: ");
		tb_add(&a, authz);
		if ((authh = tb_take(&a)) == NULL) {
			h->set_error(h, "out of memory");
			r = WIF_E_NOMEM;
			goto out;
		}
	}
	hdrs[nh++] = authh;
	hdrs[nh] = NULL;
	http_init(&hr, "POST", u.p, hdrs);
	hr.body = b.p;
	hr.body_len = b.len;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "STS GetWebIdentityToken at %s: %s", u.p,
		    h->strerror(r));
		goto out;
	}
	if (resp->status != 200) {
		r = sts_error(st, "GetWebIdentityToken", resp);
		/* credentials the server refused are not kept (STS says so
		 * with 403, and with 400 for an expired session token) */
		if (resp->status == 403 || creds_refused(resp))
			creds_clear(h, &st->c);
		goto out;
	}
	if ((out = h->secure_alloc(h, resp->body_len + 1)) == NULL) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	n = xml_text(resp->body, resp->body_len, "WebIdentityToken", out,
	    resp->body_len + 1);
	if (n <= 0) {
		h->set_error(h, "STS GetWebIdentityToken: %s", n == -2 ?
		    "the answer is not acceptable XML (a DTD, an entity, or "
		    "malformed text)" : "no WebIdentityToken in the answer");
		r = WIF_E_PARSE;
		goto out;
	}
	if (!jwtshape_ok(h, out, (size_t)n)) {
		h->set_error(h, "STS GetWebIdentityToken: the WebIdentityToken "
		    "is not a JWT");
		r = WIF_E_JWT;
		goto out;
	}
	*jwt = out;
	out = NULL;
	r = WIF_OK;
out:
	if (resp != NULL)
		h->http_free(h, resp);
	h->secure_free(h, out);
	h->secure_free(h, authz);
	h->secure_free(h, authh);
	tb_free(&u);
	tb_free(&b);
	tb_free(&dateh);
	tb_free(&tokh);
	return r;
}

static int
aws_describe(void *state, char *buf, size_t len)
{
	struct aws_state *st = state;

	if (st->last_src[0] == '\0')
		return WIF_E_NOT_FOUND;
	snprintf(buf, len, "signing with %s credentials%s", st->last_src,
	    st->c.expires ? " (temporary)" : "");
	return WIF_OK;
}

static void
aws_destroy(void *state)
{
	struct aws_state *st = state;

	if (st == NULL)
		return;
	creds_clear(st->h, &st->c);
	free(st->endpoint_lc);
	free(st);
}

/* AWS's own variables; never a metadata probe. */
static int
aws_detect(const struct wif_host *h)
{
	return env(h, "AWS_ACCESS_KEY_ID") != NULL ||
	    env(h, "AWS_WEB_IDENTITY_TOKEN_FILE") != NULL ||
	    env(h, "AWS_CONTAINER_CREDENTIALS_FULL_URI") != NULL ||
	    env(h, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != NULL ||
	    env(h, "AWS_EC2_METADATA_SERVICE_ENDPOINT") != NULL;
}

static const struct wif_option aws_options[] = {
	{ "region", WIF_OPT_STRING, 0,
	  "the STS region (default $AWS_REGION, then $AWS_DEFAULT_REGION)" },
	{ "audience", WIF_OPT_STRING, 0,
	  "Audience.member.1 (default https://api.anthropic.com)" },
	{ "signing_algorithm", WIF_OPT_STRING, 0, "RS256 (default) or ES384" },
	{ "duration_seconds", WIF_OPT_INT, 0, "60..3600 (default 300)" },
	{ "tags", WIF_OPT_STRING_LIST, 0,
	  "session tags \"key=value\" that become claims (at most 50)" },
	{ "credentials", WIF_OPT_STRING, 0,
	  "auto (the chain, default), env, web_identity, container or imds" },
	{ "role_session_name", WIF_OPT_STRING, 0,
	  "web_identity: default $AWS_ROLE_SESSION_NAME, then wif-<time>" },
	{ "sts_endpoint", WIF_OPT_STRING, 0,
	  "a regional or VPC STS endpoint URL (default https://sts.<region>.amazonaws.com)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider aws_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "aws",
	.description = "an AWS STS GetWebIdentityToken JWT for the role's credentials",
	.version = "1",
	.flags = 0,
	.options = aws_options,
	.init = aws_init,
	.fetch_identity_token = aws_fetch,
	.destroy = aws_destroy,
	.detect = aws_detect,
	.describe = aws_describe,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	if (out == NULL)
		return WIF_E_INVALID_ARG;
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &aws_provider;
	return WIF_OK;
}
