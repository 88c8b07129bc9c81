/*
 * file.c - the `file` provider: an identity JWT from a file (a Kubernetes
 * projected token, spiffe-helper's output, a CI step's file), re-read on
 * every fetch because the file rotates.  Whitespace around the token is
 * trimmed; the file is capped at 16 KiB (Anthropic's assertion limit).
 */
#include <stdlib.h>
#include <string.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"

#define FILE_MAX 16384

struct file_state {
	const struct wif_host *h;
	const char *path;
};

static int
file_init(const struct wif_host *h, void **state)
{
	struct file_state *st;
	const char *path = NULL;

	*state = NULL;
	if (h->config_string(h, "path", &path) != WIF_OK || path == NULL) {
		h->set_error(h, "path is required: the file holding the identity JWT");
		return WIF_E_CONFIG;
	}
	if (path[0] != '/') {
		h->set_error(h, "path \"%s\" must be absolute", path);
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return WIF_E_NOMEM;
	st->h = h;
	st->path = path;
	*state = st;
	return WIF_OK;
}

static int
file_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct file_state *st = state;
	const struct wif_host *h = st->h;
	char *buf = NULL, *tok;
	size_t len = 0;
	int r;

	(void)req;
	*jwt = NULL;
	if ((r = h->read_file(h, st->path, FILE_MAX, 0, &buf, &len)) != WIF_OK) {
		if (r == WIF_E_TOO_BIG)
			h->set_error(h, "identity token file %s is larger than %d "
			    "bytes: it does not hold a JWT", st->path, FILE_MAX);
		else if (r == WIF_E_NOT_FOUND)
			h->set_error(h, "identity token file %s does not exist: is "
			    "the volume mounted, has the issuer written it yet?", st->path);
		return r;
	}
	tok = jwtshape_trim(buf, &len);
	if (len == 0) {
		h->secure_free(h, buf);
		h->set_error(h, "identity token file %s is empty: is the volume "
		    "mounted, has the issuer written it yet?", st->path);
		return WIF_E_PROVIDER;
	}
	if (!jwtshape_ok(tok, len)) {
		h->secure_free(h, buf);
		h->set_error(h, "identity token file %s does not hold a JWT "
		    "(expected header.payload.signature)", st->path);
		return WIF_E_JWT;
	}
	*jwt = h->secure_strndup(h, tok, len);
	h->secure_free(h, buf);
	return *jwt != NULL ? WIF_OK : WIF_E_NOMEM;
}

static void
file_destroy(void *state)
{
	free(state);
}

static int
file_detect(const struct wif_host *h)
{
	const char *path = NULL;
	char *buf = NULL;
	size_t len = 0;

	if (h->config_string(h, "path", &path) != WIF_OK)
		return 0;
	if (h->read_file(h, path, FILE_MAX, 0, &buf, &len) != WIF_OK)
		return 0;
	h->secure_free(h, buf);
	return len > 0;
}

static const struct wif_option file_options[] = {
	{ "path", WIF_OPT_STRING, WIF_OPT_REQUIRED | WIF_OPT_PATH,
	  "absolute path of the file holding the identity JWT" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider file_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "file",
	.description = "an identity JWT from a file, re-read on every fetch",
	.version = "1",
	.options = file_options,
	.init = file_init,
	.fetch_identity_token = file_fetch,
	.destroy = file_destroy,
	.detect = file_detect,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &file_provider;
	return WIF_OK;
}
