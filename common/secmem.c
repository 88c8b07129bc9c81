/*
 * secmem.c - memory for secrets; see secmem.h.
 *
 * Small blocks (up to 4 KiB including the header, which is every token,
 * assertion and most keys) come from a pool of slabs that are mmap()ed once,
 * mlock()ed (best effort: RLIMIT_MEMLOCK is small for unprivileged users,
 * and the point is to keep secrets out of swap where we can) and marked
 * MADV_DONTDUMP so that no core dump carries them.  Blocks are kept on
 * per-size free lists and wiped on free; slabs are never unmapped (the pool
 * is bounded by peak use).  Doing the mlock once per slab instead of once
 * per allocation is what makes a cache hit (copy a token out, free it) cost
 * well under a microsecond.
 *
 * Larger blocks get their own page-aligned mapping, locked and marked
 * MADV_DONTDUMP the same way and unmapped on free.  A private mapping is
 * used rather than malloc + mlock because mlock works on whole pages and
 * does not nest: munlock() of one malloc block would unlock a neighbour
 * sharing its page, and MADV_DONTDUMP could not be applied to malloc memory
 * at all.
 *
 * A 16-byte header in front of each block records its size class and
 * length, so free needs only the pointer and every block is 16-aligned.
 *
 * Under AddressSanitizer every block takes a calloc path (still mlock()ed
 * best effort), so that ASan sees overflows, use after free and leaks of
 * secret buffers; the page-sharing caveat above then applies, which is
 * acceptable in a test build.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "secmem.h"

#define HDR 16
#define N_CLASSES 8                 /* 32 B .. 4 KiB blocks (header included) */
#define MIN_SHIFT 5
#define SLAB_SIZE (64 * 1024)
#define CLS_MAP 0xfeu               /* a mapping of its own */
#define CLS_HEAP 0xffu              /* calloc (sanitizer builds) */

#if defined(__SANITIZE_ADDRESS__)
#define SECMEM_HEAP 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECMEM_HEAP 1
#endif
#endif

struct hdr {
	size_t len;                     /* the caller's size */
	unsigned cls;                   /* size class, CLS_MAP or CLS_HEAP */
};

struct freeblk {
	struct freeblk *next;
};

_Static_assert(sizeof(struct hdr) <= HDR, "secmem header too large");

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
map_size(size_t n)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);

	return (n + HDR + pg - 1) / pg * pg;
}

#ifndef SECMEM_HEAP
static size_t
class_size(unsigned cls)
{
	return (size_t)1 << (cls + MIN_SHIFT);
}

/* Best effort: neither failure makes the memory unusable. */
static void
protect(void *p, size_t n)
{
	(void)mlock(p, n);
#ifdef MADV_DONTDUMP
	(void)madvise(p, n, MADV_DONTDUMP);
#endif
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
	protect(slab, SLAB_SIZE);
	for (i = 0; i + bs <= SLAB_SIZE; i += bs) {
		struct freeblk *b = (struct freeblk *)(void *)(slab + i);
		b->next = free_lists[cls];
		free_lists[cls] = b;
	}
	return 0;
}

static unsigned char *
pool_get(unsigned cls)
{
	unsigned char *b = NULL;

	pthread_mutex_lock(&pool_mu);
	if (free_lists[cls] != NULL || refill(cls) == 0) {
		b = (unsigned char *)free_lists[cls];
		free_lists[cls] = free_lists[cls]->next;
	}
	pthread_mutex_unlock(&pool_mu);
	/* Blocks are wiped on free (and fresh slabs are zero): only the
	 * free-list link is left. */
	if (b != NULL)
		memset(b, 0, sizeof(struct freeblk));
	return b;
}
#endif

void *
wif_secmem_alloc(size_t n)
{
	struct hdr h;
	unsigned char *b = NULL;
	unsigned cls;

	if (n > SIZE_MAX / 2)
		return NULL;
#ifdef SECMEM_HEAP
	if ((b = calloc(1, n + HDR)) == NULL)
		return NULL;
	(void)mlock(b, n + HDR);
	cls = CLS_HEAP;
#else
	for (cls = 0; cls < N_CLASSES && class_size(cls) < n + HDR; cls++)
		;
	if (cls < N_CLASSES) {
		if ((b = pool_get(cls)) == NULL)
			return NULL;
	} else {
		b = mmap(NULL, map_size(n), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b == MAP_FAILED)
			return NULL;
		protect(b, map_size(n));
		cls = CLS_MAP;
	}
#endif
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
	if (h.cls == CLS_HEAP) {
		(void)munlock(b, h.len + HDR);
		free(b);
		return;
	}
	if (h.cls == CLS_MAP) {
		/* Unmapping drops the lock with the pages. */
		(void)munmap(b, map_size(h.len));
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
	size_t len;
	char *d;

	if (s == NULL)
		return NULL;
	len = strnlen(s, n);
	if ((d = wif_secmem_alloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

char *
wif_secmem_strdup(const char *s)
{
	return s == NULL ? NULL : wif_secmem_strndup(s, strlen(s));
}
