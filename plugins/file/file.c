/*
 * file.c - the `file` provider: an identity JWT from a file (a Kubernetes
 * projected token, spiffe-helper's output, a CI step's file), re-read on
 * every fetch because the file rotates.  Whitespace around the token is
 * trimmed; the file is capped at 16 KiB (Anthropic's assertion limit).
 * The file's content never appears in an error message.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"

#define FILE_MAX 16384

struct file_state {
	const struct wif_host *h;
	const char *path; /* borrowed from the config, lives until destroy */
};

static int
file_init(const struct wif_host *h, void **state)
{
	struct file_state *st;
	const char *path = NULL;

	*state = NULL;
	if (h->config_string(h, "path", &path) != WIF_OK || path == NULL ||
	    path[0] == '\0') {
		h->set_error(h, "path is required: the absolute path of the file "
		    "holding the identity JWT");
		return WIF_E_CONFIG;
	}
	if (path[0] != '/') {
		h->set_error(h, "path \"%s\" must be an absolute path", path);
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	st->path = path;
	*state = st;
	return WIF_OK;
}

static int
read_error(const struct wif_host *h, const char *path, int r)
{
	switch (r) {
	case WIF_E_NOT_FOUND:
		h->set_error(h, "identity token file %s does not exist: is the "
		    "volume mounted / has the issuer written it yet?", path);
		break;
	case WIF_E_TOO_BIG:
		h->set_error(h, "identity token file %s is larger than %d bytes, "
		    "so it does not hold a JWT: check that path names the token",
		    path, FILE_MAX);
		break;
	case WIF_E_PERM:
		h->set_error(h, "identity token file %s is not readable by uid %u: "
		    "fix its owner/mode or run wif as a user that may read it",
		    path, (unsigned)geteuid());
		break;
	case WIF_E_IO:
		h->set_error(h, "cannot read identity token file %s (%s): it must "
		    "be a regular file (or a symlink to one)", path,
		    h->strerror(r));
		break;
	default:
		h->set_error(h, "cannot read identity token file %s: %s", path,
		    h->strerror(r));
		break;
	}
	return r;
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
	if ((r = h->read_file(h, st->path, FILE_MAX, 0, &buf, &len)) != WIF_OK)
		return read_error(h, st->path, r);
	tok = jwtshape_trim(buf, &len);
	if (len == 0) {
		h->set_error(h, "identity token file %s is empty: is the volume "
		    "mounted / has the issuer written it yet?", st->path);
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (!jwtshape_ok(h, tok, len)) {
		h->set_error(h, "identity token file %s does not hold a JWT "
		    "(expected header.payload.signature, three base64url parts "
		    "with a JSON header naming its alg): check that path names "
		    "the identity token, not a key or another file", st->path);
		r = WIF_E_JWT;
		goto out;
	}
	if ((*jwt = h->secure_strndup(h, tok, len)) == NULL) {
		h->set_error(h, "out of memory copying the token of %s", st->path);
		r = WIF_E_NOMEM;
		goto out;
	}
	r = WIF_OK;
out:
	h->secure_free(h, buf);
	return r;
}

static void
file_destroy(void *state)
{
	free(state);
}

/* Applies when the file exists; whether it holds a JWT is fetch's job. */
static int
file_detect(const struct wif_host *h)
{
	const char *path = NULL;
	struct stat sb;

	if (h->config_string(h, "path", &path) != WIF_OK || path == NULL)
		return 0;
	return stat(path, &sb) == 0;
}

static const struct wif_option file_options[] = {
	{ "path", WIF_OPT_STRING, WIF_OPT_REQUIRED | WIF_OPT_PATH,
	  "absolute path of the file holding the identity JWT (max 16 KiB)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider file_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "file",
	.description = "an identity JWT from a file, re-read on every fetch",
	.version = "1",
	.flags = 0,
	.options = file_options,
	.init = file_init,
	.fetch_identity_token = file_fetch,
	.destroy = file_destroy,
	.detect = file_detect,
	.describe = NULL,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	if (out == NULL)
		return WIF_E_INVALID_ARG;
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &file_provider;
	return WIF_OK;
}
