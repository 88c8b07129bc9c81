/*
 * test_err.c - error details and log lines never carry a credential:
 * wif_redact() as applied by wif_err()/wif_err_prefix() and the logger.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cutest.h"
#include "err.h"

#define JWT "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMifQ.c2lnbmF0dXJlX2J5dGVz"

static const char *
red(const char *in)
{
	static char buf[WIF_ERR_MAX];

	snprintf(buf, sizeof(buf), "%s", in);
	wif_redact(buf, sizeof(buf));
	return buf;
}

static void
test_secrets_redacted(void)
{
	CU_ASSERT_STRING_EQUAL(red("helper said: " JWT " (bad)"),
	    "helper said: [redacted JWT] (bad)");
	CU_ASSERT_STRING_EQUAL(red("token=sk-ant-oat01-AbC_123-xyz;"),
	    "token=sk-ant-[redacted];");
	CU_ASSERT_STRING_EQUAL(red("key sk-ant-api03-abcdefghijklmnop"),
	    "key sk-ant-[redacted]");
	CU_ASSERT_STRING_EQUAL(red("secret 0123456789abcdef0123456789abcdef01234567 end"),
	    "secret [redacted] end");
	CU_ASSERT_STRING_EQUAL(red("b64 dGhpcyBpcyBhIHNlY3JldCBrZXkgdmFsdWUgMTIzNDU2"),
	    "b64 [redacted]");
	/* several in one line */
	CU_ASSERT_STRING_EQUAL(red(JWT " and " JWT), "[redacted JWT] and [redacted JWT]");
}

static void
test_ordinary_text_kept(void)
{
	static const char *const keep[] = {
		"identity token file /var/run/secrets/anthropic.com/token does not exist",
		"profile default: exchange failed: HTTP 401 (request-id req_011CVabc123)",
		"sha256:0123456789ab fingerprint",
		"no profile \"ci-prod.v2\" in /etc/wif/wif.conf",
		"an_extremely_long_identifier_without_any_digits_at_all_in_it",
		"version 1.2.3 at https://api.anthropic.com/v1/oauth/token",
		"fdrl_01abc svac_01def wrkspc_01ghi 00000000-0000-4000-8000-000000000001",
		"",
	};
	size_t i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		CU_ASSERT_STRING_EQUAL(red(keep[i]), keep[i]);
}

static void
test_err_and_prefix_apply_it(void)
{
	CU_ASSERT_EQUAL(wif_err(WIF_E_EXEC, "helper wrote %s to stderr", JWT),
	    WIF_E_EXEC);
	CU_ASSERT(strstr(wif_err_detail(), "eyJ") == NULL);
	CU_ASSERT(strstr(wif_err_detail(), "[redacted JWT]") != NULL);
	wif_err(WIF_E_EXEC, "plain");
	wif_err_prefix(WIF_E_EXEC, "server said sk-ant-oat01-%s", "zzzzzzzz");
	CU_ASSERT_STRING_EQUAL(wif_err_detail(),
	    "server said sk-ant-[redacted]: plain");
}

static void
test_bounded(void)
{
	static char big[WIF_ERR_MAX];
	char small[16];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	wif_redact(big, sizeof(big));
	CU_ASSERT_EQUAL(strlen(big), sizeof(big) - 1); /* letters only: kept */
	snprintf(small, sizeof(small), "sk-ant-xyz");
	wif_redact(small, sizeof(small));
	CU_ASSERT_STRING_EQUAL(small, "sk-ant-[redacte"); /* cut to 15, terminated */
}

static const struct cu_test tests[] = {
	{ "secrets redacted", test_secrets_redacted },
	{ "ordinary text kept", test_ordinary_text_kept },
	{ "wif_err and wif_err_prefix apply it", test_err_and_prefix_apply_it },
	{ "bounded", test_bounded },
	{ NULL, NULL },
};

WIF_CU_MAIN("err", tests, NULL, NULL)
