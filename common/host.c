/* host.c - the host services a provider plugin sees; see host.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "host.h"
#include "json.h"
#include "log.h"
#include "proc.h"
#include "secmem.h"

struct wif_host_impl {
	struct wif_host pub;               /* first: plugins hold &pub */
	char *provider;
	char *profile;
	const struct wif_config_source *src;
	const char *const *kv;
	struct wif_http_policy http;
	int64_t (*now)(void);
	int64_t (*monotonic_ms)(void);
};

#define IMPL(h) ((const struct wif_host_impl *)(const void *)(h))


static void
h_log(const struct wif_host *h, int level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wif_log(level, "profile %s: provider %s: %s", IMPL(h)->profile,
	    IMPL(h)->provider, msg);
}

static void
h_set_error(const struct wif_host *h, const char *fmt, ...)
{
	char msg[WIF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wif_err(0, "%s", msg);
}

static const char *
kv_lookup(const struct wif_host_impl *hi, const char *key)
{
	size_t i;

	for (i = 0; hi->kv != NULL && hi->kv[i] != NULL && hi->kv[i + 1] != NULL; i += 2)
		if (strcmp(hi->kv[i], key) == 0)
			return hi->kv[i + 1];
	return NULL;
}

static int
h_config_string(const struct wif_host *h, const char *key, const char **out)
{
	const struct wif_host_impl *hi = IMPL(h);

	*out = NULL;
	if (hi->src != NULL)
		return wif_config_source_string(hi->src, key, out);
	return (*out = kv_lookup(hi, key)) != NULL ? WIF_OK : WIF_E_NOT_FOUND;
}

static int
h_config_int(const struct wif_host *h, const char *key, int64_t *out)
{
	const struct wif_host_impl *hi = IMPL(h);
	const char *v;
	char *end;

	if (hi->src != NULL)
		return wif_config_source_int(hi->src, key, out);
	if ((v = kv_lookup(hi, key)) == NULL)
		return WIF_E_NOT_FOUND;
	*out = strtoll(v, &end, 10);
	return (*v != '\0' && *end == '\0') ? WIF_OK : WIF_E_CONFIG;
}

static int
h_config_bool(const struct wif_host *h, const char *key, int *out)
{
	const struct wif_host_impl *hi = IMPL(h);
	const char *v;

	if (hi->src != NULL)
		return wif_config_source_bool(hi->src, key, out);
	if ((v = kv_lookup(hi, key)) == NULL)
		return WIF_E_NOT_FOUND;
	*out = strcmp(v, "true") == 0;
	return WIF_OK;
}

static int
h_config_list_string(const struct wif_host *h, const char *key, size_t idx,
                     const char **out)
{
	const struct wif_host_impl *hi = IMPL(h);

	*out = NULL;
	if (hi->src != NULL)
		return wif_config_source_list_string(hi->src, key, idx, out);
	return WIF_E_NOT_FOUND;
}

static const char *
h_getenv(const struct wif_host *h, const char *name)
{
	return getenv(name);
}

static int
h_read_file(const struct wif_host *h, const char *path, size_t max,
            unsigned flags, char **out, size_t *out_len)
{
	return wif_read_file(path, max,
	    (flags & WIF_READ_SECRET) ? WIF_READ_SECRET_FLAG : 0, out, out_len);
}

static int
h_http(const struct wif_host *h, const struct wif_http_request *req,
       struct wif_http_response **resp)
{
	return wif_http_request(&IMPL(h)->http, req, resp);
}

static const char *
h_http_header(const struct wif_host *h, const struct wif_http_response *resp,
              const char *name)
{
	return wif_http_header(resp, name);
}

static void
h_http_free(const struct wif_host *h, struct wif_http_response *resp)
{
	wif_http_free(resp);
}

static int
h_json_parse(const struct wif_host *h, const char *buf, size_t len,
             struct wif_json **doc)
{
	return wif_json_parse(buf, len, doc);
}

static int
h_json_get_string(const struct wif_host *h, const struct wif_json *doc,
                  const char *pointer, const char **out)
{
	return wif_json_get_string(doc, pointer, out);
}

static int
h_json_get_int(const struct wif_host *h, const struct wif_json *doc,
               const char *pointer, int64_t *out)
{
	return wif_json_get_int(doc, pointer, out);
}

static struct wif_json *
h_json_new_object(const struct wif_host *h)
{
	return wif_json_new_object();
}

static int
h_json_set_string(const struct wif_host *h, struct wif_json *doc,
                  const char *key, const char *value)
{
	return wif_json_set_string(doc, key, value);
}

static int
h_json_set_int(const struct wif_host *h, struct wif_json *doc,
               const char *key, int64_t value)
{
	return wif_json_set_int(doc, key, value);
}

static int
h_json_serialize(const struct wif_host *h, const struct wif_json *doc,
                 char **out)
{
	return wif_json_serialize(doc, out);
}

static void
h_json_free(const struct wif_host *h, struct wif_json *doc)
{
	wif_json_free(doc);
}

static int
h_sha256(const struct wif_host *h, const void *d, size_t n, uint8_t out[32])
{
	return wif_sha256(d, n, out);
}

static int
h_hmac_sha256(const struct wif_host *h, const void *k, size_t kn,
              const void *d, size_t n, uint8_t out[32])
{
	return wif_hmac_sha256(k, kn, d, n, out);
}

static int
h_base64_encode(const struct wif_host *h, const void *d, size_t n, char **out)
{
	return wif_base64_encode(d, n, out);
}

static int
h_base64url_encode(const struct wif_host *h, const void *d, size_t n,
                   char **out)
{
	return wif_base64url_encode(d, n, out);
}

static int
h_base64url_decode(const struct wif_host *h, const char *in, size_t n,
                   uint8_t **out, size_t *out_len)
{
	return wif_base64url_decode(in, n, out, out_len);
}

static int
h_random_bytes(const struct wif_host *h, void *buf, size_t n)
{
	return wif_random_bytes(buf, n);
}

static int
h_jws_sign(const struct wif_host *h, const char *alg, const char *pem,
           size_t pem_len, const char *kid, const char *payload, char **out)
{
	return wif_jws_sign(alg, pem, pem_len, kid, payload, out);
}

static void *
h_secure_alloc(const struct wif_host *h, size_t n)
{
	return wif_secmem_alloc(n);
}

static void
h_secure_free(const struct wif_host *h, void *p)
{
	wif_secmem_free(p);
}

static char *
h_secure_strndup(const struct wif_host *h, const char *s, size_t n)
{
	return wif_secmem_strndup(s, n);
}

static int64_t
h_now(const struct wif_host *h)
{
	return IMPL(h)->now();
}

static int64_t
h_monotonic_ms(const struct wif_host *h)
{
	return IMPL(h)->monotonic_ms();
}

static int
h_run_program(const struct wif_host *h, const char *const *argv,
              const char *const *env, long timeout_ms, size_t max_out,
              char **out, size_t *out_len, char **err_out, int *exit_status)
{
	return wif_run_program(argv, env, timeout_ms, max_out, out, out_len,
	    err_out, exit_status);
}

static const struct wif_host host_template = {
	.struct_size = sizeof(struct wif_host),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.log = h_log,
	.set_error = h_set_error,
	.strerror = wif_strerror,
	.config_string = h_config_string,
	.config_int = h_config_int,
	.config_bool = h_config_bool,
	.config_list_string = h_config_list_string,
	.getenv = h_getenv,
	.read_file = h_read_file,
	.http = h_http,
	.http_header = h_http_header,
	.http_free = h_http_free,
	.json_parse = h_json_parse,
	.json_get_string = h_json_get_string,
	.json_get_int = h_json_get_int,
	.json_new_object = h_json_new_object,
	.json_set_string = h_json_set_string,
	.json_set_int = h_json_set_int,
	.json_serialize = h_json_serialize,
	.json_free = h_json_free,
	.sha256 = h_sha256,
	.hmac_sha256 = h_hmac_sha256,
	.base64_encode = h_base64_encode,
	.base64url_encode = h_base64url_encode,
	.base64url_decode = h_base64url_decode,
	.random_bytes = h_random_bytes,
	.jws_sign = h_jws_sign,
	.secure_alloc = h_secure_alloc,
	.secure_free = h_secure_free,
	.secure_strndup = h_secure_strndup,
	.now = h_now,
	.monotonic_ms = h_monotonic_ms,
	.run_program = h_run_program,
};

int
wif_host_new(const struct wif_host_params *p, struct wif_host **out)
{
	struct wif_host_impl *hi;

	*out = NULL;
	if ((hi = calloc(1, sizeof(*hi))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	hi->pub = host_template;
	if ((hi->provider = strdup(p->provider ? p->provider : "?")) == NULL ||
	    (hi->profile = strdup(p->profile ? p->profile : "?")) == NULL) {
		free(hi->provider);
		free(hi);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	hi->src = p->src;
	hi->kv = p->kv;
	if (p->http != NULL)
		hi->http = *p->http;
	else
		wif_http_policy_defaults(&hi->http);
	hi->now = p->now ? p->now : wif_clock_now;
	hi->monotonic_ms = p->monotonic_ms ? p->monotonic_ms : wif_clock_monotonic_ms;
	*out = &hi->pub;
	return WIF_OK;
}

void
wif_host_free(struct wif_host *h)
{
	struct wif_host_impl *hi = (struct wif_host_impl *)(void *)h;

	if (hi == NULL)
		return;
	free(hi->provider);
	free(hi->profile);
	free(hi);
}
