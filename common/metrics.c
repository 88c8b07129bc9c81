/* metrics.c - counters and gauges; see metrics.h. */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "metrics.h"

struct def {
	const char *name;
	const char *label;     /* label name, or NULL */
	int gauge;
	const char *help;
};

static const struct def defs[] = {
	{ "cache_hit", NULL, 0, "Token requests served from the cache without waiting." },
	{ "cold_mint", NULL, 0, "Token requests that waited for a first token of a profile." },
	{ "advisory_refresh", NULL, 0, "Tokens renewed by the refresher before the advisory window." },
	{ "mandatory_refresh", NULL, 0, "Token requests that waited for a refresh (mandatory window or min_valid)." },
	{ "deny", NULL, 0, "Requests refused by access control." },
	{ "exchange_fail", "reason", 0, "Failed token exchanges, by reason." },
	{ "provider_fail", "provider", 0, "Failed identity fetches, by provider." },
	{ "connections", NULL, 1, "Open client connections." },
};
#define N_DEFS (sizeof(defs) / sizeof(defs[0]))

struct series {
	char label[64];
	uint64_t v;
};

struct wif_metrics {
	pthread_mutex_t mu;
	struct series s[N_DEFS][WIF_METRICS_LABELS + 1]; /* [0]: unlabelled */
	size_t n[N_DEFS];
	int64_t gauge[N_DEFS];
};

struct wif_metrics *
wif_metrics_new(void)
{
	struct wif_metrics *m = calloc(1, sizeof(*m));

	if (m != NULL)
		pthread_mutex_init(&m->mu, NULL);
	return m;
}

void
wif_metrics_free(struct wif_metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static int
find(const char *name)
{
	size_t i;

	for (i = 0; i < N_DEFS; i++)
		if (strcmp(defs[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* The series of label (created; "other" once the table is full). */
static struct series *
series(struct wif_metrics *m, int d, const char *label)
{
	size_t i;

	if (defs[d].label == NULL || label == NULL)
		return &m->s[d][0];
	for (i = 1; i <= m->n[d]; i++)
		if (strcmp(m->s[d][i].label, label) == 0)
			return &m->s[d][i];
	if (m->n[d] + 1 >= WIF_METRICS_LABELS) {
		for (i = 1; i <= m->n[d]; i++)
			if (strcmp(m->s[d][i].label, "other") == 0)
				return &m->s[d][i];
		label = "other";
	}
	i = ++m->n[d];
	snprintf(m->s[d][i].label, sizeof(m->s[d][i].label), "%s", label);
	return &m->s[d][i];
}

void
wif_metrics_inc(struct wif_metrics *m, const char *name, const char *label)
{
	int d;

	if (m == NULL || (d = find(name)) < 0 || defs[d].gauge)
		return;
	pthread_mutex_lock(&m->mu);
	series(m, d, label)->v++;
	pthread_mutex_unlock(&m->mu);
}

void
wif_metrics_set_gauge(struct wif_metrics *m, const char *name, int64_t v)
{
	int d;

	if (m == NULL || (d = find(name)) < 0 || !defs[d].gauge)
		return;
	pthread_mutex_lock(&m->mu);
	m->gauge[d] = v;
	pthread_mutex_unlock(&m->mu);
}

uint64_t
wif_metrics_get(struct wif_metrics *m, const char *name, const char *label)
{
	uint64_t v = 0;
	size_t i;
	int d;

	if (m == NULL || (d = find(name)) < 0)
		return 0;
	pthread_mutex_lock(&m->mu);
	if (defs[d].gauge)
		v = (uint64_t)m->gauge[d];
	else if (defs[d].label == NULL || label == NULL)
		for (i = 0; i <= m->n[d]; i++)
			v += m->s[d][i].v;
	else
		for (i = 1; i <= m->n[d]; i++)
			if (strcmp(m->s[d][i].label, label) == 0)
				v = m->s[d][i].v;
	pthread_mutex_unlock(&m->mu);
	return v;
}

struct buf {
	char *p;
	size_t len, cap;
	int bad;
};

static void
bput(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bput(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *np;

	if (b->bad)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		if (n < 0 || (np = realloc(b->p, b->cap * 2 + (size_t)n)) == NULL) {
			b->bad = 1;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t)n;
	}
}

/* Prometheus label value / JSON string escaping (\\, \", \n). */
static void
bput_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			bput(b, "\\%c", *s);
		else if (*s == '\n')
			bput(b, "\\n");
		else if ((unsigned char)*s < 0x20)
			bput(b, " ");
		else
			bput(b, "%c", *s);
	}
}

static int
finish(struct buf *b, char **out, size_t *len)
{
	if (b->bad) {
		free(b->p);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	*out = b->p;
	*len = b->len;
	return WIF_OK;
}

int
wif_metrics_prometheus(struct wif_metrics *m, char **out, size_t *len)
{
	struct buf b = { .cap = 4096 };
	size_t d, i;

	*out = NULL;
	if ((b.p = malloc(b.cap)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	b.p[0] = '\0';
	pthread_mutex_lock(&m->mu);
	for (d = 0; d < N_DEFS; d++) {
		const char *sfx = defs[d].gauge ? "" : "_total";
		bput(&b, "# HELP wif_%s%s %s\n# TYPE wif_%s%s %s\n", defs[d].name,
		    sfx, defs[d].help, defs[d].name, sfx,
		    defs[d].gauge ? "gauge" : "counter");
		if (defs[d].gauge) {
			bput(&b, "wif_%s %lld\n", defs[d].name,
			    (long long)m->gauge[d]);
			continue;
		}
		if (defs[d].label == NULL) {
			bput(&b, "wif_%s_total %llu\n", defs[d].name,
			    (unsigned long long)m->s[d][0].v);
			continue;
		}
		for (i = 1; i <= m->n[d]; i++) {
			bput(&b, "wif_%s_total{%s=\"", defs[d].name, defs[d].label);
			bput_escaped(&b, m->s[d][i].label);
			bput(&b, "\"} %llu\n", (unsigned long long)m->s[d][i].v);
		}
	}
	pthread_mutex_unlock(&m->mu);
	return finish(&b, out, len);
}

int
wif_metrics_json(struct wif_metrics *m, char **out, size_t *len)
{
	struct buf b = { .cap = 1024 };
	size_t d, i;

	*out = NULL;
	if ((b.p = malloc(b.cap)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	b.p[0] = '\0';
	bput(&b, "{");
	pthread_mutex_lock(&m->mu);
	for (d = 0; d < N_DEFS; d++) {
		bput(&b, "%s\"%s\":", d ? "," : "", defs[d].name);
		if (defs[d].gauge)
			bput(&b, "%lld", (long long)m->gauge[d]);
		else if (defs[d].label == NULL)
			bput(&b, "%llu", (unsigned long long)m->s[d][0].v);
		else {
			bput(&b, "{");
			for (i = 1; i <= m->n[d]; i++) {
				bput(&b, "%s\"", i > 1 ? "," : "");
				bput_escaped(&b, m->s[d][i].label);
				bput(&b, "\":%llu", (unsigned long long)m->s[d][i].v);
			}
			bput(&b, "}");
		}
	}
	pthread_mutex_unlock(&m->mu);
	bput(&b, "}");
	return finish(&b, out, len);
}
