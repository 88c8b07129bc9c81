/* cmd_token.c - `wif token`, `wif env`, `wif exec`: hand a token to a consumer. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "creds.h"
#include "log.h"
#include "host.h"
#include "err.h"
#include "local.h"
#include "secmem.h"

enum fmt { FMT_RAW, FMT_JSON, FMT_ENV, FMT_HEADER };

/*
 * Without --min-valid, token, env and exec ask for a token with
 * WIF_HEADROOM left (when the server issues tokens that long): Claude Code
 * keeps what its apiKeyHelper printed for 5 minutes, a child of exec keeps
 * its token for good, so a token at the end of its life is never handed
 * out.  Unlike an explicit --min-valid it is not required of the answer.
 */

struct token_opts {
	const char *profile;
	int min_valid;
	int min_valid_given;            /* --min-valid, even 0: no headroom */
	enum fmt fmt;
	int force;
	/* exec: --refresh, --token-file, --format given */
	int refresh;
	const char *token_file;
	int fmt_given;
	/* Messages: "wif: <what>: ..." on stderr, or, when msg is set, the
	 * text after that prefix into msg (exec --refresh logs it itself). */
	const char *what;
	char *msg;
	size_t msglen;
};

static void say(const struct token_opts *, const char *, ...)
    WIF_PRINTF(2, 3);

static void
say(const struct token_opts *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (o->msg != NULL) {
		vsnprintf(o->msg, o->msglen, fmt, ap);
	} else {
		fprintf(stderr, "wif: %s: ", o->what != NULL ? o->what : "token");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}

/* cli_fail() through say(). */
static int
say_fail(const struct token_opts *o, int exit_code, int rc)
{
	const char *d = wif_err_detail();

	say(o, "%s", d[0] != '\0' ? d : wif_strerror(rc));
	return exit_code;
}

static int
parse_min_valid(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < 0 || v > 86400) {
		fprintf(stderr, "wif: --min-valid takes seconds, 0 to 86400 (got "
		    "\"%s\")\n", s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/*
 * Ask wifd, the host's shared cache.  Not for an explicit configuration
 * (-c, $WIF_CONFIG: the caller wants that file, in-process) or --force.
 * Returns 1 when the daemon answered (ex set, *tok on success), 0 when
 * there is no daemon and local mode should run.
 */
static int
daemon_token(const struct token_opts *o, int ask, struct wif_token **tok,
             const char **profile_out, int *ex)
{
	static char served[160];
	wif_handle *h = NULL;
	wif_credential *c = NULL;
	struct wif_token *t;
	const char *v;
	int r;

	if (cli_config_path != NULL || o->force ||
	    ((v = getenv(WIF_CONFIG_ENV)) != NULL && *v != '\0'))
		return 0;
	if (wif_open(NULL, WIF_OPEN_NO_FALLBACK, &h) != WIF_OK)
		return 0;
	r = wif_get_token(h, o->profile, ask, &c);
	if (r == WIF_E_NO_DAEMON) {
		log_debug("%s; running the core in-process", wif_error(h));
		wif_close(h);
		return 0;
	}
	if (r != WIF_OK) {
		say(o, "wifd (%s): %s", wif_client_socket(h), wif_error(h));
		wif_close(h);
		*ex = CLI_EXIT_FAIL;
		return 1;
	}
	wif_close(h);
	snprintf(served, sizeof(served), "%s", wif_credential_profile(c));
	*profile_out = served;
	*ex = CLI_EXIT_FAIL;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->access_token = wif_secmem_strdup(wif_credential_token(c))) ==
	    NULL) {
		free(t);
		wif_credential_free(c);
		say(o, "out of memory");
		return 1;
	}
	t->access_token_len = strlen(t->access_token);
	t->expires_at = wif_credential_expires_at(c);
	t->obtained_at = wif_clock_now();
	wif_credential_free(c);
	*tok = t;
	*ex = CLI_EXIT_OK;
	return 1;
}

/* wifd, else resolve + local mode: the token, or a printed error and an
 * exit code.  ask is the min_valid asked of the cache (exec --refresh asks
 * for more than it requires, to get a newer token than the one it holds);
 * only o->min_valid is required of the answer. */
static int
fetch_token(const struct token_opts *o, int ask, struct wif_resolution *res,
            struct wif_token **tok, const char **profile_out)
{
	const char *from = NULL, *profile = NULL;
	int64_t rem;
	int r, ex;

	memset(res, 0, sizeof(*res));
	if (daemon_token(o, ask, tok, &profile, &ex)) {
		*profile_out = profile;
		if (ex != CLI_EXIT_OK)
			return ex;
		goto check;
	}
	if ((r = wif_resolve(cli_config_path, o->profile, res)) != WIF_OK)
		return say_fail(o, r == WIF_E_NO_CREDENTIALS ? CLI_EXIT_CONFIG :
		    CLI_EXIT_FAIL, r);
	profile = wif_local_profile(res);
	*profile_out = profile;
	if ((r = wif_local_token(res, profile, ask,
	    o->force ? WIF_LOCAL_FORCE : 0, tok, &from)) != WIF_OK)
		return say_fail(o, r == WIF_E_CONFIG ? CLI_EXIT_CONFIG :
		    CLI_EXIT_FAIL, r);
check:
	/* Even a token just issued can fall short of --min-valid: the server
	 * decides the lifetime (and the caches do not exchange for a
	 * min_valid longer than it).  A consumer asking for a guarantee gets
	 * an error, never a token that breaks its assumption. */
	rem = (*tok)->expires_at - wif_clock_now();
	if (o->min_valid > 0 && rem < o->min_valid) {
		say(o, "profile %s: the token is valid for %lld s, less than "
		    "--min-valid %d: the server issues tokens for less than "
		    "that; ask for less", profile, (long long)rem,
		    o->min_valid);
		wif_token_free(*tok);
		*tok = NULL;
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static int
get_token(const struct token_opts *o, struct wif_resolution *res,
          struct wif_token **tok, const char **profile_out)
{
	return fetch_token(o, o->min_valid_given ? o->min_valid : WIF_HEADROOM,
	    res, tok, profile_out);
}

/* A single-quoted shell word. */
static void
shell_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static int
print_token(const struct wif_token *t, enum fmt fmt, const char *profile)
{
	int64_t now = (int64_t)time(NULL);

	switch (fmt) {
	case FMT_RAW:
		printf("%s\n", t->access_token);
		break;
	case FMT_HEADER:
		printf("Authorization: Bearer %s\n", t->access_token);
		break;
	case FMT_ENV:
		fputs("ANTHROPIC_AUTH_TOKEN=", stdout);
		shell_quote(stdout, t->access_token);
		fputc('\n', stdout);
		break;
	case FMT_JSON:
		printf("{\"access_token\":");
		cli_json_str(stdout, t->access_token);
		printf(",\"token_type\":\"Bearer\",\"expires_at\":%lld,"
		    "\"expires_in\":%lld,\"profile\":", (long long)t->expires_at,
		    (long long)(t->expires_at - now));
		cli_json_str(stdout, profile);
		printf(",\"request_id\":");
		cli_json_str(stdout, t->request_id[0] ? t->request_id : NULL);
		printf("}\n");
		break;
	}
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* Common options of token/env/exec; returns -1 on a usage error.  With
 * want_command the arguments after the options are a command (exec, which
 * also takes --refresh, --token-file and --format raw|json with --refresh),
 * otherwise there must be none. */
static int
parse_opts(int argc, char **argv, struct token_opts *o, int allow_format,
           int want_command, const char *usage)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "min-valid", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ "refresh", no_argument, NULL, 'R' },
		{ "token-file", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+p:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			o->profile = optarg;
			break;
		case 'm':
			if (parse_min_valid(optarg, &o->min_valid) != 0)
				return -1;
			o->min_valid_given = 1;
			break;
		case 'F':
			o->force = 1;
			break;
		case 'R':
			if (!want_command)
				goto bad;
			o->refresh = 1;
			break;
		case 'T':
			if (!want_command)
				goto bad;
			o->token_file = optarg;
			break;
		case 'f':
			if (!allow_format && !want_command)
				goto bad;
			if (strcmp(optarg, "raw") == 0) o->fmt = FMT_RAW;
			else if (strcmp(optarg, "json") == 0) o->fmt = FMT_JSON;
			else if (strcmp(optarg, "env") == 0) o->fmt = FMT_ENV;
			else if (strcmp(optarg, "header") == 0) o->fmt = FMT_HEADER;
			else {
				fprintf(stderr, "wif: --format is raw, json, env or "
				    "header (got \"%s\")\n", optarg);
				return -1;
			}
			o->fmt_given = 1;
			break;
		default:
			goto bad;
		}
	}
	/* exec: the token file's options mean something with --refresh only,
	 * and the file is raw or json. */
	if (want_command && !o->refresh && (o->fmt_given || o->token_file)) {
		fprintf(stderr, "wif: exec: --format and --token-file go with "
		    "--refresh (the token file); plain exec sets "
		    "ANTHROPIC_AUTH_TOKEN\n");
		goto bad;
	}
	if (o->refresh && o->force) {
		fprintf(stderr, "wif: exec: --force does not go with --refresh "
		    "(every refresh asks for a newer token anyway)\n");
		goto bad;
	}
	if (want_command && o->fmt != FMT_RAW && o->fmt != FMT_JSON) {
		fprintf(stderr, "wif: exec: the token file's --format is raw or "
		    "json\n");
		goto bad;
	}
	if (want_command ? optind < argc : optind == argc)
		return 0;
bad:
	fprintf(stderr, "usage: %s\n", usage);
	return -1;
}

static int
print_env(const struct wif_token *t, const struct wif_resolution *res)
{
	printf("export ANTHROPIC_AUTH_TOKEN=");
	shell_quote(stdout, t->access_token);
	printf(";\nunset ANTHROPIC_API_KEY;\n");
	printf("# expires %lld (in %lld s); run `eval \"$(wif env)\"` again "
	    "before then\n", (long long)t->expires_at,
	    (long long)(t->expires_at - (int64_t)time(NULL)));
	if (res->shadow_warning[0] && getenv("ANTHROPIC_AUTH_TOKEN") == NULL)
		fprintf(stderr, "wif: warning: %s\n", res->shadow_warning);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* `wif token` and `wif env`: get a token, print it one way or the other. */
static int
token_or_env(int argc, char **argv, int env)
{
	static const char usage_token[] = "wif token [-p PROFILE] [--min-valid S] "
	    "[--format raw|json|env|header] [--force]";
	static const char usage_env[] = "wif env [-p PROFILE] [--min-valid S]";
	struct token_opts o;
	struct wif_resolution res;
	struct wif_token *t = NULL;
	const char *profile = NULL;
	int ex;

	if (parse_opts(argc, argv, &o, !env, 0, env ? usage_env : usage_token) != 0)
		return CLI_EXIT_USAGE;
	if ((ex = get_token(&o, &res, &t, &profile)) == CLI_EXIT_OK)
		ex = env ? print_env(t, &res) : print_token(t, o.fmt, profile);
	wif_token_free(t);
	wif_resolution_free(&res);
	return ex;
}

int
cmd_token(int argc, char **argv)
{
	return token_or_env(argc, argv, 0);
}

int
cmd_env(int argc, char **argv)
{
	return token_or_env(argc, argv, 1);
}

/*
 * exec --refresh (cmd_exec_refresh.c) gets its tokens here: the same path as
 * `wif token` (wifd, else the core in-process).  Errors go into msg, not to
 * stderr; profile_out gets the profile that was served.
 */
int
cli_exec_fetch(const char *profile, int min_valid, int ask,
               struct wif_token **tok, char *profile_out, size_t plen,
               char *msg, size_t msglen)
{
	struct token_opts o;
	struct wif_resolution res;
	const char *served = NULL;
	int ex;

	memset(&o, 0, sizeof(o));
	o.profile = profile;
	o.min_valid = min_valid;
	o.what = "exec";
	o.msg = msg;
	o.msglen = msglen;
	msg[0] = '\0';
	*tok = NULL;
	ex = fetch_token(&o, ask, &res, tok, &served);
	snprintf(profile_out, plen, "%s", served != NULL ? served :
	    profile != NULL ? profile : "default");
	wif_resolution_free(&res);
	return ex;
}

int
cmd_exec(int argc, char **argv)
{
	static const char usage[] = "wif exec [-p PROFILE] [--min-valid S] -- "
	    "COMMAND [ARG...]\n"
	    "       wif exec --refresh [-p PROFILE] [--min-valid S] "
	    "[--token-file PATH] [--format raw|json] -- COMMAND [ARG...]";
	struct token_opts o;
	struct wif_resolution res;
	struct wif_token *t = NULL;
	const char *profile = NULL;
	int ex;

	if (parse_opts(argc, argv, &o, 0, 1, usage) != 0)
		return CLI_EXIT_USAGE;
	if (o.refresh)
		return cli_exec_refresh(o.profile, o.min_valid, o.token_file,
		    o.fmt == FMT_JSON, argv + optind);
	if ((ex = get_token(&o, &res, &t, &profile)) != CLI_EXIT_OK)
		goto out;
	if (getenv("ANTHROPIC_API_KEY") != NULL) {
		fprintf(stderr, "wif: warning: ANTHROPIC_API_KEY is set; it would "
		    "shadow the federation token in the child, so wif exec "
		    "removes it from the child's environment\n");
		unsetenv("ANTHROPIC_API_KEY");
	}
	/* A literal identity JWT is a secret the child has no use for: the
	 * token below is its credential, and assertions are single-use. */
	unsetenv("ANTHROPIC_IDENTITY_TOKEN");
	if (getenv("ANTHROPIC_AUTH_TOKEN") != NULL)
		fprintf(stderr, "wif: warning: ANTHROPIC_AUTH_TOKEN was already "
		    "set; the child gets the token of profile %s instead\n", profile);
	if (setenv("ANTHROPIC_AUTH_TOKEN", t->access_token, 1) != 0) {
		fprintf(stderr, "wif: exec: cannot set ANTHROPIC_AUTH_TOKEN: %s\n",
		    strerror(errno));
		ex = CLI_EXIT_FAIL;
		goto out;
	}
	/* The child does not refresh: it holds this token until it expires. */
	wif_token_free(t);
	t = NULL;
	wif_resolution_free(&res);
	fflush(NULL);
	execvp(argv[optind], argv + optind);
	fprintf(stderr, "wif: exec: cannot run %s: %s\n", argv[optind],
	    strerror(errno));
	return errno == ENOENT ? 127 : 126;
out:
	wif_token_free(t);
	wif_resolution_free(&res);
	return ex;
}
