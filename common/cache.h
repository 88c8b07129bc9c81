/*
 * cache.h - the in-process token cache: two tiers, single-flight, min_valid.
 *
 * Owns: one entry per profile holding the current access token (secure
 * memory), its refresh state and statistics.  Rules (PROTOCOL.md §4,
 * ARCHITECTURE.md §5):
 *  - remaining > advisory and >= min_valid           -> serve the cached token;
 *  - mandatory < remaining <= advisory (and >= min_valid) -> serve the cached
 *    token and start ONE background refresh (a thread), unless one is in
 *    flight or the last advisory failure was under 5 s ago; a failed
 *    advisory refresh keeps the token and records the error;
 *  - remaining <= mandatory, or < min_valid, or no token, or WIF_CACHE_FORCE
 *    -> block on ONE shared refresh; every waiter gets its result (the token,
 *    or the same error); never serve a token inside the mandatory window.
 * Single-flight: exactly one call of the refresh function per profile at a
 * time, however many threads ask.  The refresh function runs WITHOUT the
 * entry lock held.  The clock is injectable for tests.
 * Must never: log a token; hold a lock across the refresh call.
 */
#ifndef WIF_CACHE_H
#define WIF_CACHE_H

#include <stdint.h>

#include "token.h"

#define WIF_CACHE_FORCE 0x01u        /* ignore the cached token (after an API 401) */
#define WIF_CACHE_NOWAIT 0x02u       /* serve from the cache or return
                                        WIF_CACHE_WOULD_BLOCK; never refresh here
                                        (a daemon's event loop must not block) */
#define WIF_CACHE_WOULD_BLOCK 1      /* not a wif_rc: see WIF_CACHE_NOWAIT */
#define WIF_ADVISORY_BACKOFF 5       /* seconds between failed advisory refreshes */

struct wif_cache;

/* Produce a new token for profile.  Returns WIF_OK and *out, or a wif_rc
 * with wif_err() detail.  flags: WIF_CACHE_FORCE when the caller forced. */
typedef int (*wif_cache_refresh_fn)(void *arg, const char *profile,
                                    unsigned flags, struct wif_token **out);

struct wif_cache_policy {
	int advisory;                 /* seconds, default 120 */
	int mandatory;                /* seconds, default 30 */
};

struct wif_cache_info {
	int has_token;
	int64_t expires_at;           /* of the cached token */
	int64_t obtained_at;
	char request_id[128];         /* of the cached token */
	int64_t last_refresh_at;      /* wall clock of the last refresh attempt, 0 = never */
	int last_refresh_rc;          /* WIF_OK or the error */
	char last_error[1024];        /* detail of the last failed refresh, or "" */
	int refreshing;               /* a refresh is in flight */
	uint64_t hits, cold_mints, advisory_refreshes, mandatory_refreshes, failures;
};

/* now: wall clock in seconds (NULL = time()). */
int wif_cache_new(wif_cache_refresh_fn fn, void *arg, int64_t (*now)(void),
                  struct wif_cache **out);
/* Waits for background refreshes to finish, then wipes and frees. */
void wif_cache_free(struct wif_cache *c);

/* A copy of a token valid per the rules above (free with wif_token_free). */
int wif_cache_get(struct wif_cache *c, const char *profile,
                  const struct wif_cache_policy *policy, int min_valid,
                  unsigned flags, struct wif_token **out);
/* Drop the profile's token (flush/revoke). */
void wif_cache_invalidate(struct wif_cache *c, const char *profile);
/* Put a token obtained elsewhere (e.g. read from the file cache). */
int wif_cache_put(struct wif_cache *c, const char *profile,
                  const struct wif_token *t);
/* WIF_OK with info, or WIF_E_NOT_FOUND for a profile never asked for. */
int wif_cache_info(struct wif_cache *c, const char *profile,
                   struct wif_cache_info *info);

/* Threads blocked on profile's in-flight refresh (0 for an unknown profile);
 * for status output and for tests that must know every caller is waiting. */
int wif_cache_waiters(struct wif_cache *c, const char *profile);
/* Block until no refresh of profile is in flight (a background one included). */
void wif_cache_wait_idle(struct wif_cache *c, const char *profile);

#endif
