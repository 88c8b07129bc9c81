/* util.c - presentation helpers shared by the wif commands. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "creds.h"
#include "err.h"
#include "local.h"

int
cli_fail(int exit_code, int rc, const char *what)
{
	const char *d = wif_err_detail();

	if (d[0] != '\0')
		fprintf(stderr, "wif: %s: %s\n", what, d);
	else
		fprintf(stderr, "wif: %s: %s\n", what, wif_strerror(rc));
	return exit_code;
}

int
cli_open_core(const char *profile, struct wif_core **out, char *profile_out,
              size_t len)
{
	struct wif_resolution res;
	int r;

	*out = NULL;
	if ((r = wif_resolve(cli_config_path, profile, &res)) != WIF_OK) {
		fprintf(stderr, "wif: %s\n", wif_err_detail());
		wif_resolution_free(&res);
		return r == WIF_E_NO_CREDENTIALS || r == WIF_E_CONFIG ?
		    CLI_EXIT_CONFIG : CLI_EXIT_FAIL;
	}
	snprintf(profile_out, len, "%s", wif_local_profile(&res));
	if ((r = wif_resolution_open_core(&res, out)) != WIF_OK) {
		fprintf(stderr, "wif: configuration %s is not usable:\n%s\n",
		    res.config_path ? res.config_path : "(derived)", wif_err_detail());
		wif_resolution_free(&res);
		return CLI_EXIT_CONFIG;
	}
	wif_resolution_free(&res);
	return CLI_EXIT_OK;
}

void
cli_fmt_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

void
cli_fmt_rel(int64_t t, int64_t now, char *buf, size_t len)
{
	int64_t d = t - now, a = d < 0 ? -d : d;
	char v[32];

	if (a >= 86400)
		snprintf(v, sizeof(v), "%lldd%lldh", (long long)(a / 86400), (long long)(a % 86400 / 3600));
	else if (a >= 3600)
		snprintf(v, sizeof(v), "%lldh%lldm", (long long)(a / 3600), (long long)(a % 3600 / 60));
	else if (a >= 60)
		snprintf(v, sizeof(v), "%lldm%llds", (long long)(a / 60), (long long)(a % 60));
	else
		snprintf(v, sizeof(v), "%llds", (long long)a);
	if (a == 0)
		snprintf(buf, len, "now");
	else
		snprintf(buf, len, d > 0 ? "in %s" : "%s ago", v);
}

void
cli_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}
