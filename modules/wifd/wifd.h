/*
 * wifd.h - the daemon's shared state, between the event loop (wifd.c), the
 * request handlers (handle.c) and the refresher (refresh.c).
 */
#ifndef WIFD_H
#define WIFD_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "audit.h"
#include "cache.h"
#include "conf.h"
#include "metrics.h"
#include "minter.h"
#include "peer.h"
#include "wire.h"

#define WIFD_REPLY_MAX (WIF_WIRE_MAX + 4)
#define WIFD_DESCRIBE_MS 250            /* status waits this long for the helper */

/* What the daemon remembers per profile beyond the cache. */
struct wifd_profile {
	char name[160];
	int used;                       /* asked for, or has sinks: keep fresh */
	int jitter;                     /* seconds before the advisory window */
	uint8_t consumed[32];           /* last assertion the server judged */
	int has_consumed;
	char provider[64];              /* of the last refresh */
	char request_id[128];
	char iss[256], sub[256];
	int64_t next_try;               /* refresher backoff after a failure */
	int fails;                      /* consecutive refresher failures */
	struct wifd_profile *next;
};

struct wifd {
	const char *config_path;
	pthread_rwlock_t cfg_lock;      /* write: reload swaps cfg and minter */
	struct wif_config *cfg;
	struct wifd_minter *minter;     /* the mint helper for cfg */
	const char *mint_path;          /* wifd-mint */
	int mint_linger;                /* seconds an idle helper is kept */
	int log_level;                  /* of -v (NOTICE without) */
	int verbose;                    /* -v given: wif.log_level ignored */
	struct wif_cache *cache;
	struct wif_audit *audit;
	struct wif_metrics *metrics;
	pthread_mutex_t prof_mu;
	struct wifd_profile *profiles;
	volatile int stopping;
	pthread_mutex_t stop_mu;
	pthread_cond_t stop_cv;
	int refresh_tick_ms;            /* refresher period */
	int metrics_fd;                 /* wif.metrics_listen, or -1 */
	uint64_t connections;
	char session_dir[4096];         /* wif.session_dir, fixed at start */
	pthread_mutex_t sess_mu;        /* after cfg_lock when both */
	struct wifd_session *sessions;  /* session.c */
	int n_sessions;
};

/* handle.c: one parsed request -> a framed reply in out (len set).
 * Returns 1 when the request must go to a worker (it may block). */
int wifd_handle(struct wifd *d, struct wif_peer *peer,
                const struct wif_wire_msg *req, int may_block, char *out,
                size_t *len);
/* The profile a request names, or the one peer may use (under cfg_lock,
 * read); NULL with an error reply (and a denial audited) when none. */
const struct wif_config_profile *wifd_pick_profile(struct wifd *d,
    struct wif_peer *peer, const char *name, char *out, size_t *len);

/* session.c: pam_wif's sessions (op=session_open/session_close, on a
 * worker), their files kept fresh by the refresh callback. */
int wifd_session_op(struct wifd *d, struct wif_peer *peer,
                    const struct wif_wire_msg *req, int open, char *out,
                    size_t *len);
void wifd_sessions_deliver(struct wifd *d,
                           const struct wif_config_profile *cp,
                           const struct wif_token *t);
void wifd_sessions_sync(struct wifd *d);
void wifd_sessions_restore(struct wifd *d);
void wifd_sessions_free(struct wifd *d);
void wifd_sessions_reap(struct wifd *d);
/* flush: the sessions' credentials of profile go (the next mint writes
 * them again); under cfg_lock. */
void wifd_sessions_revoke(struct wifd *d, const char *profile);
struct json_object;
int wifd_sessions_json(struct wifd *d, uid_t uid, struct json_object *arr);

/* A framed error reply. */
void wifd_reply_error(char *out, size_t *len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* refresh.c */
struct wifd_profile *wifd_profile_get(struct wifd *d, const char *name);
void wifd_profile_mark_used(struct wifd *d, const char *name);
int wifd_refresh_cb(void *arg, const char *profile, unsigned flags,
                    struct wif_token **out);
void *wifd_refresher_main(void *arg);
/* Mark the profiles with sinks as used, and drop state of profiles that
 * are gone; under cfg_lock (read). */
void wifd_profiles_sync(struct wifd *d);
/* -v's level, else cfg's wif.log_level (wifd's and its helpers'). */
int wifd_log_level(const struct wifd *d, const struct wif_config *cfg);
/* Load the config and start its mint helper (which checks the sources). */
int wifd_load(struct wifd *d, struct wif_config **cfg, struct wifd_minter **m);
/* Reload the config; on failure the running one is kept. */
int wifd_reload(struct wifd *d);

/* metrics_http.c: listen per wif.metrics_listen (unix_path set for a Unix
 * socket, to remove at exit); the thread serves GET /metrics. */
int wifd_metrics_listen(const char *spec, char *unix_path, size_t len);
void *wifd_metrics_main(void *arg);

#endif
