/*
 * local.h - tokens without a daemon: the in-process core plus the per-user
 * file cache shared by this user's processes (ARCHITECTURE.md §2, "no
 * daemon?").
 *
 * Owns: the fast path (read the cached token, no plugin, no libcurl), the
 * cross-process single flight (flock on the cache key; whoever holds it
 * mints, everyone else re-reads), the tier rules applied to the file cache,
 * and a small status record per key (last refresh, its result and
 * request-id, the last consumed assertion's hash) that `wif status` reads.
 * The cache key is "<profile>-<12 hex of SHA-256(config text + profile)>",
 * so a changed configuration never serves a token minted for the old one.
 * Must never: write a token anywhere but the 0600 cache file; serve a token
 * inside the mandatory window.
 */
#ifndef WIF_LOCAL_H
#define WIF_LOCAL_H

#include <stdint.h>

#include "creds.h"
#include "token.h"

#define WIF_LOCAL_FORCE 0x01u

struct wif_local_status {
	char key[200];
	char dir[4096];
	int has_token;
	struct wif_token *token;          /* cached token (for expiry; never printed whole) */
	int has_record;
	int64_t last_refresh_at;
	int last_rc;
	char last_error[1024];
	char provider[64];
	char request_id[128];
	int attempts;
	int advisory, mandatory;         /* the profile's windows, seconds */
	char iss[256], sub[256];
	int64_t identity_exp;
	char source_state[256];          /* describe() of the source, if any */
};

/* The profile to use for res: res->profile, else "default" / the only one
 * of cfg (when cfg is NULL: "default"). */
const char *wif_local_profile(const struct wif_resolution *res);

/*
 * A token for profile valid per the tier rules (advisory/mandatory from the
 * configuration) and at least min_valid seconds.  *served_from is set to
 * "cache" or "minted".  Free *out with wif_token_free().
 */
int wif_local_token(const struct wif_resolution *res, const char *profile,
                    int min_valid, unsigned flags, struct wif_token **out,
                    const char **served_from);

/* What the file cache and the status record say about profile (no network,
 * no mint).  Free with wif_local_status_free(). */
int wif_local_status_get(const struct wif_resolution *res, const char *profile,
                         struct wif_local_status *st);
void wif_local_status_free(struct wif_local_status *st);

/* Remove the cached token (flush). */
int wif_local_flush(const struct wif_resolution *res, const char *profile);

#endif
