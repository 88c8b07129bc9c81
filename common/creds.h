/*
 * creds.h - which credential source wins, and zero-config.
 *
 * Owns: the precedence between wif's own configuration and the Anthropic
 * SDKs' credential sources (PROTOCOL.md §5), and turning the SDK's sources
 * (environment variables, profile files under $ANTHROPIC_CONFIG_DIR) into a
 * wif configuration when there is no wif.conf:
 *
 *   1. an explicit --config, $WIF_CONFIG, or an existing /etc/wif/wif.conf
 *   2. ANTHROPIC_PROFILE -> <config_dir>/configs/<name>.json (missing: error)
 *   3. environment federation: ANTHROPIC_FEDERATION_RULE_ID +
 *      ANTHROPIC_ORGANIZATION_ID + (ANTHROPIC_IDENTITY_TOKEN_FILE or
 *      ANTHROPIC_IDENTITY_TOKEN), with _SERVICE_ACCOUNT_ID, _WORKSPACE_ID,
 *      ANTHROPIC_BASE_URL
 *   4. <config_dir>/active_config (one line) or "default" ->
 *      configs/<name>.json when it exists
 *
 * ANTHROPIC_API_KEY and ANTHROPIC_AUTH_TOKEN are reported, never used: in
 * an SDK process they win over every federation source (the migration trap),
 * so status and exec say so loudly.  Empty variables count as unset (TS).
 * The synthesized configuration is libconfig text fed through the one
 * validator (conf.c); it never contains a token (a literal
 * ANTHROPIC_IDENTITY_TOKEN is read by the `env` provider).
 * Must never: copy a secret (API key, token) into the resolution beyond a
 * masked prefix.
 */
#ifndef WIF_CREDS_H
#define WIF_CREDS_H

#include <stddef.h>

enum wif_cred_kind {
	WIF_CRED_API_KEY = 1,       /* ANTHROPIC_API_KEY (shadows, never used) */
	WIF_CRED_AUTH_TOKEN,        /* ANTHROPIC_AUTH_TOKEN (shadows, never used) */
	WIF_CRED_WIF_CONFIG,        /* wif.conf */
	WIF_CRED_SDK_PROFILE,       /* ANTHROPIC_PROFILE */
	WIF_CRED_ENV_FEDERATION,    /* ANTHROPIC_FEDERATION_RULE_ID + ... */
	WIF_CRED_ACTIVE_PROFILE,    /* active_config / default profile file */
};

struct wif_cred_candidate {
	int kind;
	char label[96];             /* "ANTHROPIC_API_KEY", "wif.conf /etc/wif/wif.conf", ... */
	int present;                /* configured (fully) */
	int partial;                /* some but not all of its inputs are set */
	int shadows;                /* would win over federation in an SDK process */
	char detail[512];           /* masked value, missing inputs, or why not used */
};

struct wif_resolution {
	struct wif_cred_candidate cand[8];
	size_t n_cand;
	int winner;                 /* index into cand of what wif uses, or -1 */
	char *config_path;          /* wif.conf to load (malloc), or NULL */
	char *config_text;          /* synthesized config (malloc), or NULL */
	char profile[130];          /* the profile to use */
	char config_dir[4096];      /* the SDK config dir in effect */
	char why[256];              /* why this profile: "--profile", "ANTHROPIC_PROFILE", ... */
	char shadow_warning[512];   /* non-empty when API key / auth token is set */
};

/*
 * Resolve.  explicit_config / explicit_profile come from the command line
 * (NULL when not given).  On success fills *res (free with
 * wif_resolution_free) with either config_path or config_text.
 * WIF_E_NO_CREDENTIALS when nothing is configured (the detail lists what is
 * missing, e.g. a partial federation environment); WIF_E_NOT_FOUND when
 * ANTHROPIC_PROFILE names a missing file; WIF_E_CONFIG for an unusable SDK
 * profile file.  res->cand is filled even on failure (for status).
 */
int wif_resolve(const char *explicit_config, const char *explicit_profile,
                struct wif_resolution *res);
void wif_resolution_free(struct wif_resolution *res);

/* Open the core on a resolution (loads config_path or config_text). */
struct wif_core;
int wif_resolution_open_core(const struct wif_resolution *res,
                             struct wif_core **out);

#endif
