/*
 * exec.c - the `exec` provider: run a configured program (argv, no shell)
 * and take the identity JWT from its standard output, either raw or in a
 * small JSON document.  The program runs with a scrubbed environment (only
 * what `env` names), stdin from /dev/null, a timeout and an output cap.
 * Its stderr may appear in error messages; its stdout (a token) never does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"

#define EXEC_MAX_ARGS 64
#define EXEC_MAX_ENV 64
#define EXEC_DEFAULT_TIMEOUT 10000
#define EXEC_DEFAULT_MAX_OUTPUT 65536

struct exec_state {
	const struct wif_host *h;
	const char *argv[EXEC_MAX_ARGS + 1];
	char *env[EXEC_MAX_ENV + 2];
	size_t n_env;
	long timeout_ms;
	size_t max_output;
	int format;               /* 0 auto, 1 jwt, 2 json */
	const char *json_field;   /* NULL: try the usual names */
};

static void
exec_destroy(void *state)
{
	struct exec_state *st = state;
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_env; i++)
		free(st->env[i]);
	free(st);
}

static int
init_env(struct exec_state *st)
{
	const struct wif_host *h = st->h;
	const char *v, *val;
	size_t i;

	for (i = 0; h->config_list_string(h, "env", i, &v) == WIF_OK; i++) {
		char *e;
		if (st->n_env >= EXEC_MAX_ENV) {
			h->set_error(h, "env has more than %d entries", EXEC_MAX_ENV);
			return WIF_E_CONFIG;
		}
		if (strchr(v, '=') != NULL) {
			e = strdup(v);
		} else {
			/* "NAME": passed through from wif's own environment. */
			size_t n;
			if ((val = h->getenv(h, v)) == NULL)
				continue;
			n = strlen(v) + strlen(val) + 2;
			if ((e = malloc(n)) != NULL)
				snprintf(e, n, "%s=%s", v, val);
		}
		if (e == NULL)
			return WIF_E_NOMEM;
		st->env[st->n_env++] = e;
	}
	for (i = 0; i < st->n_env; i++)
		if (strncmp(st->env[i], "PATH=", 5) == 0)
			return WIF_OK;
	if ((st->env[st->n_env] = strdup("PATH=/usr/bin:/bin")) == NULL)
		return WIF_E_NOMEM;
	st->n_env++;
	return WIF_OK;
}

static int
exec_init(const struct wif_host *h, void **state)
{
	struct exec_state *st;
	const char *v;
	int64_t n;
	size_t i;
	int r;

	*state = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return WIF_E_NOMEM;
	st->h = h;
	st->timeout_ms = EXEC_DEFAULT_TIMEOUT;
	st->max_output = EXEC_DEFAULT_MAX_OUTPUT;
	for (i = 0; h->config_list_string(h, "command", i, &v) == WIF_OK; i++) {
		if (i >= EXEC_MAX_ARGS) {
			h->set_error(h, "command has more than %d words", EXEC_MAX_ARGS);
			r = WIF_E_CONFIG;
			goto fail;
		}
		st->argv[i] = v;
	}
	if (i == 0) {
		h->set_error(h, "command is required: [ \"/absolute/program\", \"arg\", ... ]");
		r = WIF_E_CONFIG;
		goto fail;
	}
	if (st->argv[0][0] != '/') {
		h->set_error(h, "command[0] \"%s\" must be an absolute path (no "
		    "shell and no PATH search are involved)", st->argv[0]);
		r = WIF_E_CONFIG;
		goto fail;
	}
	if (h->config_int(h, "timeout_ms", &n) == WIF_OK) {
		if (n < 100 || n > 300000) {
			h->set_error(h, "timeout_ms = %lld is out of range (100 to 300000)",
			    (long long)n);
			r = WIF_E_CONFIG;
			goto fail;
		}
		st->timeout_ms = (long)n;
	}
	if (h->config_int(h, "max_output", &n) == WIF_OK) {
		if (n < 1024 || n > 1048576) {
			h->set_error(h, "max_output = %lld is out of range (1024 to 1048576)",
			    (long long)n);
			r = WIF_E_CONFIG;
			goto fail;
		}
		st->max_output = (size_t)n;
	}
	if (h->config_string(h, "format", &v) == WIF_OK) {
		if (strcmp(v, "auto") == 0) st->format = 0;
		else if (strcmp(v, "jwt") == 0) st->format = 1;
		else if (strcmp(v, "json") == 0) st->format = 2;
		else {
			h->set_error(h, "format \"%s\" is unknown: auto, jwt or json", v);
			r = WIF_E_CONFIG;
			goto fail;
		}
	}
	if (h->config_string(h, "json_field", &v) == WIF_OK) {
		if (v[0] != '/') {
			h->set_error(h, "json_field \"%s\" must be a JSON Pointer such "
			    "as \"/token\"", v);
			r = WIF_E_CONFIG;
			goto fail;
		}
		st->json_field = v;
	}
	if ((r = init_env(st)) != WIF_OK)
		goto fail;
	*state = st;
	return WIF_OK;
fail:
	exec_destroy(st);
	return r;
}

/* The first line of stderr, printable, at most 200 chars. */
static void
first_line(const char *err, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; err != NULL && err[i] != '\0' && err[i] != '\n' && o + 1 < len && o < 200; i++)
		buf[o++] = (err[i] >= 0x20 && err[i] != 0x7f) ? err[i] : '?';
	buf[o] = '\0';
}

static int
from_json(struct exec_state *st, const char *out, size_t len, char **jwt)
{
	static const char *const fields[] = { "/token", "/id_token",
	    "/access_token", "/value", NULL };
	const struct wif_host *h = st->h;
	struct wif_json *doc = NULL;
	const char *v = NULL;
	size_t i;
	int r;

	if ((r = h->json_parse(h, out, len, &doc)) != WIF_OK) {
		h->set_error(h, "%s printed something that is neither a JWT nor "
		    "valid JSON", st->argv[0]);
		return WIF_E_PROVIDER;
	}
	if (st->json_field != NULL)
		r = h->json_get_string(h, doc, st->json_field, &v);
	else
		for (i = 0, r = WIF_E_NOT_FOUND; fields[i] != NULL && r != WIF_OK; i++)
			r = h->json_get_string(h, doc, fields[i], &v);
	if (r != WIF_OK || v == NULL) {
		h->set_error(h, "%s printed JSON without a string at %s", st->argv[0],
		    st->json_field ? st->json_field : "/token, /id_token, "
		    "/access_token or /value (set json_field)");
		h->json_free(h, doc);
		return WIF_E_PROVIDER;
	}
	*jwt = h->secure_strndup(h, v, strlen(v));
	h->json_free(h, doc);
	return *jwt != NULL ? WIF_OK : WIF_E_NOMEM;
}

static int
exec_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct exec_state *st = state;
	const struct wif_host *h = st->h;
	char *out = NULL, *err = NULL, *tok, line[256];
	size_t len = 0;
	int status = -1, r;

	(void)req;
	*jwt = NULL;
	r = h->run_program(h, st->argv, (const char *const *)st->env, st->timeout_ms,
	    st->max_output, &out, &len, &err, &status);
	if (r == WIF_E_TIMEOUT) {
		h->set_error(h, "%s did not finish within %ld ms (timeout_ms)",
		    st->argv[0], st->timeout_ms);
		goto out;
	}
	if (r == WIF_E_TOO_BIG) {
		h->set_error(h, "%s printed more than %zu bytes (max_output)",
		    st->argv[0], st->max_output);
		goto out;
	}
	if (r != WIF_OK)
		goto out; /* the host's detail names the program and errno */
	if (status != 0) {
		first_line(err, line, sizeof(line));
		if (status > 128)
			h->set_error(h, "%s was killed by signal %d%s%s", st->argv[0],
			    status - 128, line[0] ? ": " : "", line);
		else
			h->set_error(h, "%s exited with status %d%s%s", st->argv[0],
			    status, line[0] ? ": " : "", line);
		r = WIF_E_EXEC;
		goto out;
	}
	tok = jwtshape_trim(out, &len);
	if (len == 0) {
		h->set_error(h, "%s printed nothing on standard output", st->argv[0]);
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (st->format == 2 || (st->format == 0 && tok[0] == '{'))
		r = from_json(st, tok, len, jwt);
	else if ((*jwt = h->secure_strndup(h, tok, len)) == NULL)
		r = WIF_E_NOMEM;
	if (r == WIF_OK && !jwtshape_ok(*jwt, strlen(*jwt))) {
		h->secure_free(h, *jwt);
		*jwt = NULL;
		h->set_error(h, "%s printed something that is not a JWT "
		    "(expected header.payload.signature%s)", st->argv[0],
		    st->format == 1 ? "" : ", or JSON with a token field");
		r = WIF_E_JWT;
	}
out:
	h->secure_free(h, out);
	free(err);
	return r;
}

static const struct wif_option exec_options[] = {
	{ "command", WIF_OPT_STRING_LIST, WIF_OPT_REQUIRED,
	  "argv of the program; command[0] is an absolute path" },
	{ "timeout_ms", WIF_OPT_INT, 0, "kill the program after this long (default 10000)" },
	{ "max_output", WIF_OPT_INT, 0, "standard output cap in bytes (default 65536)" },
	{ "env", WIF_OPT_STRING_LIST, 0,
	  "environment: \"NAME=value\", or \"NAME\" to pass wif's own (default: PATH only)" },
	{ "format", WIF_OPT_STRING, 0, "auto (default), jwt or json" },
	{ "json_field", WIF_OPT_STRING, 0,
	  "JSON Pointer of the token in JSON output (default /token, /id_token, /access_token, /value)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider exec_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "exec",
	.description = "an identity JWT printed by a helper program (no shell)",
	.version = "1",
	.options = exec_options,
	.init = exec_init,
	.fetch_identity_token = exec_fetch,
	.destroy = exec_destroy,
};

WIF_EXPORT int
wif_provider_entry(uint16_t host_major, const struct wif_provider **out)
{
	*out = NULL;
	if (host_major != WIF_PROVIDER_ABI_MAJOR)
		return WIF_E_ABI;
	*out = &exec_provider;
	return WIF_OK;
}
