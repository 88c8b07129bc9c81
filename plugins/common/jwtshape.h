/*
 * jwtshape.h - header-only helpers the bundled plugins share (plugins link
 * nothing of the core): whitespace trimming and a cheap "does this look like
 * a compact JWT" check.  The core decodes and checks the token properly;
 * this only lets a plugin say "the file holds something else" in its own
 * words.  Never prints the input.
 */
#ifndef WIF_PLUGIN_JWTSHAPE_H
#define WIF_PLUGIN_JWTSHAPE_H

#include <stddef.h>
#include <string.h>

static inline int
jwtshape_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim in place; returns the new start, *len updated. */
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

/* Three non-empty base64url parts separated by two dots. */
static inline int
jwtshape_ok(const char *s, size_t len)
{
	size_t i, dots = 0, part = 0;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '.') {
			if (part == 0)
				return 0;
			dots++;
			part = 0;
			continue;
		}
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '='))
			return 0;
		part++;
	}
	return dots == 2 && part > 0 && s[0] == 'e' && s[1] == 'y';
}

#endif
