/*
 * crypto.c - digests, encodings, randomness, JWS signing (OpenSSL 3); see
 * crypto.h.  Only the OpenSSL 3 interfaces: OPENSSL_NO_DEPRECATED makes a
 * use of anything deprecated a compile error.
 */
#include "config.h"

#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED 1
#endif

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "crypto.h"
#include "err.h"
#include "json.h"
#include "secmem.h"

/* A PEM private key is a few KiB even for RSA-8192. */
#define MAX_KEY_PEM (64 * 1024)
#define MIN_RSA_BITS 2048

int
wif_sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return wif_err(WIF_E_CRYPTO, "SHA-256 failed");
	return WIF_OK;
}

int
wif_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                uint8_t out[32])
{
	static const unsigned char empty[1];
	size_t n = 0;

	/* EVP_MAC refuses a NULL key; HMAC with an empty key is defined. */
	if (key == NULL || key_len == 0) {
		key = empty;
		key_len = 0;
	}
	if (data == NULL)
		data = empty;
	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data,
	    len, out, 32, &n) == NULL || n != 32)
		return wif_err(WIF_E_CRYPTO, "HMAC-SHA256 failed");
	return WIF_OK;
}


static int
b64(const void *data, size_t len, int url, char **out)
{
	static const char std[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char urls[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *t = url ? urls : std;
	const uint8_t *p = data;
	size_t i, o = 0;
	char *s;

	*out = NULL;
	if (len > (SIZE_MAX / 4) * 3 - 4)
		return wif_err(WIF_E_TOO_BIG, "input too large to encode");
	if ((s = wif_secmem_alloc((len + 2) / 3 * 4 + 1)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		s[o++] = t[v >> 18 & 63];
		s[o++] = t[v >> 12 & 63];
		s[o++] = t[v >> 6 & 63];
		s[o++] = t[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);
		s[o++] = t[v >> 18 & 63];
		s[o++] = t[v >> 12 & 63];
		if (i + 1 < len)
			s[o++] = t[v >> 6 & 63];
		else if (!url)
			s[o++] = '=';
		if (!url)
			s[o++] = '=';
	}
	s[o] = '\0';
	*out = s;
	return WIF_OK;
}

int
wif_base64_encode(const void *data, size_t len, char **out)
{
	return b64(data, len, 0, out);
}

int
wif_base64url_encode(const void *data, size_t len, char **out)
{
	return b64(data, len, 1, out);
}

static int
b64url_val(int c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '-') return 62;
	if (c == '_') return 63;
	return -1;
}

/*
 * Strict: only the url alphabet, '=' only as the final padding of a whole
 * quantum, no impossible length, and the unused low bits of the last
 * character zero (so that every input decodes from exactly one encoding).
 */
int
wif_base64url_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	uint8_t *d;
	size_t i, o = 0, pad = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	*out = NULL;
	*out_len = 0;
	if (in == NULL && len > 0)
		return wif_err(WIF_E_INVALID_ARG, "no base64url input");
	while (len > 0 && in[len - 1] == '=' && pad < 3) {
		len--;
		pad++;
	}
	if (pad > 0 && (pad > 2 || (len + pad) % 4 != 0))
		return wif_err(WIF_E_PARSE, "invalid base64url padding");
	if (len % 4 == 1)
		return wif_err(WIF_E_PARSE, "invalid base64url length (%zu "
		    "characters)", len);
	for (i = 0; i < len; i++)
		if (b64url_val((unsigned char)in[i]) < 0)
			return wif_err(WIF_E_PARSE, "invalid base64url character "
			    "at offset %zu", i);
	if ((d = wif_secmem_alloc(len / 4 * 3 + 3)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	for (i = 0; i < len; i++) {
		v = b64url_val((unsigned char)in[i]);
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[o++] = (uint8_t)(acc >> bits);
		}
	}
	if ((acc & ((1u << bits) - 1)) != 0) {
		wif_secmem_free(d);
		return wif_err(WIF_E_PARSE, "invalid base64url (non-zero trailing "
		    "bits)");
	}
	d[o] = '\0';
	*out = d;
	*out_len = o;
	return WIF_OK;
}


struct jws_alg {
	const char *name;
	const char *md;
	int kind;       /* EVP_PKEY_RSA or EVP_PKEY_EC */
	int pss;
	const char *curve; /* the group an EC key must be on */
	size_t ec_size; /* bytes of r and of s */
};

static const struct jws_alg algs[] = {
	{ "RS256", "SHA256", EVP_PKEY_RSA, 0, NULL, 0 },
	{ "RS384", "SHA384", EVP_PKEY_RSA, 0, NULL, 0 },
	{ "RS512", "SHA512", EVP_PKEY_RSA, 0, NULL, 0 },
	{ "PS256", "SHA256", EVP_PKEY_RSA, 1, NULL, 0 },
	{ "ES256", "SHA256", EVP_PKEY_EC, 0, "prime256v1", 32 },
	{ "ES384", "SHA384", EVP_PKEY_EC, 0, "secp384r1", 48 },
};

/* DER ECDSA signature -> JOSE r||s, each left-padded to size bytes. */
static int
ecdsa_der_to_jose(const uint8_t *der, size_t der_len, size_t size,
                  uint8_t *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	const BIGNUM *r, *s;
	int ok;

	if (sig == NULL)
		return -1;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, out, (int)size) == (int)size &&
	    BN_bn2binpad(s, out + size, (int)size) == (int)size;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}

static int
sign(const struct jws_alg *a, EVP_PKEY *key, const char *input, uint8_t **sig,
     size_t *sig_len)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	int r = WIF_E_CRYPTO;

	*sig = NULL;
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, &pctx, a->md, NULL, NULL, key, NULL) != 1)
		goto out;
	if (a->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	if (EVP_DigestSign(ctx, NULL, &der_len, (const uint8_t *)input, strlen(input)) != 1 ||
	    (der = wif_secmem_alloc(der_len)) == NULL ||
	    EVP_DigestSign(ctx, der, &der_len, (const uint8_t *)input, strlen(input)) != 1)
		goto out;
	if (a->kind == EVP_PKEY_EC) {
		uint8_t *jose = wif_secmem_alloc(2 * a->ec_size);
		if (jose == NULL || ecdsa_der_to_jose(der, der_len, a->ec_size, jose) != 0) {
			wif_secmem_free(jose);
			goto out;
		}
		*sig = jose;
		*sig_len = 2 * a->ec_size;
	} else {
		*sig = der;
		*sig_len = der_len;
		der = NULL;
	}
	r = WIF_OK;
out:
	wif_secmem_free(der);
	EVP_MD_CTX_free(ctx);
	return r;
}

/* Never prompt on a terminal for the passphrase of an encrypted key. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int
load_key(const struct jws_alg *a, const char *pem, size_t pem_len,
         EVP_PKEY **out)
{
	EVP_PKEY *key = NULL;
	BIO *bio = NULL;
	char group[64] = "";
	size_t glen = 0;
	int r = WIF_E_CRYPTO, base, ok;

	*out = NULL;
	if (pem == NULL || pem_len == 0)
		return wif_err(WIF_E_INVALID_ARG, "no private key given");
	if (pem_len > MAX_KEY_PEM)
		return wif_err(WIF_E_TOO_BIG, "the private key is %zu bytes, more "
		    "than the %d a PEM key can be", pem_len, MAX_KEY_PEM);
	if ((bio = BIO_new_mem_buf(pem, (int)pem_len)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if ((key = PEM_read_bio_PrivateKey_ex(bio, NULL, no_passphrase, NULL,
	    NULL, NULL)) == NULL) {
		r = wif_err(WIF_E_CRYPTO, "the private key is not an unencrypted "
		    "PEM private key (PKCS#8 or traditional RSA/EC)");
		goto out;
	}
	base = EVP_PKEY_get_base_id(key);
	if (a->kind == EVP_PKEY_RSA)
		ok = (base == EVP_PKEY_RSA || (a->pss && base == EVP_PKEY_RSA_PSS)) &&
		    EVP_PKEY_get_bits(key) >= MIN_RSA_BITS;
	else
		ok = base == EVP_PKEY_EC &&
		    EVP_PKEY_get_group_name(key, group, sizeof(group), &glen) == 1 &&
		    strcasecmp(group, a->curve) == 0;
	if (!ok) {
		r = wif_err(WIF_E_CRYPTO, "the private key does not fit %s: it is "
		    "a %s key of %d bits%s%s; %s needs %s", a->name,
		    EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) :
		    "unknown", EVP_PKEY_get_bits(key), group[0] ? " on " : "",
		    group, a->name, a->kind == EVP_PKEY_EC ? (a->ec_size == 32 ?
		    "an EC key on P-256" : "an EC key on P-384") :
		    "an RSA key of at least 2048 bits");
		goto out;
	}
	*out = key;
	key = NULL; /* transferred */
	r = WIF_OK;
out:
	EVP_PKEY_free(key);
	BIO_free(bio);
	return r;
}

/* The protected header; json-c escapes kid. */
static int
jws_header(const struct jws_alg *a, const char *kid, char **out)
{
	json_object *hdr = NULL;
	const char *text;
	int r;

	*out = NULL;
	if ((hdr = json_object_new_object()) == NULL ||
	    json_object_object_add(hdr, "alg", json_object_new_string(a->name)) != 0 ||
	    json_object_object_add(hdr, "typ", json_object_new_string("JWT")) != 0 ||
	    (kid != NULL && json_object_object_add(hdr, "kid",
	    json_object_new_string(kid)) != 0) ||
	    (text = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	r = wif_base64url_encode(text, strlen(text), out);
out:
	json_object_put(hdr);
	return r;
}

int
wif_jws_sign(const char *alg, const char *key_pem, size_t key_pem_len,
             const char *kid, const char *payload_json, char **out)
{
	const struct jws_alg *a = NULL;
	EVP_PKEY *key = NULL;
	char *h64 = NULL, *p64 = NULL, *s64 = NULL, *input = NULL, *jws = NULL;
	uint8_t *sig = NULL;
	size_t i, sig_len = 0, n;
	int r;

	*out = NULL;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (alg != NULL && strcmp(alg, algs[i].name) == 0)
			a = &algs[i];
	if (a == NULL)
		return wif_err(WIF_E_UNSUPPORTED, "JWS algorithm \"%.32s\" is not "
		    "supported (RS256, RS384, RS512, PS256, ES256, ES384)",
		    alg ? alg : "");
	if (payload_json == NULL)
		return wif_err(WIF_E_INVALID_ARG, "no JWS payload");
	if (strnlen(payload_json, WIF_JSON_MAX_INPUT + 1) > WIF_JSON_MAX_INPUT)
		return wif_err(WIF_E_TOO_BIG, "the JWS payload is larger than %d "
		    "bytes", WIF_JSON_MAX_INPUT);
	if (kid != NULL && strnlen(kid, 1025) > 1024)
		return wif_err(WIF_E_TOO_BIG, "the JWS kid is longer than 1024 "
		    "bytes");
	if ((r = load_key(a, key_pem, key_pem_len, &key)) != WIF_OK)
		goto out;
	if ((r = jws_header(a, kid, &h64)) != WIF_OK ||
	    (r = wif_base64url_encode(payload_json, strlen(payload_json), &p64)) != WIF_OK)
		goto out;
	n = strlen(h64) + strlen(p64) + 2;
	if ((input = wif_secmem_alloc(n)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(input, n, "%s.%s", h64, p64);
	if ((r = sign(a, key, input, &sig, &sig_len)) != WIF_OK) {
		r = wif_err(WIF_E_CRYPTO, "%s signing failed", a->name);
		goto out;
	}
	if ((r = wif_base64url_encode(sig, sig_len, &s64)) != WIF_OK)
		goto out;
	n = strlen(input) + strlen(s64) + 2;
	if ((jws = wif_secmem_alloc(n)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(jws, n, "%s.%s", input, s64);
	*out = jws;
	r = WIF_OK;
out:
	EVP_PKEY_free(key);
	wif_secmem_free(h64);
	wif_secmem_free(p64);
	wif_secmem_free(s64);
	wif_secmem_free(input);
	wif_secmem_free(sig);
	return r;
}

void
wif_log_fingerprint(const void *secret, size_t len, char *buf, size_t buflen)
{
	uint8_t d[32];
	char hex[65];

	if (wif_sha256(secret, len, d) != 0) {
		snprintf(buf, buflen, "sha256:?");
		return;
	}
	wif_hex(d, sizeof(d), hex);
	snprintf(buf, buflen, "sha256:%.12s", hex);
}
