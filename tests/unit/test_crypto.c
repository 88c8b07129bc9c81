/*
 * test_crypto.c - digests and HMAC against published vectors (FIPS 180-2,
 * RFC 4231), base64/base64url against RFC 4648 plus round trips and the
 * inputs a strict decoder must refuse, and JWS signing: every algorithm
 * with keys made here, checked with OpenSSL and with an independent JOSE
 * library (PyJWT through /usr/bin/python3, apt package python3-jwt), a
 * tampered token refused by both, and every key/alg mismatch refused.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crypto.h"
#include "cutest.h"
#include "err.h"
#include "secmem.h"

#define PYTHON "/usr/bin/python3"
#define PAYLOAD "{\"sub\":\"wif-test\",\"iss\":\"https://issuer.example\"," \
	"\"aud\":\"https://api.anthropic.com\",\"iat\":1700000000," \
	"\"exp\":4102444800,\"jti\":\"caf\xc3\xa9/1\"}"

static EVP_PKEY *rsa, *ec256, *ec384;
static char dir[PATH_MAX];

/* ---- digests ----------------------------------------------------------- */

static int
hex_is(const uint8_t *d, size_t n, const char *want)
{
	char h[129];

	wif_hex(d, n, h);
	if (strcmp(h, want) != 0) {
		fprintf(stderr, "\n  got  %s\n  want %s\n", h, want);
		return 0;
	}
	return 1;
}

static void
test_sha256_vectors(void)
{
	uint8_t d[32];
	char *a;

	CU_ASSERT(wif_sha256("", 0, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	CU_ASSERT(wif_sha256("abc", 3, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	CU_ASSERT(wif_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    56, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	a = malloc(1000000);
	CU_ASSERT_FATAL(a != NULL);
	memset(a, 'a', 1000000);
	CU_ASSERT(wif_sha256(a, 1000000, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
	free(a);
}

static void
test_hmac_rfc4231(void)
{
	uint8_t k[131], data[160], d[32];
	size_t i;

	memset(k, 0x0b, 20);
	CU_ASSERT(wif_hmac_sha256(k, 20, "Hi There", 8, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
	CU_ASSERT(wif_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
	memset(k, 0xaa, 20);
	memset(data, 0xdd, 50);
	CU_ASSERT(wif_hmac_sha256(k, 20, data, 50, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
	for (i = 0; i < 25; i++)
		k[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	CU_ASSERT(wif_hmac_sha256(k, 25, data, 50, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"));
	/* Keys longer than the block are hashed first (tests 6 and 7). */
	memset(k, 0xaa, 131);
	CU_ASSERT(wif_hmac_sha256(k, 131, "Test Using Larger Than Block-Size Key - "
	    "Hash Key First", 54, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
	CU_ASSERT(wif_hmac_sha256(k, 131, "This is a test using a larger than "
	    "block-size key and a larger than block-size data. The key needs to "
	    "be hashed before being used by the HMAC algorithm.", 152, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"));
	/* An empty key is legal HMAC. */
	CU_ASSERT(wif_hmac_sha256(NULL, 0, "", 0, d) == WIF_OK);
	CU_ASSERT(hex_is(d, 32, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"));
}

static void
test_hex_and_random(void)
{
	uint8_t in[3] = { 0x00, 0xab, 0xff }, a[32], b[32];
	char h[7];

	wif_hex(in, 3, h);
	CU_ASSERT_STRING_EQUAL(h, "00abff");
	wif_hex(in, 0, h);
	CU_ASSERT_STRING_EQUAL(h, "");
	CU_ASSERT(wif_random_bytes(a, sizeof(a)) == WIF_OK);
	CU_ASSERT(wif_random_bytes(b, sizeof(b)) == WIF_OK);
	CU_ASSERT(memcmp(a, b, sizeof(a)) != 0);
	CU_ASSERT(wif_random_bytes(a, 0) == WIF_OK);
}

/* ---- base64 ------------------------------------------------------------ */

static void
test_base64_rfc4648(void)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
	    "Zm9vYmE=", "Zm9vYmFy" };
	static const char *const url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg",
	    "Zm9vYmE", "Zm9vYmFy" };
	static const uint8_t hi[] = { 0xfb, 0xff, 0xbf };
	size_t i;
	char *s;

	for (i = 0; i < 7; i++) {
		CU_ASSERT_FATAL(wif_base64_encode(in[i], strlen(in[i]), &s) == WIF_OK);
		CU_ASSERT_STRING_EQUAL(s, std[i]);
		wif_secmem_free(s);
		CU_ASSERT_FATAL(wif_base64url_encode(in[i], strlen(in[i]), &s) == WIF_OK);
		CU_ASSERT_STRING_EQUAL(s, url[i]);
		wif_secmem_free(s);
	}
	/* The two alphabets differ exactly at 62 and 63. */
	CU_ASSERT_FATAL(wif_base64_encode(hi, 3, &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "+/+/");
	wif_secmem_free(s);
	CU_ASSERT_FATAL(wif_base64url_encode(hi, 3, &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "-_-_");
	wif_secmem_free(s);
	CU_ASSERT_FATAL(wif_base64url_encode(hi, 2, &s) == WIF_OK);
	CU_ASSERT_STRING_EQUAL(s, "-_8");
	wif_secmem_free(s);
}

static int
decodes_to(const char *in, const char *want, size_t want_len)
{
	uint8_t *out = NULL;
	size_t n = 99;
	int ok;

	if (wif_base64url_decode(in, strlen(in), &out, &n) != WIF_OK)
		return 0;
	ok = n == want_len && memcmp(out, want, n) == 0 && out[n] == '\0';
	wif_secmem_free(out);
	return ok;
}

static int
refused(const char *in, size_t len)
{
	uint8_t *out = (uint8_t *)1;
	size_t n = 99;
	int r = wif_base64url_decode(in, len, &out, &n);

	return r == WIF_E_PARSE && out == NULL && n == 0 &&
	    wif_err_detail()[0] != '\0';
}

static void
test_base64url_decode(void)
{
	CU_ASSERT(decodes_to("", "", 0));
	CU_ASSERT(decodes_to("Zg", "f", 1));
	CU_ASSERT(decodes_to("Zg==", "f", 1));
	CU_ASSERT(decodes_to("Zm8", "fo", 2));
	CU_ASSERT(decodes_to("Zm8=", "fo", 2));
	CU_ASSERT(decodes_to("Zm9vYmFy", "foobar", 6));
	CU_ASSERT(decodes_to("-_-_", "\xfb\xff\xbf", 3));
	CU_ASSERT(decodes_to("AAA", "\0\0", 2));

	CU_ASSERT(refused("Z", 1));             /* a lone character */
	CU_ASSERT(refused("Zm9vY", 5));         /* 4n+1 characters */
	CU_ASSERT(refused("Zg=", 3));           /* incomplete padding */
	CU_ASSERT(refused("Zg===", 5));         /* too much padding */
	CU_ASSERT(refused("Zm8==", 5));
	CU_ASSERT(refused("=", 1));
	CU_ASSERT(refused("====", 4));
	CU_ASSERT(refused("Zg==Zg==", 8));      /* padding inside */
	CU_ASSERT(refused("Zm9v+w", 6));        /* standard alphabet */
	CU_ASSERT(refused("Zm9v/w", 6));
	CU_ASSERT(refused("Zm 9v", 5));         /* whitespace */
	CU_ASSERT(refused("Zm9v\n", 5));
	CU_ASSERT(refused("Zm\0v", 4));         /* NUL inside the length */
	CU_ASSERT(refused("Zm9v\xc3\xa9", 6));  /* non-ASCII */
	CU_ASSERT(refused("Zh", 2));            /* non-zero trailing bits */
	CU_ASSERT(refused("Zm9", 3));
	/* The length is what counts, not a NUL. */
	CU_ASSERT(decodes_to("Zm9vYmFy", "foobar", 6));
}

static void
test_base64url_round_trip(void)
{
	uint8_t data[300], *back;
	size_t len, n;
	char *s;

	CU_ASSERT_FATAL(wif_random_bytes(data, sizeof(data)) == WIF_OK);
	for (len = 0; len <= sizeof(data); len++) {
		CU_ASSERT_FATAL(wif_base64url_encode(data, len, &s) == WIF_OK);
		CU_ASSERT(strlen(s) == (len * 4 + 2) / 3);
		CU_ASSERT(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-_") == strlen(s));
		CU_ASSERT_FATAL(wif_base64url_decode(s, strlen(s), &back, &n) == WIF_OK);
		CU_ASSERT(n == len && memcmp(back, data, len) == 0);
		wif_secmem_free(back);
		wif_secmem_free(s);
		/* Standard base64 is padded to whole quanta. */
		CU_ASSERT_FATAL(wif_base64_encode(data, len, &s) == WIF_OK);
		CU_ASSERT(strlen(s) == (len + 2) / 3 * 4);
		wif_secmem_free(s);
	}
}

/* ---- JWS --------------------------------------------------------------- */

static char *
pem_of(EVP_PKEY *k, int traditional, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;
	int ok;

	CU_ASSERT_FATAL(b != NULL);
	ok = traditional ? PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL,
	    0, NULL, NULL) : PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	CU_ASSERT_FATAL(ok == 1);
	n = BIO_get_mem_data(b, &p);
	out = wif_secmem_strndup(p, (size_t)n);
	*len = (size_t)n;
	BIO_free(b);
	return out;
}

static int
write_file(const char *name, const char *data, char *path, size_t pathlen)
{
	FILE *f;

	snprintf(path, pathlen, "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(data, f);
	return fclose(f);
}

static void
write_pubkey(EVP_PKEY *k, const char *name, char *path, size_t pathlen)
{
	FILE *f;

	snprintf(path, pathlen, "%s/%s", dir, name);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FATAL(PEM_write_PUBKEY(f, k) == 1);
	CU_ASSERT_FATAL(fclose(f) == 0);
}

static uint8_t *
seg_decode(const char *seg, size_t len, size_t *n)
{
	uint8_t *out = NULL;

	if (wif_base64url_decode(seg, len, &out, n) != WIF_OK)
		return NULL;
	return out;
}

/* Verify a compact JWS with OpenSSL alone; also returns the header. */
static int
openssl_verify(const char *jws, EVP_PKEY *pub, const char *alg,
               char *hdr, size_t hdrlen)
{
	const char *d1 = strchr(jws, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	const char *md = strstr(alg, "384") ? "SHA384" : strstr(alg, "512") ?
	    "SHA512" : "SHA256";
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	uint8_t *sig = NULL, *h = NULL, *der = NULL;
	size_t sig_len = 0, h_len = 0;
	int ok = 0, der_len;

	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') != NULL)
		return 0;
	if ((h = seg_decode(jws, (size_t)(d1 - jws), &h_len)) == NULL)
		goto out;
	snprintf(hdr, hdrlen, "%s", (char *)h);
	if ((sig = seg_decode(d2 + 1, strlen(d2 + 1), &sig_len)) == NULL)
		goto out;
	if (alg[0] == 'E') {
		size_t half = strcmp(alg, "ES256") == 0 ? 32 : 48;

		/* JOSE wants r||s of fixed size, not DER. */
		if (sig_len != 2 * half || (es = ECDSA_SIG_new()) == NULL)
			goto out;
		r = BN_bin2bn(sig, (int)half, NULL);
		s = BN_bin2bn(sig + half, (int)half, NULL);
		if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
			goto out;
		r = s = NULL;
		if ((der_len = i2d_ECDSA_SIG(es, &der)) <= 0)
			goto out;
		wif_secmem_free(sig);
		if ((sig = wif_secmem_alloc((size_t)der_len)) == NULL)
			goto out;
		memcpy(sig, der, (size_t)der_len);
		sig_len = (size_t)der_len;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pub, NULL) != 1)
		goto out;
	/* PS256: PSS with a salt exactly as long as the digest. */
	if (alg[0] == 'P' && (EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1))
		goto out;
	ok = EVP_DigestVerify(ctx, sig, sig_len, (const uint8_t *)jws,
	    (size_t)(d2 - jws)) == 1;
out:
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(s);
	OPENSSL_free(der);
	wif_secmem_free(sig);
	wif_secmem_free(h);
	return ok;
}

/* PyJWT's verdict: exit status of python (0 = verified, header and claims
 * as expected). */
static int
pyjwt_verify(const char *pub_path, const char *tok_path, const char *alg,
             const char *kid)
{
	static const char prog[] =
	    "import jwt, sys\n"
	    "pub, tok, alg, kid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]\n"
	    "t = open(tok).read().strip()\n"
	    "h = jwt.get_unverified_header(t)\n"
	    "assert h['alg'] == alg and h['typ'] == 'JWT', h\n"
	    "assert h.get('kid') == (kid if kid != '-' else None), h\n"
	    "c = jwt.decode(t, open(pub).read(), algorithms=[alg],\n"
	    "               audience='https://api.anthropic.com')\n"
	    "assert c['sub'] == 'wif-test' and c['jti'] == 'caf\\u00e9/1', c\n";
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0 && getenv("WIF_TEST_VERBOSE") == NULL)
			dup2(fd, 2);
		execl(PYTHON, PYTHON, "-c", prog, pub_path, tok_path, alg,
		    kid ? kid : "-", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int
pyjwt_available(void)
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return 0;
	if (pid == 0) {
		execl(PYTHON, PYTHON, "-c", "import jwt, cryptography", (char *)NULL);
		_exit(127);
	}
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

/* The token with its payload segment replaced (signature kept). */
static char *
tampered(const char *jws)
{
	const char *d1 = strchr(jws, '.'), *d2 = strrchr(jws, '.');
	const char *evil = "{\"sub\":\"wif-evil\",\"aud\":\"https://api.anthropic.com\"}";
	char *p64 = NULL, *out;
	size_t n;

	CU_ASSERT_FATAL(wif_base64url_encode(evil, strlen(evil), &p64) == WIF_OK);
	n = strlen(jws) + strlen(p64) + 1;
	out = wif_secmem_alloc(n);
	CU_ASSERT_FATAL(out != NULL);
	snprintf(out, n, "%.*s.%s%s", (int)(d1 - jws), jws, p64, d2);
	wif_secmem_free(p64);
	return out;
}

static void
sign_and_verify(EVP_PKEY *key, int traditional, const char *alg,
                const char *kid, const char *want_hdr)
{
	char hdr[512], pub[PATH_MAX + 32], tok[PATH_MAX + 32], name[64];
	char *pem, *jws = NULL, *bad;
	const char *d1, *d2;
	uint8_t *payload;
	size_t pem_len, n;

	pem = pem_of(key, traditional, &pem_len);
	CU_ASSERT_FATAL(pem != NULL);
	CU_ASSERT_FATAL(wif_jws_sign(alg, pem, pem_len, kid, PAYLOAD, &jws) == WIF_OK);
	CU_ASSERT_FATAL(jws != NULL);
	wif_secmem_free(pem);

	/* Three base64url segments, the header exactly as promised, the
	 * payload byte for byte. */
	d1 = strchr(jws, '.');
	d2 = strrchr(jws, '.');
	CU_ASSERT_FATAL(d1 != NULL && d2 != NULL && d1 < d2);
	CU_ASSERT(strspn(jws, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_.") == strlen(jws));
	CU_ASSERT(openssl_verify(jws, key, alg, hdr, sizeof(hdr)));
	CU_ASSERT_STRING_EQUAL(hdr, want_hdr);
	payload = seg_decode(d1 + 1, (size_t)(d2 - d1 - 1), &n);
	CU_ASSERT_FATAL(payload != NULL);
	CU_ASSERT(n == strlen(PAYLOAD) && memcmp(payload, PAYLOAD, n) == 0);
	wif_secmem_free(payload);

	bad = tampered(jws);
	CU_ASSERT(!openssl_verify(bad, key, alg, hdr, sizeof(hdr)));

	/* An independent JOSE implementation agrees. */
	snprintf(name, sizeof(name), "%s-%d.pub", alg, traditional);
	write_pubkey(key, name, pub, sizeof(pub));
	snprintf(name, sizeof(name), "%s-%d.jws", alg, traditional);
	CU_ASSERT_FATAL(write_file(name, jws, tok, sizeof(tok)) == 0);
	CU_ASSERT(pyjwt_verify(pub, tok, alg, kid) == 0);
	snprintf(name, sizeof(name), "%s-%d.bad", alg, traditional);
	CU_ASSERT_FATAL(write_file(name, bad, tok, sizeof(tok)) == 0);
	CU_ASSERT(pyjwt_verify(pub, tok, alg, kid) == 1);
	wif_secmem_free(bad);
	wif_secmem_free(jws);
}

static void
test_jws_rsa(void)
{
	CU_ASSERT_FATAL(pyjwt_available());
	sign_and_verify(rsa, 0, "RS256", "k1",
	    "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}");
	sign_and_verify(rsa, 1, "RS384", NULL, "{\"alg\":\"RS384\",\"typ\":\"JWT\"}");
	sign_and_verify(rsa, 0, "RS512", "2024-01",
	    "{\"alg\":\"RS512\",\"typ\":\"JWT\",\"kid\":\"2024-01\"}");
	sign_and_verify(rsa, 1, "PS256", "pss",
	    "{\"alg\":\"PS256\",\"typ\":\"JWT\",\"kid\":\"pss\"}");
}

static void
test_jws_ec(void)
{
	CU_ASSERT_FATAL(pyjwt_available());
	/* kid is escaped by json-c; '/' stays as is. */
	sign_and_verify(ec256, 0, "ES256", "a\"b\\c/d",
	    "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"a\\\"b\\\\c/d\"}");
	sign_and_verify(ec256, 1, "ES256", NULL, "{\"alg\":\"ES256\",\"typ\":\"JWT\"}");
	sign_and_verify(ec384, 0, "ES384", "p384",
	    "{\"alg\":\"ES384\",\"typ\":\"JWT\",\"kid\":\"p384\"}");
}

/* ECDSA signatures are random and r or s is sometimes short: the fixed-size
 * padding must hold for every one. */
static void
test_jws_ec_many(void)
{
	char hdr[256], *pem, *jws;
	size_t len;
	int i, ok = 1;

	pem = pem_of(ec256, 0, &len);
	for (i = 0; i < 300; i++) {
		jws = NULL;
		if (wif_jws_sign("ES256", pem, len, NULL, "{}", &jws) != WIF_OK ||
		    !openssl_verify(jws, ec256, "ES256", hdr, sizeof(hdr)))
			ok = 0;
		wif_secmem_free(jws);
	}
	CU_ASSERT(ok);
	wif_secmem_free(pem);
}

static void
test_jws_rsa_pss_key(void)
{
	EVP_PKEY_CTX *g = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *k = NULL;
	char hdr[256], *pem, *jws = NULL;
	size_t len;

	CU_ASSERT_FATAL(g != NULL && EVP_PKEY_keygen_init(g) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(g, 2048) == 1 &&
	    EVP_PKEY_generate(g, &k) == 1 && k != NULL);
	EVP_PKEY_CTX_free(g);
	pem = pem_of(k, 0, &len);
	CU_ASSERT(wif_jws_sign("PS256", pem, len, NULL, PAYLOAD, &jws) == WIF_OK);
	CU_ASSERT(jws != NULL && openssl_verify(jws, k, "PS256", hdr, sizeof(hdr)));
	wif_secmem_free(jws);
	jws = NULL;
	/* An RSA-PSS key cannot make PKCS#1 v1.5 signatures. */
	CU_ASSERT(wif_jws_sign("RS256", pem, len, NULL, PAYLOAD, &jws) == WIF_E_CRYPTO);
	CU_ASSERT(jws == NULL);
	wif_secmem_free(pem);
	EVP_PKEY_free(k);
}

static void
expect_refused(EVP_PKEY *k, const char *alg, int want)
{
	char *pem, *jws = (char *)1;
	size_t len;

	pem = pem_of(k, 0, &len);
	CU_ASSERT(wif_jws_sign(alg, pem, len, "kid", PAYLOAD, &jws) == want);
	CU_ASSERT(jws == NULL);
	/* The detail says what is wrong, never the key. */
	CU_ASSERT(wif_err_detail()[0] != '\0');
	CU_ASSERT(strstr(wif_err_detail(), "BEGIN") == NULL);
	CU_ASSERT(strstr(wif_err_detail(), pem + 40) == NULL);
	wif_secmem_free(pem);
}

static void
test_jws_key_mismatch(void)
{
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	CU_ASSERT_FATAL(k1 != NULL && small != NULL && ed != NULL);
	expect_refused(ec256, "RS256", WIF_E_CRYPTO);
	expect_refused(ec256, "PS256", WIF_E_CRYPTO);
	expect_refused(rsa, "ES256", WIF_E_CRYPTO);
	expect_refused(ec384, "ES256", WIF_E_CRYPTO);
	expect_refused(ec256, "ES384", WIF_E_CRYPTO);
	expect_refused(k1, "ES256", WIF_E_CRYPTO);  /* 256 bits, wrong curve */
	expect_refused(small, "RS256", WIF_E_CRYPTO);
	expect_refused(ed, "RS256", WIF_E_CRYPTO);
	expect_refused(ed, "ES256", WIF_E_CRYPTO);
	CU_ASSERT(strstr(wif_err_detail(), "ES256") != NULL);
	expect_refused(rsa, "HS256", WIF_E_UNSUPPORTED);
	expect_refused(rsa, "none", WIF_E_UNSUPPORTED);
	expect_refused(rsa, "rs256", WIF_E_UNSUPPORTED);
	expect_refused(rsa, "", WIF_E_UNSUPPORTED);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(small);
	EVP_PKEY_free(ed);
}

static void
test_jws_bad_keys(void)
{
	static const char junk[] = "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n";
	BIO *b = BIO_new(BIO_s_mem());
	char *jws = NULL, *p;
	long n;

	CU_ASSERT(wif_jws_sign("RS256", junk, strlen(junk), NULL, "{}", &jws) == WIF_E_CRYPTO);
	CU_ASSERT(wif_jws_sign("RS256", "", 0, NULL, "{}", &jws) == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_jws_sign("RS256", NULL, 0, NULL, "{}", &jws) == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_jws_sign(NULL, junk, strlen(junk), NULL, "{}", &jws) == WIF_E_UNSUPPORTED);
	CU_ASSERT(jws == NULL);

	/* An encrypted key fails at once: no passphrase prompt on a tty. */
	CU_ASSERT_FATAL(b != NULL);
	CU_ASSERT_FATAL(PEM_write_bio_PrivateKey(b, rsa, EVP_aes_256_cbc(),
	    (const unsigned char *)"pw", 2, NULL, NULL) == 1);
	n = BIO_get_mem_data(b, &p);
	CU_ASSERT(wif_jws_sign("RS256", p, (size_t)n, NULL, "{}", &jws) == WIF_E_CRYPTO);
	CU_ASSERT(strstr(wif_err_detail(), "unencrypted") != NULL);
	CU_ASSERT(jws == NULL);
	BIO_free(b);

	/* A public key is not a private key. */
	b = BIO_new(BIO_s_mem());
	CU_ASSERT_FATAL(b != NULL && PEM_write_bio_PUBKEY(b, rsa) == 1);
	n = BIO_get_mem_data(b, &p);
	CU_ASSERT(wif_jws_sign("RS256", p, (size_t)n, NULL, "{}", &jws) == WIF_E_CRYPTO);
	CU_ASSERT(jws == NULL);
	BIO_free(b);
}

static void
test_jws_limits(void)
{
	char *pem, *big, *jws = NULL;
	size_t len;

	pem = pem_of(ec256, 0, &len);
	CU_ASSERT(wif_jws_sign("ES256", pem, len, NULL, NULL, &jws) == WIF_E_INVALID_ARG);
	CU_ASSERT(wif_jws_sign("ES256", pem, 70000, NULL, "{}", &jws) == WIF_E_TOO_BIG);
	big = malloc(1025 * 1024 + 1);
	CU_ASSERT_FATAL(big != NULL);
	memset(big, 'x', 1025 * 1024);
	big[1025 * 1024] = '\0';
	CU_ASSERT(wif_jws_sign("ES256", pem, len, NULL, big, &jws) == WIF_E_TOO_BIG);
	big[2000] = '\0';
	CU_ASSERT(wif_jws_sign("ES256", pem, len, big, "{}", &jws) == WIF_E_TOO_BIG);
	CU_ASSERT(jws == NULL);
	free(big);
	wif_secmem_free(pem);
}

/* ---- fixtures ---------------------------------------------------------- */

static int
suite_init(void)
{
	char cwd[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/test_crypto.XXXXXX", cwd);
	if (mkdtemp(dir) == NULL)
		return -1;
	rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ec384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	return rsa && ec256 && ec384 ? 0 : -1;
}

static int
suite_cleanup(void)
{
	char cmd[PATH_MAX + 16];
	pid_t pid;
	int st;

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec256);
	EVP_PKEY_free(ec384);
	snprintf(cmd, sizeof(cmd), "%s", dir);
	if ((pid = fork()) == 0) {
		execl("/bin/rm", "rm", "-rf", "--", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &st, 0);
	return 0;
}

static const struct cu_test tests[] = {
	{ "SHA-256 FIPS 180-2 vectors", test_sha256_vectors },
	{ "HMAC-SHA256 RFC 4231 vectors", test_hmac_rfc4231 },
	{ "hex and random bytes", test_hex_and_random },
	{ "base64/base64url RFC 4648 vectors", test_base64_rfc4648 },
	{ "base64url decode: accepted and refused inputs", test_base64url_decode },
	{ "base64url round trips, lengths 0..300", test_base64url_round_trip },
	{ "JWS RS256/RS384/RS512/PS256: OpenSSL and PyJWT verify", test_jws_rsa },
	{ "JWS ES256/ES384: OpenSSL and PyJWT verify", test_jws_ec },
	{ "JWS ES256: 300 signatures all fixed-size r||s", test_jws_ec_many },
	{ "JWS PS256 with an RSA-PSS key", test_jws_rsa_pss_key },
	{ "JWS: key type/curve/size must fit alg", test_jws_key_mismatch },
	{ "JWS: junk, encrypted and public keys refused", test_jws_bad_keys },
	{ "JWS: size limits", test_jws_limits },
	{ NULL, NULL }
};

WIF_CU_MAIN("crypto", tests, suite_init, suite_cleanup)
