/* audit.c - the audit trail; see audit.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "err.h"

enum target { T_NONE, T_SYSLOG, T_STDERR, T_FILE };

struct wif_audit {
	enum target t;
	char *path;
	int fd;
	pthread_mutex_t mu;
};

static int
open_file(struct wif_audit *a)
{
	int fd = open(a->path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);

	if (fd == -1)
		return wif_err(WIF_E_IO, "audit log %s: %s%s", a->path,
		    strerror(errno), errno == ELOOP ? " (a symbolic link: "
		    "refused)" : "");
	(void)fchmod(fd, 0600);
	a->fd = fd;
	return WIF_OK;
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
	if (target == NULL || strcmp(target, "syslog") == 0) {
		a->t = T_SYSLOG;
		openlog("wifd", LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	} else if (strcmp(target, "stderr") == 0) {
		a->t = T_STDERR;
	} else if (strcmp(target, "none") == 0) {
		a->t = T_NONE;
	} else if (target[0] == '/') {
		a->t = T_FILE;
		if ((a->path = strdup(target)) == NULL) {
			free(a);
			return wif_err(WIF_E_NOMEM, "out of memory");
		}
		if ((r = open_file(a)) != WIF_OK) {
			free(a->path);
			free(a);
			return r;
		}
	} else {
		free(a);
		return wif_err(WIF_E_CONFIG, "audit target \"%s\": use syslog, "
		    "stderr, none or an absolute path", target);
	}
	*out = a;
	return WIF_OK;
}

void
wif_audit_close(struct wif_audit *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		close(a->fd);
	pthread_mutex_destroy(&a->mu);
	free(a->path);
	free(a);
}

int
wif_audit_reopen(struct wif_audit *a)
{
	int old, r = WIF_OK;

	if (a == NULL || a->t != T_FILE)
		return WIF_OK;
	pthread_mutex_lock(&a->mu);
	old = a->fd;
	if ((r = open_file(a)) == WIF_OK && old >= 0)
		close(old);
	else
		a->fd = old;
	pthread_mutex_unlock(&a->mu);
	return r;
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
	char line[2048], ts[40];
	struct tm tm;
	time_t now;
	size_t n;

	if (a == NULL || a->t == T_NONE)
		return;
	wif_audit_format(ev, line, sizeof(line) - 1);
	switch (a->t) {
	case T_SYSLOG:
		syslog(LOG_AUTHPRIV | LOG_INFO, "%s", line);
		break;
	case T_STDERR:
	case T_FILE:
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		{
			char out[2100];
			n = (size_t)snprintf(out, sizeof(out), "ts=%s %s\n", ts,
			    line);
			if (n >= sizeof(out))
				n = sizeof(out) - 1;
			pthread_mutex_lock(&a->mu);
			(void)!write(a->t == T_FILE ? a->fd : 2, out, n);
			pthread_mutex_unlock(&a->mu);
		}
		break;
	default:
		break;
	}
}
