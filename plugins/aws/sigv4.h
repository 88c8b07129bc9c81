/*
 * sigv4.h - AWS Signature Version 4 (header form), header-only so that the
 * differential test against botocore (tests/unit/sigv4_cases.c +
 * tests/integration/sigv4_botocore.py) signs with the very code the aws
 * provider does.  Canonicalization follows botocore's SigV4Auth exactly
 * (the reference the test compares with):
 *   - the path has its dot segments and empty segments removed, then every
 *     byte but A-Z a-z 0-9 _ . - ~ / is percent-encoded (so a '%' already
 *     in the path is encoded again, as botocore does);
 *   - the query's pairs are taken as they are in the URL (split on '&',
 *     then on the first '='), sorted by key then value, joined "k=v";
 *   - header names are lower-cased; expect, user-agent and x-amzn-trace-id
 *     are not signed; host is derived from the URL when not given (lower
 *     case, without a default port); values have their whitespace runs
 *     collapsed to one space and trimmed; repeated names are joined by ',';
 *   - the payload hash is the SHA-256 of the body.
 * The caller passes the X-Amz-Date (and X-Amz-Security-Token) headers it
 * sends; everything is built in host secure memory (it holds the token and
 * the key derivation).
 */
#ifndef WIF_PLUGIN_SIGV4_H
#define WIF_PLUGIN_SIGV4_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wif/provider.h>

#include "../common/textbuf.h"

struct sigv4 {
	const char *method;            /* "POST" */
	const char *url;               /* scheme://host[:port]/path[?query] */
	const char *const *headers;    /* "Name: value", NULL-terminated */
	const void *body;
	size_t body_len;
	const char *region, *service;
	const char *amz_date;          /* YYYYMMDDTHHMMSSZ, as in X-Amz-Date */
	const char *akid, *secret;
};

struct sigv4_hdr {
	char name[64];
	const char *value;             /* into the caller's header string */
	size_t value_len;
	size_t order;                  /* first appearance, for a stable sort */
};

static inline int
sigv4_hdr_cmp(const void *a, const void *b)
{
	const struct sigv4_hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct sigv4_pair {
	const char *k, *v;
	size_t kl, vl;
};

static inline int
sigv4_pair_cmp(const void *a, const void *b)
{
	const struct sigv4_pair *x = a, *y = b;
	size_t n = x->kl < y->kl ? x->kl : y->kl;
	int c = memcmp(x->k, y->k, n);

	if (c != 0)
		return c;
	if (x->kl != y->kl)
		return x->kl < y->kl ? -1 : 1;
	n = x->vl < y->vl ? x->vl : y->vl;
	c = memcmp(x->v, y->v, n);
	if (c != 0)
		return c;
	return x->vl < y->vl ? -1 : x->vl > y->vl;
}

static inline int
sigv4_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	    c == '\f';
}

/* The path of the canonical request (botocore's _normalize_url_path). */
static inline void
sigv4_path(struct textbuf *cr, const char *path, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	struct textbuf tmp;
	size_t i = 0, start, n, seg = 0, segs[256], segl[256];
	char e[3];
	int lead = len > 0 && path[0] == '/';
	int trail = len > 0 && path[len - 1] == '/';

	if (len == 0) {
		tb_add(cr, "/");
		return;
	}
	/* remove "." and empty segments, ".." pops */
	while (i <= len) {
		start = i;
		while (i < len && path[i] != '/')
			i++;
		n = i - start;
		if (n == 0 || (n == 1 && path[start] == '.')) {
			/* skip */
		} else if (n == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (seg > 0)
				seg--;
		} else if (seg < 256) {
			segs[seg] = start;
			segl[seg] = n;
			seg++;
		} else {
			cr->failed = 1; /* a path no STS URL has: refuse to sign */
			return;
		}
		i++;
	}
	tb_init(&tmp, cr->h);
	if (lead)
		tb_addn(&tmp, "/", 1);
	for (i = 0; i < seg; i++) {
		if (i > 0)
			tb_addn(&tmp, "/", 1);
		tb_addn(&tmp, path + segs[i], segl[i]);
	}
	if (trail && seg > 0)
		tb_addn(&tmp, "/", 1);
	for (i = 0; i < tmp.len; i++) {
		unsigned char c = (unsigned char)tmp.p[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
		    c == '~' || c == '/') {
			tb_addn(cr, (const char *)&tmp.p[i], 1);
		} else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			tb_addn(cr, e, 3);
		}
	}
	if (tmp.len == 0)
		tb_add(cr, "");
	tb_free(&tmp);
}

/*
 * The Authorization header value into *authz ("AWS4-HMAC-SHA256
 * Credential=..., SignedHeaders=..., Signature=..."), secure memory.
 * WIF_E_INVALID_ARG for a URL or header it cannot canonicalize.
 */
static inline int
sigv4_sign(const struct wif_host *h, const struct sigv4 *s, char **authz)
{
	struct sigv4_hdr hd[40];
	struct sigv4_pair qp[64];
	struct textbuf cr, sts, key, out, hosthdr;
	const char *u = s->url, *auth, *path, *q = NULL, *end, *p, *colon, *v;
	size_t nh = 0, nq = 0, i, j, alen, plen = 0, qlen = 0;
	uint8_t digest[32], k1[32], k2[32];
	char hex[65], date[9], *scope_date = date;
	int https, have_host = 0, r = WIF_E_INVALID_ARG;

	*authz = NULL;
	if (strncmp(u, "https://", 8) == 0) {
		https = 1;
		auth = u + 8;
	} else if (strncmp(u, "http://", 7) == 0) {
		https = 0;
		auth = u + 7;
	} else
		return WIF_E_INVALID_ARG;
	alen = strcspn(auth, "/?#");
	path = auth + alen;
	if (*path == '/') {
		plen = strcspn(path, "?#");
	}
	p = path + plen;
	if (*p == '?') {
		q = p + 1;
		qlen = strcspn(q, "#");
	}
	if (strlen(s->amz_date) != 16)
		return WIF_E_INVALID_ARG;
	memcpy(date, s->amz_date, 8);
	date[8] = '\0';

	tb_init(&cr, h);
	tb_init(&sts, h);
	tb_init(&key, h);
	tb_init(&out, h);
	tb_init(&hosthdr, h);
	/* host from the URL: no userinfo, lower case, no default port */
	{
		const char *hp = auth, *at = memchr(auth, '@', alen), *pe;
		size_t hl;
		long port = -1;

		if (at != NULL)
			hp = at + 1;
		hl = (size_t)(auth + alen - hp);
		if (hl > 0 && hp[0] == '[') {
			pe = memchr(hp, ']', hl);
			if (pe == NULL)
				goto out;
			colon = pe + 1 < hp + hl && pe[1] == ':' ? pe + 1 : NULL;
		} else
			colon = memchr(hp, ':', hl);
		if (colon != NULL) {
			port = strtol(colon + 1, NULL, 10);
			hl = (size_t)(colon - hp);
		}
		for (i = 0; i < hl; i++) {
			char c = hp[i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			tb_addn(&hosthdr, &c, 1);
		}
		if (port >= 0 && port != (https ? 443 : 80)) {
			char pb[16];

			snprintf(pb, sizeof(pb), ":%ld", port);
			tb_add(&hosthdr, pb);
		}
		if (hosthdr.failed)
			goto out;
	}
	/* headers */
	for (i = 0; s->headers != NULL && s->headers[i] != NULL; i++) {
		const char *hline = s->headers[i];

		if ((colon = strchr(hline, ':')) == NULL ||
		    (size_t)(colon - hline) >= sizeof(hd[0].name) || nh >= 39)
			goto out;
		for (j = 0; hline + j < colon; j++) {
			char c = hline[j];

			hd[nh].name[j] = (char)(c >= 'A' && c <= 'Z' ?
			    c - 'A' + 'a' : c);
		}
		hd[nh].name[j] = '\0';
		/* trailing whitespace of the name is not part of it */
		while (j > 0 && sigv4_ws(hd[nh].name[j - 1]))
			hd[nh].name[--j] = '\0';
		if (strcmp(hd[nh].name, "expect") == 0 ||
		    strcmp(hd[nh].name, "user-agent") == 0 ||
		    strcmp(hd[nh].name, "x-amzn-trace-id") == 0)
			continue;
		if (strcmp(hd[nh].name, "host") == 0)
			have_host = 1;
		hd[nh].value = colon + 1;
		hd[nh].value_len = strlen(colon + 1);
		hd[nh].order = nh;
		nh++;
	}
	if (!have_host) {
		snprintf(hd[nh].name, sizeof(hd[nh].name), "host");
		hd[nh].value = hosthdr.p;
		hd[nh].value_len = hosthdr.len;
		hd[nh].order = nh;
		nh++;
	}
	qsort(hd, nh, sizeof(hd[0]), sigv4_hdr_cmp);
	/* query pairs */
	for (p = q, end = q ? q + qlen : NULL; q != NULL && qlen > 0 && p <= end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pe = amp ? amp : end, *eq;

		if (nq >= 64)
			goto out;
		eq = memchr(p, '=', (size_t)(pe - p));
		qp[nq].k = p;
		qp[nq].kl = (size_t)((eq ? eq : pe) - p);
		qp[nq].v = eq ? eq + 1 : pe;
		qp[nq].vl = eq ? (size_t)(pe - eq - 1) : 0;
		nq++;
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	qsort(qp, nq, sizeof(qp[0]), sigv4_pair_cmp);

	/* the canonical request */
	for (p = s->method; *p; p++) {
		char c = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;

		tb_addn(&cr, &c, 1);
	}
	tb_add(&cr, "\n");
	sigv4_path(&cr, path, plen);
	tb_add(&cr, "\n");
	for (i = 0; i < nq; i++) {
		if (i > 0)
			tb_add(&cr, "&");
		tb_addn(&cr, qp[i].k, qp[i].kl);
		tb_add(&cr, "=");
		tb_addn(&cr, qp[i].v, qp[i].vl);
	}
	tb_add(&cr, "\n");
	for (i = 0; i < nh; i++) {
		if (i == 0 || strcmp(hd[i].name, hd[i - 1].name) != 0) {
			if (i > 0)
				tb_add(&cr, "\n");
			tb_add(&cr, hd[i].name);
			tb_add(&cr, ":");
		} else
			tb_add(&cr, ",");
		/* whitespace runs to one space, trimmed */
		{
			const char *vv = hd[i].value, *ve = vv + hd[i].value_len;
			int need_space = 0, any = 0;

			for (; vv < ve; vv++) {
				if (sigv4_ws(*vv)) {
					need_space = any;
					continue;
				}
				if (need_space)
					tb_add(&cr, " ");
				need_space = 0;
				any = 1;
				tb_addn(&cr, vv, 1);
			}
		}
	}
	tb_add(&cr, "\n\n");
	for (i = 0; i < nh; i++) {
		if (i > 0 && strcmp(hd[i].name, hd[i - 1].name) == 0)
			continue;
		if (i > 0)
			tb_add(&out, ";");
		tb_add(&out, hd[i].name);
	}
	tb_add(&cr, out.p ? out.p : "");
	tb_add(&cr, "\n");
	if (h->sha256(h, s->body ? s->body : "", s->body_len, digest) != WIF_OK)
		goto out;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	tb_add(&cr, hex);
	if (cr.failed || out.failed)
		goto out;
	/* the string to sign */
	if (h->sha256(h, cr.p, cr.len, digest) != WIF_OK)
		goto out;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	tb_add(&sts, "AWS4-HMAC-SHA256\n");
	tb_add(&sts, s->amz_date);
	tb_add(&sts, "\n");
	tb_add(&sts, scope_date);
	tb_add(&sts, "/");
	tb_add(&sts, s->region);
	tb_add(&sts, "/");
	tb_add(&sts, s->service);
	tb_add(&sts, "/aws4_request\n");
	tb_add(&sts, hex);
	/* the signing key: HMAC chain from "AWS4" + secret */
	tb_add(&key, "AWS4");
	tb_add(&key, s->secret);
	if (sts.failed || key.failed ||
	    h->hmac_sha256(h, key.p, key.len, scope_date, 8, k1) != WIF_OK ||
	    h->hmac_sha256(h, k1, 32, s->region, strlen(s->region), k2) != WIF_OK ||
	    h->hmac_sha256(h, k2, 32, s->service, strlen(s->service), k1) != WIF_OK ||
	    h->hmac_sha256(h, k1, 32, "aws4_request", 12, k2) != WIF_OK ||
	    h->hmac_sha256(h, k2, 32, sts.p, sts.len, digest) != WIF_OK)
		goto out;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	{
		struct textbuf a;

		tb_init(&a, h);
		tb_add(&a, "AWS4-HMAC-SHA256 Credential=");
		tb_add(&a, s->akid);
		tb_add(&a, "/");
		tb_add(&a, scope_date);
		tb_add(&a, "/");
		tb_add(&a, s->region);
		tb_add(&a, "/");
		tb_add(&a, s->service);
		tb_add(&a, "/aws4_request, SignedHeaders=");
		tb_add(&a, out.p);
		tb_add(&a, ", Signature=");
		tb_add(&a, hex);
		if ((*authz = tb_take(&a)) == NULL) {
			r = WIF_E_NOMEM;
			goto out;
		}
	}
	r = WIF_OK;
out:
	memset(k1, 0, sizeof(k1));
	memset(k2, 0, sizeof(k2));
	(void)v;
	tb_free(&cr);
	tb_free(&sts);
	tb_free(&key);
	tb_free(&out);
	tb_free(&hosthdr);
	return r;
}

#endif
