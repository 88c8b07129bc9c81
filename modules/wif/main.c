/*
 * wif - the command-line front end.
 *
 * Owns: argument parsing and presentation.  Every command is a small
 * function that calls the core and prints; errors go to stderr with a
 * non-zero exit and say what to do.  Must never print a token or an
 * assertion unless the user asked for it (`identity --raw`, `token`).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "core.h"
#include "err.h"
#include "loader.h"
#include "log.h"

const char *cli_config_path; /* --config */

static void
usage(FILE *f)
{
	fprintf(f,
"usage: wif [-c FILE] [-v] COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  providers [-v]                  list the provider plugins and their ABI versions\n"
"  check-config [FILE]             validate the configuration (exit 0 when valid)\n"
"  token [-p PROFILE] [--min-valid S] [--format raw|json|env|header] [--force]\n"
"                                  print an access token (raw: for apiKeyHelper)\n"
"  status [-p PROFILE] [--json]    which credential source wins, token expiry,\n"
"                                  last refresh and its result\n"
"  exec [-p PROFILE] -- CMD...     run CMD with ANTHROPIC_AUTH_TOKEN set\n"
"                                  (ANTHROPIC_API_KEY removed; no refresh)\n"
"  exec --refresh [--token-file F] [--format raw|json] -- CMD...\n"
"                                  run CMD with WIF_TOKEN_FILE, a token file\n"
"                                  kept fresh while CMD runs\n"
"  env [-p PROFILE]                print shell exports for the token\n"
"  identity [-p PROFILE] [--raw] [--json]\n"
"                                  fetch an identity token through the profile's\n"
"                                  source chain and show its claims\n"
"\n"
"Options:\n"
"  -c, --config FILE   configuration file (default %s)\n"
"  -v, --verbose       more log output (repeat for debug)\n"
"  -h, --help          this help\n"
"  -V, --version       print the version\n"
"\n"
"See wif(1) and wif.conf(5).\n", WIF_DEFAULT_CONFIG);
}

static const struct cli_command commands[] = {
	{ "providers", cmd_providers },
	{ "check-config", cmd_check_config },
	{ "identity", cmd_identity },
	{ "token", cmd_token },
	{ "env", cmd_env },
	{ "exec", cmd_exec },
	{ "status", cmd_status },
	{ NULL, NULL },
};

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, level = WIF_LOG_WARNING;
	size_t i;

	while ((ch = getopt_long(argc, argv, "+c:vhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			cli_config_path = optarg;
			break;
		case 'v':
			if (level < WIF_LOG_DEBUG)
				level++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("wif %s (provider ABI %d.%d)\n", PACKAGE_VERSION,
			    WIF_PROVIDER_ABI_MAJOR, WIF_PROVIDER_ABI_MINOR);
			return 0;
		default:
			usage(stderr);
			return CLI_EXIT_USAGE;
		}
	}
	wif_log_init("wif", WIF_LOG_STDERR, level);
	if (optind >= argc) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; commands[i].name != NULL; i++) {
		if (strcmp(commands[i].name, argv[optind]) == 0) {
			optind++;
			return commands[i].fn(argc - optind + 1, argv + optind - 1);
		}
	}
	fprintf(stderr, "wif: unknown command \"%s\" (see wif --help)\n",
	    argv[optind]);
	return CLI_EXIT_USAGE;
}
