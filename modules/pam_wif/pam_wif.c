/*
 * pam_wif.c - the PAM session module: on open, asks wifd for the user's
 * session and exports what the official SDKs read (ANTHROPIC_CONFIG_DIR and
 * ANTHROPIC_PROFILE, a per-user directory wifd keeps fresh); on close, ends
 * it.  See pam_wif(8).
 *
 * It speaks wifd's wire protocol through the client half of libwif (libc
 * only: nothing heavy is loaded into sshd or login), never falls back to an
 * in-process exchange, and never holds a login longer than timeout=.
 * Only pam_sm_* are exported.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#define PAM_SM_SESSION
#include <security/pam_modules.h>
#include <security/pam_ext.h>

#include "client.h"
#include "wire.h"

/* "user\nprofile" of the session this handle opened, per module line */
#define DATA_PREFIX "pam_wif_session:"
/* the build hides every symbol; these two are the module's interface */
#define PAM_WIF_EXPORT __attribute__((visibility("default")))

struct args {
	const char *profile;            /* profile=NAME, else wifd picks */
	const char *socket;             /* socket=PATH */
	int timeout_ms;                 /* timeout=MS */
	int unreachable;                /* PAM code: wifd absent or silent */
	int denied;                     /* PAM code: wifd refused */
	int debug;
};

static int
code_of(pam_handle_t *pamh, const char *arg, const char *v, int *out)
{
	if (strcmp(v, "session_err") == 0)
		*out = PAM_SESSION_ERR;
	else if (strcmp(v, "ignore") == 0)
		*out = PAM_IGNORE;
	else if (strcmp(v, "success") == 0)
		*out = PAM_SUCCESS;
	else {
		pam_syslog(pamh, LOG_ERR, "%s=%s: use session_err, ignore or "
		    "success", arg, v);
		return -1;
	}
	return 0;
}

static int
parse_args(pam_handle_t *pamh, int argc, const char **argv, struct args *a)
{
	int i;
	char *end;
	long v;

	memset(a, 0, sizeof(*a));
	a->timeout_ms = 5000;
	a->unreachable = PAM_SESSION_ERR;
	a->denied = PAM_IGNORE;
	for (i = 0; i < argc; i++) {
		const char *s = argv[i];

		if (strncmp(s, "profile=", 8) == 0 && s[8] != '\0')
			a->profile = s + 8;
		else if (strncmp(s, "socket=", 7) == 0 && s[7] == '/')
			a->socket = s + 7;
		else if (strncmp(s, "timeout=", 8) == 0) {
			v = strtol(s + 8, &end, 10);
			if (*end != '\0' || v < 100 || v > 60000) {
				pam_syslog(pamh, LOG_ERR, "%s: timeout is in "
				    "milliseconds, 100 to 60000", s);
				return -1;
			}
			a->timeout_ms = (int)v;
		} else if (strncmp(s, "unreachable=", 12) == 0) {
			if (code_of(pamh, "unreachable", s + 12, &a->unreachable))
				return -1;
		} else if (strncmp(s, "denied=", 7) == 0) {
			if (code_of(pamh, "denied", s + 7, &a->denied))
				return -1;
		} else if (strcmp(s, "debug") == 0)
			a->debug = 1;
		else {
			pam_syslog(pamh, LOG_ERR, "unknown argument \"%s\" (see "
			    "pam_wif(8))", s);
			return -1;
		}
	}
	return 0;
}

static void
free_data(pam_handle_t *pamh, void *data, int status)
{
	(void)pamh;
	(void)status;
	free(data);
}

/* One request to wifd; the reply's rc (0 = ok), m and *buf filled. */
static int
call(pam_handle_t *pamh, const struct args *a, const char *op,
     const char *user, const char *profile, char **buf,
     struct wif_wire_msg *m, int *reached)
{
	wif_handle *h = NULL;
	char req[1024];
	size_t len;
	int r;

	*buf = NULL;
	*reached = 0;
	/* never $WIF_SOCKET: under su or sudo that is the caller's choice */
	if ((r = wif_open(a->socket ? a->socket : WIF_DEFAULT_SOCKET,
	    WIF_OPEN_NO_FALLBACK, &h)) != WIF_OK) {
		pam_syslog(pamh, LOG_ERR, "cannot use wifd's socket %s: %s",
		    a->socket ? a->socket : WIF_DEFAULT_SOCKET, wif_strerror(r));
		return r;
	}
	wif_set_timeout(h, a->timeout_ms);
	wif_wire_begin(req, &len);
	if (wif_wire_add(req, sizeof(req), &len, "op", op) != 0 ||
	    wif_wire_add(req, sizeof(req), &len, "user", user) != 0 ||
	    (profile != NULL &&
	    wif_wire_add(req, sizeof(req), &len, "profile", profile) != 0)) {
		wif_close(h);
		pam_syslog(pamh, LOG_ERR, "user or profile name too long");
		return WIF_E_INVALID_ARG;
	}
	len = wif_wire_end(req, len);
	r = wif_client_call(h, req, len, buf, m);
	/* wifd answered (ok or a refusal), or was never reached */
	*reached = wif_client_answered(h);
	if (r != WIF_OK)
		pam_syslog(pamh, *reached ? LOG_NOTICE : LOG_ERR, "%s for %s: "
		    "%s", op, user, wif_error(h));
	wif_close(h);
	return r;
}

/* The pam_set_data key of this module line (its profile= argument). */
static void
data_key(const struct args *a, char *key, size_t len)
{
	snprintf(key, len, DATA_PREFIX "%s", a->profile ? a->profile : "");
}

PAM_EXTERN PAM_WIF_EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc,
                    const char **argv)
{
	struct wif_wire_msg m;
	struct args a;
	const char *user = NULL, *dir, *prof;
	char *buf = NULL, *buf2 = NULL, env[4200], key[256], *keep = NULL;
	int r, reached;

	(void)flags;
	if (parse_args(pamh, argc, argv, &a) != 0)
		return PAM_SESSION_ERR;
	if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    user[0] == '\0') {
		pam_syslog(pamh, LOG_ERR, "no user name");
		return PAM_SESSION_ERR;
	}
	r = call(pamh, &a, "session_open", user, a.profile, &buf, &m,
	    &reached);
	if (r != WIF_OK) {
		free(buf);
		return reached ? a.denied : a.unreachable;
	}
	dir = wif_wire_get(&m, "config_dir");
	prof = wif_wire_get(&m, "profile");
	r = PAM_SESSION_ERR;
	if (dir == NULL || dir[0] != '/' || prof == NULL || prof[0] == '\0') {
		pam_syslog(pamh, LOG_ERR, "wifd's reply lacks config_dir or "
		    "profile");
		goto undo;
	}
	data_key(&a, key, sizeof(key));
	if (asprintf(&keep, "%s\n%s", user, prof) < 0) {
		keep = NULL;
		goto undo;
	}
	snprintf(env, sizeof(env), "ANTHROPIC_CONFIG_DIR=%s", dir);
	if ((r = pam_putenv(pamh, env)) == PAM_SUCCESS) {
		snprintf(env, sizeof(env), "ANTHROPIC_PROFILE=%s", prof);
		r = pam_putenv(pamh, env);
	}
	/* close_session closes only what this handle opened */
	if (r == PAM_SUCCESS &&
	    (r = pam_set_data(pamh, key, keep, free_data)) == PAM_SUCCESS)
		keep = NULL; /* transferred */
	if (r != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot export the SDK environment: %s",
		    pam_strerror(pamh, r));
		goto undo;
	}
	if (a.debug)
		pam_syslog(pamh, LOG_DEBUG, "session of %s: profile %s in %s",
		    user, prof, dir);
	free(buf);
	return PAM_SUCCESS;
undo:
	/* wifd counted a session this login will never close: end it now */
	(void)pam_putenv(pamh, "ANTHROPIC_CONFIG_DIR");
	(void)pam_putenv(pamh, "ANTHROPIC_PROFILE");
	if (prof != NULL && prof[0] != '\0')
		(void)call(pamh, &a, "session_close", user, prof, &buf2, &m,
		    &reached);
	free(buf2);
	free(keep);
	free(buf);
	return PAM_SESSION_ERR;
}

PAM_EXTERN PAM_WIF_EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc,
                     const char **argv)
{
	struct wif_wire_msg m;
	struct args a;
	const void *data = NULL;
	const char *nl;
	char *buf = NULL, key[256], user[256];
	int r, reached;

	(void)flags;
	if (parse_args(pamh, argc, argv, &a) != 0)
		return PAM_SESSION_ERR;
	data_key(&a, key, sizeof(key));
	if (pam_get_data(pamh, key, &data) != PAM_SUCCESS || data == NULL ||
	    (nl = strchr(data, '\n')) == NULL ||
	    (size_t)(nl - (const char *)data) >= sizeof(user)) {
		/* this handle opened no session (refused, unreachable, or
		 * open_session ran in another process) */
		if (a.debug)
			pam_syslog(pamh, LOG_DEBUG, "no session to close");
		return PAM_IGNORE;
	}
	memcpy(user, data, (size_t)(nl - (const char *)data));
	user[nl - (const char *)data] = '\0';
	r = call(pamh, &a, "session_close", user, nl + 1, &buf, &m, &reached);
	free(buf);
	if (r != WIF_OK)
		return reached ? a.denied : a.unreachable;
	if (a.debug)
		pam_syslog(pamh, LOG_DEBUG, "session of %s on %s closed", user,
		    nl + 1);
	(void)pam_set_data(pamh, key, NULL, NULL);
	return PAM_SUCCESS;
}
