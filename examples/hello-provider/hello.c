/*
 * hello.c - a minimal out-of-tree wif provider: returns the JWT found in
 * the environment variable named by its `variable` option.  Build it with
 * only the installed header and pkg-config:
 *
 *   cc -shared -fPIC $(pkg-config --cflags wif) -fvisibility=hidden \
 *      -o hello.so hello.c
 *   install -m 0755 hello.so "$(pkg-config --variable=providerdir wif)/"
 */
#include <stdlib.h>
#include <string.h>

#include <wif/provider.h>

struct hello {
	const struct wif_host *h;
	const char *variable;
};

static int
hello_init(const struct wif_host *h, void **state)
{
	struct hello *st;

	*state = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return WIF_E_NOMEM;
	st->h = h;
	if (h->config_string(h, "variable", &st->variable) != WIF_OK)
		st->variable = "HELLO_JWT";
	*state = st;
	return WIF_OK;
}

static int
hello_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct hello *st = state;
	const char *v = st->h->getenv(st->h, st->variable);

	(void)req; /* the audience: this source has only one token */
	*jwt = NULL;
	if (v == NULL || *v == '\0') {
		st->h->set_error(st->h, "environment variable %s is not set",
		    st->variable);
		return WIF_E_PROVIDER;
	}
	if ((*jwt = st->h->secure_strndup(st->h, v, strlen(v))) == NULL)
		return WIF_E_NOMEM;
	return WIF_OK;
}

static void
hello_destroy(void *state)
{
	free(state);
}

static const struct wif_option hello_options[] = {
	{ "variable", WIF_OPT_STRING, 0, "environment variable holding the JWT" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider hello = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "hello",
	.description = "example: a JWT from an environment variable",
	.version = "1",
	.options = hello_options,
	.init = hello_init,
	.fetch_identity_token = hello_fetch,
	.destroy = hello_destroy,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &hello;
	return WIF_OK;
}
