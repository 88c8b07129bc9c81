/* conf.c - wif.conf + conf.d (libconfig), strict validation; see conf.h.
 *
 * One pass over every file collects every problem as "FILE:LINE: what is
 * wrong; what to do", so that an operator fixes a file in one round.  Each
 * file is read once (checked on the open descriptor) and parsed from those
 * bytes; the bytes and the libconfig trees stay alive in cfg->priv: sources
 * point into the trees, the host services read plugin keys from them, and
 * a snapshot hands the bytes to another process, which parses them the
 * same way (load(): one path fed by the disk or by a snapshot).  The file
 * is long because every check carries its own explanatory message; a split
 * would put the field checks (parse_*) beside the loading and merging. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "secmem.h"
#include "util.h"

#define MAX_FILES 256               /* the main file + conf.d/NAME.conf */
#define MAX_FILE_SIZE (1024 * 1024) /* per configuration file */
#define MAX_ERRORS_TEXT (WIF_ERR_MAX - 80)
#define MAX_ID 128                  /* ids, profile names, account names */

#define TE_ACCESS_TOKEN "urn:ietf:params:oauth:token-type:access_token"
#define TE_JWT "urn:ietf:params:oauth:token-type:jwt"

/* One configuration file as it was read, once: its exact bytes (what a
 * snapshot hands on), whether it was group/world-readable then, and the
 * tree parsed from the bytes.  The tree's root setting has f as its hook
 * (sconf()). */
struct conf_file {
	char *path;
	char *text;      /* len bytes + '\0'; NULL when it could not be read */
	size_t len;
	int readable;    /* group/world-readable (no inline secrets) */
	config_t *tree;  /* NULL when not (yet) parsed */
};

struct priv {
	struct conf_file f[MAX_FILES]; /* [0] is the main file */
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

/* The file a setting came from: the hook of its tree's root. */
static const struct conf_file *
sconf(const config_setting_t *s)
{
	while (s != NULL && config_setting_parent(s) != NULL)
		s = config_setting_parent(s);
	return s ? config_setting_get_hook(s) : NULL;
}

static const char *
sfile(const config_setting_t *s)
{
	const struct conf_file *f = sconf(s);

	return f ? f->path : "?";
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
stat_failed(const char *path, int err)
{
	if (err == ENOENT)
		return wif_err(WIF_E_NOT_FOUND, "%s does not exist; create it "
		    "(see wif.conf(5)) or pass another with --config", path);
	return wif_err(WIF_E_IO, "cannot stat %s: %s; check the permissions of "
	    "its directories", path, strerror(err));
}

static int
too_big(const char *path)
{
	return wif_err(WIF_E_CONFIG, "%s is larger than %d bytes; split its "
	    "profiles into conf.d files", path, MAX_FILE_SIZE);
}

/* A configuration file must be a regular file, safe (check_owner_mode)
 * and at most MAX_FILE_SIZE bytes. */
static int
check_file_stat(const char *path, const struct stat *st)
{
	int r;

	if (!S_ISREG(st->st_mode))
		return wif_err(WIF_E_IO, "%s is not a regular file; point "
		    "--config at the configuration file itself", path);
	if ((r = check_owner_mode(path, st)) != WIF_OK)
		return r;
	if (st->st_size > MAX_FILE_SIZE)
		return too_big(path);
	return WIF_OK;
}

/* open() refused path (errno err): a missing or unsafe file is reported
 * as such, as when the checks run on an open file; else "cannot read". */
static int
open_failed(const char *path, int err)
{
	struct stat st;
	int r;

	if (stat(path, &st) != 0)
		return stat_failed(path, errno);
	if ((r = check_file_stat(path, &st)) != WIF_OK)
		return r;
	return wif_err(WIF_E_IO, "cannot read %s: %s; make it readable by uid %u",
	    path, strerror(err), (unsigned)geteuid());
}

/* Up to n bytes from fd, fewer only at end of file: the count, or -1 with
 * errno (EINTR is retried). */
static ssize_t
read_full(int fd, void *buf, size_t n)
{
	size_t got = 0;
	ssize_t k;

	while (got < n) {
		if ((k = read(fd, (char *)buf + got, n - got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* What fd holds, to its end: at most MAX_FILE_SIZE bytes however large it
 * said it was (size), NUL-terminated for libconfig. */
static int
read_text(int fd, const char *path, size_t size, struct conf_file *f)
{
	size_t cap = size < MAX_FILE_SIZE ? size + 1 : MAX_FILE_SIZE + 1, len = 0;
	ssize_t got;
	char *buf, *tmp;
	int r;

	if ((buf = malloc(cap + 1)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	for (;;) {
		if ((got = read_full(fd, buf + len, cap - len)) < 0) {
			r = wif_err(WIF_E_IO, "cannot read %s: %s", path,
			    strerror(errno));
			break;
		}
		len += (size_t)got;
		if (len < cap) {
			buf[len] = '\0';
			f->text = buf;
			f->len = len;
			return WIF_OK;
		}
		if (len > MAX_FILE_SIZE) { /* it grew after fstat() */
			r = too_big(path);
			break;
		}
		cap = cap < MAX_FILE_SIZE / 2 ? cap * 2 : MAX_FILE_SIZE + 1;
		if ((tmp = realloc(buf, cap + 1)) == NULL) {
			r = wif_err(WIF_E_NOMEM, "out of memory");
			break;
		}
		buf = tmp;
	}
	wif_wipe(buf, len);
	free(buf);
	return r;
}

/* Read f->path from the disk into f: the checks apply to the file that
 * was opened (O_NONBLOCK: a FIFO is refused, not waited on), so it cannot
 * be swapped between the checks and the read. */
static int
file_read(struct conf_file *f)
{
	struct stat st;
	int fd, r;

	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return open_failed(f->path, errno);
	if (fstat(fd, &st) != 0)
		r = stat_failed(f->path, errno);
	else if ((r = check_file_stat(f->path, &st)) == WIF_OK &&
	    (r = read_text(fd, f->path, (size_t)st.st_size, f)) == WIF_OK)
		f->readable = (st.st_mode & (S_IRGRP | S_IROTH)) != 0;
	close(fd);
	return r;
}

/* libconfig would follow @include to a file nobody checked for ownership
 * and permissions; conf.d is the supported way to split a configuration.
 * A NUL byte would end libconfig's reading of the text early. */
static int
prescan(const struct conf_file *f)
{
	const char *p = f->text, *end = f->text + f->len, *nl;
	int n;

	for (n = 1; p < end; n++, p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL)
			return wif_err(WIF_E_CONFIG, "%s:%d: a NUL byte; a "
			    "configuration file is text, remove it", f->path, n);
		p += strspn(p, " \t");
		if (nl - p >= 8 && strncmp(p, "@include", 8) == 0)
			return wif_err(WIF_E_CONFIG, "%s:%d: @include is not "
			    "supported (an included file escapes the ownership "
			    "checks); move those profiles into a conf.d/NAME.conf "
			    "file", f->path, n);
	}
	return WIF_OK;
}

/* Pre-scan and parse f's bytes into f->tree; the root setting's hook
 * points back to f (see sconf()). */
static int
parse_file(struct conf_file *f)
{
	config_t *c;
	int r;

	if ((r = prescan(f)) != WIF_OK)
		return r;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	config_init(c);
	if (config_read_string(c, f->text) != CONFIG_TRUE) {
		r = wif_err(WIF_E_CONFIG, "%s:%d: %s; fix the syntax (see "
		    "wif.conf(5))", f->path, config_error_line(c),
		    config_error_text(c) ? config_error_text(c) : "syntax error");
		config_destroy(c);
		free(c);
		return r;
	}
	config_setting_set_hook(config_root_setting(c), f);
	f->tree = c;
	return WIF_OK;
}

/* A new entry for path at the end of pv's files, or NULL (full, or out of
 * memory). */
static struct conf_file *
pv_add(struct priv *pv, const char *path)
{
	struct conf_file *f;

	if (pv->n >= MAX_FILES)
		return NULL;
	f = &pv->f[pv->n];
	if ((f->path = strdup(path)) == NULL)
		return NULL;
	pv->n++;
	return f;
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

static int path_checks = 1;

void
wif_config_set_path_checks(int on)
{
	path_checks = on;
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
	else if (!path_checks || stat(p, &st) == 0)
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
	const struct conf_file *f = sconf(g);
	char file_key[128];
	int i, n, readable = f == NULL || f->readable;

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

const char *
wif_config_path(const char *explicit_path)
{
	const char *env;

	if (explicit_path != NULL)
		return explicit_path;
	if (!wif_setid() && (env = getenv(WIF_CONFIG_ENV)) != NULL && env[0] != '\0')
		return env;
	return WIF_DEFAULT_CONFIG;
}

static int (*url_check)(const char *url);

void
wif_config_set_url_check(int (*ok)(const char *url))
{
	url_check = ok;
}

static void
check_url(struct errs *e, const config_setting_t *g, const char *key,
          const char *where, char *url)
{
	size_t n;

	while ((n = strlen(url)) > 0 && url[n - 1] == '/')
		url[n - 1] = '\0';
	if (url_check != NULL && !url_check(url))
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

/* The bytes may hold an inline secret: wiped. */
static void
conf_file_free(struct conf_file *f)
{
	if (f->tree != NULL) {
		config_destroy(f->tree);
		free(f->tree);
	}
	if (f->text != NULL) {
		wif_wipe(f->text, f->len);
		free(f->text);
	}
	free(f->path);
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
		for (i = 0; i < pv->n; i++)
			conf_file_free(&pv->f[i]);
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
config_new(void)
{
	struct wif_config *cfg;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	cfg->advisory = 120;
	cfg->mandatory = 30;
	wif_http_policy_defaults(&cfg->http);
	if ((cfg->priv = calloc(1, sizeof(struct priv))) == NULL ||
	    (cfg->socket = strdup(WIF_DEFAULT_SOCKET)) == NULL ||
	    (cfg->files = calloc(MAX_FILES, sizeof(*cfg->files))) == NULL) {
		wif_config_free(cfg);
		return NULL;
	}
	return cfg;
}

/* Where load() gets the files' bytes from: the disk or a snapshot.  It
 * fills pv (the main file first) and e->files; a file that cannot be read
 * is fatal (the return value) or one error in e. */
typedef int (*gather_fn)(struct priv *pv, struct errs *e, const void *from);

struct disk_from {
	const char *path;
	const char *confd_dir;
};

/* The main file (fatal when it cannot be read), then conf.d/NAME.conf
 * (each failure is one error). */
static int
gather_disk(struct priv *pv, struct errs *e, const void *from)
{
	const struct disk_from *d = from;
	const char *confd_dir = d->confd_dir;
	struct conf_file *f;
	char dbuf[PATH_MAX], **names = NULL;
	size_t n_names = 0, i;
	int r;

	if ((f = pv_add(pv, d->path)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if ((r = file_read(f)) != WIF_OK)
		return r;
	e->files[e->n_files++] = f->path;
	if (confd_dir == NULL) {
		confd_default(d->path, dbuf, sizeof(dbuf));
		confd_dir = dbuf;
	}
	list_confd(e, confd_dir, &names, &n_names);
	for (i = 0; i < n_names && !e->oom; i++) {
		if ((f = pv_add(pv, names[i])) == NULL)
			e->oom = 1; /* not full: list_confd stops before */
		else
			e->files[e->n_files++] = f->path;
	}
	for (i = 1; i < pv->n; i++)
		if (file_read(&pv->f[i]) != WIF_OK)
			errs_put(e, pv->f[i].path, 0, wif_err_detail());
	free_strv(names, n_names);
	return WIF_OK;
}

/* Parse every file that was read: the main file's failure is fatal, a
 * conf.d file's is one error.  The parsed files make cfg->path and
 * cfg->files; *total counts their profiles. */
static int
parse_files(struct wif_config *cfg, struct errs *e, size_t *total)
{
	struct priv *pv = cfg->priv;
	struct conf_file *f;
	size_t i;
	int r;

	*total = 0;
	if ((cfg->path = strdup(pv->f[0].path)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	for (i = 0; i < pv->n; i++) {
		f = &pv->f[i];
		if (f->text == NULL)
			continue; /* reported */
		if ((r = parse_file(f)) != WIF_OK) {
			if (i == 0)
				return r;
			errs_put(e, f->path, 0, wif_err_detail());
			continue;
		}
		if ((cfg->files[cfg->n_files] = strdup(f->path)) == NULL)
			return wif_err(WIF_E_NOMEM, "out of memory");
		cfg->n_files++;
		*total += (size_t)count_profiles(f->tree);
	}
	return WIF_OK;
}

/* wif_config_load() and wif_config_load_snapshot(): gather the bytes, then
 * the one parse and validation whatever their origin. */
static int
load(gather_fn gather, const void *from, wif_config_schema_fn schema,
     void *arg, struct wif_config **out)
{
	static const char *const top[] = { "wif", "profiles", NULL };
	static const char *const top_d[] = { "profiles", NULL };
	struct wif_config *cfg = NULL;
	struct schema_cache sc;
	struct errs *e = NULL;
	struct priv *pv;
	config_t *main_tree;
	config_setting_t *w;
	size_t i, total;
	int r;

	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.fn = schema;
	sc.arg = arg;
	if ((cfg = config_new()) == NULL || (e = calloc(1, sizeof(*e))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	pv = cfg->priv;
	if ((r = gather(pv, e, from)) != WIF_OK ||
	    (r = parse_files(cfg, e, &total)) != WIF_OK)
		goto out;
	if ((cfg->profiles = calloc(total + 1, sizeof(*cfg->profiles))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	main_tree = pv->f[0].tree;
	check_keys(e, config_root_setting(main_tree), "the main file", top);
	if ((w = config_lookup(main_tree, "wif")) != NULL)
		parse_wif(e, cfg, w);
	parse_profiles(e, cfg, main_tree, &sc);
	for (i = 1; i < pv->n; i++) {
		if (pv->f[i].tree == NULL)
			continue; /* reported */
		check_keys(e, config_root_setting(pv->f[i].tree), "a conf.d file "
		    "(the wif group belongs in the main file)", top_d);
		parse_profiles(e, cfg, pv->f[i].tree, &sc);
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
	errs_free(e);
	wif_config_free(cfg);
	return r;
}

int
wif_config_load(const char *path, const char *confd_dir,
                wif_config_schema_fn schema, void *arg, struct wif_config **out)
{
	struct disk_from d;

	if (out == NULL || path == NULL)
		return wif_err(WIF_E_INVALID_ARG, "wif_config_load: no path");
	d.path = path;
	d.confd_dir = confd_dir;
	return load(gather_disk, &d, schema, arg, out);
}

/*
 * The snapshot, private to the two functions below; integers are 32-bit
 * big-endian:
 *   "WIFCSNAP" version(1) n_files(1..MAX_FILES)
 *   n_files times: flags(SNAP_READABLE) path_len(1..PATH_MAX-1)
 *                  len(0..MAX_FILE_SIZE) path-bytes file-bytes
 * and then the end of the input.  The main file comes first.
 */
#define SNAP_MAGIC "WIFCSNAP"
#define SNAP_VERSION 1
#define SNAP_READABLE 0x1u  /* conf_file.readable */
#define SNAP_HEAD 16
#define SNAP_FILE_HEAD 12
#define SNAP "configuration snapshot from wifd"

static void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* All n bytes of buf to fd (short writes and EINTR are retried). */
static int
write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return wif_err(WIF_E_IO, "cannot write the configuration "
			    "snapshot: %s", k < 0 ? strerror(errno) :
			    "nothing was written");
		p += k;
		n -= (size_t)k;
	}
	return WIF_OK;
}

static int
snap_write_file(int fd, const struct conf_file *f)
{
	uint8_t head[SNAP_FILE_HEAD];
	size_t plen = strlen(f->path);
	int r;

	if (plen == 0 || plen >= PATH_MAX || f->text == NULL)
		return wif_err(WIF_E_INVALID_ARG, "%s: cannot be put in a "
		    "configuration snapshot", f->path);
	put_u32(head, f->readable ? SNAP_READABLE : 0);
	put_u32(head + 4, (uint32_t)plen);
	put_u32(head + 8, (uint32_t)f->len);
	if ((r = write_all(fd, head, sizeof(head))) != WIF_OK ||
	    (r = write_all(fd, f->path, plen)) != WIF_OK)
		return r;
	return write_all(fd, f->text, f->len);
}

int
wif_config_snapshot_write(const struct wif_config *cfg, int fd)
{
	const struct priv *pv;
	uint8_t head[SNAP_HEAD];
	size_t i;
	int r;

	if (cfg == NULL || (pv = cfg->priv) == NULL || pv->n == 0 || fd < 0)
		return wif_err(WIF_E_INVALID_ARG, "wif_config_snapshot_write: no "
		    "configuration or no descriptor");
	memcpy(head, SNAP_MAGIC, 8);
	put_u32(head + 8, SNAP_VERSION);
	put_u32(head + 12, (uint32_t)pv->n);
	if ((r = write_all(fd, head, sizeof(head))) != WIF_OK)
		return r;
	for (i = 0; i < pv->n; i++)
		if ((r = snap_write_file(fd, &pv->f[i])) != WIF_OK)
			return r;
	return WIF_OK;
}

/* Exactly n bytes of the snapshot: fewer is a truncated snapshot. */
static int
snap_read(int fd, void *buf, size_t n)
{
	ssize_t got = read_full(fd, buf, n);

	if (got < 0)
		return wif_err(WIF_E_IO, "cannot read the " SNAP ": %s",
		    strerror(errno));
	if ((size_t)got < n)
		return wif_err(WIF_E_CONFIG, SNAP " is truncated; wifd writes it "
		    "whole before it starts a helper: restart wifd");
	return WIF_OK;
}

/* File i of the snapshot, into a new entry of pv. */
static int
snap_read_file(int fd, struct priv *pv, uint32_t i)
{
	uint8_t head[SNAP_FILE_HEAD];
	char path[PATH_MAX];
	uint32_t flags, plen, len;
	struct conf_file *f;
	int r;

	if ((r = snap_read(fd, head, sizeof(head))) != WIF_OK)
		return r;
	flags = get_u32(head);
	plen = get_u32(head + 4);
	len = get_u32(head + 8);
	if ((flags & ~SNAP_READABLE) != 0)
		return wif_err(WIF_E_CONFIG, SNAP ": file %u has unknown flags "
		    "%#x; run wifd and its helper from the same installation",
		    (unsigned)i + 1, (unsigned)flags);
	if (plen == 0 || plen >= sizeof(path))
		return wif_err(WIF_E_CONFIG, SNAP ": file %u has a path of %u "
		    "bytes; a path has 1 to %d", (unsigned)i + 1, (unsigned)plen,
		    PATH_MAX - 1);
	if (len > MAX_FILE_SIZE)
		return wif_err(WIF_E_CONFIG, SNAP ": file %u has %u bytes; a "
		    "configuration file has at most %d", (unsigned)i + 1,
		    (unsigned)len, MAX_FILE_SIZE);
	if ((r = snap_read(fd, path, plen)) != WIF_OK)
		return r;
	if (memchr(path, '\0', plen) != NULL)
		return wif_err(WIF_E_CONFIG, SNAP ": the path of file %u holds "
		    "a NUL byte", (unsigned)i + 1);
	path[plen] = '\0';
	if ((f = pv_add(pv, path)) == NULL || (f->text = malloc((size_t)len +
	    1)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	f->len = len; /* wiped on free even when the read fails */
	if ((r = snap_read(fd, f->text, len)) != WIF_OK)
		return r;
	f->text[len] = '\0';
	f->readable = (flags & SNAP_READABLE) != 0;
	return WIF_OK;
}

/* The snapshot's files into pv, and its end after the last one. */
static int
gather_snapshot(struct priv *pv, struct errs *e, const void *from)
{
	int fd = *(const int *)from, r;
	uint8_t head[SNAP_HEAD];
	uint32_t i, n;
	ssize_t got;

	if ((r = snap_read(fd, head, sizeof(head))) != WIF_OK)
		return r;
	if (memcmp(head, SNAP_MAGIC, 8) != 0)
		return wif_err(WIF_E_CONFIG, SNAP " has a bad magic number: the "
		    "descriptor holds something else");
	if (get_u32(head + 8) != SNAP_VERSION)
		return wif_err(WIF_E_CONFIG, SNAP " has version %u, not %d; run "
		    "wifd and its helper from the same installation",
		    (unsigned)get_u32(head + 8), SNAP_VERSION);
	n = get_u32(head + 12);
	if (n == 0 || n > MAX_FILES)
		return wif_err(WIF_E_CONFIG, SNAP " lists %u files; a "
		    "configuration has 1 to %d", (unsigned)n, MAX_FILES);
	for (i = 0; i < n; i++) {
		if ((r = snap_read_file(fd, pv, i)) != WIF_OK)
			return r;
		e->files[e->n_files++] = pv->f[pv->n - 1].path;
	}
	if ((got = read_full(fd, head, 1)) < 0)
		return wif_err(WIF_E_IO, "cannot read the " SNAP ": %s",
		    strerror(errno));
	if (got > 0)
		return wif_err(WIF_E_CONFIG, SNAP " has bytes after its last "
		    "file; the descriptor holds something else");
	return WIF_OK;
}

int
wif_config_load_snapshot(int fd, wif_config_schema_fn schema, void *arg,
                         struct wif_config **out)
{
	if (out == NULL)
		return wif_err(WIF_E_INVALID_ARG, "wif_config_load_snapshot: no out");
	*out = NULL;
	if (fd < 0)
		return wif_err(WIF_E_INVALID_ARG, "wif_config_load_snapshot: no "
		    "descriptor");
	return load(gather_snapshot, &fd, schema, arg, out);
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
