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
 * wifd write elsewhere.  A directory found below <uid>/ is used only when
 * it is the user's (or the root-owned 0700 one wifd just made: a user can
 * move in only directories it may write), on the same file system as
 * session_dir (no FUSE mount of the user's can hold wifd up).  Closing
 * removes only the files wifd wrote.
 *
 * A session is held by the process that opened it (sshd's monitor, login):
 * its pid and start time are kept, and a session whose holder is gone
 * without closing it (killed, or a login that failed after the open) is
 * reaped by the refresher.  Credentials are never replaced by an older
 * token than the one written last.
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

#include "err.h"
#include "fileio.h"
#include "log.h"
#include "secmem.h"
#include "sink.h"
#include "util.h"
#include "wifd.h"

#define SESSIONS_MAX 4096
#define CRED_MAX 16384

#define HOLDERS_MAX 256

struct holder {
	pid_t pid;                      /* the process that opened it */
	unsigned long long start;       /* its start time (0: unknown) */
};

struct wifd_session {
	uid_t uid;
	gid_t gid;
	char user[64];
	char profile[160];
	struct holder h[HOLDERS_MAX];   /* one per open PAM session */
	int count;
	int64_t cred_at;                /* obtained_at of the token written last */
	struct wifd_session *next;
};

/* The start time of pid (field 22 of /proc/pid/stat), 0 when unknown. */
static unsigned long long
proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd, i;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)   /* comm may hold anything */
		return 0;
	for (i = 2; i < 22 && p != NULL; i++)  /* p is before field 3 */
		p = strchr(p + 1, ' ');
	if (p != NULL)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

/* Is the holder still the process that opened the session? */
static int
holder_alive(const struct holder *h)
{
	return h->start == 0 || proc_start(h->pid) == h->start;
}

/* The user's credentials as a peer, for the allow lists. */
/* WIF_E_NOT_FOUND: no such user; WIF_E_IO: the lookup failed (NSS down),
 * which must not end anyone's session. */
static int
user_peer(const char *user, struct wif_peer *p)
{
	struct passwd pw, *pr = NULL;
	char buf[16384];
	gid_t groups[1024];
	int n = 1024, i, e;

	memset(p, 0, sizeof(*p));
	if ((e = getpwnam_r(user, &pw, buf, sizeof(buf), &pr)) != 0)
		return wif_err(WIF_E_IO, "cannot look user %.64s up: %s", user,
		    strerror(e));
	if (pr == NULL)
		return wif_err(WIF_E_NOT_FOUND, "user %.64s is not a user on this "
		    "host (getent passwd)", user);
	p->uid = pr->pw_uid;
	p->gid = pr->pw_gid;
	p->pid = -1;
	if (getgrouplist(pr->pw_name, pr->pw_gid, groups, &n) < 0)
		n = 1024;               /* more: the first 1024 */
	/* a group rule that names a group past WIF_PEER_GROUPS_MAX does not
	 * match (deny by default), user rules still do */
	for (i = 0; i < n && i < WIF_PEER_GROUPS_MAX; i++)
		p->groups[i] = groups[i];
	p->n_groups = (size_t)i;
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

/*
 * A subdirectory of dfd (on device dev) that is a real directory, never a
 * link, made the user's 0700; created when absent.  Found in place it is
 * used only when it is the user's, or root's with mode 0700 - the one
 * mkdirat() just made: moving a directory needs write access to it, so a
 * user cannot put one of those there - and only on dev.  Anything else is
 * refused (EPERM): wifd never hands someone else's directory to the user.
 */
static int
sub_dir(int dfd, dev_t dev, const char *name, uid_t uid, gid_t gid)
{
	struct stat st;
	int fd;

	if (mkdirat(dfd, name, 0700) != 0 && errno != EEXIST)
		return -1;
	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) != 0)
		goto bad;
	if (st.st_dev != dev || !S_ISDIR(st.st_mode)) {
		errno = EXDEV;
		goto bad;
	}
	if (st.st_uid == uid) {
		if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0)
			goto bad;
	} else if (st.st_uid == geteuid() && (st.st_mode & 07777) == 0700) {
		if (fchown(fd, uid, gid) != 0)
			goto bad;
	} else {
		errno = EPERM;
		goto bad;
	}
	return fd;
bad:
	close(fd);
	return -1;
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

/*
 * Write what the SDK reads for session s: the profile file always, the
 * credentials when t is given.  Under sess_mu.
 */
static int
session_write(struct wifd *d, struct wifd_session *s,
              const struct wif_config_profile *cp, const struct wif_token *t)
{
	struct stat rst;
	char uname[32], udir[PATH_MAX], fname[200], *js = NULL, *cred = NULL;
	int root = -1, ufd = -1, cfd = -1, kfd = -1, r = WIF_E_IO;
	size_t n = 0;

	snprintf(uname, sizeof(uname), "%u", (unsigned)s->uid);
	snprintf(udir, sizeof(udir), "%s/%s", d->session_dir, uname);
	snprintf(fname, sizeof(fname), "%s.json", s->profile);
	if (cp->exchange.type != WIF_EXCHANGE_ANTHROPIC ||
	    cp->exchange.federation_rule_id == NULL ||
	    cp->exchange.organization_id == NULL)
		return wif_err(WIF_E_CONFIG, "profile %s does not exchange with "
		    "Anthropic: no SDK session", cp->name);
	if (t != NULL && t->obtained_at < s->cred_at)
		t = NULL;       /* a newer token is there already */
	if ((root = root_dir(d->session_dir)) == -1)
		return WIF_E_IO;
	if (fstat(root, &rst) != 0 ||
	    (ufd = sub_dir(root, rst.st_dev, uname, s->uid, s->gid)) == -1 ||
	    (cfd = sub_dir(ufd, rst.st_dev, "configs", s->uid, s->gid)) == -1 ||
	    (kfd = sub_dir(ufd, rst.st_dev, "credentials", s->uid, s->gid)) == -1) {
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
		s->cred_at = t->obtained_at;
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

/* A directory below dfd on device dev, or -1 (a link, another file system,
 * absent). */
static int
open_dir_dev(int dfd, const char *name, dev_t dev)
{
	struct stat st;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_dev != dev) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Remove the files of session s; the directories too when it was the
 * user's last (only if empty: what the user put there stays).  Under
 * sess_mu. */
static void
session_remove(struct wifd *d, const struct wifd_session *s, int last)
{
	char uname[32], fname[200];
	struct stat rst;
	int root, ufd, fd;

	snprintf(uname, sizeof(uname), "%u", (unsigned)s->uid);
	snprintf(fname, sizeof(fname), "%s.json", s->profile);
	if ((root = root_dir(d->session_dir)) == -1)
		return;
	if (fstat(root, &rst) != 0 ||
	    (ufd = open_dir_dev(root, uname, rst.st_dev)) == -1) {
		close(root);
		return;
	}
	if ((fd = open_dir_dev(ufd, "credentials", rst.st_dev)) != -1) {
		(void)unlinkat(fd, fname, 0);
		close(fd);
	}
	if ((fd = open_dir_dev(ufd, "configs", rst.st_dev)) != -1) {
		(void)unlinkat(fd, fname, 0);
		close(fd);
	}
	if (last) {
		(void)unlinkat(ufd, "credentials", AT_REMOVEDIR);
		(void)unlinkat(ufd, "configs", AT_REMOVEDIR);
		if (unlinkat(root, uname, AT_REMOVEDIR) != 0 && errno != ENOENT)
			log_info("session directory %s/%s left in place: %s "
			    "(it holds files wifd did not write)",
			    d->session_dir, uname, strerror(errno));
	}
	close(ufd);
	close(root);
}

/*
 * root's record of the open sessions, so that a restarted wifd keeps them
 * fresh: "uid gid user profile pid:start ..." per line.  Under sess_mu.
 */
static void
state_save(struct wifd *d)
{
	char path[PATH_MAX], *buf;
	size_t cap = 256, used = 0, need;
	struct wifd_session *s;
	int i, w;

	for (s = d->sessions; s != NULL; s = s->next)
		cap += 256 + (size_t)s->count * 48;
	if ((buf = malloc(cap)) == NULL)
		return;
	buf[0] = '\0';
	for (s = d->sessions; s != NULL; s = s->next) {
		need = 256 + (size_t)s->count * 48;
		if (used + need > cap)
			break;
		w = snprintf(buf + used, cap - used, "%u %u %s %s", (unsigned)s->uid,
		    (unsigned)s->gid, s->user, s->profile);
		used += (size_t)(w > 0 ? w : 0);
		for (i = 0; i < s->count; i++) {
			w = snprintf(buf + used, cap - used, " %d:%llu",
			    (int)s->h[i].pid, s->h[i].start);
			used += (size_t)(w > 0 ? w : 0);
		}
		buf[used++] = '\n';
		buf[used] = '\0';
	}
	if (root_dir(d->session_dir) >= 0) {
		snprintf(path, sizeof(path), "%s/.state", d->session_dir);
		if (wif_write_file_atomic(path, buf, used, 0600, (uid_t)-1,
		    (gid_t)-1) != WIF_OK)
			log_warnx("sessions: %s", wif_err_detail());
	}
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

/* End session s: its files (the directory with the user's last), its
 * record.  Under sess_mu. */
static void
session_end(struct wifd *d, struct wifd_session *s)
{
	session_remove(d, s, !user_has_other(d, s));
	session_unlink(d, s);
}

/* Drop the holder pid (or, when it holds none, the oldest); 1 when the
 * session has none left. */
static int
holder_drop(struct wifd_session *s, pid_t pid)
{
	int i;

	for (i = 0; i < s->count && s->h[i].pid != pid; i++)
		;
	if (i == s->count)
		i = 0;
	if (s->count > 0) {
		memmove(&s->h[i], &s->h[i + 1], (size_t)(s->count - i - 1) *
		    sizeof(s->h[0]));
		s->count--;
	}
	return s->count == 0;
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

/* A login name as it may travel in .state and the audit: printable, no
 * spaces, no '/'. */
static int
user_name_ok(const char *u)
{
	size_t i, n = strlen(u);

	if (n == 0 || n >= 64 || u[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)u[i] <= ' ' || (unsigned char)u[i] >= 0x7f ||
		    u[i] == '/')
			return 0;
	return 1;
}

/* May the user (up, or the peer itself when it asks for itself) use cp?
 * Under cfg_lock. */
static int
may_use(const struct wif_config_profile *cp, struct wif_peer *who)
{
	char why[512];

	if (who->uid != 0 && (cp->allow.n_groups > 0 || cp->allow.n_units > 0))
		wif_peer_ensure(who);
	return wif_acl_allows(&cp->allow, who, cp->name, why, sizeof(why));
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
	struct wif_peer up, *who;
	struct wif_token *t = NULL;
	char profile[160], udir[PATH_MAX];
	int r = WIF_OK, ended = 0;

	if (user == NULL || !user_name_ok(user)) {
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
	/* The allow lists judge the user; a user asking for itself is judged
	 * as the process it is (its real groups and unit), as for a token. */
	who = peer->uid == 0 ? &up : peer;
	pthread_rwlock_rdlock(&d->cfg_lock);
	cp = wifd_pick_profile(d, who, wif_wire_get(req, "profile"), out, len);
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
	snprintf(udir, sizeof(udir), "%s/%u", d->session_dir,
	    (unsigned)up.uid);

	if (!open) {
		pthread_mutex_lock(&d->sess_mu);
		if ((s = session_find(d, up.uid, profile)) != NULL &&
		    holder_drop(s, peer->pid)) {
			session_end(d, s);
			ended = 1;
		}
		state_save(d);
		pthread_mutex_unlock(&d->sess_mu);
		audit_session(d, peer, "session_close", profile, user,
		    s == NULL ? "no such session" : ended ? "ok" :
		    "ok (others remain)");
		wif_wire_begin(out, len);
		(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "status", "ok");
		(void)wif_wire_add(out, WIFD_REPLY_MAX, len, "profile", profile);
		*len = wif_wire_end(out, *len);
		return 0;
	}

	/* A token first, so that the session starts with credentials. */
	wifd_profile_mark_used(d, profile);
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
	/* again: a reload may have changed the profile meanwhile */
	cp = wif_config_profile(d->cfg, profile);
	if (cp == NULL || cp->exchange.type != WIF_EXCHANGE_ANTHROPIC ||
	    !may_use(cp, who))
		r = wif_err(WIF_E_DENIED, "profile %s changed while the session "
		    "was opening: try again", profile);
	s = r == WIF_OK ? session_find(d, up.uid, profile) : NULL;
	if (r == WIF_OK && s == NULL) {
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
	if (r == WIF_OK && s != NULL && s->count >= HOLDERS_MAX)
		r = wif_err(WIF_E_TOO_BIG, "user %s has %d sessions on profile "
		    "%s already", user, HOLDERS_MAX, profile);
	if (r == WIF_OK && s != NULL) {
		s->gid = up.gid;
		r = session_write(d, s, cp, t);
		if (r == WIF_OK) {
			s->h[s->count].pid = peer->pid;
			s->h[s->count].start = proc_start(peer->pid);
			s->count++;
		} else if (s->count == 0) {
			session_end(d, s);
		}
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
 * After a (re)load, under cfg_lock (read): sessions whose profile is gone
 * or no longer an Anthropic one, whose user lost access to it, or who is
 * no longer that uid, end (their files go); a user that cannot be looked
 * up now (NSS down) keeps its sessions.  The others' profiles are kept
 * fresh and their profile files rewritten (the settings may have changed).
 */
void
wifd_sessions_sync(struct wifd *d)
{
	const struct wif_config *cfg = d->cfg;
	const struct wif_config_profile *cp;
	struct wifd_session *s, *next;
	struct wif_peer up;
	char why[512];
	int r;

	pthread_mutex_lock(&d->sess_mu);
	for (s = d->sessions; s != NULL; s = next) {
		next = s->next;
		cp = wif_config_profile(cfg, s->profile);
		r = user_peer(s->user, &up);
		if (r == WIF_E_IO) {
			log_warnx("session of %s (uid %u) kept: %s", s->user,
			    (unsigned)s->uid, wif_err_detail());
			if (cp != NULL && cp->exchange.type ==
			    WIF_EXCHANGE_ANTHROPIC)
				wifd_profile_mark_used(d, s->profile);
			continue;
		}
		if (cp == NULL || cp->exchange.type != WIF_EXCHANGE_ANTHROPIC ||
		    r != WIF_OK || up.uid != s->uid ||
		    !wif_acl_allows(&cp->allow, &up, cp->name, why, sizeof(why))) {
			log_info("session of %s (uid %u) on profile %s ended: %s",
			    s->user, (unsigned)s->uid, s->profile, cp == NULL ?
			    "the profile is gone" : cp->exchange.type !=
			    WIF_EXCHANGE_ANTHROPIC ? "the profile no longer "
			    "exchanges with Anthropic" : r != WIF_OK ||
			    up.uid != s->uid ? "the user is gone" :
			    "the user may no longer use it");
			session_end(d, s);
			continue;
		}
		s->gid = up.gid;
		(void)session_write(d, s, cp, NULL);
		wifd_profile_mark_used(d, s->profile);
	}
	state_save(d);
	pthread_mutex_unlock(&d->sess_mu);
}

void
wifd_sessions_revoke(struct wifd *d, const char *profile)
{
	struct wifd_session *s;
	char uname[32], fname[200];
	struct stat rst;
	int root, ufd, fd;

	pthread_mutex_lock(&d->sess_mu);
	if ((root = root_dir(d->session_dir)) >= 0 &&
	    fstat(root, &rst) == 0) {
		for (s = d->sessions; s != NULL; s = s->next) {
			if (strcmp(s->profile, profile) != 0)
				continue;
			s->cred_at = 0;
			snprintf(uname, sizeof(uname), "%u", (unsigned)s->uid);
			snprintf(fname, sizeof(fname), "%s.json", s->profile);
			if ((ufd = open_dir_dev(root, uname, rst.st_dev)) == -1)
				continue;
			if ((fd = open_dir_dev(ufd, "credentials",
			    rst.st_dev)) != -1) {
				(void)unlinkat(fd, fname, 0);
				close(fd);
			}
			close(ufd);
		}
	}
	if (root >= 0)
		close(root);
	pthread_mutex_unlock(&d->sess_mu);
}

/* The refresher's pass: sessions whose every holder is gone (a login that
 * died, or failed after the open) end. */
void
wifd_sessions_reap(struct wifd *d)
{
	struct wifd_session *s, *next;
	int i, changed = 0;

	pthread_mutex_lock(&d->sess_mu);
	for (s = d->sessions; s != NULL; s = next) {
		next = s->next;
		for (i = 0; i < s->count;) {
			if (holder_alive(&s->h[i])) {
				i++;
				continue;
			}
			log_info("session of %s (uid %u) on profile %s: its "
			    "login (pid %d) is gone", s->user, (unsigned)s->uid,
			    s->profile, (int)s->h[i].pid);
			memmove(&s->h[i], &s->h[i + 1], (size_t)(s->count - i - 1) *
			    sizeof(s->h[0]));
			s->count--;
			changed = 1;
		}
		if (s->count == 0) {
			session_end(d, s);
			changed = 1;
		}
	}
	if (changed)
		state_save(d);
	pthread_mutex_unlock(&d->sess_mu);
}

/* At start: the sessions a previous wifd had open (then wifd_sessions_sync
 * checks them against the configuration, and the reaper their holders). */
void
wifd_sessions_restore(struct wifd *d)
{
	char path[PATH_MAX], line[16384], user[64], prof[160], *p, *q;
	unsigned uid, gid;
	unsigned long long start;
	struct wifd_session *s;
	struct stat st;
	FILE *f;
	long pid;
	int fd, n;

	snprintf(path, sizeof(path), "%s/.state", d->session_dir);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0 ||
	    (f = fdopen(fd, "r")) == NULL) {
		log_warnx("%s is not wifd's (a regular file, its own, mode 0600):"
		    " ignored", path);
		close(fd);
		return;
	}
	pthread_mutex_lock(&d->sess_mu);
	while (fgets(line, sizeof(line), f) != NULL &&
	    d->n_sessions < SESSIONS_MAX) {
		if (sscanf(line, "%u %u %63s %159s%n", &uid, &gid, user, prof,
		    &n) != 4 || !user_name_ok(user) ||
		    !wif_config_valid_profile_name(prof) ||
		    session_find(d, (uid_t)uid, prof) != NULL ||
		    (s = calloc(1, sizeof(*s))) == NULL)
			continue;
		s->uid = (uid_t)uid;
		s->gid = (gid_t)gid;
		snprintf(s->user, sizeof(s->user), "%s", user);
		snprintf(s->profile, sizeof(s->profile), "%s", prof);
		for (p = line + n; s->count < HOLDERS_MAX; p = q) {
			pid = strtol(p, &q, 10);
			if (q == p || *q != ':' || pid <= 0)
				break;
			start = strtoull(q + 1, &q, 10);
			s->h[s->count].pid = (pid_t)pid;
			s->h[s->count].start = start;
			s->count++;
		}
		if (s->count == 0) {
			free(s);
			continue;
		}
		s->next = d->sessions;
		d->sessions = s;
		d->n_sessions++;
	}
	pthread_mutex_unlock(&d->sess_mu);
	fclose(f);
	if (d->n_sessions > 0)
		log_info("%d session(s) from %s", d->n_sessions, path);
}

/*
 * For op=status: the sessions of uid (all of them for root) as
 * {user, uid, profile, logins, config_dir}.  On the loop thread, so it
 * never waits: 0 when a session is being written right now (omitted).
 */
int
wifd_sessions_json(struct wifd *d, uid_t uid, json_object *arr)
{
	struct wifd_session *s;
	json_object *o;
	char dir[PATH_MAX];

	if (pthread_mutex_trylock(&d->sess_mu) != 0)
		return 0;
	for (s = d->sessions; s != NULL; s = s->next) {
		if (uid != 0 && s->uid != uid)
			continue;
		o = json_object_new_object();
		snprintf(dir, sizeof(dir), "%s/%u", d->session_dir,
		    (unsigned)s->uid);
		json_object_object_add(o, "user", json_object_new_string(s->user));
		json_object_object_add(o, "uid", json_object_new_int64(s->uid));
		json_object_object_add(o, "profile",
		    json_object_new_string(s->profile));
		json_object_object_add(o, "logins", json_object_new_int(s->count));
		json_object_object_add(o, "config_dir", json_object_new_string(dir));
		json_object_array_add(arr, o);
	}
	pthread_mutex_unlock(&d->sess_mu);
	return 1;
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
