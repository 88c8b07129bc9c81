/*
 * refresh.c - how wifd gets new tokens: the cache's refresh callback (one
 * mint per profile at a time: the cache is single-flight), the refresher
 * thread that renews tokens before the advisory window so that consumers
 * never wait, and configuration reload.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "mint.h"
#include "sink.h"
#include "util.h"
#include "wifd.h"

struct wifd_profile *
wifd_profile_get(struct wifd *d, const char *name)
{
	struct wifd_profile *p;
	uint32_t rnd = 0;

	pthread_mutex_lock(&d->prof_mu);
	for (p = d->profiles; p != NULL; p = p->next)
		if (strcmp(p->name, name) == 0)
			goto out;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto out;
	snprintf(p->name, sizeof(p->name), "%s", name);
	/* Spread renewals: up to 30 s before the advisory window. */
	(void)wif_random_bytes(&rnd, sizeof(rnd));
	p->jitter = (int)(rnd % 31);
	p->next = d->profiles;
	d->profiles = p;
out:
	pthread_mutex_unlock(&d->prof_mu);
	return p;
}

/* Keep profile fresh from now on (it was asked for, has sinks or sessions). */
void
wifd_profile_mark_used(struct wifd *d, const char *name)
{
	struct wifd_profile *p = wifd_profile_get(d, name);

	if (p != NULL) {
		pthread_mutex_lock(&d->prof_mu); /* the refresher reads it */
		p->used = 1;
		pthread_mutex_unlock(&d->prof_mu);
	}
}

/* Why an exchange failed, as a metric label (bounded set). */
static const char *
fail_reason(int r, const struct wif_mint_report *rep)
{
	switch (r) {
	case WIF_E_AUTH_DENIED: return "denied";
	case WIF_E_BAD_REQUEST: return "bad_request";
	case WIF_E_RATE_LIMITED: return "rate_limited";
	case WIF_E_SERVER: return "server";
	case WIF_E_TIMEOUT: return "timeout";
	case WIF_E_HTTP: return "network";
	case WIF_E_REPLAY: return "replay";
	case WIF_E_POLICY: return "policy";
	default: return rep->ex.http_status != 0 ? "response" : "other";
	}
}

static void
deliver_sinks(const struct wif_config_profile *cp, const struct wif_token *t)
{
	size_t i;

	for (i = 0; i < cp->n_sinks; i++) {
		if (wif_sink_write(&cp->sinks[i], cp->name, t) != WIF_OK)
			log_warnx("profile %s: sink %s: %s", cp->name,
			    cp->sinks[i].path, wif_err_detail());
	}
}

/* The cache calls this with no cache lock held, once per profile at a
 * time. */
int
wifd_refresh_cb(void *arg, const char *profile, unsigned flags,
                struct wif_token **out)
{
	struct wifd *d = arg;
	struct wifd_profile *ps;
	const struct wif_config_profile *cp;
	struct wif_mint_report rep;
	struct wif_audit_event ev;
	uint8_t last[32];
	char saved[WIF_ERR_MAX], hex[13];
	int has_last = 0, r;

	(void)flags;
	*out = NULL;
	if ((ps = wifd_profile_get(d, profile)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	pthread_mutex_lock(&d->prof_mu);
	if (ps->has_consumed) {
		memcpy(last, ps->consumed, sizeof(last));
		has_last = 1;
	}
	pthread_mutex_unlock(&d->prof_mu);

	pthread_rwlock_rdlock(&d->cfg_lock);
	cp = wif_config_profile(d->cfg, profile);
	if (cp == NULL) {
		r = wif_err(WIF_E_NOT_FOUND, "profile %s is no longer configured",
		    profile);
		pthread_rwlock_unlock(&d->cfg_lock);
		return r;
	}
	r = wifd_minter_mint(d->minter, profile, has_last ? last : NULL, out,
	    &rep);
	snprintf(saved, sizeof(saved), "%s", r == WIF_OK ? "" : wif_err_detail());

	pthread_mutex_lock(&d->prof_mu);
	if (rep.has_consumed) {
		memcpy(ps->consumed, rep.consumed_sha256, sizeof(ps->consumed));
		ps->has_consumed = 1;
	}
	snprintf(ps->provider, sizeof(ps->provider), "%s", rep.provider);
	snprintf(ps->request_id, sizeof(ps->request_id), "%s",
	    rep.ex.request_id);
	if (rep.provider[0] != '\0') {
		snprintf(ps->iss, sizeof(ps->iss), "%s", rep.iss);
		snprintf(ps->sub, sizeof(ps->sub), "%s", rep.sub);
	}
	pthread_mutex_unlock(&d->prof_mu);

	memset(&ev, 0, sizeof(ev));
	ev.profile = profile;
	ev.provider = rep.provider;
	ev.request_id = rep.ex.request_id;
	ev.pid = -1;
	if (r == WIF_OK) {
		wif_token_digest_hex(*out, hex);
		ev.event = "refresh";
		ev.token_sha256 = hex;
		ev.expires_at = (*out)->expires_at;
		ev.result = "ok";
		deliver_sinks(cp, *out);
		wifd_sessions_deliver(d, cp, *out);
	} else {
		ev.event = "refresh_fail";
		ev.result = saved;
		if (rep.attempts > 0)
			wif_metrics_inc(d->metrics, "exchange_fail",
			    fail_reason(r, &rep));
		else
			wif_metrics_inc(d->metrics, "provider_fail",
			    rep.provider[0] ? rep.provider : "none");
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	wif_audit_event(d->audit, &ev);
	if (r != WIF_OK)
		wif_err(r, "%s", saved);
	return r;
}

/* Profiles with sinks are kept fresh from the start; state of profiles no
 * longer configured is dropped (and their tokens forgotten). */
void
wifd_profiles_sync(struct wifd *d)
{
	const struct wif_config *cfg = d->cfg;
	struct wifd_profile **pp, *p;
	size_t i;

	for (i = 0; i < cfg->n_profiles; i++)
		if (cfg->profiles[i].n_sinks > 0)
			wifd_profile_mark_used(d, cfg->profiles[i].name);
	pthread_mutex_lock(&d->prof_mu);
	for (pp = &d->profiles; (p = *pp) != NULL;) {
		if (wif_config_profile(cfg, p->name) == NULL) {
			*pp = p->next;
			wif_cache_invalidate(d->cache, p->name);
			free(p);
			continue;
		}
		pp = &p->next;
	}
	pthread_mutex_unlock(&d->prof_mu);
}

/* wifd's log level, and its helpers': -v, else wif.log_level of cfg. */
int
wifd_log_level(const struct wifd *d, const struct wif_config *cfg)
{
	int l;

	if (!d->verbose && cfg->log_level != NULL &&
	    (l = wif_log_parse_level(cfg->log_level)) >= 0)
		return l;
	return d->log_level;
}

/*
 * Load the configuration and start a mint helper on it, which checks every
 * source (plugins validate their own settings): both or neither.  The
 * helper gets the bytes wifd read, whatever the files hold later.
 */
int
wifd_load(struct wifd *d, struct wif_config **cfg, struct wifd_minter **m)
{
	int r;

	*cfg = NULL;
	*m = NULL;
	if ((r = wif_config_load(d->config_path, NULL, NULL, NULL, cfg)) != WIF_OK)
		return r;
	if ((r = wifd_minter_new(d->mint_path, *cfg, wifd_log_level(d, *cfg),
	    d->mint_linger, m)) != WIF_OK) {
		wif_config_free(*cfg);
		*cfg = NULL;
	}
	return r;
}

int
wifd_reload(struct wifd *d)
{
	struct wif_config *nc, *old;
	struct wifd_minter *nm, *old_m;
	struct wif_audit_event ev;
	int r;

	memset(&ev, 0, sizeof(ev));
	ev.event = "reload";
	ev.pid = -1;
	if ((r = wifd_load(d, &nc, &nm)) != WIF_OK) {
		char why[WIF_ERR_MAX];
		snprintf(why, sizeof(why), "%s", wif_err_detail());
		log_warnx("reload of %s failed; keeping the running configuration: "
		    "%s", d->config_path, why);
		ev.result = "rejected";
		wif_audit_event(d->audit, &ev);
		return wif_err(r, "reload of %s failed; keeping the running "
		    "configuration: %s", d->config_path, why);
	}
	/* mints hold cfg_lock (read): none is in flight after this */
	pthread_rwlock_wrlock(&d->cfg_lock);
	old = d->cfg;
	old_m = d->minter;
	d->cfg = nc;
	d->minter = nm;
	wifd_profiles_sync(d);
	pthread_rwlock_unlock(&d->cfg_lock);
	/* sessions' NSS lookups and file writes without holding up requests */
	pthread_rwlock_rdlock(&d->cfg_lock);
	wifd_sessions_sync(d);
	pthread_rwlock_unlock(&d->cfg_lock);
	wifd_minter_free(old_m);
	wif_config_free(old);
	if (wif_audit_reopen(d->audit) != WIF_OK)
		log_warnx("%s", wif_err_detail());
	log_info("reloaded %s", d->config_path);
	ev.result = "ok";
	wif_audit_event(d->audit, &ev);
	return WIF_OK;
}

/* Renew before the advisory window, and before consumers' default headroom
 * (WIF_HEADROOM, when tokens live at least twice that), minus the profile's
 * jitter, so that a consumer never waits; after a failure back off 1, 2,
 * 4 ... 60 s. */
static void
refresh_pass(struct wifd *d)
{
	char names[64][160];
	size_t n = 0, i;
	struct wifd_profile *p;
	struct wif_cache_info info;
	struct wif_cache_policy pol;
	struct wif_token *t = NULL;
	const struct wif_config_profile *cp;
	int64_t now = wif_clock_now();
	int jitter, lead, r;

	pthread_mutex_lock(&d->prof_mu);
	for (p = d->profiles; p != NULL && n < 64; p = p->next)
		if (p->used && now >= p->next_try)
			snprintf(names[n++], sizeof(names[0]), "%s", p->name);
	pthread_mutex_unlock(&d->prof_mu);

	for (i = 0; i < n && !d->stopping; i++) {
		pthread_rwlock_rdlock(&d->cfg_lock);
		cp = wif_config_profile(d->cfg, names[i]);
		if (cp != NULL) {
			pol.advisory = cp->advisory;
			pol.mandatory = cp->mandatory;
		}
		pthread_rwlock_unlock(&d->cfg_lock);
		if (cp == NULL || (p = wifd_profile_get(d, names[i])) == NULL)
			continue;
		jitter = p->jitter;
		memset(&info, 0, sizeof(info));
		lead = pol.advisory;
		if (wif_cache_info(d->cache, names[i], &info) == WIF_OK &&
		    info.has_token && lead < WIF_HEADROOM &&
		    info.expires_at - info.obtained_at >= 2 * WIF_HEADROOM)
			lead = WIF_HEADROOM;
		if (info.has_token && (info.expires_at <= 0 ||
		    info.expires_at - now > lead + jitter))
			continue;
		if (info.has_token && info.refreshing)
			continue;
		r = wif_cache_get(d->cache, names[i], &pol, lead + jitter + 1, 0,
		    &t);
		wif_token_free(t);
		t = NULL;
		pthread_mutex_lock(&d->prof_mu);
		if (r == WIF_OK) {
			p->fails = 0;
			p->next_try = 0;
			wif_metrics_inc(d->metrics, "advisory_refresh", NULL);
		} else {
			int back = 1 << (p->fails < 6 ? p->fails : 6);
			p->fails++;
			p->next_try = wif_clock_now() + (back > 60 ? 60 : back);
		}
		pthread_mutex_unlock(&d->prof_mu);
	}
}

void *
wifd_refresher_main(void *arg)
{
	struct wifd *d = arg;
	struct timespec ts;

	pthread_mutex_lock(&d->stop_mu);
	while (!d->stopping) {
		pthread_mutex_unlock(&d->stop_mu);
		refresh_pass(d);
		wifd_sessions_reap(d);
		pthread_rwlock_rdlock(&d->cfg_lock);
		wifd_minter_tick(d->minter);
		pthread_rwlock_unlock(&d->cfg_lock);
		pthread_mutex_lock(&d->stop_mu);
		if (d->stopping)
			break;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += d->refresh_tick_ms / 1000;
		ts.tv_nsec += (long)(d->refresh_tick_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->stop_cv, &d->stop_mu, &ts);
	}
	pthread_mutex_unlock(&d->stop_mu);
	return NULL;
}
