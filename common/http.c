/*
 * http.c - HTTP under the core's policy (libcurl); see http.h.
 *
 * The URL is parsed once with curl's own parser (CURLU), checked against
 * the policy, and that same parsed handle is given to every attempt
 * (CURLOPT_CURLU), so the host that was checked is the host that is
 * contacted.  Nothing touches a socket before the check.
 *
 * policy->ca_file replaces libcurl's CA bundle (CURLOPT_CAINFO) rather
 * than adding to it: it exists for tests and private CAs, where the system
 * bundle is not wanted anyway.
 *
 * Hosts that plain http may reach (loopback, metadata) are never reached
 * through a proxy (CURLOPT_NOPROXY "*"): an http_proxy variable must not
 * carry a metadata request, or a token, off the machine.
 */
#include "config.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "crypto.h"
#include "err.h"
#include "http.h"
#include "secmem.h"

#define MAX_HEADERS 100          /* response headers kept; more are ignored */
#define MAX_HEADER_BYTES (64 * 1024)
#define MAX_REQ_HEADERS 64
#define MAX_REQ_HEADER_LINE 8192
#define MAX_URL 8192
#define BACKOFF_CAP_MS 8000
#define RETRY_AFTER_MAX_MS (3600 * 1000LL)
#define BODY_START 4096
#define MAX_BODY_HARD ((size_t)64 * 1024 * 1024) /* whatever max_body says */

struct response {
	struct wif_http_response pub;   /* first: callers hold &pub */
	size_t cap;                     /* body limit */
	size_t alloc;                   /* bytes allocated at pub.body */
	int too_big;
	int nomem;
	size_t nheaders;
	size_t header_bytes;
	char *hname[MAX_HEADERS];       /* secure memory, like the body */
	char *hvalue[MAX_HEADERS];
};


static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void
global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int
wif_http_global_init(void)
{
	pthread_once(&global_once, global_init);
	return global_rc == CURLE_OK ? WIF_OK :
	    wif_err(WIF_E_HTTP, "libcurl failed to initialise");
}

/* ---- policy ----------------------------------------------------------- */

/* Loopback and the metadata addresses: the hosts plain http may reach. */
static int
local_host(const char *host)
{
	static const uint8_t ec2_v6[16] = { 0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0x02, 0x54 };
	static const uint8_t eks_v6[16] = { 0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0x23 };
	struct in_addr a4;
	struct in6_addr a6;
	char v6[INET6_ADDRSTRLEN + 1];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "metadata.google.internal") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127 ||
		    ntohl(a4.s_addr) == 0xa9fea9feu || /* 169.254.169.254 */
		    ntohl(a4.s_addr) == 0xa9feaa02u || /* 169.254.170.2 (ECS) */
		    ntohl(a4.s_addr) == 0xa9feaa17u;   /* 169.254.170.23 (EKS) */
	/* curl gives IPv6 hosts in brackets (any zone id apart). */
	if (n >= 3 && n - 2 < sizeof(v6) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
		if (inet_pton(AF_INET6, v6, &a6) == 1)
			return memcmp(&a6, &in6addr_loopback, 16) == 0 ||
			    memcmp(&a6, ec2_v6, 16) == 0 ||
			    memcmp(&a6, eks_v6, 16) == 0;
	}
	return 0;
}

struct url_parts {
	CURLU *u;
	int local;                      /* host is loopback or metadata */
	char where[512];                /* scheme://host[:port]/path */
};

/* Parse and check url; fills p (free p->u with curl_url_cleanup). */
static int
check_url(const char *url, struct url_parts *p)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char *user = NULL, *pass = NULL;
	CURLUcode uc;
	int r;

	memset(p, 0, sizeof(*p));
	snprintf(p->where, sizeof(p->where), "(invalid URL)");
	if (url == NULL || url[0] == '\0')
		return wif_err(WIF_E_POLICY, "no URL given");
	if (strnlen(url, MAX_URL + 1) > MAX_URL)
		return wif_err(WIF_E_POLICY, "URL longer than %d bytes", MAX_URL);
	if ((p->u = curl_url()) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	/* The URL itself may carry a secret in its query: never echo it. */
	if ((uc = curl_url_set(p->u, CURLUPART_URL, url, 0)) != CURLUE_OK ||
	    (uc = curl_url_get(p->u, CURLUPART_SCHEME, &scheme, 0)) != CURLUE_OK ||
	    (uc = curl_url_get(p->u, CURLUPART_HOST, &host, 0)) != CURLUE_OK) {
		r = wif_err(WIF_E_POLICY, "the URL is not a valid absolute URL "
		    "(%s)", curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(p->u, CURLUPART_PORT, &port, 0) != CURLUE_OK)
		port = NULL;
	if (curl_url_get(p->u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		path = NULL;
	snprintf(p->where, sizeof(p->where), "%s://%s%s%s%.200s", scheme, host,
	    port ? ":" : "", port ? port : "", path ? path : "/");
	p->local = local_host(host);
	if (curl_url_get(p->u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(p->u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
		r = wif_err(WIF_E_POLICY, "URLs with credentials in them (user@) "
		    "are refused (%s://%s)", scheme, host);
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0)
		r = WIF_OK;
	else if (strcasecmp(scheme, "http") == 0 && p->local)
		r = WIF_OK;
	else if (strcasecmp(scheme, "http") == 0)
		r = wif_err(WIF_E_POLICY, "plain http to %s is refused: use https "
		    "(plain http is allowed only to loopback and the link-local "
		    "metadata addresses)", host);
	else
		r = wif_err(WIF_E_POLICY, "the scheme %.16s of %s is not allowed "
		    "(https, or http to loopback)", scheme, host);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(user);
	curl_free(pass);
	if (r != WIF_OK) {
		curl_url_cleanup(p->u);
		p->u = NULL;
	}
	return r;
}

int
wif_http_url_allowed(const char *url)
{
	struct url_parts p;
	int r;

	r = check_url(url, &p);
	curl_url_cleanup(p.u);
	return r;
}

/* ---- the response ----------------------------------------------------- */

/* Grows in secure memory (copy, then wipe the old block) up to cap + 1. */
static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct response *rs = arg;
	size_t len = size * n, want, sz;
	char *nb;

	if (len > rs->cap || rs->pub.body_len > rs->cap - len) {
		rs->too_big = 1;
		return 0; /* aborts the transfer */
	}
	want = rs->pub.body_len + len + 1;
	if (want > rs->alloc) {
		for (sz = rs->alloc < BODY_START ? BODY_START : rs->alloc;
		    sz < want; sz *= 2)
			;
		if (sz > rs->cap + 1)
			sz = rs->cap + 1;
		if ((nb = wif_secmem_alloc(sz)) == NULL) {
			rs->nomem = 1;
			return 0;
		}
		memcpy(nb, rs->pub.body, rs->pub.body_len);
		wif_secmem_free(rs->pub.body);
		rs->pub.body = nb;
		rs->alloc = sz;
	}
	memcpy(rs->pub.body + rs->pub.body_len, data, len);
	rs->pub.body_len += len;
	rs->pub.body[rs->pub.body_len] = '\0';
	return len;
}

static void
clear_headers(struct response *rs)
{
	while (rs->nheaders > 0) {
		rs->nheaders--;
		wif_secmem_free(rs->hname[rs->nheaders]);
		wif_secmem_free(rs->hvalue[rs->nheaders]);
	}
	rs->header_bytes = 0;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct response *rs = arg;
	size_t len = size * n, nl, vs;
	char *colon;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 1xx): forget the headers. */
		clear_headers(rs);
		return size * n;
	}
	/* Beyond the caps, and obsolete folded lines, are ignored. */
	if (len == 0 || data[0] == ' ' || data[0] == '\t' ||
	    rs->nheaders >= MAX_HEADERS || rs->header_bytes + len > MAX_HEADER_BYTES ||
	    (colon = memchr(data, ':', len)) == NULL || colon == data)
		return size * n;
	nl = (size_t)(colon - data);
	vs = nl + 1;
	while (vs < len && (data[vs] == ' ' || data[vs] == '\t'))
		vs++;
	while (len > vs && (data[len - 1] == '\r' || data[len - 1] == '\n' ||
	    data[len - 1] == ' ' || data[len - 1] == '\t'))
		len--;
	rs->hname[rs->nheaders] = wif_secmem_strndup(data, nl);
	rs->hvalue[rs->nheaders] = wif_secmem_strndup(data + vs, len - vs);
	if (rs->hname[rs->nheaders] == NULL || rs->hvalue[rs->nheaders] == NULL) {
		wif_secmem_free(rs->hname[rs->nheaders]);
		wif_secmem_free(rs->hvalue[rs->nheaders]);
		rs->nomem = 1;
		return 0;
	}
	rs->nheaders++;
	rs->header_bytes += size * n;
	return size * n;
}

const char *
wif_http_header(const struct wif_http_response *resp, const char *name)
{
	const struct response *rs = (const struct response *)(const void *)resp;
	size_t i;

	if (resp == NULL || name == NULL)
		return NULL;
	for (i = rs->nheaders; i > 0; i--)
		if (strcasecmp(rs->hname[i - 1], name) == 0)
			return rs->hvalue[i - 1];
	return NULL;
}

void
wif_http_free(struct wif_http_response *resp)
{
	struct response *rs = (struct response *)(void *)resp;

	if (rs == NULL)
		return;
	wif_secmem_free(rs->pub.body);
	clear_headers(rs);
	free(rs);
}

/* ---- one attempt ------------------------------------------------------ */

static int
check_request(const struct wif_http_request *req, struct curl_slist **out)
{
	struct curl_slist *hdrs = NULL, *tmp;
	const char *h;
	size_t i, len;

	*out = NULL;
	if (req->method != NULL && strcmp(req->method, "GET") != 0 &&
	    strcmp(req->method, "POST") != 0 && strcmp(req->method, "PUT") != 0)
		return wif_err(WIF_E_INVALID_ARG, "HTTP method \"%.16s\" is not "
		    "supported (GET, POST, PUT)", req->method);
	if (req->body == NULL && req->body_len > 0)
		return wif_err(WIF_E_INVALID_ARG, "HTTP body length without a body");
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		h = req->headers[i];
		len = strnlen(h, MAX_REQ_HEADER_LINE + 1);
		/* Never echo a header: it may be an Authorization. */
		if (i >= MAX_REQ_HEADERS || len > MAX_REQ_HEADER_LINE ||
		    strcspn(h, "\r\n") != len || strchr(h, ':') == NULL ||
		    h[0] == ':') {
			curl_slist_free_all(hdrs);
			return wif_err(WIF_E_INVALID_ARG, "HTTP request header %zu "
			    "is malformed (at most %d lines of \"Name: value\", "
			    "%d bytes each, no line breaks)", i, MAX_REQ_HEADERS,
			    MAX_REQ_HEADER_LINE);
		}
		if ((tmp = curl_slist_append(hdrs, h)) == NULL) {
			curl_slist_free_all(hdrs);
			return wif_err(WIF_E_NOMEM, "out of memory");
		}
		hdrs = tmp;
	}
	/* No 100-continue round trip (and its 1 s stall) for a POST. */
	if ((tmp = curl_slist_append(hdrs, "Expect:")) == NULL) {
		curl_slist_free_all(hdrs);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	*out = tmp;
	return WIF_OK;
}

static int
transient_error(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:   /* also a reset during the handshake */
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

struct attempt {
	const struct wif_http_policy *pol;
	const struct wif_http_request *req;
	const struct url_parts *url;
	struct curl_slist *hdrs;
	size_t cap;
	long timeout_ms;
	long connect_timeout_ms;
};

/* One transfer.  *out when a status arrived; *transient for a network
 * failure worth retrying. */
static int
attempt(const struct attempt *a, struct response **out, int *transient)
{
	const struct wif_http_request *req = a->req;
	struct response *rs = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	int r, post = req->method != NULL && strcmp(req->method, "POST") == 0;
	/* The request's own CA (minor 2) wins over the policy's. */
	const char *ca_file = WIF_HAS(struct wif_http_request, req, ca_file) &&
	    req->ca_file != NULL ? req->ca_file : a->pol->ca_file;

	*out = NULL;
	*transient = 0;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	rs->pub.struct_size = sizeof(rs->pub);
	rs->cap = a->cap;
	rs->alloc = 1;
	if ((rs->pub.body = wif_secmem_alloc(1)) == NULL ||
	    (c = curl_easy_init()) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if (curl_easy_setopt(c, CURLOPT_CURLU, a->url->u) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, a->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    a->connect_timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)a->cap) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, a->pol->user_agent ?
	    a->pol->user_agent : "wif/" PACKAGE_VERSION) != CURLE_OK ||
	    (ca_file != NULL &&
	    curl_easy_setopt(c, CURLOPT_CAINFO, ca_file) != CURLE_OK) ||
	    (req->unix_socket != NULL && curl_easy_setopt(c,
	    CURLOPT_UNIX_SOCKET_PATH, req->unix_socket) != CURLE_OK) ||
	    (a->url->local &&
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") != CURLE_OK) ||
	    ((req->flags & WIF_HTTP_HTTP2) && curl_easy_setopt(c,
	    CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE) !=
	    CURLE_OK)) {
		r = wif_err(WIF_E_HTTP, "libcurl lacks a required option for "
		    "%s (HTTP/2 or Unix sockets not built in?)", a->url->where);
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, a->hdrs);
	if (post)
		curl_easy_setopt(c, CURLOPT_POST, 1L);
	else if (req->method != NULL && strcmp(req->method, "PUT") == 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	if (req->body != NULL || post) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
	}
	cc = curl_easy_perform(c);
	if (rs->too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		r = wif_err(WIF_E_TOO_BIG, "%s answered with a body larger than "
		    "%zu bytes", a->url->where, rs->cap);
		goto out;
	}
	if (rs->nomem) {
		r = wif_err(WIF_E_NOMEM, "out of memory reading the answer of %s",
		    a->url->where);
		goto out;
	}
	if (cc != CURLE_OK) {
		*transient = transient_error(cc);
		r = wif_err(cc == CURLE_OPERATION_TIMEDOUT ? WIF_E_TIMEOUT :
		    WIF_E_HTTP, "request to %s%s%s failed: %s", a->url->where,
		    req->unix_socket ? " through " : "",
		    req->unix_socket ? req->unix_socket : "",
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rs->pub.status = status;
	*out = rs;
	rs = NULL; /* transferred */
	r = WIF_OK;
out:
	if (c != NULL)
		curl_easy_cleanup(c);
	wif_http_free(rs ? &rs->pub : NULL);
	return r;
}

/* ---- retries ---------------------------------------------------------- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
wif_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Non-negative decimal "123" or "123.45" (milliseconds may be fractional);
 * -1 when v is anything else. */
static int64_t
parse_decimal(const char *v, int64_t scale)
{
	int64_t n = 0;
	const char *p = v;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((n = n * 10 + (*p - '0')) > RETRY_AFTER_MAX_MS)
			n = RETRY_AFTER_MAX_MS;
	if (*p == '.' && scale == 1)
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
		return -1;
	n *= scale;
	return n > RETRY_AFTER_MAX_MS ? RETRY_AFTER_MAX_MS : n;
}

/* The server's wish (retry-after-ms, Retry-After seconds or HTTP-date) in
 * ms, or -1 when it has none. */
static int64_t
retry_after_ms(const struct wif_http_response *resp)
{
	const char *v;
	int64_t ms;
	time_t t, now;

	if ((v = wif_http_header(resp, "retry-after-ms")) != NULL &&
	    (ms = parse_decimal(v, 1)) >= 0)
		return ms;
	if ((v = wif_http_header(resp, "retry-after")) == NULL)
		return -1;
	if ((ms = parse_decimal(v, 1000)) >= 0)
		return ms;
	if ((t = curl_getdate(v, NULL)) > 0) {
		now = time(NULL);
		if (t <= now)
			return 0;
		if ((int64_t)(t - now) > RETRY_AFTER_MAX_MS / 1000)
			return RETRY_AFTER_MAX_MS;
		return (int64_t)(t - now) * 1000;
	}
	return -1;
}

int64_t
wif_http_backoff_ms(long base_ms, int n)
{
	int64_t wait = base_ms;
	uint32_t rnd;

	if (wait <= 0)
		return 0;
	if (wait > BACKOFF_CAP_MS)
		wait = BACKOFF_CAP_MS;
	while (n-- > 0 && wait < BACKOFF_CAP_MS)
		wait *= 2;
	if (wait > BACKOFF_CAP_MS)
		wait = BACKOFF_CAP_MS;
	if (wif_random_bytes(&rnd, sizeof(rnd)) == WIF_OK)
		wait += (int64_t)(rnd % 1001) * wait / 4000;
	return wait;
}

static int
status_retryable(long s)
{
	return s == 408 || s == 429 || (s >= 500 && s <= 599);
}

static long
pick(long req, long pol, long def)
{
	return req > 0 ? req : pol > 0 ? pol : def;
}

int
wif_http_request(const struct wif_http_policy *policy,
                 const struct wif_http_request *req,
                 struct wif_http_response **resp)
{
	struct wif_http_policy defaults;
	struct url_parts url;
	struct attempt a;
	struct response *rs = NULL;
	int64_t start = mono_ms(), wait, left;
	int n, r, transient, retry;

	*resp = NULL;
	memset(&url, 0, sizeof(url));
	memset(&a, 0, sizeof(a));
	wif_http_policy_defaults(&defaults);
	if (policy == NULL)
		policy = &defaults;
	if (req == NULL || !WIF_HAS(struct wif_http_request, req, flags))
		return wif_err(WIF_E_ABI, "HTTP request table missing or too "
		    "short (struct_size)");
	/* The policy check comes before anything can open a socket. */
	if ((r = check_url(req->url, &url)) != WIF_OK)
		goto out;
	if ((r = check_request(req, &a.hdrs)) != WIF_OK ||
	    (r = wif_http_global_init()) != WIF_OK)
		goto out;
	a.pol = policy;
	a.req = req;
	a.url = &url;
	a.cap = req->max_body > 0 ? req->max_body : policy->max_body > 0 ?
	    policy->max_body : defaults.max_body;
	if (a.cap > MAX_BODY_HARD)
		a.cap = MAX_BODY_HARD;
	a.connect_timeout_ms = pick(req->connect_timeout_ms,
	    policy->connect_timeout_ms, defaults.connect_timeout_ms);
	retry = (req->flags & WIF_HTTP_RETRY) != 0;
	for (n = 0;; n++) {
		a.timeout_ms = pick(req->timeout_ms, policy->timeout_ms,
		    defaults.timeout_ms);
		/* Retries never stretch the whole beyond the budget. */
		if (retry) {
			left = policy->budget_ms - (mono_ms() - start);
			if (left < a.timeout_ms)
				a.timeout_ms = left > 1 ? (long)left : 1;
		}
		r = attempt(&a, &rs, &transient);
		if (!retry || n >= policy->retries)
			break;
		if (r == WIF_OK && !status_retryable(rs->pub.status))
			break;
		if (r != WIF_OK && !transient)
			break;
		wait = r == WIF_OK ? retry_after_ms(&rs->pub) : -1;
		if (wait < 0)
			wait = wif_http_backoff_ms(policy->backoff_ms, n);
		/* A wait past the budget returns what we have: the caller
		 * decides (and may tell the user when to come back). */
		if (mono_ms() - start + wait >= policy->budget_ms)
			break;
		wif_http_free(rs ? &rs->pub : NULL);
		rs = NULL;
		wif_sleep_ms(wait);
	}
	if (r != WIF_OK && n > 0)
		wif_err_prefix(r, "after %d attempts", n + 1);
	if (r == WIF_OK) {
		*resp = &rs->pub;
		rs = NULL; /* transferred */
	}
out:
	wif_http_free(rs ? &rs->pub : NULL);
	curl_slist_free_all(a.hdrs);
	curl_url_cleanup(url.u);
	return r;
}
