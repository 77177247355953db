/* fuzz-json: the fast JSON paths against json-glib itself.
 *
 * hb_json_parse_object_fast() may refuse anything ("not sure"), but a tree it builds must be the
 * tree json-glib builds from the same bytes. hb_json_append_string() must write a literal that
 * json-glib reads back as the same string. */
#include "config.h"

#include <string.h>

#include "hb-fuzz.h"
#include "hb-json.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hb_fuzz_init ();
  return 0;
}

static void
check_parse (const uint8_t *data, size_t size)
{
  g_autoptr(JsonNode) fast = hb_json_parse_object_fast ((const char *) data, size);
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *fast_text = NULL;
  g_autofree char *glib_text = NULL;
  JsonNode *root;

  if (fast == NULL)
    return;
  hb_fuzz_check (JSON_NODE_HOLDS_OBJECT (fast), "the fast parser returned a non-object");
  parser = json_parser_new ();
  hb_fuzz_check (json_parser_load_from_data (parser, (const char *) data, (gssize) size, NULL),
                 "the fast parser accepted what json-glib refuses");
  root = json_parser_get_root (parser);
  hb_fuzz_check (root != NULL && json_node_equal (root, fast),
                 "the fast parser built another tree than json-glib");
  fast_text = json_to_string (fast, FALSE);
  glib_text = json_to_string (root, FALSE);
  hb_fuzz_check (g_str_equal (fast_text, glib_text), "trees differ: %s vs %s", fast_text,
                 glib_text);
}

static void
check_escape (const uint8_t *data, size_t size)
{
  g_autofree char *text = hb_fuzz_strndup (data, size);
  g_autoptr(GString) literal = g_string_new ("[");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;
  JsonArray *array;

  if (!g_utf8_validate (text, -1, NULL))
    return;
  hb_json_append_string (literal, text);
  g_string_append_c (literal, ']');
  hb_fuzz_check (json_parser_load_from_data (parser, literal->str, (gssize) literal->len, &error),
                 "json-glib cannot read the literal %s: %s", literal->str,
                 error != NULL ? error->message : "?");
  root = json_parser_get_root (parser);
  hb_fuzz_check (JSON_NODE_HOLDS_ARRAY (root), "not an array");
  array = json_node_get_array (root);
  hb_fuzz_check (json_array_get_length (array) == 1 &&
                 JSON_NODE_HOLDS_VALUE (json_array_get_element (array, 0)) &&
                 json_node_get_value_type (json_array_get_element (array, 0)) == G_TYPE_STRING,
                 "the literal is not one string");
  hb_fuzz_check (g_str_equal (json_array_get_string_element (array, 0), text),
                 "the literal reads back as another string");
  for (gsize i = 0; i < literal->len; i++)
    hb_fuzz_check ((guchar) literal->str[i] >= 0x20, "a raw control character in %s",
                   literal->str);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  check_parse (data, size);
  check_escape (data, size);
  return 0;
}
