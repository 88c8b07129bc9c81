/*
 * test_wifd_parts.c - the core modules wifd is built from: peer identity
 * and allow lists (common/peer.c), the audit line (audit.c), counters and
 * their Prometheus/JSON renderings (metrics.c), sinks (sink.c), and the
 * mint helper's reply (modules/wifd/mintwire.c).  It links libwifbase
 * alone, as wifd does: none of these may need libcurl or OpenSSL.
 * wifd.sh proves them end to end with real uids; this proves each rule.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "cutest.h"
#include "err.h"
#include "metrics.h"
#include "mintwire.h"
#include "peer.h"
#include "secmem.h"
#include "sink.h"
#include "token.h"

static char dir[4096];

static int
setup(void)
{
	char tmpl[] = "wifdparts.XXXXXX";

	if (mkdtemp(tmpl) == NULL || realpath(tmpl, dir) == NULL)
		return -1;
	return chmod(dir, 0755);
}

static int
teardown(void)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The whole file, malloc'd (NULL on error). */
static char *
slurp_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			char *nb = realloc(buf, cap * 2 + 8192);

			if (nb == NULL)
				break;
			buf = nb;
			cap = cap * 2 + 8192;
		}
		if ((r = fread(buf + n, 1, cap - n - 1, f)) == 0)
			break;
		n += r;
	}
	fclose(f);
	if (buf != NULL)
		buf[n] = '\0';
	return buf;
}

/* ---- peer ------------------------------------------------------------ */
static void
test_unit_from_cgroup(void)
{
	char u[256];

	wif_peer_unit_from_cgroup("0::/system.slice/nginx.service\n", u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "nginx.service");
	wif_peer_unit_from_cgroup("0::/user.slice/user-1000.slice/user@1000.service/"
	    "app.slice/build.service\n", u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "build.service");
	wif_peer_unit_from_cgroup("0::/system.slice/system-getty.slice/getty@tty1."
	    "service\n", u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "getty@tty1.service");
	wif_peer_unit_from_cgroup("0::/user.slice/user-0.slice/session-3.scope\n",
	    u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "session-3.scope");
	/* a control file of cgroup v1 before the v2 line */
	wif_peer_unit_from_cgroup("12:pids:/x.service\n0::/system.slice/a.service\n",
	    u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "a.service");
	wif_peer_unit_from_cgroup("0::/\n", u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "");
	wif_peer_unit_from_cgroup("0::/docker/abcdef\n", u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "");
	wif_peer_unit_from_cgroup("", u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "");
	/* "service" alone is not a unit name */
	wif_peer_unit_from_cgroup("0::/.service\n", u, sizeof(u));
	CU_ASSERT_STRING_EQUAL(u, "");
	/* truncated to the buffer, still terminated */
	wif_peer_unit_from_cgroup("0::/system.slice/averyveryverylongname.service\n",
	    u, 8);
	CU_ASSERT_EQUAL(strlen(u), 7);
}

static void
test_groups_from_status(void)
{
	gid_t g[4];

	CU_ASSERT_EQUAL(wif_peer_groups_from_status("\nName:\tx\nGroups:\t4 24 27 \n"
	    "NStgid:\t1\n", g, 4), 3);
	CU_ASSERT_EQUAL(g[0], 4);
	CU_ASSERT_EQUAL(g[2], 27);
	CU_ASSERT_EQUAL(wif_peer_groups_from_status("\nGroups:\t\n", g, 4), 0);
	CU_ASSERT_EQUAL(wif_peer_groups_from_status("\nUid:\t0\n", g, 4), -1);
	/* more than fit: bounded */
	CU_ASSERT_EQUAL(wif_peer_groups_from_status("\nGroups:\t1 2 3 4 5 6\n", g,
	    4), 4);
}

static void
test_peer_from_socket(void)
{
	struct wif_peer p;
	int sv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CU_ASSERT_EQUAL(wif_peer_from_fd(sv[0], &p), WIF_OK);
	CU_ASSERT_EQUAL(p.uid, geteuid());
	CU_ASSERT_EQUAL(p.gid, getegid());
	CU_ASSERT_EQUAL(p.pid, getpid());
	CU_ASSERT_EQUAL(p.described, 0); /* /proc only on first need */
	CU_ASSERT_EQUAL(p.groups_known, 0);
	wif_peer_ensure(&p);
	CU_ASSERT_EQUAL(p.described, 1);
	CU_ASSERT_EQUAL(p.uid, geteuid());
	CU_ASSERT_EQUAL(p.groups_known, 1);
	CU_ASSERT(strstr(p.exe, "test_wifd_parts") != NULL);
	close(sv[0]);
	close(sv[1]);
	/* not a socket */
	CU_ASSERT_EQUAL(wif_peer_from_fd(0 - 1, &p), WIF_E_IO);
}

static void
test_acl(void)
{
	char *users[] = { (char []){ "nobody" }, (char []){ "4242" } };
	char *groups[] = { (char []){ "adm" }, (char []){ "5000" } };
	char *units[] = { (char []){ "build.service" } };
	struct wif_config_allow none = { 0 }, a = { users, 2, groups, 2, units, 1 };
	struct wif_peer p;
	char why[512];

	memset(&p, 0, sizeof(p));
	p.uid = 0;
	CU_ASSERT_EQUAL(wif_acl_allows(&none, &p, "x", why, sizeof(why)), 1);
	p.uid = 1000; p.gid = 1000; p.groups_known = 1;
	CU_ASSERT_EQUAL(wif_acl_allows(&none, &p, "x", why, sizeof(why)), 0);
	CU_ASSERT(strstr(why, "uid 1000") != NULL && strstr(why, "profile x") != NULL &&
	    strstr(why, "allow.users") != NULL);
	CU_ASSERT_EQUAL(wif_acl_allows(&a, &p, "x", why, sizeof(why)), 0);
	p.uid = 65534; /* nobody, by name */
	CU_ASSERT_EQUAL(wif_acl_allows(&a, &p, "x", why, sizeof(why)), 1);
	CU_ASSERT_STRING_EQUAL(why, "allow.users nobody");
	p.uid = 4242; /* by number */
	CU_ASSERT_EQUAL(wif_acl_allows(&a, &p, "x", why, sizeof(why)), 1);
	p.uid = 1000;
	p.gid = 5000; /* primary group, by number */
	CU_ASSERT_EQUAL(wif_acl_allows(&a, &p, "x", why, sizeof(why)), 1);
	CU_ASSERT_STRING_EQUAL(why, "allow.groups 5000");
	p.gid = 1000;
	p.groups[0] = 4; p.n_groups = 1; /* adm, supplementary */
	CU_ASSERT_EQUAL(wif_acl_allows(&a, &p, "x", why, sizeof(why)), 1);
	CU_ASSERT_STRING_EQUAL(why, "allow.groups adm");
	p.groups_known = 0; /* /proc unreadable: supplementary groups unused */
	CU_ASSERT_EQUAL(wif_acl_allows(&a, &p, "x", why, sizeof(why)), 0);
	p.n_groups = 0;
	snprintf(p.unit, sizeof(p.unit), "build.service");
	CU_ASSERT_EQUAL(wif_acl_allows(&a, &p, "x", why, sizeof(why)), 1);
	snprintf(p.unit, sizeof(p.unit), "other.service");
	CU_ASSERT_EQUAL(wif_acl_allows(&a, &p, "x", why, sizeof(why)), 0);
	CU_ASSERT(strstr(why, "unit other.service") != NULL);
}

/* ---- audit ----------------------------------------------------------- */
static void
test_audit_format(void)
{
	struct wif_audit_event ev = { .event = "deny", .profile = "my profile",
	    .uid = 1000, .pid = 77, .exe = "/usr/bin/x\"y", .unit = "",
	    .result = "line1\nline2" };
	char line[1024];

	wif_audit_format(&ev, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "event=deny profile=\"my profile\" uid=1000 "
	    "pid=77 exe=\"/usr/bin/x\\\"y\" result=\"line1\\x0aline2\"");
	memset(&ev, 0, sizeof(ev));
	ev.event = "refresh";
	ev.profile = "p";
	ev.provider = "exec";
	ev.pid = -1;
	ev.token_sha256 = "abcdef012345";
	ev.expires_at = 1700000000;
	ev.request_id = "req_1";
	ev.result = "ok";
	wif_audit_format(&ev, line, sizeof(line));
	CU_ASSERT_STRING_EQUAL(line, "event=refresh profile=p provider=exec "
	    "token_sha256=abcdef012345 expires_at=1700000000 request_id=req_1 "
	    "result=ok");
	/* bounded: a huge value is cut, the line stays terminated */
	{
		static char big[4000];
		memset(big, 'a', sizeof(big) - 1);
		ev.result = big;
		wif_audit_format(&ev, line, 200);
		CU_ASSERT(strlen(line) < 200);
	}
}

static void
test_audit_file(void)
{
	struct wif_audit_event ev = { .event = "issue", .profile = "p", .pid = -1,
	    .result = "ok" };
	struct wif_audit *a = NULL;
	char path[4200], link[4200];
	struct stat st;
	char *text;

	snprintf(path, sizeof(path), "%s/audit.log", dir);
	CU_ASSERT_EQUAL_FATAL(wif_audit_open(path, &a), WIF_OK);
	wif_audit_event(a, &ev);
	wif_audit_event(a, &ev);
	wif_audit_close(a);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	text = slurp(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	if (text == NULL)
		return;
	CU_ASSERT(strstr(text, "event=issue profile=p result=ok\n") != NULL);
	CU_ASSERT(strncmp(text, "ts=", 3) == 0);
	/* a symbolic link is never followed */
	snprintf(link, sizeof(link), "%s/audit.link", dir);
	CU_ASSERT_EQUAL(symlink(path, link), 0);
	CU_ASSERT_EQUAL(wif_audit_open(link, &a), WIF_E_IO);
	CU_ASSERT(strstr(wif_err_detail(), "symbolic link") != NULL);
	CU_ASSERT_EQUAL(wif_audit_open("relative.log", &a), WIF_E_CONFIG);
	CU_ASSERT_EQUAL(wif_audit_open("none", &a), WIF_OK);
	CU_ASSERT_EQUAL(wif_audit_enabled(a), 0);
	wif_audit_event(a, &ev); /* writes nothing, must not crash */
	wif_audit_close(a);
}

struct audit_arg {
	struct wif_audit *a;
	int id;
};

static void *
audit_many(void *arg)
{
	struct audit_arg *aa = arg;
	char prof[16], res[16];
	struct wif_audit_event ev = { .event = "issue", .profile = prof,
	    .pid = -1, .result = res };
	int i;

	snprintf(prof, sizeof(prof), "t%d", aa->id);
	for (i = 0; i < 5000; i++) {
		snprintf(res, sizeof(res), "n%d", i);
		wif_audit_event(aa->a, &ev);
	}
	return NULL;
}

/* The writer thread: nothing lost or interleaved under back-pressure (4 x
 * 5000 lines through a 64 KiB buffer), each producer's order kept, pending
 * lines written on close, rotation: old lines to the old file. */
static void
test_audit_writer(void)
{
	struct wif_audit_event ev = { .event = "reload", .pid = -1,
	    .result = "ok" };
	struct audit_arg aa[4];
	pthread_t t[4];
	char path[4200], old[4200], *text, *line, *save = NULL;
	int i, next[4] = { 0, 0, 0, 0 }, lines = 0, bad = 0, id, n;
	struct wif_audit *a = NULL;

	snprintf(path, sizeof(path), "%s/audit-w.log", dir);
	snprintf(old, sizeof(old), "%s/audit-w.log.1", dir);
	CU_ASSERT_EQUAL_FATAL(wif_audit_open(path, &a), WIF_OK);
	for (i = 0; i < 4; i++) {
		aa[i].a = a;
		aa[i].id = i;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, audit_many,
		    &aa[i]), 0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CU_ASSERT_EQUAL(rename(path, old), 0);
	CU_ASSERT_EQUAL(wif_audit_reopen(a), WIF_OK);
	wif_audit_event(a, &ev);
	wif_audit_flush(a);
	text = slurp_all(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	if (text == NULL)
		return;
	CU_ASSERT(strstr(text, "event=reload result=ok\n") != NULL);
	CU_ASSERT(strstr(text, "event=issue") == NULL);
	free(text);
	wif_audit_close(a); /* nothing pending: must not hang */

	text = slurp_all(old);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	if (text == NULL)
		return;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		lines++;
		if (sscanf(strstr(line, "profile=t") ? strstr(line, "profile=t") :
		    "x", "profile=t%d result=n%d", &id, &n) != 2 || id < 0 ||
		    id > 3 || n != next[id]) {
			bad++;
			continue;
		}
		next[id]++;
	}
	CU_ASSERT_EQUAL(lines, 20000);
	CU_ASSERT_EQUAL(bad, 0);
	for (i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(next[i], 5000);
	free(text);
}

/* syslog: RFC 3164 datagrams to the log socket; with no listener, lines
 * go to stderr (said once) instead of being dropped as syslog(3) would. */
static void
test_audit_syslog(void)
{
	struct wif_audit_event ev = { .event = "issue", .profile = "p", .pid = -1,
	    .result = "ok" };
	struct sockaddr_un sa;
	struct wif_audit *a = NULL;
	char sock[4200], errf[4200], buf[4096], want[64], *text;
	int s, saved;
	ssize_t n;

	snprintf(sock, sizeof(sock), "%s/log.sock", dir);
	snprintf(errf, sizeof(errf), "%s/stderr.txt", dir);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	CU_ASSERT_FATAL(strlen(sock) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	CU_ASSERT_EQUAL_FATAL(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setenv("WIF_AUDIT_SYSLOG_SOCKET", sock, 1);
	CU_ASSERT_EQUAL_FATAL(wif_audit_open("syslog", &a), WIF_OK);
	wif_audit_event(a, &ev);
	wif_audit_flush(a);
	n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	CU_ASSERT(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CU_ASSERT(strncmp(buf, "<86>", 4) == 0); /* LOG_AUTHPRIV | LOG_INFO */
	snprintf(want, sizeof(want), " wifd[%d]: event=issue profile=p result=ok",
	    (int)getpid());
	CU_ASSERT(strstr(buf, want) != NULL);
	/* the daemon goes away: stderr, with one notice */
	close(s);
	unlink(sock);
	fflush(stderr);
	saved = dup(2);
	CU_ASSERT_FATAL(freopen(errf, "w", stderr) != NULL);
	wif_audit_event(a, &ev);
	wif_audit_event(a, &ev);
	wif_audit_close(a);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	unsetenv("WIF_AUDIT_SYSLOG_SOCKET");
	text = slurp_all(errf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	if (text == NULL)
		return;
	CU_ASSERT(strstr(text, "no syslog daemon listens on") != NULL);
	CU_ASSERT(strstr(strstr(text, "no syslog daemon listens on") + 1,
	    "no syslog daemon listens on") == NULL); /* said once */
	CU_ASSERT(strstr(text, "wifd: audit: event=issue profile=p result=ok\n") != NULL);
	free(text);
}

/* ---- metrics --------------------------------------------------------- */
static struct wif_metrics *M;

static void *
bump(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 10000; i++) {
		wif_metrics_inc(M, "cache_hit", NULL);
		wif_metrics_inc(M, "exchange_fail", i % 2 ? "server" : "timeout");
	}
	return NULL;
}

static void
test_metrics(void)
{
	pthread_t t[4];
	char *text = NULL, name[32];
	size_t len = 0, i;
	json_object *o, *x;

	M = wif_metrics_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(M);
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, bump, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CU_ASSERT_EQUAL(wif_metrics_get(M, "cache_hit", NULL), 40000);
	CU_ASSERT_EQUAL(wif_metrics_get(M, "exchange_fail", "server"), 20000);
	CU_ASSERT_EQUAL(wif_metrics_get(M, "exchange_fail", NULL), 40000);
	wif_metrics_inc(M, "provider_fail", "we\"ird\\name\n");
	wif_metrics_inc(M, "no_such_metric", NULL); /* ignored */
	wif_metrics_set_gauge(M, "connections", 7);
	/* the label table is bounded: later values count as "other" */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "p%zu", i);
		wif_metrics_inc(M, "provider_fail", name);
	}
	CU_ASSERT(wif_metrics_get(M, "provider_fail", "other") > 60);
	CU_ASSERT_EQUAL(wif_metrics_get(M, "provider_fail", NULL), 101);

	CU_ASSERT_EQUAL_FATAL(wif_metrics_prometheus(M, &text, &len), WIF_OK);
	CU_ASSERT_EQUAL(strlen(text), len);
	CU_ASSERT(strstr(text, "# TYPE wif_cache_hit_total counter\n"
	    "wif_cache_hit_total 40000\n") != NULL);
	CU_ASSERT(strstr(text, "wif_exchange_fail_total{reason=\"server\"} 20000\n")
	    != NULL);
	CU_ASSERT(strstr(text, "wif_provider_fail_total{provider="
	    "\"we\\\"ird\\\\name\\n\"} 1\n") != NULL);
	CU_ASSERT(strstr(text, "# TYPE wif_connections gauge\nwif_connections 7\n")
	    != NULL);
	CU_ASSERT(strstr(text, "# HELP wif_deny_total ") != NULL);
	free(text);

	CU_ASSERT_EQUAL_FATAL(wif_metrics_json(M, &text, &len), WIF_OK);
	o = json_tokener_parse(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	if (o != NULL) {
		CU_ASSERT(json_object_object_get_ex(o, "cache_hit", &x) &&
		    json_object_get_int64(x) == 40000);
		CU_ASSERT(json_object_object_get_ex(o, "exchange_fail", &x) &&
		    json_object_object_get_ex(x, "timeout", &x) &&
		    json_object_get_int64(x) == 20000);
		CU_ASSERT(json_object_object_get_ex(o, "connections", &x) &&
		    json_object_get_int64(x) == 7);
		json_object_put(o);
	}
	free(text);
	wif_metrics_free(M);
}

/* ---- sinks ----------------------------------------------------------- */
static struct wif_token *
token(const char *value, int64_t expires_in)
{
	struct wif_token *t = calloc(1, sizeof(*t));

	t->access_token = wif_secmem_strdup(value);
	t->access_token_len = strlen(value);
	t->expires_at = (int64_t)time(NULL) + expires_in;
	t->obtained_at = (int64_t)time(NULL);
	return t;
}

static void
test_sink_formats(void)
{
	struct wif_config_sink s = { 0 };
	struct wif_token *t = token("sk-ant-oat01-abc_DEF-123", 600);
	char path[4200], *text;
	json_object *o, *x;
	struct stat st;

	snprintf(path, sizeof(path), "%s/tok", dir);
	s.path = path;
	s.format = (char []){ "raw" };
	s.mode = 0640;
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", t), WIF_OK);
	CU_ASSERT_STRING_EQUAL(slurp(path), "sk-ant-oat01-abc_DEF-123\n");
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);
	/* someone loosens the mode: the next write re-asserts it */
	CU_ASSERT_EQUAL(chmod(path, 0666), 0);
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", t), WIF_OK);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0640);

	s.format = (char []){ "env" };
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", t), WIF_OK);
	CU_ASSERT_STRING_EQUAL(slurp(path),
	    "ANTHROPIC_AUTH_TOKEN='sk-ant-oat01-abc_DEF-123'\n");

	s.format = (char []){ "json" };
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", t), WIF_OK);
	text = slurp(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o = json_tokener_parse(text));
	if (o != NULL) {
		CU_ASSERT(json_object_object_get_ex(o, "access_token", &x) &&
		    strcmp(json_object_get_string(x), t->access_token) == 0);
		CU_ASSERT(json_object_object_get_ex(o, "expires_at", &x) &&
		    json_object_get_int64(x) == t->expires_at);
		CU_ASSERT(json_object_object_get_ex(o, "token_type", &x) &&
		    strcmp(json_object_get_string(x), "Bearer") == 0);
		CU_ASSERT(json_object_object_get_ex(o, "profile", &x) &&
		    strcmp(json_object_get_string(x), "p") == 0);
		json_object_put(o);
	}

	/* the SDKs' credentials file, key by key (PROTOCOL.md §4) */
	s.format = (char []){ "anthropic-credentials" };
	s.mode = 0;
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", t), WIF_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o = json_tokener_parse(slurp(path)));
	if (o != NULL) {
		CU_ASSERT_EQUAL(json_object_object_length(o), 4);
		CU_ASSERT(json_object_object_get_ex(o, "version", &x) &&
		    strcmp(json_object_get_string(x), "1.0") == 0);
		CU_ASSERT(json_object_object_get_ex(o, "type", &x) &&
		    strcmp(json_object_get_string(x), "oauth_token") == 0);
		CU_ASSERT(json_object_object_get_ex(o, "access_token", &x) &&
		    strcmp(json_object_get_string(x), t->access_token) == 0);
		CU_ASSERT(json_object_object_get_ex(o, "expires_at", &x) &&
		    json_object_get_int64(x) == t->expires_at);
		json_object_put(o);
	}
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600); /* default: the SDKs demand it */

	s.format = (char []){ "yaml" };
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", t), WIF_E_CONFIG);
	CU_ASSERT(strstr(wif_err_detail(), "unknown format") != NULL);
	CU_ASSERT_EQUAL(wif_sink_remove(&s), WIF_OK);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	CU_ASSERT_EQUAL(wif_sink_remove(&s), WIF_OK); /* absent is fine */
	wif_token_free(t);
}

/* Count entries of dir whose name starts with prefix. */
static int
count(const char *prefix)
{
	char cmd[4400], buf[64];
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' | grep -c '^%s' || true", dir,
	    prefix);
	if ((f = popen(cmd, "r")) == NULL || fgets(buf, sizeof(buf), f) == NULL) {
		if (f)
			pclose(f);
		return -1;
	}
	pclose(f);
	return atoi(buf);
}

static void
test_sink_refusals(void)
{
	struct wif_config_sink s = { 0 };
	struct wif_token *good = token("sk-ant-oat01-good", 600);
	struct wif_token *dead = token("sk-ant-oat01-dead", -1);
	char path[4200], target[4200], sub[4200];

	snprintf(path, sizeof(path), "%s/keep", dir);
	s.path = path;
	s.format = (char []){ "raw" };
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", good), WIF_OK);
	/* an expired token is never written; the previous one stays */
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", dead), WIF_E_INVALID_ARG);
	CU_ASSERT(strstr(wif_err_detail(), "expired") != NULL);
	CU_ASSERT_STRING_EQUAL(slurp(path), "sk-ant-oat01-good\n");

	/* a symbolic link is not replaced, nor is its target touched */
	snprintf(target, sizeof(target), "%s/target", dir);
	CU_ASSERT_EQUAL(symlink(target, path), -1); /* exists: replace it */
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(symlink(target, path), 0);
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", good), WIF_E_PERM);
	CU_ASSERT(strstr(wif_err_detail(), "symbolic link") != NULL);
	CU_ASSERT_EQUAL(access(target, F_OK), -1);
	CU_ASSERT_EQUAL(unlink(path), 0);

	/* a directory in the way */
	snprintf(sub, sizeof(sub), "%s/adir", dir);
	CU_ASSERT_EQUAL(mkdir(sub, 0755), 0);
	s.path = sub;
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", good), WIF_E_PERM);
	CU_ASSERT(strstr(wif_err_detail(), "a directory") != NULL);

	/* unknown owner / group: clear errors, nothing written */
	s.path = path;
	s.owner = (char []){ "no-such-user-wif" };
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", good), WIF_E_CONFIG);
	CU_ASSERT(strstr(wif_err_detail(), "no-such-user-wif") != NULL);
	s.owner = NULL;
	s.group = (char []){ "no-such-group-wif" };
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", good), WIF_E_CONFIG);
	CU_ASSERT_EQUAL(access(path, F_OK), -1);
	s.group = NULL;

	/* a directory that does not exist: an error naming it, no temp files */
	snprintf(sub, sizeof(sub), "%s/missing/tok", dir);
	s.path = sub;
	CU_ASSERT_EQUAL(wif_sink_write(&s, "p", good), WIF_E_IO);
	CU_ASSERT(strstr(wif_err_detail(), "missing") != NULL);
	CU_ASSERT_EQUAL(count("keep.tmp"), 0);
	CU_ASSERT_EQUAL(count("tok.tmp"), 0);

	/* errors never carry the token */
	CU_ASSERT(strstr(wif_err_detail(), "sk-ant-oat01") == NULL);
	wif_token_free(good);
	wif_token_free(dead);
}

/* The reply wifd-mint sends for op=mint, read back as wifd reads it. */
static void
test_mint_reply(void)
{
	struct wif_mint_report rep, got;
	struct wif_token t, *out = NULL;
	char *buf = wif_secmem_alloc(WIFD_MINT_MAX), tok[64], scope[] = "user:inference";
	size_t len, i;

	CU_ASSERT_FATAL(buf != NULL);
	memset(&t, 0, sizeof(t));
	memset(&rep, 0, sizeof(rep));
	snprintf(tok, sizeof(tok), "sk-ant-oat01-abc_DEF-123");
	t.access_token = tok;
	t.access_token_len = strlen(tok);
	t.expires_at = 1900000000;
	t.obtained_at = 1899996400;
	t.scope = scope;
	snprintf(t.request_id, sizeof(t.request_id), "req_011");
	for (i = 0; i < 32; i++)
		t.sha256[i] = (uint8_t)(i * 7);
	t.has_sha256 = 1;
	rep.attempts = 2;
	snprintf(rep.provider, sizeof(rep.provider), "k8s");
	rep.source_index = 1;
	snprintf(rep.iss, sizeof(rep.iss), "https://issuer.example");
	snprintf(rep.sub, sizeof(rep.sub), "system:serviceaccount:a:b");
	rep.identity_exp = 1899999999;
	rep.ex.http_status = 200;
	snprintf(rep.ex.request_id, sizeof(rep.ex.request_id), "req_022");
	memset(rep.consumed_sha256, 0xab, 32);
	rep.has_consumed = 1;

	/* success: every field arrives */
	len = wifd_mint_reply_encode(buf, 42, WIF_OK, NULL, &t, &rep);
	CU_ASSERT_FATAL(len > 4);
	memset(&got, 0, sizeof(got));
	CU_ASSERT_EQUAL_FATAL(wifd_mint_reply_decode(buf, len, &out, &got), WIF_OK);
	CU_ASSERT_FATAL(out != NULL);
	CU_ASSERT_STRING_EQUAL(out->access_token, tok);
	CU_ASSERT_EQUAL(out->access_token_len, strlen(tok));
	CU_ASSERT_EQUAL(out->expires_at, 1900000000);
	CU_ASSERT_EQUAL(out->obtained_at, 1899996400);
	CU_ASSERT_STRING_EQUAL(out->scope, "user:inference");
	CU_ASSERT_STRING_EQUAL(out->request_id, "req_011");
	CU_ASSERT(out->has_sha256 && memcmp(out->sha256, t.sha256, 32) == 0);
	CU_ASSERT_EQUAL(got.attempts, 2);
	CU_ASSERT_STRING_EQUAL(got.provider, "k8s");
	CU_ASSERT_EQUAL(got.source_index, 1);
	CU_ASSERT_STRING_EQUAL(got.iss, "https://issuer.example");
	CU_ASSERT_STRING_EQUAL(got.sub, "system:serviceaccount:a:b");
	CU_ASSERT_EQUAL(got.identity_exp, 1899999999);
	CU_ASSERT_EQUAL(got.ex.http_status, 200);
	CU_ASSERT_STRING_EQUAL(got.ex.request_id, "req_022");
	CU_ASSERT(got.has_consumed && got.consumed_sha256[31] == 0xab);
	wif_token_free(out);
	out = NULL;

	/* failure: the helper's rc and detail become wifd's, no token */
	rep.has_consumed = 0;
	len = wifd_mint_reply_encode(buf, 43, WIF_E_AUTH_DENIED,
	    "profile p: source 1 (k8s): denied (HTTP 401)", NULL, &rep);
	CU_ASSERT_FATAL(len > 4);
	memset(&got, 0, sizeof(got));
	CU_ASSERT_EQUAL(wifd_mint_reply_decode(buf, len, &out, &got),
	    WIF_E_AUTH_DENIED);
	CU_ASSERT(out == NULL);
	CU_ASSERT(strstr(wif_err_detail(), "denied (HTTP 401)") != NULL);
	CU_ASSERT_EQUAL(got.has_consumed, 0);
	CU_ASSERT_STRING_EQUAL(got.provider, "k8s");

	/* an rc that is not a wif_rc is not passed on as one */
	len = wifd_mint_reply_encode(buf, 44, 5, "odd", NULL, &rep);
	CU_ASSERT_EQUAL(wifd_mint_reply_decode(buf, len, &out, &got),
	    WIF_E_INTERNAL);

	/* a token too large for one message: encode says so */
	{
		char *big = malloc(WIFD_MINT_MAX);
		CU_ASSERT_FATAL(big != NULL);
		memset(big, 'a', WIFD_MINT_MAX - 1);
		big[WIFD_MINT_MAX - 1] = '\0';
		t.access_token = big;
		t.access_token_len = WIFD_MINT_MAX - 1;
		CU_ASSERT_EQUAL(wifd_mint_reply_encode(buf, 45, WIF_OK, NULL, &t,
		    &rep), 0);
		free(big);
	}

	/* malformed replies: no rc, no token, not a frame */
	{
		static const char *bad[] = {
			"wif=1\nop=minted\nid=1\n",
			"wif=1\nop=minted\nid=1\nrc=0\nexpires_at=5\n",
			"wif=1\nop=minted\nid=1\nrc=0\ntoken=x\n",
			"wif=1\nop=minted\nid=1\nrc=zero\n",
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			size_t n = strlen(bad[i]);
			memcpy(buf + 4, bad[i], n);
			len = wif_wire_end(buf, n + 4);
			CU_ASSERT_EQUAL(wifd_mint_reply_decode(buf, len, &out, &got),
			    WIF_E_INTERNAL);
			CU_ASSERT(out == NULL);
		}
		CU_ASSERT_EQUAL(wifd_mint_reply_decode(buf, 3, &out, &got),
		    WIF_E_INTERNAL);
	}
	wif_secmem_free(buf);
}

static const struct cu_test tests[] = {
	{ "peer: systemd unit from /proc/PID/cgroup", test_unit_from_cgroup },
	{ "peer: supplementary groups from /proc/PID/status", test_groups_from_status },
	{ "peer: SO_PEERCRED of a real socket", test_peer_from_socket },
	{ "acl: root, users, groups, units, deny by default", test_acl },
	{ "audit: logfmt line, escaping, bounds", test_audit_format },
	{ "audit: file target 0600, no symlinks, none", test_audit_file },
	{ "audit: writer thread keeps order, loses nothing, rotates", test_audit_writer },
	{ "audit: syslog datagrams; stderr when no daemon listens", test_audit_syslog },
	{ "metrics: threads, labels, cap, Prometheus, JSON", test_metrics },
	{ "sink: four formats, mode re-asserted, remove", test_sink_formats },
	{ "sink: expired, symlink, directory, owner, missing dir", test_sink_refusals },
	{ "mint helper reply: fields, errors, size, malformed", test_mint_reply },
	{ NULL, NULL },
};

WIF_CU_MAIN("wifd_parts", tests, setup, teardown)
