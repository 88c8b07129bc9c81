/*
 * k8s.c - the `k8s` provider: a Kubernetes service-account token.
 *
 * mode "file" (the default): the projected service-account token kubelet
 * writes into the pod (PROTOCOL.md §7.5), re-read on every fetch.  kubelet
 * rotates it at 80 % of its expirationSeconds, and assertions are
 * single-use, so when the file still holds the JWT this profile exchanged
 * last (req->last_sha256) the fetch waits for the rotation - inotify on the
 * token's directory, where kubelet swaps the ..data symlink - for at most
 * rotation_wait seconds and the request's deadline, while the core keeps
 * serving the cached token; describe() says so in `wif status`.  A token
 * whose aud lacks the expected audience (e.g. the default API-server token)
 * is still returned but logged as a warning, once per token.
 *
 * mode "token_request": a fresh JWT per fetch from the API server's
 * TokenRequest API (POST /api/v1/namespaces/{ns}/serviceaccounts/{sa}/token
 * with spec.audiences and spec.expirationSeconds), authenticated with the
 * pod's own service-account token and verified against the cluster CA (ABI
 * 1.2 ca_file).  The clean answer to single-use assertions: no waiting for
 * rotation.  The service account needs RBAC "create" on
 * serviceaccounts/token for itself.
 *
 * Thread-safe (WIF_PROVIDER_THREAD_SAFE): a fetch may wait, and `wif status`
 * must still be able to call describe() meanwhile; the little shared state
 * is under a mutex.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"
#include "../common/textbuf.h"

#define ANTHROPIC_AUDIENCE "https://api.anthropic.com"
#define DEFAULT_TOKEN_FILE "/var/run/secrets/anthropic.com/token"
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define TOKEN_MAX 16384

enum mode { MODE_FILE, MODE_TOKEN_REQUEST };

struct k8s_state {
	const struct wif_host *h;
	enum mode mode;
	const char *audience;        /* borrowed config values, or NULL */
	const char *token_file;
	int64_t rotation_wait;       /* seconds */
	const char *api_server;
	const char *ca_file;
	const char *bearer_file;
	const char *namespace_;
	const char *namespace_file;
	const char *service_account;
	int64_t expiration;

	pthread_mutex_t mu;          /* the fields below */
	int waiting;                 /* a fetch waits for rotation */
	int64_t waiting_since;
	uint8_t warned[32];          /* the token last warned about (aud) */
	char last_note[160];
};

static int
k8s_init(const struct wif_host *h, void **state)
{
	struct k8s_state *st;
	const char *mode = NULL, *aud = NULL, *tf = NULL, *api = NULL;
	const char *ca = NULL, *bearer = NULL, *ns = NULL, *sa = NULL;
	int64_t wait = 60, exp = 600;
	enum mode m = MODE_FILE;

	*state = NULL;
	h->config_string(h, "mode", &mode);
	h->config_string(h, "audience", &aud);
	h->config_string(h, "token_file", &tf);
	h->config_int(h, "rotation_wait", &wait);
	h->config_string(h, "api_server", &api);
	h->config_string(h, "ca_file", &ca);
	h->config_string(h, "bearer_token_file", &bearer);
	h->config_string(h, "namespace", &ns);
	h->config_string(h, "service_account", &sa);
	h->config_int(h, "expiration_seconds", &exp);
	if (mode != NULL && strcmp(mode, "token_request") == 0)
		m = MODE_TOKEN_REQUEST;
	else if (mode != NULL && strcmp(mode, "file") != 0) {
		h->set_error(h, "mode \"%s\" must be \"file\" (a projected "
		    "token volume, the default) or \"token_request\" (a fresh "
		    "token per exchange from the API server)", mode);
		return WIF_E_CONFIG;
	}
	if (aud != NULL && aud[0] == '\0') {
		h->set_error(h, "audience must not be empty (leave it out for "
		    "\"%s\")", ANTHROPIC_AUDIENCE);
		return WIF_E_CONFIG;
	}
	if (m == MODE_FILE && (api || ca || bearer || ns || sa ||
	    h->config_int(h, "expiration_seconds", &exp) == WIF_OK)) {
		h->set_error(h, "api_server, ca_file, bearer_token_file, "
		    "namespace, service_account and expiration_seconds apply to "
		    "mode = \"token_request\" only");
		return WIF_E_CONFIG;
	}
	if (m == MODE_TOKEN_REQUEST && (tf != NULL ||
	    h->config_int(h, "rotation_wait", &wait) == WIF_OK)) {
		h->set_error(h, "token_file and rotation_wait apply to mode = "
		    "\"file\" only");
		return WIF_E_CONFIG;
	}
	if (wait < 0 || wait > 3600) {
		h->set_error(h, "rotation_wait %lld must be between 0 and 3600 "
		    "seconds", (long long)wait);
		return WIF_E_CONFIG;
	}
	if (exp < 600 || exp > 86400) {
		h->set_error(h, "expiration_seconds %lld must be between 600 "
		    "(the API server's minimum) and 86400; keep it within the "
		    "federation issuer's maximum JWT lifetime (3600 by default)",
		    (long long)exp);
		return WIF_E_CONFIG;
	}
	if (api != NULL && strncmp(api, "https://", 8) != 0) {
		h->set_error(h, "api_server \"%s\" must be an https:// URL", api);
		return WIF_E_CONFIG;
	}
	if ((ns != NULL && !tb_segment_ok(ns)) ||
	    (sa != NULL && !tb_segment_ok(sa))) {
		h->set_error(h, "namespace and service_account must be "
		    "Kubernetes names (letters, digits, '-', '.')");
		return WIF_E_CONFIG;
	}
	if (m == MODE_TOKEN_REQUEST && h->abi_minor < 2) {
		h->set_error(h, "mode = \"token_request\" needs a wif core with "
		    "provider ABI 1.2 or later (cluster CA support); this core "
		    "has 1.%u", (unsigned)h->abi_minor);
		return WIF_E_UNSUPPORTED;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	st->mode = m;
	st->audience = aud;
	st->token_file = tf ? tf : DEFAULT_TOKEN_FILE;
	st->rotation_wait = wait;
	st->api_server = api;
	st->ca_file = ca ? ca : SA_DIR "/ca.crt";
	st->bearer_file = bearer ? bearer : SA_DIR "/token";
	st->namespace_ = ns;
	st->namespace_file = SA_DIR "/namespace";
	st->service_account = sa;
	st->expiration = exp;
	pthread_mutex_init(&st->mu, NULL);
	*state = st;
	return WIF_OK;
}

static const char *
audience_of(const struct k8s_state *st, const struct wif_fetch_request *req)
{
	return st->audience ? st->audience : req->audience && req->audience[0] ?
	    req->audience : ANTHROPIC_AUDIENCE;
}

/* ---- the JWT's claims (no verification: the exchange verifies) -------- */

/* The payload of a compact JWT, parsed; NULL when it is not one. */
static struct wif_json *
payload_of(const struct wif_host *h, const char *jwt)
{
	const char *a = strchr(jwt, '.'), *b;
	struct wif_json *doc = NULL;
	uint8_t *raw = NULL;
	size_t len = 0;

	if (a == NULL || (b = strchr(a + 1, '.')) == NULL)
		return NULL;
	if (h->base64url_decode(h, a + 1, (size_t)(b - a - 1), &raw, &len) !=
	    WIF_OK)
		return NULL;
	if (h->json_parse(h, (const char *)raw, len, &doc) != WIF_OK)
		doc = NULL;
	h->secure_free(h, raw);
	return doc;
}

/* 1 when aud (a string or an array of strings) holds want; the first aud
 * seen goes to seen[] for the message. */
static int
has_audience(const struct wif_host *h, const struct wif_json *doc,
             const char *want, char *seen, size_t seen_len)
{
	const char *v = NULL;
	char ptr[32];
	int i;

	seen[0] = '\0';
	if (h->json_get_string(h, doc, "/aud", &v) == WIF_OK && v != NULL) {
		snprintf(seen, seen_len, "%s", v);
		return strcmp(v, want) == 0;
	}
	for (i = 0; i < 32; i++) {
		snprintf(ptr, sizeof(ptr), "/aud/%d", i);
		if (h->json_get_string(h, doc, ptr, &v) != WIF_OK || v == NULL)
			break;
		if (i == 0)
			snprintf(seen, seen_len, "%s", v);
		if (strcmp(v, want) == 0)
			return 1;
	}
	return 0;
}

/* ---- mode "file" ------------------------------------------------------ */

static int
read_token(struct k8s_state *st, char **out, uint8_t sha[32])
{
	const struct wif_host *h = st->h;
	char *buf = NULL, *tok;
	size_t len = 0;
	int r;

	*out = NULL;
	r = h->read_file(h, st->token_file, TOKEN_MAX, 0, &buf, &len);
	if (r == WIF_E_NOT_FOUND) {
		h->set_error(h, "token file %s does not exist: mount a projected "
		    "serviceAccountToken volume with audience %s there (or set "
		    "token_file)", st->token_file, ANTHROPIC_AUDIENCE);
		return r;
	}
	if (r != WIF_OK) {
		h->set_error(h, "cannot read token file %s: %s", st->token_file,
		    h->strerror(r));
		return r;
	}
	tok = jwtshape_trim(buf, &len);
	if (len == 0 || !jwtshape_ok(h, tok, len)) {
		h->secure_free(h, buf);
		h->set_error(h, "token file %s %s", st->token_file, len == 0 ?
		    "is empty: has kubelet written it yet?" :
		    "does not hold a JWT");
		return len == 0 ? WIF_E_PROVIDER : WIF_E_JWT;
	}
	*out = h->secure_strndup(h, tok, len);
	h->secure_free(h, buf);
	if (*out == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	if (h->sha256(h, *out, len, sha) != WIF_OK) {
		h->secure_free(h, *out);
		*out = NULL;
		h->set_error(h, "cannot hash the token of %s", st->token_file);
		return WIF_E_CRYPTO;
	}
	return WIF_OK;
}

/* Warn (once per token) when the token is not meant for us. */
static void
check_audience(struct k8s_state *st, const struct wif_fetch_request *req,
               const char *jwt, const uint8_t sha[32])
{
	const struct wif_host *h = st->h;
	const char *want = audience_of(st, req);
	struct wif_json *doc;
	char seen[128];
	int ok, warn;

	if ((doc = payload_of(h, jwt)) == NULL)
		return;
	ok = has_audience(h, doc, want, seen, sizeof(seen));
	h->json_free(h, doc);
	if (ok)
		return;
	pthread_mutex_lock(&st->mu);
	warn = memcmp(st->warned, sha, 32) != 0;
	memcpy(st->warned, sha, 32);
	pthread_mutex_unlock(&st->mu);
	if (warn)
		h->log(h, WIF_LOG_WARNING, "token file %s has aud \"%s\", not "
		    "\"%s\"%s: the exchange will likely refuse it; project a "
		    "serviceAccountToken with audience %s", st->token_file,
		    seen[0] ? seen : "(none)", want,
		    strstr(st->token_file, "kubernetes.io/serviceaccount") ?
		    " (this is the default API-server token)" : "", want);
}

static void
set_waiting(struct k8s_state *st, int on)
{
	/* a count: the plugin is thread safe, and two fetches may wait */
	pthread_mutex_lock(&st->mu);
	if (on && st->waiting++ == 0)
		st->waiting_since = st->h->now(st->h);
	else if (!on && st->waiting > 0)
		st->waiting--;
	pthread_mutex_unlock(&st->mu);
}

/* Wait for a change in the token file's directory until deadline (ms on
 * the host's monotonic clock).  0 on a change, -1 on timeout or error. */
static int
wait_change(struct k8s_state *st, int fd, int64_t deadline)
{
	const struct wif_host *h = st->h;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char ev[4096];
	int64_t left;
	int n;

	for (;;) {
		left = deadline - h->monotonic_ms(h);
		if (left <= 0)
			return -1;
		n = poll(&p, 1, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0; /* re-read anyway: a missed event costs 1 s */
		while (read(fd, ev, sizeof(ev)) > 0)
			;
		return 0;
	}
}

static int
fetch_file(struct k8s_state *st, const struct wif_fetch_request *req,
           char **jwt)
{
	static const uint8_t zero[32];
	const struct wif_host *h = st->h;
	uint8_t sha[32];
	char dir[4096], *slash, *tok = NULL;
	int64_t deadline, waited_ms, start;
	int r, fd = -1;

	if ((r = read_token(st, &tok, sha)) != WIF_OK)
		return r;
	check_audience(st, req, tok, sha);
	if (memcmp(req->last_sha256, zero, 32) == 0 ||
	    memcmp(req->last_sha256, sha, 32) != 0) {
		pthread_mutex_lock(&st->mu);
		st->last_note[0] = '\0';
		pthread_mutex_unlock(&st->mu);
		*jwt = tok;
		return WIF_OK;
	}
	/* The file still holds the JWT exchanged last time: wait for kubelet. */
	start = h->monotonic_ms(h);
	deadline = start + st->rotation_wait * 1000;
	if (req->deadline_ms > 0 && req->deadline_ms < deadline)
		deadline = req->deadline_ms;
	snprintf(dir, sizeof(dir), "%s", st->token_file);
	if ((slash = strrchr(dir, '/')) != NULL)
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd >= 0 && inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_DELETE | IN_ATTRIB) < 0) {
		close(fd);
		fd = -1;
	}
	h->log(h, WIF_LOG_INFO, "token file %s still holds the token exchanged "
	    "last; waiting up to %lld s for kubelet to rotate it",
	    st->token_file, (long long)((deadline - start) / 1000));
	set_waiting(st, 1);
	for (;;) {
		h->secure_free(h, tok);
		tok = NULL;
		if (fd >= 0) {
			if (wait_change(st, fd, deadline) != 0)
				break;
		} else {
			if (h->monotonic_ms(h) >= deadline)
				break;
			usleep(500 * 1000); /* no inotify: poll */
		}
		if (read_token(st, &tok, sha) == WIF_OK &&
		    memcmp(req->last_sha256, sha, 32) != 0)
			break;
	}
	set_waiting(st, 0);
	if (fd >= 0)
		close(fd);
	waited_ms = h->monotonic_ms(h) - start;
	if (tok != NULL && memcmp(req->last_sha256, sha, 32) != 0) {
		h->log(h, WIF_LOG_INFO, "token file %s rotated after %lld ms",
		    st->token_file, (long long)waited_ms);
		pthread_mutex_lock(&st->mu);
		st->last_note[0] = '\0'; /* "not rotated" no longer holds */
		pthread_mutex_unlock(&st->mu);
		check_audience(st, req, tok, sha);
		*jwt = tok;
		return WIF_OK;
	}
	h->secure_free(h, tok);
	pthread_mutex_lock(&st->mu);
	snprintf(st->last_note, sizeof(st->last_note), "not rotated after "
	    "%lld s", (long long)(waited_ms / 1000));
	pthread_mutex_unlock(&st->mu);
	h->set_error(h, "token file %s still holds the token exchanged last "
	    "(assertions are single-use) after waiting %lld s: kubelet rotates "
	    "it at 80%% of expirationSeconds; use a shorter expirationSeconds "
	    "or mode = \"token_request\"", st->token_file,
	    (long long)(waited_ms / 1000));
	return WIF_E_REPLAY;
}

/* ---- mode "token_request" --------------------------------------------- */

/* A small file (namespace), trimmed, into buf. */
static int
read_small(const struct wif_host *h, const char *path, char *buf, size_t len)
{
	char *raw = NULL, *s;
	size_t n = 0;
	int r;

	if ((r = h->read_file(h, path, 256, 0, &raw, &n)) != WIF_OK)
		return r;
	s = jwtshape_trim(raw, &n);
	snprintf(buf, len, "%s", s);
	h->secure_free(h, raw);
	return n > 0 && n < len ? WIF_OK : WIF_E_PARSE;
}

/* namespace/name from a service-account token's sub
 * (system:serviceaccount:<ns>:<name>). */
static int
sa_from_token(const struct wif_host *h, const char *tok, char *ns, char *sa,
              size_t len)
{
	struct wif_json *doc = payload_of(h, tok);
	const char *sub = NULL, *p, *q;
	int r = WIF_E_NOT_FOUND;

	if (doc == NULL)
		return WIF_E_JWT;
	if (h->json_get_string(h, doc, "/sub", &sub) == WIF_OK && sub != NULL &&
	    strncmp(sub, "system:serviceaccount:", 22) == 0) {
		p = sub + 22;
		if ((q = strchr(p, ':')) != NULL && (size_t)(q - p) < len &&
		    strlen(q + 1) < len) {
			snprintf(ns, len, "%.*s", (int)(q - p), p);
			snprintf(sa, len, "%s", q + 1);
			r = WIF_OK;
		}
	}
	h->json_free(h, doc);
	return r;
}

static void
status_message(const struct wif_host *h, const struct wif_http_response *resp,
               char *out, size_t len)
{
	struct wif_json *doc = NULL;
	const char *msg = NULL;
	size_t i, n = 0;

	out[0] = '\0';
	if (resp->body_len == 0 ||
	    h->json_parse(h, resp->body, resp->body_len, &doc) != WIF_OK)
		return;
	if (h->json_get_string(h, doc, "/message", &msg) == WIF_OK && msg)
		for (i = 0; msg[i] && n + 1 < len && i < 240; i++)
			out[n++] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
	out[n] = '\0';
	h->json_free(h, doc);
}

static int
fetch_token_request(struct k8s_state *st, const struct wif_fetch_request *req,
                    char **jwt)
{
	const struct wif_host *h = st->h;
	const char *hst, *port, *tokv = NULL;
	char ns[256], sa[256], tns[256], tsa[256], num[32], msg[256];
	struct textbuf url, body, auth;
	struct wif_http_request hr;
	struct wif_http_response *resp = NULL;
	struct wif_json *doc = NULL;
	const char *headers[4];
	char *bearer = NULL, *btok;
	size_t blen = 0;
	int r;

	tb_init(&url, h);
	tb_init(&body, h);
	tb_init(&auth, h);
	if ((r = h->read_file(h, st->bearer_file, TOKEN_MAX, 0, &bearer,
	    &blen)) != WIF_OK) {
		h->set_error(h, "cannot read the service-account token %s: %s "
		    "(is automountServiceAccountToken off? set "
		    "bearer_token_file)", st->bearer_file, h->strerror(r));
		goto out;
	}
	btok = jwtshape_trim(bearer, &blen);
	if (blen == 0) {
		h->set_error(h, "service-account token %s is empty",
		    st->bearer_file);
		r = WIF_E_PROVIDER;
		goto out;
	}
	tns[0] = tsa[0] = '\0';
	(void)sa_from_token(h, btok, tns, tsa, sizeof(tns));
	if (st->namespace_ != NULL)
		snprintf(ns, sizeof(ns), "%s", st->namespace_);
	else if (read_small(h, st->namespace_file, ns, sizeof(ns)) != WIF_OK)
		snprintf(ns, sizeof(ns), "%s", tns);
	if (!tb_segment_ok(ns)) {
		h->set_error(h, "no namespace: set namespace (%s is not readable "
		    "and the service-account token %s names none)",
		    st->namespace_file, st->bearer_file);
		r = WIF_E_CONFIG;
		goto out;
	}
	snprintf(sa, sizeof(sa), "%s", st->service_account ?
	    st->service_account : tsa);
	if (!tb_segment_ok(sa)) {
		h->set_error(h, "no service account name: set service_account "
		    "(the token %s names none)", st->bearer_file);
		r = WIF_E_CONFIG;
		goto out;
	}
	if (st->api_server != NULL)
		tb_add(&url, st->api_server);
	else {
		hst = h->getenv(h, "KUBERNETES_SERVICE_HOST");
		port = h->getenv(h, "KUBERNETES_SERVICE_PORT");
		if (hst == NULL || hst[0] == '\0') {
			h->set_error(h, "KUBERNETES_SERVICE_HOST is not set: not "
			    "in a pod? set api_server");
			r = WIF_E_NOT_APPLICABLE;
			goto out;
		}
		/* They become the URL's authority: a host name or an IP
		 * literal, and a port number, nothing else. */
		if (strlen(hst) > 253 || strspn(hst, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:") != strlen(hst) ||
		    (port != NULL && port[0] != '\0' && (strlen(port) > 5 ||
		    strspn(port, "0123456789") != strlen(port) ||
		    atoi(port) < 1 || atoi(port) > 65535))) {
			h->set_error(h, "KUBERNETES_SERVICE_HOST/_PORT (\"%.64s\", "
			    "\"%.8s\") are not a host and a port: set api_server",
			    hst, port ? port : "");
			r = WIF_E_CONFIG;
			goto out;
		}
		tb_add(&url, "https://");
		if (strchr(hst, ':') != NULL) { /* IPv6 literal */
			tb_add(&url, "[");
			tb_add(&url, hst);
			tb_add(&url, "]");
		} else
			tb_add(&url, hst);
		tb_add(&url, ":");
		tb_add(&url, port && port[0] ? port : "443");
	}
	if (url.len > 0 && url.p[url.len - 1] == '/')
		url.p[--url.len] = '\0';
	tb_add(&url, "/api/v1/namespaces/");
	tb_add(&url, ns);
	tb_add(&url, "/serviceaccounts/");
	tb_add(&url, sa);
	tb_add(&url, "/token");
	tb_add(&body, "{\"apiVersion\":\"authentication.k8s.io/v1\","
	    "\"kind\":\"TokenRequest\",\"spec\":{\"audiences\":[");
	tb_add_json_str(&body, audience_of(st, req));
	snprintf(num, sizeof(num), "%lld", (long long)st->expiration);
	tb_add(&body, "],\"expirationSeconds\":");
	tb_add(&body, num);
	tb_add(&body, "}}");
	tb_add(&auth, "Authorization: Bearer ");
	tb_add(&auth, btok);
	if (url.failed || body.failed || auth.failed) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	headers[0] = auth.p;
	headers[1] = "Content-Type: application/json";
	headers[2] = "Accept: application/json";
	headers[3] = NULL;
	memset(&hr, 0, sizeof(hr));
	hr.struct_size = sizeof(hr);
	hr.abi_major = WIF_PROVIDER_ABI_MAJOR;
	hr.abi_minor = WIF_PROVIDER_ABI_MINOR;
	hr.method = "POST";
	hr.url = url.p;
	hr.headers = headers;
	hr.body = body.p;
	hr.body_len = body.len;
	hr.max_body = 64 * 1024;
	hr.flags = WIF_HTTP_RETRY;
	hr.ca_file = st->ca_file;
	if ((r = h->http(h, &hr, &resp)) != WIF_OK) {
		h->set_error(h, "TokenRequest to the API server failed: %s "
		    "(cluster CA %s)", h->strerror(r), st->ca_file);
		goto out;
	}
	if (resp->status != 201 && resp->status != 200) {
		status_message(h, resp, msg, sizeof(msg));
		h->set_error(h, "TokenRequest for %s/%s answered HTTP %ld%s%s%s",
		    ns, sa, resp->status, msg[0] ? ": " : "", msg,
		    resp->status == 401 ? " (the service-account token was "
		    "refused: expired, or not this cluster's)" :
		    resp->status == 403 ? " (grant the service account "
		    "\"create\" on serviceaccounts/token for itself: a Role and "
		    "RoleBinding)" : resp->status == 404 ? " (no such namespace "
		    "or service account)" : "");
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (h->json_parse(h, resp->body, resp->body_len, &doc) != WIF_OK ||
	    h->json_get_string(h, doc, "/status/token", &tokv) != WIF_OK ||
	    tokv == NULL || !jwtshape_ok(h, tokv, strlen(tokv))) {
		h->set_error(h, "TokenRequest for %s/%s: the answer has no JWT "
		    "in status.token", ns, sa);
		r = WIF_E_PARSE;
		goto out;
	}
	if ((*jwt = h->secure_strndup(h, tokv, strlen(tokv))) == NULL) {
		h->set_error(h, "out of memory");
		r = WIF_E_NOMEM;
		goto out;
	}
	r = WIF_OK;
out:
	if (doc != NULL)
		h->json_free(h, doc);
	if (resp != NULL)
		h->http_free(h, resp);
	h->secure_free(h, bearer);
	tb_free(&url);
	tb_free(&body);
	tb_free(&auth);
	return r;
}

static int
k8s_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct k8s_state *st = state;

	*jwt = NULL;
	return st->mode == MODE_FILE ? fetch_file(st, req, jwt) :
	    fetch_token_request(st, req, jwt);
}

static int
k8s_describe(void *state, char *buf, size_t len)
{
	struct k8s_state *st = state;
	int r = WIF_OK;

	pthread_mutex_lock(&st->mu);
	if (st->mode == MODE_TOKEN_REQUEST)
		snprintf(buf, len, "TokenRequest: a fresh token per exchange "
		    "(%lld s)", (long long)st->expiration);
	else if (st->waiting)
		snprintf(buf, len, "waiting for kubelet to rotate %s (it holds "
		    "the token exchanged last) for %lld s; the cached token is "
		    "served meanwhile", st->token_file,
		    (long long)(st->h->now(st->h) - st->waiting_since));
	else if (st->last_note[0])
		snprintf(buf, len, "%s: %s", st->token_file, st->last_note);
	else
		r = WIF_E_NOT_FOUND;
	pthread_mutex_unlock(&st->mu);
	return r;
}

static void
k8s_destroy(void *state)
{
	struct k8s_state *st = state;

	if (st == NULL)
		return;
	pthread_mutex_destroy(&st->mu);
	free(st);
}

/* In a pod: the API server's variables or the mounted service account. */
static int
k8s_detect(const struct wif_host *h)
{
	const char *tf = NULL;
	char *buf = NULL;
	size_t len = 0;
	int yes;

	if (h->config_string(h, "token_file", &tf) != WIF_OK || tf == NULL)
		tf = DEFAULT_TOKEN_FILE;
	if (h->getenv(h, "KUBERNETES_SERVICE_HOST") != NULL)
		return 1;
	yes = h->read_file(h, tf, TOKEN_MAX, 0, &buf, &len) == WIF_OK;
	h->secure_free(h, buf);
	return yes;
}

static const struct wif_option k8s_options[] = {
	{ "mode", WIF_OPT_STRING, 0,
	  "\"file\" (projected token, the default) or \"token_request\"" },
	{ "audience", WIF_OPT_STRING, 0,
	  "the aud expected (file) or requested (token_request); default https://api.anthropic.com" },
	{ "token_file", WIF_OPT_STRING, WIF_OPT_PATH,
	  "file mode: the projected token (default /var/run/secrets/anthropic.com/token)" },
	{ "rotation_wait", WIF_OPT_INT, 0,
	  "file mode: seconds to wait for kubelet to rotate a used token (default 60)" },
	{ "api_server", WIF_OPT_STRING, 0,
	  "token_request: https://host:port (default from KUBERNETES_SERVICE_HOST/PORT)" },
	{ "ca_file", WIF_OPT_STRING, WIF_OPT_PATH,
	  "token_request: the cluster CA (default .../serviceaccount/ca.crt)" },
	{ "bearer_token_file", WIF_OPT_STRING, WIF_OPT_PATH,
	  "token_request: the pod's API token (default .../serviceaccount/token)" },
	{ "namespace", WIF_OPT_STRING, 0,
	  "token_request: default from .../serviceaccount/namespace" },
	{ "service_account", WIF_OPT_STRING, 0,
	  "token_request: default from the API token's sub" },
	{ "expiration_seconds", WIF_OPT_INT, 0,
	  "token_request: lifetime asked for, 600..86400 (default 600)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider k8s_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "k8s",
	.description = "a Kubernetes service-account token (projected file or TokenRequest)",
	.version = "1",
	.flags = WIF_PROVIDER_THREAD_SAFE,
	.options = k8s_options,
	.init = k8s_init,
	.fetch_identity_token = k8s_fetch,
	.destroy = k8s_destroy,
	.detect = k8s_detect,
	.describe = k8s_describe,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	if (out == NULL)
		return WIF_E_INVALID_ARG;
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &k8s_provider;
	return WIF_OK;
}
