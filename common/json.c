/* json.c - bounded JSON on json-c, the shape plugins see; see json.h. */
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <json-c/json_pointer.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "json.h"
#include "secmem.h"

struct wif_json {
	json_object *o;
};

int
wif_json_parse(const char *buf, size_t len, struct wif_json **doc)
{
	json_tokener *tok;
	json_object *o;
	struct wif_json *d;
	size_t end, i;

	*doc = NULL;
	if (len > WIF_JSON_MAX_INPUT)
		return wif_err(WIF_E_TOO_BIG, "JSON document of %zu bytes is larger "
		    "than the %d allowed", len, WIF_JSON_MAX_INPUT);
	if ((tok = json_tokener_new_ex(WIF_JSON_MAX_DEPTH)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 0); /* bare numbers end at EOF */
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		enum json_tokener_error e = json_tokener_get_error(tok);
		json_object_put(o);
		json_tokener_free(tok);
		return wif_err(WIF_E_PARSE, "not valid JSON (%s)",
		    e == json_tokener_success ? "empty" : json_tokener_error_desc(e));
	}
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	for (i = end; i < len; i++) {
		if (buf[i] != ' ' && buf[i] != '\n' && buf[i] != '\r' && buf[i] != '\t') {
			json_object_put(o);
			return wif_err(WIF_E_PARSE, "not valid JSON (trailing data "
			    "after the document)");
		}
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		json_object_put(o);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	d->o = o;
	*doc = d;
	return WIF_OK;
}

static int
lookup(const struct wif_json *doc, const char *pointer, json_object **v)
{
	*v = NULL;
	if (doc == NULL || pointer == NULL)
		return wif_err(WIF_E_INVALID_ARG, "no JSON document");
	if (pointer[0] == '\0') {
		*v = doc->o;
		return WIF_OK;
	}
	if (pointer[0] != '/')
		return wif_err(WIF_E_INVALID_ARG, "\"%s\" is not a JSON Pointer", pointer);
	if (json_pointer_get(doc->o, pointer, v) != 0 || *v == NULL)
		return wif_err(WIF_E_NOT_FOUND, "no value at %s", pointer);
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
		return wif_err(WIF_E_PARSE, "the value at %s is not a string", pointer);
	*out = json_object_get_string(v);
	return WIF_OK;
}

int
wif_json_get_int(const struct wif_json *doc, const char *pointer, int64_t *out)
{
	json_object *v;
	int r;

	if ((r = lookup(doc, pointer, &v)) != WIF_OK)
		return r;
	if (!json_object_is_type(v, json_type_int))
		return wif_err(WIF_E_PARSE, "the value at %s is not an integer", pointer);
	errno = 0;
	*out = json_object_get_int64(v);
	if (errno != 0)
		return wif_err(WIF_E_PARSE, "the integer at %s is out of range", pointer);
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

int
wif_json_set_string(struct wif_json *doc, const char *key, const char *value)
{
	json_object *v;

	if (doc == NULL || !json_object_is_type(doc->o, json_type_object))
		return wif_err(WIF_E_INVALID_ARG, "not a JSON object");
	if ((v = json_object_new_string(value)) == NULL ||
	    json_object_object_add(doc->o, key, v) != 0) {
		json_object_put(v);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	return WIF_OK;
}

int
wif_json_set_int(struct wif_json *doc, const char *key, int64_t value)
{
	json_object *v;

	if (doc == NULL || !json_object_is_type(doc->o, json_type_object))
		return wif_err(WIF_E_INVALID_ARG, "not a JSON object");
	if ((v = json_object_new_int64(value)) == NULL ||
	    json_object_object_add(doc->o, key, v) != 0) {
		json_object_put(v);
		return wif_err(WIF_E_NOMEM, "out of memory");
	}
	return WIF_OK;
}

int
wif_json_serialize(const struct wif_json *doc, char **out)
{
	const char *s;

	*out = NULL;
	if (doc == NULL)
		return wif_err(WIF_E_INVALID_ARG, "no JSON document");
	s = json_object_to_json_string_ext(doc->o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	if (s == NULL || (*out = wif_secmem_strdup(s)) == NULL)
		return wif_err(WIF_E_NOMEM, "out of memory");
	return WIF_OK;
}

void
wif_json_free(struct wif_json *doc)
{
	if (doc == NULL)
		return;
	json_object_put(doc->o);
	free(doc);
}

struct json_object *
wif_json_object(const struct wif_json *doc)
{
	return doc ? doc->o : NULL;
}
