/*
 * test_creds.c - credential precedence (PROTOCOL.md §5.1) and the
 * configuration synthesized from the SDK's environment and profile files.
 * Every test starts from a clean environment and a private config dir.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "creds.h"
#include "cutest.h"
#include "err.h"

static char dir[4096];

static const char *vars[] = {
	"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE",
	"ANTHROPIC_CONFIG_DIR", "ANTHROPIC_FEDERATION_RULE_ID",
	"ANTHROPIC_ORGANIZATION_ID", "ANTHROPIC_SERVICE_ACCOUNT_ID",
	"ANTHROPIC_WORKSPACE_ID", "ANTHROPIC_IDENTITY_TOKEN_FILE",
	"ANTHROPIC_IDENTITY_TOKEN", "ANTHROPIC_BASE_URL", "WIF_CONFIG",
	"XDG_CONFIG_HOME", NULL,
};

static void
write_file(const char *rel, const char *text)
{
	char path[4400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int
setup(void)
{
	char tmpl[] = "credstest.XXXXXX", path[4400];
	size_t i;

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/configs", dir);
	mkdir(path, 0700);
	for (i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	return 0;
}

static int
teardown(void)
{
	char cmd[4500];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
fresh_env(void)
{
	char path[4400];
	size_t i;

	for (i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	setenv("ANTHROPIC_CONFIG_DIR", dir, 1);
	snprintf(path, sizeof(path), "%s/active_config", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/configs/default.json", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/configs/ci.json", dir);
	unlink(path);
}

static const struct wif_cred_candidate *
cand(const struct wif_resolution *res, int kind)
{
	size_t i;

	for (i = 0; i < res->n_cand; i++)
		if (res->cand[i].kind == kind)
			return &res->cand[i];
	CU_FAIL("candidate missing");
	return &res->cand[0];
}

static void
set_env_federation(void)
{
	setenv("ANTHROPIC_FEDERATION_RULE_ID", "fdrl_env1", 1);
	setenv("ANTHROPIC_ORGANIZATION_ID", "00000000-0000-4000-8000-000000000001", 1);
	setenv("ANTHROPIC_SERVICE_ACCOUNT_ID", "svac_env1", 1);
	setenv("ANTHROPIC_IDENTITY_TOKEN_FILE", "/var/run/secrets/anthropic.com/token", 1);
}

static void
test_nothing_configured(void)
{
	struct wif_resolution res;

	fresh_env();
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_NO_CREDENTIALS);
	CU_ASSERT_EQUAL(res.winner, -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "ANTHROPIC_FEDERATION_RULE_ID"));
	CU_ASSERT_PTR_NULL(res.config_text);
	wif_resolution_free(&res);
}

static void
test_env_federation_file(void)
{
	struct wif_resolution res;

	fresh_env();
	set_env_federation();
	setenv("ANTHROPIC_IDENTITY_TOKEN", "ignored-because-file-wins", 1);
	setenv("ANTHROPIC_WORKSPACE_ID", "wrkspc_w1", 1);
	CU_ASSERT_EQUAL_FATAL(wif_resolve(NULL, NULL, &res), WIF_OK);
	CU_ASSERT_EQUAL(res.cand[res.winner].kind, WIF_CRED_ENV_FEDERATION);
	CU_ASSERT_STRING_EQUAL(res.profile, "default");
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.config_text);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "provider = \"file\"; path = \"/var/run/secrets/anthropic.com/token\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "federation_rule_id = \"fdrl_env1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "service_account_id = \"svac_env1\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "workspace_id = \"wrkspc_w1\""));
	CU_ASSERT_PTR_NULL(strstr(res.config_text, "ignored-because-file-wins"));
	wif_resolution_free(&res);
}

static void
test_env_literal_token_never_in_config(void)
{
	struct wif_resolution res;

	fresh_env();
	set_env_federation();
	unsetenv("ANTHROPIC_IDENTITY_TOKEN_FILE");
	setenv("ANTHROPIC_IDENTITY_TOKEN", "eyJhbGciOiJSUzI1NiJ9.e30.SECRETSIG", 1);
	CU_ASSERT_EQUAL_FATAL(wif_resolve(NULL, NULL, &res), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "provider = \"env\""));
	CU_ASSERT_PTR_NULL(strstr(res.config_text, "SECRETSIG"));
	wif_resolution_free(&res);
}

static void
test_partial_federation(void)
{
	struct wif_resolution res;
	const struct wif_cred_candidate *c;

	fresh_env();
	setenv("ANTHROPIC_FEDERATION_RULE_ID", "fdrl_env1", 1);
	setenv("ANTHROPIC_ORGANIZATION_ID", "", 1); /* empty counts as unset */
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_NO_CREDENTIALS);
	c = cand(&res, WIF_CRED_ENV_FEDERATION);
	CU_ASSERT_TRUE(c->partial);
	CU_ASSERT_FALSE(c->present);
	CU_ASSERT_PTR_NOT_NULL(strstr(c->detail, "ANTHROPIC_ORGANIZATION_ID"));
	CU_ASSERT_PTR_NOT_NULL(strstr(c->detail, "ANTHROPIC_IDENTITY_TOKEN_FILE"));
	CU_ASSERT_PTR_NULL(strstr(c->detail, "ANTHROPIC_FEDERATION_RULE_ID"));
	wif_resolution_free(&res);
}

static void
test_api_key_shadows_loudly(void)
{
	struct wif_resolution res;
	const struct wif_cred_candidate *c;

	fresh_env();
	set_env_federation();
	setenv("ANTHROPIC_API_KEY", "sk-ant-api03-SECRETSECRETSECRET", 1);
	CU_ASSERT_EQUAL_FATAL(wif_resolve(NULL, NULL, &res), WIF_OK);
	/* wif itself still uses federation ... */
	CU_ASSERT_EQUAL(res.cand[res.winner].kind, WIF_CRED_ENV_FEDERATION);
	/* ... and says loudly that SDK processes would not. */
	c = cand(&res, WIF_CRED_API_KEY);
	CU_ASSERT_TRUE(c->shadows);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.shadow_warning, "ANTHROPIC_API_KEY"));
	CU_ASSERT_PTR_NULL(strstr(c->detail, "SECRETSECRET"));
	CU_ASSERT_PTR_NOT_NULL(strstr(c->detail, "sk-ant-api0"));
	CU_ASSERT_FALSE(cand(&res, WIF_CRED_AUTH_TOKEN)->shadows);
	wif_resolution_free(&res);
}

static void
test_sdk_profile_explicit(void)
{
	struct wif_resolution res;

	fresh_env();
	set_env_federation(); /* loses to ANTHROPIC_PROFILE */
	setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9", 1);
	setenv("ANTHROPIC_PROFILE", "ci", 1);
	write_file("configs/ci.json",
	    "{\"version\":\"1.0\",\"authentication\":{\"type\":\"oidc_federation\","
	    "\"federation_rule_id\":\"fdrl_file1\",\"identity_token\":{\"source\":"
	    "\"file\",\"path\":\"/tok/file\"}},\"organization_id\":"
	    "\"00000000-0000-4000-8000-000000000002\",\"base_url\":\"https://x.example\"}");
	CU_ASSERT_EQUAL_FATAL(wif_resolve(NULL, NULL, &res), WIF_OK);
	CU_ASSERT_EQUAL(res.cand[res.winner].kind, WIF_CRED_SDK_PROFILE);
	CU_ASSERT_STRING_EQUAL(res.profile, "ci");
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "fdrl_file1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "path = \"/tok/file\""));
	/* env fills what the file leaves unset ... */
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "svac_env1"));
	/* ... and ANTHROPIC_BASE_URL wins over the profile's base_url. */
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "base_url = \"http://127.0.0.1:9\""));
	CU_ASSERT_PTR_NULL(strstr(res.config_text, "x.example"));
	CU_ASSERT_PTR_NULL(strstr(res.config_text, "fdrl_env1"));
	wif_resolution_free(&res);
}

static void
test_sdk_profile_missing_is_error(void)
{
	struct wif_resolution res;

	fresh_env();
	set_env_federation();
	setenv("ANTHROPIC_PROFILE", "nosuch", 1);
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_NOT_FOUND);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "nosuch"));
	wif_resolution_free(&res);
	setenv("ANTHROPIC_PROFILE", "../etc", 1);
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_CONFIG);
	wif_resolution_free(&res);
}

static void
test_active_config(void)
{
	struct wif_resolution res;

	fresh_env();
	write_file("configs/ci.json",
	    "{\"authentication\":{\"type\":\"oidc_federation\",\"federation_rule_id\":"
	    "\"fdrl_ci\",\"identity_token\":{\"source\":\"file\",\"path\":\"/t\"}},"
	    "\"organization_id\":\"00000000-0000-4000-8000-000000000003\"}");
	write_file("active_config", "  ci \n");
	CU_ASSERT_EQUAL_FATAL(wif_resolve(NULL, NULL, &res), WIF_OK);
	CU_ASSERT_EQUAL(res.cand[res.winner].kind, WIF_CRED_ACTIVE_PROFILE);
	CU_ASSERT_STRING_EQUAL(res.profile, "ci");
	CU_ASSERT_STRING_EQUAL(res.why, "active_config");
	wif_resolution_free(&res);

	/* Environment federation comes before the active profile. */
	set_env_federation();
	CU_ASSERT_EQUAL_FATAL(wif_resolve(NULL, NULL, &res), WIF_OK);
	CU_ASSERT_EQUAL(res.cand[res.winner].kind, WIF_CRED_ENV_FEDERATION);
	CU_ASSERT_PTR_NOT_NULL(strstr(cand(&res, WIF_CRED_ACTIVE_PROFILE)->detail, "not used"));
	wif_resolution_free(&res);
}

static void
test_user_oauth_profile_refused(void)
{
	struct wif_resolution res;

	fresh_env();
	write_file("configs/default.json",
	    "{\"authentication\":{\"type\":\"user_oauth\",\"client_id\":\"x\"}}");
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "user_oauth"));
	wif_resolution_free(&res);
}

static void
test_wif_conf_wins(void)
{
	struct wif_resolution res;

	fresh_env();
	set_env_federation();
	CU_ASSERT_EQUAL_FATAL(wif_resolve("/etc/wif/other.conf", "p1", &res), WIF_OK);
	CU_ASSERT_EQUAL(res.cand[res.winner].kind, WIF_CRED_WIF_CONFIG);
	CU_ASSERT_STRING_EQUAL(res.config_path, "/etc/wif/other.conf");
	CU_ASSERT_PTR_NULL(res.config_text);
	CU_ASSERT_STRING_EQUAL(res.profile, "p1");
	CU_ASSERT_PTR_NOT_NULL(strstr(cand(&res, WIF_CRED_ENV_FEDERATION)->detail, "not used"));
	wif_resolution_free(&res);
}

static void
test_quotes_escaped_controls_refused(void)
{
	struct wif_resolution res;

	fresh_env();
	set_env_federation();
	setenv("ANTHROPIC_IDENTITY_TOKEN_FILE", "/tmp/a\"b\\c", 1);
	CU_ASSERT_EQUAL_FATAL(wif_resolve(NULL, NULL, &res), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL(strstr(res.config_text, "path = \"/tmp/a\\\"b\\\\c\""));
	wif_resolution_free(&res);
	setenv("ANTHROPIC_IDENTITY_TOKEN_FILE", "/tmp/a\nb", 1);
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_CONFIG);
	wif_resolution_free(&res);
}

/* Root never follows an SDK profile file someone else owns or can change. */
static void
test_root_refuses_foreign_sdk_profile(void)
{
	struct wif_resolution res;
	char path[4400];

	fresh_env();
	setenv("ANTHROPIC_PROFILE", "ci", 1);
	write_file("configs/ci.json",
	    "{\"authentication\":{\"type\":\"oidc_federation\",\"federation_rule_id\":"
	    "\"fdrl_ci\",\"identity_token\":{\"source\":\"file\",\"path\":\"/t\"}},"
	    "\"organization_id\":\"00000000-0000-4000-8000-000000000003\"}");
	snprintf(path, sizeof(path), "%s/configs/ci.json", dir);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0666), 0);
	if (geteuid() != 0) {
		/* A user's own files are theirs to keep as they like. */
		CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_OK);
		wif_resolution_free(&res);
		return;
	}
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_PERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "writable by everyone"));
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "ci.json"));
	wif_resolution_free(&res);

	CU_ASSERT_EQUAL_FATAL(chmod(path, 0644), 0);
	CU_ASSERT_EQUAL_FATAL(chown(path, 65534, 65534), 0);
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_PERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "owned by uid 65534"));
	wif_resolution_free(&res);

	/* configs/ owned by someone else: refused too. */
	CU_ASSERT_EQUAL_FATAL(chown(path, 0, 0), 0);
	snprintf(path, sizeof(path), "%s/configs", dir);
	CU_ASSERT_EQUAL_FATAL(chown(path, 65534, 65534), 0);
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_E_PERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "configs is owned by uid 65534"));
	wif_resolution_free(&res);
	CU_ASSERT_EQUAL(chown(path, 0, 0), 0);

	/* root-owned and not writable by others: used. */
	CU_ASSERT_EQUAL(wif_resolve(NULL, NULL, &res), WIF_OK);
	CU_ASSERT_STRING_EQUAL(res.profile, "ci");
	wif_resolution_free(&res);
}

static const struct cu_test tests[] = {
	{ "nothing configured", test_nothing_configured },
	{ "environment federation with a token file", test_env_federation_file },
	{ "literal token never copied into config", test_env_literal_token_never_in_config },
	{ "partial federation says what is missing", test_partial_federation },
	{ "ANTHROPIC_API_KEY shadows, loudly and masked", test_api_key_shadows_loudly },
	{ "ANTHROPIC_PROFILE file, env fills, base URL env wins", test_sdk_profile_explicit },
	{ "ANTHROPIC_PROFILE missing file is an error", test_sdk_profile_missing_is_error },
	{ "active_config profile", test_active_config },
	{ "user_oauth profile refused", test_user_oauth_profile_refused },
	{ "wif.conf wins", test_wif_conf_wins },
	{ "quoting and control characters", test_quotes_escaped_controls_refused },
	{ "root refuses a foreign or writable SDK profile", test_root_refuses_foreign_sdk_profile },
	{ NULL, NULL },
};

WIF_CU_MAIN("creds", tests, setup, teardown)
