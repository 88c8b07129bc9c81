/*
 * token.h - an access token obtained from an exchange.
 *
 * Owns: struct wif_token and its copy/free.  The access token is a secret:
 * it lives in secure memory and is wiped on free.
 */
#ifndef WIF_TOKEN_H
#define WIF_TOKEN_H

#include <stddef.h>
#include <stdint.h>

struct wif_token {
	char *access_token;       /* secure memory, NUL-terminated */
	size_t access_token_len;
	int64_t expires_at;       /* wall clock, seconds */
	int64_t obtained_at;      /* wall clock, seconds */
	char *scope;              /* ordinary memory, or NULL */
	char request_id[128];     /* the server's request-id, or "" */
	uint8_t sha256[32];       /* SHA-256 of access_token, when has_sha256:
	                             audit lines name its first bytes (wifd
	                             cannot hash: it links no libcrypto) */
	int has_sha256;
};

/* Deep copy; *out freed with wif_token_free(). */
int wif_token_dup(const struct wif_token *t, struct wif_token **out);
/* The first 6 bytes of its SHA-256 in hex (what audit lines carry), or
 * "unknown" for a token nobody hashed; out has 13 bytes. */
void wif_token_digest_hex(const struct wif_token *t, char out[13]);
/* Wipes the access token; accepts NULL. */
void wif_token_free(struct wif_token *t);

/*
 * What consumers ask for without saying (wif token, env and exec, unless
 * --min-valid): a token with 5 minutes left, the time Claude Code keeps
 * what its apiKeyHelper printed.  wifd renews that early too.
 */
#define WIF_HEADROOM 300

/*
 * The part of a min_valid request a refresh can meet: min_valid itself
 * when t was issued for at least that long, else 0 - a token the server
 * issues for 2 minutes never holds 5, and refreshing for every request
 * would only spend an exchange each time.  (A token without a known issue
 * time keeps min_valid.)
 */
static inline int
wif_token_min_valid(const struct wif_token *t, int min_valid)
{
	if (min_valid > 0 && t->obtained_at > 0 && t->expires_at > 0 &&
	    t->expires_at - t->obtained_at < min_valid)
		return 0;
	return min_valid;
}

#endif
