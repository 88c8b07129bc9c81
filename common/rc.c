/* rc.c - wif_strerror(): libc only, shared by the client and the core. */
#include "config.h"

#include <wif/rc.h>
#include <wif/wif.h>

const char *
wif_strerror(int rc)
{
	switch ((wif_rc)rc) {
	case WIF_OK: return "success";
	case WIF_E_INTERNAL: return "internal error";
	case WIF_E_NOMEM: return "out of memory";
	case WIF_E_INVALID_ARG: return "invalid argument";
	case WIF_E_CONFIG: return "invalid configuration";
	case WIF_E_IO: return "input/output error";
	case WIF_E_PERM: return "unsafe ownership or permissions";
	case WIF_E_NOT_FOUND: return "not found";
	case WIF_E_TOO_BIG: return "input too large";
	case WIF_E_PARSE: return "malformed input";
	case WIF_E_PROVIDER_LOAD: return "provider plugin could not be loaded";
	case WIF_E_ABI: return "provider ABI mismatch";
	case WIF_E_PROVIDER: return "identity provider failed";
	case WIF_E_NOT_APPLICABLE: return "identity source does not apply here";
	case WIF_E_HTTP: return "network error";
	case WIF_E_HTTP_STATUS: return "unexpected HTTP status";
	case WIF_E_TIMEOUT: return "timed out";
	case WIF_E_POLICY: return "refused by policy";
	case WIF_E_JWT: return "malformed JWT";
	case WIF_E_JWT_EXPIRED: return "JWT expired";
	case WIF_E_JWT_NOT_YET_VALID: return "JWT not yet valid";
	case WIF_E_EXCHANGE: return "token exchange failed";
	case WIF_E_AUTH_DENIED: return "assertion denied by the server";
	case WIF_E_BAD_REQUEST: return "request rejected by the server";
	case WIF_E_RATE_LIMITED: return "rate limited";
	case WIF_E_SERVER: return "server error";
	case WIF_E_REPLAY: return "assertion already used";
	case WIF_E_DENIED: return "access denied";
	case WIF_E_NO_DAEMON: return "daemon not reachable";
	case WIF_E_PROTOCOL: return "protocol error";
	case WIF_E_CRYPTO: return "cryptographic error";
	case WIF_E_UNSUPPORTED: return "not supported";
	case WIF_E_NO_CREDENTIALS: return "no credentials configured";
	case WIF_E_EXEC: return "helper program failed";
	}
	return "unknown error";
}
