/*
 * test_proc.c - wif_run_program(): what the child sees (argv, exactly the
 * given environment, stdin /dev/null, no inherited descriptors, default
 * signal dispositions, its own process group), what the parent gets back
 * (stdout, stderr, exit status, 128+N for a signal) and the limits
 * (timeout, stdout cap, stderr cap).  After every test no child of ours is
 * left, not even a zombie.  No assertion depends on the machine's speed.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cutest.h"
#include "err.h"
#include "proc.h"
#include "secmem.h"

struct result {
	int r;
	char *out;
	size_t out_len;
	char *err;
	int status;
};

static void
run(struct result *res, const char *const *argv, const char *const *env,
    long timeout_ms, size_t max_out)
{
	memset(res, 0, sizeof(*res));
	res->out = (char *)1;   /* must be reset by the callee */
	res->err = (char *)1;
	res->status = 12345;
	res->r = wif_run_program(argv, env, timeout_ms, max_out, &res->out,
	    &res->out_len, &res->err, &res->status);
}

static void
done(struct result *res)
{
	int st;

	if (res->r == WIF_OK) {
		wif_secmem_free(res->out);
		free(res->err);
	} else {
		CU_ASSERT_PTR_NULL(res->out);
		CU_ASSERT_PTR_NULL(res->err);
	}
	/* always reaped: we have no child left at all */
	errno = 0;
	CU_ASSERT_EQUAL(waitpid(-1, &st, WNOHANG), -1);
	CU_ASSERT_EQUAL(errno, ECHILD);
}

static void
test_stdout(void)
{
	static const char *const argv[] = { "/bin/echo", "hello", "world", NULL };
	struct result res;

	run(&res, argv, NULL, 10000, 1024);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_EQUAL(res.out_len, 12);
	CU_ASSERT_STRING_EQUAL(res.out, "hello world\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(res.err);
	CU_ASSERT_STRING_EQUAL(res.err, "");
	done(&res);
}

static void
test_optional_outputs(void)
{
	static const char *const argv[] = { "/bin/echo", "x", NULL };
	char *out = NULL;
	int status = -5;

	CU_ASSERT_EQUAL(wif_run_program(argv, NULL, 10000, 100, &out, NULL,
	    NULL, &status), WIF_OK);
	CU_ASSERT_STRING_EQUAL(out, "x\n");
	CU_ASSERT_EQUAL(status, 0);
	wif_secmem_free(out);
}

static void
test_env_exact(void)
{
	static const char *const argv[] = { "/usr/bin/env", NULL };
	static const char *const env[] = { "A=1", "B=two words", NULL };
	struct result res;

	setenv("WIF_TEST_PARENT_ONLY", "leak", 1);
	run(&res, argv, env, 10000, 4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_STRING_EQUAL(res.out, "A=1\nB=two words\n");
	done(&res);

	/* NULL: an empty environment */
	run(&res, argv, NULL, 10000, 4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_STRING_EQUAL(res.out, "");
	done(&res);
	unsetenv("WIF_TEST_PARENT_ONLY");
}

static void
test_stdin_dev_null(void)
{
	static const char *const rl[] = { "/bin/readlink", "/proc/self/fd/0", NULL };
	static const char *const cat[] = { "/bin/cat", NULL };
	struct result res;

	run(&res, rl, NULL, 10000, 4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_STRING_EQUAL(res.out, "/dev/null\n");
	done(&res);

	/* cat reads stdin to EOF at once */
	run(&res, cat, NULL, 10000, 4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_EQUAL(res.out_len, 0);
	done(&res);
}

static void
test_exit_status(void)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "echo partial; echo why >&2; exit 7", NULL };
	struct result res;

	run(&res, argv, NULL, 10000, 4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK); /* whatever the exit status */
	CU_ASSERT_EQUAL(res.status, 7);
	CU_ASSERT_STRING_EQUAL(res.out, "partial\n");
	CU_ASSERT_STRING_EQUAL(res.err, "why\n");
	done(&res);
}

static void
test_signal_status(void)
{
	static const char *const argv[] = { "/bin/sh", "-c", "kill -TERM $$", NULL };
	struct result res;
	void (*old)(int);

	/* An ignored signal must not stay ignored in the child. */
	old = signal(SIGTERM, SIG_IGN);
	run(&res, argv, NULL, 10000, 4096);
	signal(SIGTERM, old);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.status, 128 + SIGTERM);
	done(&res);
}

static void
test_timeout(void)
{
	static const char *const argv[] = { "/bin/sleep", "5", NULL };
	struct result res;

	run(&res, argv, NULL, 200, 4096);
	CU_ASSERT_EQUAL(res.r, WIF_E_TIMEOUT);
	CU_ASSERT_EQUAL(res.status, -1);
	CU_ASSERT(strstr(wif_err_detail(), "/bin/sleep") != NULL);
	CU_ASSERT(strstr(wif_err_detail(), "200 ms") != NULL);
	done(&res);
}

/* The child closes its pipes but keeps running: the deadline still holds. */
static void
test_timeout_pipes_closed(void)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "exec >&- 2>&-; exec /bin/sleep 5", NULL };
	struct result res;

	run(&res, argv, NULL, 200, 4096);
	CU_ASSERT_EQUAL(res.r, WIF_E_TIMEOUT);
	done(&res);
}

/* State letter of pid from /proc, or 0 when it is gone. */
static char
proc_state(long pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 0;
	return p[2];
}

/*
 * A helper that leaves a background process holding its stdout: the
 * helper's exit ends the run (not the deadline) and the straggler in its
 * process group is killed.
 */
static void
test_group_killed(void)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "/bin/sleep 60 & echo $!; exit 0", NULL };
	struct result res;
	long bg;
	int i;
	char st;

	run(&res, argv, NULL, 30000, 4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.status, 0);
	bg = strtol(res.out, NULL, 10);
	CU_ASSERT_FATAL(bg > 1);
	/* SIGKILL is asynchronous: wait for it to land (bounded, not timed) */
	for (i = 0; i < 500 && (st = proc_state(bg)) != 0 && st != 'Z'; i++)
		usleep(10000);
	st = proc_state(bg);
	CU_ASSERT(st == 0 || st == 'Z');
	done(&res);
}

static void
test_own_process_group(void)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "echo $$; /usr/bin/cut -d' ' -f5 /proc/self/stat", NULL };
	struct result res;
	long sh_pid, pgrp;
	char *nl;

	run(&res, argv, NULL, 10000, 4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	sh_pid = strtol(res.out, &nl, 10);
	pgrp = strtol(nl, NULL, 10);
	CU_ASSERT(sh_pid > 1);
	CU_ASSERT_EQUAL(pgrp, sh_pid);
	CU_ASSERT_NOT_EQUAL(pgrp, (long)getpgrp());
	done(&res);
}

static void
test_stdout_cap(void)
{
	static const char *const exact[] = { "/usr/bin/head", "-c", "1000",
	    "/dev/zero", NULL };
	static const char *const over[] = { "/usr/bin/head", "-c", "1001",
	    "/dev/zero", NULL };
	static const char *const endless[] = { "/usr/bin/yes", NULL };
	struct result res;

	run(&res, exact, NULL, 10000, 1000);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.out_len, 1000);
	done(&res);

	run(&res, over, NULL, 10000, 1000);
	CU_ASSERT_EQUAL(res.r, WIF_E_TOO_BIG);
	CU_ASSERT(strstr(wif_err_detail(), "1000 bytes") != NULL);
	done(&res);

	/* killed at the cap, not waited for */
	run(&res, endless, NULL, 60000, 1000);
	CU_ASSERT_EQUAL(res.r, WIF_E_TOO_BIG);
	CU_ASSERT(strstr(wif_err_detail(), "/usr/bin/yes") != NULL);
	done(&res);

	/* more than one read's worth, under the cap: all of it */
	run(&res, (const char *const[]){ "/usr/bin/head", "-c", "100000",
	    "/dev/zero", NULL }, NULL, 10000, 100000);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.out_len, 100000);
	done(&res);
}

/* stderr keeps its head and is drained, so a chatty helper still ends. */
static void
test_stderr_cap(void)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "echo first >&2; /usr/bin/head -c 100000 /dev/zero >&2; echo ok", NULL };
	struct result res;

	run(&res, argv, NULL, 10000, 4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_STRING_EQUAL(res.out, "ok\n");
	CU_ASSERT_EQUAL(strlen(res.err), 6); /* "first\n", then NULs */
	CU_ASSERT_EQUAL(memcmp(res.err, "first\n", 6), 0);
	done(&res);

	run(&res, (const char *const[]){ "/bin/sh", "-c",
	    "/usr/bin/yes e | /usr/bin/head -c 20000 >&2", NULL }, NULL, 10000,
	    4096);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(strlen(res.err), WIF_PROC_MAX_STDERR);
	done(&res);
}

static void
test_fds_closed(void)
{
	static const char *const argv[] = { "/bin/ls", "/proc/self/fd", NULL };
	struct result res;
	char *line, *save = NULL;
	int fd, high, n = 0;

	fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
	CU_ASSERT_FATAL(fd >= 0);
	high = fcntl(fd, F_DUPFD, 100);
	CU_ASSERT_FATAL(high >= 100);
	run(&res, argv, NULL, 10000, 4096);
	close(fd);
	close(high);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	/* 0-2, plus the one ls opens to read the directory */
	for (line = strtok_r(res.out, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		long v = strtol(line, NULL, 10);
		CU_ASSERT(v >= 0 && v <= 3);
		n++;
	}
	CU_ASSERT(n >= 3 && n <= 4);
	done(&res);
}

/* The caller had stdin/stdout closed: the child's 0-2 are still right. */
static void
test_parent_fds_closed(void)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "/bin/readlink /proc/self/fd/0; echo err >&2", NULL };
	struct result res;
	int s0, s1;

	s0 = dup(0);
	s1 = dup(1);
	CU_ASSERT_FATAL(s0 >= 0 && s1 >= 0);
	fflush(stdout);
	close(0);
	close(1);
	run(&res, argv, NULL, 10000, 4096);
	dup2(s0, 0);
	dup2(s1, 1);
	close(s0);
	close(s1);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_STRING_EQUAL(res.out, "/dev/null\n");
	CU_ASSERT_STRING_EQUAL(res.err, "err\n");
	done(&res);
}

static volatile sig_atomic_t ticks;

static void
on_alarm(int sig)
{
	(void)sig;
	ticks++;
}

/* Signals landing on the parent during the run (EINTR) change nothing. */
static void
test_eintr(void)
{
	static const char *const argv[] = { "/bin/sh", "-c",
	    "/bin/sleep 0.3; echo done", NULL };
	struct itimerval it = { { 0, 5000 }, { 0, 5000 } }, off = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa, old;
	struct result res;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART: syscalls see EINTR */
	sigaction(SIGALRM, &sa, &old);
	ticks = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	run(&res, argv, NULL, 20000, 4096);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	CU_ASSERT(ticks > 0);
	CU_ASSERT_EQUAL_FATAL(res.r, WIF_OK);
	CU_ASSERT_EQUAL(res.status, 0);
	CU_ASSERT_STRING_EQUAL(res.out, "done\n");
	done(&res);
}

static void
test_cannot_start(void)
{
	static const char *const missing[] = { "/nonexistent/wif-helper", NULL };
	static const char *const noexec[] = { "/etc/passwd", NULL };
	static const char *const relative[] = { "sh", "-c", "true", NULL };
	struct result res;

	run(&res, missing, NULL, 10000, 4096);
	CU_ASSERT_EQUAL(res.r, WIF_E_EXEC);
	CU_ASSERT(strstr(wif_err_detail(), "/nonexistent/wif-helper") != NULL);
	CU_ASSERT(strstr(wif_err_detail(), "not found") != NULL);
	done(&res);

	run(&res, noexec, NULL, 10000, 4096);
	CU_ASSERT_EQUAL(res.r, WIF_E_EXEC);
	CU_ASSERT(strstr(wif_err_detail(), "not executable") != NULL);
	done(&res);

	/* no PATH search, ever */
	run(&res, relative, NULL, 10000, 4096);
	CU_ASSERT_EQUAL(res.r, WIF_E_INVALID_ARG);
	CU_ASSERT(strstr(wif_err_detail(), "absolute") != NULL);
	done(&res);

	run(&res, (const char *const[]){ NULL }, NULL, 10000, 4096);
	CU_ASSERT_EQUAL(res.r, WIF_E_INVALID_ARG);
	done(&res);
}

/* SIGPIPE: a helper that exits without reading or writing is harmless. */
static void
test_sigpipe_default(void)
{
	static const char *const argv[] = { "/bin/true", NULL };
	struct sigaction sa, old;
	struct result res;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, &old);
	for (i = 0; i < 20; i++) {
		run(&res, argv, NULL, 10000, 16);
		CU_ASSERT_EQUAL(res.r, WIF_OK);
		CU_ASSERT_EQUAL(res.status, 0);
		done(&res);
	}
	sigaction(SIGPIPE, &old, NULL);
}

static const struct cu_test tests[] = {
	{ "stdout captured", test_stdout },
	{ "out_len and err_out optional", test_optional_outputs },
	{ "environment exactly as given", test_env_exact },
	{ "stdin is /dev/null", test_stdin_dev_null },
	{ "exit status and stderr", test_exit_status },
	{ "killed by a signal: 128+N, signals reset", test_signal_status },
	{ "timeout kills", test_timeout },
	{ "timeout with the pipes closed", test_timeout_pipes_closed },
	{ "leftover process group killed", test_group_killed },
	{ "own process group", test_own_process_group },
	{ "stdout cap", test_stdout_cap },
	{ "stderr captured and capped", test_stderr_cap },
	{ "no descriptor inherited", test_fds_closed },
	{ "caller with 0-1 closed", test_parent_fds_closed },
	{ "EINTR in the parent", test_eintr },
	{ "cannot start", test_cannot_start },
	{ "SIGPIPE-safe", test_sigpipe_default },
	{ NULL, NULL },
};

WIF_CU_MAIN("proc", tests, NULL, NULL)
