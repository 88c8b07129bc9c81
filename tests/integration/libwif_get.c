/*
 * libwif_get.c - the consumer API as an application uses it (links only
 * libwif.so): libwif_get [-n] [PROFILE [MIN_VALID]] prints
 * "token=… expires_at=… profile=…" or "error rc=N: …" and exits 1.
 * -n: WIF_OPEN_NO_FALLBACK.  -w FILE: after the first token, wait until
 * FILE exists, then ask again on the same handle (its kept connection may
 * be gone: wifd restarted) and print the second result too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wif/wif.h>

int
main(int argc, char **argv)
{
	wif_handle *h = NULL;
	wif_credential *c = NULL;
	unsigned flags = 0;
	int i = 1, r;

	const char *wait_file = NULL;
	int round = 0;

	if (argc > i && strcmp(argv[i], "-n") == 0) {
		flags = WIF_OPEN_NO_FALLBACK;
		i++;
	}
	if (argc > i + 1 && strcmp(argv[i], "-w") == 0) {
		wait_file = argv[i + 1];
		i += 2;
	}
	if ((r = wif_open(NULL, flags, &h)) != WIF_OK) {
		printf("error rc=%d: %s\n", r, wif_strerror(r));
		return 1;
	}
again:
	r = wif_get_token(h, i < argc ? argv[i] : NULL,
	    i + 1 < argc ? atoi(argv[i + 1]) : 0, &c);
	if (r != WIF_OK) {
		printf("error rc=%d: %s\n", r, wif_error(h));
		wif_close(h);
		return 1;
	}
	printf("token=%s expires_at=%lld profile=%s\n", wif_credential_token(c),
	    (long long)wif_credential_expires_at(c), wif_credential_profile(c));
	wif_credential_free(c);
	if (wait_file != NULL && round++ == 0) {
		fflush(stdout);
		while (access(wait_file, F_OK) != 0)
			usleep(20000);
		goto again;
	}
	wif_close(h);
	return 0;
}
