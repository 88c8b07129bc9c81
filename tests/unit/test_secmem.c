/*
 * test_secmem.c - secure memory: zeroed, 16-aligned, sized blocks of every
 * class (pool and large), strdup/strndup, wipe, free(NULL), threads, and the
 * page attributes the module promises (locked and excluded from core
 * dumps), read back from /proc/self/smaps in a build without ASan.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cutest.h"
#include "secmem.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static int
all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void
test_sizes_zeroed_aligned(void)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 31, 100, 1000, 4079,
	    4080, 4081, 4096, 5000, 65536, 1024 * 1024 + 3 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned char *p = wif_secmem_alloc(sizes[i]);

		CU_ASSERT_FATAL(p != NULL);
		CU_ASSERT(((uintptr_t)p & 15) == 0);
		CU_ASSERT(all_zero(p, sizes[i]));
		/* Every byte is usable (ASan would flag an overflow). */
		memset(p, 0xa5, sizes[i]);
		wif_secmem_free(p);
	}
}

/* A block handed back and taken again is zero, not the old secret. */
static void
test_reuse_is_zeroed(void)
{
	unsigned char *p, *q;
	int round;

	for (round = 0; round < 50; round++) {
		p = wif_secmem_alloc(200);
		CU_ASSERT_FATAL(p != NULL);
		memset(p, 0x5a, 200);
		wif_secmem_free(p);
		q = wif_secmem_alloc(200);
		CU_ASSERT_FATAL(q != NULL);
		CU_ASSERT(all_zero(q, 200));
		wif_secmem_free(q);
	}
}

static void
test_many_live_blocks(void)
{
	enum { N = 3000 };
	unsigned char **v = calloc(N, sizeof(*v));
	size_t i;

	CU_ASSERT_FATAL(v != NULL);
	/* More blocks than one 64 KiB slab holds, in several classes. */
	for (i = 0; i < N; i++) {
		v[i] = wif_secmem_alloc(8 + i % 300);
		CU_ASSERT_FATAL(v[i] != NULL);
		memset(v[i], (int)(i & 0xff), 8 + i % 300);
	}
	for (i = 0; i < N; i++) {
		size_t j, len = 8 + i % 300;
		int ok = 1;

		for (j = 0; j < len; j++)
			ok &= v[i][j] == (unsigned char)(i & 0xff);
		CU_ASSERT(ok);
	}
	for (i = 0; i < N; i += 2)
		wif_secmem_free(v[i]);
	for (i = 1; i < N; i += 2)
		wif_secmem_free(v[i]);
	free(v);
}

static void
test_strdup_strndup(void)
{
	char *s;

	s = wif_secmem_strdup("sk-ant-oat01-secret");
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s, "sk-ant-oat01-secret");
	wif_secmem_free(s);

	s = wif_secmem_strndup("abcdef", 3);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s, "abc");
	wif_secmem_free(s);

	/* n past the end stops at the NUL. */
	s = wif_secmem_strndup("ab", 100);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s, "ab");
	wif_secmem_free(s);

	s = wif_secmem_strndup("", 0);
	CU_ASSERT_FATAL(s != NULL);
	CU_ASSERT_STRING_EQUAL(s, "");
	wif_secmem_free(s);

	CU_ASSERT(wif_secmem_strdup(NULL) == NULL);
	CU_ASSERT(wif_secmem_strndup(NULL, 4) == NULL);
}

static void
test_wipe_and_free_null(void)
{
	unsigned char buf[64];

	memset(buf, 0xff, sizeof(buf));
	wif_wipe(buf + 8, 32);
	CU_ASSERT(buf[7] == 0xff);
	CU_ASSERT(all_zero(buf + 8, 32));
	CU_ASSERT(buf[40] == 0xff);
	wif_wipe(NULL, 10);
	wif_wipe(buf, 0);
	CU_ASSERT(buf[0] == 0xff);
	wif_secmem_free(NULL);
}

static void
test_absurd_size_fails(void)
{
	CU_ASSERT(wif_secmem_alloc(SIZE_MAX) == NULL);
	CU_ASSERT(wif_secmem_alloc(SIZE_MAX - 8) == NULL);
}

static void *
churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;
	unsigned char *keep[16] = { NULL };
	int i, bad = 0;

	for (i = 0; i < 20000; i++) {
		size_t slot = (size_t)rand_r(&seed) % 16;
		size_t len = 1 + (size_t)rand_r(&seed) % 600;

		if (keep[slot] != NULL) {
			/* Our own tag is intact: no other thread got the block. */
			if (keep[slot][0] != (unsigned char)(uintptr_t)arg)
				bad++;
			wif_secmem_free(keep[slot]);
		}
		keep[slot] = wif_secmem_alloc(len);
		if (keep[slot] == NULL || keep[slot][0] != 0)
			bad++;
		else
			memset(keep[slot], (int)(uintptr_t)arg, len);
	}
	for (i = 0; i < 16; i++)
		wif_secmem_free(keep[i]);
	return (void *)(intptr_t)bad;
}

static void
test_threads(void)
{
	pthread_t t[4];
	void *bad;
	uintptr_t i;

	for (i = 0; i < 4; i++)
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, churn,
		    (void *)(i + 1)) == 0);
	for (i = 0; i < 4; i++) {
		CU_ASSERT_FATAL(pthread_join(t[i], &bad) == 0);
		CU_ASSERT(bad == NULL);
	}
}

/* The smaps entry of the mapping holding p: "Locked:" kB and whether
 * VmFlags has "dd" (do not dump).  0 when found. */
static int
smaps_of(const void *p, long *locked_kb, int *dontdump)
{
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0, found = -1;
	uintptr_t lo, hi, a = (uintptr_t)p;

	*locked_kb = -1;
	*dontdump = 0;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			if (in)
				break;
			in = a >= lo && a < hi;
			continue;
		}
		if (!in)
			continue;
		found = 0;
		if (strncmp(line, "Locked:", 7) == 0)
			*locked_kb = strtol(line + 7, NULL, 10);
		if (strncmp(line, "VmFlags:", 8) == 0)
			*dontdump = strstr(line, " dd") != NULL;
	}
	fclose(f);
	return found;
}

/* mlock is best effort; it can only be asserted where the limit allows. */
static int
can_lock(void)
{
	struct rlimit rl;

	return geteuid() == 0 || (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
	    (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= 8 * 1024 * 1024));
}

/* ASan turns mlock into a no-op and its blocks come from calloc, so the
 * page attributes can be checked only in a build without it. */
static void
check_pages(size_t n)
{
	unsigned char *p = wif_secmem_alloc(n);
	long locked;
	int dd;

	CU_ASSERT_FATAL(p != NULL);
	memset(p, 1, n);
	CU_ASSERT_FATAL(smaps_of(p, &locked, &dd) == 0);
#ifndef UNDER_ASAN
	if (can_lock())
		CU_ASSERT(locked > 0);
	CU_ASSERT(dd);
#else
	(void)locked;
	(void)dd;
	(void)can_lock;
#endif
	wif_secmem_free(p);
}

static void
test_locked_and_not_dumped(void)
{
	check_pages(100);              /* a pool block */
	check_pages(3 * 4096 + 5);     /* a mapping of its own */
#ifdef UNDER_ASAN
	printf("(checked only in a build without ASan) ");
#endif
}

static const struct cu_test tests[] = {
	{ "sizes: zeroed, 16-aligned, fully usable", test_sizes_zeroed_aligned },
	{ "a reused block is zeroed", test_reuse_is_zeroed },
	{ "thousands of live blocks keep their contents", test_many_live_blocks },
	{ "strdup/strndup", test_strdup_strndup },
	{ "wif_wipe and free(NULL)", test_wipe_and_free_null },
	{ "absurd sizes fail", test_absurd_size_fails },
	{ "four threads allocate and free concurrently", test_threads },
	{ "pages are locked and excluded from dumps", test_locked_and_not_dumped },
	{ NULL, NULL }
};

WIF_CU_MAIN("secmem", tests, NULL, NULL)
