/*
 * handle.c - wifd's requests: token, status, ping, and the root-only admin
 * operations reload and flush.  Each handler turns one parsed request from
 * one peer into one framed reply.  Access control lives here: a profile is
 * served only to the peers its allow list names (root always), and every
 * denial is audited and counted.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "secmem.h"
#include "sink.h"
#include "util.h"
#include "wifd.h"

void
wifd_reply_error(char *out, size_t *len, int rc, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wif_wire_begin(out, len);
	(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "status", "error");
	(void)wif_wire_addf(out, WIFD_REPLY_MAX, len, "rc", "%d", rc);
	(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "error", msg);
	*len = wif_wire_end(out, *len);
}

static void
audit_peer(struct wifd *d, struct wif_audit_event *ev, struct wif_peer *peer)
{
	if (wif_audit_enabled(d->audit))
		wif_peer_ensure(peer); /* exe and unit, read once */
	ev->uid = peer->uid;
	ev->pid = peer->pid;
	ev->exe = peer->exe;
	ev->unit = peer->unit;
}

/* May peer use profile cp?  Root always may. */
static int
allowed(struct wifd *d, const struct wif_config_profile *cp,
        struct wif_peer *peer, char *why, size_t len)
{
	(void)d;
	/* /proc is read only when a group or unit rule could decide. */
	if (peer->uid != 0 && (cp->allow.n_groups > 0 || cp->allow.n_units > 0))
		wif_peer_ensure(peer);
	return wif_acl_allows(&cp->allow, peer, cp->name, why, len);
}

static void
deny(struct wifd *d, struct wif_peer *peer, const char *profile,
     const char *why)
{
	struct wif_audit_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = "deny";
	ev.profile = profile;
	ev.result = why;
	audit_peer(d, &ev, peer);
	wif_audit_event(d->audit, &ev);
	wif_metrics_inc(d->metrics, "deny", NULL);
}

/*
 * The profile a token request names, or the one this peer may use: the
 * named one; else "default" when allowed; else the only allowed one.
 * Under cfg_lock (read).  NULL with the reply written when none.
 */
const struct wif_config_profile *
wifd_pick_profile(struct wifd *d, struct wif_peer *peer, const char *name,
                  char *out, size_t *len)
{
	const struct wif_config *cfg = d->cfg;
	const struct wif_config_profile *cp, *only = NULL;
	char why[512], names[512] = "";
	size_t i, n = 0, used = 0;

	if (name != NULL) {
		cp = wif_config_profile(cfg, name);
		if (cp == NULL || !allowed(d, cp, peer, why, sizeof(why))) {
			/* One answer for "no such profile" and "not yours",
			 * so that peers cannot list the profiles; the audit
			 * line says which. */
			deny(d, peer, name, cp == NULL ? "no such profile" : why);
			wifd_reply_error(out, len, WIF_E_DENIED, "profile %.128s "
			    "does not exist or uid %u may not use it: ask the "
			    "administrator to add you to its allow list "
			    "(allow.users, allow.groups or allow.units in %s)",
			    name, (unsigned)peer->uid, cfg->path);
			return NULL;
		}
		return cp;
	}
	if ((cp = wif_config_profile(cfg, "default")) != NULL &&
	    allowed(d, cp, peer, why, sizeof(why)))
		return cp;
	for (i = 0; i < cfg->n_profiles; i++) {
		cp = &cfg->profiles[i];
		if (!allowed(d, cp, peer, why, sizeof(why)))
			continue;
		only = cp;
		n++;
		if (used < sizeof(names))
			used += (size_t)snprintf(names + used, sizeof(names) - used,
			    "%s%s", n > 1 ? ", " : "", cp->name);
	}
	if (n == 1)
		return only;
	if (n == 0) {
		deny(d, peer, "", "no profile allows this peer");
		wifd_reply_error(out, len, WIF_E_DENIED, "uid %u may use no profile "
		    "of %s: ask the administrator to add it to a profile's allow "
		    "list", (unsigned)peer->uid, cfg->path);
		return NULL;
	}
	wifd_reply_error(out, len, WIF_E_INVALID_ARG, "several profiles are "
	    "open to uid %u (%s): name one (wif token --profile NAME)",
	    (unsigned)peer->uid, names);
	return NULL;
}

static int
op_token(struct wifd *d, struct wif_peer *peer,
         const struct wif_wire_msg *req, int may_block, char *out,
         size_t *len)
{
	const struct wif_config_profile *cp;
	struct wif_cache_policy pol;
	struct wif_cache_info info;
	struct wif_audit_event ev;
	struct wif_token *t = NULL;
	char profile[160], hex[16];
	int64_t min_valid = 0;
	int r, had_token;

	if (wif_wire_get(req, "min_valid") != NULL &&
	    (wif_wire_get_i64(req, "min_valid", &min_valid) != 0 ||
	    min_valid < 0 || min_valid > 86400)) {
		wifd_reply_error(out, len, WIF_E_INVALID_ARG, "min_valid must be "
		    "0..86400 seconds");
		return 0;
	}
	pthread_rwlock_rdlock(&d->cfg_lock);
	cp = wifd_pick_profile(d, peer, wif_wire_get(req, "profile"), out, len);
	if (cp != NULL) {
		snprintf(profile, sizeof(profile), "%s", cp->name);
		pol.advisory = cp->advisory;
		pol.mandatory = cp->mandatory;
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	if (cp == NULL)
		return 0;

	had_token = wif_cache_info(d->cache, profile, &info) == WIF_OK &&
	    info.has_token;
	r = wif_cache_get(d->cache, profile, &pol, (int)min_valid,
	    may_block ? 0 : WIF_CACHE_NOWAIT, &t);
	if (r == WIF_CACHE_WOULD_BLOCK)
		return 1;
	wifd_profile_mark_used(d, profile);
	memset(&ev, 0, sizeof(ev));
	ev.event = "issue";
	ev.profile = profile;
	audit_peer(d, &ev, peer);
	if (r != WIF_OK) {
		ev.result = wif_err_detail();
		wif_audit_event(d->audit, &ev);
		wifd_reply_error(out, len, r, "%s%s%s", strstr(wif_err_detail(),
		    profile) == NULL ? profile : "", strstr(wif_err_detail(),
		    profile) == NULL ? ": " : "", wif_err_detail());
		return 0;
	}
	if (!may_block)
		wif_metrics_inc(d->metrics, "cache_hit", NULL);
	else
		wif_metrics_inc(d->metrics, had_token ? "mandatory_refresh" :
		    "cold_mint", NULL);
	wif_wire_begin(out, len);
	if (wif_wire_add(out, WIFD_REPLY_MAX, len, "status", "ok") != 0 ||
	    wif_wire_add(out, WIFD_REPLY_MAX, len, "profile", profile) != 0 ||
	    wif_wire_add(out, WIFD_REPLY_MAX, len, "token",
	    t->access_token) != 0 ||
	    wif_wire_addf(out, WIFD_REPLY_MAX, len, "expires_at", "%lld",
	    (long long)t->expires_at) != 0 ||
	    wif_wire_add(out, WIFD_REPLY_MAX, len, "request_id",
	    t->request_id) != 0) {
		wif_token_free(t);
		wifd_reply_error(out, len, WIF_E_TOO_BIG, "token too large for "
		    "the wire protocol");
		return 0;
	}
	*len = wif_wire_end(out, *len);
	wif_token_digest_hex(t, hex);
	ev.token_sha256 = hex;
	ev.expires_at = t->expires_at;
	ev.request_id = t->request_id;
	ev.result = "ok";
	wif_audit_event(d->audit, &ev); /* before the free: request_id */
	wif_token_free(t);
	return 0;
}

static void
add_profile_status(struct wifd *d, json_object *arr,
                   const struct wif_config_profile *cp)
{
	struct wif_cache_info info;
	struct wifd_profile *ps;
	json_object *o = json_object_new_object();
	int64_t now = wif_clock_now();
	char state[256];
	size_t i;

	json_object_object_add(o, "profile", json_object_new_string(cp->name));
	json_object_object_add(o, "advisory", json_object_new_int(cp->advisory));
	json_object_object_add(o, "mandatory", json_object_new_int(cp->mandatory));
	json_object_object_add(o, "sinks", json_object_new_int((int)cp->n_sinks));
	if (wif_cache_info(d->cache, cp->name, &info) == WIF_OK) {
		json_object_object_add(o, "has_token",
		    json_object_new_boolean(info.has_token));
		if (info.has_token) {
			json_object_object_add(o, "expires_at",
			    json_object_new_int64(info.expires_at));
			json_object_object_add(o, "expires_in",
			    json_object_new_int64(info.expires_at - now));
		}
		json_object_object_add(o, "last_refresh_at",
		    json_object_new_int64(info.last_refresh_at));
		json_object_object_add(o, "last_refresh_ok",
		    json_object_new_boolean(info.last_refresh_rc == WIF_OK));
		json_object_object_add(o, "last_error",
		    json_object_new_string(info.last_error));
		json_object_object_add(o, "refreshing",
		    json_object_new_boolean(info.refreshing));
		json_object_object_add(o, "hits",
		    json_object_new_int64((int64_t)info.hits));
	} else {
		json_object_object_add(o, "has_token",
		    json_object_new_boolean(0));
	}
	/* What a source says about itself ("waiting for kubelet to rotate
	 * ..."), the first that says anything; called with cfg_lock held. */
	for (i = 0; i < cp->n_sources; i++)
		if (wifd_minter_describe(d->minter, cp->name, i, state,
		    sizeof(state), WIFD_DESCRIBE_MS) == WIF_OK &&
		    state[0] != '\0') {
			json_object_object_add(o, "source_state",
			    json_object_new_string(state));
			break;
		}
	if ((ps = wifd_profile_get(d, cp->name)) != NULL) {
		pthread_mutex_lock(&d->prof_mu);
		json_object_object_add(o, "provider",
		    json_object_new_string(ps->provider));
		json_object_object_add(o, "request_id",
		    json_object_new_string(ps->request_id));
		json_object_object_add(o, "iss", json_object_new_string(ps->iss));
		json_object_object_add(o, "sub", json_object_new_string(ps->sub));
		pthread_mutex_unlock(&d->prof_mu);
	}
	json_object_array_add(arr, o);
}

/* The profiles this peer may use (all for root), and the counters. */
static void
op_status(struct wifd *d, struct wif_peer *peer, char *out, size_t *len)
{
	const struct wif_config *cfg;
	json_object *root = json_object_new_object(), *arr, *m = NULL;
	char why[512], *mj = NULL;
	size_t i, mlen = 0;
	const char *text;

	arr = json_object_new_array();
	pthread_rwlock_rdlock(&d->cfg_lock);
	cfg = d->cfg;
	json_object_object_add(root, "config", json_object_new_string(cfg->path));
	{
		/* the process that mints, while it runs (wifd-mint(8)) */
		json_object *mh = json_object_new_object();
		uint64_t started;
		pid_t pid;

		wifd_minter_info(d->minter, &pid, &started);
		json_object_object_add(mh, "pid", json_object_new_int64(pid));
		json_object_object_add(mh, "started",
		    json_object_new_int64((int64_t)started));
		json_object_object_add(root, "mint_helper", mh);
	}
	for (i = 0; i < cfg->n_profiles; i++)
		if (allowed(d, &cfg->profiles[i], peer, why, sizeof(why)))
			add_profile_status(d, arr, &cfg->profiles[i]);
	pthread_rwlock_unlock(&d->cfg_lock);
	json_object_object_add(root, "profiles", arr);
	arr = json_object_new_array();
	if (wifd_sessions_json(d, peer->uid, arr))
		json_object_object_add(root, "sessions", arr);
	else
		json_object_put(arr);
	if (wif_metrics_json(d->metrics, &mj, &mlen) == WIF_OK &&
	    (m = json_tokener_parse(mj)) != NULL)
		json_object_object_add(root, "metrics", m);
	free(mj);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	wif_wire_begin(out, len);
	if (wif_wire_add(out, WIFD_REPLY_MAX, len, "status", "ok") != 0 ||
	    wif_wire_add(out, WIFD_REPLY_MAX, len, "json", text) != 0)
		wifd_reply_error(out, len, WIF_E_TOO_BIG, "status too large");
	else
		*len = wif_wire_end(out, *len);
	json_object_put(root);
}

static int
op_admin(struct wifd *d, struct wif_peer *peer, const char *op,
         const struct wif_wire_msg *req, char *out, size_t *len)
{
	const struct wif_config_profile *cp;
	struct wif_audit_event ev;
	const char *profile = wif_wire_get(req, "profile");
	size_t i;
	int r;

	memset(&ev, 0, sizeof(ev));
	ev.event = op;
	ev.profile = profile;
	audit_peer(d, &ev, peer);
	if (peer->uid != 0) {
		deny(d, peer, profile ? profile : "", "admin operations are "
		    "root's");
		wifd_reply_error(out, len, WIF_E_DENIED, "%s is for root only",
		    op);
		return 0;
	}
	if (strcmp(op, "reload") == 0) {
		if ((r = wifd_reload(d)) != WIF_OK) {
			wifd_reply_error(out, len, r, "%s", wif_err_detail());
			return 0;
		}
	} else { /* flush */
		if (profile == NULL) {
			wifd_reply_error(out, len, WIF_E_INVALID_ARG, "flush needs "
			    "profile=NAME");
			return 0;
		}
		pthread_rwlock_rdlock(&d->cfg_lock);
		cp = wif_config_profile(d->cfg, profile);
		if (cp == NULL) {
			pthread_rwlock_unlock(&d->cfg_lock);
			wifd_reply_error(out, len, WIF_E_NOT_FOUND, "no profile "
			    "%.128s", profile);
			return 0;
		}
		wif_cache_invalidate(d->cache, cp->name);
		for (i = 0; i < cp->n_sinks; i++)
			if (wif_sink_remove(&cp->sinks[i]) != WIF_OK)
				log_warnx("flush %s: %s", cp->name,
				    wif_err_detail());
		wifd_sessions_revoke(d, cp->name);
		pthread_rwlock_unlock(&d->cfg_lock);
		ev.event = "revoke";
	}
	ev.result = "ok";
	wif_audit_event(d->audit, &ev);
	wif_wire_begin(out, len);
	(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "status", "ok");
	*len = wif_wire_end(out, *len);
	return 0;
}

int
wifd_handle(struct wifd *d, struct wif_peer *peer,
            const struct wif_wire_msg *req, int may_block, char *out,
            size_t *len)
{
	const char *op = wif_wire_get(req, "op");

	if (op == NULL) {
		wifd_reply_error(out, len, WIF_E_PROTOCOL, "request without op");
		return 0;
	}
	if (strcmp(op, "token") == 0)
		return op_token(d, peer, req, may_block, out, len);
	if (strcmp(op, "ping") == 0) {
		wif_wire_begin(out, len);
		(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "status", "ok");
		(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "version",
		    PACKAGE_VERSION);
		*len = wif_wire_end(out, *len);
		return 0;
	}
	if (strcmp(op, "status") == 0) {
		op_status(d, peer, out, len);
		return 0;
	}
	if (strcmp(op, "session_open") == 0 || strcmp(op, "session_close") == 0) {
		if (!may_block)
			return 1;
		return wifd_session_op(d, peer, req, op[8] == 'o', out, len);
	}
	if (strcmp(op, "reload") == 0 || strcmp(op, "flush") == 0) {
		if (!may_block)
			return 1;
		return op_admin(d, peer, op, req, out, len);
	}
	wifd_reply_error(out, len, WIF_E_UNSUPPORTED, "unknown op %.32s", op);
	return 0;
}
