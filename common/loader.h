/*
 * loader.h - find, check, dlopen and validate provider plugins.
 *
 * Owns: the rules that make loading a plugin safe.  A provider is named
 * ([a-z0-9_-]{1,64}), never given as a path: the file is always
 * <provider_dir>/<name>.so.  The file and every directory up to / must be
 * owned by root (or by the effective uid when that is not root) and not
 * group- or world-writable (OpenSSH safe_path).  dlopen(RTLD_NOW |
 * RTLD_LOCAL).  The table is validated - major, struct size, name equal to
 * the file name, required functions, option names and types - or the load
 * fails with the path and the reason.  Failure is closed: a plugin that
 * does not load is never used.
 * Must never: accept a path from configuration, or honour the
 * WIF_PROVIDER_DIR environment override in a root or setuid process.
 */
#ifndef WIF_LOADER_H
#define WIF_LOADER_H

#include <stdint.h>
#include <sys/types.h>
#include <wif/provider.h>

#define WIF_PROVIDER_DIR_ENV "WIF_PROVIDER_DIR"

struct wif_plugin {
	char *name;
	char *path;
	void *dl;
	const struct wif_provider *prov;
	uint16_t minor;             /* the plugin's abi_minor */
	int fd;                     /* the file it was loaded from, held while
	                               it is loaded so that the name it is
	                               known by (/proc/self/fd/N) stays its own */
};

/*
 * The provider directory to use: $WIF_PROVIDER_DIR when the process may
 * honour it (not root, not setuid/setgid), else configured when non-NULL,
 * else the built-in default.  Borrowed.
 */
const char *wif_loader_dir(const char *configured);

/* 0 when path and its parents are safe; else WIF_E_PERM / WIF_E_NOT_FOUND
 * with detail naming the offending file and the fix. */
int wif_loader_check_path(const char *path);

/* Load and validate <dir>/<name>.so.  Errors: WIF_E_INVALID_ARG (bad name),
 * WIF_E_NOT_FOUND, WIF_E_PERM, WIF_E_PROVIDER_LOAD (dlopen/dlsym failure),
 * WIF_E_ABI (table invalid); detail always names the path.  Free with
 * wif_loader_unload(). */
int wif_loader_load(const char *dir, const char *name, struct wif_plugin **out);
void wif_loader_unload(struct wif_plugin *p);

/* Validate a provider table as the loader does (exposed for tests). */
int wif_loader_validate(const struct wif_provider *prov, const char *name);

/* Call fn for every <name>.so in dir with a valid provider name, in name
 * order.  Returns WIF_OK or the error opening dir. */
int wif_loader_scan(const char *dir, void (*fn)(void *arg, const char *name),
                    void *arg);

#endif
