/* log.c - stderr/syslog logging; see log.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "err.h"
#include "log.h"

static int log_dest = WIF_LOG_STDERR;
static int log_lvl = WIF_LOG_WARNING;
static const char *log_ident = "wif";

void
wif_log_init(const char *ident, int dest, int level)
{
	log_ident = ident ? ident : "wif";
	log_dest = dest;
	log_lvl = level;
	if (dest == WIF_LOG_SYSLOG)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void
wif_log_set_level(int level)
{
	log_lvl = level;
}

int
wif_log_level(void)
{
	return log_lvl;
}

int
wif_log_parse_level(const char *s)
{
	static const struct { const char *n; int l; } t[] = {
		{ "err", WIF_LOG_ERR }, { "error", WIF_LOG_ERR },
		{ "warning", WIF_LOG_WARNING }, { "warn", WIF_LOG_WARNING },
		{ "notice", WIF_LOG_NOTICE }, { "info", WIF_LOG_INFO },
		{ "debug", WIF_LOG_DEBUG },
	};
	size_t i;

	for (i = 0; s != NULL && i < sizeof(t) / sizeof(t[0]); i++)
		if (strcasecmp(s, t[i].n) == 0)
			return t[i].l;
	return -1;
}

static const char *
level_name(int level)
{
	switch (level) {
	case WIF_LOG_ERR: return "error";
	case WIF_LOG_WARNING: return "warning";
	case WIF_LOG_NOTICE: return "notice";
	case WIF_LOG_INFO: return "info";
	default: return "debug";
	}
}

void
wif_log_va(int level, const char *fmt, va_list ap)
{
	char line[4096];

	if (level > log_lvl)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	wif_redact(line, sizeof(line));
	if (log_dest == WIF_LOG_SYSLOG)
		syslog(level, "%s", line);
	else
		fprintf(stderr, "%s: %s: %s\n", log_ident, level_name(level), line);
}

void
wif_log(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	wif_log_va(level, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	char msg[3072];
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	wif_log(WIF_LOG_WARNING, "%s: %s", msg, strerror(saved));
}

