/*
 * crypto.h - digests, encodings, randomness and JWS signing (OpenSSL 3).
 *
 * Owns: every use of libcrypto in the core.  Outputs that may carry secrets
 * (encodings, signatures) are allocated in secure memory (secmem.h) and are
 * freed with wif_secmem_free().  Errors return a wif_rc and set wif_err().
 * Must never log key material or the data it signs.
 */
#ifndef WIF_CRYPTO_H
#define WIF_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"   /* wif_hex, wif_random_bytes */

int wif_sha256(const void *data, size_t len, uint8_t out[32]);
/* "sha256:" + 12 hex chars of SHA-256(secret) into buf (>= 20 bytes): how
 * logs name a secret. */
void wif_log_fingerprint(const void *secret, size_t len, char *buf, size_t buflen);
int wif_hmac_sha256(const void *key, size_t key_len, const void *data,
                    size_t len, uint8_t out[32]);

/* Standard base64 with padding; *out in secure memory. */
int wif_base64_encode(const void *data, size_t len, char **out);
/* base64url without padding; *out in secure memory. */
int wif_base64url_encode(const void *data, size_t len, char **out);
/* base64url with or without padding (rejects other characters);
 * *out in secure memory, NUL-terminated, *out_len excludes the NUL. */
int wif_base64url_decode(const char *in, size_t len, uint8_t **out,
                         size_t *out_len);

/* Compact JWS over payload_json with header
 * {"alg":alg,"typ":"JWT"[,"kid":kid]}.  alg: RS256 RS384 RS512 PS256 ES256
 * ES384.  The key type must fit alg (WIF_E_CRYPTO otherwise).  ECDSA
 * signatures are converted from DER to the JOSE r||s form.
 * *out in secure memory. */
int wif_jws_sign(const char *alg, const char *key_pem, size_t key_pem_len,
                 const char *kid, const char *payload_json, char **out);

#endif
