/*
 * test_config.c - wif.conf + conf.d loading and validation (common/conf.c).
 *
 * Every test writes its files into a fresh directory under ./cfgtest.XXXXXX
 * (the build tree: the loader and the config checks refuse world-writable
 * parents such as /tmp) and asserts on the exact file:line of each error,
 * the key it names and the advice it gives.  A fake schema callback stands
 * in for the plugin loader.  The snapshot tests build snapshots byte by
 * byte (broken ones too); the core's snapshot test loads the mock plugin
 * from $WIF_MOCK_DIR.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "core.h"
#include "cutest.h"
#include "err.h"
#include "exchange.h"

#define UUID "00000000-0000-4000-8000-000000000001"
#define SECRET "s3cr3t-VALUE-42"

/* Profile boilerplate; @TOKEN@ is an existing token file in the case dir. */
#define FAKE "source = ( { provider = \"fake\"; path = \"@TOKEN@\"; } ); "
#define ANTH "exchange = { federation_rule_id = \"fdrl_1\"; organization_id " \
	"= \"" UUID "\"; service_account_id = \"svac_1\"; }; "
#define ALLOW "allow = { users = [ \"app\" ]; }; "

static char root[PATH_MAX];   /* ./cfgtest.XXXXXX, absolute */
static char dir[PATH_MAX];    /* the current case */
static char mainf[PATH_MAX];  /* <dir>/wif.conf */
static char detail[WIF_ERR_MAX + 1];
static int case_no;

/* ---- the fake schema ------------------------------------------------- */
static const struct wif_option fake_opts[] = {
	{ "path", WIF_OPT_STRING, WIF_OPT_REQUIRED | WIF_OPT_PATH, "the token file" },
	{ "token", WIF_OPT_STRING, WIF_OPT_SECRET, "an inline token" },
	{ "token_file", WIF_OPT_STRING, WIF_OPT_SECRET_PATH, "a file with the token" },
	{ "count", WIF_OPT_INT, 0, "a number" },
	{ "verbose", WIF_OPT_BOOL, 0, "chatty" },
	{ "args", WIF_OPT_STRING_LIST, 0, "arguments" },
	{ NULL, 0, 0, NULL },
};
static const struct wif_option other_opts[] = {
	{ "x", WIF_OPT_STRING, 0, "anything" },
	{ NULL, 0, 0, NULL },
};
static const struct wif_option file_opts[] = {
	{ "path", WIF_OPT_STRING, WIF_OPT_REQUIRED | WIF_OPT_PATH, "the token file" },
	{ NULL, 0, 0, NULL },
};

struct calls {
	int fake, other, file, unknown;
	char dir_seen[PATH_MAX];
	int dir_null;
};
static struct calls calls;

static int
fake_schema(void *arg, const char *provider_dir, const char *provider,
            const struct wif_option **options)
{
	struct calls *c = arg;

	*options = NULL;
	c->dir_null = provider_dir == NULL;
	snprintf(c->dir_seen, sizeof(c->dir_seen), "%s",
	    provider_dir ? provider_dir : "");
	if (strcmp(provider, "fake") == 0) {
		c->fake++;
		*options = fake_opts;
	} else if (strcmp(provider, "other") == 0) {
		c->other++;
		*options = other_opts;
	} else if (strcmp(provider, "file") == 0) {
		c->file++;
		*options = file_opts;
	} else {
		c->unknown++;
		return wif_err(WIF_E_NOT_FOUND, "no plugin %s.so in %s", provider,
		    provider_dir ? provider_dir : "(default)");
	}
	return WIF_OK;
}

/* ---- files --------------------------------------------------------- */
static void
expand(const char *in, char *out, size_t size)
{
	static const char *const keys[] = { "@TOKEN@", "@DIR@", NULL };
	size_t used = 0, k;
	char token[PATH_MAX + 8];

	snprintf(token, sizeof(token), "%s/token", dir);
	while (*in != '\0' && used + 1 < size) {
		const char *val = NULL;
		for (k = 0; keys[k] != NULL; k++)
			if (strncmp(in, keys[k], strlen(keys[k])) == 0)
				break;
		if (keys[k] != NULL) {
			val = k == 0 ? token : dir;
			used += (size_t)snprintf(out + used, size - used, "%s", val);
			in += strlen(keys[k]);
			continue;
		}
		out[used++] = *in++;
	}
	out[used < size ? used : size - 1] = '\0';
}

static void
put(const char *rel, mode_t mode, const char *text)
{
	static char buf[1 << 16];
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	expand(text, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(path, "w"));
	fputs(buf, f);
	CU_ASSERT_FATAL(fclose(f) == 0);
	CU_ASSERT_FATAL(chmod(path, mode) == 0);
}

static void
subdir(const char *rel, mode_t mode)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	CU_ASSERT_FATAL(mkdir(path, mode) == 0);
	CU_ASSERT_FATAL(chmod(path, mode) == 0);
}

/* A fresh case directory with a token file; mainf names its wif.conf. */
static void
new_case(void)
{
	snprintf(dir, sizeof(dir), "%s/case%02d", root, ++case_no);
	CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
	snprintf(mainf, sizeof(mainf), "%s/wif.conf", dir);
	put("token", 0644, "eyJ.a.b\n");
	memset(&calls, 0, sizeof(calls));
}

static int
load_with(const char *confd, wif_config_schema_fn fn, struct wif_config **cfg)
{
	int r = wif_config_load(mainf, confd, fn, &calls, cfg);

	snprintf(detail, sizeof(detail), "%s", r == WIF_OK ? "" : wif_err_detail());
	if (r != WIF_OK && getenv("WIF_TEST_VERBOSE"))
		fprintf(stderr, "--- detail:\n%s\n", detail);
	return r;
}

static int
load(struct wif_config **cfg)
{
	return load_with(NULL, fake_schema, cfg);
}

/* Load what must fail with WIF_E_CONFIG; cfg must stay NULL. */
static void
load_bad(void)
{
	static struct wif_config sentinel;
	struct wif_config *cfg = &sentinel; /* load must reset it */

	CU_ASSERT_EQUAL(load(&cfg), WIF_E_CONFIG);
	CU_ASSERT_PTR_NULL(cfg);
	if (cfg != &sentinel)
		wif_config_free(cfg);
}

static int
n_lines(const char *s)
{
	int n = s[0] ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* 1 when some line of the detail starts with "FILE:LINE: " and contains
 * every needle (a NULL-terminated list). */
static int
has_line(const char *file, int line, ...)
{
	char prefix[PATH_MAX + 32];
	const char *p = detail;
	va_list ap;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", file, line);
	while (p != NULL && *p) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char text[4096];
		const char *needle;
		int ok;

		snprintf(text, sizeof(text), "%.*s", (int)len, p);
		ok = strncmp(text, prefix, strlen(prefix)) == 0;
		va_start(ap, line);
		while (ok && (needle = va_arg(ap, const char *)) != NULL)
			ok = strstr(text, needle) != NULL;
		va_end(ap);
		if (ok)
			return 1;
		p = end ? end + 1 : NULL;
	}
	fprintf(stderr, "\nno line %s:%d: with the expected text in:\n%s\n",
	    file, line, detail);
	return 0;
}

#define HAS(line, ...) CU_ASSERT(has_line(mainf, (line), __VA_ARGS__, NULL))
#define CONTAINS(s, needle) CU_ASSERT_PTR_NOT_NULL(strstr((s), (needle)))

/* ---- the happy path ------------------------------------------------- */

static void
write_full(void)
{
	put("ca.pem", 0644, "-----BEGIN CERTIFICATE-----\n");
	put("client-secret", 0600, "x\n");
	put("wif.conf", 0644,
	    "# a full configuration\n"                                    /* 1 */
	    "wif = {\n"                                                   /* 2 */
	    "  provider_dir = \"/opt/wif/providers\";\n"                  /* 3 */
	    "  socket = \"/run/wif-test/wifd.sock\";\n"                   /* 4 */
	    "  refresh = { advisory = 300; mandatory = 60; };\n"          /* 5 */
	    "  http = { timeout_ms = 20000; connect_timeout_ms = 2000; max_body = 65536;\n"
	    "           retries = 5; backoff_ms = 250; budget_ms = 45000; };\n" /* 7 */
	    "  audit = \"stderr\";\n"                                      /* 8 */
	    "  log_level = \"debug\";\n"                                   /* 9 */
	    "};\n"                                                         /* 10 */
	    "profiles = (\n"                                               /* 11 */
	    "  { name = \"default\";\n"                                    /* 12 */
	    "    audience = \"https://aud.example\";\n"                    /* 13 */
	    "    source = ( { provider = \"fake\"; path = \"@TOKEN@\"; count = 5000000000L; verbose = true; args = [ \"a\", \"b\" ]; },\n"
	    "               { provider = \"other\"; x = \"y\"; } );\n"      /* 15 */
	    "    exchange = { type = \"anthropic\";\n"                     /* 16 */
	    "                 base_url = \"https://api.example.com/\";\n"  /* 17 */
	    "                 federation_rule_id = \"fdrl_abc123\";\n"     /* 18 */
	    "                 organization_id = \"" UUID "\";\n"           /* 19 */
	    "                 service_account_id = \"svac_XYZ9\";\n"       /* 20 */
	    "                 workspace_id = \"wrkspc_w1\"; ca_file = \"@DIR@/ca.pem\"; };\n"
	    "    refresh = { advisory = 200; mandatory = 20; };\n"         /* 22 */
	    "    allow = { users = [ \"app\", \"root\" ]; groups = [ \"claude\" ]; units = [ \"myapp.service\" ]; };\n"
	    "    sinks = ( { path = \"/run/app/claude-token\"; format = \"json\"; owner = \"app\"; group = \"app\"; mode = 0640; },\n"
	    "              { path = \"/run/app/env\"; format = \"env\"; mode = \"0600\"; } );\n"
	    "  },\n"                                                       /* 26 */
	    "  { name = \"sts\";\n"                                        /* 27 */
	    "    source = { provider = \"fake\"; path = \"@TOKEN@\"; };\n"  /* 28 */
	    "    exchange = { type = \"oauth2-token-exchange\"; token_url = \"https://sts.example/token\";\n"
	    "                 scope = \"read\"; client_id = \"cid\"; client_secret_file = \"@DIR@/client-secret\"; };\n"
	    "  }\n"                                                        /* 31 */
	    ");\n");                                                       /* 32 */
	subdir("conf.d", 0755);
	put("conf.d/20-b.conf", 0644,
	    "profiles = ( { name = \"b\"; " FAKE "\n"
	    "  exchange = { type = \"identity\"; }; allow = { groups = [ \"g\" ]; }; } );\n");
	put("conf.d/10-a.conf", 0600,
	    "profiles = (\n"
	    "  { name = \"a\"; " FAKE "\n"
	    "    exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; workspace_id = \"default\"; }; " ALLOW "}\n"
	    ");\n");
	/* Not *.conf, or hidden: never read (they would not even parse). */
	put("conf.d/README", 0644, "this is not a config {{{\n");
	put("conf.d/30-c.conf.bak", 0644, "broken {{{\n");
	put("conf.d/.hidden.conf", 0644, "broken {{{\n");
}

static void
test_full_config_read_back(void)
{
	struct wif_config *cfg = NULL;
	const struct wif_config_profile *p;
	const struct wif_config_exchange *x;
	char path[PATH_MAX + 64];
	const char *s;
	int64_t i64;
	int b;

	new_case();
	write_full();
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg);
	/* wif group */
	CU_ASSERT_STRING_EQUAL(cfg->path, mainf);
	CU_ASSERT_STRING_EQUAL(cfg->provider_dir, "/opt/wif/providers");
	CU_ASSERT_STRING_EQUAL(cfg->socket, "/run/wif-test/wifd.sock");
	CU_ASSERT_EQUAL(cfg->advisory, 300);
	CU_ASSERT_EQUAL(cfg->mandatory, 60);
	CU_ASSERT_EQUAL(cfg->http.timeout_ms, 20000);
	CU_ASSERT_EQUAL(cfg->http.connect_timeout_ms, 2000);
	CU_ASSERT_EQUAL(cfg->http.max_body, 65536);
	CU_ASSERT_EQUAL(cfg->http.retries, 5);
	CU_ASSERT_EQUAL(cfg->http.backoff_ms, 250);
	CU_ASSERT_EQUAL(cfg->http.budget_ms, 45000);
	CU_ASSERT_PTR_NULL(cfg->http.user_agent);
	CU_ASSERT_STRING_EQUAL(cfg->audit, "stderr");
	CU_ASSERT_STRING_EQUAL(cfg->log_level, "debug");
	/* files: main first, then conf.d sorted; README, .bak, dotfile skipped */
	CU_ASSERT_EQUAL_FATAL(cfg->n_files, 3);
	CU_ASSERT_STRING_EQUAL(cfg->files[0], mainf);
	snprintf(path, sizeof(path), "%s/conf.d/10-a.conf", dir);
	CU_ASSERT_STRING_EQUAL(cfg->files[1], path);
	snprintf(path, sizeof(path), "%s/conf.d/20-b.conf", dir);
	CU_ASSERT_STRING_EQUAL(cfg->files[2], path);
	/* profiles in merge order */
	CU_ASSERT_EQUAL_FATAL(cfg->n_profiles, 4);
	CU_ASSERT_STRING_EQUAL(cfg->profiles[0].name, "default");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[1].name, "sts");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[2].name, "a");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[3].name, "b");
	CU_ASSERT_PTR_NULL(wif_config_profile(cfg, "nope"));

	p = wif_config_profile(cfg, "default");
	CU_ASSERT_PTR_EQUAL_FATAL(p, &cfg->profiles[0]);
	CU_ASSERT_PTR_EQUAL(p->loc.file, cfg->files[0]);
	CU_ASSERT_EQUAL(p->loc.line, 12);
	CU_ASSERT_STRING_EQUAL(p->audience, "https://aud.example");
	CU_ASSERT_EQUAL(p->advisory, 200);
	CU_ASSERT_EQUAL(p->mandatory, 20);
	CU_ASSERT_EQUAL_FATAL(p->n_sources, 2);
	CU_ASSERT_STRING_EQUAL(p->sources[0].provider, "fake");
	CU_ASSERT_STRING_EQUAL(p->sources[1].provider, "other");
	CU_ASSERT_EQUAL(p->sources[0].loc.line, 14);
	CU_ASSERT_EQUAL(p->sources[1].loc.line, 15);
	CU_ASSERT_PTR_EQUAL(p->sources[1].loc.file, cfg->files[0]);
	CU_ASSERT_EQUAL(p->sources[0].inline_secret_ok, 0); /* main is 0644 */
	/* the source section stays readable through the accessors */
	CU_ASSERT_EQUAL(wif_config_source_string(&p->sources[0], "path", &s), WIF_OK);
	snprintf(path, sizeof(path), "%s/token", dir);
	CU_ASSERT_STRING_EQUAL(s, path);
	CU_ASSERT_EQUAL(wif_config_source_int(&p->sources[0], "count", &i64), WIF_OK);
	CU_ASSERT(i64 == 5000000000LL);
	CU_ASSERT_EQUAL(wif_config_source_bool(&p->sources[0], "verbose", &b), WIF_OK);
	CU_ASSERT_EQUAL(b, 1);
	CU_ASSERT_EQUAL(wif_config_source_list_string(&p->sources[0], "args", 0, &s), WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "a");
	CU_ASSERT_EQUAL(wif_config_source_list_string(&p->sources[0], "args", 1, &s), WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "b");
	CU_ASSERT_EQUAL(wif_config_source_list_string(&p->sources[0], "args", 2, &s),
	    WIF_E_NOT_FOUND);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(wif_config_source_string(&p->sources[1], "x", &s), WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "y");
	/* exchange, with the trailing '/' of base_url stripped */
	x = &p->exchange;
	CU_ASSERT_EQUAL(x->type, WIF_EXCHANGE_ANTHROPIC);
	CU_ASSERT_EQUAL(x->loc.line, 16);
	CU_ASSERT_STRING_EQUAL(x->base_url, "https://api.example.com");
	CU_ASSERT_STRING_EQUAL(x->federation_rule_id, "fdrl_abc123");
	CU_ASSERT_STRING_EQUAL(x->organization_id, UUID);
	CU_ASSERT_STRING_EQUAL(x->service_account_id, "svac_XYZ9");
	CU_ASSERT_STRING_EQUAL(x->workspace_id, "wrkspc_w1");
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	CU_ASSERT_STRING_EQUAL(x->ca_file, path);
	/* allow and sinks */
	CU_ASSERT_EQUAL_FATAL(p->allow.n_users, 2);
	CU_ASSERT_STRING_EQUAL(p->allow.users[0], "app");
	CU_ASSERT_STRING_EQUAL(p->allow.users[1], "root");
	CU_ASSERT_EQUAL_FATAL(p->allow.n_groups, 1);
	CU_ASSERT_STRING_EQUAL(p->allow.groups[0], "claude");
	CU_ASSERT_EQUAL_FATAL(p->allow.n_units, 1);
	CU_ASSERT_STRING_EQUAL(p->allow.units[0], "myapp.service");
	CU_ASSERT_EQUAL_FATAL(p->n_sinks, 2);
	CU_ASSERT_STRING_EQUAL(p->sinks[0].path, "/run/app/claude-token");
	CU_ASSERT_STRING_EQUAL(p->sinks[0].format, "json");
	CU_ASSERT_STRING_EQUAL(p->sinks[0].owner, "app");
	CU_ASSERT_STRING_EQUAL(p->sinks[0].group, "app");
	CU_ASSERT_EQUAL(p->sinks[0].mode, 0640);
	CU_ASSERT_EQUAL(p->sinks[0].loc.line, 24);
	CU_ASSERT_PTR_EQUAL(p->sinks[0].loc.file, cfg->files[0]);
	CU_ASSERT_STRING_EQUAL(p->sinks[1].format, "env");
	CU_ASSERT_EQUAL(p->sinks[1].mode, 0600);
	CU_ASSERT_PTR_NULL(p->sinks[1].owner);

	/* a single source group; wif.refresh inherited; defaults filled */
	p = wif_config_profile(cfg, "sts");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->n_sources, 1);
	CU_ASSERT_EQUAL(p->sources[0].loc.line, 28);
	CU_ASSERT_EQUAL(p->advisory, 300);
	CU_ASSERT_EQUAL(p->mandatory, 60);
	CU_ASSERT_STRING_EQUAL(p->audience, WIF_DEFAULT_AUDIENCE);
	x = &p->exchange;
	CU_ASSERT_EQUAL(x->type, WIF_EXCHANGE_TOKEN_EXCHANGE);
	CU_ASSERT_STRING_EQUAL(x->token_url, "https://sts.example/token");
	CU_ASSERT_STRING_EQUAL(x->scope, "read");
	CU_ASSERT_STRING_EQUAL(x->client_id, "cid");
	CU_ASSERT_STRING_EQUAL(x->requested_token_type,
	    "urn:ietf:params:oauth:token-type:access_token");
	CU_ASSERT_STRING_EQUAL(x->subject_token_type,
	    "urn:ietf:params:oauth:token-type:jwt");
	CU_ASSERT_PTR_NULL(x->audience);
	CU_ASSERT_EQUAL(p->n_sinks, 0);

	p = wif_config_profile(cfg, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_EQUAL(p->loc.file, cfg->files[1]);
	CU_ASSERT_EQUAL(p->loc.line, 2);
	CU_ASSERT_PTR_EQUAL(p->sources[0].loc.file, cfg->files[1]);
	CU_ASSERT_EQUAL(p->sources[0].inline_secret_ok, 1); /* 10-a is 0600 */
	CU_ASSERT_STRING_EQUAL(p->exchange.workspace_id, "default");
	CU_ASSERT_STRING_EQUAL(p->exchange.base_url, WIF_DEFAULT_BASE_URL);
	CU_ASSERT_PTR_NULL(p->exchange.service_account_id);
	p = wif_config_profile(cfg, "b");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(p->exchange.type, WIF_EXCHANGE_IDENTITY);
	CU_ASSERT_PTR_EQUAL(p->loc.file, cfg->files[2]);

	/* warnings: "a" lacks service_account_id, "sts" has no allow list */
	CU_ASSERT_EQUAL_FATAL(cfg->n_warnings, 2);
	snprintf(path, sizeof(path), "%s/conf.d/10-a.conf:3: ", dir);
	CU_ASSERT(strncmp(cfg->warnings[1], path, strlen(path)) == 0 ||
	    strncmp(cfg->warnings[0], path, strlen(path)) == 0);
	CU_ASSERT(strstr(cfg->warnings[0], "service_account_id") != NULL ||
	    strstr(cfg->warnings[1], "service_account_id") != NULL);
	snprintf(path, sizeof(path), "%s:27: ", mainf);
	CU_ASSERT(strncmp(cfg->warnings[0], path, strlen(path)) == 0);
	CONTAINS(cfg->warnings[0], "only root may use profile sts");

	/* one schema call per distinct provider, with wif.provider_dir */
	CU_ASSERT_EQUAL(calls.fake, 1);
	CU_ASSERT_EQUAL(calls.other, 1);
	CU_ASSERT_STRING_EQUAL(calls.dir_seen, "/opt/wif/providers");
	wif_config_free(cfg);
}

static void
test_defaults(void)
{
	struct wif_config *cfg = NULL;
	const struct wif_config_profile *p;

	new_case();
	put("wif.conf", 0600, "profiles = ( { name = \"p\"; " FAKE ANTH ALLOW
	    "sinks = ( { path = \"/run/x\"; } ); } );\n");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_EQUAL(cfg->advisory, 120);
	CU_ASSERT_EQUAL(cfg->mandatory, 30);
	CU_ASSERT_EQUAL(cfg->http.timeout_ms, 10000);
	CU_ASSERT_EQUAL(cfg->http.connect_timeout_ms, 3000);
	CU_ASSERT_EQUAL(cfg->http.max_body, 1048576);
	CU_ASSERT_EQUAL(cfg->http.retries, 3);
	CU_ASSERT_EQUAL(cfg->http.backoff_ms, 500);
	CU_ASSERT_EQUAL(cfg->http.budget_ms, 30000);
	CU_ASSERT_STRING_EQUAL(cfg->socket, WIF_DEFAULT_SOCKET);
	CU_ASSERT_PTR_NULL(cfg->provider_dir);
	CU_ASSERT_PTR_NULL(cfg->audit);
	CU_ASSERT_PTR_NULL(cfg->log_level);
	CU_ASSERT_EQUAL(cfg->n_files, 1); /* no conf.d: fine */
	CU_ASSERT_EQUAL(cfg->n_warnings, 0);
	CU_ASSERT_EQUAL(calls.dir_null, 1);
	p = &cfg->profiles[0];
	CU_ASSERT_EQUAL(p->advisory, 120);
	CU_ASSERT_EQUAL(p->mandatory, 30);
	CU_ASSERT_STRING_EQUAL(p->audience, WIF_DEFAULT_AUDIENCE);
	CU_ASSERT_STRING_EQUAL(p->exchange.base_url, WIF_DEFAULT_BASE_URL);
	CU_ASSERT_PTR_NULL(p->exchange.workspace_id);
	CU_ASSERT_STRING_EQUAL(p->sinks[0].format, "raw");
	CU_ASSERT_EQUAL(p->sinks[0].mode, 0600);
	CU_ASSERT_EQUAL(p->sources[0].inline_secret_ok, 1);
	wif_config_free(cfg);
}

/* ---- the main file itself ------------------------------------------- */

static void
test_main_missing(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	CU_ASSERT_EQUAL(load(&cfg), WIF_E_NOT_FOUND);
	CU_ASSERT_PTR_NULL(cfg);
	CONTAINS(detail, mainf);
	CONTAINS(detail, "does not exist");
	CONTAINS(detail, "wif.conf(5)");
	CONTAINS(detail, "--config");
}

static void
test_main_not_a_file(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	subdir("wif.conf", 0755);
	CU_ASSERT_EQUAL(load(&cfg), WIF_E_IO);
	CU_ASSERT_PTR_NULL(cfg);
	CONTAINS(detail, mainf);
	CONTAINS(detail, "not a regular file");
}

static void
test_main_permissions(void)
{
	struct wif_config *cfg = NULL;
	char advice[PATH_MAX + 32];

	new_case();
	snprintf(advice, sizeof(advice), "chmod go-w %s", mainf);
	put("wif.conf", 0646, "profiles = ( );\n");
	CU_ASSERT_EQUAL(load(&cfg), WIF_E_PERM);
	CU_ASSERT_PTR_NULL(cfg);
	CONTAINS(detail, "writable by everyone");
	CONTAINS(detail, advice);
	put("wif.conf", 0664, "profiles = ( );\n");
	CU_ASSERT_EQUAL(load(&cfg), WIF_E_PERM);
	CONTAINS(detail, "writable by its group");
	CONTAINS(detail, advice);
	/* Owned by somebody else (only root can set that up). */
	put("wif.conf", 0644, "profiles = ( );\n");
	if (geteuid() == 0 && chown(mainf, 4321, 4321) == 0) {
		CU_ASSERT_EQUAL(load(&cfg), WIF_E_PERM);
		CONTAINS(detail, "owned by uid 4321");
		CONTAINS(detail, "chown root");
	}
	CU_ASSERT_PTR_NULL(cfg);
}

static void
test_main_syntax_error(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	put("wif.conf", 0644, "wif = {\n  socket = ;\n};\n");
	CU_ASSERT_EQUAL(load(&cfg), WIF_E_CONFIG);
	CU_ASSERT_PTR_NULL(cfg);
	HAS(2, "syntax error; fix the syntax (see wif.conf(5))");
}

static void
test_include_refused(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	put("other.conf", 0644, "profiles = ( );\n");
	put("wif.conf", 0644, "# comment @include\nwif = { };\n  @include \"@DIR@/other.conf\"\n");
	CU_ASSERT_EQUAL(load(&cfg), WIF_E_CONFIG);
	CU_ASSERT_PTR_NULL(cfg);
	HAS(3, "@include is not supported", "conf.d");
}

static void
test_main_too_big(void)
{
	struct wif_config *cfg = NULL;
	char path[PATH_MAX + 16];
	int fd;

	new_case();
	snprintf(path, sizeof(path), "%s", mainf);
	CU_ASSERT_FATAL((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	CU_ASSERT(ftruncate(fd, 2 * 1024 * 1024) == 0);
	close(fd);
	CU_ASSERT_EQUAL(load(&cfg), WIF_E_CONFIG);
	CONTAINS(detail, "larger than");
	CONTAINS(detail, mainf);
}

/* ---- error classes --------------------------------------------------- */

static void
test_unknown_keys_everywhere(void)
{
	new_case();
	put("wif.conf", 0644,
	    "bogus = 1;\n"                                                 /* 1 */
	    "wif = { colour = \"blue\";\n"                                /* 2 */
	    "  http = { timeout = 5; };\n"                                /* 3 */
	    "  refresh = { soon = 1; };\n"                                /* 4 */
	    "};\n"                                                         /* 5 */
	    "profiles = ( { name = \"p\"; extra = 1;\n"                   /* 6 */
	    "  " FAKE "\n"                                                 /* 7 */
	    "  exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; token_url = \"https://x\"; };\n"
	    "  allow = { people = [ \"x\" ]; };\n"                        /* 9 */
	    "  sinks = ( { path = \"/run/x\"; perms = 1; } ); },\n"       /* 10 */
	    "  { name = \"q\"; " FAKE "exchange = { type = \"identity\"; base_url = \"https://x\"; }; } );\n");
	load_bad();
	HAS(1, "unknown key \"bogus\" in the main file", "allowed keys: wif, profiles");
	HAS(2, "unknown key \"colour\" in wif", "provider_dir, socket, refresh, http, audit, log_level, metrics_listen, session_dir");
	HAS(3, "unknown key \"timeout\" in wif.http", "timeout_ms, connect_timeout_ms");
	HAS(4, "unknown key \"soon\" in wif.refresh", "advisory, mandatory");
	HAS(6, "unknown key \"extra\" in profile \"p\"", "name, audience, source");
	HAS(8, "unknown key \"token_url\" in profile \"p\" exchange", "federation_rule_id");
	HAS(9, "unknown key \"people\"", "users, groups, units");
	HAS(10, "unknown key \"perms\" in profile \"p\" sink 1", "path, format, owner, group, mode");
	HAS(11, "unknown key \"base_url\" in profile \"q\" exchange", "allowed keys: type");
	CU_ASSERT_EQUAL(n_lines(detail), 9);
}

static void
test_wrong_types(void)
{
	new_case();
	put("wif.conf", 0644,
	    "wif = { socket = 5;\n"                                       /* 1 */
	    "  http = { timeout_ms = \"10\"; };\n"                        /* 2 */
	    "  log_level = true; };\n"                                    /* 3 */
	    "profiles = ( { name = \"p\";\n"                              /* 4 */
	    "  source = \"fake\";\n"                                      /* 5 */
	    "  exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = 7; };\n"
	    "  allow = { users = \"app\"; groups = [ 5 ]; };\n"           /* 7 */
	    "  sinks = ( { path = \"/run/x\"; mode = 1.5; } ); },\n"      /* 8 */
	    "  { name = 5; } );\n");                                      /* 9 */
	load_bad();
	HAS(1, "socket must be a string, not an integer");
	HAS(2, "timeout_ms must be an integer, not a string");
	HAS(3, "log_level must be a string, not a boolean");
	HAS(5, "source must be a list of groups", "not a string");
	HAS(6, "service_account_id must be a string, not an integer");
	HAS(7, "users must be an array of strings, not a string");
	HAS(7, "groups[0] must be a string, not an integer");
	HAS(8, "mode must be an octal number", "not a float");
	HAS(9, "name must be a string, not an integer");
	CU_ASSERT_EQUAL(n_lines(detail), 9);
}

static void
test_missing_required(void)
{
	new_case();
	put("wif.conf", 0644,
	    "profiles = (\n"                                               /* 1 */
	    "  { " FAKE "},\n"                                             /* 2 */
	    "  { name = \"nosrc\"; exchange = { type = \"identity\"; }; " ALLOW "},\n"
	    "  { name = \"noex\"; " FAKE ALLOW "},\n"                      /* 4 */
	    "  { name = \"noids\"; source = ( { path = \"@TOKEN@\"; } ); exchange = { type = \"anthropic\"; }; " ALLOW "},\n"
	    "  { name = \"sts\"; " FAKE "exchange = { type = \"oauth2-token-exchange\"; }; " ALLOW "},\n"
	    "  { name = \"nopath\"; " FAKE "exchange = { type = \"identity\"; }; sinks = ( { format = \"raw\"; } ); " ALLOW "}\n"
	    ");\n");
	load_bad();
	HAS(2, "profile without a name", "add name =");
	HAS(3, "profile \"nosrc\" has no source", "add source =");
	HAS(4, "profile \"noex\" has no exchange", "add exchange =");
	HAS(5, "profile \"noids\" source 1 has no provider", "add provider =");
	HAS(5, "federation_rule_id is required", "fdrl_");
	HAS(5, "organization_id is required", "Console -> Settings");
	HAS(6, "token_url is required", "add token_url");
	HAS(7, "profile \"nopath\" sink 1 has no path", "add path =");
	CU_ASSERT_EQUAL(n_lines(detail), 8);
}

static void
test_duplicate_profiles(void)
{
	char other[PATH_MAX + 64], first[PATH_MAX + 32];

	new_case();
	put("wif.conf", 0644,
	    "profiles = (\n"
	    "  { name = \"dup\"; " FAKE ANTH ALLOW "},\n"                  /* 2 */
	    "  { name = \"dup\"; " FAKE ANTH ALLOW "}\n"                   /* 3 */
	    ");\n");
	subdir("conf.d", 0755);
	put("conf.d/10-x.conf", 0644,
	    "profiles = ( { name = \"dup\"; " FAKE ANTH ALLOW "} );\n");
	load_bad();
	snprintf(first, sizeof(first), "%s:2", mainf);
	HAS(3, "profile \"dup\" is defined twice", first, "rename or remove");
	snprintf(other, sizeof(other), "%s/conf.d/10-x.conf", dir);
	CU_ASSERT(has_line(other, 1, "profile \"dup\" is defined twice", first, NULL));
	CU_ASSERT_EQUAL(n_lines(detail), 2);
}

static void
test_name_syntax(void)
{
	new_case();
	put("wif.conf", 0644,
	    "profiles = (\n"
	    "  { name = \".hidden\"; " FAKE ANTH ALLOW "},\n"              /* 2 */
	    "  { name = \"a b\"; " FAKE ANTH ALLOW "},\n"                  /* 3 */
	    "  { name = \"ok\"; source = ( { provider = \"K8S\"; }, { provider = \"../x\"; } ); " ANTH ALLOW "},\n"
	    "  { name = \"ok2\"; source = ( { provider = \"p123456789012345678901234567890123456789012345678901234567890abcd\"; } ); " ANTH ALLOW "}\n"
	    ");\n");
	load_bad();
	HAS(2, "profile name \".hidden\" is invalid", "not starting with a dot");
	HAS(3, "profile name \"a b\" is invalid", "[A-Za-z0-9_.-]");
	HAS(4, "\"K8S\" is not a provider name", "[a-z0-9_-]");
	HAS(4, "\"../x\" is not a provider name", "never given as paths");
	HAS(5, "is not a provider name", "1 to 64");
	CU_ASSERT_EQUAL(n_lines(detail), 5);
	CU_ASSERT_EQUAL(calls.fake, 0);
}

static void
test_id_syntax(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	put("wif.conf", 0644,
	    "profiles = (\n"
	    "  { name = \"p\"; " FAKE "\n"                                 /* 2 */
	    "    exchange = { federation_rule_id = \"rule_abc\";\n"        /* 3 */
	    "                 organization_id = \"org_0123\";\n"           /* 4 */
	    "                 service_account_id = \"svac_\";\n"           /* 5 */
	    "                 workspace_id = \"wrkspc_a-b\"; }; " ALLOW "}\n"
	    ");\n");
	load_bad();
	HAS(3, "federation_rule_id \"rule_abc\" is malformed", "fdrl_");
	HAS(4, "organization_id \"org_0123\" is not a UUID",
	    "organization UUID from Console -> Settings, not a tagged id");
	HAS(5, "service_account_id \"svac_\" is malformed", "svac_ followed by");
	HAS(6, "workspace_id \"wrkspc_a-b\" is malformed", "\"default\"");
	CU_ASSERT_EQUAL(n_lines(detail), 4);

	/* "default" is a workspace; "" means unset, as in the SDKs */
	put("wif.conf", 0644,
	    "profiles = ( { name = \"q\"; " FAKE ALLOW
	    "exchange = { federation_rule_id = \"fdrl_Ab9\"; organization_id = \"ABCDEF01-2345-6789-abcd-ef0123456789\"; service_account_id = \"svac_1\"; workspace_id = \"default\"; }; },\n"
	    "  { name = \"r\"; " FAKE ALLOW
	    "exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; workspace_id = \"\"; }; } );\n");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_STRING_EQUAL(cfg->profiles[0].exchange.workspace_id, "default");
	CU_ASSERT_PTR_NULL(cfg->profiles[1].exchange.workspace_id);
	wif_config_free(cfg);
}

static int snapshot_fd(const struct wif_config *cfg);

static void
test_urls(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	put("wif.conf", 0644,
	    "profiles = (\n"
	    "  { name = \"a\"; " FAKE ALLOW "exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; base_url = \"http://api.example.com\"; }; },\n"
	    "  { name = \"b\"; " FAKE ALLOW "exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; base_url = \"https://user:hunter2@api.example.com\"; }; },\n"
	    "  { name = \"c\"; " FAKE ALLOW "exchange = { type = \"oauth2-token-exchange\"; token_url = \"http://sts.example/token\"; }; },\n"
	    "  { name = \"d\"; " FAKE ALLOW "exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; base_url = \"ftp://api.example.com\"; }; }\n"
	    ");\n");
	load_bad();
	HAS(2, "base_url \"http://api.example.com\" is not allowed", "use https://", "127.0.0.1");
	HAS(3, "base_url", "not shown");
	CU_ASSERT_PTR_NULL(strstr(detail, "hunter2"));
	HAS(4, "token_url \"http://sts.example/token\" is not allowed");
	HAS(5, "base_url \"ftp://api.example.com\" is not allowed");
	CU_ASSERT_EQUAL(n_lines(detail), 4);

	/* without the rule (how wifd, which links no libcurl, loads) the URLs
	 * pass the load; the snapshot wifd hands its mint helper is refused
	 * there, by the core, which loads with the rule */
	wif_config_set_url_check(NULL);
	CU_ASSERT_EQUAL_FATAL(wif_config_load(mainf, NULL, NULL, NULL, &cfg), WIF_OK);
	{
		struct wif_core *core = NULL;
		int fd = snapshot_fd(cfg);

		wif_config_free(cfg);
		cfg = NULL;
		CU_ASSERT_EQUAL(wif_core_open_snapshot(fd, &core), WIF_E_CONFIG);
		CU_ASSERT_PTR_NULL(core);
		CONTAINS(wif_err_detail(), "base_url \"http://api.example.com\" is not allowed");
		close(fd);
	}
	wif_config_set_url_check(wif_exchange_url_ok);

	put("wif.conf", 0644,
	    "profiles = (\n"
	    "  { name = \"a\"; " FAKE ALLOW "exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; base_url = \"http://127.0.0.1:8080/\"; }; },\n"
	    "  { name = \"b\"; " FAKE ALLOW "exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; base_url = \"http://[::1]:9/v1//\"; }; },\n"
	    "  { name = \"c\"; " FAKE ALLOW "exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; base_url = \"http://localhost\"; }; }\n"
	    ");\n");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_STRING_EQUAL(cfg->profiles[0].exchange.base_url, "http://127.0.0.1:8080");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[1].exchange.base_url, "http://[::1]:9/v1");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[2].exchange.base_url, "http://localhost");
	wif_config_free(cfg);
}

static void
test_sinks(void)
{
	new_case();
	put("wif.conf", 0644,
	    "profiles = ( { name = \"p\"; " FAKE ANTH ALLOW "\n"           /* 1 */
	    "  sinks = ( { path = \"relative/token\"; },\n"                /* 2 */
	    "            { path = \"/run/a\"; format = \"yaml\"; },\n"     /* 3 */
	    "            { path = \"/run/b\"; mode = 0666; },\n"           /* 4 */
	    "            { path = \"/run/c\"; mode = 01600; },\n"          /* 5 */
	    "            { path = \"/run/d\"; mode = 0648; },\n"           /* 6 */
	    "            { path = \"/run/e\"; mode = 0x1a0; },\n"          /* 7 */
	    "            { path = \"/run/f\"; owner = \"a:b\"; group = \"x y\"; },\n"
	    "            \"/run/g\" ); } );\n");                            /* 9 */
	load_bad();
	HAS(2, "sink 1: path \"relative/token\" is not absolute", "full path");
	HAS(3, "sink 2: format \"yaml\" is unknown", "raw, json, env or anthropic-credentials");
	HAS(4, "sink 3: mode 0666 makes the token file world-writable", "0600");
	HAS(5, "sink 4: mode 1600 has setuid/setgid/sticky bits");
	HAS(6, "sink 5: mode 648 is not an octal mode", "0640");
	HAS(7, "sink 6: mode must be an octal number", "hexadecimal");
	HAS(8, "sink 7: owner \"a:b\" is not a user name");
	HAS(8, "sink 7: group \"x y\" is not a group name");
	HAS(9, "sink 8 must be a group", "not a string");
	CU_ASSERT_EQUAL(n_lines(detail), 9);
}

static void
test_exchange_types(void)
{
	new_case();
	put("secret", 0600, "x\n");
	put("wif.conf", 0644,
	    "profiles = (\n"
	    "  { name = \"a\"; " FAKE ALLOW "exchange = { type = \"magic\"; }; },\n"
	    "  { name = \"b\"; " FAKE ALLOW "exchange = { type = \"oauth2-token-exchange\"; token_url = \"https://sts.example\"; client_secret_file = \"@DIR@/missing\"; client_id = \"c\"; }; },\n"
	    "  { name = \"c\"; " FAKE ALLOW "exchange = { type = \"oauth2-token-exchange\"; token_url = \"https://sts.example\"; client_secret_file = \"@DIR@/secret\"; }; },\n"
	    "  { name = \"d\"; " FAKE ALLOW "exchange = { type = \"oauth2-token-exchange\"; token_url = \"https://sts.example\"; ca_file = \"ca.pem\"; }; },\n"
	    "  { name = \"e\"; " FAKE ALLOW "exchange = { federation_rule_id = \"fdrl_1\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; ca_file = \"@DIR@\"; }; },\n"
	    "  { name = \"f\"; " FAKE ALLOW "exchange = \"anthropic\"; }\n"
	    ");\n");
	load_bad();
	HAS(2, "type \"magic\" is unknown", "anthropic, oauth2-token-exchange or identity");
	HAS(3, "client_secret_file", "/missing: No such file", "create the file");
	HAS(4, "client_secret_file needs client_id", "add client_id");
	HAS(5, "ca_file must be an absolute path", "\"ca.pem\"");
	HAS(6, "ca_file", "is not a regular file");
	HAS(7, "exchange must be a group", "not a string");
	CU_ASSERT_EQUAL(n_lines(detail), 6);
}

static void
test_refresh_bounds(void)
{
	new_case();
	put("wif.conf", 0644,
	    "wif = { refresh = { advisory = 30; mandatory = 30; }; };\n"   /* 1 */
	    "profiles = ( { name = \"p\"; " FAKE ANTH ALLOW "\n"           /* 2 */
	    "  refresh = { advisory = 4000; }; },\n"                       /* 3 */
	    "  { name = \"q\"; " FAKE ANTH ALLOW "refresh = { advisory = 100; mandatory = 0; }; },\n"
	    "  { name = \"r\"; " FAKE ANTH ALLOW "refresh = 30; } );\n");  /* 5 */
	load_bad();
	HAS(1, "wif.refresh: mandatory (30) must be smaller than advisory (30)", "advisory = 120");
	HAS(3, "profile \"p\".refresh: advisory = 4000 is out of range", "from 2 to 3600");
	HAS(4, "mandatory = 0 is out of range", "from 1 to 3599");
	HAS(5, "refresh must be a group", "not an integer");
	CU_ASSERT_EQUAL(n_lines(detail), 4);
}

static void
test_http_bounds(void)
{
	new_case();
	put("wif.conf", 0644,
	    "wif = { http = { timeout_ms = 0;\n"                           /* 1 */
	    "  retries = 11;\n"                                           /* 2 */
	    "  max_body = 10;\n"                                          /* 3 */
	    "  budget_ms = -1; backoff_ms = 0; }; };\n");                  /* 4 */
	load_bad();
	HAS(1, "timeout_ms = 0 is out of range", "from 100 to 600000");
	HAS(2, "retries = 11 is out of range", "from 0 to 10");
	HAS(3, "max_body = 10 is out of range", "from 1024");
	HAS(4, "budget_ms = -1 is out of range");
	HAS(4, "backoff_ms = 0 is out of range");
	CU_ASSERT_EQUAL(n_lines(detail), 5);

	put("wif.conf", 0644, "wif = {\n  http = { connect_timeout_ms = 20000; }; };\n");
	load_bad();
	HAS(2, "connect_timeout_ms (20000) is larger than timeout_ms (10000)");
	CU_ASSERT_EQUAL(n_lines(detail), 1);
}

static void
test_audit_and_log_level(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	put("wif.conf", 0644, "wif = {\n  audit = \"audit.log\";\n  log_level = \"verbose\";\n  provider_dir = \"plugins\";\n  socket = \"wifd.sock\"; };\n");
	load_bad();
	HAS(2, "audit \"audit.log\" is not allowed", "absolute path");
	HAS(3, "log_level \"verbose\" is unknown", "err, warning, notice, info or debug");
	HAS(4, "provider_dir must be an absolute path");
	HAS(5, "socket must be an absolute path");
	CU_ASSERT_EQUAL(n_lines(detail), 4);

	put("wif.conf", 0644, "wif = { audit = \"/var/log/wif-audit.log\"; log_level = \"err\"; };\n");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_STRING_EQUAL(cfg->audit, "/var/log/wif-audit.log");
	CU_ASSERT_EQUAL(cfg->n_profiles, 0);
	CU_ASSERT_PTR_NULL(cfg->metrics_listen);
	wif_config_free(cfg);
}

/* Metrics on a Unix socket or loopback only: never on a routable address. */
static void
test_metrics_listen(void)
{
	static const char *const good[] = { "unix:/run/wif/metrics.sock",
	    "127.0.0.1:9464", "[::1]:1", "localhost:65535", NULL };
	static const char *const bad[] = { "0.0.0.0:9464", "10.0.0.1:9464",
	    "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1",
	    "unix:relative", ":9464", "[::]:9464", NULL };
	struct wif_config *cfg = NULL;
	char text[256];
	size_t i;

	for (i = 0; good[i] != NULL; i++) {
		new_case();
		snprintf(text, sizeof(text), "wif = { metrics_listen = \"%s\"; };\n",
		    good[i]);
		put("wif.conf", 0644, text);
		CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
		CU_ASSERT_STRING_EQUAL(cfg->metrics_listen, good[i]);
		wif_config_free(cfg);
	}
	for (i = 0; bad[i] != NULL; i++) {
		new_case();
		snprintf(text, sizeof(text), "wif = {\n metrics_listen = \"%s\"; };\n",
		    bad[i]);
		put("wif.conf", 0644, text);
		load_bad();
		HAS(2, "metrics_listen", "loopback");
	}
}

/* pam_wif's session directory: absolute, not /, no . or .. components. */
static void
test_session_dir(void)
{
	static const char *const bad[] = { "run/wif/sessions", "/", "/run/../etc",
	    "/run/./x", "", NULL };
	struct wif_config *cfg = NULL;
	char text[256];
	size_t i;

	new_case();
	put("wif.conf", 0644, "wif = { session_dir = \"/run/wif/s\"; };\n");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_STRING_EQUAL(cfg->session_dir, "/run/wif/s");
	wif_config_free(cfg);
	new_case();
	put("wif.conf", 0644, "wif = { socket = \"/run/wif/x.sock\"; };\n");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_PTR_NULL(cfg->session_dir); /* the built-in default */
	wif_config_free(cfg);
	for (i = 0; bad[i] != NULL; i++) {
		new_case();
		snprintf(text, sizeof(text), "wif = {\n session_dir = \"%s\"; };\n",
		    bad[i]);
		put("wif.conf", 0644, text);
		load_bad();
		HAS(2, "session_dir", "absolute path");
	}
}

static void
test_sources(void)
{
	new_case();
	put("wif.conf", 0644,
	    "profiles = (\n"
	    "  { name = \"p\"; source = ( ); " ANTH ALLOW "},\n"           /* 2 */
	    "  { name = \"q\"; source = ( \"fake\" ); " ANTH ALLOW "},\n"  /* 3 */
	    "  { name = \"r\"; source = ( { provider = 3; } ); " ANTH ALLOW "},\n"
	    "  42\n"                                                       /* 5 */
	    ");\n");
	load_bad();
	HAS(2, "profile \"p\": the source list is empty", "add at least one");
	HAS(3, "profile \"q\" source 1 must be a group", "not a string");
	HAS(4, "provider must be a string, not an integer");
	HAS(5, "each profile must be a group");
	CU_ASSERT_EQUAL(n_lines(detail), 4);

	put("wif.conf", 0644, "profiles = { name = \"p\"; };\n");
	load_bad();
	HAS(1, "profiles must be a list", "not a group");
}

/* ---- conf.d --------------------------------------------------------- */

static void
test_confd_rules(void)
{
	char f1[PATH_MAX + 64], f2[PATH_MAX + 64], f3[PATH_MAX + 64];
	char d[PATH_MAX + 64];

	new_case();
	put("wif.conf", 0644, "profiles = ( { name = \"main\"; " FAKE ANTH ALLOW "} );\n");
	subdir("conf.d", 0755);
	put("conf.d/10-wif.conf", 0644, "# the wif group belongs in wif.conf\nwif = { socket = \"/x\"; };\n");
	put("conf.d/20-open.conf", 0666, "profiles = ( );\n");
	put("conf.d/30-syntax.conf", 0644, "profiles = (\n  { name = = \"x\"; }\n);\n");
	load_bad();
	snprintf(f1, sizeof(f1), "%s/conf.d/10-wif.conf", dir);
	snprintf(f2, sizeof(f2), "%s/conf.d/20-open.conf", dir);
	snprintf(f3, sizeof(f3), "%s/conf.d/30-syntax.conf", dir);
	CU_ASSERT(has_line(f1, 2, "unknown key \"wif\" in a conf.d file",
	    "belongs in the main file", "allowed keys: profiles", NULL));
	CONTAINS(detail, f2);
	CONTAINS(detail, "is writable by everyone");
	snprintf(d, sizeof(d), "chmod go-w %s", f2);
	CONTAINS(detail, d);
	CU_ASSERT(has_line(f3, 2, "syntax error", NULL));
	CU_ASSERT_EQUAL(n_lines(detail), 3);

	/* a conf.d that others can write to is refused as a whole */
	new_case();
	put("wif.conf", 0644, "profiles = ( );\n");
	subdir("conf.d", 0777);
	put("conf.d/10-x.conf", 0644, "profiles = ( );\n");
	load_bad();
	snprintf(d, sizeof(d), "chmod go-w %s/conf.d", dir);
	CONTAINS(detail, d);
	CU_ASSERT_EQUAL(n_lines(detail), 1);

	/* conf.d that is a file */
	new_case();
	put("wif.conf", 0644, "profiles = ( );\n");
	put("conf.d", 0644, "x\n");
	load_bad();
	CONTAINS(detail, "conf.d is not a directory");
}

static void
test_confd_explicit_dir(void)
{
	struct wif_config *cfg = NULL;
	char d[PATH_MAX + 64];

	new_case();
	put("wif.conf", 0644, "profiles = ( { name = \"main\"; " FAKE ANTH ALLOW "} );\n");
	subdir("conf.d", 0755);
	put("conf.d/10-ignored.conf", 0644, "broken {{{\n");
	subdir("other.d", 0755);
	put("other.d/b.conf", 0644, "profiles = ( { name = \"b\"; " FAKE ANTH ALLOW "} );\n");
	put("other.d/a.conf", 0644, "profiles = ( { name = \"a\"; " FAKE ANTH ALLOW "} );\n");
	snprintf(d, sizeof(d), "%s/other.d", dir);
	CU_ASSERT_EQUAL_FATAL(load_with(d, fake_schema, &cfg), WIF_OK);
	CU_ASSERT_EQUAL_FATAL(cfg->n_profiles, 3);
	CU_ASSERT_STRING_EQUAL(cfg->profiles[0].name, "main");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[1].name, "a");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[2].name, "b");
	CU_ASSERT_EQUAL(cfg->n_files, 3);
	wif_config_free(cfg);
	/* an absent explicit directory is fine too */
	snprintf(d, sizeof(d), "%s/absent.d", dir);
	CU_ASSERT_EQUAL_FATAL(load_with(d, fake_schema, &cfg), WIF_OK);
	CU_ASSERT_EQUAL(cfg->n_profiles, 1);
	wif_config_free(cfg);
}

/* ---- provider-specific keys ----------------------------------------- */

static void
test_provider_keys(void)
{
	new_case();
	put("wif.conf", 0644,
	    "profiles = ( { name = \"p\"; " ANTH ALLOW "\n"                /* 1 */
	    "  source = ( { provider = \"fake\";\n"                        /* 2 */
	    "               colour = \"red\";\n"                           /* 3 */
	    "               count = \"3\";\n"                              /* 4 */
	    "               verbose = 1;\n"                                /* 5 */
	    "               args = [ 1, 2 ];\n"                            /* 6 */
	    "               token_file = \"@DIR@/missing-secret\"; },\n"   /* 7 */
	    "             { provider = \"fake\"; path = \"relative/path\"; } ); } );\n");
	load_bad();
	HAS(2, "source 1: provider \"fake\" requires path (the token file)", "add path =");
	HAS(3, "provider \"fake\" has no key \"colour\"",
	    "its keys are: path, token, token_file, count, verbose, args", "wif providers -v");
	HAS(4, "count must be an integer, not a string");
	HAS(5, "verbose must be a boolean (true or false), not an integer");
	HAS(6, "args[0] must be a string, not an integer", "quote it");
	HAS(7, "token_file", "missing-secret: No such file", "create the file or fix the path");
	HAS(8, "source 2: path must be an absolute path", "relative/path");
	CU_ASSERT_EQUAL(n_lines(detail), 7);
	CU_ASSERT_EQUAL(calls.fake, 1);
}

static void
test_provider_path_may_appear_later(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	put("wif.conf", 0644, "profiles = ( { name = \"p\"; " ANTH ALLOW "\n"
	    "  source = ( { provider = \"fake\"; path = \"@DIR@/not-yet\"; } ); } );\n");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_EQUAL_FATAL(cfg->n_warnings, 1);
	CONTAINS(cfg->warnings[0], ":2: ");
	CONTAINS(cfg->warnings[0], "not-yet does not exist yet");
	CONTAINS(cfg->warnings[0], "path");
	wif_config_free(cfg);
}

static void
test_inline_secret(void)
{
	struct wif_config *cfg = NULL;
	char advice[PATH_MAX + 64];
	const char *s;
	static const char *const text =
	    "profiles = ( { name = \"p\"; " ANTH ALLOW "\n"
	    "  source = ( { provider = \"fake\"; path = \"@TOKEN@\";\n"
	    "               token = \"" SECRET "\"; } ); } );\n";
	mode_t modes[] = { 0644, 0640, 0604 };
	size_t i;

	new_case();
	snprintf(advice, sizeof(advice), "chmod 600 %s", mainf);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		put("wif.conf", modes[i], text);
		load_bad();
		HAS(3, "source 1: this file holds the inline secret token but is "
		    "readable by group/others", advice,
		    "move the secret to a file named by token_file");
		CU_ASSERT_PTR_NULL(strstr(detail, SECRET));
		CU_ASSERT_EQUAL(n_lines(detail), 1);
	}
	/* private: fine, and the plugin can read it */
	put("wif.conf", 0600, text);
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT_EQUAL(cfg->profiles[0].sources[0].inline_secret_ok, 1);
	CU_ASSERT_EQUAL(wif_config_source_string(&cfg->profiles[0].sources[0],
	    "token", &s), WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, SECRET);
	wif_config_free(cfg);
	/* a secret under a key the provider does not have, or of the wrong
	 * type, is named but never shown */
	put("wif.conf", 0644, "profiles = ( { name = \"p\"; " ANTH ALLOW "\n"
	    "  source = ( { provider = \"other\"; client_secret = \"" SECRET "\"; },\n"
	    "             { provider = \"fake\"; path = \"@TOKEN@\"; token = [ \"" SECRET "\" ]; } ); } );\n");
	load_bad();
	HAS(2, "no key \"client_secret\"");
	HAS(3, "token must be a string");
	CU_ASSERT_PTR_NULL(strstr(detail, SECRET));
}

static void
test_schema_errors(void)
{
	char where[PATH_MAX + 64];

	new_case();
	subdir("plugins", 0755);
	put("wif.conf", 0644,
	    "wif = { provider_dir = \"@DIR@/plugins\"; };\n"               /* 1 */
	    "profiles = ( { name = \"p\"; " ANTH ALLOW "source = ( { provider = \"nope\"; a = 1; },\n"
	    "    { provider = \"nope\"; } ); },\n"                         /* 3 */
	    "  { name = \"q\"; " FAKE ANTH ALLOW "} );\n");                /* 4 */
	load_bad();
	snprintf(where, sizeof(where), "no plugin nope.so in %s/plugins; "
	    "install the plugin in %s/plugins or fix the name (see wif providers)",
	    dir, dir);
	HAS(2, "provider \"nope\": ", where);
	HAS(3, "provider \"nope\": ", where);
	CU_ASSERT_EQUAL(n_lines(detail), 2);
	CU_ASSERT_EQUAL(calls.unknown, 1); /* cached, failures too */
	CU_ASSERT_EQUAL(calls.fake, 1);
}

static void
test_no_schema(void)
{
	struct wif_config *cfg = NULL;

	new_case();
	put("wif.conf", 0644, "profiles = ( { name = \"p\"; " ANTH ALLOW
	    "source = ( { provider = \"whatever\"; anything = 1; token = \"x\"; } ); } );\n");
	CU_ASSERT_EQUAL_FATAL(load_with(NULL, NULL, &cfg), WIF_OK);
	CU_ASSERT_STRING_EQUAL(cfg->profiles[0].sources[0].provider, "whatever");
	CU_ASSERT_EQUAL(cfg->profiles[0].sources[0].inline_secret_ok, 0);
	wif_config_free(cfg);
}

/* ---- reporting ------------------------------------------------------- */

static void
test_all_errors_collected(void)
{
	const char *nl;

	new_case();
	put("wif.conf", 0644,
	    "wif = { log_level = \"loud\"; };\n"
	    "profiles = ( { name = \"p\"; " FAKE ALLOW
	    "exchange = { federation_rule_id = \"bad\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; }; } );\n");
	load_bad();
	CU_ASSERT_EQUAL(n_lines(detail), 2);
	HAS(1, "log_level");
	HAS(2, "federation_rule_id");
	/* every line starts with the file */
	CU_ASSERT(strncmp(detail, mainf, strlen(mainf)) == 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(nl = strchr(detail, '\n'));
	CU_ASSERT(strncmp(nl + 1, mainf, strlen(mainf)) == 0);
}

/* Errors come in file order (main, then conf.d by name) and line order,
 * whatever order the checks ran in (wif is checked before profiles). */
static void
test_errors_sorted(void)
{
	char a[PATH_MAX + 64], b[PATH_MAX + 64];
	const char *p1, *p2, *p3, *p4;

	new_case();
	put("wif.conf", 0644,
	    "profiles = ( { name = \".bad\"; } );\n"                      /* 1 */
	    "\n"
	    "wif = { log_level = \"loud\"; };\n");                          /* 3 */
	subdir("conf.d", 0755);
	put("conf.d/20-b.conf", 0664, "profiles = ( );\n");
	put("conf.d/10-a.conf", 0644, "wif = { };\n");
	load_bad();
	snprintf(a, sizeof(a), "%s/conf.d/10-a.conf:1: ", dir);
	snprintf(b, sizeof(b), "%s/conf.d/20-b.conf is writable", dir);
	CU_ASSERT_EQUAL(n_lines(detail), 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p1 = strstr(detail, ".bad"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p2 = strstr(detail, "loud"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p3 = strstr(detail, a));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p4 = strstr(detail, b));
	CU_ASSERT(p1 < p2 && p2 < p3 && p3 < p4);
}

static void
test_many_errors_truncated(void)
{
	char *text;
	size_t i, used = 0, size = 64 * 1024;

	new_case();
	CU_ASSERT_PTR_NOT_NULL_FATAL(text = malloc(size));
	used += (size_t)snprintf(text, size, "profiles = (\n");
	for (i = 0; i < 80; i++)
		used += (size_t)snprintf(text + used, size - used,
		    "  { name = \"p%zu\"; " FAKE ALLOW "exchange = { federation_rule_id = \"x\"; organization_id = \"" UUID "\"; service_account_id = \"svac_1\"; }; }%s\n",
		    i, i + 1 < 80 ? "," : "");
	snprintf(text + used, size - used, ");\n");
	put("wif.conf", 0644, text);
	free(text);
	load_bad();
	CU_ASSERT(strlen(detail) < WIF_ERR_MAX);
	CONTAINS(detail, "more errors; fix these and run wif check-config again");
	HAS(2, "federation_rule_id \"x\" is malformed");
}

/* ---- helpers and accessors ------------------------------------------ */

static void
test_valid_helpers(void)
{
	CU_ASSERT(wif_config_valid_rule_id("fdrl_01ABCxyz"));
	CU_ASSERT(!wif_config_valid_rule_id("fdrl_"));
	CU_ASSERT(!wif_config_valid_rule_id("fdrl_a-b"));
	CU_ASSERT(!wif_config_valid_rule_id("svac_abc"));
	CU_ASSERT(!wif_config_valid_rule_id(NULL));
	CU_ASSERT(wif_config_valid_service_account_id("svac_1"));
	CU_ASSERT(!wif_config_valid_service_account_id("svac_1 "));
	CU_ASSERT(wif_config_valid_workspace_id("wrkspc_abc"));
	CU_ASSERT(wif_config_valid_workspace_id("default"));
	CU_ASSERT(!wif_config_valid_workspace_id("Default"));
	CU_ASSERT(!wif_config_valid_workspace_id("wrkspc_"));
	CU_ASSERT(wif_config_valid_uuid(UUID));
	CU_ASSERT(wif_config_valid_uuid("ABCDEF01-2345-6789-abcd-ef0123456789"));
	CU_ASSERT(!wif_config_valid_uuid("00000000000040008000000000000001"));
	CU_ASSERT(!wif_config_valid_uuid("0000000-00000-4000-8000-000000000001"));
	CU_ASSERT(!wif_config_valid_uuid("g0000000-0000-4000-8000-000000000001"));
	CU_ASSERT(!wif_config_valid_uuid("org_00000000-0000-4000-8000-0000000"));
	CU_ASSERT(wif_config_valid_profile_name("default"));
	CU_ASSERT(wif_config_valid_profile_name("team.prod-1_a"));
	CU_ASSERT(!wif_config_valid_profile_name(".x"));
	CU_ASSERT(!wif_config_valid_profile_name(""));
	CU_ASSERT(!wif_config_valid_profile_name("a/b"));
	CU_ASSERT(wif_config_valid_provider_name("k8s"));
	CU_ASSERT(wif_config_valid_provider_name("my_provider-2"));
	CU_ASSERT(!wif_config_valid_provider_name("K8s"));
	CU_ASSERT(!wif_config_valid_provider_name(""));
	CU_ASSERT(!wif_config_valid_provider_name("a.so"));
	CU_ASSERT(!wif_config_valid_provider_name(
	    "a123456789012345678901234567890123456789012345678901234567890abcd"));
	CU_ASSERT(wif_config_valid_provider_name(
	    "a123456789012345678901234567890123456789012345678901234567890abc"));
}

static void
test_accessors(void)
{
	struct wif_config *cfg = NULL;
	const struct wif_config_source *src;
	const char *s = "x";
	int64_t i64 = 1;
	int b = 1;

	new_case();
	put("wif.conf", 0600, "profiles = ( { name = \"p\"; " ANTH ALLOW
	    "source = ( { provider = \"other\"; x = \"y\"; n = 3; t = true; l = ( \"a\", 2 ); } ); } );\n");
	CU_ASSERT_EQUAL_FATAL(load_with(NULL, NULL, &cfg), WIF_OK);
	src = &cfg->profiles[0].sources[0];
	CU_ASSERT_EQUAL(wif_config_source_string(src, "absent", &s), WIF_E_NOT_FOUND);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(wif_config_source_string(src, "n", &s), WIF_E_CONFIG);
	CU_ASSERT_EQUAL(wif_config_source_int(src, "x", &i64), WIF_E_CONFIG);
	CU_ASSERT_EQUAL(wif_config_source_int(src, "n", &i64), WIF_OK);
	CU_ASSERT(i64 == 3);
	/* absent: the caller's default survives (provider.h's promise) */
	i64 = 600;
	CU_ASSERT_EQUAL(wif_config_source_int(src, "absent", &i64), WIF_E_NOT_FOUND);
	CU_ASSERT(i64 == 600);
	CU_ASSERT_EQUAL(wif_config_source_bool(src, "n", &b), WIF_E_CONFIG);
	CU_ASSERT_EQUAL(wif_config_source_bool(src, "t", &b), WIF_OK);
	CU_ASSERT_EQUAL(b, 1);
	b = 7;
	CU_ASSERT_EQUAL(wif_config_source_bool(src, "absent", &b), WIF_E_NOT_FOUND);
	CU_ASSERT_EQUAL(b, 7);
	CU_ASSERT_EQUAL(wif_config_source_list_string(src, "x", 0, &s), WIF_E_CONFIG);
	CU_ASSERT_EQUAL(wif_config_source_list_string(src, "l", 0, &s), WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "a");
	CU_ASSERT_EQUAL(wif_config_source_list_string(src, "l", 1, &s), WIF_E_CONFIG);
	CU_ASSERT_EQUAL(wif_config_source_list_string(src, "l", 9, &s), WIF_E_NOT_FOUND);
	wif_config_free(cfg);
	wif_config_free(NULL);
}

/* ---- snapshots ------------------------------------------------------ */

/* The snapshot format, spelled out independently of conf.c so that the
 * tests can build broken ones: "WIFCSNAP", version, count, then per file
 * flags, path length, length, path, bytes (32-bit big-endian). */
#define SNAP_MAX (1 << 16)

struct snapbuf {
	unsigned char b[SNAP_MAX];
	size_t len;
};

static void
sb_u32(struct snapbuf *sb, uint32_t v)
{
	CU_ASSERT_FATAL(sb->len + 4 <= sizeof(sb->b));
	sb->b[sb->len++] = (unsigned char)(v >> 24);
	sb->b[sb->len++] = (unsigned char)(v >> 16);
	sb->b[sb->len++] = (unsigned char)(v >> 8);
	sb->b[sb->len++] = (unsigned char)v;
}

static void
sb_bytes(struct snapbuf *sb, const void *p, size_t n)
{
	CU_ASSERT_FATAL(sb->len + n <= sizeof(sb->b));
	memcpy(sb->b + sb->len, p, n);
	sb->len += n;
}

static void
sb_head(struct snapbuf *sb, uint32_t version, uint32_t n_files)
{
	sb->len = 0;
	sb_bytes(sb, "WIFCSNAP", 8);
	sb_u32(sb, version);
	sb_u32(sb, n_files);
}

/* One file; text is expanded (@TOKEN@, @DIR@) like put()'s. */
static void
sb_file(struct snapbuf *sb, uint32_t flags, const char *path, const char *text)
{
	static char buf[1 << 14];

	expand(text, buf, sizeof(buf));
	sb_u32(sb, flags);
	sb_u32(sb, (uint32_t)strlen(path));
	sb_u32(sb, (uint32_t)strlen(buf));
	sb_bytes(sb, path, strlen(path));
	sb_bytes(sb, buf, strlen(buf));
}

/* A memfd holding n bytes of p, at offset 0 (what wifd hands its helper). */
static int
memfd_with(const void *p, size_t n)
{
	int fd;

	CU_ASSERT_FATAL((fd = memfd_create("wif-test-snap", MFD_CLOEXEC)) >= 0);
	CU_ASSERT_FATAL(n == 0 || write(fd, p, n) == (ssize_t)n);
	CU_ASSERT_FATAL(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* A memfd holding cfg's snapshot, at offset 0. */
static int
snapshot_fd(const struct wif_config *cfg)
{
	int fd = memfd_with("", 0);

	CU_ASSERT_EQUAL_FATAL(wif_config_snapshot_write(cfg, fd), WIF_OK);
	CU_ASSERT_FATAL(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* cfg's snapshot, written to a memfd and read back into sb. */
static void
snapshot_of(const struct wif_config *cfg, struct snapbuf *sb)
{
	int fd = snapshot_fd(cfg);
	ssize_t n;

	n = read(fd, sb->b, sizeof(sb->b));
	CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(sb->b));
	sb->len = (size_t)n;
	close(fd);
}

/* Load the first n bytes of sb as a snapshot; detail as load_with(). */
static int
load_snap_n(const struct snapbuf *sb, size_t n, struct wif_config **cfg)
{
	int fd = memfd_with(sb->b, n), r;

	r = wif_config_load_snapshot(fd, fake_schema, &calls, cfg);
	close(fd);
	snprintf(detail, sizeof(detail), "%s", r == WIF_OK ? "" : wif_err_detail());
	if (r != WIF_OK && getenv("WIF_TEST_VERBOSE"))
		fprintf(stderr, "--- detail:\n%s\n", detail);
	return r;
}

static int
load_snap(const struct snapbuf *sb, struct wif_config **cfg)
{
	return load_snap_n(sb, sb->len, cfg);
}

/* A snapshot that must be refused with WIF_E_CONFIG naming why. */
static void
snap_bad(const struct snapbuf *sb, const char *why)
{
	static struct wif_config sentinel;
	struct wif_config *cfg = &sentinel;

	CU_ASSERT_EQUAL(load_snap(sb, &cfg), WIF_E_CONFIG);
	CU_ASSERT_PTR_NULL(cfg);
	CONTAINS(detail, "configuration snapshot from wifd");
	CONTAINS(detail, why);
	if (cfg != &sentinel)
		wif_config_free(cfg);
}

/* The same, for an error inside the snapshot's files: FILE:LINE: needle. */
static void
snap_bad_file(const struct snapbuf *sb, const char *file, int line,
              const char *needle)
{
	struct wif_config *cfg = NULL;

	CU_ASSERT_EQUAL(load_snap(sb, &cfg), WIF_E_CONFIG);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT(has_line(file, line, needle, NULL));
	wif_config_free(cfg);
}

/* 1 when the snapshot holds the file's exact bytes right after its path. */
static int
snap_holds(const struct snapbuf *sb, const char *path)
{
	char text[1 << 14], both[sizeof(text) + PATH_MAX];
	size_t n, pl = strlen(path);
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	memcpy(both, path, pl);
	memcpy(both + pl, text, n);
	return memmem(sb->b, sb->len, both, pl + n) != NULL;
}

/* Everything wif_config_load() decided, the same in b as in a. */
static void
assert_same_config(const struct wif_config *a, const struct wif_config *b)
{
	size_t i, j;

	CU_ASSERT_STRING_EQUAL(b->path, a->path);
	CU_ASSERT_EQUAL_FATAL(b->n_files, a->n_files);
	for (i = 0; i < a->n_files; i++)
		CU_ASSERT_STRING_EQUAL(b->files[i], a->files[i]);
	CU_ASSERT_STRING_EQUAL(b->socket, a->socket);
	CU_ASSERT_EQUAL(b->advisory, a->advisory);
	CU_ASSERT_EQUAL(b->mandatory, a->mandatory);
	CU_ASSERT_EQUAL(b->http.timeout_ms, a->http.timeout_ms);
	CU_ASSERT_EQUAL(b->http.retries, a->http.retries);
	CU_ASSERT_EQUAL(b->n_warnings, a->n_warnings);
	CU_ASSERT_EQUAL_FATAL(b->n_profiles, a->n_profiles);
	for (i = 0; i < a->n_profiles; i++) {
		const struct wif_config_profile *p = &a->profiles[i], *q = &b->profiles[i];

		CU_ASSERT_STRING_EQUAL(q->name, p->name);
		CU_ASSERT_STRING_EQUAL(q->loc.file, p->loc.file);
		CU_ASSERT_EQUAL(q->loc.line, p->loc.line);
		CU_ASSERT_EQUAL(q->exchange.type, p->exchange.type);
		CU_ASSERT_EQUAL(q->advisory, p->advisory);
		CU_ASSERT_EQUAL(q->allow.n_users, p->allow.n_users);
		CU_ASSERT_EQUAL(q->n_sinks, p->n_sinks);
		CU_ASSERT_EQUAL_FATAL(q->n_sources, p->n_sources);
		for (j = 0; j < p->n_sources; j++) {
			const char *s1 = NULL, *s2 = NULL;

			CU_ASSERT_STRING_EQUAL(q->sources[j].provider,
			    p->sources[j].provider);
			CU_ASSERT_EQUAL(q->sources[j].loc.line, p->sources[j].loc.line);
			CU_ASSERT_EQUAL(q->sources[j].inline_secret_ok,
			    p->sources[j].inline_secret_ok);
			CU_ASSERT_EQUAL(wif_config_source_string(&q->sources[j],
			    "path", &s2), wif_config_source_string(&p->sources[j],
			    "path", &s1));
			if (s1 != NULL && s2 != NULL)
				CU_ASSERT_STRING_EQUAL(s2, s1);
		}
	}
}

static void
test_snapshot_round_trip(void)
{
	struct wif_config *disk = NULL, *snap = NULL, *again = NULL;
	struct snapbuf *sb1 = calloc(1, sizeof(*sb1)), *sb2 = calloc(1, sizeof(*sb2));
	char path[PATH_MAX + 64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(sb1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sb2);
	new_case();
	write_full();
	CU_ASSERT_EQUAL_FATAL(load(&disk), WIF_OK);
	snapshot_of(disk, sb1);
	/* the header, then every file read: path and exact bytes, main first */
	CU_ASSERT_EQUAL(memcmp(sb1->b, "WIFCSNAP\0\0\0\1\0\0\0\3", 16), 0);
	CU_ASSERT(snap_holds(sb1, mainf));
	snprintf(path, sizeof(path), "%s/conf.d/10-a.conf", dir);
	CU_ASSERT(snap_holds(sb1, path));
	snprintf(path, sizeof(path), "%s/conf.d/20-b.conf", dir);
	CU_ASSERT(snap_holds(sb1, path));
	CU_ASSERT_PTR_NULL(memmem(sb1->b, sb1->len, "README", 6));
	memset(&calls, 0, sizeof(calls));
	CU_ASSERT_EQUAL_FATAL(load_snap(sb1, &snap), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(snap);
	/* validated again, with the provider schemas */
	CU_ASSERT_EQUAL(calls.fake, 1);
	CU_ASSERT_EQUAL(calls.other, 1);
	assert_same_config(disk, snap);
	CU_ASSERT_STRING_EQUAL(snap->path, mainf);
	CU_ASSERT_EQUAL_FATAL(snap->n_profiles, 4);
	CU_ASSERT_STRING_EQUAL(snap->profiles[0].name, "default");
	CU_ASSERT_STRING_EQUAL(snap->profiles[3].name, "b");
	CU_ASSERT_STRING_EQUAL(snap->profiles[3].loc.file, path);
	CU_ASSERT_STRING_EQUAL(snap->profiles[1].exchange.client_id, "cid");
	/* 10-a.conf is 0600, the others are readable */
	CU_ASSERT_EQUAL(wif_config_profile(snap, "a")->sources[0].inline_secret_ok, 1);
	CU_ASSERT_EQUAL(wif_config_profile(snap, "b")->sources[0].inline_secret_ok, 0);
	CU_ASSERT_EQUAL(snap->profiles[0].sources[0].inline_secret_ok, 0);
	/* and a snapshot of the snapshot is the same bytes */
	snapshot_of(snap, sb2);
	CU_ASSERT_EQUAL(sb2->len, sb1->len);
	CU_ASSERT_EQUAL(memcmp(sb2->b, sb1->b, sb1->len), 0);
	CU_ASSERT_EQUAL_FATAL(load_snap(sb2, &again), WIF_OK);
	assert_same_config(disk, again);
	wif_config_free(again);
	wif_config_free(snap);
	wif_config_free(disk);
	free(sb1);
	free(sb2);
}

static void
test_snapshot_ignores_disk_changes(void)
{
	struct wif_config *cfg = NULL;
	char path[PATH_MAX + 64];
	const char *s;
	int fd;

	new_case();
	put("wif.conf", 0600, "profiles = ( { name = \"main\"; " ANTH ALLOW "\n"
	    "  source = ( { provider = \"fake\"; path = \"@TOKEN@\"; token = \"" SECRET "\"; } ); } );\n");
	subdir("conf.d", 0755);
	put("conf.d/10-a.conf", 0644, "profiles = ( { name = \"a\"; " FAKE ANTH ALLOW "} );\n");
	put("conf.d/20-b.conf", 0644, "profiles = ( { name = \"b\"; " FAKE ANTH ALLOW "} );\n");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	fd = snapshot_fd(cfg);
	wif_config_free(cfg);
	cfg = NULL;
	/* edited without a reload: other profiles, the secret now readable,
	 * one conf.d file gone, one new, one broken */
	put("wif.conf", 0644, "profiles = ( { name = \"changed\"; " ANTH ALLOW "\n"
	    "  source = ( { provider = \"fake\"; path = \"@TOKEN@\"; token = \"" SECRET "\"; } ); } );\n");
	snprintf(path, sizeof(path), "%s/conf.d/20-b.conf", dir);
	CU_ASSERT_FATAL(unlink(path) == 0);
	put("conf.d/30-new.conf", 0644, "profiles = ( { name = \"new\"; " FAKE ANTH ALLOW "} );\n");
	put("conf.d/40-broken.conf", 0644, "profiles = ( {{{\n");
	load_bad(); /* the disk says so */
	CU_ASSERT(has_line(mainf, 2, "readable by group/others", NULL));
	/* the snapshot does not */
	CU_ASSERT_EQUAL_FATAL(wif_config_load_snapshot(fd, fake_schema, &calls,
	    &cfg), WIF_OK);
	CU_ASSERT_EQUAL_FATAL(cfg->n_profiles, 3);
	CU_ASSERT_STRING_EQUAL(cfg->profiles[0].name, "main");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[1].name, "a");
	CU_ASSERT_STRING_EQUAL(cfg->profiles[2].name, "b");
	CU_ASSERT_PTR_NULL(wif_config_profile(cfg, "new"));
	CU_ASSERT_EQUAL_FATAL(cfg->n_files, 3);
	CU_ASSERT_STRING_EQUAL(cfg->files[2], path);
	CU_ASSERT_STRING_EQUAL(cfg->profiles[2].loc.file, path);
	CU_ASSERT_EQUAL(cfg->profiles[0].sources[0].inline_secret_ok, 1);
	CU_ASSERT_EQUAL(wif_config_source_string(&cfg->profiles[0].sources[0],
	    "token", &s), WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, SECRET);
	wif_config_free(cfg);
	cfg = NULL;
	/* not even there any more */
	CU_ASSERT_FATAL(unlink(mainf) == 0);
	CU_ASSERT_FATAL(lseek(fd, 0, SEEK_SET) == 0);
	CU_ASSERT_EQUAL(wif_config_load_snapshot(fd, fake_schema, &calls, &cfg),
	    WIF_OK);
	CU_ASSERT_EQUAL(cfg ? cfg->n_profiles : 0, 3);
	wif_config_free(cfg);
	close(fd);
}

static void
test_snapshot_errors_name_file_and_line(void)
{
	static const char *const mainp = "/etc/wif-snap/wif.conf";
	static const char *const dp = "/etc/wif-snap/conf.d/10-x.conf";
	static const char *const secret =
	    "profiles = ( { name = \"p\"; " ANTH ALLOW "\n"
	    "  source = ( { provider = \"fake\"; path = \"@TOKEN@\";\n"
	    "               token = \"" SECRET "\"; } ); } );\n";
	struct snapbuf *sb = calloc(1, sizeof(*sb));
	struct wif_config *cfg = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
	new_case();
	/* syntax error in the main file */
	sb_head(sb, 1, 1);
	sb_file(sb, 0, mainp, "wif = {\n  socket = ;\n};\n");
	snap_bad_file(sb, mainp, 2, "syntax error; fix the syntax (see wif.conf(5))");
	/* validation errors in a conf.d file, sorted after the main file's */
	sb_head(sb, 1, 2);
	sb_file(sb, 0, mainp, "wif = { colour = 1; };\n");
	sb_file(sb, 0, dp, "# x\nprofiles = ( { name = \".bad\"; " FAKE ANTH ALLOW "} );\n"
	    "wif = { };\n");
	snap_bad_file(sb, mainp, 1, "unknown key \"colour\" in wif");
	CU_ASSERT(has_line(dp, 2, "\".bad\"", NULL));
	CU_ASSERT(has_line(dp, 3, "unknown key \"wif\" in a conf.d file", NULL));
	CU_ASSERT_EQUAL(n_lines(detail), 3);
	CU_ASSERT(strstr(detail, mainp) < strstr(detail, dp));
	/* @include and NUL bytes: refused in the bytes, not on disk */
	sb_head(sb, 1, 1);
	sb_file(sb, 0, mainp, "wif = { };\n\n  @include \"/etc/passwd\"\n");
	snap_bad_file(sb, mainp, 3, "@include is not supported");
	sb_head(sb, 1, 1);
	sb_u32(sb, 0);
	sb_u32(sb, (uint32_t)strlen(mainp));
	sb_u32(sb, 16);
	sb_bytes(sb, mainp, strlen(mainp));
	sb_bytes(sb, "wif = { };\nx\0= 1;", 16);
	snap_bad_file(sb, mainp, 2, "NUL byte");
	/* the recorded "readable" flag decides about inline secrets */
	sb_head(sb, 1, 1);
	sb_file(sb, 1, mainp, secret);
	snap_bad_file(sb, mainp, 3, "inline secret token but is readable by group/others");
	CU_ASSERT_PTR_NULL(strstr(detail, SECRET));
	sb_head(sb, 1, 1);
	sb_file(sb, 0, mainp, secret);
	CU_ASSERT_EQUAL_FATAL(load_snap(sb, &cfg), WIF_OK);
	CU_ASSERT_STRING_EQUAL(cfg->path, mainp);
	CU_ASSERT_STRING_EQUAL(cfg->profiles[0].loc.file, mainp);
	CU_ASSERT_EQUAL(cfg->profiles[0].loc.line, 1);
	CU_ASSERT_EQUAL(cfg->profiles[0].sources[0].inline_secret_ok, 1);
	wif_config_free(cfg);
	free(sb);
}

static void
test_snapshot_truncated_everywhere(void)
{
	struct snapbuf *sb = calloc(1, sizeof(*sb));
	struct wif_config *cfg = NULL;
	size_t off, refused = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
	new_case();
	write_full();
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	snapshot_of(cfg, sb);
	wif_config_free(cfg);
	CU_ASSERT_FATAL(sb->len > 1000);
	for (off = 0; off < sb->len; off++) {
		cfg = NULL;
		if (load_snap_n(sb, off, &cfg) == WIF_E_CONFIG && cfg == NULL &&
		    strstr(detail, "configuration snapshot from wifd is "
		    "truncated") != NULL)
			refused++;
		else
			fprintf(stderr, "\noffset %zu: %s\n", off, detail);
		wif_config_free(cfg);
	}
	CU_ASSERT_EQUAL(refused, sb->len);
	CU_ASSERT_EQUAL_FATAL(load_snap(sb, &cfg), WIF_OK);
	wif_config_free(cfg);
	free(sb);
}

static void
test_snapshot_malformed(void)
{
	static const char *const p = "/etc/wif-snap/wif.conf";
	static struct wif_config sentinel;
	struct snapbuf *sb = calloc(1, sizeof(*sb));
	struct wif_config *cfg = NULL;
	char big[PATH_MAX + 2];
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
	new_case();
	/* the good one everything below is a variation of */
	sb_head(sb, 1, 1);
	sb_file(sb, 0, p, "wif = { };\n");
	CU_ASSERT_EQUAL_FATAL(load_snap(sb, &cfg), WIF_OK);
	CU_ASSERT_EQUAL(cfg->n_files, 1);
	wif_config_free(cfg);
	sb->b[0] = 'X';
	snap_bad(sb, "bad magic number");
	sb_head(sb, 2, 1);
	sb_file(sb, 0, p, "wif = { };\n");
	snap_bad(sb, "has version 2, not 1");
	sb_head(sb, 1, 0);
	snap_bad(sb, "lists 0 files");
	sb_head(sb, 1, 257);
	sb_file(sb, 0, p, "wif = { };\n");
	snap_bad(sb, "lists 257 files");
	sb_head(sb, 1, 0xffffffffu);
	snap_bad(sb, "lists 4294967295 files");
	/* a length over the limit is refused before anything is allocated */
	sb_head(sb, 1, 1);
	sb_u32(sb, 0);
	sb_u32(sb, (uint32_t)strlen(p));
	sb_u32(sb, 1024 * 1024 + 1);
	sb_bytes(sb, p, strlen(p));
	snap_bad(sb, "file 1 has 1048577 bytes");
	sb->len -= strlen(p) + 4;
	sb_u32(sb, 0xffffffffu);
	snap_bad(sb, "file 1 has 4294967295 bytes");
	sb_head(sb, 1, 1);
	sb_u32(sb, 0);
	sb_u32(sb, 0xffffffffu);
	sb_u32(sb, 11);
	snap_bad(sb, "has a path of 4294967295 bytes");
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	sb_head(sb, 1, 1);
	sb_file(sb, 0, big, "wif = { };\n");
	snap_bad(sb, "has a path of 4097 bytes");
	sb_head(sb, 1, 1);
	sb_file(sb, 0, "", "wif = { };\n");
	snap_bad(sb, "has a path of 0 bytes");
	sb_head(sb, 1, 1);
	sb_u32(sb, 0);
	sb_u32(sb, 8);
	sb_u32(sb, 0);
	sb_bytes(sb, "/etc\0/x", 8);
	snap_bad(sb, "the path of file 1 holds a NUL byte");
	sb_head(sb, 1, 1);
	sb_file(sb, 2, p, "wif = { };\n");
	snap_bad(sb, "file 1 has unknown flags 0x2");
	/* fewer files than it says, and more bytes than its files */
	sb_head(sb, 1, 2);
	sb_file(sb, 0, p, "wif = { };\n");
	snap_bad(sb, "is truncated");
	sb_head(sb, 1, 1);
	sb_file(sb, 0, p, "wif = { };\n");
	sb_bytes(sb, "x", 1);
	snap_bad(sb, "has bytes after its last file");
	/* no descriptor, or one that cannot be read */
	cfg = &sentinel;
	CU_ASSERT_EQUAL(wif_config_load_snapshot(-1, fake_schema, &calls, &cfg),
	    WIF_E_INVALID_ARG);
	CU_ASSERT_PTR_NULL(cfg);
	CU_ASSERT_FATAL((fd = open(mainf, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0);
	CU_ASSERT_EQUAL(wif_config_load_snapshot(fd, fake_schema, &calls, &cfg),
	    WIF_E_IO);
	CONTAINS(wif_err_detail(), "cannot read the configuration snapshot from wifd");
	CU_ASSERT_PTR_NULL(cfg);
	close(fd);
	CU_ASSERT_EQUAL(wif_config_snapshot_write(NULL, 1), WIF_E_INVALID_ARG);
	free(sb);
}

/* A snapshot wifd never wrote itself (any paths, both flags) loads and
 * writes back to the same bytes. */
static void
test_snapshot_rewrite_identical(void)
{
	struct snapbuf *sb = calloc(1, sizeof(*sb)), *again = calloc(1, sizeof(*again));
	struct wif_config *cfg = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(again);
	new_case();
	sb_head(sb, 1, 3);
	sb_file(sb, 1, "/srv/wif.conf", "wif = { socket = \"/run/x.sock\"; };\n");
	sb_file(sb, 0, "/srv/d/a.conf", "profiles = ( { name = \"a\"; " FAKE ANTH ALLOW "} );");
	sb_file(sb, 1, "/srv/d/b.conf", "");
	CU_ASSERT_EQUAL_FATAL(load_snap(sb, &cfg), WIF_OK);
	CU_ASSERT_STRING_EQUAL(cfg->socket, "/run/x.sock");
	CU_ASSERT_EQUAL_FATAL(cfg->n_files, 3);
	CU_ASSERT_STRING_EQUAL(cfg->files[2], "/srv/d/b.conf");
	CU_ASSERT_EQUAL(cfg->profiles[0].sources[0].inline_secret_ok, 1);
	snapshot_of(cfg, again);
	CU_ASSERT_EQUAL(again->len, sb->len);
	CU_ASSERT_EQUAL(memcmp(again->b, sb->b, sb->len), 0);
	wif_config_free(cfg);
	free(sb);
	free(again);
}

/* wif_core_open_snapshot(): providers loaded and sources working from the
 * snapshot, the file on disk long since broken. */
static void
test_snapshot_core(void)
{
	static const char *const jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
	    "eyJpc3MiOiJodHRwczovL2lzc3Vlci50ZXN0Iiwic3ViIjoidGVzdCIsImF1ZCI6"
	    "Imh0dHBzOi8vYXBpLmFudGhyb3BpYy5jb20iLCJleHAiOjQxMDI0NDQ4MDAsImlh"
	    "dCI6MTcwMDAwMDAwMH0.c2ln";
	const char *mock = getenv("WIF_MOCK_DIR");
	struct wif_config *cfg = NULL;
	struct wif_core *core = NULL;
	struct wif_identity *id = NULL;
	char text[4096];
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mock); /* make check exports it */
	new_case();
	snprintf(text, sizeof(text), "wif = { provider_dir = \"%s\"; };\n"
	    "profiles = ( { name = \"p\"; " ANTH " source = ( { provider = "
	    "\"mock\"; jwt = \"%s\"; } ); } );\n", mock, jwt);
	put("wif.conf", 0600, text);
	CU_ASSERT_EQUAL_FATAL(wif_config_load(mainf, NULL, NULL, NULL, &cfg), WIF_OK);
	fd = snapshot_fd(cfg);
	wif_config_free(cfg);
	put("wif.conf", 0644, "profiles = ( {{{\n");
	CU_ASSERT_EQUAL(wif_core_open(mainf, &core), WIF_E_CONFIG);
	CU_ASSERT_PTR_NULL(core);
	if (wif_core_open_snapshot(fd, &core) != WIF_OK)
		fprintf(stderr, "\n  %s\n", wif_err_detail());
	CU_ASSERT_PTR_NOT_NULL_FATAL(core);
	CU_ASSERT_STRING_EQUAL(wif_core_config(core)->path, mainf);
	CU_ASSERT_STRING_EQUAL(wif_core_provider_dir(core), mock);
	CU_ASSERT_EQUAL(wif_core_config(core)->profiles[0].sources[0].inline_secret_ok, 1);
	CU_ASSERT_EQUAL(wif_core_check(core), WIF_OK);
	CU_ASSERT_EQUAL_FATAL(wif_core_fetch_identity(core, "p", 0, NULL, &id), WIF_OK);
	CU_ASSERT_STRING_EQUAL(id->jwt, jwt);
	wif_identity_free(id);
	wif_core_close(core);
	core = NULL;
	/* a bad snapshot: an error and no core (the offset is at the end now) */
	CU_ASSERT_EQUAL(wif_core_open_snapshot(fd, &core), WIF_E_CONFIG);
	CONTAINS(wif_err_detail(), "configuration snapshot from wifd is truncated");
	CU_ASSERT_PTR_NULL(core);
	close(fd);
}

/* ---- the shipped examples ------------------------------------------- */

static void
copy_example(const char *rel, const char *to)
{
	const char *top = getenv("WIF_TOP_SRCDIR");
	char src[PATH_MAX + 64], buf[65536];
	size_t n;
	FILE *f;

	snprintf(src, sizeof(src), "%s/%s", top ? top : WIF_TEST_SRCDIR, rel);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(src, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	CU_ASSERT_FATAL(n > 0 && n < sizeof(buf) - 1);
	put(to, 0644, buf);
}

static void
test_shipped_examples_are_valid(void)
{
	struct wif_config *cfg = NULL;
	size_t i;

	new_case();
	copy_example("etc/wif.conf.example", "wif.conf");
	subdir("conf.d", 0755);
	copy_example("etc/conf.d/50-example.conf.example", "conf.d/50-example.conf");
	CU_ASSERT_EQUAL_FATAL(load(&cfg), WIF_OK);
	CU_ASSERT(cfg->n_profiles >= 2);
	CU_ASSERT_EQUAL(cfg->n_files, 2);
	CU_ASSERT_PTR_NOT_NULL(wif_config_profile(cfg, "default"));
	CU_ASSERT(calls.file >= 1);
	CU_ASSERT_EQUAL(calls.unknown, 0);
	for (i = 0; i < cfg->n_warnings; i++)
		/* only the not-yet-mounted token file may be remarked upon */
		CONTAINS(cfg->warnings[i], "does not exist yet");
	wif_config_free(cfg);
}

/* ---- suite ----------------------------------------------------------- */

static int
setup(void)
{
	char tmpl[] = "./cfgtest.XXXXXX";

	/* the URL rule, as wif_core_open() sets it (test_urls turns it off) */
	wif_config_set_url_check(wif_exchange_url_ok);
	if (mkdtemp(tmpl) == NULL || realpath(tmpl, root) == NULL)
		return -1;
	return chmod(root, 0755);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int
teardown(void)
{
	if (root[0] == '\0' || getenv("WIF_TEST_KEEP"))
		return 0;
	return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const struct cu_test tests[] = {
	{ "full_config_read_back", test_full_config_read_back },
	{ "defaults", test_defaults },
	{ "main_missing", test_main_missing },
	{ "main_not_a_file", test_main_not_a_file },
	{ "main_permissions", test_main_permissions },
	{ "main_syntax_error", test_main_syntax_error },
	{ "include_refused", test_include_refused },
	{ "main_too_big", test_main_too_big },
	{ "unknown_keys_everywhere", test_unknown_keys_everywhere },
	{ "wrong_types", test_wrong_types },
	{ "missing_required", test_missing_required },
	{ "duplicate_profiles", test_duplicate_profiles },
	{ "name_syntax", test_name_syntax },
	{ "id_syntax", test_id_syntax },
	{ "urls", test_urls },
	{ "sinks", test_sinks },
	{ "exchange_types", test_exchange_types },
	{ "refresh_bounds", test_refresh_bounds },
	{ "http_bounds", test_http_bounds },
	{ "audit_and_log_level", test_audit_and_log_level },
	{ "metrics_listen", test_metrics_listen },
	{ "session_dir", test_session_dir },
	{ "sources", test_sources },
	{ "confd_rules", test_confd_rules },
	{ "confd_explicit_dir", test_confd_explicit_dir },
	{ "provider_keys", test_provider_keys },
	{ "provider_path_may_appear_later", test_provider_path_may_appear_later },
	{ "inline_secret", test_inline_secret },
	{ "schema_errors", test_schema_errors },
	{ "no_schema", test_no_schema },
	{ "all_errors_collected", test_all_errors_collected },
	{ "errors_sorted", test_errors_sorted },
	{ "many_errors_truncated", test_many_errors_truncated },
	{ "valid_helpers", test_valid_helpers },
	{ "accessors", test_accessors },
	{ "shipped_examples_are_valid", test_shipped_examples_are_valid },
	{ "snapshot_round_trip", test_snapshot_round_trip },
	{ "snapshot_ignores_disk_changes", test_snapshot_ignores_disk_changes },
	{ "snapshot_errors_name_file_and_line", test_snapshot_errors_name_file_and_line },
	{ "snapshot_truncated_everywhere", test_snapshot_truncated_everywhere },
	{ "snapshot_malformed", test_snapshot_malformed },
	{ "snapshot_rewrite_identical", test_snapshot_rewrite_identical },
	{ "snapshot_core", test_snapshot_core },
	{ NULL, NULL },
};

WIF_CU_MAIN("config", tests, setup, teardown)
