/*
 * fakehost.h - drive a built provider plugin with the core's real host
 * services (common/host.c: config key/values, files, JSON, crypto, secure
 * memory, clocks) except HTTP, which is scripted: each http() call records
 * the request and answers the next queued response, so a test sees exactly
 * what a plugin sends and feeds it any answer (or transport error) without
 * a network.  Log lines are captured.  Used by test_idp_plugins.c and the
 * plugin fuzz target; one plugin instance at a time (globals).
 */
#ifndef WIF_TEST_FAKEHOST_H
#define WIF_TEST_FAKEHOST_H

#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#include <wif/provider.h>

#include "err.h"
#include "host.h"
#include "secmem.h"

#define FH_MAX_RESP 8

struct fh_resp {
	int rc;               /* != WIF_OK: a transport error, nothing else */
	long status;
	const char *body;
	size_t body_len;      /* 0: strlen(body) */
	const char *headers;  /* "Name: value\n..." */
};

struct fh_req {
	char method[8];
	char url[4096];
	char headers[4096];   /* "Name: value\n"... */
	char body[8192];
	size_t body_len;
	char ca_file[256];
	char unix_socket[256];
	unsigned flags;
};

struct fh_response {
	struct wif_http_response pub; /* first */
	char headers[1024];
};

static struct {
	struct fh_resp resp[FH_MAX_RESP];
	int n_resp, next;
	struct fh_req req[FH_MAX_RESP];
	int n_req;
	char log[8192];
	struct wif_host *h;
	int64_t clock;                  /* seconds; 0: the real clock */
} FH;

static inline int64_t
fh_now(const struct wif_host *h)
{
	(void)h;
	return FH.clock ? FH.clock : (int64_t)time(NULL);
}

static inline void
fh_reset(void)
{
	if (FH.h != NULL)
		wif_host_free(FH.h);
	memset(&FH, 0, sizeof(FH));
}

static inline void
fh_push(int rc, long status, const char *body, const char *headers)
{
	if (FH.n_resp < FH_MAX_RESP)
		FH.resp[FH.n_resp++] = (struct fh_resp){ rc, status, body,
		    body ? strlen(body) : 0, headers };
}

/* A binary body of len bytes. */
static inline void
fh_push_bin(long status, const void *body, size_t len, const char *headers)
{
	if (FH.n_resp < FH_MAX_RESP)
		FH.resp[FH.n_resp++] = (struct fh_resp){ WIF_OK, status, body,
		    len, headers };
}

static int
fh_http(const struct wif_host *h, const struct wif_http_request *req,
        struct wif_http_response **out)
{
	struct fh_req *rq;
	struct fh_resp *rs;
	struct fh_response *r;
	size_t i, used = 0;

	(void)h;
	*out = NULL;
	if (FH.n_req < FH_MAX_RESP) {
		rq = &FH.req[FH.n_req++];
		snprintf(rq->method, sizeof(rq->method), "%s",
		    req->method ? req->method : "GET");
		snprintf(rq->url, sizeof(rq->url), "%s", req->url);
		for (i = 0; req->headers && req->headers[i]; i++)
			used += (size_t)snprintf(rq->headers + used,
			    used < sizeof(rq->headers) ? sizeof(rq->headers) - used : 0,
			    "%s\n", req->headers[i]);
		rq->body_len = req->body_len < sizeof(rq->body) - 1 ?
		    req->body_len : sizeof(rq->body) - 1;
		if (req->body)
			memcpy(rq->body, req->body, rq->body_len);
		rq->body[rq->body_len] = '\0';
		if (WIF_HAS(struct wif_http_request, req, ca_file) && req->ca_file)
			snprintf(rq->ca_file, sizeof(rq->ca_file), "%s",
			    req->ca_file);
		if (req->unix_socket)
			snprintf(rq->unix_socket, sizeof(rq->unix_socket), "%s",
			    req->unix_socket);
		rq->flags = req->flags;
	}
	if (FH.next >= FH.n_resp)
		return WIF_E_HTTP; /* the test queued nothing more */
	rs = &FH.resp[FH.next++];
	if (rs->rc != WIF_OK)
		return rs->rc;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return WIF_E_NOMEM;
	r->pub.struct_size = sizeof(r->pub);
	r->pub.status = rs->status;
	/* a copy of exactly body_len bytes (NULs included: gRPC bodies) */
	if ((r->pub.body = wif_secmem_alloc(rs->body_len + 1)) != NULL &&
	    rs->body_len > 0)
		memcpy(r->pub.body, rs->body, rs->body_len);
	r->pub.body_len = rs->body_len;
	snprintf(r->headers, sizeof(r->headers), "%s",
	    rs->headers ? rs->headers : "");
	*out = &r->pub;
	return WIF_OK;
}

static const char *
fh_http_header(const struct wif_host *h, const struct wif_http_response *resp,
               const char *name)
{
	const struct fh_response *r = (const struct fh_response *)resp;
	static char vals[8][512]; /* a ring: callers hold several at once */
	static int k;
	char *val = vals[k++ % 8];
	const char *p = r->headers, *nl, *colon;
	size_t n = strlen(name);

	(void)h;
	while (*p) {
		nl = strchr(p, '\n');
		colon = strchr(p, ':');
		if (colon && (!nl || colon < nl) && (size_t)(colon - p) == n &&
		    strncasecmp(p, name, n) == 0) {
			colon++;
			while (*colon == ' ')
				colon++;
			snprintf(val, sizeof(vals[0]), "%.*s", (int)(nl ?
			    (size_t)(nl - colon) : strlen(colon)), colon);
			return val;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

static void
fh_http_free(const struct wif_host *h, struct wif_http_response *resp)
{
	(void)h;
	if (resp == NULL)
		return;
	wif_secmem_free(resp->body);
	free(resp);
}

static void
fh_log(const struct wif_host *h, int level, const char *fmt, ...)
{
	size_t used = strlen(FH.log);
	va_list ap;

	(void)h;
	(void)level;
	va_start(ap, fmt);
	vsnprintf(FH.log + used, sizeof(FH.log) - used, fmt, ap);
	va_end(ap);
	used = strlen(FH.log);
	if (used + 1 < sizeof(FH.log)) {
		FH.log[used] = '\n';
		FH.log[used + 1] = '\0';
	}
}

/* A host for one instance: kv = "key", "value", ..., NULL. */
static inline const struct wif_host *
fh_host(const char *provider, const char *const *kv)
{
	struct wif_host_params p;

	memset(&p, 0, sizeof(p));
	p.provider = provider;
	p.profile = "test";
	p.kv = kv;
	if (FH.h != NULL)
		wif_host_free(FH.h);
	FH.h = NULL;
	if (wif_host_new(&p, &FH.h) != WIF_OK)
		return NULL;
	FH.h->http = fh_http;
	FH.h->http_header = fh_http_header;
	FH.h->http_free = fh_http_free;
	FH.h->log = fh_log;
	FH.h->now = fh_now;
	return FH.h;
}

static inline void
fh_done(void)
{
	if (FH.h != NULL)
		wif_host_free(FH.h);
	FH.h = NULL;
}

/* dlopen $WIF_PLUGIN_BUILD_DIR/<name>.so and get its table. */
static inline const struct wif_provider *
fh_load(const char *name)
{
	union { void *obj; wif_provider_entry_fn fn; } u;
	const char *bd = getenv("WIF_PLUGIN_BUILD_DIR");
	const struct wif_provider *p = NULL;
	char path[PATH_MAX];
	void *dl;

	if (bd == NULL) {
		fprintf(stderr, "WIF_PLUGIN_BUILD_DIR is not set (run through "
		    "make check)\n");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s.so", bd, name);
	if ((dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return NULL;
	}
	u.obj = dlsym(dl, WIF_PROVIDER_ENTRY_SYMBOL);
	if (u.fn == NULL || u.fn(WIF_PROVIDER_ABI_MAJOR, &p) != WIF_OK)
		return NULL;
	return p; /* the handle stays open for the process */
}

static inline void
fh_req_init(struct wif_fetch_request *req)
{
	memset(req, 0, sizeof(*req));
	req->struct_size = sizeof(*req);
	req->abi_major = WIF_PROVIDER_ABI_MAJOR;
	req->abi_minor = WIF_PROVIDER_ABI_MINOR;
	req->profile = "test";
	req->audience = "https://api.anthropic.com";
}

#endif
