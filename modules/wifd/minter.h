/*
 * minter.h - wifd's side of its mint helper, wifd-mint(8).
 *
 * wifd itself links neither libcurl nor OpenSSL nor any provider plugin:
 * fetching identity tokens and exchanging them runs in a helper process,
 * started on demand and ended after `linger` idle seconds.  The helper is
 * given the configuration wifd loaded (a snapshot of its files' bytes, so
 * an edit on disk without a reload changes nothing) and speaks wifd's wire
 * format (wire.h) over a SOCK_SEQPACKET socket pair:
 *
 *   helper -> wifd, once:  op=ready | op=error rc= error=
 *   wifd -> helper:        op=mint id= profile= [last=<sha256 hex>]
 *                          op=describe id= profile= index=
 *   helper -> wifd:        op=minted id= rc= [token= expires_at= obtained_at=
 *                          scope= token_request_id= token_hash=] error= and the
 *                          report: attempts= provider= source_index= iss=
 *                          sub= identity_exp= http_status= request_id=
 *                          [consumed=]
 *                          op=described id= rc= text=
 *
 * Owns: the helper's process, its socket and the requests waiting on it.
 * A helper that dies fails the requests it held (the next one starts a new
 * helper).  Must never: log a token; block the event loop for longer than
 * a describe's short timeout.
 */
#ifndef WIFD_MINTER_H
#define WIFD_MINTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "mint.h"
#include "token.h"

#define WIFD_MINT_LINGER 10            /* seconds an idle helper is kept */

struct wifd_minter;

/* The helper to run: $WIF_MINT_HELPER, else wifd-mint beside wifd's own
 * executable, else the installed one.  Borrowed. */
const char *wifd_minter_path(void);

/*
 * Prepare minting for cfg (borrowed: it must outlive the minter) with the
 * helper at path.  A helper is started at once: it loads the snapshot and
 * initialises every source (the plugins check their settings), and its
 * verdict is the result: WIF_OK, or the error naming profile, source and
 * setting.  log_level is passed to the helper.  Free with
 * wifd_minter_free().
 */
int wifd_minter_new(const char *path, const struct wif_config *cfg,
                    int log_level, int linger, struct wifd_minter **out);
void wifd_minter_free(struct wifd_minter *m);

/* wif_mint() in the helper (starting one when none runs).  Blocks. */
int wifd_minter_mint(struct wifd_minter *m, const char *profile,
                     const uint8_t *last_consumed, struct wif_token **out,
                     struct wif_mint_report *rep);

/* A source's describe() line from the running helper (timeout_ms at most);
 * WIF_E_NOT_FOUND when no helper runs or the source says nothing. */
int wifd_minter_describe(struct wifd_minter *m, const char *profile,
                         size_t idx, char *buf, size_t len, int timeout_ms);

/* End a helper idle for linger seconds; reap helpers that exited. */
void wifd_minter_tick(struct wifd_minter *m);

/* For status: the helper's pid (0 when none runs) and how many were
 * started. */
void wifd_minter_info(struct wifd_minter *m, pid_t *pid, uint64_t *started);

#endif
