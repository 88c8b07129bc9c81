/*
 * host.h - the host-services table lent to one provider instance.
 *
 * Owns: struct wif_host_impl, a struct wif_host (first member, so the
 * plugin's host pointer is ours) plus what identifies the instance: its
 * config section (a libconfig group or, for zero-config, a small key/value
 * table), its provider and profile names (log prefix), and the HTTP policy.
 * Every service is a thin adapter over a core module (fileio, http, json,
 * crypto, secmem, proc).  Must never: let a plugin read another section,
 * or pass anything a plugin logs to the log without the instance prefix.
 */
#ifndef WIF_HOST_H
#define WIF_HOST_H

#include <stdint.h>
#include <wif/provider.h>

#include "conf.h"
#include "http.h"
#include "util.h"

struct wif_host_params {
	const char *provider;                /* for the log prefix */
	const char *profile;                 /* for the log prefix */
	const struct wif_config_source *src; /* the section, or NULL */
	const char *const *kv;               /* or: "key", "value", ..., NULL
	                                      * (string values only) */
	const struct wif_http_policy *http;  /* borrowed; NULL = defaults */
	int64_t (*now)(void);                /* NULL = time() */
	int64_t (*monotonic_ms)(void);       /* NULL = CLOCK_MONOTONIC */
};

/* A new host table for one provider instance; free with wif_host_free()
 * after the plugin's destroy(). */
int wif_host_new(const struct wif_host_params *p, struct wif_host **out);
void wif_host_free(struct wif_host *h);

/* wif_clock_now(), wif_clock_monotonic_ms(): util.h */

#endif
