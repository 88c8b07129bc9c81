/* audit.c - the audit trail; see audit.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "err.h"

enum target { T_NONE, T_SYSLOG, T_STDERR, T_FILE };

/*
 * Lines are handed to one writer thread so that the caller (wifd's loop
 * thread, on every issuance) never waits for syslog(3) or the disk: the
 * caller appends the finished line to the filling buffer; the writer,
 * woken by the first line of a batch, lets more gather for WRITE_DELAY_MS
 * (less when the buffer is half full, or on a flush, reopen or close), then
 * swaps buffers and writes the whole batch (one write(2) for a file).  Order is
 * kept: one writer, FIFO.  Nothing is dropped: a caller that finds the
 * filling buffer full waits for the writer (back-pressure, not loss).
 */
#define BUF_SIZE (64 * 1024)
#define WRITE_DELAY_MS 20         /* an audit line is written within this */
#define LINE_MAX_LEN 2048

struct wif_audit {
	enum target t;
	char *path;
	int fd;
	pthread_mutex_t mu;       /* everything below */
	pthread_cond_t work;      /* writer: lines are waiting, or stop */
	pthread_cond_t idle;      /* producers: room in buf / batch written */
	char *buf;                /* the filling buffer (BUF_SIZE) */
	char *spare;              /* the writer's buffer */
	size_t len;
	int writing;              /* the writer holds a batch */
	int urgent;               /* write now: flush, close, buffer filling */
	int stop;
	int has_thread;
	pthread_t thread;
	time_t ts_sec;            /* the cached "ts=" for ts_sec */
	char ts[40];
	/* syslog, the writer thread's own: */
	int log_fd;               /* datagram socket to the log socket, or -1 */
	time_t log_retry;         /* next connect attempt while unreachable */
	int log_down;             /* lines go to stderr meanwhile (said once) */
	const char *log_path;     /* _PATH_LOG, or WIF_AUDIT_SYSLOG_SOCKET (tests) */
};

static int
open_fd(const char *path, int *out)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);

	if (fd == -1)
		return wif_err(WIF_E_IO, "audit log %s: %s%s", path,
		    strerror(errno), errno == ELOOP ? " (a symbolic link: "
		    "refused)" : "");
	(void)fchmod(fd, 0600);
	*out = fd;
	return WIF_OK;
}

static int
open_file(struct wif_audit *a)
{
	return open_fd(a->path, &a->fd);
}

/* Connect the writer's datagram socket to the log socket; -1 if no
 * syslog daemon listens there. */
static int
log_connect(struct wif_audit *a)
{
	struct sockaddr_un sa;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(a->log_path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, a->log_path);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One line to syslog (RFC 3164 framing, as syslog(3) sends it:
 * "<86>Nov 22 17:54:29 wifd[PID]: line", LOG_AUTHPRIV|LOG_INFO).  Unlike
 * syslog(3), a line is never silently dropped when no syslog daemon
 * listens: it goes to stderr (journald or the service's log), and that is
 * said once; the socket is tried again every 5 s.
 */
static void
log_line(struct wif_audit *a, const char *line, size_t len)
{
	char hdr[64], stamp[32];
	struct iovec iov[2];
	struct msghdr mh;
	struct tm tm;
	time_t now = time(NULL);
	int sent = 0;

	if (a->log_fd < 0 && now >= a->log_retry) {
		a->log_fd = log_connect(a);
		a->log_retry = now + 5;
		if (a->log_fd >= 0 && a->log_down) {
			a->log_down = 0;
			fprintf(stderr, "wifd: audit: syslog (%s) is back; audit "
			    "lines go there again\n", a->log_path);
		}
	}
	if (a->log_fd >= 0) {
		localtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%b %e %T", &tm);
		snprintf(hdr, sizeof(hdr), "<%d>%s wifd[%d]: ",
		    LOG_AUTHPRIV | LOG_INFO, stamp, (int)getpid());
		iov[0].iov_base = hdr;
		iov[0].iov_len = strlen(hdr);
		iov[1].iov_base = (void *)(uintptr_t)line;
		iov[1].iov_len = len;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
		if (sendmsg(a->log_fd, &mh, MSG_NOSIGNAL) >= 0)
			sent = 1;
		else {
			close(a->log_fd);
			a->log_fd = -1;
		}
	}
	if (sent)
		return;
	if (!a->log_down) {
		a->log_down = 1;
		fprintf(stderr, "wifd: audit: no syslog daemon listens on %s; "
		    "audit lines go to standard error until one does\n",
		    a->log_path);
	}
	fprintf(stderr, "wifd: audit: %.*s\n", (int)len, line);
}

/* Write a batch of lines; the caller does not hold a->mu. */
static void
write_batch(struct wif_audit *a, char *p, size_t n, int fd)
{
	char *nl;
	ssize_t w;

	if (a->t == T_SYSLOG) {
		while (n > 0 && (nl = memchr(p, '\n', n)) != NULL) {
			log_line(a, p, (size_t)(nl - p));
			n -= (size_t)(nl + 1 - p);
			p = nl + 1;
		}
		return;
	}
	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* nowhere to report it: the audit log is the report */
		p += w;
		n -= (size_t)w;
	}
}

static void *
writer(void *arg)
{
	struct wif_audit *a = arg;
	char *batch;
	size_t n;
	int fd;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		/* Idle: sleep until a first line arrives. */
		while (a->len == 0 && !a->stop)
			pthread_cond_wait(&a->work, &a->mu);
		/* Then let more gather for WRITE_DELAY_MS (unless a flush,
		 * close or a half-full buffer says now): one wake-up and one
		 * write per batch, not per request. */
		if (a->len > 0 && !a->urgent && !a->stop) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_nsec += WRITE_DELAY_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			while (!a->urgent && !a->stop &&
			    pthread_cond_timedwait(&a->work, &a->mu, &ts) == 0)
				;
		}
		a->urgent = 0;
		if (a->len == 0 && a->stop)
			break;
		batch = a->buf;
		n = a->len;
		a->buf = a->spare;
		a->spare = batch;
		a->len = 0;
		a->writing = 1;
		fd = a->t == T_FILE ? a->fd : 2;
		pthread_cond_broadcast(&a->idle);
		pthread_mutex_unlock(&a->mu);
		write_batch(a, batch, n, fd);
		pthread_mutex_lock(&a->mu);
		a->writing = 0;
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Wait until every line handed over so far is written; a->mu held. */
static void
drain_locked(struct wif_audit *a)
{
	if (a->has_thread && a->len > 0) {
		a->urgent = 1;
		pthread_cond_signal(&a->work);
	}
	while (a->has_thread && (a->len > 0 || a->writing))
		pthread_cond_wait(&a->idle, &a->mu);
}

void
wif_audit_flush(struct wif_audit *a)
{
	if (a == NULL || a->t == T_NONE)
		return;
	pthread_mutex_lock(&a->mu);
	drain_locked(a);
	pthread_mutex_unlock(&a->mu);
}

static void
free_audit(struct wif_audit *a)
{
	pthread_cond_destroy(&a->work);
	pthread_cond_destroy(&a->idle);
	pthread_mutex_destroy(&a->mu);
	free(a->buf);
	free(a->spare);
	free(a->path);
	free(a);
}

int
wif_audit_open(const char *target, struct wif_audit **out)
{
	struct wif_audit *a;
	int r;

	*out = NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	a->fd = -1;
	pthread_mutex_init(&a->mu, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&a->work, &ca);
		pthread_condattr_destroy(&ca);
	}
	pthread_cond_init(&a->idle, NULL);
	a->log_fd = -1;
	if (target == NULL || strcmp(target, "syslog") == 0) {
		a->t = T_SYSLOG;
		a->log_path = getenv("WIF_AUDIT_SYSLOG_SOCKET");
		if (a->log_path == NULL || a->log_path[0] != '/' ||
		    getuid() != geteuid())
			a->log_path = "/dev/log";
	} else if (strcmp(target, "stderr") == 0) {
		a->t = T_STDERR;
	} else if (strcmp(target, "none") == 0) {
		a->t = T_NONE;
	} else if (target[0] == '/') {
		a->t = T_FILE;
		if ((a->path = strdup(target)) == NULL) {
			free_audit(a);
			return wif_err(WIF_E_NOMEM, "out of memory");
		}
		if ((r = open_file(a)) != WIF_OK) {
			free_audit(a);
			return r;
		}
	} else {
		free_audit(a);
		return wif_err(WIF_E_CONFIG, "audit target \"%s\": use syslog, "
		    "stderr, none or an absolute path", target);
	}
	if (a->t != T_NONE) {
		if ((a->buf = malloc(BUF_SIZE)) == NULL ||
		    (a->spare = malloc(BUF_SIZE)) == NULL) {
			wif_audit_close(a);
			return wif_err(WIF_E_NOMEM, "out of memory");
		}
		if ((r = pthread_create(&a->thread, NULL, writer, a)) != 0) {
			wif_audit_close(a);
			return wif_err(WIF_E_INTERNAL, "audit writer thread: %s",
			    strerror(r));
		}
		a->has_thread = 1;
	}
	*out = a;
	return WIF_OK;
}

void
wif_audit_close(struct wif_audit *a)
{
	if (a == NULL)
		return;
	if (a->has_thread) {
		pthread_mutex_lock(&a->mu);
		a->stop = 1;
		pthread_cond_signal(&a->work);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->thread, NULL); /* it writes what is left first */
	}
	if (a->fd >= 0)
		close(a->fd);
	if (a->log_fd >= 0)
		close(a->log_fd);
	free_audit(a);
}

int
wif_audit_reopen(struct wif_audit *a)
{
	int old, nfd, r;

	if (a == NULL || a->t != T_FILE)
		return WIF_OK;
	/* The new file is opened before the lock is taken (an open may be
	 * slow, and every audited request needs that lock). */
	if ((r = open_fd(a->path, &nfd)) != WIF_OK)
		return r;
	pthread_mutex_lock(&a->mu);
	drain_locked(a); /* lines from before the rotation go to the old file */
	old = a->fd;
	a->fd = nfd;
	pthread_mutex_unlock(&a->mu);
	if (old >= 0)
		close(old);
	return WIF_OK;
}

/* Append " key=value" (quoted and escaped when needed); NULL skipped. */
static void
put(char *buf, size_t len, size_t *off, const char *key, const char *v)
{
	const unsigned char *p;
	int quote = 0;

	if (v == NULL || *off >= len)
		return;
	for (p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f)
			quote = 1;
	if (*v == '\0')
		quote = 1;
	*off += (size_t)snprintf(buf + *off, len - *off, "%s%s=%s",
	    *off ? " " : "", key, quote ? "\"" : "");
	for (p = (const unsigned char *)v; *p && *off + 6 < len; p++) {
		if (*p == '"' || *p == '\\')
			*off += (size_t)snprintf(buf + *off, len - *off, "\\%c", *p);
		else if (*p < ' ' || *p == 0x7f)
			*off += (size_t)snprintf(buf + *off, len - *off, "\\x%02x", *p);
		else
			buf[(*off)++] = (char)*p;
	}
	if (*off < len)
		buf[*off] = '\0';
	if (quote && *off + 1 < len) {
		buf[(*off)++] = '"';
		buf[*off] = '\0';
	}
}

void
wif_audit_format(const struct wif_audit_event *ev, char *buf, size_t len)
{
	char num[32];
	size_t off = 0;

	buf[0] = '\0';
	put(buf, len, &off, "event", ev->event ? ev->event : "unknown");
	put(buf, len, &off, "profile", ev->profile);
	put(buf, len, &off, "provider", ev->provider && *ev->provider ?
	    ev->provider : NULL);
	if (ev->pid > 0) {
		snprintf(num, sizeof(num), "%u", (unsigned)ev->uid);
		put(buf, len, &off, "uid", num);
		snprintf(num, sizeof(num), "%d", (int)ev->pid);
		put(buf, len, &off, "pid", num);
		put(buf, len, &off, "exe", ev->exe && *ev->exe ? ev->exe : NULL);
		put(buf, len, &off, "unit", ev->unit && *ev->unit ? ev->unit : NULL);
	}
	put(buf, len, &off, "token_sha256", ev->token_sha256);
	if (ev->expires_at > 0) {
		snprintf(num, sizeof(num), "%lld", (long long)ev->expires_at);
		put(buf, len, &off, "expires_at", num);
	}
	put(buf, len, &off, "request_id", ev->request_id && *ev->request_id ?
	    ev->request_id : NULL);
	put(buf, len, &off, "result", ev->result ? ev->result : "");
}

int
wif_audit_enabled(const struct wif_audit *a)
{
	return a != NULL && a->t != T_NONE;
}

void
wif_audit_event(struct wif_audit *a, const struct wif_audit_event *ev)
{
	char line[LINE_MAX_LEN];
	struct tm tm;
	time_t now;
	size_t n, need;
	int was_empty;

	if (a == NULL || a->t == T_NONE)
		return;
	wif_audit_format(ev, line, sizeof(line) - 1);
	n = strlen(line);
	now = time(NULL);
	pthread_mutex_lock(&a->mu);
	if (a->t != T_SYSLOG && now != a->ts_sec) {
		/* gmtime_r takes glibc's time-zone lock: once a second at most */
		gmtime_r(&now, &tm);
		strftime(a->ts, sizeof(a->ts), "ts=%Y-%m-%dT%H:%M:%SZ ", &tm);
		a->ts_sec = now;
	}
	need = (a->t == T_SYSLOG ? 0 : strlen(a->ts)) + n + 1;
	while (a->len + need > BUF_SIZE && !a->stop) {
		a->urgent = 1;
		pthread_cond_signal(&a->work);
		pthread_cond_wait(&a->idle, &a->mu);
	}
	was_empty = a->len == 0;
	if (a->len + need <= BUF_SIZE) {
		if (a->t != T_SYSLOG) {
			memcpy(a->buf + a->len, a->ts, strlen(a->ts));
			a->len += strlen(a->ts);
		}
		memcpy(a->buf + a->len, line, n);
		a->len += n;
		a->buf[a->len++] = '\n';
		/* Wake the writer for the first line of a batch (it sleeps
		 * while there is none), and early when the buffer is half
		 * full; a batch it is writing is followed by a look here. */
		if (a->len > BUF_SIZE / 2)
			a->urgent = 1;
		if (!a->writing && (was_empty || a->urgent))
			pthread_cond_signal(&a->work);
	}
	pthread_mutex_unlock(&a->mu);
}
