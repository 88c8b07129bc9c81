/*
 * client_rt.c - wifd client round trips through libwif (include/wif/wif.h):
 *   client_rt N          N sequential wif_get_token() calls: p50/p99 latency
 *   client_rt N THREADS  THREADS threads, N calls each: requests per second
 * Needs a running wifd with a warm profile ($WIF_SOCKET).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wif/wif.h>

static long n_calls;
static const char *profile;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
one(wif_handle *h)
{
	wif_credential *c = NULL;
	int r = wif_get_token(h, profile, 0, &c);

	if (r != WIF_OK) {
		fprintf(stderr, "client_rt: %s\n", wif_error(h));
		exit(1);
	}
	wif_credential_free(c);
	return r;
}

static void *
worker(void *arg)
{
	wif_handle *h;
	long i;

	(void)arg;
	if (wif_open(NULL, 0, &h) != WIF_OK)
		exit(1);
	for (i = 0; i < n_calls; i++)
		one(h);
	wif_close(h);
	return NULL;
}

int
main(int argc, char **argv)
{
	wif_handle *h;
	double *lat, t0, t1;
	long i, threads = argc > 2 ? atol(argv[2]) : 0;
	pthread_t *tids;

	n_calls = argc > 1 ? atol(argv[1]) : 10000;
	profile = getenv("WIF_BENCH_PROFILE");
	if (threads <= 0) {
		if (wif_open(NULL, 0, &h) != WIF_OK ||
		    (lat = calloc((size_t)n_calls, sizeof(*lat))) == NULL)
			return 1;
		for (i = 0; i < 100; i++)
			one(h);
		for (i = 0; i < n_calls; i++) {
			t0 = now_us();
			one(h);
			lat[i] = now_us() - t0;
		}
		qsort(lat, (size_t)n_calls, sizeof(*lat), cmp);
		printf("round trip over %ld calls: p50 %.1f us, p99 %.1f us\n",
		    n_calls, lat[n_calls / 2], lat[n_calls * 99 / 100]);
		wif_close(h);
		free(lat);
		return 0;
	}
	tids = calloc((size_t)threads, sizeof(*tids));
	t0 = now_us();
	for (i = 0; i < threads; i++)
		pthread_create(&tids[i], NULL, worker, NULL);
	for (i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	t1 = now_us();
	printf("%ld clients x %ld requests: %.0f requests/s\n", threads, n_calls,
	    (double)threads * n_calls / ((t1 - t0) / 1e6));
	free(tids);
	return 0;
}
