/*
 * proc.h - run a helper program safely (the exec provider's engine, lent to
 * plugins as host->run_program).
 *
 * Owns: fork/exec/wait of helper programs.  argv[0] must be an absolute
 * path; no shell is involved; the environment is exactly env (NULL = empty);
 * stdin is /dev/null; all other descriptors are closed in the child; stdout
 * is captured into secure memory up to max_out bytes (more -> the child is
 * killed, WIF_E_TOO_BIG); stderr up to 4 KiB into ordinary memory; the child
 * (its whole process group) is killed with SIGKILL after timeout_ms
 * (WIF_E_TIMEOUT).  Must never log stdout (it is a token).
 */
#ifndef WIF_PROC_H
#define WIF_PROC_H

#include <stddef.h>

#define WIF_PROC_MAX_STDERR 4096

/* See host->run_program in provider.h for the contract. */
int wif_run_program(const char *const *argv, const char *const *env,
                    long timeout_ms, size_t max_out, char **out,
                    size_t *out_len, char **err_out, int *exit_status);

#endif
