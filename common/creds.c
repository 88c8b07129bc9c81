/* creds.c - credential precedence and zero-config; see creds.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "core.h"
#include "creds.h"
#include "err.h"
#include "fileio.h"
#include "secmem.h"

#define SDK_PROFILE_MAX (64 * 1024)

/* The SDKs treat an empty variable as unset. */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && v[0] != '\0') ? v : NULL;
}

static struct wif_cred_candidate *
add(struct wif_resolution *res, int kind, const char *fmt, ...)
{
	struct wif_cred_candidate *c;
	va_list ap;

	if (res->n_cand >= sizeof(res->cand) / sizeof(res->cand[0]))
		return &res->cand[res->n_cand - 1];
	c = &res->cand[res->n_cand++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	va_start(ap, fmt);
	vsnprintf(c->label, sizeof(c->label), fmt, ap);
	va_end(ap);
	return c;
}

/* "sk-ant-api0…" - enough to recognise, not to use. */
static void
mask(const char *secret, char *buf, size_t len)
{
	snprintf(buf, len, "%.11s… (%zu chars)", secret, strlen(secret));
}

static void
sdk_config_dir(char *buf, size_t len)
{
	const char *d;
	struct passwd *pw;

	/* A setuid/setgid process takes no directory from its caller. */
	if (getuid() != geteuid() || getgid() != getegid())
		d = NULL;
	else
		d = env("ANTHROPIC_CONFIG_DIR");
	if (d != NULL)
		snprintf(buf, len, "%s", d);
	else if (getuid() == geteuid() && (d = env("XDG_CONFIG_HOME")) != NULL)
		snprintf(buf, len, "%s/anthropic", d);
	else if (getuid() == geteuid() && (d = env("HOME")) != NULL)
		snprintf(buf, len, "%s/.config/anthropic", d);
	else if ((pw = getpwuid(geteuid())) != NULL)
		snprintf(buf, len, "%s/.config/anthropic", pw->pw_dir);
	else
		snprintf(buf, len, "/nonexistent/.config/anthropic");
}

/*
 * As root, an SDK profile file decides which file wif reads and where it
 * sends what it read: one under a user's HOME (kept by sudo, or a
 * user-writable ANTHROPIC_CONFIG_DIR) would let that user point root at a
 * token root can read and a server the user runs.  So for a privileged
 * process the file, configs/ and the config directory must be owned by
 * root (or the effective user) and writable by no one else.
 */
static int
sdk_file_trusted(const char *config_dir, const char *path)
{
	char dirs[2][4200];
	const char *check[3];
	struct stat st;
	uid_t euid = geteuid();
	size_t i;

	if (euid != 0 && getuid() == euid)
		return WIF_OK;
	snprintf(dirs[0], sizeof(dirs[0]), "%s/configs", config_dir);
	snprintf(dirs[1], sizeof(dirs[1]), "%s", config_dir);
	check[0] = path;
	check[1] = dirs[0];
	check[2] = dirs[1];
	for (i = 0; i < 3; i++) {
		if (stat(check[i], &st) != 0)
			return wif_err(WIF_E_NOT_FOUND, "%s: %s", check[i],
			    strerror(errno));
		if (st.st_uid != 0 && st.st_uid != euid)
			return wif_err(WIF_E_PERM, "%s is owned by uid %u: running "
			    "as root, wif reads SDK profile files only when they "
			    "and their directories belong to root (use "
			    "/etc/wif/wif.conf for root's workloads)", check[i],
			    (unsigned)st.st_uid);
		if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
			return wif_err(WIF_E_PERM, "%s is writable by %s (mode "
			    "%04o): running as root, wif refuses SDK profile files "
			    "others can change; chmod go-w %s", check[i],
			    (st.st_mode & S_IWOTH) ? "everyone" : "its group",
			    (unsigned)(st.st_mode & 07777), check[i]);
	}
	return WIF_OK;
}

/* The SDKs' profile-name rule, plus PY's "no leading dot". */
static int
sdk_profile_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 128 && s[0] != '.' &&
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.-") == n;
}

/* The federation inputs of one profile, however they were found. */
struct fed {
	const char *rule, *org, *svac, *wrk, *base, *token_file, *token_env;
	char *owned[8];
	size_t n_owned;
};

static void
fed_free(struct fed *f)
{
	size_t i;

	for (i = 0; i < f->n_owned; i++)
		free(f->owned[i]);
}

static const char *
fed_keep(struct fed *f, const char *s)
{
	char *d;

	if (s == NULL || s[0] == '\0' || f->n_owned >= 8 || (d = strdup(s)) == NULL)
		return NULL;
	f->owned[f->n_owned++] = d;
	return d;
}

/* libconfig string literal: escape quotes and backslashes, refuse control
 * characters (they have no business in ids, URLs or paths). */
static int
put_str(FILE *f, const char *key, const char *v)
{
	const unsigned char *p;

	if (v == NULL)
		return 0;
	fprintf(f, "%s = \"", key);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return -1;
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
	fputs("\"; ", f);
	return 0;
}

static int
synthesize(struct wif_resolution *res, const struct fed *fd, const char *origin)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int bad = 0;

	if ((f = open_memstream(&text, &len)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	fprintf(f, "# derived from %s\nprofiles = ( { ", origin);
	bad |= put_str(f, "name", res->profile);
	fputs("\n  source = ( { ", f);
	if (fd->token_file != NULL) {
		fputs("provider = \"file\"; ", f);
		bad |= put_str(f, "path", fd->token_file);
	} else
		fputs("provider = \"env\"; variable = \"ANTHROPIC_IDENTITY_TOKEN\"; ", f);
	fputs("} );\n  exchange = { type = \"anthropic\"; ", f);
	bad |= put_str(f, "base_url", fd->base);
	bad |= put_str(f, "federation_rule_id", fd->rule);
	bad |= put_str(f, "organization_id", fd->org);
	bad |= put_str(f, "service_account_id", fd->svac);
	bad |= put_str(f, "workspace_id", fd->wrk);
	fputs("};\n} );\n", f);
	if (fclose(f) != 0) {
		free(text);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	if (bad) {
		free(text);
		return wif_err(WIF_E_CONFIG, "%s holds a value with control "
		    "characters", origin);
	}
	res->config_text = text;
	return WIF_OK;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v)[0] ? json_object_get_string(v) : NULL;
}

/*
 * Read <config_dir>/configs/<name>.json into fd (the environment fills only
 * what the file leaves unset, except ANTHROPIC_BASE_URL which wins, as in
 * the SDKs).  WIF_E_NOT_FOUND when absent.
 */
static int
read_sdk_profile(const struct wif_resolution *res, const char *name,
                 struct fed *fd, char *path, size_t pathlen)
{
	char *buf = NULL;
	size_t len = 0;
	json_object *root = NULL, *auth = NULL, *it = NULL;
	const char *type;
	int r;

	if (!sdk_profile_name_ok(name))
		return wif_err(WIF_E_CONFIG, "\"%s\" is not a valid SDK profile "
		    "name ([A-Za-z0-9_.-], not starting with a dot)", name);
	snprintf(path, pathlen, "%s/configs/%s.json", res->config_dir, name);
	if ((r = wif_read_file(path, SDK_PROFILE_MAX, 0, &buf, &len)) != WIF_OK)
		return r;
	if ((r = sdk_file_trusted(res->config_dir, path)) != WIF_OK) {
		wif_secmem_free(buf);
		return r;
	}
	root = json_tokener_parse(buf);
	wif_secmem_free(buf);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return wif_err(WIF_E_CONFIG, "%s is not a JSON object", path);
	}
	if (!json_object_object_get_ex(root, "authentication", &auth) ||
	    !json_object_is_type(auth, json_type_object)) {
		r = wif_err(WIF_E_CONFIG, "%s has no \"authentication\" object", path);
		goto out;
	}
	type = jstr(auth, "type");
	if (type == NULL || strcmp(type, "oidc_federation") != 0) {
		r = wif_err(WIF_E_CONFIG, "%s: authentication.type is \"%s\"; wif "
		    "serves only \"oidc_federation\" profiles (a user_oauth profile "
		    "is a human login: use `ant auth login`)", path,
		    type ? type : "(missing)");
		goto out;
	}
	fd->rule = fed_keep(fd, jstr(auth, "federation_rule_id"));
	fd->svac = fed_keep(fd, jstr(auth, "service_account_id"));
	fd->org = fed_keep(fd, jstr(root, "organization_id"));
	fd->wrk = fed_keep(fd, jstr(root, "workspace_id"));
	fd->base = fed_keep(fd, jstr(root, "base_url"));
	if (json_object_object_get_ex(auth, "identity_token", &it) &&
	    json_object_is_type(it, json_type_object)) {
		const char *src = jstr(it, "source");
		if (src != NULL && strcmp(src, "file") != 0) {
			r = wif_err(WIF_E_CONFIG, "%s: identity_token.source \"%s\" "
			    "is not supported (only \"file\" in profile version 1)",
			    path, src);
			goto out;
		}
		fd->token_file = fed_keep(fd, jstr(it, "path"));
	}
	/* The environment fills what the file leaves unset. */
	if (fd->rule == NULL) fd->rule = env("ANTHROPIC_FEDERATION_RULE_ID");
	if (fd->org == NULL) fd->org = env("ANTHROPIC_ORGANIZATION_ID");
	if (fd->svac == NULL) fd->svac = env("ANTHROPIC_SERVICE_ACCOUNT_ID");
	if (fd->wrk == NULL) fd->wrk = env("ANTHROPIC_WORKSPACE_ID");
	if (env("ANTHROPIC_BASE_URL") != NULL) fd->base = env("ANTHROPIC_BASE_URL");
	if (fd->token_file == NULL) fd->token_file = env("ANTHROPIC_IDENTITY_TOKEN_FILE");
	if (fd->token_file == NULL) fd->token_env = env("ANTHROPIC_IDENTITY_TOKEN");
	if (fd->rule == NULL || fd->org == NULL ||
	    (fd->token_file == NULL && fd->token_env == NULL)) {
		r = wif_err(WIF_E_CONFIG, "%s is incomplete: missing %s%s%s", path,
		    fd->rule ? "" : "authentication.federation_rule_id ",
		    fd->org ? "" : "organization_id ",
		    (fd->token_file || fd->token_env) ? "" :
		    "authentication.identity_token.path (or ANTHROPIC_IDENTITY_TOKEN_FILE)");
		goto out;
	}
	r = WIF_OK;
out:
	json_object_put(root);
	return r;
}

static void
read_active_config(const struct wif_resolution *res, char *name, size_t len)
{
	char path[4200], *buf = NULL;
	size_t n = 0, i;

	snprintf(name, len, "default");
	snprintf(path, sizeof(path), "%s/active_config", res->config_dir);
	if (wif_read_file(path, 256, 0, &buf, &n) != WIF_OK)
		return;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
	    buf[n - 1] == '\r' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	for (i = 0; i < n && (buf[i] == ' ' || buf[i] == '\t'); i++)
		;
	if (buf[i] != '\0')
		snprintf(name, len, "%s", buf + i);
	wif_secmem_free(buf);
}

static void
note_shadows(struct wif_resolution *res)
{
	struct wif_cred_candidate *c;
	const char *k = env("ANTHROPIC_API_KEY"), *t = env("ANTHROPIC_AUTH_TOKEN");
	char m[64];

	c = add(res, WIF_CRED_API_KEY, "ANTHROPIC_API_KEY");
	if (k != NULL) {
		c->present = c->shadows = 1;
		mask(k, m, sizeof(m));
		snprintf(c->detail, sizeof(c->detail), "set (%s): SDK processes "
		    "use this static key and ignore federation; unset it", m);
	} else
		snprintf(c->detail, sizeof(c->detail), "not set");
	c = add(res, WIF_CRED_AUTH_TOKEN, "ANTHROPIC_AUTH_TOKEN");
	if (t != NULL) {
		c->present = c->shadows = 1;
		mask(t, m, sizeof(m));
		snprintf(c->detail, sizeof(c->detail), "set (%s): SDK processes "
		    "use this static token%s and never refresh it", m,
		    k ? " (after ANTHROPIC_API_KEY)" : "");
	} else
		snprintf(c->detail, sizeof(c->detail), "not set");
	if (k != NULL || t != NULL)
		snprintf(res->shadow_warning, sizeof(res->shadow_warning),
		    "%s%s%s is set in this environment: an Anthropic SDK started "
		    "here uses it and ignores workload identity federation "
		    "entirely. Unset it (wif exec removes ANTHROPIC_API_KEY for "
		    "its child).", k ? "ANTHROPIC_API_KEY" : "",
		    (k && t) ? " and " : "", t ? "ANTHROPIC_AUTH_TOKEN" : "");
}

int
wif_resolve(const char *explicit_config, const char *explicit_profile,
            struct wif_resolution *res)
{
	struct wif_cred_candidate *c;
	struct fed fd;
	const char *path, *pname;
	char ppath[4300], active[130];
	struct stat st;
	int r, have_conf, final = WIF_OK;

	memset(res, 0, sizeof(*res));
	memset(&fd, 0, sizeof(fd));
	res->winner = -1;
	sdk_config_dir(res->config_dir, sizeof(res->config_dir));
	note_shadows(res);

	/* 1. wif's own configuration. */
	path = wif_config_path(explicit_config);
	have_conf = explicit_config != NULL || getenv(WIF_CONFIG_ENV) != NULL ||
	    stat(path, &st) == 0;
	c = add(res, WIF_CRED_WIF_CONFIG, "wif.conf %s", path);
	if (have_conf) {
		c->present = 1;
		res->winner = (int)res->n_cand - 1;
		if ((res->config_path = strdup(path)) == NULL)
			return wif_err(WIF_E_NOMEM, "out of memory");
		snprintf(res->profile, sizeof(res->profile), "%s",
		    explicit_profile ? explicit_profile : "");
		snprintf(res->why, sizeof(res->why), "%s",
		    explicit_profile ? "--profile" : "wif.conf");
		snprintf(c->detail, sizeof(c->detail), "used");
	} else
		snprintf(c->detail, sizeof(c->detail), "absent: falling back to "
		    "the Anthropic SDK's environment and profile files");

	/* 2. ANTHROPIC_PROFILE (or --profile without a wif.conf). */
	pname = explicit_profile ? explicit_profile : env("ANTHROPIC_PROFILE");
	c = add(res, WIF_CRED_SDK_PROFILE, "%s", explicit_profile ?
	    "--profile (SDK profile file)" : "ANTHROPIC_PROFILE");
	if (pname != NULL && res->winner < 0) {
		r = read_sdk_profile(res, pname, &fd, ppath, sizeof(ppath));
		if (r != WIF_OK) {
			snprintf(c->detail, sizeof(c->detail), "%s", wif_err_detail());
			c->partial = 1;
			if (r == WIF_E_NOT_FOUND)
				wif_err(r, "%s names profile \"%s\" but %s does not "
				    "exist (the SDKs treat this as an error too)",
				    explicit_profile ? "--profile" : "ANTHROPIC_PROFILE",
				    pname, ppath);
			fed_free(&fd);
			return r;
		}
		c->present = 1;
		res->winner = (int)res->n_cand - 1;
		snprintf(res->profile, sizeof(res->profile), "%s", pname);
		snprintf(res->why, sizeof(res->why), "%s", explicit_profile ?
		    "--profile" : "ANTHROPIC_PROFILE");
		snprintf(c->detail, sizeof(c->detail), "%s", ppath);
		final = synthesize(res, &fd, ppath);
		fed_free(&fd);
		memset(&fd, 0, sizeof(fd));
	} else if (pname != NULL)
		snprintf(c->detail, sizeof(c->detail), "%s (not used: %s wins)",
		    pname, "wif.conf");
	else
		snprintf(c->detail, sizeof(c->detail), "not set");

	/* 3. Environment federation. */
	c = add(res, WIF_CRED_ENV_FEDERATION, "federation environment (ANTHROPIC_FEDERATION_RULE_ID, ...)");
	fd.rule = env("ANTHROPIC_FEDERATION_RULE_ID");
	fd.org = env("ANTHROPIC_ORGANIZATION_ID");
	fd.svac = env("ANTHROPIC_SERVICE_ACCOUNT_ID");
	fd.wrk = env("ANTHROPIC_WORKSPACE_ID");
	fd.base = env("ANTHROPIC_BASE_URL");
	fd.token_file = env("ANTHROPIC_IDENTITY_TOKEN_FILE");
	fd.token_env = fd.token_file ? NULL : env("ANTHROPIC_IDENTITY_TOKEN");
	if (fd.rule && fd.org && (fd.token_file || fd.token_env)) {
		c->present = 1;
		if (res->winner < 0) {
			res->winner = (int)res->n_cand - 1;
			snprintf(res->profile, sizeof(res->profile), "default");
			snprintf(res->why, sizeof(res->why), "environment federation");
			snprintf(c->detail, sizeof(c->detail), "complete; identity "
			    "token from %s", fd.token_file ?
			    "ANTHROPIC_IDENTITY_TOKEN_FILE" : "ANTHROPIC_IDENTITY_TOKEN");
			final = synthesize(res, &fd, "the ANTHROPIC_* environment");
		} else
			snprintf(c->detail, sizeof(c->detail), "complete, but not "
			    "used: %s wins", res->cand[res->winner].label);
	} else if (fd.rule || fd.org || fd.token_file || fd.token_env || fd.svac) {
		c->partial = 1;
		snprintf(c->detail, sizeof(c->detail), "partially configured and "
		    "not used until complete; missing:%s%s%s",
		    fd.rule ? "" : " ANTHROPIC_FEDERATION_RULE_ID",
		    fd.org ? "" : " ANTHROPIC_ORGANIZATION_ID",
		    (fd.token_file || fd.token_env) ? "" :
		    " ANTHROPIC_IDENTITY_TOKEN_FILE (or ANTHROPIC_IDENTITY_TOKEN)");
	} else
		snprintf(c->detail, sizeof(c->detail), "not set");

	/* 4. The active SDK profile. */
	read_active_config(res, active, sizeof(active));
	c = add(res, WIF_CRED_ACTIVE_PROFILE, "active SDK profile \"%s\"", active);
	if (res->winner >= 0) {
		snprintf(c->detail, sizeof(c->detail), "not used: %s wins",
		    res->cand[res->winner].label);
		return final;
	}
	memset(&fd, 0, sizeof(fd));
	r = read_sdk_profile(res, active, &fd, ppath, sizeof(ppath));
	if (r == WIF_OK) {
		c->present = 1;
		res->winner = (int)res->n_cand - 1;
		snprintf(res->profile, sizeof(res->profile), "%s", active);
		snprintf(res->why, sizeof(res->why), "active_config");
		snprintf(c->detail, sizeof(c->detail), "%s", ppath);
		r = synthesize(res, &fd, ppath);
		fed_free(&fd);
		return r;
	}
	fed_free(&fd);
	snprintf(c->detail, sizeof(c->detail), "%s", r == WIF_E_NOT_FOUND ?
	    "no profile file" : wif_err_detail());
	if (r != WIF_E_NOT_FOUND) {
		c->partial = 1;
		return r;
	}
	return wif_err(WIF_E_NO_CREDENTIALS, "nothing is configured: no %s, no "
	    "ANTHROPIC_PROFILE, no complete federation environment "
	    "(ANTHROPIC_FEDERATION_RULE_ID, ANTHROPIC_ORGANIZATION_ID and "
	    "ANTHROPIC_IDENTITY_TOKEN_FILE), no SDK profile under %s; see "
	    "`wif status` and wif.conf(5)", path, res->config_dir);
}

void
wif_resolution_free(struct wif_resolution *res)
{
	if (res == NULL)
		return;
	free(res->config_path);
	free(res->config_text);
	res->config_path = res->config_text = NULL;
}

int
wif_resolution_open_core(const struct wif_resolution *res, struct wif_core **out)
{
	char path[64];
	size_t len;
	int fd, r;

	*out = NULL;
	if (res->config_path != NULL)
		return wif_core_open(res->config_path, out);
	if (res->config_text == NULL)
		return wif_err(WIF_E_NO_CREDENTIALS, "nothing is configured");
	/* The synthesized text goes through the one validator by path: an
	 * anonymous, private in-memory file, never the disk. */
	if ((fd = memfd_create("wif-zeroconf", MFD_CLOEXEC)) < 0)
		return wif_err(WIF_E_IO, "memfd_create: %s", strerror(errno));
	len = strlen(res->config_text);
	if (fchmod(fd, 0600) != 0 ||
	    write(fd, res->config_text, len) != (ssize_t)len) {
		close(fd);
		return wif_err(WIF_E_IO, "cannot stage the derived configuration");
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = wif_core_open(path, out);
	if (r != WIF_OK)
		wif_err_prefix(r, "the configuration derived from %s",
		    res->why[0] ? res->why : "the environment");
	close(fd);
	return r;
}
