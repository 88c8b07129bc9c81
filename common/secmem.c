/*
 * secmem.c - memory for secrets; see secmem.h.
 *
 * A 16-byte header in front of each block records its size so that free
 * needs only the pointer.  Blocks are mlock()ed best effort (RLIMIT_MEMLOCK
 * is small for unprivileged users; a failure is not an error - the point is
 * to keep tokens out of swap where we can) and wiped with explicit_bzero on
 * free.  We use plain malloc rather than page-aligned mmap arenas: tokens
 * are small and short-lived, and MADV_DONTDUMP needs whole pages; the
 * daemon disables core dumps for the whole process instead (prctl).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "secmem.h"

#define HDR 16

void
wif_wipe(void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
#ifdef HAVE_EXPLICIT_BZERO
	explicit_bzero(p, n);
#else
	{
		volatile unsigned char *v = p;
		while (n--)
			*v++ = 0;
	}
#endif
}

void *
wif_secmem_alloc(size_t n)
{
	unsigned char *b;

	if (n > SIZE_MAX - HDR)
		return NULL;
	if ((b = calloc(1, n + HDR)) == NULL)
		return NULL;
	memcpy(b, &n, sizeof(n));
	(void)mlock(b, n + HDR);
	return b + HDR;
}

void
wif_secmem_free(void *p)
{
	unsigned char *b;
	size_t n;

	if (p == NULL)
		return;
	b = (unsigned char *)p - HDR;
	memcpy(&n, b, sizeof(n));
	wif_wipe(b, n + HDR);
	(void)munlock(b, n + HDR);
	free(b);
}

char *
wif_secmem_strndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *d = wif_secmem_alloc(len + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *
wif_secmem_strdup(const char *s)
{
	return wif_secmem_strndup(s, strlen(s));
}
