/*
 * client.h - internals of the client half of libwif shared with the CLI
 * (libc only).  Owns: finding and trusting the daemon's socket, one
 * request/reply round trip.  The public API is include/wif/wif.h.
 */
#ifndef WIF_CLIENT_H
#define WIF_CLIENT_H

#include <wif/wif.h>

#include "wire.h"

/* Did the last wif_client_call get wifd's reply (ok or an error wifd
 * chose), as opposed to no daemon, a timeout or a broken connection? */
int wif_client_answered(const wif_handle *h);

/* The socket path the handle uses. */
const char *wif_client_socket(const wif_handle *h);

/*
 * Send the framed request (built with wif_wire_*; len from wif_wire_end)
 * and read one reply into *buf (free()), parsed into m.  A reply with
 * status=error becomes its rc (and the handle's error text); m then points
 * into freed memory and must not be read.
 */
int wif_client_call(wif_handle *h, char *req, size_t len, char **buf,
                    struct wif_wire_msg *m);

#endif
