/* err.c - thread-local error detail and wif_strerror(). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static __thread char detail[WIF_ERR_MAX];

int
wif_err(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return rc;
}

int
wif_err_prefix(int rc, const char *fmt, ...)
{
	char prefix[512], old[WIF_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, detail, sizeof(old));
	if (old[0] == '\0')
		snprintf(detail, sizeof(detail), "%s", prefix);
	else
		snprintf(detail, sizeof(detail), "%s: %s", prefix, old);
	return rc;
}

const char *
wif_err_detail(void)
{
	return detail;
}

void
wif_err_clear(void)
{
	detail[0] = '\0';
}
