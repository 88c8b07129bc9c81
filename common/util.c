/* util.c - hex, randomness and clocks without libcrypto; see util.h. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_GETAUXVAL
#include <sys/auxv.h>
#endif

#include "util.h"
#include "err.h"

void
wif_hex(const uint8_t *in, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = h[in[i] >> 4];
		out[2 * i + 1] = h[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
wif_unhex(const char *in, size_t in_len, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	if (in_len != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = nibble(in[2 * i])) < 0 || (lo = nibble(in[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* getrandom(2) without flags blocks only until the kernel's pool was
 * first initialised, and never returns short for requests of <= 256
 * bytes; larger ones are looped. */
int
wif_random_bytes(void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return wif_err(WIF_E_CRYPTO, "no randomness available: "
			    "getrandom: %s", strerror(errno));
		}
		p += n;
		len -= (size_t)n;
	}
	return WIF_OK;
}

int64_t
wif_clock_now(void)
{
	return (int64_t)time(NULL);
}

int64_t
wif_clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
wif_setid(void)
{
#ifdef HAVE_GETAUXVAL
	if (getauxval(AT_SECURE) != 0)
		return 1;
#endif
	return getuid() != geteuid() || getgid() != getegid();
}
