/*
 * test_filecache.c - the per-user token file cache (filecache.h): format,
 * modes, the refusals (unsafe directory or file, symlinks, corrupt JSON,
 * bad keys), the directory choice, and cross-process locking.
 *
 * Everything happens under a private directory made in the current
 * directory (the build tree), never in the real home or runtime dir.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cutest.h"
#include "err.h"
#include "filecache.h"
#include "secmem.h"

#define NCHILDREN 8

static char base[PATH_MAX];

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path);
	return unlink(path);
}

static int
suite_init(void)
{
	char tmpl[] = "test_filecache.d.XXXXXX";

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, base) == NULL)
		return -1;
	return 0;
}

static int
suite_cleanup(void)
{
	return nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

/* base/name, created with mode (whatever the umask). */
static void
mkdir_in_base(const char *name, mode_t mode, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", base, name);

	CU_ASSERT_FATAL(n > 0 && (size_t)n < len);
	CU_ASSERT_EQUAL_FATAL(mkdir(out, mode), 0);
	CU_ASSERT_EQUAL_FATAL(chmod(out, mode), 0);
}

static void
write_raw(const char *dir, const char *file, const char *text, mode_t mode)
{
	char path[PATH_MAX + 300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	CU_ASSERT_EQUAL(chmod(path, mode), 0);
}

static struct wif_token *
make_token(const char *text, const char *scope)
{
	struct wif_token *t = calloc(1, sizeof(*t));

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t->access_token = wif_secmem_strdup(text));
	t->access_token_len = strlen(text);
	t->expires_at = 1700003600;
	t->obtained_at = 1700000000;
	snprintf(t->request_id, sizeof(t->request_id), "req_011CQ");
	if (scope != NULL)
		CU_ASSERT_PTR_NOT_NULL_FATAL(t->scope = strdup(scope));
	return t;
}

static void
check_same(const struct wif_token *a, const struct wif_token *b)
{
	CU_ASSERT_EQUAL(a->access_token_len, b->access_token_len);
	CU_ASSERT_STRING_EQUAL(a->access_token, b->access_token);
	CU_ASSERT_EQUAL(a->expires_at, b->expires_at);
	CU_ASSERT_EQUAL(a->obtained_at, b->obtained_at);
	CU_ASSERT_STRING_EQUAL(a->request_id, b->request_id);
	if (a->scope == NULL || b->scope == NULL) {
		CU_ASSERT_PTR_EQUAL(a->scope, b->scope);
	} else {
		CU_ASSERT_STRING_EQUAL(a->scope, b->scope);
	}
}

static void
test_round_trip(void)
{
	char dir[PATH_MAX];
	struct wif_token *t, *u = NULL;

	mkdir_in_base("rt", 0700, dir, sizeof(dir));
	t = make_token("sk-ant-oat01-AbC_dEf-123", "user:inference");
	CU_ASSERT_EQUAL(wif_filecache_write(dir, "default-0123456789ab", t), WIF_OK);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "default-0123456789ab", &u), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	check_same(t, u);
	wif_token_free(u);
	u = NULL;
	wif_token_free(t);

	/* No scope; characters JSON must escape; replacing an existing file. */
	t = make_token("sk-ant-oat01-x\"y\\z", NULL);
	snprintf(t->request_id, sizeof(t->request_id), "req \"q\"\n\t\\");
	CU_ASSERT_EQUAL(wif_filecache_write(dir, "default-0123456789ab", t), WIF_OK);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "default-0123456789ab", &u), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	check_same(t, u);
	wif_token_free(u);
	wif_token_free(t);
}

static void
test_modes(void)
{
	char dir[PATH_MAX], got[PATH_MAX], want[PATH_MAX + 8], path[PATH_MAX + 64];
	struct wif_token *t;
	struct stat st;
	mode_t old;

	/* The modes must not depend on a friendly umask. */
	old = umask(0);
	mkdir_in_base("xdg-modes", 0700, dir, sizeof(dir));
	CU_ASSERT_EQUAL(setenv("XDG_RUNTIME_DIR", dir, 1), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_OK);
	snprintf(want, sizeof(want), "%s/wif", dir);
	CU_ASSERT_STRING_EQUAL(got, want);
	CU_ASSERT_EQUAL_FATAL(stat(got, &st), 0);
	CU_ASSERT(S_ISDIR(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	t = make_token("sk-ant-oat01-mode", NULL);
	CU_ASSERT_EQUAL(wif_filecache_write(got, "k", t), WIF_OK);
	snprintf(path, sizeof(path), "%s/k.json", got);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	wif_token_free(t);
	umask(old);
	unsetenv("XDG_RUNTIME_DIR");
}

static void
test_unsafe_dir(void)
{
	char x[PATH_MAX], wifdir[PATH_MAX + 8], got[PATH_MAX];
	struct wif_token *t, *u = NULL;
	int fd = -1;

	mkdir_in_base("xdg-unsafe", 0700, x, sizeof(x));
	snprintf(wifdir, sizeof(wifdir), "%s/wif", x);
	CU_ASSERT_EQUAL_FATAL(mkdir(wifdir, 0700), 0);
	t = make_token("sk-ant-oat01-unsafe", NULL);
	CU_ASSERT_EQUAL(wif_filecache_write(wifdir, "k", t), WIF_OK);
	CU_ASSERT_EQUAL_FATAL(chmod(wifdir, 0755), 0);
	CU_ASSERT_EQUAL(setenv("XDG_RUNTIME_DIR", x, 1), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_E_PERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "chmod 700"));
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), wifdir));
	/* The file functions refuse the directory too. */
	CU_ASSERT_EQUAL(wif_filecache_read(wifdir, "k", &u), WIF_E_PERM);
	CU_ASSERT_PTR_NULL(u);
	CU_ASSERT_EQUAL(wif_filecache_write(wifdir, "k", t), WIF_E_PERM);
	CU_ASSERT_EQUAL(wif_filecache_lock(wifdir, "k", &fd), WIF_E_PERM);
	CU_ASSERT_EQUAL(fd, -1);
	CU_ASSERT_EQUAL_FATAL(chmod(wifdir, 0710), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_E_PERM);
	CU_ASSERT_EQUAL_FATAL(chmod(wifdir, 0700), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_OK);
	CU_ASSERT_EQUAL(wif_filecache_read(got, "k", &u), WIF_OK);
	wif_token_free(u);
	/* A symlink in place of the directory is refused. */
	{
		char real[PATH_MAX + 16];
		snprintf(real, sizeof(real), "%s/real", x);
		CU_ASSERT_EQUAL_FATAL(rename(wifdir, real), 0);
		CU_ASSERT_EQUAL_FATAL(symlink(real, wifdir), 0);
		CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_E_PERM);
	}
	/* Not owned by us (only root can arrange that). */
	if (geteuid() == 0) {
		char other[PATH_MAX];
		mkdir_in_base("not-mine", 0700, other, sizeof(other));
		CU_ASSERT_EQUAL_FATAL(chown(other, 65534, 65534), 0);
		CU_ASSERT_EQUAL(wif_filecache_read(other, "k", &u), WIF_E_PERM);
		CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "owned by uid 65534"));
	}
	wif_token_free(t);
	unsetenv("XDG_RUNTIME_DIR");
}

static void
test_unsafe_file(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct wif_token *t, *u = NULL;

	mkdir_in_base("uf", 0700, dir, sizeof(dir));
	t = make_token("sk-ant-oat01-leaky", NULL);
	CU_ASSERT_EQUAL(wif_filecache_write(dir, "k", t), WIF_OK);
	snprintf(path, sizeof(path), "%s/k.json", dir);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0644), 0);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "k", &u), WIF_E_PERM);
	CU_ASSERT_PTR_NULL(u);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), path));
	/* The detail never carries the token. */
	CU_ASSERT_PTR_NULL(strstr(wif_err_detail(), "leaky"));
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0620), 0);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "k", &u), WIF_E_PERM);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0600), 0);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "k", &u), WIF_OK);
	wif_token_free(u);
	u = NULL;
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL_FATAL(chown(path, 65534, 65534), 0);
		CU_ASSERT_EQUAL(wif_filecache_read(dir, "k", &u), WIF_E_PERM);
		CU_ASSERT_PTR_NULL(u);
	}
	/* A FIFO (or anything not regular) is refused without blocking. */
	snprintf(path, sizeof(path), "%s/fifo.json", dir);
	CU_ASSERT_EQUAL_FATAL(mkfifo(path, 0600), 0);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "fifo", &u), WIF_E_PERM);
	wif_token_free(t);
}

static void
test_symlink(void)
{
	char dir[PATH_MAX], link[PATH_MAX + 64], lock[PATH_MAX + 64];
	struct wif_token *t, *u = NULL;
	int fd = -1;

	mkdir_in_base("sl", 0700, dir, sizeof(dir));
	t = make_token("sk-ant-oat01-target", NULL);
	CU_ASSERT_EQUAL(wif_filecache_write(dir, "real", t), WIF_OK);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("real.json", link), 0);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "link", &u), WIF_E_PERM);
	CU_ASSERT_PTR_NULL(u);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "symbolic link"));
	/* The lock file is not followed either. */
	snprintf(lock, sizeof(lock), "%s/link.lock", dir);
	CU_ASSERT_EQUAL_FATAL(symlink("elsewhere", lock), 0);
	CU_ASSERT_EQUAL(wif_filecache_lock(dir, "link", &fd), WIF_E_PERM);
	CU_ASSERT_EQUAL(fd, -1);
	snprintf(lock, sizeof(lock), "%s/elsewhere", dir);
	CU_ASSERT_EQUAL(access(lock, F_OK), -1);
	wif_token_free(t);
}

static void
expect_parse_error(const char *dir, const char *text)
{
	struct wif_token *u = NULL;

	write_raw(dir, "bad.json", text, 0600);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "bad", &u), WIF_E_PARSE);
	CU_ASSERT_PTR_NULL(u);
	wif_token_free(u);
}

static void
test_corrupt(void)
{
	char dir[PATH_MAX], *big;
	struct wif_token *u = NULL;
	size_t n = 64 * 1024 + 1;

	mkdir_in_base("corrupt", 0700, dir, sizeof(dir));
	expect_parse_error(dir, "{not json");
	expect_parse_error(dir, "");
	expect_parse_error(dir, "[1,2]");
	expect_parse_error(dir, "{\"version\":1,\"access_token\":\"a\","
	    "\"expires_at\":1} trailing");
	expect_parse_error(dir, "{\"version\":2,\"access_token\":\"a\","
	    "\"expires_at\":1}");
	expect_parse_error(dir, "{\"version\":1,\"expires_at\":1}");
	expect_parse_error(dir, "{\"version\":1,\"access_token\":\"\","
	    "\"expires_at\":1}");
	expect_parse_error(dir, "{\"version\":1,\"access_token\":7,"
	    "\"expires_at\":1}");
	expect_parse_error(dir, "{\"version\":1,\"access_token\":\"a\"}");
	expect_parse_error(dir, "{\"version\":1,\"access_token\":\"a\","
	    "\"expires_at\":\"1\"}");
	expect_parse_error(dir, "{\"version\":1,\"access_token\":\"a\","
	    "\"expires_at\":1,\"scope\":3}");
	expect_parse_error(dir, "{\"version\":1,\"access_token\":\"a\","
	    "\"expires_at\":1,\"request_id\":\"0123456789012345678901234567890"
	    "1234567890123456789012345678901234567890123456789012345678901234"
	    "5678901234567890123456789012345678901234567890\"}");
	/* The minimal valid document. */
	write_raw(dir, "min.json", "{\"version\":1,\"access_token\":\"a\","
	    "\"expires_at\":1}\n", 0600);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "min", &u), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	CU_ASSERT_STRING_EQUAL(u->access_token, "a");
	CU_ASSERT_EQUAL(u->obtained_at, 0);
	CU_ASSERT_PTR_NULL(u->scope);
	CU_ASSERT_STRING_EQUAL(u->request_id, "");
	wif_token_free(u);
	u = NULL;
	/* Over 64 KiB. */
	CU_ASSERT_PTR_NOT_NULL_FATAL(big = malloc(n + 1));
	memset(big, ' ', n);
	big[n] = '\0';
	write_raw(dir, "big.json", big, 0600);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "big", &u), WIF_E_TOO_BIG);
	CU_ASSERT_PTR_NULL(u);
	free(big);
}

static void
test_absent_and_remove(void)
{
	char dir[PATH_MAX], missing[PATH_MAX + 16];
	struct wif_token *t, *u = NULL;

	mkdir_in_base("absent", 0700, dir, sizeof(dir));
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "nothing", &u), WIF_E_NOT_FOUND);
	CU_ASSERT_PTR_NULL(u);
	t = make_token("sk-ant-oat01-gone", NULL);
	CU_ASSERT_EQUAL(wif_filecache_write(dir, "k", t), WIF_OK);
	CU_ASSERT_EQUAL(wif_filecache_remove(dir, "k"), WIF_OK);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "k", &u), WIF_E_NOT_FOUND);
	CU_ASSERT_EQUAL(wif_filecache_remove(dir, "k"), WIF_E_NOT_FOUND);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	CU_ASSERT_EQUAL(wif_filecache_read(missing, "k", &u), WIF_E_NOT_FOUND);
	wif_token_free(t);
}

static void
test_bad_keys(void)
{
	static const char *bad[] = {
		"", ".hidden", "..", "a/b", "../x", "a b", "a\nb", "ä", "k*",
		NULL,
	};
	char dir[PATH_MAX], longkey[200];
	struct wif_token *t, *u = NULL;
	int i, fd = -1;

	mkdir_in_base("keys", 0700, dir, sizeof(dir));
	t = make_token("sk-ant-oat01-keys", NULL);
	for (i = 0; bad[i] != NULL; i++) {
		CU_ASSERT_EQUAL(wif_filecache_write(dir, bad[i], t), WIF_E_INVALID_ARG);
		CU_ASSERT_EQUAL(wif_filecache_read(dir, bad[i], &u), WIF_E_INVALID_ARG);
		CU_ASSERT_EQUAL(wif_filecache_remove(dir, bad[i]), WIF_E_INVALID_ARG);
		CU_ASSERT_EQUAL(wif_filecache_lock(dir, bad[i], &fd), WIF_E_INVALID_ARG);
		CU_ASSERT_EQUAL(fd, -1);
	}
	CU_ASSERT_EQUAL(wif_filecache_write(dir, NULL, t), WIF_E_INVALID_ARG);
	memset(longkey, 'k', 129);
	longkey[129] = '\0';
	CU_ASSERT_EQUAL(wif_filecache_write(dir, longkey, t), WIF_E_INVALID_ARG);
	longkey[128] = '\0';
	CU_ASSERT_EQUAL(wif_filecache_write(dir, longkey, t), WIF_OK);
	CU_ASSERT_EQUAL(wif_filecache_write(dir, "A-z_0.9", t), WIF_OK);
	CU_ASSERT_EQUAL(wif_filecache_read(dir, "A-z_0.9", &u), WIF_OK);
	wif_token_free(u);
	wif_token_free(t);
}

static void
test_dir_choice(void)
{
	char x[PATH_MAX], home[PATH_MAX], got[PATH_MAX], want[PATH_MAX + 32];
	char nodir[PATH_MAX + 32];
	struct stat st;

	mkdir_in_base("xdg-choice", 0700, x, sizeof(x));
	mkdir_in_base("home", 0755, home, sizeof(home));
	CU_ASSERT_EQUAL(setenv("HOME", home, 1), 0);
	snprintf(want, sizeof(want), "%s/.cache/wif", home);

	/* XDG_RUNTIME_DIR wins when usable. */
	CU_ASSERT_EQUAL(setenv("XDG_RUNTIME_DIR", x, 1), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(got, x));
	CU_ASSERT_STRING_EQUAL(got + strlen(x), "/wif");
	CU_ASSERT_EQUAL(stat(want, &st), -1);       /* HOME untouched */

	/* Unset, relative or missing: HOME. */
	CU_ASSERT_EQUAL(unsetenv("XDG_RUNTIME_DIR"), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_OK);
	CU_ASSERT_STRING_EQUAL(got, want);
	CU_ASSERT_EQUAL_FATAL(stat(want, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0700);
	snprintf(want, sizeof(want), "%s/.cache", home);
	CU_ASSERT_EQUAL_FATAL(stat(want, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 077, 0);
	snprintf(want, sizeof(want), "%s/.cache/wif", home);
	CU_ASSERT_EQUAL(setenv("XDG_RUNTIME_DIR", "relative/dir", 1), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_OK);
	CU_ASSERT_STRING_EQUAL(got, want);
	snprintf(nodir, sizeof(nodir), "%s/no-such-dir", base);
	CU_ASSERT_EQUAL(setenv("XDG_RUNTIME_DIR", nodir, 1), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_OK);
	CU_ASSERT_STRING_EQUAL(got, want);
	/* Someone else's runtime dir is not ours to use. */
	if (geteuid() == 0) {
		char other[PATH_MAX];
		mkdir_in_base("xdg-other", 0700, other, sizeof(other));
		CU_ASSERT_EQUAL_FATAL(chown(other, 65534, 65534), 0);
		CU_ASSERT_EQUAL(setenv("XDG_RUNTIME_DIR", other, 1), 0);
		CU_ASSERT_EQUAL(wif_filecache_dir(got, sizeof(got)), WIF_OK);
		CU_ASSERT_STRING_EQUAL(got, want);
	}
	/* A buffer too small is an error, not a truncated path. */
	CU_ASSERT_EQUAL(unsetenv("XDG_RUNTIME_DIR"), 0);
	CU_ASSERT_EQUAL(wif_filecache_dir(got, 8), WIF_E_TOO_BIG);
	CU_ASSERT_EQUAL(unsetenv("HOME"), 0);
}

/* Parent holds the lock: a child's non-blocking flock must fail. */
static int
child_try_lock(const char *dir, const char *key)
{
	char path[PATH_MAX + 64];
	pid_t pid;
	int status, fd;

	snprintf(path, sizeof(path), "%s/%s.lock", dir, key);
	if ((pid = fork()) == 0) {
		if ((fd = open(path, O_RDWR)) == -1)
			_exit(2);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			_exit(0);
		_exit(errno == EWOULDBLOCK ? 1 : 3);
	}
	CU_ASSERT_FATAL(pid > 0);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_FATAL(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void
test_lock_excludes(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 64];
	struct stat st;
	int fd = -1;

	mkdir_in_base("lockx", 0700, dir, sizeof(dir));
	CU_ASSERT_EQUAL_FATAL(wif_filecache_lock(dir, "k", &fd), WIF_OK);
	CU_ASSERT(fd >= 0);
	snprintf(path, sizeof(path), "%s/k.lock", dir);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(child_try_lock(dir, "k"), 1);
	wif_filecache_unlock(fd);
	CU_ASSERT_EQUAL(child_try_lock(dir, "k"), 0);
	wif_filecache_unlock(-1);
}

/*
 * A child: take the lock, read; with no token "mint" one (write it and
 * append a line to the mint log); unlock; report the token on the pipe.
 */
static int
child_mint(const char *dir, const char *mintlog, int go, int report)
{
	struct wif_token *t = NULL;
	char buf[1], line[256];
	int fd = -1, r, logfd;

	if (read(go, buf, 1) != 0)      /* wait until the parent closes it */
		return 10;
	if (wif_filecache_lock(dir, "shared", &fd) != WIF_OK)
		return 11;
	r = wif_filecache_read(dir, "shared", &t);
	if (r == WIF_E_NOT_FOUND) {
		snprintf(line, sizeof(line), "sk-ant-oat01-child-%ld", (long)getpid());
		if ((t = calloc(1, sizeof(*t))) == NULL ||
		    (t->access_token = wif_secmem_strdup(line)) == NULL)
			return 12;
		t->access_token_len = strlen(line);
		t->expires_at = 1700003600;
		if (wif_filecache_write(dir, "shared", t) != WIF_OK)
			return 13;
		if ((logfd = open(mintlog, O_WRONLY | O_APPEND | O_CREAT, 0600)) == -1)
			return 14;
		snprintf(line, sizeof(line), "%ld\n", (long)getpid());
		if (write(logfd, line, strlen(line)) != (ssize_t)strlen(line))
			return 15;
		close(logfd);
	} else if (r != WIF_OK) {
		return 16;
	}
	wif_filecache_unlock(fd);
	snprintf(line, sizeof(line), "%s\n", t->access_token);
	wif_token_free(t);
	/* One write under PIPE_BUF bytes: atomic, lines do not interleave. */
	if (write(report, line, strlen(line)) != (ssize_t)strlen(line))
		return 17;
	return 0;
}

static void
test_cross_process_lock(void)
{
	char dir[PATH_MAX], mintlog[PATH_MAX + 16], out[8192], first[256];
	int go[2], rep[2], i, status, mints = 0;
	pid_t pids[NCHILDREN];
	size_t got = 0;
	ssize_t n;
	char *line, *save = NULL;
	FILE *f;

	mkdir_in_base("xproc", 0700, dir, sizeof(dir));
	snprintf(mintlog, sizeof(mintlog), "%s/mints", base);
	CU_ASSERT_EQUAL_FATAL(pipe(go), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(rep), 0);
	fflush(NULL);
	for (i = 0; i < NCHILDREN; i++) {
		pids[i] = fork();
		CU_ASSERT_FATAL(pids[i] >= 0);
		if (pids[i] == 0) {
			close(go[1]);
			close(rep[0]);
			_exit(child_mint(dir, mintlog, go[0], rep[1]));
		}
	}
	/* All children start racing at once. */
	close(go[0]);
	close(go[1]);
	close(rep[1]);
	for (i = 0; i < NCHILDREN; i++) {
		CU_ASSERT_EQUAL(waitpid(pids[i], &status, 0), pids[i]);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	while (got < sizeof(out) - 1 &&
	    (n = read(rep[0], out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	close(rep[0]);
	out[got] = '\0';
	first[0] = '\0';
	for (i = 0, line = strtok_r(out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), i++) {
		if (i == 0)
			snprintf(first, sizeof(first), "%s", line);
		CU_ASSERT_STRING_EQUAL(line, first);
	}
	CU_ASSERT_EQUAL(i, NCHILDREN);
	CU_ASSERT_PTR_NOT_NULL(strstr(first, "sk-ant-oat01-child-"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(mintlog, "r"));
	while (fgets(out, sizeof(out), f) != NULL)
		mints++;
	fclose(f);
	CU_ASSERT_EQUAL(mints, 1);
}

static const struct cu_test tests[] = {
	{ "round trip", test_round_trip },
	{ "modes 0700/0600 whatever the umask", test_modes },
	{ "unsafe directory refused", test_unsafe_dir },
	{ "unsafe file refused", test_unsafe_file },
	{ "symlinks refused", test_symlink },
	{ "corrupt file is a parse error", test_corrupt },
	{ "absent and remove", test_absent_and_remove },
	{ "bad keys", test_bad_keys },
	{ "XDG_RUNTIME_DIR, then HOME", test_dir_choice },
	{ "the lock excludes another process", test_lock_excludes },
	{ "8 processes, one mint", test_cross_process_lock },
	{ NULL, NULL },
};

WIF_CU_MAIN("filecache", tests, suite_init, suite_cleanup)
