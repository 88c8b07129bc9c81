/*
 * secmem.c - memory for secrets; see secmem.h.
 *
 * Small blocks (up to 4 KiB, which is every token, assertion and most keys)
 * come from a pool of slabs that are mmap()ed once, mlock()ed (best effort:
 * RLIMIT_MEMLOCK is small for unprivileged users, and the point is to keep
 * secrets out of swap where we can) and marked MADV_DONTDUMP so that no core
 * dump carries them.  Blocks are kept on per-size free lists and wiped on
 * free; slabs are never unmapped (the pool is bounded by peak use).  Doing
 * the mlock once per slab instead of once per allocation is what makes a
 * cache hit (copy a token out, free it) cost well under a microsecond.
 * Larger blocks fall back to malloc + mlock.  A 16-byte header in front of
 * each block records its size class and length.
 *
 * Under AddressSanitizer every block takes the malloc path, so that ASan
 * still sees overflows and leaks of secret buffers.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "secmem.h"

#define HDR 16
#define N_CLASSES 8                 /* 32 B .. 4 KiB blocks (header included) */
#define MIN_SHIFT 5
#define SLAB_SIZE (64 * 1024)
#define BIG 0xffu

#if defined(__SANITIZE_ADDRESS__)
#define POOL_CLASSES 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_CLASSES 0
#endif
#endif
#ifndef POOL_CLASSES
#define POOL_CLASSES N_CLASSES
#endif

struct hdr {
	size_t len;                     /* the caller's size */
	unsigned cls;                   /* size class, or BIG */
};

struct freeblk {
	struct freeblk *next;
};

static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct freeblk *free_lists[N_CLASSES];

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

static size_t
class_size(unsigned cls)
{
	return (size_t)1 << (cls + MIN_SHIFT);
}

/* Carve a new slab into blocks of class cls (pool_mu held). */
static int
refill(unsigned cls)
{
	size_t bs = class_size(cls), i;
	unsigned char *slab;

	slab = mmap(NULL, SLAB_SIZE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (slab == MAP_FAILED)
		return -1;
	(void)mlock(slab, SLAB_SIZE);
#ifdef MADV_DONTDUMP
	(void)madvise(slab, SLAB_SIZE, MADV_DONTDUMP);
#endif
	for (i = 0; i + bs <= SLAB_SIZE; i += bs) {
		struct freeblk *b = (struct freeblk *)(void *)(slab + i);
		b->next = free_lists[cls];
		free_lists[cls] = b;
	}
	return 0;
}

void *
wif_secmem_alloc(size_t n)
{
	struct hdr h;
	unsigned char *b = NULL;
	unsigned cls;

	if (n > SIZE_MAX - HDR)
		return NULL;
#if POOL_CLASSES > 0
	for (cls = 0; cls < POOL_CLASSES && class_size(cls) < n + HDR; cls++)
		;
#else
	cls = N_CLASSES;
#endif
	if (cls < N_CLASSES) {
		pthread_mutex_lock(&pool_mu);
		if (free_lists[cls] != NULL || refill(cls) == 0) {
			b = (unsigned char *)free_lists[cls];
			free_lists[cls] = free_lists[cls]->next;
		}
		pthread_mutex_unlock(&pool_mu);
		if (b == NULL)
			return NULL;
		/* Blocks are wiped on free; only the free-list link is left. */
		memset(b, 0, sizeof(struct freeblk));
	} else {
		if ((b = calloc(1, n + HDR)) == NULL)
			return NULL;
		(void)mlock(b, n + HDR);
		cls = BIG;
	}
	h.len = n;
	h.cls = cls;
	memcpy(b, &h, sizeof(h));
	return b + HDR;
}

void
wif_secmem_free(void *p)
{
	unsigned char *b;
	struct hdr h;

	if (p == NULL)
		return;
	b = (unsigned char *)p - HDR;
	memcpy(&h, b, sizeof(h));
	wif_wipe(b, h.len + HDR);
	if (h.cls == BIG) {
		(void)munlock(b, h.len + HDR);
		free(b);
		return;
	}
	pthread_mutex_lock(&pool_mu);
	((struct freeblk *)(void *)b)->next = free_lists[h.cls];
	free_lists[h.cls] = (struct freeblk *)(void *)b;
	pthread_mutex_unlock(&pool_mu);
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
