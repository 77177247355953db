/* hb-json.h: what every parser of outside JSON needs before json-glib 1.6 sees the text. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Does @text (@len bytes) hold a '{' or '[' value after its first value? json-glib 1.6 accepts
 * such text as its first value and leaks every container after it, so outside text is checked
 * before parsing. A string-aware scan; it does not validate the JSON. */
gboolean hb_json_text_has_trailing_container (const char *text, gsize len);

/* How deeply @text nests arrays and objects (string-aware). json-glib 1.6 parses recursively and
 * overflows the stack on deep enough input (about 100,000 levels): outside text is checked first. */
guint hb_json_text_depth (const char *text, gsize len);

#define HB_JSON_MAX_DEPTH 512

/* Parse outside text, refusing a second value after the first and nesting deeper than
 * HB_JSON_MAX_DEPTH. NULL with @error set otherwise. */
JsonNode *hb_json_parse_single (const char *text, GError **error);

G_END_DECLS

/* Writing JSON text without a JsonNode tree: json-glib's generator walks a tree and escapes
 * strings a character at a time, which is most of the cost of a model request. */

/* Append @str as a JSON string literal, quotes included. The same text as json-glib 1.6 writes,
 * except that U+001F is escaped (json-glib leaves it raw, which RFC 8259 forbids). */
void hb_json_append_string (GString *out, const char *str);

/* Append @value in decimal, as printf ("%" G_GINT64_FORMAT) writes it. */
void hb_json_append_int64 (GString *out, gint64 value);

/* Append @value as json-glib 1.6 writes a double ("%.17g", with ".0" when that has no '.'), but
 * valid JSON throughout: no ".0" after an exponent, and null for infinities and NaN. */
void hb_json_append_double (GString *out, double value);

/* A fast path in front of json-glib's parser for text from outside: parse @text as one JSON
 * object under strict RFC 8259 rules into the tree json-glib 1.6 would build from it (sealed).
 * NULL means "not sure", never "invalid": for anything outside strict JSON (json-glib accepts
 * more), and for what json-glib might read differently (duplicate members, integers of more
 * than 18 digits, \u0000, lone surrogates, nesting deeper than HB_JSON_MAX_DEPTH), so the
 * caller hands NULL cases to json-glib and gets its usual answer and error message. */
JsonNode *hb_json_parse_object_fast (const char *text, gsize len);
