/*
 * wif/rc.h - the one error enum shared by the consumer API (wif.h) and the
 * provider ABI (provider.h).
 *
 * Owns: the numeric error codes.  Numbers are part of the ABI: they are never
 * reused or renumbered; new codes are appended with the next free number.
 */
#ifndef WIF_RC_H
#define WIF_RC_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wif_rc {
	WIF_OK = 0,
	WIF_E_INTERNAL = -1,        /* a bug in wif: please report it */
	WIF_E_NOMEM = -2,           /* out of memory (or secure memory) */
	WIF_E_INVALID_ARG = -3,     /* a caller passed a bad argument */
	WIF_E_CONFIG = -4,          /* configuration is invalid */
	WIF_E_IO = -5,              /* a file could not be read or written */
	WIF_E_PERM = -6,            /* unsafe ownership or permissions */
	WIF_E_NOT_FOUND = -7,       /* a file, key, profile or provider is absent */
	WIF_E_TOO_BIG = -8,         /* input larger than its maximum */
	WIF_E_PARSE = -9,           /* input malformed (JSON, XML, config, ...) */
	WIF_E_PROVIDER_LOAD = -10,  /* a provider plugin could not be loaded */
	WIF_E_ABI = -11,            /* ABI version or table mismatch */
	WIF_E_PROVIDER = -12,       /* a provider failed to produce an identity token */
	WIF_E_NOT_APPLICABLE = -13, /* a source does not apply on this host */
	WIF_E_HTTP = -14,           /* network or TLS failure */
	WIF_E_HTTP_STATUS = -15,    /* unexpected HTTP status */
	WIF_E_TIMEOUT = -16,        /* an operation timed out */
	WIF_E_POLICY = -17,         /* refused by policy (plain http, redirect, ...) */
	WIF_E_JWT = -18,            /* not a well-formed JWT */
	WIF_E_JWT_EXPIRED = -19,    /* the JWT has expired */
	WIF_E_JWT_NOT_YET_VALID = -20, /* the JWT is not valid yet (nbf/iat) */
	WIF_E_EXCHANGE = -21,       /* the token exchange failed */
	WIF_E_AUTH_DENIED = -22,    /* the server denied the assertion (401) */
	WIF_E_BAD_REQUEST = -23,    /* the server rejected the request (400) */
	WIF_E_RATE_LIMITED = -24,   /* 429 after retries */
	WIF_E_SERVER = -25,         /* 5xx/529 after retries */
	WIF_E_REPLAY = -26,         /* the source returned an assertion already used */
	WIF_E_DENIED = -27,         /* access control denied this caller */
	WIF_E_NO_DAEMON = -28,      /* no daemon reachable */
	WIF_E_PROTOCOL = -29,       /* malformed wire-protocol message */
	WIF_E_CRYPTO = -30,         /* a cryptographic operation failed */
	WIF_E_UNSUPPORTED = -31,    /* not supported (algorithm, version, option) */
	WIF_E_NO_CREDENTIALS = -32, /* nothing is configured to produce a token */
	WIF_E_EXEC = -33,           /* a helper program failed */
} wif_rc;

/* A static, human-readable description of rc; never NULL. */
const char *wif_strerror(int rc);

#ifdef __cplusplus
}
#endif
#endif /* WIF_RC_H */
