/*
 * json.h - bounded JSON parsing and building on top of json-c, the shape
 * the provider ABI lends to plugins (struct wif_json).
 *
 * Owns: struct wif_json (a json_object plus what is needed to free it).
 * Input is capped at WIF_JSON_MAX_INPUT bytes and WIF_JSON_MAX_DEPTH
 * nesting; larger input fails with WIF_E_TOO_BIG.  Paths are JSON Pointers
 * (RFC 6901).  Must never put document content (which may be a token) in an
 * error message: errors name the pointer, never the value.
 */
#ifndef WIF_JSON_H
#define WIF_JSON_H

#include <stddef.h>
#include <stdint.h>

#define WIF_JSON_MAX_INPUT (1024 * 1024)
#define WIF_JSON_MAX_DEPTH 32

struct wif_json;
struct json_object;

/* Parse exactly one JSON value (trailing whitespace allowed, trailing
 * garbage rejected).  Free with wif_json_free(). */
int wif_json_parse(const char *buf, size_t len, struct wif_json **doc);
/* Borrowed string at pointer; WIF_E_NOT_FOUND absent, WIF_E_PARSE not a string. */
int wif_json_get_string(const struct wif_json *doc, const char *pointer,
                        const char **out);
/* JSON integer at pointer (not a string, not a float). */
int wif_json_get_int(const struct wif_json *doc, const char *pointer,
                     int64_t *out);
struct wif_json *wif_json_new_object(void);
int wif_json_set_string(struct wif_json *doc, const char *key,
                        const char *value);
int wif_json_set_int(struct wif_json *doc, const char *key, int64_t value);
/* Compact text in secure memory (free with wif_secmem_free). */
int wif_json_serialize(const struct wif_json *doc, char **out);
void wif_json_free(struct wif_json *doc);
/* The underlying json-c object, for core modules (borrowed). */
struct json_object *wif_json_object(const struct wif_json *doc);

#endif
