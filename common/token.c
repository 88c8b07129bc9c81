/* token.c - struct wif_token copy and wipe. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "err.h"
#include "secmem.h"
#include "token.h"

void
wif_token_free(struct wif_token *t)
{
	if (t == NULL)
		return;
	wif_secmem_free(t->access_token);
	free(t->scope);
	free(t);
}

void
wif_token_digest_hex(const struct wif_token *t, char out[13])
{
	if (t->has_sha256)
		wif_hex(t->sha256, 6, out);
	else
		memcpy(out, "unknown", sizeof("unknown"));
}

int
wif_token_dup(const struct wif_token *t, struct wif_token **out)
{
	struct wif_token *n;

	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	*n = *t;
	n->access_token = NULL;
	n->scope = NULL;
	if ((n->access_token = wif_secmem_strndup(t->access_token,
	    t->access_token_len)) == NULL ||
	    (t->scope != NULL && (n->scope = strdup(t->scope)) == NULL)) {
		wif_token_free(n);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	*out = n;
	return WIF_OK;
}
