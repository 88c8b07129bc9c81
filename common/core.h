/*
 * core.h - the core context: configuration, loaded providers and one
 * initialised instance per (profile, source).
 *
 * Owns: the link between the validated config and the plugins - loading
 * each provider once, creating its host table and state lazily, serialising
 * calls on a state unless the plugin is thread-safe, and walking a
 * profile's source chain to get a fresh identity JWT.  Must never: cache an
 * identity JWT (assertions are single-use), or hand out a JWT that is
 * expired or not yet valid.
 */
#ifndef WIF_CORE_H
#define WIF_CORE_H

#include <stdint.h>
#include <wif/provider.h>

#include "conf.h"
#include "jwt.h"

struct wif_core;

/* Load and validate the config at path (see wif_config_path) and
 * prepare the core.  Errors as wif_config_load().  Free with
 * wif_core_close(). */
int wif_core_open(const char *path, struct wif_core **out);
/* The same from a configuration snapshot read from fd (see
 * wif_config_load_snapshot(); wifd-mint gets the one wifd loaded). */
int wif_core_open_snapshot(int fd, struct wif_core **out);
void wif_core_close(struct wif_core *c);

const struct wif_config *wif_core_config(const struct wif_core *c);
/* The provider directory in effect (see wif_loader_dir()). */
const char *wif_core_provider_dir(const struct wif_core *c);

/* Injectable clocks (tests). NULL restores the defaults. */
void wif_core_set_clock(struct wif_core *c, int64_t (*now)(void),
                        int64_t (*monotonic_ms)(void));

struct wif_identity {
	char *jwt;                     /* secure memory */
	size_t jwt_len;
	struct wif_jwt_claims *claims;
	char *provider;                /* the source that produced it */
	size_t source_index;
	uint8_t sha256[32];
};
void wif_identity_free(struct wif_identity *id);

/*
 * Walk the profile's source chain and return a fresh identity JWT: each
 * source in order (a source whose plugin has detect() and says 0 is skipped
 * when the chain has more than one source); the first that succeeds wins;
 * its JWT must decode and be valid now.  When every source fails the error
 * names each source and its reason.  flags: WIF_FETCH_*; last_sha256 may
 * be NULL.
 */
int wif_core_fetch_identity(struct wif_core *c, const char *profile,
                            unsigned flags, const uint8_t *last_sha256,
                            struct wif_identity **out);

/* A source's describe() line (ABI minor >= 1), or WIF_E_NOT_FOUND. */
int wif_core_describe_source(struct wif_core *c, const char *profile,
                             size_t idx, char *buf, size_t len);



/* Initialise every source of every profile (plugins' init() validate their
 * own values; none touches the network).  Returns WIF_OK, or the first
 * error with every failure in the detail, one per line. */
int wif_core_check(struct wif_core *c);
#endif
