/*
 * cmd_exec_refresh.c - `wif exec --refresh`: run a command that reads its
 * token from a file, and keep that file fresh for as long as it runs.
 *
 * wif stays the parent.  It gets a token the way `wif token` does (wifd,
 * else the core in-process), writes it to a 0600 file in a private 0700
 * directory (or --token-file), starts the command with WIF_TOKEN_FILE naming
 * the file (ANTHROPIC_API_KEY, ANTHROPIC_AUTH_TOKEN and
 * ANTHROPIC_IDENTITY_TOKEN removed from its environment), and replaces the
 * file atomically before the token runs out:
 *
 *   refresh when the remaining life falls to
 *       T = max(--min-valid, min(300 s, L / 2))
 *   where L is the lifetime the token was issued with.  For L >= 10 min
 *   that is max(--min-valid, 300 s); a token issued for less is refreshed
 *   at half its life, so the file never holds one with less than 2 minutes
 *   left while refreshes succeed and the server issues tokens for 4 minutes
 *   or more.
 *
 * A failed refresh keeps the current token (it is still valid) and is
 * retried after 1 s, doubling up to min(60 s, L / 4).  When the token comes
 * within M = min(10 s, T / 2) (at least 1 s) of its expiry with no
 * replacement, the file is removed: better no file than an expired token.
 * The next successful refresh writes it again.
 *
 * The fetch runs in a worker thread so that the main thread always answers
 * signals: SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are
 * forwarded to the command (except those the terminal already sent to the
 * whole process group, which includes the command), and wif exits with the
 * command's status (128 + N when signal N killed it).
 *
 * Tokens live in secure memory and never reach a message.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "log.h"
#include "secmem.h"
#include "token.h"

extern char **environ;

#define XR_REFRESH_LEAD_S 300   /* refresh this long before expiry ... */
#define XR_DROP_MARGIN_S 10     /* ... remove the file this long before */
#define XR_BACKOFF_MAX_S 60
#define XR_MAX_FDS 256          /* inherited descriptors we keep track of */

struct xr {
	/* options */
	const char *profile_arg;
	int min_valid;
	int json;
	/* the file */
	char dir[PATH_MAX];      /* our private directory, "" with --token-file */
	char path[PATH_MAX];
	int have_file;           /* path holds cur's token */
	int wrote;               /* we wrote path (so we remove it) */
	/* the token in the file (kept after a drop, for the schedule) */
	struct wif_token *cur;
	char profile[160];
	int64_t refresh_at_ms, drop_at_ms, backoff_cap_s;
	/* refresh attempts */
	int fails;
	int64_t next_try_ms;
	/* the worker */
	pthread_t th;
	int busy;
	int wake[2];
	int ask;
	int w_ex;
	struct wif_token *w_tok;
	char w_profile[160];
	char w_msg[1024];
	/* the command */
	pid_t child;
	int child_done;
	int child_status;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The lifetime t was issued with (what is left when that is unknown). */
static int64_t
lifetime(const struct wif_token *t, int64_t now_s)
{
	int64_t l = t->expires_at - t->obtained_at;

	if (t->obtained_at <= 0 || t->obtained_at > now_s || l <= 0)
		l = t->expires_at - now_s;
	return max64(l, 1);
}

/* T of the rule above for a token issued for l seconds. */
static int64_t
refresh_lead(int64_t l, int min_valid)
{
	return max64(min_valid, min64(XR_REFRESH_LEAD_S, l / 2));
}

/* --- the token file ----------------------------------------------------- */

/* A JSON string literal of s into out (at most len bytes, NUL included). */
static size_t
json_str(char *out, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	out[o++] = '"';
	for (; *s != '\0' && o + 8 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			out[o++] = '\\';
			out[o++] = 'u';
			out[o++] = '0';
			out[o++] = '0';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return o;
}

/*
 * The file's bytes for t: raw "TOKEN\n", or the json of wifd's json sinks
 * (`wif token --format json` without request_id): access_token, token_type,
 * expires_at, expires_in (when written), profile.
 */
static int
write_token_file(struct xr *x, const struct wif_token *t, const char *profile)
{
	size_t cap = t->access_token_len * 6 + 1024, n = 0;
	char *buf, prof[800];
	int r;

	if ((buf = wif_secmem_alloc(cap)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if (!x->json) {
		memcpy(buf, t->access_token, t->access_token_len);
		n = t->access_token_len;
		buf[n++] = '\n';
	} else {
		json_str(prof, sizeof(prof), profile);
		n = (size_t)snprintf(buf, cap, "{\"access_token\":");
		n += json_str(buf + n, cap - n - 256, t->access_token);
		n += (size_t)snprintf(buf + n, cap - n, ",\"token_type\":\"Bearer\","
		    "\"expires_at\":%lld,\"expires_in\":%lld,\"profile\":%s}\n",
		    (long long)t->expires_at,
		    (long long)(t->expires_at - (int64_t)time(NULL)), prof);
		if (n >= cap) {
			wif_secmem_free(buf);
			return wif_err(WIF_E_TOO_BIG, "token too large");
		}
	}
	r = wif_write_file_atomic(x->path, buf, n, 0600, (uid_t)-1, (gid_t)-1);
	wif_secmem_free(buf);
	if (r == WIF_OK)
		x->wrote = 1;
	return r;
}

static void
remove_token_file(struct xr *x)
{
	if (x->wrote && unlink(x->path) != 0 && errno != ENOENT)
		fprintf(stderr, "wif: exec: cannot remove %s: %s\n", x->path,
		    strerror(errno));
	x->have_file = 0;
}

/* $XDG_RUNTIME_DIR when it is ours alone, else /tmp. */
static const char *
private_base(void)
{
	const char *d = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (d != NULL && d[0] == '/' && strlen(d) < PATH_MAX - 32 &&
	    stat(d, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & 077) == 0)
		return d;
	return "/tmp";
}

/*
 * Where the token goes: a new 0700 directory wif-exec.XXXXXX with "token"
 * in it, or --token-file, whose directory must exist and be writable by
 * nobody but its owner (us or root), and which must not be anything but
 * a regular file of ours if it exists.
 */
static int
prepare_path(struct xr *x, const char *token_file)
{
	char cwd[PATH_MAX], dirbuf[PATH_MAX], *slash;
	const char *base;
	struct stat st;

	if (token_file == NULL) {
		base = private_base();
		if (snprintf(x->dir, sizeof(x->dir), "%s/wif-exec.XXXXXX", base) >=
		    (int)sizeof(x->dir) || mkdtemp(x->dir) == NULL) {
			fprintf(stderr, "wif: exec: cannot create a private "
			    "directory in %s: %s; set XDG_RUNTIME_DIR to a "
			    "directory of yours or pass --token-file\n", base,
			    strerror(errno));
			x->dir[0] = '\0';
			return -1;
		}
		snprintf(x->path, sizeof(x->path), "%s/token", x->dir);
		return 0;
	}
	if (token_file[0] == '\0') {
		fprintf(stderr, "wif: exec: --token-file is empty\n");
		return -1;
	}
	if (token_file[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL) {
			fprintf(stderr, "wif: exec: --token-file %s: cannot tell "
			    "the current directory (%s); give an absolute path\n",
			    token_file, strerror(errno));
			return -1;
		}
		if (snprintf(x->path, sizeof(x->path), "%s/%s", cwd, token_file) >=
		    (int)sizeof(x->path))
			goto toolong;
	} else if (snprintf(x->path, sizeof(x->path), "%s", token_file) >=
	    (int)sizeof(x->path)) {
		goto toolong;
	}
	/* Leave room for the temporary file's suffix. */
	if (strlen(x->path) + 16 >= sizeof(x->path))
		goto toolong;
	snprintf(dirbuf, sizeof(dirbuf), "%s", x->path);
	slash = strrchr(dirbuf, '/');
	if (slash[1] == '\0' || strcmp(slash + 1, ".") == 0 ||
	    strcmp(slash + 1, "..") == 0) {
		fprintf(stderr, "wif: exec: --token-file %s does not name a "
		    "file\n", token_file);
		return -1;
	}
	if (slash == dirbuf)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dirbuf, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "wif: exec: --token-file %s: directory %s %s; "
		    "create it (mode 0700) first\n", token_file, dirbuf,
		    errno == ENOENT ? "does not exist" : "is not a directory");
		return -1;
	}
	if ((st.st_mode & 022) != 0 ||
	    (st.st_uid != geteuid() && st.st_uid != 0)) {
		fprintf(stderr, "wif: exec: --token-file %s: directory %s is "
		    "writable by others or owned by uid %u (mode %03o); the token "
		    "must live in a directory only you (or root) can write: use "
		    "one of yours, or leave --token-file out\n", token_file,
		    dirbuf, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (lstat(x->path, &st) == 0 &&
	    (!S_ISREG(st.st_mode) || st.st_uid != geteuid())) {
		fprintf(stderr, "wif: exec: --token-file %s exists and is %s; "
		    "wif replaces and removes the file, so name a new one\n",
		    token_file, !S_ISREG(st.st_mode) ? "not a regular file" :
		    "someone else's");
		return -1;
	}
	return 0;
toolong:
	fprintf(stderr, "wif: exec: --token-file %s: path too long\n",
	    token_file);
	return -1;
}

/* --- the worker ---------------------------------------------------------- */

static void *
worker(void *arg)
{
	struct xr *x = arg;
	ssize_t n;

	x->w_ex = cli_exec_fetch(x->profile_arg, x->min_valid, x->ask,
	    &x->w_tok, x->w_profile, sizeof(x->w_profile), x->w_msg,
	    sizeof(x->w_msg));
	do
		n = write(x->wake[1], "x", 1);
	while (n < 0 && errno == EINTR);
	return NULL;
}

static int
start_worker(struct xr *x, int64_t now)
{
	sigset_t all, saved;
	int64_t ask;
	int err;

	/* Ask for a token that outlives this refresh's threshold: the cache
	 * (ours or wifd's) then hands back a newer one than the file holds. */
	if (x->cur != NULL)
		ask = refresh_lead(lifetime(x->cur, now / 1000), x->min_valid);
	else
		ask = max64(x->min_valid, XR_REFRESH_LEAD_S);
	x->ask = (int)min64(ask + 1, 86400);
	x->w_tok = NULL;
	x->w_msg[0] = '\0';
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	err = pthread_create(&x->th, NULL, worker, x);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (err != 0) {
		snprintf(x->w_msg, sizeof(x->w_msg), "cannot start a thread: %s",
		    strerror(err));
		return -1;
	}
	x->busy = 1;
	return 0;
}

/* A new token is in the file: schedule its refresh and its removal. */
static void
schedule(struct xr *x)
{
	int64_t now_s = (int64_t)time(NULL), l, lead, margin;

	l = lifetime(x->cur, now_s);
	lead = refresh_lead(l, x->min_valid);
	margin = max64(1, min64(XR_DROP_MARGIN_S, lead / 2));
	x->refresh_at_ms = (x->cur->expires_at - lead) * 1000;
	x->drop_at_ms = (x->cur->expires_at - margin) * 1000;
	x->backoff_cap_s = max64(1, min64(XR_BACKOFF_MAX_S, l / 4));
	/* A token that is due already (the server issues no more than
	 * --min-valid asks for) is not chased at network speed: the next
	 * refresh waits half its remaining usable life, 1 to 30 s. */
	x->next_try_ms = max64(x->refresh_at_ms, now_ms() + 1000 *
	    max64(1, min64(30, (x->cur->expires_at - margin - now_s) / 2)));
	x->fails = 0;
}

/* The worker is done: take its token, or count the failure. */
static void
worker_done(struct xr *x)
{
	int64_t now = now_ms(), delay;
	struct wif_token *t;
	char fp[80], pfx[200];
	const char *msg = x->w_msg;
	int r, was_dropped, fails;

	pthread_join(x->th, NULL);
	x->busy = 0;
	t = x->w_tok;
	x->w_tok = NULL;
	if (x->child_done) {
		/* The command has gone: nobody reads the file any more. */
		wif_token_free(t);
		return;
	}
	if (x->w_ex == CLI_EXIT_OK && t != NULL && x->cur != NULL &&
	    t->expires_at <= x->cur->expires_at) {
		snprintf(x->w_msg, sizeof(x->w_msg), "the freshest token (valid "
		    "%lld s) expires no later than the one in the file",
		    (long long)(t->expires_at - now / 1000));
		x->w_ex = CLI_EXIT_FAIL;
	}
	if (x->w_ex == CLI_EXIT_OK && t != NULL &&
	    t->expires_at * 1000 <= now + 1000) {
		snprintf(x->w_msg, sizeof(x->w_msg), "the freshest token has "
		    "already expired (is the clock right?)");
		x->w_ex = CLI_EXIT_FAIL;
	}
	if (x->w_ex == CLI_EXIT_OK && t != NULL) {
		if ((r = write_token_file(x, t, x->w_profile)) != WIF_OK) {
			snprintf(x->w_msg, sizeof(x->w_msg), "%s",
			    wif_err_detail());
			x->w_ex = CLI_EXIT_FAIL;
		}
	}
	if (x->w_ex != CLI_EXIT_OK || t == NULL) {
		wif_token_free(t);
		if (x->w_msg[0] == '\0')
			snprintf(x->w_msg, sizeof(x->w_msg), "no token");
		/* The line names the profile once. */
		snprintf(pfx, sizeof(pfx), "profile %s: ", x->profile);
		if (strncmp(x->w_msg, pfx, strlen(pfx)) == 0)
			msg += strlen(pfx);
		x->fails++;
		delay = min64(x->backoff_cap_s > 0 ? x->backoff_cap_s :
		    XR_BACKOFF_MAX_S, (int64_t)1 << min64(x->fails - 1, 10));
		x->next_try_ms = now + delay * 1000;
		if (x->child <= 0)
			return; /* the first token: the caller reports it */
		if (x->have_file)
			fprintf(stderr, "wif: exec: profile %s: cannot refresh the "
			    "token in %s: %s; the current token stays (valid %lld s "
			    "more), next try in %lld s\n", x->profile, x->path,
			    msg, (long long)(x->cur->expires_at - now / 1000),
			    (long long)delay);
		else
			fprintf(stderr, "wif: exec: profile %s: cannot refresh the "
			    "token for %s: %s; the file stays absent, next try in "
			    "%lld s\n", x->profile, x->path, msg,
			    (long long)delay);
		return;
	}
	was_dropped = x->cur != NULL && !x->have_file;
	fails = x->fails;
	wif_token_free(x->cur);
	x->cur = t;
	x->have_file = 1;
	snprintf(x->profile, sizeof(x->profile), "%s", x->w_profile);
	schedule(x);
	wif_log_fingerprint(t->access_token, t->access_token_len, fp,
	    sizeof(fp));
	if (was_dropped || fails > 0)
		fprintf(stderr, "wif: exec: profile %s: token refreshed after %d "
		    "failed attempt(s); %s holds a valid token again\n",
		    x->profile, fails, x->path);
	log_info("exec: profile %s: wrote %s (%s, valid %lld s, next refresh "
	    "in %lld s)", x->profile, x->path, fp,
	    (long long)(t->expires_at - now / 1000),
	    (long long)((x->refresh_at_ms - now) / 1000));
}

/* The file's token is about to expire and nothing replaced it. */
static void
drop(struct xr *x)
{
	int64_t now = now_ms();

	remove_token_file(x);
	fprintf(stderr, "wif: exec: profile %s: the token in %s expires in "
	    "%lld s and no refresh has succeeded; removed the file rather than "
	    "leave an expired token (still retrying)\n", x->profile, x->path,
	    (long long)max64(0, x->cur->expires_at - now / 1000));
}

/* --- the command --------------------------------------------------------- */

static int
is_child_env(const char *e, const char *name)
{
	size_t n = strlen(name);

	return strncmp(e, name, n) == 0 && e[n] == '=';
}

/* environ without the Anthropic credentials, with WIF_TOKEN_FILE. */
static char **
child_env(const struct xr *x, char **wtf)
{
	static const char *const drop_vars[] = { "ANTHROPIC_API_KEY",
	    "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_IDENTITY_TOKEN",
	    "WIF_TOKEN_FILE", NULL };
	size_t n = 0, i, j, k = 0;
	char **env;

	for (n = 0; environ[n] != NULL; n++)
		;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL)
		return NULL;
	if (asprintf(wtf, "WIF_TOKEN_FILE=%s", x->path) < 0) {
		free(env);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; drop_vars[j] != NULL; j++)
			if (is_child_env(environ[i], drop_vars[j]))
				break;
		if (drop_vars[j] == NULL)
			env[k++] = environ[i];
	}
	env[k++] = *wtf;
	env[k] = NULL;
	return env;
}

/* The descriptors above 2 open now, sorted (-1 on failure). */
static int
open_fds(int *fds, int max)
{
	struct dirent *de;
	DIR *d;
	int n = 0, fd, i;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		if (fd <= 2 || fd == dirfd(d))
			continue;
		if (n == max) {
			closedir(d);
			return -1;
		}
		for (i = n; i > 0 && fds[i - 1] > fd; i--)
			fds[i] = fds[i - 1];
		fds[i] = fd;
		n++;
	}
	closedir(d);
	return n;
}

static int
in_set(const int *fds, int n, int fd)
{
	int i;

	for (i = 0; i < n; i++)
		if (fds[i] == fd)
			return 1;
	return 0;
}

/*
 * Start the command: the signal mask and default dispositions wif had at
 * the start, the descriptors wif inherited and none it opened since.
 */
static int
spawn(struct xr *x, char **argv, const sigset_t *mask, const sigset_t *dfl,
      const int *kept, int nkept)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	char **env = NULL, *wtf = NULL;
	int now_open[XR_MAX_FDS], n, i, err;

	if (getenv("ANTHROPIC_API_KEY") != NULL)
		fprintf(stderr, "wif: warning: ANTHROPIC_API_KEY is set; it would "
		    "shadow the federation token in the child, so wif exec "
		    "removes it from the child's environment\n");
	if (getenv("ANTHROPIC_AUTH_TOKEN") != NULL)
		fprintf(stderr, "wif: warning: ANTHROPIC_AUTH_TOKEN is set; wif "
		    "exec --refresh removes it from the child's environment (the "
		    "child reads the token of profile %s from $WIF_TOKEN_FILE)\n",
		    x->profile);
	if ((env = child_env(x, &wtf)) == NULL) {
		fprintf(stderr, "wif: exec: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	if ((n = open_fds(now_open, XR_MAX_FDS)) < 0) {
		/* Cannot tell which are ours: close them all. */
		posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	} else {
		for (i = 0; i < n; i++)
			if (!in_set(kept, nkept, now_open[i]))
				posix_spawn_file_actions_addclose(&fa, now_open[i]);
	}
	posix_spawnattr_setsigmask(&at, mask);
	posix_spawnattr_setsigdefault(&at, dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	fflush(NULL);
	err = posix_spawnp(&x->child, argv[0], &fa, &at, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	free(env);
	free(wtf);
	if (err != 0) {
		x->child = 0;
		fprintf(stderr, "wif: exec: cannot run %s: %s\n", argv[0],
		    strerror(err));
		return err == ENOENT || err == ENOTDIR ? 127 : 126;
	}
	return CLI_EXIT_OK;
}

static void
reap(struct xr *x)
{
	int status;
	pid_t p;

	if (x->child <= 0 || x->child_done)
		return;
	while ((p = waitpid(x->child, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (p != x->child)
		return;
	x->child_done = 1;
	if (WIFEXITED(status))
		x->child_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		x->child_status = 128 + WTERMSIG(status);
	else
		x->child_status = CLI_EXIT_FAIL;
}

/* A signal for wif: pass it on (or end wif before the command started). */
static void
on_signal(struct xr *x, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;

	if (sig == SIGCHLD) {
		reap(x);
		return;
	}
	if (x->child <= 0) {
		/* Nothing to forward to yet; the fetch in the worker cannot be
		 * interrupted, so leave without it. */
		if (sig == SIGUSR1 || sig == SIGUSR2)
			return;
		if (x->dir[0] != '\0')
			rmdir(x->dir);
		fprintf(stderr, "wif: exec: SIG%s before the command started; "
		    "nothing ran\n", sigabbrev_np(sig));
		_exit(128 + sig);
	}
	if (x->child_done)
		return;
	/* The terminal sends ^C, ^\ and hangups to the whole foreground
	 * process group; a command still in ours has it already. */
	if (si->ssi_code == SI_KERNEL && getpgid(x->child) == getpgrp())
		return;
	if (kill(x->child, sig) != 0 && errno != ESRCH)
		fprintf(stderr, "wif: exec: cannot pass SIG%s on to the command: "
		    "%s\n", sigabbrev_np(sig), strerror(errno));
}

int
cli_exec_refresh(const char *profile, int min_valid, const char *token_file,
                 int json, char **argv)
{
	static const int fwd[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1,
	    SIGUSR2, SIGCHLD, 0 };
	struct signalfd_siginfo si;
	struct sigaction sa;
	struct pollfd pfd[2];
	sigset_t set, oldmask, dfl;
	struct xr *x;
	int kept[XR_MAX_FDS], nkept, sfd = -1, ex = CLI_EXIT_FAIL, i, timeout;
	int64_t now, due;
	ssize_t n;
	char c;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		fprintf(stderr, "wif: exec: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	x->profile_arg = profile;
	x->min_valid = min_valid;
	x->json = json;
	x->wake[0] = x->wake[1] = -1;
	snprintf(x->profile, sizeof(x->profile), "%s",
	    profile != NULL ? profile : "default");

	/* What the command inherits: descriptors, mask, default signals. */
	nkept = open_fds(kept, XR_MAX_FDS);
	sigemptyset(&dfl);
	for (i = 1; i < NSIG; i++)
		if (i != SIGKILL && i != SIGSTOP &&
		    sigaction(i, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
			sigaddset(&dfl, i);
	sigemptyset(&set);
	for (i = 0; fwd[i] != 0; i++)
		sigaddset(&set, fwd[i]);
	/* Blocked before any thread exists, so every thread inherits it and
	 * the signals wait in the signalfd. */
	pthread_sigmask(SIG_BLOCK, &set, &oldmask);

	if (prepare_path(x, token_file) != 0)
		goto out;
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    pipe2(x->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
		fprintf(stderr, "wif: exec: %s: %s\n", sfd < 0 ? "signalfd" :
		    "pipe", strerror(errno));
		goto out;
	}

	/* The first token, with signals answered meanwhile. */
	if (start_worker(x, now_ms()) != 0) {
		fprintf(stderr, "wif: exec: %s\n", x->w_msg);
		goto out;
	}
	for (;;) {
		now = now_ms();
		if (x->child > 0 && x->child_done && !x->busy)
			break;
		if (x->cur != NULL && x->have_file && now >= x->drop_at_ms)
			drop(x);
		if (x->child > 0 && !x->child_done && !x->busy &&
		    now >= x->next_try_ms && start_worker(x, now) != 0) {
			x->fails++;
			x->next_try_ms = now + x->backoff_cap_s * 1000;
			fprintf(stderr, "wif: exec: profile %s: %s; next try in "
			    "%lld s\n", x->profile, x->w_msg,
			    (long long)x->backoff_cap_s);
		}
		timeout = -1;
		if (x->child > 0 && !x->child_done) {
			due = x->busy ? INT64_MAX : x->next_try_ms;
			if (x->cur != NULL && x->have_file)
				due = min64(due, x->drop_at_ms);
			if (due != INT64_MAX)
				timeout = (int)max64(0, min64(due - now, 60000));
			if (timeout == 0)
				timeout = 1; /* wall-clock ms rounding */
		}
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = x->wake[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "wif: exec: poll: %s\n", strerror(errno));
			timeout = 1000;
		}
		while ((n = read(sfd, &si, sizeof(si))) == (ssize_t)sizeof(si))
			on_signal(x, &si);
		if (x->busy && read(x->wake[0], &c, 1) == 1) {
			worker_done(x);
			if (x->child == 0) {
				/* The first token. */
				if (x->cur == NULL) {
					fprintf(stderr, "wif: exec: %s\n",
					    x->w_msg);
					ex = x->w_ex != CLI_EXIT_OK ? x->w_ex :
					    CLI_EXIT_FAIL;
					goto out;
				}
				if ((ex = spawn(x, argv, &oldmask, &dfl, kept,
				    nkept < 0 ? 0 : nkept)) != CLI_EXIT_OK)
					goto out;
			}
		}
		/* SIGCHLD may have been merged with one read before. */
		reap(x);
	}
	ex = x->child_status;
out:
	if (x->busy) {
		/* Only on errors before the command started. */
		pthread_join(x->th, NULL);
		wif_token_free(x->w_tok);
	}
	remove_token_file(x);
	if (x->dir[0] != '\0' && rmdir(x->dir) != 0 && errno != ENOENT)
		fprintf(stderr, "wif: exec: cannot remove %s: %s\n", x->dir,
		    strerror(errno));
	wif_token_free(x->cur);
	if (sfd >= 0)
		close(sfd);
	if (x->wake[0] >= 0)
		close(x->wake[0]);
	if (x->wake[1] >= 0)
		close(x->wake[1]);
	free(x);
	pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	return ex;
}
