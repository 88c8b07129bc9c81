/*
 * audit.h - wifd's audit trail: one line per issuance, denial, refresh,
 * failed refresh, reload and revoke (ARCHITECTURE.md §8).
 *
 * Owns: the line format (logfmt: key=value, values quoted and escaped when
 * they hold spaces, quotes or control characters) and the target chosen by
 * wif.audit: "syslog" (LOG_AUTHPRIV, ident wifd; datagrams to /dev/log
 * written by us, so that with no syslog daemon a line goes to stderr
 * instead of nowhere), "stderr", "none", or an
 * absolute file (O_APPEND, 0600, never through a symbolic link).  Lines are
 * written by one writer thread in the order they were handed over, so that
 * a caller never waits for syslog(3) or the disk; a caller waits only when
 * 64 KiB of lines are pending (nothing is dropped).  Closing writes what is
 * pending; reopening writes it to the old file first.
 * There is no field for a token: callers pass the first hex digits of its
 * SHA-256.  Thread-safe.
 */
#ifndef WIF_AUDIT_H
#define WIF_AUDIT_H

#include <stdint.h>
#include <sys/types.h>

struct wif_audit;

struct wif_audit_event {
	const char *event;        /* issue | deny | refresh | refresh_fail | reload | revoke */
	const char *profile;      /* NULL: left out */
	const char *provider;
	uid_t uid;                /* the peer; pid <= 0 means "no peer" */
	pid_t pid;
	const char *exe;
	const char *unit;
	const char *token_sha256; /* prefix of the token's SHA-256 in hex */
	int64_t expires_at;       /* 0: left out */
	const char *request_id;
	const char *result;       /* "ok" or what went wrong */
};

/* target NULL means "syslog". */
int wif_audit_open(const char *target, struct wif_audit **out);
void wif_audit_close(struct wif_audit *a);
/* Reopen a file target (after log rotation). */
int wif_audit_reopen(struct wif_audit *a);
void wif_audit_event(struct wif_audit *a, const struct wif_audit_event *ev);
/* Wait until every line handed over so far has been written. */
void wif_audit_flush(struct wif_audit *a);
/* 0 for the "none" target (callers may skip gathering what it would say). */
int wif_audit_enabled(const struct wif_audit *a);
/* The line for ev, without a newline, into buf (tests). */
void wif_audit_format(const struct wif_audit_event *ev, char *buf, size_t len);

#endif
