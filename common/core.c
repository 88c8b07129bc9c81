/* core.c - config + plugins + source chains; see core.h. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "crypto.h"
#include "err.h"
#include "exchange.h"
#include "host.h"
#include "loader.h"
#include "log.h"
#include "secmem.h"

struct source_inst {
	const struct wif_config_source *src;
	struct wif_plugin *plugin;     /* borrowed from the core's cache */
	struct wif_host *host;
	void *state;
	int initialised;
	int init_rc;
	pthread_mutex_t lock;          /* serialises calls on state */
};

struct profile_inst {
	const struct wif_config_profile *cfg;
	struct source_inst *srcs;
	size_t n_srcs;
};

struct plugin_slot {
	char *name;
	struct wif_plugin *plugin;     /* NULL when loading failed */
	int rc;
	char *error;
};

struct wif_core {
	struct wif_config *cfg;
	char *provider_dir;
	struct plugin_slot *plugins;
	size_t n_plugins;
	struct profile_inst *profiles;
	size_t n_profiles;
	pthread_mutex_t lock;          /* plugins[] and lazy init */
	int64_t (*now)(void);
	int64_t (*monotonic_ms)(void);
};

/* Load (once) the plugin called name; the result is cached, failures too. */
static struct plugin_slot *
plugin_get(struct wif_core *c, const char *name)
{
	struct plugin_slot *s, *tmp;
	size_t i;

	for (i = 0; i < c->n_plugins; i++)
		if (strcmp(c->plugins[i].name, name) == 0)
			return &c->plugins[i];
	if ((tmp = realloc(c->plugins, (c->n_plugins + 1) * sizeof(*tmp))) == NULL)
		return NULL;
	c->plugins = tmp;
	s = &c->plugins[c->n_plugins];
	memset(s, 0, sizeof(*s));
	if ((s->name = strdup(name)) == NULL)
		return NULL;
	c->n_plugins++;
	s->rc = wif_loader_load(c->provider_dir, name, &s->plugin);
	if (s->rc != WIF_OK)
		s->error = strdup(wif_err_detail());
	return s;
}

static int
schema_cb(void *arg, const char *provider_dir, const char *provider,
          const struct wif_option **options)
{
	struct wif_core *c = arg;
	struct plugin_slot *s;

	*options = NULL;
	if (c->provider_dir == NULL &&
	    (c->provider_dir = strdup(wif_loader_dir(provider_dir))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if ((s = plugin_get(c, provider)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if (s->rc != WIF_OK)
		return wif_err(s->rc, "%s", s->error ? s->error : wif_strerror(s->rc));
	*options = s->plugin->prov->options;
	return WIF_OK;
}

void
wif_core_close(struct wif_core *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->n_profiles; i++) {
		for (j = 0; j < c->profiles[i].n_srcs; j++) {
			struct source_inst *si = &c->profiles[i].srcs[j];
			if (si->initialised && si->init_rc == WIF_OK)
				si->plugin->prov->destroy(si->state);
			wif_host_free(si->host);
			pthread_mutex_destroy(&si->lock);
		}
		free(c->profiles[i].srcs);
	}
	free(c->profiles);
	for (i = 0; i < c->n_plugins; i++) {
		wif_loader_unload(c->plugins[i].plugin);
		free(c->plugins[i].name);
		free(c->plugins[i].error);
	}
	free(c->plugins);
	wif_config_free(c->cfg);
	free(c->provider_dir);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* How core_open() loads the configuration into c->cfg (schema_cb checks
 * each provider's keys): from a path or from a snapshot. */
typedef int (*core_load_fn)(struct wif_core *c, const void *from);

static int
load_path(struct wif_core *c, const void *from)
{
	return wif_config_load(wif_config_path(from), NULL, schema_cb, c,
	    &c->cfg);
}

static int
load_snapshot(struct wif_core *c, const void *from)
{
	return wif_config_load_snapshot(*(const int *)from, schema_cb, c,
	    &c->cfg);
}

/* wif_core_open() and wif_core_open_snapshot(): load, then prepare. */
static int
core_open(core_load_fn load, const void *from, struct wif_core **out)
{
	struct wif_core *c;
	size_t i, j;
	int r;

	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	c->now = wif_clock_now;
	c->monotonic_ms = wif_clock_monotonic_ms;
	wif_config_set_url_check(wif_exchange_url_ok);
	if ((r = load(c, from)) != WIF_OK)
		goto out;
	if (c->provider_dir == NULL &&
	    (c->provider_dir = strdup(wif_loader_dir(c->cfg->provider_dir))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if (c->cfg->n_profiles > 0 &&
	    (c->profiles = calloc(c->cfg->n_profiles, sizeof(*c->profiles))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	c->n_profiles = c->cfg->n_profiles;
	for (i = 0; i < c->n_profiles; i++) {
		struct profile_inst *pi = &c->profiles[i];
		pi->cfg = &c->cfg->profiles[i];
		if ((pi->srcs = calloc(pi->cfg->n_sources, sizeof(*pi->srcs))) == NULL) {
			r = wif_err(WIF_E_NOMEM, "out of memory");
			goto out;
		}
		pi->n_srcs = pi->cfg->n_sources;
		for (j = 0; j < pi->n_srcs; j++) {
			pi->srcs[j].src = &pi->cfg->sources[j];
			pthread_mutex_init(&pi->srcs[j].lock, NULL);
		}
	}
	*out = c;
	c = NULL; /* transferred */
	r = WIF_OK;
out:
	wif_core_close(c);
	return r;
}

int
wif_core_open(const char *path, struct wif_core **out)
{
	return core_open(load_path, path, out);
}

int
wif_core_open_snapshot(int fd, struct wif_core **out)
{
	return core_open(load_snapshot, &fd, out);
}

const struct wif_config *
wif_core_config(const struct wif_core *c)
{
	return c->cfg;
}

const char *
wif_core_provider_dir(const struct wif_core *c)
{
	return c->provider_dir;
}

void
wif_core_set_clock(struct wif_core *c, int64_t (*now)(void),
                   int64_t (*monotonic_ms)(void))
{
	c->now = now ? now : wif_clock_now;
	c->monotonic_ms = monotonic_ms ? monotonic_ms : wif_clock_monotonic_ms;
}

void
wif_identity_free(struct wif_identity *id)
{
	if (id == NULL)
		return;
	wif_secmem_free(id->jwt);
	wif_jwt_claims_free(id->claims);
	free(id->provider);
	free(id);
}

static struct profile_inst *
profile_find(struct wif_core *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_profiles; i++)
		if (strcmp(c->profiles[i].cfg->name, name) == 0)
			return &c->profiles[i];
	return NULL;
}

/* Initialise a source instance once; the result (success or not) sticks. */
static int
source_init(struct wif_core *c, struct profile_inst *pi, struct source_inst *si)
{
	struct wif_host_params hp;
	struct plugin_slot *slot;
	int r;

	pthread_mutex_lock(&c->lock);
	if (si->initialised) {
		r = si->init_rc;
		if (r != WIF_OK)
			wif_err(r, "provider %s failed to initialise earlier",
			    si->src->provider);
		goto out;
	}
	if ((slot = plugin_get(c, si->src->provider)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if (slot->rc != WIF_OK) {
		r = wif_err(slot->rc, "%s", slot->error ? slot->error : "");
		goto done;
	}
	si->plugin = slot->plugin;
	memset(&hp, 0, sizeof(hp));
	hp.provider = si->src->provider;
	hp.profile = pi->cfg->name;
	hp.src = si->src;
	hp.http = &c->cfg->http;
	hp.now = c->now;
	hp.monotonic_ms = c->monotonic_ms;
	if ((r = wif_host_new(&hp, &si->host)) != WIF_OK)
		goto done;
	wif_err_clear();
	r = si->plugin->prov->init(si->host, &si->state);
	if (r != WIF_OK && wif_err_detail()[0] == '\0')
		wif_err(r, "init failed: %s", wif_strerror(r));
done:
	si->initialised = 1;
	si->init_rc = r;
out:
	pthread_mutex_unlock(&c->lock);
	return r;
}

static int
source_fetch(struct wif_core *c, struct profile_inst *pi, struct source_inst *si,
             unsigned flags, const uint8_t *last, char **jwt)
{
	struct wif_fetch_request req;
	int serial, r;

	*jwt = NULL;
	memset(&req, 0, sizeof(req));
	req.struct_size = sizeof(req);
	req.abi_major = WIF_PROVIDER_ABI_MAJOR;
	req.abi_minor = WIF_PROVIDER_ABI_MINOR;
	req.profile = pi->cfg->name;
	req.audience = pi->cfg->audience ? pi->cfg->audience : WIF_DEFAULT_AUDIENCE;
	req.flags = flags;
	if (last != NULL)
		memcpy(req.last_sha256, last, sizeof(req.last_sha256));
	req.deadline_ms = c->monotonic_ms() + c->cfg->http.budget_ms;
	serial = !(si->plugin->prov->flags & WIF_PROVIDER_THREAD_SAFE);
	if (serial)
		pthread_mutex_lock(&si->lock);
	wif_err_clear();
	r = si->plugin->prov->fetch_identity_token(si->state, &req, jwt);
	if (serial)
		pthread_mutex_unlock(&si->lock);
	if (r == WIF_OK && (*jwt == NULL || (*jwt)[0] == '\0')) {
		wif_secmem_free(*jwt);
		*jwt = NULL;
		r = wif_err(WIF_E_PROVIDER, "returned success but no token "
		    "(a bug in the plugin)");
	} else if (r != WIF_OK) {
		if (*jwt != NULL) { /* plugin broke the contract: don't leak */
			wif_secmem_free(*jwt);
			*jwt = NULL;
		}
		if (wif_err_detail()[0] == '\0')
			wif_err(r, "%s", wif_strerror(r));
	}
	return r;
}

int
wif_core_fetch_identity(struct wif_core *c, const char *profile,
                        unsigned flags, const uint8_t *last_sha256,
                        struct wif_identity **out)
{
	struct profile_inst *pi;
	struct wif_identity *id = NULL;
	char errors[WIF_ERR_MAX] = "";
	size_t i, used = 0;
	int r = WIF_E_NO_CREDENTIALS, tried = 0;

	*out = NULL;
	if ((pi = profile_find(c, profile)) == NULL)
		return wif_err(WIF_E_NOT_FOUND, "no profile \"%s\" in %s (see "
		    "`wif check-config` for the profiles defined)", profile,
		    c->cfg->path);
	for (i = 0; i < pi->n_srcs; i++) {
		struct source_inst *si = &pi->srcs[i];
		char *jwt = NULL;
		int rr;

		if ((rr = source_init(c, pi, si)) == WIF_OK) {
			if (pi->n_srcs > 1 && si->plugin->prov->detect != NULL &&
			    si->plugin->prov->detect(si->host) == 0) {
				wif_err(WIF_E_NOT_APPLICABLE, "does not apply on "
				    "this host (detect)");
				rr = WIF_E_NOT_APPLICABLE;
			} else {
				tried = 1;
				rr = source_fetch(c, pi, si, flags, last_sha256, &jwt);
			}
		}
		if (rr == WIF_OK) {
			struct wif_jwt_claims *claims = NULL;
			size_t len = strlen(jwt);

			if ((rr = wif_jwt_decode(jwt, len, &claims)) == WIF_OK &&
			    (rr = wif_jwt_check_time(claims, c->now())) == WIF_OK) {
				if ((id = calloc(1, sizeof(*id))) == NULL ||
				    (id->provider = strdup(si->src->provider)) == NULL) {
					wif_identity_free(id);
					wif_jwt_claims_free(claims);
					wif_secmem_free(jwt);
					return wif_err(WIF_E_NOMEM, "out of memory");
				}
				id->jwt = jwt;
				id->jwt_len = len;
				id->claims = claims;
				id->source_index = i;
				wif_sha256(jwt, len, id->sha256);
				*out = id;
				return WIF_OK;
			}
			wif_jwt_claims_free(claims);
			wif_secmem_free(jwt);
		}
		/* Keep the reason of every source; report all if none works. */
		used += (size_t)snprintf(errors + used, used < sizeof(errors) ?
		    sizeof(errors) - used : 0, "%ssource %zu (%s, %s:%d): %s",
		    i ? "; " : "", i + 1, si->src->provider, si->src->loc.file,
		    si->src->loc.line, wif_err_detail());
		if (used >= sizeof(errors))
			used = sizeof(errors) - 1;
		r = rr;
		log_debug("profile %s: source %zu (%s) failed: %s", profile,
		    i + 1, si->src->provider, wif_strerror(rr));
	}
	if (!tried && pi->n_srcs > 1)
		r = WIF_E_NOT_APPLICABLE;
	return wif_err(r, "profile %s: no identity token: %s", profile, errors);
}

int
wif_core_describe_source(struct wif_core *c, const char *profile, size_t idx,
                         char *buf, size_t len)
{
	struct profile_inst *pi;
	struct source_inst *si;
	int r;

	if ((pi = profile_find(c, profile)) == NULL || idx >= pi->n_srcs)
		return WIF_E_NOT_FOUND;
	si = &pi->srcs[idx];
	if (!si->initialised || si->init_rc != WIF_OK ||
	    !WIF_HAS(struct wif_provider, si->plugin->prov, describe) ||
	    si->plugin->prov->describe == NULL)
		return WIF_E_NOT_FOUND;
	/* Never wait for a fetch: the caller may be wifd's event loop, and a
	 * fetch can take the whole HTTP budget.  A plugin that is not thread
	 * safe is busy while its lock is held, and that is what it says. */
	if (pthread_mutex_trylock(&si->lock) != 0) {
		snprintf(buf, len, "fetching an identity token");
		return WIF_OK;
	}
	r = si->plugin->prov->describe(si->state, buf, len);
	pthread_mutex_unlock(&si->lock);
	return r;
}

int
wif_core_check(struct wif_core *c)
{
	char errors[WIF_ERR_MAX] = "";
	size_t i, j, used = 0;
	int r, first = WIF_OK;

	for (i = 0; i < c->n_profiles; i++) {
		for (j = 0; j < c->profiles[i].n_srcs; j++) {
			struct source_inst *si = &c->profiles[i].srcs[j];
			if ((r = source_init(c, &c->profiles[i], si)) == WIF_OK)
				continue;
			if (first == WIF_OK)
				first = r;
			used += (size_t)snprintf(errors + used, used < sizeof(errors) ?
			    sizeof(errors) - used : 0, "%s%s:%d: profile %s: "
			    "provider %s: %s", used ? "\n" : "", si->src->loc.file,
			    si->src->loc.line, c->profiles[i].cfg->name,
			    si->src->provider, wif_err_detail());
			if (used >= sizeof(errors))
				used = sizeof(errors) - 1;
		}
	}
	if (first != WIF_OK)
		return wif_err(first == WIF_E_CONFIG ? WIF_E_CONFIG : first, "%s", errors);
	return WIF_OK;
}
