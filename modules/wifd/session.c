/*
 * session.c - login sessions (pam_wif): a per-user directory that the
 * official SDKs read through ANTHROPIC_CONFIG_DIR and ANTHROPIC_PROFILE,
 * kept fresh by wifd for as long as the user has a session.
 *
 *   <session_dir>/<uid>/                     0700, owned by the user
 *   <session_dir>/<uid>/configs/<p>.json     the SDK's profile file (oidc_federation)
 *   <session_dir>/<uid>/credentials/<p>.json the SDK's credentials file, 0600
 *   <session_dir>/.state                     root's list of open sessions
 *
 * The SDK reuses the credentials file while it is valid for more than 30 s
 * (PROTOCOL.md §4) and wifd replaces it before the advisory window, so an
 * SDK process never exchanges on its own.  Its profile file names an
 * identity-token file that does not exist: were the credentials ever
 * stale, the SDK would fail saying so instead of spending an assertion.
 *
 * The user owns the directory, and wifd runs as root: every file is reached
 * from a directory descriptor opened without following links, written to a
 * fresh temporary name and renamed into place (rename replaces a planted
 * link, it never writes through one), so nothing the user puts there makes
 * wifd write elsewhere.  Closing removes only the files wifd wrote.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crypto.h"
#include "err.h"
#include "fileio.h"
#include "log.h"
#include "secmem.h"
#include "sink.h"
#include "wifd.h"

#define SESSIONS_MAX 4096
#define CRED_MAX 16384

struct wifd_session {
	uid_t uid;
	gid_t gid;
	char user[64];
	char profile[160];
	int count;                      /* open PAM sessions */
	struct wifd_session *next;
};

/* The user's credentials as a peer, for the allow lists. */
static int
user_peer(const char *user, struct wif_peer *p)
{
	struct passwd pw, *pr = NULL;
	char buf[16384];
	gid_t groups[WIF_PEER_GROUPS_MAX];
	int n = WIF_PEER_GROUPS_MAX, i;

	memset(p, 0, sizeof(*p));
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &pr) != 0 || pr == NULL)
		return wif_err(WIF_E_NOT_FOUND, "user %.64s is not a user on this "
		    "host (getent passwd)", user);
	p->uid = pr->pw_uid;
	p->gid = pr->pw_gid;
	p->pid = -1;
	if (getgrouplist(pr->pw_name, pr->pw_gid, groups, &n) < 0)
		return wif_err(WIF_E_TOO_BIG, "user %.64s is in more than %d "
		    "groups", user, WIF_PEER_GROUPS_MAX);
	for (i = 0; i < n; i++)
		p->groups[i] = groups[i];
	p->n_groups = (size_t)n;
	p->groups_known = 1;
	p->described = 1;               /* no process: no /proc to read */
	return WIF_OK;
}

/* The session directory: created 0755 when absent; root's, a directory,
 * writable by nobody else.  A descriptor, or -1 with the error set. */
static int
root_dir(const char *sdir)
{
	struct stat st;
	int fd;

	if (mkdir(sdir, 0755) != 0 && errno != EEXIST) {
		wif_err(WIF_E_IO, "session_dir %s: cannot create it: %s (its "
		    "parent must exist)", sdir, strerror(errno));
		return -1;
	}
	if ((fd = open(sdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		wif_err(WIF_E_IO, "session_dir %s: %s", sdir, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		close(fd);
		wif_err(WIF_E_PERM, "session_dir %s must belong to wifd's user "
		    "and be writable by no one else", sdir);
		return -1;
	}
	return fd;
}

/* A subdirectory of dfd that is a real directory (never a link) owned by
 * uid:gid with mode; created when create is set. */
static int
sub_dir(int dfd, const char *name, uid_t uid, gid_t gid, int create)
{
	struct stat st;
	int fd;

	if (create && mkdirat(dfd, name, 0700) != 0 && errno != EEXIST)
		return -1;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) != 0 || (create && ((st.st_uid != uid &&
	    fchown(fd, uid, gid) != 0) || ((st.st_mode & 07777) != 0700 &&
	    fchmod(fd, 0700) != 0)))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Atomically (re)place name in dfd: a new file under a random name,
 * written, fsynced, given to uid:gid with mode, renamed over name. */
static int
write_at(int dfd, const char *name, const char *data, size_t len, uid_t uid,
         gid_t gid, mode_t mode)
{
	char tmp[NAME_MAX + 1], hex[17];
	uint8_t rnd[8];
	size_t off = 0;
	ssize_t w;
	int fd;

	if (wif_random_bytes(rnd, sizeof(rnd)) != WIF_OK)
		return -1;
	wif_hex(rnd, sizeof(rnd), hex);
	snprintf(tmp, sizeof(tmp), ".%.200s.%s", name, hex);
	if ((fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fchown(fd, uid, gid) != 0 || fchmod(fd, mode) != 0 ||
	    fsync(fd) != 0)
		goto fail;
	close(fd);
	if (renameat(dfd, tmp, dfd, name) != 0) {
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	(void)fsync(dfd);
	return 0;
fail:
	close(fd);
	unlinkat(dfd, tmp, 0);
	return -1;
}

/* The SDK's profile file for cp (no secrets). */
static char *
profile_json(const struct wif_config_profile *cp, const char *udir)
{
	const struct wif_config_exchange *x = &cp->exchange;
	json_object *o = json_object_new_object(), *a = json_object_new_object(),
	    *it = json_object_new_object();
	char path[PATH_MAX];
	char *s;

	snprintf(path, sizeof(path), "%s/no-identity-token: wifd keeps "
	    "credentials/%s.json fresh", udir, cp->name);
	json_object_object_add(o, "version", json_object_new_string("1.0"));
	json_object_object_add(a, "type", json_object_new_string("oidc_federation"));
	json_object_object_add(a, "federation_rule_id",
	    json_object_new_string(x->federation_rule_id));
	if (x->service_account_id != NULL)
		json_object_object_add(a, "service_account_id",
		    json_object_new_string(x->service_account_id));
	json_object_object_add(it, "source", json_object_new_string("file"));
	json_object_object_add(it, "path", json_object_new_string(path));
	json_object_object_add(a, "identity_token", it);
	json_object_object_add(o, "authentication", a);
	json_object_object_add(o, "organization_id",
	    json_object_new_string(x->organization_id));
	if (x->workspace_id != NULL)
		json_object_object_add(o, "workspace_id",
		    json_object_new_string(x->workspace_id));
	json_object_object_add(o, "base_url", json_object_new_string(
	    x->base_url ? x->base_url : WIF_DEFAULT_BASE_URL));
	s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

static const char *
session_dir_of(struct wifd *d)
{
	return d->session_dir;
}

/*
 * Write what the SDK reads for session s: the profile file always, the
 * credentials when t is given.  Under sess_mu.
 */
static int
session_write(struct wifd *d, const struct wifd_session *s,
              const struct wif_config_profile *cp, const struct wif_token *t)
{
	char uname[32], udir[PATH_MAX], fname[200], *js = NULL, *cred = NULL;
	int root = -1, ufd = -1, cfd = -1, kfd = -1, r = WIF_E_IO;
	size_t n = 0;

	snprintf(uname, sizeof(uname), "%u", (unsigned)s->uid);
	snprintf(udir, sizeof(udir), "%s/%s", session_dir_of(d), uname);
	snprintf(fname, sizeof(fname), "%s.json", s->profile);
	if ((root = root_dir(session_dir_of(d))) == -1)
		return WIF_E_IO;
	if ((ufd = sub_dir(root, uname, s->uid, s->gid, 1)) == -1 ||
	    (cfd = sub_dir(ufd, "configs", s->uid, s->gid, 1)) == -1 ||
	    (kfd = sub_dir(ufd, "credentials", s->uid, s->gid, 1)) == -1) {
		wif_err(WIF_E_IO, "%s: cannot prepare it for user %s: %s (a "
		    "directory there is not wifd's to use)", udir, s->user,
		    strerror(errno));
		goto out;
	}
	if ((js = profile_json(cp, udir)) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if (write_at(cfd, fname, js, strlen(js), s->uid, s->gid, 0600) != 0) {
		wif_err(WIF_E_IO, "%s/configs/%s: %s", udir, fname,
		    strerror(errno));
		goto out;
	}
	if (t != NULL) {
		if ((cred = wif_secmem_alloc(CRED_MAX)) == NULL) {
			r = wif_err(WIF_E_NOMEM, "out of memory");
			goto out;
		}
		if ((r = wif_sink_render("anthropic-credentials", udir,
		    s->profile, t, cred, CRED_MAX, &n)) != WIF_OK)
			goto out;
		if (write_at(kfd, fname, cred, n, s->uid, s->gid, 0600) != 0) {
			r = wif_err(WIF_E_IO, "%s/credentials/%s: %s", udir,
			    fname, strerror(errno));
			goto out;
		}
	}
	r = WIF_OK;
out:
	wif_secmem_free(cred);
	free(js);
	if (kfd >= 0)
		close(kfd);
	if (cfd >= 0)
		close(cfd);
	if (ufd >= 0)
		close(ufd);
	close(root);
	return r;
}

/* Remove the files of session s; the directories too when it was the
 * user's last (only if empty: what the user put there stays).  Under
 * sess_mu. */
static void
session_remove(struct wifd *d, const struct wifd_session *s, int last)
{
	char uname[32], fname[200];
	int root, ufd, fd;

	snprintf(uname, sizeof(uname), "%u", (unsigned)s->uid);
	snprintf(fname, sizeof(fname), "%s.json", s->profile);
	if ((root = root_dir(session_dir_of(d))) == -1)
		return;
	if ((ufd = openat(root, uname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		close(root);
		return;
	}
	if ((fd = openat(ufd, "credentials", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) != -1) {
		(void)unlinkat(fd, fname, 0);
		close(fd);
	}
	if ((fd = openat(ufd, "configs", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) != -1) {
		(void)unlinkat(fd, fname, 0);
		close(fd);
	}
	if (last) {
		(void)unlinkat(ufd, "credentials", AT_REMOVEDIR);
		(void)unlinkat(ufd, "configs", AT_REMOVEDIR);
		if (unlinkat(root, uname, AT_REMOVEDIR) != 0 && errno != ENOENT)
			log_info("session directory %s/%s left in place: %s "
			    "(it holds files wifd did not write)",
			    session_dir_of(d), uname, strerror(errno));
	}
	close(ufd);
	close(root);
}

/* root's record of the open sessions, so that a restarted wifd keeps them
 * fresh: "uid gid count user profile" per line.  Under sess_mu. */
static void
state_save(struct wifd *d)
{
	char path[PATH_MAX], *buf;
	size_t cap = 256 * (size_t)(d->n_sessions + 1), used = 0;
	struct wifd_session *s;

	if ((buf = malloc(cap)) == NULL)
		return;
	buf[0] = '\0';
	for (s = d->sessions; s != NULL; s = s->next)
		used += (size_t)snprintf(buf + used, cap - used, "%u %u %d %s %s\n",
		    (unsigned)s->uid, (unsigned)s->gid, s->count, s->user,
		    s->profile);
	snprintf(path, sizeof(path), "%s/.state", session_dir_of(d));
	if (wif_write_file_atomic(path, buf, used, 0600, (uid_t)-1,
	    (gid_t)-1) != WIF_OK)
		log_warnx("sessions: %s", wif_err_detail());
	free(buf);
}

static struct wifd_session *
session_find(struct wifd *d, uid_t uid, const char *profile)
{
	struct wifd_session *s;

	for (s = d->sessions; s != NULL; s = s->next)
		if (s->uid == uid && strcmp(s->profile, profile) == 0)
			return s;
	return NULL;
}

static int
user_has_other(struct wifd *d, const struct wifd_session *x)
{
	struct wifd_session *s;

	for (s = d->sessions; s != NULL; s = s->next)
		if (s != x && s->uid == x->uid)
			return 1;
	return 0;
}

static void
session_unlink(struct wifd *d, struct wifd_session *x)
{
	struct wifd_session **pp;

	for (pp = &d->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			d->n_sessions--;
			free(x);
			return;
		}
}

static void
mark_used(struct wifd *d, const char *profile)
{
	struct wifd_profile *ps = wifd_profile_get(d, profile);

	if (ps != NULL) {
		pthread_mutex_lock(&d->prof_mu);
		ps->used = 1;
		pthread_mutex_unlock(&d->prof_mu);
	}
}

static void
audit_session(struct wifd *d, struct wif_peer *peer, const char *event,
              const char *profile, const char *user, const char *result)
{
	struct wif_audit_event ev;
	char res[300];

	memset(&ev, 0, sizeof(ev));
	ev.event = event;
	ev.profile = profile;
	ev.uid = peer->uid;
	ev.pid = peer->pid;
	if (wif_audit_enabled(d->audit))
		wif_peer_ensure(peer);
	ev.exe = peer->exe;
	ev.unit = peer->unit;
	snprintf(res, sizeof(res), "%s user=%s", result, user);
	ev.result = res;
	wif_audit_event(d->audit, &ev);
}

int
wifd_session_op(struct wifd *d, struct wif_peer *peer,
                const struct wif_wire_msg *req, int open, char *out,
                size_t *len)
{
	const char *user = wif_wire_get(req, "user");
	const struct wif_config_profile *cp;
	struct wif_cache_policy pol;
	struct wifd_session *s;
	struct wif_peer up;
	struct wif_token *t = NULL;
	char profile[160], udir[PATH_MAX];
	int r, last;

	if (user == NULL || user[0] == '\0' || strlen(user) >= 64) {
		wifd_reply_error(out, len, WIF_E_INVALID_ARG, "a session needs "
		    "user=<login name>");
		return 0;
	}
	if ((r = user_peer(user, &up)) != WIF_OK) {
		wifd_reply_error(out, len, r, "%s", wif_err_detail());
		return 0;
	}
	/* A login service runs as root; anyone else speaks for itself. */
	if (peer->uid != 0 && peer->uid != up.uid) {
		audit_session(d, peer, "deny", "", user, "session for another user");
		wif_metrics_inc(d->metrics, "deny", NULL);
		wifd_reply_error(out, len, WIF_E_DENIED, "uid %u may not open or "
		    "close sessions of user %.64s: only root (the PAM module in "
		    "a login service) or the user itself may",
		    (unsigned)peer->uid, user);
		return 0;
	}
	pthread_rwlock_rdlock(&d->cfg_lock);
	cp = wifd_pick_profile(d, &up, wif_wire_get(req, "profile"), out, len);
	if (cp != NULL && open && cp->exchange.type != WIF_EXCHANGE_ANTHROPIC) {
		wifd_reply_error(out, len, WIF_E_INVALID_ARG, "profile %s does "
		    "not exchange with Anthropic (exchange.type): an SDK session "
		    "needs an anthropic profile", cp->name);
		cp = NULL;
	}
	if (cp != NULL) {
		snprintf(profile, sizeof(profile), "%s", cp->name);
		pol.advisory = cp->advisory;
		pol.mandatory = cp->mandatory;
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	if (cp == NULL)
		return 0;
	snprintf(udir, sizeof(udir), "%s/%u", session_dir_of(d),
	    (unsigned)up.uid);

	if (!open) {
		pthread_mutex_lock(&d->sess_mu);
		if ((s = session_find(d, up.uid, profile)) != NULL &&
		    --s->count <= 0) {
			last = !user_has_other(d, s);
			session_remove(d, s, last);
			session_unlink(d, s);
		}
		state_save(d);
		pthread_mutex_unlock(&d->sess_mu);
		audit_session(d, peer, "session_close", profile, user,
		    s == NULL ? "no such session" : "ok");
		wif_wire_begin(out, len);
		(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "status", "ok");
		(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "profile", profile);
		*len = wif_wire_end(out, *len);
		return 0;
	}

	/* A token first, so that the session starts with credentials. */
	mark_used(d, profile);
	r = wif_cache_get(d->cache, profile, &pol, 0, 0, &t);
	if (r != WIF_OK) {
		audit_session(d, peer, "session_open", profile, user,
		    wif_err_detail());
		wifd_reply_error(out, len, r, "profile %s: %s", profile,
		    wif_err_detail());
		return 0;
	}
	pthread_rwlock_rdlock(&d->cfg_lock);     /* cfg_lock, then sess_mu */
	pthread_mutex_lock(&d->sess_mu);
	cp = wif_config_profile(wif_core_config(d->core), profile);
	if ((s = session_find(d, up.uid, profile)) == NULL) {
		if (d->n_sessions >= SESSIONS_MAX ||
		    (s = calloc(1, sizeof(*s))) == NULL) {
			r = wif_err(WIF_E_TOO_BIG, "too many sessions (%d)",
			    SESSIONS_MAX);
		} else {
			s->uid = up.uid;
			s->gid = up.gid;
			snprintf(s->user, sizeof(s->user), "%s", user);
			snprintf(s->profile, sizeof(s->profile), "%s", profile);
			s->next = d->sessions;
			d->sessions = s;
			d->n_sessions++;
		}
	}
	if (s != NULL && r == WIF_OK) {
		if (cp == NULL)
			r = wif_err(WIF_E_NOT_FOUND, "profile %s went away", profile);
		else
			r = session_write(d, s, cp, t);
		if (r == WIF_OK)
			s->count++;
		else if (s->count == 0)
			session_unlink(d, s);
		state_save(d);
	}
	pthread_mutex_unlock(&d->sess_mu);
	pthread_rwlock_unlock(&d->cfg_lock);
	audit_session(d, peer, "session_open", profile, user,
	    r == WIF_OK ? "ok" : wif_err_detail());
	if (r != WIF_OK) {
		wif_token_free(t);
		wifd_reply_error(out, len, r, "%s", wif_err_detail());
		return 0;
	}
	wif_wire_begin(out, len);
	(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "status", "ok");
	(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "profile", profile);
	(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "config_dir", udir);
	(void)wif_wire_addf(out, WIFD_REPLY_MAX, len, "expires_at", "%lld",
	    (long long)t->expires_at);
	*len = wif_wire_end(out, *len);
	wif_token_free(t);
	return 0;
}

/* A new token for profile cp: into every session on it.  Called by the
 * refresh callback under cfg_lock (read). */
void
wifd_sessions_deliver(struct wifd *d, const struct wif_config_profile *cp,
                      const struct wif_token *t)
{
	struct wifd_session *s;

	pthread_mutex_lock(&d->sess_mu);
	for (s = d->sessions; s != NULL; s = s->next)
		if (strcmp(s->profile, cp->name) == 0 &&
		    session_write(d, s, cp, t) != WIF_OK)
			log_warnx("session of %s (uid %u), profile %s: %s",
			    s->user, (unsigned)s->uid, s->profile,
			    wif_err_detail());
	pthread_mutex_unlock(&d->sess_mu);
}

/*
 * After a (re)load, under cfg_lock: sessions whose profile is gone, or
 * whose user lost access to it, or who is no longer that uid, end (their
 * files go); the others' profiles are kept fresh, their profile files
 * rewritten (the exchange settings may have changed).
 */
void
wifd_sessions_sync(struct wifd *d)
{
	const struct wif_config *cfg = wif_core_config(d->core);
	const struct wif_config_profile *cp;
	struct wifd_session *s, *next;
	struct wif_peer up;
	char why[512];

	pthread_mutex_lock(&d->sess_mu);
	for (s = d->sessions; s != NULL; s = next) {
		next = s->next;
		cp = wif_config_profile(cfg, s->profile);
		if (cp == NULL || user_peer(s->user, &up) != WIF_OK ||
		    up.uid != s->uid ||
		    !wif_acl_allows(&cp->allow, &up, cp->name, why, sizeof(why))) {
			log_info("session of %s (uid %u) on profile %s ended: %s",
			    s->user, (unsigned)s->uid, s->profile, cp == NULL ?
			    "the profile is gone" : "the user may no longer use it");
			session_remove(d, s, !user_has_other(d, s));
			session_unlink(d, s);
			continue;
		}
		(void)session_write(d, s, cp, NULL);
		mark_used(d, s->profile);
	}
	state_save(d);
	pthread_mutex_unlock(&d->sess_mu);
}

/* At start: the sessions a previous wifd had open (then wifd_sessions_sync
 * checks them against the configuration). */
void
wifd_sessions_restore(struct wifd *d)
{
	char path[PATH_MAX], line[512], user[64], prof[160];
	unsigned uid, gid;
	struct wifd_session *s;
	FILE *f;
	int count, fd;

	snprintf(path, sizeof(path), "%s/.state", session_dir_of(d));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return;
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&d->sess_mu);
	while (fgets(line, sizeof(line), f) != NULL &&
	    d->n_sessions < SESSIONS_MAX) {
		if (sscanf(line, "%u %u %d %63s %159s", &uid, &gid, &count, user,
		    prof) != 5 || count <= 0 ||
		    !wif_config_valid_profile_name(prof) ||
		    (s = calloc(1, sizeof(*s))) == NULL)
			continue;
		s->uid = (uid_t)uid;
		s->gid = (gid_t)gid;
		s->count = count;
		snprintf(s->user, sizeof(s->user), "%s", user);
		snprintf(s->profile, sizeof(s->profile), "%s", prof);
		s->next = d->sessions;
		d->sessions = s;
		d->n_sessions++;
	}
	pthread_mutex_unlock(&d->sess_mu);
	fclose(f);
	if (d->n_sessions > 0)
		log_info("%d session(s) from %s", d->n_sessions, path);
}

void
wifd_sessions_free(struct wifd *d)
{
	struct wifd_session *s, *next;

	for (s = d->sessions; s != NULL; s = next) {
		next = s->next;
		free(s);
	}
	d->sessions = NULL;
	d->n_sessions = 0;
}

/* Status: how many sessions, and the sessions of uid (for its status). */
int
wifd_sessions_count(struct wifd *d, uid_t uid, int all)
{
	struct wifd_session *s;
	int n = 0;

	pthread_mutex_lock(&d->sess_mu);
	for (s = d->sessions; s != NULL; s = s->next)
		if (all || s->uid == uid)
			n += s->count;
	pthread_mutex_unlock(&d->sess_mu);
	return n;
}
