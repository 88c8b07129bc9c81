/* conf.c - wif.conf + conf.d (libconfig), strict validation; see conf.h. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "exchange.h"

#define MAX_FILES 256
#define MAX_ERRORS_TEXT (WIF_ERR_MAX - 64)

struct priv {
	config_t *trees[MAX_FILES];
	size_t n;
};

/* Every problem found, "FILE:LINE: ...", one per line. */
struct errs {
	char text[MAX_ERRORS_TEXT];
	size_t len;
	int count;
};

static void
errs_add(struct errs *e, const char *file, int line, const char *fmt, ...)
    WIF_PRINTF(4, 5);

static void
errs_add(struct errs *e, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e->count++;
	if (e->len >= sizeof(e->text) - 1)
		return;
	n = snprintf(e->text + e->len, sizeof(e->text) - e->len, "%s%s:%d: %s",
	    e->len ? "\n" : "", file ? file : "?", line, msg);
	if (n > 0)
		e->len += (size_t)n;
	if (e->len >= sizeof(e->text))
		e->len = sizeof(e->text) - 1;
}

static const char *
sfile(const config_setting_t *s)
{
	const char *f = config_setting_source_file(s);
	return f ? f : "?";
}

static int
sline(const config_setting_t *s)
{
	return (int)config_setting_source_line(s);
}

#define ERR(e, s, ...) errs_add((e), sfile(s), sline(s), __VA_ARGS__)

static const char *
type_name(int t)
{
	switch (t) {
	case CONFIG_TYPE_GROUP: return "a group { ... }";
	case CONFIG_TYPE_INT: case CONFIG_TYPE_INT64: return "an integer";
	case CONFIG_TYPE_FLOAT: return "a float";
	case CONFIG_TYPE_STRING: return "a string";
	case CONFIG_TYPE_BOOL: return "a boolean";
	case CONFIG_TYPE_ARRAY: return "an array [ ... ]";
	case CONFIG_TYPE_LIST: return "a list ( ... )";
	}
	return "?";
}

/* Unknown members of a group are errors that list what is allowed. */
static void
check_keys(struct errs *e, const config_setting_t *g, const char *where,
           const char *const *allowed)
{
	char list[512];
	size_t used = 0, k;
	int i, n = config_setting_length(g);

	list[0] = '\0';
	for (k = 0; allowed[k] != NULL && used < sizeof(list); k++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
		    k ? ", " : "", allowed[k]);
	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		int ok = 0;
		for (k = 0; name != NULL && allowed[k] != NULL; k++)
			if (strcmp(name, allowed[k]) == 0)
				ok = 1;
		if (!ok)
			ERR(e, m, "unknown key \"%s\" in %s; allowed: %s", name ? name : "?",
			    where, list);
	}
}

/* Optional string member: NULL when absent; a type error otherwise. */
static int
opt_string(struct errs *e, const config_setting_t *g, const char *key,
           const char *where, char **out)
{
	config_setting_t *m = config_setting_get_member(g, key);

	*out = NULL;
	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		ERR(e, m, "%s.%s must be a string, not %s", where, key,
		    type_name(config_setting_type(m)));
		return -1;
	}
	if ((*out = strdup(config_setting_get_string(m))) == NULL)
		return -1;
	return 1;
}

static int
opt_int(struct errs *e, const config_setting_t *g, const char *key,
        const char *where, long long lo, long long hi, long long *out)
{
	config_setting_t *m = config_setting_get_member(g, key);
	long long v;

	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_INT &&
	    config_setting_type(m) != CONFIG_TYPE_INT64) {
		ERR(e, m, "%s.%s must be an integer, not %s", where, key,
		    type_name(config_setting_type(m)));
		return -1;
	}
	v = config_setting_get_int64(m);
	if (v < lo || v > hi) {
		ERR(e, m, "%s.%s = %lld is out of range (%lld to %lld)", where, key,
		    v, lo, hi);
		return -1;
	}
	*out = v;
	return 1;
}

static int
all_chars(const char *s, const char *set)
{
	return s[0] != '\0' && strspn(s, set) == strlen(s);
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

static int
prefixed_id(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s != NULL && strncmp(s, prefix, n) == 0 && strlen(s) <= 128 &&
	    all_chars(s + n, ALNUM);
}

int
wif_config_valid_rule_id(const char *s)
{
	return prefixed_id(s, "fdrl_");
}

int
wif_config_valid_service_account_id(const char *s)
{
	return prefixed_id(s, "svac_");
}

int
wif_config_valid_workspace_id(const char *s)
{
	return s != NULL && (strcmp(s, "default") == 0 || prefixed_id(s, "wrkspc_"));
}

int
wif_config_valid_uuid(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
wif_config_valid_profile_name(const char *s)
{
	return s != NULL && s[0] != '.' && strlen(s) <= 128 &&
	    all_chars(s, ALNUM "_.-");
}

int
wif_config_valid_provider_name(const char *s)
{
	return s != NULL && strlen(s) <= 64 &&
	    all_chars(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");
}

/* Owned by root or us, not writable by others (a config decides what code
 * runs and where tokens go). */
static int
check_file_safe(const char *path, int *group_or_world_readable)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return wif_err(WIF_E_NOT_FOUND, "%s does not exist; create it "
			    "(see wif.conf(5)) or pass another with --config", path);
		return wif_err(WIF_E_IO, "cannot stat %s: %s", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return wif_err(WIF_E_IO, "%s is not a regular file", path);
	if (st.st_uid != 0 && st.st_uid != geteuid())
		return wif_err(WIF_E_PERM, "%s is owned by uid %u, not by root or "
		    "uid %u: chown root %s", path, (unsigned)st.st_uid,
		    (unsigned)geteuid(), path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return wif_err(WIF_E_PERM, "%s is writable by %s (mode %04o): "
		    "chmod go-w %s", path, (st.st_mode & S_IWOTH) ? "everyone" :
		    "its group", (unsigned)(st.st_mode & 07777), path);
	if (group_or_world_readable != NULL)
		*group_or_world_readable = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
	return WIF_OK;
}

static int
read_tree(struct priv *pv, const char *path, config_t **out)
{
	config_t *c;
	int r;

	*out = NULL;
	if ((r = check_file_safe(path, NULL)) != WIF_OK)
		return r;
	if (pv->n >= MAX_FILES)
		return wif_err(WIF_E_CONFIG, "more than %d configuration files", MAX_FILES);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	config_init(c);
	pv->trees[pv->n++] = c;
	if (config_read_file(c, path) != CONFIG_TRUE) {
		if (config_error_type(c) == CONFIG_ERR_FILE_IO)
			return wif_err(WIF_E_IO, "cannot read %s", path);
		return wif_err(WIF_E_CONFIG, "%s:%d: syntax error: %s; see wif.conf(5)",
		    config_error_file(c) ? config_error_file(c) : path,
		    config_error_line(c), config_error_text(c));
	}
	*out = c;
	return WIF_OK;
}

static char **
string_array(struct errs *e, const config_setting_t *g, const char *key,
             const char *where, size_t *n_out)
{
	config_setting_t *m = config_setting_get_member(g, key);
	char **v;
	int i, n;

	*n_out = 0;
	if (m == NULL)
		return NULL;
	if (config_setting_type(m) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(m) != CONFIG_TYPE_LIST) {
		ERR(e, m, "%s.%s must be an array of strings [ \"...\" ]", where, key);
		return NULL;
	}
	n = config_setting_length(m);
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		config_setting_t *x = config_setting_get_elem(m, (unsigned)i);
		if (config_setting_type(x) != CONFIG_TYPE_STRING) {
			ERR(e, x, "%s.%s[%d] must be a string", where, key, i);
			continue;
		}
		v[(*n_out)++] = strdup(config_setting_get_string(x));
	}
	return v;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static int
opt_type_ok(const config_setting_t *m, int type)
{
	int t = config_setting_type(m);

	switch (type) {
	case WIF_OPT_STRING: return t == CONFIG_TYPE_STRING;
	case WIF_OPT_INT: return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case WIF_OPT_BOOL: return t == CONFIG_TYPE_BOOL;
	case WIF_OPT_STRING_LIST: {
		int i, n;
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			return 0;
		n = config_setting_length(m);
		for (i = 0; i < n; i++)
			if (config_setting_type(config_setting_get_elem(m, (unsigned)i)) !=
			    CONFIG_TYPE_STRING)
				return 0;
		return 1;
	}
	}
	return 0;
}

static const char *
opt_type_name(int type)
{
	switch (type) {
	case WIF_OPT_STRING: return "a string";
	case WIF_OPT_INT: return "an integer";
	case WIF_OPT_BOOL: return "a boolean (true/false)";
	case WIF_OPT_STRING_LIST: return "an array of strings";
	}
	return "?";
}

static void warn(struct wif_config *cfg, const config_setting_t *s,
                 const char *fmt, ...) WIF_PRINTF(3, 4);

/* Provider schemas are looked up once per name. */
struct schema_cache {
	char *name[64];
	const struct wif_option *opts[64];
	int rc[64];
	char *error[64];
	size_t n;
};

static int
schema_get(struct schema_cache *sc, wif_config_schema_fn fn, void *arg,
           const char *dir, const char *provider, const struct wif_option **opts,
           const char **error)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->name[i], provider) == 0)
			goto found;
	if (sc->n >= 64)
		return WIF_E_CONFIG;
	i = sc->n++;
	sc->name[i] = strdup(provider);
	wif_err_clear();
	sc->rc[i] = fn(arg, dir, provider, &sc->opts[i]);
	sc->error[i] = sc->rc[i] != WIF_OK ? strdup(wif_err_detail()) : NULL;
found:
	*opts = sc->opts[i];
	*error = sc->error[i] ? sc->error[i] : "";
	return sc->rc[i];
}

static void
check_source(struct errs *e, struct wif_config_source *src,
             const config_setting_t *g, const char *where,
             struct schema_cache *sc, wif_config_schema_fn fn, void *arg,
             const char *provider_dir, struct wif_config *cfg)
{
	const struct wif_option *opts = NULL, *o;
	const char *perr = "";
	int i, n, readable = 0;

	if (check_file_safe(sfile(g), &readable) == WIF_OK)
		src->inline_secret_ok = !readable;
	if (fn == NULL)
		return;
	if (schema_get(sc, fn, arg, provider_dir, src->provider, &opts, &perr) != WIF_OK) {
		ERR(e, g, "provider \"%s\": %s; install the plugin in %s or fix the "
		    "name (see wif providers)", src->provider, perr,
		    provider_dir ? provider_dir : WIF_DEFAULT_PROVIDER_DIR);
		return;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		const struct wif_option *found = NULL;

		if (name == NULL || strcmp(name, "provider") == 0)
			continue;
		for (o = opts; o != NULL && o->name != NULL; o++)
			if (strcmp(o->name, name) == 0)
				found = o;
		if (found == NULL) {
			char list[512] = "";
			size_t used = 0;
			for (o = opts; o != NULL && o->name != NULL && used < sizeof(list); o++)
				used += (size_t)snprintf(list + used, sizeof(list) - used,
				    "%s%s", used ? ", " : "", o->name);
			ERR(e, m, "%s: provider \"%s\" has no key \"%s\"; its keys: %s "
			    "(see wif providers -v)", where, src->provider, name,
			    list[0] ? list : "none");
			continue;
		}
		if (!opt_type_ok(m, found->type)) {
			ERR(e, m, "%s: %s must be %s", where, name, opt_type_name(found->type));
			continue;
		}
		if ((found->flags & WIF_OPT_SECRET) && readable)
			ERR(e, m, "%s holds the inline secret \"%s\" but is readable "
			    "by group/others; chmod 600 %s or move the secret to a "
			    "file (a *_file key)", sfile(m), name, sfile(m));
		if ((found->flags & (WIF_OPT_PATH | WIF_OPT_SECRET_PATH)) &&
		    found->type == WIF_OPT_STRING) {
			const char *p = config_setting_get_string(m);
			struct stat st;
			if (p[0] != '/')
				ERR(e, m, "%s: %s must be an absolute path (got \"%s\")",
				    where, name, p);
			else if (stat(p, &st) != 0 && (found->flags & WIF_OPT_SECRET_PATH))
				ERR(e, m, "%s: %s: file %s does not exist (%s)", where, name,
				    p, strerror(errno));
			else if (stat(p, &st) != 0)
				/* A token file may appear after start-up (a volume, a
				 * sidecar): say so, but the configuration stands. */
				warn(cfg, m, "%s: %s: file %s does not exist yet (%s)",
				    where, name, p, strerror(errno));
		}
	}
	for (o = opts; o != NULL && o->name != NULL; o++)
		if ((o->flags & WIF_OPT_REQUIRED) && config_setting_get_member(g, o->name) == NULL)
			ERR(e, g, "%s: provider \"%s\" requires \"%s\" (%s)", where,
			    src->provider, o->name, o->help ? o->help : "");
}

static void
parse_sources(struct errs *e, struct wif_config_profile *p,
              const config_setting_t *pg, struct schema_cache *sc,
              wif_config_schema_fn fn, void *arg, struct wif_config *cfg)
{
	config_setting_t *s = config_setting_get_member(pg, "source");
	int i, n;

	if (s == NULL) {
		ERR(e, pg, "profile \"%s\" has no source; add source = ( { provider "
		    "= \"...\"; ... } );", p->name);
		return;
	}
	if (config_setting_type(s) == CONFIG_TYPE_GROUP)
		n = 1;
	else if (config_setting_type(s) == CONFIG_TYPE_LIST)
		n = config_setting_length(s);
	else {
		ERR(e, s, "profile \"%s\": source must be a list of groups ( { ... }, "
		    "... ) or one group", p->name);
		return;
	}
	if (n == 0) {
		ERR(e, s, "profile \"%s\": the source list is empty", p->name);
		return;
	}
	if ((p->sources = calloc((size_t)n, sizeof(*p->sources))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_type(s) == CONFIG_TYPE_GROUP ? s :
		    config_setting_get_elem(s, (unsigned)i);
		struct wif_config_source *src = &p->sources[p->n_sources];
		char where[200];
		char *prov = NULL;

		snprintf(where, sizeof(where), "profile \"%s\" source %d", p->name, i + 1);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			ERR(e, g, "%s must be a group { provider = \"...\"; ... }", where);
			continue;
		}
		if (opt_string(e, g, "provider", where, &prov) == 0) {
			ERR(e, g, "%s has no provider = \"...\"", where);
			continue;
		}
		if (prov == NULL)
			continue;
		if (!wif_config_valid_provider_name(prov)) {
			ERR(e, g, "%s: \"%s\" is not a provider name ([a-z0-9_-]); "
			    "providers are named, never given as paths", where, prov);
			free(prov);
			continue;
		}
		src->provider = prov;
		src->setting = g;
		src->loc.line = sline(g);
		src->loc.file = NULL; /* set after all files are known */
		p->n_sources++;
		check_source(e, src, g, where, sc, fn, arg, cfg->provider_dir, cfg);
	}
}

static int
url_ok_for_exchange(const char *u)
{
	return wif_exchange_url_ok(u);
}

static void
parse_exchange(struct errs *e, struct wif_config_profile *p,
               const config_setting_t *pg, struct wif_config *cfg)
{
	static const char *const anth[] = { "type", "base_url", "federation_rule_id",
	    "organization_id", "service_account_id", "workspace_id", "ca_file", NULL };
	static const char *const tx[] = { "type", "token_url", "audience", "scope",
	    "resource", "requested_token_type", "subject_token_type", "client_id",
	    "client_secret_file", "ca_file", NULL };
	static const char *const idt[] = { "type", NULL };
	struct wif_config_exchange *x = &p->exchange;
	config_setting_t *g = config_setting_get_member(pg, "exchange");
	char where[160], *type = NULL;
	size_t n;

	snprintf(where, sizeof(where), "profile \"%s\" exchange", p->name);
	if (g == NULL) {
		ERR(e, pg, "profile \"%s\" has no exchange; add exchange = { type = "
		    "\"anthropic\"; federation_rule_id = \"fdrl_...\"; organization_id "
		    "= \"<uuid>\"; ... };", p->name);
		return;
	}
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "%s must be a group { ... }", where);
		return;
	}
	x->loc.line = sline(g);
	opt_string(e, g, "type", where, &type);
	if (type == NULL || strcmp(type, "anthropic") == 0) {
		x->type = WIF_EXCHANGE_ANTHROPIC;
		check_keys(e, g, where, anth);
	} else if (strcmp(type, "oauth2-token-exchange") == 0) {
		x->type = WIF_EXCHANGE_TOKEN_EXCHANGE;
		check_keys(e, g, where, tx);
	} else if (strcmp(type, "identity") == 0) {
		x->type = WIF_EXCHANGE_IDENTITY;
		check_keys(e, g, where, idt);
	} else {
		ERR(e, g, "%s: type \"%s\" is unknown; use anthropic, "
		    "oauth2-token-exchange or identity", where, type);
		free(type);
		return;
	}
	free(type);
	opt_string(e, g, "ca_file", where, &x->ca_file);
	if (x->type == WIF_EXCHANGE_ANTHROPIC) {
		config_setting_t *m;
		opt_string(e, g, "base_url", where, &x->base_url);
		opt_string(e, g, "federation_rule_id", where, &x->federation_rule_id);
		opt_string(e, g, "organization_id", where, &x->organization_id);
		opt_string(e, g, "service_account_id", where, &x->service_account_id);
		opt_string(e, g, "workspace_id", where, &x->workspace_id);
		if (x->base_url != NULL) {
			while ((n = strlen(x->base_url)) > 0 && x->base_url[n - 1] == '/')
				x->base_url[n - 1] = '\0';
			if (!url_ok_for_exchange(x->base_url))
				ERR(e, config_setting_get_member(g, "base_url"), "%s: "
				    "base_url \"%s\" must be https:// (plain http only to "
				    "localhost, 127.0.0.1 or [::1])", where, x->base_url);
		}
		m = config_setting_get_member(g, "federation_rule_id");
		if (x->federation_rule_id == NULL)
			ERR(e, g, "%s: federation_rule_id is required (fdrl_..., from "
			    "Console -> Workload identity -> Federation rules)", where);
		else if (!wif_config_valid_rule_id(x->federation_rule_id))
			ERR(e, m, "%s: federation_rule_id \"%s\" is malformed: it starts "
			    "with fdrl_ followed by letters and digits", where,
			    x->federation_rule_id);
		m = config_setting_get_member(g, "organization_id");
		if (x->organization_id == NULL)
			ERR(e, g, "%s: organization_id is required (the organization "
			    "UUID from Console -> Settings -> Organization)", where);
		else if (!wif_config_valid_uuid(x->organization_id))
			ERR(e, m, "%s: organization_id \"%s\" is not a UUID "
			    "(8-4-4-4-12 hex digits): use the organization UUID from "
			    "Console -> Settings, not a tagged id", where, x->organization_id);
		m = config_setting_get_member(g, "service_account_id");
		if (x->service_account_id != NULL &&
		    !wif_config_valid_service_account_id(x->service_account_id))
			ERR(e, m, "%s: service_account_id \"%s\" is malformed: it starts "
			    "with svac_ followed by letters and digits", where,
			    x->service_account_id);
		m = config_setting_get_member(g, "workspace_id");
		if (x->workspace_id != NULL && x->workspace_id[0] == '\0') {
			free(x->workspace_id); /* the SDKs treat "" as unset */
			x->workspace_id = NULL;
		} else if (x->workspace_id != NULL && !wif_config_valid_workspace_id(x->workspace_id))
			ERR(e, m, "%s: workspace_id \"%s\" is malformed: wrkspc_... or "
			    "\"default\"", where, x->workspace_id);
	} else if (x->type == WIF_EXCHANGE_TOKEN_EXCHANGE) {
		opt_string(e, g, "token_url", where, &x->token_url);
		opt_string(e, g, "audience", where, &x->audience);
		opt_string(e, g, "scope", where, &x->scope);
		opt_string(e, g, "resource", where, &x->resource);
		opt_string(e, g, "requested_token_type", where, &x->requested_token_type);
		opt_string(e, g, "subject_token_type", where, &x->subject_token_type);
		opt_string(e, g, "client_id", where, &x->client_id);
		opt_string(e, g, "client_secret_file", where, &x->client_secret_file);
		if (x->token_url == NULL)
			ERR(e, g, "%s: token_url is required for oauth2-token-exchange", where);
		else if (!url_ok_for_exchange(x->token_url))
			ERR(e, g, "%s: token_url must be https:// (plain http only to "
			    "loopback)", where);
		if (x->client_secret_file != NULL && x->client_secret_file[0] != '/')
			ERR(e, g, "%s: client_secret_file must be an absolute path", where);
		if (x->client_secret_file != NULL && x->client_id == NULL)
			ERR(e, g, "%s: client_secret_file needs client_id", where);
	}
	(void)cfg;
}

static void
warn(struct wif_config *cfg, const config_setting_t *s, const char *fmt, ...)
{
	char msg[768], *line, **tmp;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&line, "%s:%d: %s", sfile(s), sline(s), msg) < 0)
		return;
	if ((tmp = realloc(cfg->warnings, (cfg->n_warnings + 1) * sizeof(*tmp))) == NULL) {
		free(line);
		return;
	}
	cfg->warnings = tmp;
	cfg->warnings[cfg->n_warnings++] = line;
}

static void
parse_refresh(struct errs *e, const config_setting_t *parent, const char *where,
              int *advisory, int *mandatory)
{
	static const char *const keys[] = { "advisory", "mandatory", NULL };
	config_setting_t *g = config_setting_get_member(parent, "refresh");
	long long a = *advisory, m = *mandatory;
	char w[200];

	if (g == NULL)
		return;
	snprintf(w, sizeof(w), "%s.refresh", where);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "%s must be a group { advisory = 120; mandatory = 30; }", w);
		return;
	}
	check_keys(e, g, w, keys);
	opt_int(e, g, "advisory", w, 1, 3600, &a);
	opt_int(e, g, "mandatory", w, 1, 3600, &m);
	if (m >= a)
		ERR(e, g, "%s: mandatory (%lld) must be smaller than advisory (%lld)",
		    w, m, a);
	*advisory = (int)a;
	*mandatory = (int)m;
}

static void
parse_allow(struct errs *e, struct wif_config_profile *p, const config_setting_t *pg)
{
	static const char *const keys[] = { "users", "groups", "units", NULL };
	config_setting_t *g = config_setting_get_member(pg, "allow");
	char where[160];

	if (g == NULL)
		return;
	snprintf(where, sizeof(where), "profile \"%s\" allow", p->name);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "%s must be a group { users = [...]; groups = [...]; units = [...]; }", where);
		return;
	}
	check_keys(e, g, where, keys);
	p->allow.users = string_array(e, g, "users", where, &p->allow.n_users);
	p->allow.groups = string_array(e, g, "groups", where, &p->allow.n_groups);
	p->allow.units = string_array(e, g, "units", where, &p->allow.n_units);
}

static void
parse_sinks(struct errs *e, struct wif_config_profile *p, const config_setting_t *pg)
{
	static const char *const keys[] = { "path", "format", "owner", "group", "mode", NULL };
	config_setting_t *s = config_setting_get_member(pg, "sinks");
	int i, n;

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		ERR(e, s, "profile \"%s\": sinks must be a list ( { path = \"...\"; "
		    "format = \"raw\"; }, ... )", p->name);
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (p->sinks = calloc((size_t)n, sizeof(*p->sinks))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned)i);
		struct wif_config_sink *k = &p->sinks[p->n_sinks];
		char where[200];
		long long mode = 0600;

		snprintf(where, sizeof(where), "profile \"%s\" sink %d", p->name, i + 1);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			ERR(e, g, "%s must be a group { ... }", where);
			continue;
		}
		check_keys(e, g, where, keys);
		k->loc.line = sline(g);
		opt_string(e, g, "path", where, &k->path);
		opt_string(e, g, "format", where, &k->format);
		opt_string(e, g, "owner", where, &k->owner);
		opt_string(e, g, "group", where, &k->group);
		opt_int(e, g, "mode", where, 0, 0777, &mode);
		k->mode = (int)mode;
		p->n_sinks++;
		if (k->path == NULL || k->path[0] != '/')
			ERR(e, g, "%s: path must be an absolute path", where);
		if (k->format == NULL && (k->format = strdup("raw")) == NULL)
			continue;
		if (strcmp(k->format, "raw") != 0 && strcmp(k->format, "json") != 0 &&
		    strcmp(k->format, "env") != 0 &&
		    strcmp(k->format, "anthropic-credentials") != 0)
			ERR(e, g, "%s: format \"%s\" is unknown; use raw, json, env or "
			    "anthropic-credentials", where, k->format);
		if (mode & 02)
			ERR(e, g, "%s: mode %04llo makes the token file world-writable", where, mode);
	}
}

static void
parse_profile(struct errs *e, struct wif_config *cfg, const config_setting_t *pg,
              struct schema_cache *sc, wif_config_schema_fn fn, void *arg)
{
	static const char *const keys[] = { "name", "audience", "source", "exchange",
	    "refresh", "allow", "sinks", NULL };
	struct wif_config_profile *p = &cfg->profiles[cfg->n_profiles];
	size_t i;
	char *name = NULL;

	if (config_setting_type(pg) != CONFIG_TYPE_GROUP) {
		ERR(e, pg, "each profile must be a group { name = \"...\"; ... }");
		return;
	}
	if (opt_string(e, pg, "name", "profile", &name) == 0) {
		ERR(e, pg, "profile without a name; add name = \"default\";");
		return;
	}
	if (name == NULL)
		return;
	if (!wif_config_valid_profile_name(name)) {
		ERR(e, pg, "profile name \"%s\" is invalid ([A-Za-z0-9_.-], not "
		    "starting with a dot)", name);
		free(name);
		return;
	}
	for (i = 0; i < cfg->n_profiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			ERR(e, pg, "profile \"%s\" is defined twice (first at %s:%d)",
			    name, cfg->profiles[i].loc.file, cfg->profiles[i].loc.line);
	p->name = name;
	p->loc.line = sline(pg);
	p->loc.file = sfile(pg);
	p->advisory = cfg->advisory;
	p->mandatory = cfg->mandatory;
	cfg->n_profiles++;
	{
		char where[160];
		snprintf(where, sizeof(where), "profile \"%s\"", name);
		check_keys(e, pg, where, keys);
		opt_string(e, pg, "audience", where, &p->audience);
		parse_refresh(e, pg, where, &p->advisory, &p->mandatory);
	}
	parse_sources(e, p, pg, sc, fn, arg, cfg);
	parse_exchange(e, p, pg, cfg);
	if (p->exchange.type == WIF_EXCHANGE_ANTHROPIC && p->exchange.service_account_id == NULL)
		warn(cfg, pg, "profile \"%s\" has no service_account_id; the API "
		    "reference lists it as required (the SDKs send it when set)", name);
	parse_allow(e, p, pg);
	parse_sinks(e, p, pg);
}

static void
parse_wif(struct errs *e, struct wif_config *cfg, const config_setting_t *g)
{
	static const char *const keys[] = { "provider_dir", "socket", "refresh",
	    "http", "audit", "log_level", NULL };
	static const char *const hkeys[] = { "timeout_ms", "connect_timeout_ms",
	    "max_body", "retries", "backoff_ms", "budget_ms", NULL };
	config_setting_t *h;
	char *sock = NULL;
	long long v;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "wif must be a group wif = { ... };");
		return;
	}
	check_keys(e, g, "wif", keys);
	free(cfg->provider_dir);
	opt_string(e, g, "provider_dir", "wif", &cfg->provider_dir);
	if (cfg->provider_dir != NULL && cfg->provider_dir[0] != '/')
		ERR(e, config_setting_get_member(g, "provider_dir"),
		    "wif.provider_dir must be an absolute path");
	if (opt_string(e, g, "socket", "wif", &sock) > 0) {
		free(cfg->socket);
		cfg->socket = sock;
		if (cfg->socket[0] != '/')
			ERR(e, config_setting_get_member(g, "socket"),
			    "wif.socket must be an absolute path");
	}
	parse_refresh(e, g, "wif", &cfg->advisory, &cfg->mandatory);
	if ((h = config_setting_get_member(g, "http")) != NULL) {
		if (config_setting_type(h) != CONFIG_TYPE_GROUP)
			ERR(e, h, "wif.http must be a group { timeout_ms = 10000; ... }");
		else {
			check_keys(e, h, "wif.http", hkeys);
			if (opt_int(e, h, "timeout_ms", "wif.http", 100, 600000, &v) > 0)
				cfg->http.timeout_ms = (long)v;
			if (opt_int(e, h, "connect_timeout_ms", "wif.http", 100, 600000, &v) > 0)
				cfg->http.connect_timeout_ms = (long)v;
			if (opt_int(e, h, "max_body", "wif.http", 1024, 64 * 1024 * 1024, &v) > 0)
				cfg->http.max_body = (size_t)v;
			if (opt_int(e, h, "retries", "wif.http", 0, 10, &v) > 0)
				cfg->http.retries = (int)v;
			if (opt_int(e, h, "backoff_ms", "wif.http", 1, 60000, &v) > 0)
				cfg->http.backoff_ms = (long)v;
			if (opt_int(e, h, "budget_ms", "wif.http", 100, 600000, &v) > 0)
				cfg->http.budget_ms = (long)v;
		}
	}
	if (opt_string(e, g, "audit", "wif", &cfg->audit) > 0 &&
	    strcmp(cfg->audit, "syslog") != 0 && strcmp(cfg->audit, "stderr") != 0 &&
	    strcmp(cfg->audit, "none") != 0 && cfg->audit[0] != '/')
		ERR(e, config_setting_get_member(g, "audit"), "wif.audit must be "
		    "\"syslog\", \"stderr\", \"none\" or an absolute path");
	if (opt_string(e, g, "log_level", "wif", &cfg->log_level) > 0 &&
	    strcmp(cfg->log_level, "err") != 0 && strcmp(cfg->log_level, "warning") != 0 &&
	    strcmp(cfg->log_level, "notice") != 0 && strcmp(cfg->log_level, "info") != 0 &&
	    strcmp(cfg->log_level, "debug") != 0)
		ERR(e, config_setting_get_member(g, "log_level"), "wif.log_level must "
		    "be err, warning, notice, info or debug");
}

static int
count_profiles(const config_t *c)
{
	config_setting_t *p = config_lookup(c, "profiles");

	return p ? config_setting_length(p) : 0;
}

static void
parse_profiles(struct errs *e, struct wif_config *cfg, const config_t *c,
               struct schema_cache *sc, wif_config_schema_fn fn, void *arg)
{
	config_setting_t *p = config_lookup(c, "profiles");
	int i, n;

	if (p == NULL)
		return;
	if (config_setting_type(p) != CONFIG_TYPE_LIST) {
		ERR(e, p, "profiles must be a list ( { name = \"...\"; ... }, ... )");
		return;
	}
	n = config_setting_length(p);
	for (i = 0; i < n; i++)
		parse_profile(e, cfg, config_setting_get_elem(p, (unsigned)i), sc, fn, arg);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
wif_config_free(struct wif_config *cfg)
{
	struct priv *pv;
	size_t i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->n_profiles; i++) {
		struct wif_config_profile *p = &cfg->profiles[i];
		struct wif_config_exchange *x = &p->exchange;
		free(p->name);
		free(p->audience);
		for (j = 0; j < p->n_sources; j++)
			free(p->sources[j].provider);
		free(p->sources);
		free(x->base_url); free(x->federation_rule_id); free(x->organization_id);
		free(x->service_account_id); free(x->workspace_id); free(x->token_url);
		free(x->audience); free(x->scope); free(x->resource);
		free(x->requested_token_type); free(x->subject_token_type);
		free(x->client_id); free(x->client_secret_file); free(x->ca_file);
		free_strv(p->allow.users, p->allow.n_users);
		free_strv(p->allow.groups, p->allow.n_groups);
		free_strv(p->allow.units, p->allow.n_units);
		for (j = 0; j < p->n_sinks; j++) {
			free(p->sinks[j].path); free(p->sinks[j].format);
			free(p->sinks[j].owner); free(p->sinks[j].group);
		}
		free(p->sinks);
	}
	free(cfg->profiles);
	free_strv(cfg->files, cfg->n_files);
	free_strv(cfg->warnings, cfg->n_warnings);
	free(cfg->path);
	free(cfg->provider_dir);
	free(cfg->socket);
	free(cfg->audit);
	free(cfg->log_level);
	if ((pv = cfg->priv) != NULL) {
		for (i = 0; i < pv->n; i++) {
			config_destroy(pv->trees[i]);
			free(pv->trees[i]);
		}
		free(pv);
	}
	free(cfg);
}

/* loc.file points into cfg->files (libconfig's own strings live as long). */
static void
fix_locations(struct wif_config *cfg)
{
	size_t i, j, k;

	for (i = 0; i < cfg->n_profiles; i++) {
		struct wif_config_profile *p = &cfg->profiles[i];
		const char *f = p->loc.file;
		for (k = 0; k < cfg->n_files; k++)
			if (f != NULL && strcmp(cfg->files[k], f) == 0)
				f = cfg->files[k];
		p->loc.file = f;
		p->exchange.loc.file = f;
		for (j = 0; j < p->n_sources; j++)
			p->sources[j].loc.file = f;
		for (j = 0; j < p->n_sinks; j++)
			p->sinks[j].loc.file = f;
	}
}

int
wif_config_load(const char *path, const char *confd_dir,
                wif_config_schema_fn schema, void *arg, struct wif_config **out)
{
	struct wif_config *cfg = NULL;
	struct schema_cache sc;
	struct errs *e = NULL;
	struct priv *pv;
	config_t *main_tree = NULL, *t;
	char dbuf[PATH_MAX], **names = NULL, **tmp;
	size_t n_names = 0, i, total;
	DIR *d;
	struct dirent *de;
	int r;

	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL ||
	    (pv = calloc(1, sizeof(*pv))) == NULL ||
	    (e = calloc(1, sizeof(*e))) == NULL) {
		if (cfg != NULL)
			free(cfg);
		free(e);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	cfg->priv = pv;
	cfg->advisory = 120;
	cfg->mandatory = 30;
	wif_http_policy_defaults(&cfg->http);
	if ((cfg->path = strdup(path)) == NULL ||
	    (cfg->socket = strdup(WIF_DEFAULT_SOCKET)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = read_tree(pv, path, &main_tree)) != WIF_OK)
		goto out;
	/* conf.d: *.conf, in name order; only `profiles` there. */
	if (confd_dir == NULL) {
		char *slash;
		snprintf(dbuf, sizeof(dbuf), "%s", path);
		if ((slash = strrchr(dbuf, '/')) != NULL)
			snprintf(slash, sizeof(dbuf) - (size_t)(slash - dbuf), "/conf.d");
		else
			snprintf(dbuf, sizeof(dbuf), "conf.d");
		confd_dir = dbuf;
	}
	if ((d = opendir(confd_dir)) != NULL) {
		while ((de = readdir(d)) != NULL && n_names < MAX_FILES - 1) {
			size_t l = strlen(de->d_name);
			if (l <= 5 || de->d_name[0] == '.' ||
			    strcmp(de->d_name + l - 5, ".conf") != 0)
				continue;
			if ((tmp = realloc(names, (n_names + 1) * sizeof(*names))) == NULL)
				break;
			names = tmp;
			if (asprintf(&names[n_names], "%s/%s", confd_dir, de->d_name) < 0)
				break;
			n_names++;
		}
		closedir(d);
		if (n_names > 0)
			qsort(names, n_names, sizeof(*names), cmp_names);
	}
	if ((cfg->files = calloc(n_names + 1, sizeof(*cfg->files))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	cfg->files[cfg->n_files++] = strdup(path);
	total = (size_t)count_profiles(main_tree);
	for (i = 0; i < n_names; i++) {
		if ((r = read_tree(pv, names[i], &t)) != WIF_OK) {
			errs_add(e, names[i], 0, "%s", wif_err_detail());
			continue;
		}
		cfg->files[cfg->n_files++] = strdup(names[i]);
		total += (size_t)count_profiles(t);
	}
	if ((cfg->profiles = calloc(total + 1, sizeof(*cfg->profiles))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	/* The main file: top-level keys, the wif group, then profiles. */
	{
		static const char *const top[] = { "wif", "profiles", NULL };
		config_setting_t *root = config_root_setting(main_tree), *w;
		check_keys(e, root, path, top);
		if ((w = config_lookup(main_tree, "wif")) != NULL)
			parse_wif(e, cfg, w);
	}
	parse_profiles(e, cfg, main_tree, &sc, schema, arg);
	for (i = 1; i < pv->n; i++) {
		static const char *const top_d[] = { "profiles", NULL };
		check_keys(e, config_root_setting(pv->trees[i]),
		    "a conf.d file (only profiles belong there; the wif group "
		    "lives in the main file)", top_d);
		parse_profiles(e, cfg, pv->trees[i], &sc, schema, arg);
	}
	fix_locations(cfg);
	if (e->count > 0) {
		r = wif_err(WIF_E_CONFIG, "%s", e->text);
		goto out;
	}
	*out = cfg;
	cfg = NULL; /* transferred */
	r = WIF_OK;
out:
	for (i = 0; i < sc.n; i++) {
		free(sc.name[i]);
		free(sc.error[i]);
	}
	free_strv(names, n_names);
	free(e);
	wif_config_free(cfg);
	return r;
}

const struct wif_config_profile *
wif_config_profile(const struct wif_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; cfg != NULL && name != NULL && i < cfg->n_profiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0)
			return &cfg->profiles[i];
	return NULL;
}

static config_setting_t *
member(const struct wif_config_source *src, const char *key)
{
	return src && src->setting ? config_setting_get_member(src->setting, key) : NULL;
}

int
wif_config_source_string(const struct wif_config_source *src, const char *key,
                         const char **out)
{
	config_setting_t *m = member(src, key);

	*out = NULL;
	if (m == NULL)
		return WIF_E_NOT_FOUND;
	if (config_setting_type(m) != CONFIG_TYPE_STRING)
		return WIF_E_CONFIG;
	*out = config_setting_get_string(m);
	return WIF_OK;
}

int
wif_config_source_int(const struct wif_config_source *src, const char *key,
                      int64_t *out)
{
	config_setting_t *m = member(src, key);

	if (m == NULL)
		return WIF_E_NOT_FOUND;
	if (config_setting_type(m) != CONFIG_TYPE_INT &&
	    config_setting_type(m) != CONFIG_TYPE_INT64)
		return WIF_E_CONFIG;
	*out = config_setting_get_int64(m);
	return WIF_OK;
}

int
wif_config_source_bool(const struct wif_config_source *src, const char *key,
                       int *out)
{
	config_setting_t *m = member(src, key);

	if (m == NULL)
		return WIF_E_NOT_FOUND;
	if (config_setting_type(m) != CONFIG_TYPE_BOOL)
		return WIF_E_CONFIG;
	*out = config_setting_get_bool(m);
	return WIF_OK;
}

int
wif_config_source_list_string(const struct wif_config_source *src,
                              const char *key, size_t idx, const char **out)
{
	config_setting_t *m = member(src, key), *x;

	*out = NULL;
	if (m == NULL)
		return WIF_E_NOT_FOUND;
	if (config_setting_type(m) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(m) != CONFIG_TYPE_LIST)
		return WIF_E_CONFIG;
	if (idx >= (size_t)config_setting_length(m))
		return WIF_E_NOT_FOUND;
	x = config_setting_get_elem(m, (unsigned)idx);
	if (config_setting_type(x) != CONFIG_TYPE_STRING)
		return WIF_E_CONFIG;
	*out = config_setting_get_string(x);
	return WIF_OK;
}
