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
