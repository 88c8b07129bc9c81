/*
 * test_cache.c - the in-process token cache (cache.h): the two tiers,
 * single-flight, min_valid, FORCE, and shutdown with a refresh in flight.
 *
 * The refresh function is a fake driven by an injected clock.  Concurrency
 * is made deterministic with a gate the fake blocks on and with
 * wif_cache_waiters(): a test opens the gate only once every thread is
 * provably inside the cache.  Nothing here sleeps or measures time.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "cutest.h"
#include "err.h"
#include "secmem.h"

#define T0 1700000000
#define NTHREADS 32

static int64_t fake_clock = T0;

static int64_t
fake_now(void)
{
	return __atomic_load_n(&fake_clock, __ATOMIC_SEQ_CST);
}

static void
set_now(int64_t t)
{
	__atomic_store_n(&fake_clock, t, __ATOMIC_SEQ_CST);
}

struct fake {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int calls;              /* started */
	int done;               /* returned */
	int gate_closed;        /* calls for gate_profile ("" = all) block */
	char gate_profile[130];
	int fail_rc;            /* WIF_OK, or the rc to fail with */
	char fail_detail[256];
	int ok_without_token;   /* misbehave: WIF_OK and no token */
	int64_t lifetime;
	unsigned last_flags;
	char last_profile[130];
};

static struct fake F = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static void
fake_reset(int64_t lifetime)
{
	pthread_mutex_lock(&F.mu);
	F.calls = F.done = 0;
	F.gate_closed = 0;
	F.gate_profile[0] = '\0';
	F.fail_rc = WIF_OK;
	F.fail_detail[0] = '\0';
	F.ok_without_token = 0;
	F.lifetime = lifetime;
	F.last_flags = 0;
	F.last_profile[0] = '\0';
	pthread_mutex_unlock(&F.mu);
	set_now(T0);
}

static void
fake_gate(int closed, const char *profile)
{
	pthread_mutex_lock(&F.mu);
	F.gate_closed = closed;
	snprintf(F.gate_profile, sizeof(F.gate_profile), "%s",
	    profile != NULL ? profile : "");
	pthread_cond_broadcast(&F.cv);
	pthread_mutex_unlock(&F.mu);
}

static void
fake_fail(int rc, const char *detail)
{
	pthread_mutex_lock(&F.mu);
	F.fail_rc = rc;
	snprintf(F.fail_detail, sizeof(F.fail_detail), "%s", detail);
	pthread_mutex_unlock(&F.mu);
}

static void
fake_lifetime(int64_t lifetime)
{
	pthread_mutex_lock(&F.mu);
	F.lifetime = lifetime;
	pthread_mutex_unlock(&F.mu);
}

static int
fake_calls(void)
{
	int n;

	pthread_mutex_lock(&F.mu);
	n = F.calls;
	pthread_mutex_unlock(&F.mu);
	return n;
}

static unsigned
fake_last_flags(void)
{
	unsigned f;

	pthread_mutex_lock(&F.mu);
	f = F.last_flags;
	pthread_mutex_unlock(&F.mu);
	return f;
}

/* Block until at least n calls have started. */
static void
fake_wait_calls(int n)
{
	pthread_mutex_lock(&F.mu);
	while (F.calls < n)
		pthread_cond_wait(&F.cv, &F.mu);
	pthread_mutex_unlock(&F.mu);
}

static int
fake_refresh(void *arg, const char *profile, unsigned flags,
             struct wif_token **out)
{
	struct fake *f = arg;
	struct wif_token *t;
	char text[200], detail[256];
	int n, rc, null_ok;
	int64_t lifetime, now;

	*out = NULL;
	pthread_mutex_lock(&f->mu);
	n = ++f->calls;
	f->last_flags = flags;
	snprintf(f->last_profile, sizeof(f->last_profile), "%s", profile);
	pthread_cond_broadcast(&f->cv);
	while (f->gate_closed && (f->gate_profile[0] == '\0' ||
	    strcmp(f->gate_profile, profile) == 0))
		pthread_cond_wait(&f->cv, &f->mu);
	rc = f->fail_rc;
	snprintf(detail, sizeof(detail), "%s", f->fail_detail);
	null_ok = f->ok_without_token;
	lifetime = f->lifetime;
	pthread_mutex_unlock(&f->mu);

	if (rc == WIF_OK && !null_ok) {
		now = fake_now();
		snprintf(text, sizeof(text), "sk-ant-oat01-%s-%d", profile, n);
		t = calloc(1, sizeof(*t));
		if (t == NULL || (t->access_token = wif_secmem_strdup(text)) == NULL) {
			free(t);
			rc = wif_err(WIF_E_NOMEM, "fake: out of memory");
		} else {
			t->access_token_len = strlen(text);
			t->obtained_at = now;
			t->expires_at = now + lifetime;
			snprintf(t->request_id, sizeof(t->request_id), "req_%d", n);
			*out = t;
		}
	} else if (rc != WIF_OK) {
		wif_err(rc, "%s", detail);
	}
	pthread_mutex_lock(&f->mu);
	f->done++;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static struct wif_cache *
new_cache(void)
{
	struct wif_cache *c = NULL;

	CU_ASSERT_EQUAL_FATAL(wif_cache_new(fake_refresh, &F, fake_now, &c), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	return c;
}

/* Until n threads wait on profile's refresh - or more than max_calls calls
 * started, which means the cache let a waiter refresh by itself (then the
 * caller's assertions fail instead of this loop spinning forever). */
static void
wait_waiters(struct wif_cache *c, const char *profile, int n, int max_calls)
{
	while (wif_cache_waiters(c, profile) < n && fake_calls() <= max_calls)
		sched_yield();
}

/* Get and check the token's text; returns its expiry. */
static int64_t
expect_token(struct wif_cache *c, const char *profile, int min_valid,
             unsigned flags, const char *want)
{
	struct wif_token *t = NULL;
	int64_t exp;

	CU_ASSERT_EQUAL_FATAL(wif_cache_get(c, profile, NULL, min_valid, flags,
	    &t), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_STRING_EQUAL(t->access_token, want);
	CU_ASSERT_EQUAL(t->access_token_len, strlen(want));
	exp = t->expires_at;
	wif_token_free(t);
	return exp;
}

static struct wif_cache_info
info_of(struct wif_cache *c, const char *profile)
{
	struct wif_cache_info i;

	CU_ASSERT_EQUAL(wif_cache_info(c, profile, &i), WIF_OK);
	return i;
}

/* A caller in its own thread. */
struct caller {
	pthread_t th;
	struct wif_cache *c;
	const char *profile;
	unsigned flags;
	int min_valid;
	int rc;
	char detail[WIF_ERR_MAX];
	struct wif_token *tok;
};

static void *
caller_main(void *arg)
{
	struct caller *k = arg;

	k->rc = wif_cache_get(k->c, k->profile, NULL, k->min_valid, k->flags,
	    &k->tok);
	snprintf(k->detail, sizeof(k->detail), "%s",
	    k->rc == WIF_OK ? "" : wif_err_detail());
	return NULL;
}

static void
caller_start(struct caller *k, struct wif_cache *c, const char *profile,
             unsigned flags)
{
	memset(k, 0, sizeof(*k));
	k->c = c;
	k->profile = profile;
	k->flags = flags;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&k->th, NULL, caller_main, k), 0);
}

static void
test_cold_mint(void)
{
	struct wif_cache *c;
	struct wif_cache_info i;

	fake_reset(3600);
	c = new_cache();
	CU_ASSERT_EQUAL(wif_cache_info(c, "p", &i), WIF_E_NOT_FOUND);
	CU_ASSERT_EQUAL(expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1"),
	    T0 + 3600);
	CU_ASSERT_EQUAL(fake_calls(), 1);
	CU_ASSERT_EQUAL(fake_last_flags(), 0);
	i = info_of(c, "p");
	CU_ASSERT_EQUAL(i.has_token, 1);
	CU_ASSERT_EQUAL(i.expires_at, T0 + 3600);
	CU_ASSERT_EQUAL(i.obtained_at, T0);
	CU_ASSERT_STRING_EQUAL(i.request_id, "req_1");
	CU_ASSERT_EQUAL(i.cold_mints, 1);
	CU_ASSERT_EQUAL(i.hits, 0);
	CU_ASSERT_EQUAL(i.last_refresh_at, T0);
	CU_ASSERT_EQUAL(i.last_refresh_rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(i.last_error, "");
	wif_cache_free(c);
}

static void
test_hit(void)
{
	struct wif_cache *c;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	set_now(T0 + 3600 - 121);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	CU_ASSERT_EQUAL(fake_calls(), 1);
	CU_ASSERT_EQUAL(info_of(c, "p").hits, 1);
	CU_ASSERT_EQUAL(info_of(c, "p").advisory_refreshes, 0);
	wif_cache_free(c);
}

static void
test_advisory_background(void)
{
	struct wif_cache *c;
	struct wif_cache_info i;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	set_now(T0 + 3600 - 100);
	fake_gate(1, NULL);
	/* Returns although the refresh it started cannot finish. */
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	fake_wait_calls(2);
	i = info_of(c, "p");
	CU_ASSERT_EQUAL(i.refreshing, 1);
	CU_ASSERT_EQUAL(i.advisory_refreshes, 1);
	/* A second advisory caller does not start another one. */
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	fake_gate(0, NULL);
	wif_cache_wait_idle(c, "p");
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-2");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	i = info_of(c, "p");
	CU_ASSERT_EQUAL(i.refreshing, 0);
	CU_ASSERT_EQUAL(i.expires_at, T0 + 3600 - 100 + 3600);
	CU_ASSERT_EQUAL(i.hits, 3);
	CU_ASSERT_EQUAL(i.advisory_refreshes, 1);
	CU_ASSERT_EQUAL(i.mandatory_refreshes, 0);
	wif_cache_free(c);
}

static void
test_policy(void)
{
	struct wif_cache_policy pol = { .advisory = 600, .mandatory = 60 };
	struct wif_cache *c;
	struct wif_token *t = NULL;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	/* 300 s left: outside the default windows, inside this policy's. */
	set_now(T0 + 3600 - 300);
	CU_ASSERT_EQUAL(wif_cache_get(c, "p", &pol, 0, 0, &t), WIF_OK);
	wif_token_free(t);
	wif_cache_wait_idle(c, "p");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	/* 50 s left with mandatory 60: blocking. */
	set_now(T0 + 3600 - 300 + 3600 - 50);
	fake_fail(WIF_E_HTTP, "fake: network down");
	t = NULL;
	CU_ASSERT_EQUAL(wif_cache_get(c, "p", &pol, 0, 0, &t), WIF_E_HTTP);
	CU_ASSERT_PTR_NULL(t);
	/* The same remaining time is fine under the defaults. */
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-2");
	wif_cache_free(c);
}

static void
test_advisory_failure_backoff(void)
{
	struct wif_cache *c;
	struct wif_cache_info i;
	int64_t t;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	fake_fail(WIF_E_SERVER, "exchange: HTTP 503 from api.example (request-id req_x)");
	t = T0 + 3600 - 100;
	set_now(t);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	wif_cache_wait_idle(c, "p");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	i = info_of(c, "p");
	CU_ASSERT_EQUAL(i.has_token, 1);
	CU_ASSERT_EQUAL(i.expires_at, T0 + 3600);
	CU_ASSERT_EQUAL(i.last_refresh_rc, WIF_E_SERVER);
	CU_ASSERT_STRING_EQUAL(i.last_error,
	    "exchange: HTTP 503 from api.example (request-id req_x)");
	CU_ASSERT_EQUAL(i.failures, 1);
	/* Within the backoff: the stale token, no new attempt. */
	set_now(t + WIF_ADVISORY_BACKOFF - 1);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	wif_cache_wait_idle(c, "p");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	/* Once the backoff has passed: tried again (and fails again). */
	set_now(t + WIF_ADVISORY_BACKOFF);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	wif_cache_wait_idle(c, "p");
	CU_ASSERT_EQUAL(fake_calls(), 3);
	CU_ASSERT_EQUAL(info_of(c, "p").failures, 2);
	/* A success replaces the token and clears the error. */
	fake_fail(WIF_OK, "");
	set_now(t + 2 * WIF_ADVISORY_BACKOFF);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	wif_cache_wait_idle(c, "p");
	CU_ASSERT_EQUAL(fake_calls(), 4);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-4");
	i = info_of(c, "p");
	CU_ASSERT_EQUAL(i.last_refresh_rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(i.last_error, "");
	CU_ASSERT_EQUAL(i.advisory_refreshes, 3);
	wif_cache_free(c);
}

static void
check_blocking_failure(int64_t at)
{
	struct wif_cache *c;
	struct wif_token *t = NULL;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	set_now(at);
	fake_fail(WIF_E_AUTH_DENIED, "exchange: HTTP 401 authentication_error");
	wif_err_clear();
	CU_ASSERT_EQUAL(wif_cache_get(c, "p", NULL, 0, 0, &t), WIF_E_AUTH_DENIED);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_STRING_EQUAL(wif_err_detail(),
	    "exchange: HTTP 401 authentication_error");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	CU_ASSERT_EQUAL(info_of(c, "p").mandatory_refreshes, 1);
	CU_ASSERT_EQUAL(info_of(c, "p").failures, 1);
	/* No backoff for a blocking caller: the next one tries again. */
	CU_ASSERT_EQUAL(wif_cache_get(c, "p", NULL, 0, 0, &t), WIF_E_AUTH_DENIED);
	CU_ASSERT_EQUAL(fake_calls(), 3);
	fake_fail(WIF_OK, "");
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-4");
	wif_cache_free(c);
}

static void
test_mandatory_failure(void)
{
	check_blocking_failure(T0 + 3600 - 30);
}

static void
test_expired_failure(void)
{
	check_blocking_failure(T0 + 3600 + 10);
}

static void
test_mandatory_success(void)
{
	struct wif_cache *c;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	set_now(T0 + 3600 - 20);
	CU_ASSERT_EQUAL(expect_token(c, "p", 0, 0, "sk-ant-oat01-p-2"),
	    T0 + 3600 - 20 + 3600);
	CU_ASSERT_EQUAL(info_of(c, "p").mandatory_refreshes, 1);
	CU_ASSERT_EQUAL(info_of(c, "p").hits, 0);
	wif_cache_free(c);
}

static void
test_min_valid(void)
{
	struct wif_cache *c;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	set_now(T0 + 3000);    /* 600 s left */
	expect_token(c, "p", 600, 0, "sk-ant-oat01-p-1");
	CU_ASSERT_EQUAL(fake_calls(), 1);
	expect_token(c, "p", 601, 0, "sk-ant-oat01-p-2");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	/* More than any token was issued for: not worth an exchange, the
	 * token is served (the caller judges it). */
	expect_token(c, "p", 7200, 0, "sk-ant-oat01-p-2");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	/* The server's lifetime turns out shorter than asked: the new token
	 * is returned anyway, after exactly one refresh... */
	set_now(T0 + 3000 + 1000); /* p-2 has 2600 s left */
	fake_lifetime(600);
	CU_ASSERT_EQUAL(expect_token(c, "p", 3000, 0, "sk-ant-oat01-p-3"),
	    T0 + 4000 + 600);
	CU_ASSERT_EQUAL(fake_calls(), 3);
	/* ...and asking the same again does not exchange every time: a token
	 * issued for less than min_valid is served like any other (min_valid
	 * cannot be met by refreshing), until its advisory window. */
	expect_token(c, "p", 3000, 0, "sk-ant-oat01-p-3");
	expect_token(c, "p", 3000, 0, "sk-ant-oat01-p-3");
	CU_ASSERT_EQUAL(fake_calls(), 3);
	/* a min_valid the lifetime can hold still refreshes */
	set_now(T0 + 4000 + 200); /* 400 s left of 600 */
	expect_token(c, "p", 500, 0, "sk-ant-oat01-p-4");
	CU_ASSERT_EQUAL(fake_calls(), 4);
	wif_cache_free(c);
}

static void
test_force(void)
{
	struct wif_cache *c;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	CU_ASSERT_EQUAL(fake_last_flags(), 0);
	expect_token(c, "p", 0, WIF_CACHE_FORCE, "sk-ant-oat01-p-2");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	CU_ASSERT_EQUAL(fake_last_flags(), WIF_CACHE_FORCE);
	CU_ASSERT_EQUAL(info_of(c, "p").mandatory_refreshes, 1);
	/* A failed forced refresh is an error even with a fresh token. */
	fake_fail(WIF_E_HTTP, "fake: down");
	{
		struct wif_token *t = NULL;
		CU_ASSERT_EQUAL(wif_cache_get(c, "p", NULL, 0, WIF_CACHE_FORCE,
		    &t), WIF_E_HTTP);
		CU_ASSERT_PTR_NULL(t);
	}
	wif_cache_free(c);
}

static void
test_force_waits_for_unforced(void)
{
	struct wif_cache *c;
	struct caller k;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	set_now(T0 + 3600 - 100);
	fake_gate(1, NULL);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	fake_wait_calls(2);             /* the background refresh is blocked */
	caller_start(&k, c, "p", WIF_CACHE_FORCE);
	wait_waiters(c, "p", 1, 2);
	fake_gate(0, NULL);
	pthread_join(k.th, NULL);
	CU_ASSERT_EQUAL(k.rc, WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k.tok);
	/* Its own refresh, not the background one's token. */
	CU_ASSERT_STRING_EQUAL(k.tok->access_token, "sk-ant-oat01-p-3");
	CU_ASSERT_EQUAL(fake_calls(), 3);
	CU_ASSERT_EQUAL(fake_last_flags(), WIF_CACHE_FORCE);
	wif_token_free(k.tok);
	wif_cache_free(c);
}

static void
test_force_joins_forced(void)
{
	struct wif_cache *c;
	struct caller a, b;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	fake_gate(1, NULL);
	caller_start(&a, c, "p", WIF_CACHE_FORCE);
	fake_wait_calls(2);
	caller_start(&b, c, "p", WIF_CACHE_FORCE);
	wait_waiters(c, "p", 1, 2);
	fake_gate(0, NULL);
	pthread_join(a.th, NULL);
	pthread_join(b.th, NULL);
	CU_ASSERT_EQUAL(a.rc, WIF_OK);
	CU_ASSERT_EQUAL(b.rc, WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.tok);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.tok);
	CU_ASSERT_STRING_EQUAL(a.tok->access_token, "sk-ant-oat01-p-2");
	CU_ASSERT_STRING_EQUAL(b.tok->access_token, "sk-ant-oat01-p-2");
	CU_ASSERT_EQUAL(fake_calls(), 2);
	wif_token_free(a.tok);
	wif_token_free(b.tok);
	wif_cache_free(c);
}

/* Inside the mandatory window while a background refresh is in flight: wait
 * for it and take its result, whatever it is. */
static void
check_join_background(int fail)
{
	struct wif_cache *c;
	struct caller k;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	set_now(T0 + 3600 - 100);
	fake_gate(1, NULL);
	if (fail)
		fake_fail(WIF_E_TIMEOUT, "fake: exchange timed out");
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	fake_wait_calls(2);
	set_now(T0 + 3600 - 10);
	caller_start(&k, c, "p", 0);
	wait_waiters(c, "p", 1, 2);
	fake_gate(0, NULL);
	pthread_join(k.th, NULL);
	CU_ASSERT_EQUAL(fake_calls(), 2);
	if (fail) {
		CU_ASSERT_EQUAL(k.rc, WIF_E_TIMEOUT);
		CU_ASSERT_STRING_EQUAL(k.detail, "fake: exchange timed out");
		CU_ASSERT_PTR_NULL(k.tok);
	} else {
		CU_ASSERT_EQUAL(k.rc, WIF_OK);
		CU_ASSERT_PTR_NOT_NULL_FATAL(k.tok);
		CU_ASSERT_STRING_EQUAL(k.tok->access_token, "sk-ant-oat01-p-2");
	}
	wif_token_free(k.tok);
	wif_cache_free(c);
}

static void
test_blocking_joins_background(void)
{
	check_join_background(0);
}

static void
test_blocking_joins_background_failure(void)
{
	check_join_background(1);
}

static void
run_crowd(int fail)
{
	static struct caller k[NTHREADS];
	struct wif_cache *c;
	int i;

	fake_reset(3600);
	c = new_cache();
	fake_gate(1, NULL);
	if (fail)
		fake_fail(WIF_E_RATE_LIMITED, "exchange: HTTP 429 rate_limit_error "
		    "from api.example; retry later");
	for (i = 0; i < NTHREADS; i++)
		caller_start(&k[i], c, "cold", 0);
	fake_wait_calls(1);
	wait_waiters(c, "cold", NTHREADS - 1, 1);
	fake_gate(0, NULL);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(k[i].th, NULL);
	CU_ASSERT_EQUAL(fake_calls(), 1);
	for (i = 0; i < NTHREADS; i++) {
		if (fail) {
			CU_ASSERT_EQUAL(k[i].rc, WIF_E_RATE_LIMITED);
			CU_ASSERT_PTR_NULL(k[i].tok);
			CU_ASSERT_STRING_EQUAL(k[i].detail, "exchange: HTTP 429 "
			    "rate_limit_error from api.example; retry later");
			continue;
		}
		CU_ASSERT_EQUAL(k[i].rc, WIF_OK);
		CU_ASSERT_PTR_NOT_NULL_FATAL(k[i].tok);
		CU_ASSERT_EQUAL(k[i].tok->access_token_len,
		    k[0].tok->access_token_len);
		CU_ASSERT(memcmp(k[i].tok->access_token, k[0].tok->access_token,
		    k[0].tok->access_token_len + 1) == 0);
		CU_ASSERT(k[i].tok->access_token != k[0].tok->access_token || i == 0);
		CU_ASSERT_EQUAL(k[i].tok->expires_at, T0 + 3600);
	}
	for (i = 0; i < NTHREADS; i++)
		wif_token_free(k[i].tok);
	CU_ASSERT_EQUAL(info_of(c, "cold").cold_mints, 1);
	CU_ASSERT_EQUAL(info_of(c, "cold").failures, fail ? 1 : 0);
	CU_ASSERT_EQUAL(wif_cache_waiters(c, "cold"), 0);
	wif_cache_free(c);
}

static void
test_single_flight(void)
{
	run_crowd(0);
}

static void
test_single_flight_failure(void)
{
	run_crowd(1);
}

static void
test_profiles_independent(void)
{
	struct wif_cache *c;
	struct caller k;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "a", 0, 0, "sk-ant-oat01-a-1");
	/* a's refresh is stuck; b is served regardless. */
	fake_gate(1, "a");
	caller_start(&k, c, "a", WIF_CACHE_FORCE);
	fake_wait_calls(2);
	expect_token(c, "b", 0, 0, "sk-ant-oat01-b-3");
	expect_token(c, "b", 0, 0, "sk-ant-oat01-b-3");
	CU_ASSERT_EQUAL(info_of(c, "a").refreshing, 1);
	CU_ASSERT_EQUAL(info_of(c, "b").refreshing, 0);
	fake_gate(0, NULL);
	pthread_join(k.th, NULL);
	CU_ASSERT_EQUAL(k.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(k.tok->access_token, "sk-ant-oat01-a-2");
	wif_token_free(k.tok);
	CU_ASSERT_EQUAL(info_of(c, "a").cold_mints, 1);
	CU_ASSERT_EQUAL(info_of(c, "a").mandatory_refreshes, 1);
	CU_ASSERT_EQUAL(info_of(c, "b").cold_mints, 1);
	CU_ASSERT_EQUAL(info_of(c, "b").hits, 1);
	/* Invalidating one leaves the other. */
	wif_cache_invalidate(c, "a");
	CU_ASSERT_EQUAL(info_of(c, "a").has_token, 0);
	CU_ASSERT_EQUAL(info_of(c, "b").has_token, 1);
	wif_cache_free(c);
}

static void
test_invalidate(void)
{
	struct wif_cache *c;

	fake_reset(3600);
	c = new_cache();
	wif_cache_invalidate(c, "never");      /* unknown profile: no-op */
	CU_ASSERT_EQUAL(wif_cache_info(c, "never", &(struct wif_cache_info){0}),
	    WIF_E_NOT_FOUND);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	wif_cache_invalidate(c, "p");
	CU_ASSERT_EQUAL(info_of(c, "p").has_token, 0);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-2");
	CU_ASSERT_EQUAL(info_of(c, "p").cold_mints, 2);
	wif_cache_free(c);
}

static void
test_put(void)
{
	struct wif_token t = { 0 };
	struct wif_cache *c;
	char secret[] = "sk-ant-oat01-from-disk";
	struct wif_cache_info i;

	fake_reset(3600);
	c = new_cache();
	t.access_token = secret;
	t.access_token_len = strlen(secret);
	t.expires_at = T0 + 1000;
	t.obtained_at = T0 - 10;
	snprintf(t.request_id, sizeof(t.request_id), "req_disk");
	CU_ASSERT_EQUAL(wif_cache_put(c, "p", &t), WIF_OK);
	/* The cache keeps its own copy. */
	memset(secret, 'x', sizeof(secret) - 1);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-from-disk");
	CU_ASSERT_EQUAL(fake_calls(), 0);
	i = info_of(c, "p");
	CU_ASSERT_EQUAL(i.expires_at, T0 + 1000);
	CU_ASSERT_EQUAL(i.obtained_at, T0 - 10);
	CU_ASSERT_STRING_EQUAL(i.request_id, "req_disk");
	CU_ASSERT_EQUAL(i.last_refresh_at, 0);
	CU_ASSERT_EQUAL(wif_cache_put(c, "p", NULL), WIF_E_INVALID_ARG);
	t.access_token = NULL;
	CU_ASSERT_EQUAL(wif_cache_put(c, "p", &t), WIF_E_INVALID_ARG);
	wif_cache_free(c);
}

static void
test_no_expiry(void)
{
	struct wif_token t = { 0 };
	struct wif_cache *c;
	char secret[] = "sk-ant-oat01-forever";

	fake_reset(3600);
	c = new_cache();
	t.access_token = secret;
	t.access_token_len = strlen(secret);
	CU_ASSERT_EQUAL(wif_cache_put(c, "p", &t), WIF_OK);
	set_now(T0 + 10 * 365 * 86400);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-forever");
	CU_ASSERT_EQUAL(fake_calls(), 0);
	expect_token(c, "p", 0, WIF_CACHE_FORCE, "sk-ant-oat01-p-1");
	wif_cache_free(c);
}

static void
test_info_counters(void)
{
	struct wif_cache *c;
	struct wif_cache_info i;
	struct wif_token *t = NULL;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");          /* cold */
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");          /* hit */
	set_now(T0 + 3600 - 60);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");          /* hit + advisory */
	wif_cache_wait_idle(c, "p");
	set_now(T0 + 3600 - 60 + 3600 - 5);
	fake_fail(WIF_E_SERVER, "fake: 503");
	CU_ASSERT_EQUAL(wif_cache_get(c, "p", NULL, 0, 0, &t), WIF_E_SERVER);
	i = info_of(c, "p");
	CU_ASSERT_EQUAL(i.cold_mints, 1);
	CU_ASSERT_EQUAL(i.hits, 2);
	CU_ASSERT_EQUAL(i.advisory_refreshes, 1);
	CU_ASSERT_EQUAL(i.mandatory_refreshes, 1);
	CU_ASSERT_EQUAL(i.failures, 1);
	CU_ASSERT_EQUAL(i.last_refresh_rc, WIF_E_SERVER);
	CU_ASSERT_EQUAL(i.last_refresh_at, T0 + 3600 - 60 + 3600 - 5);
	CU_ASSERT_STRING_EQUAL(i.last_error, "fake: 503");
	CU_ASSERT_EQUAL(i.has_token, 1);   /* kept, but never served now */
	CU_ASSERT_EQUAL(i.refreshing, 0);
	wif_cache_free(c);
}

static void
test_bad_args(void)
{
	struct wif_cache *c = NULL;
	struct wif_token dummy, *t = &dummy;
	char name[200];

	CU_ASSERT_EQUAL(wif_cache_new(NULL, NULL, NULL, &c), WIF_E_INVALID_ARG);
	CU_ASSERT_PTR_NULL(c);
	fake_reset(3600);
	c = new_cache();
	CU_ASSERT_EQUAL(wif_cache_get(c, NULL, NULL, 0, 0, &t), WIF_E_INVALID_ARG);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_EQUAL(wif_cache_get(c, "", NULL, 0, 0, &t), WIF_E_INVALID_ARG);
	memset(name, 'n', 129);
	name[129] = '\0';
	CU_ASSERT_EQUAL(wif_cache_get(c, name, NULL, 0, 0, &t), WIF_E_INVALID_ARG);
	CU_ASSERT_EQUAL(fake_calls(), 0);
	name[128] = '\0';
	CU_ASSERT_EQUAL(wif_cache_get(c, name, NULL, 0, 0, &t), WIF_OK);
	wif_token_free(t);
	wif_cache_free(c);
	wif_cache_free(NULL);
}

static void
test_ok_without_token(void)
{
	struct wif_cache *c;
	struct wif_token *t = NULL;

	fake_reset(3600);
	c = new_cache();
	pthread_mutex_lock(&F.mu);
	F.ok_without_token = 1;
	pthread_mutex_unlock(&F.mu);
	CU_ASSERT_EQUAL(wif_cache_get(c, "p", NULL, 0, 0, &t), WIF_E_INTERNAL);
	CU_ASSERT_PTR_NULL(t);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "\"p\""));
	wif_cache_free(c);
}

/* The background thread is joined and its token freed (ASan checks). */
static void *
free_main(void *arg)
{
	wif_cache_free(arg);
	return NULL;
}

static void
test_free_during_background(void)
{
	struct wif_cache *c;
	pthread_t th;

	fake_reset(3600);
	c = new_cache();
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	set_now(T0 + 3600 - 100);
	fake_gate(1, NULL);
	expect_token(c, "p", 0, 0, "sk-ant-oat01-p-1");
	fake_wait_calls(2);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, free_main, c), 0);
	fake_gate(0, NULL);
	pthread_join(th, NULL);
	pthread_mutex_lock(&F.mu);
	CU_ASSERT_EQUAL(F.done, 2);
	pthread_mutex_unlock(&F.mu);
}

static const struct cu_test tests[] = {
	{ "cold mint", test_cold_mint },
	{ "hit", test_hit },
	{ "advisory window: old token, one background refresh", test_advisory_background },
	{ "policy windows", test_policy },
	{ "advisory failure: kept token, 5 s backoff", test_advisory_failure_backoff },
	{ "mandatory window failure is an error", test_mandatory_failure },
	{ "expired token failure is an error", test_expired_failure },
	{ "mandatory window refreshes", test_mandatory_success },
	{ "min_valid", test_min_valid },
	{ "FORCE", test_force },
	{ "FORCE does not join an unforced refresh", test_force_waits_for_unforced },
	{ "FORCE joins a forced refresh", test_force_joins_forced },
	{ "blocking caller joins a background refresh", test_blocking_joins_background },
	{ "blocking caller gets a background failure", test_blocking_joins_background_failure },
	{ "single flight: 32 threads, one call, one token", test_single_flight },
	{ "single flight: 32 threads, one failure", test_single_flight_failure },
	{ "profiles are independent", test_profiles_independent },
	{ "invalidate", test_invalidate },
	{ "put", test_put },
	{ "no expiry", test_no_expiry },
	{ "info counters", test_info_counters },
	{ "bad arguments", test_bad_args },
	{ "refresh OK without a token", test_ok_without_token },
	{ "free during a background refresh", test_free_during_background },
	{ NULL, NULL },
};

WIF_CU_MAIN("cache", tests, NULL, NULL)
