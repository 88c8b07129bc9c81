/*
 * jwtshape.h - header-only helpers the bundled plugins share (plugins link
 * nothing of the core): whitespace trimming and a cheap "does this look like
 * a compact JWT" check.  The core decodes and checks the token properly;
 * this only lets a plugin say "the file holds something else" in its own
 * words.  Never prints or logs the input.
 */
#ifndef WIF_PLUGIN_JWTSHAPE_H
#define WIF_PLUGIN_JWTSHAPE_H

#include <stddef.h>
#include <string.h>

#include <wif/provider.h>

static inline int
jwtshape_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* Trim in place; returns the new start, *len updated, NUL-terminated. */
static inline char *
jwtshape_trim(char *s, size_t *len)
{
	size_t n = *len;

	while (n > 0 && jwtshape_space(*s)) {
		s++;
		n--;
	}
	while (n > 0 && jwtshape_space(s[n - 1]))
		n--;
	s[n] = '\0';
	*len = n;
	return s;
}

static inline int
jwtshape_b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * 1 when s is three non-empty unpadded base64url segments separated by two
 * dots (RFC 7515 compact form) whose first segment decodes to a JSON object
 * with a string "alg"; 0 otherwise.  Uses the host's decoder and parser.
 */
static inline int
jwtshape_ok(const struct wif_host *h, const char *s, size_t len)
{
	struct wif_json *doc = NULL;
	const char *alg = NULL;
	uint8_t *hdr = NULL;
	size_t i, dots = 0, part = 0, hdr_len = 0, first = 0;
	int ok = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (part == 0)
				return 0;
			if (dots++ == 0)
				first = i;
			part = 0;
			continue;
		}
		if (!jwtshape_b64url(s[i]))
			return 0;
		part++;
	}
	if (dots != 2 || part == 0)
		return 0;
	if (h->base64url_decode(h, s, first, &hdr, &hdr_len) != WIF_OK)
		return 0;
	/* A pointer lookup succeeds only inside an object. */
	if (hdr_len > 0 &&
	    h->json_parse(h, (const char *)hdr, hdr_len, &doc) == WIF_OK &&
	    h->json_get_string(h, doc, "/alg", &alg) == WIF_OK && alg != NULL &&
	    alg[0] != '\0')
		ok = 1;
	if (doc != NULL)
		h->json_free(h, doc);
	h->secure_free(h, hdr);
	return ok;
}

#endif
