/*
 * wifd_mint.c - wifd-mint, the helper wifd starts to mint tokens.
 *
 * It loads the configuration snapshot wifd hands it (--config-fd), loads
 * the provider plugins, checks every source, says ready (or why not), then
 * answers op=mint (one thread each: wif_mint()) and op=describe on its
 * socket (--socket-fd) until wifd closes it; then it lets the mints in
 * flight finish and exits.  It is wifd's only user of libcurl, OpenSSL and
 * the plugins.  Protocol: minter.h.  Not for running by hand.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"
#include "core.h"
#include "err.h"
#include "log.h"
#include "mint.h"
#include "mintwire.h"
#include "secmem.h"
#include "wire.h"

struct helper {
	struct wif_core *core;
	int fd;
	pthread_mutex_t mu;            /* sends, inflight */
	pthread_cond_t idle;
	int inflight;
};

struct job {
	struct helper *h;
	uint64_t id;
	char profile[256];
	uint8_t last[32];
	int has_last;
};

static void
send_frame(struct helper *h, const char *buf, size_t len)
{
	pthread_mutex_lock(&h->mu);
	if (send(h->fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		log_debug("wifd-mint: send: %s", strerror(errno));
	pthread_mutex_unlock(&h->mu);
}

/* A small reply: op, id, rc and optional extra field. */
static void
send_small(struct helper *h, const char *op, uint64_t id, int rc,
           const char *key, const char *value)
{
	char buf[WIF_ERR_MAX + 1024];
	size_t len;

	wif_wire_begin(buf, &len);
	if (wif_wire_add(buf, sizeof(buf), &len, "op", op) != 0 ||
	    (id != 0 && wif_wire_addf(buf, sizeof(buf), &len, "id", "%llu",
	    (unsigned long long)id) != 0) ||
	    wif_wire_addf(buf, sizeof(buf), &len, "rc", "%d", rc) != 0 ||
	    (key != NULL && wif_wire_add(buf, sizeof(buf), &len, key, value) != 0))
		return;
	send_frame(h, buf, wif_wire_end(buf, len));
}

static void *
mint_main(void *arg)
{
	struct job *j = arg;
	struct helper *h = j->h;
	struct wif_mint_report rep;
	struct wif_token *t = NULL;
	char *buf;
	size_t len = 0;
	int r;

	r = wif_mint(h->core, j->profile, j->has_last ? j->last : NULL, &t, &rep);
	if ((buf = wif_secmem_alloc(WIFD_MINT_MAX)) != NULL) {
		len = wifd_mint_reply_encode(buf, j->id, r,
		    r == WIF_OK ? NULL : wif_err_detail(), t, &rep);
		if (len == 0)
			len = wifd_mint_reply_encode(buf, j->id, WIF_E_TOO_BIG,
			    "the token is too large for wifd's wire protocol",
			    NULL, &rep);
		if (len > 0)
			send_frame(h, buf, len);
		wif_wipe(buf, WIFD_MINT_MAX);
		wif_secmem_free(buf);
	}
	if (len == 0)
		send_small(h, "minted", j->id, WIF_E_NOMEM, "error", "out of memory "
		    "in the mint helper");
	wif_token_free(t);
	free(j);
	/* this thread's OpenSSL state (its DRBG, error queue) goes with it,
	 * also when the process exits while the thread is still ending */
	OPENSSL_thread_stop();
	pthread_mutex_lock(&h->mu);
	if (--h->inflight == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void
on_mint(struct helper *h, const struct wif_wire_msg *m, uint64_t id)
{
	const char *profile = wif_wire_get(m, "profile"), *last;
	pthread_attr_t at;
	pthread_t th;
	struct job *j;
	int err;

	if (profile == NULL || strlen(profile) >= sizeof(j->profile)) {
		send_small(h, "minted", id, WIF_E_PROTOCOL, "error",
		    "mint request without a profile");
		return;
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		send_small(h, "minted", id, WIF_E_NOMEM, "error", "out of memory");
		return;
	}
	j->h = h;
	j->id = id;
	snprintf(j->profile, sizeof(j->profile), "%s", profile);
	if ((last = wif_wire_get(m, "last")) != NULL &&
	    wif_unhex(last, strlen(last), j->last, sizeof(j->last)) == 0)
		j->has_last = 1;
	pthread_mutex_lock(&h->mu);
	h->inflight++;
	pthread_mutex_unlock(&h->mu);
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&th, &at, mint_main, j);
	pthread_attr_destroy(&at);
	if (err != 0) {
		pthread_mutex_lock(&h->mu);
		h->inflight--;
		pthread_mutex_unlock(&h->mu);
		free(j);
		send_small(h, "minted", id, WIF_E_NOMEM, "error",
		    "the mint helper cannot start a thread");
	}
}

static void
on_describe(struct helper *h, const struct wif_wire_msg *m, uint64_t id)
{
	const char *profile = wif_wire_get(m, "profile");
	char text[1024];
	int64_t idx;

	if (profile == NULL || wif_wire_get_i64(m, "index", &idx) != 0 ||
	    idx < 0 || wif_core_describe_source(h->core, profile, (size_t)idx,
	    text, sizeof(text)) != WIF_OK) {
		send_small(h, "described", id, WIF_E_NOT_FOUND, NULL, NULL);
		return;
	}
	send_small(h, "described", id, WIF_OK, "text", text);
}

static void
wait_idle(struct helper *h)
{
	pthread_mutex_lock(&h->mu);
	while (h->inflight > 0)
		pthread_cond_wait(&h->idle, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

static int
serve(struct helper *h)
{
	struct wif_wire_msg m;
	const char *why, *op;
	char *buf;
	int64_t id;
	ssize_t n;

	if ((buf = malloc(WIFD_MINT_MAX)) == NULL)
		return 1;
	for (;;) {
		n = recv(h->fd, buf, WIFD_MINT_MAX, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;                  /* wifd closed its end */
		if (n > WIFD_MINT_MAX ||
		    wif_wire_frame_size((unsigned char *)buf, (size_t)n) != n ||
		    wif_wire_parse(buf + 4, (size_t)n - 4, &m, &why) != 0 ||
		    (op = wif_wire_get(&m, "op")) == NULL ||
		    wif_wire_get_i64(&m, "id", &id) != 0 || id <= 0) {
			log_warnx("wifd-mint: malformed request from wifd; "
			    "exiting");
			free(buf);
			wait_idle(h);   /* no mint may outlive the core */
			return 1;
		}
		if (strcmp(op, "mint") == 0)
			on_mint(h, &m, (uint64_t)id);
		else if (strcmp(op, "describe") == 0)
			on_describe(h, &m, (uint64_t)id);
		else
			send_small(h, "error", (uint64_t)id, WIF_E_PROTOCOL,
			    "error", "unknown op");
	}
	free(buf);
	/* the mints in flight finish; their replies go nowhere */
	wait_idle(h);
	return 0;
}

static int
fd_arg(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' || v < 0 || v > 1024 ? -1 : (int)v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket-fd", required_argument, NULL, 's' },
		{ "config-fd", required_argument, NULL, 'c' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "respawn", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct helper h;
	struct stat st;
	int ch, cfd = -1, level = WIF_LOG_NOTICE, r, respawn = 0;

	memset(&h, 0, sizeof(h));
	h.fd = -1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 's': h.fd = fd_arg(optarg); break;
		case 'c': cfd = fd_arg(optarg); break;
		case 'l': level = atoi(optarg); break;
		case 'r': respawn = 1; break;
		default: goto usage;
		}
	}
	if (optind != argc || h.fd < 0 || cfd < 0 || fstat(h.fd, &st) != 0 ||
	    !S_ISSOCK(st.st_mode))
		goto usage;
	/* No PR_SET_PDEATHSIG: it fires when the *thread* that started us
	 * ends, and wifd starts helpers from short-lived threads.  When wifd
	 * dies its end of the socket closes, and we exit once our mints are
	 * done.  Nothing of systemd's protocol is ours to speak. */
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	unsetenv("NOTIFY_SOCKET");
	wif_log_init("wifd-mint", WIF_LOG_STDERR, level);
	pthread_mutex_init(&h.mu, NULL);
	pthread_cond_init(&h.idle, NULL);
	/* A respawn (not the configuration's first helper) neither checks
	 * the files the configuration names nor initialises every source:
	 * wifd checked them at load, and what fails now fails alone. */
	if (respawn)
		wif_config_set_path_checks(0);
	r = wif_core_open_snapshot(cfd, &h.core);
	close(cfd);
	if (r == WIF_OK && !respawn)
		r = wif_core_check(h.core);
	if (r != WIF_OK) {
		send_small(&h, "error", 0, r, "error", wif_err_detail());
		wif_core_close(h.core);
		return 3;
	}
	send_small(&h, "ready", 0, WIF_OK, NULL, NULL);
	r = serve(&h);
	wif_core_close(h.core);
	return r;
usage:
	fprintf(stderr, "wifd-mint is started by wifd(8), not by hand: it "
	    "needs the socket and configuration wifd passes it. See "
	    "wifd-mint(8).\n");
	return 2;
}
