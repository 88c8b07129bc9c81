/*
 * interleave.c - process wall time of two commands measured alternately
 * (A, B, A, B, ...) so that both see the same machine: on a shared VM whose
 * speed drifts by tens of percent within a minute, hyperfine's
 * all-of-A-then-all-of-B can put the drift into the ratio.  Each run is
 * fork + execv + waitpid, stdout to /dev/null, timed with CLOCK_MONOTONIC.
 *
 *   interleave RUNS A [ARGS...] -- B [ARGS...]
 *
 * Prints the median and p90 of each, and the ratio of the medians.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double
run(char **argv)
{
	double t0 = now_us();
	int st, fd;
	pid_t p = fork();

	if (p == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) >= 0)
			dup2(fd, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		fprintf(stderr, "interleave: %s failed\n", argv[0]);
		exit(1);
	}
	return now_us() - t0;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	char **a, **b = NULL;
	double *ta, *tb;
	long n, i;

	if (argc < 5 || (n = atol(argv[1])) < 10) {
		fprintf(stderr, "usage: interleave RUNS A [ARGS...] -- B [ARGS...]\n");
		return 2;
	}
	a = argv + 2;
	for (i = 2; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			b = argv + i + 1;
			break;
		}
	if (b == NULL || *b == NULL) {
		fprintf(stderr, "interleave: no -- B\n");
		return 2;
	}
	ta = calloc((size_t)n, sizeof(double));
	tb = calloc((size_t)n, sizeof(double));
	if (ta == NULL || tb == NULL)
		return 1;
	for (i = 0; i < 20; i++) { /* warm-up */
		run(a);
		run(b);
	}
	for (i = 0; i < n; i++) {
		ta[i] = run(a);
		tb[i] = run(b);
	}
	qsort(ta, (size_t)n, sizeof(double), cmp);
	qsort(tb, (size_t)n, sizeof(double), cmp);
	printf("A %-40.40s median %7.1f us  p90 %7.1f us\n", a[0], ta[n / 2],
	    ta[n * 9 / 10]);
	printf("B %-40.40s median %7.1f us  p90 %7.1f us\n", b[0], tb[n / 2],
	    tb[n * 9 / 10]);
	printf("B/A median ratio %.2f (%ld runs each, alternated)\n",
	    tb[n / 2] / ta[n / 2], n);
	free(ta);
	free(tb);
	return 0;
}
