/* http.c - HTTP under the core's policy (libcurl); see http.h. */
#include "config.h"

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

#define MAX_HEADERS 64
#define MAX_HEADER_LINE 8192
#define BACKOFF_CAP_MS 8000

struct response {
	struct wif_http_response pub;   /* first: callers hold &pub */
	size_t cap;                     /* body limit */
	int too_big;
	char *hname[MAX_HEADERS];
	char *hvalue[MAX_HEADERS];
	size_t nheaders;
};

void
wif_http_policy_defaults(struct wif_http_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->timeout_ms = 10000;
	p->connect_timeout_ms = 3000;
	p->max_body = 1024 * 1024;
	p->retries = 3;
	p->backoff_ms = 500;
	p->budget_ms = 30000;
}

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

/* Hosts that may be reached over plain http. */
static int
plain_http_host_ok(const char *host)
{
	static const char *const ok[] = { "localhost", "[::1]", "::1",
	    "169.254.169.254", "[fd00:ec2::254]", "fd00:ec2::254",
	    "metadata.google.internal", NULL };
	size_t i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcasecmp(host, ok[i]) == 0)
			return 1;
	/* 127.0.0.0/8, written as a dotted quad */
	if (strncmp(host, "127.", 4) == 0) {
		unsigned a, b, c, d;
		char tail;
		if (sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 &&
		    a == 127 && b < 256 && c < 256 && d < 256)
			return 1;
	}
	return 0;
}

/* scheme://host[:port] into buf, for messages (never path or query). */
static void
origin_of(const char *url, char *buf, size_t len)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL;

	snprintf(buf, len, "(invalid URL)");
	if (u == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			snprintf(buf, len, "%s://%s:%s", scheme, host, port);
		else
			snprintf(buf, len, "%s://%s", scheme, host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

int
wif_http_url_allowed(const char *url)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *user = NULL;
	int r;

	if (url == NULL)
		return wif_err(WIF_E_POLICY, "no URL");
	if ((u = curl_url()) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		r = wif_err(WIF_E_POLICY, "\"%s\" is not a valid URL", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		r = wif_err(WIF_E_POLICY, "URLs with credentials in them are refused "
		    "(%s://%s)", scheme, host);
		goto out;
	}
	if (strcasecmp(scheme, "https") == 0)
		r = WIF_OK;
	else if (strcasecmp(scheme, "http") == 0 && plain_http_host_ok(host))
		r = WIF_OK;
	else if (strcasecmp(scheme, "http") == 0)
		r = wif_err(WIF_E_POLICY, "plain http to %s is refused: use https "
		    "(http is allowed only to loopback and the link-local metadata "
		    "addresses)", host);
	else
		r = wif_err(WIF_E_POLICY, "scheme %s is not allowed (https only)", scheme);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return r;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct response *rs = arg;
	size_t len = size * n;

	if (rs->pub.body_len + len > rs->cap) {
		rs->too_big = 1;
		return 0; /* aborts the transfer */
	}
	memcpy(rs->pub.body + rs->pub.body_len, data, len);
	rs->pub.body_len += len;
	rs->pub.body[rs->pub.body_len] = '\0';
	return len;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct response *rs = arg;
	size_t len = size * n, nl, vs;
	char *colon;

	if (len > MAX_HEADER_LINE)
		return len; /* ignore absurd lines */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* A new response (e.g. after 100 Continue): forget the headers. */
		while (rs->nheaders > 0) {
			rs->nheaders--;
			free(rs->hname[rs->nheaders]);
			free(rs->hvalue[rs->nheaders]);
		}
		return len;
	}
	if ((colon = memchr(data, ':', len)) == NULL || rs->nheaders >= MAX_HEADERS)
		return len;
	nl = (size_t)(colon - data);
	vs = nl + 1;
	while (vs < len && (data[vs] == ' ' || data[vs] == '\t'))
		vs++;
	while (len > vs && (data[len - 1] == '\r' || data[len - 1] == '\n' ||
	    data[len - 1] == ' '))
		len--;
	rs->hname[rs->nheaders] = strndup(data, nl);
	rs->hvalue[rs->nheaders] = strndup(data + vs, len - vs);
	if (rs->hname[rs->nheaders] == NULL || rs->hvalue[rs->nheaders] == NULL) {
		free(rs->hname[rs->nheaders]);
		free(rs->hvalue[rs->nheaders]);
		return 0;
	}
	rs->nheaders++;
	return size * n;
}

const char *
wif_http_header(const struct wif_http_response *resp, const char *name)
{
	const struct response *rs = (const struct response *)(const void *)resp;
	size_t i;

	if (resp == NULL)
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
	size_t i;

	if (rs == NULL)
		return;
	wif_secmem_free(rs->pub.body);
	for (i = 0; i < rs->nheaders; i++) {
		free(rs->hname[i]);
		free(rs->hvalue[i]);
	}
	free(rs);
}

/* One attempt.  *resp on a transfer that produced a status. */
static int
attempt(const struct wif_http_policy *pol, const struct wif_http_request *req,
        const char *origin, struct response **out)
{
	struct response *rs = NULL;
	struct curl_slist *hdrs = NULL, *tmp;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *c = NULL;
	CURLcode cc;
	long status = 0;
	size_t i;
	int r;

	*out = NULL;
	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	rs->pub.struct_size = sizeof(rs->pub);
	rs->cap = req->max_body ? req->max_body : pol->max_body;
	if ((rs->pub.body = wif_secmem_alloc(rs->cap + 1)) == NULL ||
	    (c = curl_easy_init()) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++) {
		if ((tmp = curl_slist_append(hdrs, req->headers[i])) == NULL) {
			r = wif_err(WIF_E_NOMEM, "out of memory");
			goto out;
		}
		hdrs = tmp;
	}
	if ((tmp = curl_slist_append(hdrs, "Expect:")) != NULL)
		hdrs = tmp;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
	    req->timeout_ms > 0 ? req->timeout_ms : pol->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	    req->connect_timeout_ms > 0 ? req->connect_timeout_ms : pol->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_USERAGENT,
	    pol->user_agent ? pol->user_agent : "wif/" PACKAGE_VERSION);
	if (pol->ca_file != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, pol->ca_file);
	if (req->unix_socket != NULL)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, req->unix_socket);
	if (req->flags & WIF_HTTP_HTTP2)
		curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	if (req->method != NULL && strcmp(req->method, "GET") != 0) {
		if (strcmp(req->method, "POST") == 0)
			curl_easy_setopt(c, CURLOPT_POST, 1L);
		else
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	if (req->body != NULL || (req->method && strcmp(req->method, "POST") == 0)) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	cc = curl_easy_perform(c);
	if (rs->too_big) {
		r = wif_err(WIF_E_TOO_BIG, "%s answered with a body larger than "
		    "%zu bytes", origin, rs->cap);
		goto out;
	}
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		r = wif_err(WIF_E_TIMEOUT, "%s did not answer in time (%s)", origin,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	if (cc != CURLE_OK) {
		r = wif_err(WIF_E_HTTP, "request to %s failed: %s", origin,
		    errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rs->pub.status = status;
	*out = rs;
	rs = NULL; /* transferred */
	r = WIF_OK;
out:
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	wif_http_free(rs ? &rs->pub : NULL);
	return r;
}

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

static int64_t
retry_after_ms(const struct wif_http_response *resp)
{
	const char *v;
	char *end;
	long long n;
	time_t t;

	if ((v = wif_http_header(resp, "retry-after-ms")) != NULL) {
		n = strtoll(v, &end, 10);
		if (end != v && n >= 0)
			return n;
	}
	if ((v = wif_http_header(resp, "retry-after")) != NULL) {
		n = strtoll(v, &end, 10);
		if (end != v && *end == '\0' && n >= 0)
			return n * 1000;
		if ((t = curl_getdate(v, NULL)) > 0)
			return t > time(NULL) ? (int64_t)(t - time(NULL)) * 1000 : 0;
	}
	return -1;
}

int64_t
wif_http_backoff_ms(long base_ms, int n)
{
	int64_t wait = base_ms;
	uint32_t rnd;

	while (n-- > 0 && wait < BACKOFF_CAP_MS)
		wait *= 2;
	if (wait > BACKOFF_CAP_MS)
		wait = BACKOFF_CAP_MS;
	if (wif_random_bytes(&rnd, sizeof(rnd)) == WIF_OK)
		wait += (int64_t)(rnd % 1000) * wait / 4000;
	return wait;
}

static int
status_retryable(long s)
{
	return s == 408 || s == 429 || s >= 500;
}

int
wif_http_request(const struct wif_http_policy *policy,
                 const struct wif_http_request *req,
                 struct wif_http_response **resp)
{
	struct wif_http_policy defaults;
	struct response *rs = NULL;
	char origin[512];
	int64_t start = mono_ms(), wait;
	int n, r;

	*resp = NULL;
	if (policy == NULL) {
		wif_http_policy_defaults(&defaults);
		policy = &defaults;
	}
	if (req == NULL || req->url == NULL)
		return wif_err(WIF_E_INVALID_ARG, "no URL");
	/* The policy check comes before any socket is opened. */
	if ((r = wif_http_url_allowed(req->url)) != WIF_OK)
		return r;
	if ((r = wif_http_global_init()) != WIF_OK)
		return r;
	origin_of(req->url, origin, sizeof(origin));
	for (n = 0;; n++) {
		r = attempt(policy, req, origin, &rs);
		if (!(req->flags & WIF_HTTP_RETRY) || n >= policy->retries)
			break;
		if (r == WIF_OK && !status_retryable(rs->pub.status))
			break;
		if (r != WIF_OK && r != WIF_E_HTTP && r != WIF_E_TIMEOUT)
			break;
		wait = -1;
		if (r == WIF_OK)
			wait = retry_after_ms(&rs->pub);
		if (wait < 0)
			wait = wif_http_backoff_ms(policy->backoff_ms, n);
		if (mono_ms() - start + wait >= policy->budget_ms)
			break;
		wif_http_free(rs ? &rs->pub : NULL);
		rs = NULL;
		wif_sleep_ms(wait);
	}
	if (r == WIF_OK)
		*resp = &rs->pub;
	return r;
}
