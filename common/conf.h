/*
 * conf.h - /etc/wif/wif.conf + /etc/wif/conf.d/NAME.conf (libconfig).
 *
 * Owns: parsing and strict validation of the configuration into struct
 * wif_config, and keeping the libconfig trees alive so that a provider's
 * source section can be read through the host services (host.c).
 * Validation is strict and explains itself: unknown keys, wrong types,
 * malformed ids, missing files, an inline secret in a group/world-readable
 * file, an unknown provider - each an error "FILE:LINE: what is wrong; what
 * to do".  All errors found are reported (one per line of the detail), not
 * just the first.  Must never copy an inline secret into an error message.
 *
 * Merging: wif.conf holds the `wif` group and may hold `profiles`; each
 * conf.d/NAME.conf (sorted by name; other names ignored) may hold only
 * `profiles`.  Profile names are unique across all files.
 *
 * Snapshots: each file is read once and parsed from its bytes, which the
 * config keeps; wifd writes them (with each file's path and what the
 * ownership checks found) to a descriptor so that a helper process loads
 * exactly the configuration wifd validated, whatever the files on disk say
 * by then.
 */
#ifndef WIF_CONFIG_H
#define WIF_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <wif/provider.h>

#include "http.h"

struct config_setting_t;

#define WIF_DEFAULT_AUDIENCE "https://api.anthropic.com"
#define WIF_DEFAULT_BASE_URL "https://api.anthropic.com"

/* Where a setting came from, for messages. */
struct wif_config_loc {
	const char *file; /* borrowed from struct wif_config */
	int line;
};

struct wif_config_source {
	char *provider;                      /* [a-z0-9_-]+ */
	struct config_setting_t *setting;    /* the source group (borrowed) */
	struct wif_config_loc loc;
	int inline_secret_ok;                /* 1 when the file is private */
};

enum wif_exchange_type {
	WIF_EXCHANGE_ANTHROPIC = 1,          /* RFC 7523 jwt-bearer, JSON body */
	WIF_EXCHANGE_TOKEN_EXCHANGE = 2,     /* "oauth2-token-exchange", RFC 8693 */
	WIF_EXCHANGE_IDENTITY = 3,           /* "identity": the IdP JWT itself */
};

struct wif_config_exchange {
	int type;                     /* enum wif_exchange_type */
	struct wif_config_loc loc;
	/* anthropic */
	char *base_url;               /* default WIF_DEFAULT_BASE_URL, no trailing '/' */
	char *federation_rule_id;     /* fdrl_... (required) */
	char *organization_id;        /* UUID (required) */
	char *service_account_id;     /* svac_... or NULL */
	char *workspace_id;           /* wrkspc_... or "default" or NULL */
	/* oauth2-token-exchange */
	char *token_url;              /* required for that type */
	char *audience;               /* optional */
	char *scope;                  /* optional */
	char *resource;               /* optional */
	char *requested_token_type;   /* default urn:ietf:params:oauth:token-type:access_token */
	char *subject_token_type;     /* default urn:ietf:params:oauth:token-type:jwt */
	char *client_id;              /* optional */
	char *client_secret_file;     /* optional, absolute path */
	char *ca_file;                /* optional extra CA bundle (both types) */
};

struct wif_config_allow {
	char **users;  size_t n_users;
	char **groups; size_t n_groups;
	char **units;  size_t n_units;
};

struct wif_config_sink {
	char *path;                   /* absolute */
	char *format;                 /* raw | json | env | anthropic-credentials */
	char *owner;                  /* user name or NULL (keep) */
	char *group;                  /* group name or NULL */
	int mode;                     /* default 0600 */
	struct wif_config_loc loc;
};

struct wif_config_profile {
	char *name;                   /* [A-Za-z0-9_.-]+, no leading dot */
	struct wif_config_loc loc;
	char *audience;               /* audience asked of sources; default WIF_DEFAULT_AUDIENCE */
	struct wif_config_source *sources; size_t n_sources; /* ordered chain, >= 1 */
	struct wif_config_exchange exchange;
	struct wif_config_allow allow;
	struct wif_config_sink *sinks; size_t n_sinks;
	int advisory;                 /* seconds; inherits wif.refresh */
	int mandatory;
};

struct wif_config {
	char *path;                   /* the main file */
	char **files; size_t n_files; /* every file read (main first) */
	char *provider_dir;           /* NULL = built-in default */
	char *socket;                 /* default WIF_DEFAULT_SOCKET */
	int advisory;                 /* wif.refresh.advisory, default 120 */
	int mandatory;                /* wif.refresh.mandatory, default 30 */
	struct wif_http_policy http;  /* wif.http.*; user_agent/ca_file NULL */
	char *audit;                  /* "syslog" | "stderr" | "none" | absolute path */
	char *log_level;              /* wif.log_level or NULL */
	char *metrics_listen;         /* "unix:/path" | "127.0.0.1:PORT" | ... or NULL */
	char *session_dir;            /* wif.session_dir or NULL (WIF_DEFAULT_SESSION_DIR) */
	struct wif_config_profile *profiles; size_t n_profiles;
	char **warnings; size_t n_warnings; /* non-fatal findings, "FILE:LINE: ..." */
	void *priv;                   /* the files' bytes, libconfig trees */
};

/*
 * Called once per distinct provider name during validation: set *options to
 * the provider's option list (borrowed, must stay valid for the life of the
 * config) or return an error (e.g. WIF_E_PROVIDER_LOAD / WIF_E_NOT_FOUND)
 * with wif_err() detail saying why; validation then reports
 * "FILE:LINE: provider NAME: <detail>".
 */
typedef int (*wif_config_schema_fn)(void *arg, const char *provider_dir,
                                    const char *provider,
                                    const struct wif_option **options);

/*
 * Load and validate path and its conf.d.  confd_dir NULL means
 * "<dirname(path)>/conf.d" (absent directory is fine).  schema may be NULL
 * (then provider-specific keys are not checked - used only by tests).
 * On failure returns WIF_E_CONFIG (or WIF_E_NOT_FOUND / WIF_E_PERM / WIF_E_IO
 * for the main file itself) with every error in wif_err_detail(), one per
 * line, and *out NULL.  Free with wif_config_free().
 */
int wif_config_load(const char *path, const char *confd_dir,
                    wif_config_schema_fn schema, void *arg,
                    struct wif_config **out);
void wif_config_free(struct wif_config *cfg);

/*
 * The rule base_url and token_url values are checked with at load
 * (wif_exchange_url_ok: libcurl's URL parser).  wif_core_open*() set it;
 * without it those values are not checked at load - wifd, which links no
 * libcurl, loads so, and its mint helper loads the same bytes with the
 * rule before anything is used (exchange.c checks again before sending).
 * Process-wide; set once, before loading.
 */
void wif_config_set_url_check(int (*ok)(const char *url));

#define WIF_CONFIG_ENV "WIF_CONFIG"

/*
 * Whether loading checks that the files a source names (token files,
 * secret files) exist (default 1).  wifd's mint helpers after the first
 * one of a configuration turn it off: the configuration was checked when
 * wifd loaded it, and a file missing now must fail only its own source,
 * when used.  Process-wide; set before loading.
 */
void wif_config_set_path_checks(int on);

/* The configuration file to use: explicit_path when non-NULL, else
 * $WIF_CONFIG (not in root/setuid processes), else the built-in default.
 * Borrowed. */
const char *wif_config_path(const char *explicit_path);

/*
 * Write the files the configuration was loaded from (the main file, then
 * conf.d files in load order: path and exact bytes) to fd, for
 * wif_config_load_snapshot() in another process.  Short writes and EINTR
 * are retried; WIF_E_IO when fd refuses.  The format is private to the two
 * functions (length-prefixed, with a magic and a version) and carries
 * whether each file was group/world-readable, so that inline_secret_ok
 * comes out the same without a stat().  The bytes may hold inline secrets:
 * fd must be private to wifd and its helper (a memfd).
 */
int wif_config_snapshot_write(const struct wif_config *cfg, int fd);
/*
 * Load a configuration from a snapshot read from fd (until EOF, at most
 * MAX_FILES files of MAX_FILE_SIZE bytes - 256 of 1 MiB, see conf.c): the same parse and validation as
 * wif_config_load() on the bytes it holds, naming the files by their
 * original paths; the configuration files themselves are not opened again
 * (paths named inside them, such as a source's token file, are checked as
 * wif_config_load() checks them).  A truncated or malformed snapshot is
 * WIF_E_CONFIG "configuration snapshot from wifd ..."; reads from fd's
 * current offset.  Free with wif_config_free().
 */
int wif_config_load_snapshot(int fd, wif_config_schema_fn schema, void *arg,
                             struct wif_config **out);

/* The profile called name, or NULL. */
const struct wif_config_profile *wif_config_profile(const struct wif_config *cfg,
                                                    const char *name);

/* Typed access to a source section, used by the host services.  Return
 * WIF_OK, WIF_E_NOT_FOUND (absent) or WIF_E_CONFIG (wrong type; cannot
 * happen for declared options after validation). */
int wif_config_source_string(const struct wif_config_source *src,
                             const char *key, const char **out);
int wif_config_source_int(const struct wif_config_source *src,
                          const char *key, int64_t *out);
int wif_config_source_bool(const struct wif_config_source *src,
                           const char *key, int *out);
int wif_config_source_list_string(const struct wif_config_source *src,
                                  const char *key, size_t idx,
                                  const char **out);

/* Id syntax checks, shared with zero-config (environment) parsing. */
int wif_config_valid_rule_id(const char *s);        /* fdrl_[A-Za-z0-9]+ */
int wif_config_valid_service_account_id(const char *s); /* svac_[A-Za-z0-9]+ */
int wif_config_valid_workspace_id(const char *s);   /* wrkspc_[A-Za-z0-9]+ or "default" */
int wif_config_valid_uuid(const char *s);           /* 8-4-4-4-12 hex */
int wif_config_valid_profile_name(const char *s);
int wif_config_valid_provider_name(const char *s);  /* [a-z0-9_-]{1,64} */

#endif
