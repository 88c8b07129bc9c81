/*
 * cache_hit.c - in-process cache hit latency: wif_cache_get() on a warm
 * profile, N times, reporting the median and p99 of batches of 1000 calls
 * (ns per call).  Goal: <= 1 us per hit.  The refresh function is counted
 * so the benchmark proves every call was a hit.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "err.h"
#include "secmem.h"

static unsigned refreshes;

static int64_t
fixed_now(void)
{
	return 1000000;
}

static int
refresh(void *arg, const char *profile, unsigned flags, struct wif_token **out)
{
	struct wif_token *t = calloc(1, sizeof(*t));

	(void)arg; (void)profile; (void)flags;
	refreshes++;
	t->access_token = wif_secmem_strdup("sk-ant-oat01-benchmark-token-0123456789abcdef");
	t->access_token_len = strlen(t->access_token);
	t->obtained_at = fixed_now();
	t->expires_at = fixed_now() + 3600;
	*out = t;
	return WIF_OK;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct wif_cache *c = NULL;
	struct wif_cache_policy pol = { 120, 30 };
	int batches = argc > 1 ? atoi(argv[1]) : 1000, i, j;
	double *ns = calloc((size_t)batches, sizeof(*ns));
	struct timespec a, b;
	struct wif_token *t;

	if (ns == NULL || wif_cache_new(refresh, NULL, fixed_now, &c) != WIF_OK)
		return 1;
	if (wif_cache_get(c, "default", &pol, 0, 0, &t) != WIF_OK)
		return 1;
	wif_token_free(t);
	for (i = 0; i < batches; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (j = 0; j < 1000; j++) {
			if (wif_cache_get(c, "default", &pol, 0, 0, &t) != WIF_OK)
				return 1;
			wif_token_free(t);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		ns[i] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / 1000.0;
	}
	qsort(ns, (size_t)batches, sizeof(*ns), cmp);
	printf("cache hit (wif_cache_get + wif_token_free): median %.0f ns, p99 %.0f ns, "
	    "%d calls, %u refreshes\n", ns[batches / 2], ns[batches * 99 / 100],
	    batches * 1000, refreshes);
	wif_cache_free(c);
	free(ns);
	return refreshes == 1 ? 0 : 1;
}
