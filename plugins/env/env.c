/*
 * env.c - the `env` provider: an identity JWT from an environment variable
 * (ANTHROPIC_IDENTITY_TOKEN by default), read on every fetch.  This is the
 * SDKs' literal-token source; prefer a file or a platform provider, since a
 * literal token cannot be refreshed and assertions are single-use.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"

#define ENV_DEFAULT_VARIABLE "ANTHROPIC_IDENTITY_TOKEN"
#define ENV_MAX 16384

struct env_state {
	const struct wif_host *h;
	const char *variable;
};

static int
valid_name(const char *s)
{
	size_t i;

	if (s[0] == '\0' || strlen(s) > 128 || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; s[i]; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return 0;
	return 1;
}

static int
env_init(const struct wif_host *h, void **state)
{
	struct env_state *st;
	const char *v = NULL;

	*state = NULL;
	/* The host sets v to NULL when the key is absent. */
	if (h->config_string(h, "variable", &v) != WIF_OK || v == NULL)
		v = ENV_DEFAULT_VARIABLE;
	if (!valid_name(v)) {
		h->set_error(h, "variable \"%.128s\" is not an environment "
		    "variable name ([A-Za-z_][A-Za-z0-9_]*, at most 128)", v);
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return WIF_E_NOMEM;
	st->h = h;
	st->variable = v;
	*state = st;
	return WIF_OK;
}

static int
env_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct env_state *st = state;
	const struct wif_host *h = st->h;
	const char *v = h->getenv(h, st->variable);
	size_t len;

	(void)req;
	*jwt = NULL;
	if (v == NULL || *v == '\0') {
		h->set_error(h, "environment variable %s is not set", st->variable);
		return WIF_E_NOT_APPLICABLE;
	}
	while (isspace((unsigned char)*v))
		v++;
	len = strlen(v);
	while (len > 0 && isspace((unsigned char)v[len - 1]))
		len--;
	if (len == 0) {
		h->set_error(h, "environment variable %s is empty", st->variable);
		return WIF_E_PROVIDER;
	}
	if (len > ENV_MAX) {
		h->set_error(h, "environment variable %s holds %zu bytes, more "
		    "than the %d a JWT may have", st->variable, len, ENV_MAX);
		return WIF_E_TOO_BIG;
	}
	if (!jwtshape_ok(h, v, len)) {
		h->set_error(h, "environment variable %s does not hold a JWT "
		    "(three base64url parts, a JSON header with \"alg\"); put the "
		    "raw identity token in it, nothing else", st->variable);
		return WIF_E_PROVIDER;
	}
	if ((*jwt = h->secure_strndup(h, v, len)) == NULL)
		return WIF_E_NOMEM;
	return WIF_OK;
}

static void
env_destroy(void *state)
{
	free(state);
}

static int
env_detect(const struct wif_host *h)
{
	const char *name = NULL, *v;

	if (h->config_string(h, "variable", &name) != WIF_OK || name == NULL ||
	    !valid_name(name))
		name = ENV_DEFAULT_VARIABLE;
	v = h->getenv(h, name);
	return v != NULL && *v != '\0';
}

static const struct wif_option env_options[] = {
	{ "variable", WIF_OPT_STRING, 0,
	  "environment variable holding the JWT (default ANTHROPIC_IDENTITY_TOKEN)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider env_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "env",
	.description = "an identity JWT from an environment variable",
	.version = "1",
	.options = env_options,
	.init = env_init,
	.fetch_identity_token = env_fetch,
	.destroy = env_destroy,
	.detect = env_detect,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &env_provider;
	return WIF_OK;
}
