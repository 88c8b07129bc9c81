/* jwt.c - decode a compact JWT without verifying it; see jwt.h. */
#include "config.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "jwt.h"
#include "secmem.h"

#define JWT_TIME_MAX INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

void
wif_jwt_claims_free(struct wif_jwt_claims *c)
{
	size_t i;

	if (c == NULL)
		return;
	free(c->alg);
	free(c->kid);
	free(c->typ);
	free(c->iss);
	free(c->sub);
	free(c->jti);
	for (i = 0; i < c->n_aud; i++)
		free(c->aud[i]);
	free(c->aud);
	free(c->payload_json);
	free(c);
}

/* Decode one base64url segment and parse it as a JSON object. */
static int
segment_object(const char *seg, size_t len, const char *what,
               json_object **out, char **text)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	json_tokener *tok = NULL;
	json_object *obj = NULL;
	int r;

	*out = NULL;
	if (len == 0)
		return wif_err(WIF_E_JWT, "the JWT %s is empty", what);
	if ((r = wif_base64url_decode(seg, len, &raw, &raw_len)) != WIF_OK)
		return wif_err(WIF_E_JWT, "the JWT %s is not base64url", what);
	if ((tok = json_tokener_new_ex(16)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	obj = json_tokener_parse_ex(tok, (const char *)raw, (int)raw_len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != raw_len ||
	    !json_object_is_type(obj, json_type_object)) {
		r = wif_err(WIF_E_JWT, "the JWT %s is not a JSON object", what);
		goto out;
	}
	if (text != NULL && (*text = strndup((const char *)raw, raw_len)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	*out = obj;
	obj = NULL; /* transferred */
	r = WIF_OK;
out:
	json_object_put(obj);
	if (tok != NULL)
		json_tokener_free(tok);
	wif_secmem_free(raw);
	return r;
}

/* Copy an optional string member; wrong type is an error. */
static int
get_str(json_object *o, const char *key, const char *what, char **out)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return WIF_OK;
	if (!json_object_is_type(v, json_type_string))
		return wif_err(WIF_E_JWT, "JWT %s \"%s\" is not a string", what, key);
	if ((*out = strdup(json_object_get_string(v))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	return WIF_OK;
}

/* NumericDate: an integer, or a number we truncate (RFC 7519 allows
 * fractions). */
static int
get_time(json_object *o, const char *key, int64_t *out, int *has)
{
	json_object *v;

	*has = 0;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return WIF_OK;
	if (json_object_is_type(v, json_type_int))
		*out = json_object_get_int64(v);
	else if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (!(d >= 0 && d <= (double)JWT_TIME_MAX))
			return wif_err(WIF_E_JWT, "JWT claim \"%s\" is out of range", key);
		*out = (int64_t)d;
	} else
		return wif_err(WIF_E_JWT, "JWT claim \"%s\" is not a number", key);
	/* Seconds since the epoch up to year 9999: keeps every later
	 * subtraction free of overflow. */
	if (*out < 0 || *out > JWT_TIME_MAX)
		return wif_err(WIF_E_JWT, "JWT claim \"%s\" is out of range", key);
	*has = 1;
	return WIF_OK;
}

static int
get_aud(json_object *o, struct wif_jwt_claims *c)
{
	json_object *v, *e;
	size_t i, n;

	if (!json_object_object_get_ex(o, "aud", &v) || json_object_is_type(v, json_type_null))
		return WIF_OK;
	if (json_object_is_type(v, json_type_string)) {
		if ((c->aud = calloc(1, sizeof(*c->aud))) == NULL ||
		    (c->aud[0] = strdup(json_object_get_string(v))) == NULL)
			return wif_err(WIF_E_NOMEM, "out of memory");
		c->n_aud = 1;
		return WIF_OK;
	}
	if (!json_object_is_type(v, json_type_array))
		return wif_err(WIF_E_JWT, "JWT claim \"aud\" is neither a string nor an array");
	n = json_object_array_length(v);
	if (n > 64)
		return wif_err(WIF_E_JWT, "JWT claim \"aud\" has %zu entries (at most 64)", n);
	if (n > 0 && (c->aud = calloc(n, sizeof(*c->aud))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(v, i);
		if (!json_object_is_type(e, json_type_string))
			return wif_err(WIF_E_JWT, "JWT claim \"aud\"[%zu] is not a string", i);
		if ((c->aud[i] = strdup(json_object_get_string(e))) == NULL)
			return wif_err(WIF_E_NOMEM, "out of memory");
		c->n_aud = i + 1;
	}
	return WIF_OK;
}

int
wif_jwt_decode(const char *jwt, size_t len, struct wif_jwt_claims **out)
{
	struct wif_jwt_claims *c = NULL;
	json_object *hdr = NULL, *pl = NULL;
	const char *d1, *d2;
	size_t i;
	int r;

	*out = NULL;
	if (jwt == NULL || len == 0)
		return wif_err(WIF_E_JWT, "the identity token is empty");
	if (len > WIF_JWT_MAX)
		return wif_err(WIF_E_TOO_BIG, "the identity token is %zu bytes, "
		    "more than the %d allowed", len, WIF_JWT_MAX);
	for (i = 0; i < len; i++) {
		char ch = jwt[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '='))
			return wif_err(WIF_E_JWT, "the identity token is not a "
			    "compact JWT (unexpected character at offset %zu)", i);
	}
	d1 = memchr(jwt, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - jwt)) : NULL;
	if (d1 == NULL || d2 == NULL ||
	    memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - jwt)) != NULL)
		return wif_err(WIF_E_JWT, "the identity token is not a compact "
		    "JWT (expected three dot-separated parts; an encrypted JWE "
		    "has five and cannot be used)");
	if ((size_t)(jwt + len - (d2 + 1)) == 0)
		return wif_err(WIF_E_JWT, "the identity token is unsigned "
		    "(empty signature part)");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if ((r = segment_object(jwt, (size_t)(d1 - jwt), "header", &hdr, NULL)) != 0 ||
	    (r = segment_object(d1 + 1, (size_t)(d2 - d1 - 1), "payload", &pl,
	    &c->payload_json)) != 0)
		goto out;
	if ((r = get_str(hdr, "alg", "header", &c->alg)) != 0 ||
	    (r = get_str(hdr, "kid", "header", &c->kid)) != 0 ||
	    (r = get_str(hdr, "typ", "header", &c->typ)) != 0)
		goto out;
	if (c->alg == NULL || strcmp(c->alg, "none") == 0 || c->alg[0] == '\0') {
		r = wif_err(WIF_E_JWT, "the identity token has no signature "
		    "algorithm (header \"alg\" missing or \"none\")");
		goto out;
	}
	if ((r = get_str(pl, "iss", "claim", &c->iss)) != 0 ||
	    (r = get_str(pl, "sub", "claim", &c->sub)) != 0 ||
	    (r = get_str(pl, "jti", "claim", &c->jti)) != 0 ||
	    (r = get_aud(pl, c)) != 0 ||
	    (r = get_time(pl, "iat", &c->iat, &c->has_iat)) != 0 ||
	    (r = get_time(pl, "exp", &c->exp, &c->has_exp)) != 0 ||
	    (r = get_time(pl, "nbf", &c->nbf, &c->has_nbf)) != 0)
		goto out;
	*out = c;
	c = NULL; /* transferred */
	r = WIF_OK;
out:
	json_object_put(hdr);
	json_object_put(pl);
	wif_jwt_claims_free(c);
	return r;
}

int
wif_jwt_check_time(const struct wif_jwt_claims *c, int64_t now)
{
	if (!c->has_exp)
		return wif_err(WIF_E_JWT, "the identity token has no \"exp\" "
		    "claim; Anthropic requires one");
	if (c->exp + WIF_JWT_SKEW <= now)
		return wif_err(WIF_E_JWT_EXPIRED, "the identity token expired "
		    "%lld s ago (exp %lld, now %lld): the source handed out a "
		    "stale token", (long long)(now - c->exp), (long long)c->exp,
		    (long long)now);
	if (c->has_nbf && c->nbf > now + WIF_JWT_SKEW)
		return wif_err(WIF_E_JWT_NOT_YET_VALID, "the identity token is "
		    "not valid for another %lld s (nbf %lld): check the clock",
		    (long long)(c->nbf - now), (long long)c->nbf);
	if (c->has_iat && c->iat > now + WIF_JWT_SKEW)
		return wif_err(WIF_E_JWT_NOT_YET_VALID, "the identity token was "
		    "issued %lld s in the future (iat %lld): check the clock",
		    (long long)(c->iat - now), (long long)c->iat);
	return WIF_OK;
}

int
wif_jwt_has_aud(const struct wif_jwt_claims *c, const char *s)
{
	size_t i;

	for (i = 0; i < c->n_aud; i++)
		if (strcmp(c->aud[i], s) == 0)
			return 1;
	return 0;
}
