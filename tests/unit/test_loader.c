/*
 * test_loader.c - every rule of the plugin loader, proven with the mock
 * plugins of tests/plugins (built in $WIF_MOCK_DIR), and a load of every
 * plugin the build produced ($WIF_PLUGIN_BUILD_DIR).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>

#include "core.h"
#include "cutest.h"
#include "err.h"
#include "loader.h"

static const char *
mock_dir(void)
{
	const char *d = getenv("WIF_MOCK_DIR");

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	return d;
}

static int
load(const char *name, struct wif_plugin **p)
{
	return wif_loader_load(mock_dir(), name, p);
}

static void
test_good_plugin_loads(void)
{
	struct wif_plugin *p = NULL;

	CU_ASSERT_EQUAL_FATAL(load("mock", &p), WIF_OK);
	CU_ASSERT_STRING_EQUAL(p->prov->name, "mock");
	CU_ASSERT_EQUAL(p->minor, WIF_PROVIDER_ABI_MINOR);
	CU_ASSERT_PTR_NOT_NULL(strstr(p->path, "/mock.so"));
	wif_loader_unload(p);
}

static void
test_older_minor_loads(void)
{
	struct wif_plugin *p = NULL;

	CU_ASSERT_EQUAL_FATAL(load("mock_oldminor", &p), WIF_OK);
	CU_ASSERT_EQUAL(p->minor, 0);
	/* The table ends before describe(): WIF_HAS must say so. */
	CU_ASSERT_FALSE(WIF_HAS(struct wif_provider, p->prov, describe));
	CU_ASSERT_TRUE(WIF_HAS(struct wif_provider, p->prov, detect));
	wif_loader_unload(p);
}

static void
test_newer_minor_loads(void)
{
	struct wif_plugin *p = NULL;

	CU_ASSERT_EQUAL_FATAL(load("mock_newminor", &p), WIF_OK);
	CU_ASSERT_EQUAL(p->minor, WIF_PROVIDER_ABI_MINOR + 1);
	CU_ASSERT_TRUE(p->prov->struct_size > sizeof(struct wif_provider));
	CU_ASSERT_TRUE(WIF_HAS(struct wif_provider, p->prov, describe));
	wif_loader_unload(p);
}

static void
assert_refused(const char *name, int want_rc, const char *want_text)
{
	struct wif_plugin *p = NULL;
	int r = load(name, &p);

	CU_ASSERT_EQUAL(r, want_rc);
	CU_ASSERT_PTR_NULL(p);
	/* The error always names the file and the reason. */
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), name));
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), want_text));
	if (r != want_rc || strstr(wif_err_detail(), want_text) == NULL)
		fprintf(stderr, "\n  %s: rc %d detail: %s\n", name, r, wif_err_detail());
	wif_loader_unload(p);
}

static void
test_bad_major_refused(void)
{
	assert_refused("mock_badmajor", WIF_E_ABI, "major 2");
}

static void
test_short_struct_refused(void)
{
	assert_refused("mock_short", WIF_E_ABI, "shorter than");
}

static void
test_missing_symbol_refused(void)
{
	assert_refused("mock_nosym", WIF_E_PROVIDER_LOAD, "wif_provider_entry");
}

static void
test_wrong_name_refused(void)
{
	assert_refused("mock_wrongname", WIF_E_ABI, "calls itself \"mock\"");
}

static void
test_missing_function_refused(void)
{
	assert_refused("mock_nofetch", WIF_E_ABI, "fetch_identity_token");
}

static void
test_entry_refusal(void)
{
	assert_refused("mock_refuse", WIF_E_ABI, "refused provider ABI major");
}

static void
test_absent_plugin(void)
{
	assert_refused("mock_absent", WIF_E_NOT_FOUND, "not installed");
}

static void
test_names_not_paths(void)
{
	struct wif_plugin *p = NULL;
	static const char *bad[] = { "../mock", "/abs/mock", "mock.so", "Mock",
	    "", "a/b", "mock\n", NULL };
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		CU_ASSERT_EQUAL(load(bad[i], &p), WIF_E_INVALID_ARG);
		CU_ASSERT_PTR_NULL(p);
	}
}

/* Copy mock.so into a fresh directory under the build tree. */
static void
copy_mock(const char *dir)
{
	char src[4096], dst[4096], buf[65536];
	int in, out;
	ssize_t n;

	snprintf(src, sizeof(src), "%s/mock.so", mock_dir());
	snprintf(dst, sizeof(dst), "%s/mock.so", dir);
	CU_ASSERT_FATAL((in = open(src, O_RDONLY)) >= 0);
	CU_ASSERT_FATAL((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CU_ASSERT_EQUAL_FATAL(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	CU_ASSERT_EQUAL(chmod(dst, 0644), 0);
}

static void
rm_dir(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/mock.so", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_unsafe_permissions_refused(void)
{
	char dir[] = "loadertest.XXXXXX", abs[4096], path[4096];
	struct wif_plugin *p = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	CU_ASSERT_EQUAL_FATAL(chmod(dir, 0755), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(dir, abs));
	copy_mock(abs);
	snprintf(path, sizeof(path), "%s/mock.so", abs);

	/* Safe copy: loads. */
	CU_ASSERT_EQUAL(wif_loader_load(abs, "mock", &p), WIF_OK);
	wif_loader_unload(p);
	p = NULL;

	/* Group-writable file. */
	CU_ASSERT_EQUAL(chmod(path, 0664), 0);
	CU_ASSERT_EQUAL(wif_loader_load(abs, "mock", &p), WIF_E_PERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), path));
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "chmod go-w"));
	/* World-writable file. */
	CU_ASSERT_EQUAL(chmod(path, 0646), 0);
	CU_ASSERT_EQUAL(wif_loader_load(abs, "mock", &p), WIF_E_PERM);
	CU_ASSERT_EQUAL(chmod(path, 0644), 0);

	/* World-writable directory. */
	CU_ASSERT_EQUAL(chmod(abs, 0777), 0);
	CU_ASSERT_EQUAL(wif_loader_load(abs, "mock", &p), WIF_E_PERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "directory"));
	CU_ASSERT_EQUAL(chmod(abs, 0755), 0);

	/* Owned by someone else (only root can arrange that). */
	if (geteuid() == 0) {
		CU_ASSERT_EQUAL(chown(path, 65534, 65534), 0);
		CU_ASSERT_EQUAL(wif_loader_load(abs, "mock", &p), WIF_E_PERM);
		CU_ASSERT_PTR_NOT_NULL(strstr(wif_err_detail(), "owned by uid 65534"));
		CU_ASSERT_EQUAL(chown(path, 0, 0), 0);
	}
	CU_ASSERT_PTR_NULL(p);
	rm_dir(abs);
}

static void
test_env_override_only_unprivileged(void)
{
	pid_t pid;
	int status;

	setenv(WIF_PROVIDER_DIR_ENV, "/some/where", 1);
	if (geteuid() == 0) {
		/* Root ignores it and uses the configured directory. */
		CU_ASSERT_STRING_EQUAL(wif_loader_dir("/configured"), "/configured");
		CU_ASSERT_STRING_EQUAL(wif_loader_dir(NULL), WIF_DEFAULT_PROVIDER_DIR);
		/* An unprivileged child honours it ... */
		pid = fork();
		CU_ASSERT_FATAL(pid >= 0);
		if (pid == 0) {
			if (setresgid(65534, 65534, 65534) != 0 ||
			    setresuid(65534, 65534, 65534) != 0)
				_exit(3);
			_exit(strcmp(wif_loader_dir("/configured"), "/some/where") == 0 ? 0 : 1);
		}
		CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
		CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		/* ... and a setuid-like one (real uid != effective uid) does not. */
		pid = fork();
		CU_ASSERT_FATAL(pid >= 0);
		if (pid == 0) {
			if (setresuid(65534, 0, 0) != 0)
				_exit(3);
			_exit(strcmp(wif_loader_dir("/configured"), "/configured") == 0 ? 0 : 1);
		}
		CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
		CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	} else {
		CU_ASSERT_STRING_EQUAL(wif_loader_dir("/configured"), "/some/where");
	}
	/* A relative override is never honoured. */
	setenv(WIF_PROVIDER_DIR_ENV, "relative/dir", 1);
	CU_ASSERT_STRING_EQUAL(wif_loader_dir("/configured"), "/configured");
	unsetenv(WIF_PROVIDER_DIR_ENV);
}

static void
count_cb(void *arg, const char *name)
{
	struct wif_plugin *p = NULL;
	int *n = arg;

	if (wif_loader_load(getenv("WIF_PLUGIN_BUILD_DIR"), name, &p) != WIF_OK)
		fprintf(stderr, "\n  built plugin %s does not load: %s\n", name,
		    wif_err_detail());
	CU_ASSERT_PTR_NOT_NULL(p);
	if (p != NULL) {
		CU_ASSERT_EQUAL(p->prov->abi_major, WIF_PROVIDER_ABI_MAJOR);
		CU_ASSERT_STRING_EQUAL(p->prov->name, name);
		(*n)++;
	}
	wif_loader_unload(p);
}

static void
test_every_built_plugin_loads(void)
{
	const char *dir = getenv("WIF_PLUGIN_BUILD_DIR");
	int n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL(wif_loader_scan(dir, count_cb, &n), WIF_OK);
	/* file and exec at least. */
	CU_ASSERT_TRUE(n >= 2);
}

struct held {
	struct wif_plugin *p[64];
	int n;
};

static void
hold_cb(void *arg, const char *name)
{
	struct held *h = arg;
	struct wif_plugin *p = NULL;

	if (h->n == 64)
		return;
	if (wif_loader_load(getenv("WIF_PLUGIN_BUILD_DIR"), name, &p) != WIF_OK)
		fprintf(stderr, "\n  %s does not load while others are held: %s\n",
		    name, wif_err_detail());
	CU_ASSERT_PTR_NOT_NULL(p);
	if (p != NULL) {
		CU_ASSERT_STRING_EQUAL(p->prov->name, name);
		h->p[h->n++] = p;
	}
}

/*
 * Plugins held at once, the way a configuration holds them, must each be
 * their own object even though each was loaded through a descriptor number
 * the previous load had closed; and after a reload-like sequence (the same
 * file loaded twice, the first copy let go) a third plugin must still come
 * out as itself.  The CI run of 2026-11-22 failed this way: github.so and
 * k8s.so came back as gcp.so.
 */
static void
test_plugins_held_together_stay_distinct(void)
{
	const char *dir = getenv("WIF_PLUGIN_BUILD_DIR");
	struct held h = { .n = 0 };
	struct wif_plugin *a = NULL, *b = NULL, *c = NULL;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	CU_ASSERT_EQUAL(wif_loader_scan(dir, hold_cb, &h), WIF_OK);
	CU_ASSERT_TRUE(h.n >= 2);
	for (i = 0; i < h.n; i++)
		CU_ASSERT_TRUE(i == 0 || h.p[i]->dl != h.p[i - 1]->dl);
	/* Reload: a second copy of "file" while the first is held... */
	CU_ASSERT_EQUAL_FATAL(wif_loader_load(dir, "file", &a), WIF_OK);
	CU_ASSERT_EQUAL_FATAL(wif_loader_load(dir, "file", &b), WIF_OK);
	CU_ASSERT_PTR_EQUAL(a->dl, b->dl); /* one object, counted twice */
	/* ...the first let go, its descriptor number free again. */
	wif_loader_unload(a);
	CU_ASSERT_EQUAL(wif_loader_load(dir, "exec", &c), WIF_OK);
	if (c != NULL)
		CU_ASSERT_STRING_EQUAL(c->prov->name, "exec");
	wif_loader_unload(c);
	wif_loader_unload(b);
	for (i = 0; i < h.n; i++)
		wif_loader_unload(h.p[i]);
}

struct slow_fetch {
	struct wif_core *core;
	int rc;
	volatile int started;
};

static void *
slow_fetch_main(void *arg)
{
	struct slow_fetch *f = arg;
	struct wif_identity *id = NULL;

	f->started = 1;
	f->rc = wif_core_fetch_identity(f->core, "slow", 0, NULL, &id);
	if (f->rc != WIF_OK)
		fprintf(stderr, "\n  fetch: %s\n", wif_err_detail());
	wif_identity_free(id);
	return NULL;
}

/*
 * A plugin that is not thread safe is busy for the whole of a fetch; asking
 * it to describe itself then must not wait for the fetch (wifd answers
 * status on its event loop): the core says "fetching" instead.
 */
static void
test_describe_never_waits_for_a_fetch(void)
{
	char dir[] = "/tmp/wif-loader-XXXXXX", path[PATH_MAX], buf[200];
	struct slow_fetch f = { NULL, -1, 0 };
	struct timespec ts = { 0, 20 * 1000000L };
	pthread_t th;
	FILE *fp;
	int i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/wif.conf", dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fp = fopen(path, "w"));
	fprintf(fp, "wif = { provider_dir = \"%s\"; };\n"
	    "profiles = ( { name = \"slow\"; source = ( { provider = \"mock\"; "
	    "sleep_ms = 1500; jwt = \"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9."
	    "eyJpc3MiOiJodHRwczovL2lzc3Vlci50ZXN0Iiwic3ViIjoidGVzdCIsImF1ZCI6"
	    "Imh0dHBzOi8vYXBpLmFudGhyb3BpYy5jb20iLCJleHAiOjQxMDI0NDQ4MDAsImlh"
	    "dCI6MTcwMDAwMDAwMH0.c2ln\"; } ); exchange = { type = \"anthropic\"; "
	    "federation_rule_id = \"fdrl_x\"; organization_id = "
	    "\"00000000-0000-4000-8000-000000000001\"; "
	    "service_account_id = \"svac_x\"; }; } );\n", mock_dir());
	fclose(fp);
	chmod(path, 0600); /* it holds an inline jwt */
	if (wif_core_open(path, &f.core) != WIF_OK)
		fprintf(stderr, "\n  %s\n", wif_err_detail());
	CU_ASSERT_PTR_NOT_NULL_FATAL(f.core);
	/* sources start with their first fetch: nothing to say yet */
	CU_ASSERT_EQUAL(wif_core_describe_source(f.core, "slow", 0, buf,
	    sizeof(buf)), WIF_E_NOT_FOUND);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, slow_fetch_main, &f), 0);
	/* wait until the fetch holds the source (bounded: 1 s) */
	for (i = 0; i < 50; i++) {
		nanosleep(&ts, NULL);
		if (wif_core_describe_source(f.core, "slow", 0, buf,
		    sizeof(buf)) == WIF_OK && strcmp(buf, "mock: 1 fetches") != 0 &&
		    strcmp(buf, "mock: 0 fetches") != 0)
			break;
	}
	/* answered while the fetch still runs, not after it */
	CU_ASSERT_STRING_EQUAL(buf, "fetching an identity token");
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(f.rc, WIF_OK);
	CU_ASSERT_EQUAL(wif_core_describe_source(f.core, "slow", 0, buf,
	    sizeof(buf)), WIF_OK);
	CU_ASSERT_STRING_EQUAL(buf, "mock: 1 fetches");
	wif_core_close(f.core);
	unlink(path);
	rmdir(dir);
}

static void
test_scan_missing_dir(void)
{
	int n = 0;

	CU_ASSERT_EQUAL(wif_loader_scan("/nonexistent/wif", count_cb, &n), WIF_E_NOT_FOUND);
	CU_ASSERT_EQUAL(n, 0);
}

static const struct cu_test tests[] = {
	{ "good plugin loads", test_good_plugin_loads },
	{ "older minor loads, newer fields unseen", test_older_minor_loads },
	{ "newer minor loads", test_newer_minor_loads },
	{ "bad major refused", test_bad_major_refused },
	{ "short struct refused", test_short_struct_refused },
	{ "missing entry symbol refused", test_missing_symbol_refused },
	{ "wrong name refused", test_wrong_name_refused },
	{ "missing required function refused", test_missing_function_refused },
	{ "entry refusing the major", test_entry_refusal },
	{ "absent plugin", test_absent_plugin },
	{ "providers are names, never paths", test_names_not_paths },
	{ "unsafe permissions refused", test_unsafe_permissions_refused },
	{ "env override ignored for root/setuid", test_env_override_only_unprivileged },
	{ "every built plugin loads", test_every_built_plugin_loads },
	{ "plugins held together stay distinct", test_plugins_held_together_stay_distinct },
	{ "describe never waits for a fetch", test_describe_never_waits_for_a_fetch },
	{ "scan of a missing directory", test_scan_missing_dir },
	{ NULL, NULL },
};

WIF_CU_MAIN("loader", tests, NULL, NULL)
