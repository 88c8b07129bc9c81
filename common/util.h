/*
 * util.h - small libc-only helpers: hex, randomness (getrandom(2)), clocks.
 *
 * Owns: what wifd needs of these without linking libcrypto (the daemon
 * leaves OpenSSL and libcurl to its mint helper, wifd-mint(8)).
 */
#ifndef WIF_UTIL_H
#define WIF_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of in[0..n) into out (2n+1 bytes, NUL-terminated). */
void wif_hex(const uint8_t *in, size_t n, char *out);
/* len bytes from the kernel's CSPRNG; WIF_E_CRYPTO when it cannot give them. */
int wif_random_bytes(void *buf, size_t len);
/* The wall clock and monotonic clock the core uses (time(), CLOCK_MONOTONIC). */
int64_t wif_clock_now(void);
int64_t wif_clock_monotonic_ms(void);
/* 1 in a setuid/setgid process (AT_SECURE, or real and effective ids
 * differ): it must not take paths from its environment. */
int wif_setid(void);
/* Parse 2n lower- or upper-case hex digits into out[0..n); 0 or -1. */
int wif_unhex(const char *in, size_t in_len, uint8_t *out, size_t n);

#endif
