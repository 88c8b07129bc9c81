/* sink.c - token files kept fresh by wifd; see sink.h. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "secmem.h"
#include "sink.h"

#define SINK_MAX 32768

static int
resolve_owner(const struct wif_config_sink *s, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *pr = NULL;
	struct group gr, *gres = NULL;
	char buf[16384];

	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (s->owner != NULL) {
		if (getpwnam_r(s->owner, &pw, buf, sizeof(buf), &pr) != 0 ||
		    pr == NULL)
			return wif_err(WIF_E_CONFIG, "sink %s: owner %s is not a "
			    "user on this host (getent passwd %s)", s->path,
			    s->owner, s->owner);
		*uid = pr->pw_uid;
	}
	if (s->group != NULL) {
		if (getgrnam_r(s->group, &gr, buf, sizeof(buf), &gres) != 0 ||
		    gres == NULL)
			return wif_err(WIF_E_CONFIG, "sink %s: group %s is not a "
			    "group on this host (getent group %s)", s->path,
			    s->group, s->group);
		*gid = gres->gr_gid;
	}
	return WIF_OK;
}

/* JSON string body: a token is [A-Za-z0-9_-], a profile [A-Za-z0-9_.-];
 * anything else is escaped anyway. */
static size_t
json_str(char *out, size_t len, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\%c", c);
		else if (c < 0x20)
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

int
wif_sink_render(const char *f, const char *what, const char *profile,
                const struct wif_token *t, char *out, size_t len, size_t *n)
{
	char tok[8192], prof[512];
	int64_t now = (int64_t)time(NULL);
	int w;

	if (t->access_token_len >= sizeof(tok) / 2)
		return wif_err(WIF_E_TOO_BIG, "sink %s: token too large", what);
	json_str(tok, sizeof(tok), t->access_token);
	json_str(prof, sizeof(prof), profile);
	if (strcmp(f, "raw") == 0)
		w = snprintf(out, len, "%s\n", t->access_token);
	else if (strcmp(f, "env") == 0) /* a token has no quote to escape */
		w = snprintf(out, len, "ANTHROPIC_AUTH_TOKEN='%s'\n",
		    t->access_token);
	else if (strcmp(f, "json") == 0)
		w = snprintf(out, len, "{\"access_token\":\"%s\",\"token_type\":"
		    "\"Bearer\",\"expires_at\":%lld,\"expires_in\":%lld,"
		    "\"profile\":\"%s\"}\n", tok, (long long)t->expires_at,
		    (long long)(t->expires_at - now), prof);
	else if (strcmp(f, "anthropic-credentials") == 0)
		w = snprintf(out, len, "{\"version\":\"1.0\",\"type\":"
		    "\"oauth_token\",\"access_token\":\"%s\",\"expires_at\":%lld}\n",
		    tok, (long long)t->expires_at);
	else
		return wif_err(WIF_E_CONFIG, "sink %s: unknown format %s (raw, "
		    "json, env, anthropic-credentials)", what, f);
	wif_wipe(tok, sizeof(tok));
	if (w < 0 || (size_t)w >= len)
		return wif_err(WIF_E_TOO_BIG, "sink %s: token too large", what);
	if (strcmp(f, "env") == 0 && strchr(t->access_token, '\'') != NULL)
		return wif_err(WIF_E_PARSE, "sink %s: the token contains a quote",
		    what);
	*n = (size_t)w;
	return WIF_OK;
}

int
wif_sink_write(const struct wif_config_sink *s, const char *profile,
               const struct wif_token *t)
{
	struct stat st;
	uid_t uid;
	gid_t gid;
	char *buf;
	size_t n = 0;
	int r;

	if (t == NULL || t->access_token == NULL)
		return wif_err(WIF_E_INVALID_ARG, "sink: no token");
	if (t->expires_at > 0 && t->expires_at <= (int64_t)time(NULL))
		return wif_err(WIF_E_INVALID_ARG, "sink %s: the token has expired; "
		    "the file keeps the previous one", s->path);
	if (lstat(s->path, &st) == 0 && !S_ISREG(st.st_mode))
		return wif_err(WIF_E_PERM, "sink %s is %s, not a regular file: "
		    "refusing to replace it (remove it or choose another path)",
		    s->path, S_ISLNK(st.st_mode) ? "a symbolic link" :
		    S_ISDIR(st.st_mode) ? "a directory" : "special");
	if ((r = resolve_owner(s, &uid, &gid)) != WIF_OK)
		return r;
	if ((buf = wif_secmem_alloc(SINK_MAX)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if ((r = wif_sink_render(s->format != NULL ? s->format : "raw", s->path,
	    profile, t, buf, SINK_MAX, &n)) == WIF_OK &&
	    (r = wif_write_file_atomic(s->path, buf, n,
	    (mode_t)(s->mode > 0 ? s->mode : 0600), uid, gid)) != WIF_OK)
		r = wif_err_prefix(r, "sink");
	wif_secmem_free(buf);
	return r;
}

int
wif_sink_remove(const struct wif_config_sink *s)
{
	if (unlink(s->path) != 0 && errno != ENOENT)
		return wif_err(WIF_E_IO, "sink %s: cannot remove it: %s", s->path,
		    strerror(errno));
	return WIF_OK;
}
