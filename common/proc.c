/*
 * proc.c - run a helper program safely; see proc.h.
 *
 * The parent never writes to a pipe shared with the child (the child's stdin
 * is /dev/null), so it cannot receive SIGPIPE from this module.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "proc.h"
#include "secmem.h"

#define PROC_DEFAULT_TIMEOUT_MS 10000
#define PROC_MAX_TIMEOUT_MS (24L * 3600 * 1000)
#define PROC_MAX_OUT (64u * 1024 * 1024)
#define PROC_CHUNK 4096

/* A growing capture buffer; stdout's lives in secure memory. */
struct capture {
	char *buf;
	size_t len, cap, max;
	int secure;
	int fd;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * In the child: only async-signal-safe calls until execve (the caller may
 * be multi-threaded).  Reports execve's errno on fd 3, which is close-on-exec
 * so the parent reads EOF when the program started.
 */
static void __attribute__((noreturn))
child(const char *const *argv, const char *const *env, int out_w, int err_w,
      int status_w)
{
	static const char *const empty[] = { NULL };
	struct sigaction sa;
	struct rlimit rl;
	sigset_t none;
	int null_fd, o, e, s = status_w, sig, err;
	unsigned fd, maxfd;

	(void)setpgid(0, 0);
	/* Move the pipe ends above 3 first: if the parent ran with 0-2 closed
	 * they may sit on the very numbers the dup2()s below overwrite. */
	if ((o = fcntl(out_w, F_DUPFD, 4)) < 0 ||
	    (e = fcntl(err_w, F_DUPFD, 4)) < 0 ||
	    (s = fcntl(status_w, F_DUPFD_CLOEXEC, 4)) < 0) {
		s = status_w;
		goto fail;
	}
	if ((null_fd = open("/dev/null", O_RDONLY)) < 0 ||
	    (null_fd != 0 && dup2(null_fd, 0) < 0) || dup2(o, 1) < 0 ||
	    dup2(e, 2) < 0 || dup2(s, 3) < 0)
		goto fail;
	s = 3;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) != 0)
		goto fail;
	/* A helper inherits no descriptor of ours but 0-2 (and 3 until exec). */
	if (syscall(SYS_close_range, 4U, ~0U, 0U) != 0) {
		maxfd = 65536;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < maxfd)
			maxfd = (unsigned)rl.rlim_cur;
		for (fd = 4; fd < maxfd; fd++)
			(void)close((int)fd);
	}
	/* Ignored signals survive execve; give the helper the defaults. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	execve(argv[0], (char *const *)(uintptr_t)argv,
	    (char *const *)(uintptr_t)(env != NULL ? env : empty));
fail:
	err = errno;
	while (write(s, &err, sizeof(err)) < 0 && errno == EINTR)
		;
	_exit(127);
}

static void
kill_group(pid_t pid)
{
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL); /* in case it left the group */
}

static int
exec_error(const char *prog, int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return wif_err(WIF_E_EXEC, "command %s not found: install it or "
		    "fix the path", prog);
	case EACCES:
	case EPERM:
		return wif_err(WIF_E_EXEC, "command %s is not executable by uid "
		    "%u (chmod +x it, check the directories above it and noexec "
		    "mounts)", prog, (unsigned)geteuid());
	case ENOEXEC:
		return wif_err(WIF_E_EXEC, "command %s is not a program this "
		    "system can run (a script without a #! line?)", prog);
	default:
		return wif_err(WIF_E_EXEC, "cannot run %s: %s", prog, strerror(e));
	}
}

/* Make room for n more bytes (n <= what max allows). */
static int
capture_grow(struct capture *c, size_t n)
{
	size_t ncap;
	char *nbuf;

	if (c->len + n + 1 <= c->cap)
		return 0;
	ncap = c->cap ? c->cap : PROC_CHUNK + 1;
	while (ncap < c->len + n + 1)
		ncap *= 2;
	if (ncap > c->max + 1)
		ncap = c->max + 1;
	nbuf = c->secure ? wif_secmem_alloc(ncap) : calloc(1, ncap);
	if (nbuf == NULL)
		return -1;
	if (c->len > 0)
		memcpy(nbuf, c->buf, c->len);
	if (c->secure) {
		wif_secmem_free(c->buf);
	} else {
		free(c->buf);
	}
	c->buf = nbuf;
	c->cap = ncap;
	return 0;
}

static void
capture_free(struct capture *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	if (c->secure)
		wif_secmem_free(c->buf);
	else
		free(c->buf);
	c->buf = NULL;
}

/*
 * Read what is available on c->fd.  Returns 0, or 1 when stdout went over its
 * cap (the caller kills the child), -1 when out of memory.  stderr keeps its
 * head and drains the rest so the child never blocks on a full pipe.
 */
static int
capture_read(struct capture *c)
{
	char tmp[PROC_CHUNK];
	ssize_t got;
	size_t keep;
	int r = 0;

	got = read(c->fd, tmp, sizeof(tmp));
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (got <= 0) {
		close(c->fd);
		c->fd = -1;
		return 0;
	}
	keep = (size_t)got;
	if (c->len + keep > c->max) {
		if (c->secure) {
			r = 1;
			goto out;
		}
		keep = c->max - c->len;
	}
	if (keep > 0) {
		if (capture_grow(c, keep) != 0) {
			r = -1;
			goto out;
		}
		memcpy(c->buf + c->len, tmp, keep);
		c->len += keep;
	}
out:
	if (c->secure)
		wif_wipe(tmp, sizeof(tmp));
	return r;
}

/*
 * Has pid exited?  Leaves it a zombie (WNOWAIT): while it is, its pid (and
 * so its process-group id) cannot be reused, and kill(-pid) is safe.
 * Returns 1 exited, 0 running, -1 gone without a status (SIGCHLD ignored).
 */
static int
has_exited(pid_t pid)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
		return errno == EINTR ? 0 : -1;
	return si.si_pid == pid ? 1 : 0;
}

int
wif_run_program(const char *const *argv, const char *const *env,
                long timeout_ms, size_t max_out, char **out, size_t *out_len,
                char **err_out, int *exit_status)
{
	struct capture co = { NULL, 0, 0, 0, 1, -1 };
	struct capture ce = { NULL, 0, 0, WIF_PROC_MAX_STDERR, 0, -1 };
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, sp[2] = { -1, -1 };
	int pidfd = -1, status = 0, exited = 0, exec_errno = 0, r = WIF_OK;
	int64_t deadline;
	long timeout;
	ssize_t n;
	pid_t pid = -1;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (err_out != NULL)
		*err_out = NULL;
	if (exit_status != NULL)
		*exit_status = -1;
	if (out == NULL || exit_status == NULL)
		return wif_err(WIF_E_INVALID_ARG, "run_program: out and "
		    "exit_status are required");
	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/')
		return wif_err(WIF_E_INVALID_ARG, "command %s must be an absolute "
		    "path (no shell and no PATH search are involved)",
		    argv != NULL && argv[0] != NULL ? argv[0] : "(none)");
	if (max_out > PROC_MAX_OUT)
		return wif_err(WIF_E_INVALID_ARG, "run_program: an output cap of "
		    "%zu bytes is more than the %u allowed", max_out, PROC_MAX_OUT);
	timeout = timeout_ms > 0 ? timeout_ms : PROC_DEFAULT_TIMEOUT_MS;
	if (timeout > PROC_MAX_TIMEOUT_MS)
		timeout = PROC_MAX_TIMEOUT_MS; /* keeps the deadline arithmetic sane */
	co.max = max_out;
	if (capture_grow(&co, 0) != 0 || capture_grow(&ce, 0) != 0) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if (pipe2(op, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC) != 0 ||
	    pipe2(sp, O_CLOEXEC) != 0) {
		r = wif_err(WIF_E_EXEC, "cannot run %s: pipe: %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		r = wif_err(WIF_E_EXEC, "cannot run %s: fork: %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(argv, env, op[1], ep[1], sp[1]);
	/* Also here, so that kill(-pid) works whichever side runs first. */
	(void)setpgid(pid, pid);
	close(op[1]);
	close(ep[1]);
	close(sp[1]);
	op[1] = ep[1] = sp[1] = -1;
	co.fd = op[0];
	ce.fd = ep[0];
	op[0] = ep[0] = -1;

	/* The status pipe closes (EOF) on a successful execve. */
	while ((n = read(sp[0], &exec_errno, sizeof(exec_errno))) < 0 &&
	    errno == EINTR)
		;
	if (n == (ssize_t)sizeof(exec_errno)) {
		r = exec_error(argv[0], exec_errno);
		goto reap;
	}
	deadline = now_ms() + timeout;
#ifdef SYS_pidfd_open
	/* Lets poll() wake when the child exits although it left a pipe open. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
	while (co.fd >= 0 || ce.fd >= 0 || !exited) {
		struct pollfd pfd[3];
		struct capture *cap[3];
		int64_t left = deadline - now_ms();
		int nfd = 0, wait_ms, i, e;

		if (!exited) {
			if ((e = has_exited(pid)) != 0) {
				exited = 1;
				if (e < 0) {
					r = wif_err(WIF_E_EXEC, "%s: lost its exit "
					    "status (is SIGCHLD ignored?)", argv[0]);
					break;
				}
				/* Whatever it left running in its group goes too. */
				(void)kill(-pid, SIGKILL);
				continue;
			}
		}
		if (left <= 0) {
			r = wif_err(WIF_E_TIMEOUT, "%s did not finish within %ld ms",
			    argv[0], timeout);
			break;
		}
		if (co.fd >= 0) {
			cap[nfd] = &co;
			pfd[nfd].fd = co.fd;
			pfd[nfd++].events = POLLIN;
		}
		if (ce.fd >= 0) {
			cap[nfd] = &ce;
			pfd[nfd].fd = ce.fd;
			pfd[nfd++].events = POLLIN;
		}
		if (!exited && pidfd >= 0) {
			cap[nfd] = NULL;
			pfd[nfd].fd = pidfd;
			pfd[nfd++].events = POLLIN;
		}
		wait_ms = left > INT_MAX ? INT_MAX : (int)left;
		if (!exited && pidfd < 0 && wait_ms > 10)
			wait_ms = 10; /* no pidfd: look at the child now and then */
		if (poll(pfd, (nfds_t)nfd, wait_ms) < 0) {
			if (errno == EINTR)
				continue;
			r = wif_err(WIF_E_EXEC, "%s: poll: %s", argv[0],
			    strerror(errno));
			break;
		}
		for (i = 0; i < nfd; i++) {
			if (cap[i] == NULL || pfd[i].revents == 0)
				continue;
			if ((e = capture_read(cap[i])) < 0) {
				r = wif_err(WIF_E_NOMEM, "out of memory");
				break;
			}
			if (e > 0) {
				r = wif_err(WIF_E_TOO_BIG, "%s wrote more than %zu "
				    "bytes to standard output", argv[0], max_out);
				break;
			}
		}
		if (r != WIF_OK)
			break;
	}
reap:
	kill_group(pid);
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0) {
			if (errno != EINTR) {
				status = -1;
				break;
			}
		}
	}
	if (r != WIF_OK)
		goto out;
	if (status != -1 && WIFEXITED(status))
		*exit_status = WEXITSTATUS(status);
	else if (status != -1 && WIFSIGNALED(status))
		*exit_status = 128 + WTERMSIG(status);
	co.buf[co.len] = '\0';
	ce.buf[ce.len] = '\0';
	*out = co.buf;
	co.buf = NULL; /* transferred */
	if (out_len != NULL)
		*out_len = co.len;
	if (err_out != NULL) {
		*err_out = ce.buf;
		ce.buf = NULL; /* transferred */
	}
out:
	if (pidfd >= 0)
		close(pidfd);
	if (op[0] >= 0)
		close(op[0]);
	if (op[1] >= 0)
		close(op[1]);
	if (ep[0] >= 0)
		close(ep[0]);
	if (ep[1] >= 0)
		close(ep[1]);
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	capture_free(&co);
	capture_free(&ce);
	return r;
}
