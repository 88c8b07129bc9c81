/*
 * wifd.c - the host daemon: one token cache for every consumer on the host.
 *
 * One event-loop thread (epoll) owns the listening socket and every
 * connection: it accepts, reads requests (bounded: 64 KiB, 10 s to send a
 * whole request, so a slow or silent client costs a file descriptor and
 * nothing else), answers everything it can without blocking - a cache hit,
 * ping, status - and writes replies.  A request that would block (a refresh
 * is needed, or an admin operation) goes to a small pool of worker threads;
 * the cache makes the refresh single-flight, so however many requests wait
 * for a profile there is one identity fetch and one exchange.  A refresher
 * thread renews tokens before the advisory window.  Signals arrive through
 * a signalfd: SIGHUP reloads (a bad config is rejected and the running one
 * kept), SIGTERM/SIGINT exit cleanly.  See wifd(8).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "log.h"
#include "secmem.h"
#include "wifd.h"

#define N_WORKERS 8
#define REQUEST_TIMEOUT_MS 10000     /* to send one whole request */
#define IDLE_TIMEOUT_MS 30000        /* between requests on one connection */
#define MAX_CONNS 4096
#define READ_CHUNK 4096

enum cstate { C_READ, C_BUSY, C_WRITE };

struct conn {
	int fd;
	enum cstate st;
	struct wif_peer peer;
	unsigned char *in;              /* request bytes (secure memory) */
	size_t in_len, in_cap;
	char *out;                      /* reply (secure memory: tokens) */
	size_t out_len, out_off;
	int64_t deadline;               /* monotonic ms */
	int hup;                        /* peer went away while busy */
	uint32_t ev;                    /* the events epoll watches */
	struct conn *prev, *next;       /* all connections */
	struct conn *qnext;             /* work or done queue */
};

struct loop {
	struct wifd *d;
	int epfd, lfd, sfd, efd, tfd;
	int owns_socket;
	int accepting;                  /* the listening socket is polled */
	int emfile;                     /* accept paused on EMFILE (logged) */
	const char *socket_path;
	struct conn *conns;
	size_t n_conns;
	char *scratch;                  /* WIFD_REPLY_MAX, loop thread only */
	char *parse;                    /* a request being parsed, likewise */
	pthread_mutex_t qmu;
	pthread_cond_t qcv;
	struct conn *work, *work_tail;  /* to the workers */
	struct conn *done;              /* back to the loop */
	int quit;
	pthread_t workers[N_WORKERS];
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
listen_events(struct loop *L, int on)
{
	struct epoll_event e = { .events = on ? EPOLLIN : 0, .data.ptr = L };

	if (L->accepting != on &&
	    epoll_ctl(L->epfd, EPOLL_CTL_MOD, L->lfd, &e) == 0)
		L->accepting = on;
}

static void
conn_free(struct loop *L, struct conn *c)
{
	epoll_ctl(L->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		L->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	wif_secmem_free(c->in);
	wif_secmem_free(c->out);
	free(c);
	L->n_conns--;
	wif_metrics_set_gauge(L->d->metrics, "connections", (int64_t)L->n_conns);
	listen_events(L, 1);
}

static void
conn_events(struct loop *L, struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (c->ev == ev)
		return; /* a syscall saved on every kept-connection request */
	epoll_ctl(L->epfd, EPOLL_CTL_MOD, c->fd, &e);
	c->ev = ev;
}

/* Keep the reply: an exact-size secure copy of the scratch buffer. */
static int
set_reply(struct conn *c, const char *buf, size_t len)
{
	wif_secmem_free(c->out);
	if ((c->out = wif_secmem_alloc(len)) == NULL)
		return -1;
	memcpy(c->out, buf, len);
	c->out_len = len;
	c->out_off = 0;
	return 0;
}

static int flush_out(struct loop *L, struct conn *c);

/*
 * Send the reply.  With now set (only from this connection's own event or
 * its accept, so that no later event of the same epoll batch can name a
 * connection freed here) the reply is sent at once - a reply fits the
 * socket buffer almost always - and epoll is asked for EPOLLOUT only when
 * it did not; c may be freed on return.
 */
static void
start_write(struct loop *L, struct conn *c, int now)
{
	c->st = C_WRITE;
	c->deadline = mono_ms() + REQUEST_TIMEOUT_MS;
	if (!now || flush_out(L, c) == 1)
		conn_events(L, c, EPOLLOUT);
}

static void
enqueue_work(struct loop *L, struct conn *c)
{
	c->st = C_BUSY;
	conn_events(L, c, 0); /* HUP/ERR still arrive */
	pthread_mutex_lock(&L->qmu);
	c->qnext = NULL;
	if (L->work_tail != NULL)
		L->work_tail->qnext = c;
	else
		L->work = c;
	L->work_tail = c;
	pthread_cond_signal(&L->qcv);
	pthread_mutex_unlock(&L->qmu);
}

/* A whole frame is in c->in: handle it here or hand it to a worker. */
static void
dispatch(struct loop *L, struct conn *c, size_t frame)
{
	struct wif_wire_msg m;
	const char *why;
	size_t len = 0;

	/* Parse a copy: parsing is in place, and a worker may need the
	 * request intact. */
	memcpy(L->parse, c->in, frame);
	if (wif_wire_parse(L->parse + 4, frame - 4, &m, &why) != 0) {
		wifd_reply_error(L->scratch, &len, WIF_E_PROTOCOL, "malformed "
		    "request: %s (wifd speaks wire protocol 1, see wifd(8))", why);
		goto reply;
	}
	if (wifd_handle(L->d, &c->peer, &m, 0, L->scratch, &len) == 1) {
		/* The worker parses c->in itself; it owns c until it hands
		 * it back. */
		wif_wipe(L->parse, frame);
		c->in_len = frame;
		enqueue_work(L, c);
		return;
	}
reply:
	wif_wipe(L->parse, frame);
	c->in_len = 0;
	if (set_reply(c, L->scratch, len) != 0) {
		conn_free(L, c);
		return;
	}
	wif_wipe(L->scratch, len);
	start_write(L, c, 1);
}

static void
on_readable(struct loop *L, struct conn *c)
{
	long need;
	ssize_t n;

	for (;;) {
		if (c->in_len == c->in_cap) {
			size_t ncap = c->in_cap * 2;
			unsigned char *nb;
			if (ncap > WIF_WIRE_MAX + 4)
				ncap = WIF_WIRE_MAX + 4;
			if (ncap == c->in_cap || (nb = wif_secmem_alloc(ncap)) == NULL) {
				conn_free(L, c);
				return;
			}
			memcpy(nb, c->in, c->in_len);
			wif_secmem_free(c->in);
			c->in = nb;
			c->in_cap = ncap;
		}
		n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_free(L, c); /* closed, mid-request or not */
			return;
		}
		c->in_len += (size_t)n;
		need = wif_wire_frame_size(c->in, c->in_len);
		if (need < 0) {
			size_t len = 0;
			wifd_reply_error(L->scratch, &len, WIF_E_PROTOCOL, "bad "
			    "frame length (1..%d bytes)", WIF_WIRE_MAX);
			c->in_len = 0;
			if (set_reply(c, L->scratch, len) != 0) {
				conn_free(L, c);
				return;
			}
			c->hup = 1; /* close after this reply: framing is lost */
			start_write(L, c, 1);
			return;
		}
		if (need > 0 && c->in_len >= (size_t)need) {
			if (c->in_len > (size_t)need) {
				/* One request at a time: pipelining is not part
				 * of protocol 1. */
				size_t len = 0;
				wifd_reply_error(L->scratch, &len, WIF_E_PROTOCOL,
				    "send one request and wait for its reply");
				c->in_len = 0;
				if (set_reply(c, L->scratch, len) != 0) {
					conn_free(L, c);
					return;
				}
				c->hup = 1;
				start_write(L, c, 1);
				return;
			}
			dispatch(L, c, (size_t)need);
			return;
		}
	}
}

/* Send what is left of the reply: 1 when the socket is full (call again
 * on EPOLLOUT), 0 when it is sent (back to reading, or closed after a
 * fatal reply), -1 when the connection was closed. */
static int
flush_out(struct loop *L, struct conn *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		    MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0) {
			conn_free(L, c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	wif_secmem_free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	if (c->hup) {
		conn_free(L, c);
		return -1;
	}
	c->st = C_READ;
	c->in_len = 0;
	c->deadline = mono_ms() + IDLE_TIMEOUT_MS;
	conn_events(L, c, EPOLLIN | EPOLLRDHUP);
	return 0;
}

static void
on_writable(struct loop *L, struct conn *c)
{
	(void)flush_out(L, c);
}

static void
on_accept(struct loop *L)
{
	struct epoll_event e;
	struct conn *c;
	int fd;

	for (;;) {
		fd = accept4(L->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE) {
				/* Stop listening until a connection closes,
				 * instead of spinning on a readable socket. */
				if (!L->emfile)
					log_warnx("out of file descriptors with "
					    "%zu connections: pausing accept, "
					    "retrying every second", L->n_conns);
				L->emfile = 1;
				listen_events(L, 0);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_warn("accept");
			}
			return;
		}
		if (L->n_conns >= MAX_CONNS ||
		    (c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			if (L->n_conns >= MAX_CONNS)
				listen_events(L, 0);
			continue;
		}
		L->emfile = 0;
		c->fd = fd;
		if (wif_peer_from_fd(fd, &c->peer) != WIF_OK ||
		    (c->in = wif_secmem_alloc(READ_CHUNK)) == NULL) {
			log_warnx("dropping a connection: %s", wif_err_detail());
			wif_secmem_free(c->in);
			free(c);
			close(fd);
			continue;
		}
		c->in_cap = READ_CHUNK;
		c->st = C_READ;
		c->deadline = mono_ms() + REQUEST_TIMEOUT_MS;
		e.events = EPOLLIN | EPOLLRDHUP;
		e.data.ptr = c;
		c->ev = e.events;
		if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &e) != 0) {
			wif_secmem_free(c->in);
			free(c);
			close(fd);
			continue;
		}
		c->next = L->conns;
		if (L->conns != NULL)
			L->conns->prev = c;
		L->conns = c;
		L->n_conns++;
		L->d->connections++;
		wif_metrics_set_gauge(L->d->metrics, "connections",
		    (int64_t)L->n_conns);
		/* A new client has usually sent its request by now: serve it
		 * without waiting for another turn of the loop (c is not in
		 * this epoll batch, so freeing it here is safe). */
		on_readable(L, c);
	}
}

static void *
worker_main(void *arg)
{
	struct loop *L = arg;
	struct wif_wire_msg m;
	const char *why;
	char *buf;
	size_t len;
	struct conn *c;
	uint64_t one = 1;

	if ((buf = wif_secmem_alloc(WIFD_REPLY_MAX)) == NULL)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&L->qmu);
		while (L->work == NULL && !L->quit)
			pthread_cond_wait(&L->qcv, &L->qmu);
		if (L->work == NULL) {
			pthread_mutex_unlock(&L->qmu);
			break;
		}
		c = L->work;
		if ((L->work = c->qnext) == NULL)
			L->work_tail = NULL;
		pthread_mutex_unlock(&L->qmu);

		len = 0;
		if (wif_wire_parse((char *)c->in + 4, c->in_len - 4, &m,
		    &why) != 0)
			wifd_reply_error(buf, &len, WIF_E_PROTOCOL, "%s", why);
		else
			(void)wifd_handle(L->d, &c->peer, &m, 1, buf, &len);
		wif_wipe(c->in, c->in_len);
		c->in_len = 0;
		/* On failure c->out stays NULL and on_done drops the
		 * connection (c->hup belongs to the loop thread). */
		(void)set_reply(c, buf, len);
		wif_wipe(buf, len);

		pthread_mutex_lock(&L->qmu);
		c->qnext = L->done;
		L->done = c;
		pthread_mutex_unlock(&L->qmu);
		(void)!write(L->efd, &one, sizeof(one));
	}
	wif_secmem_free(buf);
	return NULL;
}

static void
on_done(struct loop *L)
{
	struct conn *c, *next;
	uint64_t v;

	(void)!read(L->efd, &v, sizeof(v));
	pthread_mutex_lock(&L->qmu);
	c = L->done;
	L->done = NULL;
	pthread_mutex_unlock(&L->qmu);
	for (; c != NULL; c = next) {
		next = c->qnext;
		if (c->out == NULL || c->hup) {
			conn_free(L, c);
			continue;
		}
		start_write(L, c, 1); /* after the batch: c may be freed */
	}
}

/* Close connections past their deadline (not the busy ones: a refresh is
 * bounded by the HTTP budget, and the worker hands them back). */
static void
on_tick(struct loop *L)
{
	struct conn *c, *next;
	int64_t now = mono_ms();
	uint64_t v;

	(void)!read(L->tfd, &v, sizeof(v));
	for (c = L->conns; c != NULL; c = next) {
		next = c->next;
		if (c->st != C_BUSY && now >= c->deadline)
			conn_free(L, c);
	}
	/* Accept paused on EMFILE with no connection to close and resume
	 * it: try again every tick. */
	if (!L->accepting && L->n_conns < MAX_CONNS)
		listen_events(L, 1);
}

/* systemd readiness (sd_notify without libsystemd). */
static void
notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t sl;
	size_t n;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (n = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, n);
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	(void)sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
	    sl);
	close(fd);
}

/* LISTEN_FDS from systemd: fd 3, when it is meant for us and is a
 * listening Unix stream socket. */
static int
activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	int acc = 0, type = 0;
	socklen_t l = sizeof(acc), tl = sizeof(type);

	if (pid == NULL || fds == NULL || atol(pid) != (long)getpid() ||
	    atoi(fds) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &acc, &l) != 0 || !acc ||
	    getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 ||
	    type != SOCK_STREAM)
		return -1;
	(void)fcntl(3, F_SETFD, FD_CLOEXEC);
	(void)fcntl(3, F_SETFL, fcntl(3, F_GETFL) | O_NONBLOCK);
	return 3;
}

static int
make_socket(const char *path, int *owns)
{
	struct sockaddr_un sa, tmp;
	struct stat st;
	char dir[sizeof(sa.sun_path)], *slash;
	mode_t old;
	int fd, probe;

	*owns = 0;
	if (path[0] != '/' || strlen(path) >= sizeof(sa.sun_path))
		return wif_err(WIF_E_CONFIG, "socket path %s must be absolute and "
		    "shorter than %zu bytes", path, sizeof(sa.sun_path));
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return wif_err(WIF_E_IO, "cannot create %s: %s", dir,
			    strerror(errno));
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return wif_err(WIF_E_IO, "%s exists and is not a socket: "
			    "remove it or choose another wif.socket", path);
		/* A live daemon answers; a stale socket refuses. */
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
			int live = connect(probe, (struct sockaddr *)&sa,
			    sizeof(sa)) == 0;
			close(probe);
			if (live)
				return wif_err(WIF_E_IO, "another wifd is already "
				    "listening on %s", path);
		}
		if (unlink(path) != 0)
			return wif_err(WIF_E_IO, "cannot remove the stale socket "
			    "%s: %s", path, strerror(errno));
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return wif_err(WIF_E_IO, "socket: %s", strerror(errno));
	/* Everyone may connect: access is decided per profile from the
	 * peer's credentials.  Bound under a temporary name and renamed once
	 * listening, so that the socket file appears only when it accepts. */
	if (snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", path,
	    (int)getpid()) >= (int)sizeof(tmp.sun_path))
		memcpy(tmp.sun_path, sa.sun_path, sizeof(tmp.sun_path));
	tmp.sun_family = AF_UNIX;
	(void)unlink(tmp.sun_path);
	old = umask(0111);
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp)) != 0) {
		int e = errno;
		umask(old);
		close(fd);
		return wif_err(WIF_E_IO, "cannot bind %s: %s", tmp.sun_path,
		    strerror(e));
	}
	umask(old);
	if (listen(fd, SOMAXCONN) != 0 ||
	    (strcmp(tmp.sun_path, path) != 0 && rename(tmp.sun_path, path) != 0)) {
		int e = errno;
		close(fd);
		unlink(tmp.sun_path);
		return wif_err(WIF_E_IO, "cannot listen on %s: %s", path,
		    strerror(e));
	}
	*owns = 1;
	return fd;
}

static int
add_fd(int epfd, int fd, void *tag)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e);
}

/* The signals the loop reads from its signalfd; blocked in every thread
 * (main blocks them before creating any). */
static void
wifd_signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGPIPE);
}

static int
run(struct loop *L)
{
	struct epoll_event evs[64];
	struct signalfd_siginfo si;
	pthread_t refresher;
	struct itimerspec its;
	sigset_t set;
	int i, n, r = 0, stop = 0, done = 0, tick = 0;
	char tag_s, tag_e, tag_t;

	wifd_signal_set(&set);
	if ((L->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    (L->sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) == -1 ||
	    (L->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1 ||
	    (L->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK |
	    TFD_CLOEXEC)) == -1) {
		log_warn("wifd: event loop setup");
		return 1;
	}
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = 1;
	its.it_value.tv_sec = 1;
	timerfd_settime(L->tfd, 0, &its, NULL);
	L->accepting = 1;
	if (add_fd(L->epfd, L->lfd, L) != 0 ||
	    add_fd(L->epfd, L->sfd, &tag_s) != 0 ||
	    add_fd(L->epfd, L->efd, &tag_e) != 0 ||
	    add_fd(L->epfd, L->tfd, &tag_t) != 0) {
		log_warn("wifd: epoll_ctl");
		return 1;
	}
	for (i = 0; i < N_WORKERS; i++)
		pthread_create(&L->workers[i], NULL, worker_main, L);
	pthread_create(&refresher, NULL, wifd_refresher_main, L->d);
	log_info("wifd %s listening on %s (%s)", PACKAGE_VERSION,
	    L->socket_path, L->d->config_path);
	notify("READY=1");

	while (!stop) {
		n = epoll_wait(L->epfd, evs, 64, -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			r = 1;
			break;
		}
		for (i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			uint32_t ev = evs[i].events;
			struct conn *c;

			if (p == L) {
				on_accept(L);
			} else if (p == &tag_e) {
				done = 1;
			} else if (p == &tag_t) {
				tick = 1;
			} else if (p == &tag_s) {
				while (read(L->sfd, &si, sizeof(si)) ==
				    (ssize_t)sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						notify("RELOADING=1");
						(void)wifd_reload(L->d);
						notify("READY=1");
					} else if (si.ssi_signo == SIGTERM ||
					    si.ssi_signo == SIGINT) {
						stop = 1;
					}
				}
			} else {
				c = p;
				if (c->st == C_BUSY) {
					/* HUP is reported whatever the mask:
					 * stop watching; on_done frees it. */
					if (ev & (EPOLLHUP | EPOLLERR)) {
						c->hup = 1;
						epoll_ctl(L->epfd, EPOLL_CTL_DEL,
						    c->fd, NULL);
					}
					continue;
				}
				if (c->st == C_READ && (ev & (EPOLLIN | EPOLLRDHUP |
				    EPOLLHUP | EPOLLERR)))
					on_readable(L, c);
				else if (c->st == C_WRITE &&
				    (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)))
					on_writable(L, c);
			}
		}
		/* Finished work and the timer may free any connection, and a
		 * later entry of this batch may name it: they run once the
		 * batch has been gone through, never in the middle of it. */
		if (done)
			on_done(L);
		if (tick)
			on_tick(L);
		done = tick = 0;
	}
	notify("STOPPING=1");
	log_info("wifd: stopping");
	pthread_mutex_lock(&L->d->stop_mu);
	L->d->stopping = 1;
	pthread_cond_broadcast(&L->d->stop_cv);
	pthread_mutex_unlock(&L->d->stop_mu);
	pthread_mutex_lock(&L->qmu);
	L->quit = 1;
	pthread_cond_broadcast(&L->qcv);
	pthread_mutex_unlock(&L->qmu);
	for (i = 0; i < N_WORKERS; i++)
		pthread_join(L->workers[i], NULL);
	pthread_join(refresher, NULL);
	{
		uint64_t v;
		(void)!read(L->efd, &v, sizeof(v));
	}
	while (L->conns != NULL)
		conn_free(L, L->conns);
	pthread_mutex_lock(&L->qmu);
	L->done = NULL;
	pthread_mutex_unlock(&L->qmu);
	return r;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: wifd [-c FILE] [-s SOCKET] [-v] [--check] "
	    "[--mint-helper PATH] [--mint-linger S] [--version]\n"
	    "  -c, --config FILE   configuration (default /etc/wif/wif.conf, "
	    "or $WIF_CONFIG)\n"
	    "  -s, --socket PATH   listen here instead of wif.socket\n"
	    "  -v, --verbose       log more (repeat for debug)\n"
	    "      --check         validate the configuration and exit\n"
	    "      --mint-helper P the wifd-mint to run (default: beside wifd, "
	    "else the installed one)\n"
	    "      --mint-linger S end an idle mint helper after S seconds "
	    "(default 10)\n"
	    "wifd runs in the foreground (for systemd and tests). See wifd(8).\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check", no_argument, NULL, 'C' },
		{ "mint-helper", required_argument, NULL, 'm' },
		{ "mint-linger", required_argument, NULL, 'L' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct wifd d;
	struct loop L;
	const char *config = NULL, *sock = NULL, *mint_path = NULL;
	char metrics_path[128];
	pthread_t metrics_thread;
	int ch, verbose = 0, check = 0, r, level, linger = WIFD_MINT_LINGER;
	char *end;

	while ((ch = getopt_long(argc, argv, "c:s:vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': config = optarg; break;
		case 's': sock = optarg; break;
		case 'v': verbose++; break;
		case 'C': check = 1; break;
		case 'm': mint_path = optarg; break;
		case 'L':
			errno = 0;
			linger = (int)strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || linger < 0 ||
			    linger > 86400) {
				fprintf(stderr, "wifd: --mint-linger takes seconds "
				    "from 0 to 86400\n");
				return 2;
			}
			break;
		case 'V': printf("wifd %s\n", PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	level = verbose >= 2 ? WIF_LOG_DEBUG : verbose ? WIF_LOG_INFO :
	    WIF_LOG_NOTICE;
	wif_log_init("wifd", WIF_LOG_STDERR, level);

	{
		sigset_t set;
		wifd_signal_set(&set);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
	}
	{
		/* One descriptor per client: take what the hard limit allows. */
		struct rlimit rl;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	memset(&d, 0, sizeof(d));
	d.config_path = wif_config_path(config);
	d.refresh_tick_ms = 1000;
	pthread_rwlock_init(&d.cfg_lock, NULL);
	pthread_mutex_init(&d.prof_mu, NULL);
	pthread_mutex_init(&d.sess_mu, NULL);
	pthread_mutex_init(&d.stop_mu, NULL);
	pthread_cond_init(&d.stop_cv, NULL);
	d.mint_path = mint_path != NULL ? mint_path : wifd_minter_path();
	d.mint_linger = linger;
	d.log_level = level;
	d.verbose = verbose;
	if ((r = wifd_load(&d, &d.cfg, &d.minter)) != WIF_OK) {
		fprintf(stderr, "wifd: %s\n", wif_err_detail());
		return 3;
	}
	if (check) {
		printf("wifd: %s is valid\n", d.config_path);
		wifd_minter_free(d.minter);
		wif_config_free(d.cfg);
		return 0;
	}
	wif_log_set_level(wifd_log_level(&d, d.cfg));
	if ((d.metrics = wif_metrics_new()) == NULL ||
	    wif_audit_open(d.cfg->audit, &d.audit) != WIF_OK ||
	    wif_cache_new(wifd_refresh_cb, &d, NULL, &d.cache) != WIF_OK) {
		fprintf(stderr, "wifd: %s\n", wif_err_detail());
		return 1;
	}
	wifd_profiles_sync(&d);
	snprintf(d.session_dir, sizeof(d.session_dir), "%s",
	    d.cfg->session_dir != NULL ?
	    d.cfg->session_dir : WIF_DEFAULT_SESSION_DIR);
	wifd_sessions_restore(&d);
	if (d.n_sessions > 0) {
		pthread_rwlock_rdlock(&d.cfg_lock);
		wifd_sessions_sync(&d);
		pthread_rwlock_unlock(&d.cfg_lock);
	}

	memset(&L, 0, sizeof(L));
	L.d = &d;
	pthread_mutex_init(&L.qmu, NULL);
	pthread_cond_init(&L.qcv, NULL);
	L.socket_path = sock != NULL ? sock : d.cfg->socket;
	if ((L.lfd = activated_socket()) >= 0) {
		L.socket_path = "(systemd socket)";
	} else if ((L.lfd = make_socket(L.socket_path, &L.owns_socket)) < 0) {
		fprintf(stderr, "wifd: %s\n", wif_err_detail());
		return 1;
	}
	if ((L.scratch = wif_secmem_alloc(WIFD_REPLY_MAX)) == NULL ||
	    (L.parse = wif_secmem_alloc(WIFD_REPLY_MAX)) == NULL) {
		fprintf(stderr, "wifd: out of memory\n");
		return 1;
	}
	d.metrics_fd = -1;
	if (d.cfg->metrics_listen != NULL &&
	    (d.metrics_fd = wifd_metrics_listen(
	    d.cfg->metrics_listen, metrics_path,
	    sizeof(metrics_path))) < 0) {
		fprintf(stderr, "wifd: %s\n", wif_err_detail());
		return 1;
	}
	if (d.metrics_fd >= 0)
		pthread_create(&metrics_thread, NULL, wifd_metrics_main, &d);
	r = run(&L);
	if (d.metrics_fd >= 0) {
		pthread_join(metrics_thread, NULL);
		close(d.metrics_fd);
		if (metrics_path[0] != '\0')
			unlink(metrics_path);
	}
	if (L.owns_socket)
		unlink(L.socket_path);
	close(L.lfd);
	wif_cache_free(d.cache);
	wifd_sessions_free(&d); /* their files stay: a restart resumes them */
	{
		struct wifd_profile *p, *next;
		for (p = d.profiles; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	}
	wif_secmem_free(L.scratch);
	wif_secmem_free(L.parse);
	wif_audit_close(d.audit);
	wif_metrics_free(d.metrics);
	wifd_minter_free(d.minter);
	wif_config_free(d.cfg);
	return r;
}
