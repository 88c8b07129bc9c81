/*
 * exchange.h - one token exchange: identity JWT in, access token out.
 *
 * Owns: the wire format of the three exchange kinds (PROTOCOL.md §1-§2):
 *  - anthropic: POST {base_url}/v1/oauth/token, JSON body with keys in the
 *    order grant_type, assertion, federation_rule_id, organization_id,
 *    service_account_id, workspace_id (optional keys left out when unset,
 *    never sent empty, scope never sent); headers Content-Type:
 *    application/json, anthropic-beta: oauth-2025-04-20,oidc-federation-2026-04-01,
 *    User-Agent: wif/<version> (wif; provider=<name>).  https only, except
 *    http://localhost, http://127.0.0.1 and http://[::1].
 *  - oauth2-token-exchange: RFC 8693 form body to token_url.
 *  - identity: no request; the JWT itself is the token (expires at its exp).
 * One attempt only, no retries: the caller (mint.c) retries with a FRESH
 * assertion, because assertions are single-use.  Redirects are errors.  The
 * response body is read up to 1 MiB (or http.max_body if smaller).
 * Must never: log or put into an error the assertion, the request body, the
 * access token, or an unredacted response body (only the JSON keys error,
 * error_description, error_uri, error.type, error.message are kept,
 * control characters stripped, truncated to 256 chars).
 */
#ifndef WIF_EXCHANGE_H
#define WIF_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "core.h"
#include "http.h"
#include "token.h"

#define WIF_ANTHROPIC_BETA "oauth-2025-04-20,oidc-federation-2026-04-01"
#define WIF_GRANT_JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define WIF_EXCHANGE_MAX_BODY (1024 * 1024)
#define WIF_EXCHANGE_MAX_EXPIRES_IN (7 * 86400)

/* What happened, filled on success and failure alike. */
struct wif_exchange_status {
	long http_status;          /* 0 when no HTTP response */
	char request_id[128];      /* request-id response header, or "" */
	char error_type[64];       /* "authentication_error", "invalid_grant", ... or "" */
	char message[300];         /* the redacted server message, or "" */
	int64_t retry_after_ms;    /* from retry-after-ms / retry-after; -1 when absent */
	int transient;             /* 1: a later attempt may succeed (network, 408, 429, 5xx, 529) */
	int consumed;              /* 1: the server judged the assertion (it must not be re-sent) */
};

/*
 * Exchange id (a fresh identity JWT from the profile's source) according to
 * ex.  provider names the source for the User-Agent.  now is the wall clock
 * used for expires_at.  Returns WIF_OK with *out (free with
 * wif_token_free), or:
 *   WIF_E_POLICY       non-https base URL / token URL, or a 3xx response
 *   WIF_E_HTTP, WIF_E_TIMEOUT   no usable response (transient)
 *   WIF_E_AUTH_DENIED  401, or 400 invalid_grant (the May-2026 contract);
 *                      the detail carries the SDKs' hint (rule match,
 *                      ANTHROPIC_WORKSPACE_ID / workspace_id, Console →
 *                      Workload identity → authentication history)
 *   WIF_E_BAD_REQUEST  other 400s, with the server's message
 *   WIF_E_RATE_LIMITED 429 (transient; retry_after_ms set when given)
 *   WIF_E_SERVER       5xx / 529 (transient)
 *   WIF_E_HTTP_STATUS  any other status
 *   WIF_E_EXCHANGE     200 but the body is not JSON, lacks access_token or
 *                      expires_in, has a token_type other than bearer, or an
 *                      insane expires_in (<= 0 or > WIF_EXCHANGE_MAX_EXPIRES_IN)
 *   WIF_E_TOO_BIG      body over the cap
 * The detail always names the URL's host and the request-id when there is one.
 */
int wif_exchange_once(const struct wif_config_exchange *ex,
                      const struct wif_http_policy *policy,
                      const char *provider, const struct wif_identity *id,
                      int64_t now, struct wif_token **out,
                      struct wif_exchange_status *st);

/* 1 when base is an acceptable base/token URL: https://..., or http:// to
 * localhost, 127.0.0.1 or [::1] (any port).  Shared with config checks. */
int wif_exchange_url_ok(const char *url);

/*
 * One HTTP answer as the response parser sees it: what wif_exchange_once()
 * got from wif_http_request(), or a test's or a fuzzer's input.  Borrowed;
 * body need not be NUL-terminated.  Header values are NULL when absent.
 */
struct wif_exchange_response {
	long status;
	const char *body;
	size_t body_len;
	const char *request_id;      /* request-id */
	const char *retry_after;     /* retry-after: seconds or an HTTP-date */
	const char *retry_after_ms;  /* retry-after-ms */
	const char *location;        /* location (3xx) */
};

/*
 * Classify and parse resp as the answer of an exchange of kind type
 * (WIF_EXCHANGE_ANTHROPIC or WIF_EXCHANGE_TOKEN_EXCHANGE) sent to origin
 * ("scheme://host[:port]", only used in messages).  subject_exp is the
 * identity JWT's exp (0 = unknown): an RFC 8693 answer without expires_in
 * expires with it.  Same returns, *out and st as wif_exchange_once(); this
 * is its second half, split out so it can be tested and fuzzed without HTTP.
 */
int wif_exchange_parse_response(int type, const char *origin,
                                const struct wif_exchange_response *resp,
                                int64_t now, int64_t subject_exp,
                                struct wif_token **out,
                                struct wif_exchange_status *st);

/* "scheme://host[:port]" of url into buf (never the path, query or
 * userinfo), or "(invalid URL)". */
void wif_exchange_origin(const char *url, char *buf, size_t len);

#endif
