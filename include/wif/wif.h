/*
 * wif.h - the consumer API of libwif: ask the host's wifd for a token.
 *
 * libwif depends on libc only.  It talks to wifd over its Unix socket
 * (default /run/wif/wifd.sock, or $WIF_SOCKET, or the path given to
 * wif_open()), and trusts the socket only when the daemon behind it runs
 * as root, as the configured daemon user, or as the caller itself.
 *
 *	wif_handle *h;
 *	wif_credential *c;
 *	if (wif_open(NULL, 0, &h) == WIF_OK &&
 *	    wif_get_token(h, "default", 300, &c) == WIF_OK) {
 *		use(wif_credential_token(c));   // "sk-ant-oat01-..."
 *		wif_credential_free(c);         // wipes the token
 *	} else
 *		fprintf(stderr, "%s\n", wif_error(h));
 *	wif_close(h);
 *
 * Thread safety: a handle may be used by one thread at a time; use one
 * handle per thread.  A handle keeps its connection to wifd between
 * requests (reopened when the daemon has closed it); wif_close() closes
 * it, and a forked child should open its own handle.
 * Credentials are independent of the handle and of each other.
 * See wif_open(3).
 */
#ifndef WIF_WIF_H
#define WIF_WIF_H

#include <stddef.h>
#include <stdint.h>

#include <wif/rc.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WIF_API
#define WIF_API __attribute__((visibility("default")))
#endif

typedef struct wif_handle wif_handle;
typedef struct wif_credential wif_credential;

/* The daemon's socket when neither wif_open() nor $WIF_SOCKET names one. */
#define WIF_DEFAULT_SOCKET_PATH "/run/wif/wifd.sock"

/* wif_open() flag: when no daemon listens, fail with WIF_E_NO_DAEMON
 * instead of running the core in a child process (also set by the
 * environment variable WIF_REQUIRE_DAEMON=1). */
#define WIF_OPEN_NO_FALLBACK 0x01u

/*
 * socket_path: NULL for $WIF_SOCKET, else WIF_DEFAULT_SOCKET_PATH.
 * flags: 0 or WIF_OPEN_NO_FALLBACK.
 * Returns WIF_OK and *out (free with wif_close()), or WIF_E_NOMEM /
 * WIF_E_INVALID_ARG.  Never contacts the daemon.
 */
WIF_API int wif_open(const char *socket_path, unsigned flags, wif_handle **out);
WIF_API void wif_close(wif_handle *h);

/* Milliseconds to wait for the daemon's answer (default 60000: a cold
 * refresh may take the whole HTTP retry budget). */
WIF_API void wif_set_timeout(wif_handle *h, int timeout_ms);

/*
 * A token of profile (NULL: the daemon picks the one profile this caller
 * may use, or "default") with at least min_valid seconds left (0: the
 * daemon's own rule).  With no daemon listening, the core runs in a child
 * process (wif-cli token: the caller's configuration and per-user cache),
 * unless WIF_OPEN_NO_FALLBACK.  Returns WIF_OK and *out, or a wif_rc:
 * WIF_E_NO_DAEMON (no daemon listening), WIF_E_PERM (the socket is not
 * the daemon's), WIF_E_DENIED (the allow list refused this caller),
 * WIF_E_TIMEOUT, WIF_E_PROTOCOL, or the daemon's own error.  wif_error()
 * says what happened and what to do.
 */
WIF_API int wif_get_token(wif_handle *h, const char *profile, int min_valid,
                  wif_credential **out);

/* The access token (NUL-terminated; valid until wif_credential_free). */
WIF_API const char *wif_credential_token(const wif_credential *c);
/* Expiry, seconds since the epoch. */
WIF_API int64_t wif_credential_expires_at(const wif_credential *c);
/* The profile the daemon served. */
WIF_API const char *wif_credential_profile(const wif_credential *c);
/* Wipes the token and frees; accepts NULL. */
WIF_API void wif_credential_free(wif_credential *c);

/* The detail of the handle's last failure ("" after a success). */
WIF_API const char *wif_error(const wif_handle *h);
/* A short fixed text for a wif_rc. */
WIF_API const char *wif_strerror(int rc);

#ifdef __cplusplus
}
#endif

#endif
