/* peer.c - peer credentials and allow lists; see peer.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "peer.h"

/* Read a small /proc file into buf (NUL-terminated); -1 on failure. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t n, have = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((size_t)have < len - 1 &&
	    (n = read(fd, buf + have, len - 1 - (size_t)have)) > 0)
		have += n;
	close(fd);
	buf[have] = '\0';
	return have;
}

void
wif_peer_unit_from_cgroup(const char *text, char *out, size_t len)
{
	const char *line = text, *nl, *p, *seg, *end;
	size_t n;

	out[0] = '\0';
	for (; line != NULL && *line != '\0'; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		end = nl ? nl : line + strlen(line);
		if (strncmp(line, "0::/", 4) != 0)
			continue;
		/* Walk the path; keep the last .service/.scope element. */
		for (p = line + 3; p < end; p = seg) {
			const char *s = p + 1;
			seg = memchr(s, '/', (size_t)(end - s));
			if (seg == NULL)
				seg = end;
			n = (size_t)(seg - s);
			if ((n > 8 && memcmp(seg - 8, ".service", 8) == 0) ||
			    (n > 6 && memcmp(seg - 6, ".scope", 6) == 0)) {
				if (n >= len)
					n = len - 1;
				memcpy(out, s, n);
				out[n] = '\0';
			}
		}
		return;
	}
}

int
wif_peer_groups_from_status(const char *text, gid_t *out, size_t max)
{
	const char *p = strstr(text, "\nGroups:");
	char *end;
	unsigned long v;
	int n = 0;

	if (p == NULL)
		return -1;
	p += 8;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			break;
		errno = 0;
		v = strtoul(p, &end, 10);
		if (errno != 0 || v > (gid_t)-1)
			break;
		if ((size_t)n < max)
			out[n++] = (gid_t)v;
		p = end;
	}
	return n;
}

/* The Uid line's real uid of a status text; -1 when absent. */
static long
status_uid(const char *text)
{
	const char *p = strstr(text, "\nUid:");

	return p != NULL ? strtol(p + 5, NULL, 10) : -1;
}

void
wif_peer_describe(struct wif_peer *p, pid_t pid, uid_t uid, gid_t gid)
{
	char path[64], buf[8192];
	ssize_t n;
	int g;

	memset(p, 0, sizeof(*p));
	p->uid = uid;
	p->gid = gid;
	p->pid = pid;
	p->described = 1;
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	/* "\n" first so that the searches above also find a first line. */
	buf[0] = '\n';
	if (read_small(path, buf + 1, sizeof(buf) - 1) > 0 &&
	    status_uid(buf) == (long)uid &&
	    (g = wif_peer_groups_from_status(buf, p->groups,
	    WIF_PEER_GROUPS_MAX)) >= 0) {
		p->n_groups = (size_t)g;
		p->groups_known = 1;
	}
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, p->exe, sizeof(p->exe) - 1)) > 0)
		p->exe[n] = '\0';
	else
		p->exe[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (read_small(path, buf, sizeof(buf)) > 0)
		wif_peer_unit_from_cgroup(buf, p->unit, sizeof(p->unit));
}

int
wif_peer_from_fd(int fd, struct wif_peer *p)
{
	struct ucred c;
	socklen_t l = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &l) != 0)
		return wif_err(WIF_E_IO, "SO_PEERCRED: %s", strerror(errno));
	memset(p, 0, sizeof(*p));
	p->uid = c.uid;
	p->gid = c.gid;
	p->pid = c.pid;
	return WIF_OK;
}

void
wif_peer_ensure(struct wif_peer *p)
{
	if (!p->described)
		wif_peer_describe(p, p->pid, p->uid, p->gid);
}

static int
numeric(const char *s, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return 0;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static int
user_matches(const char *entry, uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	unsigned long v;

	if (numeric(entry, &v))
		return v == uid;
	return getpwnam_r(entry, &pw, buf, sizeof(buf), &res) == 0 &&
	    res != NULL && res->pw_uid == uid;
}

static int
group_matches(const char *entry, const struct wif_peer *p)
{
	struct group gr, *res = NULL;
	char buf[16384];
	unsigned long v;
	gid_t gid;
	size_t i;

	if (numeric(entry, &v))
		gid = (gid_t)v;
	else if (getgrnam_r(entry, &gr, buf, sizeof(buf), &res) == 0 &&
	    res != NULL)
		gid = res->gr_gid;
	else
		return 0;
	if (p->gid == gid)
		return 1;
	for (i = 0; p->groups_known && i < p->n_groups; i++)
		if (p->groups[i] == gid)
			return 1;
	return 0;
}

int
wif_acl_allows(const struct wif_config_allow *a, const struct wif_peer *p,
               const char *profile, char *why, size_t len)
{
	size_t i;

	if (p->uid == 0) {
		snprintf(why, len, "root");
		return 1;
	}
	for (i = 0; a != NULL && i < a->n_users; i++) {
		if (user_matches(a->users[i], p->uid)) {
			snprintf(why, len, "allow.users %s", a->users[i]);
			return 1;
		}
	}
	for (i = 0; a != NULL && i < a->n_groups; i++) {
		if (group_matches(a->groups[i], p)) {
			snprintf(why, len, "allow.groups %s", a->groups[i]);
			return 1;
		}
	}
	for (i = 0; a != NULL && i < a->n_units; i++) {
		if (p->unit[0] != '\0' && strcmp(a->units[i], p->unit) == 0) {
			snprintf(why, len, "allow.units %s", a->units[i]);
			return 1;
		}
	}
	snprintf(why, len, "uid %u (gid %u%s%s) may not use profile %s: it is "
	    "not in the profile's allow list (allow.users, allow.groups or "
	    "allow.units in wif.conf)", (unsigned)p->uid, (unsigned)p->gid,
	    p->unit[0] ? ", unit " : "", p->unit, profile);
	return 0;
}
