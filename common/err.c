/* err.c - thread-local error detail and wif_strerror(). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static __thread char detail[WIF_ERR_MAX];

static int
tokch(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * A last line of defence, applied to every error detail and log line:
 * whatever a helper printed, a server answered or a plugin wrote, runs that
 * look like credentials are replaced.  A run of [A-Za-z0-9_-] and dots is
 * redacted when it is an sk-ant- key or token, a JWT (three dot-separated
 * base64url parts, the first starting "eyJ"), or 40 or more characters
 * mixing letters and digits (base64url or hex secrets).  Names, paths,
 * request-ids and 12-digit fingerprints pass.
 */
void
wif_redact(char *s, size_t size)
{
	char out[WIF_ERR_MAX * 2];
	size_t i = 0, o = 0, j, n, dots, seglen, minseg;
	int letters, digits, secret;
	const char *rep;

	if (s == NULL || size == 0)
		return;
	while (s[i] != '\0' && o + 1 < sizeof(out)) {
		if (!tokch(s[i]) || (i > 0 && (tokch(s[i - 1]) || s[i - 1] == '.'))) {
			out[o++] = s[i++];
			continue;
		}
		/* a run starting here: token characters and dots */
		letters = digits = 0;
		dots = 0;
		seglen = 0;
		minseg = (size_t)-1;
		for (j = i; tokch(s[j]) || (s[j] == '.' && tokch(s[j + 1])); j++) {
			if (s[j] == '.') {
				dots++;
				if (seglen < minseg)
					minseg = seglen;
				seglen = 0;
				continue;
			}
			seglen++;
			if (s[j] >= '0' && s[j] <= '9')
				digits = 1;
			else if (s[j] != '-' && s[j] != '_')
				letters = 1;
		}
		if (seglen < minseg)
			minseg = seglen;
		n = j - i;
		secret = 0;
		rep = "[redacted]";
		if (strncmp(s + i, "sk-ant-", 7) == 0 && n > 7) {
			secret = 1;
			rep = "sk-ant-[redacted]";
		} else if (dots == 2 && strncmp(s + i, "eyJ", 3) == 0 && minseg >= 4) {
			secret = 1;
			rep = "[redacted JWT]";
		} else if (dots == 0 && n >= 40 && letters && digits) {
			secret = 1;
		}
		if (!secret) {
			while (i < j && o + 1 < sizeof(out))
				out[o++] = s[i++];
			continue;
		}
		for (; *rep != '\0' && o + 1 < sizeof(out); rep++)
			out[o++] = *rep;
		i = j;
	}
	out[o] = '\0';
	snprintf(s, size, "%s", out);
}

int
wif_err(int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	wif_redact(detail, sizeof(detail));
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
	wif_redact(detail, sizeof(detail));
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
