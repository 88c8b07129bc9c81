/*
 * fuzz_exchange_response.c - the token-exchange response parser
 * (wif_exchange_parse_response) on arbitrary answers.
 *
 * Input, like a tiny HTTP response:
 *   "<status>[ rfc8693]\n"           the status; rfc8693 picks that kind
 *   "<name>: <value>\n" ...          request-id, retry-after,
 *                                     retry-after-ms, location
 *   "\n"
 *   <body>                           the rest, NOT NUL-terminated
 * Checks, beyond "no crash, no leak, no UB": a success carries a non-empty
 * printable token that expires after now; the redacted message and the
 * error type stay within their bounds and free of control characters.
 *
 * Built two ways: with -DWIF_LIBFUZZER under -fsanitize=fuzzer, or (the
 * default) with a main() that replays every file of a corpus directory
 * (argv[1], else $WIF_TOP_SRCDIR/tests/fuzz/corpus/exchange): the unit
 * test run.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exchange.h"

#define FUZZ_NOW ((int64_t)1900000000)
#define FUZZ_HDR_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_exchange_response: invariant broken: %s\n",
		    what);
		abort();
	}
}

static int
clean(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Copy the line [p, eol) into dst (NUL-terminated, truncated). */
static void
take(char *dst, const char *p, const char *eol)
{
	size_t n = (size_t)(eol - p);

	if (n >= FUZZ_HDR_MAX)
		n = FUZZ_HDR_MAX - 1;
	memcpy(dst, p, n);
	dst[n] = '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *eol, *v;
	char line[FUZZ_HDR_MAX], rid[FUZZ_HDR_MAX], ra[FUZZ_HDR_MAX],
	    ram[FUZZ_HDR_MAX], loc[FUZZ_HDR_MAX];
	struct wif_exchange_response er;
	struct wif_exchange_status st;
	struct wif_token *t = NULL;
	char *body;
	int type = WIF_EXCHANGE_ANTHROPIC, r, first = 1;
	size_t i;

	memset(&er, 0, sizeof(er));
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		take(line, p, eol);
		p = eol < end ? eol + 1 : end;
		if (line[0] == '\0')
			break;
		if (first) {
			er.status = strtol(line, NULL, 10);
			if (strstr(line, "rfc8693") != NULL)
				type = WIF_EXCHANGE_TOKEN_EXCHANGE;
			first = 0;
			continue;
		}
		if ((v = strchr(line, ':')) == NULL)
			continue;
		for (v++; *v == ' '; v++)
			;
		if (strncasecmp(line, "request-id:", 11) == 0) {
			snprintf(rid, sizeof(rid), "%s", v);
			er.request_id = rid;
		} else if (strncasecmp(line, "retry-after-ms:", 15) == 0) {
			snprintf(ram, sizeof(ram), "%s", v);
			er.retry_after_ms = ram;
		} else if (strncasecmp(line, "retry-after:", 12) == 0) {
			snprintf(ra, sizeof(ra), "%s", v);
			er.retry_after = ra;
		} else if (strncasecmp(line, "location:", 9) == 0) {
			snprintf(loc, sizeof(loc), "%s", v);
			er.location = loc;
		}
	}
	/* An exact-size copy, so reading past the body is an ASan error. */
	er.body_len = (size_t)(end - p);
	if ((body = malloc(er.body_len ? er.body_len : 1)) == NULL)
		return 0;
	memcpy(body, p, er.body_len);
	er.body = body;

	r = wif_exchange_parse_response(type, "https://fuzz.example", &er,
	    FUZZ_NOW, FUZZ_NOW + 600, &t, &st);
	if (r == WIF_OK) {
		check(t != NULL && t->access_token != NULL, "token on success");
		check(t->access_token_len > 0 &&
		    strlen(t->access_token) == t->access_token_len, "token length");
		for (i = 0; i < t->access_token_len; i++)
			check((unsigned char)t->access_token[i] > 0x20 &&
			    (unsigned char)t->access_token[i] < 0x7f,
			    "printable token");
		check(t->expires_at > FUZZ_NOW && t->expires_at <= FUZZ_NOW +
		    WIF_EXCHANGE_MAX_EXPIRES_IN, "expiry in range");
		check(er.status == 200 && st.consumed, "success only on 200");
	} else {
		check(t == NULL, "no token on failure");
	}
	check(strlen(st.message) <= 256 && clean(st.message), "message");
	check(strlen(st.error_type) < sizeof(st.error_type) &&
	    clean(st.error_type), "error type");
	check(strlen(st.request_id) < sizeof(st.request_id) &&
	    clean(st.request_id), "request id");
	check(st.retry_after_ms >= -1 && st.retry_after_ms <= 60000,
	    "retry-after bounds");
	wif_token_free(t);
	free(body);
	return 0;
}

#ifndef WIF_LIBFUZZER
static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	if ((buf = malloc(WIF_EXCHANGE_MAX_BODY + 4096)) == NULL) {
		fclose(f);
		return 1;
	}
	n = fread(buf, 1, WIF_EXCHANGE_MAX_BODY + 4096, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

int
main(int argc, char **argv)
{
	char dir[4096], path[8192];
	const char *top = getenv("WIF_TOP_SRCDIR");
	struct dirent **ents = NULL;
	int i, n, failed = 0, ran = 0;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/exchange",
		    top != NULL ? top : ".");
	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0) {
		perror(dir);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
			failed |= replay_file(path);
			ran++;
		}
		free(ents[i]);
	}
	free(ents);
	printf("replayed %d inputs from %s\n", ran, dir);
	return failed || ran == 0;
}
#endif
