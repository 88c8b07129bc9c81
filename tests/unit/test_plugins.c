/*
 * test_plugins.c - the built `file` and `exec` provider plugins, dlopen()ed
 * from $WIF_PLUGIN_BUILD_DIR and driven through init/fetch/destroy with a
 * host table made of the real core services (wif_read_file,
 * wif_run_program, wif_json_*, wif_base64url_decode, wif_secmem_*) and a
 * fake config section per test.
 *
 * Every error path is checked for its rc AND its set_error() message: the
 * message names the file or program, and never holds the token (the
 * fixtures' signature and payload are markers searched for in every
 * message and log line).
 *
 * Longer than most files: one host harness serves both plugins, and each
 * error path of each plugin is a case of its own.
 */
#include "config.h"

#include <dlfcn.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wif/provider.h>

#include "crypto.h"
#include "cutest.h"
#include "fileio.h"
#include "json.h"
#include "proc.h"
#include "secmem.h"

/* {"alg":"RS256","typ":"JWT"} . {"sub":"test"} . "SIGNATURE_MARKER" */
#define HDR "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9"
#define PAY "eyJzdWIiOiJ0ZXN0In0"
#define SIG "U0lHTkFUVVJFX01BUktFUg"
#define JWT HDR "." PAY "." SIG
#define JWT2 HDR "." PAY ".c2Vjb25k"

/* ---- a fake config section ------------------------------------------- */
struct kv {
	const char *key;
	int type;
	const char *s;
	int64_t i;
	const char *const *list;
};
#define S(k, v) { (k), WIF_OPT_STRING, (v), 0, NULL }
#define I(k, v) { (k), WIF_OPT_INT, NULL, (v), NULL }
#define L(k, ...) { (k), WIF_OPT_STRING_LIST, NULL, 0, \
	(const char *const[]){ __VA_ARGS__, NULL } }
#define END { NULL, 0, NULL, 0, NULL }

/* ---- the test host --------------------------------------------------- */
struct thost {
	struct wif_host h; /* first: the plugin's pointer is ours */
	const struct kv *cfg;
	const char *const *env;
	char err[4096];
	int n_err;
	char log[8192];
};

static struct thost TH;

static const struct kv *
kv_find(const struct wif_host *h, const char *key, int type)
{
	const struct thost *t = (const struct thost *)h;
	size_t i;

	for (i = 0; t->cfg != NULL && t->cfg[i].key != NULL; i++)
		if (strcmp(t->cfg[i].key, key) == 0 && t->cfg[i].type == type)
			return &t->cfg[i];
	return NULL;
}

static void
h_log(const struct wif_host *h, int level, const char *fmt, ...)
{
	struct thost *t = (struct thost *)(uintptr_t)h;
	size_t used = strlen(t->log);
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(t->log + used, sizeof(t->log) - used, fmt, ap);
	va_end(ap);
}

static void
h_set_error(const struct wif_host *h, const char *fmt, ...)
{
	struct thost *t = (struct thost *)(uintptr_t)h;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	t->n_err++;
}

static int
h_config_string(const struct wif_host *h, const char *key, const char **out)
{
	const struct kv *kv = kv_find(h, key, WIF_OPT_STRING);

	*out = NULL; /* as the core's host does */
	if (kv == NULL)
		return WIF_E_NOT_FOUND;
	*out = kv->s;
	return WIF_OK;
}

static int
h_config_int(const struct wif_host *h, const char *key, int64_t *out)
{
	const struct kv *kv = kv_find(h, key, WIF_OPT_INT);

	if (kv == NULL)
		return WIF_E_NOT_FOUND;
	*out = kv->i;
	return WIF_OK;
}

static int
h_config_bool(const struct wif_host *h, const char *key, int *out)
{
	const struct kv *kv = kv_find(h, key, WIF_OPT_BOOL);

	if (kv == NULL)
		return WIF_E_NOT_FOUND;
	*out = (int)kv->i;
	return WIF_OK;
}

static int
h_config_list_string(const struct wif_host *h, const char *key, size_t idx,
                     const char **out)
{
	const struct kv *kv = kv_find(h, key, WIF_OPT_STRING_LIST);
	size_t i;

	if (kv == NULL)
		return WIF_E_NOT_FOUND;
	for (i = 0; i < idx && kv->list[i] != NULL; i++)
		;
	if (kv->list[i] == NULL)
		return WIF_E_NOT_FOUND;
	*out = kv->list[i];
	return WIF_OK;
}

static const char *
h_getenv(const struct wif_host *h, const char *name)
{
	const struct thost *t = (const struct thost *)h;
	size_t i, n = strlen(name);

	for (i = 0; t->env != NULL && t->env[i] != NULL; i++)
		if (strncmp(t->env[i], name, n) == 0 && t->env[i][n] == '=')
			return t->env[i] + n + 1;
	return NULL;
}

static int
h_read_file(const struct wif_host *h, const char *path, size_t max,
            unsigned flags, char **out, size_t *out_len)
{
	(void)h;
	return wif_read_file(path, max, (flags & WIF_READ_SECRET) ?
	    WIF_READ_SECRET_FLAG : 0, out, out_len);
}

static int
h_json_parse(const struct wif_host *h, const char *buf, size_t len,
             struct wif_json **doc)
{
	(void)h;
	return wif_json_parse(buf, len, doc);
}

static int
h_json_get_string(const struct wif_host *h, const struct wif_json *doc,
                  const char *pointer, const char **out)
{
	(void)h;
	return wif_json_get_string(doc, pointer, out);
}

static int
h_json_get_int(const struct wif_host *h, const struct wif_json *doc,
               const char *pointer, int64_t *out)
{
	(void)h;
	return wif_json_get_int(doc, pointer, out);
}

static void
h_json_free(const struct wif_host *h, struct wif_json *doc)
{
	(void)h;
	wif_json_free(doc);
}

static int
h_base64url_decode(const struct wif_host *h, const char *in, size_t len,
                   uint8_t **out, size_t *out_len)
{
	(void)h;
	return wif_base64url_decode(in, len, out, out_len);
}

static void *
h_secure_alloc(const struct wif_host *h, size_t size)
{
	(void)h;
	return wif_secmem_alloc(size);
}

static void
h_secure_free(const struct wif_host *h, void *p)
{
	(void)h;
	wif_secmem_free(p);
}

static char *
h_secure_strndup(const struct wif_host *h, const char *s, size_t n)
{
	(void)h;
	return wif_secmem_strndup(s, n);
}

static int64_t
h_now(const struct wif_host *h)
{
	(void)h;
	return (int64_t)time(NULL);
}

static int64_t
h_monotonic_ms(const struct wif_host *h)
{
	struct timespec ts;

	(void)h;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
h_run_program(const struct wif_host *h, const char *const *argv,
              const char *const *env, long timeout_ms, size_t max_out,
              char **out, size_t *out_len, char **err_out, int *exit_status)
{
	(void)h;
	return wif_run_program(argv, env, timeout_ms, max_out, out, out_len,
	    err_out, exit_status);
}

/* A fresh host for one plugin instance with config cfg. */
static const struct wif_host *
host(const struct kv *cfg, const char *const *env)
{
	memset(&TH, 0, sizeof(TH));
	TH.h.struct_size = sizeof(struct wif_host);
	TH.h.abi_major = WIF_PROVIDER_ABI_MAJOR;
	TH.h.abi_minor = WIF_PROVIDER_ABI_MINOR;
	TH.h.log = h_log;
	TH.h.set_error = h_set_error;
	TH.h.strerror = wif_strerror;
	TH.h.config_string = h_config_string;
	TH.h.config_int = h_config_int;
	TH.h.config_bool = h_config_bool;
	TH.h.config_list_string = h_config_list_string;
	TH.h.getenv = h_getenv;
	TH.h.read_file = h_read_file;
	TH.h.json_parse = h_json_parse;
	TH.h.json_get_string = h_json_get_string;
	TH.h.json_get_int = h_json_get_int;
	TH.h.json_free = h_json_free;
	TH.h.base64url_decode = h_base64url_decode;
	TH.h.secure_alloc = h_secure_alloc;
	TH.h.secure_free = h_secure_free;
	TH.h.secure_strndup = h_secure_strndup;
	TH.h.now = h_now;
	TH.h.monotonic_ms = h_monotonic_ms;
	TH.h.run_program = h_run_program;
	TH.cfg = cfg;
	TH.env = env;
	return &TH.h;
}

/* ---- the plugins ----------------------------------------------------- */
struct plugin {
	void *dl;
	wif_provider_entry_fn entry;
	const struct wif_provider *p;
};

static struct plugin P_FILE, P_EXEC, P_ENV;
static char dir[PATH_MAX - 64];

static int
load(const char *name, struct plugin *pl)
{
	union { void *obj; wif_provider_entry_fn fn; } u;
	const char *bd = getenv("WIF_PLUGIN_BUILD_DIR");
	char path[PATH_MAX];

	if (bd == NULL) {
		fprintf(stderr, "WIF_PLUGIN_BUILD_DIR is not set (run through "
		    "make check)\n");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.so", bd, name);
	if ((pl->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return -1;
	}
	u.obj = dlsym(pl->dl, WIF_PROVIDER_ENTRY_SYMBOL);
	if ((pl->entry = u.fn) == NULL) {
		fprintf(stderr, "%s: no %s\n", path, WIF_PROVIDER_ENTRY_SYMBOL);
		return -1;
	}
	if (pl->entry(WIF_PROVIDER_ABI_MAJOR, &pl->p) != WIF_OK || pl->p == NULL) {
		fprintf(stderr, "%s: entry failed\n", path);
		return -1;
	}
	return 0;
}

static void
rm_rf(const char *path)
{
	struct dirent *de;
	struct stat st;
	char p[PATH_MAX];
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
			rm_rf(p);
		}
		closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int
suite_init(void)
{
	char cwd[PATH_MAX - 128];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/t_plugins.XXXXXX", cwd);
	if (mkdtemp(dir) == NULL)
		return -1;
	/* must never reach a helper: the exec plugin passes only what it is told */
	setenv("WIF_TEST_LEAK", "leaked", 1);
	return load("file", &P_FILE) != 0 || load("exec", &P_EXEC) != 0 ||
	    load("env", &P_ENV) != 0 ? -1 : 0;
}

static int
suite_cleanup(void)
{
	if (P_FILE.dl != NULL)
		dlclose(P_FILE.dl);
	if (P_EXEC.dl != NULL)
		dlclose(P_EXEC.dl);
	if (P_ENV.dl != NULL)
		dlclose(P_ENV.dl);
	rm_rf(dir);
	return 0;
}

/* ---- fixtures and drivers -------------------------------------------- */
static const char *
fixture(const char *name, const char *data, size_t len, mode_t mode)
{
	static char paths[16][PATH_MAX];
	static int next;
	char *p = paths[next++ % 16];
	FILE *f;

	snprintf(p, PATH_MAX, "%s/%s", dir, name);
	unlink(p);
	f = fopen(p, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_FATAL(fwrite(data, 1, len, f) == len);
	CU_ASSERT_FATAL(fclose(f) == 0);
	CU_ASSERT_FATAL(chmod(p, mode) == 0);
	return p;
}

static const char *
text(const char *name, const char *s)
{
	return fixture(name, s, strlen(s), 0644);
}

/* A /bin/sh script; body follows the #! line. */
static const char *
script(const char *name, const char *body)
{
	char buf[8192];

	snprintf(buf, sizeof(buf), "#!/bin/sh\n%s\n", body);
	return fixture(name, buf, strlen(buf), 0755);
}

static void
req_init(struct wif_fetch_request *req)
{
	memset(req, 0, sizeof(*req));
	req->struct_size = sizeof(*req);
	req->abi_major = WIF_PROVIDER_ABI_MAJOR;
	req->abi_minor = WIF_PROVIDER_ABI_MINOR;
	req->profile = "default";
	req->audience = "https://api.anthropic.com";
}

struct outcome {
	int init_rc;
	int rc;       /* fetch's, or init's when init failed */
	char *jwt;    /* secure memory; outcome_free() */
};

/* init, one fetch, destroy - as the core does. */
static void
drive(const struct plugin *pl, const struct kv *cfg, const char *const *env,
      struct outcome *o)
{
	struct wif_fetch_request req;
	const struct wif_host *h = host(cfg, env);
	void *state = (void *)1;

	memset(o, 0, sizeof(*o));
	o->jwt = (char *)1;
	o->init_rc = pl->p->init(h, &state);
	if (o->init_rc != WIF_OK) {
		CU_ASSERT_PTR_NULL(state);
		CU_ASSERT(TH.n_err > 0); /* every error says why */
		o->rc = o->init_rc;
		o->jwt = NULL;
		return;
	}
	CU_ASSERT_PTR_NOT_NULL(state);
	req_init(&req);
	o->rc = pl->p->fetch_identity_token(state, &req, &o->jwt);
	if (o->rc != WIF_OK) {
		CU_ASSERT_PTR_NULL(o->jwt);
		CU_ASSERT(TH.n_err > 0);
	} else {
		CU_ASSERT_PTR_NOT_NULL(o->jwt);
	}
	pl->p->destroy(state);
}

static void
outcome_free(struct outcome *o)
{
	wif_secmem_free(o->jwt);
	o->jwt = NULL;
}

/* The last error names what it must and never holds the token. */
static int
err_has(const char *needle)
{
	return strstr(TH.err, needle) != NULL;
}

static void
assert_no_secret(void)
{
	CU_ASSERT(strstr(TH.err, SIG) == NULL);
	CU_ASSERT(strstr(TH.err, PAY) == NULL);
	CU_ASSERT(strstr(TH.log, SIG) == NULL);
	CU_ASSERT(strstr(TH.log, PAY) == NULL);
}

/* ---- both plugins: the table and the entry point --------------------- */
static void
check_table(const struct plugin *pl, const char *name)
{
	const struct wif_provider *p = pl->p;
	const struct wif_provider *again = NULL;

	CU_ASSERT_EQUAL(p->struct_size, sizeof(struct wif_provider));
	CU_ASSERT_EQUAL(p->abi_major, WIF_PROVIDER_ABI_MAJOR);
	CU_ASSERT_EQUAL(p->abi_minor, WIF_PROVIDER_ABI_MINOR);
	CU_ASSERT_STRING_EQUAL(p->name, name);
	CU_ASSERT_PTR_NOT_NULL(p->description);
	CU_ASSERT_STRING_EQUAL(p->version, "1");
	CU_ASSERT_PTR_NOT_NULL(p->options);
	CU_ASSERT_PTR_NOT_NULL(p->init);
	CU_ASSERT_PTR_NOT_NULL(p->fetch_identity_token);
	CU_ASSERT_PTR_NOT_NULL(p->destroy);
	/* the static table, every time */
	CU_ASSERT_EQUAL(pl->entry(WIF_PROVIDER_ABI_MAJOR, &again), WIF_OK);
	CU_ASSERT_PTR_EQUAL(again, p);
	/* destroy accepts NULL */
	p->destroy(NULL);
}

static void
check_abi(const struct plugin *pl)
{
	const struct wif_provider *p = (const struct wif_provider *)1;

	CU_ASSERT_EQUAL(pl->entry(2, &p), WIF_E_ABI);
	CU_ASSERT_PTR_NULL(p);
	p = (const struct wif_provider *)1;
	CU_ASSERT_EQUAL(pl->entry(0, &p), WIF_E_ABI);
	CU_ASSERT_PTR_NULL(p);
}

static const struct wif_option *
option(const struct wif_provider *p, const char *name)
{
	size_t i;

	for (i = 0; p->options[i].name != NULL; i++)
		if (strcmp(p->options[i].name, name) == 0)
			return &p->options[i];
	return NULL;
}

static size_t
n_options(const struct wif_provider *p)
{
	size_t i;

	for (i = 0; p->options[i].name != NULL; i++)
		CU_ASSERT_PTR_NOT_NULL(p->options[i].help);
	return i;
}

/* ---- file ------------------------------------------------------------ */
static void
test_file_table(void)
{
	const struct wif_option *o;

	check_table(&P_FILE, "file");
	CU_ASSERT_PTR_NOT_NULL(P_FILE.p->detect);
	CU_ASSERT_EQUAL(n_options(P_FILE.p), 1);
	o = option(P_FILE.p, "path");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	if (o == NULL) /* the compiler cannot see that _FATAL longjmps */
		return;
	CU_ASSERT_EQUAL(o->type, WIF_OPT_STRING);
	CU_ASSERT_EQUAL(o->flags, WIF_OPT_REQUIRED | WIF_OPT_PATH);
}

static void
test_file_abi(void)
{
	check_abi(&P_FILE);
}

static void
test_file_ok_trimmed(void)
{
	const char *p = text("tok", " \n\t" JWT "\r\n\n ");
	const struct kv cfg[] = { S("path", p), END };
	struct outcome o;

	drive(&P_FILE, cfg, NULL, &o);
	CU_ASSERT_EQUAL_FATAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(o.jwt, JWT);
	CU_ASSERT_EQUAL(TH.n_err, 0);
	assert_no_secret();
	outcome_free(&o);

	/* no trailing newline at all, and a JSON header with spaces */
	p = text("tok", "IHsiYWxnIiA6ICJFUzI1NiJ9." PAY "." SIG);
	drive(&P_FILE, cfg, NULL, &o);
	CU_ASSERT_EQUAL_FATAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(o.jwt, "IHsiYWxnIiA6ICJFUzI1NiJ9." PAY "." SIG);
	outcome_free(&o);
}

/* The file rotates: every fetch reads it again. */
static void
test_file_reread(void)
{
	const char *p = text("rot", JWT "\n");
	const struct kv cfg[] = { S("path", p), END };
	struct wif_fetch_request req;
	const struct wif_host *h = host(cfg, NULL);
	void *state = NULL;
	char *jwt = NULL;

	req_init(&req);
	CU_ASSERT_EQUAL_FATAL(P_FILE.p->init(h, &state), WIF_OK);
	CU_ASSERT_EQUAL(P_FILE.p->fetch_identity_token(state, &req, &jwt), WIF_OK);
	CU_ASSERT_STRING_EQUAL(jwt, JWT);
	wif_secmem_free(jwt);
	text("rot", JWT2 "\n");
	CU_ASSERT_EQUAL(P_FILE.p->fetch_identity_token(state, &req, &jwt), WIF_OK);
	CU_ASSERT_STRING_EQUAL(jwt, JWT2);
	wif_secmem_free(jwt);
	/* and a file that vanished is an error, not the old token */
	CU_ASSERT_FATAL(unlink(p) == 0);
	jwt = (char *)1;
	CU_ASSERT_EQUAL(P_FILE.p->fetch_identity_token(state, &req, &jwt),
	    WIF_E_NOT_FOUND);
	CU_ASSERT_PTR_NULL(jwt);
	P_FILE.p->destroy(state);
}

static void
test_file_missing(void)
{
	char p[PATH_MAX];
	const struct kv cfg[] = { S("path", p), END };
	struct outcome o;

	snprintf(p, sizeof(p), "%s/never-written", dir);
	drive(&P_FILE, cfg, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_OK); /* init never touches the file */
	CU_ASSERT_EQUAL(o.rc, WIF_E_NOT_FOUND);
	CU_ASSERT(err_has(p));
	CU_ASSERT(err_has("mounted"));
}

static void
test_file_empty(void)
{
	const char *p = text("empty", "");
	const struct kv cfg[] = { S("path", p), END };
	struct outcome o;

	drive(&P_FILE, cfg, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	CU_ASSERT(err_has(p));
	CU_ASSERT(err_has("is empty"));
	CU_ASSERT(err_has("has the issuer written it yet?"));

	/* whitespace only is empty too */
	text("empty", " \n\t\n");
	drive(&P_FILE, cfg, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	CU_ASSERT(err_has("is empty"));
}

static void
test_file_too_big(void)
{
	static char big[16385];
	const char *p;
	struct outcome o;

	memset(big, 'A', sizeof(big));
	p = fixture("big", big, sizeof(big), 0644);
	{
		const struct kv cfg[] = { S("path", p), END };
		drive(&P_FILE, cfg, NULL, &o);
	}
	CU_ASSERT_EQUAL(o.rc, WIF_E_TOO_BIG);
	CU_ASSERT(err_has(p));
	CU_ASSERT(err_has("16384"));
	CU_ASSERT(!err_has("AAAA"));

	/* 16 KiB exactly is allowed (and then is not a JWT) */
	p = fixture("big", big, sizeof(big) - 1, 0644);
	{
		const struct kv cfg[] = { S("path", p), END };
		drive(&P_FILE, cfg, NULL, &o);
	}
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
}

static void
test_file_not_jwt(void)
{
	static const char *const bad[] = {
		"not a jwt",
		HDR "." PAY,                      /* two parts */
		HDR "." PAY "." SIG "." SIG,      /* four parts */
		HDR ".." SIG,                     /* empty payload */
		"." PAY "." SIG,                  /* empty header */
		HDR "." PAY ".",                  /* empty signature */
		HDR "." PAY "." SIG "==",         /* padding */
		HDR "." PAY " x." SIG,            /* space inside */
		HDR "." PAY "+/." SIG,            /* base64, not base64url */
		"eyJ4IjoxfQ." PAY "." SIG,        /* header {"x":1}: no alg */
		"WyJhbGciXQ." PAY "." SIG,        /* header ["alg"] */
		"bm90anNvbg." PAY "." SIG,        /* header "notjson" */
		"eyJhbGciOjV9." PAY "." SIG,      /* "alg": 5 */
		"e." PAY "." SIG,                 /* not decodable */
		"{\"token\":\"" JWT "\"}",        /* JSON is exec's business */
		NULL,
	};
	size_t i;

	for (i = 0; bad[i] != NULL; i++) {
		const char *p = text("notjwt", bad[i]);
		const struct kv cfg[] = { S("path", p), END };
		struct outcome o;

		drive(&P_FILE, cfg, NULL, &o);
		if (o.rc != WIF_E_JWT)
			fprintf(stderr, "case %zu: rc %d\n", i, o.rc);
		CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
		CU_ASSERT(err_has(p));
		CU_ASSERT(err_has("does not hold a JWT"));
		CU_ASSERT(!err_has("not a jwt"));
		assert_no_secret();
	}
}

static void
test_file_not_regular(void)
{
	char p[PATH_MAX];
	const struct kv cfg[] = { S("path", p), END };
	struct outcome o;

	snprintf(p, sizeof(p), "%s/adir", dir);
	CU_ASSERT_FATAL(mkdir(p, 0755) == 0 || errno == EEXIST);
	drive(&P_FILE, cfg, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_IO);
	CU_ASSERT(err_has(p));
	CU_ASSERT(err_has("regular file"));
}

static void
test_file_symlink(void)
{
	const char *target = text("target", JWT "\n");
	char p[PATH_MAX];
	const struct kv cfg[] = { S("path", p), END };
	struct outcome o;

	snprintf(p, sizeof(p), "%s/link", dir);
	unlink(p);
	CU_ASSERT_FATAL(symlink(target, p) == 0);
	drive(&P_FILE, cfg, NULL, &o);
	CU_ASSERT_EQUAL_FATAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(o.jwt, JWT);
	outcome_free(&o);
}

static void
test_file_init_errors(void)
{
	const struct kv none[] = { END };
	const struct kv rel[] = { S("path", "relative/token"), END };
	const struct kv empty[] = { S("path", ""), END };
	struct outcome o;

	drive(&P_FILE, none, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	CU_ASSERT(err_has("path is required"));

	drive(&P_FILE, rel, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	CU_ASSERT(err_has("relative/token"));
	CU_ASSERT(err_has("absolute"));

	drive(&P_FILE, empty, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
}

static void
test_file_detect(void)
{
	const char *p = text("detect", "anything");
	char missing[PATH_MAX];
	const struct kv yes[] = { S("path", p), END };
	const struct kv no[] = { S("path", missing), END };
	const struct kv none[] = { END };

	snprintf(missing, sizeof(missing), "%s/not-there", dir);
	CU_ASSERT_EQUAL(P_FILE.p->detect(host(yes, NULL)), 1);
	CU_ASSERT_EQUAL(P_FILE.p->detect(host(no, NULL)), 0);
	CU_ASSERT_EQUAL(P_FILE.p->detect(host(none, NULL)), 0);
}

/* ---- exec ------------------------------------------------------------ */
static void
test_exec_table(void)
{
	static const struct { const char *name; int type; unsigned flags; } want[] = {
		{ "command", WIF_OPT_STRING_LIST, WIF_OPT_REQUIRED },
		{ "timeout_ms", WIF_OPT_INT, 0 },
		{ "max_output", WIF_OPT_INT, 0 },
		{ "env", WIF_OPT_STRING_LIST, 0 },
		{ "format", WIF_OPT_STRING, 0 },
		{ "json_field", WIF_OPT_STRING, 0 },
	};
	const struct wif_option *o;
	size_t i;

	check_table(&P_EXEC, "exec");
	CU_ASSERT_EQUAL(n_options(P_EXEC.p), sizeof(want) / sizeof(want[0]));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		o = option(P_EXEC.p, want[i].name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o);
		if (o == NULL) /* _FATAL longjmps; say so to the compiler */
			return;
		CU_ASSERT_EQUAL(o->type, want[i].type);
		CU_ASSERT_EQUAL(o->flags, want[i].flags);
	}
}

static void
test_exec_abi(void)
{
	check_abi(&P_EXEC);
}

/* Run a script body through exec with extra config; result in o. */
static void
exec_script(const char *body, const struct kv *extra, struct outcome *o,
            const char **prog)
{
	struct kv cfg[12];
	const char *p = script("helper", body);
	size_t n = 0;

	cfg[n].key = "command";
	cfg[n].type = WIF_OPT_STRING_LIST;
	cfg[n].s = NULL;
	cfg[n].i = 0;
	cfg[n++].list = (const char *const[]){ p, NULL };
	while (extra != NULL && extra->key != NULL && n < 11)
		cfg[n++] = *extra++;
	cfg[n].key = NULL;
	if (prog != NULL)
		*prog = p;
	drive(&P_EXEC, cfg, NULL, o);
}

static void
test_exec_raw_jwt(void)
{
	struct outcome o;

	exec_script("printf '\\n  %s \\n' '" JWT "'", NULL, &o, NULL);
	CU_ASSERT_EQUAL_FATAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(o.jwt, JWT);
	CU_ASSERT_EQUAL(TH.n_err, 0);
	assert_no_secret();
	outcome_free(&o);

	/* format = "jwt" says so explicitly */
	exec_script("echo '" JWT "'", (const struct kv[]){ S("format", "jwt"),
	    END }, &o, NULL);
	CU_ASSERT_EQUAL_FATAL(o.rc, WIF_OK);
	CU_ASSERT_STRING_EQUAL(o.jwt, JWT);
	outcome_free(&o);
}

static void
test_exec_json(void)
{
	static const struct { const char *json; const char *field; } ok[] = {
		{ "{\"token\":\"" JWT "\",\"expires_in\":600}", NULL },
		{ "{\"id_token\":\"" JWT "\"}", NULL },
		{ "{\"access_token\":\"" JWT "\"}", NULL },
		{ "{\"value\":\"" JWT "\"}", NULL },
		/* /token wins over the later names */
		{ "{\"value\":\"x\",\"token\":\"" JWT "\"}", NULL },
		{ "{\"data\":{\"jwt\":\"" JWT "\"}}", "/data/jwt" },
		{ "{\"list\":[\"a\",\"" JWT "\"]}", "/list/1" },
	};
	char body[1024];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct kv extra[] = { S("json_field", ok[i].field), END };
		struct outcome o;

		snprintf(body, sizeof(body), "cat <<'EOF'\n%s\nEOF", ok[i].json);
		exec_script(body, ok[i].field ? extra : NULL, &o, NULL);
		if (o.rc != WIF_OK)
			fprintf(stderr, "case %zu: rc %d: %s\n", i, o.rc, TH.err);
		CU_ASSERT_EQUAL(o.rc, WIF_OK);
		if (o.rc == WIF_OK)
			CU_ASSERT_STRING_EQUAL(o.jwt, JWT);
		outcome_free(&o);
	}

	/* format = "json" with leading whitespace */
	{
		struct outcome o;

		exec_script("printf '  \\n {\"token\": \"%s\"}' '" JWT "'",
		    (const struct kv[]){ S("format", "json"), END }, &o, NULL);
		CU_ASSERT_EQUAL(o.rc, WIF_OK);
		outcome_free(&o);
	}
}

static void
test_exec_json_errors(void)
{
	const char *prog;
	struct outcome o;

	/* no field */
	exec_script("echo '{\"jwt\":\"" JWT "\"}'", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("/token"));
	CU_ASSERT(err_has("json_field"));
	assert_no_secret();

	/* the configured field is absent */
	exec_script("echo '{\"token\":\"" JWT "\"}'",
	    (const struct kv[]){ S("json_field", "/data/jwt"), END }, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	CU_ASSERT(err_has("/data/jwt"));
	assert_no_secret();

	/* not a string */
	exec_script("echo '{\"token\":42}'", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);

	/* the field holds something else */
	exec_script("echo '{\"token\":\"opaque-" SIG "\"}'", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("/token"));
	assert_no_secret();

	/* broken JSON */
	exec_script("echo '{\"token\":\"" JWT "\"'", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("JSON"));
	assert_no_secret();

	/* format = "json" but a raw JWT */
	exec_script("echo '" JWT "'", (const struct kv[]){ S("format", "json"),
	    END }, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PARSE);
	assert_no_secret();

	/* format = "jwt" but JSON */
	exec_script("echo '{\"token\":\"" JWT "\"}'",
	    (const struct kv[]){ S("format", "jwt"), END }, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	assert_no_secret();
}

static void
test_exec_not_jwt(void)
{
	const char *prog;
	struct outcome o;

	exec_script("echo 'hello " PAY "'", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("not a JWT"));
	CU_ASSERT(!err_has("hello"));
	assert_no_secret();

	exec_script("echo 'eyJ4IjoxfQ." PAY "." SIG "'", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_JWT);
	assert_no_secret();
}

static void
test_exec_exit_status(void)
{
	const char *prog;
	struct outcome o;

	exec_script("echo '" JWT "'; echo 'cannot reach the IdP' >&2; "
	    "echo 'second line' >&2; exit 3", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_EXEC);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("exited with status 3: cannot reach the IdP"));
	CU_ASSERT(!err_has("second line"));
	assert_no_secret(); /* stdout never shown */

	/* no stderr: no dangling colon */
	exec_script("exit 4", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_EXEC);
	CU_ASSERT(err_has("exited with status 4"));
	CU_ASSERT(TH.err[strlen(TH.err) - 1] == '4');
}

static void
test_exec_stderr_truncated(void)
{
	char x200[201], x201[202];
	struct outcome o;

	memset(x200, 'x', 200);
	x200[200] = '\0';
	memset(x201, 'x', 201);
	x201[201] = '\0';
	exec_script("i=0; while [ $i -lt 300 ]; do printf x >&2; i=$((i+1)); "
	    "done; printf '\\001\\n' >&2; exit 1", NULL, &o, NULL);
	CU_ASSERT_EQUAL(o.rc, WIF_E_EXEC);
	CU_ASSERT(err_has(x200));
	CU_ASSERT(!err_has(x201));

	/* control characters are not passed through */
	exec_script("printf 'bad\\033[31mred\\n' >&2; exit 1", NULL, &o, NULL);
	CU_ASSERT_EQUAL(o.rc, WIF_E_EXEC);
	CU_ASSERT(strchr(TH.err, '\033') == NULL);
	CU_ASSERT(err_has("bad?[31mred"));
}

static void
test_exec_signal(void)
{
	const char *prog;
	struct outcome o;

	exec_script("kill -KILL $$", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_EXEC);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("killed by signal 9"));
}

static void
test_exec_timeout(void)
{
	const char *prog;
	struct outcome o;

	exec_script("exec /bin/sleep 5", (const struct kv[]){
	    I("timeout_ms", 200), END }, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_TIMEOUT);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("did not finish within 200 ms"));
}

static void
test_exec_too_big(void)
{
	const char *prog;
	struct outcome o;

	exec_script("/usr/bin/head -c 2000 /dev/zero | /usr/bin/tr '\\0' a",
	    (const struct kv[]){ I("max_output", 1024), END }, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_TOO_BIG);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("1024"));
	CU_ASSERT(!err_has("aaaa"));
}

static void
test_exec_empty(void)
{
	const char *prog;
	struct outcome o;

	exec_script("echo; echo '  '", NULL, &o, &prog);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	CU_ASSERT(err_has(prog));
	CU_ASSERT(err_has("printed nothing"));
}

static void
test_exec_cannot_start(void)
{
	char missing[PATH_MAX];
	const char *plain = text("not-executable", "#!/bin/sh\necho hi\n");
	const struct kv c1[] = { L("command", missing), END };
	const struct kv c2[] = { L("command", plain), END };
	struct outcome o;

	snprintf(missing, sizeof(missing), "%s/no-such-helper", dir);
	drive(&P_EXEC, c1, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_OK);
	CU_ASSERT_EQUAL(o.rc, WIF_E_EXEC);
	CU_ASSERT(err_has(missing));
	CU_ASSERT(err_has("not found"));

	drive(&P_EXEC, c2, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_EXEC);
	CU_ASSERT(err_has(plain));
	CU_ASSERT(err_has("not an executable"));
}

/* argv passes through untouched: no shell splits or expands it. */
static void
test_exec_argv(void)
{
	const char *p = script("argv", "[ \"$#\" = 2 ] && [ \"$1\" = 'a b' ] && "
	    "[ \"$2\" = '$HOME;*' ] && echo '" JWT "'");
	const struct kv cfg[] = { L("command", p, "a b", "$HOME;*"), END };
	struct outcome o;

	drive(&P_EXEC, cfg, NULL, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	outcome_free(&o);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The helper's exported environment, sorted (dash reorders it), without
 * the PWD that dash exports on its own. */
static void
read_env(const char *path, char *buf, size_t len)
{
	char lines[16][256], *sorted[16];
	FILE *f = fopen(path, "r");
	size_t n = 0, i;

	buf[0] = '\0';
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (n < 16 && fgets(lines[n], sizeof(lines[n]), f) != NULL)
		if (strncmp(lines[n], "PWD=", 4) != 0) {
			sorted[n] = lines[n];
			n++;
		}
	fclose(f);
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	for (i = 0; i < n; i++)
		strncat(buf, sorted[i], len - strlen(buf) - 1);
}

static void
test_exec_env(void)
{
	static const char *const henv[] = { "PASS=through value", "HIDDEN=nope",
	    "PATH=/should/not/leak", NULL };
	char out[PATH_MAX], body[PATH_MAX + 64], got[2048];
	const char *p;
	struct outcome o;

	snprintf(out, sizeof(out), "%s/env.out", dir);
	snprintf(body, sizeof(body), "/usr/bin/env > '%s'; echo '" JWT "'", out);
	p = script("envdump", body);

	/* default: PATH only */
	{
		const struct kv cfg[] = { L("command", p), END };
		drive(&P_EXEC, cfg, henv, &o);
	}
	CU_ASSERT_EQUAL_FATAL(o.rc, WIF_OK);
	outcome_free(&o);
	read_env(out, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "PATH=/usr/bin:/bin\n");

	/* given: exactly that; "NAME" passes the host's value, if any */
	{
		const struct kv cfg[] = { L("command", p),
		    L("env", "FOO=bar=baz", "PASS", "UNSET_NAME", "EMPTY="), END };
		drive(&P_EXEC, cfg, henv, &o);
	}
	CU_ASSERT_EQUAL_FATAL(o.rc, WIF_OK);
	outcome_free(&o);
	read_env(out, got, sizeof(got));
	CU_ASSERT_STRING_EQUAL(got, "EMPTY=\nFOO=bar=baz\nPASS=through value\n");
}

static void
test_exec_init_errors(void)
{
	const struct { struct kv extra; const char *needle; } bad[] = {
		{ I("timeout_ms", 99), "timeout_ms" },
		{ I("timeout_ms", 300001), "timeout_ms" },
		{ I("max_output", 1023), "max_output" },
		{ I("max_output", 1048577), "max_output" },
		{ S("format", "xml"), "xml" },
		{ S("json_field", "token"), "JSON Pointer" },
		{ L("env", "1BAD=x"), "env[0]" },
		{ L("env", "OK=1", "A-B"), "env[1]" },
		{ L("env", "=x"), "env[0]" },
	};
	const struct kv good[] = {
		I("timeout_ms", 100), I("timeout_ms", 300000),
		I("max_output", 1024), I("max_output", 1048576),
		S("format", "auto"), S("format", "json"), S("json_field", "/a/0"),
		L("env", "A_1=", "_B"),
	};
	const struct kv none[] = { END };
	const struct kv rel[] = { L("command", "get-jwt", "--x"), END };
	struct outcome o;
	size_t i;

	drive(&P_EXEC, none, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	CU_ASSERT(err_has("command is required"));

	drive(&P_EXEC, rel, NULL, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	CU_ASSERT(err_has("get-jwt"));
	CU_ASSERT(err_has("absolute"));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const struct kv cfg[] = { L("command", "/bin/true"), bad[i].extra, END };

		drive(&P_EXEC, cfg, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
		if (!err_has(bad[i].needle))
			fprintf(stderr, "case %zu: %s\n", i, TH.err);
		CU_ASSERT(err_has(bad[i].needle));
	}
	/* the bounds themselves are fine (and then /bin/true prints nothing) */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const struct kv cfg[] = { L("command", "/bin/true"), good[i], END };

		drive(&P_EXEC, cfg, NULL, &o);
		CU_ASSERT_EQUAL(o.init_rc, WIF_OK);
		CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	}
}

/* ---- env ------------------------------------------------------------- */
static void
test_env_table(void)
{
	const struct wif_option *o;

	check_table(&P_ENV, "env");
	check_abi(&P_ENV);
	CU_ASSERT_PTR_NOT_NULL(P_ENV.p->detect);
	CU_ASSERT_EQUAL(n_options(P_ENV.p), 1);
	o = option(P_ENV.p, "variable");
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	if (o == NULL)
		return;
	CU_ASSERT_EQUAL(o->type, WIF_OPT_STRING);
	CU_ASSERT_EQUAL(o->flags, 0);
}

/* No "variable" key: ANTHROPIC_IDENTITY_TOKEN, like the SDKs. */
static void
test_env_default_variable(void)
{
	static const char *const env[] = { "OTHER=x",
	    "ANTHROPIC_IDENTITY_TOKEN=  " JWT "\n", NULL };
	const struct kv none[] = { END };
	struct outcome o;

	drive(&P_ENV, none, env, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_OK);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	if (o.jwt != NULL)
		CU_ASSERT_STRING_EQUAL(o.jwt, JWT); /* trimmed */
	outcome_free(&o);
	CU_ASSERT_EQUAL(P_ENV.p->detect(host(none, env)), 1);
}

static void
test_env_named_variable(void)
{
	static const char *const env[] = { "ANTHROPIC_IDENTITY_TOKEN=" JWT2,
	    "MY_JWT=" JWT, NULL };
	const struct kv cfg[] = { S("variable", "MY_JWT"), END };
	struct outcome o;

	drive(&P_ENV, cfg, env, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_OK);
	if (o.jwt != NULL)
		CU_ASSERT_STRING_EQUAL(o.jwt, JWT);
	outcome_free(&o);
}

static void
test_env_errors(void)
{
	static const char *const unset[] = { "OTHER=1", NULL };
	static const char *const blank[] = { "ANTHROPIC_IDENTITY_TOKEN= \t ", NULL };
	static const char *const garbage[] = {
	    "ANTHROPIC_IDENTITY_TOKEN=sk-ant-api03-notajwt", NULL };
	static const char *const two_parts[] = {
	    "ANTHROPIC_IDENTITY_TOKEN=" HDR "." PAY, NULL };
	const struct kv none[] = { END };
	const struct kv bad_name[] = { S("variable", "1NOPE"), END };
	const struct kv dash[] = { S("variable", "A-B"), END };
	const struct kv empty_name[] = { S("variable", ""), END };
	static char big[16384 + 64];
	const char *bigenv[] = { big, NULL };
	struct outcome o;
	size_t n;

	drive(&P_ENV, none, unset, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_NOT_APPLICABLE);
	CU_ASSERT(err_has("ANTHROPIC_IDENTITY_TOKEN is not set"));
	CU_ASSERT_EQUAL(P_ENV.p->detect(host(none, unset)), 0);

	drive(&P_ENV, none, blank, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	CU_ASSERT(err_has("is empty"));

	drive(&P_ENV, none, garbage, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	CU_ASSERT(err_has("does not hold a JWT"));
	CU_ASSERT(strstr(TH.err, "notajwt") == NULL);

	drive(&P_ENV, none, two_parts, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_PROVIDER);
	CU_ASSERT(err_has("does not hold a JWT"));
	assert_no_secret();

	n = (size_t)snprintf(big, sizeof(big), "ANTHROPIC_IDENTITY_TOKEN=");
	memset(big + n, 'a', sizeof(big) - n - 1);
	big[sizeof(big) - 1] = '\0';
	drive(&P_ENV, none, bigenv, &o);
	CU_ASSERT_EQUAL(o.rc, WIF_E_TOO_BIG);
	CU_ASSERT(err_has("16384"));

	drive(&P_ENV, bad_name, unset, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	CU_ASSERT(err_has("1NOPE"));
	drive(&P_ENV, dash, unset, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
	drive(&P_ENV, empty_name, unset, &o);
	CU_ASSERT_EQUAL(o.init_rc, WIF_E_CONFIG);
}

static const struct cu_test tests[] = {
	{ "file: table", test_file_table },
	{ "file: ABI major 2 refused", test_file_abi },
	{ "file: trimmed JWT", test_file_ok_trimmed },
	{ "file: re-read on every fetch", test_file_reread },
	{ "file: missing", test_file_missing },
	{ "file: empty", test_file_empty },
	{ "file: too big", test_file_too_big },
	{ "file: not a JWT", test_file_not_jwt },
	{ "file: a directory", test_file_not_regular },
	{ "file: symlink", test_file_symlink },
	{ "file: init errors", test_file_init_errors },
	{ "file: detect", test_file_detect },
	{ "exec: table", test_exec_table },
	{ "exec: ABI major 2 refused", test_exec_abi },
	{ "exec: raw JWT", test_exec_raw_jwt },
	{ "exec: JSON output", test_exec_json },
	{ "exec: JSON errors", test_exec_json_errors },
	{ "exec: not a JWT", test_exec_not_jwt },
	{ "exec: non-zero exit", test_exec_exit_status },
	{ "exec: stderr shown truncated", test_exec_stderr_truncated },
	{ "exec: killed by signal", test_exec_signal },
	{ "exec: timeout", test_exec_timeout },
	{ "exec: output too big", test_exec_too_big },
	{ "exec: empty output", test_exec_empty },
	{ "exec: cannot start", test_exec_cannot_start },
	{ "exec: argv without a shell", test_exec_argv },
	{ "exec: environment", test_exec_env },
	{ "exec: init errors", test_exec_init_errors },
	{ "env: table", test_env_table },
	{ "env: ANTHROPIC_IDENTITY_TOKEN by default", test_env_default_variable },
	{ "env: a named variable", test_env_named_variable },
	{ "env: unset, empty, not a JWT, too big, bad names", test_env_errors },
	{ NULL, NULL },
};

WIF_CU_MAIN("plugins", tests, suite_init, suite_cleanup)
