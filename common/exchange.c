/* exchange.c - one token exchange (anthropic, RFC 8693, identity); see exchange.h. */
#include "config.h"

#include <curl/curl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "err.h"
#include "exchange.h"
#include "fileio.h"
#include "json.h"
#include "secmem.h"

#define EX_TOKEN_PATH "/v1/oauth/token"
#define EX_MAX_URL 2048
#define EX_MAX_ACCESS_TOKEN 8192
#define EX_MAX_SCOPE 1024
#define EX_MAX_MESSAGE 256
#define EX_MAX_REQUEST_BODY (64 * 1024)
#define EX_MAX_CLIENT_SECRET 4096
#define EX_MAX_RETRY_AFTER_MS 60000
/* A run of base64/base64url characters this long in a server message is
 * more likely a token than prose: it is replaced, never shown. */
#define EX_REDACT_RUN 40

#define TE_GRANT "urn:ietf:params:oauth:grant-type:token-exchange"
#define TE_JWT "urn:ietf:params:oauth:token-type:jwt"
#define TE_ACCESS_TOKEN "urn:ietf:params:oauth:token-type:access_token"

static const char denied_hint_anthropic[] =
    "Ensure your federation rule matches your identity token (issuer, "
    "audience, subject); if the rule is scoped to several workspaces, set "
    "workspace_id (ANTHROPIC_WORKSPACE_ID); see Console \xe2\x86\x92 Workload "
    "identity \xe2\x86\x92 authentication history for the reason";
static const char denied_hint_sts[] =
    "Ensure the token service trusts this identity token (issuer, audience, "
    "subject) and, when client_id is set, that the client may use token "
    "exchange; the service's logs give the reason";

/* ---- small text helpers ---------------------------------------------- */

static int
is_tokenish(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~' || c == '+' || c == '/' || c == '=';
}

/*
 * Copy server text for a message: control characters (C0, DEL, C1) dropped,
 * token-like runs replaced, at most EX_MAX_MESSAGE bytes, never ending
 * inside a UTF-8 sequence.
 */
static void
clean_text(const char *src, size_t n, char *dst, size_t dstsz)
{
	static const char red[] = "[redacted]";
	size_t i = 0, o = 0, run, lim = dstsz - 1, k, need;
	unsigned char c;

	if (lim > EX_MAX_MESSAGE)
		lim = EX_MAX_MESSAGE;
	while (i < n && o < lim) {
		c = (unsigned char)src[i];
		if (is_tokenish(c)) {
			for (run = 0; i + run < n &&
			    is_tokenish((unsigned char)src[i + run]); run++)
				;
			if (run >= EX_REDACT_RUN) {
				if (o + sizeof(red) - 1 > lim)
					break;
				memcpy(dst + o, red, sizeof(red) - 1);
				o += sizeof(red) - 1;
			} else {
				if (run > lim - o)
					run = lim - o;
				memcpy(dst + o, src + i, run);
				o += run;
			}
			i += run;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			i++;
			continue;
		}
		if (c == 0xc2 && i + 1 < n && (unsigned char)src[i + 1] >= 0x80 &&
		    (unsigned char)src[i + 1] <= 0x9f) {
			i += 2;
			continue;
		}
		dst[o++] = (char)c;
		i++;
	}
	/* Do not end inside a multi-byte sequence. */
	for (k = o; k > 0 && ((unsigned char)dst[k - 1] & 0xc0) == 0x80 &&
	    o - k < 3; k--)
		;
	if (k > 0 && (unsigned char)dst[k - 1] >= 0xc0) {
		c = (unsigned char)dst[k - 1];
		need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (o - (k - 1) < need)
			o = k - 1;
	}
	dst[o] = '\0';
}

/* Printable ASCII only, at most dstsz - 1 bytes (header-borne ids). */
static void
clean_id(const char *src, char *dst, size_t dstsz, int word_only)
{
	size_t o = 0;
	unsigned char c;

	for (; src != NULL && *src != '\0' && o + 1 < dstsz; src++) {
		c = (unsigned char)*src;
		if (c <= 0x20 || c >= 0x7f)
			continue;
		if (word_only && !(c == '_' || c == '-' || c == '.' ||
		    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9')))
			continue;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
}

void
wif_exchange_origin(const char *url, char *buf, size_t len)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *port = NULL;

	snprintf(buf, len, "(invalid URL)");
	if (url == NULL || strlen(url) > EX_MAX_URL || (u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
			port = NULL;
		snprintf(buf, len, "%s://%s%s%s", scheme, host,
		    port != NULL ? ":" : "", port != NULL ? port : "");
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

int
wif_exchange_url_ok(const char *url)
{
	CURLU *u = NULL;
	char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
	const char *auth, *end;
	int ok = 0;

	if (url == NULL || strlen(url) > EX_MAX_URL)
		return 0;
	/* Userinfo is refused even where curl would parse it differently. */
	if ((auth = strstr(url, "://")) == NULL)
		return 0;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return 0;
	if ((u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    host[0] == '\0')
		goto out;
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "https") == 0)
		ok = 1;
	else if (strcasecmp(scheme, "http") == 0)
		ok = strcasecmp(host, "localhost") == 0 ||
		    strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(pass);
	curl_url_cleanup(u);
	return ok;
}

/* ---- request bodies, built in secure memory --------------------------- *
 * Built by hand rather than with json-c: json-c would copy the assertion
 * into ordinary heap (its string objects and print buffer) and free it
 * unwiped.  Key order and escaping are fixed, so the bytes are exact. */

struct sbuf {
	char *p;        /* secure memory, NUL-terminated */
	size_t len, cap;
	int r;
};

static void
sb_add(struct sbuf *b, const void *s, size_t n)
{
	char *np;
	size_t ncap;

	if (b->r != WIF_OK)
		return;
	if (n > EX_MAX_REQUEST_BODY - b->len) {
		b->r = WIF_E_TOO_BIG;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		for (ncap = b->cap ? b->cap : 1024; ncap < b->len + n + 1; )
			ncap *= 2;
		if ((np = wif_secmem_alloc(ncap)) == NULL) {
			b->r = WIF_E_NOMEM;
			return;
		}
		if (b->len > 0)
			memcpy(np, b->p, b->len);
		wif_secmem_free(b->p);
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_json_string(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char esc[6];
	size_t i, start = 0;
	unsigned char c;

	sb_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		sb_add(b, s + start, i - start);
		start = i + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			sb_add(b, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			sb_add(b, esc, 6);
		}
	}
	sb_add(b, s + start, n - start);
	sb_add(b, "\"", 1);
}

/* RFC 3986 unreserved characters stay, everything else is %XX. */
static void
sb_pct(struct sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3];
	size_t i, start = 0;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~')
			continue;
		sb_add(b, s + start, i - start);
		start = i + 1;
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 0xf];
		sb_add(b, esc, 3);
	}
	sb_add(b, s + start, n - start);
}

static int
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static void
json_field(struct sbuf *b, const char *key, const char *v, size_t vlen)
{
	sb_add(b, b->len > 1 ? ",\"" : "\"", b->len > 1 ? 2 : 1);
	sb_str(b, key);
	sb_add(b, "\":", 2);
	sb_json_string(b, v, vlen);
}

static void
form_field(struct sbuf *b, const char *key, const char *v, size_t vlen)
{
	if (b->len > 0)
		sb_add(b, "&", 1);
	sb_str(b, key);
	sb_add(b, "=", 1);
	sb_pct(b, v, vlen);
}

/* ---- the response ----------------------------------------------------- */

static json_object *
parse_json(const char *body, size_t len)
{
	json_tokener *tok;
	json_object *o = NULL;
	size_t end;

	if (body == NULL || len == 0 || len > WIF_EXCHANGE_MAX_BODY ||
	    (tok = json_tokener_new_ex(WIF_JSON_MAX_DEPTH)) == NULL)
		return NULL;
	o = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (o != NULL && json_tokener_get_error(tok) == json_tokener_success) {
		while (end < len && body[end] != '\0' &&
		    strchr(" \t\r\n", body[end]) != NULL)
			end++;
	}
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    end != len || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* The member key of o, or NULL when absent or JSON null. */
static json_object *
member(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *
member_string(json_object *o, const char *key)
{
	json_object *v = member(o, key);

	return json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static int64_t
parse_uint_prefix(const char *s, const char **end)
{
	int64_t v = 0;
	int digits = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s >= '0' && *s <= '9'; s++, digits++)
		if (v < INT64_MAX / 100)
			v = v * 10 + (*s - '0');
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	while (*s == ' ' || *s == '\t')
		s++;
	*end = s;
	return digits > 0 ? v : -1;
}

/* retry-after-ms (milliseconds) wins over retry-after (seconds or an
 * HTTP-date); capped, -1 when neither is usable. */
static int64_t
retry_after(const char *ms, const char *secs, int64_t now)
{
	const char *end;
	int64_t v;
	time_t t;

	if (ms != NULL && (v = parse_uint_prefix(ms, &end)) >= 0 && *end == '\0')
		return v > EX_MAX_RETRY_AFTER_MS ? EX_MAX_RETRY_AFTER_MS : v;
	if (secs == NULL)
		return -1;
	if ((v = parse_uint_prefix(secs, &end)) < 0 || *end != '\0') {
		if (strlen(secs) > 64 || (t = curl_getdate(secs, NULL)) == -1)
			return -1;
		v = (int64_t)t - now;
		if (v < 0)
			v = 0;
	}
	return v > EX_MAX_RETRY_AFTER_MS / 1000 ? EX_MAX_RETRY_AFTER_MS :
	    v * 1000;
}

/* Only the RFC 6749 §5.2 keys and the API error keys are read. */
static void
parse_error_body(const char *body, size_t len, struct wif_exchange_status *st)
{
	json_object *o, *e;
	const char *type = NULL, *msg = NULL, *uri = NULL, *rid;
	char tmp[EX_MAX_MESSAGE * 2 + 8];

	if ((o = parse_json(body, len)) == NULL)
		return;
	e = member(o, "error");
	if (json_object_is_type(e, json_type_object)) {
		type = member_string(e, "type");
		msg = member_string(e, "message");
	} else if (json_object_is_type(e, json_type_string)) {
		type = json_object_get_string(e);
		msg = member_string(o, "error_description");
		uri = member_string(o, "error_uri");
	}
	if (type != NULL)
		clean_id(type, st->error_type, sizeof(st->error_type), 1);
	snprintf(tmp, sizeof(tmp), "%.*s%s%.*s%s", EX_MAX_MESSAGE,
	    msg != NULL ? msg : "", uri != NULL ? (msg ? " (see " : "see ") : "",
	    EX_MAX_MESSAGE, uri != NULL ? uri : "",
	    uri != NULL && msg != NULL ? ")" : "");
	clean_text(tmp, strlen(tmp), st->message, sizeof(st->message));
	if (st->request_id[0] == '\0' && (rid = member_string(o, "request_id")))
		clean_id(rid, st->request_id, sizeof(st->request_id), 1);
	json_object_put(o);
}

/* " (request-id X)" or "". */
static const char *
rid_note(const struct wif_exchange_status *st, char *buf, size_t len)
{
	if (st->request_id[0] == '\0')
		return "";
	snprintf(buf, len, " (request-id %s)", st->request_id);
	return buf;
}

/* "HTTP 401 authentication_error: \"Authentication failed\"" */
static const char *
what_server_said(const struct wif_exchange_status *st, char *buf, size_t len)
{
	snprintf(buf, len, "HTTP %ld%s%s%s%s%s", st->http_status,
	    st->error_type[0] ? " " : "", st->error_type,
	    st->message[0] ? ": \"" : "", st->message, st->message[0] ? "\"" : "");
	return buf;
}

static int
error_status(int type, const char *origin, const struct wif_exchange_response *resp,
             struct wif_exchange_status *st)
{
	const int anth = type == WIF_EXCHANGE_ANTHROPIC;
	char said[512], rid[160], loc[EX_MAX_MESSAGE + 1];
	long s = resp->status;

	if (s >= 300 && s < 400) {
		clean_text(resp->location ? resp->location : "",
		    resp->location ? strlen(resp->location) : 0, loc, sizeof(loc));
		return wif_err(WIF_E_POLICY, "token exchange at %s answered with "
		    "a redirect (HTTP %ld) to %s%s; wif never follows redirects on "
		    "the token endpoint: set %s to the final URL", origin, s,
		    loc[0] ? loc : "(no location)", rid_note(st, rid, sizeof(rid)),
		    anth ? "base_url" : "token_url");
	}
	parse_error_body(resp->body, resp->body_len, st);
	what_server_said(st, said, sizeof(said));
	if (s == 401 || (s == 400 && strcmp(st->error_type, "invalid_grant") == 0)) {
		st->consumed = 1;
		return wif_err(WIF_E_AUTH_DENIED, "token exchange at %s denied the "
		    "identity token: %s%s. %s", origin, said, rid_note(st, rid,
		    sizeof(rid)), anth ? denied_hint_anthropic : denied_hint_sts);
	}
	if (s == 400) {
		st->consumed = 1;
		return wif_err(WIF_E_BAD_REQUEST, "token exchange at %s rejected "
		    "the request: %s%s; check %s", origin, said,
		    rid_note(st, rid, sizeof(rid)), anth ? "federation_rule_id, "
		    "organization_id, service_account_id and workspace_id" :
		    "audience, scope, resource, the token types and client_id");
	}
	if (s == 429) {
		st->transient = 1;
		snprintf(loc, sizeof(loc), "; retry after %lld ms",
		    (long long)st->retry_after_ms);
		return wif_err(WIF_E_RATE_LIMITED, "token exchange at %s is rate "
		    "limited: %s%s%s", origin, said, rid_note(st, rid, sizeof(rid)),
		    st->retry_after_ms >= 0 ? loc : "");
	}
	if (s >= 500 && s <= 599) {
		st->transient = 1;
		return wif_err(WIF_E_SERVER, "token exchange at %s failed on the "
		    "server side: %s%s; a later attempt may succeed", origin, said,
		    rid_note(st, rid, sizeof(rid)));
	}
	st->transient = s == 408;
	return wif_err(WIF_E_HTTP_STATUS, "token exchange at %s answered with "
	    "an unexpected status: %s%s", origin, said,
	    rid_note(st, rid, sizeof(rid)));
}

/*
 * expires_in: a JSON integer; a numeric string or a number with a fraction
 * (truncated) is accepted too, as some servers send them.  Returns 1 with
 * *v, 0 when absent, -1 when it is not a number.
 */
static int
expires_in(json_object *o, int64_t *v)
{
	json_object *e = member(o, "expires_in");
	const char *s, *end;
	double d;

	if (e == NULL)
		return 0;
	switch (json_object_get_type(e)) {
	case json_type_int:
		*v = json_object_get_int64(e);
		return 1;
	case json_type_double:
		d = json_object_get_double(e);
		if (!isfinite(d))
			return -1;
		*v = d > 1e12 ? INT64_MAX : d < -1e12 ? -1 : (int64_t)d;
		return 1;
	case json_type_string:
		s = json_object_get_string(e);
		if (json_object_get_string_len(e) > 18 || s[0] < '0' || s[0] > '9' ||
		    (*v = parse_uint_prefix(s, &end)) < 0 || *end != '\0')
			return -1;
		return 1;
	default:
		return -1;
	}
}

/* json-c keeps its own copy of every string in ordinary heap: wipe the
 * token's before the document is freed (best effort: the tokenizer's
 * scratch buffer is out of reach). */
static void
wipe_json_string(json_object *v)
{
	if (json_object_is_type(v, json_type_string))
		wif_wipe((void *)(uintptr_t)json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
}

static int
bad_200(const char *origin, const struct wif_exchange_status *st,
        const char *what)
{
	char rid[160];

	return wif_err(WIF_E_EXCHANGE, "token exchange at %s answered HTTP 200 "
	    "but %s%s; the token cannot be used", origin, what,
	    rid_note(st, rid, sizeof(rid)));
}

static int
parse_success(int type, const char *origin,
              const struct wif_exchange_response *resp, int64_t now,
              int64_t subject_exp, struct wif_token **out,
              struct wif_exchange_status *st)
{
	const int anth = type == WIF_EXCHANGE_ANTHROPIC;
	json_object *o = NULL, *at = NULL, *tt;
	struct wif_token *t = NULL;
	const char *tok, *scope;
	size_t i, n, tok_len;
	int64_t ttl = 0, exp;
	int r, has;
	char what[128];

	if ((o = parse_json(resp->body, resp->body_len)) == NULL) {
		r = bad_200(origin, st, "the body is not a JSON object");
		goto out;
	}
	at = member(o, "access_token");
	if (!json_object_is_type(at, json_type_string) ||
	    (tok_len = (size_t)json_object_get_string_len(at)) == 0) {
		r = bad_200(origin, st, "without an access_token string");
		goto out;
	}
	if (tok_len > EX_MAX_ACCESS_TOKEN) {
		snprintf(what, sizeof(what), "with an access_token longer than "
		    "%d bytes", EX_MAX_ACCESS_TOKEN);
		r = bad_200(origin, st, what);
		goto out;
	}
	tok = json_object_get_string(at);
	for (i = 0; i < tok_len; i++)
		if ((unsigned char)tok[i] <= 0x20 || (unsigned char)tok[i] >= 0x7f) {
			r = bad_200(origin, st, "with an access_token that is not "
			    "printable ASCII");
			goto out;
		}
	tt = member(o, "token_type");
	if (anth && tt != NULL && (!json_object_is_type(tt, json_type_string) ||
	    strcasecmp(json_object_get_string(tt), "bearer") != 0)) {
		r = bad_200(origin, st, "with a token_type other than \"bearer\"");
		goto out;
	}
	if ((has = expires_in(o, &ttl)) < 0) {
		r = bad_200(origin, st, "with an expires_in that is not a number");
		goto out;
	}
	if (has == 0 && (anth || subject_exp <= 0)) {
		r = bad_200(origin, st, anth ? "without expires_in" :
		    "without expires_in, and the identity token has no exp");
		goto out;
	}
	if (has && (ttl <= 0 || ttl > WIF_EXCHANGE_MAX_EXPIRES_IN)) {
		snprintf(what, sizeof(what), "with expires_in %lld, outside "
		    "1..%d", (long long)ttl, WIF_EXCHANGE_MAX_EXPIRES_IN);
		r = bad_200(origin, st, what);
		goto out;
	}
	exp = has ? now + ttl : subject_exp;
	if (exp <= now) {
		r = bad_200(origin, st, "without expires_in, and the identity "
		    "token has already expired");
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->access_token = wif_secmem_strndup(tok, tok_len)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	t->access_token_len = tok_len;
	t->expires_at = exp;
	t->obtained_at = now;
	scope = member_string(o, "scope");
	if (scope != NULL && strlen(scope) <= EX_MAX_SCOPE) {
		if ((t->scope = calloc(1, EX_MAX_SCOPE + 1)) == NULL) {
			r = wif_err(WIF_E_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0, n = 0; scope[i] != '\0'; i++)
			if ((unsigned char)scope[i] >= 0x20 &&
			    (unsigned char)scope[i] < 0x7f)
				t->scope[n++] = scope[i];
	}
	snprintf(t->request_id, sizeof(t->request_id), "%s", st->request_id);
	*out = t;
	t = NULL; /* transferred */
	r = WIF_OK;
out:
	wif_token_free(t);
	wipe_json_string(at);
	json_object_put(o);
	return r;
}

int
wif_exchange_parse_response(int type, const char *origin,
                            const struct wif_exchange_response *resp,
                            int64_t now, int64_t subject_exp,
                            struct wif_token **out,
                            struct wif_exchange_status *st)
{
	*out = NULL;
	memset(st, 0, sizeof(*st));
	st->retry_after_ms = -1;
	if (origin == NULL)
		origin = "(unknown)";
	if (resp == NULL || (type != WIF_EXCHANGE_ANTHROPIC &&
	    type != WIF_EXCHANGE_TOKEN_EXCHANGE))
		return wif_err(WIF_E_INVALID_ARG, "exchange: bad response "
		    "parser arguments");
	st->http_status = resp->status;
	clean_id(resp->request_id, st->request_id, sizeof(st->request_id), 0);
	st->retry_after_ms = retry_after(resp->retry_after_ms,
	    resp->retry_after, now);
	if (resp->body_len > WIF_EXCHANGE_MAX_BODY) {
		st->consumed = 1;
		return wif_err(WIF_E_TOO_BIG, "token exchange at %s: the response "
		    "is larger than %d bytes", origin, WIF_EXCHANGE_MAX_BODY);
	}
	if (resp->status == 200) {
		st->consumed = 1;
		return parse_success(type, origin, resp, now, subject_exp, out, st);
	}
	return error_status(type, origin, resp, st);
}

/* ---- the request ------------------------------------------------------ */

/* One POST without retries; the caller retries with a fresh assertion. */
static int
post(const struct wif_http_policy *policy, const char *ca_file,
     const char *provider, const char *url, const char *origin,
     const char **headers, size_t n_headers, const struct sbuf *body,
     int type, int64_t now, int64_t subject_exp, struct wif_token **out,
     struct wif_exchange_status *st)
{
	struct wif_http_policy pol;
	struct wif_http_request req;
	struct wif_http_response *resp = NULL;
	struct wif_exchange_response er;
	char ua[160], uah[180], name[65];
	int r;

	if (policy != NULL)
		pol = *policy;
	else
		wif_http_policy_defaults(&pol);
	if (set(ca_file))
		pol.ca_file = ca_file;
	if (pol.max_body == 0 || pol.max_body > WIF_EXCHANGE_MAX_BODY)
		pol.max_body = WIF_EXCHANGE_MAX_BODY;
	clean_id(provider != NULL ? provider : "unknown", name, sizeof(name), 1);
	snprintf(ua, sizeof(ua), "wif/%s (wif; provider=%s)", PACKAGE_VERSION,
	    name[0] ? name : "unknown");
	snprintf(uah, sizeof(uah), "User-Agent: %s", ua);
	pol.user_agent = ua;
	headers[n_headers++] = uah;
	headers[n_headers] = NULL;

	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.abi_major = WIF_PROVIDER_ABI_MAJOR;
	req.abi_minor = WIF_PROVIDER_ABI_MINOR;
	req.method = "POST";
	req.url = url;
	req.headers = headers;
	req.body = body->p;
	req.body_len = body->len;
	req.max_body = pol.max_body;
	req.flags = 0;
	if ((r = wif_http_request(&pol, &req, &resp)) != WIF_OK) {
		st->transient = r == WIF_E_HTTP || r == WIF_E_TIMEOUT;
		/* A too-big answer was still an answer: the assertion may be
		 * spent, so it must not be sent again. */
		st->consumed = r == WIF_E_TOO_BIG;
		if (r == WIF_E_TOO_BIG)
			r = wif_err(r, "token exchange at %s answered with more "
			    "than %zu bytes; a token endpoint answers with a small "
			    "JSON object: check %s", origin, pol.max_body,
			    type == WIF_EXCHANGE_ANTHROPIC ? "base_url" :
			    "token_url");
		else    /* http.c's detail names the host already */
			wif_err_prefix(r, "token exchange");
		goto out;
	}
	memset(&er, 0, sizeof(er));
	er.status = resp->status;
	er.body = resp->body;
	er.body_len = resp->body != NULL ? resp->body_len : 0;
	er.request_id = wif_http_header(resp, "request-id");
	er.retry_after = wif_http_header(resp, "retry-after");
	er.retry_after_ms = wif_http_header(resp, "retry-after-ms");
	er.location = wif_http_header(resp, "location");
	r = wif_exchange_parse_response(type, origin, &er, now, subject_exp,
	    out, st);
out:
	wif_http_free(resp);
	return r;
}

static int
exchange_anthropic(const struct wif_config_exchange *ex,
                   const struct wif_http_policy *policy, const char *provider,
                   const struct wif_identity *id, int64_t now,
                   struct wif_token **out, struct wif_exchange_status *st)
{
	const char *base = set(ex->base_url) ? ex->base_url : WIF_DEFAULT_BASE_URL;
	const char *headers[8];
	struct sbuf b = { NULL, 0, 0, WIF_OK };
	char origin[EX_MAX_URL + 16], url[EX_MAX_URL + sizeof(EX_TOKEN_PATH)];
	size_t n;
	int r;

	wif_exchange_origin(base, origin, sizeof(origin));
	if (!wif_exchange_url_ok(base))
		return wif_err(WIF_E_POLICY, "token exchange base URL %s is "
		    "refused: wif sends identity tokens only over https (plain "
		    "http only to localhost, 127.0.0.1 or [::1]) and never with "
		    "userinfo; set base_url to an https:// URL", origin);
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	if (memchr(base, '?', n) != NULL || memchr(base, '#', n) != NULL)
		return wif_err(WIF_E_CONFIG, "token exchange base URL %s has a "
		    "query or fragment; set base_url to scheme://host[:port][/path]",
		    origin);
	snprintf(url, sizeof(url), "%.*s%s", (int)n, base, EX_TOKEN_PATH);
	if (!set(ex->federation_rule_id) || !set(ex->organization_id))
		return wif_err(WIF_E_CONFIG, "token exchange at %s needs "
		    "federation_rule_id and organization_id", origin);

	sb_add(&b, "{", 1);
	json_field(&b, "grant_type", WIF_GRANT_JWT_BEARER,
	    strlen(WIF_GRANT_JWT_BEARER));
	json_field(&b, "assertion", id->jwt, id->jwt_len);
	json_field(&b, "federation_rule_id", ex->federation_rule_id,
	    strlen(ex->federation_rule_id));
	json_field(&b, "organization_id", ex->organization_id,
	    strlen(ex->organization_id));
	if (set(ex->service_account_id))
		json_field(&b, "service_account_id", ex->service_account_id,
		    strlen(ex->service_account_id));
	if (set(ex->workspace_id))
		json_field(&b, "workspace_id", ex->workspace_id,
		    strlen(ex->workspace_id));
	sb_add(&b, "}", 1);
	if ((r = b.r) != WIF_OK) {
		r = wif_err(r, "token exchange at %s: cannot build the request "
		    "body (%s)", origin, wif_strerror(r));
		goto out;
	}
	headers[0] = "Content-Type: application/json";
	headers[1] = "Accept: application/json";
	headers[2] = "anthropic-beta: " WIF_ANTHROPIC_BETA;
	r = post(policy, ex->ca_file, provider, url, origin, headers, 3, &b,
	    WIF_EXCHANGE_ANTHROPIC, now, 0, out, st);
out:
	wif_secmem_free(b.p);
	return r;
}

/* "Authorization: Basic base64(pct(id):pct(secret))" (RFC 6749 §2.3.1),
 * in secure memory. */
static int
basic_auth(const char *client_id, const char *secret_file, const char *origin,
           char **out)
{
	struct sbuf cred = { NULL, 0, 0, WIF_OK }, hdr = { NULL, 0, 0, WIF_OK };
	char *secret = NULL, *b64 = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = wif_read_file(secret_file, EX_MAX_CLIENT_SECRET,
	    WIF_READ_SECRET_FLAG, &secret, &len)) != WIF_OK) {
		wif_err_prefix(r, "token exchange at %s: client_secret_file", origin);
		goto out;
	}
	while (len > 0 && strchr(" \t\r\n", secret[len - 1]) != NULL)
		len--;
	if (len == 0) {
		r = wif_err(WIF_E_CONFIG, "token exchange at %s: client_secret_file "
		    "%s is empty", origin, secret_file);
		goto out;
	}
	sb_pct(&cred, client_id, strlen(client_id));
	sb_add(&cred, ":", 1);
	sb_pct(&cred, secret, len);
	if ((r = cred.r) != WIF_OK ||
	    (r = wif_base64_encode(cred.p, cred.len, &b64)) != WIF_OK) {
		r = wif_err(r, "token exchange at %s: cannot encode the client "
		    "credentials", origin);
		goto out;
	}
	sb_str(&hdr, "Authorization: Basic ");
	sb_str(&hdr, b64);
	if ((r = hdr.r) != WIF_OK) {
		r = wif_err(r, "out of memory");
		goto out;
	}
	*out = hdr.p;
	hdr.p = NULL; /* transferred */
out:
	wif_secmem_free(secret);
	wif_secmem_free(b64);
	wif_secmem_free(cred.p);
	wif_secmem_free(hdr.p);
	return r;
}

static int
exchange_rfc8693(const struct wif_config_exchange *ex,
                 const struct wif_http_policy *policy, const char *provider,
                 const struct wif_identity *id, int64_t now,
                 struct wif_token **out, struct wif_exchange_status *st)
{
	const char *headers[8];
	const char *stt = set(ex->subject_token_type) ? ex->subject_token_type :
	    TE_JWT;
	const char *rtt = set(ex->requested_token_type) ?
	    ex->requested_token_type : TE_ACCESS_TOKEN;
	struct sbuf b = { NULL, 0, 0, WIF_OK };
	char origin[EX_MAX_URL + 16], *auth = NULL;
	size_t nh = 0;
	int r;

	if (!set(ex->token_url))
		return wif_err(WIF_E_CONFIG, "oauth2-token-exchange needs "
		    "token_url");
	wif_exchange_origin(ex->token_url, origin, sizeof(origin));
	if (!wif_exchange_url_ok(ex->token_url))
		return wif_err(WIF_E_POLICY, "token_url %s is refused: wif sends "
		    "identity tokens only over https (plain http only to "
		    "localhost, 127.0.0.1 or [::1]) and never with userinfo; set "
		    "token_url to an https:// URL", origin);
	if (set(ex->client_id) && set(ex->client_secret_file) &&
	    (r = basic_auth(ex->client_id, ex->client_secret_file, origin,
	    &auth)) != WIF_OK)
		goto out;
	form_field(&b, "grant_type", TE_GRANT, strlen(TE_GRANT));
	form_field(&b, "subject_token", id->jwt, id->jwt_len);
	form_field(&b, "subject_token_type", stt, strlen(stt));
	form_field(&b, "requested_token_type", rtt, strlen(rtt));
	if (set(ex->audience))
		form_field(&b, "audience", ex->audience, strlen(ex->audience));
	if (set(ex->scope))
		form_field(&b, "scope", ex->scope, strlen(ex->scope));
	if (set(ex->resource))
		form_field(&b, "resource", ex->resource, strlen(ex->resource));
	if (set(ex->client_id) && auth == NULL)
		form_field(&b, "client_id", ex->client_id, strlen(ex->client_id));
	if ((r = b.r) != WIF_OK) {
		r = wif_err(r, "token exchange at %s: cannot build the request "
		    "body (%s)", origin, wif_strerror(r));
		goto out;
	}
	headers[nh++] = "Content-Type: application/x-www-form-urlencoded";
	headers[nh++] = "Accept: application/json";
	if (auth != NULL)
		headers[nh++] = auth;
	r = post(policy, ex->ca_file, provider, ex->token_url, origin, headers,
	    nh, &b, WIF_EXCHANGE_TOKEN_EXCHANGE, now,
	    id->claims != NULL && id->claims->has_exp ? id->claims->exp : 0,
	    out, st);
out:
	wif_secmem_free(auth);
	wif_secmem_free(b.p);
	return r;
}

/* The identity JWT itself is the token, for destinations that take OIDC. */
static int
exchange_identity(const struct wif_identity *id, int64_t now,
                  struct wif_token **out)
{
	struct wif_token *t;

	if (id->claims == NULL || !id->claims->has_exp)
		return wif_err(WIF_E_JWT, "exchange type identity: the identity "
		    "token has no exp claim, so its lifetime is unknown");
	if (id->claims->exp <= now)
		return wif_err(WIF_E_JWT_EXPIRED, "exchange type identity: the "
		    "identity token expired %lld s ago",
		    (long long)(now - id->claims->exp));
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->access_token = wif_secmem_strndup(id->jwt, id->jwt_len)) == NULL) {
		wif_token_free(t);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	t->access_token_len = id->jwt_len;
	t->expires_at = id->claims->exp;
	t->obtained_at = now;
	*out = t;
	return WIF_OK;
}

int
wif_exchange_once(const struct wif_config_exchange *ex,
                  const struct wif_http_policy *policy,
                  const char *provider, const struct wif_identity *id,
                  int64_t now, struct wif_token **out,
                  struct wif_exchange_status *st)
{
	*out = NULL;
	memset(st, 0, sizeof(*st));
	st->retry_after_ms = -1;
	if (ex == NULL || id == NULL || id->jwt == NULL || id->jwt_len == 0)
		return wif_err(WIF_E_INVALID_ARG, "exchange: no configuration or "
		    "no identity token");
	if (id->jwt_len > WIF_JWT_MAX)
		return wif_err(WIF_E_TOO_BIG, "the identity token is %zu bytes; "
		    "token exchanges accept at most %d", id->jwt_len, WIF_JWT_MAX);
	if (provider == NULL)
		provider = id->provider;
	switch (ex->type) {
	case WIF_EXCHANGE_ANTHROPIC:
		return exchange_anthropic(ex, policy, provider, id, now, out, st);
	case WIF_EXCHANGE_TOKEN_EXCHANGE:
		return exchange_rfc8693(ex, policy, provider, id, now, out, st);
	case WIF_EXCHANGE_IDENTITY:
		return exchange_identity(id, now, out);
	default:
		return wif_err(WIF_E_CONFIG, "unknown exchange type %d", ex->type);
	}
}
