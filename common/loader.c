/* loader.c - safe loading of provider plugins; see loader.h. */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "conf.h"
#include "err.h"
#include "loader.h"
#include "util.h"

static int
process_is_privileged(void)
{
	return getuid() == 0 || geteuid() == 0 || wif_setid();
}

const char *
wif_loader_dir(const char *configured)
{
	const char *env;

	if (!process_is_privileged() &&
	    (env = getenv(WIF_PROVIDER_DIR_ENV)) != NULL && env[0] == '/')
		return env;
	if (configured != NULL && configured[0] != '\0')
		return configured;
	return WIF_DEFAULT_PROVIDER_DIR;
}

static int
check_one(const char *path, const struct stat *st, int is_file)
{
	uid_t euid = geteuid();

	if (st->st_uid != 0 && st->st_uid != euid)
		return wif_err(WIF_E_PERM, "%s %s is owned by uid %u, not by "
		    "root%s: refusing to load code from it; chown root %s",
		    is_file ? "plugin" : "directory", path,
		    (unsigned)st->st_uid, euid == 0 ? "" : " or you", path);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return wif_err(WIF_E_PERM, "%s %s is writable by %s (mode %04o):"
		    " refusing to load code from it; chmod go-w %s",
		    is_file ? "plugin" : "directory", path,
		    (st->st_mode & S_IWOTH) ? "everyone" : "its group",
		    (unsigned)(st->st_mode & 07777), path);
	return WIF_OK;
}

/* The checks of wif_loader_check_path; the resolved file and its stat
 * are handed back so that the loader can open exactly that file. */
static int
check_path(const char *path, char *resolved, struct stat *file_st)
{
	char buf[PATH_MAX], *slash;
	struct stat st;
	int r;

	if (realpath(path, buf) == NULL) {
		if (errno == ENOENT)
			return wif_err(WIF_E_NOT_FOUND, "%s does not exist", path);
		return wif_err(WIF_E_IO, "cannot resolve %s: %s", path, strerror(errno));
	}
	if (stat(buf, &st) != 0)
		return wif_err(WIF_E_IO, "cannot stat %s: %s", buf, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return wif_err(WIF_E_PERM, "plugin %s is not a regular file", buf);
	if ((r = check_one(buf, &st, 1)) != WIF_OK)
		return r;
	memcpy(resolved, buf, strlen(buf) + 1);
	*file_st = st;
	/* Every parent directory, up to and including "/". */
	for (;;) {
		if ((slash = strrchr(buf, '/')) == NULL)
			break;
		if (slash == buf)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(buf, &st) != 0)
			return wif_err(WIF_E_IO, "cannot stat %s: %s", buf, strerror(errno));
		if ((r = check_one(buf, &st, 0)) != WIF_OK)
			return r;
		if (strcmp(buf, "/") == 0)
			break;
	}
	return WIF_OK;
}

int
wif_loader_check_path(const char *path)
{
	char resolved[PATH_MAX];
	struct stat st;

	return check_path(path, resolved, &st);
}

/*
 * Is the object dlopen() returned made from the file described by st?  The
 * mapping that holds its dynamic section is looked up in /proc/self/maps and
 * its device and inode compared.  1: yes, 0: no, -1: cannot tell (no /proc).
 */
static int
dl_is_file(void *dl, const struct stat *st)
{
	struct link_map *lm = NULL;
	unsigned long long lo, hi, ino;
	unsigned int maj, mn;
	char *line = NULL;
	size_t cap = 0;
	uintptr_t a;
	FILE *f;
	int r = -1;

	if (dlinfo(dl, RTLD_DI_LINKMAP, &lm) != 0 || lm == NULL || lm->l_ld == NULL)
		return -1;
	a = (uintptr_t)lm->l_ld;
	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%llx-%llx %*s %*s %x:%x %llu", &lo, &hi, &maj,
		    &mn, &ino) != 5 || a < lo || a >= hi)
			continue;
		r = makedev(maj, mn) == st->st_dev && (ino_t)ino == st->st_ino;
		break;
	}
	free(line);
	fclose(f);
	return r;
}

/*
 * dlopen the very file check_path() approved: open it, check that the
 * descriptor is that file (device and inode) and still passes the owner and
 * mode checks, and load it through /proc/self/fd, so that a swap of the
 * path between the check and the load cannot put other code in.  Without
 * /proc the resolved path is loaded (the race then needs write access to a
 * directory the checks found root-owned and not writable by others).
 *
 * The dynamic linker knows an object by the name it was opened under and
 * hands back the loaded one when a name comes again.  So the descriptor a
 * plugin was loaded through stays open while the plugin is loaded (*keep),
 * which keeps "/proc/self/fd/N" its own; an object can still outlive its
 * descriptor (the same file loaded twice, the first copy let go), so the
 * object returned is checked to be made from our file, and if it is not, it
 * is let go and the load retried under another descriptor number (the
 * earlier ones held open meanwhile so that the numbers differ).
 */
#define OPEN_TRIES 8
static void *
open_checked(const char *resolved, const struct stat *checked, int *rc,
             int *keep)
{
	char fdpath[64];
	struct stat st;
	void *dl = NULL;
	int fds[OPEN_TRIES], n = 0, i, same;

	*rc = WIF_OK;
	*keep = -1;
	if ((fds[0] = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		*rc = wif_err(WIF_E_IO, "cannot open %s: %s", resolved,
		    strerror(errno));
		return NULL;
	}
	n = 1;
	if (fstat(fds[0], &st) != 0 || st.st_dev != checked->st_dev ||
	    st.st_ino != checked->st_ino || !S_ISREG(st.st_mode)) {
		*rc = wif_err(WIF_E_PERM, "%s changed while it was being "
		    "checked: refusing to load it", resolved);
		goto out;
	}
	if ((*rc = check_one(resolved, &st, 1)) != WIF_OK)
		goto out;
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fds[0]);
	if (access(fdpath, F_OK) != 0) {
		dl = dlopen(resolved, RTLD_NOW | RTLD_LOCAL); /* no /proc */
		goto out;
	}
	for (;;) {
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fds[n - 1]);
		if ((dl = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL)) == NULL)
			break;
		if ((same = dl_is_file(dl, &st)) != 0)
			break; /* ours, or no way to tell (then as without /proc) */
		dlclose(dl);
		dl = NULL;
		if (n == OPEN_TRIES ||
		    (fds[n] = fcntl(fds[0], F_DUPFD_CLOEXEC, 0)) == -1) {
			*rc = wif_err(WIF_E_PROVIDER_LOAD, "cannot load %s: the "
			    "dynamic linker keeps answering with another "
			    "object", resolved);
			break;
		}
		n++;
	}
out:
	for (i = 0; i < n; i++) {
		if (dl != NULL && i == n - 1 && *rc == WIF_OK)
			*keep = fds[i];
		else
			close(fds[i]);
	}
	return dl;
}

/* The minimum table a major-1 plugin must provide: everything of minor 0. */
#define PROVIDER_MINOR0_SIZE \
	(offsetof(struct wif_provider, detect) + sizeof(((struct wif_provider *)0)->detect))

static int
validate_options(const struct wif_option *o, const char *name)
{
	size_t i, j;

	if (o == NULL)
		return WIF_OK;
	for (i = 0; o[i].name != NULL; i++) {
		if (i >= 256)
			return wif_err(WIF_E_ABI, "option list is not terminated");
		if (o[i].name[0] == '\0' || strlen(o[i].name) > 64 ||
		    strspn(o[i].name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(o[i].name))
			return wif_err(WIF_E_ABI, "option %zu has an invalid name", i);
		if (strcmp(o[i].name, "provider") == 0 || strcmp(o[i].name, "name") == 0)
			return wif_err(WIF_E_ABI, "option \"%s\" is reserved for the core",
			    o[i].name);
		if (o[i].type < WIF_OPT_STRING || o[i].type > WIF_OPT_STRING_LIST)
			return wif_err(WIF_E_ABI, "option \"%s\" has unknown type %d",
			    o[i].name, o[i].type);
		for (j = 0; j < i; j++)
			if (strcmp(o[i].name, o[j].name) == 0)
				return wif_err(WIF_E_ABI, "option \"%s\" is declared twice",
				    o[i].name);
	}
	(void)name;
	return WIF_OK;
}

int
wif_loader_validate(const struct wif_provider *prov, const char *name)
{
	if (prov == NULL)
		return wif_err(WIF_E_ABI, "entry point returned no table");
	if (prov->abi_major != WIF_PROVIDER_ABI_MAJOR)
		return wif_err(WIF_E_ABI, "plugin is built for provider ABI "
		    "major %u, this wif speaks major %u: rebuild the plugin "
		    "against this wif's <wif/provider.h>",
		    (unsigned)prov->abi_major, (unsigned)WIF_PROVIDER_ABI_MAJOR);
	if (prov->struct_size < PROVIDER_MINOR0_SIZE)
		return wif_err(WIF_E_ABI, "provider table is %u bytes, shorter "
		    "than the %zu bytes of ABI 1.0: the plugin is corrupt or "
		    "was built against a broken header",
		    (unsigned)prov->struct_size, (size_t)PROVIDER_MINOR0_SIZE);
	if (prov->name == NULL || strcmp(prov->name, name) != 0)
		return wif_err(WIF_E_ABI, "plugin calls itself \"%s\" but is "
		    "installed as \"%s\": a provider's file must be named after "
		    "it", prov->name ? prov->name : "(null)", name);
	if (prov->init == NULL || prov->fetch_identity_token == NULL ||
	    prov->destroy == NULL)
		return wif_err(WIF_E_ABI, "plugin lacks a required function (%s)",
		    prov->init == NULL ? "init" :
		    prov->fetch_identity_token == NULL ? "fetch_identity_token" :
		    "destroy");
	return validate_options(prov->options, name);
}

void
wif_loader_unload(struct wif_plugin *p)
{
	if (p == NULL)
		return;
	if (p->dl != NULL)
		dlclose(p->dl);
	if (p->fd >= 0)
		close(p->fd);
	free(p->name);
	free(p->path);
	free(p);
}

int
wif_loader_load(const char *dir, const char *name, struct wif_plugin **out)
{
	struct wif_plugin *p = NULL;
	wif_provider_entry_fn entry;
	const struct wif_provider *prov = NULL;
	char resolved[PATH_MAX];
	struct stat checked;
	void *sym;
	int r;

	*out = NULL;
	if (name == NULL || !wif_config_valid_provider_name(name))
		return wif_err(WIF_E_INVALID_ARG, "\"%s\" is not a valid provider "
		    "name ([a-z0-9_-], at most 64): providers are named, never "
		    "given as paths", name ? name : "");
	if ((p = calloc(1, sizeof(*p))) != NULL)
		p->fd = -1;
	if (p == NULL || (p->name = strdup(name)) == NULL ||
	    asprintf(&p->path, "%s/%s.so", dir, name) < 0) {
		if (p != NULL)
			p->path = NULL;
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = check_path(p->path, resolved, &checked)) != WIF_OK) {
		if (r == WIF_E_NOT_FOUND)
			wif_err(r, "provider \"%s\" is not installed: %s does not "
			    "exist (see `wif providers`)", name, p->path);
		goto out;
	}
	dlerror();
	if ((p->dl = open_checked(resolved, &checked, &r, &p->fd)) == NULL) {
		const char *e = dlerror();

		if (r == WIF_OK)
			r = wif_err(WIF_E_PROVIDER_LOAD, "cannot load %s: %s",
			    p->path, e ? e : "unknown dlopen error");
		goto out;
	}
	dlerror();
	sym = dlsym(p->dl, WIF_PROVIDER_ENTRY_SYMBOL);
	if (sym == NULL) {
		r = wif_err(WIF_E_PROVIDER_LOAD, "%s is not a wif provider: it "
		    "does not export %s", p->path, WIF_PROVIDER_ENTRY_SYMBOL);
		goto out;
	}
	memcpy(&entry, &sym, sizeof(entry));
	if ((r = entry(WIF_PROVIDER_ABI_MAJOR, &prov)) != WIF_OK) {
		r = wif_err(WIF_E_ABI, "%s refused provider ABI major %u (entry "
		    "returned %d): rebuild the plugin against this wif",
		    p->path, (unsigned)WIF_PROVIDER_ABI_MAJOR, r);
		goto out;
	}
	if ((r = wif_loader_validate(prov, name)) != WIF_OK) {
		wif_err_prefix(r, "%s", p->path);
		goto out;
	}
	p->prov = prov;
	p->minor = prov->abi_minor;
	*out = p;
	p = NULL; /* transferred */
	r = WIF_OK;
out:
	wif_loader_unload(p);
	return r;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
wif_loader_scan(const char *dir, void (*fn)(void *arg, const char *name),
                void *arg)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, **tmp;
	size_t n = 0, i, len;

	if ((d = opendir(dir)) == NULL)
		return wif_err(errno == ENOENT ? WIF_E_NOT_FOUND : WIF_E_IO,
		    "cannot open provider directory %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL && n < 4096) {
		len = strlen(de->d_name);
		if (len <= 3 || strcmp(de->d_name + len - 3, ".so") != 0)
			continue;
		if ((tmp = realloc(names, (n + 1) * sizeof(*names))) == NULL)
			break;
		names = tmp;
		if ((names[n] = strndup(de->d_name, len - 3)) == NULL)
			break;
		if (!wif_config_valid_provider_name(names[n])) {
			free(names[n]);
			continue;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		fn(arg, names[i]);
		free(names[i]);
	}
	free(names);
	return WIF_OK;
}
