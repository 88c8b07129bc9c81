/*
 * test_fileio.c - bounded reads (caps, missing files, wrong file types,
 * symlinks, secret-file permissions) and atomic writes (content, mode,
 * owner, the old file intact and no temp file left when a write fails).
 *
 * Fixtures live in a fresh directory under the current (build) directory.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cutest.h"
#include "err.h"
#include "fileio.h"
#include "secmem.h"

static char dir[PATH_MAX];

static void
path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void
put(const char *name, const char *data, size_t len, mode_t mode)
{
	char p[PATH_MAX];
	FILE *f;

	path_of(p, sizeof(p), name);
	unlink(p);
	f = fopen(p, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FATAL(fwrite(data, 1, len, f) == len);
	CU_ASSERT_FATAL(fclose(f) == 0);
	CU_ASSERT_FATAL(chmod(p, mode) == 0);
}

static int
detail_has(const char *needle)
{
	return strstr(wif_err_detail(), needle) != NULL;
}

/* Number of directory entries whose name contains ".tmp." */
static int
temp_files(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, ".tmp.") != NULL)
			n++;
	closedir(d);
	return n;
}

static void
rm_rf(const char *path)
{
	struct dirent *de;
	struct stat st;
	char p[PATH_MAX];
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		chmod(path, 0700);
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			rm_rf(p);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int
suite_init(void)
{
	char cwd[PATH_MAX - 32];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/t_fileio.XXXXXX", cwd);
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
suite_cleanup(void)
{
	rm_rf(dir);
	return 0;
}

static void
test_read_ok(void)
{
	char p[PATH_MAX], *out = NULL;
	size_t len = 99;

	put("plain", "hello\n", 6, 0644);
	path_of(p, sizeof(p), "plain");
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, &len), WIF_OK);
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_STRING_EQUAL(out, "hello\n");
	wif_secmem_free(out);

	/* out_len is optional */
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, NULL), WIF_OK);
	CU_ASSERT_STRING_EQUAL(out, "hello\n");
	wif_secmem_free(out);
}

static void
test_read_empty(void)
{
	char p[PATH_MAX], *out = NULL;
	size_t len = 99;

	put("empty", "", 0, 0644);
	path_of(p, sizeof(p), "empty");
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, &len), WIF_OK);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(out[0], '\0');
	wif_secmem_free(out);
}

static void
test_read_cap(void)
{
	char p[PATH_MAX], data[1001], *out = (char *)1;
	size_t len = 99;

	memset(data, 'a', sizeof(data));
	put("big", data, 1000, 0644);
	path_of(p, sizeof(p), "big");
	/* exactly max is fine */
	CU_ASSERT_EQUAL(wif_read_file(p, 1000, 0, &out, &len), WIF_OK);
	CU_ASSERT_EQUAL(len, 1000);
	CU_ASSERT_EQUAL(strlen(out), 1000);
	wif_secmem_free(out);
	/* one byte over is not */
	out = (char *)1;
	CU_ASSERT_EQUAL(wif_read_file(p, 999, 0, &out, &len), WIF_E_TOO_BIG);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT(detail_has(p));
	CU_ASSERT(detail_has("999"));
	/* the content never reaches the detail */
	CU_ASSERT(!detail_has("aaaa"));
}

/* /proc files report size 0: the cap must hold while reading, too. */
static void
test_read_cap_unsized(void)
{
	char *out = (char *)1;
	size_t len = 0;

	CU_ASSERT_EQUAL(wif_read_file("/proc/self/status", 16, 0, &out, &len),
	    WIF_E_TOO_BIG);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT(detail_has("/proc/self/status"));

	/* more than the first 4 KiB chunk: the buffer grows */
	CU_ASSERT_EQUAL(wif_read_file("/proc/self/smaps", 8 * 1024 * 1024, 0,
	    &out, &len), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT(len > 4096);
	CU_ASSERT_EQUAL(strlen(out), len);
	CU_ASSERT(strstr(out, "Size:") != NULL);
	wif_secmem_free(out);
}

static void
test_read_missing(void)
{
	char p[PATH_MAX], *out = (char *)1;

	path_of(p, sizeof(p), "no-such-file");
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, NULL), WIF_E_NOT_FOUND);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT(detail_has(p));

	/* a file used as a directory */
	put("plain", "x", 1, 0644);
	path_of(p, sizeof(p), "plain/below");
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, NULL), WIF_E_NOT_FOUND);
	CU_ASSERT(detail_has(p));
}

static void
test_read_not_regular(void)
{
	char p[PATH_MAX], *out = (char *)1;

	path_of(p, sizeof(p), "adir");
	CU_ASSERT_FATAL(mkdir(p, 0755) == 0);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, NULL), WIF_E_IO);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT(detail_has(p));
	CU_ASSERT(detail_has("directory"));

	/* a FIFO without a writer: refused, not waited on */
	path_of(p, sizeof(p), "fifo");
	CU_ASSERT_FATAL(mkfifo(p, 0600) == 0);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, NULL), WIF_E_IO);
	CU_ASSERT(detail_has("FIFO"));

	CU_ASSERT_EQUAL(wif_read_file("/dev/null", 100, 0, &out, NULL), WIF_E_IO);
	CU_ASSERT(detail_has("device"));
}

static void
test_read_symlink(void)
{
	char p[PATH_MAX], target[PATH_MAX], *out = NULL;
	size_t len = 0;

	put("target", "via link", 8, 0600);
	path_of(target, sizeof(target), "target");
	path_of(p, sizeof(p), "link");
	CU_ASSERT_FATAL(symlink(target, p) == 0);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, WIF_READ_SECRET_FLAG, &out, &len),
	    WIF_OK);
	CU_ASSERT_EQUAL(len, 8);
	CU_ASSERT_STRING_EQUAL(out, "via link");
	wif_secmem_free(out);

	/* a dangling link is a missing file */
	path_of(p, sizeof(p), "dangling");
	CU_ASSERT_FATAL(symlink("/nonexistent/wif-test", p) == 0);
	out = (char *)1;
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, NULL), WIF_E_NOT_FOUND);
	CU_ASSERT_PTR_NULL(out);

	/* a link to a directory is not a regular file */
	path_of(p, sizeof(p), "dirlink");
	CU_ASSERT_FATAL(symlink(dir, p) == 0);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, NULL), WIF_E_IO);
}

static void
test_read_secret_perms(void)
{
	char p[PATH_MAX], want[PATH_MAX + 16], *out = (char *)1;
	size_t len = 0;

	put("secret", "s3cr3t", 6, 0644);
	path_of(p, sizeof(p), "secret");
	CU_ASSERT_EQUAL(wif_read_file(p, 100, WIF_READ_SECRET_FLAG, &out, &len),
	    WIF_E_PERM);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT(detail_has("0644"));
	snprintf(want, sizeof(want), "chmod 600 %s", p);
	CU_ASSERT(detail_has(want));
	CU_ASSERT(!detail_has("s3cr3t"));
	/* without the flag the same file is fine */
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, &len), WIF_OK);
	wif_secmem_free(out);

	CU_ASSERT_FATAL(chmod(p, 0640) == 0);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, WIF_READ_SECRET_FLAG, &out, &len),
	    WIF_E_PERM);
	CU_ASSERT_FATAL(chmod(p, 0602) == 0);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, WIF_READ_SECRET_FLAG, &out, &len),
	    WIF_E_PERM);

	CU_ASSERT_FATAL(chmod(p, 0600) == 0);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, WIF_READ_SECRET_FLAG, &out, &len),
	    WIF_OK);
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_STRING_EQUAL(out, "s3cr3t");
	wif_secmem_free(out);
	CU_ASSERT_FATAL(chmod(p, 0400) == 0);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, WIF_READ_SECRET_FLAG, &out, &len),
	    WIF_OK);
	wif_secmem_free(out);

	/* owned by somebody else (root can arrange that) */
	if (geteuid() == 0) {
		CU_ASSERT_FATAL(chown(p, 4242, 4242) == 0);
		out = (char *)1;
		CU_ASSERT_EQUAL(wif_read_file(p, 100, WIF_READ_SECRET_FLAG, &out,
		    &len), WIF_E_PERM);
		CU_ASSERT_PTR_NULL(out);
		CU_ASSERT(detail_has("uid 4242"));
		CU_ASSERT(detail_has(p));
	}
}

static void
test_write_atomic(void)
{
	char p[PATH_MAX], *out = NULL;
	struct stat st, st2;
	size_t len = 0;

	path_of(p, sizeof(p), "atomic");
	unlink(p);
	umask(022);
	CU_ASSERT_EQUAL(wif_write_file_atomic(p, "first", 5, 0600, (uid_t)-1,
	    (gid_t)-1), WIF_OK);
	CU_ASSERT_FATAL(stat(p, &st) == 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(st.st_size, 5);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, &len), WIF_OK);
	CU_ASSERT_STRING_EQUAL(out, "first");
	wif_secmem_free(out);

	/* replace: new content, the requested mode (umask does not apply),
	 * a new inode (rename, not rewrite in place) */
	umask(077);
	CU_ASSERT_EQUAL(wif_write_file_atomic(p, "second!", 7, 0644, (uid_t)-1,
	    (gid_t)-1), WIF_OK);
	umask(022);
	CU_ASSERT_FATAL(stat(p, &st2) == 0);
	CU_ASSERT_EQUAL(st2.st_mode & 07777, 0644);
	CU_ASSERT_NOT_EQUAL(st.st_ino, st2.st_ino);
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, &len), WIF_OK);
	CU_ASSERT_EQUAL(len, 7);
	CU_ASSERT_STRING_EQUAL(out, "second!");
	wif_secmem_free(out);

	/* empty content */
	CU_ASSERT_EQUAL(wif_write_file_atomic(p, "", 0, 0600, (uid_t)-1,
	    (gid_t)-1), WIF_OK);
	CU_ASSERT_FATAL(stat(p, &st) == 0);
	CU_ASSERT_EQUAL(st.st_size, 0);
	CU_ASSERT_EQUAL(temp_files(), 0);
}

static void
test_write_owner(void)
{
	char p[PATH_MAX];
	struct stat st;

	if (geteuid() != 0)
		return; /* chown to another uid needs root; CI runs as root */
	path_of(p, sizeof(p), "owned");
	CU_ASSERT_EQUAL(wif_write_file_atomic(p, "x", 1, 0640, 4243, 4244),
	    WIF_OK);
	CU_ASSERT_FATAL(stat(p, &st) == 0);
	CU_ASSERT_EQUAL(st.st_uid, 4243);
	CU_ASSERT_EQUAL(st.st_gid, 4244);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640);
}

static void
test_write_fails_missing_dir(void)
{
	char p[PATH_MAX];
	struct stat st;

	path_of(p, sizeof(p), "no-such-dir/file");
	CU_ASSERT_EQUAL(wif_write_file_atomic(p, "x", 1, 0600, (uid_t)-1,
	    (gid_t)-1), WIF_E_IO);
	CU_ASSERT(detail_has(p));
	CU_ASSERT(stat(p, &st) != 0);
}

/* rename() over a directory fails even for root: old entry untouched. */
static void
test_write_fails_rename(void)
{
	char p[PATH_MAX], inner[PATH_MAX];
	struct stat st;

	path_of(p, sizeof(p), "isdir");
	CU_ASSERT_FATAL(mkdir(p, 0755) == 0);
	path_of(inner, sizeof(inner), "isdir/keep");
	put("isdir/keep", "kept", 4, 0644);
	CU_ASSERT_EQUAL(wif_write_file_atomic(p, "new", 3, 0600, (uid_t)-1,
	    (gid_t)-1), WIF_E_IO);
	CU_ASSERT(detail_has(p));
	CU_ASSERT_FATAL(stat(p, &st) == 0);
	CU_ASSERT(S_ISDIR(st.st_mode));
	CU_ASSERT(stat(inner, &st) == 0);
	CU_ASSERT_EQUAL(temp_files(), 0);
}

/* A write that fails half-way (file size limit, which binds root too)
 * leaves the old file as it was and no temp file behind. */
static void
test_write_fails_midway(void)
{
	char p[PATH_MAX], big[4096], *out = NULL;
	struct rlimit old, small;
	void (*old_xfsz)(int);
	size_t len = 0;
	int r;

	memset(big, 'n', sizeof(big));
	put("keepme", "old content", 11, 0600);
	path_of(p, sizeof(p), "keepme");
	CU_ASSERT_FATAL(getrlimit(RLIMIT_FSIZE, &old) == 0);
	small = old;
	small.rlim_cur = 1024;
	old_xfsz = signal(SIGXFSZ, SIG_IGN); /* so write() says EFBIG */
	CU_ASSERT_FATAL(setrlimit(RLIMIT_FSIZE, &small) == 0);
	r = wif_write_file_atomic(p, big, sizeof(big), 0600, (uid_t)-1,
	    (gid_t)-1);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, old_xfsz);
	CU_ASSERT_EQUAL(r, WIF_E_IO);
	CU_ASSERT(detail_has("cannot write"));
	CU_ASSERT_EQUAL(wif_read_file(p, 100, 0, &out, &len), WIF_OK);
	CU_ASSERT_STRING_EQUAL(out, "old content");
	wif_secmem_free(out);
	CU_ASSERT_EQUAL(temp_files(), 0);
}

static void
test_bad_args(void)
{
	char *out = (char *)1;

	CU_ASSERT_EQUAL(wif_read_file(NULL, 10, 0, &out, NULL), WIF_E_INVALID_ARG);
	CU_ASSERT_PTR_NULL(out);
	CU_ASSERT_EQUAL(wif_write_file_atomic("x", NULL, 3, 0600, (uid_t)-1,
	    (gid_t)-1), WIF_E_INVALID_ARG);
	CU_ASSERT_EQUAL(wif_write_file_atomic("", "x", 1, 0600, (uid_t)-1,
	    (gid_t)-1), WIF_E_INVALID_ARG);
}

static const struct cu_test tests[] = {
	{ "read: content and length", test_read_ok },
	{ "read: empty file", test_read_empty },
	{ "read: size cap", test_read_cap },
	{ "read: size cap on unsized /proc files", test_read_cap_unsized },
	{ "read: missing file", test_read_missing },
	{ "read: directory, FIFO, device refused", test_read_not_regular },
	{ "read: symlinks", test_read_symlink },
	{ "read: secret file permissions", test_read_secret_perms },
	{ "write: atomic replace, mode", test_write_atomic },
	{ "write: owner", test_write_owner },
	{ "write: directory missing", test_write_fails_missing_dir },
	{ "write: rename fails, old entry kept", test_write_fails_rename },
	{ "write: short write, old file kept", test_write_fails_midway },
	{ "bad arguments", test_bad_args },
	{ NULL, NULL },
};

WIF_CU_MAIN("fileio", tests, suite_init, suite_cleanup)
