/* filecache.c - the per-user token cache on disk; see filecache.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "err.h"
#include "filecache.h"
#include "fileio.h"
#include "json.h"
#include "secmem.h"

#define KEY_MAX 128
#define FILE_MAX (64 * 1024)
#define TOKEN_MAX (16 * 1024)
#define SCOPE_MAX 4096
#define PATH_MAX_LEN 4096
#define FORMAT_VERSION 1

static int
check_key(const char *key)
{
	size_t i;

	if (key == NULL || key[0] == '\0' || key[0] == '.')
		return wif_err(WIF_E_INVALID_ARG, "token file cache: invalid key "
		    "(empty or starting with '.')");
	for (i = 0; key[i] != '\0'; i++) {
		char ch = key[i];

		if (i >= KEY_MAX)
			return wif_err(WIF_E_INVALID_ARG, "token file cache: key "
			    "longer than %d characters", KEY_MAX);
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-'))
			return wif_err(WIF_E_INVALID_ARG, "token file cache: invalid "
			    "key \"%.*s\" (allowed: A-Z a-z 0-9 _ . -)",
			    (int)KEY_MAX, key);
	}
	return WIF_OK;
}

static int
key_path(const char *dir, const char *key, const char *suffix, char *buf,
         size_t len)
{
	int n, r;

	if ((r = check_key(key)) != WIF_OK)
		return r;
	if (dir == NULL || dir[0] == '\0')
		return wif_err(WIF_E_INVALID_ARG, "token file cache: no directory");
	n = snprintf(buf, len, "%s/%s%s", dir, key, suffix);
	if (n < 0 || (size_t)n >= len)
		return wif_err(WIF_E_TOO_BIG, "token file cache: path too long in "
		    "%s", dir);
	return WIF_OK;
}

/* The directory must be ours and closed to everyone else. */
static int
check_dir(const char *dir)
{
	struct stat st;
	int fd, r = WIF_OK;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return wif_err(WIF_E_NOT_FOUND, "token cache directory %s "
			    "does not exist", dir);
		if (errno == ELOOP || errno == ENOTDIR)
			return wif_err(WIF_E_PERM, "token cache directory %s is a "
			    "symbolic link or not a directory; remove it", dir);
		return wif_err(WIF_E_IO, "token cache directory %s: %s", dir,
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1)
		r = wif_err(WIF_E_IO, "token cache directory %s: %s", dir,
		    strerror(errno));
	else if (st.st_uid != geteuid())
		r = wif_err(WIF_E_PERM, "token cache directory %s is owned by uid "
		    "%lu, not by you (uid %lu); remove it or fix its owner", dir,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
	else if ((st.st_mode & 077) != 0)
		r = wif_err(WIF_E_PERM, "token cache directory %s has mode %04o, "
		    "open to other users; run: chmod 700 %s", dir,
		    (unsigned)(st.st_mode & 07777), dir);
	close(fd);
	return r;
}

/* mkdir -p with mode 0700 for every component we create. */
static int
mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) == -1 && errno != EEXIST) {
			int e = errno;
			*p = '/';
			return wif_err(e == EACCES ? WIF_E_PERM : WIF_E_IO,
			    "cannot create %s: %s", path, strerror(e));
		}
		*p = '/';
	}
	if (mkdir(path, 0700) == -1 && errno != EEXIST)
		return wif_err(errno == EACCES ? WIF_E_PERM : WIF_E_IO,
		    "cannot create %s: %s", path, strerror(errno));
	return WIF_OK;
}

/* $XDG_RUNTIME_DIR counts only when it is absolute, a directory and ours. */
static const char *
runtime_dir(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (x == NULL || x[0] != '/' || stat(x, &st) == -1 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return NULL;
	return x;
}

int
wif_filecache_dir(char *buf, size_t len)
{
	const char *base, *home;
	struct passwd *pw;
	int n, r;

	if (buf == NULL || len == 0)
		return wif_err(WIF_E_INVALID_ARG, "token file cache: no buffer");
	buf[0] = '\0';
	if ((base = runtime_dir()) != NULL) {
		n = snprintf(buf, len, "%s/wif", base);
	} else {
		home = getenv("HOME");
		if (home == NULL || home[0] != '/') {
			if ((pw = getpwuid(geteuid())) == NULL ||
			    pw->pw_dir == NULL || pw->pw_dir[0] != '/')
				return wif_err(WIF_E_NOT_FOUND, "token file cache: no "
				    "home directory for uid %lu; set HOME or "
				    "XDG_RUNTIME_DIR", (unsigned long)geteuid());
			home = pw->pw_dir;
		}
		n = snprintf(buf, len, "%s/.cache/wif", home);
	}
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return wif_err(WIF_E_TOO_BIG, "token file cache: directory path "
		    "too long");
	}
	if ((r = mkdirs(buf)) != WIF_OK || (r = check_dir(buf)) != WIF_OK)
		return r;
	return WIF_OK;
}

/* O_NOFOLLOW open plus the owner/mode/size checks; the bytes go to secure
 * memory. */
static int
read_safely(const char *path, char **out, size_t *out_len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd, r = WIF_OK;

	*out = NULL;
	*out_len = 0;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			return wif_err(WIF_E_NOT_FOUND, "no cached token in %s", path);
		if (errno == ELOOP)
			return wif_err(WIF_E_PERM, "token cache file %s is a "
			    "symbolic link; refusing it (remove it)", path);
		return wif_err(WIF_E_IO, "cannot open %s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) == -1) {
		r = wif_err(WIF_E_IO, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = wif_err(WIF_E_PERM, "token cache file %s is not a regular "
		    "file; remove it", path);
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = wif_err(WIF_E_PERM, "token cache file %s is owned by uid %lu, "
		    "not by you (uid %lu); remove it", path,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = wif_err(WIF_E_PERM, "token cache file %s has mode %04o, open "
		    "to other users; remove it (the token may have leaked)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > FILE_MAX) {
		r = wif_err(WIF_E_TOO_BIG, "token cache file %s is larger than %d "
		    "bytes", path, FILE_MAX);
		goto out;
	}
	/* One spare byte tells a file that grew past the cap since fstat. */
	if ((buf = wif_secmem_alloc((size_t)st.st_size + 2)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of secure memory");
		goto out;
	}
	while (got < (size_t)st.st_size + 1) {
		n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			r = wif_err(WIF_E_IO, "cannot read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != (size_t)st.st_size) {
		r = wif_err(WIF_E_IO, "token cache file %s changed while it was "
		    "read", path);
		goto out;
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	buf = NULL;
out:
	wif_secmem_free(buf);
	close(fd);
	return r;
}

/* json-c keeps its own copy of every string in ordinary heap: wipe the
 * token's before the document is freed. */
static void
wipe_json_string(const char *s)
{
	if (s != NULL)
		wif_wipe((void *)(uintptr_t)s, strlen(s));
}

static int
corrupt(const char *path, const char *what)
{
	return wif_err(WIF_E_PARSE, "token cache file %s is corrupt (%s); it "
	    "will be replaced on the next refresh", path, what);
}

static int
token_from_json(const struct wif_json *doc, const char *path,
                struct wif_token **out)
{
	struct wif_token *t = NULL;
	const char *tok = NULL, *s;
	int64_t v;
	size_t n;
	int r;

	*out = NULL;
	if (wif_json_get_int(doc, "/version", &v) != WIF_OK || v != FORMAT_VERSION) {
		r = corrupt(path, "no \"version\":1");
		goto out;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if (wif_json_get_string(doc, "/access_token", &tok) != WIF_OK ||
	    (n = strlen(tok)) == 0 || n > TOKEN_MAX) {
		r = corrupt(path, "access_token missing, empty or too long");
		goto out;
	}
	if ((t->access_token = wif_secmem_strndup(tok, n)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of secure memory");
		goto out;
	}
	t->access_token_len = n;
	if (wif_json_get_int(doc, "/expires_at", &t->expires_at) != WIF_OK) {
		r = corrupt(path, "expires_at missing or not an integer");
		goto out;
	}
	r = wif_json_get_int(doc, "/obtained_at", &t->obtained_at);
	if (r != WIF_OK && r != WIF_E_NOT_FOUND) {
		r = corrupt(path, "obtained_at not an integer");
		goto out;
	}
	r = wif_json_get_string(doc, "/request_id", &s);
	if (r == WIF_OK) {
		if (strlen(s) >= sizeof(t->request_id)) {
			r = corrupt(path, "request_id too long");
			goto out;
		}
		snprintf(t->request_id, sizeof(t->request_id), "%s", s);
	} else if (r != WIF_E_NOT_FOUND) {
		r = corrupt(path, "request_id not a string");
		goto out;
	}
	r = wif_json_get_string(doc, "/scope", &s);
	if (r == WIF_OK) {
		if (strlen(s) > SCOPE_MAX) {
			r = corrupt(path, "scope too long");
			goto out;
		}
		if ((t->scope = strdup(s)) == NULL) {
			r = wif_err(WIF_E_NOMEM, "out of memory");
			goto out;
		}
	} else if (r != WIF_E_NOT_FOUND) {
		r = corrupt(path, "scope not a string");
		goto out;
	}
	*out = t;
	t = NULL;
	r = WIF_OK;
out:
	wipe_json_string(tok);
	wif_token_free(t);
	return r;
}

int
wif_filecache_read(const char *dir, const char *key, struct wif_token **out)
{
	char path[PATH_MAX_LEN], *text = NULL;
	struct wif_json *doc = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = key_path(dir, key, ".json", path, sizeof(path))) != WIF_OK ||
	    (r = check_dir(dir)) != WIF_OK ||
	    (r = read_safely(path, &text, &len)) != WIF_OK)
		goto out;
	if ((r = wif_json_parse(text, len, &doc)) != WIF_OK) {
		r = corrupt(path, r == WIF_E_TOO_BIG ? "too large or too deep" :
		    "not JSON");
		goto out;
	}
	r = token_from_json(doc, path, out);
out:
	wif_json_free(doc);
	wif_secmem_free(text);
	return r;
}

/* Length of s as a JSON string body; SIZE_MAX when over max. */
static size_t
escaped_len(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		n += ch == '"' || ch == '\\' ? 2 : ch < 0x20 ? 6 : 1;
		if (n > max)
			return SIZE_MAX;
	}
	return n;
}

/* Append s, escaped and quoted, at buf + *off (room checked by the caller). */
static void
put_escaped(char *buf, size_t *off, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	buf[(*off)++] = '"';
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			buf[(*off)++] = '\\';
			buf[(*off)++] = (char)ch;
		} else if (ch < 0x20) {
			memcpy(buf + *off, "\\u00", 4);
			*off += 4;
			buf[(*off)++] = hex[ch >> 4];
			buf[(*off)++] = hex[ch & 0xf];
		} else {
			buf[(*off)++] = (char)ch;
		}
	}
	buf[(*off)++] = '"';
}

static void
put_raw(char *buf, size_t *off, const char *s)
{
	size_t n = strlen(s);

	memcpy(buf + *off, s, n);
	*off += n;
}

/*
 * The JSON is built by hand into secure memory: going through json-c would
 * leave copies of the token in ordinary heap.
 */
static int
token_to_json(const struct wif_token *t, char **out, size_t *out_len)
{
	char num[96], *buf;
	size_t tl, rl, sl = 0, total, off = 0;

	*out = NULL;
	*out_len = 0;
	if (t->access_token == NULL || t->access_token[0] == '\0' ||
	    strnlen(t->access_token, TOKEN_MAX + 1) > TOKEN_MAX)
		return wif_err(WIF_E_INVALID_ARG, "token file cache: the token is "
		    "empty or longer than %d bytes", TOKEN_MAX);
	if (memchr(t->request_id, '\0', sizeof(t->request_id)) == NULL)
		return wif_err(WIF_E_INVALID_ARG, "token file cache: request_id "
		    "not terminated");
	if ((tl = escaped_len(t->access_token, FILE_MAX)) == SIZE_MAX ||
	    (rl = escaped_len(t->request_id, FILE_MAX)) == SIZE_MAX ||
	    (t->scope != NULL && (strnlen(t->scope, SCOPE_MAX + 1) > SCOPE_MAX ||
	    (sl = escaped_len(t->scope, FILE_MAX)) == SIZE_MAX)))
		return wif_err(WIF_E_TOO_BIG, "token file cache: token fields too "
		    "large to cache");
	snprintf(num, sizeof(num), ",\"expires_at\":%lld,\"obtained_at\":%lld",
	    (long long)t->expires_at, (long long)t->obtained_at);
	total = strlen("{\"version\":1,\"access_token\":") + tl + 2 +
	    strlen(num) + strlen(",\"request_id\":") + rl + 2 +
	    (t->scope != NULL ? strlen(",\"scope\":") + sl + 2 : 0) + 1;
	if (total > FILE_MAX)
		return wif_err(WIF_E_TOO_BIG, "token file cache: token fields too "
		    "large to cache");
	if ((buf = wif_secmem_alloc(total + 1)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of secure memory");
	put_raw(buf, &off, "{\"version\":1,\"access_token\":");
	put_escaped(buf, &off, t->access_token);
	put_raw(buf, &off, num);
	put_raw(buf, &off, ",\"request_id\":");
	put_escaped(buf, &off, t->request_id);
	if (t->scope != NULL) {
		put_raw(buf, &off, ",\"scope\":");
		put_escaped(buf, &off, t->scope);
	}
	put_raw(buf, &off, "}");
	buf[off] = '\0';
	*out = buf;
	*out_len = off;
	return WIF_OK;
}

int
wif_filecache_write(const char *dir, const char *key, const struct wif_token *t)
{
	char path[PATH_MAX_LEN], *text = NULL;
	size_t len = 0;
	int r;

	if (t == NULL)
		return wif_err(WIF_E_INVALID_ARG, "token file cache: no token");
	if ((r = key_path(dir, key, ".json", path, sizeof(path))) != WIF_OK ||
	    (r = check_dir(dir)) != WIF_OK ||
	    (r = token_to_json(t, &text, &len)) != WIF_OK)
		goto out;
	r = wif_write_file_atomic(path, text, len, 0600, (uid_t)-1, (gid_t)-1);
out:
	wif_secmem_free(text);
	return r;
}

int
wif_filecache_remove(const char *dir, const char *key)
{
	char path[PATH_MAX_LEN];
	int r;

	if ((r = key_path(dir, key, ".json", path, sizeof(path))) != WIF_OK)
		return r;
	if (unlink(path) == -1) {
		if (errno == ENOENT)
			return wif_err(WIF_E_NOT_FOUND, "no cached token in %s", path);
		return wif_err(errno == EACCES || errno == EPERM ? WIF_E_PERM :
		    WIF_E_IO, "cannot remove %s: %s", path, strerror(errno));
	}
	return WIF_OK;
}

/*
 * The lock file is never removed: a process blocked in flock() on an
 * unlinked inode would not exclude one that created a new file.
 */
static int
lock_key(const char *dir, const char *key, int nonblock, int *fd)
{
	char path[PATH_MAX_LEN];
	struct stat st;
	int lfd, r;

	*fd = -1;
	if ((r = key_path(dir, key, ".lock", path, sizeof(path))) != WIF_OK ||
	    (r = check_dir(dir)) != WIF_OK)
		return r;
	if ((lfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		if (errno == ELOOP)
			return wif_err(WIF_E_PERM, "lock file %s is a symbolic link; "
			    "remove it", path);
		return wif_err(WIF_E_IO, "cannot open lock file %s: %s", path,
		    strerror(errno));
	}
	if (fstat(lfd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid()) {
		close(lfd);
		return wif_err(WIF_E_PERM, "lock file %s is not a regular file "
		    "owned by you; remove it", path);
	}
	while (flock(lfd, LOCK_EX | (nonblock ? LOCK_NB : 0)) == -1) {
		if (errno == EINTR)
			continue;
		if (nonblock && errno == EWOULDBLOCK) {
			close(lfd);
			return WIF_OK; /* *fd stays -1: someone else holds it */
		}
		r = wif_err(WIF_E_IO, "cannot lock %s: %s", path, strerror(errno));
		close(lfd);
		return r;
	}
	*fd = lfd;
	return WIF_OK;
}

int
wif_filecache_lock(const char *dir, const char *key, int *fd)
{
	return lock_key(dir, key, 0, fd);
}

int
wif_filecache_trylock(const char *dir, const char *key, int *fd)
{
	return lock_key(dir, key, 1, fd);
}

void
wif_filecache_unlock(int fd)
{
	if (fd < 0)
		return;
	/* close() alone releases the lock; the explicit unlock also covers a
	 * descriptor some other code still shares after a fork. */
	(void)flock(fd, LOCK_UN);
	close(fd);
}
