/*
 * sigv4_cases.c - signs SigV4 cases read from stdin (one JSON object per
 * line: method, url, headers [[name, value], ...], body_hex, region,
 * service, amz_date, akid, secret) with plugins/aws/sigv4.h through the
 * core's host services, and prints one Authorization value per line (or
 * "ERROR <rc>").  Driven by tests/integration/sigv4_botocore.py, which
 * compares every line with botocore's signature of the same case.
 */
#include "config.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "secmem.h"
#include "../../plugins/aws/sigv4.h"

static const char *
str(json_object *o, const char *k)
{
	json_object *x;

	return json_object_object_get_ex(o, k, &x) ? json_object_get_string(x) : "";
}

int
main(void)
{
	struct wif_host_params hp;
	struct wif_host *h = NULL;
	static char line[1 << 20];
	int n = 0;

	memset(&hp, 0, sizeof(hp));
	hp.provider = "aws";
	hp.profile = "sigv4";
	if (wif_host_new(&hp, &h) != WIF_OK)
		return 1;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		json_object *o = json_tokener_parse(line), *hs, *pair;
		const char *hdrs[41];
		char hbuf[40][4200];
		unsigned char body[65536];
		const char *bh;
		struct sigv4 s;
		char *authz = NULL;
		size_t i, nh = 0, bl = 0;
		int r;

		if (o == NULL)
			return 1;
		memset(&s, 0, sizeof(s));
		if (json_object_object_get_ex(o, "headers", &hs))
			for (i = 0; i < json_object_array_length(hs) && nh < 40; i++) {
				pair = json_object_array_get_idx(hs, i);
				snprintf(hbuf[nh], sizeof(hbuf[nh]), "%s:%s",
				    json_object_get_string(json_object_array_get_idx(pair, 0)),
				    json_object_get_string(json_object_array_get_idx(pair, 1)));
				hdrs[nh] = hbuf[nh];
				nh++;
			}
		hdrs[nh] = NULL;
		for (bh = str(o, "body_hex"); bh[0] && bh[1] && bl < sizeof(body); bh += 2) {
			unsigned v;

			sscanf(bh, "%2x", &v);
			body[bl++] = (unsigned char)v;
		}
		s.method = str(o, "method");
		s.url = str(o, "url");
		s.headers = hdrs;
		s.body = body;
		s.body_len = bl;
		s.region = str(o, "region");
		s.service = str(o, "service");
		s.amz_date = str(o, "amz_date");
		s.akid = str(o, "akid");
		s.secret = str(o, "secret");
		r = sigv4_sign(h, &s, &authz);
		if (r == WIF_OK)
			printf("%s\n", authz);
		else
			printf("ERROR %d\n", r);
		wif_secmem_free(authz);
		json_object_put(o);
		n++;
	}
	wif_host_free(h);
	fflush(stdout);
	return n > 0 ? 0 : 1;
}
