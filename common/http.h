/*
 * http.h - HTTP under the core's policy (libcurl).
 *
 * Owns: every libcurl easy handle in the core, and curl_global_init (done
 * once, by wif_http_global_init()).  Policy, always: TLS peer and host
 * verification on; redirects never followed (a 3xx is returned to the
 * caller as a response); plain http:// only to loopback (127.0.0.0/8,
 * ::1, localhost) and the link-local metadata addresses (169.254.169.254,
 * fd00:ec2::254, metadata.google.internal) - anything else WIF_E_POLICY
 * before any connection is made; connect and total timeouts; the response
 * body capped (WIF_E_TOO_BIG past it, the transfer aborted); only the
 * http/https protocols.  With WIF_HTTP_RETRY: network errors, 408, 429
 * (Retry-After in seconds or retry-after-ms honoured, capped) and 5xx are
 * retried up to policy->retries times with jittered exponential backoff
 * (backoff_ms * 2^n, 0-25 % jitter, capped at 8 s) while the total time
 * stays under policy->budget_ms.
 * Must never: log or put into an error message a request body, a response
 * body, or the value of an Authorization-like header.
 */
#ifndef WIF_HTTP_H
#define WIF_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wif/provider.h>

struct wif_http_policy {
	long timeout_ms;          /* default 10000 */
	long connect_timeout_ms;  /* default 3000 */
	size_t max_body;          /* default 1 MiB */
	int retries;              /* default 3 */
	long backoff_ms;          /* default 500 */
	long budget_ms;           /* default 30000: total time across retries */
	const char *user_agent;   /* default "wif/<version>" */
	const char *ca_file;      /* extra CA bundle (tests), or NULL */
};

/* Fill p with the defaults above (inline: configuration loading, libc
 * only and so in wifd too, sets them). */
static inline void
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

/* curl_global_init once; safe to call repeatedly and from threads. */
int wif_http_global_init(void);
/* WIF_OK when the policy allows url (scheme and host check only). */
int wif_http_url_allowed(const char *url);
/* Perform req.  *resp (public struct first, opaque headers after) is freed
 * with wif_http_free().  A non-2xx status is NOT an error here: the caller
 * reads resp->status.  Errors: WIF_E_POLICY, WIF_E_HTTP, WIF_E_TIMEOUT,
 * WIF_E_TOO_BIG, WIF_E_NOMEM, with wif_err() detail naming the host. */
int wif_http_request(const struct wif_http_policy *policy,
                     const struct wif_http_request *req,
                     struct wif_http_response **resp);
/* Case-insensitive header lookup (last occurrence), borrowed, or NULL. */
const char *wif_http_header(const struct wif_http_response *resp,
                            const char *name);
/* Wipes the body; accepts NULL. */
void wif_http_free(struct wif_http_response *resp);

/* The retry delay after n failed attempts: base_ms * 2^n capped at 8 s,
 * plus 0-25 % jitter.  Shared by HTTP retries and the exchange (mint.c). */
int64_t wif_http_backoff_ms(long base_ms, int n);
/* Sleep ms milliseconds (EINTR-safe); nothing for ms <= 0. */
void wif_sleep_ms(int64_t ms);

#endif
