/*
 * err.h - the error detail of the current thread.
 *
 * Owns: one thread-local detail buffer that says what failed, with which
 * file/profile/provider, and what to do.  Functions that fail set it with
 * wif_err() and return the wif_rc; callers add context with wif_err_prefix().
 * Must never hold a secret: callers pass names, paths, statuses - never
 * tokens, assertions, keys or request bodies.
 */
#ifndef WIF_ERR_H
#define WIF_ERR_H

#include <stddef.h>
#include <wif/rc.h>
#include <wif/provider.h> /* WIF_PRINTF */

#define WIF_ERR_MAX 2048

/* Set the detail (replacing any) and return rc, for `return wif_err(...)`. */
int wif_err(int rc, const char *fmt, ...) WIF_PRINTF(2, 3);
/* Prepend "<prefix>: " to the current detail; returns rc. */
int wif_err_prefix(int rc, const char *fmt, ...) WIF_PRINTF(2, 3);
/* The current detail ("" when none); valid until the next wif_err*(). */
const char *wif_err_detail(void);
void wif_err_clear(void);
/* Replace credential-looking runs in s (an sk-ant- key or token, a JWT, a
 * long mixed base64url/hex run) in place; applied by wif_err(),
 * wif_err_prefix() and the logger to everything they hold. */
void wif_redact(char *s, size_t size);

#endif
