/*
 * metrics_http.c - wifd's Prometheus endpoint (wif.metrics_listen): GET
 * /metrics on a Unix socket or a loopback TCP port, nothing else.  One
 * thread, one scrape at a time, every read and write bounded in size and
 * time: a scraper is not a consumer, and a stuck one must not cost more
 * than this thread.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "wifd.h"

#define REQ_MAX 4096
#define IO_TIMEOUT_MS 2000

int
wifd_metrics_listen(const char *spec, char *unix_path, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	const char *port;
	int fd, one = 1, fam;

	unix_path[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	if (strncmp(spec, "unix:", 5) == 0) {
		struct sockaddr_un *su = (struct sockaddr_un *)&ss;
		mode_t old;

		if (strlen(spec + 5) >= sizeof(su->sun_path))
			return wif_err(WIF_E_CONFIG, "metrics_listen %s: path too "
			    "long", spec);
		su->sun_family = AF_UNIX;
		snprintf(su->sun_path, sizeof(su->sun_path), "%s", spec + 5);
		(void)unlink(su->sun_path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return wif_err(WIF_E_IO, "socket: %s", strerror(errno));
		old = umask(0117); /* 0660: root and the socket's group */
		if (bind(fd, (struct sockaddr *)su, sizeof(*su)) != 0) {
			int e = errno;
			umask(old);
			close(fd);
			return wif_err(WIF_E_IO, "metrics_listen: cannot bind %s: %s",
			    su->sun_path, strerror(e));
		}
		umask(old);
		snprintf(unix_path, len, "%s", su->sun_path);
	} else {
		port = strrchr(spec, ':') + 1;
		if (strncmp(spec, "[::1]:", 6) == 0) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			s6->sin6_family = AF_INET6;
			s6->sin6_addr = in6addr_loopback;
			s6->sin6_port = htons((uint16_t)atoi(port));
			fam = AF_INET6;
			sl = sizeof(*s6);
		} else { /* 127.0.0.1: or localhost: (validated by conf) */
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			s4->sin_family = AF_INET;
			s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			s4->sin_port = htons((uint16_t)atoi(port));
			fam = AF_INET;
			sl = sizeof(*s4);
		}
		if ((fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
			return wif_err(WIF_E_IO, "socket: %s", strerror(errno));
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
			int e = errno;
			close(fd);
			return wif_err(WIF_E_IO, "metrics_listen: cannot bind %s: %s",
			    spec, strerror(e));
		}
	}
	if (listen(fd, 16) != 0) {
		int e = errno;
		close(fd);
		return wif_err(WIF_E_IO, "metrics_listen %s: %s", spec, strerror(e));
	}
	return fd;
}

static int
io_wait(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };

	return poll(&p, 1, IO_TIMEOUT_MS) == 1;
}

static void
send_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0 && io_wait(fd, POLLOUT)) {
		if ((n = send(fd, buf, len, MSG_NOSIGNAL)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void
serve_one(struct wifd *d, int fd)
{
	char req[REQ_MAX + 1], head[256], *body = NULL;
	size_t have = 0, blen = 0;
	ssize_t n;
	const char *status = "404 Not Found";

	while (have < REQ_MAX && io_wait(fd, POLLIN)) {
		if ((n = recv(fd, req + have, REQ_MAX - have, 0)) <= 0)
			break;
		have += (size_t)n;
		req[have] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
			break;
	}
	req[have] = '\0';
	if (strncmp(req, "GET /metrics ", 13) == 0 ||
	    strncmp(req, "GET /metrics\r", 13) == 0) {
		if (wif_metrics_prometheus(d->metrics, &body, &blen) == WIF_OK)
			status = "200 OK";
		else
			status = "500 Internal Server Error";
	} else if (strncmp(req, "GET ", 4) != 0) {
		status = "405 Method Not Allowed";
	}
	snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: text/plain; "
	    "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, body != NULL ? blen : 0);
	send_all(fd, head, strlen(head));
	if (body != NULL)
		send_all(fd, body, blen);
	free(body);
}

void *
wifd_metrics_main(void *arg)
{
	struct wifd *d = arg;
	struct pollfd p = { .fd = d->metrics_fd, .events = POLLIN };
	int fd;

	while (!d->stopping) {
		if (poll(&p, 1, 500) != 1)
			continue;
		if ((fd = accept4(d->metrics_fd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			continue;
		serve_one(d, fd);
		close(fd);
	}
	return NULL;
}
