/*
 * mock.c - a provider plugin for tests, built several times with different
 * defines so that every loader rule has a plugin that breaks it:
 *   (none)          a good plugin of the current minor
 *   MOCK_OLDMINOR   ABI 1.0: a table that ends before describe()
 *   MOCK_NEWMINOR   ABI 1.(current+1): a longer table with a future field
 *   MOCK_BADMAJOR   claims major 2
 *   MOCK_SHORT      struct_size smaller than ABI 1.0
 *   MOCK_NOSYM      exports a misspelt entry symbol
 *   MOCK_WRONGNAME  calls itself "mock" whatever its file name
 *   MOCK_NOFETCH    lacks fetch_identity_token
 *   MOCK_REFUSE     entry refuses the host's major
 * Behaviour of the good one, from its config section: `jwt` (returned as
 * is), `jwt_file` (read through host->read_file each fetch), `fail`
 * (returns WIF_E_PROVIDER with that text as error detail), `sleep_ms`
 * (each fetch first sleeps that long: a slow identity provider), and
 * detect() answers $MOCK_DETECT ("0" = not here).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wif/provider.h>

#ifndef MOCK_NAME
#define MOCK_NAME "mock"
#endif

struct mock_state {
	const struct wif_host *h;
	unsigned fetches;
};

static int
mock_init(const struct wif_host *h, void **state)
{
	struct mock_state *st;
	const char *v;

	*state = NULL;
	if (h->config_string(h, "fail_init", &v) == WIF_OK) {
		h->set_error(h, "init refused: %s", v);
		return WIF_E_CONFIG;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return WIF_E_NOMEM;
	st->h = h;
	*state = st;
	return WIF_OK;
}

__attribute__((unused)) static int
mock_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct mock_state *st = state;
	const struct wif_host *h = st->h;
	const char *v;
	char *buf = NULL;
	size_t len = 0;
	int r;

	*jwt = NULL;
	st->fetches++;
	{
		int64_t ms;

		if (h->config_int(h, "sleep_ms", &ms) == WIF_OK && ms > 0) {
			struct timespec ts = { (time_t)(ms / 1000),
			    (long)(ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	if (h->config_string(h, "fail", &v) == WIF_OK) {
		h->set_error(h, "%s", v);
		return WIF_E_PROVIDER;
	}
	if (h->config_string(h, "jwt_file", &v) == WIF_OK) {
		if ((r = h->read_file(h, v, 16384, 0, &buf, &len)) != WIF_OK)
			return r;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
			buf[--len] = '\0';
		*jwt = buf;
		return WIF_OK;
	}
	if (h->config_string(h, "jwt", &v) == WIF_OK) {
		if ((*jwt = h->secure_strndup(h, v, strlen(v))) == NULL)
			return WIF_E_NOMEM;
		return WIF_OK;
	}
	h->set_error(h, "mock has nothing to return for audience %s",
	    req->audience ? req->audience : "(none)");
	return WIF_E_PROVIDER;
}

static void
mock_destroy(void *state)
{
	free(state);
}

static int
mock_detect(const struct wif_host *h)
{
	const char *v = h->getenv(h, "MOCK_DETECT");

	return !(v != NULL && strcmp(v, "0") == 0);
}

static int
mock_describe(void *state, char *buf, size_t len)
{
	struct mock_state *st = state;

#ifdef MOCK_OLDMINOR
	/* Stands for the bytes past an ABI 1.0 table: a core that reads a
	 * field without WIF_HAS would call this, and the test would see it. */
	(void)st;
	snprintf(buf, len, "POISON: the core read past struct_size");
#else
	snprintf(buf, len, "mock: %u fetches", st->fetches);
#endif
	return WIF_OK;
}

static const struct wif_option mock_options[] = {
	{ "jwt", WIF_OPT_STRING, WIF_OPT_SECRET, "the JWT to return" },
	{ "jwt_file", WIF_OPT_STRING, WIF_OPT_PATH, "a file to read the JWT from" },
	{ "fail", WIF_OPT_STRING, 0, "fail every fetch with this message" },
	{ "fail_init", WIF_OPT_STRING, 0, "fail init with this message" },
	{ "count", WIF_OPT_INT, 0, "an integer, unused" },
	{ "sleep_ms", WIF_OPT_INT, 0, "sleep this long in each fetch" },
	{ NULL, 0, 0, NULL },
};

#if defined(MOCK_NEWMINOR)
/* What a plugin built against a future minor looks like to this core. */
static const struct {
	struct wif_provider base;
	int (*future_fn)(void *);
} table = {
	.base = {
		.struct_size = sizeof(table),
		.abi_major = WIF_PROVIDER_ABI_MAJOR,
		.abi_minor = WIF_PROVIDER_ABI_MINOR + 1,
		.name = MOCK_NAME, .description = "mock of a newer minor",
		.version = "1", .options = mock_options,
		.init = mock_init, .fetch_identity_token = mock_fetch,
		.destroy = mock_destroy, .detect = mock_detect,
		.describe = mock_describe,
	},
	.future_fn = NULL,
};
#define TABLE (&table.base)
#else
__attribute__((unused)) static const struct wif_provider table = {
#if defined(MOCK_OLDMINOR)
	/* ABI 1.0 ended after detect(). */
	.struct_size = offsetof(struct wif_provider, detect) +
	    sizeof(((struct wif_provider *)0)->detect),
	.abi_minor = 0,
#elif defined(MOCK_SHORT)
	.struct_size = 16,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
#else
	.struct_size = sizeof(struct wif_provider),
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
#endif
#if defined(MOCK_BADMAJOR)
	.abi_major = 2,
#else
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
#endif
#if defined(MOCK_WRONGNAME)
	.name = "mock",
#else
	.name = MOCK_NAME,
#endif
	.description = "test provider",
	.version = "1",
	.options = mock_options,
	.init = mock_init,
#if !defined(MOCK_NOFETCH)
	.fetch_identity_token = mock_fetch,
#endif
	.destroy = mock_destroy,
	.detect = mock_detect,
	.describe = mock_describe,
};
#define TABLE (&table)
#endif

#if defined(MOCK_NOSYM)
WIF_EXPORT int wif_provider_entry_typo(uint16_t host_major,
                                       const struct wif_provider **out);
WIF_EXPORT int
wif_provider_entry_typo(uint16_t host_major, const struct wif_provider **out)
#else
WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
#endif
{
	*out = NULL;
#if defined(MOCK_REFUSE)
	(void)host_major;
	return WIF_E_ABI;
#else
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = TABLE;
	return WIF_OK;
#endif
}
