/*
 * cli.h - what the wif command's files share: the command table type, exit
 * codes, and small presentation helpers.
 */
#ifndef WIF_CLI_H
#define WIF_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "core.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1      /* the operation failed */
#define CLI_EXIT_USAGE 2     /* bad command line */
#define CLI_EXIT_CONFIG 3    /* configuration invalid or missing */

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv);  /* argv[0] is the command name */
};

extern const char *cli_config_path;

int cmd_providers(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_identity(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_status(int argc, char **argv);

struct wif_token;
/* `wif exec --refresh` (cmd_exec_refresh.c): run argv[0] with $WIF_TOKEN_FILE
 * kept fresh; returns the child's exit status. */
int cli_exec_refresh(const char *profile, int min_valid, const char *token_file,
                     int json, char **argv);
/* A token as `wif token` gets it (cmd_token.c), asking the cache for ask
 * seconds and requiring min_valid; the error goes into msg (never a token),
 * the served profile into profile_out.  Returns a CLI exit code. */
int cli_exec_fetch(const char *profile, int min_valid, int ask,
                   struct wif_token **tok, char *profile_out, size_t plen,
                   char *msg, size_t msglen);

/* Print "wif: <what>: <detail>" for rc to stderr; returns exit. */
int cli_fail(int exit_code, int rc, const char *what);
/* Resolve the credential sources (wif.conf or zero-config) and open the
 * core; the profile to use goes to profile_out.  Prints the error itself
 * and returns an exit code. */
int cli_open_core(const char *profile, struct wif_core **out,
                  char *profile_out, size_t len);
/* "2026-11-22T10:00:00Z" */
void cli_fmt_time(int64_t t, char *buf, size_t len);
/* "in 9m12s" / "3m ago" */
void cli_fmt_rel(int64_t t, int64_t now, char *buf, size_t len);
/* Print s as a JSON string literal (with quotes). */
void cli_json_str(FILE *f, const char *s);

#endif
