/*
 * log.h - logging to stderr or syslog, OpenBSD-daemon style verbs.
 *
 * Owns: the log destination and level.  Must never be given a secret: log a
 * wif_log_fingerprint() (crypto.h) of a token instead (first 12 hex chars of its
 * SHA-256).  Levels are the syslog ones (enum wif_log_level).
 */
#ifndef WIF_LOG_H
#define WIF_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <wif/provider.h>

enum wif_log_dest { WIF_LOG_STDERR = 0, WIF_LOG_SYSLOG = 1 };

void wif_log_init(const char *ident, int dest, int level);
void wif_log_set_level(int level);
int wif_log_level(void);
/* Parse "err|warning|notice|info|debug"; -1 when unknown. */
int wif_log_parse_level(const char *s);

void wif_log(int level, const char *fmt, ...) WIF_PRINTF(2, 3);
void wif_log_va(int level, const char *fmt, va_list ap) WIF_PRINTF(2, 0);
#define log_warnx(...) wif_log(WIF_LOG_WARNING, __VA_ARGS__)
#define log_info(...) wif_log(WIF_LOG_INFO, __VA_ARGS__)
#define log_debug(...) wif_log(WIF_LOG_DEBUG, __VA_ARGS__)
#define log_errx(...) wif_log(WIF_LOG_ERR, __VA_ARGS__)
/* log_warn: like log_warnx, with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) WIF_PRINTF(1, 2);

#endif
