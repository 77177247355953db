/* test-ndjson: the line splitter, fed every possible way; and the JSON text the model client
 * writes and reads without json-glib's generator and scanner, against json-glib itself. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "hb-error.h"
#include "hb-json.h"
#include "hb-llm-private.h"
#include "hb-ndjson.h"

typedef struct
{
  const char *name;
  const char *input;
  gsize max_line;
  gsize max_total;
  const char *lines;   /* expected lines joined by '|', NULL when an error is expected */
} NdjsonCase;

static const NdjsonCase cases[] = {
  { "two-lines", "a\nb\n", 64, 1024, "a|b" },
  { "crlf", "a\r\nb\r\n", 64, 1024, "a|b" },
  { "empty-lines", "\n\n a \n\n", 64, 1024, " a " },
  { "final-without-newline", "last", 64, 1024, "last" },
  { "line-then-final", "a\nlast", 64, 1024, "a|last" },
  { "empty-input", "", 64, 1024, "" },
  { "only-crlf", "\r\n\r\n", 64, 1024, "" },
  { "final-cr", "x\r", 64, 1024, "x" },
  { "inner-cr-kept", "a\rb\n", 64, 1024, "a\rb" },
  { "utf8", "\xc3\xa9\n\xc3\xbc\n", 64, 1024, "\xc3\xa9|\xc3\xbc" },
  { "json-lines", "{\"a\":1}\n{\"b\":[1,2]}\n", 64, 1024, "{\"a\":1}|{\"b\":[1,2]}" },
  { "line-at-cap", "abcde\n", 5, 1024, "abcde" },
  { "line-at-cap-crlf", "abcde\r\n", 5, 1024, "abcde" },
  { "line-over-cap", "abcdef\n", 5, 1024, NULL },
  { "final-over-cap", "abcdef", 5, 1024, NULL },
  { "line-over-cap-later", "ab\nabcdef\n", 5, 1024, NULL },
  { "total-at-cap", "a\nb\n", 64, 4, "a|b" },
  { "total-over-cap", "a\nb\nc\n", 64, 5, NULL },
};

static gboolean
collect_line (const char *line, gsize len, gpointer user_data, GError **error)
{
  GString *out = user_data;

  g_assert_null (memchr (line, '\n', len));
  if (out->len > 0)
    g_string_append_c (out, '|');
  g_string_append_len (out, line, len);
  return TRUE;
}

/* Feed @input in pieces ending at the offsets in @cuts; returns the lines or NULL on error. */
static char *
run_split (const NdjsonCase *c, const gsize *cuts, guint n_cuts, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(HbNdjsonReader) r = hb_ndjson_reader_new (c->max_line, c->max_total, collect_line, out);
  gsize len = strlen (c->input);
  gsize from = 0;

  for (guint i = 0; i <= n_cuts; i++)
    {
      gsize to = i < n_cuts ? cuts[i] : len;

      if (!hb_ndjson_reader_feed (r, c->input + from, to - from, error))
        return NULL;
      from = to;
    }
  if (!hb_ndjson_reader_finish (r, error))
    return NULL;
  return g_strdup (out->str);
}

static void
check_result (const NdjsonCase *c, char *got, GError *error, const char *how)
{
  if (c->lines != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (got, ==, c->lines);
    }
  else
    {
      g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_TOO_LARGE);
      g_assert_null (got);
    }
  g_test_message ("%s: %s ok", c->name, how);
}

static void
test_case (gconstpointer data)
{
  const NdjsonCase *c = data;
  gsize len = strlen (c->input);

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *got = run_split (c, NULL, 0, &error);

    check_result (c, got, error, "whole");
  }

  /* Every split into two pieces, empty pieces included. */
  for (gsize cut = 0; cut <= len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *got = run_split (c, &cut, 1, &error);

      check_result (c, got, error, "two pieces");
    }

  /* One byte at a time. */
  {
    g_autofree gsize *cuts = g_new0 (gsize, len + 1);
    g_autoptr(GError) error = NULL;
    g_autofree char *got = NULL;

    for (gsize i = 0; i < len; i++)
      cuts[i] = i;
    got = run_split (c, cuts, (guint) len, &error);
    check_result (c, got, error, "bytewise");
  }
}

static gboolean
stop_after_first (const char *line, gsize len, gpointer user_data, GError **error)
{
  guint *count = user_data;

  (*count)++;
  return FALSE;
}

static void
test_stop (void)
{
  guint count = 0;
  g_autoptr(HbNdjsonReader) r = hb_ndjson_reader_new (64, 1024, stop_after_first, &count);
  g_autoptr(GError) error = NULL;

  /* A stop without an error is not a failure, but nothing after it is delivered... */
  g_assert_true (hb_ndjson_reader_feed (r, "a\nb\nc\n", 6, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 1);
  /* ...and further input is refused. */
  g_assert_false (hb_ndjson_reader_feed (r, "d\n", 2, &error));
  g_assert_nonnull (error);
  g_assert_cmpuint (count, ==, 1);
}

static gboolean
fail_on_bad (const char *line, gsize len, gpointer user_data, GError **error)
{
  if (len == 3 && memcmp (line, "bad", 3) == 0)
    {
      g_set_error_literal (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL, "bad line");
      return FALSE;
    }
  return TRUE;
}

static void
test_callback_error (void)
{
  g_autoptr(HbNdjsonReader) r = hb_ndjson_reader_new (64, 1024, fail_on_bad, NULL);
  g_autoptr(HbNdjsonReader) r2 = hb_ndjson_reader_new (64, 1024, fail_on_bad, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;

  g_assert_false (hb_ndjson_reader_feed (r, "ok\nba", 5, &error) && hb_ndjson_reader_feed (r, "d\n", 2, &error));
  g_assert_error (error, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL);

  /* The final line without '\n' goes through the callback too. */
  g_assert_true (hb_ndjson_reader_feed (r2, "bad", 3, &error2));
  g_assert_false (hb_ndjson_reader_finish (r2, &error2));
  g_assert_error (error2, HB_LLM_ERROR, HB_LLM_ERROR_PROTOCOL);
}

static void
test_finish_twice (void)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(HbNdjsonReader) r = hb_ndjson_reader_new (64, 1024, collect_line, out);
  g_autoptr(GError) error = NULL;

  g_assert_true (hb_ndjson_reader_feed (r, "x", 1, &error));
  g_assert_true (hb_ndjson_reader_finish (r, &error));
  g_assert_cmpstr (out->str, ==, "x");
  g_assert_false (hb_ndjson_reader_finish (r, &error));
  g_assert_nonnull (error);
  g_assert_cmpstr (out->str, ==, "x");
}

/* ---- JSON writing ---- */

static const char *const escape_cases[] = {
  "",
  "plain ASCII text",
  "quote \" backslash \\ slash /",
  "\x01\x02\x03\x04\x05\x06\x07\b\t\n\x0b\f\r\x0e\x0f",
  "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e",
  "unit separator \x1f here",
  "delete \x7f",
  "line separators \xe2\x80\xa8 and \xe2\x80\xa9",
  "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80",
  "\\u0041 is not an escape here",
  "ends with a backslash \\",
  "\"",
  "\n",
  "# A heading\n\n- a list item\n\t\"quoted\"\n",
};

/* @in through our escaper and back through json-glib's parser; the escaped text. */
static char *
check_escape_round_trip (const char *in)
{
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) back = NULL;

  hb_json_append_string (out, in);
  back = json_from_string (out->str, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_node_get_string (back), ==, in);
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Every byte that needs an escape, at every position of strings of many lengths. */
static void
test_escape_positions (void)
{
  static const char specials[] = "\x01\x1f\"\\\x7f\n\t";

  for (guint k = 0; specials[k] != '\0'; k++)
    for (guint len = 1; len <= 25; len++)
      for (guint at = 0; at < len; at++)
        {
          char buf[32];

          memset (buf, 'a', len);
          buf[len] = '\0';
          buf[at] = specials[k];
          g_free (check_escape_round_trip (buf));
        }
  g_free (check_escape_round_trip ("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80tail"));
}

static void
test_escape (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (escape_cases); i++)
    {
      const char *in = escape_cases[i];
      g_autoptr(JsonNode) expected = json_node_init_string (json_node_alloc (), in);
      g_autofree char *glib_text = json_to_string (expected, FALSE);
      g_autofree char *out = check_escape_round_trip (in);

      /* Valid per RFC 8259: no raw control characters at all. */
      for (const char *c = out; *c != '\0'; c++)
        g_assert_cmpint ((guchar) *c, >=, 0x20);
      /* json-glib leaves U+001F raw; elsewhere the text is the same as its own. */
      if (strchr (in, 0x1f) == NULL)
        g_assert_cmpstr (out, ==, glib_text);
      else
        g_assert_nonnull (strstr (out, "\\u001f"));
    }
}

static void
test_double (void)
{
  static const double values[] = { 0.0, 1.0, 0.7, 0.2, 2.5, -0.0, -3.25, 1e-7, 123456789.125,
                                   1e16, 0.1 + 0.2, 1.5e300 };
  static const double odd[] = { 1e22, INFINITY, -INFINITY, NAN };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(GString) out = g_string_new (NULL);
      g_autoptr(JsonNode) node = json_node_init_double (json_node_alloc (), values[i]);
      g_autofree char *glib_text = json_to_string (node, FALSE);
      g_autoptr(JsonNode) back = NULL;

      hb_json_append_double (out, values[i]);
      g_assert_cmpstr (out->str, ==, glib_text);
      back = json_from_string (out->str, NULL);
      g_assert_nonnull (back);
      g_assert_cmpfloat (json_node_get_double (back), ==, values[i]);
    }
  /* json-glib writes "1e+22.0", "inf.0", "nan.0": not JSON. */
  for (guint i = 0; i < G_N_ELEMENTS (odd); i++)
    {
      g_autoptr(GString) out = g_string_new ("{\"v\":");
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) back = NULL;

      hb_json_append_double (out, odd[i]);
      g_string_append_c (out, '}');
      g_assert_null (strstr (out->str, ".0"));
      back = hb_json_parse_single (out->str, &error);
      g_assert_no_error (error);
    }
}

/* Integers as printf writes them, the extremes included. */
static void
test_int64 (void)
{
  static const gint64 values[] = { 0, 1, -1, 9, 10, -10, 1234567890123, G_MAXINT64, G_MININT64,
                                   G_MAXINT32, (gint64) G_MININT32 - 1 };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(GString) out = g_string_new ("x");
      g_autofree char *want = g_strdup_printf ("x%" G_GINT64_FORMAT, values[i]);

      hb_json_append_int64 (out, values[i]);
      g_assert_cmpstr (out->str, ==, want);
    }
}

/* The bodies are the text json-glib writes for the same tree (it keeps member order), and the
 * strings in them come back unchanged. */
static void
check_body (GBytes *body, const HbLlmRequest *request, const char *schema_member)
{
  gsize len;
  const char *text = g_bytes_get_data (body, &len);
  g_autofree char *copy = g_strndup (text, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = json_from_string (copy, &error);
  g_autofree char *again = NULL;
  JsonObject *obj;
  JsonArray *messages;

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (copy), ==, len);
  again = json_to_string (root, FALSE);
  g_assert_cmpstr (again, ==, copy);
  obj = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (obj, "model"), ==, request->model);
  messages = json_object_get_array_member (obj, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0),
                                                  "content"), ==, request->system);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1),
                                                  "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1),
                                                  "content"), ==, request->user);
  g_assert_nonnull (strstr (copy, schema_member));
}

static void
test_bodies (void)
{
  g_autoptr(HbLlmSettings) settings = hb_llm_settings_new_default ();
  g_autoptr(HbLlmRequest) request = g_new0 (HbLlmRequest, 1);
  g_autoptr(JsonNode) schema = json_from_string ("{\"type\":\"object\",\"required\":[\"a\"],"
                                                 "\"properties\":{\"a\":{\"enum\":[\"x\\ty\"]}}}",
                                                 NULL);
  g_autofree char *schema_text = NULL;

  request->model = g_strdup ("llama3.2:3b \"q\"");
  request->system = g_strdup (escape_cases[3]);
  request->user = g_strdup (escape_cases[13]);
  request->temperature = 0.7;
  request->max_tokens = 200;
  json_node_seal (schema);
  request->schema = json_node_ref (schema);
  schema_text = json_to_string (schema, FALSE);

  /* Twice each: the second time the schema's text comes from the cache. */
  for (guint round = 0; round < 2; round++)
    {
      g_autofree char *opts = NULL;
      g_autofree char *opts_openai = NULL;
      g_autoptr(GBytes) ollama = hb_ollama_chat_body (settings, request, &opts);
      g_autoptr(GBytes) openai = hb_openai_chat_body (settings, request, &opts_openai);
      g_autofree char *format = g_strconcat (",\"format\":", schema_text, "}", NULL);

      check_body (ollama, request, format);
      check_body (openai, request, schema_text);
      g_assert_cmpstr (opts, ==, "{\"temperature\":0.69999999999999996,\"num_predict\":200,"
                                 "\"keep_alive\":\"30m\",\"stream\":false,\"think\":false}");
      g_assert_cmpstr (opts_openai, ==, "{\"temperature\":0.69999999999999996,"
                                        "\"max_tokens\":200,\"stream\":false}");
    }

  /* A bare number of seconds goes out as a number; no system prompt, no schema. */
  g_free (settings->keep_alive);
  settings->keep_alive = g_strdup ("300");
  g_clear_pointer (&request->system, g_free);
  g_clear_pointer (&request->schema, json_node_unref);
  {
    g_autoptr(GBytes) body = hb_ollama_chat_body (settings, request, NULL);
    g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    g_autoptr(JsonNode) root = json_from_string (text, NULL);
    g_autofree char *again = json_to_string (root, FALSE);

    g_assert_cmpstr (again, ==, text);
    g_assert_nonnull (strstr (text, "\"keep_alive\":300,"));
    g_assert_null (strstr (text, "format"));
    g_assert_null (strstr (text, "system"));
  }
}

/* ---- the fast parser ---- */

typedef struct
{
  const char *text;
  gboolean fast;    /* taken by the fast path; otherwise left to json-glib */
} FastCase;

static const FastCase fast_cases[] = {
  { "{}", TRUE },
  { " \r\n\t{ } \r\n", TRUE },
  { "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"{\\\"action\\\":\\\"none\\\"}\"},"
    "\"done\":true,\"done_reason\":\"stop\",\"total_duration\":123456789,\"eval_count\":-5}", TRUE },
  { "{\"a\":[1,-2,0,-0,3.5,-0.25,1e2,2.5E-3,1E+2],\"b\":[[],[{}]],\"c\":null,\"d\":false}", TRUE },
  { "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"}", TRUE },
  { "{\"raw\":\"caf\xc3\xa9 \xe2\x80\xa8\",\"\":1,\"k\\u00e9y\":2}", TRUE },
  { "{\"big\":999999999999999999,\"neg\":-999999999999999999}", TRUE },
  { "{\"dup\":1,\"dup\":2}", FALSE },
  { "{\"a\":01}", FALSE },
  { "{\"a\":1.}", FALSE },
  { "{\"a\":.5}", FALSE },
  { "{\"a\":-}", FALSE },
  { "{\"a\":1e}", FALSE },
  { "{\"a\":1234567890123456789}", FALSE },
  { "{\"a\":1,}", FALSE },
  { "{\"a\":[1,]}", FALSE },
  { "{\"a\" 1}", FALSE },
  { "{\"a\":tru}", FALSE },
  { "{\"a\":1} x", FALSE },
  { "{\"a\":1}{\"b\":2}", FALSE },
  { "{\"a\":\"\\u0000\"}", FALSE },
  { "{\"a\":\"\\ud800\"}", FALSE },
  { "{\"a\":\"\\udc00\\ud800\"}", FALSE },
  { "{\"a\":\"\\ud800\\u0041\"}", FALSE },
  { "{\"a\":\"\\x\"}", FALSE },
  { "{\"a\":\"\\u12\"}", FALSE },
  { "{\"a\":\"tab\there\"}", FALSE },
  { "{\"a\":\"\xff\"}", FALSE },
  { "{\"a\":\"unterminated}", FALSE },
  { "{\"a\":1", FALSE },
  { "[1]", FALSE },
  { "\"text\"", FALSE },
  { "", FALSE },
  { "   ", FALSE },
  { "\xef\xbb\xbf{}", FALSE },
};

static void
test_fast_parse (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (fast_cases); i++)
    {
      const char *text = fast_cases[i].text;
      g_autoptr(JsonNode) fast = hb_json_parse_object_fast (text, strlen (text));
      g_autoptr(JsonParser) parser = json_parser_new_immutable ();
      g_autofree char *fast_text = NULL;
      g_autofree char *glib_text = NULL;
      g_autofree char *shown = g_strescape (text, NULL);
      JsonNode *glib_root;

      g_test_message ("case %u: %s", i, shown);
      if (!fast_cases[i].fast)
        {
          g_assert_null (fast);
          continue;
        }
      g_assert_nonnull (fast);
      g_assert_true (json_node_is_immutable (fast));
      g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
      glib_root = json_parser_get_root (parser);
      /* The same tree: same members in the same order, same value types and values. */
      g_assert_true (json_node_equal (fast, glib_root));
      fast_text = json_to_string (fast, FALSE);
      glib_text = json_to_string (glib_root, FALSE);
      g_assert_cmpstr (fast_text, ==, glib_text);
    }
}

/* Not NUL-terminated: the parser stays within @len. */
static void
test_fast_parse_bounds (void)
{
  const char *text = "{\"a\":\"b\"}{\"x\":1}";
  g_autoptr(JsonNode) node = hb_json_parse_object_fast (text, 9);
  g_autoptr(GString) deep = g_string_new ("{\"a\":");

  g_assert_nonnull (node);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "a"), ==, "b");
  for (guint len = 0; len < 9; len++)
    g_assert_null (hb_json_parse_object_fast (text, len));

  /* Deeper than HB_JSON_MAX_DEPTH is json-glib's path's to refuse. */
  for (guint i = 1; i < HB_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, '[');
  for (guint i = 1; i < HB_JSON_MAX_DEPTH; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  {
    g_autoptr(JsonNode) at_max = hb_json_parse_object_fast (deep->str, deep->len);

    g_assert_nonnull (at_max);
  }
  g_string_insert_c (deep, 5, '[');
  g_string_insert_c (deep, deep->len - 1, ']');
  g_assert_null (hb_json_parse_object_fast (deep->str, deep->len));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/ndjson/split/%s", cases[i].name);

      g_test_add_data_func (path, &cases[i], test_case);
    }
  g_test_add_func ("/ndjson/stop", test_stop);
  g_test_add_func ("/ndjson/callback-error", test_callback_error);
  g_test_add_func ("/ndjson/finish-twice", test_finish_twice);
  g_test_add_func ("/json/escape", test_escape);
  g_test_add_func ("/json/escape-positions", test_escape_positions);
  g_test_add_func ("/json/double", test_double);
  g_test_add_func ("/json/int64", test_int64);
  g_test_add_func ("/json/bodies", test_bodies);
  g_test_add_func ("/json/fast-parse", test_fast_parse);
  g_test_add_func ("/json/fast-parse-bounds", test_fast_parse_bounds);
  return g_test_run ();
}
