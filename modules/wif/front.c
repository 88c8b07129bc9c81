/*
 * front.c - `wif`, the fast front end (libc + the client half of libwif).
 *
 * `wif token` is what runs most often (Claude Code's apiKeyHelper calls it
 * again and again), and linking libcurl, OpenSSL, json-c and libconfig
 * costs every process milliseconds before main().  So this program links
 * none of them: it answers `wif token` (raw, header and env formats) from
 * a running wifd, and for everything else - other commands, --config,
 * --force, json output, or no daemon listening (unless WIF_REQUIRE_DAEMON=1,
 * for hosts where only the daemon may hold credentials) - it executes the full
 * command-line tool, wif-cli, with the same arguments.  wif-cli is found at
 * the path configure chose, or at $WIF_CLI unless the process is setuid or
 * setgid (the test suite runs the uninstalled build this way).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include <wif/wif.h>

#include "client.h"
#include "token.h"          /* WIF_HEADROOM (the header needs no library) */

#ifndef WIF_CLI_PATH
#define WIF_CLI_PATH "/usr/libexec/wif/wif-cli"
#endif

enum fmt { F_RAW, F_HEADER, F_ENV };

static int
run_full(char **argv)
{
	const char *cli = WIF_CLI_PATH, *env;

	if (getauxval(AT_SECURE) == 0 && (env = getenv("WIF_CLI")) != NULL &&
	    env[0] == '/')
		cli = env;
	execv(cli, argv);
	fprintf(stderr, "wif: cannot run %s: %s (is wif installed completely?)\n",
	    cli, strerror(errno));
	return 127;
}

/* A positive decimal that fits an int, as wif-cli accepts it. */
static int
parse_secs(const char *s, int *out)
{
	long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (*s - '0')) > 86400)
			return -1;
	}
	*out = (int)v;
	return 0;
}

static void
shell_quote(const char *s)
{
	fputc('\'', stdout);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", stdout);
		else
			fputc(*s, stdout);
	}
	fputc('\'', stdout);
}

int
main(int argc, char **argv)
{
	const char *profile = NULL, *v;
	wif_handle *h = NULL;
	wif_credential *c = NULL;
	enum fmt fmt = F_RAW;
	int min_valid = 0, given = 0, i, r;
	int64_t rem;

	/* Only `wif token [-p P] [--min-valid S] [--format raw|header|env]`
	 * is served here; anything else is wif-cli's, unchanged. */
	if (argc < 2 || strcmp(argv[1], "token") != 0 ||
	    ((v = getenv("WIF_CONFIG")) != NULL && *v != '\0'))
		return run_full(argv);
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *val = NULL;

		if ((strcmp(a, "-p") == 0 || strcmp(a, "--profile") == 0 ||
		    strcmp(a, "--min-valid") == 0 || strcmp(a, "--format") == 0) &&
		    i + 1 < argc)
			val = argv[++i];
		else if (strncmp(a, "--profile=", 10) == 0)
			val = a + 10, a = "--profile";
		else if (strncmp(a, "--min-valid=", 12) == 0)
			val = a + 12, a = "--min-valid";
		else if (strncmp(a, "--format=", 9) == 0)
			val = a + 9, a = "--format";
		else
			return run_full(argv);
		if (a[1] == 'p' || strcmp(a, "--profile") == 0)
			profile = val;
		else if (strcmp(a, "--min-valid") == 0) {
			if (parse_secs(val, &min_valid) != 0)
				return run_full(argv); /* its usage error */
			given = 1;
		} else if (strcmp(val, "raw") == 0)
			fmt = F_RAW;
		else if (strcmp(val, "header") == 0)
			fmt = F_HEADER;
		else if (strcmp(val, "env") == 0)
			fmt = F_ENV;
		else
			return run_full(argv);
	}
	if (wif_open(NULL, WIF_OPEN_NO_FALLBACK, &h) != WIF_OK)
		return run_full(argv);
	/* NO_FALLBACK: on no daemon, exec wif-cli rather than let libwif
	 * spawn it (same result, and wif-cli's own messages and formats). */
	/* without --min-valid: headroom asked, not required (see cmd_token.c) */
	r = wif_get_token(h, profile, given ? min_valid : WIF_HEADROOM, &c);
	if (r == WIF_E_NO_DAEMON && ((v = getenv("WIF_REQUIRE_DAEMON")) == NULL ||
	    strcmp(v, "1") != 0)) {
		wif_close(h);
		return run_full(argv);
	}
	if (r != WIF_OK) {
		fprintf(stderr, "wif: token: wifd (%s): %s\n",
		    wif_client_socket(h), wif_error(h));
		wif_close(h);
		return 1;
	}
	wif_close(h);
	rem = wif_credential_expires_at(c) - (int64_t)time(NULL);
	if (min_valid > 0 && rem < min_valid) {
		fprintf(stderr, "wif: token: profile %s: the token is valid for "
		    "%lld s, less than --min-valid %d: the server issues tokens "
		    "for less than that; ask for less\n",
		    wif_credential_profile(c), (long long)rem, min_valid);
		wif_credential_free(c);
		return 1;
	}
	switch (fmt) {
	case F_RAW:
		printf("%s\n", wif_credential_token(c));
		break;
	case F_HEADER:
		printf("Authorization: Bearer %s\n", wif_credential_token(c));
		break;
	case F_ENV:
		fputs("ANTHROPIC_AUTH_TOKEN=", stdout);
		shell_quote(wif_credential_token(c));
		fputc('\n', stdout);
		break;
	}
	wif_credential_free(c);
	return fflush(stdout) == 0 ? 0 : 1;
}
