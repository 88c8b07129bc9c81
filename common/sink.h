/*
 * sink.h - token files that wifd keeps fresh (a profile's sinks).
 *
 * Owns: the four formats and the write discipline.  raw ("TOKEN\n"), json
 * ({"access_token","token_type","expires_at","expires_in","profile"}), env
 * (ANTHROPIC_AUTH_TOKEN='TOKEN'), and anthropic-credentials: the SDKs' own
 * <config_dir>/credentials/<profile>.json, {"version":"1.0","type":
 * "oauth_token","access_token":…,"expires_at":<unix s>} (PROTOCOL.md §4,
 * disk cache), so that SDK processes using a profile read the token wifd
 * keeps fresh.  Every write is atomic (temp file, fsync, rename, fsync of
 * the directory: wif_write_file_atomic), with owner, group and mode
 * re-asserted each time; a target that is a symbolic link or not a regular
 * file is refused; an expired token is never written, so a sink holds a
 * whole, valid token or the previous one.  The formatted text lives in
 * secure memory and is wiped.
 */
#ifndef WIF_SINK_H
#define WIF_SINK_H

#include "conf.h"
#include "token.h"

int wif_sink_write(const struct wif_config_sink *s, const char *profile,
                   const struct wif_token *t);
/* Remove the sink's file (flush/revoke); absent is fine. */
int wif_sink_remove(const struct wif_config_sink *s);
/* The bytes a sink of format f (raw, json, env, anthropic-credentials)
 * holds for t, into out (len bytes, secure memory advised); what names the
 * destination in errors. */
int wif_sink_render(const char *f, const char *what, const char *profile,
                    const struct wif_token *t, char *out, size_t len,
                    size_t *n);

#endif
