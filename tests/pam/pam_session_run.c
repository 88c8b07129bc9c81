/*
 * pam_session_run - a login, minus the authentication: pam_start for
 * SERVICE and USER, pam_open_session, print the PAM environment, run
 * COMMAND with exactly that environment (plus PATH), pam_close_session.
 * Run under pam_wrapper (LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1
 * PAM_WRAPPER_SERVICE_DIR=...) so that SERVICE comes from a test
 * directory and no root is needed.
 *
 *   pam_session_run SERVICE USER [-- COMMAND [ARG...]]
 *
 * stdout: "open=<pam code name>", "env NAME=VALUE" lines, then
 * "close=<pam code name>".  Exit status: the command's, else 0; 2 on a
 * usage error.
 */
#include "config.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
no_conv(int n, const struct pam_message **msg, struct pam_response **resp,
        void *arg)
{
	(void)n;
	(void)msg;
	(void)arg;
	*resp = NULL;
	return PAM_CONV_ERR;
}

static const char *
code(int r)
{
	switch (r) {
	case PAM_SUCCESS: return "PAM_SUCCESS";
	case PAM_SESSION_ERR: return "PAM_SESSION_ERR";
	case PAM_IGNORE: return "PAM_IGNORE";
	case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
	case PAM_BUF_ERR: return "PAM_BUF_ERR";
	case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
	default: return "PAM_OTHER";
	}
}

int
main(int argc, char **argv)
{
	struct pam_conv conv = { no_conv, NULL };
	pam_handle_t *pamh = NULL;
	char **env, **cenv, *path;
	int r, status = 0, i, n;
	pid_t pid;

	if (argc < 3 || (argc > 3 && (strcmp(argv[3], "--") != 0 || argc < 5))) {
		fprintf(stderr, "usage: pam_session_run SERVICE USER [-- COMMAND "
		    "[ARG...]]\n");
		return 2;
	}
	if ((r = pam_start(argv[1], argv[2], &conv, &pamh)) != PAM_SUCCESS) {
		fprintf(stderr, "pam_start: %s\n", pam_strerror(pamh, r));
		return 1;
	}
	r = pam_open_session(pamh, 0);
	printf("open=%s\n", code(r));
	env = pam_getenvlist(pamh);
	for (n = 0; env != NULL && env[n] != NULL; n++)
		printf("env %s\n", env[n]);
	fflush(stdout);
	if (r == PAM_SUCCESS && argc > 4) {
		if ((cenv = calloc((size_t)n + 2, sizeof(*cenv))) == NULL)
			return 1;
		for (i = 0; i < n; i++)
			cenv[i] = env[i];
		if ((path = getenv("PATH")) != NULL &&
		    asprintf(&cenv[n], "PATH=%s", path) < 0)
			return 1;
		if ((pid = fork()) == 0) {
			execve(argv[4], argv + 4, cenv);
			perror(argv[4]);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			status = 1 << 8;
		free(cenv[n]);
		free(cenv);
	}
	for (i = 0; env != NULL && env[i] != NULL; i++)
		free(env[i]);
	free(env);
	if (r == PAM_SUCCESS) {
		r = pam_close_session(pamh, 0);
		printf("close=%s\n", code(r));
	}
	pam_end(pamh, r);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
