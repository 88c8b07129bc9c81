/*
 * wif/provider.h - the identity-provider plugin ABI, major 1.
 *
 * A provider plugin is a shared object named <name>.so in the provider
 * directory (pkg-config --variable=providerdir wif).  It exports exactly one
 * symbol, wif_provider_entry(), which hands the core a static, constant
 * table (struct wif_provider).  The core lends the plugin a table of host
 * services (struct wif_host) so that the plugin needs no libcurl, OpenSSL,
 * json-c or libconfig of its own.
 *
 * Versioning.  Both tables begin with struct_size, abi_major, abi_minor.
 * A new minor only ever APPENDS fields at the end ("minor N ends here");
 * no signature or meaning changes within a major.  A reader touches a field
 * of a table written by the other side only after WIF_HAS() says the table
 * is long enough to contain it.  A plugin built against minor 0 therefore
 * works with a core of minor 5, and a plugin of minor 5 with a core of
 * minor 0 (it must then check WIF_HAS before using a newer host service).
 *
 * History.  1.0: the tables below up to "Minor 0 ends here".
 *           1.1: struct wif_provider gains describe().
 *           1.2: struct wif_http_request gains ca_file (a private CA such
 *                as a Kubernetes cluster's; check host->abi_minor >= 2).
 *
 * Ownership.  Every pointer passed INTO a plugin function is borrowed for
 * the duration of the call.  Memory a plugin hands back to the core
 * (the identity token) must come from host->secure_alloc (or a host service
 * documented as allocating with it); the core owns and wipes it.  On error a
 * plugin frees whatever it allocated and leaves its outputs NULL.  Memory a
 * host service hands to the plugin says in its comment how to free it.
 *
 * Threads.  The core serializes all calls on one plugin state unless the
 * plugin sets WIF_PROVIDER_THREAD_SAFE.  Host services are thread-safe.
 * A plugin never calls curl_global_*, fork, exit, setenv, putenv, signal
 * or sigaction, never changes the process's credentials, working directory
 * or umask, and never writes to stdout.  To run a program it asks the host
 * (run_program); to read the environment it asks the host (getenv), so the
 * core can give it a controlled view.
 *
 * Secrets.  Identity tokens, client secrets and keys are secrets: keep them
 * in host->secure_alloc memory, never pass them to log() or set_error(),
 * and free them with host->secure_free (which wipes).
 *
 * See wif-provider(3) for a walkthrough and an out-of-tree build example.
 */
#ifndef WIF_PROVIDER_H
#define WIF_PROVIDER_H

#include <stddef.h>
#include <stdint.h>
#include <wif/rc.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WIF_PROVIDER_ABI_MAJOR 1
#define WIF_PROVIDER_ABI_MINOR 2

/* The symbol the loader looks up; the only symbol a plugin exports. */
#define WIF_PROVIDER_ENTRY_SYMBOL "wif_provider_entry"

/*
 * True when the table at ptr (whose first member is uint32_t struct_size)
 * is long enough to contain field.  Use it before reading any field that a
 * later minor appended.
 */
#define WIF_HAS(type, ptr, field)                                           \
	((ptr) != NULL &&                                                   \
	 (size_t)(ptr)->struct_size >=                                      \
	     offsetof(type, field) + sizeof(((const type *)0)->field))

#if defined(__GNUC__)
#define WIF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WIF_EXPORT __attribute__((visibility("default")))
#else
#define WIF_PRINTF(f, a)
#define WIF_EXPORT
#endif

/* ---- log levels (host->log) ------------------------------------------- */
enum wif_log_level {
	WIF_LOG_ERR = 3,
	WIF_LOG_WARNING = 4,
	WIF_LOG_NOTICE = 5,
	WIF_LOG_INFO = 6,
	WIF_LOG_DEBUG = 7,
};

/* ---- the plugin's configuration schema ---------------------------------
 * A plugin declares every key its source section accepts.  The core
 * validates the section against this list (unknown keys, wrong types and
 * missing required keys are configuration errors naming file and line), so
 * by the time init() runs, every key the plugin reads has the declared type.
 * The keys "provider" and "name" are the core's and must not be declared.
 */
enum wif_option_type {
	WIF_OPT_STRING = 1,
	WIF_OPT_INT = 2,        /* 64-bit integer */
	WIF_OPT_BOOL = 3,
	WIF_OPT_STRING_LIST = 4 /* a libconfig array or list of strings */
};

#define WIF_OPT_REQUIRED 0x01u   /* the key must be present */
#define WIF_OPT_SECRET 0x02u     /* an inline secret: the config file that
                                  * holds it must not be group/world readable */
#define WIF_OPT_PATH 0x04u       /* an absolute path */
#define WIF_OPT_SECRET_PATH 0x08u /* an absolute path to a secret file (read
                                   * with WIF_READ_SECRET) */

struct wif_option {
	const char *name;  /* [a-z0-9_]+ */
	int type;          /* enum wif_option_type */
	unsigned flags;    /* WIF_OPT_* */
	const char *help;  /* one line, shown by `wif providers -v` */
};

/* ---- a fetch request --------------------------------------------------- */
#define WIF_FETCH_FORCE_FRESH 0x01u /* a retry after the server denied the
                                     * previous assertion: return a JWT other
                                     * than the last one, or fail */

struct wif_fetch_request {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	/* Minor 0 */
	const char *profile;          /* profile name, for messages */
	const char *audience;         /* the audience the destination expects
	                               * (e.g. "https://api.anthropic.com");
	                               * a plugin's own "audience" key wins */
	unsigned flags;               /* WIF_FETCH_* */
	/* SHA-256 of the last JWT this profile exchanged, or all zero.  A
	 * file-based source that still holds that JWT can wait for rotation. */
	uint8_t last_sha256[32];
	int64_t deadline_ms;          /* host->monotonic_ms() value after which
	                               * the fetch should give up (0 = none) */
	/* Minor 0 ends here */
};

/* ---- HTTP through the core's policy ---------------------------------- *
 * TLS peer and host verification are always on.  Redirects are never
 * followed (a 3xx is returned as a response).  Plain http:// is allowed only
 * to loopback (127.0.0.0/8, ::1, localhost) and the link-local metadata
 * addresses (169.254.169.254, fd00:ec2::254, metadata.google.internal, and
 * AWS's container credential endpoints 169.254.170.2, 169.254.170.23,
 * fd00:ec2::23);
 * anything else fails with WIF_E_POLICY.  The body is capped (max_body, or
 * the configured http.max_body) and larger bodies fail with WIF_E_TOO_BIG.
 */
#define WIF_HTTP_RETRY 0x01u   /* retry network errors, 408, 429 (honouring
                                * Retry-After), 5xx with jittered backoff,
                                * up to http.retries times */
#define WIF_HTTP_HTTP2 0x02u   /* HTTP/2 prior knowledge (cleartext) */

struct wif_http_request {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	/* Minor 0 */
	const char *method;            /* "GET", "POST", "PUT" */
	const char *url;
	const char *const *headers;    /* "Name: value", NULL-terminated; may be NULL */
	const void *body;              /* may be NULL */
	size_t body_len;
	const char *unix_socket;       /* connect through this Unix socket, or NULL */
	long timeout_ms;               /* total; 0 = http.timeout_ms */
	long connect_timeout_ms;       /* 0 = http.connect_timeout_ms */
	size_t max_body;               /* 0 = http.max_body */
	unsigned flags;                /* WIF_HTTP_* */
	/* Minor 0 ends here */
	/* Minor 2.  A PEM file of CA certificates that replaces the system's
	 * trust store for this request (e.g. a Kubernetes cluster CA), or
	 * NULL.  A core older than 1.2 ignores it: check host->abi_minor. */
	const char *ca_file;
	/* Minor 2 ends here */
};

struct wif_http_response {
	uint32_t struct_size;
	long status;                   /* HTTP status code */
	char *body;                    /* NUL-terminated, in secure memory */
	size_t body_len;
	/* opaque host data follows; use host->http_header() */
};

/* ---- opaque host objects --------------------------------------------- */
struct wif_json; /* a parsed or built JSON document */

/* ---- host services ---------------------------------------------------- *
 * Every function takes the host pointer the plugin received in init() as
 * its first argument; it identifies the plugin instance (for its config
 * section, its log prefix and its error detail).
 */
struct wif_host {
	uint32_t struct_size;
	uint16_t abi_major;
	uint16_t abi_minor;
	/* Minor 0 */

	/* Logging.  Lines are prefixed with the provider and profile.  Never
	 * pass a secret. */
	void (*log)(const struct wif_host *h, int level, const char *fmt, ...)
	    WIF_PRINTF(3, 4);
	/* The detail string of the error the current call is about to return:
	 * what failed and what to do ("token file /x is empty: is the volume
	 * mounted?").  Never pass a secret. */
	void (*set_error)(const struct wif_host *h, const char *fmt, ...)
	    WIF_PRINTF(2, 3);
	const char *(*strerror)(int rc);

	/* The plugin's own config section.  Returns WIF_OK, or WIF_E_NOT_FOUND
	 * when the key is absent; *out is set to NULL (or left unchanged for
	 * config_int/config_bool) in that case, so keep defaults in a separate
	 * variable.  Strings are borrowed and live as long as the
	 * plugin state (until destroy). */
	int (*config_string)(const struct wif_host *h, const char *key,
	                     const char **out);
	int (*config_int)(const struct wif_host *h, const char *key,
	                  int64_t *out);
	int (*config_bool)(const struct wif_host *h, const char *key, int *out);
	/* The idx-th element of a string list; WIF_E_NOT_FOUND past the end. */
	int (*config_list_string)(const struct wif_host *h, const char *key,
	                          size_t idx, const char **out);

	/* The process environment as the core chooses to show it (borrowed;
	 * NULL when unset). */
	const char *(*getenv)(const struct wif_host *h, const char *name);

	/* Read a whole file of at most max bytes into secure memory, NUL
	 * terminated.  *out is freed with secure_free.  With WIF_READ_SECRET
	 * the file must be a regular file owned by root or the effective uid
	 * and not group/world readable (WIF_E_PERM otherwise). */
#define WIF_READ_SECRET 0x01u
	int (*read_file)(const struct wif_host *h, const char *path, size_t max,
	                 unsigned flags, char **out, size_t *out_len);

	/* HTTP.  *resp is freed with http_free (which wipes the body). */
	int (*http)(const struct wif_host *h, const struct wif_http_request *req,
	            struct wif_http_response **resp);
	/* A response header (case-insensitive name), borrowed, or NULL. */
	const char *(*http_header)(const struct wif_host *h,
	                           const struct wif_http_response *resp,
	                           const char *name);
	void (*http_free)(const struct wif_host *h, struct wif_http_response *resp);

	/* JSON.  Paths are JSON Pointers (RFC 6901): "/value", "/a/0/b".
	 * Strings returned are borrowed from doc.  json_get_int accepts JSON
	 * integers only; WIF_E_NOT_FOUND when absent, WIF_E_PARSE when the
	 * value has another type. */
	int (*json_parse)(const struct wif_host *h, const char *buf, size_t len,
	                  struct wif_json **doc);
	int (*json_get_string)(const struct wif_host *h,
	                       const struct wif_json *doc, const char *pointer,
	                       const char **out);
	int (*json_get_int)(const struct wif_host *h, const struct wif_json *doc,
	                    const char *pointer, int64_t *out);
	struct wif_json *(*json_new_object)(const struct wif_host *h);
	int (*json_set_string)(const struct wif_host *h, struct wif_json *doc,
	                       const char *key, const char *value);
	int (*json_set_int)(const struct wif_host *h, struct wif_json *doc,
	                    const char *key, int64_t value);
	/* Compact serialization in secure memory; free with secure_free. */
	int (*json_serialize)(const struct wif_host *h,
	                      const struct wif_json *doc, char **out);
	void (*json_free)(const struct wif_host *h, struct wif_json *doc);

	/* Digests and encodings.  Encoders allocate NUL-terminated strings in
	 * secure memory (free with secure_free). */
	int (*sha256)(const struct wif_host *h, const void *data, size_t len,
	              uint8_t out[32]);
	int (*hmac_sha256)(const struct wif_host *h, const void *key,
	                   size_t key_len, const void *data, size_t len,
	                   uint8_t out[32]);
	int (*base64_encode)(const struct wif_host *h, const void *data,
	                     size_t len, char **out);
	int (*base64url_encode)(const struct wif_host *h, const void *data,
	                        size_t len, char **out);
	/* Accepts base64url with or without padding; *out (secure memory)
	 * is NUL-terminated for convenience, *out_len excludes the NUL. */
	int (*base64url_decode)(const struct wif_host *h, const char *in,
	                        size_t len, uint8_t **out, size_t *out_len);
	int (*random_bytes)(const struct wif_host *h, void *buf, size_t len);

	/* Compact JWS: header {"alg":alg,"typ":"JWT"[,"kid":kid]}, the given
	 * payload (a JSON text), signed with the PEM private key.  alg is one
	 * of RS256, RS384, RS512, PS256, ES256, ES384.  *out in secure memory. */
	int (*jws_sign)(const struct wif_host *h, const char *alg,
	                const char *key_pem, size_t key_pem_len, const char *kid,
	                const char *payload_json, char **out);

	/* Secure memory: locked where possible, wiped on free.  secure_free
	 * accepts NULL. */
	void *(*secure_alloc)(const struct wif_host *h, size_t size);
	void (*secure_free)(const struct wif_host *h, void *p);
	char *(*secure_strndup)(const struct wif_host *h, const char *s,
	                        size_t n);

	/* Clocks: wall-clock seconds since the epoch, and a monotonic clock in
	 * milliseconds.  Tests may inject both. */
	int64_t (*now)(const struct wif_host *h);
	int64_t (*monotonic_ms)(const struct wif_host *h);

	/* Run argv[0] (an absolute path; no shell) with env (NULL-terminated
	 * "NAME=value" list; NULL = an empty environment), stdin from
	 * /dev/null, stdout captured up to max_out bytes into secure memory
	 * (free with secure_free), stderr captured up to 4 KiB into *err_out
	 * (ordinary memory, free with free(); may be NULL).  The child is
	 * killed after timeout_ms.  *exit_status is the exit code, or 128+N
	 * when killed by signal N.  Returns WIF_E_TIMEOUT, WIF_E_TOO_BIG,
	 * WIF_E_EXEC (could not start) or WIF_OK (whatever the exit status). */
	int (*run_program)(const struct wif_host *h, const char *const *argv,
	                   const char *const *env, long timeout_ms,
	                   size_t max_out, char **out, size_t *out_len,
	                   char **err_out, int *exit_status);
	/* Minor 0 ends here */
};

/* ---- the plugin's table ------------------------------------------------ */
#define WIF_PROVIDER_THREAD_SAFE 0x01u

struct wif_provider {
	uint32_t struct_size;       /* sizeof(struct wif_provider) */
	uint16_t abi_major;         /* WIF_PROVIDER_ABI_MAJOR */
	uint16_t abi_minor;         /* WIF_PROVIDER_ABI_MINOR */
	/* Minor 0 */
	const char *name;           /* must equal the file name without .so */
	const char *description;    /* one line */
	const char *version;        /* the plugin's own version */
	unsigned flags;             /* WIF_PROVIDER_* */
	const struct wif_option *options; /* terminated by {NULL, 0, 0, NULL} */

	/* Required.  Read and check the config section, allocate the state.
	 * Must not touch the network.  Return WIF_E_CONFIG with set_error()
	 * for a bad value.  host stays valid until destroy(). */
	int (*init)(const struct wif_host *host, void **state);
	/* Required.  A fresh identity JWT for req->audience into *jwt (secure
	 * memory from host->secure_alloc; the core owns it afterwards). */
	int (*fetch_identity_token)(void *state,
	                            const struct wif_fetch_request *req,
	                            char **jwt);
	/* Required.  Free the state; accepts NULL. */
	void (*destroy)(void *state);
	/* Optional (may be NULL).  A cheap local check - environment
	 * variables, files - that never touches the network: 1 when this
	 * source may apply on this host, 0 when it cannot.  Lets an unpinned
	 * chain skip sources without probing metadata servers. */
	int (*detect)(const struct wif_host *host);
	/* Minor 0 ends here */

	/* Minor 1.  Optional (may be NULL): one line, free of secrets, about
	 * the source's current state for `wif status` ("waiting for kubelet
	 * to rotate /x"), NUL-terminated in buf.  Return WIF_OK, or
	 * WIF_E_NOT_FOUND when there is nothing to say.  Must not block.
	 * Without WIF_PROVIDER_THREAD_SAFE it is never called while a fetch
	 * of the same state runs (the core reports "fetching an identity
	 * token" instead); with it, it may run alongside fetches. */
	int (*describe)(void *state, char *buf, size_t len);
	/* Minor 1 ends here */
};

/*
 * The entry point.  host_major is the ABI major of the calling core.  On
 * success set *out to a static table and return WIF_OK; for a major the
 * plugin does not implement return WIF_E_ABI.
 */
typedef int (*wif_provider_entry_fn)(uint16_t host_major,
                                     const struct wif_provider **out);

WIF_EXPORT int wif_provider_entry(uint16_t host_major,
                                  const struct wif_provider **out);

#ifdef __cplusplus
}
#endif
#endif /* WIF_PROVIDER_H */
