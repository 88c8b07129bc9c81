/* proc.c - run a helper program safely; see proc.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
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

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: only async-signal-safe calls until execve. */
static void
child(const char *const *argv, const char *const *env, int out_w, int err_w,
      int status_w)
{
	static const char *const empty[] = { NULL };
	int null_fd, fd, e;

	setpgid(0, 0);
	if ((null_fd = open("/dev/null", O_RDONLY)) < 0 ||
	    dup2(null_fd, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
		goto fail;
	if (dup2(status_w, 3) < 0)
		goto fail;
	/* Close everything else: a helper inherits no descriptor of ours. */
#ifdef SYS_close_range
	if (syscall(SYS_close_range, 4, ~0U, 0) != 0)
#endif
		for (fd = 4; fd < 65536; fd++)
			close(fd);
	fcntl(3, F_SETFD, FD_CLOEXEC);
	{
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
	}
	execve(argv[0], (char *const *)(uintptr_t)argv,
	    (char *const *)(uintptr_t)(env ? env : empty));
fail:
	e = errno;
	(void)!write(3, &e, sizeof(e));
	_exit(127);
}

static void
kill_group(pid_t pid)
{
	kill(-pid, SIGKILL);
	kill(pid, SIGKILL);
}

int
wif_run_program(const char *const *argv, const char *const *env,
                long timeout_ms, size_t max_out, char **out, size_t *out_len,
                char **err_out, int *exit_status)
{
	int op[2] = { -1, -1 }, ep[2] = { -1, -1 }, sp[2] = { -1, -1 };
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	int64_t deadline;
	int status = 0, r = WIF_OK, open_fds, exec_errno = 0;
	pid_t pid;

	*out = NULL;
	if (out_len) *out_len = 0;
	if (err_out) *err_out = NULL;
	*exit_status = -1;
	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/')
		return wif_err(WIF_E_INVALID_ARG, "the command must be an absolute "
		    "path (no shell, no PATH search)");
	if ((obuf = wif_secmem_alloc(max_out + 1)) == NULL ||
	    (ebuf = calloc(1, WIF_PROC_MAX_STDERR + 1)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto done;
	}
	if (pipe2(op, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC) != 0 ||
	    pipe2(sp, O_CLOEXEC) != 0) {
		r = wif_err(WIF_E_EXEC, "pipe: %s", strerror(errno));
		goto done;
	}
	if ((pid = fork()) < 0) {
		r = wif_err(WIF_E_EXEC, "fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0)
		child(argv, env, op[1], ep[1], sp[1]);
	close(op[1]); close(ep[1]); close(sp[1]);
	op[1] = ep[1] = sp[1] = -1;

	/* Did execve work?  The status pipe closes on success. */
	while (read(sp[0], &exec_errno, sizeof(exec_errno)) < 0 && errno == EINTR)
		;
	if (exec_errno != 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		r = wif_err(WIF_E_EXEC, "cannot run %s: %s", argv[0], strerror(exec_errno));
		goto done;
	}
	deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 10000);
	open_fds = 2;
	while (open_fds > 0) {
		struct pollfd pfd[2];
		int64_t left = deadline - now_ms();
		int n, i;

		if (left <= 0) {
			kill_group(pid);
			r = wif_err(WIF_E_TIMEOUT, "%s did not finish within %ld ms",
			    argv[0], timeout_ms);
			break;
		}
		pfd[0].fd = op[0];
		pfd[1].fd = ep[0];
		pfd[0].events = pfd[1].events = POLLIN;
		if ((n = poll(pfd, 2, (int)(left > 1000 ? 1000 : left))) < 0) {
			if (errno == EINTR)
				continue;
			kill_group(pid);
			r = wif_err(WIF_E_EXEC, "poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < 2; i++) {
			char tmp[4096], *dst = i == 0 ? obuf : ebuf;
			size_t *len = i == 0 ? &olen : &elen;
			size_t cap = i == 0 ? max_out : WIF_PROC_MAX_STDERR;
			ssize_t got;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(pfd[i].fd, tmp, sizeof(tmp));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(i == 0 ? op[0] : ep[0]);
				if (i == 0) op[0] = -1; else ep[0] = -1;
				open_fds--;
				continue;
			}
			if (*len + (size_t)got > cap) {
				if (i == 0) {
					wif_wipe(tmp, sizeof(tmp));
					kill_group(pid);
					r = wif_err(WIF_E_TOO_BIG, "%s wrote more than "
					    "%zu bytes to standard output", argv[0], max_out);
					open_fds = 0;
					break;
				}
				got = (ssize_t)(cap - *len); /* stderr: keep the head */
			}
			memcpy(dst + *len, tmp, (size_t)got);
			*len += (size_t)got;
			wif_wipe(tmp, sizeof(tmp));
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Whatever the helper left running in its group goes too. */
	kill(-pid, SIGKILL);
	if (r != WIF_OK)
		goto done;
	if (WIFEXITED(status))
		*exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*exit_status = 128 + WTERMSIG(status);
	obuf[olen] = '\0';
	ebuf[elen] = '\0';
	*out = obuf;
	obuf = NULL; /* transferred */
	if (out_len) *out_len = olen;
	if (err_out) {
		*err_out = ebuf;
		ebuf = NULL;
	}
done:
	if (op[0] >= 0) close(op[0]);
	if (op[1] >= 0) close(op[1]);
	if (ep[0] >= 0) close(ep[0]);
	if (ep[1] >= 0) close(ep[1]);
	if (sp[0] >= 0) close(sp[0]);
	if (sp[1] >= 0) close(sp[1]);
	wif_secmem_free(obuf);
	free(ebuf);
	return r;
}
