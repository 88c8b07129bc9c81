/*
 * fuzz_aws_xml.c - the aws provider's XML reader (plugins/aws/xml.h)
 * compiled into the target, on arbitrary documents, for every element name
 * the provider asks for.  Beyond "no crash, no UB": a returned text fits the
 * buffer and is NUL-terminated at its length; a document with a DOCTYPE or
 * ENTITY declaration is always refused.
 *
 * Built with -DWIF_LIBFUZZER under -fsanitize=fuzzer, or (the default) with
 * a main() replaying every file of a corpus directory (argv[1], else
 * $WIF_TOP_SRCDIR/tests/fuzz/corpus/xml): the unit-test run.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "WebIdentityToken", "Expiration",
	    "Code", "Message", "AccessKeyId", "SecretAccessKey", "SessionToken",
	    "b" };
	const char *doc = (const char *)data;
	char out[256];
	size_t i, j;
	long n;
	int dtd = 0;

	for (j = 0; j + 2 < size; j++)
		if (doc[j] == '<' && doc[j + 1] == '!' && strchr("DdEe", doc[j + 2]) &&
		    doc[j + 2] != '\0')
			dtd = 1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		memset(out, 'X', sizeof(out));
		n = xml_text(doc, size, names[i], out, sizeof(out));
		if (n >= 0 && ((size_t)n >= sizeof(out) || out[n] != '\0' || dtd))
			abort();
		if (n < -2)
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
		snprintf(cdir, sizeof(cdir), "%s/tests/fuzz/corpus/xml", top ? top : ".");
	if ((d = opendir(cdir)) == NULL) {
		fprintf(stderr, "fuzz_aws_xml: cannot open corpus %s\n", cdir);
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
		LLVMFuzzerTestOneInput(buf, len);
		n++;
	}
	closedir(d);
	printf("fuzz_aws_xml: replayed %d inputs\n", n);
	return n > 0 ? 0 : 1;
}
#endif
