/*
 * fuzz_spiffe_pb.c - the spiffe provider's gRPC framing and protobuf
 * decoder (plugins/spiffe/pb.h) compiled into the target itself, so that
 * the sanitizers and libFuzzer's coverage see every byte it touches
 * (fuzz_idp_response drives the same code through the loaded plugin).
 * Invariants: every span stays inside the input; a parse that succeeds
 * re-encodes the fields it found to the same bytes.
 *
 * Built with -DWIF_LIBFUZZER under -fsanitize=fuzzer, or (the default) with
 * a main() replaying every file of a corpus directory (argv[1], else
 * $WIF_TOP_SRCDIR/tests/fuzz/corpus/idp): the unit-test run.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/spiffe/pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct ctx {
	const uint8_t *lo, *hi;
	int n;
};

static int
inside(const struct ctx *c, const struct pb_span *s)
{
	return s->len == 0 || (s->p >= c->lo && s->p + s->len <= c->hi);
}

static int
each(const struct pb_svid *s, void *arg)
{
	struct ctx *c = arg;

	if (!inside(c, &s->spiffe_id) || !inside(c, &s->svid) ||
	    !inside(c, &s->hint))
		abort();
	c->n++;
	return c->n > 1000 ? 1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pb_span msg;
	struct ctx c = { data, data + size, 0 };
	uint8_t out[512];
	char s[200];
	size_t n;

	if (pb_grpc_message(data, size, &msg) == 0) {
		if (msg.p != data + 5 || msg.len != size - 5)
			abort();
		(void)pb_svids_each(msg.p, msg.len, each, &c);
	}
	(void)pb_svids_each(data, size, each, &c);
	/* the encoder: what it writes, the decoder reads back */
	n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;
	memcpy(s, data, n);
	s[n] = '\0';
	if ((n = pb_jwtsvid_request(out, sizeof(out), s, NULL)) != 0) {
		struct pb_span f;
		unsigned field, type;
		size_t pos = 0;

		if (pb_grpc_message(out, n, &msg) != 0 ||
		    pb_next(msg.p, msg.len, &pos, &field, &type, &f) != 1 ||
		    field != 1 || type != 2 || f.len != strlen(s) ||
		    memcmp(f.p, s, f.len) != 0)
			abort();
	}
	return 0;
}

#ifndef WIF_LIBFUZZER
int
main(int argc, char **argv)
{
	char cdir[4096], path[4400];
	const char *top = getenv("WIF_TOP_SRCDIR");
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (argc > 1)
		snprintf(cdir, sizeof(cdir), "%s", argv[1]);
	else
		snprintf(cdir, sizeof(cdir), "%s/tests/fuzz/corpus/idp", top ? top : ".");
	if ((d = opendir(cdir)) == NULL) {
		fprintf(stderr, "fuzz_spiffe_pb: cannot open corpus %s\n", cdir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		static uint8_t buf[65536];
		FILE *f;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", cdir, de->d_name);
		if ((f = fopen(path, "rb")) == NULL)
			continue;
		len = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		/* the corpus files carry 3 selector bytes for fuzz_idp_response */
		LLVMFuzzerTestOneInput(len > 3 ? buf + 3 : buf, len > 3 ? len - 3 : len);
		n++;
	}
	closedir(d);
	printf("fuzz_spiffe_pb: replayed %d inputs\n", n);
	return n > 0 ? 0 : 1;
}
#endif
