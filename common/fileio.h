/*
 * fileio.h - bounded, checked file reads and atomic writes.
 *
 * Owns: reading whole files with a size cap (into secure memory: what we read
 * is usually a token or a key) and the ownership/permission checks done
 * before trusting a file.  Must never put file contents in an error message.
 */
#ifndef WIF_FILEIO_H
#define WIF_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

#define WIF_READ_SECRET_FLAG 0x01u /* same value as WIF_READ_SECRET */

/*
 * Read all of path (at most max bytes; more -> WIF_E_TOO_BIG) into secure
 * memory, NUL-terminated; *out_len excludes the NUL.  Follows symlinks, but
 * the final target must be a regular file (WIF_E_IO otherwise).  With
 * WIF_READ_SECRET_FLAG the file must be owned by root or the effective uid
 * and must not be group/world readable or writable (WIF_E_PERM naming the
 * mode and the chmod to run).  Errors: WIF_E_NOT_FOUND, WIF_E_PERM, WIF_E_IO,
 * WIF_E_TOO_BIG, each with wif_err() detail naming the path.
 * Free *out with wif_secmem_free().
 */
int wif_read_file(const char *path, size_t max, unsigned flags, char **out,
                  size_t *out_len);

/*
 * Atomically replace path with data: a unique temp file in the same
 * directory created with mode, fsync, fchown to uid/gid when they are not
 * (uid_t)-1 / (gid_t)-1, rename over path, fsync the directory.  On any
 * failure the temp file is removed and path is untouched.
 */
int wif_write_file_atomic(const char *path, const void *data, size_t len,
                          mode_t mode, uid_t uid, gid_t gid);

#endif
