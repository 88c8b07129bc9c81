/*
 * metrics.h - wifd's counters and gauges (ARCHITECTURE.md §8): cache_hit,
 * cold_mint, advisory_refresh, mandatory_refresh, deny, exchange_fail by
 * reason, provider_fail by provider; gauges such as connections.
 *
 * Owns: the numbers and their two renderings, the Prometheus text format
 * 0.0.4 (wif_ prefix, counters suffixed _total, HELP and TYPE lines, label
 * values escaped) and a JSON object for `wif status --json`.  Label values
 * are bounded (WIF_METRICS_LABELS per metric; later ones count as "other")
 * so that nothing a peer sends can grow memory.  Thread-safe (one mutex).
 */
#ifndef WIF_METRICS_H
#define WIF_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define WIF_METRICS_LABELS 32

struct wif_metrics;

struct wif_metrics *wif_metrics_new(void);
void wif_metrics_free(struct wif_metrics *m);
/* name: one of the known counters; label NULL for the unlabelled ones. */
void wif_metrics_inc(struct wif_metrics *m, const char *name, const char *label);
void wif_metrics_set_gauge(struct wif_metrics *m, const char *name, int64_t v);
/* The count of name{label} (label NULL: the sum over labels). */
uint64_t wif_metrics_get(struct wif_metrics *m, const char *name,
                         const char *label);
/* *out: malloc()ed text, free() it. */
int wif_metrics_prometheus(struct wif_metrics *m, char **out, size_t *len);
int wif_metrics_json(struct wif_metrics *m, char **out, size_t *len);

#endif
