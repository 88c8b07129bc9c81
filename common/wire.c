/* wire.c - the wifd wire protocol v1; see wire.h.  libc only. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

void
wif_wire_begin(char *buf, size_t *len)
{
	memcpy(buf + 4, "wif=1\n", 6);
	*len = 10;
}

static int
key_ok(const char *k)
{
	size_t i;

	for (i = 0; k[i] != '\0'; i++)
		if (i >= WIF_WIRE_KEY_MAX || !((k[i] >= 'a' && k[i] <= 'z') ||
		    k[i] == '_'))
			return 0;
	return i > 0;
}

int
wif_wire_add(char *buf, size_t cap, size_t *len, const char *key,
             const char *value)
{
	size_t kl = strlen(key), vl = strlen(value), i, need;
	char *p;

	if (cap > WIF_WIRE_MAX + 4)
		cap = WIF_WIRE_MAX + 4;
	need = kl + 1 + vl + 1;
	if (!key_ok(key) || *len > cap || need > cap - *len)
		return -1;
	p = buf + *len;
	memcpy(p, key, kl);
	p[kl] = '=';
	for (i = 0; i < vl; i++)
		p[kl + 1 + i] = value[i] == '\n' ? ' ' : value[i];
	p[kl + 1 + vl] = '\n';
	*len += need;
	return 0;
}

int
wif_wire_addf(char *buf, size_t cap, size_t *len, const char *key,
              const char *fmt, ...)
{
	char v[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	return wif_wire_add(buf, cap, len, key, v);
}

size_t
wif_wire_end(char *buf, size_t len)
{
	uint32_t n = (uint32_t)(len - 4);

	buf[0] = (char)(n >> 24);
	buf[1] = (char)(n >> 16);
	buf[2] = (char)(n >> 8);
	buf[3] = (char)n;
	return len;
}

long
wif_wire_frame_size(const unsigned char *buf, size_t have)
{
	uint32_t n;

	if (have < 4)
		return 0;
	n = ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) |
	    ((uint32_t)buf[2] << 8) | buf[3];
	if (n == 0 || n > WIF_WIRE_MAX)
		return -1;
	return (long)n + 4;
}

int
wif_wire_parse(char *payload, size_t len, struct wif_wire_msg *m,
               const char **why)
{
	char *p = payload, *end = payload + len, *nl, *eq;
	size_t i;

	m->n = 0;
	if (len == 0 || payload[len - 1] != '\n') {
		*why = "message does not end with a newline";
		return -1;
	}
	if (memchr(payload, '\0', len) != NULL) {
		*why = "message contains a NUL byte";
		return -1;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		*nl = '\0';
		if ((eq = strchr(p, '=')) == NULL) {
			*why = "a line without '='";
			return -1;
		}
		*eq = '\0';
		if (!key_ok(p)) {
			*why = "a malformed key";
			return -1;
		}
		for (i = 0; i < m->n; i++) {
			if (strcmp(m->f[i].key, p) == 0) {
				*why = "a repeated key";
				return -1;
			}
		}
		if (m->n >= WIF_WIRE_FIELDS) {
			*why = "too many fields";
			return -1;
		}
		m->f[m->n].key = p;
		m->f[m->n].value = eq + 1;
		m->f[m->n].value_len = (size_t)(nl - (eq + 1));
		m->n++;
		p = nl + 1;
	}
	if (m->n == 0 || strcmp(m->f[0].key, "wif") != 0) {
		*why = "the first field is not the version (wif=1)";
		return -1;
	}
	if (strcmp(m->f[0].value, "1") != 0) {
		*why = "unsupported protocol version (this side speaks wif=1)";
		return -1;
	}
	return 0;
}

const char *
wif_wire_get(const struct wif_wire_msg *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->f[i].key, key) == 0)
			return m->f[i].value;
	return NULL;
}

int
wif_wire_get_i64(const struct wif_wire_msg *m, const char *key, int64_t *out)
{
	const char *v = wif_wire_get(m, key);
	char *end;
	long long x;

	if (v == NULL || *v == '\0')
		return -1;
	errno = 0;
	x = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	*out = (int64_t)x;
	return 0;
}
