/*
 * secmem.h - memory for secrets (tokens, assertions, keys, client secrets).
 *
 * Owns: allocation that is zeroed, mlock()ed where the system allows (best
 * effort: a failing mlock is not an error), excluded from core dumps
 * (MADV_DONTDUMP where available) and wiped with explicit_bzero on free.
 * The size is kept in a header so wif_secmem_free() needs only the pointer.
 * Must never: log, print, or copy a secret to ordinary memory.
 */
#ifndef WIF_SECMEM_H
#define WIF_SECMEM_H

#include <stddef.h>

/* Zeroed secure memory of n bytes (n may be 0); NULL on failure.
 * Free with wif_secmem_free(). */
void *wif_secmem_alloc(size_t n);
/* Wipe and free; accepts NULL. */
void wif_secmem_free(void *p);
/* Copy of at most n bytes of s plus a NUL, in secure memory. */
char *wif_secmem_strndup(const char *s, size_t n);
char *wif_secmem_strdup(const char *s);
/* explicit_bzero wrapper that the compiler cannot elide. */
void wif_wipe(void *p, size_t n);

#endif
