/*
 * pb.h - the little protobuf (proto3 wire format) and gRPC framing the
 * spiffe provider needs, header-only so that the fuzz target and the unit
 * test use the very code the plugin does.  Decoding is bounded: lengths are
 * checked against what is left, varints stop at 10 bytes, unknown fields of
 * every wire type are skipped, groups (types 3/4) are refused.  Nothing
 * here allocates.
 *
 *   JWTSVIDRequest  { repeated string audience = 1; string spiffe_id = 2; }
 *   JWTSVIDResponse { repeated JWTSVID svids = 1; }
 *   JWTSVID         { string spiffe_id = 1; string svid = 2; string hint = 3; }
 */
#ifndef WIF_PLUGIN_SPIFFE_PB_H
#define WIF_PLUGIN_SPIFFE_PB_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- encoding --------------------------------------------------------- */

/* Append a varint; returns the new length, or 0 when out of room. */
static inline size_t
pb_put_varint(uint8_t *buf, size_t cap, size_t len, uint64_t v)
{
	do {
		if (len >= cap)
			return 0;
		buf[len++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v != 0);
	return len;
}

/* Append field `field` (wire type 2) holding s; 0 when out of room. */
static inline size_t
pb_put_string(uint8_t *buf, size_t cap, size_t len, unsigned field,
              const char *s)
{
	size_t n = strlen(s);

	if ((len = pb_put_varint(buf, cap, len, ((uint64_t)field << 3) | 2)) == 0 ||
	    (len = pb_put_varint(buf, cap, len, n)) == 0 || cap - len < n)
		return 0;
	memcpy(buf + len, s, n);
	return len + n;
}

/* A gRPC message: 0 (not compressed), 4-byte big-endian length, the
 * JWTSVIDRequest.  Returns the frame length, 0 when it does not fit. */
static inline size_t
pb_jwtsvid_request(uint8_t *buf, size_t cap, const char *audience,
                   const char *spiffe_id)
{
	size_t len = 5, n;

	if (cap < 5 || (len = pb_put_string(buf, cap, len, 1, audience)) == 0)
		return 0;
	if (spiffe_id != NULL && spiffe_id[0] != '\0' &&
	    (len = pb_put_string(buf, cap, len, 2, spiffe_id)) == 0)
		return 0;
	n = len - 5;
	buf[0] = 0;
	buf[1] = (uint8_t)(n >> 24);
	buf[2] = (uint8_t)(n >> 16);
	buf[3] = (uint8_t)(n >> 8);
	buf[4] = (uint8_t)n;
	return len;
}

/* ---- decoding --------------------------------------------------------- */

struct pb_span {
	const uint8_t *p;
	size_t len;
};

/* Read a varint at *pos; -1 on truncation or overlong. */
static inline int
pb_varint(const uint8_t *buf, size_t len, size_t *pos, uint64_t *out)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (*pos < len && shift < 70) {
		uint8_t b = buf[(*pos)++];

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
		shift += 7;
	}
	return -1;
}

/*
 * The next field of the message buf[0..len) at *pos: its number, wire type
 * and, for type 2, its bytes.  1 when one was read, 0 at the end, -1 when
 * the message is malformed.
 */
static inline int
pb_next(const uint8_t *buf, size_t len, size_t *pos, unsigned *field,
        unsigned *type, struct pb_span *bytes)
{
	uint64_t key, v;

	if (*pos >= len)
		return 0;
	if (pb_varint(buf, len, pos, &key) != 0 || (key >> 3) == 0 ||
	    (key >> 3) > 0x1fffffff)
		return -1;
	*field = (unsigned)(key >> 3);
	*type = (unsigned)(key & 7);
	bytes->p = NULL;
	bytes->len = 0;
	switch (*type) {
	case 0:
		return pb_varint(buf, len, pos, &v) == 0 ? 1 : -1;
	case 1:
		if (len - *pos < 8)
			return -1;
		*pos += 8;
		return 1;
	case 5:
		if (len - *pos < 4)
			return -1;
		*pos += 4;
		return 1;
	case 2:
		if (pb_varint(buf, len, pos, &v) != 0 || v > len - *pos)
			return -1;
		bytes->p = buf + *pos;
		bytes->len = (size_t)v;
		*pos += (size_t)v;
		return 1;
	default:
		return -1; /* groups and reserved types */
	}
}

struct pb_svid {
	struct pb_span spiffe_id, svid, hint;
};

/* One JWTSVID message. 0, or -1 when malformed. */
static inline int
pb_svid_parse(const uint8_t *buf, size_t len, struct pb_svid *out)
{
	struct pb_span b;
	unsigned f, t;
	size_t pos = 0;
	int r;

	memset(out, 0, sizeof(*out));
	while ((r = pb_next(buf, len, &pos, &f, &t, &b)) == 1) {
		if (t != 2)
			continue;
		if (f == 1)
			out->spiffe_id = b;
		else if (f == 2)
			out->svid = b;
		else if (f == 3)
			out->hint = b;
	}
	return r;
}

/*
 * Walk the SVIDs of a JWTSVIDResponse message: cb(svid, arg) for each in
 * order until it returns non-zero (that value is returned).  0 when all were
 * seen, -1 when the message is malformed.
 */
static inline int
pb_svids_each(const uint8_t *buf, size_t len,
              int (*cb)(const struct pb_svid *, void *), void *arg)
{
	struct pb_svid s;
	struct pb_span b;
	unsigned f, t;
	size_t pos = 0;
	int r, c;

	while ((r = pb_next(buf, len, &pos, &f, &t, &b)) == 1) {
		if (f != 1 || t != 2)
			continue;
		if (pb_svid_parse(b.p, b.len, &s) != 0)
			return -1;
		if ((c = cb(&s, arg)) != 0)
			return c;
	}
	return r;
}

/*
 * The one gRPC message of a unary response body: flag 0 (compression is
 * not negotiated, so a compressed message is an error) and a 4-byte length
 * that matches the body exactly.  0 with *msg set, or -1.
 */
static inline int
pb_grpc_message(const uint8_t *body, size_t len, struct pb_span *msg)
{
	uint32_t n;

	if (len < 5 || body[0] != 0)
		return -1;
	n = (uint32_t)body[1] << 24 | (uint32_t)body[2] << 16 |
	    (uint32_t)body[3] << 8 | body[4];
	if (n != len - 5)
		return -1;
	msg->p = body + 5;
	msg->len = n;
	return 0;
}

#endif
