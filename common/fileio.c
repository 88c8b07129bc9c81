/* fileio.c - bounded, checked reads and atomic writes; see fileio.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "secmem.h"

#define FILEIO_FIRST_CHUNK 4096

static const char *
kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device";
	return "not a regular file";
}

static int
open_error(const char *path, int e)
{
	switch (e) {
	case ENOENT:
		return wif_err(WIF_E_NOT_FOUND, "%s does not exist", path);
	case ENOTDIR:
		return wif_err(WIF_E_NOT_FOUND, "%s does not exist (a component "
		    "of the path is not a directory)", path);
	case EACCES:
	case EPERM:
		return wif_err(WIF_E_PERM, "%s is not readable by uid %u: check "
		    "its mode and the directories above it", path,
		    (unsigned)geteuid());
	default:
		return wif_err(WIF_E_IO, "cannot open %s: %s", path, strerror(e));
	}
}

/* The checks a file holding a secret must pass before we read it. */
static int
check_secret(const char *path, const struct stat *st)
{
	uid_t euid = geteuid();

	if (st->st_uid != 0 && st->st_uid != euid)
		return wif_err(WIF_E_PERM, "%s holds a secret but is owned by "
		    "uid %u, not by root or uid %u: chown %u %s", path,
		    (unsigned)st->st_uid, (unsigned)euid, (unsigned)euid, path);
	if ((st->st_mode & 077) != 0)
		return wif_err(WIF_E_PERM, "%s holds a secret but its mode is "
		    "%04o (group/other may access it): chmod 600 %s", path,
		    (unsigned)(st->st_mode & 07777), path);
	return WIF_OK;
}

/* Grow *buf (secure memory) to ncap bytes, wiping the old copy. */
static int
grow(char **buf, size_t len, size_t ncap)
{
	char *nbuf;

	if ((nbuf = wif_secmem_alloc(ncap)) == NULL)
		return -1;
	if (len > 0)
		memcpy(nbuf, *buf, len);
	wif_secmem_free(*buf);
	*buf = nbuf;
	return 0;
}

int
wif_read_file(const char *path, size_t max, unsigned flags, char **out,
              size_t *out_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap;
	ssize_t n;
	int fd = -1, fl, r;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (path == NULL || out == NULL)
		return wif_err(WIF_E_INVALID_ARG, "read_file: path and out are "
		    "required");
	if (max >= SIZE_MAX / 2)
		return wif_err(WIF_E_INVALID_ARG, "read_file: no sane size cap "
		    "for %s", path);
	/* O_NONBLOCK: opening a FIFO must not hang until a writer appears. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return open_error(path, errno);
	if (fstat(fd, &st) != 0) {
		r = wif_err(WIF_E_IO, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = wif_err(WIF_E_IO, "%s is %s, expected a regular file", path,
		    kind_of(st.st_mode));
		goto out;
	}
	if ((fl = fcntl(fd, F_GETFL)) >= 0)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	if ((flags & WIF_READ_SECRET_FLAG) != 0 &&
	    (r = check_secret(path, &st)) != WIF_OK)
		goto out;
	if (st.st_size < 0 || (uintmax_t)st.st_size > (uintmax_t)max) {
		r = wif_err(WIF_E_TOO_BIG, "%s is %lld bytes, more than the %zu "
		    "allowed", path, (long long)st.st_size, max);
		goto out;
	}
	/* Files in /proc and the like say size 0: start small and grow. */
	cap = st.st_size > 0 ? (size_t)st.st_size : FILEIO_FIRST_CHUNK;
	if (cap > max)
		cap = max;
	cap++; /* room for the NUL, and for one byte past max */
	if ((buf = wif_secmem_alloc(cap)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory reading %s", path);
		goto out;
	}
	for (;;) {
		if (len == cap) {
			size_t ncap = cap > (max + 1) / 2 ? max + 1 : cap * 2;

			if (grow(&buf, len, ncap) != 0) {
				r = wif_err(WIF_E_NOMEM, "out of memory reading %s",
				    path);
				goto out;
			}
			cap = ncap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = wif_err(WIF_E_IO, "cannot read %s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		/* A file that grew since fstat() is caught here. */
		if (len > max) {
			r = wif_err(WIF_E_TOO_BIG, "%s is more than the %zu bytes "
			    "allowed", path, max);
			goto out;
		}
	}
	buf[len] = '\0';
	*out = buf;
	buf = NULL; /* transferred */
	if (out_len != NULL)
		*out_len = len;
	r = WIF_OK;
out:
	wif_secmem_free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

int
wif_write_file_atomic(const char *path, const void *data, size_t len,
                      mode_t mode, uid_t uid, gid_t gid)
{
	char tmp[PATH_MAX], dirbuf[PATH_MAX];
	const char *p = data;
	size_t off = 0;
	ssize_t n;
	int fd = -1, dfd = -1, r;

	if (path == NULL || path[0] == '\0' || (data == NULL && len > 0))
		return wif_err(WIF_E_INVALID_ARG, "write_file_atomic: bad "
		    "arguments");
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp) ||
	    snprintf(dirbuf, sizeof(dirbuf), "%s", path) >= (int)sizeof(dirbuf))
		return wif_err(WIF_E_INVALID_ARG, "path too long: %s", path);
	/* mkostemp: O_EXCL and mode 0600, so nobody else can have it open. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return wif_err(WIF_E_IO, "cannot create a temporary file next to "
		    "%s: %s", path, strerror(errno));
	if (fchmod(fd, mode & 07777) != 0) {
		r = wif_err(WIF_E_IO, "cannot chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0) {
		r = wif_err(WIF_E_IO, "cannot chown %s to %d:%d: %s", tmp,
		    (int)uid, (int)gid, strerror(errno));
		goto fail;
	}
	while (off < len) {
		n = write(fd, p + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = wif_err(WIF_E_IO, "cannot write %s: %s", tmp,
			    n < 0 ? strerror(errno) : "short write");
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) != 0) {
		r = wif_err(WIF_E_IO, "cannot fsync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	n = close(fd);
	fd = -1;
	if (n != 0) {
		r = wif_err(WIF_E_IO, "cannot close %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		r = wif_err(WIF_E_IO, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto fail;
	}
	/*
	 * Make the rename durable.  Past the rename the new file is in place,
	 * so a failure here cannot be undone and is not reported as one.
	 */
	if ((dfd = open(dirname(dirbuf), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return WIF_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return r;
}
