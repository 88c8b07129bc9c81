/*
 * mintwire.h - the mint helper's reply to op=mint, written by wifd-mint and
 * read by wifd (minter.h has the whole exchange).  libc only.
 */
#ifndef WIFD_MINTWIRE_H
#define WIFD_MINTWIRE_H

#include <stddef.h>
#include <stdint.h>

#include "mint.h"
#include "token.h"
#include "wire.h"

#define WIFD_MINT_MAX (WIF_WIRE_MAX + 4)

/* Frame the reply to request id in buf (cap WIFD_MINT_MAX): rc, the error
 * detail when rc != WIF_OK, the token when rc == WIF_OK, the report always.
 * Returns the frame's length, or 0 when it does not fit. */
size_t wifd_mint_reply_encode(char *buf, uint64_t id, int rc,
                              const char *error, const struct wif_token *t,
                              const struct wif_mint_report *rep);

/* Read a reply frame (len bytes, header included; parsed in place): the
 * report into *rep, and either *out (WIF_OK) or the helper's rc with its
 * detail set as wif_err(). */
int wifd_mint_reply_decode(char *frame, size_t len, struct wif_token **out,
                           struct wif_mint_report *rep);

#endif
