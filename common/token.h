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
};

/* Deep copy; *out freed with wif_token_free(). */
int wif_token_dup(const struct wif_token *t, struct wif_token **out);
/* Wipes the access token; accepts NULL. */
void wif_token_free(struct wif_token *t);

#endif
