/* util.c - presentation helpers shared by the wif commands. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "err.h"

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
cli_open_core(struct wif_core **out)
{
	int r;

	if ((r = wif_core_open(cli_config_path, out)) != WIF_OK) {
		fprintf(stderr, "wif: configuration %s is not usable:\n%s\n",
		    wif_core_config_path(cli_config_path), wif_err_detail());
		return CLI_EXIT_CONFIG;
	}
	return CLI_EXIT_OK;
}

const char *
cli_pick_profile(const struct wif_config *cfg, const char *explicit_name)
{
	(void)cfg;
	return explicit_name != NULL ? explicit_name : "default";
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
	snprintf(buf, len, d >= 0 ? "in %s" : "%s ago", v);
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
