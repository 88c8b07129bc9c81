/* mint.c - fresh assertion + exchange + retry policy; see mint.h. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "host.h"
#include "log.h"
#include "mint.h"

static void
note_identity(struct wif_mint_report *rep, const struct wif_identity *id)
{
	snprintf(rep->provider, sizeof(rep->provider), "%s", id->provider);
	rep->source_index = id->source_index;
	snprintf(rep->iss, sizeof(rep->iss), "%s", id->claims->iss ? id->claims->iss : "");
	snprintf(rep->sub, sizeof(rep->sub), "%s", id->claims->sub ? id->claims->sub : "");
	rep->identity_exp = id->claims->has_exp ? id->claims->exp : 0;
}

int
wif_mint(struct wif_core *c, const char *profile, const uint8_t *last_consumed,
         struct wif_token **out, struct wif_mint_report *rep)
{
	const struct wif_config *cfg = wif_core_config(c);
	const struct wif_config_profile *p = wif_config_profile(cfg, profile);
	struct wif_identity *id = NULL;
	uint8_t last[32];
	int have_last = 0, transient_tries = 0, retried_401 = 0, r;
	int64_t deadline, wait;
	char fp[32];

	*out = NULL;
	memset(rep, 0, sizeof(*rep));
	rep->ex.retry_after_ms = -1;
	if (p == NULL)
		return wif_err(WIF_E_NOT_FOUND, "no profile \"%s\" in %s", profile,
		    cfg->path);
	if (last_consumed != NULL) {
		memcpy(last, last_consumed, sizeof(last));
		have_last = 1;
	}
	deadline = wif_clock_monotonic_ms() + cfg->http.budget_ms;
	for (;;) {
		unsigned fflags = retried_401 ? WIF_FETCH_FORCE_FRESH : 0;

		wif_identity_free(id);
		id = NULL;
		if ((r = wif_core_fetch_identity(c, profile, fflags,
		    have_last ? last : NULL, &id)) != WIF_OK)
			goto out;
		note_identity(rep, id);
		if (have_last && p->exchange.type != WIF_EXCHANGE_IDENTITY &&
		    memcmp(id->sha256, last, sizeof(last)) == 0) {
			wif_log_fingerprint(id->jwt, id->jwt_len, fp, sizeof(fp));
			if (retried_401)
				r = wif_err(WIF_E_AUTH_DENIED, "profile %s: the server "
				    "denied the assertion (HTTP 401%s%s) and source %zu "
				    "(%s) has no fresh one to retry with. %s", profile,
				    rep->ex.request_id[0] ? ", request-id " : "",
				    rep->ex.request_id, id->source_index + 1,
				    id->provider, rep->ex.message);
			else
				r = wif_err(WIF_E_REPLAY, "profile %s: source %zu (%s) "
				    "returned the identity token it returned last time "
				    "(%s), which was already exchanged; Anthropic accepts "
				    "each assertion once. The source must hand out a fresh "
				    "JWT: a token file has not been rotated yet (kubelet "
				    "rotates at 80%% of expirationSeconds), or a static "
				    "token was reused", profile, id->source_index + 1,
				    id->provider, fp);
			goto out;
		}
		rep->attempts++;
		r = wif_exchange_once(&p->exchange, &cfg->http, id->provider, id,
		    wif_clock_now(), out, &rep->ex);
		if (rep->ex.consumed || r == WIF_OK) {
			memcpy(last, id->sha256, sizeof(last));
			have_last = 1;
			memcpy(rep->consumed_sha256, id->sha256, sizeof(last));
			rep->has_consumed = 1;
		}
		if (r != WIF_OK)
			wif_err_prefix(r, "profile %s: source %zu (%s)", profile,
			    id->source_index + 1, id->provider);
		if (r == WIF_OK) {
			if (wif_sha256((*out)->access_token,
			    (*out)->access_token_len, (*out)->sha256) == WIF_OK)
				(*out)->has_sha256 = 1;
			wif_log_fingerprint((*out)->access_token,
			    (*out)->access_token_len, fp, sizeof(fp));
			log_info("profile %s: minted token %s via %s, expires in "
			    "%lld s (request-id %s)", profile, fp, id->provider,
			    (long long)((*out)->expires_at - (*out)->obtained_at),
			    (*out)->request_id[0] ? (*out)->request_id : "-");
			goto out;
		}
		if (r == WIF_E_AUTH_DENIED && !retried_401 &&
		    p->exchange.type != WIF_EXCHANGE_IDENTITY) {
			log_info("profile %s: assertion denied (401); retrying once "
			    "with a fresh assertion", profile);
			retried_401 = 1;
			continue;
		}
		if (!rep->ex.transient || transient_tries >= cfg->http.retries)
			goto out;
		wait = rep->ex.retry_after_ms >= 0 ? rep->ex.retry_after_ms :
		    wif_http_backoff_ms(cfg->http.backoff_ms, transient_tries);
		if (wif_clock_monotonic_ms() + wait >= deadline) {
			wif_err_prefix(r, "giving up within the %ld ms budget "
			    "(http.budget_ms)", cfg->http.budget_ms);
			goto out;
		}
		transient_tries++;
		log_info("profile %s: exchange attempt %d failed (%s); retrying "
		    "in %lld ms", profile, rep->attempts, wif_strerror(r),
		    (long long)wait);
		wif_sleep_ms(wait);
	}
out:
	wif_identity_free(id);
	return r;
}
