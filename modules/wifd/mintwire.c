/* mintwire.c - the mint helper's reply to op=mint; see mintwire.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "err.h"
#include "mintwire.h"
#include "secmem.h"

#define ADD(k, v) (wif_wire_add(buf, WIFD_MINT_MAX, &len, (k), (v)) != 0)
#define ADDF(k, ...) (wif_wire_addf(buf, WIFD_MINT_MAX, &len, (k), __VA_ARGS__) != 0)

size_t
wifd_mint_reply_encode(char *buf, uint64_t id, int rc, const char *error,
                       const struct wif_token *t,
                       const struct wif_mint_report *rep)
{
	char hex[65];
	size_t len;

	wif_wire_begin(buf, &len);
	if (ADD("op", "minted") || ADDF("id", "%llu", (unsigned long long)id) ||
	    ADDF("rc", "%d", rc) ||
	    ADDF("attempts", "%d", rep->attempts) ||
	    ADD("provider", rep->provider) ||
	    ADDF("source_index", "%zu", rep->source_index) ||
	    ADD("iss", rep->iss) || ADD("sub", rep->sub) ||
	    ADDF("identity_exp", "%lld", (long long)rep->identity_exp) ||
	    ADDF("http_status", "%ld", rep->ex.http_status) ||
	    ADD("request_id", rep->ex.request_id))
		return 0;
	if (rep->has_consumed) {
		wif_hex(rep->consumed_sha256, 32, hex);
		if (ADD("consumed", hex))
			return 0;
	}
	if (rc != WIF_OK)
		return ADD("error", error != NULL ? error : "") ? 0 :
		    wif_wire_end(buf, len);
	if (ADD("token", t->access_token) ||
	    ADDF("expires_at", "%lld", (long long)t->expires_at) ||
	    ADDF("obtained_at", "%lld", (long long)t->obtained_at) ||
	    ADD("token_request_id", t->request_id) ||
	    (t->scope != NULL && ADD("scope", t->scope)))
		return 0;
	if (t->has_sha256) {
		wif_hex(t->sha256, 32, hex);
		if (ADD("token_hash", hex))
			return 0;
	}
	return wif_wire_end(buf, len);
}

static void
copy_field(const struct wif_wire_msg *m, const char *key, char *dst, size_t n)
{
	const char *v = wif_wire_get(m, key);

	snprintf(dst, n, "%s", v != NULL ? v : "");
}

int
wifd_mint_reply_decode(char *frame, size_t len, struct wif_token **out,
                       struct wif_mint_report *rep)
{
	struct wif_wire_msg m;
	struct wif_token *t;
	const char *why, *v;
	int64_t x, rc;

	*out = NULL;
	if (len < 4 || wif_wire_parse(frame + 4, len - 4, &m, &why) != 0 ||
	    wif_wire_get_i64(&m, "rc", &rc) != 0)
		return wif_err(WIF_E_INTERNAL, "the mint helper sent a malformed "
		    "reply");
	if (wif_wire_get_i64(&m, "attempts", &x) == 0)
		rep->attempts = (int)x;
	copy_field(&m, "provider", rep->provider, sizeof(rep->provider));
	if (wif_wire_get_i64(&m, "source_index", &x) == 0 && x >= 0)
		rep->source_index = (size_t)x;
	copy_field(&m, "iss", rep->iss, sizeof(rep->iss));
	copy_field(&m, "sub", rep->sub, sizeof(rep->sub));
	if (wif_wire_get_i64(&m, "identity_exp", &x) == 0)
		rep->identity_exp = x;
	if (wif_wire_get_i64(&m, "http_status", &x) == 0)
		rep->ex.http_status = (long)x;
	copy_field(&m, "request_id", rep->ex.request_id,
	    sizeof(rep->ex.request_id));
	if ((v = wif_wire_get(&m, "consumed")) != NULL &&
	    wif_unhex(v, strlen(v), rep->consumed_sha256, 32) == 0)
		rep->has_consumed = 1;
	if (rc != WIF_OK) {
		v = wif_wire_get(&m, "error");
		return wif_err(rc < 0 && rc > -1000 ? (int)rc : WIF_E_INTERNAL, "%s",
		    v != NULL && *v != '\0' ? v : "the mint helper failed");
	}
	if ((v = wif_wire_get(&m, "token")) == NULL || *v == '\0' ||
	    wif_wire_get_i64(&m, "expires_at", &x) != 0)
		return wif_err(WIF_E_INTERNAL, "the mint helper's reply has no "
		    "token");
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->access_token = wif_secmem_strdup(v)) == NULL) {
		free(t);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	t->access_token_len = strlen(v);
	t->expires_at = x;
	if (wif_wire_get_i64(&m, "obtained_at", &x) == 0)
		t->obtained_at = x;
	copy_field(&m, "token_request_id", t->request_id, sizeof(t->request_id));
	if ((v = wif_wire_get(&m, "scope")) != NULL &&
	    (t->scope = strdup(v)) == NULL) {
		wif_token_free(t);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	if ((v = wif_wire_get(&m, "token_hash")) != NULL &&
	    wif_unhex(v, strlen(v), t->sha256, 32) == 0)
		t->has_sha256 = 1;
	*out = t;
	return WIF_OK;
}
