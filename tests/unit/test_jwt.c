/* test_jwt.c - the JWT decoder and the time checks that gate an exchange. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "cutest.h"
#include "err.h"
#include "jwt.h"
#include "secmem.h"

/* header.payload.sig from two JSON texts. */
static char *
make_jwt(const char *hdr, const char *payload)
{
	char *h = NULL, *p = NULL, *out;

	CU_ASSERT_EQUAL_FATAL(wif_base64url_encode(hdr, strlen(hdr), &h), WIF_OK);
	CU_ASSERT_EQUAL_FATAL(wif_base64url_encode(payload, strlen(payload), &p), WIF_OK);
	CU_ASSERT_FATAL(asprintf(&out, "%s.%s.c2lnbmF0dXJl", h, p) > 0);
	wif_secmem_free(h);
	wif_secmem_free(p);
	return out;
}

static int
decode(const char *jwt, struct wif_jwt_claims **c)
{
	return wif_jwt_decode(jwt, strlen(jwt), c);
}

static void
test_decode_claims(void)
{
	char *t = make_jwt("{\"alg\":\"RS256\",\"kid\":\"k1\",\"typ\":\"JWT\"}",
	    "{\"iss\":\"https://issuer.example\",\"sub\":\"system:serviceaccount:ns:sa\","
	    "\"aud\":\"https://api.anthropic.com\",\"iat\":1000,\"exp\":4600,"
	    "\"nbf\":999,\"jti\":\"abc\",\"extra\":{\"x\":1}}");
	struct wif_jwt_claims *c = NULL;

	CU_ASSERT_EQUAL_FATAL(decode(t, &c), WIF_OK);
	CU_ASSERT_STRING_EQUAL(c->alg, "RS256");
	CU_ASSERT_STRING_EQUAL(c->kid, "k1");
	CU_ASSERT_STRING_EQUAL(c->iss, "https://issuer.example");
	CU_ASSERT_STRING_EQUAL(c->sub, "system:serviceaccount:ns:sa");
	CU_ASSERT_EQUAL(c->n_aud, 1);
	CU_ASSERT_STRING_EQUAL(c->aud[0], "https://api.anthropic.com");
	CU_ASSERT_TRUE(c->has_iat && c->iat == 1000);
	CU_ASSERT_TRUE(c->has_exp && c->exp == 4600);
	CU_ASSERT_TRUE(c->has_nbf && c->nbf == 999);
	CU_ASSERT_STRING_EQUAL(c->jti, "abc");
	CU_ASSERT_PTR_NOT_NULL(strstr(c->payload_json, "\"extra\""));
	CU_ASSERT_TRUE(wif_jwt_has_aud(c, "https://api.anthropic.com"));
	CU_ASSERT_FALSE(wif_jwt_has_aud(c, "https://api.anthropic.com/"));
	wif_jwt_claims_free(c);
	free(t);
}

static void
test_aud_array_and_absent_claims(void)
{
	char *t = make_jwt("{\"alg\":\"ES256\"}", "{\"aud\":[\"a\",\"b\"],\"exp\":5.9}");
	struct wif_jwt_claims *c = NULL;

	CU_ASSERT_EQUAL_FATAL(decode(t, &c), WIF_OK);
	CU_ASSERT_EQUAL(c->n_aud, 2);
	CU_ASSERT_TRUE(wif_jwt_has_aud(c, "b"));
	CU_ASSERT_PTR_NULL(c->iss);
	CU_ASSERT_PTR_NULL(c->kid);
	CU_ASSERT_FALSE(c->has_iat);
	CU_ASSERT_TRUE(c->has_exp && c->exp == 5); /* fractional NumericDate */
	wif_jwt_claims_free(c);
	free(t);
}

static void
expect_bad(const char *jwt, int rc, const char *text)
{
	struct wif_jwt_claims *c = NULL;
	int r = decode(jwt, &c);

	CU_ASSERT_EQUAL(r, rc);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), text));
	if (r != rc || strstr(wif_err_detail(), text) == NULL)
		fprintf(stderr, "\n  want %d/%s, got %d/%s\n", rc, text, r, wif_err_detail());
	wif_jwt_claims_free(c);
}

static void
test_malformed(void)
{
	char *t;

	expect_bad("", WIF_E_JWT, "empty");
	expect_bad("abc.def", WIF_E_JWT, "three");
	expect_bad("a.b.c.d.e", WIF_E_JWT, "JWE");
	expect_bad("eyJ.eyJ.sig with space", WIF_E_JWT, "unexpected character");
	expect_bad(".eyJhIjoxfQ.sig", WIF_E_JWT, "header is empty");
	expect_bad("!!!.a.b", WIF_E_JWT, "unexpected character");
	t = make_jwt("{\"alg\":\"RS256\"}", "{}");
	t[strlen(t) - strlen("c2lnbmF0dXJl")] = '\0'; /* drop the signature */
	expect_bad(t, WIF_E_JWT, "unsigned");
	free(t);
	t = make_jwt("[1,2]", "{}");
	expect_bad(t, WIF_E_JWT, "header is not a JSON object");
	free(t);
	t = make_jwt("{\"alg\":\"RS256\"}", "\"just a string\"");
	expect_bad(t, WIF_E_JWT, "payload is not a JSON object");
	free(t);
	t = make_jwt("{\"alg\":\"RS256\"}", "{\"a\":1} trailing");
	expect_bad(t, WIF_E_JWT, "payload is not a JSON object");
	free(t);
	t = make_jwt("{\"alg\":\"none\"}", "{}");
	expect_bad(t, WIF_E_JWT, "\"none\"");
	free(t);
	t = make_jwt("{\"typ\":\"JWT\"}", "{}");
	expect_bad(t, WIF_E_JWT, "alg");
	free(t);
	t = make_jwt("{\"alg\":\"RS256\"}", "{\"exp\":\"tomorrow\"}");
	expect_bad(t, WIF_E_JWT, "\"exp\" is not a number");
	free(t);
	t = make_jwt("{\"alg\":\"RS256\"}", "{\"aud\":[1]}");
	expect_bad(t, WIF_E_JWT, "\"aud\"[0]");
	free(t);
	t = make_jwt("{\"alg\":\"RS256\"}", "{\"sub\":42}");
	expect_bad(t, WIF_E_JWT, "\"sub\" is not a string");
	free(t);
}

static void
test_too_big(void)
{
	char *big = malloc(WIF_JWT_MAX + 2);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'a', WIF_JWT_MAX + 1);
	big[WIF_JWT_MAX + 1] = '\0';
	expect_bad(big, WIF_E_TOO_BIG, "16384");
	free(big);
}

static void
test_no_token_text_in_errors(void)
{
	/* A token whose payload is broken must not be echoed back. */
	const char *t = "eyJhbGciOiJSUzI1NiJ9.bm90anNvbg.SECRETSIGNATURE";

	expect_bad(t, WIF_E_JWT, "payload");
	CU_ASSERT_PTR_NULL(strstr(wif_err_detail(), "SECRETSIGNATURE"));
	CU_ASSERT_PTR_NULL(strstr(wif_err_detail(), "bm90anNvbg"));
}

static void
test_time_checks(void)
{
	struct wif_jwt_claims c;

	memset(&c, 0, sizeof(c));
	CU_ASSERT_EQUAL(wif_jwt_check_time(&c, 1000), WIF_E_JWT); /* no exp */
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "\"exp\""));
	c.has_exp = 1;
	c.exp = 1000;
	CU_ASSERT_EQUAL(wif_jwt_check_time(&c, 900), WIF_OK);
	/* inside the 30 s skew: still accepted */
	CU_ASSERT_EQUAL(wif_jwt_check_time(&c, 1000 + WIF_JWT_SKEW - 1), WIF_OK);
	CU_ASSERT_EQUAL(wif_jwt_check_time(&c, 1000 + WIF_JWT_SKEW), WIF_E_JWT_EXPIRED);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "expired"));
	c.has_nbf = 1;
	c.nbf = 950;
	CU_ASSERT_EQUAL(wif_jwt_check_time(&c, 900), WIF_E_JWT_NOT_YET_VALID);
	CU_ASSERT_EQUAL(wif_jwt_check_time(&c, 921), WIF_OK);
	c.has_nbf = 0;
	c.has_iat = 1;
	c.iat = 960;
	CU_ASSERT_EQUAL(wif_jwt_check_time(&c, 900), WIF_E_JWT_NOT_YET_VALID);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "clock"));
	CU_ASSERT_EQUAL(wif_jwt_check_time(&c, 930), WIF_OK);
}

static const struct cu_test tests[] = {
	{ "decode registered claims", test_decode_claims },
	{ "aud array, absent claims, fractional dates", test_aud_array_and_absent_claims },
	{ "malformed tokens", test_malformed },
	{ "oversized token", test_too_big },
	{ "errors never echo the token", test_no_token_text_in_errors },
	{ "expired / not-yet-valid", test_time_checks },
	{ NULL, NULL },
};

WIF_CU_MAIN("jwt", tests, NULL, NULL)
