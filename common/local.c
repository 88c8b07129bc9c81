/* local.c - tokens without a daemon: core + per-user file cache; see local.h. */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "core.h"
#include "crypto.h"
#include "err.h"
#include "filecache.h"
#include "fileio.h"
#include "host.h"
#include "local.h"
#include "log.h"
#include "mint.h"
#include "secmem.h"

#define RECORD_MAX (64 * 1024)
#define CONFIG_TEXT_MAX (1024 * 1024)

/* What we remember between processes about one key (never a secret). */
struct record {
	int advisory, mandatory;
	int64_t last_refresh_at;
	int last_rc;
	char last_error[1024];
	char provider[64];
	char request_id[128];
	int attempts;
	char iss[256], sub[256];
	int64_t identity_exp;
	uint8_t consumed[32];
	int has_consumed;
};

const char *
wif_local_profile(const struct wif_resolution *res)
{
	return res->profile[0] != '\0' ? res->profile : "default";
}

static int
make_key(const struct wif_resolution *res, const char *profile, char *key,
         size_t keylen)
{
	char *text = NULL, hex[65];
	size_t len = 0;
	uint8_t d[32];
	int r;

	if (!wif_config_valid_profile_name(profile))
		return wif_err(WIF_E_INVALID_ARG, "\"%s\" is not a valid profile "
		    "name", profile);
	if (res->config_text != NULL) {
		if ((text = wif_secmem_strdup(res->config_text)) == NULL)
			return wif_err(WIF_E_NOMEM, "out of memory");
		len = strlen(text);
	} else if ((r = wif_read_file(res->config_path, CONFIG_TEXT_MAX, 0,
	    &text, &len)) != WIF_OK)
		return wif_err_prefix(r, "configuration");
	/* profile name, NUL, config text: unambiguous. */
	{
		size_t pl = strlen(profile) + 1;
		char *buf = wif_secmem_alloc(pl + len);
		if (buf == NULL) {
			wif_secmem_free(text);
			return wif_err(WIF_E_NOMEM, "out of memory");
		}
		memcpy(buf, profile, pl);
		memcpy(buf + pl, text, len);
		r = wif_sha256(buf, pl + len, d);
		wif_secmem_free(buf);
	}
	wif_secmem_free(text);
	if (r != WIF_OK)
		return r;
	wif_hex(d, sizeof(d), hex);
	/* The hash covers the whole profile name, so a long name shortened
	 * for the file name (the cache allows 128 characters) stays unique. */
	snprintf(key, keylen, "%.64s-%.16s", profile, hex);
	return WIF_OK;
}

static void
rec_defaults(struct record *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->advisory = 120;
	rec->mandatory = 30;
}

static void
jcopy(json_object *o, const char *k, char *dst, size_t len)
{
	json_object *v;

	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string))
		snprintf(dst, len, "%s", json_object_get_string(v));
}

static int64_t
jint(json_object *o, const char *k, int64_t dflt)
{
	json_object *v;

	if (json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	return dflt;
}

static void
rec_read(const char *dir, const char *key, struct record *rec)
{
	char path[4400], *buf = NULL, hex[65] = "";
	size_t len = 0;
	json_object *o;

	rec_defaults(rec);
	snprintf(path, sizeof(path), "%s/%s.status.json", dir, key);
	if (wif_read_file(path, RECORD_MAX, WIF_READ_SECRET_FLAG, &buf, &len) != WIF_OK)
		return;
	o = json_tokener_parse(buf);
	wif_secmem_free(buf);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return;
	}
	rec->advisory = (int)jint(o, "advisory", 120);
	rec->mandatory = (int)jint(o, "mandatory", 30);
	rec->last_refresh_at = jint(o, "last_refresh_at", 0);
	rec->last_rc = (int)jint(o, "last_rc", 0);
	rec->attempts = (int)jint(o, "attempts", 0);
	rec->identity_exp = jint(o, "identity_exp", 0);
	jcopy(o, "last_error", rec->last_error, sizeof(rec->last_error));
	jcopy(o, "provider", rec->provider, sizeof(rec->provider));
	jcopy(o, "request_id", rec->request_id, sizeof(rec->request_id));
	jcopy(o, "iss", rec->iss, sizeof(rec->iss));
	jcopy(o, "sub", rec->sub, sizeof(rec->sub));
	jcopy(o, "consumed_sha256", hex, sizeof(hex));
	if (strlen(hex) == 64) {
		size_t i;
		for (i = 0; i < 32; i++) {
			unsigned v;
			if (sscanf(hex + 2 * i, "%2x", &v) != 1)
				break;
			rec->consumed[i] = (uint8_t)v;
		}
		rec->has_consumed = i == 32;
	}
	json_object_put(o);
}

static void
rec_write(const char *dir, const char *key, const struct record *rec)
{
	char path[4400], hex[65];
	json_object *o = json_object_new_object();
	const char *text;

	if (o == NULL)
		return;
	json_object_object_add(o, "advisory", json_object_new_int(rec->advisory));
	json_object_object_add(o, "mandatory", json_object_new_int(rec->mandatory));
	json_object_object_add(o, "last_refresh_at", json_object_new_int64(rec->last_refresh_at));
	json_object_object_add(o, "last_rc", json_object_new_int(rec->last_rc));
	json_object_object_add(o, "last_error", json_object_new_string(rec->last_error));
	json_object_object_add(o, "provider", json_object_new_string(rec->provider));
	json_object_object_add(o, "request_id", json_object_new_string(rec->request_id));
	json_object_object_add(o, "attempts", json_object_new_int(rec->attempts));
	json_object_object_add(o, "iss", json_object_new_string(rec->iss));
	json_object_object_add(o, "sub", json_object_new_string(rec->sub));
	json_object_object_add(o, "identity_exp", json_object_new_int64(rec->identity_exp));
	if (rec->has_consumed) {
		wif_hex(rec->consumed, sizeof(rec->consumed), hex);
		json_object_object_add(o, "consumed_sha256", json_object_new_string(hex));
	}
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	snprintf(path, sizeof(path), "%s/%s.status.json", dir, key);
	if (wif_write_file_atomic(path, text, strlen(text), 0600, (uid_t)-1,
	    (gid_t)-1) != WIF_OK)
		log_warnx("cannot write %s: %s", path, wif_err_detail());
	json_object_put(o);
}

/* Servable without refreshing: beyond the advisory window and min_valid. */
static int
fresh(const struct wif_token *t, const struct record *rec, int min_valid,
      int64_t now)
{
	int64_t rem = t->expires_at - now;

	min_valid = wif_token_min_valid(t, min_valid);
	return rem > rec->advisory && rem > rec->mandatory && rem >= min_valid;
}

/* Servable if a refresh fails: outside the mandatory window. */
static int
usable(const struct wif_token *t, const struct record *rec, int min_valid,
       int64_t now)
{
	int64_t rem = t->expires_at - now;

	min_valid = wif_token_min_valid(t, min_valid);
	return rem > rec->mandatory && rem >= min_valid;
}

static int
refresh_locked(const struct wif_resolution *res, const char *profile,
               const char *dir, const char *key, struct record *rec,
               struct wif_token **out)
{
	struct wif_core *core = NULL;
	const struct wif_config_profile *p;
	struct wif_mint_report rep;
	int r;

	*out = NULL;
	if ((r = wif_resolution_open_core(res, &core)) != WIF_OK)
		return r;
	if ((p = wif_config_profile(wif_core_config(core), profile)) == NULL) {
		const struct wif_config *cfg = wif_core_config(core);
		char names[512] = "";
		size_t i, used = 0;
		for (i = 0; i < cfg->n_profiles && used < sizeof(names); i++)
			used += (size_t)snprintf(names + used, sizeof(names) - used,
			    "%s%s", i ? ", " : "", cfg->profiles[i].name);
		r = wif_err(WIF_E_NOT_FOUND, "no profile \"%s\" in %s (profiles: "
		    "%s); pass --profile", profile, cfg->path,
		    cfg->n_profiles ? names : "none");
		goto out;
	}
	rec->advisory = p->advisory > 0 ? p->advisory : 120;
	rec->mandatory = p->mandatory > 0 ? p->mandatory : 30;
	r = wif_mint(core, profile, rec->has_consumed ? rec->consumed : NULL,
	    out, &rep);
	rec->last_refresh_at = wif_clock_now();
	rec->last_rc = r;
	rec->attempts = rep.attempts;
	snprintf(rec->last_error, sizeof(rec->last_error), "%s",
	    r == WIF_OK ? "" : wif_err_detail());
	snprintf(rec->provider, sizeof(rec->provider), "%s", rep.provider);
	snprintf(rec->request_id, sizeof(rec->request_id), "%s", rep.ex.request_id);
	if (rep.provider[0] != '\0') {
		snprintf(rec->iss, sizeof(rec->iss), "%s", rep.iss);
		snprintf(rec->sub, sizeof(rec->sub), "%s", rep.sub);
		rec->identity_exp = rep.identity_exp;
	}
	if (rep.has_consumed) {
		memcpy(rec->consumed, rep.consumed_sha256, sizeof(rec->consumed));
		rec->has_consumed = 1;
	}
	if (r == WIF_OK && wif_filecache_write(dir, key, *out) != WIF_OK)
		log_warnx("profile %s: cannot write the token cache in %s: %s",
		    profile, dir, wif_err_detail());
	{
		/* rec_write may clobber the thread's error detail. */
		char saved[WIF_ERR_MAX];
		snprintf(saved, sizeof(saved), "%s", wif_err_detail());
		rec_write(dir, key, rec);
		wif_err(r, "%s", saved);
	}
out:
	wif_core_close(core);
	return r;
}

/* After a failed refresh in the advisory window, other processes serve the
 * cached token for this long before one of them tries again. */
#define ADVISORY_BACKOFF_S 5

/*
 * In the advisory window the cached token is still good, so no consumer
 * waits for a refresh: one process (whoever gets the lock without waiting)
 * refreshes, the others serve the cached token; after a failure, everyone
 * serves it for ADVISORY_BACKOFF_S before the next try.  Only when the
 * token is inside the mandatory window (or absent, or short of min_valid)
 * do callers queue on the lock, so that exactly one of them exchanges.
 */
int
wif_local_token(const struct wif_resolution *res, const char *profile,
                int min_valid, unsigned flags, struct wif_token **out,
                const char **served_from)
{
	char dir[4096], key[200];
	struct wif_token *cached = NULL;
	struct record rec;
	int64_t now;
	int r, lockfd = -1, force = (flags & WIF_LOCAL_FORCE) != 0;

	*out = NULL;
	*served_from = "";
	if ((r = make_key(res, profile, key, sizeof(key))) != WIF_OK ||
	    (r = wif_filecache_dir(dir, sizeof(dir))) != WIF_OK)
		return r;
	rec_read(dir, key, &rec);
	now = wif_clock_now();
	if (wif_filecache_read(dir, key, &cached) != WIF_OK)
		cached = NULL;
	/* Fast path: no lock, no plugin, no network. */
	if (!force && cached != NULL && fresh(cached, &rec, min_valid, now)) {
		*out = cached;
		*served_from = "cache";
		return WIF_OK;
	}
	if (!force && cached != NULL && usable(cached, &rec, min_valid, now)) {
		if (rec.last_rc != WIF_OK && rec.last_refresh_at != 0 &&
		    now - rec.last_refresh_at < ADVISORY_BACKOFF_S) {
			*out = cached;
			*served_from = "cache (last refresh failed; backing off)";
			return WIF_OK;
		}
		if ((r = wif_filecache_trylock(dir, key, &lockfd)) != WIF_OK)
			goto out;
		if (lockfd < 0) {
			*out = cached;
			*served_from = "cache (another process is refreshing)";
			return WIF_OK;
		}
	} else if ((r = wif_filecache_lock(dir, key, &lockfd)) != WIF_OK) {
		goto out;
	}
	/* Whoever held the lock before us may have refreshed already. */
	wif_token_free(cached);
	cached = NULL;
	rec_read(dir, key, &rec);
	now = wif_clock_now();
	if (wif_filecache_read(dir, key, &cached) != WIF_OK)
		cached = NULL;
	if (cached != NULL && !force && fresh(cached, &rec, min_valid, now)) {
		*out = cached;
		*served_from = "cache";
		r = WIF_OK;
		goto out;
	}
	r = refresh_locked(res, profile, dir, key, &rec, out);
	if (r == WIF_OK) {
		*served_from = "minted";
	} else if (cached != NULL && !force &&
	    usable(cached, &rec, min_valid, wif_clock_now())) {
		/* Advisory window: a failed refresh keeps the valid token. */
		log_warnx("%s; serving the cached token, which is valid for "
		    "another %lld s", wif_err_detail(),
		    (long long)(cached->expires_at - wif_clock_now()));
		*out = cached;
		cached = NULL;
		*served_from = "cache (refresh failed)";
		r = WIF_OK;
	}
out:
	if (*out != cached)
		wif_token_free(cached);
	wif_filecache_unlock(lockfd);
	return r;
}

int
wif_local_status_get(const struct wif_resolution *res, const char *profile,
                     struct wif_local_status *st)
{
	struct record rec;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = make_key(res, profile, st->key, sizeof(st->key))) != WIF_OK ||
	    (r = wif_filecache_dir(st->dir, sizeof(st->dir))) != WIF_OK)
		return r;
	rec_read(st->dir, st->key, &rec);
	st->has_record = rec.last_refresh_at != 0;
	st->last_refresh_at = rec.last_refresh_at;
	st->last_rc = rec.last_rc;
	st->attempts = rec.attempts;
	st->advisory = rec.advisory;
	st->mandatory = rec.mandatory;
	st->identity_exp = rec.identity_exp;
	snprintf(st->last_error, sizeof(st->last_error), "%s", rec.last_error);
	snprintf(st->provider, sizeof(st->provider), "%s", rec.provider);
	snprintf(st->request_id, sizeof(st->request_id), "%s", rec.request_id);
	snprintf(st->iss, sizeof(st->iss), "%s", rec.iss);
	snprintf(st->sub, sizeof(st->sub), "%s", rec.sub);
	st->has_token = wif_filecache_read(st->dir, st->key, &st->token) == WIF_OK;
	return WIF_OK;
}

void
wif_local_status_free(struct wif_local_status *st)
{
	wif_token_free(st->token);
	st->token = NULL;
}

int
wif_local_flush(const struct wif_resolution *res, const char *profile)
{
	char dir[4096], key[200];
	int r;

	if ((r = make_key(res, profile, key, sizeof(key))) != WIF_OK ||
	    (r = wif_filecache_dir(dir, sizeof(dir))) != WIF_OK)
		return r;
	r = wif_filecache_remove(dir, key);
	return r == WIF_E_NOT_FOUND ? WIF_OK : r;
}
