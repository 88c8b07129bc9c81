/* cmd_status.c - `wif status`: which credential source wins and why, the
 * cached token's expiry, the last refresh and its result. Passive: it never
 * mints or contacts anything. */
#include "config.h"

#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client.h"
#include "creds.h"
#include "err.h"
#include "local.h"
#include "log.h"

/* The profile's own windows, as the last refresh recorded them. */
static const char *
tier(const struct wif_local_status *st, int64_t now)
{
	int64_t rem = st->token->expires_at - now;

	if (rem <= 0)
		return "expired";
	if (rem <= st->mandatory)
		return "mandatory window: will be refreshed before use";
	if (rem <= st->advisory)
		return "advisory window: the next request refreshes it";
	return "fresh";
}

static void
print_exchange(const struct wif_config_profile *p)
{
	const struct wif_config_exchange *x = &p->exchange;
	size_t i;

	if (x->type == WIF_EXCHANGE_ANTHROPIC) {
		printf("  %-20s anthropic (RFC 7523 jwt-bearer)\n", "exchange:");
		printf("  %-20s %s\n", "base_url:", x->base_url ? x->base_url : WIF_DEFAULT_BASE_URL);
		printf("  %-20s %s\n", "federation_rule_id:", x->federation_rule_id ? x->federation_rule_id : "-");
		printf("  %-20s %s\n", "organization_id:", x->organization_id ? x->organization_id : "-");
		printf("  %-20s %s\n", "service_account_id:", x->service_account_id ? x->service_account_id : "- (recommended: the docs call it required)");
		printf("  %-20s %s\n", "workspace_id:", x->workspace_id ? x->workspace_id : "- (the rule's sole workspace)");
	} else if (x->type == WIF_EXCHANGE_TOKEN_EXCHANGE) {
		printf("  %-20s oauth2-token-exchange (RFC 8693) at %s\n", "exchange:",
		    x->token_url ? x->token_url : "-");
	} else
		printf("  %-20s identity (the IdP JWT itself)\n", "exchange:");
	for (i = 0; i < p->n_sources; i++)
		printf("  %-20s %zu. %s (%s:%d)\n", i ? "" : "sources:", i + 1,
		    p->sources[i].provider, p->sources[i].loc.file, p->sources[i].loc.line);
}

static void
print_text(const struct wif_resolution *res, const char *profile,
           const struct wif_config_profile *p, const char *cfg_error,
           const struct wif_local_status *st)
{
	int64_t now = (int64_t)time(NULL);
	char a[40], b[40];
	size_t i;

	printf("Credential sources (first that applies wins):\n");
	for (i = 0; i < res->n_cand; i++) {
		const struct wif_cred_candidate *c = &res->cand[i];
		const char *mark = (int)i == res->winner ? "(active) *" :
		    c->shadows ? "(shadow) !" : "         *";
		printf("  %s %-46s %s\n", mark, c->label, c->detail);
	}
	if (res->shadow_warning[0])
		printf("\n⚠  %s\n", res->shadow_warning);
	for (i = 0; i < res->n_cand; i++)
		if (res->cand[i].partial)
			printf("⚠  %s: %s\n", res->cand[i].label, res->cand[i].detail);
	printf("\nProfile %s (%s)\n", profile, res->why[0] ? res->why : "default");
	if (cfg_error != NULL)
		printf("  configuration error: %s\n", cfg_error);
	else if (p != NULL)
		print_exchange(p);
	if (st == NULL)
		return;
	if (st->has_token) {
		cli_fmt_time(st->token->expires_at, a, sizeof(a));
		cli_fmt_rel(st->token->expires_at, now, b, sizeof(b));
		printf("  %-20s %.16s… (cached in %s)\n", "token:",
		    st->token->access_token, st->dir);
		printf("  %-20s %s (%s) - %s\n", "expires:", a, b, tier(st, now));
	} else
		printf("  %-20s none cached yet (`wif token` mints one)\n", "token:");
	if (st->has_record) {
		cli_fmt_time(st->last_refresh_at, a, sizeof(a));
		cli_fmt_rel(st->last_refresh_at, now, b, sizeof(b));
		printf("  %-20s %s (%s): %s, %d attempt%s, via %s, request-id %s\n",
		    "last refresh:", a, b, st->last_rc == 0 ? "OK" : wif_strerror(st->last_rc),
		    st->attempts, st->attempts == 1 ? "" : "s",
		    st->provider[0] ? st->provider : "-",
		    st->request_id[0] ? st->request_id : "-");
		if (st->last_rc != 0)
			printf("  %-20s %s\n", "last error:", st->last_error);
		if (st->iss[0]) {
			printf("  %-20s iss %s\n", "identity:", st->iss);
			printf("  %-20s sub %s\n", "", st->sub);
			if (st->identity_exp) {
				cli_fmt_time(st->identity_exp, a, sizeof(a));
				printf("  %-20s exp %s\n", "", a);
			}
		}
	} else
		printf("  %-20s never\n", "last refresh:");
}

static void
print_json(const char *daemon_json, const struct wif_resolution *res,
           const char *profile,
           const struct wif_config_profile *p, const char *cfg_error,
           const struct wif_local_status *st)
{
	int64_t now = (int64_t)time(NULL);
	char prefix[24];
	size_t i;

	printf("{\"profile\":");
	cli_json_str(stdout, profile);
	printf(",\"why\":");
	cli_json_str(stdout, res->why);
	printf(",\"sources\":[");
	for (i = 0; i < res->n_cand; i++) {
		const struct wif_cred_candidate *c = &res->cand[i];
		printf("%s{\"label\":", i ? "," : "");
		cli_json_str(stdout, c->label);
		printf(",\"active\":%s,\"present\":%s,\"partial\":%s,\"shadows\":%s,\"detail\":",
		    (int)i == res->winner ? "true" : "false", c->present ? "true" : "false",
		    c->partial ? "true" : "false", c->shadows ? "true" : "false");
		cli_json_str(stdout, c->detail);
		printf("}");
	}
	printf("],\"shadow_warning\":");
	cli_json_str(stdout, res->shadow_warning[0] ? res->shadow_warning : NULL);
	printf(",\"config_error\":");
	cli_json_str(stdout, cfg_error);
	if (p != NULL && p->exchange.type == WIF_EXCHANGE_ANTHROPIC) {
		printf(",\"exchange\":{\"type\":\"anthropic\",\"base_url\":");
		cli_json_str(stdout, p->exchange.base_url ? p->exchange.base_url : WIF_DEFAULT_BASE_URL);
		printf(",\"federation_rule_id\":");
		cli_json_str(stdout, p->exchange.federation_rule_id);
		printf(",\"organization_id\":");
		cli_json_str(stdout, p->exchange.organization_id);
		printf(",\"service_account_id\":");
		cli_json_str(stdout, p->exchange.service_account_id);
		printf(",\"workspace_id\":");
		cli_json_str(stdout, p->exchange.workspace_id);
		printf("}");
	}
	if (st != NULL) {
		printf(",\"token\":");
		if (st->has_token) {
			snprintf(prefix, sizeof(prefix), "%.16s", st->token->access_token);
			printf("{\"prefix\":");
			cli_json_str(stdout, prefix);
			printf(",\"expires_at\":%lld,\"remaining\":%lld,\"state\":",
			    (long long)st->token->expires_at,
			    (long long)(st->token->expires_at - now));
			cli_json_str(stdout, tier(st, now));
			printf("}");
		} else
			printf("null");
		printf(",\"last_refresh\":");
		if (st->has_record) {
			printf("{\"at\":%lld,\"ok\":%s,\"error\":", (long long)st->last_refresh_at,
			    st->last_rc == 0 ? "true" : "false");
			cli_json_str(stdout, st->last_rc ? st->last_error : NULL);
			printf(",\"provider\":");
			cli_json_str(stdout, st->provider);
			printf(",\"request_id\":");
			cli_json_str(stdout, st->request_id[0] ? st->request_id : NULL);
			printf(",\"attempts\":%d,\"identity\":{\"iss\":", st->attempts);
			cli_json_str(stdout, st->iss);
			printf(",\"sub\":");
			cli_json_str(stdout, st->sub);
			printf(",\"exp\":%lld}}", (long long)st->identity_exp);
		} else
			printf("null");
	}
	printf(",\"daemon\":%s}\n", daemon_json != NULL ? daemon_json : "null");
}

/*
 * What a running wifd says (op=status: the profiles this caller may use),
 * as JSON text; *json NULL when no daemon answers or -c/$WIF_CONFIG names
 * a file to inspect in-process.  *sock: the socket asked, or NULL.
 */
static void
daemon_status(char **json, char **sock)
{
	char req[64], *buf = NULL;
	struct wif_wire_msg m;
	wif_handle *h = NULL;
	const char *v;
	size_t len;
	int r;

	*json = *sock = NULL;
	if (cli_config_path != NULL ||
	    ((v = getenv(WIF_CONFIG_ENV)) != NULL && *v != '\0') ||
	    wif_open(NULL, WIF_OPEN_NO_FALLBACK, &h) != WIF_OK)
		return;
	wif_set_timeout(h, 5000);
	wif_wire_begin(req, &len);
	(void)wif_wire_add(req, sizeof(req), &len, "op", "status");
	len = wif_wire_end(req, len);
	*sock = strdup(wif_client_socket(h));
	if ((r = wif_client_call(h, req, len, &buf, &m)) == WIF_OK &&
	    (v = wif_wire_get(&m, "json")) != NULL)
		*json = strdup(v);
	else if (r != WIF_OK && r != WIF_E_NO_DAEMON)
		log_warnx("wifd at %s: %s", wif_client_socket(h), wif_error(h));
	if (*json == NULL) {
		free(*sock);
		*sock = NULL;
	}
	free(buf);
	wif_close(h);
}

static void
print_daemon_text(const char *dj, const char *sock)
{
	json_object *root, *arr, *o, *x;
	int64_t now = (int64_t)time(NULL), exp;
	char a[40], b[40];
	size_t i, n;

	if (dj == NULL || (root = json_tokener_parse(dj)) == NULL)
		return;
	printf("wifd at %s (%s): the host-wide cache, used by wif token\n", sock,
	    json_object_object_get_ex(root, "config", &x) ?
	    json_object_get_string(x) : "?");
	if (!json_object_object_get_ex(root, "profiles", &arr) ||
	    (n = json_object_array_length(arr)) == 0)
		printf("  no profile is open to you (uid %u)\n", (unsigned)getuid());
	for (i = 0; json_object_object_get_ex(root, "profiles", &arr) &&
	    i < json_object_array_length(arr); i++) {
		o = json_object_array_get_idx(arr, i);
		printf("  profile %s:", json_object_object_get_ex(o, "profile", &x) ?
		    json_object_get_string(x) : "?");
		if (json_object_object_get_ex(o, "has_token", &x) &&
		    json_object_get_boolean(x) &&
		    json_object_object_get_ex(o, "expires_at", &x)) {
			exp = json_object_get_int64(x);
			cli_fmt_time(exp, a, sizeof(a));
			cli_fmt_rel(exp, now, b, sizeof(b));
			printf(" token expires %s (%s)", a, b);
		} else
			printf(" no token yet");
		if (json_object_object_get_ex(o, "last_refresh_ok", &x) &&
		    !json_object_get_boolean(x) &&
		    json_object_object_get_ex(o, "last_error", &x) &&
		    json_object_get_string(x)[0] != '\0')
			printf("; last refresh failed: %s", json_object_get_string(x));
		if (json_object_object_get_ex(o, "provider", &x) &&
		    json_object_get_string(x)[0] != '\0')
			printf("; via %s", json_object_get_string(x));
		if (json_object_object_get_ex(o, "request_id", &x) &&
		    json_object_get_string(x)[0] != '\0')
			printf(", request-id %s", json_object_get_string(x));
		if (json_object_object_get_ex(o, "sub", &x) &&
		    json_object_get_string(x)[0] != '\0')
			printf(", sub %s", json_object_get_string(x));
		if (json_object_object_get_ex(o, "source_state", &x) &&
		    json_object_get_string(x)[0] != '\0')
			printf("\n    source: %s", json_object_get_string(x));
		printf("\n");
	}
	if (json_object_object_get_ex(root, "mint_helper", &o) &&
	    json_object_object_get_ex(o, "pid", &x)) {
		json_object *st;

		exp = json_object_get_int64(x);
		if (exp > 0)
			printf("  mint helper: wifd-mint pid %lld", (long long)exp);
		else
			printf("  mint helper: not running (started when a token "
			    "is due)");
		if (json_object_object_get_ex(o, "started", &st))
			printf(", %lld started so far",
			    (long long)json_object_get_int64(st));
		printf("\n");
	}
	/* pam_wif sessions: the SDK directories wifd keeps for logins */
	for (i = 0; json_object_object_get_ex(root, "sessions", &arr) &&
	    i < json_object_array_length(arr); i++) {
		json_object *u, *l, *dir;

		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, "user", &u) ||
		    !json_object_object_get_ex(o, "profile", &x) ||
		    !json_object_object_get_ex(o, "logins", &l) ||
		    !json_object_object_get_ex(o, "config_dir", &dir))
			continue;
		printf("  session of %s: profile %s, %d login%s, "
		    "ANTHROPIC_CONFIG_DIR=%s\n", json_object_get_string(u),
		    json_object_get_string(x), json_object_get_int(l),
		    json_object_get_int(l) == 1 ? "" : "s",
		    json_object_get_string(dir));
	}
	printf("\n");
	json_object_put(root);
}

int
cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct wif_resolution res;
	struct wif_local_status st;
	struct wif_core *core = NULL;
	const struct wif_config_profile *p = NULL;
	const char *explicit_profile = NULL, *profile, *cfg_error = NULL;
	char errbuf[WIF_ERR_MAX], *dj = NULL, *dsock = NULL;
	int ch, json = 0, r, have_st = 0, ex = CLI_EXIT_OK;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "p:", opts, NULL)) != -1) {
		if (ch == 'p')
			explicit_profile = optarg;
		else if (ch == 'j')
			json = 1;
		else {
			fprintf(stderr, "usage: wif status [-p PROFILE] [--json]\n");
			return CLI_EXIT_USAGE;
		}
	}
	r = wif_resolve(cli_config_path, explicit_profile, &res);
	profile = wif_local_profile(&res);
	if (r != WIF_OK) {
		snprintf(errbuf, sizeof(errbuf), "%s", wif_err_detail());
		cfg_error = errbuf;
		ex = CLI_EXIT_FAIL;
	} else if (wif_resolution_open_core(&res, &core) != WIF_OK) {
		snprintf(errbuf, sizeof(errbuf), "%s", wif_err_detail());
		cfg_error = errbuf;
		ex = CLI_EXIT_CONFIG;
	} else if ((p = wif_config_profile(wif_core_config(core), profile)) == NULL) {
		snprintf(errbuf, sizeof(errbuf), "no profile \"%s\" in %s", profile,
		    wif_core_config(core)->path);
		cfg_error = errbuf;
		ex = CLI_EXIT_CONFIG;
	}
	if (r == WIF_OK && wif_local_status_get(&res, profile, &st) == WIF_OK)
		have_st = 1;
	daemon_status(&dj, &dsock);
	if (json) {
		print_json(dj, &res, profile, p, cfg_error, have_st ? &st : NULL);
	} else {
		print_daemon_text(dj, dsock);
		if (dj != NULL)
			printf("In-process fallback (what wif token does when wifd "
			    "is not running):\n");
		print_text(&res, profile, p, cfg_error, have_st ? &st : NULL);
	}
	/* A daemon that answered is the source wif token uses. */
	if (dj != NULL)
		ex = CLI_EXIT_OK;
	free(dj);
	free(dsock);
	if (have_st)
		wif_local_status_free(&st);
	wif_core_close(core);
	wif_resolution_free(&res);
	return ex;
}
