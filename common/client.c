/*
 * client.c - the client half of libwif (libc only): wif.h over wifd's
 * Unix socket.  See wif.h, client.h and wifd(8) for the protocol.
 *
 * Trust: the socket must be a socket, and the process listening on it
 * (SO_PEERCRED of the connected socket, which cannot be swapped after the
 * fact, unlike a stat of the path) must run as root, as the configured
 * daemon user or as the caller.  A token is only ever sent to us, never by
 * us, but a rogue listener could hand out a token of its choosing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <wif/wif.h>

#include "client.h"
#include "wire.h"

#ifndef WIF_DAEMON_USER
#define WIF_DAEMON_USER "root"
#endif
#ifndef WIF_CLI_PATH
#define WIF_CLI_PATH "/usr/libexec/wif/wif-cli"
#endif

extern char **environ;

struct wif_handle {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int timeout_ms;
	unsigned flags;
	int fd;                         /* kept connection, or -1 */
	int answered;                   /* the last call got wifd's reply */
	char err[1024];
};

struct wif_credential {
	char *token;                    /* mlock()ed best effort, wiped */
	size_t token_len;
	int64_t expires_at;
	char profile[160];
};

static int
fail(wif_handle *h, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->err, sizeof(h->err), fmt, ap);
	va_end(ap);
	return rc;
}

int
wif_open(const char *socket_path, unsigned flags, wif_handle **out)
{
	wif_handle *h;
	const char *p = socket_path;

	*out = NULL;
	if ((flags & ~WIF_OPEN_NO_FALLBACK) != 0)
		return WIF_E_INVALID_ARG;
	if (p == NULL && ((p = getenv("WIF_SOCKET")) == NULL || *p == '\0'))
#ifdef WIF_DEFAULT_SOCKET
		p = WIF_DEFAULT_SOCKET;         /* configure's, = the daemon's */
#else
		p = WIF_DEFAULT_SOCKET_PATH;
#endif
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return WIF_E_NOMEM;
	if (p[0] != '/' || strlen(p) >= sizeof(h->path)) {
		free(h);
		return WIF_E_INVALID_ARG;
	}
	memcpy(h->path, p, strlen(p) + 1);
	h->timeout_ms = 60000;
	h->flags = flags;
	h->fd = -1;
	if ((p = getenv("WIF_REQUIRE_DAEMON")) != NULL && strcmp(p, "1") == 0)
		h->flags |= WIF_OPEN_NO_FALLBACK;
	*out = h;
	return WIF_OK;
}

void
wif_close(wif_handle *h)
{
	if (h != NULL && h->fd >= 0)
		close(h->fd);
	free(h);
}

void
wif_set_timeout(wif_handle *h, int timeout_ms)
{
	if (h != NULL && timeout_ms > 0)
		h->timeout_ms = timeout_ms;
}

const char *
wif_error(const wif_handle *h)
{
	return h != NULL ? h->err : "no handle";
}

const char *
wif_client_socket(const wif_handle *h)
{
	return h->path;
}

int
wif_client_answered(const wif_handle *h)
{
	return h->answered;
}

static int
uid_trusted(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (uid == 0 || uid == geteuid())
		return 1;
	return getpwnam_r(WIF_DAEMON_USER, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && res->pw_uid == uid;
}

static int64_t mono_ms(void);

static int
connect_trusted(wif_handle *h, int *out)
{
	struct sockaddr_un sa;
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct stat st;
	int64_t deadline;
	int fd, fl;

	*out = -1;
	if (stat(h->path, &st) != 0) {
		if (errno == ENOENT)
			return fail(h, WIF_E_NO_DAEMON, "no wifd socket at %s (is "
			    "wifd running? systemctl start wifd.socket)", h->path);
		return fail(h, WIF_E_NO_DAEMON, "cannot reach %s: %s", h->path,
		    strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return fail(h, WIF_E_PERM, "%s is not a socket: refusing it",
		    h->path);
	if (!uid_trusted(st.st_uid))
		return fail(h, WIF_E_PERM, "socket %s is owned by uid %u, not by "
		    "root or the daemon user %s: refusing it", h->path,
		    (unsigned)st.st_uid, WIF_DAEMON_USER);
	/* Non-blocking: a Unix connect blocks for good on a full backlog (a
	 * stuck daemon, or systemd holding connections for one that does not
	 * start); it is retried until the handle's timeout instead. */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		return fail(h, WIF_E_IO, "socket: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, h->path, strlen(h->path) + 1);
	deadline = mono_ms() + h->timeout_ms;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EAGAIN && mono_ms() < deadline) {
			struct timespec ts = { 0, 5 * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		close(fd);
		if (e == EAGAIN)
			return fail(h, WIF_E_TIMEOUT, "wifd at %s accepted no "
			    "connection within %d ms", h->path, h->timeout_ms);
		if (e == ECONNREFUSED || e == ENOENT)
			return fail(h, WIF_E_NO_DAEMON, "no wifd listening on %s "
			    "(is wifd running?)", h->path);
		return fail(h, WIF_E_NO_DAEMON, "cannot connect to %s: %s",
		    h->path, strerror(e));
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) != 0 ||
	    !uid_trusted(cred.uid)) {
		close(fd);
		return fail(h, WIF_E_PERM, "the process behind %s runs as uid "
		    "%u, not root or the daemon user %s: refusing it", h->path,
		    (unsigned)cred.uid, WIF_DAEMON_USER);
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		close(fd);
		return fail(h, WIF_E_IO, "fcntl: %s", strerror(errno));
	}
	*out = fd;
	return WIF_OK;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for fd to be ready for ev until deadline (monotonic ms). */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left;
	int n;

	for (;;) {
		if ((left = deadline - mono_ms()) <= 0)
			return 0;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

/* One request and its reply on fd.  *whole: a complete reply frame was
 * read (the connection can serve the next request); *none: not one byte
 * came back (a kept connection the daemon had closed: safe to retry). */
static int
roundtrip(wif_handle *h, int fd, char *req, size_t len, char **bufp,
          struct wif_wire_msg *m, int *whole, int *none)
{
	size_t off = 0, have = 0, cap = 4096;
	int64_t deadline = mono_ms() + h->timeout_ms, rc64;
	const char *why, *st;
	char *buf = NULL, *nb;
	long need = 0;
	ssize_t n;
	int r;

	*bufp = NULL;
	*whole = 0;
	*none = 1;
	h->answered = 0;
	h->err[0] = '\0';
	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = fail(h, WIF_E_IO, "sending to wifd at %s: %s", h->path,
			    strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if ((buf = malloc(cap)) == NULL) {
		r = fail(h, WIF_E_NOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		if (need > 0 && have >= (size_t)need)
			break;
		if (have == cap) {
			size_t ncap = need > 0 ? (size_t)need : cap * 2;
			if ((nb = malloc(ncap)) == NULL) {
				r = fail(h, WIF_E_NOMEM, "out of memory");
				goto out;
			}
			memcpy(nb, buf, have);
			explicit_bzero(buf, have);
			free(buf);
			buf = nb;
			cap = ncap;
		}
		if ((r = wait_fd(fd, POLLIN, deadline)) <= 0) {
			r = r == 0 ? fail(h, WIF_E_TIMEOUT, "wifd at %s did not "
			    "answer within %d ms", h->path, h->timeout_ms) :
			    fail(h, WIF_E_IO, "poll: %s", strerror(errno));
			goto out;
		}
		n = recv(fd, buf + have, cap - have, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = fail(h, WIF_E_PROTOCOL, "wifd at %s closed the "
			    "connection before answering", h->path);
			goto out;
		}
		have += (size_t)n;
		*none = 0;
		if (need == 0 && (need = wif_wire_frame_size((unsigned char *)buf,
		    have)) < 0) {
			r = fail(h, WIF_E_PROTOCOL, "wifd sent a malformed frame");
			goto out;
		}
	}
	*whole = 1;
	if (wif_wire_parse(buf + 4, (size_t)need - 4, m, &why) != 0) {
		r = fail(h, WIF_E_PROTOCOL, "wifd sent a malformed reply: %s", why);
		goto out;
	}
	if ((st = wif_wire_get(m, "status")) == NULL) {
		r = fail(h, WIF_E_PROTOCOL, "wifd's reply has no status");
		goto out;
	}
	h->answered = 1;
	if (strcmp(st, "ok") != 0) {
		const char *e = wif_wire_get(m, "error");
		if (wif_wire_get_i64(m, "rc", &rc64) != 0 || rc64 >= 0 ||
		    rc64 < -1000)
			rc64 = WIF_E_PROTOCOL;
		r = fail(h, (int)rc64, "%s", e != NULL ? e : "wifd failed");
		goto out;
	}
	*bufp = buf;
	buf = NULL;
	r = WIF_OK;
out:
	if (buf != NULL) {
		explicit_bzero(buf, have);
		free(buf);
	}
	return r;
}

/*
 * The connection is kept for the handle's next request (wifd closes it
 * after 30 s idle): connect, SO_PEERCRED and the daemon's accept are paid
 * once, not per token.  A kept connection found closed before any reply
 * byte is reopened once; requests are idempotent.
 */
int
wif_client_call(wif_handle *h, char *req, size_t len, char **bufp,
                struct wif_wire_msg *m)
{
	int r, whole, none, reused, tries;

	for (tries = 0;; tries++) {
		reused = h->fd >= 0;
		if (!reused && (r = connect_trusted(h, &h->fd)) != WIF_OK)
			return r;
		r = roundtrip(h, h->fd, req, len, bufp, m, &whole, &none);
		if (whole)
			return r;
		close(h->fd);
		h->fd = -1;
		if (!(reused && none && tries == 0 && r != WIF_E_TIMEOUT))
			return r;
	}
}

/* The value of "key":"..." or "key":123 in the flat JSON wif-cli prints
 * (tokens and profile names hold no quotes or escapes). */
static int
json_field(const char *js, const char *key, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	if ((p = strstr(js, pat)) == NULL)
		return -1;
	p += strlen(pat);
	if (*p == '"') {
		p++;
		if ((e = strchr(p, '"')) == NULL)
			return -1;
	} else {
		for (e = p; *e >= '0' && *e <= '9'; e++)
			;
	}
	if (e == p || (size_t)(e - p) >= len)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

/*
 * No daemon: run the core in a child process, `wif-cli token --format
 * json`, rather than load libcurl, OpenSSL and the provider plugins into
 * the application.  It has the caller's environment and uid, and so the
 * same configuration and per-user cache as `wif token`.
 */
static int
fallback(wif_handle *h, const char *profile, int min_valid, char **tok,
         int64_t *exp, char *served, size_t served_len)
{
	const char *cli = WIF_CLI_PATH, *env;
	char mv[16], *argv[9], buf[16384], num[32];
	posix_spawn_file_actions_t fa;
	int p[2], status = 0, n = 0, r;
	int64_t deadline = mono_ms() + h->timeout_ms;
	size_t have = 0;
	ssize_t got;
	pid_t pid;

	if (getauxval(AT_SECURE) == 0 && (env = getenv("WIF_CLI")) != NULL &&
	    env[0] == '/')
		cli = env;
	snprintf(mv, sizeof(mv), "%d", min_valid);
	argv[n++] = (char *)(uintptr_t)"wif";
	argv[n++] = (char *)(uintptr_t)"token";
	argv[n++] = (char *)(uintptr_t)"--format=json";
	argv[n++] = (char *)(uintptr_t)"--min-valid";
	argv[n++] = mv;
	if (profile != NULL) {
		argv[n++] = (char *)(uintptr_t)"--profile";
		argv[n++] = (char *)(uintptr_t)profile;
	}
	argv[n] = NULL;
	if (pipe2(p, O_CLOEXEC) != 0)
		return fail(h, WIF_E_IO, "pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	r = posix_spawn(&pid, cli, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (r != 0) {
		close(p[0]);
		return fail(h, WIF_E_NO_DAEMON, "no wifd at %s, and the in-process "
		    "fallback %s cannot run: %s", h->path, cli, strerror(r));
	}
	for (;;) {
		if (wait_fd(p[0], POLLIN, deadline) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		got = read(p[0], buf + have, sizeof(buf) - 1 - have);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		have += (size_t)got;
		if (have == sizeof(buf) - 1)
			break;
	}
	close(p[0]);
	buf[have] = '\0';
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    json_field(buf, "expires_at", num, sizeof(num)) != 0 ||
	    json_field(buf, "profile", served, served_len) != 0) {
		explicit_bzero(buf, sizeof(buf));
		return fail(h, WIF_E_NO_DAEMON, "no wifd at %s, and the in-process "
		    "fallback failed (%s); run `wif token` to see why",
		    h->path, WIFEXITED(status) ? "see its message above" :
		    "killed or timed out");
	}
	*exp = strtoll(num, NULL, 10);
	r = WIF_E_NOMEM;
	if ((*tok = malloc(have + 1)) != NULL &&
	    json_field(buf, "access_token", *tok, have + 1) == 0)
		r = WIF_OK;
	explicit_bzero(buf, sizeof(buf));
	if (r != WIF_OK) {
		free(*tok);
		*tok = NULL;
		return fail(h, WIF_E_PROTOCOL, "the in-process fallback printed no "
		    "token");
	}
	return WIF_OK;
}

int
wif_get_token(wif_handle *h, const char *profile, int min_valid,
              wif_credential **out)
{
	char req[512], *buf = NULL;
	struct wif_wire_msg m;
	wif_credential *c;
	const char *tok, *prof;
	size_t len, tl;
	int64_t exp;
	int r;

	*out = NULL;
	if (h == NULL)
		return WIF_E_INVALID_ARG;
	if (min_valid < 0 || (profile != NULL && strlen(profile) > 128))
		return fail(h, WIF_E_INVALID_ARG, "bad profile or min_valid");
	wif_wire_begin(req, &len);
	if (wif_wire_add(req, sizeof(req), &len, "op", "token") != 0 ||
	    (profile != NULL &&
	    wif_wire_add(req, sizeof(req), &len, "profile", profile) != 0) ||
	    wif_wire_addf(req, sizeof(req), &len, "min_valid", "%d",
	    min_valid) != 0)
		return fail(h, WIF_E_INVALID_ARG, "request too large");
	len = wif_wire_end(req, len);
	if ((r = wif_client_call(h, req, len, &buf, &m)) == WIF_E_NO_DAEMON &&
	    !(h->flags & WIF_OPEN_NO_FALLBACK)) {
		char *ftok = NULL, fprof[160];
		int64_t fexp = 0;

		if ((r = fallback(h, profile, min_valid, &ftok, &fexp, fprof,
		    sizeof(fprof))) != WIF_OK)
			return r;
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			explicit_bzero(ftok, strlen(ftok));
			free(ftok);
			return fail(h, WIF_E_NOMEM, "out of memory");
		}
		c->token = ftok;
		c->token_len = strlen(ftok);
		(void)mlock(c->token, c->token_len + 1);
		c->expires_at = fexp;
		snprintf(c->profile, sizeof(c->profile), "%s", fprof);
		*out = c;
		h->err[0] = '\0';
		return WIF_OK;
	}
	if (r != WIF_OK)
		return r;
	tok = wif_wire_get(&m, "token");
	prof = wif_wire_get(&m, "profile");
	if (tok == NULL || *tok == '\0' ||
	    wif_wire_get_i64(&m, "expires_at", &exp) != 0) {
		r = fail(h, WIF_E_PROTOCOL, "wifd's token reply lacks the token "
		    "or its expiry");
		goto out;
	}
	tl = strlen(tok);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->token = malloc(tl + 1)) == NULL) {
		free(c);
		r = fail(h, WIF_E_NOMEM, "out of memory");
		goto out;
	}
	(void)mlock(c->token, tl + 1);
	memcpy(c->token, tok, tl + 1);
	c->token_len = tl;
	c->expires_at = exp;
	snprintf(c->profile, sizeof(c->profile), "%s", prof ? prof : "");
	*out = c;
	r = WIF_OK;
out:
	if (buf != NULL) {
		long fs = wif_wire_frame_size((unsigned char *)buf, 4);
		explicit_bzero(buf, fs > 0 ? (size_t)fs : 4);
		free(buf);
	}
	return r;
}

const char *
wif_credential_token(const wif_credential *c)
{
	return c != NULL ? c->token : NULL;
}

int64_t
wif_credential_expires_at(const wif_credential *c)
{
	return c != NULL ? c->expires_at : 0;
}

const char *
wif_credential_profile(const wif_credential *c)
{
	return c != NULL ? c->profile : NULL;
}

void
wif_credential_free(wif_credential *c)
{
	if (c == NULL)
		return;
	if (c->token != NULL) {
		explicit_bzero(c->token, c->token_len);
		(void)munlock(c->token, c->token_len + 1);
		free(c->token);
	}
	free(c);
}
