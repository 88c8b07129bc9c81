/* cmd_config.c - `wif providers` and `wif check-config`. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "conf.h"
#include "err.h"
#include "loader.h"

struct scan_ctx {
	const char *dir;
	int verbose;
	int failures;
	int found;
};

static const char *
opt_type(int t)
{
	switch (t) {
	case WIF_OPT_STRING: return "string";
	case WIF_OPT_INT: return "integer";
	case WIF_OPT_BOOL: return "boolean";
	case WIF_OPT_STRING_LIST: return "list of strings";
	}
	return "?";
}

static void
show_provider(void *arg, const char *name)
{
	struct scan_ctx *sc = arg;
	struct wif_plugin *p = NULL;
	const struct wif_option *o;
	char abi[16];

	sc->found++;
	if (wif_loader_load(sc->dir, name, &p) != WIF_OK) {
		printf("%-12s %-5s %-8s load error: %s\n", name, "-", "-", wif_err_detail());
		sc->failures++;
		return;
	}
	snprintf(abi, sizeof(abi), "%u.%u", (unsigned)p->prov->abi_major, (unsigned)p->minor);
	printf("%-12s %-5s %-8s %s\n", name, abi,
	    p->prov->version ? p->prov->version : "-",
	    p->prov->description ? p->prov->description : "");
	if (sc->verbose) {
		for (o = p->prov->options; o != NULL && o->name != NULL; o++)
			printf("    %-22s %-16s %s%s%s\n", o->name, opt_type(o->type),
			    (o->flags & WIF_OPT_REQUIRED) ? "(required) " : "",
			    (o->flags & WIF_OPT_SECRET) ? "(secret) " : "",
			    o->help ? o->help : "");
		printf("    %-22s %s\n", "detect()", p->prov->detect ? "yes" : "no");
	}
	wif_loader_unload(p);
}

int
cmd_providers(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct scan_ctx sc = { NULL, 0, 0, 0 };
	struct wif_core *core = NULL;
	const char *configured = NULL;
	int ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		if (ch != 'v') {
			fprintf(stderr, "usage: wif providers [-v]\n");
			return CLI_EXIT_USAGE;
		}
		sc.verbose = 1;
	}
	/* The directory comes from the config when there is a valid one; a
	 * broken config must not stop us from listing what is installed. */
	if (wif_core_open(cli_config_path, &core) == WIF_OK)
		configured = wif_core_config(core)->provider_dir;
	sc.dir = wif_loader_dir(configured);
	printf("provider directory: %s (host ABI %d.%d)\n", sc.dir,
	    WIF_PROVIDER_ABI_MAJOR, WIF_PROVIDER_ABI_MINOR);
	printf("%-12s %-5s %-8s %s\n", "NAME", "ABI", "VERSION", "DESCRIPTION");
	r = wif_loader_scan(sc.dir, show_provider, &sc);
	wif_core_close(core);
	if (r != WIF_OK)
		return cli_fail(CLI_EXIT_FAIL, r, "providers");
	if (sc.found == 0)
		printf("(no providers installed)\n");
	return sc.failures ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int
cmd_check_config(int argc, char **argv)
{
	struct wif_core *core = NULL;
	const struct wif_config *cfg;
	size_t i;
	int r;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: wif check-config [FILE]\n");
		return CLI_EXIT_USAGE;
	}
	if (argc == 2)
		cli_config_path = argv[1];
	if (wif_core_open(cli_config_path, &core) != WIF_OK) {
		fprintf(stderr, "wif: configuration %s is not usable:\n%s\n",
		    wif_config_path(cli_config_path), wif_err_detail());
		return CLI_EXIT_CONFIG;
	}
	cfg = wif_core_config(core);
	if ((r = wif_core_check(core)) != WIF_OK) {
		fprintf(stderr, "wif: configuration %s is not usable:\n%s\n",
		    cfg->path, wif_err_detail());
		wif_core_close(core);
		return CLI_EXIT_CONFIG;
	}
	for (i = 0; i < cfg->n_warnings; i++)
		fprintf(stderr, "wif: warning: %s\n", cfg->warnings[i]);
	printf("%s: OK (%zu file%s, %zu profile%s", cfg->path, cfg->n_files,
	    cfg->n_files == 1 ? "" : "s", cfg->n_profiles,
	    cfg->n_profiles == 1 ? "" : "s");
	for (i = 0; i < cfg->n_profiles; i++)
		printf("%s%s", i ? ", " : ": ", cfg->profiles[i].name);
	printf(")\n");
	wif_core_close(core);
	return CLI_EXIT_OK;
}
