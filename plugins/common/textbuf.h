/*
 * textbuf.h - header-only helpers the bundled plugins share to build request
 * URLs and bodies (plugins link nothing of the core): a growable buffer in
 * host secure memory (requests carry secrets: bearer tokens, client secrets,
 * client assertions), RFC 3986 percent-encoding and JSON string escaping.
 * Every append reports failure once, in tb->failed, so callers check at the
 * end.
 */
#ifndef WIF_PLUGIN_TEXTBUF_H
#define WIF_PLUGIN_TEXTBUF_H

#include <stddef.h>
#include <string.h>

#include <wif/provider.h>

struct textbuf {
	const struct wif_host *h;
	char *p;       /* secure memory, NUL-terminated */
	size_t len, cap;
	int failed;
};

static inline void
tb_init(struct textbuf *tb, const struct wif_host *h)
{
	memset(tb, 0, sizeof(*tb));
	tb->h = h;
}

/* Give up the buffer (the caller frees it with h->secure_free). */
static inline char *
tb_take(struct textbuf *tb)
{
	char *p = tb->failed ? NULL : tb->p;

	if (tb->failed)
		tb->h->secure_free(tb->h, tb->p);
	tb->p = NULL;
	tb->len = tb->cap = 0;
	return p;
}

static inline void
tb_free(struct textbuf *tb)
{
	tb->h->secure_free(tb->h, tb->p);
	tb->p = NULL;
	tb->len = tb->cap = 0;
}

static inline void
tb_addn(struct textbuf *tb, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (tb->failed)
		return;
	if (tb->len + n + 1 > tb->cap) {
		ncap = tb->cap ? tb->cap : 256;
		while (ncap < tb->len + n + 1) {
			if (ncap > ((size_t)1 << 24)) {
				tb->failed = 1;
				return;
			}
			ncap *= 2;
		}
		if ((np = tb->h->secure_alloc(tb->h, ncap)) == NULL) {
			tb->failed = 1;
			return;
		}
		if (tb->p != NULL)
			memcpy(np, tb->p, tb->len);
		tb->h->secure_free(tb->h, tb->p);
		tb->p = np;
		tb->cap = ncap;
	}
	memcpy(tb->p + tb->len, s, n);
	tb->len += n;
	tb->p[tb->len] = '\0';
}

static inline void
tb_add(struct textbuf *tb, const char *s)
{
	tb_addn(tb, s, strlen(s));
}

/* RFC 3986 percent-encoding: everything but the unreserved characters
 * (ALPHA DIGIT - . _ ~) becomes %XX.  Right for a query value and for an
 * application/x-www-form-urlencoded value (RFC 6749 appendix B). */
static inline void
tb_add_pct(struct textbuf *tb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char e[3];

	for (p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '~') {
			tb_addn(tb, (const char *)p, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[*p >> 4];
		e[2] = hex[*p & 15];
		tb_addn(tb, e, 3);
	}
}

/* A JSON string literal, quotes included (RFC 8259 §7). */
static inline void
tb_add_json_str(struct textbuf *tb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	char e[6];

	tb_addn(tb, "\"", 1);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			e[0] = '\\';
			e[1] = (char)*p;
			tb_addn(tb, e, 2);
		} else if (*p < 0x20) {
			memcpy(e, "\\u00", 4);
			e[4] = hex[*p >> 4];
			e[5] = hex[*p & 15];
			tb_addn(tb, e, 6);
		} else {
			tb_addn(tb, (const char *)p, 1);
		}
	}
	tb_addn(tb, "\"", 1);
}

/* 1 when s is a safe single path segment for a URL: [A-Za-z0-9._@-]+,
 * not "." or "..". */
static inline int
tb_segment_ok(const char *s)
{
	const char *p;

	if (s == NULL || *s == '\0' || strcmp(s, ".") == 0 ||
	    strcmp(s, "..") == 0)
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		    *p == '_' || *p == '@'))
			return 0;
	return 1;
}

#endif
