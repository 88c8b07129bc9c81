/*
 * mint.h - obtain a new access token for a profile: fresh identity JWT from
 * the source chain, then the exchange, with the retry policy of
 * ARCHITECTURE.md §5.
 *
 * Owns: the retry loop and the single-use rule for assertions.
 *  - every attempt fetches a FRESH identity JWT (never a cached one);
 *  - an assertion the server has judged (200/400/401) is never sent again:
 *    if the source hands back that same JWT (a file not yet rotated), the
 *    mint fails with WIF_E_REPLAY saying so, instead of provoking a 401;
 *  - network errors, 408, 429 (Retry-After honoured) and 5xx/529 are retried
 *    with jittered exponential backoff (http.backoff_ms * 2^n, capped at
 *    8 s) up to http.retries times inside http.budget_ms;
 *  - 400 fails at once with the server's message;
 *  - 401 is retried at most once, and only with a freshly fetched assertion
 *    (WIF_FETCH_FORCE_FRESH); a source without a fresh one ends the mint
 *    with the 401 and its hint.
 * Must never: log an assertion or a token (fingerprints only).
 */
#ifndef WIF_MINT_H
#define WIF_MINT_H

#include <stdint.h>

#include "core.h"
#include "exchange.h"
#include "token.h"

struct wif_mint_report {
	int attempts;                  /* exchanges attempted */
	char provider[64];             /* source of the last identity JWT */
	size_t source_index;
	struct wif_exchange_status ex; /* the last exchange attempt */
	uint8_t consumed_sha256[32];   /* the last assertion the server judged */
	int has_consumed;
	char iss[256], sub[256];       /* claims of the last identity JWT */
	int64_t identity_exp;
};

/*
 * Mint a token for profile.  last_consumed (may be NULL) is the SHA-256 of
 * the last assertion the server judged for this profile (from an earlier
 * process); the report says which one this mint consumed.  Returns WIF_OK
 * with *out (free with wif_token_free) or the wif_rc of the failure, the
 * detail naming the profile, the source and the request-id.
 */
int wif_mint(struct wif_core *c, const char *profile,
             const uint8_t *last_consumed, struct wif_token **out,
             struct wif_mint_report *rep);

#endif
