/*
 * fuzz_idp_response.c - what the github, gcp, okta, k8s, spiffe and azure
 * plugins parse: an arbitrary answer (status, headers, body) to their HTTP request
 * (for spiffe a gRPC message: framing and protobuf, plugins/spiffe/pb.h),
 * and for k8s's file mode an arbitrary token file (whose payload it decodes
 * for the aud check).  Input: byte 0 picks the plugin, byte 1 the status, byte 2
 * the headers, the rest is the body (or file).  Beyond "no crash, no leak,
 * no UB": success always comes with a token, failure always with an error
 * detail and no token, and no detail or log line ever holds the request's
 * secrets (the bearer, the client secret).
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
#include <sys/stat.h>
#include <unistd.h>

#include "fakehost.h"

#define BEARER "GHREQTOKEN-do-not-leak"
#define SECRET "client-SECRET-do-not-leak"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct wif_provider *P[6];
static char dir[256];

static int
setup(void)
{
	static const char *const names[] = { "github", "gcp", "okta", "k8s",
	    "spiffe", "azure" };
	char path[400];
	FILE *f;
	int i;

	if (P[0] != NULL)
		return 0;
	for (i = 0; i < 6; i++)
		if ((P[i] = fh_load(names[i])) == NULL)
			return -1;
	snprintf(dir, sizeof(dir), "%s/wif-fuzz-idp-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/secret", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fputs(SECRET "\n", f);
	fclose(f);
	chmod(path, 0600);
	setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "https://gh.example/t?v=2", 1);
	setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", BEARER, 1);
	setenv("GCE_METADATA_HOST", "127.0.0.1:1", 1);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 201, 400, 401, 403, 404, 500, 302 };
	static const char *const headers[] = { "", "Metadata-Flavor: Google",
	    "DPoP-Nonce: n\nMetadata-Flavor: Google", "metadata-flavor: google",
	    "grpc-status: 0", "grpc-status: 7\ngrpc-message: no%20identity%ZZ",
	    "content-type: application/grpc\ngrpc-status: 0", "grpc-status: x" };
	char secret[400], tokfile[400], sa[400];
	const char *okta[] = { "token_url",
	    "https://o.example/oauth2/default/v1/token", "client_id", "c",
	    "scope", "s", "client_secret_file", secret, NULL };
	const char *k8s_tr[] = { "mode", "token_request", "api_server",
	    "https://127.0.0.1:1", "namespace", "ns", "service_account", "sa",
	    "bearer_token_file", sa, "ca_file", "/nonexistent", NULL };
	const char *k8s_file[] = { "token_file", tokfile, "rotation_wait", "0",
	    NULL };
	const char *none[] = { NULL };
	const char *spiffe[] = { "endpoint", "unix:///nonexistent/agent.sock",
	    NULL };
	const char *azure[] = { "resource", "api://app", "mode", "imds",
	    "imds_endpoint", "http://127.0.0.1:1", NULL };
	const char *const *kv = none;
	const struct wif_provider *p;
	const struct wif_host *h;
	struct wif_fetch_request req;
	char *jwt = NULL, *body;
	void *st = NULL;
	int which, r;
	FILE *f;

	if (size < 3 || setup() != 0)
		return 0;
	which = data[0] % 7;
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	snprintf(tokfile, sizeof(tokfile), "%s/token", dir);
	snprintf(sa, sizeof(sa), "%s/sa", dir);
	if ((body = malloc(size - 3 + 1)) == NULL)
		return 0;
	memcpy(body, data + 3, size - 3);
	body[size - 3] = '\0';
	fh_reset();
	p = P[which < 4 ? which : which == 4 ? 3 : which == 5 ? 4 : 5];
	if (which == 2)
		kv = okta;
	else if (which == 5)
		kv = spiffe;
	else if (which == 6)
		kv = azure;
	else if (which == 3 || which == 4) {
		/* the body is the token file (k8s file) or the pod token */
		if ((f = fopen(which == 4 ? tokfile : sa, "w")) != NULL) {
			fwrite(body, 1, size - 3, f);
			fclose(f);
		}
		kv = which == 4 ? k8s_file : k8s_tr;
	}
	FH.resp[0] = (struct fh_resp){ WIF_OK, statuses[data[1] % 8], body,
	    size - 3, headers[data[2] % 8] };
	FH.n_resp = 1;
	if ((h = fh_host(p->name, kv)) == NULL || p->init(h, &st) != WIF_OK) {
		free(body);
		return 0;
	}
	fh_req_init(&req);
	wif_err_clear();
	r = p->fetch_identity_token(st, &req, &jwt);
	if ((r == WIF_OK) != (jwt != NULL))
		abort();
	if (r != WIF_OK && wif_err_detail()[0] == '\0')
		abort();
	if (strstr(wif_err_detail(), BEARER) || strstr(wif_err_detail(), SECRET) ||
	    strstr(FH.log, BEARER) || strstr(FH.log, SECRET))
		abort();
	wif_secmem_free(jwt);
	p->destroy(st);
	fh_done();
	free(body);
	return 0;
}

#ifndef WIF_LIBFUZZER
int
main(int argc, char **argv)
{
	char cdir[4096], path[4400], cmd[300];
	const char *top = getenv("WIF_TOP_SRCDIR");
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (argc > 1)
		snprintf(cdir, sizeof(cdir), "%s", argv[1]);
	else
		snprintf(cdir, sizeof(cdir), "%s/tests/fuzz/corpus/idp", top ? top : ".");
	if ((d = opendir(cdir)) == NULL) {
		fprintf(stderr, "fuzz_idp_response: cannot open corpus %s\n", cdir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		static uint8_t buf[65536];
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
	if (dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	printf("fuzz_idp_response: replayed %d inputs\n", n);
	return n > 0 ? 0 : 1;
}
#endif
