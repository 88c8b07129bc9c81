/*
 * jwt.h - decode a compact JWT WITHOUT checking its signature.
 *
 * Owns: splitting, base64url-decoding and reading the registered claims of
 * an identity token, so the core can refuse an expired or not-yet-valid
 * assertion before any exchange and show who a token says it is.  The
 * signature is the issuer's and Anthropic's business, never ours: nothing
 * here makes a token trustworthy.  Must never copy the token itself (or its
 * signature) anywhere; the decoded claims are not credentials.
 */
#ifndef WIF_JWT_H
#define WIF_JWT_H

#include <stddef.h>
#include <stdint.h>

#define WIF_JWT_MAX 16384         /* Anthropic's assertion cap (bytes) */
#define WIF_JWT_SKEW 30           /* seconds of clock skew tolerated */

struct wif_jwt_claims {
	char *alg;                /* header "alg" (never NULL on success) */
	char *kid;                /* header "kid" or NULL */
	char *typ;                /* header "typ" or NULL */
	char *iss, *sub, *jti;    /* NULL when absent */
	char **aud;               /* string or array, flattened */
	size_t n_aud;
	int64_t iat, exp, nbf;    /* valid only when the has_ flag is set */
	int has_iat, has_exp, has_nbf;
	char *payload_json;       /* the decoded payload, for display */
};

/*
 * Decode jwt (len bytes, surrounding whitespace not allowed): three
 * base64url segments, a JSON-object header with a string "alg" other than
 * "none", a JSON-object payload whose registered claims have the right
 * types.  Errors: WIF_E_TOO_BIG (> WIF_JWT_MAX), WIF_E_JWT with detail
 * saying which part is wrong.  Free with wif_jwt_claims_free().
 */
int wif_jwt_decode(const char *jwt, size_t len, struct wif_jwt_claims **out);
void wif_jwt_claims_free(struct wif_jwt_claims *c);

/*
 * Refuse a token that cannot be accepted at now (WIF_JWT_SKEW tolerated):
 * WIF_E_JWT_EXPIRED (exp past), WIF_E_JWT_NOT_YET_VALID (nbf or iat in the
 * future), WIF_E_JWT (no exp).  Detail gives the times.
 */
int wif_jwt_check_time(const struct wif_jwt_claims *c, int64_t now);

/* 1 when aud contains s. */
int wif_jwt_has_aud(const struct wif_jwt_claims *c, const char *s);

#endif
