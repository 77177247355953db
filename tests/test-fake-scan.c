/* test-fake-scan.c: the fake Ollama's reading of chat requests agrees with json-glib's. */
#include "config.h"

#include <string.h>

#include "hb-fake-ollama-private.h"

/* What json-glib makes of @text: whether it is an object, its "model" string and "stream"
 * boolean (-1 otherwise). */
static gboolean
glib_reading (const char *text, char **model, int *stream)
{
  g_autoptr(JsonNode) root = json_from_string (text, NULL);
  JsonObject *obj;
  JsonNode *m;

  *model = NULL;
  *stream = -1;
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return FALSE;
  obj = json_node_get_object (root);
  m = json_object_get_member (obj, "model");
  if (m != NULL && JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_STRING)
    *model = g_strdup (json_node_get_string (m));
  m = json_object_get_member (obj, "stream");
  if (m != NULL && JSON_NODE_HOLDS_VALUE (m) && json_node_get_value_type (m) == G_TYPE_BOOLEAN)
    *stream = json_node_get_boolean (m);
  return TRUE;
}

static void
test_agrees (void)
{
  static const char *const valid[] = {
    "{}",
    " { \"model\" : \"llama3.2:latest\" , \"stream\" : false } ",
    "{\"stream\":true,\"model\":\"m\"}",
    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"a \\\"b\\\" \\u00e9 \\n\"}],"
    "\"format\":{\"type\":\"object\",\"properties\":{\"a\":{\"enum\":[1,-2.5e3,0,true,null]}}},"
    "\"options\":{\"temperature\":0.7,\"num_predict\":256},\"stream\":false}",
    "{\"model\":123,\"stream\":\"yes\"}",
    "{\"model\":null,\"stream\":null,\"x\":[[],{},[[[]]]]}",
    "{\"other\":{\"model\":\"inner\",\"stream\":true}}",
  };
  static const char *const invalid[] = {
    "", "[]", "\"model\"", "{", "{\"model\":}", "{\"model\":\"m\",}", "{\"a\":01}", "{\"a\":1.}",
    "{\"a\":.5}", "{\"a\":tru}", "{\"a\":\"\\x\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"tab\there\"}",
    "{} {}", "{\"a\":[1,]}", "{'a':1}", "{\"a\":1}x", "{\"a\":\"\xff\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (valid); i++)
    {
      HbFakeRequestInfo info;
      g_autofree char *model = NULL;
      int stream;

      g_assert_true (glib_reading (valid[i], &model, &stream));
      g_assert_true (hb_fake_scan_request (valid[i], strlen (valid[i]), &info));
      g_assert_false (info.unusual);
      g_assert_cmpstr (info.model, ==, model);
      g_assert_cmpint (info.stream, ==, stream);
      hb_fake_request_info_clear (&info);
    }
  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      HbFakeRequestInfo info;

      if (hb_fake_scan_request (invalid[i], strlen (invalid[i]), &info))
        g_error ("accepted as a request: %s", invalid[i]);
      hb_fake_request_info_clear (&info);
    }
}

/* Escaped text and names given twice are left to json-glib. */
static void
test_unusual (void)
{
  static const char *const unusual[] = {
    "{\"model\":\"a\\u0062c\"}",
    "{\"mod\\u0065l\":\"m\"}",
    "{\"model\":\"a\",\"model\":\"b\"}",
    "{\"stream\":true,\"stream\":false}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (unusual); i++)
    {
      HbFakeRequestInfo info;

      g_assert_true (hb_fake_scan_request (unusual[i], strlen (unusual[i]), &info));
      g_assert_true (info.unusual);
      hb_fake_request_info_clear (&info);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fake/scan/agrees", test_agrees);
  g_test_add_func ("/fake/scan/unusual", test_unusual);
  return g_test_run ();
}
