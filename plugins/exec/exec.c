/*
 * exec.c - the `exec` provider: run a configured program (argv, no shell)
 * through host->run_program and take the identity JWT from its standard
 * output, either raw or in a small JSON document.  The program runs with a
 * scrubbed environment (only what `env` names; by default nothing but
 * PATH), stdin from /dev/null, a timeout and an output cap.  Its stderr may
 * appear in error messages; its stdout (a token) never does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wif/provider.h>

#include "../common/jwtshape.h"

#define EXEC_MAX_ARGS 64
#define EXEC_MAX_ENV 64
#define EXEC_MAX_ENV_ENTRY 32768
#define EXEC_DEFAULT_TIMEOUT 10000
#define EXEC_MIN_TIMEOUT 100
#define EXEC_MAX_TIMEOUT 300000
#define EXEC_DEFAULT_MAX_OUTPUT 65536
#define EXEC_MIN_OUTPUT 1024
#define EXEC_MAX_OUTPUT 1048576
#define EXEC_DEFAULT_PATH "PATH=/usr/bin:/bin"
#define EXEC_STDERR_SHOWN 200

enum exec_format { FMT_AUTO, FMT_JWT, FMT_JSON };

struct exec_state {
	const struct wif_host *h;
	const char *argv[EXEC_MAX_ARGS + 1];   /* borrowed from the config */
	const char *env_spec[EXEC_MAX_ENV + 1]; /* "NAME=value" or "NAME" */
	size_t n_env;                           /* 0: PATH only */
	long timeout_ms;
	size_t max_output;
	enum exec_format format;
	const char *json_field;                 /* NULL: try the usual names */
};

static void
exec_destroy(void *state)
{
	free(state);
}

/* NAME as the shells take it: [A-Za-z_][A-Za-z0-9_]*, up to len bytes. */
static int
env_name_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int
init_command(struct exec_state *st)
{
	const struct wif_host *h = st->h;
	const char *v;
	size_t i;

	for (i = 0; h->config_list_string(h, "command", i, &v) == WIF_OK; i++) {
		if (i >= EXEC_MAX_ARGS) {
			h->set_error(h, "command has more than %d words", EXEC_MAX_ARGS);
			return WIF_E_CONFIG;
		}
		st->argv[i] = v;
	}
	if (i == 0) {
		h->set_error(h, "command is required: [ \"/absolute/program\", "
		    "\"arg\", ... ]");
		return WIF_E_CONFIG;
	}
	if (st->argv[0][0] != '/') {
		h->set_error(h, "command[0] \"%s\" must be an absolute path (no "
		    "shell and no PATH search are involved)", st->argv[0]);
		return WIF_E_CONFIG;
	}
	return WIF_OK;
}

static int
init_env(struct exec_state *st)
{
	const struct wif_host *h = st->h;
	const char *v, *eq;
	size_t i;

	for (i = 0; h->config_list_string(h, "env", i, &v) == WIF_OK; i++) {
		if (i >= EXEC_MAX_ENV) {
			h->set_error(h, "env has more than %d entries", EXEC_MAX_ENV);
			return WIF_E_CONFIG;
		}
		eq = strchr(v, '=');
		if (!env_name_ok(v, eq != NULL ? (size_t)(eq - v) : strlen(v)) ||
		    strlen(v) > EXEC_MAX_ENV_ENTRY) {
			h->set_error(h, "env[%zu] must be \"NAME=value\" or \"NAME\" "
			    "with NAME made of letters, digits and _ (at most %d "
			    "bytes)", i, EXEC_MAX_ENV_ENTRY);
			return WIF_E_CONFIG;
		}
		st->env_spec[i] = v;
	}
	st->n_env = i;
	return WIF_OK;
}

static int
init_int(const struct wif_host *h, const char *key, int64_t lo, int64_t hi,
         int64_t *val)
{
	int64_t n;

	if (h->config_int(h, key, &n) != WIF_OK)
		return WIF_OK; /* keep the default */
	if (n < lo || n > hi) {
		h->set_error(h, "%s = %lld is out of range (%lld to %lld)", key,
		    (long long)n, (long long)lo, (long long)hi);
		return WIF_E_CONFIG;
	}
	*val = n;
	return WIF_OK;
}

static int
exec_init(const struct wif_host *h, void **state)
{
	struct exec_state *st;
	const char *v;
	int64_t timeout = EXEC_DEFAULT_TIMEOUT, max_out = EXEC_DEFAULT_MAX_OUTPUT;
	int r;

	*state = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		h->set_error(h, "out of memory");
		return WIF_E_NOMEM;
	}
	st->h = h;
	if ((r = init_command(st)) != WIF_OK ||
	    (r = init_int(h, "timeout_ms", EXEC_MIN_TIMEOUT, EXEC_MAX_TIMEOUT,
	    &timeout)) != WIF_OK ||
	    (r = init_int(h, "max_output", EXEC_MIN_OUTPUT, EXEC_MAX_OUTPUT,
	    &max_out)) != WIF_OK ||
	    (r = init_env(st)) != WIF_OK)
		goto fail;
	st->timeout_ms = (long)timeout;
	st->max_output = (size_t)max_out;
	st->format = FMT_AUTO;
	if (h->config_string(h, "format", &v) == WIF_OK) {
		if (strcmp(v, "auto") == 0)
			st->format = FMT_AUTO;
		else if (strcmp(v, "jwt") == 0)
			st->format = FMT_JWT;
		else if (strcmp(v, "json") == 0)
			st->format = FMT_JSON;
		else {
			h->set_error(h, "format \"%s\" is unknown: use auto, jwt or "
			    "json", v);
			r = WIF_E_CONFIG;
			goto fail;
		}
	}
	if (h->config_string(h, "json_field", &v) == WIF_OK) {
		if (v[0] != '/') {
			h->set_error(h, "json_field \"%s\" must be a JSON Pointer "
			    "such as \"/token\"", v);
			r = WIF_E_CONFIG;
			goto fail;
		}
		st->json_field = v;
	}
	*state = st;
	return WIF_OK;
fail:
	exec_destroy(st);
	return r;
}

static void
env_free(const struct wif_host *h, char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		h->secure_free(h, env[i]);
}

/*
 * The child's environment, built on every fetch so that passed-through
 * values (which may be secrets, such as a CI job's request token) sit in
 * secure memory only while the program runs.
 */
static int
env_build(struct exec_state *st, char **env)
{
	const struct wif_host *h = st->h;
	size_t i, n = 0;

	env[0] = NULL;
	if (st->n_env == 0) {
		if ((env[0] = h->secure_strndup(h, EXEC_DEFAULT_PATH,
		    strlen(EXEC_DEFAULT_PATH))) == NULL)
			goto nomem;
		env[1] = NULL;
		return WIF_OK;
	}
	for (i = 0; i < st->n_env; i++) {
		const char *spec = st->env_spec[i], *val;
		size_t nl, vl;

		if (strchr(spec, '=') != NULL) {
			env[n] = h->secure_strndup(h, spec, strlen(spec));
		} else {
			/* "NAME": wif's own value, or nothing when unset. */
			if ((val = h->getenv(h, spec)) == NULL)
				continue;
			nl = strlen(spec);
			vl = strnlen(val, EXEC_MAX_ENV_ENTRY);
			if ((env[n] = h->secure_alloc(h, nl + vl + 2)) != NULL) {
				memcpy(env[n], spec, nl);
				env[n][nl] = '=';
				memcpy(env[n] + nl + 1, val, vl);
				env[n][nl + 1 + vl] = '\0';
			}
		}
		if (env[n] == NULL)
			goto nomem;
		env[++n] = NULL;
	}
	return WIF_OK;
nomem:
	env_free(h, env);
	h->set_error(h, "out of memory building the environment of %s",
	    st->argv[0]);
	return WIF_E_NOMEM;
}

/* The first line of stderr, printable, at most EXEC_STDERR_SHOWN chars. */
static void
first_line(const char *err, char *buf, size_t len)
{
	size_t i, o = 0;

	for (i = 0; err != NULL && err[i] != '\0' && err[i] != '\n' &&
	    o + 1 < len && o < EXEC_STDERR_SHOWN; i++) {
		unsigned char c = (unsigned char)err[i];
		buf[o++] = (c >= 0x20 && c != 0x7f && c < 0x80) ? (char)c : '?';
	}
	while (o > 0 && (buf[o - 1] == ' ' || buf[o - 1] == '\r'))
		o--;
	buf[o] = '\0';
}

/* run_program could not start the program: say why in the user's words. */
static int
start_error(struct exec_state *st, int r)
{
	const struct wif_host *h = st->h;
	const char *prog = st->argv[0];
	struct stat sb;

	if (r != WIF_E_EXEC) {
		h->set_error(h, "cannot run command %s: %s", prog, h->strerror(r));
		return r;
	}
	if (stat(prog, &sb) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			h->set_error(h, "command %s not found: install it or fix "
			    "command[0]", prog);
		else
			h->set_error(h, "command %s cannot be run: %s (check the "
			    "directories above it)", prog, strerror(errno));
	} else if (!S_ISREG(sb.st_mode) || access(prog, X_OK) != 0)
		h->set_error(h, "command %s is not an executable file: chmod +x "
		    "it (and check for a noexec mount)", prog);
	else
		h->set_error(h, "command %s could not be started (a script "
		    "whose #! interpreter is missing?)", prog);
	return r;
}

static int
from_json(struct exec_state *st, const char *out, size_t len, char **jwt,
          const char **where)
{
	static const char *const fields[] = { "/token", "/id_token",
	    "/access_token", "/value", NULL };
	const struct wif_host *h = st->h;
	struct wif_json *doc = NULL;
	const char *v = NULL;
	size_t i;
	int r;

	if (h->json_parse(h, out, len, &doc) != WIF_OK) {
		h->set_error(h, "command %s printed neither a JWT nor valid JSON "
		    "on standard output", st->argv[0]);
		return WIF_E_PARSE;
	}
	if (st->json_field != NULL) {
		*where = st->json_field;
		r = h->json_get_string(h, doc, st->json_field, &v);
	} else {
		for (i = 0, r = WIF_E_NOT_FOUND; fields[i] != NULL && r != WIF_OK; i++) {
			*where = fields[i];
			r = h->json_get_string(h, doc, fields[i], &v);
		}
	}
	if (r != WIF_OK || v == NULL) {
		h->set_error(h, "command %s printed JSON without a string at %s",
		    st->argv[0], st->json_field != NULL ? st->json_field :
		    "/token, /id_token, /access_token or /value: set json_field "
		    "to the JSON Pointer of the token");
		h->json_free(h, doc);
		return WIF_E_PROVIDER;
	}
	*jwt = h->secure_strndup(h, v, strlen(v));
	h->json_free(h, doc);
	if (*jwt == NULL) {
		h->set_error(h, "out of memory copying the token from %s",
		    st->argv[0]);
		return WIF_E_NOMEM;
	}
	return WIF_OK;
}

static int
exit_error(struct exec_state *st, int status, const char *err)
{
	const struct wif_host *h = st->h;
	char line[EXEC_STDERR_SHOWN + 1];

	first_line(err, line, sizeof(line));
	if (status > 128 && status <= 128 + 64)
		h->set_error(h, "command %s was killed by signal %d%s%s",
		    st->argv[0], status - 128, line[0] ? ": " : "", line);
	else
		h->set_error(h, "command %s exited with status %d%s%s",
		    st->argv[0], status, line[0] ? ": " : "", line);
	return WIF_E_EXEC;
}

static int
exec_fetch(void *state, const struct wif_fetch_request *req, char **jwt)
{
	struct exec_state *st = state;
	const struct wif_host *h = st->h;
	char *env[EXEC_MAX_ENV + 2], *out = NULL, *err = NULL, *tok;
	const char *where = NULL;
	size_t len = 0;
	int status = -1, r;

	(void)req;
	*jwt = NULL;
	if ((r = env_build(st, env)) != WIF_OK)
		return r;
	r = h->run_program(h, st->argv, (const char *const *)env, st->timeout_ms,
	    st->max_output, &out, &len, &err, &status);
	env_free(h, env);
	if (r == WIF_E_TIMEOUT) {
		h->set_error(h, "command %s did not finish within %ld ms and was "
		    "killed: raise timeout_ms or see why it hangs", st->argv[0],
		    st->timeout_ms);
		goto out;
	}
	if (r == WIF_E_TOO_BIG) {
		h->set_error(h, "command %s printed more than %zu bytes on "
		    "standard output and was killed: raise max_output or fix "
		    "its output", st->argv[0], st->max_output);
		goto out;
	}
	if (r != WIF_OK) {
		start_error(st, r);
		goto out;
	}
	if (status != 0) {
		r = exit_error(st, status, err);
		goto out;
	}
	tok = jwtshape_trim(out, &len);
	if (len == 0) {
		h->set_error(h, "command %s exited with status 0 but printed "
		    "nothing on standard output", st->argv[0]);
		r = WIF_E_PROVIDER;
		goto out;
	}
	if (st->format == FMT_JSON || (st->format == FMT_AUTO && tok[0] == '{')) {
		if ((r = from_json(st, tok, len, jwt, &where)) != WIF_OK)
			goto out;
	} else if ((*jwt = h->secure_strndup(h, tok, len)) == NULL) {
		h->set_error(h, "out of memory copying the token from %s",
		    st->argv[0]);
		r = WIF_E_NOMEM;
		goto out;
	}
	if (!jwtshape_ok(h, *jwt, strlen(*jwt))) {
		h->secure_free(h, *jwt);
		*jwt = NULL;
		if (where != NULL)
			h->set_error(h, "command %s printed JSON whose %s is not a "
			    "JWT (expected header.payload.signature)", st->argv[0],
			    where);
		else
			h->set_error(h, "command %s printed something that is not a "
			    "JWT (expected header.payload.signature%s)", st->argv[0],
			    st->format == FMT_JWT ? "" : ", or a JSON object "
			    "holding one");
		r = WIF_E_JWT;
	}
out:
	h->secure_free(h, out);
	free(err);
	return r;
}

static const struct wif_option exec_options[] = {
	{ "command", WIF_OPT_STRING_LIST, WIF_OPT_REQUIRED,
	  "argv of the program; command[0] is an absolute path (no shell)" },
	{ "timeout_ms", WIF_OPT_INT, 0,
	  "kill the program after this many ms (default 10000, 100..300000)" },
	{ "max_output", WIF_OPT_INT, 0,
	  "standard output cap in bytes (default 65536, 1024..1048576)" },
	{ "env", WIF_OPT_STRING_LIST, 0,
	  "environment: \"NAME=value\", or \"NAME\" to pass wif's own "
	  "(default: PATH=/usr/bin:/bin only)" },
	{ "format", WIF_OPT_STRING, 0,
	  "auto (default: JSON when the output starts with {), jwt or json" },
	{ "json_field", WIF_OPT_STRING, 0,
	  "JSON Pointer of the token in JSON output (default: /token, "
	  "/id_token, /access_token, /value)" },
	{ NULL, 0, 0, NULL },
};

static const struct wif_provider exec_provider = {
	.struct_size = sizeof(struct wif_provider),
	.abi_major = WIF_PROVIDER_ABI_MAJOR,
	.abi_minor = WIF_PROVIDER_ABI_MINOR,
	.name = "exec",
	.description = "an identity JWT printed by a helper program (no shell)",
	.version = "1",
	.flags = 0,
	.options = exec_options,
	.init = exec_init,
	.fetch_identity_token = exec_fetch,
	.destroy = exec_destroy,
	.detect = NULL,
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
	*out = &exec_provider;
	return WIF_OK;
}
