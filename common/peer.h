/*
 * peer.h - who is on the other end of a Unix socket, and may they use a
 * profile (wifd's access control).
 *
 * Owns: SO_PEERCRED plus what /proc says about the peer process (its
 * supplementary groups, executable and systemd unit), and the allow-list
 * decision.  uid, gid and pid come from the kernel at connect time and are
 * authoritative.  groups, exe and unit are read from /proc/<pid> afterwards:
 * a peer that exits and whose pid is reused in between would be described
 * by another process, so wifd re-checks that the pid still holds the
 * connection's uid (the status file's Uid line) and treats exe as audit
 * information only.  Must never: allow when a lookup failed.
 */
#ifndef WIF_PEER_H
#define WIF_PEER_H

#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

#define WIF_PEER_GROUPS_MAX 64

struct wif_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t groups[WIF_PEER_GROUPS_MAX];   /* supplementary, from /proc */
	size_t n_groups;
	int groups_known;                    /* 0: /proc unreadable, none used */
	char exe[256];                       /* "" when unknown */
	char unit[256];                      /* systemd unit, "" when none */
	int described;                       /* /proc read (wif_peer_describe) */
};

/* Fill p's uid, gid and pid for the peer of a connected AF_UNIX socket
 * (the rest is read from /proc on first need: wif_peer_ensure).  WIF_OK,
 * or WIF_E_IO when SO_PEERCRED fails. */
int wif_peer_from_fd(int fd, struct wif_peer *p);
/* Read groups, exe and unit from /proc once. */
void wif_peer_ensure(struct wif_peer *p);

/* Fill p for the process pid with credentials uid/gid (used by
 * wif_peer_from_fd; exposed for tests). */
void wif_peer_describe(struct wif_peer *p, pid_t pid, uid_t uid, gid_t gid);

/* The systemd unit of a /proc/<pid>/cgroup text (cgroup v2 "0::/..."):
 * the last path element ending in .service or .scope, else "".  Pure. */
void wif_peer_unit_from_cgroup(const char *text, char *out, size_t len);

/* The supplementary groups of a /proc/<pid>/status text ("Groups:" line);
 * returns how many (at most max), -1 when the line is absent.  Pure. */
int wif_peer_groups_from_status(const char *text, gid_t *out, size_t max);

/*
 * May peer use the profile whose allow list is a?  Root always may; then a
 * user entry (name or numeric uid), a group entry (name or numeric gid,
 * matched against the primary and every supplementary group) or a unit
 * entry (exact).  Deny by default.  why says which rule matched or, on a
 * denial, what to do.
 */
int wif_acl_allows(const struct wif_config_allow *a, const struct wif_peer *p,
                   const char *profile, char *why, size_t len);

#endif
