/*
 * filecache.h - the per-user token cache shared by processes without a
 * daemon: $XDG_RUNTIME_DIR/wif/ (else ~/.cache/wif/), directory 0700, files
 * 0600, written atomically (temp, fsync, rename, fsync dir), and a lock file
 * per key taken with flock() so that N processes starting at once make
 * exactly one exchange.
 *
 * Owns: the on-disk format {"version":1,"access_token":"…","expires_at":N,
 * "obtained_at":N,"request_id":"…","scope":"…"} and the directory checks
 * (owned by the caller, not group/world accessible - refuse otherwise).
 * Must never: read a cache file that is not owned by the caller or is
 * group/world readable; leave a half-written file.
 */
#ifndef WIF_FILECACHE_H
#define WIF_FILECACHE_H

#include <stddef.h>

#include "token.h"

/* The cache directory for this user, created 0700 if needed. */
int wif_filecache_dir(char *buf, size_t len);

/* Read the token stored under key (a [A-Za-z0-9_.-]+ name).  WIF_E_NOT_FOUND
 * when absent; WIF_E_PERM when the file is unsafe; WIF_E_PARSE when corrupt
 * (the caller treats that as absent). */
int wif_filecache_read(const char *dir, const char *key, struct wif_token **out);
/* Atomically replace the token stored under key. */
int wif_filecache_write(const char *dir, const char *key, const struct wif_token *t);
/* Remove it (flush). */
int wif_filecache_remove(const char *dir, const char *key);
/* Exclusive flock on <dir>/<key>.lock; *fd to pass to unlock. Blocks. */
int wif_filecache_lock(const char *dir, const char *key, int *fd);
/* The same without waiting: WIF_OK with *fd == -1 when another process
 * holds the lock. */
int wif_filecache_trylock(const char *dir, const char *key, int *fd);
void wif_filecache_unlock(int fd);

#endif
