/*
 * json.c - bounded JSON on json-c, the shape plugins see; see json.h.
 *
 * json-c keeps string values in ordinary heap memory, and documents often
 * carry tokens, so wif_json_free() wipes every string value before handing
 * the tree back, and serialization wipes json-c's copy of the text.  The
 * tokener's scratch buffer is json-c's own and is freed unwiped: a token
 * may linger there, which secure memory cannot fix without replacing the
 * parser.
 */
#include "config.h"

#include <json-c/json.h>
#include <json-c/json_pointer.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "secmem.h"

/* Keys a builder may set, and pointers a caller may look up. */
#define MAX_KEY 1024

struct wif_json {
	json_object *o;
};

/* Non-finite numbers (NaN, Infinity, 1e999) are not JSON, though json-c
 * accepts some of them; anything deeper than the tokener allowed cannot
 * occur, so the recursion is bounded by WIF_JSON_MAX_DEPTH. */
static int
finite_numbers(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_double:
		return isfinite(json_object_get_double(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!finite_numbers(json_object_array_get_idx(o, i)))
				return 0;
		return 1;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (!finite_numbers(v))
				return 0;
		}
		return 1;
	}
	default:
		return 1;
	}
}

static void
wipe_strings(json_object *o, int depth)
{
	size_t i, n;

	if (o == NULL || depth > WIF_JSON_MAX_DEPTH + 1)
		return;
	switch (json_object_get_type(o)) {
	case json_type_string:
		/* The tree is about to be freed; json-c owns the bytes. */
		wif_wipe((char *)(uintptr_t)json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			wipe_strings(json_object_array_get_idx(o, i), depth + 1);
		break;
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			wipe_strings(v, depth + 1);
		}
		break;
	}
	default:
		break;
	}
}

/* What json-c lets through even in strict mode: single-quoted strings, and
 * UTF-8 that RFC 3629 forbids (overlong forms, UTF-16 surrogates, code
 * points past U+10FFFF).  One pass over the input, before the tokener. */
static int
strict_scan(const unsigned char *b, size_t len)
{
	size_t i = 0, n, k;
	unsigned cp, min;
	int in_str = 0;

	while (i < len) {
		unsigned c = b[i];

		if (c < 0x80) {
			if (in_str && c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				in_str = !in_str;
			else if (!in_str && c == '\'')
				return wif_err(WIF_E_PARSE, "not valid JSON "
				    "(single quote at offset %zu)", i);
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			n = 1; cp = c & 0x1f; min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2; cp = c & 0x0f; min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3; cp = c & 0x07; min = 0x10000;
		} else {
			goto bad;
		}
		if (i + n >= len)
			goto bad;
		for (k = 1; k <= n; k++) {
			if ((b[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (b[i + k] & 0x3fu);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += n + 1;
	}
	return WIF_OK;
bad:
	return wif_err(WIF_E_PARSE, "not valid JSON (bad UTF-8 at offset %zu)",
	    i);
}

static int
parse_error(enum json_tokener_error e)
{
	if (e == json_tokener_error_depth)
		return wif_err(WIF_E_TOO_BIG, "JSON document nested deeper than "
		    "%d levels", WIF_JSON_MAX_DEPTH);
	return wif_err(WIF_E_PARSE, "not valid JSON (%s)",
	    e == json_tokener_success || e == json_tokener_continue ?
	    "unexpected end of data" : json_tokener_error_desc(e));
}

int
wif_json_parse(const char *buf, size_t len, struct wif_json **doc)
{
	json_tokener *tok = NULL;
	json_object *o = NULL;
	struct wif_json *d;
	enum json_tokener_error e;
	size_t end, i;
	int r;

	*doc = NULL;
	if (buf == NULL && len > 0)
		return wif_err(WIF_E_INVALID_ARG, "no JSON input");
	if (len > WIF_JSON_MAX_INPUT)
		return wif_err(WIF_E_TOO_BIG, "JSON document of %zu bytes is larger "
		    "than the %d allowed", len, WIF_JSON_MAX_INPUT);
	if ((r = strict_scan((const unsigned char *)buf, len)) != WIF_OK)
		return r;
	/* json-c counts the outermost value as one level, like we do. */
	if ((tok = json_tokener_new_ex(WIF_JSON_MAX_DEPTH)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, len > 0 ? buf : "", (int)len);
	e = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (o == NULL && e == json_tokener_continue) {
		/* A bare number or literal ends only at the end of input:
		 * json-c takes a NUL as that end. */
		o = json_tokener_parse_ex(tok, "", 1);
		e = json_tokener_get_error(tok);
		end = len;
	}
	if (o == NULL && e == json_tokener_success) {
		/* json-c represents null as no object; no document wif reads
		 * can be a bare null, so it is refused like any other shape. */
		r = wif_err(WIF_E_PARSE, "JSON document is a bare null");
		goto out;
	}
	if (o == NULL || e != json_tokener_success) {
		r = parse_error(e);
		goto out;
	}
	for (i = end; i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\r' &&
		    buf[i] != '\t') {
			r = wif_err(WIF_E_PARSE, "not valid JSON (trailing data "
			    "after the document at offset %zu)", i);
			goto out;
		}
	}
	if (!finite_numbers(o)) {
		r = wif_err(WIF_E_PARSE, "not valid JSON (a number is not finite)");
		goto out;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		r = wif_err(WIF_E_NOMEM, "out of memory");
		goto out;
	}
	d->o = o;
	o = NULL; /* transferred */
	*doc = d;
	r = WIF_OK;
out:
	if (o != NULL) {
		wipe_strings(o, 0);
		json_object_put(o);
	}
	json_tokener_free(tok);
	return r;
}

static int
lookup(const struct wif_json *doc, const char *pointer, json_object **v)
{
	*v = NULL;
	if (doc == NULL || pointer == NULL)
		return wif_err(WIF_E_INVALID_ARG, "no JSON document or pointer");
	if (strnlen(pointer, MAX_KEY + 1) > MAX_KEY)
		return wif_err(WIF_E_INVALID_ARG, "JSON Pointer longer than %d "
		    "bytes", MAX_KEY);
	if (pointer[0] == '\0') {
		*v = doc->o;
		return WIF_OK;
	}
	if (pointer[0] != '/')
		return wif_err(WIF_E_INVALID_ARG, "\"%s\" is not a JSON Pointer "
		    "(it must start with /)", pointer);
	/* json-c decodes ~1 then ~0 and takes only canonical array
	 * indexes, as RFC 6901 says. */
	if (json_pointer_get(doc->o, pointer, v) != 0 || *v == NULL) {
		*v = NULL;
		return wif_err(WIF_E_NOT_FOUND, "no value at %s", pointer);
	}
	return WIF_OK;
}

int
wif_json_get_string(const struct wif_json *doc, const char *pointer,
                    const char **out)
{
	json_object *v;
	int r;

	*out = NULL;
	if ((r = lookup(doc, pointer, &v)) != WIF_OK)
		return r;
	if (!json_object_is_type(v, json_type_string))
		return wif_err(WIF_E_PARSE, "the value at %s is not a string "
		    "but %s", pointer, json_type_to_name(json_object_get_type(v)));
	/* A C string cannot hold "\u0000": a string with one would reach
	 * its reader cut short (a token, a key id), so it is refused. */
	if (strlen(json_object_get_string(v)) !=
	    (size_t)json_object_get_string_len(v))
		return wif_err(WIF_E_PARSE, "the string at %s holds a NUL "
		    "character (\\u0000)", pointer);
	*out = json_object_get_string(v);
	return WIF_OK;
}

/*
 * json-c saturates integers it cannot hold: past INT64_MAX it keeps a
 * uint64 (up to UINT64_MAX), below INT64_MIN it keeps INT64_MIN.  Both
 * are refused, which costs INT64_MIN itself: no timestamp or lifetime
 * comes near it.
 */
int
wif_json_get_int(const struct wif_json *doc, const char *pointer, int64_t *out)
{
	json_object *v;
	int64_t i;
	int r;

	*out = 0;
	if ((r = lookup(doc, pointer, &v)) != WIF_OK)
		return r;
	if (!json_object_is_type(v, json_type_int))
		return wif_err(WIF_E_PARSE, "the value at %s is not an integer "
		    "but %s", pointer, json_type_to_name(json_object_get_type(v)));
	i = json_object_get_int64(v);
	if ((i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX) ||
	    i == INT64_MIN)
		return wif_err(WIF_E_PARSE, "the integer at %s is out of range",
		    pointer);
	*out = i;
	return WIF_OK;
}

struct wif_json *
wif_json_new_object(void)
{
	struct wif_json *d = calloc(1, sizeof(*d));

	if (d != NULL && (d->o = json_object_new_object()) == NULL) {
		free(d);
		d = NULL;
	}
	return d;
}

static int
set(struct wif_json *doc, const char *key, json_object *v)
{
	if (v == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	if (json_object_object_add(doc->o, key, v) != 0) {
		json_object_put(v);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	return WIF_OK;
}

static int
check_set(const struct wif_json *doc, const char *key)
{
	if (doc == NULL || !json_object_is_type(doc->o, json_type_object))
		return wif_err(WIF_E_INVALID_ARG, "not a JSON object");
	if (key == NULL || strnlen(key, MAX_KEY + 1) > MAX_KEY)
		return wif_err(WIF_E_INVALID_ARG, "JSON key missing or longer "
		    "than %d bytes", MAX_KEY);
	return WIF_OK;
}

int
wif_json_set_string(struct wif_json *doc, const char *key, const char *value)
{
	int r;

	if ((r = check_set(doc, key)) != WIF_OK)
		return r;
	if (value == NULL)
		return wif_err(WIF_E_INVALID_ARG, "no value for JSON key %s", key);
	if (strnlen(value, WIF_JSON_MAX_INPUT + 1) > WIF_JSON_MAX_INPUT)
		return wif_err(WIF_E_TOO_BIG, "the value for JSON key %s is "
		    "larger than %d bytes", key, WIF_JSON_MAX_INPUT);
	return set(doc, key, json_object_new_string(value));
}

int
wif_json_set_int(struct wif_json *doc, const char *key, int64_t value)
{
	int r;

	if ((r = check_set(doc, key)) != WIF_OK)
		return r;
	return set(doc, key, json_object_new_int64(value));
}

int
wif_json_serialize(const struct wif_json *doc, char **out)
{
	const char *s;
	size_t len = 0;

	*out = NULL;
	if (doc == NULL)
		return wif_err(WIF_E_INVALID_ARG, "no JSON document");
	s = json_object_to_json_string_length(doc->o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (s == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	*out = wif_secmem_strndup(s, len);
	/* json-c keeps the text in the object until the next serialization
	 * or the free; it may hold a secret. */
	wif_wipe((char *)(uintptr_t)s, len);
	if (*out == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	return WIF_OK;
}

void
wif_json_free(struct wif_json *doc)
{
	if (doc == NULL)
		return;
	wipe_strings(doc->o, 0);
	json_object_put(doc->o);
	free(doc);
}

struct json_object *
wif_json_object(const struct wif_json *doc)
{
	return doc ? doc->o : NULL;
}
