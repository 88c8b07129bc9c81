/* cache.c - the in-process token cache: two tiers, single-flight; see cache.h. */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "err.h"
#include "log.h"

#define PROFILE_MAX 128
/* Profiles come from the configuration; the cap only bounds what a
 * misbehaving caller asking for ever-new names can make us allocate. */
#define MAX_PROFILES 4096
#define DEFAULT_ADVISORY 120
#define DEFAULT_MANDATORY 30

struct entry {
	struct entry *next;
	struct wif_cache *cache;
	char profile[PROFILE_MAX + 1];
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* broadcast when a refresh completes */
	struct wif_token *tok;      /* secure memory, or NULL */
	int refreshing;
	int refresh_forced;         /* the one in flight was asked with FORCE */
	uint64_t gen;               /* completed refreshes: waiters wait for it to move */
	int waiters;
	int rc;                     /* result of the last completed refresh */
	char detail[WIF_ERR_MAX];   /* its wif_err() detail (thread-local there) */
	int64_t last_refresh_at;
	int adv_failed;
	int64_t adv_failed_at;
	pthread_t bg;
	int bg_joinable;
	uint64_t hits, cold_mints, advisory_refreshes, mandatory_refreshes,
	    failures;
};

struct wif_cache {
	wif_cache_refresh_fn fn;
	void *arg;
	int64_t (*now)(void);
	pthread_mutex_t mu;         /* the entry list; never held with an entry lock */
	struct entry *entries;
	size_t n_entries;
	int shutting_down;          /* atomic */
};

enum verdict { SERVE, SERVE_AND_REFRESH, REFRESH };

static int64_t
clock_now(const struct wif_cache *c)
{
	return c->now != NULL ? c->now() : (int64_t)time(NULL);
}

static void
policy_values(const struct wif_cache_policy *p, int *advisory, int *mandatory)
{
	*advisory = p != NULL && p->advisory > 0 ? p->advisory : DEFAULT_ADVISORY;
	*mandatory = p != NULL && p->mandatory > 0 ? p->mandatory :
	    DEFAULT_MANDATORY;
}

/*
 * A token without an expiry (expires_at <= 0) is served forever, as the SDKs
 * do with expires_at == null (PROTOCOL.md §4 step 2).
 */
static enum verdict
classify(const struct wif_token *t, int64_t now, int advisory, int mandatory,
         int min_valid)
{
	int64_t remaining;

	if (t->expires_at <= 0)
		return SERVE;
	remaining = t->expires_at - now;
	min_valid = wif_token_min_valid(t, min_valid);
	if (remaining <= mandatory || remaining < min_valid)
		return REFRESH;
	return remaining > advisory ? SERVE : SERVE_AND_REFRESH;
}

static int
check_profile(const char *profile)
{
	size_t n;

	if (profile == NULL || (n = strnlen(profile, PROFILE_MAX + 1)) == 0)
		return wif_err(WIF_E_INVALID_ARG, "token cache: empty profile name");
	if (n > PROFILE_MAX)
		return wif_err(WIF_E_INVALID_ARG, "token cache: profile name longer "
		    "than %d characters", PROFILE_MAX);
	return WIF_OK;
}

static struct entry *
entry_find_locked(struct wif_cache *c, const char *profile)
{
	struct entry *e;

	for (e = c->entries; e != NULL; e = e->next)
		if (strcmp(e->profile, profile) == 0)
			return e;
	return NULL;
}

/* Entries live until wif_cache_free(), so the pointer stays valid unlocked. */
static int
entry_get(struct wif_cache *c, const char *profile, int create,
          struct entry **out)
{
	struct entry *e;
	int r = WIF_OK;

	*out = NULL;
	if ((r = check_profile(profile)) != WIF_OK)
		return r;
	pthread_mutex_lock(&c->mu);
	if ((e = entry_find_locked(c, profile)) != NULL)
		goto out;
	if (!create) {
		r = wif_err(WIF_E_NOT_FOUND, "token cache: profile \"%s\" has not "
		    "been asked for", profile);
		goto out;
	}
	if (c->n_entries >= MAX_PROFILES) {
		r = wif_err(WIF_E_TOO_BIG, "token cache: more than %d profiles; "
		    "not caching \"%s\"", MAX_PROFILES, profile);
		goto out;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if (pthread_mutex_init(&e->mu, NULL) != 0) {
		free(e);
		e = NULL;
		r = wif_err(WIF_E_INTERNAL, "token cache: pthread_mutex_init failed");
		goto out;
	}
	if (pthread_cond_init(&e->cv, NULL) != 0) {
		pthread_mutex_destroy(&e->mu);
		free(e);
		e = NULL;
		r = wif_err(WIF_E_INTERNAL, "token cache: pthread_cond_init failed");
		goto out;
	}
	e->cache = c;
	snprintf(e->profile, sizeof(e->profile), "%s", profile);
	e->next = c->entries;
	c->entries = e;
	c->n_entries++;
out:
	pthread_mutex_unlock(&c->mu);
	*out = e;
	return r;
}

/* Normalise what the refresh function handed back; runs in its thread. */
static int
call_refresh(struct wif_cache *c, struct entry *e, unsigned flags,
             struct wif_token **tok)
{
	int r;

	*tok = NULL;
	wif_err_clear();
	r = c->fn(c->arg, e->profile, flags, tok);
	if (r == WIF_OK && (*tok == NULL || (*tok)->access_token == NULL))
		r = wif_err(WIF_E_INTERNAL, "token cache: the refresh of profile "
		    "\"%s\" succeeded without a token", e->profile);
	if (r != WIF_OK) {
		wif_token_free(*tok);
		*tok = NULL;
		if (wif_err_detail()[0] == '\0')
			wif_err(r, "refresh of profile \"%s\" failed: %s",
			    e->profile, wif_strerror(r));
	}
	return r;
}

/*
 * Record the result of a refresh (the entry lock held; tok transferred) and
 * wake every waiter.  detail must be read in the refreshing thread: it is
 * thread-local there.
 */
static void
publish(struct entry *e, int r, struct wif_token *tok, const char *detail,
        int advisory)
{
	int64_t now = clock_now(e->cache);

	e->refreshing = 0;
	e->refresh_forced = 0;
	e->gen++;
	e->rc = r;
	e->last_refresh_at = now;
	if (r == WIF_OK) {
		wif_token_free(e->tok);
		e->tok = tok;
		e->detail[0] = '\0';
		e->adv_failed = 0;
	} else {
		snprintf(e->detail, sizeof(e->detail), "%s", detail);
		e->failures++;
		if (advisory) {
			e->adv_failed = 1;
			e->adv_failed_at = now;
		}
	}
	pthread_cond_broadcast(&e->cv);
}

static void *
bg_main(void *arg)
{
	struct entry *e = arg;
	struct wif_token *tok = NULL;
	int r;

	r = call_refresh(e->cache, e, 0, &tok);
	pthread_mutex_lock(&e->mu);
	publish(e, r, tok, wif_err_detail(), 1);
	pthread_mutex_unlock(&e->mu);
	if (r != WIF_OK)
		log_warnx("profile %s: background refresh failed; the cached "
		    "token is served until its mandatory window (next try in "
		    "%d s): %s", e->profile, WIF_ADVISORY_BACKOFF,
		    wif_err_detail());
	return NULL;
}

/*
 * Advisory window: start one background refresh unless one is in flight or
 * the last one failed less than WIF_ADVISORY_BACKOFF s ago.  The previous
 * background thread has published already (refreshing is 0); it is handed
 * back in *old to be joined once the entry lock is released.
 */
static void
maybe_start_bg(struct entry *e, int64_t now, pthread_t *old, int *have_old)
{
	sigset_t all, saved;
	int err;

	if (e->refreshing ||
	    __atomic_load_n(&e->cache->shutting_down, __ATOMIC_ACQUIRE))
		return;
	if (e->adv_failed && now - e->adv_failed_at < WIF_ADVISORY_BACKOFF)
		return;
	if (e->bg_joinable) {
		*old = e->bg;
		*have_old = 1;
		e->bg_joinable = 0;
	}
	e->refreshing = 1;
	e->refresh_forced = 0;
	/* Signals belong to the threads the program set up for them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	err = pthread_create(&e->bg, NULL, bg_main, e);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (err != 0) {
		e->refreshing = 0;
		log_warnx("profile %s: cannot start a background refresh (%s); "
		    "the next request will try again", e->profile, strerror(err));
		return;
	}
	e->bg_joinable = 1;
	e->advisory_refreshes++;
}

/* Run the refresh in this thread; the entry lock is held on entry and exit,
 * released during the call. */
static int
refresh_here(struct entry *e, unsigned flags, struct wif_token **out)
{
	struct wif_token *tok = NULL;
	int r;

	e->refreshing = 1;
	e->refresh_forced = (flags & WIF_CACHE_FORCE) != 0;
	if (e->tok == NULL)
		e->cold_mints++;
	else
		e->mandatory_refreshes++;
	pthread_mutex_unlock(&e->mu);
	r = call_refresh(e->cache, e, flags & WIF_CACHE_FORCE, &tok);
	pthread_mutex_lock(&e->mu);
	publish(e, r, tok, wif_err_detail(), 0);
	if (r != WIF_OK)
		return r;
	return wif_token_dup(e->tok, out);
}

/* Block until the refresh in flight completes. */
static void
await_refresh(struct entry *e)
{
	uint64_t gen = e->gen;

	e->waiters++;
	while (e->gen == gen)
		pthread_cond_wait(&e->cv, &e->mu);
	e->waiters--;
}

int
wif_cache_new(wif_cache_refresh_fn fn, void *arg, int64_t (*now)(void),
              struct wif_cache **out)
{
	struct wif_cache *c;

	*out = NULL;
	if (fn == NULL)
		return wif_err(WIF_E_INVALID_ARG, "token cache: no refresh function");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return wif_err(WIF_E_INTERNAL, "token cache: pthread_mutex_init "
		    "failed");
	}
	c->fn = fn;
	c->arg = arg;
	c->now = now;
	*out = c;
	return WIF_OK;
}

void
wif_cache_free(struct wif_cache *c)
{
	struct entry *e, *next;
	pthread_t th;
	int join;

	if (c == NULL)
		return;
	__atomic_store_n(&c->shutting_down, 1, __ATOMIC_RELEASE);
	for (e = c->entries; e != NULL; e = e->next) {
		pthread_mutex_lock(&e->mu);
		join = e->bg_joinable;
		th = e->bg;
		e->bg_joinable = 0;
		pthread_mutex_unlock(&e->mu);
		if (join)
			pthread_join(th, NULL);
	}
	for (e = c->entries; e != NULL; e = next) {
		next = e->next;
		wif_token_free(e->tok);
		pthread_cond_destroy(&e->cv);
		pthread_mutex_destroy(&e->mu);
		free(e);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/*
 * After a refresh this caller waited for (or ran), the new token is returned
 * even when it has less than min_valid left: it is the freshest the server
 * will give, and asking again would only repeat the exchange.
 */
int
wif_cache_get(struct wif_cache *c, const char *profile,
              const struct wif_cache_policy *policy, int min_valid,
              unsigned flags, struct wif_token **out)
{
	struct entry *e;
	pthread_t old;
	int advisory, mandatory, r, have_old = 0;
	int force = (flags & WIF_CACHE_FORCE) != 0;

	*out = NULL;
	if (c == NULL)
		return wif_err(WIF_E_INVALID_ARG, "token cache: no cache");
	policy_values(policy, &advisory, &mandatory);
	if ((r = entry_get(c, profile, 1, &e)) != WIF_OK)
		return r;
	pthread_mutex_lock(&e->mu);
	for (;;) {
		if (!force && e->tok != NULL) {
			int64_t now = clock_now(c);

			switch (classify(e->tok, now, advisory, mandatory,
			    min_valid)) {
			case SERVE_AND_REFRESH:
				maybe_start_bg(e, now, &old, &have_old);
				/* FALLTHROUGH */
			case SERVE:
				e->hits++;
				r = wif_token_dup(e->tok, out);
				goto out;
			case REFRESH:
				break;
			}
		}
		if (flags & WIF_CACHE_NOWAIT) {
			r = WIF_CACHE_WOULD_BLOCK;
			goto out;
		}
		if (!e->refreshing) {
			r = refresh_here(e, flags, out);
			goto out;
		}
		/* A forced caller does not take a refresh started without
		 * FORCE: that one may hand back the token it was refused with. */
		if (force && !e->refresh_forced) {
			await_refresh(e);
			continue;
		}
		await_refresh(e);
		if (e->rc != WIF_OK) {
			r = wif_err(e->rc, "%s", e->detail);
			goto out;
		}
		if (e->tok != NULL) {
			r = wif_token_dup(e->tok, out);
			goto out;
		}
		/* Invalidated since that refresh published: start over. */
	}
out:
	pthread_mutex_unlock(&e->mu);
	if (have_old)
		pthread_join(old, NULL);
	return r;
}

void
wif_cache_invalidate(struct wif_cache *c, const char *profile)
{
	struct entry *e;

	if (c == NULL || entry_get(c, profile, 0, &e) != WIF_OK)
		return;
	pthread_mutex_lock(&e->mu);
	wif_token_free(e->tok);
	e->tok = NULL;
	e->adv_failed = 0;
	pthread_mutex_unlock(&e->mu);
}

int
wif_cache_put(struct wif_cache *c, const char *profile,
              const struct wif_token *t)
{
	struct wif_token *copy = NULL;
	struct entry *e;
	int r;

	if (c == NULL || t == NULL || t->access_token == NULL)
		return wif_err(WIF_E_INVALID_ARG, "token cache: no token to put");
	if ((r = entry_get(c, profile, 1, &e)) != WIF_OK ||
	    (r = wif_token_dup(t, &copy)) != WIF_OK)
		return r;
	pthread_mutex_lock(&e->mu);
	wif_token_free(e->tok);
	e->tok = copy;
	e->adv_failed = 0;
	pthread_mutex_unlock(&e->mu);
	return WIF_OK;
}

int
wif_cache_info(struct wif_cache *c, const char *profile,
               struct wif_cache_info *info)
{
	struct entry *e;
	int r;

	memset(info, 0, sizeof(*info));
	if (c == NULL)
		return wif_err(WIF_E_INVALID_ARG, "token cache: no cache");
	if ((r = entry_get(c, profile, 0, &e)) != WIF_OK)
		return r;
	pthread_mutex_lock(&e->mu);
	if (e->tok != NULL) {
		info->has_token = 1;
		info->expires_at = e->tok->expires_at;
		info->obtained_at = e->tok->obtained_at;
		snprintf(info->request_id, sizeof(info->request_id), "%s",
		    e->tok->request_id);
	}
	info->last_refresh_at = e->last_refresh_at;
	info->last_refresh_rc = e->rc;
	snprintf(info->last_error, sizeof(info->last_error), "%.*s",
	    (int)sizeof(info->last_error) - 1, e->detail);
	info->refreshing = e->refreshing;
	info->hits = e->hits;
	info->cold_mints = e->cold_mints;
	info->advisory_refreshes = e->advisory_refreshes;
	info->mandatory_refreshes = e->mandatory_refreshes;
	info->failures = e->failures;
	pthread_mutex_unlock(&e->mu);
	return WIF_OK;
}

int
wif_cache_waiters(struct wif_cache *c, const char *profile)
{
	struct entry *e;
	int n;

	if (c == NULL || entry_get(c, profile, 0, &e) != WIF_OK)
		return 0;
	pthread_mutex_lock(&e->mu);
	n = e->waiters;
	pthread_mutex_unlock(&e->mu);
	return n;
}

void
wif_cache_wait_idle(struct wif_cache *c, const char *profile)
{
	struct entry *e;

	if (c == NULL || entry_get(c, profile, 0, &e) != WIF_OK)
		return;
	pthread_mutex_lock(&e->mu);
	while (e->refreshing)
		await_refresh(e);
	pthread_mutex_unlock(&e->mu);
}
