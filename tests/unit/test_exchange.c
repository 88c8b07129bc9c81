/*
 * test_exchange.c - one token exchange against a scripted HTTP/1.1 server
 * running in a thread of this test on 127.0.0.1 (or 127.0.0.2 for the
 * policy test).  The server records the raw request and answers with a
 * scripted response; nothing leaves the loopback interface.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cutest.h"
#include "err.h"
#include "exchange.h"
#include "secmem.h"

#define NOW ((int64_t)1900000000)
#define JWT "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9." \
	"eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlIiwic3ViIjoid29ya2xvYWQifQ." \
	"c2lnbmF0dXJlLW5vdC1jaGVja2Vk"
#define TOKEN "sk-ant-oat01-abcdefghijklmnopqrstuvwxyz0123456789"
#define HINT "Ensure your federation rule matches your identity token"
#define MAX_REQ (256 * 1024)

/* ---- the scripted server ---------------------------------------------- */

struct srv {
	int lfd, port;
	char base[64];             /* http://ADDR:PORT */
	pthread_t th;
	int stop;                  /* __atomic */
	char resp[16384];          /* the scripted answer */
	size_t resp_len;
	int close_silently;        /* read the request, answer nothing */
	size_t big;                /* answer 200 with a body this large */
	char *req;                 /* the last raw request */
	size_t req_len;
	int n_conn;
};

static int
sendall(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void
srv_handle(struct srv *s, int fd)
{
	char *hend, *cl, chunk[65536];
	size_t need = 0, hlen, done;
	ssize_t n;

	s->req_len = 0;
	for (;;) {
		if (s->req_len > 0 && (hend = memmem(s->req, s->req_len,
		    "\r\n\r\n", 4)) != NULL) {
			hlen = (size_t)(hend - s->req) + 4;
			if (need == 0) {
				s->req[s->req_len] = '\0';
				cl = strcasestr(s->req, "\r\ncontent-length:");
				need = hlen + (cl != NULL && cl < hend ?
				    strtoul(cl + 17, NULL, 10) : 0);
				if (strcasestr(s->req, "\r\nexpect: 100") != NULL)
					sendall(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);
			}
			if (s->req_len >= need)
				break;
		}
		if (s->req_len >= MAX_REQ - 1)
			break;
		n = recv(fd, s->req + s->req_len, MAX_REQ - 1 - s->req_len, 0);
		if (n <= 0)
			break;
		s->req_len += (size_t)n;
	}
	s->req[s->req_len] = '\0';
	if (s->close_silently)
		return;
	if (s->big > 0) {
		n = snprintf(chunk, sizeof(chunk), "HTTP/1.1 200 OK\r\n"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n", s->big);
		if (sendall(fd, chunk, (size_t)n) != 0)
			return;
		memset(chunk, ' ', sizeof(chunk));
		for (done = 0; done < s->big; done += (size_t)n) {
			n = (ssize_t)(s->big - done < sizeof(chunk) ?
			    s->big - done : sizeof(chunk));
			if (sendall(fd, chunk, (size_t)n) != 0)
				return;
		}
		return;
	}
	sendall(fd, s->resp, s->resp_len);
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	struct pollfd p;
	int fd;

	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		p.fd = s->lfd;
		p.events = POLLIN;
		if (poll(&p, 1, 20) <= 0)
			continue;
		if ((fd = accept(s->lfd, NULL, NULL)) < 0)
			continue;
		s->n_conn++;
		srv_handle(s, fd);
		shutdown(fd, SHUT_WR);
		close(fd);
	}
	return NULL;
}

static void
srv_start_at(struct srv *s, const char *addr)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int one = 1;

	memset(s, 0, sizeof(*s));
	s->req = calloc(1, MAX_REQ);
	CU_ASSERT_FATAL(s->req != NULL);
	s->lfd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(s->lfd >= 0);
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	CU_ASSERT_FATAL(inet_pton(AF_INET, addr, &sa.sin_addr) == 1);
	CU_ASSERT_FATAL(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(s->lfd, 8) == 0);
	CU_ASSERT_FATAL(getsockname(s->lfd, (struct sockaddr *)&sa, &len) == 0);
	s->port = ntohs(sa.sin_port);
	snprintf(s->base, sizeof(s->base), "http://%s:%d", addr, s->port);
	CU_ASSERT_FATAL(pthread_create(&s->th, NULL, srv_main, s) == 0);
}

static void
srv_start(struct srv *s)
{
	srv_start_at(s, "127.0.0.1");
}

/* Script the answer: status line, extra header lines ("A: b\r\n..."), body. */
static void
srv_reply(struct srv *s, const char *status, const char *headers,
          const char *body)
{
	int n = snprintf(s->resp, sizeof(s->resp), "HTTP/1.1 %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n%s\r\n%s", status, strlen(body),
	    headers != NULL ? headers : "", body);

	CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(s->resp));
	s->resp_len = (size_t)n;
}

static void
srv_stop(struct srv *s)
{
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static void
srv_free(struct srv *s)
{
	free(s->req);
	s->req = NULL;
}

/* ---- the recorded request --------------------------------------------- */

struct hreq {
	char line[512];
	int nh;
	char name[32][64];
	char value[32][8192];
	const char *body;
	size_t body_len;
};

static struct hreq *
parse_req(const struct srv *s)
{
	struct hreq *h = calloc(1, sizeof(*h));
	const char *p = s->req, *eol, *colon, *end;

	CU_ASSERT_FATAL(h != NULL);
	end = strstr(p, "\r\n\r\n");
	CU_ASSERT_FATAL(end != NULL);
	eol = strstr(p, "\r\n");
	snprintf(h->line, sizeof(h->line), "%.*s", (int)(eol - p), p);
	for (p = eol + 2; p < end && h->nh < 32; p = eol + 2) {
		eol = strstr(p, "\r\n");
		colon = memchr(p, ':', (size_t)(eol - p));
		CU_ASSERT_FATAL(colon != NULL);
		snprintf(h->name[h->nh], sizeof(h->name[0]), "%.*s",
		    (int)(colon - p), p);
		for (colon++; *colon == ' '; colon++)
			;
		snprintf(h->value[h->nh], sizeof(h->value[0]), "%.*s",
		    (int)(eol - colon), colon);
		h->nh++;
	}
	h->body = end + 4;
	h->body_len = s->req_len - (size_t)(h->body - s->req);
	return h;
}

static const char *
hdr(const struct hreq *h, const char *name)
{
	int i;

	for (i = 0; i < h->nh; i++)
		if (strcasecmp(h->name[i], name) == 0)
			return h->value[i];
	return NULL;
}

/* Every header is one of allowed[], each at most once. */
static void
assert_header_set(const struct hreq *h, const char *const *allowed)
{
	int i, j, k, found;

	for (i = 0; i < h->nh; i++) {
		for (found = 0, k = 0; allowed[k] != NULL; k++)
			found |= strcasecmp(h->name[i], allowed[k]) == 0;
		if (!found)
			fprintf(stderr, "unexpected header %s\n", h->name[i]);
		CU_ASSERT(found);
		for (j = i + 1; j < h->nh; j++)
			CU_ASSERT(strcasecmp(h->name[i], h->name[j]) != 0);
	}
}

/* ---- fixtures ----------------------------------------------------------- */

static char rule[] = "fdrl_01AbCdEf";
static char org[] = "00000000-1111-2222-3333-444444444444";
static char svac[] = "svac_01XyZ";
static char wksp[] = "wrkspc_01Qq";
static char empty[] = "";

static struct wif_identity *
identity(const char *jwt)
{
	struct wif_identity *id = calloc(1, sizeof(*id));

	CU_ASSERT_FATAL(id != NULL);
	id->jwt = wif_secmem_strdup(jwt);
	id->jwt_len = strlen(jwt);
	id->claims = calloc(1, sizeof(*id->claims));
	id->provider = strdup("file");
	CU_ASSERT_FATAL(id->jwt != NULL && id->claims != NULL &&
	    id->provider != NULL);
	id->claims->exp = NOW + 600;
	id->claims->has_exp = 1;
	return id;
}

static void
anthropic_ex(struct wif_config_exchange *ex, char *base)
{
	memset(ex, 0, sizeof(*ex));
	ex->type = WIF_EXCHANGE_ANTHROPIC;
	ex->base_url = base;
	ex->federation_rule_id = rule;
	ex->organization_id = org;
	ex->service_account_id = svac;
	ex->workspace_id = wksp;
}

static struct wif_http_policy pol;

/* One anthropic exchange of JWT against s (started, scripted); stops s. */
static int
run(struct srv *s, struct wif_config_exchange *ex, struct wif_token **t,
    struct wif_exchange_status *st)
{
	struct wif_identity *id = identity(JWT);
	int r;

	if (ex->type == WIF_EXCHANGE_ANTHROPIC && ex->base_url == NULL)
		ex->base_url = s->base;
	r = wif_exchange_once(ex, &pol, "file", id, NOW, t, st);
	srv_stop(s);
	wif_identity_free(id);
	return r;
}

static int
run_reply(const char *status, const char *headers, const char *body,
          struct wif_token **t, struct wif_exchange_status *st)
{
	struct srv s;
	struct wif_config_exchange ex;
	int r;

	srv_start(&s);
	srv_reply(&s, status, headers, body);
	anthropic_ex(&ex, NULL);
	r = run(&s, &ex, t, st);
	srv_free(&s);
	return r;
}

static int
parse200(const char *body, struct wif_token **t, struct wif_exchange_status *st)
{
	struct wif_exchange_response er = { 200, body, strlen(body), "req_p",
	    NULL, NULL, NULL };

	return wif_exchange_parse_response(WIF_EXCHANGE_ANTHROPIC,
	    "https://api.example", &er, NOW, 0, t, st);
}

static int
has(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* ---- policy ------------------------------------------------------------- */

static void
test_url_ok(void)
{
	CU_ASSERT(wif_exchange_url_ok("https://api.anthropic.com"));
	CU_ASSERT(wif_exchange_url_ok("https://api.anthropic.com/"));
	CU_ASSERT(wif_exchange_url_ok("https://sts.example:8443/token?x=1"));
	CU_ASSERT(wif_exchange_url_ok("HTTPS://API.EXAMPLE.COM"));
	CU_ASSERT(wif_exchange_url_ok("http://localhost"));
	CU_ASSERT(wif_exchange_url_ok("http://LocalHost:8080/"));
	CU_ASSERT(wif_exchange_url_ok("http://127.0.0.1:1234"));
	CU_ASSERT(wif_exchange_url_ok("http://[::1]:1234/x"));
	CU_ASSERT(!wif_exchange_url_ok("http://example.com"));
	CU_ASSERT(!wif_exchange_url_ok("http://127.0.0.2"));
	CU_ASSERT(!wif_exchange_url_ok("http://localhost.example.com"));
	CU_ASSERT(!wif_exchange_url_ok("http://169.254.169.254"));
	CU_ASSERT(!wif_exchange_url_ok("http://user@localhost"));
	CU_ASSERT(!wif_exchange_url_ok("https://user:pw@api.anthropic.com"));
	CU_ASSERT(!wif_exchange_url_ok("https://@api.anthropic.com"));
	CU_ASSERT(!wif_exchange_url_ok("ftp://api.anthropic.com"));
	CU_ASSERT(!wif_exchange_url_ok("api.anthropic.com"));
	CU_ASSERT(!wif_exchange_url_ok("https://"));
	CU_ASSERT(!wif_exchange_url_ok(""));
	CU_ASSERT(!wif_exchange_url_ok(NULL));
}

static void
test_origin(void)
{
	char buf[128];

	wif_exchange_origin("https://u:p@api.example.com/v1/x?q=1", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "https://api.example.com");
	wif_exchange_origin("http://127.0.0.1:8080/", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "http://127.0.0.1:8080");
	wif_exchange_origin("not a url", buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "(invalid URL)");
}

/* A non-loopback http base is refused before any connection: a server on
 * 127.0.0.2 (loopback, so safe, but not an allowed host) sees nothing; and
 * http://example.com fails without touching the network. */
static void
test_plain_http_refused_first(void)
{
	struct srv s;
	struct wif_config_exchange ex;
	struct wif_identity *id = identity(JWT);
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	static char example[] = "http://example.com";

	srv_start_at(&s, "127.0.0.2");
	srv_reply(&s, "200 OK", NULL, "{\"access_token\":\"" TOKEN "\","
	    "\"expires_in\":600}");
	anthropic_ex(&ex, s.base);
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_POLICY);
	srv_stop(&s);
	CU_ASSERT_EQUAL(s.n_conn, 0);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT(has(wif_err_detail(), "http://127.0.0.2"));
	CU_ASSERT(has(wif_err_detail(), "https"));
	CU_ASSERT_EQUAL(st.http_status, 0);
	CU_ASSERT_EQUAL(st.transient, 0);
	CU_ASSERT_EQUAL(st.consumed, 0);

	ex.base_url = example;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_POLICY);
	CU_ASSERT(has(wif_err_detail(), "http://example.com"));
	CU_ASSERT(!has(wif_err_detail(), JWT));
	srv_free(&s);
	wif_identity_free(id);
}

/* ---- the request -------------------------------------------------------- */

static const char *const anthropic_headers[] = { "Host", "Content-Type",
	"Accept", "anthropic-beta", "User-Agent", "Content-Length", NULL };

static void
check_request(struct wif_config_exchange *ex, const char *jwt,
              const char *want_body, const char *want_path)
{
	struct srv s;
	struct wif_identity *id = identity(jwt);
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	struct hreq *h;
	char line[128];

	srv_start(&s);
	srv_reply(&s, "200 OK", NULL, "{\"access_token\":\"" TOKEN "\","
	    "\"token_type\":\"Bearer\",\"expires_in\":3600}");
	if (ex->base_url == NULL)
		ex->base_url = s.base;
	CU_ASSERT_EQUAL(wif_exchange_once(ex, &pol, "file", id, NOW, &t, &st),
	    WIF_OK);
	srv_stop(&s);
	CU_ASSERT_EQUAL(s.n_conn, 1);
	h = parse_req(&s);
	snprintf(line, sizeof(line), "POST %s HTTP/1.1", want_path);
	CU_ASSERT_STRING_EQUAL(h->line, line);
	assert_header_set(h, anthropic_headers);
	CU_ASSERT_STRING_EQUAL(hdr(h, "Content-Type"), "application/json");
	CU_ASSERT_STRING_EQUAL(hdr(h, "Accept"), "application/json");
	CU_ASSERT_STRING_EQUAL(hdr(h, "anthropic-beta"),
	    "oauth-2025-04-20,oidc-federation-2026-04-01");
	CU_ASSERT_STRING_EQUAL(hdr(h, "User-Agent"),
	    "wif/" PACKAGE_VERSION " (wif; provider=file)");
	CU_ASSERT_PTR_NOT_NULL(hdr(h, "Host"));
	CU_ASSERT_EQUAL(h->body_len, strlen(want_body));
	CU_ASSERT(h->body_len == strlen(want_body) &&
	    memcmp(h->body, want_body, h->body_len) == 0);
	if (h->body_len != strlen(want_body) ||
	    memcmp(h->body, want_body, h->body_len) != 0)
		fprintf(stderr, "body: %.*s\n", (int)h->body_len, h->body);
	free(h);
	wif_token_free(t);
	wif_identity_free(id);
	srv_free(&s);
}

static void
test_request_all_fields(void)
{
	struct wif_config_exchange ex;

	anthropic_ex(&ex, NULL);
	check_request(&ex, JWT, "{\"grant_type\":\"urn:ietf:params:oauth:"
	    "grant-type:jwt-bearer\",\"assertion\":\"" JWT "\","
	    "\"federation_rule_id\":\"fdrl_01AbCdEf\",\"organization_id\":"
	    "\"00000000-1111-2222-3333-444444444444\",\"service_account_id\":"
	    "\"svac_01XyZ\",\"workspace_id\":\"wrkspc_01Qq\"}", "/v1/oauth/token");
}

static void
test_request_optional_omitted(void)
{
	struct wif_config_exchange ex;
	const char *want = "{\"grant_type\":\"urn:ietf:params:oauth:"
	    "grant-type:jwt-bearer\",\"assertion\":\"" JWT "\","
	    "\"federation_rule_id\":\"fdrl_01AbCdEf\",\"organization_id\":"
	    "\"00000000-1111-2222-3333-444444444444\"}";

	anthropic_ex(&ex, NULL);
	ex.service_account_id = NULL;
	ex.workspace_id = NULL;
	check_request(&ex, JWT, want, "/v1/oauth/token");
	/* empty strings are unset, never sent as "" */
	anthropic_ex(&ex, NULL);
	ex.service_account_id = empty;
	ex.workspace_id = empty;
	check_request(&ex, JWT, want, "/v1/oauth/token");
	/* only the workspace */
	anthropic_ex(&ex, NULL);
	ex.service_account_id = NULL;
	check_request(&ex, JWT, "{\"grant_type\":\"urn:ietf:params:oauth:"
	    "grant-type:jwt-bearer\",\"assertion\":\"" JWT "\","
	    "\"federation_rule_id\":\"fdrl_01AbCdEf\",\"organization_id\":"
	    "\"00000000-1111-2222-3333-444444444444\",\"workspace_id\":"
	    "\"wrkspc_01Qq\"}", "/v1/oauth/token");
}

/* Trailing slashes of base_url are stripped; a path prefix is kept; a long
 * assertion gets no "Expect: 100-continue". */
static void
test_request_base_url_and_long_assertion(void)
{
	struct wif_config_exchange ex;
	struct srv probe;
	char base[96], *jwt, *want;
	size_t n = 6000;

	srv_start(&probe);
	srv_reply(&probe, "200 OK", NULL, "{\"access_token\":\"" TOKEN "\","
	    "\"expires_in\":60}");
	snprintf(base, sizeof(base), "%s/prefix//", probe.base);
	{
		struct wif_identity *id = identity(JWT);
		struct wif_exchange_status st;
		struct wif_token *t = NULL;
		struct hreq *h;

		anthropic_ex(&ex, base);
		CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW,
		    &t, &st), WIF_OK);
		srv_stop(&probe);
		h = parse_req(&probe);
		CU_ASSERT_STRING_EQUAL(h->line,
		    "POST /prefix/v1/oauth/token HTTP/1.1");
		free(h);
		wif_token_free(t);
		wif_identity_free(id);
		srv_free(&probe);
	}

	jwt = malloc(n + 1);
	want = malloc(n + 512);
	CU_ASSERT_FATAL(jwt != NULL && want != NULL);
	memset(jwt, 'A', n);
	memcpy(jwt, "eyJ0.", 5);
	memcpy(jwt + n - 4, ".sig", 4);
	jwt[n] = '\0';
	snprintf(want, n + 512, "{\"grant_type\":\"urn:ietf:params:oauth:"
	    "grant-type:jwt-bearer\",\"assertion\":\"%s\",\"federation_rule_id\":"
	    "\"fdrl_01AbCdEf\",\"organization_id\":"
	    "\"00000000-1111-2222-3333-444444444444\",\"service_account_id\":"
	    "\"svac_01XyZ\",\"workspace_id\":\"wrkspc_01Qq\"}", jwt);
	anthropic_ex(&ex, NULL);
	check_request(&ex, jwt, want, "/v1/oauth/token");
	free(jwt);
	free(want);
}

/* JSON escaping of odd (hand-configured) values stays valid JSON. */
static void
test_request_escaping(void)
{
	struct wif_config_exchange ex;
	static char odd[] = "ws\"\\\x01x";

	anthropic_ex(&ex, NULL);
	ex.service_account_id = NULL;
	ex.workspace_id = odd;
	check_request(&ex, JWT, "{\"grant_type\":\"urn:ietf:params:oauth:"
	    "grant-type:jwt-bearer\",\"assertion\":\"" JWT "\","
	    "\"federation_rule_id\":\"fdrl_01AbCdEf\",\"organization_id\":"
	    "\"00000000-1111-2222-3333-444444444444\",\"workspace_id\":"
	    "\"ws\\\"\\\\\\u0001x\"}", "/v1/oauth/token");
}

static void
test_missing_config(void)
{
	struct wif_config_exchange ex;
	struct wif_identity *id = identity(JWT);
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	static char local[] = "http://127.0.0.1:9";
	static char query[] = "https://api.example.com/?x=1";

	anthropic_ex(&ex, local);
	ex.federation_rule_id = NULL;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_CONFIG);
	CU_ASSERT(has(wif_err_detail(), "federation_rule_id"));
	anthropic_ex(&ex, query);
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_CONFIG);
	ex.type = 42;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_CONFIG);
	CU_ASSERT_EQUAL(wif_exchange_once(NULL, &pol, "file", id, NOW, &t, &st),
	    WIF_E_INVALID_ARG);
	CU_ASSERT_PTR_NULL(t);
	wif_identity_free(id);
}

/* ---- success ------------------------------------------------------------- */

static void
test_success(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;

	CU_ASSERT_EQUAL(run_reply("200 OK", "request-id: req_011abc\r\n",
	    "{\"access_token\":\"" TOKEN "\",\"token_type\":\"BEARER\","
	    "\"expires_in\":3600,\"scope\":\"workspace:developer\"}", &t, &st),
	    WIF_OK);
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_STRING_EQUAL(t->access_token, TOKEN);
	CU_ASSERT_EQUAL(t->access_token_len, strlen(TOKEN));
	CU_ASSERT_EQUAL(t->expires_at, NOW + 3600);
	CU_ASSERT_EQUAL(t->obtained_at, NOW);
	CU_ASSERT_STRING_EQUAL(t->scope, "workspace:developer");
	CU_ASSERT_STRING_EQUAL(t->request_id, "req_011abc");
	CU_ASSERT_STRING_EQUAL(st.request_id, "req_011abc");
	CU_ASSERT_EQUAL(st.http_status, 200);
	CU_ASSERT_EQUAL(st.consumed, 1);
	CU_ASSERT_EQUAL(st.transient, 0);
	CU_ASSERT_EQUAL(st.retry_after_ms, -1);
	wif_token_free(t);
}

static void
test_token_type(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;

	CU_ASSERT_EQUAL(parse200("{\"access_token\":\"" TOKEN "\","
	    "\"expires_in\":60}", &t, &st), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL(t);
	CU_ASSERT_PTR_NULL(t->scope);
	CU_ASSERT_STRING_EQUAL(t->request_id, "req_p");
	wif_token_free(t);
	CU_ASSERT_EQUAL(parse200("{\"access_token\":\"" TOKEN "\","
	    "\"token_type\":\"bearer\",\"expires_in\":60}", &t, &st), WIF_OK);
	wif_token_free(t);
	t = NULL;
	CU_ASSERT_EQUAL(run_reply("200 OK", NULL, "{\"access_token\":\"" TOKEN
	    "\",\"token_type\":\"mac\",\"expires_in\":60}", &t, &st),
	    WIF_E_EXCHANGE);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT(has(wif_err_detail(), "token_type"));
	CU_ASSERT(has(wif_err_detail(), "http://127.0.0.1:"));
	CU_ASSERT(!has(wif_err_detail(), TOKEN));
	CU_ASSERT_EQUAL(st.consumed, 1);
	CU_ASSERT_EQUAL(st.transient, 0);
	CU_ASSERT_EQUAL(parse200("{\"access_token\":\"" TOKEN "\","
	    "\"token_type\":7,\"expires_in\":60}", &t, &st), WIF_E_EXCHANGE);
}

static void
test_expires_in(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	static const char *const bad[] = {
		"{\"access_token\":\"" TOKEN "\"}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":null}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":0}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":-5}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":604801}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":99999999999999999999999}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":1e300}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":\"soon\"}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":\"-60\"}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":\"\"}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":true}",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":[60]}",
		NULL
	};
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		CU_ASSERT_EQUAL(parse200(bad[i], &t, &st), WIF_E_EXCHANGE);
		CU_ASSERT_PTR_NULL(t);
		CU_ASSERT(has(wif_err_detail(), "expires_in"));
		CU_ASSERT(!has(wif_err_detail(), TOKEN));
	}
	/* liberal: a numeric string, and the maximum */
	CU_ASSERT_EQUAL(parse200("{\"access_token\":\"" TOKEN "\","
	    "\"expires_in\":\"3600\"}", &t, &st), WIF_OK);
	CU_ASSERT_EQUAL(t != NULL ? t->expires_at : 0, NOW + 3600);
	wif_token_free(t);
	CU_ASSERT_EQUAL(parse200("{\"access_token\":\"" TOKEN "\","
	    "\"expires_in\":604800}", &t, &st), WIF_OK);
	CU_ASSERT_EQUAL(t != NULL ? t->expires_at : 0, NOW + 604800);
	wif_token_free(t);
	/* and over HTTP */
	CU_ASSERT_EQUAL(run_reply("200 OK", NULL, "{\"access_token\":\"" TOKEN
	    "\",\"expires_in\":0}", &t, &st), WIF_E_EXCHANGE);
	CU_ASSERT_PTR_NULL(t);
}

static void
test_access_token_and_json(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	static const char *const bad[] = {
		"{\"expires_in\":60}",
		"{\"access_token\":\"\",\"expires_in\":60}",
		"{\"access_token\":null,\"expires_in\":60}",
		"{\"access_token\":42,\"expires_in\":60}",
		"{\"access_token\":\"sk-ant two\",\"expires_in\":60}",
		"{\"access_token\":\"sk-ant\\r\\nX: y\",\"expires_in\":60}",
		"not json",
		"",
		"[\"access_token\"]",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":60} trailing",
		"{\"access_token\":\"" TOKEN "\",\"expires_in\":60",
		NULL
	};
	char *huge;
	size_t i, n = 9000;

	for (i = 0; bad[i] != NULL; i++) {
		CU_ASSERT_EQUAL(parse200(bad[i], &t, &st), WIF_E_EXCHANGE);
		CU_ASSERT_PTR_NULL(t);
		CU_ASSERT(has(wif_err_detail(), "req_p"));
	}
	CU_ASSERT_EQUAL(parse200("{\"access_token\":\"" TOKEN "\","
	    "\"expires_in\":60}\r\n", &t, &st), WIF_OK);
	wif_token_free(t);
	huge = malloc(n + 64);
	CU_ASSERT_FATAL(huge != NULL);
	memcpy(huge, "{\"access_token\":\"", 17);
	memset(huge + 17, 'x', n);
	strcpy(huge + 17 + n, "\",\"expires_in\":60}");
	CU_ASSERT_EQUAL(parse200(huge, &t, &st), WIF_E_EXCHANGE);
	free(huge);
	CU_ASSERT_EQUAL(run_reply("200 OK", NULL, "<html>hi</html>", &t, &st),
	    WIF_E_EXCHANGE);
	CU_ASSERT(has(wif_err_detail(), "not a JSON object"));
	CU_ASSERT(!has(wif_err_detail(), "html"));
}

/* ---- errors ------------------------------------------------------------ */

static void
assert_no_secret(const char *detail)
{
	CU_ASSERT(!has(detail, JWT));
	CU_ASSERT(!has(detail, "eyJhbGci"));
	CU_ASSERT(!has(detail, TOKEN));
}

static void
test_401_both_shapes(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;

	CU_ASSERT_EQUAL(run_reply("401 Unauthorized", "Request-Id: req_401a\r\n",
	    "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
	    "\"message\":\"Authentication failed\"},\"request_id\":\"req_401a\"}",
	    &t, &st), WIF_E_AUTH_DENIED);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT(has(wif_err_detail(), HINT));
	CU_ASSERT(has(wif_err_detail(), "ANTHROPIC_WORKSPACE_ID"));
	CU_ASSERT(has(wif_err_detail(), "authentication history"));
	CU_ASSERT(has(wif_err_detail(), "req_401a"));
	CU_ASSERT(has(wif_err_detail(), "http://127.0.0.1:"));
	CU_ASSERT(has(wif_err_detail(), "authentication_error"));
	CU_ASSERT(has(wif_err_detail(), "Authentication failed"));
	assert_no_secret(wif_err_detail());
	CU_ASSERT_STRING_EQUAL(st.error_type, "authentication_error");
	CU_ASSERT_STRING_EQUAL(st.message, "Authentication failed");
	CU_ASSERT_STRING_EQUAL(st.request_id, "req_401a");
	CU_ASSERT_EQUAL(st.http_status, 401);
	CU_ASSERT_EQUAL(st.consumed, 1);
	CU_ASSERT_EQUAL(st.transient, 0);

	CU_ASSERT_EQUAL(run_reply("401 Unauthorized", NULL,
	    "{\"error\":\"invalid_client\",\"error_description\":\"nope\"}",
	    &t, &st), WIF_E_AUTH_DENIED);
	CU_ASSERT(has(wif_err_detail(), HINT));
	CU_ASSERT(has(wif_err_detail(), "invalid_client"));
	CU_ASSERT(has(wif_err_detail(), "nope"));
	CU_ASSERT_STRING_EQUAL(st.request_id, "");
	assert_no_secret(wif_err_detail());
	/* the request-id may come from the body when the header is absent */
	CU_ASSERT_EQUAL(run_reply("401 Unauthorized", NULL,
	    "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
	    "\"message\":\"Authentication failed\"},\"request_id\":\"req_b\"}",
	    &t, &st), WIF_E_AUTH_DENIED);
	CU_ASSERT(has(wif_err_detail(), "req_b"));
}

static void
test_400(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;

	CU_ASSERT_EQUAL(run_reply("400 Bad Request", "request-id: req_400\r\n",
	    "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
	    "\"message\":\"federation_rule_id: malformed\"}}", &t, &st),
	    WIF_E_BAD_REQUEST);
	CU_ASSERT(has(wif_err_detail(), "federation_rule_id: malformed"));
	CU_ASSERT(has(wif_err_detail(), "invalid_request_error"));
	CU_ASSERT(has(wif_err_detail(), "req_400"));
	CU_ASSERT(!has(wif_err_detail(), HINT));
	CU_ASSERT_STRING_EQUAL(st.message, "federation_rule_id: malformed");
	CU_ASSERT_EQUAL(st.consumed, 1);
	CU_ASSERT_EQUAL(st.transient, 0);

	CU_ASSERT_EQUAL(run_reply("400 Bad Request", NULL,
	    "{\"error\":\"invalid_grant\",\"error_description\":\"assertion "
	    "denied\",\"error_uri\":\"https://docs.example/e\"}", &t, &st),
	    WIF_E_AUTH_DENIED);
	CU_ASSERT(has(wif_err_detail(), HINT));
	CU_ASSERT(has(wif_err_detail(), "invalid_grant"));
	CU_ASSERT_STRING_EQUAL(st.message,
	    "assertion denied (see https://docs.example/e)");
	CU_ASSERT_EQUAL(st.consumed, 1);
	/* a 400 whose body is not JSON still fails cleanly */
	CU_ASSERT_EQUAL(run_reply("400 Bad Request", NULL, "<h1>bad</h1>",
	    &t, &st), WIF_E_BAD_REQUEST);
	CU_ASSERT_STRING_EQUAL(st.message, "");
	CU_ASSERT(!has(wif_err_detail(), "<h1>"));
}

static void
test_429_and_retry_after(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	struct wif_exchange_response er = { 429, "", 0, NULL, NULL, NULL, NULL };
	char date[64];
	time_t when = (time_t)(NOW + 5);
	struct tm tm;

	CU_ASSERT_EQUAL(run_reply("429 Too Many Requests", "retry-after: 3\r\n",
	    "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
	    "\"message\":\"slow down\"}}", &t, &st), WIF_E_RATE_LIMITED);
	CU_ASSERT_EQUAL(st.retry_after_ms, 3000);
	CU_ASSERT_EQUAL(st.transient, 1);
	CU_ASSERT_EQUAL(st.consumed, 0);
	CU_ASSERT(has(wif_err_detail(), "rate_limit_error"));
	CU_ASSERT(has(wif_err_detail(), "retry after 3000 ms"));
	CU_ASSERT_EQUAL(run_reply("429 Too Many Requests",
	    "retry-after-ms: 1500\r\nretry-after: 2\r\n", "{}", &t, &st),
	    WIF_E_RATE_LIMITED);
	CU_ASSERT_EQUAL(st.retry_after_ms, 1500);

	er.retry_after = "3600";
	wif_exchange_parse_response(WIF_EXCHANGE_ANTHROPIC, "h", &er, NOW, 0,
	    &t, &st);
	CU_ASSERT_EQUAL(st.retry_after_ms, 60000);
	er.retry_after = "soon";
	wif_exchange_parse_response(WIF_EXCHANGE_ANTHROPIC, "h", &er, NOW, 0,
	    &t, &st);
	CU_ASSERT_EQUAL(st.retry_after_ms, -1);
	er.retry_after = "-3";
	wif_exchange_parse_response(WIF_EXCHANGE_ANTHROPIC, "h", &er, NOW, 0,
	    &t, &st);
	CU_ASSERT_EQUAL(st.retry_after_ms, -1);
	gmtime_r(&when, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	er.retry_after = date;
	wif_exchange_parse_response(WIF_EXCHANGE_ANTHROPIC, "h", &er, NOW, 0,
	    &t, &st);
	CU_ASSERT_EQUAL(st.retry_after_ms, 5000);
	er.retry_after_ms = "999999999";
	wif_exchange_parse_response(WIF_EXCHANGE_ANTHROPIC, "h", &er, NOW, 0,
	    &t, &st);
	CU_ASSERT_EQUAL(st.retry_after_ms, 60000);
	CU_ASSERT_PTR_NULL(t);
}

static void
test_5xx_and_others(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;

	CU_ASSERT_EQUAL(run_reply("503 Service Unavailable", NULL,
	    "{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":"
	    "\"Internal\"}}", &t, &st), WIF_E_SERVER);
	CU_ASSERT_EQUAL(st.transient, 1);
	CU_ASSERT_EQUAL(st.consumed, 0);
	CU_ASSERT_EQUAL(st.http_status, 503);
	CU_ASSERT_EQUAL(run_reply("529 Overloaded", NULL,
	    "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
	    "\"message\":\"Overloaded\"}}", &t, &st), WIF_E_SERVER);
	CU_ASSERT_EQUAL(st.transient, 1);
	CU_ASSERT(has(wif_err_detail(), "overloaded_error"));
	CU_ASSERT_EQUAL(run_reply("408 Request Timeout", NULL, "", &t, &st),
	    WIF_E_HTTP_STATUS);
	CU_ASSERT_EQUAL(st.transient, 1);
	CU_ASSERT_EQUAL(run_reply("403 Forbidden", NULL,
	    "{\"type\":\"error\",\"error\":{\"type\":\"permission_error\","
	    "\"message\":\"no\"}}", &t, &st), WIF_E_HTTP_STATUS);
	CU_ASSERT_EQUAL(st.transient, 0);
	CU_ASSERT_EQUAL(st.consumed, 0);
	CU_ASSERT(has(wif_err_detail(), "403"));
	CU_ASSERT_PTR_NULL(t);
}

static void
test_redirect_not_followed(void)
{
	struct srv s;
	struct wif_config_exchange ex;
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	char loc[128];
	struct hreq *h;

	srv_start(&s);
	snprintf(loc, sizeof(loc), "Location: %s/elsewhere\r\n", s.base);
	srv_reply(&s, "302 Found", loc, "");
	anthropic_ex(&ex, NULL);
	CU_ASSERT_EQUAL(run(&s, &ex, &t, &st), WIF_E_POLICY);
	CU_ASSERT_EQUAL(s.n_conn, 1);
	h = parse_req(&s);
	CU_ASSERT_STRING_EQUAL(h->line, "POST /v1/oauth/token HTTP/1.1");
	free(h);
	CU_ASSERT(has(wif_err_detail(), "redirect"));
	CU_ASSERT(has(wif_err_detail(), "/elsewhere"));
	CU_ASSERT(has(wif_err_detail(), "set base_url to the final URL"));
	CU_ASSERT_EQUAL(st.http_status, 302);
	CU_ASSERT_EQUAL(st.transient, 0);
	CU_ASSERT_PTR_NULL(t);
	srv_free(&s);
}

static void
test_oversized(void)
{
	struct srv s;
	struct wif_config_exchange ex;
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	struct wif_http_policy save = pol;

	/* the exchange's own 1 MiB cap wins over a larger policy */
	pol.max_body = 4 * 1024 * 1024;
	srv_start(&s);
	s.big = WIF_EXCHANGE_MAX_BODY + 1;
	anthropic_ex(&ex, NULL);
	CU_ASSERT_EQUAL(run(&s, &ex, &t, &st), WIF_E_TOO_BIG);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT(has(wif_err_detail(), "http://127.0.0.1:"));
	CU_ASSERT(has(wif_err_detail(), "1048576 bytes"));
	CU_ASSERT_EQUAL(st.transient, 0);
	CU_ASSERT_EQUAL(st.consumed, 1);
	srv_free(&s);
	/* a smaller policy cap wins over the exchange's */
	pol.max_body = 1000;
	srv_start(&s);
	s.big = 2000;
	anthropic_ex(&ex, NULL);
	CU_ASSERT_EQUAL(run(&s, &ex, &t, &st), WIF_E_TOO_BIG);
	srv_free(&s);
	pol = save;
}

static void
test_no_answer(void)
{
	struct srv s;
	struct wif_config_exchange ex;
	struct wif_exchange_status st;
	struct wif_token *t = NULL;

	srv_start(&s);
	s.close_silently = 1;
	anthropic_ex(&ex, NULL);
	CU_ASSERT_EQUAL(run(&s, &ex, &t, &st), WIF_E_HTTP);
	CU_ASSERT_EQUAL(s.n_conn, 1);
	CU_ASSERT_EQUAL(st.transient, 1);
	CU_ASSERT_EQUAL(st.consumed, 0);
	CU_ASSERT_EQUAL(st.http_status, 0);
	CU_ASSERT(has(wif_err_detail(), "http://127.0.0.1:"));
	assert_no_secret(wif_err_detail());
	CU_ASSERT_PTR_NULL(t);
	srv_free(&s);
}

static void
test_redaction(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	char body[4096], longmsg[700];
	size_t i;

	for (i = 0; i < sizeof(longmsg) - 1; i++)
		longmsg[i] = "lorem ipsum "[i % 12];
	longmsg[sizeof(longmsg) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"type\":\"error\",\"assertion\":"
	    "\"SECRET-ASSERTION\",\"access_token\":\"SECRET-TOKEN\","
	    "\"error\":{\"type\":\"invalid_request_error\",\"message\":"
	    "\"\\u001b[31mbad\\r\\n%s\",\"detail\":\"SECRET-DETAIL\"},"
	    "\"extra\":\"SECRET-EXTRA\"}", longmsg);
	CU_ASSERT_EQUAL(run_reply("400 Bad Request", NULL, body, &t, &st),
	    WIF_E_BAD_REQUEST);
	CU_ASSERT(!has(wif_err_detail(), "SECRET"));
	CU_ASSERT(!has(st.message, "SECRET"));
	CU_ASSERT(strlen(st.message) <= 256);
	CU_ASSERT(strncmp(st.message, "[31mbadlorem ipsum", 18) == 0);
	for (i = 0; st.message[i] != '\0'; i++)
		CU_ASSERT((unsigned char)st.message[i] >= 0x20 &&
		    st.message[i] != 0x7f);
	CU_ASSERT(!has(wif_err_detail(), "\x1b"));
	CU_ASSERT(!has(wif_err_detail(), "\r"));

	/* a token echoed inside a message is replaced */
	CU_ASSERT_EQUAL(run_reply("401 Unauthorized", NULL,
	    "{\"error\":\"invalid_grant\",\"error_description\":\"bad assertion "
	    JWT " rejected\"}", &t, &st), WIF_E_AUTH_DENIED);
	CU_ASSERT_STRING_EQUAL(st.message, "bad assertion [redacted] rejected");
	assert_no_secret(wif_err_detail());
	/* odd request-ids and error types are reduced to safe characters */
	CU_ASSERT_EQUAL(run_reply("401 Unauthorized", "request-id: req\x01_x y\r\n",
	    "{\"error\":\"in valid\\n\"}", &t, &st), WIF_E_AUTH_DENIED);
	CU_ASSERT_STRING_EQUAL(st.request_id, "req_xy");
	CU_ASSERT_STRING_EQUAL(st.error_type, "invalid");
}

/* ---- RFC 8693 and identity -------------------------------------------- */

static const char *const te_headers[] = { "Host", "Content-Type", "Accept",
	"User-Agent", "Content-Length", "Authorization", NULL };

static void
test_rfc8693(void)
{
	struct srv s;
	struct wif_config_exchange ex;
	struct wif_identity *id = identity(JWT);
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	struct hreq *h;
	char url[96], dir[] = "exchange-test.XXXXXX", path[128];
	static char aud[] = "https://sts.example/aud", scope[] = "read write",
	    res[] = "https://api.example/", cid[] = "my client";
	FILE *f;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/secret", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("s3cr:t/+\n", f);
	fclose(f);
	chmod(path, 0600);

	srv_start(&s);
	srv_reply(&s, "200 OK", "request-id: sts-1\r\n", "{\"access_token\":"
	    "\"at-123\",\"issued_token_type\":\"urn:ietf:params:oauth:token-type:"
	    "access_token\",\"token_type\":\"N_A\",\"expires_in\":300}");
	snprintf(url, sizeof(url), "%s/oauth2/token", s.base);
	memset(&ex, 0, sizeof(ex));
	ex.type = WIF_EXCHANGE_TOKEN_EXCHANGE;
	ex.token_url = url;
	ex.audience = aud;
	ex.scope = scope;
	ex.resource = res;
	ex.client_id = cid;
	ex.client_secret_file = path;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_OK);
	srv_stop(&s);
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_STRING_EQUAL(t->access_token, "at-123");
	CU_ASSERT_EQUAL(t->expires_at, NOW + 300);
	CU_ASSERT_STRING_EQUAL(t->request_id, "sts-1");
	wif_token_free(t);
	t = NULL;
	h = parse_req(&s);
	CU_ASSERT_STRING_EQUAL(h->line, "POST /oauth2/token HTTP/1.1");
	assert_header_set(h, te_headers);
	CU_ASSERT_STRING_EQUAL(hdr(h, "Content-Type"),
	    "application/x-www-form-urlencoded");
	CU_ASSERT_STRING_EQUAL(hdr(h, "Accept"), "application/json");
	CU_ASSERT_PTR_NULL(hdr(h, "anthropic-beta"));
	/* base64("my%20client:s3cr%3At%2F%2B") */
	CU_ASSERT_STRING_EQUAL(hdr(h, "Authorization"),
	    "Basic bXklMjBjbGllbnQ6czNjciUzQXQlMkYlMkI=");
	{
		const char *want = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3A"
		    "grant-type%3Atoken-exchange&subject_token=" JWT
		    "&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type"
		    "%3Ajwt&requested_token_type=urn%3Aietf%3Aparams%3Aoauth%3A"
		    "token-type%3Aaccess_token&audience=https%3A%2F%2Fsts.example"
		    "%2Faud&scope=read%20write&resource=https%3A%2F%2Fapi.example"
		    "%2F";
		CU_ASSERT(h->body_len == strlen(want) &&
		    memcmp(h->body, want, h->body_len) == 0);
		if (h->body_len != strlen(want) ||
		    memcmp(h->body, want, h->body_len) != 0)
			fprintf(stderr, "body: %.*s\n", (int)h->body_len, h->body);
	}
	free(h);
	srv_free(&s);

	/* no secret: client_id goes in the body; no expires_in: the subject's
	 * exp is used; no Authorization header */
	srv_start(&s);
	srv_reply(&s, "200 OK", NULL, "{\"access_token\":\"at-456\"}");
	snprintf(url, sizeof(url), "%s/t", s.base);
	ex.client_secret_file = NULL;
	ex.audience = ex.scope = ex.resource = NULL;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_OK);
	srv_stop(&s);
	CU_ASSERT_EQUAL(t != NULL ? t->expires_at : 0, NOW + 600);
	wif_token_free(t);
	t = NULL;
	h = parse_req(&s);
	CU_ASSERT_PTR_NULL(hdr(h, "Authorization"));
	CU_ASSERT(h->body_len >= 22 && memcmp(h->body + h->body_len - 22,
	    "&client_id=my%20client", 22) == 0);
	free(h);
	srv_free(&s);

	/* a 401 from the STS has the STS hint, not Anthropic's */
	srv_start(&s);
	srv_reply(&s, "401 Unauthorized", NULL, "{\"error\":\"invalid_client\"}");
	snprintf(url, sizeof(url), "%s/t", s.base);
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_AUTH_DENIED);
	srv_stop(&s);
	CU_ASSERT(!has(wif_err_detail(), HINT));
	CU_ASSERT(has(wif_err_detail(), "token service"));
	srv_free(&s);

	/* refused URL, missing token_url, unreadable secret */
	ex.token_url = NULL;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_CONFIG);
	snprintf(url, sizeof(url), "http://sts.example/token");
	ex.token_url = url;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_POLICY);
	snprintf(url, sizeof(url), "http://127.0.0.1:9/token");
	chmod(path, 0644);
	ex.client_secret_file = path;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_PERM);
	CU_ASSERT(!has(wif_err_detail(), "s3cr"));
	CU_ASSERT_PTR_NULL(t);
	unlink(path);
	rmdir(dir);
	wif_identity_free(id);
}

static void
test_rfc8693_parse(void)
{
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	struct wif_exchange_response er = { 200, NULL, 0, NULL, NULL, NULL, NULL };

	er.body = "{\"access_token\":\"x\",\"token_type\":\"N_A\"}";
	er.body_len = strlen(er.body);
	/* no expires_in and no subject exp: refused */
	CU_ASSERT_EQUAL(wif_exchange_parse_response(WIF_EXCHANGE_TOKEN_EXCHANGE,
	    "h", &er, NOW, 0, &t, &st), WIF_E_EXCHANGE);
	/* ... or an expired subject */
	CU_ASSERT_EQUAL(wif_exchange_parse_response(WIF_EXCHANGE_TOKEN_EXCHANGE,
	    "h", &er, NOW, NOW - 1, &t, &st), WIF_E_EXCHANGE);
	CU_ASSERT_EQUAL(wif_exchange_parse_response(WIF_EXCHANGE_TOKEN_EXCHANGE,
	    "h", &er, NOW, NOW + 30, &t, &st), WIF_OK);
	CU_ASSERT_EQUAL(t != NULL ? t->expires_at : 0, NOW + 30);
	wif_token_free(t);
	/* token_type N_A is refused by the anthropic kind */
	CU_ASSERT_EQUAL(wif_exchange_parse_response(WIF_EXCHANGE_ANTHROPIC,
	    "h", &er, NOW, NOW + 30, &t, &st), WIF_E_EXCHANGE);
	er.status = 400;
	er.body = "{\"error\":\"invalid_target\",\"error_description\":\"x\"}";
	er.body_len = strlen(er.body);
	CU_ASSERT_EQUAL(wif_exchange_parse_response(WIF_EXCHANGE_TOKEN_EXCHANGE,
	    "h", &er, NOW, 0, &t, &st), WIF_E_BAD_REQUEST);
	CU_ASSERT_EQUAL(wif_exchange_parse_response(WIF_EXCHANGE_IDENTITY,
	    "h", &er, NOW, 0, &t, &st), WIF_E_INVALID_ARG);
	CU_ASSERT_PTR_NULL(t);
}

static void
test_identity(void)
{
	struct wif_config_exchange ex;
	struct wif_identity *id = identity(JWT);
	struct wif_exchange_status st;
	struct wif_token *t = NULL;

	memset(&ex, 0, sizeof(ex));
	ex.type = WIF_EXCHANGE_IDENTITY;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_OK);
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_STRING_EQUAL(t->access_token, JWT);
	CU_ASSERT_PTR_NOT_EQUAL(t->access_token, id->jwt);
	CU_ASSERT_EQUAL(t->access_token_len, strlen(JWT));
	CU_ASSERT_EQUAL(t->expires_at, NOW + 600);
	CU_ASSERT_EQUAL(t->obtained_at, NOW);
	CU_ASSERT_EQUAL(st.http_status, 0);
	CU_ASSERT_EQUAL(st.retry_after_ms, -1);
	wif_token_free(t);
	t = NULL;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW + 600, &t,
	    &st), WIF_E_JWT_EXPIRED);
	id->claims->has_exp = 0;
	CU_ASSERT_EQUAL(wif_exchange_once(&ex, &pol, "file", id, NOW, &t, &st),
	    WIF_E_JWT);
	CU_ASSERT_PTR_NULL(t);
	wif_identity_free(id);
}

static int
suite_init(void)
{
	wif_http_policy_defaults(&pol);
	return wif_http_global_init() == WIF_OK ? 0 : 1;
}

static const struct cu_test tests[] = {
	{ "url_ok", test_url_ok },
	{ "origin", test_origin },
	{ "plain_http_refused_first", test_plain_http_refused_first },
	{ "request_all_fields", test_request_all_fields },
	{ "request_optional_omitted", test_request_optional_omitted },
	{ "request_base_url_and_long_assertion",
	    test_request_base_url_and_long_assertion },
	{ "request_escaping", test_request_escaping },
	{ "missing_config", test_missing_config },
	{ "success", test_success },
	{ "token_type", test_token_type },
	{ "expires_in", test_expires_in },
	{ "access_token_and_json", test_access_token_and_json },
	{ "401_both_shapes", test_401_both_shapes },
	{ "400", test_400 },
	{ "429_and_retry_after", test_429_and_retry_after },
	{ "5xx_and_others", test_5xx_and_others },
	{ "redirect_not_followed", test_redirect_not_followed },
	{ "oversized", test_oversized },
	{ "no_answer", test_no_answer },
	{ "redaction", test_redaction },
	{ "rfc8693", test_rfc8693 },
	{ "rfc8693_parse", test_rfc8693_parse },
	{ "identity", test_identity },
	{ NULL, NULL }
};

WIF_CU_MAIN("exchange", tests, suite_init, NULL)
