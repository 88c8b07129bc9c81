/* conf.c - wif.conf + conf.d (libconfig), strict validation; see conf.h.
 *
 * One pass over every file collects every problem as "FILE:LINE: what is
 * wrong; what to do", so that an operator fixes a file in one round.  The
 * libconfig trees stay alive in cfg->priv: sources point into them and the
 * host services read plugin keys from them.  The file is long because
 * every check carries its own explanatory message; a split would put the
 * field checks (parse_*) beside the loading and merging. */
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

#define MAX_FILES 256               /* the main file + conf.d/NAME.conf */
#define MAX_FILE_SIZE (1024 * 1024) /* per configuration file */
#define MAX_ERRORS_TEXT (WIF_ERR_MAX - 80)
#define MAX_ID 128                  /* ids, profile names, account names */

#define TE_ACCESS_TOKEN "urn:ietf:params:oauth:token-type:access_token"
#define TE_JWT "urn:ietf:params:oauth:token-type:jwt"

struct priv {
	config_t *trees[MAX_FILES]; /* [0] is the main file */
	size_t n;
};

/* Every problem found.  They are reported sorted by file (the main file,
 * then conf.d in order) and line, whatever order the checks ran in. */
struct err_line {
	char *text;
	size_t rank;  /* the file's position in errs.files */
	int line;     /* 0: the whole file */
	size_t seq;
};

struct errs {
	struct err_line *v;
	size_t n;
	int oom;
	const char *files[MAX_FILES]; /* borrowed; main first */
	size_t n_files;
};

/* Provider schemas are asked for once per provider name. */
struct schema_entry {
	char *name;
	const struct wif_option *opts;
	int rc;
	char *error;
};

struct schema_cache {
	struct schema_entry *v;
	size_t n;
	wif_config_schema_fn fn;
	void *arg;
};

static void errs_add(struct errs *e, const char *file, int line,
                     const char *fmt, ...) WIF_PRINTF(4, 5);
static void cfg_warn(struct wif_config *cfg, const config_setting_t *s,
                     const char *fmt, ...) WIF_PRINTF(3, 4);

static size_t
errs_rank(const struct errs *e, const char *file)
{
	size_t i;

	for (i = 0; file != NULL && i < e->n_files; i++)
		if (strcmp(e->files[i], file) == 0)
			return i;
	return e->n_files; /* a directory: after its files */
}

/* One whole line, already prefixed with its file (and line). */
static void
errs_put(struct errs *e, const char *file, int line, const char *text)
{
	struct err_line *tmp;

	if ((tmp = realloc(e->v, (e->n + 1) * sizeof(*tmp))) == NULL) {
		e->oom = 1;
		return;
	}
	e->v = tmp;
	if ((tmp[e->n].text = strdup(text)) == NULL) {
		e->oom = 1;
		return;
	}
	tmp[e->n].rank = errs_rank(e, file);
	tmp[e->n].line = line;
	tmp[e->n].seq = e->n;
	e->n++;
}

static void
errs_add(struct errs *e, const char *file, int line, const char *fmt, ...)
{
	char msg[1024], full[1024 + PATH_MAX + 32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s:%d: %s", file ? file : "?", line, msg);
	errs_put(e, file, line, full);
}

/* A problem with a whole file or directory: "PATH: ..." */
static void errs_file(struct errs *e, const char *path, const char *fmt, ...)
    WIF_PRINTF(3, 4);

static void
errs_file(struct errs *e, const char *path, const char *fmt, ...)
{
	char msg[1024], full[1024 + PATH_MAX + 8];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full), "%s: %s", path, msg);
	errs_put(e, path, 0, full);
}

static int
cmp_err(const void *a, const void *b)
{
	const struct err_line *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Set the error detail: as many whole lines as fit, then a count of the
 * rest. */
static int
errs_report(struct errs *e)
{
	char text[MAX_ERRORS_TEXT];
	size_t i, len = 0, l, dropped = 0;

	if (e->n > 1)
		qsort(e->v, e->n, sizeof(*e->v), cmp_err);
	text[0] = '\0';
	for (i = 0; i < e->n; i++) {
		l = strlen(e->v[i].text);
		if (len + l + 2 > sizeof(text)) {
			dropped++;
			continue;
		}
		if (len > 0)
			text[len++] = '\n';
		memcpy(text + len, e->v[i].text, l + 1);
		len += l;
	}
	if (e->oom)
		return wif_err(WIF_E_NOMEM, "%s%sout of memory while checking the "
		    "configuration", text, len ? "\n" : "");
	if (dropped > 0)
		return wif_err(WIF_E_CONFIG, "%s\n... and %zu more errors; fix these "
		    "and run wif check-config again", text, dropped);
	return wif_err(WIF_E_CONFIG, "%s", text);
}

static void
errs_free(struct errs *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->n; i++)
		free(e->v[i].text);
	free(e->v);
	free(e);
}

static const char *
sfile(const config_setting_t *s)
{
	const char *f = s ? config_setting_source_file(s) : NULL;

	return f ? f : "?";
}

static int
sline(const config_setting_t *s)
{
	return s ? (int)config_setting_source_line(s) : 0;
}

#define ERR(e, s, ...) errs_add((e), sfile(s), sline(s), __VA_ARGS__)
#define OOM(e, s) ERR((e), (s), "out of memory; free some memory and retry")

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
	return "an unknown type";
}

static void
join(char *buf, size_t size, const char *const *names)
{
	size_t used = 0, k;
	int n;

	buf[0] = '\0';
	for (k = 0; names[k] != NULL && used < size; k++) {
		n = snprintf(buf + used, size - used, "%s%s", k ? ", " : "", names[k]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Unknown members of a group are errors that say what is allowed. */
static void
check_keys(struct errs *e, const config_setting_t *g, const char *where,
           const char *const *allowed)
{
	char list[512];
	int i, n = config_setting_length(g);
	size_t k;

	join(list, sizeof(list), allowed);
	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);
		int ok = 0;

		for (k = 0; name != NULL && allowed[k] != NULL; k++)
			if (strcmp(name, allowed[k]) == 0)
				ok = 1;
		if (!ok)
			ERR(e, m, "unknown key \"%s\" in %s; allowed keys: %s",
			    name ? name : "?", where, list);
	}
}

/* Optional string member: 0 absent, 1 set, -1 error (reported). */
static int
opt_string(struct errs *e, const config_setting_t *g, const char *key,
           const char *where, char **out)
{
	config_setting_t *m = config_setting_get_member(g, key);

	*out = NULL;
	if (m == NULL)
		return 0;
	if (config_setting_type(m) != CONFIG_TYPE_STRING) {
		ERR(e, m, "%s: %s must be a string, not %s; quote it: %s = \"...\";",
		    where, key, type_name(config_setting_type(m)), key);
		return -1;
	}
	if ((*out = strdup(config_setting_get_string(m))) == NULL) {
		OOM(e, m);
		return -1;
	}
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
		ERR(e, m, "%s: %s must be an integer, not %s; write it without "
		    "quotes or a decimal point", where, key,
		    type_name(config_setting_type(m)));
		return -1;
	}
	v = config_setting_get_int64(m);
	if (v < lo || v > hi) {
		ERR(e, m, "%s: %s = %lld is out of range; use a value from %lld "
		    "to %lld", where, key, v, lo, hi);
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

	return s != NULL && strncmp(s, prefix, n) == 0 && strlen(s) <= MAX_ID &&
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
	return s != NULL && s[0] != '.' && strlen(s) <= MAX_ID &&
	    all_chars(s, ALNUM "_.-");
}

int
wif_config_valid_provider_name(const char *s)
{
	return s != NULL && strlen(s) <= 64 &&
	    all_chars(s, "abcdefghijklmnopqrstuvwxyz0123456789_-");
}

/* A user, group or unit name as it may appear in allow lists and sinks:
 * bounded, printable, no separators that could smuggle a second name. */
static int
valid_account_name(const char *s)
{
	const unsigned char *p;

	if (s == NULL || s[0] == '\0' || s[0] == '-' || strlen(s) > MAX_ID)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ':' || *p == '/' || *p == ',')
			return 0;
	return 1;
}

/* Owned by root or us and not writable by others: a configuration decides
 * which code runs and where tokens go. */
static int
check_owner_mode(const char *path, const struct stat *st)
{
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return wif_err(WIF_E_PERM, "%s is owned by uid %u, not by root or "
		    "uid %u; chown root %s", path, (unsigned)st->st_uid,
		    (unsigned)geteuid(), path);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return wif_err(WIF_E_PERM, "%s is writable by %s (mode %04o); "
		    "chmod go-w %s", path, (st->st_mode & S_IWOTH) ? "everyone" :
		    "its group", (unsigned)(st->st_mode & 07777), path);
	return WIF_OK;
}

static int
check_file_safe(const char *path, int *group_or_world_readable)
{
	struct stat st;
	int r;

	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return wif_err(WIF_E_NOT_FOUND, "%s does not exist; create it "
			    "(see wif.conf(5)) or pass another with --config", path);
		return wif_err(WIF_E_IO, "cannot stat %s: %s; check the "
		    "permissions of its directories", path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return wif_err(WIF_E_IO, "%s is not a regular file; point "
		    "--config at the configuration file itself", path);
	if ((r = check_owner_mode(path, &st)) != WIF_OK)
		return r;
	if (st.st_size > MAX_FILE_SIZE)
		return wif_err(WIF_E_CONFIG, "%s is larger than %d bytes; split "
		    "its profiles into conf.d files", path, MAX_FILE_SIZE);
	if (group_or_world_readable != NULL)
		*group_or_world_readable = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
	return WIF_OK;
}

/* libconfig would follow @include to a file nobody checked for ownership
 * and permissions; conf.d is the supported way to split a configuration.
 * Reading the file here also gives a precise errno for "unreadable". */
static int
prescan(const char *path)
{
	char line[1024];
	FILE *f;
	int n = 0, r = WIF_OK, partial = 0;

	if ((f = fopen(path, "re")) == NULL)
		return wif_err(WIF_E_IO, "cannot read %s: %s; make it readable by "
		    "uid %u", path, strerror(errno), (unsigned)geteuid());
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line;
		int starts_line = !partial;

		partial = strchr(line, '\n') == NULL;
		if (!starts_line)
			continue;
		n++;
		p += strspn(p, " \t");
		if (strncmp(p, "@include", 8) == 0) {
			r = wif_err(WIF_E_CONFIG, "%s:%d: @include is not supported "
			    "(an included file escapes the ownership checks); move "
			    "those profiles into a conf.d/NAME.conf file", path, n);
			break;
		}
	}
	if (r == WIF_OK && ferror(f))
		r = wif_err(WIF_E_IO, "cannot read %s: %s", path, strerror(errno));
	fclose(f);
	return r;
}

/* Check, pre-scan and parse one file; on success the tree joins pv. */
static int
read_tree(struct priv *pv, const char *path, config_t **out)
{
	config_t *c;
	int r;

	*out = NULL;
	if ((r = check_file_safe(path, NULL)) != WIF_OK ||
	    (r = prescan(path)) != WIF_OK)
		return r;
	if (pv->n >= MAX_FILES)
		return wif_err(WIF_E_CONFIG, "%s: more than %d configuration files; "
		    "merge some of them", path, MAX_FILES);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	config_init(c);
	if (config_read_file(c, path) != CONFIG_TRUE) {
		if (config_error_type(c) == CONFIG_ERR_FILE_IO)
			r = wif_err(WIF_E_IO, "cannot read %s: %s", path,
			    strerror(errno));
		else
			r = wif_err(WIF_E_CONFIG, "%s:%d: %s; fix the syntax (see "
			    "wif.conf(5))", config_error_file(c) ?
			    config_error_file(c) : path, config_error_line(c),
			    config_error_text(c) ? config_error_text(c) :
			    "syntax error");
		config_destroy(c);
		free(c);
		return r;
	}
	pv->trees[pv->n++] = c;
	*out = c;
	return WIF_OK;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

/* An optional array or list of account names. */
static char **
name_array(struct errs *e, const config_setting_t *g, const char *key,
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
		ERR(e, m, "%s: %s must be an array of strings, not %s; write "
		    "%s = [ \"name\", ... ];", where, key,
		    type_name(config_setting_type(m)), key);
		return NULL;
	}
	n = config_setting_length(m);
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL) {
		OOM(e, m);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *x = config_setting_get_elem(m, (unsigned)i);
		const char *s;

		if (config_setting_type(x) != CONFIG_TYPE_STRING) {
			ERR(e, x, "%s: %s[%d] must be a string, not %s; quote it",
			    where, key, i, type_name(config_setting_type(x)));
			continue;
		}
		s = config_setting_get_string(x);
		if (!valid_account_name(s)) {
			ERR(e, x, "%s: %s[%d] \"%.64s\" is not a valid name; use the "
			    "plain user, group or unit name (no spaces, ':', '/' "
			    "or ',')", where, key, i, s);
			continue;
		}
		if ((v[*n_out] = strdup(s)) == NULL) {
			OOM(e, x);
			continue;
		}
		(*n_out)++;
	}
	return v;
}

static int
opt_type_ok(const config_setting_t *m, int type)
{
	int i, n, t = config_setting_type(m);

	switch (type) {
	case WIF_OPT_STRING: return t == CONFIG_TYPE_STRING;
	case WIF_OPT_INT: return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
	case WIF_OPT_BOOL: return t == CONFIG_TYPE_BOOL;
	case WIF_OPT_STRING_LIST:
		if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST)
			return 0;
		n = config_setting_length(m);
		for (i = 0; i < n; i++)
			if (config_setting_type(config_setting_get_elem(m,
			    (unsigned)i)) != CONFIG_TYPE_STRING)
				return 0;
		return 1;
	}
	return 0;
}

static const char *
opt_type_name(int type)
{
	switch (type) {
	case WIF_OPT_STRING: return "a string \"...\"";
	case WIF_OPT_INT: return "an integer";
	case WIF_OPT_BOOL: return "a boolean (true or false)";
	case WIF_OPT_STRING_LIST: return "an array of strings [ \"...\", ... ]";
	}
	return "of an unknown type (a plugin bug)";
}

static int
schema_get(struct schema_cache *sc, const char *dir, const char *provider,
           const struct wif_option **opts, const char **error)
{
	struct schema_entry *ent, *tmp;
	size_t i;

	*opts = NULL;
	*error = "out of memory";
	for (i = 0; i < sc->n; i++)
		if (strcmp(sc->v[i].name, provider) == 0)
			break;
	if (i == sc->n) {
		if ((tmp = realloc(sc->v, (sc->n + 1) * sizeof(*tmp))) == NULL)
			return WIF_E_NOMEM;
		sc->v = tmp;
		ent = &sc->v[sc->n];
		memset(ent, 0, sizeof(*ent));
		if ((ent->name = strdup(provider)) == NULL)
			return WIF_E_NOMEM;
		sc->n++;
		wif_err_clear();
		ent->rc = sc->fn(sc->arg, dir, provider, &ent->opts);
		if (ent->rc != WIF_OK) {
			ent->opts = NULL;
			ent->error = strdup(wif_err_detail()[0] ?
			    wif_err_detail() : wif_strerror(ent->rc));
		}
	}
	ent = &sc->v[i];
	*opts = ent->opts;
	*error = ent->error ? ent->error : "out of memory";
	return ent->rc;
}

static void
schema_cache_free(struct schema_cache *sc)
{
	size_t i;

	for (i = 0; i < sc->n; i++) {
		free(sc->v[i].name);
		free(sc->v[i].error);
	}
	free(sc->v);
}

static const struct wif_option *
find_option(const struct wif_option *opts, const char *name)
{
	for (; opts != NULL && opts->name != NULL; opts++)
		if (strcmp(opts->name, name) == 0)
			return opts;
	return NULL;
}

static void
check_option_path(struct errs *e, struct wif_config *cfg,
                  const config_setting_t *m, const char *where,
                  const struct wif_option *o)
{
	const char *p = config_setting_get_string(m);
	struct stat st;

	if (p[0] != '/')
		ERR(e, m, "%s: %s must be an absolute path, not \"%.200s\"; "
		    "write the full path from /", where, o->name, p);
	else if (stat(p, &st) == 0)
		return;
	else if (o->flags & WIF_OPT_SECRET_PATH)
		ERR(e, m, "%s: %s: %.300s: %s; create the file or fix the path",
		    where, o->name, p, strerror(errno));
	else
		/* A token file may appear after start-up (a volume, a sidecar):
		 * say so, but the configuration stands (HACKING.md). */
		cfg_warn(cfg, m, "%s: %s: %.300s does not exist yet (%s); the "
		    "source fails until it does", where, o->name, p,
		    strerror(errno));
}

/* The keys of a source group against its provider's declared options. */
static void
check_source(struct errs *e, struct wif_config *cfg,
             struct wif_config_source *src, const config_setting_t *g,
             const char *where, struct schema_cache *sc)
{
	const struct wif_option *opts = NULL, *o;
	const char *perr = "";
	char file_key[128];
	int i, n, readable = 1;

	if (check_file_safe(sfile(g), &readable) != WIF_OK)
		readable = 1;
	src->inline_secret_ok = !readable;
	if (sc->fn == NULL)
		return;
	if (schema_get(sc, cfg->provider_dir, src->provider, &opts, &perr) != WIF_OK) {
		ERR(e, g, "provider \"%s\": %s; install the plugin in %s or fix "
		    "the name (see wif providers)", src->provider, perr,
		    cfg->provider_dir ? cfg->provider_dir : WIF_DEFAULT_PROVIDER_DIR);
		return;
	}
	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(m);

		if (name == NULL || strcmp(name, "provider") == 0)
			continue;
		if ((o = find_option(opts, name)) == NULL) {
			char list[512] = "";
			size_t used = 0;
			const struct wif_option *x;

			for (x = opts; x != NULL && x->name != NULL &&
			    used < sizeof(list); x++)
				used += (size_t)snprintf(list + used, sizeof(list) -
				    used, "%s%s", used ? ", " : "", x->name);
			ERR(e, m, "%s: provider \"%s\" has no key \"%s\"; its keys "
			    "are: %s (see wif providers -v)", where, src->provider,
			    name, list[0] ? list : "none");
			continue;
		}
		if (!opt_type_ok(m, o->type)) {
			int t = config_setting_type(m), k = 0;

			if (o->type == WIF_OPT_STRING_LIST &&
			    (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST)) {
				while (config_setting_type(config_setting_get_elem(m,
				    (unsigned)k)) == CONFIG_TYPE_STRING)
					k++;
				ERR(e, m, "%s: %s[%d] must be a string, not %s (provider "
				    "\"%s\"); quote it", where, name, k, type_name(
				    config_setting_type(config_setting_get_elem(m,
				    (unsigned)k))), src->provider);
			} else
				ERR(e, m, "%s: %s must be %s, not %s (provider \"%s\")",
				    where, name, opt_type_name(o->type), type_name(t),
				    src->provider);
			continue;
		}
		if ((o->flags & WIF_OPT_SECRET) && readable) {
			snprintf(file_key, sizeof(file_key), "%s_file", name);
			ERR(e, m, "%s: this file holds the inline secret %s but is "
			    "readable by group/others; chmod 600 %s or move the "
			    "secret to a file named by %s", where, name, sfile(m),
			    find_option(opts, file_key) ? file_key : "a *_file key");
		}
		if ((o->flags & (WIF_OPT_PATH | WIF_OPT_SECRET_PATH)) &&
		    o->type == WIF_OPT_STRING)
			check_option_path(e, cfg, m, where, o);
	}
	for (o = opts; o != NULL && o->name != NULL; o++)
		if ((o->flags & WIF_OPT_REQUIRED) &&
		    config_setting_get_member(g, o->name) == NULL)
			ERR(e, g, "%s: provider \"%s\" requires %s (%s); add %s = "
			    "...;", where, src->provider, o->name,
			    o->help ? o->help : "no description", o->name);
}

static void
parse_sources(struct errs *e, struct wif_config *cfg,
              struct wif_config_profile *p, const config_setting_t *pg,
              struct schema_cache *sc)
{
	config_setting_t *s = config_setting_get_member(pg, "source");
	int i, n, single;

	if (s == NULL) {
		ERR(e, pg, "profile \"%s\" has no source; add source = ( { "
		    "provider = \"...\"; ... } );", p->name);
		return;
	}
	single = config_setting_type(s) == CONFIG_TYPE_GROUP;
	if (single)
		n = 1;
	else if (config_setting_type(s) == CONFIG_TYPE_LIST)
		n = config_setting_length(s);
	else {
		ERR(e, s, "profile \"%s\": source must be a list of groups ( { "
		    "... }, ... ) or one group { ... }, not %s", p->name,
		    type_name(config_setting_type(s)));
		return;
	}
	if (n == 0) {
		ERR(e, s, "profile \"%s\": the source list is empty; add at least "
		    "one { provider = \"...\"; }", p->name);
		return;
	}
	if ((p->sources = calloc((size_t)n, sizeof(*p->sources))) == NULL) {
		OOM(e, s);
		return;
	}
	for (i = 0; i < n; i++) {
		config_setting_t *g = single ? s : config_setting_get_elem(s, (unsigned)i);
		struct wif_config_source *src = &p->sources[p->n_sources];
		char where[200], *prov = NULL;
		int r;

		snprintf(where, sizeof(where), "profile \"%s\" source %d", p->name, i + 1);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			ERR(e, g, "%s must be a group { provider = \"...\"; ... }, not "
			    "%s", where, type_name(config_setting_type(g)));
			continue;
		}
		if ((r = opt_string(e, g, "provider", where, &prov)) == 0)
			ERR(e, g, "%s has no provider; add provider = \"NAME\"; (see "
			    "wif providers)", where);
		if (r <= 0)
			continue;
		if (!wif_config_valid_provider_name(prov)) {
			ERR(e, config_setting_get_member(g, "provider"), "%s: "
			    "\"%.80s\" is not a provider name; use 1 to 64 of "
			    "[a-z0-9_-] (providers are named, never given as paths)",
			    where, prov);
			free(prov);
			continue;
		}
		src->provider = prov;
		src->setting = g;
		src->loc.line = sline(g);
		p->n_sources++;
		check_source(e, cfg, src, g, where, sc);
	}
}

/* An absolute path to a file that must exist now (a CA bundle, a secret). */
static void
check_file_key(struct errs *e, const config_setting_t *g, const char *key,
               const char *where, const char *val)
{
	config_setting_t *m = config_setting_get_member(g, key);
	struct stat st;

	if (val == NULL)
		return;
	if (val[0] != '/')
		ERR(e, m, "%s: %s must be an absolute path, not \"%.200s\"; write "
		    "the full path from /", where, key, val);
	else if (stat(val, &st) != 0)
		ERR(e, m, "%s: %s: %.300s: %s; create the file or fix the path",
		    where, key, val, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		ERR(e, m, "%s: %s: %.300s is not a regular file; name the file "
		    "itself", where, key, val);
}

/* A URL for messages, without any userinfo it may (wrongly) carry. */
static const char *
shown_url(const char *u)
{
	return strchr(u, '@') != NULL ? "(not shown: it contains '@')" : u;
}

static void
check_url(struct errs *e, const config_setting_t *g, const char *key,
          const char *where, char *url)
{
	size_t n;

	while ((n = strlen(url)) > 0 && url[n - 1] == '/')
		url[n - 1] = '\0';
	if (!wif_exchange_url_ok(url))
		ERR(e, config_setting_get_member(g, key), "%s: %s \"%.200s\" is not "
		    "allowed; use https:// (plain http:// only to localhost, "
		    "127.0.0.1 or [::1]; no user:password@)", where, key,
		    shown_url(url));
}

static int
set_default(struct errs *e, const config_setting_t *g, char **field,
            const char *value)
{
	if (*field == NULL && (*field = strdup(value)) == NULL) {
		OOM(e, g);
		return -1;
	}
	return 0;
}

static void
parse_anthropic(struct errs *e, struct wif_config_exchange *x,
                const config_setting_t *g, const char *where)
{
	opt_string(e, g, "base_url", where, &x->base_url);
	opt_string(e, g, "federation_rule_id", where, &x->federation_rule_id);
	opt_string(e, g, "organization_id", where, &x->organization_id);
	opt_string(e, g, "service_account_id", where, &x->service_account_id);
	opt_string(e, g, "workspace_id", where, &x->workspace_id);
	if (x->base_url != NULL)
		check_url(e, g, "base_url", where, x->base_url);
	else
		set_default(e, g, &x->base_url, WIF_DEFAULT_BASE_URL);
	if (config_setting_get_member(g, "federation_rule_id") == NULL)
		ERR(e, g, "%s: federation_rule_id is required; add "
		    "federation_rule_id = \"fdrl_...\"; (Console -> Workload "
		    "identity -> Federation rules)", where);
	else if (x->federation_rule_id != NULL &&
	    !wif_config_valid_rule_id(x->federation_rule_id))
		ERR(e, config_setting_get_member(g, "federation_rule_id"), "%s: "
		    "federation_rule_id \"%.80s\" is malformed; it is fdrl_ "
		    "followed by letters and digits", where, x->federation_rule_id);
	if (config_setting_get_member(g, "organization_id") == NULL)
		ERR(e, g, "%s: organization_id is required; add organization_id "
		    "= \"<uuid>\"; (the organization UUID from Console -> "
		    "Settings)", where);
	else if (x->organization_id != NULL &&
	    !wif_config_valid_uuid(x->organization_id))
		ERR(e, config_setting_get_member(g, "organization_id"), "%s: "
		    "organization_id \"%.80s\" is not a UUID (8-4-4-4-12 hex "
		    "digits); use the organization UUID from Console -> Settings, "
		    "not a tagged id", where, x->organization_id);
	if (x->service_account_id != NULL &&
	    !wif_config_valid_service_account_id(x->service_account_id))
		ERR(e, config_setting_get_member(g, "service_account_id"), "%s: "
		    "service_account_id \"%.80s\" is malformed; it is svac_ "
		    "followed by letters and digits", where, x->service_account_id);
	if (x->workspace_id != NULL && x->workspace_id[0] == '\0') {
		free(x->workspace_id); /* the SDKs treat "" as unset */
		x->workspace_id = NULL;
	} else if (x->workspace_id != NULL &&
	    !wif_config_valid_workspace_id(x->workspace_id))
		ERR(e, config_setting_get_member(g, "workspace_id"), "%s: "
		    "workspace_id \"%.80s\" is malformed; use wrkspc_ followed by "
		    "letters and digits, or \"default\"", where, x->workspace_id);
}

static void
parse_token_exchange(struct errs *e, struct wif_config_exchange *x,
                     const config_setting_t *g, const char *where)
{
	opt_string(e, g, "token_url", where, &x->token_url);
	opt_string(e, g, "audience", where, &x->audience);
	opt_string(e, g, "scope", where, &x->scope);
	opt_string(e, g, "resource", where, &x->resource);
	opt_string(e, g, "requested_token_type", where, &x->requested_token_type);
	opt_string(e, g, "subject_token_type", where, &x->subject_token_type);
	opt_string(e, g, "client_id", where, &x->client_id);
	opt_string(e, g, "client_secret_file", where, &x->client_secret_file);
	if (config_setting_get_member(g, "token_url") == NULL)
		ERR(e, g, "%s: token_url is required for oauth2-token-exchange; "
		    "add token_url = \"https://sts.example/token\";", where);
	else if (x->token_url != NULL)
		check_url(e, g, "token_url", where, x->token_url);
	check_file_key(e, g, "client_secret_file", where, x->client_secret_file);
	if (x->client_secret_file != NULL && x->client_id == NULL)
		ERR(e, config_setting_get_member(g, "client_secret_file"), "%s: "
		    "client_secret_file needs client_id; add client_id = "
		    "\"...\";", where);
	set_default(e, g, &x->requested_token_type, TE_ACCESS_TOKEN);
	set_default(e, g, &x->subject_token_type, TE_JWT);
}

static void
parse_exchange(struct errs *e, struct wif_config_profile *p,
               const config_setting_t *pg)
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

	snprintf(where, sizeof(where), "profile \"%s\" exchange", p->name);
	if (g == NULL) {
		ERR(e, pg, "profile \"%s\" has no exchange; add exchange = { type "
		    "= \"anthropic\"; federation_rule_id = \"fdrl_...\"; "
		    "organization_id = \"<uuid>\"; };", p->name);
		return;
	}
	x->loc.line = sline(g);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "%s must be a group { type = \"anthropic\"; ... }, not %s",
		    where, type_name(config_setting_type(g)));
		return;
	}
	if (opt_string(e, g, "type", where, &type) < 0)
		return;
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
		ERR(e, config_setting_get_member(g, "type"), "%s: type \"%.80s\" is "
		    "unknown; use anthropic, oauth2-token-exchange or identity",
		    where, type);
		free(type);
		return;
	}
	free(type);
	if (x->type == WIF_EXCHANGE_IDENTITY)
		return;
	opt_string(e, g, "ca_file", where, &x->ca_file);
	check_file_key(e, g, "ca_file", where, x->ca_file);
	if (x->type == WIF_EXCHANGE_ANTHROPIC)
		parse_anthropic(e, x, g, where);
	else
		parse_token_exchange(e, x, g, where);
}

static void
cfg_warn(struct wif_config *cfg, const config_setting_t *s, const char *fmt, ...)
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
	int bad = 0;

	if (g == NULL)
		return;
	snprintf(w, sizeof(w), "%s.refresh", where);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "%s must be a group { advisory = 120; mandatory = 30; }, "
		    "not %s", w, type_name(config_setting_type(g)));
		return;
	}
	check_keys(e, g, w, keys);
	bad |= opt_int(e, g, "advisory", w, 2, 3600, &a) < 0;
	bad |= opt_int(e, g, "mandatory", w, 1, 3599, &m) < 0;
	if (!bad && m >= a)
		ERR(e, g, "%s: mandatory (%lld) must be smaller than advisory "
		    "(%lld); the defaults are advisory = 120; mandatory = 30;",
		    w, m, a);
	*advisory = (int)a;
	*mandatory = (int)m;
}

static void
parse_allow(struct errs *e, struct wif_config *cfg, struct wif_config_profile *p,
            const config_setting_t *pg)
{
	static const char *const keys[] = { "users", "groups", "units", NULL };
	config_setting_t *g = config_setting_get_member(pg, "allow");
	char where[160];

	snprintf(where, sizeof(where), "profile \"%s\" allow", p->name);
	if (g != NULL && config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "%s must be a group { users = [...]; groups = [...]; "
		    "units = [...]; }, not %s", where,
		    type_name(config_setting_type(g)));
		return;
	}
	if (g != NULL) {
		check_keys(e, g, where, keys);
		p->allow.users = name_array(e, g, "users", where, &p->allow.n_users);
		p->allow.groups = name_array(e, g, "groups", where, &p->allow.n_groups);
		p->allow.units = name_array(e, g, "units", where, &p->allow.n_units);
	}
	if (p->allow.n_users + p->allow.n_groups + p->allow.n_units == 0)
		cfg_warn(cfg, g ? g : pg, "profile \"%s\" has an empty allow list: "
		    "only root may use profile %s; add allow = { users = [ "
		    "\"...\" ]; }; to share it", p->name, p->name);
}

/* Modes are octal as for chmod(1).  libconfig reads the literal 0640 as
 * decimal 640, so the decimal digits of an integer are taken as octal
 * digits; a string "0640" means the same. */
static int
parse_mode(struct errs *e, const config_setting_t *g, const char *where, int *out)
{
	config_setting_t *m = config_setting_get_member(g, "mode");
	char buf[32];
	const char *s;
	unsigned long mode;

	*out = 0600;
	if (m == NULL)
		return 0;
	if (config_setting_type(m) == CONFIG_TYPE_STRING)
		s = config_setting_get_string(m);
	else if ((config_setting_type(m) == CONFIG_TYPE_INT ||
	    config_setting_type(m) == CONFIG_TYPE_INT64) &&
	    config_setting_get_format(m) != CONFIG_FORMAT_HEX) {
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)config_setting_get_int64(m));
		s = buf;
	} else {
		ERR(e, m, "%s: mode must be an octal number such as 0640, not %s",
		    where, config_setting_get_format(m) == CONFIG_FORMAT_HEX ?
		    "a hexadecimal number" : type_name(config_setting_type(m)));
		return -1;
	}
	if (strlen(s) > 5 || !all_chars(s, "01234567")) {
		ERR(e, m, "%s: mode %.32s is not an octal mode; write it as for "
		    "chmod, e.g. mode = 0640;", where, s);
		return -1;
	}
	mode = strtoul(s, NULL, 8);
	if (mode > 0777) {
		ERR(e, m, "%s: mode %04lo has setuid/setgid/sticky bits; use at "
		    "most 0777, e.g. 0600 or 0640", where, mode);
		return -1;
	}
	if (mode & S_IWOTH) {
		ERR(e, m, "%s: mode %04lo makes the token file world-writable; "
		    "use 0600 or 0640", where, mode);
		return -1;
	}
	*out = (int)mode;
	return 1;
}

static void
parse_sink(struct errs *e, struct wif_config_profile *p,
           const config_setting_t *g, int i)
{
	static const char *const keys[] = { "path", "format", "owner", "group",
	    "mode", NULL };
	struct wif_config_sink *k = &p->sinks[p->n_sinks];
	char where[200];

	snprintf(where, sizeof(where), "profile \"%s\" sink %d", p->name, i + 1);
	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "%s must be a group { path = \"...\"; format = \"raw\"; "
		    "}, not %s", where, type_name(config_setting_type(g)));
		return;
	}
	p->n_sinks++;
	k->loc.line = sline(g);
	check_keys(e, g, where, keys);
	opt_string(e, g, "format", where, &k->format);
	opt_string(e, g, "owner", where, &k->owner);
	opt_string(e, g, "group", where, &k->group);
	parse_mode(e, g, where, &k->mode);
	if (opt_string(e, g, "path", where, &k->path) == 0)
		ERR(e, g, "%s has no path; add path = \"/run/app/claude-token\";",
		    where);
	else if (k->path != NULL && k->path[0] != '/')
		ERR(e, config_setting_get_member(g, "path"), "%s: path \"%.200s\" "
		    "is not absolute; write the full path from /", where, k->path);
	if (k->format == NULL && config_setting_get_member(g, "format") == NULL)
		set_default(e, g, &k->format, "raw");
	else if (k->format != NULL && strcmp(k->format, "raw") != 0 &&
	    strcmp(k->format, "json") != 0 && strcmp(k->format, "env") != 0 &&
	    strcmp(k->format, "anthropic-credentials") != 0)
		ERR(e, config_setting_get_member(g, "format"), "%s: format "
		    "\"%.40s\" is unknown; use raw, json, env or "
		    "anthropic-credentials", where, k->format);
	if (k->owner != NULL && !valid_account_name(k->owner))
		ERR(e, config_setting_get_member(g, "owner"), "%s: owner \"%.64s\" "
		    "is not a user name; use a plain name such as \"app\"", where,
		    k->owner);
	if (k->group != NULL && !valid_account_name(k->group))
		ERR(e, config_setting_get_member(g, "group"), "%s: group \"%.64s\" "
		    "is not a group name; use a plain name such as \"app\"", where,
		    k->group);
}

static void
parse_sinks(struct errs *e, struct wif_config_profile *p, const config_setting_t *pg)
{
	config_setting_t *s = config_setting_get_member(pg, "sinks");
	int i, n;

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		ERR(e, s, "profile \"%s\": sinks must be a list ( { path = \"...\"; "
		    "format = \"raw\"; }, ... ), not %s", p->name,
		    type_name(config_setting_type(s)));
		return;
	}
	n = config_setting_length(s);
	if (n > 0 && (p->sinks = calloc((size_t)n, sizeof(*p->sinks))) == NULL) {
		OOM(e, s);
		return;
	}
	for (i = 0; i < n; i++)
		parse_sink(e, p, config_setting_get_elem(s, (unsigned)i), i);
}

static void
parse_profile(struct errs *e, struct wif_config *cfg, const config_setting_t *pg,
              struct schema_cache *sc)
{
	static const char *const keys[] = { "name", "audience", "source", "exchange",
	    "refresh", "allow", "sinks", NULL };
	struct wif_config_profile *p = &cfg->profiles[cfg->n_profiles];
	char where[200], *name = NULL;
	size_t i;
	int r;

	if (config_setting_type(pg) != CONFIG_TYPE_GROUP) {
		ERR(e, pg, "each profile must be a group { name = \"...\"; ... }, "
		    "not %s", type_name(config_setting_type(pg)));
		return;
	}
	if ((r = opt_string(e, pg, "name", "profile", &name)) == 0)
		ERR(e, pg, "profile without a name; add name = \"default\";");
	if (r <= 0)
		return;
	if (!wif_config_valid_profile_name(name)) {
		ERR(e, config_setting_get_member(pg, "name"), "profile name "
		    "\"%.80s\" is invalid; use 1 to %d of [A-Za-z0-9_.-], not "
		    "starting with a dot", name, MAX_ID);
		free(name);
		return;
	}
	for (i = 0; i < cfg->n_profiles; i++)
		if (strcmp(cfg->profiles[i].name, name) == 0) {
			ERR(e, pg, "profile \"%s\" is defined twice, here and at "
			    "%s:%d; rename or remove one of them", name,
			    cfg->profiles[i].loc.file, cfg->profiles[i].loc.line);
			break;
		}
	p->name = name;
	p->loc.line = sline(pg);
	p->loc.file = sfile(pg);
	p->advisory = cfg->advisory;
	p->mandatory = cfg->mandatory;
	cfg->n_profiles++;
	snprintf(where, sizeof(where), "profile \"%s\"", name);
	check_keys(e, pg, where, keys);
	opt_string(e, pg, "audience", where, &p->audience);
	set_default(e, pg, &p->audience, WIF_DEFAULT_AUDIENCE);
	parse_refresh(e, pg, where, &p->advisory, &p->mandatory);
	parse_sources(e, cfg, p, pg, sc);
	parse_exchange(e, p, pg);
	if (p->exchange.type == WIF_EXCHANGE_ANTHROPIC &&
	    p->exchange.service_account_id == NULL)
		cfg_warn(cfg, config_setting_get_member(pg, "exchange"), "profile "
		    "\"%s\" has no service_account_id; the API reference lists it "
		    "as required, so add service_account_id = \"svac_...\"; unless "
		    "the federation rule names one", name);
	parse_allow(e, cfg, p, pg);
	parse_sinks(e, p, pg);
}

static void
parse_http(struct errs *e, struct wif_config *cfg, const config_setting_t *h)
{
	static const char *const hkeys[] = { "timeout_ms", "connect_timeout_ms",
	    "max_body", "retries", "backoff_ms", "budget_ms", NULL };
	struct wif_http_policy *hp = &cfg->http;
	long long v;

	if (config_setting_type(h) != CONFIG_TYPE_GROUP) {
		ERR(e, h, "wif.http must be a group { timeout_ms = 10000; ... }, "
		    "not %s", type_name(config_setting_type(h)));
		return;
	}
	check_keys(e, h, "wif.http", hkeys);
	if (opt_int(e, h, "timeout_ms", "wif.http", 100, 600000, &v) > 0)
		hp->timeout_ms = (long)v;
	if (opt_int(e, h, "connect_timeout_ms", "wif.http", 100, 600000, &v) > 0)
		hp->connect_timeout_ms = (long)v;
	if (opt_int(e, h, "max_body", "wif.http", 1024, 64 * 1024 * 1024, &v) > 0)
		hp->max_body = (size_t)v;
	if (opt_int(e, h, "retries", "wif.http", 0, 10, &v) > 0)
		hp->retries = (int)v;
	if (opt_int(e, h, "backoff_ms", "wif.http", 1, 60000, &v) > 0)
		hp->backoff_ms = (long)v;
	if (opt_int(e, h, "budget_ms", "wif.http", 100, 600000, &v) > 0)
		hp->budget_ms = (long)v;
	if (hp->connect_timeout_ms > hp->timeout_ms)
		ERR(e, h, "wif.http: connect_timeout_ms (%ld) is larger than "
		    "timeout_ms (%ld); make it smaller", hp->connect_timeout_ms,
		    hp->timeout_ms);
}

static int
one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

/* "unix:/abs/path", or a loopback address with a port 1..65535. */
static int
metrics_listen_ok(const char *s)
{
	static const char *const hosts[] = { "127.0.0.1:", "[::1]:",
	    "localhost:", NULL };
	const char *port = NULL;
	size_t i;
	long v;
	char *end;

	if (strncmp(s, "unix:/", 6) == 0)
		return strlen(s + 5) < 108;
	for (i = 0; hosts[i] != NULL; i++)
		if (strncmp(s, hosts[i], strlen(hosts[i])) == 0)
			port = s + strlen(hosts[i]);
	if (port == NULL || *port == '\0' || *port == '-' || *port == '+')
		return 0;
	v = strtol(port, &end, 10);
	return *end == '\0' && v >= 1 && v <= 65535;
}

static void
parse_wif(struct errs *e, struct wif_config *cfg, const config_setting_t *g)
{
	static const char *const keys[] = { "provider_dir", "socket", "refresh",
	    "http", "audit", "log_level", "metrics_listen", "session_dir", NULL };
	static const char *const audits[] = { "syslog", "stderr", "none", NULL };
	static const char *const levels[] = { "err", "warning", "notice", "info",
	    "debug", NULL };
	config_setting_t *h;
	char *sock = NULL;

	if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
		ERR(e, g, "wif must be a group wif = { ... };, not %s",
		    type_name(config_setting_type(g)));
		return;
	}
	check_keys(e, g, "wif", keys);
	if (opt_string(e, g, "provider_dir", "wif", &cfg->provider_dir) > 0 &&
	    cfg->provider_dir[0] != '/')
		ERR(e, config_setting_get_member(g, "provider_dir"), "wif: "
		    "provider_dir must be an absolute path; the default is %s",
		    WIF_DEFAULT_PROVIDER_DIR);
	if (opt_string(e, g, "socket", "wif", &sock) > 0) {
		free(cfg->socket);
		cfg->socket = sock;
		if (sock[0] != '/')
			ERR(e, config_setting_get_member(g, "socket"), "wif: socket "
			    "must be an absolute path; the default is %s",
			    WIF_DEFAULT_SOCKET);
	}
	if (opt_string(e, g, "session_dir", "wif", &cfg->session_dir) > 0 &&
	    (cfg->session_dir[0] != '/' || strcmp(cfg->session_dir, "/") == 0 ||
	    strstr(cfg->session_dir, "/../") != NULL ||
	    strstr(cfg->session_dir, "/./") != NULL))
		ERR(e, config_setting_get_member(g, "session_dir"), "wif: "
		    "session_dir \"%.80s\" must be an absolute path other than / "
		    "without . or .. components; the default is %s",
		    cfg->session_dir, WIF_DEFAULT_SESSION_DIR);
	parse_refresh(e, g, "wif", &cfg->advisory, &cfg->mandatory);
	if ((h = config_setting_get_member(g, "http")) != NULL)
		parse_http(e, cfg, h);
	if (opt_string(e, g, "audit", "wif", &cfg->audit) > 0 &&
	    !one_of(cfg->audit, audits) && cfg->audit[0] != '/')
		ERR(e, config_setting_get_member(g, "audit"), "wif: audit "
		    "\"%.80s\" is not allowed; use \"syslog\", \"stderr\", "
		    "\"none\" or an absolute path", cfg->audit);
	if (opt_string(e, g, "metrics_listen", "wif", &cfg->metrics_listen) > 0 &&
	    !metrics_listen_ok(cfg->metrics_listen))
		ERR(e, config_setting_get_member(g, "metrics_listen"), "wif: "
		    "metrics_listen \"%.80s\" is not allowed: metrics are served "
		    "on a Unix socket (\"unix:/run/wif/metrics.sock\") or on "
		    "loopback (\"127.0.0.1:9464\", \"[::1]:9464\") only",
		    cfg->metrics_listen);
	if (opt_string(e, g, "log_level", "wif", &cfg->log_level) > 0 &&
	    !one_of(cfg->log_level, levels))
		ERR(e, config_setting_get_member(g, "log_level"), "wif: log_level "
		    "\"%.40s\" is unknown; use err, warning, notice, info or debug",
		    cfg->log_level);
}

static int
count_profiles(const config_t *c)
{
	config_setting_t *p = config_lookup(c, "profiles");

	return p ? config_setting_length(p) : 0;
}

static void
parse_profiles(struct errs *e, struct wif_config *cfg, const config_t *c,
               struct schema_cache *sc)
{
	config_setting_t *p = config_lookup(c, "profiles");
	int i, n;

	if (p == NULL)
		return;
	if (config_setting_type(p) != CONFIG_TYPE_LIST) {
		ERR(e, p, "profiles must be a list ( { name = \"...\"; ... }, ... ), "
		    "not %s", type_name(config_setting_type(p)));
		return;
	}
	n = config_setting_length(p);
	for (i = 0; i < n; i++)
		parse_profile(e, cfg, config_setting_get_elem(p, (unsigned)i), sc);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* conf.d/NAME.conf in byte order.  An absent directory is no error; one that
 * others may write to is (they could drop in a profile). */
static void
list_confd(struct errs *e, const char *dir, char ***names, size_t *n)
{
	struct dirent *de;
	struct stat st;
	char **tmp;
	DIR *d;
	int r;

	*names = NULL;
	*n = 0;
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT)
			errs_file(e, dir, "cannot stat the conf.d directory: %s; "
			    "fix its permissions or remove it", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		errs_file(e, dir, "conf.d is not a directory; remove it or make "
		    "it a directory of NAME.conf files");
		return;
	}
	if ((r = check_owner_mode(dir, &st)) != WIF_OK) {
		errs_put(e, dir, 0, wif_err_detail());
		return;
	}
	if ((d = opendir(dir)) == NULL) {
		errs_file(e, dir, "cannot read the conf.d directory: %s; fix its "
		    "permissions", strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (l <= 5 || de->d_name[0] == '.' ||
		    strcmp(de->d_name + l - 5, ".conf") != 0)
			continue;
		if (*n >= MAX_FILES - 1) {
			errs_file(e, dir, "more than %d files; merge some of them",
			    MAX_FILES - 1);
			break;
		}
		if ((tmp = realloc(*names, (*n + 1) * sizeof(*tmp))) == NULL) {
			errs_file(e, dir, "out of memory");
			break;
		}
		*names = tmp;
		if (asprintf(&tmp[*n], "%s/%s", dir, de->d_name) < 0) {
			errs_file(e, dir, "out of memory");
			break;
		}
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(*names, *n, sizeof(**names), cmp_names);
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
	free(cfg->metrics_listen);
	free(cfg->session_dir);
	if ((pv = cfg->priv) != NULL) {
		for (i = 0; i < pv->n; i++) {
			config_destroy(pv->trees[i]);
			free(pv->trees[i]);
		}
		free(pv);
	}
	free(cfg);
}

/* loc.file points into cfg->files; a profile's parts share its file. */
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

static void
confd_default(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, size, "conf.d");
	else
		snprintf(buf, size, "%.*s/conf.d", (int)(slash - path), path);
}

static struct wif_config *
config_new(const char *path)
{
	struct wif_config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->advisory = 120;
	cfg->mandatory = 30;
	wif_http_policy_defaults(&cfg->http);
	if ((cfg->priv = calloc(1, sizeof(struct priv))) == NULL ||
	    (cfg->path = strdup(path)) == NULL ||
	    (cfg->socket = strdup(WIF_DEFAULT_SOCKET)) == NULL ||
	    (cfg->files = calloc(MAX_FILES, sizeof(*cfg->files))) == NULL) {
		wif_config_free(cfg);
		return NULL;
	}
	return cfg;
}

int
wif_config_load(const char *path, const char *confd_dir,
                wif_config_schema_fn schema, void *arg, struct wif_config **out)
{
	static const char *const top[] = { "wif", "profiles", NULL };
	static const char *const top_d[] = { "profiles", NULL };
	struct wif_config *cfg = NULL;
	struct schema_cache sc;
	struct errs *e = NULL;
	struct priv *pv;
	config_t *main_tree = NULL, *t;
	config_setting_t *w;
	char dbuf[PATH_MAX], **names = NULL;
	size_t n_names = 0, i, total;
	int r;

	if (out == NULL || path == NULL)
		return wif_err(WIF_E_INVALID_ARG, "wif_config_load: no path");
	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.fn = schema;
	sc.arg = arg;
	if ((cfg = config_new(path)) == NULL || (e = calloc(1, sizeof(*e))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	pv = cfg->priv;
	if ((r = read_tree(pv, path, &main_tree)) != WIF_OK)
		goto out;
	if ((cfg->files[cfg->n_files] = strdup(path)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	cfg->n_files++;
	total = (size_t)count_profiles(main_tree);
	if (confd_dir == NULL) {
		confd_default(path, dbuf, sizeof(dbuf));
		confd_dir = dbuf;
	}
	e->files[e->n_files++] = cfg->files[0];
	list_confd(e, confd_dir, &names, &n_names);
	for (i = 0; i < n_names; i++)
		e->files[e->n_files++] = names[i];
	for (i = 0; i < n_names; i++) {
		if (read_tree(pv, names[i], &t) != WIF_OK) {
			errs_put(e, names[i], 0, wif_err_detail());
			continue;
		}
		cfg->files[cfg->n_files++] = names[i];
		names[i] = NULL; /* transferred */
		total += (size_t)count_profiles(t);
	}
	if ((cfg->profiles = calloc(total + 1, sizeof(*cfg->profiles))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	check_keys(e, config_root_setting(main_tree), "the main file", top);
	if ((w = config_lookup(main_tree, "wif")) != NULL)
		parse_wif(e, cfg, w);
	parse_profiles(e, cfg, main_tree, &sc);
	for (i = 1; i < pv->n; i++) {
		check_keys(e, config_root_setting(pv->trees[i]), "a conf.d file "
		    "(the wif group belongs in the main file)", top_d);
		parse_profiles(e, cfg, pv->trees[i], &sc);
	}
	fix_locations(cfg);
	if (e->n > 0 || e->oom) {
		r = errs_report(e);
		goto out;
	}
	*out = cfg;
	cfg = NULL; /* transferred */
	r = WIF_OK;
out:
	schema_cache_free(&sc);
	free_strv(names, n_names);
	errs_free(e);
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
	return src && src->setting && key ?
	    config_setting_get_member(src->setting, key) : NULL;
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

	/* *out is left alone unless the key is there (provider.h promises
	 * plugins that, so that a default survives an absent key) */
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
		return WIF_E_NOT_FOUND; /* *out left alone, as for ints */
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
