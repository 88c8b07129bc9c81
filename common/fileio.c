/* fileio.c - bounded, checked reads and atomic writes; see fileio.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "fileio.h"
#include "secmem.h"

int
wif_read_file(const char *path, size_t max, unsigned flags, char **out,
              size_t *out_len)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ENOENT)
			return wif_err(WIF_E_NOT_FOUND, "%s does not exist", path);
		if (errno == EACCES)
			return wif_err(WIF_E_PERM, "%s is not readable by uid %u",
			    path, (unsigned)geteuid());
		return wif_err(WIF_E_IO, "cannot open %s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st) != 0) {
		r = wif_err(WIF_E_IO, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = wif_err(WIF_E_IO, "%s is not a regular file", path);
		goto out;
	}
	if ((flags & WIF_READ_SECRET_FLAG) != 0) {
		if (st.st_uid != 0 && st.st_uid != geteuid()) {
			r = wif_err(WIF_E_PERM, "%s holds a secret but is owned by "
			    "uid %u, not by root or uid %u", path,
			    (unsigned)st.st_uid, (unsigned)geteuid());
			goto out;
		}
		if ((st.st_mode & 077) != 0) {
			r = wif_err(WIF_E_PERM, "%s holds a secret but its mode is "
			    "%04o: chmod 600 %s", path,
			    (unsigned)(st.st_mode & 07777), path);
			goto out;
		}
	}
	if ((size_t)st.st_size > max) {
		r = wif_err(WIF_E_TOO_BIG, "%s is %lld bytes, more than the %zu "
		    "allowed", path, (long long)st.st_size, max);
		goto out;
	}
	if ((buf = wif_secmem_alloc(max + 1)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	/* Read one byte past max to notice a file that grew since fstat. */
	for (;;) {
		n = read(fd, buf + len, max + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = wif_err(WIF_E_IO, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
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

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp) ||
	    snprintf(dirbuf, sizeof(dirbuf), "%s", path) >= (int)sizeof(dirbuf))
		return wif_err(WIF_E_INVALID_ARG, "path too long: %s", path);
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return wif_err(WIF_E_IO, "cannot create a file next to %s: %s",
		    path, strerror(errno));
	if (fchmod(fd, mode) != 0) {
		r = wif_err(WIF_E_IO, "cannot chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0) {
		r = wif_err(WIF_E_IO, "cannot chown %s: %s", tmp, strerror(errno));
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
	if (close(fd) != 0) {
		fd = -1;
		r = wif_err(WIF_E_IO, "cannot close %s: %s", tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = wif_err(WIF_E_IO, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto fail;
	}
	/* Make the rename durable; best effort, as the SDKs do. */
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
