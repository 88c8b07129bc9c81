/*
 * wire.h - the wifd wire protocol, version 1 (libc only: the client half
 * and the daemon share it).  See wifd(8) for the documented form.
 *
 * A message is a frame: a 4-byte big-endian length N (1..WIF_WIRE_MAX)
 * followed by N bytes of text, one "key=value" field per line, each line
 * ending in '\n'.  The first field is always "wif=1" (the version).  Keys
 * are [a-z_]{1,32}; values are any bytes except NUL and '\n', at most
 * WIF_WIRE_MAX in all; at most WIF_WIRE_FIELDS fields.  Unknown keys are
 * ignored (forward compatible); a repeated key is an error.
 *
 * Requests carry op=token|status|ping|reload|flush and their arguments;
 * replies carry status=ok|error, and on error rc=<wif_rc> error=<text>.
 */
#ifndef WIF_WIRE_H
#define WIF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIF_WIRE_VERSION 1
#define WIF_WIRE_MAX 65536
#define WIF_WIRE_FIELDS 64
#define WIF_WIRE_KEY_MAX 32

struct wif_wire_field {
	const char *key;                /* points into the message buffer */
	const char *value;
	size_t value_len;
};

struct wif_wire_msg {
	struct wif_wire_field f[WIF_WIRE_FIELDS];
	size_t n;
};

/* Builder: appends to buf (len in/out, cap = WIF_WIRE_MAX + 4 bytes
 * including the frame header, which wif_wire_begin reserves).  Values with
 * '\n' or NUL have them replaced by ' ' (messages are text).  Return 0, or
 * -1 when the message would exceed WIF_WIRE_MAX. */
void wif_wire_begin(char *buf, size_t *len);
int wif_wire_add(char *buf, size_t cap, size_t *len, const char *key,
                 const char *value);
int wif_wire_addf(char *buf, size_t cap, size_t *len, const char *key,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Writes the frame header; returns the total bytes to send. */
size_t wif_wire_end(char *buf, size_t len);

/*
 * How many bytes of buf (have bytes received so far) make the next frame:
 * 0 = need more, > 0 = the frame's total size (header included), -1 = bad
 * length (0 or > WIF_WIRE_MAX).
 */
long wif_wire_frame_size(const unsigned char *buf, size_t have);

/* Parse the payload (after the 4-byte header) in place: newlines become
 * NULs.  Returns 0, or -1 with why set to a short reason. */
int wif_wire_parse(char *payload, size_t len, struct wif_wire_msg *m,
                   const char **why);

/* The value of key, or NULL. */
const char *wif_wire_get(const struct wif_wire_msg *m, const char *key);
/* Parse a decimal int64 field; 0 and *out, or -1 (absent or malformed). */
int wif_wire_get_i64(const struct wif_wire_msg *m, const char *key,
                     int64_t *out);

#endif
