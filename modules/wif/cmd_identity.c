/* cmd_identity.c - `wif identity`: fetch through the source chain, show claims. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "crypto.h"
#include "err.h"
#include "log.h"

static void
print_time_row(const char *label, int has, int64_t t, int64_t now)
{
	char abs[40], rel[40];

	if (!has) {
		printf("%-12s -\n", label);
		return;
	}
	cli_fmt_time(t, abs, sizeof(abs));
	cli_fmt_rel(t, now, rel, sizeof(rel));
	printf("%-12s %s (%s)\n", label, abs, rel);
}

static void
print_text(const char *profile, const struct wif_identity *id, int64_t now)
{
	const struct wif_jwt_claims *c = id->claims;
	char hex[65];
	size_t i;

	wif_hex(id->sha256, sizeof(id->sha256), hex);
	printf("%-12s %s\n", "profile:", profile);
	printf("%-12s %zu (%s)\n", "source:", id->source_index + 1, id->provider);
	printf("%-12s %s\n", "issuer:", c->iss ? c->iss : "-");
	printf("%-12s %s\n", "subject:", c->sub ? c->sub : "-");
	printf("%-12s", "audience:");
	for (i = 0; i < c->n_aud; i++)
		printf("%s%s", i ? ", " : " ", c->aud[i]);
	printf("%s\n", c->n_aud ? "" : " -");
	print_time_row("issued:", c->has_iat, c->iat, now);
	print_time_row("expires:", c->has_exp, c->exp, now);
	print_time_row("not before:", c->has_nbf, c->nbf, now);
	printf("%-12s %s\n", "jwt id:", c->jti ? c->jti : "-");
	printf("%-12s %s%s%s\n", "algorithm:", c->alg, c->kid ? ", kid " : "",
	    c->kid ? c->kid : "");
	printf("%-12s sha256:%.12s\n", "token:", hex);
	printf("%-12s %s\n", "claims:", c->payload_json);
}

static void
print_json(const char *profile, const struct wif_identity *id)
{
	const struct wif_jwt_claims *c = id->claims;
	char hex[65];

	wif_hex(id->sha256, sizeof(id->sha256), hex);
	printf("{\"profile\":");
	cli_json_str(stdout, profile);
	printf(",\"source\":%zu,\"provider\":", id->source_index + 1);
	cli_json_str(stdout, id->provider);
	printf(",\"alg\":");
	cli_json_str(stdout, c->alg);
	printf(",\"kid\":");
	cli_json_str(stdout, c->kid);
	printf(",\"token_sha256\":\"%s\",\"claims\":%s}\n", hex, c->payload_json);
}

int
cmd_identity(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "raw", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct wif_core *core = NULL;
	struct wif_identity *id = NULL;
	const char *profile = NULL;
	char pname[130];
	int ch, raw = 0, json = 0, r, ex;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': profile = optarg; break;
		case 'r': raw = 1; break;
		case 'j': json = 1; break;
		default:
			fprintf(stderr, "usage: wif identity [-p PROFILE] [--raw] [--json]\n");
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "usage: wif identity [-p PROFILE] [--raw] [--json]\n");
		return CLI_EXIT_USAGE;
	}
	if ((ex = cli_open_core(profile, &core, pname, sizeof(pname))) != CLI_EXIT_OK)
		return ex;
	profile = pname;
	if ((r = wif_core_fetch_identity(core, profile, 0, NULL, &id)) != WIF_OK) {
		ex = cli_fail(CLI_EXIT_FAIL, r, "identity");
		goto out;
	}
	if (raw) {
		/* Only on request: the raw JWT is a credential. */
		fwrite(id->jwt, 1, id->jwt_len, stdout);
		fputc('\n', stdout);
	} else if (json)
		print_json(profile, id);
	else
		print_text(profile, id, (int64_t)time(NULL));
	ex = fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
out:
	wif_identity_free(id);
	wif_core_close(core);
	return ex;
}
