/* minter.c - wifd's mint helper: start, ask, reap; see minter.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "err.h"
#include "log.h"
#include "minter.h"
#include "mintwire.h"
#include "secmem.h"
#include "wire.h"

extern char **environ;

#define READY_TIMEOUT_MS 60000
#define EXIT_GRACE_MS 2000             /* after the end of its socket */
#define MINT_DEADLINE_MS 600000        /* a mint that takes longer: helper ended */

struct pending {
	uint64_t id;
	int done;
	char *buf;                     /* the reply frame (secure memory) or NULL */
	size_t len;
	struct pending *next;
};

struct helper {
	pid_t pid;
	int fd;
	pthread_t reader;
	int dead;                      /* the reader saw it go */
	int closing;                   /* we closed our end: it was idle */
	int unresponsive;              /* a describe timed out, nothing since */
	char why[160];                 /* how it ended */
	int inflight;
	int64_t last_used_ms;
	struct pending *pend;
	struct wifd_minter *m;
	struct helper *next;
};

struct wifd_minter {
	pthread_mutex_t mu;
	pthread_cond_t cv;             /* a pending request is done */
	char *path;
	int snap_fd;                   /* sealed memfd with the config snapshot */
	int log_level;
	int linger;
	uint64_t next_id;
	uint64_t started;
	struct helper *cur;            /* the helper new requests go to */
	int starting;                  /* a request is starting one */
	int start_rc;                  /* and how that went */
	char start_error[WIF_ERR_MAX];
	int checked;                   /* a helper has checked the configuration */
	struct helper *all;            /* every helper not yet joined */
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
wifd_minter_path(void)
{
	static char sib[PATH_MAX];
	const char *env = getenv("WIF_MINT_HELPER");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env != NULL && *env != '\0')
		return env;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			snprintf(sib, sizeof(sib), "%s/wifd-mint", self);
			if (access(sib, X_OK) == 0)
				return sib;
		}
	}
	return WIF_MINT_PATH;
}

/* The helper runs as wifd does (root, usually): it must be a regular file
 * owned by root or by us, writable by nobody else. */
static int
check_helper(const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0)
		return wif_err(WIF_E_IO, "mint helper %s: %s; install wifd-mint "
		    "beside wifd or set WIF_MINT_HELPER", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return wif_err(WIF_E_PERM, "mint helper %s must be a regular "
		    "file owned by root (or uid %u) and writable by nobody else",
		    path, (unsigned)geteuid());
	return WIF_OK;
}

static void
spawn_fds_up(int *fd)
{
	int n;

	/* Above 4, so that dup2 onto 3 and 4 always copies (and so clears
	 * close-on-exec on the copy). */
	if (*fd <= 4 && (n = fcntl(*fd, F_DUPFD_CLOEXEC, 10)) >= 0) {
		close(*fd);
		*fd = n;
	}
}

/* The configuration's files as wifd read them, for every helper it
 * starts: a sealed memfd.  -1 with *rc on failure. */
static int
make_snapshot(const struct wif_config *cfg, int *rc)
{
	int fd;

	if ((fd = memfd_create("wif-config", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0) {
		*rc = wif_err(WIF_E_IO, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if ((*rc = wif_config_snapshot_write(cfg, fd)) != WIF_OK) {
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE |
	    F_SEAL_SEAL);
	spawn_fds_up(&fd);
	return fd;
}

/* Fail every request h holds (it is gone); under m->mu. */
static void
fail_pending(struct helper *h)
{
	struct pending *p;

	for (p = h->pend; p != NULL; p = p->next)
		p->done = 1;
	h->pend = NULL;
	pthread_cond_broadcast(&h->m->cv);
}

static void
describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "was killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended (status %#x)", (unsigned)status);
}

/* One thread per helper: hands each reply to the request that waits for
 * it; when the helper goes, fails what is left and reaps it. */
static void *
reader_main(void *arg)
{
	struct helper *h = arg;
	struct wifd_minter *m = h->m;
	struct wif_wire_msg msg;
	struct pending *p, **pp;
	const char *why;
	char *buf = NULL, *copy;
	int64_t id;
	ssize_t n;
	long fs;
	int status = 0, bad = 0;

	for (;;) {
		if (buf == NULL && (buf = wif_secmem_alloc(WIFD_MINT_MAX)) == NULL)
			break;
		n = recv(h->fd, buf, WIFD_MINT_MAX, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)n > WIFD_MINT_MAX ||
		    (fs = wif_wire_frame_size((unsigned char *)buf, (size_t)n)) <= 0 ||
		    fs != n) {
			log_warnx("mint helper (pid %ld) sent a malformed "
			    "message; stopping it", (long)h->pid);
			bad = 1;
			break;
		}
		/* Find the id without disturbing the frame the waiter parses. */
		if ((copy = wif_secmem_alloc((size_t)n)) == NULL)
			break;
		memcpy(copy, buf, (size_t)n);
		if (wif_wire_parse(copy + 4, (size_t)n - 4, &msg, &why) != 0 ||
		    wif_wire_get_i64(&msg, "id", &id) != 0) {
			wif_wipe(copy, (size_t)n);
			wif_secmem_free(copy);
			log_warnx("mint helper (pid %ld) sent a message "
			    "without a request id; stopping it", (long)h->pid);
			bad = 1;
			break;
		}
		wif_wipe(copy, (size_t)n);
		wif_secmem_free(copy);
		pthread_mutex_lock(&m->mu);
		h->unresponsive = 0;
		for (pp = &h->pend; (p = *pp) != NULL; pp = &p->next)
			if (p->id == (uint64_t)id)
				break;
		if (p != NULL) {
			*pp = p->next;
			p->buf = buf;
			p->len = (size_t)n;
			p->done = 1;
			buf = NULL;
			pthread_cond_broadcast(&m->cv);
		}
		pthread_mutex_unlock(&m->mu);
		/* a reply nobody waits for any more (cannot happen: requests
		 * wait until answered) is dropped */
	}
	if (buf != NULL) {
		wif_wipe(buf, WIFD_MINT_MAX);
		wif_secmem_free(buf);
	}
	if (buf == NULL && n > 0)
		log_warnx("mint helper (pid %ld): out of secure memory for its "
		    "replies; stopping it", (long)h->pid);
	shutdown(h->fd, SHUT_RDWR);
	/* The end of its socket: it exits (an idle one at once, one that was
	 * told to go once its mints finish).  Only this thread reaps it, so
	 * the kill() below cannot hit a reused pid.  One that does not go
	 * within the grace period is killed. */
	if (bad)
		kill(h->pid, SIGKILL);
	else {
		int64_t until = mono_ms() + EXIT_GRACE_MS;
		pid_t w;

		while ((w = waitpid(h->pid, &status, WNOHANG)) == 0 &&
		    mono_ms() < until)
			usleep(10000);
		if (w == h->pid)
			goto reaped;
		log_warnx("mint helper (pid %ld) did not exit within %d ms of "
		    "the end of its socket; killing it", (long)h->pid,
		    EXIT_GRACE_MS);
		kill(h->pid, SIGKILL);
	}
	while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
		;
reaped:
	pthread_mutex_lock(&m->mu);
	describe_status(status, h->why, sizeof(h->why));
	if (!h->closing || status != 0)
		log_warnx("mint helper (pid %ld) %s", (long)h->pid, h->why);
	else
		log_debug("idle mint helper (pid %ld) %s", (long)h->pid,
		    h->why);
	h->dead = 1;
	if (m->cur == h)
		m->cur = NULL;
	fail_pending(h);
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

/* Wait for the helper's first message: its verdict on the configuration. */
static int
await_ready(struct helper *h)
{
	struct wif_wire_msg msg;
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	const char *why, *op, *err;
	char *buf;
	int64_t rc = WIF_E_INTERNAL;
	ssize_t n;
	int r;

	if ((buf = malloc(WIFD_MINT_MAX)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	do
		r = poll(&pfd, 1, READY_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		free(buf);
		return wif_err(WIF_E_TIMEOUT, "mint helper (pid %ld) did not "
		    "start within %d s", (long)h->pid, READY_TIMEOUT_MS / 1000);
	}
	n = recv(h->fd, buf, WIFD_MINT_MAX, MSG_TRUNC);
	if (n <= 0 || n > WIFD_MINT_MAX ||
	    wif_wire_frame_size((unsigned char *)buf, (size_t)n) != n ||
	    wif_wire_parse(buf + 4, (size_t)n - 4, &msg, &why) != 0 ||
	    (op = wif_wire_get(&msg, "op")) == NULL) {
		free(buf);
		return wif_err(WIF_E_INTERNAL, "mint helper (pid %ld) ended "
		    "before it was ready (see its messages above)", (long)h->pid);
	}
	if (strcmp(op, "ready") == 0) {
		free(buf);
		return WIF_OK;
	}
	(void)wif_wire_get_i64(&msg, "rc", &rc);
	err = wif_wire_get(&msg, "error");
	r = wif_err(rc < 0 && rc > -1000 ? (int)rc : WIF_E_INTERNAL, "%s",
	    err != NULL ? err : "the mint helper refused the configuration");
	free(buf);
	return r;
}

/* Start a helper, without m->mu (it waits for the helper's verdict: no
 * status request may wait behind that); m->starting keeps it to one at a
 * time.  On success m->cur is it. */
static int
start_helper(struct wifd_minter *m)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, def;
	struct helper *h;
	char level[16], a_sock[] = "--socket-fd", a_three[] = "3",
	    a_conf[] = "--config-fd", a_four[] = "4", a_level[] = "--log-level";
	char a_respawn[] = "--respawn";
	char *argv[] = { m->path, a_sock, a_three, a_conf, a_four, a_level,
	    level, NULL, NULL };
	int sv[2], r, err;

	if ((r = check_helper(m->path)) != WIF_OK)
		return r;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	h->m = m;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		free(h);
		return wif_err(WIF_E_IO, "socketpair: %s", strerror(errno));
	}
	spawn_fds_up(&sv[0]);
	spawn_fds_up(&sv[1]);
	snprintf(level, sizeof(level), "%d", m->log_level);
	/* The first helper of a configuration checks it whole (files named
	 * in it, every source's init): that is the start/reload verdict.
	 * Later ones do not: a file missing now fails its own source, when
	 * used, not every profile's mints. */
	if (m->checked)
		argv[7] = a_respawn;
	if (lseek(m->snap_fd, 0, SEEK_SET) != 0) {
		r = wif_err(WIF_E_IO, "configuration snapshot: %s", strerror(errno));
		goto fail;
	}
	/* wifd's threads block its signals; the helper starts with none
	 * blocked and default dispositions. */
	sigemptyset(&none);
	sigfillset(&def);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 3);
	posix_spawn_file_actions_adddup2(&fa, m->snap_fd, 4);
	/* nothing else of wifd's: not what it inherited without
	 * close-on-exec (systemd's extra sockets) */
	posix_spawn_file_actions_addclosefrom_np(&fa, 5);
	posix_spawnattr_init(&at);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	err = posix_spawn(&h->pid, m->path, &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(sv[1]);
	sv[1] = -1;
	if (err != 0) {
		r = wif_err(WIF_E_IO, "cannot start the mint helper %s: %s",
		    m->path, strerror(err));
		goto fail;
	}
	h->fd = sv[0];
	pthread_mutex_lock(&m->mu);
	m->started++;
	pthread_mutex_unlock(&m->mu);
	if ((r = await_ready(h)) != WIF_OK) {
		char saved[WIF_ERR_MAX];
		int status;

		snprintf(saved, sizeof(saved), "%s", wif_err_detail());
		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
			;
		close(h->fd);
		free(h);
		return wif_err(r, "%s", saved);
	}
	h->last_used_ms = mono_ms();
	if ((err = pthread_create(&h->reader, NULL, reader_main, h)) != 0) {
		int status;

		kill(h->pid, SIGKILL);
		while (waitpid(h->pid, &status, 0) < 0 && errno == EINTR)
			;
		close(h->fd);
		free(h);
		return wif_err(WIF_E_NOMEM, "pthread_create: %s", strerror(err));
	}
	log_info("mint helper started (pid %ld)", (long)h->pid);
	pthread_mutex_lock(&m->mu);
	m->checked = 1;
	h->next = m->all;
	m->all = h;
	m->cur = h;
	pthread_mutex_unlock(&m->mu);
	return WIF_OK;
fail:
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(h);
	return r;
}

/* Join and free helpers that are gone and hold nothing; under m->mu. */
static void
reap(struct wifd_minter *m)
{
	struct helper **hp = &m->all, *h;

	while ((h = *hp) != NULL) {
		if (h->dead && h->inflight == 0) {
			*hp = h->next;
			pthread_join(h->reader, NULL);
			close(h->fd);
			free(h);
			continue;
		}
		hp = &h->next;
	}
}

int
wifd_minter_new(const char *path, const struct wif_config *cfg, int log_level,
                int linger, struct wifd_minter **out)
{
	struct wifd_minter *m;
	int r;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->path = strdup(path)) == NULL) {
		free(m);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	pthread_mutex_init(&m->mu, NULL);
	{
		/* describe timeouts: immune to steps of the wall clock */
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&m->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	m->log_level = log_level;
	m->linger = linger;
	if ((m->snap_fd = make_snapshot(cfg, &r)) < 0) {
		free(m->path);
		free(m);
		return r;
	}
	if ((r = start_helper(m)) != WIF_OK) {
		char saved[WIF_ERR_MAX];

		snprintf(saved, sizeof(saved), "%s", wif_err_detail());
		wifd_minter_free(m);
		return wif_err(r, "%s", saved);
	}
	*out = m;
	return WIF_OK;
}

void
wifd_minter_free(struct wifd_minter *m)
{
	struct helper *h;

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	for (h = m->all; h != NULL; h = h->next) {
		h->closing = 1;
		shutdown(h->fd, SHUT_RDWR);
	}
	m->cur = NULL;
	pthread_mutex_unlock(&m->mu);
	/* No request is in flight any more (wifd's workers have stopped, or
	 * a reload holds them out): each helper sees the end of its socket
	 * and exits, and its reader reaps it - within EXIT_GRACE_MS, or it is
	 * killed. */
	while ((h = m->all) != NULL) {
		m->all = h->next;
		pthread_join(h->reader, NULL);
		close(h->fd);
		free(h);
	}
	close(m->snap_fd);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m->path);
	free(m);
}

/* Take p off h's list (it gave up waiting); under m->mu. */
static void
unlink_pending(struct helper *h, struct pending *p)
{
	struct pending **pp;

	for (pp = &h->pend; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
}

/* No new request goes to h; it sees the end of its socket and exits, or
 * its reader kills it after the grace period; under m->mu. */
static void
retire(struct wifd_minter *m, struct helper *h)
{
	h->closing = 1;
	shutdown(h->fd, SHUT_RDWR);
	if (m->cur == h)
		m->cur = NULL;
}

/*
 * Send req (framed, len bytes) to the current helper (starting one unless
 * start is 0) and wait for its reply, at most timeout_ms (< 0: no limit).
 * On WIF_OK *reply is the frame (secure memory; wipe and free it).
 */
static int
roundtrip(struct wifd_minter *m, char *req, size_t req_cap, size_t len,
          int start, int timeout_ms, char **reply, size_t *reply_len)
{
	struct pending p;
	struct helper *h;
	struct timespec dl;
	int r;

	*reply = NULL;
	memset(&p, 0, sizeof(p));
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += timeout_ms / 1000;
		dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (dl.tv_nsec >= 1000000000L) {
			dl.tv_sec++;
			dl.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&m->mu);
	while ((h = m->cur) == NULL || h->dead) {
		if (!start) {
			pthread_mutex_unlock(&m->mu);
			return WIF_E_NOT_FOUND;
		}
		if (m->starting) {
			/* another request is starting one: its result is ours */
			pthread_cond_wait(&m->cv, &m->mu);
			if (m->cur == NULL && !m->starting && m->start_rc != WIF_OK) {
				r = wif_err(m->start_rc, "%s", m->start_error);
				pthread_mutex_unlock(&m->mu);
				return r;
			}
			continue;
		}
		m->starting = 1;
		pthread_mutex_unlock(&m->mu);
		r = start_helper(m);
		pthread_mutex_lock(&m->mu);
		m->starting = 0;
		m->start_rc = r;
		snprintf(m->start_error, sizeof(m->start_error), "%s",
		    r == WIF_OK ? "" : wif_err_detail());
		pthread_cond_broadcast(&m->cv);
		if (r != WIF_OK) {
			pthread_mutex_unlock(&m->mu);
			return wif_err(r, "%s", m->start_error);
		}
	}
	if (!start && h->unresponsive) {
		/* a status request must not wait on a helper that does not
		 * answer: one timeout until it says anything again */
		pthread_mutex_unlock(&m->mu);
		return WIF_E_TIMEOUT;
	}
	p.id = ++m->next_id;
	if (wif_wire_addf(req, req_cap, &len, "id", "%llu",
	    (unsigned long long)p.id) != 0) {
		pthread_mutex_unlock(&m->mu);
		return wif_err(WIF_E_TOO_BIG, "request too large for the mint helper");
	}
	len = wif_wire_end(req, len);
	p.next = h->pend;
	h->pend = &p;
	h->inflight++;
	/* never blocks under m->mu: a helper whose socket is full is one
	 * that does not read its requests */
	if (send(h->fd, req, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len) {
		int e = errno;
		unlink_pending(h, &p);
		h->inflight--;
		if (start)
			retire(m, h);   /* a mint cannot be sent: of no use */
		pthread_mutex_unlock(&m->mu);
		return wif_err(WIF_E_IO, "cannot send to the mint helper (pid "
		    "%ld): %s", (long)h->pid, strerror(e));
	}
	while (!p.done) {
		if (timeout_ms < 0)
			pthread_cond_wait(&m->cv, &m->mu);
		else if (pthread_cond_timedwait(&m->cv, &m->mu, &dl) == ETIMEDOUT &&
		    !p.done) {
			unlink_pending(h, &p);
			if (!start)
				h->unresponsive = 1;
			else
				retire(m, h);   /* a mint past the deadline */
			break;
		}
	}
	h->inflight--;
	if (start)
		h->last_used_ms = mono_ms();    /* describes do not keep it */
	if (p.buf != NULL) {
		*reply = p.buf;
		*reply_len = p.len;
		r = WIF_OK;
	} else if (p.done) {
		r = wif_err(WIF_E_INTERNAL, "the mint helper (pid %ld) %s before "
		    "it answered; wifd starts a new one for the next request",
		    (long)h->pid, h->why[0] ? h->why : "went away");
	} else {
		r = wif_err(WIF_E_TIMEOUT, "the mint helper (pid %ld) did not "
		    "answer within %d ms", (long)h->pid, timeout_ms);
	}
	pthread_mutex_unlock(&m->mu);
	return r;
}

int
wifd_minter_mint(struct wifd_minter *m, const char *profile,
                 const uint8_t *last_consumed, struct wif_token **out,
                 struct wif_mint_report *rep)
{
	char req[1024], hex[65], *reply = NULL;
	size_t len, rlen = 0;
	int r;

	*out = NULL;
	memset(rep, 0, sizeof(*rep));
	rep->ex.retry_after_ms = -1;
	wif_wire_begin(req, &len);
	if (wif_wire_add(req, sizeof(req), &len, "op", "mint") != 0 ||
	    wif_wire_add(req, sizeof(req), &len, "profile", profile) != 0)
		return wif_err(WIF_E_TOO_BIG, "profile name too long");
	if (last_consumed != NULL) {
		wif_hex(last_consumed, 32, hex);
		if (wif_wire_add(req, sizeof(req), &len, "last", hex) != 0)
			return wif_err(WIF_E_TOO_BIG, "profile name too long");
	}
	if ((r = roundtrip(m, req, sizeof(req), len, 1, MINT_DEADLINE_MS, &reply,
	    &rlen)) != WIF_OK)
		return r;
	r = wifd_mint_reply_decode(reply, rlen, out, rep);
	wif_wipe(reply, rlen);
	wif_secmem_free(reply);
	return r;
}

int
wifd_minter_describe(struct wifd_minter *m, const char *profile, size_t idx,
                     char *buf, size_t len, int timeout_ms)
{
	struct wif_wire_msg msg;
	const char *why, *text;
	char req[1024], *reply = NULL;
	size_t rlen = 0, l;
	int64_t rc = WIF_E_INTERNAL;
	int r;

	wif_wire_begin(req, &l);
	if (wif_wire_add(req, sizeof(req), &l, "op", "describe") != 0 ||
	    wif_wire_add(req, sizeof(req), &l, "profile", profile) != 0 ||
	    wif_wire_addf(req, sizeof(req), &l, "index", "%zu", idx) != 0)
		return WIF_E_NOT_FOUND;
	if ((r = roundtrip(m, req, sizeof(req), l, 0, timeout_ms, &reply,
	    &rlen)) != WIF_OK)
		return r;
	if (wif_wire_parse(reply + 4, rlen - 4, &msg, &why) != 0 ||
	    wif_wire_get_i64(&msg, "rc", &rc) != 0)
		r = WIF_E_INTERNAL;
	else if (rc != WIF_OK || (text = wif_wire_get(&msg, "text")) == NULL)
		r = WIF_E_NOT_FOUND;
	else {
		snprintf(buf, len, "%s", text);
		r = WIF_OK;
	}
	wif_wipe(reply, rlen);
	wif_secmem_free(reply);
	return r;
}

void
wifd_minter_tick(struct wifd_minter *m)
{
	struct helper *h;

	pthread_mutex_lock(&m->mu);
	h = m->cur;
	if (h != NULL && !h->dead && h->inflight == 0 &&
	    mono_ms() - h->last_used_ms >= (int64_t)m->linger * 1000) {
		retire(m, h);
		log_debug("mint helper (pid %ld) idle for %d s: ending it",
		    (long)h->pid, m->linger);
	}
	reap(m);
	pthread_mutex_unlock(&m->mu);
}

void
wifd_minter_info(struct wifd_minter *m, pid_t *pid, uint64_t *started)
{
	pthread_mutex_lock(&m->mu);
	*pid = m->cur != NULL && !m->cur->dead ? m->cur->pid : 0;
	*started = m->started;
	pthread_mutex_unlock(&m->mu);
}
