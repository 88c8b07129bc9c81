/*
 * fuzz_jwt.c - the JWT decoder (wif_jwt_decode) and the time checks on
 * arbitrary input.  Beyond "no crash, no leak, no UB": a decoded token has
 * an alg other than "none", and the error detail never contains the input's
 * signature part.
 *
 * Built with -DWIF_LIBFUZZER under -fsanitize=fuzzer, or (the default) with
 * a main() replaying every file of a corpus directory (argv[1], else
 * $WIF_TOP_SRCDIR/tests/fuzz/corpus/jwt): the unit-test run.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wif_jwt_claims *c = NULL;
	const char *in = (const char *)data, *sig;
	char *copy;
	int r;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	r = wif_jwt_decode(in, size, &c);
	if (r == WIF_OK) {
		if (c->alg == NULL || strcmp(c->alg, "none") == 0)
			abort();
		(void)wif_jwt_check_time(c, 1900000000);
		(void)wif_jwt_has_aud(c, "https://api.anthropic.com");
		wif_jwt_claims_free(c);
	} else {
		if (c != NULL)
			abort();
		sig = strrchr(copy, '.');
		/* The signature is the credential part: never echoed. */
		if (sig != NULL && strlen(sig) > 12 && strlen(sig) == strspn(sig,
		    ".ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") &&
		    strstr(wif_err_detail(), sig + 1) != NULL)
			abort();
	}
	free(copy);
	return 0;
}

#ifndef WIF_LIBFUZZER
int
main(int argc, char **argv)
{
	char dir[4096], path[4400];
	const char *top = getenv("WIF_TOP_SRCDIR");
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/jwt", top ? top : ".");
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "fuzz_jwt: cannot open corpus %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		uint8_t buf[65536];
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len);
		n++;
	}
	closedir(d);
	printf("fuzz_jwt: replayed %d inputs\n", n);
	return n > 0 ? 0 : 1;
}
#endif
